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
//! at the first step with max(dist_V, dist_A) <= eps.

use super::{Claim, ClaimResult, ClaimSpec, Kind, PointTask};
use crate::error::{check_range, invalid, Result};
use crate::metrics::{dist_a, dist_v};
use crate::model::Params;
use crate::report::{self, Panel, Series};
use crate::stats::{censored_median, within_slope, Quantities};
use crate::task::Batch;
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub batch: usize,
    /// A run that has not reached eps after this many samples is censored.
    pub max_samples: u64,
    pub eps: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { batch: 256, max_samples: 2_000_000, eps: 0.05 }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Trial {
    /// Samples consumed at the switch to stage two.
    pub switched_at: Option<u64>,
    /// Samples at the first step with max(dist_V, dist_A) <= eps.
    pub hit: Option<u64>,
}

impl Trial {
    fn post(&self) -> Option<f64> {
        Some((self.hit? - self.switched_at?) as f64)
    }
    fn share(&self) -> Option<f64> {
        Some(self.switched_at? as f64 / self.hit? as f64)
    }
}

pub struct TwoStage {
    spec: ClaimSpec,
    s: Settings,
}

/// Per point (median over trials, censored runs counted as +inf): samples to the switch,
/// from the switch to eps, and the stage-one share.
const PER_POINT: [(&str, fn(&Trial) -> Option<f64>); 3] =
    [("n_switch", |t| t.switched_at.map(|s| s as f64)), ("n_post", Trial::post), ("share", Trial::share)];

impl Claim for TwoStage {
    type Trial = Trial;
    const QUANTITIES: &'static [(&'static str, &'static str)] = &[
        ("t_exponent_switch", "exponent of T in the median samples to the switch (one intercept per N, Q)"),
        ("t_exponent_post", "exponent of T in the median samples from the switch to max(dist_V, dist_A) <= eps"),
        ("exponent_gap", "t_exponent_switch - t_exponent_post"),
        ("t_exponent_share", "exponent of T in the median stage-one share n_switch / n_total"),
    ];

    fn new(spec: &ClaimSpec) -> Result<Self> {
        let s: Settings = spec.settings()?;
        if s.batch < 1 {
            return Err(invalid("settings.batch", "must be an integer >= 1"));
        }
        if s.max_samples < s.batch as u64 {
            return Err(invalid("settings.max_samples", format!("must be at least one batch ({})", s.batch)));
        }
        check_range("settings.eps", s.eps, 0.0, 1.0, true)?;
        Ok(TwoStage { spec: spec.clone(), s })
    }

    fn run_trial(&self, pt: &PointTask, seed: u64) -> Trial {
        let task = &pt.task;
        let mut algo = self.spec.algorithm.build(task);
        let mut params = Params::uninformative(task.n, task.t);
        let mut rng = crate::rng::rng(seed, crate::rng::stream::DATA);
        let mut batch = Batch::new(self.s.batch, task.t);
        let mut used = 0;
        while used < self.s.max_samples {
            task.sample_into(&mut rng, &mut batch);
            algo.step(&mut params, &batch);
            used += self.s.batch as u64;
            if algo.stage() == 2 && dist_v(&params, task).max(dist_a(&params, task)) <= self.s.eps {
                return Trial { switched_at: algo.switched_at(), hit: Some(used) };
            }
        }
        Trial { switched_at: algo.switched_at(), hit: None }
    }

    fn estimate(&self, points: &[PointTask], trials: &[Vec<&Trial>]) -> Quantities {
        let mut q = Quantities::new();
        let groups: Vec<u64> = points.iter().map(|p| (p.point.n * 1024 + p.point.q) as u64).collect();
        let log_t: Vec<f64> = points.iter().map(|p| (p.point.t as f64).ln()).collect();
        let mut slopes = Vec::new();
        for (name, f) in PER_POINT {
            let med: Vec<f64> = trials.iter().map(|ts| censored_median(ts.iter().map(|t| f(t)))).collect();
            for (pt, m) in points.iter().zip(&med) {
                q.insert(format!("{name}@{}", pt.point.label()), *m);
            }
            let logs: Vec<f64> = med.iter().map(|m| m.ln()).collect();
            slopes.push(within_slope(&groups, &log_t, &logs));
        }
        q.insert("t_exponent_switch".into(), slopes[0]);
        q.insert("t_exponent_post".into(), slopes[1]);
        q.insert("exponent_gap".into(), slopes[0] - slopes[1]);
        q.insert("t_exponent_share".into(), slopes[2]);
        q
    }

    fn figure(&self, points: &[PointTask], _: &[Vec<&Trial>], result: &ClaimResult, path: &Path) -> Result<()> {
        let level = 100.0 * result.spec.level;
        let series_of = |key: &str, label: &str, color: usize| {
            let (pts, errs) = points
                .iter()
                .filter_map(|p| result.q(&format!("{key}@{}", p.point.label())).map(|e| ((p.point.t as f64, e.value), (e.lo, e.hi))))
                .unzip();
            Series::points(label, color, pts, Some(errs))
        };
        let e = |k: &str| result.q(k).map_or(f64::NAN, |e| e.value);
        // The claim as guides through each series' first point: stage two inside the band of
        // its allowed exponents, stage one at least as steep as the gap requires.
        let bound = |q: &str, kind: Kind| result.spec.checks.iter().find(|c| c.quantity == q && c.kind == kind).map(|c| c.predict);
        let first = |key: &str| points.first().and_then(|p| result.q(&format!("{key}@{}", p.point.label()))).map(|e| e.value);
        let ts: Vec<f64> = points.iter().map(|p| p.point.t as f64).collect();
        let (t0, t1) = (ts.iter().cloned().fold(f64::INFINITY, f64::min), ts.iter().cloned().fold(0.0, f64::max));
        let guide = |y0: f64, slope: f64| vec![(t0, y0), (t1, y0 * (t1 / t0).powf(slope))];
        let mut p1_series = vec![
            series_of("n_switch", &format!("stage one: to the switch ({level:.0}% CI)"), 0),
            series_of("n_post", &format!("stage two: switch to dist <= {}", self.s.eps), 1),
        ];
        if let Some(y0) = first("n_post") {
            for (kind, word) in [(Kind::Below, "most"), (Kind::Above, "least")] {
                if let Some(b) = bound("t_exponent_post", kind) {
                    p1_series.push(Series::dashed(format!("claimed: T^{b} at {word}"), 1, guide(y0, b)));
                }
            }
        }
        if let (Some(y0), Some(gap)) = (first("n_switch"), bound("exponent_gap", Kind::Above)) {
            let slope = e("t_exponent_post") + gap;
            p1_series.push(Series::dashed(format!("claimed: at least T^{slope:.2} (gap {gap})"), 0, guide(y0, slope)));
        }
        let p1 = Panel {
            title: format!("T exponents: to the switch {:.2}, after it {:.2}", e("t_exponent_switch"), e("t_exponent_post")),
            x_label: "context length T".into(),
            y_label: "samples (median over trials)".into(),
            x_log: true,
            y_log: true,
            series: p1_series,
            ..Default::default()
        };
        let p2 = Panel {
            title: format!("stage-one share of the samples: T exponent {:.2}", e("t_exponent_share")),
            x_label: "context length T".into(),
            y_label: "n_switch / n_total".into(),
            x_log: true,
            y_log: true,
            series: {
                let mut v = vec![series_of("share", &format!("median share ({level:.0}% CI)"), 2)];
                if let Some(y0) = first("share") {
                    v.push(Series::dashed("claimed: rising (slope 0 at least)", 2, guide(y0, 0.0)));
                }
                v
            },
            ..Default::default()
        };
        report::draw(path, &super::figure_title(result), &[p1, p2])
    }
}
