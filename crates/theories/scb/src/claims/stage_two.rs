//! Claim stage_two: from a warm start (corr_V = corr_A = 0.5, so the switch rule does not
//! enter), ScbProx's stage two reaches dist_V, dist_A <= eps after a number of samples that
//! grows as Q (the inverse attention energy) and at most as log T, and the distances then
//! decay at the statistical rate samples^-1/2.
//!
//! Derivation. Near the truth the loss is quadratic. V's preconditioned gradient noise per
//! sample is `(alpha C + omega mu mu^T)^{-1}` applied to `r h^T`; with the support found,
//! `alpha = sum_k mu_k ||a_k||^2 = 1/Q` for uniform weights, so V's noise variance (and the
//! samples to reach a fixed distance) scale as `1/alpha = Q`. A's dual average carries
//! noise `sigma_k sqrt(4/(3t))`; its error lives on the Q support entries once the
//! threshold has removed the other T - Q, and the threshold's `sqrt(2 ln T)` is the only
//! place T enters: at most a `log T` factor, which over T = 16..256 reads as a power of at
//! most `ln(ln 256 / ln 16) / ln 16 = 0.25`. With steps `2/(t+2)` the iterate is a
//! weighted average of unbiased one-step targets, so `dist^2 ~ 1/t` (statistical rate).
//!
//! A trial runs stage two from the warm start, records the samples at which
//! max(dist_V, dist_A) first falls to eps (interpolated in log dist within the step), and
//! both distances at log-spaced checkpoints.

use super::{axis, Scb, SECTIONS};
use crate::learners::{LearnerConfig, ProxConfig, SwitchRule};
use crate::metrics::{dist_a, dist_v};
use crate::model::Population;
use crate::task::Task;
use crate::train::{check_batch, check_samples};
use crate::train::{drive, Event, Flow, RunConfig};
use scb_harness::claims::figures::{ci, per_point};
use scb_harness::claims::{At, Quantity, TypedClaim};
use scb_harness::config::{Valid, Validate};
use scb_harness::error::{check_range, invalid, Result};
use scb_harness::grid::Point;
use scb_harness::report::{Panel, Series};
use scb_harness::result::ClaimResult;
use scb_harness::spec::ClaimSpec;
use scb_harness::stats::{censored_median, within_slope, Quantities};
use scb_harness::watch::LogSpaced;
use serde::{Deserialize, Serialize};

/// The `[settings]` of a `stage_two` spec.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Samples per step.
    pub batch: usize,
    /// Samples per trial (the decay is fitted over the last decade of them).
    pub samples: u64,
    /// The distance level for "samples to reach dist <= eps".
    pub eps: f64,
    /// corr_V and corr_A of the warm start.
    pub corr_v: f64,
    /// The warm start's corr_A.
    pub corr_a: f64,
    /// Checkpoints per decade of samples.
    pub checkpoints_per_decade: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { batch: 1024, samples: 1_000_000, eps: 0.05, corr_v: 0.5, corr_a: 0.5, checkpoints_per_decade: 8 }
    }
}

/// One trial: stage two from a warm start, with distances at log-spaced checkpoints.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trial {
    /// Samples until max(dist_V, dist_A) <= eps; None if not within the budget.
    pub hit: Option<f64>,
    /// Samples at each checkpoint, and the distances there.
    pub samples: Vec<u64>,
    /// dist_V at each checkpoint.
    pub dist_v: Vec<f64>,
    /// dist_A at each checkpoint.
    pub dist_a: Vec<f64>,
}

scb_harness::validated!(Settings);

impl Validate for Settings {
    fn validate(&self) -> Result<()> {
        check_batch("settings.batch", self.batch)?;
        // Ten batches at least: the decay is fitted over the last decade of checkpoints.
        check_samples("settings.samples", self.samples, 10 * self.batch as u64)?;
        check_range("settings.eps", self.eps, 0.0, 1.0, true)?;
        check_range("settings.corr_v", self.corr_v, 0.0, 1.0, false)?;
        check_range("settings.corr_a", self.corr_a, 0.0, 1.0, false)?;
        if self.checkpoints_per_decade < 2 {
            return Err(invalid("settings.checkpoints_per_decade", "must be a whole number >= 2"));
        }
        Ok(())
    }
}

/// The claim `stage_two`: from a warm start, samples to eps grow as Q and at most as log T, and the distance falls as samples^-1/2.
pub struct StageTwo {
    scb: Scb,
    s: Valid<Settings>,
}

impl StageTwo {
    /// Checkpoints in steps: log-spaced, deduplicated, ending at the last step.
    fn checkpoints(&self) -> Vec<u64> {
        let steps = self.s.samples / self.s.batch as u64;
        let mut v = LogSpaced::new(self.s.checkpoints_per_decade).before(steps);
        v.push(steps);
        v
    }

    /// The learner as specified, started in stage two.
    fn learner(&self) -> LearnerConfig {
        match &*self.scb.algorithm {
            LearnerConfig::ScbProx(c) => LearnerConfig::ScbProx(ProxConfig { switch: SwitchRule::Budget { samples: 0 }, ..c.clone() }),
            other => other.clone(),
        }
    }
}

/// RMS over trials of `f(trial)[j]`, per checkpoint j.
fn rms(ts: &[&Trial], f: fn(&Trial) -> &Vec<f64>) -> Vec<f64> {
    let len = ts.iter().map(|t| f(t).len()).min().unwrap_or(0);
    (0..len).map(|j| (ts.iter().map(|t| f(t)[j].powi(2)).sum::<f64>() / ts.len() as f64).sqrt()).collect()
}

// The quantities this claim computes, each declared once.
const DECAY_V: Quantity = Quantity::new("decay_v", "exponent of samples in RMS dist_V over the last decade (one intercept per point)");
const DECAY_A: Quantity = Quantity::new("decay_a", "exponent of samples in RMS dist_A over the last decade, points with Q >= 2 (one intercept per point; at Q = 1 the clipped, rescaled a_k is exactly q_k once its support is found, so dist_A is 0 and has no rate)");
const T_EXPONENT: Quantity = Quantity::new("t_exponent", "exponent of T in the median samples to max(dist_V, dist_A) <= eps (one intercept per Q)");
const Q_EXPONENT: Quantity = Quantity::new("q_exponent", "exponent of Q in the median samples to max(dist_V, dist_A) <= eps (one intercept per T)");
const N_EPS: Quantity = Quantity::new("n_eps", "median samples to max(dist_V, dist_A) <= eps, per point (n_eps@point)");
const FINAL_DIST: Quantity = Quantity::new("final_dist", "RMS over trials of max(dist_V, dist_A) at the end of the budget, per point (final_dist@point)");

impl TypedClaim for StageTwo {
    const ID: &'static str = "stage_two";
    const ABOUT: &'static str = "stage two from a warm start: samples to eps grow as Q and at most as log T; dist ~ samples^-1/2";
    const QUANTITIES: &'static [Quantity] = &[DECAY_V, DECAY_A, T_EXPONENT, Q_EXPONENT, N_EPS, FINAL_DIST];
    const SECTIONS: &'static [&'static str] = SECTIONS;
    type Context = Task;
    type Trial = Trial;

    fn new(spec: &ClaimSpec) -> Result<Self> {
        let s: Valid<Settings> = spec.validated("settings")?;
        Ok(StageTwo { scb: Scb::from(spec, false)?, s })
    }
    super::scb_setting!();

    fn run_trial(&self, at: &At<Task>, seed: u64) -> Trial {
        let task = &at.ctx;
        let mut params = crate::init::warm(task, self.s.corr_v, self.s.corr_a, &mut scb_harness::rng::rng(seed, scb_harness::rng::stream::INIT));
        let mut learner = self.learner().build(task);
        let pop = Population::new(task);
        let event = Event::Dist(self.s.eps);
        let marks = self.checkpoints();
        let mut out = Trial { hit: None, samples: vec![], dist_v: vec![], dist_a: vec![] };
        let mut next = 0;
        let mut prev = event.value(&params, &pop);
        // A non-finite distance (a blow-up) is recorded as a large one, so JSON keeps it.
        let clean = |x: f64| if x.is_finite() { x } else { 1e300 };
        let b = self.s.batch as f64;
        let last = *marks.last().expect("nonempty") * self.s.batch as u64;
        let run = RunConfig { samples: last, batch: self.s.batch, seed, rows_per_decade: 1, population: false };
        drive(task, learner.as_mut(), &mut params, &run, |v| {
            let (dv, da) = (clean(dist_v(v.params, task)), clean(dist_a(v.params, task)));
            let now = dv.max(da);
            if out.hit.is_none() && event.reached(now) {
                out.hit = Some((v.step - 1) as f64 * b + event.crossing(prev, now) * b);
            }
            prev = now;
            if v.step == marks[next] {
                out.samples.push(v.samples);
                out.dist_v.push(dv);
                out.dist_a.push(da);
                next += 1;
            }
            Flow::Go
        });
        out
    }

    fn estimate(&self, points: &[&At<Task>], trials: &[Vec<&Trial>]) -> Quantities {
        let mut q = Quantities::new();
        let (mut dg, mut dx, mut dyv) = (vec![], vec![], vec![]);
        let (mut ag, mut ax, mut aya) = (vec![], vec![], vec![]);
        let (mut by_q, mut by_t, mut log_t, mut log_q, mut log_n) = (vec![], vec![], vec![], vec![], vec![]);
        for (i, (at, ts)) in points.iter().zip(trials).enumerate() {
            let n = censored_median(ts.iter().map(|t| t.hit));
            q.insert(N_EPS.at(&at.point), n);
            let x: Vec<f64> = ts[0].samples.iter().map(|&s| s as f64).collect();
            let (v, a) = (rms(ts, |t| &t.dist_v), rms(ts, |t| &t.dist_a));
            let worst: Vec<f64> = ts.iter().map(|t| t.dist_v.last().expect("checkpoints").max(*t.dist_a.last().expect("checkpoints"))).collect();
            q.insert(FINAL_DIST.at(&at.point), (worst.iter().map(|x| x * x).sum::<f64>() / worst.len() as f64).sqrt());
            let last = *x.last().expect("checkpoints");
            let qv = at.point.at(axis::Q);
            for (j, &xj) in x.iter().enumerate() {
                if xj >= last / 10.0 {
                    dg.push(i as u64);
                    dx.push(xj.ln());
                    dyv.push(v[j].ln());
                    if qv >= 2.0 {
                        ag.push(i as u64);
                        ax.push(xj.ln());
                        aya.push(a[j].ln());
                    }
                }
            }
            by_q.push(qv as u64);
            by_t.push(at.point.at(axis::T) as u64);
            log_t.push(at.point.at(axis::T).ln());
            log_q.push(qv.ln());
            log_n.push(n.ln());
        }
        q.insert(DECAY_V.into(), within_slope(&dg, &dx, &dyv));
        q.insert(DECAY_A.into(), within_slope(&ag, &ax, &aya));
        q.insert(T_EXPONENT.into(), within_slope(&by_q, &log_t, &log_n));
        q.insert(Q_EXPONENT.into(), within_slope(&by_t, &log_q, &log_n));
        q
    }

    fn panels(&self, points: &[&At<Task>], trials: &[Vec<&Trial>], result: &ClaimResult) -> Vec<Panel> {
        // Panel 1: RMS max distance against samples, one line per T at the largest Q, with
        // the predicted slope drawn through the last checkpoint of the first line.
        let shown_q = points.iter().map(|a| a.point.at(axis::Q)).fold(1.0, f64::max);
        let mut curves = Vec::new();
        for (i, (at, ts)) in points.iter().zip(trials).filter(|(a, _)| a.point.at(axis::Q) == shown_q).enumerate() {
            let x = ts[0].samples.iter().map(|&s| s as f64);
            let (v, a) = (rms(ts, |t| &t.dist_v), rms(ts, |t| &t.dist_a));
            let worst = v.iter().zip(&a).map(|(v, a)| v.max(*a));
            curves.push(Series::line(format!("T={}", at.point.at(axis::T)), i, x.zip(worst).collect()));
        }
        if let Some(&(xl, yl)) = curves.first().and_then(|c| c.points.last()) {
            let pred = result.predicted(DECAY_V).unwrap_or(-0.5);
            curves.push(Series::dashed(format!("predicted slope {pred}"), 7, vec![(xl / 100.0, yl * 100f64.powf(-pred)), (xl, yl)]));
        }
        let eps_line = curves.first().map_or(vec![], |c| vec![(c.points[0].0, self.s.eps), (c.points.last().expect("points").0, self.s.eps)]);
        curves.push(Series::dashed(format!("eps = {}", self.s.eps), 6, eps_line));
        let p1 = Panel {
            title: format!("RMS max(dist_V, dist_A), Q={shown_q}: decay {:.2} (V), {:.2} (A)", result.value(DECAY_V), result.value(DECAY_A)),
            x_label: "samples".into(),
            y_label: "RMS over trials".into(),
            x_log: true,
            y_log: true,
            series: curves,
            ..Default::default()
        };
        // Panel 2: samples to eps against T, one series per Q, with the prediction: flat in T
        // and proportional to Q^q_exponent, anchored at the smallest Q's geometric mean.
        let mut qs: Vec<f64> = points.iter().map(|a| a.point.at(axis::Q)).collect();
        qs.sort_by(f64::total_cmp);
        qs.dedup();
        let pts: Vec<Point> = points.iter().map(|a| a.point.clone()).collect();
        let mut series: Vec<Series> = qs
            .iter()
            .enumerate()
            .map(|(j, qv)| {
                per_point(result, N_EPS, pts.iter().filter(|p| p.at(axis::Q) == *qv).cloned(), |p| p.at(axis::T), format!("Q={qv} {}", ci(result)), j)
            })
            .collect();
        let q_pred = result.predicted(Q_EXPONENT).unwrap_or(1.0);
        let ts: Vec<f64> = pts.iter().map(|p| p.at(axis::T)).collect();
        let (t0, t1) = (ts.iter().cloned().fold(f64::INFINITY, f64::min), ts.iter().cloned().fold(0.0, f64::max));
        let base: Vec<f64> = pts.iter().filter(|p| p.at(axis::Q) == qs[0]).filter_map(|p| result.at(N_EPS, p)).map(|e| e.value.ln()).collect();
        if !base.is_empty() {
            let anchor = (base.iter().sum::<f64>() / base.len() as f64).exp();
            for (j, qv) in qs.iter().enumerate() {
                let y = anchor * (qv / qs[0]).powf(q_pred);
                let label = if j == 0 { format!("predicted: flat in T, x Q^{q_pred}") } else { String::new() };
                series.push(Series::dashed(label, j, vec![(t0, y), (t1, y)]));
            }
        }
        let p2 = Panel {
            title: format!("samples to dist <= {}: T exponent {:.2}, Q exponent {:.2}", self.s.eps, result.value(T_EXPONENT), result.value(Q_EXPONENT)),
            x_label: "context length T".into(),
            y_label: "samples (median over trials)".into(),
            x_log: true,
            y_log: true,
            series,
            ..Default::default()
        };
        vec![p1, p2]
    }
}
