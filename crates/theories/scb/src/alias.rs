//! Walker's alias method drawing one index per 64-bit random word.
//!
//! A word u picks the column `j = floor(u m / 2^64)` (the high half of the 128-bit product
//! `u m`) and reuses the low half `f = u m mod 2^64` as the uniform fraction that decides
//! between j and its alias: `f < thr[j]` keeps j. One word per draw, no division, no
//! rejection loop.
//!
//! Exactness. For a uniform u, each column is hit by `floor(2^64/m)` or `ceil(2^64/m)`
//! words, and within a column f runs over an arithmetic progression of step m; counting
//! the words below `thr[j]` shows that every index's probability differs from the table's
//! by at most `2m / 2^64` in total (`exact_probabilities` computes it word for word, and
//! the tests bound the difference). For m <= 2^16 that is below 2^-47, far under what any
//! Monte Carlo run of this harness can resolve; the thresholds themselves round the f64
//! probabilities to 64 bits (2^-64).

/// An alias table over `0..m`.
#[derive(Clone, Debug)]
pub struct Alias {
    m: u64,
    /// Keep column j when the fraction is below this; `u64::MAX` with alias j means always.
    thr: Vec<u64>,
    alias: Vec<u32>,
}

impl Alias {
    /// Builds the table for nonnegative, finite weights with a positive sum (Vose's method).
    pub fn new(weights: &[f64]) -> Alias {
        let m = weights.len();
        assert!(m >= 1 && m <= u32::MAX as usize, "alias table over 1..=2^32 outcomes");
        let total: f64 = weights.iter().sum();
        assert!(total > 0.0 && total.is_finite() && weights.iter().all(|w| *w >= 0.0), "weights must be >= 0 with a positive sum");
        // Scaled so the mean is 1: column j keeps p[j] of its mass and gives the rest to alias[j].
        let mut p: Vec<f64> = weights.iter().map(|w| w * m as f64 / total).collect();
        let mut alias: Vec<u32> = (0..m as u32).collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) = (0..m).partition(|&j| p[j] < 1.0);
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            alias[s] = l as u32;
            p[l] -= 1.0 - p[s];
            if p[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Whatever is left is 1 up to rounding: those columns keep all their mass.
        for j in small.into_iter().chain(large) {
            p[j] = 1.0;
            alias[j] = j as u32;
        }
        let thr =
            p.iter().zip(&alias).enumerate().map(|(j, (&pj, &a))| if a as usize == j || pj >= 1.0 { u64::MAX } else { (pj * 2f64.powi(64)) as u64 }).collect();
        Alias { m: m as u64, thr, alias }
    }

    /// The number of outcomes.
    pub fn len(&self) -> usize {
        self.m as usize
    }

    /// Whether the table has no outcome.
    pub fn is_empty(&self) -> bool {
        self.m == 0
    }

    /// The index drawn by one uniform 64-bit word.
    #[inline(always)]
    pub fn pick(&self, u: u64) -> usize {
        let prod = u as u128 * self.m as u128;
        let (j, f) = ((prod >> 64) as usize, prod as u64);
        // A conditional move, not a branch: the outcome is a coin flip, and a mispredicted
        // branch per token costs more than the rest of the draw.
        std::hint::select_unpredictable(f < self.thr[j], j, self.alias[j] as usize)
    }

    /// The exact probability of each index under a uniform 64-bit word, by counting words.
    pub fn exact_probabilities(&self) -> Vec<f64> {
        let two64 = 1u128 << 64;
        let m = self.m as u128;
        let ceil_div = |a: u128, b: u128| a.div_ceil(b);
        let mut p = vec![0u128; self.m as usize];
        for j in 0..self.m as usize {
            // Words in column j: [ceil(j 2^64/m), ceil((j+1) 2^64/m)); kept: f = u m - j 2^64 < thr.
            let start = ceil_div(j as u128 * two64, m);
            let end = ceil_div((j as u128 + 1) * two64, m);
            let keep_end = if self.alias[j] as usize == j { end } else { ceil_div(j as u128 * two64 + self.thr[j] as u128, m).min(end) };
            p[j] += keep_end - start;
            p[self.alias[j] as usize] += end - keep_end;
        }
        p.into_iter().map(|c| c as f64 / two64 as f64).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    fn table_error(w: &[f64]) -> f64 {
        let total: f64 = w.iter().sum();
        let exact = Alias::new(w).exact_probabilities();
        assert!((exact.iter().sum::<f64>() - 1.0).abs() < 1e-12, "probabilities sum to 1");
        exact.iter().zip(w).map(|(p, wi)| (p - wi / total).abs()).sum()
    }

    #[test]
    fn every_index_has_its_weight_to_within_2_to_the_minus_46() {
        let mut rng = scb_harness::rng::rng(1, 1);
        for m in [1usize, 2, 3, 7, 16, 64, 1000, 4096, 65536] {
            for _ in 0..3 {
                let w: Vec<f64> = (0..m).map(|_| rng.random::<f64>().powi(3)).collect();
                let err = table_error(&w);
                // f64 rounding of the table is ~1e-16 per entry; the word split adds < 2^-47.
                assert!(err < 2f64.powi(-46) + 1e-14 * m as f64, "m={m}: total variation {err:e}");
            }
        }
    }

    #[test]
    fn degenerate_weights_are_exact() {
        assert_eq!(Alias::new(&[0.0, 3.0, 0.0]).exact_probabilities(), vec![0.0, 1.0, 0.0]);
        assert_eq!(Alias::new(&[1.0, 1.0, 1.0, 1.0]).exact_probabilities(), vec![0.25; 4]);
        let a = Alias::new(&[0.0, 1.0]);
        for u in [0u64, 1, u64::MAX / 2, u64::MAX] {
            assert_eq!(a.pick(u), 1, "a zero-weight index is never drawn");
        }
    }

    #[test]
    fn a_wrong_table_is_told_apart() {
        // Power of the exactness check: the table of a slightly different law is 1e-3 off.
        let w = vec![0.2, 0.3, 0.5];
        let other = Alias::new(&[0.2, 0.301, 0.499]).exact_probabilities();
        let err: f64 = other.iter().zip(&w).map(|(p, q)| (p - q).abs()).sum();
        assert!(err > 1e-3);
    }
}
