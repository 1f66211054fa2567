//! Claim 5, softmax link (docs/theory.md §5): the softmax transformer and the linear one learn the
//! same attention supports and rankings on SCB, and converge to similar losses.
//!
//! A trial trains ScbProx and the softmax model on the same task and the same batches.

use super::{Scb, SECTIONS};
use crate::learners::{LearnerConfig, SoftmaxConfig};
use crate::metrics::{compare, Comparison};
use crate::task::Task;
use crate::train::{check_batch, check_samples};
use crate::train::{train_from_start, RunConfig};
use scb_harness::claims::figures::per_point;
use scb_harness::claims::{At, Quantity, TypedClaim};
use scb_harness::config::{Valid, Validate};
use scb_harness::error::Result;
use scb_harness::grid::Point;
use scb_harness::report::Panel;
use scb_harness::result::ClaimResult;
use scb_harness::spec::ClaimSpec;
use scb_harness::stats::Quantities;
use serde::{Deserialize, Serialize};

/// The `[settings]` of a `softmax_link` spec.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Samples each model trains on.
    pub samples: u64,
    /// Samples per step.
    pub batch: usize,
    /// The softmax model's learner.
    pub softmax: SoftmaxConfig,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { samples: 1_000_000, batch: 2048, softmax: SoftmaxConfig::default() }
    }
}

/// One trial: the two models compared.
pub type Trial = Comparison;

scb_harness::validated!(Settings);

impl Validate for Settings {
    fn validate(&self) -> Result<()> {
        check_batch("settings.batch", self.batch)?;
        check_samples("settings.samples", self.samples, self.batch as u64)?;
        self.softmax.validate()?;
        Ok(())
    }
}

/// The claim `softmax_link`: the softmax and linear transformers learn the same attention supports.
pub struct SoftmaxLink {
    scb: Scb,
    s: Valid<Settings>,
}

/// A per-trial number the claim averages, read off a trial.
type Field = fn(&Trial) -> f64;

// The quantities this claim computes, each declared once.
const AGREE: Quantity = Quantity::new("agree", "fraction of query tokens with the same top-Q positions in both models (mean over the grid)");
const SPEARMAN: Quantity = Quantity::new("spearman", "Spearman correlation of the two models' attention weights, mean over query tokens and the grid");
const EXCESS_SOFTMAX: Quantity = Quantity::new("excess_softmax", "softmax model's final population excess loss, largest mean over grid points");
const EXCESS_PROX: Quantity = Quantity::new("excess_prox", "ScbProx's final population excess loss, largest mean over grid points");
const SUPPORT_SOFTMAX: Quantity = Quantity::new("support_softmax", "softmax model's support recovery against the truth (mean over the grid)");
const SUPPORT_PROX: Quantity = Quantity::new("support_prox", "ScbProx model's support recovery against the truth (mean over the grid)");

impl TypedClaim for SoftmaxLink {
    const ID: &'static str = "softmax_link";
    const ABOUT: &'static str = "the softmax and linear transformers learn the same attention supports";
    const QUANTITIES: &'static [Quantity] = &[AGREE, SPEARMAN, EXCESS_SOFTMAX, EXCESS_PROX, SUPPORT_SOFTMAX, SUPPORT_PROX];
    const SECTIONS: &'static [&'static str] = SECTIONS;
    type Context = Task;
    type Trial = Trial;

    fn new(spec: &ClaimSpec) -> Result<Self> {
        let s: Valid<Settings> = spec.validated("settings")?;
        Ok(SoftmaxLink { scb: Scb::from(spec, false)?, s })
    }
    super::scb_setting!();

    fn run_trial(&self, at: &At<Task>, seed: u64) -> Trial {
        // The same seed gives both learners the same batches.
        let run = RunConfig { samples: self.s.samples, batch: self.s.batch, seed, rows_per_decade: 1, population: false };
        let prox = train_from_start(&at.ctx, &self.scb.algorithm, &run, |_| {});
        let soft = train_from_start(&at.ctx, &LearnerConfig::Softmax(self.s.softmax.clone()), &run, |_| {});
        compare(&at.ctx, &prox.params, &soft.params)
    }

    fn estimate(&self, points: &[&At<Task>], trials: &[Vec<&Trial>]) -> Quantities {
        let mut q = Quantities::new();
        let mean = |ts: &[&Trial], f: fn(&Trial) -> f64| ts.iter().map(|t| f(t)).sum::<f64>() / ts.len() as f64;
        let fields: [(Quantity, Field); 6] = [
            (AGREE, |t| t.agree),
            (SPEARMAN, |t| t.spearman),
            (EXCESS_SOFTMAX, |t| t.excess_softmax),
            (EXCESS_PROX, |t| t.excess_prox),
            (SUPPORT_SOFTMAX, |t| t.support_softmax),
            (SUPPORT_PROX, |t| t.support_prox),
        ];
        for (name, f) in fields {
            let per: Vec<f64> = trials.iter().map(|ts| mean(ts, f)).collect();
            for (at, v) in points.iter().zip(&per) {
                q.insert(name.at(&at.point), *v);
            }
            let agg = if name.name.starts_with("excess") {
                per.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
            } else {
                per.iter().sum::<f64>() / per.len() as f64
            };
            q.insert(name.into(), agg);
        }
        q
    }

    fn panels(&self, points: &[&At<Task>], _: &[Vec<&Trial>], result: &ClaimResult) -> Vec<Panel> {
        // One x position per grid point; series side by side, so equal values do not hide
        // each other.
        let pts: Vec<Point> = points.iter().map(|a| a.point.clone()).collect();
        let index = |p: &Point| pts.iter().position(|q| q == p).expect("a grid point") as f64 + 1.0;
        let series = |names: &[(Quantity, &str)]| {
            names
                .iter()
                .enumerate()
                .map(|(c, (key, label))| {
                    let dx = (c as f64 - (names.len() as f64 - 1.0) / 2.0) * 0.12;
                    let mut s = per_point(result, key, pts.clone(), |p| index(p) + dx, *label, c);
                    s.points.retain(|p| p.1 > 0.0 || !key.name.starts_with("excess"));
                    s
                })
                .collect()
        };
        let labels: Vec<String> = pts.iter().enumerate().map(|(i, p)| format!("{}: {}", i + 1, p.label())).collect();
        let p1 = Panel {
            title: "attention agreement per grid point".into(),
            x_label: format!("grid point ({})", labels.join("; ")),
            y_label: "fraction / correlation".into(),
            series: series(&[(AGREE, "top-Q agreement, softmax vs ScbProx"), (SUPPORT_SOFTMAX, "softmax support = truth"), (SPEARMAN, "Spearman of weights")]),
            ..Default::default()
        };
        let p2 = Panel {
            title: "final population excess loss".into(),
            x_label: "grid point".into(),
            y_label: "excess loss".into(),
            y_log: true,
            series: series(&[(EXCESS_PROX, "ScbProx"), (EXCESS_SOFTMAX, "softmax")]),
            ..Default::default()
        };
        vec![p1, p2]
    }
}
