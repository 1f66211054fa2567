//! Learners behind one small trait (docs/theory.md §3): each step consumes one fresh batch of
//! the SCB task. A learner's configuration validates itself and takes its own command-line
//! overrides; this file is the one place that matches on which learner it is.

mod scb_prox;
mod sgd;
mod softmax;

pub use scb_prox::{FreezeV, ProxConfig, ScbProx, StageTwoRule, SwitchRule};
pub use sgd::{Sgd, SgdConfig};
pub use softmax::{softmax_backward, softmax_columns, Optimizer, Softmax, SoftmaxConfig};

use crate::model::{batch_grad, Grad, Params};
use crate::task::{Batch, Task};
use scb_harness::error::{invalid, Result};
use serde::{Deserialize, Serialize};

/// What one step did, for the history.
#[derive(Clone, Copy, Debug, Default)]
pub struct StepInfo {
    /// Mean per-sample loss on the batch, at the parameters before the step.
    pub batch_loss: f64,
    /// Stage the step ran in (1 or 2; SGD is always 1).
    pub stage: u8,
    /// μ-weighted mean l1 threshold used (0 in stage one).
    pub lambda: f64,
}

/// A training algorithm: its step from a batch gradient, and its stage.
pub trait Learner: Send {
    /// The buffer holding the gradient of the step under way.
    fn grad_mut(&mut self) -> &mut Grad;
    /// The update from the gradient in `grad_mut()`, taken at `params`.
    fn update(&mut self, params: &mut Params) -> StepInfo;
    /// Called before the gradient is taken (the softmax model writes A = softmax(W) here).
    fn prepare(&mut self, _params: &mut Params) {}
    /// One step on a fresh batch: its gradient at `params`, then the update.
    fn step(&mut self, params: &mut Params, batch: &Batch) -> StepInfo {
        self.prepare(params);
        batch_grad(params, batch, self.grad_mut());
        self.update(params)
    }
    /// The same update from a gradient already taken at `params` (prepared as `step` would):
    /// a checker that steps from nested prefixes of one sample accumulates their gradients
    /// instead of recomputing them.
    fn step_from(&mut self, params: &mut Params, grad: &Grad) -> StepInfo {
        self.prepare(params);
        self.grad_mut().clone_from(grad);
        self.update(params)
    }
    /// The stage the learner is in (1 or 2; SGD is always 1).
    fn stage(&self) -> u8;
    /// Samples consumed when stage two began, if it has.
    fn switched_at(&self) -> Option<u64> {
        None
    }
    /// Samples consumed when a transfer gave up on its frozen V, if it did.
    fn fell_back_at(&self) -> Option<u64> {
        None
    }
}

/// A learner and its settings (`[algorithm]`, by `name`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "kebab-case")]
pub enum LearnerConfig {
    /// ScbProx, the paper's preconditioned l1-proximal method.
    ScbProx(ProxConfig),
    /// Plain SGD on V and A.
    Sgd(SgdConfig),
    /// The softmax transformer, trained by SGD or Adam.
    Softmax(SoftmaxConfig),
}

impl Default for LearnerConfig {
    fn default() -> Self {
        LearnerConfig::ScbProx(ProxConfig::default())
    }
}

/// Every learner by its name, for parsing and for the help text.
pub const NAMES: [&str; 3] = ["scb-prox", "sgd", "softmax"];

impl LearnerConfig {
    /// Its name, as `[algorithm] name` and `--algorithm` spell it.
    pub fn name(&self) -> &'static str {
        match self {
            LearnerConfig::ScbProx(_) => NAMES[0],
            LearnerConfig::Sgd(_) => NAMES[1],
            LearnerConfig::Softmax(_) => NAMES[2],
        }
    }

    /// The default configuration of the learner called `name`.
    pub fn named(name: &str) -> Result<LearnerConfig> {
        match name {
            "scb-prox" => Ok(LearnerConfig::ScbProx(ProxConfig::default())),
            "sgd" => Ok(LearnerConfig::Sgd(SgdConfig::default())),
            "softmax" => Ok(LearnerConfig::Softmax(SoftmaxConfig::default())),
            other => Err(invalid("algorithm", format!("must be one of {} (got {other:?})", NAMES.join(", ")))),
        }
    }

    /// Applies `--lr` / `--eta`; a flag the learner does not take is an error naming it.
    pub fn apply(&mut self, o: &Overrides) -> Result<()> {
        match self {
            LearnerConfig::ScbProx(c) => c.apply(o),
            LearnerConfig::Sgd(c) => c.apply(o),
            LearnerConfig::Softmax(c) => c.apply(o),
        }
    }

    /// The learner, ready to step on `task`.
    pub fn build(&self, task: &Task) -> Box<dyn Learner> {
        match self {
            LearnerConfig::ScbProx(c) => Box::new(ScbProx::new(c.clone(), task)),
            LearnerConfig::Sgd(c) => Box::new(Sgd::new(c.clone(), task)),
            LearnerConfig::Softmax(c) => Box::new(Softmax::new(c.clone(), task)),
        }
    }
}

scb_harness::validated!(LearnerConfig);

impl scb_harness::config::Validate for LearnerConfig {
    fn validate(&self) -> Result<()> {
        match self {
            LearnerConfig::ScbProx(c) => c.validate(),
            LearnerConfig::Sgd(c) => c.validate(),
            LearnerConfig::Softmax(c) => c.validate(),
        }
    }
}

/// `validate` and `apply` of a learner that takes a learning rate (`--lr`), not `--eta`.
pub(crate) fn rate_validate(lr: f64) -> Result<()> {
    scb_harness::error::check_range("lr", lr, 0.0, 1e12, true)
}

pub(crate) fn rate_apply(lr: &mut f64, o: &Overrides) -> Result<()> {
    if o.eta.is_some() {
        return Err(invalid("eta", "applies to --algorithm scb-prox only; this learner takes --lr"));
    }
    *lr = o.lr.unwrap_or(*lr);
    Ok(())
}

/// Values given on the command line for a learner's step size (`--lr`, `--eta`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Overrides {
    /// `--lr`: the learning rate of sgd and softmax.
    pub lr: Option<f64>,
    /// `--eta`: ScbProx's step size.
    pub eta: Option<f64>,
}

/// Adds a constant to each column of V so it sums to 1. The gradient already keeps
/// column sums when `a_k` sums to 1 (1^T r = 0); this only stops round-off drift.
pub(crate) fn recenter_columns(v: &mut [f64], n: usize) {
    for col in v.chunks_exact_mut(n) {
        let shift = (1.0 - col.iter().sum::<f64>()) / n as f64;
        col.iter_mut().for_each(|x| *x += shift);
    }
}

/// V with each column shifted to sum to 1, written with ndarray's columns rather than
/// [`recenter_columns`]'s memory order: what the learners' tests expect a recentring step to give.
#[cfg(test)]
pub(crate) fn recentred(mut v: ndarray::Array2<f64>) -> ndarray::Array2<f64> {
    for mut col in v.columns_mut() {
        let shift = (1.0 - col.sum()) / col.len() as f64;
        col.mapv_inplace(|x| x + shift);
    }
    v
}
