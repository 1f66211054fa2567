//! The batch gradient of the linear transformer (docs/theory.md §2) by whichever of two
//! kernels costs less for the attention at hand. X is never built, and nothing is
//! allocated per sample: work buffers are sized per batch size and reused.
//!
//! Per sample, with `h = X a_k` and `r = V h - e_o`: `dV = r h^T`, `d a_k[t] = (V^T r)[x_t]`.
//!
//! - **Dense** (attention with many nonzero weights: stage one, SGD, softmax). The `h_b` are
//!   scattered into a B x N matrix H and the batch becomes matrix products: `F = H V^T`
//!   (so `R = F - E_out`), `D = R V` (row b is `V^T r_b`), `G_V = R^T H`, 6 B N^2 flops in a
//!   cache-blocked GEMM. When the batch is large next to N, F and D come from one product
//!   twice as wide, `H [V^T | W]` with `W = V^T V` (`D = H W - E_out V`), which runs nearer the
//!   core's peak than two narrow ones; W costs 2 N^3 once per batch.
//! - **Sparse** (few nonzero weights per column, as stage two leaves them). Each sample
//!   touches only the s columns of V its nonzero weights select: `f = sum_t a_k[t] V[:, x_t]`,
//!   `V^T r = sum_t a_k[t] W[:, x_t] - V[o, :]`, `dV[:, x_t] += a_k[t] r`: O(s N + T) a sample
//!   instead of O(N^2). Where W would cost more than it saves (N^2 large next to B T), the T
//!   needed entries of `V^T r` are dot products instead.
//!
//! Both kernels are checked against finite differences and against each other (tests).

use super::Params;
use crate::task::Batch;
use ndarray::{Array2, ShapeBuilder};
use scb_harness::linalg::{matmul, View, ViewMut};

/// Which kernel computed a batch gradient.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// Dense: every sample's `V^T r` by matrix products.
    Dense,
    /// Sparse, with `V^T r` through `W = V^T V`.
    SparseW,
    /// Sparse, with the T needed entries of `V^T r` as dot products.
    SparseDots,
}

/// Batch-mean gradients plus the second moments the l1 threshold needs.
#[derive(Clone, Debug)]
pub struct Grad {
    /// N x N, column-major.
    pub gv: Array2<f64>,
    /// T x N, column-major.
    pub ga: Array2<f64>,
    /// Mean per-sample loss `1/2 ||f - e_o||^2`.
    pub loss: f64,
    /// Samples per query token in the batch.
    pub count: Vec<u32>,
    /// Pooled within-query variance of one per-sample attention-gradient entry.
    pub da_var: f64,
    /// Samples in the batch.
    pub batch: usize,
    /// The kernel of the last batch.
    pub path: Option<Path>,
    /// Per query: the sum over its samples of `||d||^2` (d: the attention-gradient vector).
    sq: Vec<f64>,
    /// Work buffers (row-major): H (B x N), [F | D] (B x 2N), [V^T | W] (N x 2N), V by rows.
    h: Vec<f64>,
    p: Vec<f64>,
    m: Vec<f64>,
    vrow: Vec<f64>,
    f: Vec<f64>,
    d: Vec<f64>,
    /// Nonzero attention weights (position, weight), column by column; `nz_start[k]..nz_start[k+1]`.
    nz: Vec<(u32, f64)>,
    nz_start: Vec<usize>,
    col_nnz: Vec<usize>,
}

impl Grad {
    /// Zero buffers for N = `n`, T = `t`.
    pub fn new(n: usize, t: usize) -> Grad {
        Grad {
            gv: Array2::zeros((n, n).f()),
            ga: Array2::zeros((t, n).f()),
            loss: 0.0,
            count: vec![0; n],
            da_var: 0.0,
            batch: 0,
            path: None,
            sq: vec![0.0; n],
            h: Vec::new(),
            p: Vec::new(),
            m: vec![0.0; 2 * n * n],
            vrow: vec![0.0; n * n],
            f: vec![0.0; n],
            d: vec![0.0; n],
            nz: Vec::with_capacity(n * t),
            nz_start: vec![0; n + 1],
            col_nnz: vec![0; n],
        }
    }
    /// Column k of the attention gradient (T entries).
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

/// Relative cost of one flop of a simple vector loop against one of a blocked GEMM, and of
/// one scattered or gathered token against a GEMM flop (measured on AVX2 + FMA; the choice
/// only moves time, never results' correctness).
const VECTOR_FLOP: f64 = 3.0;
const TOKEN: f64 = 4.0;

/// The cheaper kernel for this batch, by a flop count of each.
fn plan(n: usize, t: usize, b: usize, nnz: usize) -> Path {
    let (n, t, b, nnz) = (n as f64, t as f64, b as f64, nnz as f64);
    let dense = 6.0 * b * n * n + 2.0 * n * n * n * f64::from(b >= 2.0 * n) + 2.0 * TOKEN * b * t;
    let with_w = 2.0 * n * n * n + VECTOR_FLOP * 6.0 * nnz * n + TOKEN * b * t;
    let with_dots = VECTOR_FLOP * (4.0 * nnz * n + 2.0 * b * t * n) + TOKEN * b * t;
    if dense <= with_w.min(with_dots) {
        Path::Dense
    } else if with_w <= with_dots {
        Path::SparseW
    } else {
        Path::SparseDots
    }
}

/// Batch-mean loss and gradients, by the cheaper kernel.
pub fn batch_grad(params: &Params, batch: &Batch, g: &mut Grad) {
    // Only a count for the plan: the lists are built if the sparse kernel is chosen.
    for (k, c) in g.col_nnz.iter_mut().enumerate() {
        *c = params.a_col(k).iter().filter(|w| **w != 0.0).count();
    }
    let nnz: usize = batch.query.iter().map(|&k| g.col_nnz[k as usize]).sum();
    run(params, batch, g, plan(params.n(), params.t(), batch.len(), nnz));
}

/// Batch-mean loss and gradients by a given kernel (tests compare them).
pub fn batch_grad_with(params: &Params, batch: &Batch, g: &mut Grad, path: Path) {
    run(params, batch, g, path);
}

fn run(params: &Params, batch: &Batch, g: &mut Grad, path: Path) {
    let (n, t, b) = (params.n(), params.t(), batch.len());
    g.count.fill(0);
    g.sq.fill(0.0);
    g.ga.as_slice_memory_order_mut().expect("column-major").fill(0.0);
    fill_vrow(params, &mut g.vrow);
    let loss = match path {
        Path::Dense => dense(params, batch, g),
        Path::SparseW | Path::SparseDots => {
            collect_nonzeros(params, g);
            sparse(params, batch, g, path == Path::SparseW)
        }
    };
    g.path = Some(path);
    finish(g, n, t, b, loss);
}

/// The nonzero weights of every column of A.
#[inline]
fn collect_nonzeros(params: &Params, g: &mut Grad) {
    g.nz.clear();
    for k in 0..params.n() {
        g.nz_start[k] = g.nz.len();
        g.nz.extend(params.a_col(k).iter().enumerate().filter(|(_, w)| **w != 0.0).map(|(t, w)| (t as u32, *w)));
    }
    g.nz_start[params.n()] = g.nz.len();
}

/// V by rows: `vrow[o * N + j] = V[o, j]` (V itself is stored by columns).
#[inline]
fn fill_vrow(params: &Params, vrow: &mut [f64]) {
    let n = params.n();
    for (j, col) in params.v_slice().chunks_exact(n).enumerate() {
        for (o, x) in col.iter().enumerate() {
            vrow[o * n + j] = *x;
        }
    }
}

/// The attention gradient of one sample: `d a_k[t] += d[x_t]`, and `||d||^2` for the variance.
#[inline]
fn gather(ctx: &[u32], d: &[f64], gak: &mut [f64]) -> f64 {
    // Four partial sums: one would put a floating add per token on the critical path.
    let mut sq = [0.0; 4];
    let (mut cs, mut gs) = (ctx.chunks_exact(4), gak.chunks_exact_mut(4));
    for (c, g) in (&mut cs).zip(&mut gs) {
        for l in 0..4 {
            let v = d[c[l] as usize];
            g[l] += v;
            sq[l] += v * v;
        }
    }
    for (&x, gd) in cs.remainder().iter().zip(gs.into_remainder()) {
        let v = d[x as usize];
        *gd += v;
        sq[0] += v * v;
    }
    (sq[0] + sq[1]) + (sq[2] + sq[3])
}

#[inline]
fn dense(params: &Params, batch: &Batch, g: &mut Grad) -> f64 {
    let (n, t, b) = (params.n(), params.t(), batch.len());
    let v = params.v_slice();
    let a = params.a_slice();
    g.h.resize(b * n, 0.0);
    g.p.resize(b * 2 * n, 0.0);
    g.h.fill(0.0);
    for (i, row) in g.h.chunks_exact_mut(n).enumerate() {
        let k = batch.query[i] as usize;
        for (&x, &w) in batch.context(i).iter().zip(&a[k * t..(k + 1) * t]) {
            row[x as usize] += w;
        }
    }
    let h = View::rows(&g.h, b, n);
    let (vt, vv) = (View::cols(v, n, n).t(), View::cols(v, n, n));
    // Row b of p is [r_b | V^T r_b].
    let fused = b >= 2 * n;
    if fused {
        // [V^T | W] with W = V^T V, then [F | H W] in one product; D = H W - E_out V below.
        for (i, row) in g.m.chunks_exact_mut(2 * n).enumerate() {
            row[..n].copy_from_slice(&v[i * n..(i + 1) * n]);
        }
        matmul(ViewMut { data: &mut g.m, offset: n, rows: n, cols: n, rs: 2 * n, cs: 1 }, vt, vv, 1.0);
        matmul(ViewMut { data: &mut g.p, offset: 0, rows: b, cols: 2 * n, rs: 2 * n, cs: 1 }, h, View::rows(&g.m, n, 2 * n), 1.0);
    } else {
        matmul(ViewMut { data: &mut g.p, offset: 0, rows: b, cols: n, rs: 2 * n, cs: 1 }, h, vt, 1.0);
    }
    let mut loss = 0.0;
    for (i, row) in g.p.chunks_exact_mut(2 * n).enumerate() {
        let o = batch.out[i] as usize;
        row[o] -= 1.0;
        loss += 0.5 * dot(&row[..n], &row[..n]);
        if fused {
            for (di, vi) in row[n..].iter_mut().zip(&g.vrow[o * n..(o + 1) * n]) {
                *di -= vi;
            }
        }
    }
    if !fused {
        // D = R V. R is read from a copy, so the product's output does not alias its input.
        g.f.resize(b * n, 0.0);
        for (dst, row) in g.f.chunks_exact_mut(n).zip(g.p.chunks_exact(2 * n)) {
            dst.copy_from_slice(&row[..n]);
        }
        matmul(ViewMut { data: &mut g.p, offset: n, rows: b, cols: n, rs: 2 * n, cs: 1 }, View::rows(&g.f, b, n), vv, 1.0);
    }
    let ga = g.ga.as_slice_memory_order_mut().expect("column-major");
    for (i, row) in g.p.chunks_exact(2 * n).enumerate() {
        let k = batch.query[i] as usize;
        g.sq[k] += gather(batch.context(i), &row[n..], &mut ga[k * t..(k + 1) * t]);
        g.count[k] += 1;
    }
    // G_V = R^T H / B.
    let r = View { data: &g.p, offset: 0, rows: b, cols: n, rs: 2 * n, cs: 1 };
    let gv = g.gv.as_slice_memory_order_mut().expect("column-major");
    matmul(ViewMut { data: gv, offset: 0, rows: n, cols: n, rs: 1, cs: n }, r.t(), h, 1.0 / b.max(1) as f64);
    loss
}

#[inline]
fn sparse(params: &Params, batch: &Batch, g: &mut Grad, via_w: bool) -> f64 {
    let (n, t, b) = (params.n(), params.t(), batch.len());
    let v = params.v_slice();
    if via_w {
        // W = V^T V (symmetric), by rows in the first N x N of m.
        matmul(ViewMut { data: &mut g.m, offset: 0, rows: n, cols: n, rs: n, cs: 1 }, View::cols(v, n, n).t(), View::cols(v, n, n), 1.0);
    }
    let gv = g.gv.as_slice_memory_order_mut().expect("column-major");
    gv.fill(0.0);
    let ga = g.ga.as_slice_memory_order_mut().expect("column-major");
    let mut loss = 0.0;
    for i in 0..b {
        let (k, o) = (batch.query[i] as usize, batch.out[i] as usize);
        let ctx = batch.context(i);
        let nz = &g.nz[g.nz_start[k]..g.nz_start[k + 1]];
        let r = &mut g.f[..n];
        r.fill(0.0);
        for &(pos, w) in nz {
            let x = ctx[pos as usize] as usize;
            axpy(r, w, &v[x * n..(x + 1) * n]);
        }
        r[o] -= 1.0;
        let r = &*r;
        loss += 0.5 * dot(r, r);
        let gak = &mut ga[k * t..(k + 1) * t];
        if via_w {
            g.d.copy_from_slice(&g.vrow[o * n..(o + 1) * n]);
            g.d.iter_mut().for_each(|x| *x = -*x);
            for &(pos, w) in nz {
                let x = ctx[pos as usize] as usize;
                axpy(&mut g.d, w, &g.m[x * n..(x + 1) * n]);
            }
            g.sq[k] += gather(ctx, &g.d, gak);
        } else {
            let mut sq = 0.0;
            for (&x, gd) in ctx.iter().zip(gak.iter_mut()) {
                let dv = dot(&v[x as usize * n..(x as usize + 1) * n], r);
                *gd += dv;
                sq += dv * dv;
            }
            g.sq[k] += sq;
        }
        g.count[k] += 1;
        for &(pos, w) in nz {
            let x = ctx[pos as usize] as usize;
            axpy(&mut gv[x * n..(x + 1) * n], w, r);
        }
    }
    let inv = 1.0 / b.max(1) as f64;
    gv.iter_mut().for_each(|x| *x *= inv);
    loss
}

/// Pooled within-query variance of one attention-gradient entry. Pooling over queries keeps
/// it usable when a token is rare in the batch:
/// `sum_k [sum_i ||d_i||^2 - ||sum_i d_i||^2 / n_k]` over `T sum_k (n_k - 1)` entries, where
/// column k of `ga` times `scale` is `sum_i d_i`.
#[inline]
fn pooled_variance(ga: &[f64], scale: f64, count: &[u32], sq: &[f64], t: usize) -> f64 {
    let (mut within, mut dof) = (0.0, 0.0);
    for (k, (&c, &s)) in count.iter().zip(sq).enumerate() {
        let nk = c as f64;
        if nk >= 2.0 {
            let s1 = &ga[k * t..(k + 1) * t];
            within += s - dot(s1, s1) * scale * scale / nk;
            dof += (nk - 1.0) * t as f64;
        }
    }
    if dof > 0.0 {
        (within / dof).max(0.0)
    } else {
        0.0
    }
}

/// The variance, then batch means (`ga` holds sums until here).
#[inline]
fn finish(g: &mut Grad, _n: usize, t: usize, b: usize, loss: f64) {
    let ga = g.ga.as_slice_memory_order_mut().expect("column-major");
    g.da_var = pooled_variance(ga, 1.0, &g.count, &g.sq, t);
    let bf = b.max(1) as f64;
    ga.iter_mut().for_each(|x| *x /= bf);
    g.loss = loss / bf;
    g.batch = b;
}

impl Grad {
    /// The population gradient (docs/theory.md §2) in place of a batch's: no sampling noise,
    /// so the noise estimates are 0 (ScbProx's threshold with them) and the per-query counts
    /// are a batch of `batch` split exactly by mu. A learner steps from it as from any batch.
    pub fn set_population(&mut self, pop: &super::Population, params: &Params, batch: usize) {
        let (gv, ga) = pop.grads(params);
        self.gv.assign(&gv);
        self.ga.assign(&ga);
        self.loss = pop.loss(params);
        self.count.iter_mut().zip(pop.task.mu.iter()).for_each(|(c, m)| *c = (m * batch as f64).round() as u32);
        self.sq.iter_mut().for_each(|x| *x = 0.0);
        self.da_var = 0.0;
        self.batch = batch;
        self.path = None;
    }

    /// Adds the gradient of another batch taken at the same parameters: the result is the
    /// gradient of both batches together (to rounding).
    pub fn merge(&mut self, other: &Grad) {
        if other.batch == 0 {
            return;
        }
        if self.batch == 0 {
            self.clone_from(other);
            return;
        }
        let (b1, b2) = (self.batch as f64, other.batch as f64);
        let total = b1 + b2;
        let mix = |x: &mut f64, y: f64| *x = (*x * b1 + y * b2) / total;
        self.gv.iter_mut().zip(other.gv.iter()).for_each(|(x, y)| mix(x, *y));
        self.ga.iter_mut().zip(other.ga.iter()).for_each(|(x, y)| mix(x, *y));
        mix(&mut self.loss, other.loss);
        self.count.iter_mut().zip(&other.count).for_each(|(x, y)| *x += y);
        self.sq.iter_mut().zip(&other.sq).for_each(|(x, y)| *x += y);
        self.batch += other.batch;
        let t = self.ga.nrows();
        self.da_var = pooled_variance(self.ga.as_slice_memory_order().expect("column-major"), total, &self.count, &self.sq, t);
        self.path = None;
    }
}
