//! Claim transfer: fine-tuning from a pretrained V whose centred correlation with the
//! downstream P is rho (A uniform) bypasses stage one. With V frozen and A learned by
//! stage-two dual averaging, the samples to corr_A >= c grow at most as log T for
//! nontrivial rho, as rho^-2, and as the predicted n(rho) to within a factor of 4; at
//! rho = 0 the procedure falls back to training from scratch, at about its cost.
//!
//! Derivation of n(rho). With V fixed, the one-step target for query k is the least-squares
//! attention given V: `y_k = (s/c1) q_k + beta 1` plus noise, with `c1 = tr(V C V^T)` and
//! `s = <V, P C>`; the pretrained V has `s ~ rho c1`, so each support entry carries signal
//! `rho/Q`. One batch's preconditioned gradient has per-entry noise
//! `sqrt(Var(d) / (B mu_k)) / c1` (d: one per-sample attention-gradient entry, pooled over
//! queries), and the dual average of t batches `sqrt(4/(3t))` times that, so after
//! n = tB samples the noise is `sqrt(4 Var(d) / (3 n mu_k)) / c1`. The support of query k
//! separates from the noise once the signal exceeds the universal threshold
//! `noise * sqrt(2 ln T)`: `n >= (8/3) ln T Q^2 Var(d) / (rho^2 c1^2 mu_k)`. The switch
//! needs 90% of the mu-mass, so the slowest query that counts has `mu_k = mu_*`, the
//! 90%-mass quantile of mu. Only the `ln T` carries T.
//!
//! The fallback. At rho = 0 the pretrained V carries no signal and no support stabilises.
//! The budget after which V is unfrozen is the prediction for the smallest nontrivial rho
//! the claim is about (`fallback_rho`), times the factor the prediction is trusted to
//! (`fallback_factor`); a correct transfer at that rho finishes inside it. So the cost at
//! rho = 0 is that budget plus the cost from scratch: "about the cost of scratch" holds only
//! where the budget is small next to it (quantity `zero_vs_scratch` against
//! `after_fallback_vs_scratch`).
//!
//! A trial at (T, rho) runs the transfer; at rho = 0 it also trains from scratch on the
//! same task, as the reference cost.

use super::{axis, Scb, SECTIONS};
use crate::learners::{FreezeV, LearnerConfig, ProxConfig, SwitchRule};
use crate::model::Params;
use crate::task::Task;
use crate::train::check_batch;
use crate::train::{samples_to, Event, RunConfig};
use scb_harness::claims::figures::{ci, per_point};
use scb_harness::claims::{At, Quantity, TypedClaim};
use scb_harness::config::{Valid, Validate};
use scb_harness::error::{check_range, invalid, Result};
use scb_harness::grid::Point;
use scb_harness::report::{Panel, Series};
use scb_harness::result::ClaimResult;
use scb_harness::spec::ClaimSpec;
use scb_harness::stats::{censored_median, ols, within_slope, Quantities};
use serde::{Deserialize, Serialize};

/// How the pretrained model is fine-tuned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Procedure {
    /// V frozen, A by dual averaging until the support is stable, then both (docs/theory.md §3).
    FreezeV,
    /// The refuted form: stage two on V and A at once. Its first V-step, at uniform
    /// attention, is stage one's high-variance regression and wipes out the pretrained V.
    Joint,
}

/// The `[settings]` of a `transfer` spec.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Samples per step.
    pub batch: usize,
    /// The attention-correlation level to reach.
    pub c: f64,
    /// A run that has not reached `c` after this many samples is censored.
    pub max_samples: u64,
    /// rho at or above this counts as nontrivial for the T exponent.
    pub rho_nontrivial: f64,
    /// How the pretrained model is fine-tuned.
    pub procedure: Procedure,
    /// The fallback budget is `fallback_factor * n(fallback_rho)`.
    pub fallback_rho: f64,
    /// The multiple of `n(fallback_rho)` after which a frozen V is released.
    pub fallback_factor: f64,
    /// Samples of the batch that estimates Var(d) at the start.
    pub variance_samples: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            batch: 256,
            c: 0.9,
            max_samples: 2_000_000,
            rho_nontrivial: 0.5,
            procedure: Procedure::FreezeV,
            fallback_rho: 0.25,
            fallback_factor: 4.0,
            variance_samples: 16384,
        }
    }
}

/// One trial: a pretrained model of the point's rho fine-tuned until corr_A reaches c.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trial {
    /// Samples until corr_A >= c (interpolated within the step); None if censored.
    pub transfer: Option<f64>,
    /// The predicted n(rho) at rho = 1 for this trial's start: n(rho) = this / rho^2.
    pub predicted_at_1: f64,
    /// Samples at which V was unfrozen for want of a stable support, if it was.
    pub fell_back_at: Option<u64>,
    /// At rho = 0 only: the samples to corr_A >= c from scratch (one entry; None if censored).
    pub scratch: Vec<Option<f64>>,
    /// The pretrained V's centred correlation with P, measured at the start.
    pub start_corr: f64,
}

scb_harness::validated!(Settings);

impl Validate for Settings {
    fn validate(&self) -> Result<()> {
        check_batch("settings.batch", self.batch)?;
        check_range("settings.c", self.c, 0.0, 1.0, true)?;
        check_range("settings.rho_nontrivial", self.rho_nontrivial, 0.0, 1.0, true)?;
        check_range("settings.fallback_rho", self.fallback_rho, 0.0, 1.0, true)?;
        check_range("settings.fallback_factor", self.fallback_factor, 0.0, 1e6, true)?;
        Ok(())
    }
}

/// The claim `transfer`: fine-tuning from a correlated pretrained V bypasses stage one, at a cost of about n(rho).
pub struct Transfer {
    scb: Scb,
    s: Valid<Settings>,
}

pub use crate::statistics::mu_q90 as mu_star;

/// n(rho) at rho = 1, `(8/3) ln T Q^2 Var(d) / (c1^2 mu_*)`, at the start `params`: Var(d)
/// from one large batch of the `seed`'s own stream, c1 = tr(V C V^T).
pub fn predicted_at_1(task: &Task, params: &Params, samples: usize, seed: u64) -> f64 {
    let var_d = crate::statistics::attention_noise(task, params, samples, seed);
    let c1 = crate::model::Population::new(task).scalars(params.v()).0;
    let (t, q) = (task.t as f64, task.q as f64);
    8.0 / 3.0 * t.ln() * q * q * var_d / (c1 * c1 * mu_star(task))
}

impl Transfer {
    /// Samples until corr_A >= c from `init`, and when V was unfrozen, if it was.
    fn hit(&self, task: &Task, learner: &LearnerConfig, mut init: Params, seed: u64) -> (Option<f64>, Option<u64>) {
        let mut l = learner.build(task);
        let run = RunConfig { samples: self.s.max_samples, batch: self.s.batch, seed, rows_per_decade: 1, population: false };
        let n = samples_to(task, l.as_mut(), &mut init, &run, Event::CorrA(self.s.c), false);
        (n, l.fell_back_at())
    }

    /// The learner for the transfer: the spec's ScbProx with V frozen (and the fallback
    /// budget), or started in stage two for the joint procedure.
    fn transfer_learner(&self, fallback_samples: u64) -> LearnerConfig {
        match (&*self.scb.algorithm, self.s.procedure) {
            (LearnerConfig::ScbProx(c), Procedure::FreezeV) => LearnerConfig::ScbProx(ProxConfig { freeze_v: Some(FreezeV { fallback_samples }), ..c.clone() }),
            (LearnerConfig::ScbProx(c), Procedure::Joint) => LearnerConfig::ScbProx(ProxConfig { switch: SwitchRule::Budget { samples: 0 }, ..c.clone() }),
            (other, _) => other.clone(),
        }
    }
}

/// Geometric mean of finite values; NaN if any is not finite or there are none.
fn gmean(v: &[f64]) -> f64 {
    if v.is_empty() || !v.iter().all(|x| x.is_finite() && *x > 0.0) {
        return f64::NAN;
    }
    (v.iter().map(|x| x.ln()).sum::<f64>() / v.len() as f64).exp()
}

// The quantities this claim computes, each declared once.
const T_EXPONENT_TRANSFER: Quantity =
    Quantity::new("t_exponent_transfer", "exponent of T in the transfer's median samples to corr_A >= c, over nontrivial rho (one intercept per rho)");
const RHO_EXPONENT: Quantity = Quantity::new("rho_exponent", "exponent of rho in the transfer's median samples, over rho > 0 (one intercept per T)");
const PRED_RATIO: Quantity = Quantity::new("pred_ratio", "measured over predicted n(rho), per point with rho > 0 (pred_ratio@point)");
const ZERO_VS_SCRATCH: Quantity = Quantity::new("zero_vs_scratch", "transfer samples at rho = 0 over samples from scratch, geometric mean over T");
const AFTER_FALLBACK_VS_SCRATCH: Quantity =
    Quantity::new("after_fallback_vs_scratch", "at rho = 0, samples from the fallback to corr_A >= c over samples from scratch, geometric mean over T");
const T_EXPONENT_SCRATCH: Quantity = Quantity::new("t_exponent_scratch", "exponent of T in the samples to corr_A >= c from scratch (at the rho = 0 points)");
const TRANSFER: Quantity = Quantity::new("transfer", "median samples of the transfer to corr_A >= c, per point (transfer@point)");
const FALLBACK: Quantity = Quantity::new("fallback", "share of trials that fell back to stage one, per point (fallback@point)");
const PREDICTED: Quantity = Quantity::new("predicted", "the predicted n(rho), per point with rho > 0 (predicted@point)");
const SCRATCH: Quantity = Quantity::new("scratch", "median samples to corr_A >= c from scratch, per point at rho = 0 (scratch@point)");
const T_EXPONENT: Quantity = Quantity::new("t_exponent", "exponent of T in the transfer's median samples at one rho (t_exponent@rho=...)");
const START_CORR: Quantity =
    Quantity::new("start_corr", "the pretrained V's centred correlation with P at the start, over rho, per point with rho > 0 (start_corr@point)");

impl TypedClaim for Transfer {
    const ID: &'static str = "transfer";
    const ABOUT: &'static str = "fine-tuning from a correlated pretrained V bypasses stage one; cost ~ n(rho)";
    const QUANTITIES: &'static [Quantity] = &[
        T_EXPONENT_TRANSFER,
        RHO_EXPONENT,
        PRED_RATIO,
        ZERO_VS_SCRATCH,
        AFTER_FALLBACK_VS_SCRATCH,
        T_EXPONENT_SCRATCH,
        TRANSFER,
        FALLBACK,
        PREDICTED,
        SCRATCH,
        T_EXPONENT,
        START_CORR,
    ];
    const SECTIONS: &'static [&'static str] = SECTIONS;
    type Context = Task;
    type Trial = Trial;

    fn new(spec: &ClaimSpec) -> Result<Self> {
        let s: Valid<Settings> = spec.validated("settings")?;
        let scb = Scb::from(spec, true)?;
        if s.variance_samples < 2 * scb.task.n.max(2) {
            return Err(invalid("settings.variance_samples", "must be at least 2N"));
        }
        for (field, g) in spec.grids() {
            if g.get(axis::RHO).is_none_or(|v| v.is_empty()) {
                return Err(invalid(format!("{field}.rho"), "transfer needs a list of rho values in [0, 1]"));
            }
        }
        Ok(Transfer { scb, s })
    }
    super::scb_setting!();

    fn run_trial(&self, at: &At<Task>, seed: u64) -> Trial {
        let task = &at.ctx;
        let rho = at.point.at(axis::RHO);
        let init = crate::init::transfer(task, rho, &mut scb_harness::rng::rng(seed, scb_harness::rng::stream::INIT));
        let start_corr = crate::metrics::corr_v(init.v(), task);
        let at_1 = predicted_at_1(task, &init, self.s.variance_samples, seed);
        let budget = (self.s.fallback_factor * at_1 / (self.s.fallback_rho * self.s.fallback_rho)).ceil() as u64;
        let (transfer, fell_back_at) = self.hit(task, &self.transfer_learner(budget), init, seed);
        let scratch = if rho == 0.0 {
            let from = Params::uninformative(task.n, task.t);
            vec![self.hit(task, &self.scb.algorithm, from, scb_harness::rng::derive(seed, scb_harness::rng::stream::SCRATCH)).0]
        } else {
            vec![]
        };
        Trial { transfer, predicted_at_1: at_1, fell_back_at, scratch, start_corr }
    }

    fn estimate(&self, points: &[&At<Task>], trials: &[Vec<&Trial>]) -> Quantities {
        let mut q = Quantities::new();
        let (mut g_rho, mut x_t, mut y_t) = (vec![], vec![], vec![]);
        let (mut g_t, mut x_rho, mut y_rho) = (vec![], vec![], vec![]);
        let (mut zero, mut after, mut scratch_t, mut scratch_n) = (vec![], vec![], vec![], vec![]);
        for (at, ts) in points.iter().zip(trials) {
            let rho = at.point.at(axis::RHO);
            let m = censored_median(ts.iter().map(|x| x.transfer));
            q.insert(TRANSFER.at(&at.point), m);
            q.insert(FALLBACK.at(&at.point), ts.iter().filter(|x| x.fell_back_at.is_some()).count() as f64 / ts.len() as f64);
            if rho > 0.0 {
                let pred = ts.iter().map(|x| x.predicted_at_1).sum::<f64>() / ts.len() as f64 / (rho * rho);
                q.insert(PREDICTED.at(&at.point), pred);
                q.insert(PRED_RATIO.at(&at.point), m / pred);
                q.insert(START_CORR.at(&at.point), ts.iter().map(|x| x.start_corr).sum::<f64>() / ts.len() as f64 / rho);
                g_t.push(at.point.at(axis::T) as u64);
                x_rho.push(rho.ln());
                y_rho.push(m.ln());
            } else {
                let s = censored_median(ts.iter().flat_map(|x| x.scratch.iter().copied()));
                q.insert(SCRATCH.at(&at.point), s);
                zero.push(m / s);
                let since = |x: &&Trial| x.transfer.map(|n| n - x.fell_back_at.map_or(0.0, |f| f as f64));
                after.push(censored_median(ts.iter().map(since)) / s);
                scratch_t.push(at.point.at(axis::T).ln());
                scratch_n.push(s.ln());
            }
            if rho >= self.s.rho_nontrivial {
                g_rho.push(rho.to_bits());
                x_t.push(at.point.at(axis::T).ln());
                y_t.push(m.ln());
            }
        }
        q.insert(T_EXPONENT_TRANSFER.into(), within_slope(&g_rho, &x_t, &y_t));
        q.insert(RHO_EXPONENT.into(), within_slope(&g_t, &x_rho, &y_rho));
        q.insert(ZERO_VS_SCRATCH.into(), gmean(&zero));
        q.insert(AFTER_FALLBACK_VS_SCRATCH.into(), gmean(&after));
        q.insert(T_EXPONENT_SCRATCH.into(), ols(&scratch_t, &scratch_n).1);
        // Per-rho T exponents, for the figure: where the transfer stops growing with T.
        let mut rhos: Vec<f64> = points.iter().map(|a| a.point.at(axis::RHO)).collect();
        rhos.sort_by(f64::total_cmp);
        rhos.dedup();
        for r in rhos {
            let (xs, ys): (Vec<f64>, Vec<f64>) =
                points.iter().filter(|a| a.point.at(axis::RHO) == r).map(|a| (a.point.at(axis::T).ln(), q[&TRANSFER.at(&a.point)].ln())).unzip();
            q.insert(T_EXPONENT.at_coord("rho", r), ols(&xs, &ys).1);
        }
        q
    }

    fn panels(&self, points: &[&At<Task>], _: &[Vec<&Trial>], result: &ClaimResult) -> Vec<Panel> {
        let pts: Vec<Point> = points.iter().map(|a| a.point.clone()).collect();
        let mut rhos: Vec<f64> = pts.iter().map(|p| p.at(axis::RHO)).collect();
        rhos.sort_by(f64::total_cmp);
        rhos.dedup();
        let at_rho = |r: f64| pts.iter().filter(move |p| p.at(axis::RHO) == r).cloned();
        let t = |p: &Point| p.at(axis::T);
        let mut series = Vec::new();
        if rhos.first() == Some(&0.0) {
            series.push(per_point(result, SCRATCH, at_rho(0.0), t, "from scratch", 7));
        }
        for (i, r) in rhos.iter().enumerate() {
            series.push(per_point(result, TRANSFER, at_rho(*r), t, format!("rho={r}"), i));
            if *r > 0.0 {
                let mut pred = per_point(result, PREDICTED, at_rho(*r), t, format!("n({r}) predicted"), i);
                pred.mark = scb_harness::report::figure::Mark::Dashed;
                pred.err = None;
                series.push(pred);
            }
        }
        let p1 = Panel {
            title: format!("samples to corr_A >= {} (median, {:.0}% CI)", self.s.c, 100.0 * result.spec.level),
            x_label: "context length T".into(),
            y_label: "samples".into(),
            x_log: true,
            y_log: true,
            series,
            ..Default::default()
        };
        type Xy = Vec<(f64, f64)>;
        let (ep, ee): (Xy, Xy) = rhos.iter().filter_map(|r| result.q(T_EXPONENT.at_coord("rho", r)).map(|e| ((*r, e.value), (e.lo, e.hi)))).unzip();
        let flat = |y: f64| vec![(rhos[0], y), (*rhos.last().expect("rho grid"), y)];
        let scratch = result.value(T_EXPONENT_SCRATCH);
        let mut p2_series =
            vec![Series::points(format!("transfer {}", ci(result)), 0, ep, Some(ee)), Series::dashed(format!("from scratch: {scratch:.2}"), 7, flat(scratch))];
        if let Some(c) = result.checks.iter().find(|c| c.spec.quantity == T_EXPONENT_TRANSFER.name) {
            let bound = c.prediction() + c.spec.tolerance;
            p2_series.push(Series::dashed(format!("claimed bound {bound}"), 6, flat(bound)));
        }
        let p2 = Panel {
            title: format!("T exponent by rho (rho exponent {:.2})", result.value(RHO_EXPONENT)),
            x_label: "correlation rho of the pretrained V with P".into(),
            y_label: "exponent of T".into(),
            series: p2_series,
            ..Default::default()
        };
        vec![p1, p2]
    }
}
