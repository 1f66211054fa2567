//! ScbProx, the paper's method (docs/theory.md §3): preconditioned gradient steps on V and
//! on A, stage two by dual averaging of A's one-step targets with a threshold that shrinks
//! with the average's noise, and transfer from a frozen pretrained V.

use super::{recenter_columns, Learner, Overrides, StepInfo};
use crate::metrics::top_q_with_gap;
use crate::model::{Grad, Params};
use crate::task::Task;
use ndarray::Array1;
use scb_harness::error::{check_range, invalid, Result};
use serde::{Deserialize, Serialize};

/// When ScbProx leaves stage one (and, with `freeze_v`, when V starts to move).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "kebab-case", deny_unknown_fields)]
pub enum SwitchRule {
    /// After a fixed number of samples (0 = start in stage two: a warm start).
    Budget {
        /// Samples of stage one.
        samples: u64,
    },
    /// Data-driven: when, for a μ-weighted fraction >= `fraction` of query tokens, the
    /// top-Q positions of `a_k` (with a strict gap to the next one) have not changed for
    /// `patience` consecutive steps. Uses only the learner's own iterates.
    StableSupport {
        /// Consecutive steps the supports must hold.
        patience: u32,
        /// The mu-weighted share of query tokens whose supports must hold.
        fraction: f64,
    },
    /// Stay in stage one (an ablation: no l1 step ever).
    Never,
}

/// How stage two moves the attention.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StageTwoRule {
    /// Dual averaging (docs/theory.md §3): `z_k` is the `2/(t+2)`-weighted average of the
    /// one-step targets `y_k = a_k - g_k` since the switch, and `a_k = max(z_k - lambda, 0)`
    /// rescaled, with a threshold that shrinks as the average's noise does:
    /// `lambda = sigma_hat_k sqrt(2 ln T) sqrt(s_t)`. V's step schedule restarts at the switch.
    DualAveraging,
    /// The refuted rule, kept runnable: a proximal step on the iterate itself,
    /// `a_k = max(a_k - eta_t (g_k + lambda_k), 0)` rescaled, with a per-batch threshold
    /// `lambda_k = sigma_hat_k sqrt(2 ln T)` that never shrinks and one step schedule over
    /// the whole run. The rescaling inflates the support by `1/(1 - Q eta lambda)` a step,
    /// so it stalls once `Q lambda` nears 1/2 (docs/theory.md §3).
    PerBatch,
}

/// Transfer from a pretrained V (docs/theory.md §3): hold V fixed and learn A by stage-two dual
/// averaging until the switch rule sees a stable support, then train both in stage two.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreezeV {
    /// If no support has stabilised after this many samples, the pretrained V is taken to
    /// carry no signal: unfreeze it and fall back to stage one from the current state.
    pub fallback_samples: u64,
}

/// ScbProx's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProxConfig {
    /// Cap of the step schedule `eta_t = min(eta, 2/(t+2))`; t counts the steps of the
    /// current stage (the per-batch rule counts every step of the run).
    pub eta: f64,
    /// When it leaves stage one.
    pub switch: SwitchRule,
    /// How stage two steps.
    pub stage_two: StageTwoRule,
    /// Universal threshold `lambda_k = threshold_scale * sigma_hat_k * sqrt(2 ln T)`, with
    /// `sigma_hat_k` the estimated per-entry noise of one batch's preconditioned attention
    /// gradient.
    pub threshold_scale: f64,
    /// Ablation switch: false drops both preconditioners (plain gradient directions).
    pub precondition: bool,
    /// Ablation switch: false sets lambda = 0 in stage two.
    pub l1: bool,
    /// Start with V frozen (transfer); absent for training from scratch.
    pub freeze_v: Option<FreezeV>,
}

impl ProxConfig {
    /// Applies the command line's step size (`--eta`); `--lr` is refused.
    pub fn apply(&mut self, o: &Overrides) -> Result<()> {
        if o.lr.is_some() {
            return Err(invalid("lr", "applies to --algorithm sgd and softmax; scb-prox takes --eta"));
        }
        self.eta = o.eta.unwrap_or(self.eta);
        Ok(())
    }
}

scb_harness::validated!(ProxConfig);

impl scb_harness::config::Validate for ProxConfig {
    fn validate(&self) -> Result<()> {
        check_range("eta", self.eta, 0.0, 1.0, true)?;
        check_range("threshold_scale", self.threshold_scale, 0.0, 1e6, false)?;
        if let SwitchRule::StableSupport { patience, fraction } = self.switch {
            check_range("switch.fraction", fraction, 0.0, 1.0, true)?;
            if patience == 0 {
                return Err(invalid("switch.patience", "must be an integer >= 1 (got 0)"));
            }
        }
        if self.freeze_v.as_ref().is_some_and(|f| f.fallback_samples == 0) {
            return Err(invalid("freeze_v.fallback_samples", "must be an integer >= 1 (got 0)"));
        }
        Ok(())
    }
}

impl Default for ProxConfig {
    fn default() -> Self {
        ProxConfig {
            eta: 0.5,
            switch: SwitchRule::StableSupport { patience: 5, fraction: 0.9 },
            stage_two: StageTwoRule::DualAveraging,
            threshold_scale: 1.0,
            precondition: true,
            l1: true,
            freeze_v: None,
        }
    }
}

/// Where ScbProx is in its run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// V and A by preconditioned gradient steps, no threshold.
    One,
    /// V by preconditioned steps, A by the stage-two rule.
    Two,
    /// Transfer: A by dual averaging, V held at its pretrained value.
    FrozenV,
}

/// The paper's method: preconditioned, l1-proximal gradient in two stages.
pub struct ScbProx {
    cfg: ProxConfig,
    mu: Array1<f64>,
    q: usize,
    grad: Grad,
    phase: Phase,
    /// Steps of the whole run, and of the current phase (each phase restarts its schedule).
    steps: u64,
    phase_steps: u64,
    samples: u64,
    switched_at: Option<u64>,
    fell_back_at: Option<u64>,
    last_top: Vec<Vec<usize>>,
    stable_for: Vec<u32>,
    /// Dual averaging state: the averaged targets (T x N, column-major), the number of
    /// targets averaged, and the variance factor `s_t` of the average.
    z: Vec<f64>,
    da_steps: u64,
    s_t: f64,
    col: Vec<f64>,
    row_sums: Vec<f64>,
}

impl ScbProx {
    /// ScbProx on `task`, its preconditioners from the task's token law.
    pub fn new(cfg: ProxConfig, task: &Task) -> ScbProx {
        // The preconditioner is the population second moment, so it uses the task's mu
        // (docs/theory.md §3); everything else the learner sees is data.
        let phase = if cfg.freeze_v.is_some() {
            Phase::FrozenV
        } else if cfg.switch == (SwitchRule::Budget { samples: 0 }) {
            Phase::Two
        } else {
            Phase::One
        };
        ScbProx {
            mu: task.mu.clone(),
            q: task.q,
            grad: Grad::new(task.n, task.t),
            phase,
            steps: 0,
            phase_steps: 0,
            samples: 0,
            switched_at: (phase == Phase::Two).then_some(0),
            fell_back_at: None,
            last_top: vec![Vec::new(); task.n],
            stable_for: vec![0; task.n],
            z: vec![0.0; task.n * task.t],
            da_steps: 0,
            s_t: 0.0,
            col: vec![0.0; task.t],
            row_sums: vec![0.0; task.n],
            cfg,
        }
    }

    fn enter(&mut self, phase: Phase) {
        // Dual averaging restarts when stage two starts from stage one: the targets of
        // stage one belong to another V. From the frozen-V phase it continues: A's
        // average is already about the support it has found.
        if !(self.phase == Phase::FrozenV && phase == Phase::Two) {
            self.da_steps = 0;
            self.s_t = 0.0;
        }
        self.phase = phase;
        self.phase_steps = 0;
        self.stable_for.fill(0);
        self.last_top.iter_mut().for_each(Vec::clear);
    }

    /// Whether the switch rule fires after this step (updates the stability counters).
    fn switch_due(&mut self, params: &Params) -> bool {
        match self.cfg.switch {
            SwitchRule::Never => false,
            SwitchRule::Budget { samples } => self.samples >= samples,
            SwitchRule::StableSupport { patience, fraction } => {
                let mut mass = 0.0;
                for k in 0..params.n() {
                    let (top, gap) = top_q_with_gap(params.a_col(k), self.q);
                    if gap && top == self.last_top[k] {
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
        }
    }
}

/// The weight of the t-th target (t from 0) in the dual average: `2/(t+2)`. It weighs
/// target j by j + 1 overall, so late targets, taken nearer the truth, count more.
fn average_weight(t: u64) -> f64 {
    2.0 / (t as f64 + 2.0)
}

/// `s_t = (1 - w)^2 s_{t-1} + w^2`: the sum of the squared weights of the average, so its
/// noise is `sqrt(s_t)` times one target's (about `4/(3t)` for large t).
fn variance_factor(s_prev: f64, w: f64) -> f64 {
    (1.0 - w).powi(2) * s_prev + w * w
}

/// `max(x - lambda, 0)` per entry, then rescaled to sum 1 (the prox of `lambda ||a||_1` on
/// the nonnegative orthant, then the simplex's scale). A column thresholded to nothing keeps
/// its previous value for this step.
fn clip_rescale(out: &mut [f64], lambda: f64, a: &mut [f64]) {
    let mut sum = 0.0;
    for y in out.iter_mut() {
        *y = (*y - lambda).max(0.0);
        sum += *y;
    }
    if sum > 0.0 && sum.is_finite() {
        for (ai, y) in a.iter_mut().zip(out.iter()) {
            *ai = y / sum;
        }
    }
}

impl Learner for ScbProx {
    fn stage(&self) -> u8 {
        if self.phase == Phase::One {
            1
        } else {
            2
        }
    }
    fn switched_at(&self) -> Option<u64> {
        self.switched_at
    }
    fn fell_back_at(&self) -> Option<u64> {
        self.fell_back_at
    }

    fn grad_mut(&mut self) -> &mut Grad {
        &mut self.grad
    }

    fn update(&mut self, params: &mut Params) -> StepInfo {
        let phase = self.phase;
        let per_batch = phase == Phase::Two && self.cfg.stage_two == StageTwoRule::PerBatch;
        // Decaying steps: a constant step leaves a noise floor that biases the V and A
        // targets unequally and drives the iterates along the nearly flat V/A scale
        // direction exponentially fast. Each phase restarts the schedule (docs/theory.md §3); the
        // refuted per-batch rule keeps one schedule for the run, as it was stated.
        let clock = if per_batch { self.steps } else { self.phase_steps };
        let eta = self.cfg.eta.min(2.0 / (clock as f64 + 2.0));
        // Read at the gradient's point, before V moves.
        let (c1, c2) = self.v_scalars(params);
        if phase != Phase::FrozenV {
            self.step_v(params, eta);
        }
        // With c1 = 0 (V carries no signal yet, as at the start) the attention gradient is
        // pure noise along a flat direction; skip it.
        let lambda_mean = if !self.cfg.precondition || c1 > 0.0 { self.step_a(params, eta, c1, c2, per_batch) } else { 0.0 };
        self.samples += self.grad.batch as u64;
        self.steps += 1;
        self.phase_steps += 1;
        self.next_phase(params);
        StepInfo { batch_loss: self.grad.loss, stage: if phase == Phase::One { 1 } else { 2 }, lambda: lambda_mean }
    }
}

impl ScbProx {
    /// c1 = tr(V C V^T) and c2 = ||V mu||^2 at the current V.
    fn v_scalars(&self, params: &Params) -> (f64, f64) {
        let n = params.n();
        let mu = &self.mu;
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
        ((dv - c2).max(0.0), c2)
    }

    /// The V step. (alpha C + omega mu mu^T)^{-1} = D^{-1}/alpha - (omega-alpha)/(alpha omega) 1 1^T
    /// by Sherman-Morrison (1^T mu = 1), so the solve is O(N^2).
    fn step_v(&mut self, params: &mut Params, eta: f64) {
        let n = params.n();
        let mu = &self.mu;
        let (mut alpha, mut omega) = (0.0, 0.0);
        for k in 0..n {
            let a = params.a_col(k);
            alpha += mu[k] * a.iter().map(|x| x * x).sum::<f64>();
            omega += mu[k] * a.iter().sum::<f64>().powi(2);
        }
        let gv = self.grad.gv.as_slice_memory_order().expect("column-major");
        let precond = self.cfg.precondition && alpha > 0.0 && omega > 0.0;
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

    /// The A step, query by query: a proximal (thresholded) step, or in stage two the dual
    /// average of one-step targets. Returns the mean threshold applied (weighted by mu).
    fn step_a(&mut self, params: &mut Params, eta: f64, c1: f64, c2: f64, per_batch: bool) -> f64 {
        let (n, t) = (params.n(), params.t());
        let phase = self.phase;
        let mu = &self.mu;
        let mut lambda_mean = 0.0;
        let averaging = phase != Phase::One && !per_batch;
        let w = average_weight(self.da_steps);
        if averaging {
            self.s_t = variance_factor(self.s_t, w);
        }
        let b = self.grad.batch as f64;
        let shrink = if self.cfg.precondition { c2 / (c1 + t as f64 * c2) } else { 0.0 };
        let universal = (2.0 * (t as f64).ln()).sqrt();
        for k in 0..n {
            let pre = if self.cfg.precondition { 1.0 / (mu[k] * c1) } else { 1.0 };
            let g = self.grad.ga_col(k);
            let gsum: f64 = g.iter().sum::<f64>() * pre;
            // Per-entry noise of one batch's preconditioned gradient for query k:
            // Var(G_A[t,k]) = n_k var(d) / B^2. The per-batch rule reads n_k off the
            // batch, as it was stated; the average uses its expectation B mu_k, since
            // it describes many batches (and a batch without query k would give 0).
            let count = if averaging { b * mu[k] } else { self.grad.count[k] as f64 };
            let sigma = (count * self.grad.da_var).sqrt() / b * pre;
            let thresholding = phase != Phase::One && self.cfg.l1;
            let lambda = if thresholding { self.cfg.threshold_scale * sigma * universal } else { 0.0 };
            let a = params.a_col(k);
            let applied = if averaging {
                // One-step target y_k = a_k - g_k, averaged into z_k.
                let z = &mut self.z[k * t..(k + 1) * t];
                for (((zi, out), &ai), &gi) in z.iter_mut().zip(self.col.iter_mut()).zip(a).zip(g) {
                    let y = ai - (gi * pre - shrink * gsum);
                    *zi = (1.0 - w) * *zi + w * y;
                    *out = *zi;
                }
                lambda * self.s_t.sqrt()
            } else {
                for ((out, &ai), &gi) in self.col.iter_mut().zip(a).zip(g) {
                    *out = ai - eta * (gi * pre - shrink * gsum);
                }
                eta * lambda
            };
            lambda_mean += mu[k] * applied;
            clip_rescale(&mut self.col, applied, params.a_col_mut(k));
        }
        if averaging {
            self.da_steps += 1;
        }
        lambda_mean
    }

    /// After a step: into stage two when the switch rule says so, or back to stage one when
    /// a frozen-V start has run out of samples.
    fn next_phase(&mut self, params: &Params) {
        let phase = self.phase;
        if matches!(phase, Phase::One | Phase::FrozenV) && self.switch_due(params) {
            self.enter(Phase::Two);
            self.switched_at = Some(self.samples);
        } else if phase == Phase::FrozenV && self.samples >= self.cfg.freeze_v.as_ref().map_or(u64::MAX, |f| f.fallback_samples) {
            self.enter(Phase::One);
            self.fell_back_at = Some(self.samples);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dual_average_weighs_target_j_by_j_plus_1_and_tracks_its_variance() {
        let ys: Vec<f64> = (0..50).map(|j| ((j * 37) % 11) as f64 - 3.0).collect();
        let (mut z, mut s) = (0.0, 0.0);
        for (t, y) in ys.iter().enumerate() {
            let w = average_weight(t as u64);
            z = (1.0 - w) * z + w * y;
            s = variance_factor(s, w);
            let n = t + 1;
            let weights: Vec<f64> = (1..=n).map(|j| j as f64).collect();
            let total: f64 = weights.iter().sum();
            let want_z: f64 = ys[..n].iter().zip(&weights).map(|(y, w)| y * w).sum::<f64>() / total;
            let want_s: f64 = weights.iter().map(|w| w * w).sum::<f64>() / (total * total);
            assert!((z - want_z).abs() < 1e-12, "z at t={t}");
            assert!((s - want_s).abs() < 1e-15, "s at t={t}");
        }
        // s_t -> 4/(3t): the threshold shrinks as the average's noise does.
        assert!((s * 3.0 * 50.0 / 4.0 - 1.0).abs() < 0.05, "{s}");
    }

    #[test]
    fn clip_rescale_is_the_nonnegative_prox_on_the_simplex_and_keeps_a_column_it_empties() {
        let mut out = vec![0.5, 0.1, -0.2, 0.3];
        let mut a = vec![0.25; 4];
        clip_rescale(&mut out, 0.2, &mut a);
        for (got, want) in a.iter().zip([0.75, 0.0, 0.0, 0.25]) {
            assert!((got - want).abs() < 1e-15, "{a:?}");
        }
        let mut out = vec![0.1, 0.1];
        let mut a = vec![0.7, 0.3];
        clip_rescale(&mut out, 0.5, &mut a);
        assert_eq!(a, vec![0.7, 0.3], "a column thresholded to nothing keeps its previous value");
    }

    /// ScbProx's step written out from its formulas (docs/theory.md §3) on plain matrices,
    /// independently of the learner's buffers: V by `(alpha C + omega mu mu^T)^{-1}` (the
    /// preconditioned direction `G_V[:, j] / (alpha mu_j) - gamma G_V 1`), recentred; each
    /// a_k by the preconditioned step (or the dual average of its one-step targets), thresholded
    /// and rescaled.
    struct Reference {
        v: Vec<Vec<f64>>, // v[j][i] = V[i, j]
        a: Vec<Vec<f64>>, // a[k][s] = A[s, k]
        z: Vec<Vec<f64>>,
        s_t: f64,
        averaged: u64,
        /// Entries the threshold set to 0, and columns it emptied (which keep their values).
        zeroed: usize,
        emptied: usize,
        /// The last step's mu-weighted mean threshold.
        lambda_mean: f64,
    }

    struct Setting {
        precondition: bool,
        stage_two: Option<StageTwoRule>,
        threshold_scale: f64,
        eta: f64,
    }

    // Index loops, so that the reference reads as the formulas do.
    #[allow(clippy::needless_range_loop)]
    impl Reference {
        #[allow(clippy::too_many_arguments)]
        fn step(&mut self, mu: &[f64], gv: &[Vec<f64>], ga: &[Vec<f64>], count: &[u32], da_var: f64, b: f64, clock: u64, set: &Setting) {
            let (n, t) = (mu.len(), self.a[0].len());
            let eta = set.eta.min(2.0 / (clock as f64 + 2.0));
            // c1 = sum_j mu_j |V e_j|^2 - |V mu|^2 and c2 = |V mu|^2, at the point of the gradient.
            let vmu: Vec<f64> = (0..n).map(|i| (0..n).map(|j| mu[j] * self.v[j][i]).sum()).collect();
            let c2: f64 = vmu.iter().map(|x| x * x).sum();
            let c1 = ((0..n).map(|j| mu[j] * self.v[j].iter().map(|x| x * x).sum::<f64>()).sum::<f64>() - c2).max(0.0);
            let alpha: f64 = (0..n).map(|k| mu[k] * self.a[k].iter().map(|x| x * x).sum::<f64>()).sum();
            let omega: f64 = (0..n).map(|k| mu[k] * self.a[k].iter().sum::<f64>().powi(2)).sum();
            let gamma = if set.precondition { (omega - alpha) / (alpha * omega) } else { 0.0 };
            for j in 0..n {
                let scale = if set.precondition { 1.0 / (alpha * mu[j]) } else { 1.0 };
                for i in 0..n {
                    let row: f64 = (0..n).map(|l| gv[l][i]).sum();
                    self.v[j][i] -= eta * (gv[j][i] * scale - gamma * row);
                }
                let shift = (1.0 - self.v[j].iter().sum::<f64>()) / n as f64;
                self.v[j].iter_mut().for_each(|x| *x += shift);
            }
            let averaging = set.stage_two == Some(StageTwoRule::DualAveraging);
            let w = 2.0 / (self.averaged as f64 + 2.0);
            if averaging {
                self.s_t = (1.0 - w) * (1.0 - w) * self.s_t + w * w;
                self.averaged += 1;
            }
            let shrink = if set.precondition { c2 / (c1 + t as f64 * c2) } else { 0.0 };
            self.lambda_mean = 0.0;
            for k in 0..n {
                let pre = if set.precondition { 1.0 / (mu[k] * c1) } else { 1.0 };
                let g: Vec<f64> = ga[k].iter().map(|x| x * pre).collect();
                let gsum: f64 = g.iter().sum();
                let dir: Vec<f64> = g.iter().map(|x| x - shrink * gsum).collect();
                let n_k = if averaging { b * mu[k] } else { count[k] as f64 };
                let lambda = match set.stage_two {
                    Some(_) => set.threshold_scale * (n_k * da_var).sqrt() / b * pre * (2.0 * (t as f64).ln()).sqrt(),
                    None => 0.0,
                };
                let (target, cut): (Vec<f64>, f64) = if averaging {
                    for s in 0..t {
                        self.z[k][s] = (1.0 - w) * self.z[k][s] + w * (self.a[k][s] - dir[s]);
                    }
                    (self.z[k].clone(), lambda * self.s_t.sqrt())
                } else {
                    ((0..t).map(|s| self.a[k][s] - eta * dir[s]).collect(), eta * lambda)
                };
                self.lambda_mean += mu[k] * cut;
                let kept: Vec<f64> = target.iter().map(|x| (x - cut).max(0.0)).collect();
                let sum: f64 = kept.iter().sum();
                self.zeroed += kept.iter().filter(|&&x| x == 0.0).count();
                if sum > 0.0 {
                    self.a[k] = kept.iter().map(|x| x / sum).collect();
                } else {
                    self.emptied += 1;
                }
            }
        }
    }

    /// Three steps of the learner and of the reference from the same start and gradients;
    /// returns how many entries the threshold zeroed and how many columns it emptied.
    fn three_steps(set: Setting) -> (usize, usize) {
        let (n, t, b) = (3, 4, 64usize);
        let task = Task::generate(&crate::task::TaskConfig { n, t, q: 2, ..Default::default() }, 3).unwrap();
        let switch = match set.stage_two {
            Some(_) => SwitchRule::Budget { samples: 0 },
            None => SwitchRule::Never,
        };
        let cfg = ProxConfig {
            eta: set.eta,
            switch,
            stage_two: set.stage_two.unwrap_or(StageTwoRule::DualAveraging),
            threshold_scale: set.threshold_scale,
            precondition: set.precondition,
            ..Default::default()
        };
        let mut learner = ScbProx::new(cfg, &task);
        let mu = task.mu.to_vec();
        let v0: Vec<Vec<f64>> = (0..n).map(|j| (0..n).map(|i| 0.2 + 0.15 * ((i * 5 + j * 3) % 4) as f64).collect()).collect();
        // Columns summing to 1, 1.3 and 1.6: off the simplex, so that omega = sum_k mu_k (1^T a_k)^2
        // is not 1 and the V step's preconditioner depends on it.
        let a0: Vec<Vec<f64>> = (0..n).map(|k| (0..t).map(|s| (0.1 + 0.1 * ((s * 3 + k) % 4) as f64) * (1.0 + 0.3 * k as f64)).collect()).collect();
        let v = ndarray::Array2::from_shape_fn((n, n), |(i, j)| v0[j][i]);
        let a = ndarray::Array2::from_shape_fn((t, n), |(s, k)| a0[k][s]);
        let mut params = Params::new(v.view(), a.view());
        let mut reference = Reference { v: v0, a: a0, z: vec![vec![0.0; t]; n], s_t: 0.0, averaged: 0, zeroed: 0, emptied: 0, lambda_mean: 0.0 };
        for step in 0..3u64 {
            let gv: Vec<Vec<f64>> = (0..n).map(|j| (0..n).map(|i| 0.05 * ((i + 2 * j + step as usize) % 5) as f64 - 0.08).collect()).collect();
            let ga: Vec<Vec<f64>> = (0..n).map(|k| (0..t).map(|s| 0.04 * ((3 * s + k + 2 * step as usize) % 7) as f64 - 0.1).collect()).collect();
            let count = [20u32, 30, 14];
            let da_var = 0.3 + 0.1 * step as f64;
            let g = learner.grad_mut();
            g.gv.assign(&ndarray::Array2::from_shape_fn((n, n), |(i, j)| gv[j][i]));
            g.ga.assign(&ndarray::Array2::from_shape_fn((t, n), |(s, k)| ga[k][s]));
            g.count = count.to_vec();
            g.da_var = da_var;
            g.batch = b;
            g.loss = 0.25 + step as f64;
            let info = learner.update(&mut params);
            reference.step(&mu, &gv, &ga, &count, da_var, b as f64, step, &set);
            let stage = if set.stage_two.is_some() { 2 } else { 1 };
            assert_eq!((info.batch_loss, info.stage), (0.25 + step as f64, stage), "step {step}");
            assert!((info.lambda - reference.lambda_mean).abs() < 1e-12, "step {step}: mean threshold {} against {}", info.lambda, reference.lambda_mean);
            assert_eq!((learner.steps, learner.phase_steps, learner.samples), (step + 1, step + 1, (step + 1) * b as u64));
            for j in 0..n {
                for i in 0..n {
                    let (got, want) = (params.v()[[i, j]], reference.v[j][i]);
                    assert!((got - want).abs() < 1e-12, "step {step}: V[{i},{j}] {got} against {want}");
                }
            }
            for k in 0..n {
                for s in 0..t {
                    let (got, want) = (params.a()[[s, k]], reference.a[k][s]);
                    assert!((got - want).abs() < 1e-12, "step {step}: A[{s},{k}] {got} against {want}");
                }
            }
        }
        (reference.zeroed, reference.emptied)
    }

    #[test]
    fn stage_one_is_the_preconditioned_step_written_out() {
        three_steps(Setting { precondition: true, stage_two: None, threshold_scale: 1.0, eta: 0.9 });
    }

    #[test]
    fn stage_one_without_preconditioning_is_the_plain_step() {
        three_steps(Setting { precondition: false, stage_two: None, threshold_scale: 1.0, eta: 0.3 });
    }

    #[test]
    fn stage_two_is_the_thresholded_dual_average_written_out() {
        let (zeroed, emptied) = three_steps(Setting { precondition: true, stage_two: Some(StageTwoRule::DualAveraging), threshold_scale: 0.7, eta: 0.9 });
        assert!(zeroed > 0 && emptied < 9, "the threshold must bite without emptying every column: {zeroed} zeroed, {emptied} emptied");
    }

    #[test]
    fn the_refuted_per_batch_rule_is_its_proximal_step_written_out() {
        let (zeroed, emptied) = three_steps(Setting { precondition: true, stage_two: Some(StageTwoRule::PerBatch), threshold_scale: 0.7, eta: 0.9 });
        assert!(zeroed > 0 && emptied < 9, "the threshold must bite without emptying every column: {zeroed} zeroed, {emptied} emptied");
    }

    /// One step from V = 0, where c1 = tr(V C V^T) is exactly 0, in stage one or (by dual
    /// averaging) two; returns whether A moved. The step's mean threshold must be 0.
    fn a_moves_from_v_zero(precondition: bool, stage_two: bool) -> bool {
        let (n, t) = (3, 4);
        let task = Task::generate(&crate::task::TaskConfig { n, t, q: 2, ..Default::default() }, 3).unwrap();
        let switch = if stage_two { SwitchRule::Budget { samples: 0 } } else { SwitchRule::Never };
        let cfg = ProxConfig { switch, precondition, ..Default::default() };
        let mut learner = ScbProx::new(cfg, &task);
        let a = ndarray::Array2::from_shape_fn((t, n), |(s, k)| 0.1 + 0.1 * ((s * 3 + k) % 4) as f64);
        let mut params = Params::new(ndarray::Array2::zeros((n, n)).view(), a.view());
        assert_eq!(learner.v_scalars(&params), (0.0, 0.0));
        let g = learner.grad_mut();
        g.ga.assign(&ndarray::Array2::from_shape_fn((t, n), |(s, k)| 0.04 * ((3 * s + k) % 7) as f64 - 0.1));
        g.batch = 64;
        // A noise estimate, so that a stage-two threshold divided by c1 = 0 would be infinite.
        g.da_var = 0.3;
        let info = learner.update(&mut params);
        assert_eq!(info.lambda, 0.0, "precondition {precondition}, stage two {stage_two}");
        params.a() != a
    }

    #[test]
    fn with_c1_zero_the_preconditioned_a_step_is_skipped_and_the_plain_one_taken() {
        for stage_two in [false, true] {
            assert!(!a_moves_from_v_zero(true, stage_two), "V carries no signal: the preconditioned A step divides by c1 = 0 and must be skipped");
        }
        assert!(a_moves_from_v_zero(false, false), "without the preconditioner the A step does not divide by c1 and is taken");
    }

    #[test]
    fn without_a_positive_omega_the_v_step_is_the_plain_one() {
        // Columns of A summing to 0 give omega = 0 with alpha > 0: the preconditioner
        // (omega - alpha) / (alpha omega) is undefined, and V takes the plain step.
        let (n, t) = (3, 4);
        let task = Task::generate(&crate::task::TaskConfig { n, t, q: 2, ..Default::default() }, 3).unwrap();
        let mut learner = ScbProx::new(ProxConfig { switch: SwitchRule::Never, ..Default::default() }, &task);
        let a = ndarray::Array2::from_shape_fn((t, n), |(s, _)| [0.5, -0.25, -0.25, 0.0][s]);
        let v = ndarray::Array2::from_shape_fn((n, n), |(i, j)| 0.2 + 0.1 * ((i + 2 * j) % 3) as f64);
        let mut params = Params::new(v.view(), a.view());
        let gv = ndarray::Array2::from_shape_fn((n, n), |(i, j)| 0.05 * ((i + 2 * j) % 5) as f64 - 0.08);
        learner.grad_mut().gv.assign(&gv);
        learner.step_v(&mut params, 0.5);
        let want = crate::learners::recentred(&v - &(0.5 * &gv));
        for (got, want) in params.v().iter().zip(&want) {
            assert!((got - want).abs() < 1e-14, "{} against {want}", params.v());
        }
    }
}
