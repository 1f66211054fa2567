//! The one-layer linear transformer `f(X, k) = V X a_k` (docs/theory.md §2): per-sample gradients
//! that use the one-hot structure of X, and the closed-form population quantities.
//!
//! `V` (N x N) and `A` (T x N) are stored column-major so that a column of V (the value
//! of one token) and a column of A (the attention of one query) are contiguous slices:
//! the per-sample work touches only those.

mod grad;
mod population;

pub use grad::{batch_grad, batch_grad_with, Grad, Path};
pub use population::Population;

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, ShapeBuilder};

/// The linear transformer's parameters: V (N x N) and A (T x N), both column-major.
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
    /// Parameters from V and A (V square, A with N columns).
    pub fn new(v: ArrayView2<f64>, a: ArrayView2<f64>) -> Params {
        assert_eq!(v.nrows(), v.ncols(), "V must be square");
        assert_eq!(a.ncols(), v.ncols(), "A must be T x N");
        Params { v: to_fortran(v), a: to_fortran(a) }
    }
    /// `V0 = (1/N) 1 1^T`, `A0 = (1/T) 1 1^T`.
    pub fn uninformative(n: usize, t: usize) -> Params {
        Params { v: Array2::from_elem((n, n).f(), 1.0 / n as f64), a: Array2::from_elem((t, n).f(), 1.0 / t as f64) }
    }
    /// Vocabulary size N.
    pub fn n(&self) -> usize {
        self.v.nrows()
    }
    /// Context length T.
    pub fn t(&self) -> usize {
        self.a.nrows()
    }
    /// V, N x N.
    pub fn v(&self) -> ArrayView2<'_, f64> {
        self.v.view()
    }
    /// A, T x N.
    pub fn a(&self) -> ArrayView2<'_, f64> {
        self.a.view()
    }
    /// V's entries, column by column.
    pub fn v_slice(&self) -> &[f64] {
        self.v.as_slice_memory_order().expect("column-major")
    }
    /// A's entries, column by column.
    pub fn a_slice(&self) -> &[f64] {
        self.a.as_slice_memory_order().expect("column-major")
    }
    /// V's entries, column by column, to write.
    pub fn v_slice_mut(&mut self) -> &mut [f64] {
        self.v.as_slice_memory_order_mut().expect("column-major")
    }
    /// A's entries, column by column, to write.
    pub fn a_slice_mut(&mut self) -> &mut [f64] {
        self.a.as_slice_memory_order_mut().expect("column-major")
    }
    /// Column k of A, `a_k` (T entries).
    pub fn a_col(&self, k: usize) -> &[f64] {
        let t = self.t();
        &self.a_slice()[k * t..(k + 1) * t]
    }
    /// Column k of A, to write.
    pub fn a_col_mut(&mut self, k: usize) -> &mut [f64] {
        let t = self.t();
        &mut self.a_slice_mut()[k * t..(k + 1) * t]
    }
    /// Whether every entry of V and A is finite.
    pub fn all_finite(&self) -> bool {
        self.v_slice().iter().chain(self.a_slice()).all(|x| x.is_finite())
    }
}

/// The outer product `x y^T`.
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
