//! Population quantities under the task's law (docs/theory.md §2): the loss, the excess
//! loss and the gradients in closed form, with no sampling.

use super::{outer, Params};
use crate::task::Task;
use ndarray::{Array2, ArrayView1, ArrayView2};

/// Population quantities under the task's law (docs/theory.md §2).
pub struct Population<'a> {
    /// The task whose law this is.
    pub task: &'a Task,
    /// `C = diag(mu) - mu mu^T`.
    pub c: Array2<f64>,
}

impl<'a> Population<'a> {
    /// The population quantities of `task`.
    pub fn new(task: &'a Task) -> Self {
        let mu = &task.mu;
        let mut c = Array2::from_diag(mu);
        let outer = outer(mu.view(), mu.view());
        c -= &outer;
        Population { task, c }
    }

    /// `M(a, b) = <a,b> C + (1^T a)(1^T b) mu mu^T`.
    pub fn m(&self, a: ArrayView1<f64>, b: ArrayView1<f64>) -> Array2<f64> {
        let mu = &self.task.mu;
        &self.c * a.dot(&b) + &(outer(mu.view(), mu.view()) * (a.sum() * b.sum()))
    }

    /// `(c1, c2, s, m) = (tr(V C V^T), ||V mu||^2, <V, P C>, <V mu, mu>)`.
    pub fn scalars(&self, v: ArrayView2<f64>) -> (f64, f64, f64, f64) {
        let mu = &self.task.mu;
        let vc = v.dot(&self.c);
        let c1 = (&vc * &v).sum();
        let vmu = v.dot(mu);
        let c2 = vmu.dot(&vmu);
        let s = (&vc * &self.task.p).sum(); // <V C, P> = <V, P C> since C is symmetric
        let m = vmu.dot(mu);
        (c1, c2, s, m)
    }

    fn loss_parts(&self, params: &Params) -> (f64, f64) {
        let task = self.task;
        let (c1, c2, s, m) = self.scalars(params.v());
        let (pc1, pc2, _, _) = self.scalars(task.p.view());
        let (mut quad_lin, mut target) = (0.0, 0.0);
        for k in 0..task.n {
            let ak = params.a().column(k).to_owned();
            let qk = task.qstar.column(k);
            let (sa, sq) = (ak.sum(), qk.sum());
            let quad = ak.dot(&ak) * c1 + sa * sa * c2;
            let lin = ak.dot(&qk) * s + sa * sq * m;
            quad_lin += task.mu[k] * (quad - 2.0 * lin);
            target += task.mu[k] * (qk.dot(&qk) * pc1 + sq * sq * pc2);
        }
        (quad_lin, target)
    }

    /// Expected per-sample loss `L(V, A)`.
    pub fn loss(&self, params: &Params) -> f64 {
        0.5 * (self.loss_parts(params).0 + 1.0)
    }

    /// `L(V, A) - L(P, Qstar)`: 0 exactly at the truth.
    pub fn excess_loss(&self, params: &Params) -> f64 {
        let (ql, target) = self.loss_parts(params);
        0.5 * (ql + target)
    }

    /// `(grad_V L, grad_A L)`. V's gradient sums `V M(a_k, a_k) - P M(q_k, a_k)` over k;
    /// since M is `<a,b> C + (1^T a)(1^T b) mu mu^T`, that sum is four matrices weighted by
    /// four mu-averages: O(N^3 + N T) a step, which is what makes population runs cheap.
    pub fn grads(&self, params: &Params) -> (Array2<f64>, Array2<f64>) {
        let task = self.task;
        let (n, t) = (task.n, task.t);
        let (v, a, mu) = (params.v(), params.a(), &task.mu);
        let (c1, c2, s, m) = self.scalars(v);
        let (mut aa, mut ss, mut qa, mut qs) = (0.0, 0.0, 0.0, 0.0);
        let mut ga = Array2::<f64>::zeros((t, n));
        for k in 0..n {
            let (ak, qk) = (a.column(k), task.qstar.column(k));
            let (sa, sq) = (ak.sum(), qk.sum());
            aa += mu[k] * ak.dot(&ak);
            ss += mu[k] * sa * sa;
            qa += mu[k] * qk.dot(&ak);
            qs += mu[k] * sq * sa;
            let col = (&ak * c1 + c2 * sa) - (&qk * s) - sq * m;
            ga.column_mut(k).assign(&(col * mu[k]));
        }
        let (vmu, pmu) = (v.dot(mu), task.p.dot(mu));
        let gv = v.dot(&self.c) * aa + outer(vmu.view(), mu.view()) * ss - task.p.dot(&self.c) * qa - outer(pmu.view(), mu.view()) * qs;
        (gv, ga)
    }
}
