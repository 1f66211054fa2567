//! Learners behind one small trait (spec §4). Each step consumes one fresh batch.

use crate::error::{check_range, invalid, Result};
use crate::metrics::top_q;
use crate::model::{batch_grad, Grad, Params};
use crate::task::{Batch, Task};
use ndarray::Array1;
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

pub trait Algorithm: Send {
    fn step(&mut self, params: &mut Params, batch: &Batch) -> StepInfo;
    fn stage(&self) -> u8;
    /// Samples consumed when stage two began, if it has.
    fn switched_at(&self) -> Option<u64> {
        None
    }
}

/// When ScbProx leaves stage one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "kebab-case", deny_unknown_fields)]
pub enum SwitchRule {
    /// After a fixed number of samples (0 = start in stage two, as transfer does).
    Budget { samples: u64 },
    /// Data-driven: when, for a μ-weighted fraction >= `fraction` of query tokens, the
    /// top-Q positions of `a_k` (with a strict gap to the next one) have not changed for
    /// `patience` consecutive steps. Uses only the learner's own iterates.
    StableSupport { patience: u32, fraction: f64 },
    /// Stay in stage one (an ablation: no l1 step ever).
    Never,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProxConfig {
    /// Cap of the step schedule `eta_t = min(eta, 2/(t+2))`, t counting all steps of the
    /// run (both stages; no restart at the switch).
    pub eta: f64,
    pub switch: SwitchRule,
    /// Universal threshold `lambda_k = threshold_scale * sigma_hat_k * sqrt(2 ln T)`, with
    /// `sigma_hat_k` the estimated per-entry noise of the preconditioned attention gradient
    /// of this batch.
    pub threshold_scale: f64,
    /// Ablation switch: false drops both preconditioners (plain gradient directions).
    pub precondition: bool,
    /// Ablation switch: false sets lambda = 0 in stage two.
    pub l1: bool,
}

impl Default for ProxConfig {
    fn default() -> Self {
        ProxConfig {
            eta: 0.5,
            switch: SwitchRule::StableSupport { patience: 5, fraction: 0.9 },
            threshold_scale: 1.0,
            precondition: true,
            l1: true,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SgdConfig {
    pub lr: f64,
    /// Re-center V's columns to sum to 1 after each step.
    pub v_sum_to_one: bool,
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig { lr: 1.0, v_sum_to_one: true }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Optimizer {
    Sgd,
    /// Adam with beta1 = 0.9, beta2 = 0.999, eps = 1e-8.
    Adam,
}

/// The softmax transformer of spec §4: `a_k = softmax(W[:, k])` with trainable logits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SoftmaxConfig {
    pub lr: f64,
    pub optimizer: Optimizer,
    /// Re-center V's columns to sum to 1 after each step.
    pub v_sum_to_one: bool,
}

impl Default for SoftmaxConfig {
    fn default() -> Self {
        SoftmaxConfig { lr: 0.01, optimizer: Optimizer::Adam, v_sum_to_one: true }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "kebab-case")]
pub enum AlgoConfig {
    ScbProx(ProxConfig),
    Sgd(SgdConfig),
    Softmax(SoftmaxConfig),
}

impl AlgoConfig {
    pub fn name(&self) -> &'static str {
        match self {
            AlgoConfig::ScbProx(_) => "scb-prox",
            AlgoConfig::Sgd(_) => "sgd",
            AlgoConfig::Softmax(_) => "softmax",
        }
    }

    pub fn validate(&self) -> Result<()> {
        match self {
            AlgoConfig::ScbProx(c) => {
                check_range("eta", c.eta, 0.0, 1.0, true)?;
                check_range("threshold_scale", c.threshold_scale, 0.0, 1e6, false)?;
                if let SwitchRule::StableSupport { patience, fraction } = c.switch {
                    check_range("switch.fraction", fraction, 0.0, 1.0, true)?;
                    if patience == 0 {
                        return Err(invalid("switch.patience", "must be an integer >= 1 (got 0)"));
                    }
                }
                Ok(())
            }
            AlgoConfig::Sgd(c) => check_range("lr", c.lr, 0.0, 1e12, true),
            AlgoConfig::Softmax(c) => check_range("lr", c.lr, 0.0, 1e12, true),
        }
    }

    pub fn build(&self, task: &Task) -> Box<dyn Algorithm> {
        match self {
            AlgoConfig::ScbProx(c) => Box::new(ScbProx::new(c.clone(), task)),
            AlgoConfig::Sgd(c) => Box::new(Sgd::new(c.clone(), task)),
            AlgoConfig::Softmax(c) => Box::new(Softmax::new(c.clone(), task)),
        }
    }
}

pub fn parse_algorithm_name(name: &str) -> Result<AlgoConfig> {
    match name {
        "scb-prox" => Ok(AlgoConfig::ScbProx(ProxConfig::default())),
        "sgd" => Ok(AlgoConfig::Sgd(SgdConfig::default())),
        "softmax" => Ok(AlgoConfig::Softmax(SoftmaxConfig::default())),
        other => Err(invalid("algorithm", format!("must be one of scb-prox, sgd, softmax (got {other:?})"))),
    }
}

/// Adds a constant to each column of V so it sums to 1. The gradient already keeps
/// column sums when `a_k` sums to 1 (1^T r = 0); this only stops round-off drift.
fn recenter_columns(v: &mut [f64], n: usize) {
    for col in v.chunks_exact_mut(n) {
        let shift = (1.0 - col.iter().sum::<f64>()) / n as f64;
        col.iter_mut().for_each(|x| *x += shift);
    }
}

/// The paper's method: preconditioned, l1-proximal gradient in two stages.
pub struct ScbProx {
    cfg: ProxConfig,
    mu: Array1<f64>,
    q: usize,
    grad: Grad,
    stage: u8,
    steps: u64,
    samples: u64,
    switched_at: Option<u64>,
    last_top: Vec<Vec<usize>>,
    stable_for: Vec<u32>,
    col: Vec<f64>,
    row_sums: Vec<f64>,
}

impl ScbProx {
    pub fn new(cfg: ProxConfig, task: &Task) -> ScbProx {
        // The preconditioner is the population second moment, so it uses the task's mu
        // (spec §4); everything else the learner sees is data.
        let mut s = ScbProx {
            cfg,
            mu: task.mu.clone(),
            q: task.q,
            grad: Grad::new(task.n, task.t),
            stage: 1,
            steps: 0,
            samples: 0,
            switched_at: None,
            last_top: vec![Vec::new(); task.n],
            stable_for: vec![0; task.n],
            col: vec![0.0; task.t],
            row_sums: vec![0.0; task.n],
        };
        if s.cfg.switch == (SwitchRule::Budget { samples: 0 }) {
            s.stage = 2;
            s.switched_at = Some(0);
        }
        s
    }

    fn maybe_switch(&mut self, params: &Params) {
        let done = match self.cfg.switch {
            SwitchRule::Never => false,
            SwitchRule::Budget { samples } => self.samples >= samples,
            SwitchRule::StableSupport { patience, fraction } => {
                let mut mass = 0.0;
                for k in 0..params.n() {
                    let a = params.a_col(k);
                    let top = top_q(a, self.q);
                    let min_in = top.iter().map(|&i| a[i]).fold(f64::INFINITY, f64::min);
                    let max_out = (0..a.len())
                        .filter(|i| !top.contains(i))
                        .map(|i| a[i])
                        .fold(f64::NEG_INFINITY, f64::max);
                    if min_in > max_out && top == self.last_top[k] {
                        self.stable_for[k] += 1;
                    } else {
                        self.stable_for[k] = 0;
                    }
                    self.last_top[k] = top;
                    if self.stable_for[k] >= patience {
                        mass += self.mu[k];
                    }
                }
                mass >= fraction
            }
        };
        if done {
            self.stage = 2;
            self.switched_at = Some(self.samples);
        }
    }
}

impl Algorithm for ScbProx {
    fn stage(&self) -> u8 {
        self.stage
    }
    fn switched_at(&self) -> Option<u64> {
        self.switched_at
    }

    fn step(&mut self, params: &mut Params, batch: &Batch) -> StepInfo {
        batch_grad(params, batch, &mut self.grad);
        let (n, t) = (params.n(), params.t());
        let stage = self.stage;
        // One decaying schedule over the whole run; the stages differ by lambda only.
        // A constant stage-one step leaves a noise floor that biases the V and A targets
        // unequally, which drives the iterates along the nearly flat V/A scale direction
        // exponentially fast (A diverged at Q=4); with decaying steps the noise, and the
        // drift with it, averages out.
        let eta = self.cfg.eta.min(2.0 / (self.steps as f64 + 2.0));
        let mu = &self.mu;

        // Scalars at the current V (the gradient's point): c1 = tr(V C V^T), c2 = ||V mu||^2.
        let v = params.v_slice();
        let mut vmu = vec![0.0; n];
        let mut dv = 0.0;
        for (j, col) in v.chunks_exact(n).enumerate() {
            for (acc, x) in vmu.iter_mut().zip(col) {
                *acc += mu[j] * x;
            }
            dv += mu[j] * col.iter().map(|x| x * x).sum::<f64>();
        }
        let c2: f64 = vmu.iter().map(|x| x * x).sum();
        let c1 = (dv - c2).max(0.0);

        // V step. (alpha C + omega mu mu^T)^{-1} = D^{-1}/alpha - (omega-alpha)/(alpha omega) 1 1^T
        // by Sherman-Morrison (1^T mu = 1), so the solve is O(N^2).
        let (mut alpha, mut omega) = (0.0, 0.0);
        for k in 0..n {
            let a = params.a_col(k);
            alpha += mu[k] * a.iter().map(|x| x * x).sum::<f64>();
            omega += mu[k] * a.iter().sum::<f64>().powi(2);
        }
        let gv = self.grad.gv.as_slice_memory_order().expect("column-major");
        let precond = self.cfg.precondition && alpha > 0.0 && omega > 0.0;
        {
            let gamma = if precond { (omega - alpha) / (alpha * omega) } else { 0.0 };
            self.row_sums.fill(0.0);
            for col in gv.chunks_exact(n) {
                for (s, g) in self.row_sums.iter_mut().zip(col) {
                    *s += g;
                }
            }
            let v = params.v_slice_mut();
            for (j, (vc, gc)) in v.chunks_exact_mut(n).zip(gv.chunks_exact(n)).enumerate() {
                let scale = if precond { 1.0 / (alpha * mu[j]) } else { 1.0 };
                for ((x, g), rs) in vc.iter_mut().zip(gc).zip(&self.row_sums) {
                    *x -= eta * (g * scale - gamma * rs);
                }
            }
            recenter_columns(v, n);
        }

        // A step. With c1 = 0 (V carries no signal yet, as at the start) the attention
        // gradient is pure noise along a flat direction; skip it.
        let mut lambda_mean = 0.0;
        if !self.cfg.precondition || c1 > 0.0 {
            let b = self.grad.batch as f64;
            let shrink = if self.cfg.precondition { c2 / (c1 + t as f64 * c2) } else { 0.0 };
            let universal = (2.0 * (t as f64).ln()).sqrt();
            for k in 0..n {
                let pre = if self.cfg.precondition { 1.0 / (mu[k] * c1) } else { 1.0 };
                let g = self.grad.ga_col(k);
                let gsum: f64 = g.iter().sum::<f64>() * pre;
                let lambda = if stage == 2 && self.cfg.l1 {
                    // Var of one entry of G_A[:,k] = n_k var(d) / B^2, then preconditioned.
                    let sigma = (self.grad.count[k] as f64 * self.grad.da_var).sqrt() / b * pre;
                    self.cfg.threshold_scale * sigma * universal
                } else {
                    0.0
                };
                lambda_mean += mu[k] * lambda;
                let a = params.a_col(k);
                let thr = eta * lambda;
                let mut sum = 0.0;
                for ((out, &ai), &gi) in self.col.iter_mut().zip(a).zip(g) {
                    let x = ai - eta * (gi * pre - shrink * gsum);
                    let y = x.signum() * (x.abs() - thr).max(0.0);
                    *out = y;
                    sum += y;
                }
                // Multiplicative renormalisation keeps zeros at zero. A column thresholded
                // to nothing (sum <= 0) keeps its previous value for this step.
                if sum > 0.0 && sum.is_finite() {
                    let a = params.a_col_mut(k);
                    for (ai, y) in a.iter_mut().zip(&self.col) {
                        *ai = y / sum;
                    }
                }
            }
        }

        self.samples += batch.len() as u64;
        self.steps += 1;
        if stage == 1 {
            self.maybe_switch(params);
        }
        StepInfo { batch_loss: self.grad.loss, stage, lambda: lambda_mean }
    }
}

/// Baseline: plain minibatch gradient descent on (V, A).
pub struct Sgd {
    cfg: SgdConfig,
    grad: Grad,
}

impl Sgd {
    pub fn new(cfg: SgdConfig, task: &Task) -> Sgd {
        Sgd { cfg, grad: Grad::new(task.n, task.t) }
    }
}

impl Algorithm for Sgd {
    fn stage(&self) -> u8 {
        1
    }
    fn step(&mut self, params: &mut Params, batch: &Batch) -> StepInfo {
        batch_grad(params, batch, &mut self.grad);
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

impl Algorithm for Softmax {
    fn stage(&self) -> u8 {
        1
    }
    fn step(&mut self, params: &mut Params, batch: &Batch) -> StepInfo {
        let t = params.t();
        // W = 0 is the uniform start; keep A = softmax(W) whatever A the caller passed.
        softmax_columns(&self.w, params.a_slice_mut(), t);
        batch_grad(params, batch, &mut self.grad);
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
