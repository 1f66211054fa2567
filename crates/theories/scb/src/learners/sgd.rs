//! The baseline: plain minibatch gradient descent on (V, A).

use super::{recenter_columns, Learner, Overrides, StepInfo};
use crate::model::{Grad, Params};
use crate::task::Task;
use scb_harness::error::Result;
use serde::{Deserialize, Serialize};

/// Plain SGD's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SgdConfig {
    /// Learning rate.
    pub lr: f64,
    /// Re-center V's columns to sum to 1 after each step.
    pub v_sum_to_one: bool,
}

impl SgdConfig {
    /// Applies the command line's learning rate (`--lr`); `--eta` is refused.
    pub fn apply(&mut self, o: &Overrides) -> Result<()> {
        super::rate_apply(&mut self.lr, o)
    }
}

scb_harness::validated!(SgdConfig);

impl scb_harness::config::Validate for SgdConfig {
    fn validate(&self) -> Result<()> {
        super::rate_validate(self.lr)
    }
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig { lr: 1.0, v_sum_to_one: true }
    }
}

/// Baseline: plain minibatch gradient descent on (V, A).
pub struct Sgd {
    cfg: SgdConfig,
    grad: Grad,
}

impl Sgd {
    /// SGD on `task`.
    pub fn new(cfg: SgdConfig, task: &Task) -> Sgd {
        Sgd { cfg, grad: Grad::new(task.n, task.t) }
    }
}

impl Learner for Sgd {
    fn stage(&self) -> u8 {
        1
    }
    fn grad_mut(&mut self) -> &mut Grad {
        &mut self.grad
    }
    fn update(&mut self, params: &mut Params) -> StepInfo {
        let lr = self.cfg.lr;
        let n = params.n();
        for (x, g) in params.v_slice_mut().iter_mut().zip(self.grad.gv.as_slice_memory_order().unwrap()) {
            *x -= lr * g;
        }
        if self.cfg.v_sum_to_one {
            recenter_columns(params.v_slice_mut(), n);
        }
        for (x, g) in params.a_slice_mut().iter_mut().zip(self.grad.ga.as_slice_memory_order().unwrap()) {
            *x -= lr * g;
        }
        StepInfo { batch_loss: self.grad.loss, stage: 1, lambda: 0.0 }
    }
}
