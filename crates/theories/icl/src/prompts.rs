//! The prompt law: K features with probabilities p, L context tokens; a prompt reduces to
//! its multinomial feature counts.

use rand::Rng;
use rand_distr::{Binomial, Distribution};
use scb_harness::error::{check_range, invalid, Result};

/// The prompt distribution: K features with probabilities p, L context tokens.
#[derive(Clone, Debug, PartialEq)]
pub struct Prompts {
    /// The features' probabilities, one per feature (K of them, summing to 1).
    pub p: Vec<f64>,
    /// Context tokens per prompt (L).
    pub l: usize,
}

impl Prompts {
    /// The distribution, refused unless there are at least 2 features with positive probabilities summing to 1 and L >= 1.
    pub fn new(p: Vec<f64>, l: usize) -> Result<Prompts> {
        if p.len() < 2 {
            return Err(invalid("K", format!("must be at least 2 features (got {})", p.len())));
        }
        if p.iter().any(|x| !(x.is_finite() && *x > 0.0)) || (p.iter().sum::<f64>() - 1.0).abs() > 1e-9 {
            return Err(invalid("p", "feature probabilities must be positive and sum to 1"));
        }
        if l < 1 {
            return Err(invalid("L", "must be a whole number >= 1"));
        }
        Ok(Prompts { p, l })
    }

    /// One dominant feature (feature 0) with probability `p_dom`, the rest sharing `1 - p_dom`.
    pub fn imbalanced(k: usize, p_dom: f64, l: usize) -> Result<Prompts> {
        check_range("p_dom", p_dom, 0.0, 1.0, true)?;
        let rest = (1.0 - p_dom) / (k - 1).max(1) as f64;
        Prompts::new((0..k).map(|m| if m == 0 { p_dom } else { rest }).collect(), l)
    }

    /// Zipf-like probabilities `p_m ~ (m + 1)^-s`.
    pub fn zipf(k: usize, s: f64, l: usize) -> Result<Prompts> {
        let w: Vec<f64> = (0..k).map(|m| ((m + 1) as f64).powf(-s)).collect();
        let total: f64 = w.iter().sum();
        Prompts::new(w.into_iter().map(|x| x / total).collect(), l)
    }

    /// The number of features K.
    pub fn k(&self) -> usize {
        self.p.len()
    }

    /// The feature counts of L context tokens: multinomial, by conditional binomials (exact).
    pub fn counts<R: Rng>(&self, rng: &mut R, n: &mut [u32]) {
        let mut left = self.l as u64;
        let mut mass = 1.0;
        let k = self.k();
        for (m, slot) in n.iter_mut().enumerate().take(k) {
            let c = if m + 1 == k || left == 0 {
                left
            } else {
                let q = (self.p[m] / mass).clamp(0.0, 1.0);
                Binomial::new(left, q).expect("q in [0, 1]").sample(rng)
            };
            *slot = c as u32;
            left -= c;
            mass -= self.p[m];
        }
    }
}
