//! Claim 5, softmax link (docs/theory.md §5): the softmax transformer and the linear one learn the
//! same attention supports and rankings on SCB, and converge to similar losses.
//!
//! A trial trains ScbProx and the softmax model on the same task and the same batches.

use super::{Claim, ClaimResult, ClaimSpec, PointTask};
use crate::algo::{AlgoConfig, SoftmaxConfig};
use crate::error::{invalid, Result};
use crate::metrics::{support_recovery, top_q};
use crate::model::{Params, Population};
use crate::report::{self, Panel, Series};
use crate::stats::Quantities;
use crate::train::{train_from_start, RunConfig};
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub samples: u64,
    pub batch: usize,
    pub softmax: SoftmaxConfig,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { samples: 1_000_000, batch: 2048, softmax: SoftmaxConfig::default() }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Trial {
    /// Fraction of query tokens whose top-Q positions agree between the two models.
    pub agree: f64,
    /// Support recovery of each model against the truth.
    pub support_softmax: f64,
    pub support_prox: f64,
    /// Mean over query tokens of the Spearman correlation of the two models' a_k.
    pub spearman: f64,
    pub excess_softmax: f64,
    pub excess_prox: f64,
}

/// Ranks with ties given their average rank.
fn ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&i, &j| x[i].total_cmp(&x[j]));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            r[k] = avg;
        }
        i = j + 1;
    }
    r
}

/// Spearman's rank correlation (Pearson on average ranks); 0 if either side is constant.
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    let (rx, ry) = (ranks(x), ranks(y));
    let n = x.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx == 0.0 || syy == 0.0 {
        0.0
    } else {
        sxy / (sxx * syy).sqrt()
    }
}

pub struct SoftmaxLink {
    spec: ClaimSpec,
    s: Settings,
}

pub fn compare(pt: &PointTask, prox: &Params, soft: &Params) -> Trial {
    let task = &pt.task;
    let agree = (0..task.n).filter(|&k| top_q(prox.a_col(k), task.q) == top_q(soft.a_col(k), task.q)).count() as f64
        / task.n as f64;
    let spearman = (0..task.n).map(|k| spearman(prox.a_col(k), soft.a_col(k))).sum::<f64>() / task.n as f64;
    let pop = Population::new(task);
    Trial {
        agree,
        support_softmax: support_recovery(soft, task),
        support_prox: support_recovery(prox, task),
        spearman,
        excess_softmax: pop.excess_loss(soft),
        excess_prox: pop.excess_loss(prox),
    }
}

impl Claim for SoftmaxLink {
    type Trial = Trial;
    const QUANTITIES: &'static [(&'static str, &'static str)] = &[
        ("agree", "fraction of query tokens with the same top-Q positions in both models (mean over the grid)"),
        ("spearman", "Spearman correlation of the two models' attention weights, mean over query tokens and the grid"),
        ("excess_softmax", "softmax model's final population excess loss, largest mean over grid points"),
        ("excess_prox", "ScbProx's final population excess loss, largest mean over grid points"),
        ("support_softmax", "softmax model's support recovery against the truth (mean over the grid)"),
    ];

    fn new(spec: &ClaimSpec) -> Result<Self> {
        let s: Settings = spec.settings()?;
        if s.batch < 1 || s.samples < s.batch as u64 {
            return Err(invalid("settings.samples", "must be at least one batch"));
        }
        AlgoConfig::Softmax(s.softmax.clone()).validate()?;
        Ok(SoftmaxLink { spec: spec.clone(), s })
    }

    fn run_trial(&self, pt: &PointTask, seed: u64) -> Trial {
        // The same seed gives both learners the same batches.
        let run = RunConfig { samples: self.s.samples, batch: self.s.batch, seed, rows_per_decade: 1 };
        let prox = train_from_start(&pt.task, &self.spec.algorithm, &run, |_| {});
        let soft = train_from_start(&pt.task, &AlgoConfig::Softmax(self.s.softmax.clone()), &run, |_| {});
        compare(pt, &prox.params, &soft.params)
    }

    fn estimate(&self, points: &[PointTask], trials: &[Vec<&Trial>]) -> Quantities {
        let mut q = Quantities::new();
        let mean = |ts: &[&Trial], f: fn(&Trial) -> f64| ts.iter().map(|t| f(t)).sum::<f64>() / ts.len() as f64;
        let fields: [(&str, fn(&Trial) -> f64); 6] = [
            ("agree", |t| t.agree),
            ("spearman", |t| t.spearman),
            ("excess_softmax", |t| t.excess_softmax),
            ("excess_prox", |t| t.excess_prox),
            ("support_softmax", |t| t.support_softmax),
            ("support_prox", |t| t.support_prox),
        ];
        for (name, f) in fields {
            let per: Vec<f64> = trials.iter().map(|ts| mean(ts, f)).collect();
            for (pt, v) in points.iter().zip(&per) {
                q.insert(format!("{name}@{}", pt.point.label()), *v);
            }
            let agg = if name.starts_with("excess") {
                per.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
            } else {
                per.iter().sum::<f64>() / per.len() as f64
            };
            q.insert(name.into(), agg);
        }
        q
    }

    fn figure(&self, points: &[PointTask], _: &[Vec<&Trial>], result: &ClaimResult, path: &Path) -> Result<()> {
        let x: Vec<f64> = (0..points.len()).map(|i| i as f64 + 1.0).collect();
        let series = |names: &[(&str, &str)], log: bool| -> Vec<Series> {
            names
                .iter()
                .enumerate()
                .map(|(c, (key, label))| {
                    // Series side by side at each grid point, so equal values do not hide each other.
                    let dx = (c as f64 - (names.len() as f64 - 1.0) / 2.0) * 0.12;
                    let (p, e): (Vec<(f64, f64)>, Vec<(f64, f64)>) = points
                        .iter()
                        .zip(&x)
                        .filter_map(|(pt, xi)| result.q(&format!("{key}@{}", pt.point.label())).map(|e| ((*xi + dx, e.value), (e.lo, e.hi))))
                        .filter(|(p, _)| !log || p.1 > 0.0)
                        .unzip();
                    Series::points(*label, c, p, Some(e))
                })
                .collect()
        };
        let labels: Vec<String> = points.iter().enumerate().map(|(i, p)| format!("{}: {}", i + 1, p.point.label())).collect();
        let p1 = Panel {
            title: "attention agreement per grid point".into(),
            x_label: format!("grid point ({})", labels.join("; ")),
            y_label: "fraction / correlation".into(),
            series: series(
                &[("agree", "top-Q agreement, softmax vs ScbProx"), ("support_softmax", "softmax support = truth"), ("spearman", "Spearman of weights")],
                false,
            ),
            ..Default::default()
        };
        let p2 = Panel {
            title: "final population excess loss".into(),
            x_label: "grid point".into(),
            y_label: "excess loss".into(),
            y_log: true,
            series: series(&[("excess_prox", "ScbProx"), ("excess_softmax", "softmax")], true),
            ..Default::default()
        };
        report::draw(path, &super::figure_title(result), &[p1, p2])
    }
}
