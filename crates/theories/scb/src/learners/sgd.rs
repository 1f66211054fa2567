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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::TaskConfig;
    use ndarray::Array2;

    /// One step from fixed (V, A) with a fixed gradient; returns the new (V, A) and the step's report.
    fn step(v_sum_to_one: bool) -> (Array2<f64>, Array2<f64>, Array2<f64>, Array2<f64>, StepInfo) {
        let (n, t) = (4, 5);
        let task = Task::generate(&TaskConfig { n, t, q: 2, ..Default::default() }, 1).unwrap();
        let v = Array2::from_shape_fn((n, n), |(i, j)| 0.1 * (i + 2 * j) as f64 + 0.05);
        let a = Array2::from_shape_fn((t, n), |(i, j)| 0.05 * (3 * i + j) as f64 + 0.02);
        let mut params = Params::new(v.view(), a.view());
        let mut sgd = Sgd::new(SgdConfig { lr: 0.5, v_sum_to_one }, &task);
        let g = sgd.grad_mut();
        g.gv.assign(&Array2::from_shape_fn((n, n), |(i, j)| 0.3 - 0.07 * (i * j) as f64 + 0.01 * i as f64));
        g.ga.assign(&Array2::from_shape_fn((t, n), |(i, j)| 0.2 - 0.03 * (i + 2 * j) as f64));
        g.loss = 0.7;
        let (gv, ga) = (g.gv.clone(), g.ga.clone());
        let info = sgd.update(&mut params);
        let (want_v, want_a) = (&v - &(0.5 * &gv), &a - &(0.5 * &ga));
        (params.v().to_owned(), params.a().to_owned(), want_v, want_a, info)
    }

    fn close(x: &Array2<f64>, y: &Array2<f64>) -> bool {
        x.iter().zip(y).all(|(a, b)| (a - b).abs() < 1e-14)
    }

    #[test]
    fn a_step_subtracts_the_rate_times_the_gradient() {
        let (v, a, want_v, want_a, info) = step(false);
        assert!(close(&v, &want_v), "V {v} against {want_v}");
        assert!(close(&a, &want_a), "A {a} against {want_a}");
        assert_eq!((info.batch_loss, info.stage, info.lambda), (0.7, 1, 0.0));
    }

    #[test]
    fn with_recentring_each_column_of_v_is_shifted_to_sum_to_one() {
        let (v, a, want_v, want_a, _) = step(true);
        let want_v = crate::learners::recentred(want_v);
        assert!(close(&v, &want_v), "V {v} against {want_v}");
        assert!(close(&a, &want_a), "A is not recentred: {a} against {want_a}");
        assert!(v.columns().into_iter().all(|c| (c.sum() - 1.0).abs() < 1e-14));
    }
}
