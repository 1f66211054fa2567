//! Singular values and the effective ranks built on them.

use ndarray::Array2;

/// Singular values of a matrix, largest first (nalgebra's SVD, pure Rust).
pub fn singular_values(w: &Array2<f64>) -> Vec<f64> {
    let m = nalgebra::DMatrix::from_fn(w.nrows(), w.ncols(), |i, j| w[[i, j]]);
    let mut s: Vec<f64> = m.singular_values().iter().copied().collect();
    s.sort_by(|a, b| b.total_cmp(a));
    s
}

/// Stable rank `||W||_F^2 / ||W||_2^2` (between 1 and the rank; robust to tiny directions).
pub fn stable_rank(s: &[f64]) -> f64 {
    let top = s.first().copied().unwrap_or(0.0);
    if top == 0.0 {
        return 0.0;
    }
    s.iter().map(|x| x * x).sum::<f64>() / (top * top)
}

/// The fewest singular values that hold `share` of the energy `sum s_i^2`.
pub fn energy_rank(s: &[f64], share: f64) -> usize {
    let total: f64 = s.iter().map(|x| x * x).sum();
    let mut acc = 0.0;
    for (i, x) in s.iter().enumerate() {
        acc += x * x;
        if acc >= share * total {
            return i + 1;
        }
    }
    s.len()
}
