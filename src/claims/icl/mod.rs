//! Claims about in-context linear regression with softmax attention (docs/theory.md §7;
//! the set-up is reconstructed from the abstract of Huang, Cheng & Liang, ICML 2024). What
//! they share: the `[settings]` of the training runs and, per grid point, the prompt law and
//! a fixed set of count vectors on which every column's loss is evaluated.

pub mod stagewise;
pub mod time_scale;

use crate::error::{check_range, invalid, Result};
use crate::models::icl::{CountSet, Prompts, Training};
use serde::{Deserialize, Serialize};

/// How the columns are trained and timed: the `[run]` table of both claims.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Run {
    /// The loss level that counts as converged.
    pub eps: f64,
    /// Step size of `L = 1/2 sum_k p_k loss_k`.
    pub eta: f64,
    /// Prompts per SGD step.
    pub batch: usize,
    /// L = ceil(l_factor * ln(1/eps) / p_min): prompts without the query's feature put a floor
    /// `(1 - p_k)^L` under loss_k, which this keeps below eps^l_factor.
    pub l_factor: f64,
    /// Count vectors on which losses are evaluated (the same set for every trial of a point).
    pub eval_samples: usize,
    /// A column not at eps after this many steps is censored.
    pub max_steps: u64,
}

impl Default for Run {
    fn default() -> Self {
        Run { eps: 0.01, eta: 1.0, batch: 512, l_factor: 10.0, eval_samples: 512, max_steps: 100_000 }
    }
}

impl Run {
    pub fn validate(&self) -> Result<()> {
        check_range("run.eps", self.eps, 0.0, 1.0, true)?;
        check_range("run.eta", self.eta, 0.0, 1e6, true)?;
        check_range("run.l_factor", self.l_factor, 0.0, 1e3, true)?;
        if self.batch < 1 || self.eval_samples < 10 || self.max_steps < 1 {
            return Err(invalid("run", "batch >= 1, eval_samples >= 10 and max_steps >= 1 are required"));
        }
        Ok(())
    }

    /// The context length for prompts whose rarest feature has probability `p_min`.
    pub fn context_length(&self, p_min: f64) -> usize {
        (self.l_factor * (1.0 / self.eps).ln() / p_min).ceil() as usize
    }

    pub fn training(&self) -> Training {
        Training::Sgd { batch: self.batch }
    }
}

/// A grid point's prompts, and the count set every trial there is evaluated on.
pub struct Setting {
    pub prompts: Prompts,
    pub eval: CountSet,
}

impl Setting {
    pub fn new(prompts: Prompts, run: &Run, seed: u64, key: &str) -> Setting {
        let mut rng = crate::rng::rng(seed ^ crate::rng::fnv1a(key.as_bytes()), crate::rng::stream::PREDICT);
        let eval = CountSet::sample(&prompts, run.eval_samples, &mut rng);
        Setting { prompts, eval }
    }
}

/// Log-spaced steps (with 0) up to `max`, for trajectories.
pub fn log_steps(max: u64, per_decade: u32) -> Vec<u64> {
    let mut v: Vec<u64> = std::iter::once(0)
        .chain((0..).map(|i| 10f64.powf(i as f64 / per_decade as f64).round() as u64).take_while(|&s| s <= max))
        .collect();
    v.dedup();
    v
}
