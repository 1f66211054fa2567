//! Claim two_stage: trained end to end from scratch, ScbProx's first stage costs samples
//! that grow with T and its second does not: the samples to the switch grow with T, the
//! samples from the switch to max(dist_V, dist_A) <= eps are flat in T, and so the stage-one
//! share of the total rises with T.
//!
//! Derivation. Stage one has to lift V from no correlation with P; its cost is that of
//! claim stage_one, linear in T (the noise energy of `h/mu` grows with T). The switch
//! fires once the top-Q supports are stable, which needs corr_V bounded away from 0, so
//! the samples to the switch inherit stage one's growth in T, diluted by a T-independent
//! part (the rule's patience, and the steps A needs once V is informative). From the
//! switch on, the run is the warm-started stage two of claim stage_two, whose cost grows
//! at most as log T. Small batches (256) make stage one span many steps, so its T
//! dependence is resolved, not quantised by the step count.
//!
//! A trial trains from the uninformative start and records the samples at the switch and
//! when max(dist_V, dist_A) first falls to eps in stage two (interpolated within the step).

use super::{axis, Scb, SECTIONS};
use crate::model::Params;
use crate::task::Task;
use crate::train::{check_batch, check_samples};
use crate::train::{samples_to, Event, RunConfig};
use scb_harness::claims::figures::{ci, per_point, slope_line};
use scb_harness::claims::{At, Quantity, TypedClaim};
use scb_harness::config::{Valid, Validate};
use scb_harness::error::{check_range, Result};
use scb_harness::grid::Point;
use scb_harness::report::{Panel, Series};
use scb_harness::result::ClaimResult;
use scb_harness::spec::ClaimSpec;
use scb_harness::stats::{censored_median, within_slope, Quantities};
use scb_harness::verdict::Kind;
use serde::{Deserialize, Serialize};

/// The `[settings]` of a `two_stage` spec.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Samples per step.
    pub batch: usize,
    /// A run that has not reached eps after this many samples is censored.
    pub max_samples: u64,
    /// The distance level: a run ends when max(dist_V, dist_A) <= eps.
    pub eps: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { batch: 256, max_samples: 2_000_000, eps: 0.05 }
    }
}

/// One trial: a run from scratch, where it switched and where it reached eps.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trial {
    /// Samples consumed at the switch to stage two.
    pub switched_at: Option<u64>,
    /// Samples until max(dist_V, dist_A) <= eps in stage two.
    pub hit: Option<f64>,
}

impl Trial {
    fn post(&self) -> Option<f64> {
        Some(self.hit? - self.switched_at? as f64)
    }
    fn share(&self) -> Option<f64> {
        Some(self.switched_at? as f64 / self.hit?)
    }
}

scb_harness::validated!(Settings);

impl Validate for Settings {
    fn validate(&self) -> Result<()> {
        check_batch("settings.batch", self.batch)?;
        check_samples("settings.max_samples", self.max_samples, self.batch as u64)?;
        check_range("settings.eps", self.eps, 0.0, 1.0, true)?;
        Ok(())
    }
}

/// The claim `two_stage`: from scratch, stage one's cost grows with T and stage two's does not.
pub struct TwoStage {
    scb: Scb,
    s: Valid<Settings>,
}

/// A trial's number of samples to an event, if it happened.
type Reading = fn(&Trial) -> Option<f64>;

/// Per point (median over trials, censored runs counted as +inf): samples to the switch,
/// from the switch to eps, and the stage-one share.
const PER_POINT: [(Quantity, Reading); 3] = [(N_SWITCH, |t| t.switched_at.map(|s| s as f64)), (N_POST, Trial::post), (SHARE, Trial::share)];

// The quantities this claim computes, each declared once.
const T_EXPONENT_SWITCH: Quantity = Quantity::new("t_exponent_switch", "exponent of T in the median samples to the switch (one intercept per N, Q)");
const T_EXPONENT_POST: Quantity = Quantity::new("t_exponent_post", "exponent of T in the median samples from the switch to max(dist_V, dist_A) <= eps");
const EXPONENT_GAP: Quantity = Quantity::new("exponent_gap", "t_exponent_switch - t_exponent_post");
const T_EXPONENT_SHARE: Quantity = Quantity::new("t_exponent_share", "exponent of T in the median stage-one share n_switch / n_total");
const N_SWITCH: Quantity = Quantity::new("n_switch", "median samples to the switch, per point (n_switch@point)");
const N_POST: Quantity = Quantity::new("n_post", "median samples from the switch to max(dist_V, dist_A) <= eps, per point (n_post@point)");
const SHARE: Quantity = Quantity::new("share", "median stage-one share n_switch / n_total, per point (share@point)");

impl TypedClaim for TwoStage {
    const ID: &'static str = "two_stage";
    const ABOUT: &'static str = "end to end from scratch: stage one's cost grows with T, stage two's does not";
    const QUANTITIES: &'static [Quantity] = &[T_EXPONENT_SWITCH, T_EXPONENT_POST, EXPONENT_GAP, T_EXPONENT_SHARE, N_SWITCH, N_POST, SHARE];
    const SECTIONS: &'static [&'static str] = SECTIONS;
    type Context = Task;
    type Trial = Trial;

    fn new(spec: &ClaimSpec) -> Result<Self> {
        let s: Valid<Settings> = spec.validated("settings")?;
        Ok(TwoStage { scb: Scb::from(spec, false)?, s })
    }
    super::scb_setting!();

    fn run_trial(&self, at: &At<Task>, seed: u64) -> Trial {
        let task = &at.ctx;
        let mut learner = self.scb.algorithm.build(task);
        let mut params = Params::uninformative(task.n, task.t);
        let run = RunConfig { samples: self.s.max_samples, batch: self.s.batch, seed, rows_per_decade: 1, population: false };
        let hit = samples_to(task, learner.as_mut(), &mut params, &run, Event::Dist(self.s.eps), true);
        Trial { switched_at: learner.switched_at(), hit }
    }

    fn estimate(&self, points: &[&At<Task>], trials: &[Vec<&Trial>]) -> Quantities {
        let mut q = Quantities::new();
        let groups: Vec<u64> = points.iter().map(|a| (a.point.at(axis::N) * 1024.0 + a.point.at(axis::Q)) as u64).collect();
        let log_t: Vec<f64> = points.iter().map(|a| a.point.at(axis::T).ln()).collect();
        let mut slopes = Vec::new();
        for (name, f) in PER_POINT {
            let med: Vec<f64> = trials.iter().map(|ts| censored_median(ts.iter().map(|t| f(t)))).collect();
            for (at, m) in points.iter().zip(&med) {
                q.insert(name.at(&at.point), *m);
            }
            let logs: Vec<f64> = med.iter().map(|m| m.ln()).collect();
            slopes.push(within_slope(&groups, &log_t, &logs));
        }
        q.insert(T_EXPONENT_SWITCH.into(), slopes[0]);
        q.insert(T_EXPONENT_POST.into(), slopes[1]);
        q.insert(EXPONENT_GAP.into(), slopes[0] - slopes[1]);
        q.insert(T_EXPONENT_SHARE.into(), slopes[2]);
        q
    }

    fn panels(&self, points: &[&At<Task>], _: &[Vec<&Trial>], result: &ClaimResult) -> Vec<Panel> {
        let pts: Vec<Point> = points.iter().map(|a| a.point.clone()).collect();
        let t = |p: &Point| p.at(axis::T);
        // The claim as guides through each series' first point: stage two inside the band of
        // its allowed exponents, stage one at least as steep as the gap requires.
        let bound = |q: Quantity, kind: Kind| result.spec.checks.iter().find(|c| c.quantity == q.name && c.kind == kind).and_then(|c| c.predict.value());
        let first = |key: Quantity| pts.first().and_then(|p| result.at(key, p)).map(|e| e.value);
        let (t0, t1) = (pts.iter().map(t).fold(f64::INFINITY, f64::min), pts.iter().map(t).fold(0.0, f64::max));
        let mut p1_series = vec![
            per_point(result, N_SWITCH, pts.clone(), t, format!("stage one: to the switch {}", ci(result)), 0),
            per_point(result, N_POST, pts.clone(), t, format!("stage two: switch to dist <= {}", self.s.eps), 1),
        ];
        if let Some(y0) = first(N_POST) {
            for (kind, word) in [(Kind::Below, "most"), (Kind::Above, "least")] {
                if let Some(b) = bound(T_EXPONENT_POST, kind) {
                    p1_series.push(Series::dashed(format!("claimed: T^{b} at {word}"), 1, slope_line(t0, y0, t1, b)));
                }
            }
        }
        if let (Some(y0), Some(gap)) = (first(N_SWITCH), bound(EXPONENT_GAP, Kind::Above)) {
            let slope = result.value(T_EXPONENT_POST) + gap;
            p1_series.push(Series::dashed(format!("claimed: at least T^{slope:.2} (gap {gap})"), 0, slope_line(t0, y0, t1, slope)));
        }
        let p1 = Panel {
            title: format!("T exponents: to the switch {:.2}, after it {:.2}", result.value(T_EXPONENT_SWITCH), result.value(T_EXPONENT_POST)),
            x_label: "context length T".into(),
            y_label: "samples (median over trials)".into(),
            x_log: true,
            y_log: true,
            series: p1_series,
            ..Default::default()
        };
        let mut share = vec![per_point(result, SHARE, pts.clone(), t, format!("median share {}", ci(result)), 2)];
        if let Some(y0) = first(SHARE) {
            share.push(Series::dashed("claimed: rising (slope 0 at least)", 2, slope_line(t0, y0, t1, 0.0)));
        }
        let p2 = Panel {
            title: format!("stage-one share of the samples: T exponent {:.2}", result.value(T_EXPONENT_SHARE)),
            x_label: "context length T".into(),
            y_label: "n_switch / n_total".into(),
            x_log: true,
            y_log: true,
            series: share,
            ..Default::default()
        };
        vec![p1, p2]
    }
}
