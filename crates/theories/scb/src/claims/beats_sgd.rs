//! Claim 4, beats SGD (docs/theory.md §5): at equal samples, ScbProx ends closer to the truth,
//! in both dist_V and dist_A, than SGD at every learning rate of a sweep.
//!
//! A trial trains ScbProx and SGD at each rate on the same task and the same batches.

use super::{Scb, SECTIONS};
use crate::learners::{LearnerConfig, SgdConfig};
use crate::task::Task;
use crate::train::{check_batch, check_samples};
use crate::train::{train_from_start, RunConfig};
use scb_harness::claims::{At, Quantity, TypedClaim};
use scb_harness::config::{Valid, Validate};
use scb_harness::error::{invalid, Result};
use scb_harness::report::{Panel, Series};
use scb_harness::result::ClaimResult;
use scb_harness::spec::ClaimSpec;
use scb_harness::stats::Quantities;
use serde::{Deserialize, Serialize};

/// The `[settings]` of a `beats_sgd` spec.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Samples each run trains on.
    pub samples: u64,
    /// Samples per step.
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
#[serde(deny_unknown_fields)]
pub struct Trial {
    /// ScbProx's final (dist_V, dist_A).
    pub prox: [f64; 2],
    /// SGD's final (dist_V, dist_A) at each rate of the sweep.
    pub sgd: Vec<[f64; 2]>,
}

/// Distance recorded for a run that diverged: far above any finite run's.
pub const DIVERGED: f64 = 1e6;

scb_harness::validated!(Settings);

impl Validate for Settings {
    fn validate(&self) -> Result<()> {
        if self.lrs.is_empty() || self.lrs.iter().any(|l| !(l.is_finite() && *l > 0.0)) {
            return Err(invalid("settings.lrs", "must be a nonempty list of finite positive rates"));
        }
        check_batch("settings.batch", self.batch)?;
        check_samples("settings.samples", self.samples, self.batch as u64)?;
        Ok(())
    }
}

/// The claim `beats_sgd`: ScbProx ends closer to the truth than SGD at every rate of a sweep.
pub struct BeatsSgd {
    scb: Scb,
    s: Valid<Settings>,
}

impl BeatsSgd {
    fn run(&self, task: &Task, learner: &LearnerConfig, seed: u64) -> [f64; 2] {
        let run = RunConfig { samples: self.s.samples, batch: self.s.batch, seed, rows_per_decade: 1, population: false };
        let out = train_from_start(task, learner, &run, |_| {});
        let last = &out.history.last().expect("at least one step").snap;
        let clean = |x: f64| if out.diverged_at.is_some() || !x.is_finite() { DIVERGED } else { x.min(DIVERGED) };
        [clean(last.dist_v), clean(last.dist_a)]
    }
}

/// Mean over trials of log(SGD distance / ScbProx distance) for metric `m` at rate `i`.
fn mean_log_ratio(ts: &[&Trial], i: usize, m: usize) -> f64 {
    ts.iter().map(|t| (t.sgd[i][m] / t.prox[m]).ln()).sum::<f64>() / ts.len() as f64
}

// The quantities this claim computes, each declared once.
const MARGIN_V: Quantity = Quantity::new("margin_v", "min over grid points and SGD rates of the mean log(SGD dist_V / ScbProx dist_V)");
const MARGIN_A: Quantity = Quantity::new("margin_a", "min over grid points and SGD rates of the mean log(SGD dist_A / ScbProx dist_A)");
const LOG_RATIO_V: Quantity =
    Quantity::new("log_ratio_v", "mean over trials of log(SGD dist_V / ScbProx dist_V), per point and rate (log_ratio_v@point,lr=...)");
const LOG_RATIO_A: Quantity = Quantity::new("log_ratio_a", "the same for dist_A (log_ratio_a@point,lr=...)");
const PROX_DIST_V: Quantity = Quantity::new("prox_dist_v", "ScbProx's final dist_V, geometric mean over trials, per point (prox_dist_v@point)");
const PROX_DIST_A: Quantity = Quantity::new("prox_dist_a", "ScbProx's final dist_A, geometric mean over trials, per point (prox_dist_a@point)");

impl TypedClaim for BeatsSgd {
    const ID: &'static str = "beats_sgd";
    const ABOUT: &'static str = "ScbProx ends closer to the truth than SGD at every rate of a sweep";
    const QUANTITIES: &'static [Quantity] = &[MARGIN_V, MARGIN_A, LOG_RATIO_V, LOG_RATIO_A, PROX_DIST_V, PROX_DIST_A];
    const SECTIONS: &'static [&'static str] = SECTIONS;
    type Context = Task;
    type Trial = Trial;

    fn new(spec: &ClaimSpec) -> Result<Self> {
        let s: Valid<Settings> = spec.validated("settings")?;
        Ok(BeatsSgd { scb: Scb::from(spec, false)?, s })
    }
    super::scb_setting!();

    fn run_trial(&self, at: &At<Task>, seed: u64) -> Trial {
        // The same seed gives every learner the same batches.
        let prox = self.run(&at.ctx, &self.scb.algorithm, seed);
        let sgd = self.s.lrs.iter().map(|&lr| self.run(&at.ctx, &LearnerConfig::Sgd(SgdConfig { lr, ..Default::default() }), seed)).collect();
        Trial { prox, sgd }
    }

    fn estimate(&self, points: &[&At<Task>], trials: &[Vec<&Trial>]) -> Quantities {
        let mut q = Quantities::new();
        let mut margin = [f64::INFINITY; 2];
        for (at, ts) in points.iter().zip(trials) {
            for (i, lr) in self.s.lrs.iter().enumerate() {
                for (m, name) in [LOG_RATIO_V, LOG_RATIO_A].iter().enumerate() {
                    let r = mean_log_ratio(ts, i, m);
                    q.insert(name.at_cell(&at.point, "lr", lr), r);
                    margin[m] = margin[m].min(r);
                }
            }
            for (m, name) in [PROX_DIST_V, PROX_DIST_A].iter().enumerate() {
                let mean = ts.iter().map(|t| t.prox[m].ln()).sum::<f64>() / ts.len() as f64;
                q.insert(name.at(&at.point), mean.exp());
            }
        }
        q.insert(MARGIN_V.into(), margin[0]);
        q.insert(MARGIN_A.into(), margin[1]);
        q
    }

    fn panels(&self, points: &[&At<Task>], trials: &[Vec<&Trial>], _: &ClaimResult) -> Vec<Panel> {
        // Per metric: geometric-mean final distance against the SGD rate, one series per
        // grid point, with ScbProx's as a dashed level in the same colour.
        let panel = |m: usize, what: &str| {
            let mut series = Vec::new();
            for (i, (at, ts)) in points.iter().zip(trials).enumerate() {
                let gm = |f: &dyn Fn(&Trial) -> f64| (ts.iter().map(|t| f(t).ln()).sum::<f64>() / ts.len() as f64).exp();
                let sgd: Vec<(f64, f64)> = self.s.lrs.iter().enumerate().map(|(j, lr)| (*lr, gm(&|t| t.sgd[j][m]))).collect();
                let prox = gm(&|t| t.prox[m]);
                let (lo, hi) = (self.s.lrs[0], *self.s.lrs.last().expect("nonempty"));
                series.push(Series::points(format!("SGD, {}", at.point.label()), i, sgd, None));
                series.push(Series::dashed(format!("ScbProx, {}", at.point.label()), i, vec![(lo, prox), (hi, prox)]));
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
        vec![panel(0, "|V-P|/|P|"), panel(1, "|A-Q*|/|Q*|")]
    }
}
