//! Claim 4, beats SGD (docs/theory.md §5): at equal samples, ScbProx ends closer to the truth,
//! in both dist_V and dist_A, than SGD at every learning rate of a sweep.
//!
//! A trial trains ScbProx and SGD at each rate on the same task and the same batches.

use super::{Claim, ClaimResult, ClaimSpec, PointTask};
use crate::algo::{AlgoConfig, SgdConfig};
use crate::error::{invalid, Result};
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
    /// SGD learning rates to sweep.
    pub lrs: Vec<f64>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { samples: 1_000_000, batch: 2048, lrs: vec![0.5, 1.0, 2.0, 4.0, 5.0, 6.0, 8.0] }
    }
}

/// Final distances; a diverged run is recorded as `DIVERGED` (JSON has no infinity).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Trial {
    pub prox: [f64; 2],
    pub sgd: Vec<[f64; 2]>,
}

/// Distance recorded for a run that diverged: far above any finite run's.
pub const DIVERGED: f64 = 1e6;

pub struct BeatsSgd {
    spec: ClaimSpec,
    s: Settings,
}

impl BeatsSgd {
    fn run(&self, pt: &PointTask, algo: &AlgoConfig, seed: u64) -> [f64; 2] {
        let task = &pt.task;
        let run = RunConfig { samples: self.s.samples, batch: self.s.batch, seed, rows_per_decade: 1 };
        let out = train_from_start(task, algo, &run, |_| {});
        let last = &out.history.last().expect("at least one step").snap;
        let clean = |x: f64| if out.diverged_at.is_some() || !x.is_finite() { DIVERGED } else { x.min(DIVERGED) };
        [clean(last.dist_v), clean(last.dist_a)]
    }
}

/// Mean over trials of log(SGD distance / ScbProx distance) for metric `m` at rate `i`.
fn mean_log_ratio(ts: &[&Trial], i: usize, m: usize) -> f64 {
    ts.iter().map(|t| (t.sgd[i][m] / t.prox[m]).ln()).sum::<f64>() / ts.len() as f64
}

impl Claim for BeatsSgd {
    type Trial = Trial;
    const QUANTITIES: &'static [(&'static str, &'static str)] = &[
        ("margin_v", "min over grid points and SGD rates of the mean log(SGD dist_V / ScbProx dist_V)"),
        ("margin_a", "min over grid points and SGD rates of the mean log(SGD dist_A / ScbProx dist_A)"),
    ];

    fn new(spec: &ClaimSpec) -> Result<Self> {
        let s: Settings = spec.settings()?;
        if s.lrs.is_empty() || s.lrs.iter().any(|l| !(l.is_finite() && *l > 0.0)) {
            return Err(invalid("settings.lrs", "must be a nonempty list of finite positive rates"));
        }
        if s.batch < 1 || s.samples < s.batch as u64 {
            return Err(invalid("settings.samples", "must be at least one batch"));
        }
        Ok(BeatsSgd { spec: spec.clone(), s })
    }

    fn run_trial(&self, pt: &PointTask, seed: u64) -> Trial {
        // The same seed gives every learner the same batches.
        let prox = self.run(pt, &self.spec.algorithm, seed);
        let sgd = self
            .s
            .lrs
            .iter()
            .map(|&lr| self.run(pt, &AlgoConfig::Sgd(SgdConfig { lr, ..Default::default() }), seed))
            .collect();
        Trial { prox, sgd }
    }

    fn estimate(&self, points: &[PointTask], trials: &[Vec<&Trial>]) -> Quantities {
        let mut q = Quantities::new();
        let mut margin = [f64::INFINITY; 2];
        for (pt, ts) in points.iter().zip(trials) {
            for (i, lr) in self.s.lrs.iter().enumerate() {
                for (m, name) in ["v", "a"].iter().enumerate() {
                    let r = mean_log_ratio(ts, i, m);
                    q.insert(format!("log_ratio_{name}@{},lr={lr}", pt.point.label()), r);
                    margin[m] = margin[m].min(r);
                }
            }
            for (m, name) in ["v", "a"].iter().enumerate() {
                let mean = ts.iter().map(|t| t.prox[m].ln()).sum::<f64>() / ts.len() as f64;
                q.insert(format!("prox_dist_{name}@{}", pt.point.label()), mean.exp());
            }
        }
        q.insert("margin_v".into(), margin[0]);
        q.insert("margin_a".into(), margin[1]);
        q
    }

    fn figure(&self, points: &[PointTask], trials: &[Vec<&Trial>], result: &ClaimResult, path: &Path) -> Result<()> {
        // Per metric: geometric-mean final distance against the SGD rate, one series per
        // grid point, with ScbProx's as a dashed level in the same colour.
        let panel = |m: usize, what: &str| {
            let mut series = Vec::new();
            for (i, (pt, ts)) in points.iter().zip(trials).enumerate() {
                let gm = |f: &dyn Fn(&Trial) -> f64| (ts.iter().map(|t| f(t).ln()).sum::<f64>() / ts.len() as f64).exp();
                let sgd: Vec<(f64, f64)> = self.s.lrs.iter().enumerate().map(|(j, lr)| (*lr, gm(&|t| t.sgd[j][m]))).collect();
                let prox = gm(&|t| t.prox[m]);
                let (lo, hi) = (self.s.lrs[0], *self.s.lrs.last().expect("nonempty"));
                series.push(Series::points(format!("SGD, {}", pt.point.label()), i, sgd, None));
                series.push(Series::dashed(format!("ScbProx, {}", pt.point.label()), i, vec![(lo, prox), (hi, prox)]));
            }
            Panel {
                title: format!("final {what} after {} samples", self.s.samples),
                x_label: "SGD learning rate".into(),
                y_label: format!("{what} (diverged runs not drawn)"),
                x_log: true,
                y_log: true,
                series,
                y_clip: Some(10.0),
                ..Default::default()
            }
        };
        report::draw(path, &super::figure_title(result), &[panel(0, "|V-P|/|P|"), panel(1, "|A-Q*|/|Q*|")])
    }
}
