//! What a check could have detected. A check is judged on an estimate and its interval; its
//! power against a competing hypothesis is the share of datasets on which it *fails* when the
//! truth sits at that hypothesis. Here the truth is planted, not the prediction moved
//! (STATISTICS.md §8): each dataset's judgement (estimate and interval, per member of the
//! check's family) is shifted, or scaled for a `ratio` check, so that the truth it was drawn
//! around (`centre`) moves to the planted value, and the check is judged again with its own
//! prediction and tolerance. Only a failure counts as a detection; undecided is counted
//! apart. A check over several members (every point of a per-point check) is false as soon
//! as one member is, so the truth is planted at one member at a time, and the check's power
//! is its power at the member where the plant is hardest to see.
//!
//! The datasets are either a run's own bootstrap replicates (each judged with the run's
//! critical values: [`crate::intervals::Judged`]), which gives the resolution printed beside
//! a verdict at no cost, or the master seeds of `scb calibrate`, centred at the mean of
//! their estimates, which measures it. The **resolution** is the smallest planted deviation
//! detected on at least [`TARGET`] of the datasets, found by bisection.

use crate::verdict::{decide, Kind, Verdict};
use serde::{Deserialize, Serialize};

/// The detection rate a resolution is defined at, and the least a check needs at its plant.
pub const TARGET: f64 = 0.8;

/// A side on which a claim could be false.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    /// The truth above the prediction.
    Up,
    /// The truth below it.
    Down,
}

impl Side {
    /// +1 or -1.
    pub fn sign(self) -> f64 {
        match self {
            Side::Up => 1.0,
            Side::Down => -1.0,
        }
    }
}

/// The sides on which a check's claim could be false: both for `equal` and `ratio`, above the
/// bound for `below`, beneath it for `above`.
pub fn sides(kind: Kind) -> &'static [Side] {
    match kind {
        Kind::Equal | Kind::Ratio => &[Side::Up, Side::Down],
        Kind::Below => &[Side::Up],
        Kind::Above => &[Side::Down],
    }
}

/// The truth a deviation `d` plants on `side` of prediction `p`: `p -+ d`, or for `ratio`
/// the factor `(1 + d)` either way.
pub fn planted(kind: Kind, p: f64, d: f64, side: Side) -> f64 {
    match (kind, side) {
        (Kind::Ratio, Side::Up) => p * (1.0 + d),
        (Kind::Ratio, Side::Down) => p / (1.0 + d),
        (_, s) => p + s.sign() * d,
    }
}

/// One member's interval `(lo, hi)` moved from `centre` to `truth`: shifted, or for `ratio`
/// scaled (its errors are relative). The verdict reads the interval alone.
fn moved(kind: Kind, (lo, hi): (f64, f64), centre: f64, truth: f64) -> (f64, f64) {
    if kind == Kind::Ratio {
        let f = truth / centre;
        (lo * f, hi * f)
    } else {
        let s = truth - centre;
        (lo + s, hi + s)
    }
}

/// One member judged; an interval without both ends cannot tell.
fn member_verdict(kind: Kind, tolerance: f64, p: f64, lo: f64, hi: f64) -> Verdict {
    if lo.is_nan() || hi.is_nan() || (!lo.is_finite() && !hi.is_finite()) {
        return Verdict::Undecided;
    }
    decide(kind, p, tolerance, lo, hi)
}

/// The datasets a check is judged on, member by member: `datasets[k][m]` is dataset k's
/// `(value, lo, hi)` for member m, `centres[m]` the truth they were drawn around, and
/// `predicts[m]` what the check predicts for member m.
#[derive(Clone, Debug)]
pub struct Datasets<'a> {
    /// How the check compares its value with its prediction.
    pub kind: Kind,
    /// The check's tolerance.
    pub tolerance: f64,
    /// What the check predicts, member by member.
    pub predicts: &'a [f64],
    /// The truth each member's datasets were drawn around (the mean of their estimates).
    pub centres: &'a [f64],
    /// Per dataset (seed), every member's `(value, lo, hi)`.
    pub datasets: &'a [Vec<(f64, f64, f64)>],
}

/// How a planted deviation was judged over the datasets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detected {
    /// Datasets on which the check failed: detections.
    pub fails: usize,
    /// Datasets on which it was undecided (not counted as detections).
    pub undecided: usize,
    /// Datasets judged.
    pub of: usize,
}

impl Detected {
    /// The share of datasets on which the deviation was detected.
    pub fn rate(&self) -> f64 {
        self.fails as f64 / self.of.max(1) as f64
    }
}

impl Datasets<'_> {
    /// Usable: some dataset, and every centre a finite number (nonzero for a ratio).
    fn usable(&self) -> bool {
        !self.datasets.is_empty() && self.centres.iter().all(|c| c.is_finite() && (self.kind != Kind::Ratio || *c > 0.0))
    }

    /// Per dataset, how many members fail and how many cannot tell, as drawn (nothing planted).
    fn as_drawn(&self) -> Vec<(usize, usize)> {
        self.datasets
            .iter()
            .map(|set| {
                set.iter().zip(self.predicts).fold((0, 0), |(f, u), (t, p)| match member_verdict(self.kind, self.tolerance, *p, t.1, t.2) {
                    Verdict::Fails => (f + 1, u),
                    Verdict::Holds => (f, u),
                    _ => (f, u + 1),
                })
            })
            .collect()
    }

    /// Dataset by dataset, the family's verdict with member `m`'s truth alone planted at `d`
    /// on `side` of its prediction, the others as they were drawn (`drawn`, from
    /// [`Self::as_drawn`]).
    fn verdicts_of(&self, m: usize, d: f64, side: Side, drawn: &[(usize, usize)]) -> Vec<Verdict> {
        let p = self.predicts[m];
        let truth = planted(self.kind, p, d, side);
        self.datasets
            .iter()
            .zip(drawn)
            .map(|(set, (fails, undecided))| {
                let t = set[m];
                let (own_fails, own_undecided) = match member_verdict(self.kind, self.tolerance, p, t.1, t.2) {
                    Verdict::Fails => (1, 0),
                    Verdict::Holds => (0, 0),
                    _ => (0, 1),
                };
                let (lo, hi) = moved(self.kind, (t.1, t.2), self.centres[m], truth);
                match member_verdict(self.kind, self.tolerance, p, lo, hi) {
                    Verdict::Fails => Verdict::Fails,
                    _ if fails - own_fails > 0 => Verdict::Fails,
                    Verdict::Holds if undecided - own_undecided == 0 => Verdict::Holds,
                    _ => Verdict::Undecided,
                }
            })
            .collect()
    }

    fn count(verdicts: &[Verdict]) -> Detected {
        let mut out = Detected { of: verdicts.len(), ..Default::default() };
        for v in verdicts {
            match v {
                Verdict::Fails => out.fails += 1,
                Verdict::Undecided | Verdict::Undefined => out.undecided += 1,
                Verdict::Holds => {}
            }
        }
        out
    }

    /// The member hardest to catch at deviation `d`: the claim is false at one member (one
    /// point, one cell) at a time, so a check's power is its power at its weakest member.
    fn hardest(&self, d: f64, side: Side, drawn: &[(usize, usize)]) -> (usize, Detected) {
        (0..self.centres.len()).map(|m| (m, Self::count(&self.verdicts_of(m, d, side, drawn)))).min_by_key(|(_, x)| x.fails).unwrap_or((0, Detected::default()))
    }

    /// How often the check fails with the truth of one member planted at deviation `d` on
    /// `side` of its prediction: at the member where that happens least often.
    pub fn detected(&self, d: f64, side: Side) -> Detected {
        if !self.usable() {
            return Detected { of: self.datasets.len(), ..Default::default() };
        }
        self.hardest(d, side, &self.as_drawn()).1
    }

    /// Dataset by dataset, the verdict with the hardest member's truth planted at `d`.
    pub fn verdicts(&self, d: f64, side: Side) -> Vec<Verdict> {
        if !self.usable() {
            return vec![Verdict::Undefined; self.datasets.len()];
        }
        let drawn = self.as_drawn();
        let (m, _) = self.hardest(d, side, &drawn);
        self.verdicts_of(m, d, side, &drawn)
    }

    /// The smallest deviation on `side` that is detected on at least [`TARGET`] of the
    /// datasets wherever it is planted, at any one member: per member, bisection over planted
    /// deviations (detection grows with the deviation); then the largest over the members.
    /// None when no finite deviation up to 1e9 (a factor 1e9 for a ratio) is detected so often,
    /// or the datasets cannot be moved.
    pub fn resolution(&self, side: Side) -> Option<f64> {
        if !self.usable() {
            return None;
        }
        let mut worst: f64 = 0.0;
        let drawn = self.as_drawn();
        for m in 0..self.centres.len() {
            let enough = |d: f64| Self::count(&self.verdicts_of(m, d, side, &drawn)).rate() >= TARGET;
            let mut hi = self.tolerance.max(1e-6) * 2.0 + self.spread();
            while !enough(hi) {
                hi *= 4.0;
                if hi > 1e9 {
                    return None;
                }
            }
            let mut lo = 0.0;
            if enough(lo) {
                continue;
            }
            for _ in 0..60 {
                let mid = 0.5 * (lo + hi);
                if enough(mid) {
                    hi = mid;
                } else {
                    lo = mid;
                }
                if hi - lo <= 1e-3 * hi.max(1e-12) {
                    break;
                }
            }
            worst = worst.max(hi);
        }
        Some(worst)
    }

    /// A first guess at the scale of a detectable deviation: the widest interval seen
    /// (relative, for a ratio).
    fn spread(&self) -> f64 {
        let w = self
            .datasets
            .iter()
            .flatten()
            .zip(self.centres.iter().cycle())
            .map(|((_, lo, hi), c)| if self.kind == Kind::Ratio { (hi - lo) / c } else { hi - lo });
        w.filter(|x| x.is_finite()).fold(0.0, f64::max)
    }
}

/// A plant as a reader takes it: a deviation, or a factor for a ratio.
pub fn plant_text(kind: Kind, p: f64) -> String {
    match kind {
        Kind::Ratio => format!("a factor {}", crate::verdict::num(1.0 + p)),
        Kind::Equal => format!("±{}", crate::verdict::num(p)),
        Kind::Below => format!("+{}", crate::verdict::num(p)),
        Kind::Above => format!("-{}", crate::verdict::num(p)),
    }
}

/// A check's resolution on each side its claim could be false (None where that side is not
/// a way to be false, or is not resolved).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Resolution {
    /// The smallest deviation above the prediction detected on 80% of datasets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub up: Option<f64>,
    /// The same below the prediction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub down: Option<f64>,
}

impl Resolution {
    /// Of `sets`, on every side the check's kind can be false on.
    pub fn of(sets: &Datasets) -> Resolution {
        let mut r = Resolution::default();
        for side in sides(sets.kind) {
            match side {
                Side::Up => r.up = sets.resolution(Side::Up),
                Side::Down => r.down = sets.resolution(Side::Down),
            }
        }
        r
    }

    /// The coarser of the two sides (what the check resolves on both), if any side is resolved.
    pub fn worst(&self) -> Option<f64> {
        match (self.up, self.down) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// In words: "resolves ±0.06", "resolves +0.06 / -0.08", "resolves a factor 1.06",
    /// "resolves a factor 1.06 up, 1.08 down", one side ("resolves +0.12"), or that it
    /// resolves nothing.
    pub fn text(&self, kind: Kind) -> String {
        let n = crate::verdict::num;
        let close = |u: f64, d: f64| (u - d).abs() <= 0.05 * u.max(d);
        match (kind, self.up, self.down) {
            (Kind::Ratio, Some(u), Some(d)) if close(u, d) => format!("resolves a factor {}", n(1.0 + u.max(d))),
            (Kind::Ratio, Some(u), Some(d)) => format!("resolves a factor {} up, {} down", n(1.0 + u), n(1.0 + d)),
            (Kind::Equal, Some(u), Some(d)) if close(u, d) => format!("resolves ±{}", n(u.max(d))),
            (Kind::Equal, Some(u), Some(d)) => format!("resolves +{} / -{}", n(u), n(d)),
            (Kind::Below, Some(u), _) => format!("resolves +{}", n(u)),
            (Kind::Above, _, Some(d)) => format!("resolves -{}", n(d)),
            _ => "resolves nothing at this budget".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Datasets of one member around 0 with half-width 1: dataset k sits at e_k.
    fn sets(errors: &[f64]) -> Vec<Vec<(f64, f64, f64)>> {
        errors.iter().map(|e| vec![(*e, e - 1.0, e + 1.0)]).collect()
    }

    #[test]
    fn a_planted_truth_is_detected_only_when_the_check_fails() {
        let data = sets(&[0.0; 10]);
        let s = Datasets { kind: Kind::Equal, tolerance: 0.0, predicts: &[0.0], centres: &[0.0], datasets: &data };
        // The truth planted at 0.5: every interval [-0.5, 1.5] still holds 0.
        assert_eq!(s.detected(0.5, Side::Up), Detected { fails: 0, undecided: 0, of: 10 });
        assert_eq!(s.detected(1.01, Side::Up).fails, 10);
        assert_eq!(s.detected(1.01, Side::Down).fails, 10);
        // One-sided: planted across the bound but inside the interval is undecided, not detected.
        let below = Datasets { kind: Kind::Below, ..s.clone() };
        assert_eq!(below.detected(0.5, Side::Up), Detected { fails: 0, undecided: 10, of: 10 });
        assert_eq!(below.detected(1.5, Side::Up).fails, 10);
    }

    #[test]
    fn slack_gives_no_free_power_the_truth_is_moved_not_the_prediction() {
        // A bound of 0 with the estimate far above it (slack 5): moving the prediction down
        // by 0.25 would never reject; planting the truth 0.25 below the bound is what counts.
        let data: Vec<Vec<(f64, f64, f64)>> = (0..10).map(|k| 5.0 + 0.01 * k as f64).map(|v| vec![(v, v - 0.1, v + 0.1)]).collect();
        let s = Datasets { kind: Kind::Above, tolerance: 0.0, predicts: &[0.0], centres: &[5.045], datasets: &data };
        assert_eq!(s.detected(0.25, Side::Down).fails, 10, "a tight interval resolves 0.25 whatever the slack");
        let r = s.resolution(Side::Down).unwrap();
        assert!(r > 0.1 && r < 0.2, "{r}");
    }

    #[test]
    fn the_resolution_is_the_80_percent_point_of_the_detecting_deviation() {
        // Datasets at errors 0.0, 0.1, ..., 0.9 with half-width 1: planted up by d, dataset
        // k fails once d + e_k - 1 > 0, i.e. d > 1 - e_k; 80% need d > 1 - 0.2 = 0.8.
        let errors: Vec<f64> = (0..10).map(|k| 0.1 * k as f64).collect();
        let data = sets(&errors);
        let s = Datasets { kind: Kind::Equal, tolerance: 0.0, predicts: &[0.0], centres: &[0.0], datasets: &data };
        let up = s.resolution(Side::Up).unwrap();
        assert!((up - 0.8).abs() < 1e-3, "{up}");
        // Down: fails once -d + e_k + 1 < 0, d > 1 + e_k; 80% need d > 1.7.
        assert!((s.resolution(Side::Down).unwrap() - 1.7).abs() < 2e-3);
        // The tolerance widens what must be crossed by as much.
        let wide = Datasets { tolerance: 0.5, ..s.clone() };
        assert!((wide.resolution(Side::Up).unwrap() - 1.3).abs() < 2e-3);
    }

    #[test]
    fn a_ratio_is_planted_as_a_factor_one_member_at_a_time() {
        let data: Vec<Vec<(f64, f64, f64)>> = vec![vec![(1.0, 0.9, 1.1), (2.0, 1.5, 2.5)]; 5];
        let s = Datasets { kind: Kind::Ratio, tolerance: 0.0, predicts: &[1.0, 2.0], centres: &[1.0, 2.0], datasets: &data };
        // A factor 1.12 at member 0 moves it to [1.008, 1.232]: caught; at member 1 to
        // [1.68, 2.8]: not. The check's power is at its hardest member.
        assert_eq!(s.verdicts_of(0, 0.12, Side::Up, &s.as_drawn()), vec![Verdict::Fails; 5]);
        assert_eq!(s.detected(0.12, Side::Up).fails, 0);
        // Member 1 needs 1.5 (1 + d) > 2 up, and 2.5 / (1 + d) < 2 down.
        let r = Resolution::of(&s);
        assert!((r.up.unwrap() - 1.0 / 3.0).abs() < 1e-3 && (r.down.unwrap() - 0.25).abs() < 1e-3, "{r:?}");
        assert_eq!(r.text(Kind::Ratio), "resolves a factor 1.333 up, 1.25 down");
    }

    /// A family's verdict with one member planted takes the others as drawn: another member
    /// that fails as drawn fails the family, one that cannot tell keeps it from holding, and
    /// the planted member's own verdict as drawn counts for nothing.
    #[test]
    fn the_other_members_count_as_drawn() {
        let (holds, fails, across) = ((-1.5, -2.0, -1.0), (1.5, 1.0, 2.0), (0.0, -1.0, 1.0));
        let family = |members: Vec<(f64, f64, f64)>| vec![members; 4];
        let judged = |data: &[Vec<(f64, f64, f64)>], d: f64, side: Side| {
            let centres: Vec<f64> = data[0].iter().map(|t| t.0).collect();
            let s = Datasets { kind: Kind::Below, tolerance: 0.0, predicts: &[0.0, 0.0], centres: &centres, datasets: data };
            s.verdicts_of(0, d, side, &s.as_drawn())
        };
        // Member 0 planted just above the bound (undecided there) beside a failing member: fails.
        assert_eq!(judged(&family(vec![holds, fails]), 0.1, Side::Up), vec![Verdict::Fails; 4]);
        // Member 0 failing as drawn, planted just above the bound, beside a member that holds:
        // its own failure as drawn is gone with the plant, so the family cannot tell.
        assert_eq!(judged(&family(vec![fails, holds]), 0.1, Side::Up), vec![Verdict::Undecided; 4]);
        // Member 0 planted well below the bound (it holds) beside one that cannot tell.
        assert_eq!(judged(&family(vec![holds, across]), 1.0, Side::Down), vec![Verdict::Undecided; 4]);
        assert_eq!(judged(&family(vec![holds, holds]), 1.0, Side::Down), vec![Verdict::Holds; 4]);
        // Member 0 undecided as drawn and planted where it holds: the family holds.
        assert_eq!(judged(&family(vec![across, holds]), 1.0, Side::Down), vec![Verdict::Holds; 4]);
    }

    /// An interval with an undefined end, or with no finite end, cannot tell; one with a
    /// single infinite end is judged on the other.
    #[test]
    fn an_interval_without_both_ends_cannot_tell() {
        let verdict = |lo, hi| member_verdict(Kind::Below, 0.0, 0.0, lo, hi);
        assert_eq!(verdict(f64::NAN, -1.0), Verdict::Undecided);
        assert_eq!(verdict(1.0, f64::NAN), Verdict::Undecided);
        assert_eq!(verdict(f64::NEG_INFINITY, f64::INFINITY), Verdict::Undecided);
        assert_eq!(verdict(f64::NEG_INFINITY, -1.0), Verdict::Holds);
        assert_eq!(verdict(1.0, f64::INFINITY), Verdict::Fails);
    }

    /// Datasets drawn around a centre that is not a number (or, for a ratio, not above 0)
    /// cannot be moved: nothing is counted, and nothing is resolved.
    #[test]
    fn datasets_that_cannot_be_moved_count_nothing() {
        let data = sets(&[0.0; 6]);
        for (kind, centre) in [(Kind::Equal, f64::NAN), (Kind::Equal, f64::INFINITY), (Kind::Ratio, 0.0), (Kind::Ratio, -1.0)] {
            let s = Datasets { kind, tolerance: 0.0, predicts: &[1.0], centres: &[centre], datasets: &data };
            assert_eq!(s.detected(0.5, Side::Up), Detected { fails: 0, undecided: 0, of: 6 }, "{kind:?} around {centre}");
            assert_eq!(s.verdicts(0.5, Side::Up), vec![Verdict::Undefined; 6]);
            assert_eq!(s.resolution(Side::Up), None);
        }
        let fine = Datasets { kind: Kind::Ratio, tolerance: 0.0, predicts: &[1.0], centres: &[1.0], datasets: &data };
        assert_eq!(fine.detected(0.5, Side::Up).of, 6);
        assert_eq!(fine.verdicts(0.5, Side::Up), vec![Verdict::Holds; 6], "1.5 lies in [-1.5, 1.5]");
        let none = Datasets { datasets: &[], ..fine };
        assert_eq!(none.detected(0.5, Side::Up), Detected::default());
    }

    /// Estimates scattered far beyond their intervals (an interval that undercovers) need a
    /// deviation larger than any interval is wide: the search widens until it finds it. A
    /// check that can never fail resolves nothing.
    #[test]
    fn the_search_widens_past_the_intervals_and_gives_up_where_nothing_fails() {
        // Values -5, -4, ..., 4 with half-width 0.1 around a centre of 0, below a bound of 0:
        // planted up by d, dataset e fails once e - 0.1 + d > 0; 8 of 10 need d > 3.1.
        let data: Vec<Vec<(f64, f64, f64)>> = (-5..5).map(|e| e as f64).map(|e| vec![(e, e - 0.1, e + 0.1)]).collect();
        let s = Datasets { kind: Kind::Below, tolerance: 0.0, predicts: &[0.0], centres: &[0.0], datasets: &data };
        let up = s.resolution(Side::Up).unwrap();
        assert!((up - 3.1).abs() < 4e-3, "{up}");
        let open: Vec<Vec<(f64, f64, f64)>> = vec![vec![(0.0, f64::NEG_INFINITY, f64::INFINITY)]; 5];
        let never = Datasets { datasets: &open, ..s };
        assert_eq!(never.resolution(Side::Up), None);
    }

    /// A resolution and a plant read as a reader takes them.
    #[test]
    fn resolutions_and_plants_in_words() {
        let r = |up, down| Resolution { up, down };
        assert_eq!(r(Some(0.06), Some(0.0615)).text(Kind::Equal), "resolves ±0.0615");
        assert_eq!(r(Some(0.06), Some(0.08)).text(Kind::Equal), "resolves +0.06 / -0.08");
        assert_eq!(r(Some(0.06), Some(0.062)).text(Kind::Ratio), "resolves a factor 1.062");
        assert_eq!(r(Some(0.06), Some(0.08)).text(Kind::Ratio), "resolves a factor 1.06 up, 1.08 down");
        assert_eq!(r(Some(0.12), None).text(Kind::Below), "resolves +0.12");
        assert_eq!(r(None, Some(0.12)).text(Kind::Above), "resolves -0.12");
        assert_eq!(r(None, Some(0.12)).text(Kind::Below), "resolves nothing at this budget");
        assert_eq!(r(Some(0.2), Some(0.3)).worst(), Some(0.3));
        assert_eq!(r(None, Some(0.1)).worst(), Some(0.1));
        assert_eq!(r(None, None).worst(), None);
        assert_eq!(plant_text(Kind::Ratio, 0.5), "a factor 1.5");
        assert_eq!(plant_text(Kind::Equal, 0.25), "±0.25");
        assert_eq!(plant_text(Kind::Below, 0.25), "+0.25");
        assert_eq!(plant_text(Kind::Above, 0.25), "-0.25");
    }

    #[test]
    fn sides_are_the_ways_a_claim_can_be_false() {
        assert_eq!(sides(Kind::Below), &[Side::Up]);
        assert_eq!(sides(Kind::Above), &[Side::Down]);
        assert_eq!(sides(Kind::Equal).len(), 2);
        assert_eq!(planted(Kind::Ratio, 2.0, 1.0, Side::Down), 1.0);
        assert_eq!(planted(Kind::Above, 0.0, 0.25, Side::Down), -0.25);
    }
}
