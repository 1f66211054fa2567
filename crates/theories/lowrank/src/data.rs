//! The data law: noisy orthonormal patterns, labelled by which relevant pattern is in the
//! majority; ties are drawn again.

use ndarray::Array2;
use rand::Rng;
use rand_distr::StandardNormal;
use scb_harness::error::{check_range, invalid, Result};
use serde::{Deserialize, Serialize};

/// The data law.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Data {
    /// Tokens per sequence.
    pub l: usize,
    /// Probability that a token is label-relevant (mu+ or mu-, equally).
    pub p_rel: f64,
    /// Noise standard deviation per coordinate.
    pub sigma: f64,
    /// An ablation: labels drawn independently of the sequence, so there is nothing to learn.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub random_labels: bool,
}

impl Default for Data {
    fn default() -> Self {
        Data { l: 16, p_rel: 0.5, sigma: 0.1, random_labels: false }
    }
}

impl Data {
    /// One sequence (d x L, column l = token l) and its label; ties are drawn again.
    pub fn draw<R: Rng>(&self, m_patterns: usize, d: usize, rng: &mut R) -> (Array2<f64>, f64) {
        loop {
            let mut x = Array2::from_shape_fn((d, self.l), |_| self.sigma * rng.sample::<f64, _>(StandardNormal));
            let mut balance = 0i64;
            for l in 0..self.l {
                let pattern = if rng.random::<f64>() < self.p_rel {
                    if rng.random::<bool>() {
                        balance += 1;
                        0
                    } else {
                        balance -= 1;
                        1
                    }
                } else {
                    2 + rng.random_range(0..m_patterns - 2)
                };
                x[[pattern, l]] += 1.0;
            }
            if balance != 0 {
                let y = if self.random_labels {
                    if rng.random::<bool>() {
                        1.0
                    } else {
                        -1.0
                    }
                } else {
                    balance.signum() as f64
                };
                return (x, y);
            }
        }
    }
}

scb_harness::validated!(Data);

impl scb_harness::config::Validate for Data {
    fn validate(&self) -> Result<()> {
        if !(2..=4096).contains(&self.l) {
            return Err(invalid("data.l", format!("must be a whole number in [2, 4096] (got {})", self.l)));
        }
        check_range("data.p_rel", self.p_rel, 0.0, 1.0, true)?;
        check_range("data.sigma", self.sigma, 0.0, 10.0, false)
    }
}
