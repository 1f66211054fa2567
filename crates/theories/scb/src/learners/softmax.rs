//! The softmax transformer (docs/theory.md §3): `a_k = softmax(W[:, k])` with trainable
//! logits, trained by SGD or Adam on the same loss as the linear model.

use super::{recenter_columns, Learner, Overrides, StepInfo};
use crate::model::{Grad, Params};
use crate::task::Task;
use scb_harness::error::Result;
use serde::{Deserialize, Serialize};

/// How the softmax model steps.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Optimizer {
    /// Plain SGD.
    Sgd,
    /// Adam with beta1 = 0.9, beta2 = 0.999, eps = 1e-8.
    Adam,
}

/// The softmax transformer of docs/theory.md §3: `a_k = softmax(W[:, k])` with trainable logits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SoftmaxConfig {
    /// Learning rate.
    pub lr: f64,
    /// SGD or Adam.
    pub optimizer: Optimizer,
    /// Re-center V's columns to sum to 1 after each step.
    pub v_sum_to_one: bool,
}

impl SoftmaxConfig {
    /// Applies the command line's learning rate (`--lr`); `--eta` is refused.
    pub fn apply(&mut self, o: &Overrides) -> Result<()> {
        super::rate_apply(&mut self.lr, o)
    }
}

scb_harness::validated!(SoftmaxConfig);

impl scb_harness::config::Validate for SoftmaxConfig {
    fn validate(&self) -> Result<()> {
        super::rate_validate(self.lr)
    }
}

impl Default for SoftmaxConfig {
    fn default() -> Self {
        SoftmaxConfig { lr: 0.01, optimizer: Optimizer::Adam, v_sum_to_one: true }
    }
}

/// Writes `softmax(w[:, k])` into column k of `a` (both T x N, column-major slices).
pub fn softmax_columns(w: &[f64], a: &mut [f64], t: usize) {
    for (wc, ac) in w.chunks_exact(t).zip(a.chunks_exact_mut(t)) {
        let m = wc.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let mut z = 0.0;
        for (x, y) in wc.iter().zip(ac.iter_mut()) {
            *y = (x - m).exp();
            z += *y;
        }
        ac.iter_mut().for_each(|y| *y /= z);
    }
}

/// `dL/dW[:, k] = a_k o (dL/da_k - <a_k, dL/da_k>)`: the softmax Jacobian applied to the
/// attention gradient. The batch gradient is linear in the per-sample ones and the
/// Jacobian depends only on a_k, so it applies to the batch mean directly.
pub fn softmax_backward(a: &[f64], ga: &[f64], gw: &mut [f64], t: usize) {
    for ((ac, gc), out) in a.chunks_exact(t).zip(ga.chunks_exact(t)).zip(gw.chunks_exact_mut(t)) {
        let inner: f64 = ac.iter().zip(gc).map(|(x, y)| x * y).sum();
        for ((o, x), y) in out.iter_mut().zip(ac).zip(gc) {
            *o = x * (y - inner);
        }
    }
}

/// Adam or SGD state for one parameter block.
struct Opt {
    kind: Optimizer,
    lr: f64,
    m: Vec<f64>,
    v: Vec<f64>,
    t: i32,
}

impl Opt {
    fn new(kind: Optimizer, lr: f64, len: usize) -> Opt {
        Opt { kind, lr, m: vec![0.0; len], v: vec![0.0; len], t: 0 }
    }
    fn apply(&mut self, x: &mut [f64], g: &[f64]) {
        match self.kind {
            Optimizer::Sgd => x.iter_mut().zip(g).for_each(|(x, g)| *x -= self.lr * g),
            Optimizer::Adam => {
                let (b1, b2, eps): (f64, f64, f64) = (0.9, 0.999, 1e-8);
                self.t += 1;
                let (c1, c2) = (1.0 - b1.powi(self.t), 1.0 - b2.powi(self.t));
                for (((x, g), m), v) in x.iter_mut().zip(g).zip(&mut self.m).zip(&mut self.v) {
                    *m = b1 * *m + (1.0 - b1) * g;
                    *v = b2 * *v + (1.0 - b2) * g * g;
                    *x -= self.lr * (*m / c1) / ((*v / c2).sqrt() + eps);
                }
            }
        }
    }
}

/// The softmax transformer trained by SGD or Adam on the same squared loss. It keeps the
/// logits W and writes `A = softmax(W)` into the parameters after every step, so every
/// metric and figure reads it like any other learner's A.
pub struct Softmax {
    cfg: SoftmaxConfig,
    grad: Grad,
    w: Vec<f64>,
    gw: Vec<f64>,
    opt_v: Opt,
    opt_w: Opt,
}

impl Softmax {
    /// The softmax model on `task`.
    pub fn new(cfg: SoftmaxConfig, task: &Task) -> Softmax {
        let (n, t) = (task.n, task.t);
        Softmax {
            grad: Grad::new(n, t),
            w: vec![0.0; n * t],
            gw: vec![0.0; n * t],
            opt_v: Opt::new(cfg.optimizer, cfg.lr, n * n),
            opt_w: Opt::new(cfg.optimizer, cfg.lr, n * t),
            cfg,
        }
    }
    /// The logits, T x N column-major.
    pub fn logits(&self) -> &[f64] {
        &self.w
    }
}

impl Learner for Softmax {
    fn stage(&self) -> u8 {
        1
    }
    fn grad_mut(&mut self) -> &mut Grad {
        &mut self.grad
    }
    /// The gradient is taken at A = softmax(W), whatever A the caller passed (W = 0 is the
    /// uniform start).
    fn prepare(&mut self, params: &mut Params) {
        let t = params.t();
        softmax_columns(&self.w, params.a_slice_mut(), t);
    }
    fn update(&mut self, params: &mut Params) -> StepInfo {
        let t = params.t();
        softmax_backward(params.a_slice(), self.grad.ga.as_slice_memory_order().unwrap(), &mut self.gw, t);
        self.opt_v.apply(params.v_slice_mut(), self.grad.gv.as_slice_memory_order().unwrap());
        if self.cfg.v_sum_to_one {
            let n = params.n();
            recenter_columns(params.v_slice_mut(), n);
        }
        self.opt_w.apply(&mut self.w, &self.gw);
        softmax_columns(&self.w, params.a_slice_mut(), t);
        StepInfo { batch_loss: self.grad.loss, stage: 1, lambda: 0.0 }
    }
}
