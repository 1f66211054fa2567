//! Claim 2, stage two (spec §5.2): after the switch the error decays at the statistical
//! rate (dist^2 ~ 1/samples), and the stage-two samples to reach dist <= eps grow with
//! 1/alpha ~ Q but at most logarithmically with T, while stage one grows linearly in T.
//!
//! A trial trains ScbProx from the uninformative start with the spec's switch rule, then
//! records dist_V and dist_A at log-spaced stage-two sample counts.

use super::stage_one::StageOne;
use super::{Claim, ClaimResult, ClaimSpec, PointTask};
use crate::error::{check_range, invalid, Result};
use crate::metrics::{dist_a, dist_v};
use crate::model::Params;
use crate::report::{self, Panel, Series};
use crate::stats::{median, ols, within_slope, Quantities};
use crate::task::Batch;
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub batch: usize,
    /// Stage-two samples per trial.
    pub stage_two_samples: u64,
    /// A trial that has not switched after this many samples records no stage two.
    pub max_stage_one_samples: u64,
    /// The distance level for "samples to reach dist <= eps".
    pub eps: f64,
    pub checkpoints_per_decade: u32,
    /// Stage one's cost is measured as in claim stage_one (the first step reaching
    /// corr_V >= c at frequency 1/2) at the same points: the switch time of a run is set
    /// by the switch rule's patience and the batch, not by stage one's sample complexity.
    pub stage_one: super::stage_one::Settings,
    /// Independent stage-one measurements per trial (they are cheap; the crossing of a
    /// frequency needs more than a handful of trials).
    pub stage_one_replicates: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            batch: 1024,
            stage_two_samples: 1_000_000,
            max_stage_one_samples: 2_000_000,
            eps: 0.05,
            checkpoints_per_decade: 8,
            stage_one: Default::default(),
            stage_one_replicates: 8,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Trial {
    /// Samples consumed before the switch (None: never switched within the cap).
    pub switched_at: Option<u64>,
    /// Claim stage_one's measurement at this point, `stage_one_replicates` times.
    pub first_step: Vec<super::stage_one::Trial>,
    /// Stage-two samples at each checkpoint, and the distances there.
    pub samples: Vec<u64>,
    pub dist_v: Vec<f64>,
    pub dist_a: Vec<f64>,
}

pub struct StageTwo {
    spec: ClaimSpec,
    s: Settings,
    one: StageOne,
}

impl StageTwo {
    /// Checkpoints in stage-two steps: log-spaced, deduplicated.
    fn checkpoints(&self) -> Vec<u64> {
        let steps = self.s.stage_two_samples / self.s.batch as u64;
        let per = self.s.checkpoints_per_decade as f64;
        let mut v: Vec<u64> = (0..)
            .map(|i| 10f64.powf(i as f64 / per).round() as u64)
            .take_while(|&s| s < steps)
            .chain([steps])
            .collect();
        v.dedup();
        v
    }
}

/// RMS over trials of `f(trial)[j]`, per checkpoint j.
fn rms(ts: &[&Trial], f: fn(&Trial) -> &Vec<f64>) -> Vec<f64> {
    let len = ts.iter().map(|t| f(t).len()).min().unwrap_or(0);
    (0..len).map(|j| (ts.iter().map(|t| f(t)[j].powi(2)).sum::<f64>() / ts.len() as f64).sqrt()).collect()
}

/// First `x` where the (log-log interpolated) curve `y(x)` falls to `level`.
fn first_below(x: &[f64], y: &[f64], level: f64) -> f64 {
    for j in 1..y.len() {
        if y[j] <= level && y[j - 1] > level {
            let f = (level.ln() - y[j - 1].ln()) / (y[j].ln() - y[j - 1].ln());
            return (x[j - 1].ln() + f * (x[j].ln() - x[j - 1].ln())).exp();
        }
        if j == 1 && y[0] <= level {
            return x[0];
        }
    }
    f64::NAN
}

impl Claim for StageTwo {
    type Trial = Trial;
    const QUANTITIES: &'static [(&'static str, &'static str)] = &[
        ("decay_v", "exponent of stage-two samples in RMS dist_V over the last decade (one intercept per point)"),
        ("decay_a", "exponent of stage-two samples in RMS dist_A over the last decade (one intercept per point)"),
        ("t_exponent_two", "exponent of T in the stage-two samples until RMS max(dist_V, dist_A) <= eps (one intercept per Q)"),
        ("q_exponent_two", "exponent of Q in the stage-two samples until RMS dist_V <= eps (one intercept per T)"),
        ("t_exponent_one", "exponent of T in stage one's samples, measured as in claim stage_one (one intercept per Q)"),
        ("exponent_gap", "t_exponent_one - t_exponent_two"),
    ];

    fn new(spec: &ClaimSpec) -> Result<Self> {
        let s: Settings = spec.settings()?;
        if s.batch < 1 {
            return Err(invalid("settings.batch", "must be >= 1"));
        }
        if s.stage_two_samples < 10 * s.batch as u64 {
            return Err(invalid("settings.stage_two_samples", "must be at least 10 batches"));
        }
        check_range("settings.eps", s.eps, 0.0, 1.0, true)?;
        if s.stage_one_replicates < 1 {
            return Err(invalid("settings.stage_one_replicates", "must be >= 1"));
        }
        if s.checkpoints_per_decade < 2 {
            return Err(invalid("settings.checkpoints_per_decade", "must be >= 2"));
        }
        let one = StageOne::with(spec, s.stage_one.clone())?;
        Ok(StageTwo { spec: spec.clone(), s, one })
    }

    fn run_trial(&self, pt: &PointTask, seed: u64) -> Trial {
        let task = &pt.task;
        let mut algo = self.spec.algorithm.build(task);
        let mut params = Params::uninformative(task.n, task.t);
        let mut rng = crate::rng::rng(seed, crate::rng::stream::DATA);
        let mut batch = Batch::new(self.s.batch, task.t);
        let b = self.s.batch as u64;
        let mut used = 0;
        while algo.stage() == 1 && used < self.s.max_stage_one_samples {
            task.sample_into(&mut rng, &mut batch);
            algo.step(&mut params, &batch);
            used += b;
        }
        let first_step = (0..self.s.stage_one_replicates).map(|r| self.one.trial(pt, crate::rng::derive(seed, 1 + r as u64))).collect();
        let mut out = Trial { switched_at: algo.switched_at(), first_step, samples: vec![], dist_v: vec![], dist_a: vec![] };
        if out.switched_at.is_none() {
            return out;
        }
        let marks = self.checkpoints();
        let mut next = 0;
        for step in 1..=*marks.last().expect("nonempty") {
            task.sample_into(&mut rng, &mut batch);
            algo.step(&mut params, &batch);
            if step == marks[next] {
                out.samples.push(step * b);
                // A non-finite distance (a blow-up) is recorded as a large one, so JSON keeps it.
                let clean = |x: f64| if x.is_finite() { x } else { 1e300 };
                out.dist_v.push(clean(dist_v(&params, task)));
                out.dist_a.push(clean(dist_a(&params, task)));
                next += 1;
            }
        }
        out
    }

    fn estimate(&self, points: &[PointTask], trials: &[Vec<&Trial>]) -> Quantities {
        let mut q = Quantities::new();
        let (mut dg, mut dx, mut dyv, mut dya) = (vec![], vec![], vec![], vec![]);
        let (mut by_q, mut by_t, mut log_t, mut log_q) = (vec![], vec![], vec![], vec![]);
        let (mut log_n2, mut log_n2v, mut log_n1) = (vec![], vec![], vec![]);
        for (i, (pt, ts)) in points.iter().zip(trials).enumerate() {
            let label = pt.point.label();
            let switched: Vec<f64> = ts.iter().map(|t| t.switched_at.map_or(f64::INFINITY, |s| s as f64)).collect();
            q.insert(format!("switched_at@{label}"), median(&switched));
            let firsts: Vec<&super::stage_one::Trial> = ts.iter().flat_map(|t| &t.first_step).collect();
            let n1 = self.one.crossing(&pt.task, &firsts).0;
            q.insert(format!("stage_one@{label}"), n1);
            let done: Vec<&Trial> = ts.iter().copied().filter(|t| t.switched_at.is_some()).collect();
            // Every trial must reach stage two, or the point is undefined.
            let (n2, n2v) = if done.len() == ts.len() && !done.is_empty() {
                let x: Vec<f64> = done[0].samples.iter().map(|&s| s as f64).collect();
                let (v, a) = (rms(&done, |t| &t.dist_v), rms(&done, |t| &t.dist_a));
                let worst: Vec<f64> = v.iter().zip(&a).map(|(a, b)| a.max(*b)).collect();
                let last = *x.last().expect("checkpoints");
                for (j, &xj) in x.iter().enumerate() {
                    if xj >= last / 10.0 {
                        dg.push(i as u64);
                        dx.push(xj.ln());
                        dyv.push(v[j].ln());
                        dya.push(a[j].ln());
                    }
                }
                (first_below(&x, &worst, self.s.eps), first_below(&x, &v, self.s.eps))
            } else {
                (f64::NAN, f64::NAN)
            };
            q.insert(format!("n2@{label}"), n2);
            q.insert(format!("n2_v@{label}"), n2v);
            by_q.push(pt.point.q as u64);
            by_t.push(pt.point.t as u64);
            log_t.push((pt.point.t as f64).ln());
            log_q.push((pt.point.q as f64).ln());
            log_n2.push(n2.ln());
            log_n2v.push(n2v.ln());
            log_n1.push(n1.ln());
        }
        let undefined_if_any = |v: &[f64], x: f64| if v.iter().all(|y| y.is_finite()) { x } else { f64::NAN };
        q.insert("decay_v".into(), undefined_if_any(&dyv, within_slope(&dg, &dx, &dyv)));
        q.insert("decay_a".into(), undefined_if_any(&dya, within_slope(&dg, &dx, &dya)));
        let t2 = undefined_if_any(&log_n2, within_slope(&by_q, &log_t, &log_n2));
        let t1 = undefined_if_any(&log_n1, within_slope(&by_q, &log_t, &log_n1));
        q.insert("t_exponent_two".into(), t2);
        q.insert("q_exponent_two".into(), undefined_if_any(&log_n2v, within_slope(&by_t, &log_q, &log_n2v)));
        q.insert("t_exponent_one".into(), t1);
        q.insert("exponent_gap".into(), t1 - t2);
        q
    }

    fn figure(&self, points: &[PointTask], trials: &[Vec<&Trial>], result: &ClaimResult, path: &Path) -> Result<()> {
        // Panel 1: RMS dist_V against stage-two samples, one line per point, with the
        // fitted and predicted slopes drawn through the first point's last decade.
        let mut curves = Vec::new();
        let mut first_fit = None;
        // One Q (the task's, else the first) keeps the curves tellable apart; the fit uses all.
        let shown_q = if points.iter().any(|p| p.point.q == self.spec.task.q) { self.spec.task.q } else { points[0].point.q };
        for (i, (pt, ts)) in points.iter().zip(trials).filter(|(p, _)| p.point.q == shown_q).enumerate() {
            let done: Vec<&Trial> = ts.iter().copied().filter(|t| t.switched_at.is_some()).collect();
            if done.is_empty() {
                continue;
            }
            let x: Vec<f64> = done[0].samples.iter().map(|&s| s as f64).collect();
            let v = rms(&done, |t| &t.dist_v);
            if first_fit.is_none() {
                let last = *x.last().expect("checkpoints");
                let (lx, ly): (Vec<f64>, Vec<f64>) =
                    x.iter().zip(&v).filter(|(a, _)| **a >= last / 10.0).map(|(a, b)| (a.ln(), b.ln())).unzip();
                first_fit = Some((x.clone(), ols(&lx, &ly).0));
            }
            curves.push(Series::line(pt.point.label(), i, x.into_iter().zip(v).collect()));
        }
        let decay = result.q("decay_v").map_or(f64::NAN, |e| e.value);
        if let Some((x, _)) = &first_fit {
            let last = *x.last().expect("checkpoints");
            let anchor = curves[0].points.last().expect("points").1;
            let through = |slope: f64| vec![(last / 10.0, anchor * 10f64.powf(-slope)), (last, anchor)];
            curves.push(Series::line(format!("fitted slope {decay:.3} (all points)"), 7, through(decay)));
            let pred = result.spec.checks.iter().find(|c| c.quantity == "decay_v").map_or(-0.5, |c| c.predict);
            curves.push(Series::dashed(format!("predicted slope {pred}"), 6, through(pred)));
        }
        let p1 = Panel {
            title: format!("stage two: RMS dist_V after the switch (Q={shown_q} shown)"),
            x_label: "stage-two samples".into(),
            y_label: "RMS |V-P|/|P| over trials".into(),
            x_log: true,
            y_log: true,
            series: curves,
            ..Default::default()
        };
        // Panel 2: samples against T for stage one and stage two, per Q.
        let mut series = Vec::new();
        let mut qs: Vec<usize> = points.iter().map(|p| p.point.q).collect();
        qs.sort_unstable();
        qs.dedup();
        for (j, qv) in qs.iter().enumerate() {
            for (key, what, col) in [("stage_one", "stage one", j), ("n2", "stage two to eps", j + 3)] {
                let mut pts = Vec::new();
                let mut errs = Vec::new();
                // Q's side by side around each T: stage one does not depend on Q, so its
                // points would otherwise sit on top of each other.
                let nudge = 1.0 + 0.05 * (j as f64 - (qs.len() as f64 - 1.0) / 2.0);
                for pt in points.iter().filter(|p| p.point.q == *qv) {
                    if let Some(e) = result.q(&format!("{key}@{}", pt.point.label())) {
                        pts.push((pt.point.t as f64 * nudge, e.value));
                        errs.push((e.lo, e.hi));
                    }
                }
                series.push(Series::points(format!("{what}, Q={qv}"), col, pts, Some(errs)));
            }
        }
        let e = |k: &str| result.q(k).map_or(f64::NAN, |e| e.value);
        let p2 = Panel {
            title: format!("T exponents: stage one {:.2}, stage two {:.2}", e("t_exponent_one"), e("t_exponent_two")),
            x_label: "context length T".into(),
            y_label: format!("samples (stage two: to max dist <= {})", self.s.eps),
            x_log: true,
            y_log: true,
            series,
            ..Default::default()
        };
        report::draw(path, &super::figure_title(result), &[p1, p2])
    }
}
