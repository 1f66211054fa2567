//! The one-layer linear transformer `f(X, k) = V X a_k` (docs/theory.md §2): per-sample gradients
//! that use the one-hot structure of X, and the closed-form population quantities.
//!
//! `V` (N x N) and `A` (T x N) are stored column-major so that a column of V (the value
//! of one token) and a column of A (the attention of one query) are contiguous slices:
//! the per-sample work touches only those.

use crate::task::{Batch, Task};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, ShapeBuilder};

#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    v: Array2<f64>,
    a: Array2<f64>,
}

fn to_fortran(x: ArrayView2<f64>) -> Array2<f64> {
    let mut out = Array2::zeros(x.raw_dim().f());
    out.assign(&x);
    out
}

impl Params {
    pub fn new(v: ArrayView2<f64>, a: ArrayView2<f64>) -> Params {
        assert_eq!(v.nrows(), v.ncols(), "V must be square");
        assert_eq!(a.ncols(), v.ncols(), "A must be T x N");
        Params { v: to_fortran(v), a: to_fortran(a) }
    }
    /// `V0 = (1/N) 1 1^T`, `A0 = (1/T) 1 1^T`.
    pub fn uninformative(n: usize, t: usize) -> Params {
        Params {
            v: Array2::from_elem((n, n).f(), 1.0 / n as f64),
            a: Array2::from_elem((t, n).f(), 1.0 / t as f64),
        }
    }
    pub fn n(&self) -> usize {
        self.v.nrows()
    }
    pub fn t(&self) -> usize {
        self.a.nrows()
    }
    pub fn v(&self) -> ArrayView2<'_, f64> {
        self.v.view()
    }
    pub fn a(&self) -> ArrayView2<'_, f64> {
        self.a.view()
    }
    pub fn v_slice(&self) -> &[f64] {
        self.v.as_slice_memory_order().expect("column-major")
    }
    pub fn a_slice(&self) -> &[f64] {
        self.a.as_slice_memory_order().expect("column-major")
    }
    pub fn v_slice_mut(&mut self) -> &mut [f64] {
        self.v.as_slice_memory_order_mut().expect("column-major")
    }
    pub fn a_slice_mut(&mut self) -> &mut [f64] {
        self.a.as_slice_memory_order_mut().expect("column-major")
    }
    pub fn a_col(&self, k: usize) -> &[f64] {
        let t = self.t();
        &self.a_slice()[k * t..(k + 1) * t]
    }
    pub fn a_col_mut(&mut self, k: usize) -> &mut [f64] {
        let t = self.t();
        &mut self.a_slice_mut()[k * t..(k + 1) * t]
    }
    pub fn all_finite(&self) -> bool {
        self.v_slice().iter().chain(self.a_slice()).all(|x| x.is_finite())
    }
}

/// Batch-mean gradients plus the second moments the l1 threshold needs.
#[derive(Clone, Debug)]
pub struct Grad {
    pub gv: Array2<f64>,
    pub ga: Array2<f64>,
    /// Mean per-sample loss `1/2 ||f - e_o||^2`.
    pub loss: f64,
    /// Samples per query token in the batch.
    pub count: Vec<u32>,
    /// Pooled within-query variance of one per-sample attention-gradient entry.
    pub da_var: f64,
    pub batch: usize,
    f: Vec<f64>,
    sq: Vec<f64>,
    /// B x N work matrices of the matrix-product path (sized per batch, not per sample).
    h: Array2<f64>,
    r: Array2<f64>,
    vr: Array2<f64>,
}

impl Grad {
    pub fn new(n: usize, t: usize) -> Grad {
        Grad {
            gv: Array2::zeros((n, n).f()),
            ga: Array2::zeros((t, n).f()),
            loss: 0.0,
            count: vec![0; n],
            da_var: 0.0,
            batch: 0,
            f: vec![0.0; n],
            sq: vec![0.0; n],
            h: Array2::zeros((0, n)),
            r: Array2::zeros((0, n)),
            vr: Array2::zeros((0, n)),
        }
    }
    pub fn ga_col(&self, k: usize) -> &[f64] {
        let t = self.ga.nrows();
        &self.ga.as_slice_memory_order().expect("column-major")[k * t..(k + 1) * t]
    }
}

#[inline]
fn dot(x: &[f64], y: &[f64]) -> f64 {
    // Four accumulators let the compiler vectorise without reassociating a single sum.
    let (mut s0, mut s1, mut s2, mut s3) = (0.0, 0.0, 0.0, 0.0);
    let mut xc = x.chunks_exact(4);
    let mut yc = y.chunks_exact(4);
    for (a, b) in (&mut xc).zip(&mut yc) {
        s0 += a[0] * b[0];
        s1 += a[1] * b[1];
        s2 += a[2] * b[2];
        s3 += a[3] * b[3];
    }
    let mut s = (s0 + s1) + (s2 + s3);
    for (a, b) in xc.remainder().iter().zip(yc.remainder()) {
        s += a * b;
    }
    s
}

#[inline]
fn axpy(y: &mut [f64], w: f64, x: &[f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += w * xi;
    }
}

/// Batch-mean loss and gradients (docs/theory.md §2), allocation-free per sample, never building X.
///
/// With `h_b = X_b a_k` (T scatter-adds into a B x N matrix H), the batch is three
/// B x N x N matrix products and two gathers: `F = H V^T`, `R = F - E_out`,
/// `D = R V` with `d a_k[t] = D[b, x_t]`, and `G_V = R^T H`. That is 3 N^2 work per
/// sample in a cache-blocked GEMM, against 3 N T for the column-by-column path, so it
/// is used when N <= T; the column path (which also skips zero attention weights)
/// serves N > T. Both are checked against finite differences.
pub fn batch_grad(params: &Params, batch: &Batch, g: &mut Grad) {
    if params.n() <= params.t() {
        batch_grad_gemm(params, batch, g)
    } else {
        batch_grad_columns(params, batch, g)
    }
}

fn batch_grad_gemm(params: &Params, batch: &Batch, g: &mut Grad) {
    use ndarray::linalg::general_mat_mul;
    let (n, t, b) = (params.n(), params.t(), batch.len());
    if g.h.nrows() != b {
        g.h = Array2::zeros((b, n));
        g.r = Array2::zeros((b, n));
        g.vr = Array2::zeros((b, n));
    }
    let a = params.a_slice();
    g.h.fill(0.0);
    for (i, mut row) in g.h.axis_iter_mut(Axis(0)).enumerate() {
        let k = batch.query[i] as usize;
        let row = row.as_slice_mut().expect("row-major");
        for (&x, &w) in batch.context(i).iter().zip(&a[k * t..(k + 1) * t]) {
            row[x as usize] += w;
        }
    }
    let v = params.v();
    general_mat_mul(1.0, &g.h, &v.t(), 0.0, &mut g.r);
    let mut loss = 0.0;
    for (i, mut row) in g.r.axis_iter_mut(Axis(0)).enumerate() {
        row[batch.out[i] as usize] -= 1.0;
        loss += 0.5 * row.dot(&row);
    }
    general_mat_mul(1.0, &g.r, &v, 0.0, &mut g.vr);
    let inv_b = 1.0 / b.max(1) as f64;
    general_mat_mul(inv_b, &g.r.t(), &g.h, 0.0, &mut g.gv);
    let ga = g.ga.as_slice_memory_order_mut().expect("column-major");
    ga.fill(0.0);
    g.count.fill(0);
    g.sq.fill(0.0);
    for (i, row) in g.vr.axis_iter(Axis(0)).enumerate() {
        let k = batch.query[i] as usize;
        let row = row.to_slice().expect("row-major");
        let gak = &mut ga[k * t..(k + 1) * t];
        let mut sq = 0.0;
        for (&x, gd) in batch.context(i).iter().zip(gak.iter_mut()) {
            let d = row[x as usize];
            *gd += d;
            sq += d * d;
        }
        g.sq[k] += sq;
        g.count[k] += 1;
    }
    finish(g, n, t, b, loss);
}

/// Pooled within-query variance, then batch means. Pooling over queries keeps the
/// variance usable when a token is rare in the batch:
/// `sum_k [sum_i ||d_i||^2 - ||sum_i d_i||^2 / n_k]` over `T sum_k (n_k - 1)` entries.
fn finish(g: &mut Grad, n: usize, t: usize, b: usize, loss: f64) {
    let ga = g.ga.as_slice_memory_order_mut().expect("column-major");
    let (mut within, mut dof) = (0.0, 0.0);
    for k in 0..n {
        let nk = g.count[k] as f64;
        if nk >= 2.0 {
            let s1 = &ga[k * t..(k + 1) * t];
            within += g.sq[k] - dot(s1, s1) / nk;
            dof += (nk - 1.0) * t as f64;
        }
    }
    g.da_var = if dof > 0.0 { (within / dof).max(0.0) } else { 0.0 };
    let bf = b.max(1) as f64;
    ga.iter_mut().for_each(|x| *x /= bf);
    g.loss = loss / bf;
    g.batch = b;
}

/// The column-by-column path: `f = sum_t a_k[t] V[:, x_t]`, `r = f - e_o`,
/// `dV[:, x_t] += a_k[t] r`, `d a_k[t] = V[:, x_t] . r`; O(N T) per sample, and O(N Q) for
/// the forward pass and V gradient once `a_k` is Q-sparse.
fn batch_grad_columns(params: &Params, batch: &Batch, g: &mut Grad) {
    let (n, t) = (params.n(), params.t());
    let v = params.v_slice();
    let a = params.a_slice();
    let gv = g.gv.as_slice_memory_order_mut().expect("column-major");
    let ga = g.ga.as_slice_memory_order_mut().expect("column-major");
    gv.fill(0.0);
    ga.fill(0.0);
    g.count.fill(0);
    g.sq.fill(0.0);
    let mut loss = 0.0;
    for i in 0..batch.len() {
        let k = batch.query[i] as usize;
        let ctx = batch.context(i);
        let ak = &a[k * t..(k + 1) * t];
        let f = &mut g.f;
        f.fill(0.0);
        for (&x, &w) in ctx.iter().zip(ak) {
            if w != 0.0 {
                axpy(f, w, &v[x as usize * n..(x as usize + 1) * n]);
            }
        }
        f[batch.out[i] as usize] -= 1.0;
        let r = &*f;
        loss += 0.5 * dot(r, r);
        let gak = &mut ga[k * t..(k + 1) * t];
        let mut sq = 0.0;
        for (&x, gd) in ctx.iter().zip(gak.iter_mut()) {
            let d = dot(&v[x as usize * n..(x as usize + 1) * n], r);
            *gd += d;
            sq += d * d;
        }
        g.sq[k] += sq;
        g.count[k] += 1;
        for (&x, &w) in ctx.iter().zip(ak) {
            if w != 0.0 {
                axpy(&mut gv[x as usize * n..(x as usize + 1) * n], w, r);
            }
        }
    }
    let b = batch.len();
    let inv = 1.0 / b.max(1) as f64;
    gv.iter_mut().for_each(|x| *x *= inv);
    finish(g, n, t, b, loss);
}

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

pub fn outer(x: ArrayView1<f64>, y: ArrayView1<f64>) -> Array2<f64> {
    let xc = x.insert_axis(Axis(1));
    let yr = y.insert_axis(Axis(0));
    xc.dot(&yr)
}

/// Centers `v`'s columns about `(V mu) 1^T` (docs/theory.md §2).
pub fn center_v(v: ArrayView2<f64>, mu: &Array1<f64>) -> Array2<f64> {
    let vmu = v.dot(mu);
    let mut out = v.to_owned();
    for mut col in out.axis_iter_mut(Axis(1)) {
        col -= &vmu;
    }
    out
}

