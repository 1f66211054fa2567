//! Dense matrix products, single-threaded and deterministic, by the `gemm` crate. One safe
//! entry point: strided views checked against their slices before the unsafe call.

/// A matrix view into a slice: element (i, j) is `data[offset + i * rs + j * cs]`.
#[derive(Clone, Copy)]
pub struct View<'a> {
    /// The slice the matrix lies in.
    pub data: &'a [f64],
    /// The index of element (0, 0).
    pub offset: usize,
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// The step from a row to the next.
    pub rs: usize,
    /// The step from a column to the next.
    pub cs: usize,
}

/// A matrix view into a mutable slice, laid out as [`View`] is.
pub struct ViewMut<'a> {
    /// The slice the matrix lies in.
    pub data: &'a mut [f64],
    /// The index of element (0, 0).
    pub offset: usize,
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// The step from a row to the next.
    pub rs: usize,
    /// The step from a column to the next.
    pub cs: usize,
}

fn last_index(offset: usize, rows: usize, cols: usize, rs: usize, cs: usize) -> usize {
    offset + rows.saturating_sub(1) * rs + cols.saturating_sub(1) * cs
}

impl<'a> View<'a> {
    /// A row-major `rows x cols` matrix occupying the whole slice from `offset`.
    pub fn rows(data: &'a [f64], rows: usize, cols: usize) -> Self {
        View { data, offset: 0, rows, cols, rs: cols, cs: 1 }
    }
    /// A column-major `rows x cols` matrix.
    pub fn cols(data: &'a [f64], rows: usize, cols: usize) -> Self {
        View { data, offset: 0, rows, cols, rs: 1, cs: rows }
    }
    /// The transpose, as a view (no copy).
    pub fn t(self) -> Self {
        View { rows: self.cols, cols: self.rows, rs: self.cs, cs: self.rs, ..self }
    }
}

/// `c = scale * a b` (c's previous contents ignored).
pub fn matmul(c: ViewMut, a: View, b: View, scale: f64) {
    assert!(a.cols == b.rows && c.rows == a.rows && c.cols == b.cols, "matmul: shapes do not fit");
    if c.rows == 0 || c.cols == 0 {
        return;
    }
    for (len, off, r, k, rs, cs) in [
        (a.data.len(), a.offset, a.rows, a.cols, a.rs, a.cs),
        (b.data.len(), b.offset, b.rows, b.cols, b.rs, b.cs),
        (c.data.len(), c.offset, c.rows, c.cols, c.rs, c.cs),
    ] {
        assert!(r == 0 || k == 0 || last_index(off, r, k, rs, cs) < len, "matmul: view runs past its slice");
    }
    if a.cols == 0 {
        for i in 0..c.rows {
            for j in 0..c.cols {
                c.data[c.offset + i * c.rs + j * c.cs] = 0.0;
            }
        }
        return;
    }
    // SAFETY: every element each view can address lies inside its slice (checked above),
    // `c` is borrowed mutably so it aliases neither input, and the call is single-threaded.
    unsafe {
        gemm::gemm(
            c.rows,
            c.cols,
            a.cols,
            c.data.as_mut_ptr().add(c.offset),
            c.cs as isize,
            c.rs as isize,
            false,
            a.data.as_ptr().add(a.offset),
            a.cs as isize,
            a.rs as isize,
            b.data.as_ptr().add(b.offset),
            b.cs as isize,
            b.rs as isize,
            0.0,
            scale,
            false,
            false,
            false,
            gemm::Parallelism::None,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strided_products_match_the_definition() {
        let (m, k, n) = (5, 7, 3);
        let a: Vec<f64> = (0..m * k).map(|i| (i as f64 * 0.37).sin()).collect();
        let b: Vec<f64> = (0..k * n).map(|i| (i as f64 * 0.11).cos()).collect();
        // a column-major, b row-major transposed view, c written into a wider row-major buffer.
        let mut c = vec![9.0; m * (n + 2)];
        matmul(ViewMut { data: &mut c, offset: 1, rows: m, cols: n, rs: n + 2, cs: 1 }, View::cols(&a, m, k), View::rows(&b, n, k).t(), 0.5);
        for i in 0..m {
            for j in 0..n {
                let want: f64 = (0..k).map(|l| a[l * m + i] * b[j * k + l]).sum::<f64>() * 0.5;
                assert!((c[1 + i * (n + 2) + j] - want).abs() < 1e-12);
            }
            assert_eq!(c[i * (n + 2)], 9.0, "outside the view is untouched");
        }
    }

    #[test]
    #[should_panic(expected = "runs past")]
    fn a_view_past_its_slice_is_refused() {
        let a = vec![0.0; 6];
        let mut c = vec![0.0; 4];
        matmul(ViewMut { data: &mut c, offset: 0, rows: 2, cols: 2, rs: 2, cs: 1 }, View::rows(&a, 2, 4), View::rows(&a, 4, 2), 1.0);
    }
}
