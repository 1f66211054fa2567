//! Population quantities under the task's law (docs/theory.md §2): the loss, the excess
//! loss and the gradients in closed form, with no sampling.

use super::{outer, Params};
use crate::models::scb::task::Task;
use ndarray::{Array2, ArrayView1, ArrayView2};

/// Population quantities under the task's law (docs/theory.md §2).
pub struct Population<'a> {
    pub task: &'a Task,
    /// `C = diag(mu) - mu mu^T`.
    pub c: Array2<f64>,
}

impl<'a> Population<'a> {
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

    /// `(grad_V L, grad_A L)`.
    pub fn grads(&self, params: &Params) -> (Array2<f64>, Array2<f64>) {
        let task = self.task;
        let (n, t) = (task.n, task.t);
        let v = params.v();
        let a = params.a();
        let (c1, c2, s, m) = self.scalars(v);
        let mut gv = Array2::<f64>::zeros((n, n));
        let mut ga = Array2::<f64>::zeros((t, n));
        for k in 0..n {
            let ak = a.column(k);
            let qk = task.qstar.column(k);
            let mu_k = task.mu[k];
            gv += &((v.dot(&self.m(ak, ak)) - task.p.dot(&self.m(qk, ak))) * mu_k);
            let col = (&ak * c1 + c2 * ak.sum()) - (&qk * s) - qk.sum() * m;
            ga.column_mut(k).assign(&(col * mu_k));
        }
        (gv, ga)
    }
}

