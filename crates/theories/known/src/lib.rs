//! A theory whose truth is known exactly, for measuring the harness itself. Its trials are
//! draws of a stated law around a stated mean, so every quantity's true value is a number
//! written in the spec, and the share of master seeds on which an interval holds that number
//! is its coverage, measured rather than assumed (docs/theory.md §10).
//!
//! The laws are the shapes a per-task value can take: normal; skewed (exponential, centred,
//! skewness 2); heavy-tailed (Student t with 3 degrees of freedom, scaled to variance 1).
//! Every draw is standardised to mean 0 and variance 1, so `tau` is the task effect's
//! standard deviation whatever the law.

// Every public item says what it is: CI's `clippy -D warnings` makes a missing doc comment
// an error.
#![warn(missing_docs)]

pub mod claims;
pub mod commands;
pub mod matrix;

use rand::Rng;
use rand_distr::{Distribution, Exp1, StandardNormal, StudentT};
use serde::{Deserialize, Serialize};

/// The law of a task effect, standardised to mean 0 and variance 1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Law {
    /// Standard normal.
    #[default]
    Normal,
    /// `E - 1` with E exponential of mean 1: skewness 2.
    Exponential,
    /// `T / sqrt(3)` with T Student's t with 3 degrees of freedom: infinite fourth moment.
    StudentT3,
}

impl Law {
    /// Every law, in the order tables list them.
    pub const ALL: [Law; 3] = [Law::Normal, Law::Exponential, Law::StudentT3];

    /// One standardised draw.
    pub fn draw<R: Rng>(self, rng: &mut R) -> f64 {
        match self {
            Law::Normal => StandardNormal.sample(rng),
            Law::Exponential => {
                let e: f64 = Exp1.sample(rng);
                e - 1.0
            }
            Law::StudentT3 => StudentT::new(3.0).expect("3 degrees of freedom").sample(rng) / 3f64.sqrt(),
        }
    }

    /// The name a spec's `law` takes.
    pub fn name(self) -> &'static str {
        match self {
            Law::Normal => "normal",
            Law::Exponential => "exponential",
            Law::StudentT3 => "student-t3",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_law_is_standardised() {
        let mut rng = scb_harness::rng::rng(1, 1);
        for law in Law::ALL {
            let n = 400_000;
            let x: Vec<f64> = (0..n).map(|_| law.draw(&mut rng)).collect();
            let m = x.iter().sum::<f64>() / n as f64;
            let v = x.iter().map(|a| (a - m).powi(2)).sum::<f64>() / n as f64;
            let skew = x.iter().map(|a| (a - m).powi(3)).sum::<f64>() / n as f64 / v.powf(1.5);
            assert!(m.abs() < 0.01, "{law:?} mean {m}");
            // The t3 variance converges slowly (infinite fourth moment).
            assert!((v - 1.0).abs() < if law == Law::StudentT3 { 0.15 } else { 0.01 }, "{law:?} variance {v}");
            if law == Law::Exponential {
                assert!((skew - 2.0).abs() < 0.1, "skewness {skew}");
            }
        }
    }
}
