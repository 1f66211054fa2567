//! Claims about in-context linear regression with softmax attention (docs/theory.md §7;
//! the set-up is reconstructed from the abstract of Huang, Cheng & Liang, ICML 2024). What
//! they share: the `[settings]` of the training runs and, per grid point, the prompt law and
//! a fixed set of count vectors on which every column's loss is evaluated.

pub mod stagewise;
pub mod time_scale;

/// The names of this theory's grid axes, declared once: axes, grid lookups and checks' `where` use them.
pub mod axis {
    /// The number of features K.
    pub const K: &str = "k";
}

use crate::{CountSet, Prompts, Training};
use scb_harness::error::{check_range, invalid, Result};
use scb_harness::watch::{FirstPassage, LogSpaced};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

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
    /// The context length for prompts whose rarest feature has probability `p_min`.
    pub fn context_length(&self, p_min: f64) -> usize {
        (self.l_factor * (1.0 / self.eps).ln() / p_min).ceil() as usize
    }

    /// How a trial trains: minibatch SGD on fresh prompts of `batch` each.
    pub fn training(&self) -> Training {
        Training::Sgd { batch: self.batch }
    }
}

scb_harness::validated!(Run);

impl scb_harness::config::Validate for Run {
    fn validate(&self) -> Result<()> {
        check_range("run.eps", self.eps, 0.0, 1.0, true)?;
        check_range("run.eta", self.eta, 0.0, 1e6, true)?;
        check_range("run.l_factor", self.l_factor, 0.0, 1e3, true)?;
        if self.batch < 1 || self.eval_samples < 10 || self.max_steps < 1 {
            return Err(invalid("run", "batch >= 1, eval_samples >= 10 and max_steps >= 1 are required"));
        }
        Ok(())
    }
}

/// A task at a grid point: the prompts, the count set every trial there is evaluated on (the
/// task's draw), and, computed once when first asked, the population reference.
pub struct Setting {
    /// The prompt distribution at the point.
    pub prompts: Prompts,
    /// The count vectors (with their weights) every trial's losses are evaluated on.
    pub eval: CountSet,
    population: OnceLock<Vec<Vec<Option<f64>>>>,
    trainer: OnceLock<Vec<Vec<Option<f64>>>>,
}

impl Setting {
    /// The setting at a point: its count set drawn from `seed` and the point's key, the references left to compute when first asked.
    pub fn new(prompts: Prompts, run: &Run, seed: u64, key: &str) -> Setting {
        let mut rng = scb_harness::rng::rng(seed ^ scb_harness::rng::fnv1a(key.as_bytes()), scb_harness::rng::stream::PREDICT);
        let eval = CountSet::sample(&prompts, run.eval_samples, &mut rng);
        Setting { prompts, eval, population: OnceLock::new(), trainer: OnceLock::new() }
    }

    /// `out[c][l]`: the population reference's steps to `levels[l]` for `columns[c]` (see
    /// [`population_passages`]). Computed on first use and kept (a claim always asks for the
    /// same columns and levels), so validating a spec costs nothing and the bootstrap
    /// computes it once.
    pub fn population(&self, columns: &[usize], run: &Run, levels: &[f64]) -> &[Vec<Option<f64>>] {
        self.population.get_or_init(|| columns.iter().map(|&k| population_passages(&self.prompts, &self.eval, k, run.eta, levels, run.max_steps)).collect())
    }
}

impl Setting {
    /// `out[c][l]`: the trainer's own full-batch mode ([`Training::Population`]) on the same
    /// count set, from the same start, to the same levels. It must retrace the independent
    /// reference step for step, so its passages equal the reference's to rounding: the check
    /// that catches an error in the trainer's step where no spec trains by population. Kept
    /// once computed, as the reference is.
    pub fn trainer_population(&self, columns: &[usize], run: &Run, levels: &[f64]) -> &[Vec<Option<f64>>] {
        self.trainer.get_or_init(|| {
            // Full-batch training draws nothing; the generator is only the signature's.
            let mut unused = scb_harness::rng::rng(0, 0);
            columns
                .iter()
                .map(|&k| {
                    crate::train_column(
                        &self.prompts,
                        k,
                        run.eta,
                        crate::Training::Population,
                        Some(&self.eval),
                        &self.eval,
                        levels,
                        run.max_steps,
                        &[],
                        &mut unused,
                    )
                    .passages
                })
                .collect()
        })
    }
}

/// Steps for column k to bring loss_k to each of `levels` (decreasing) under gradient descent
/// on the population loss of the count reduction, `z <- z - eta (p_k / 2) grad loss_k(z)`, with
/// the task's count set as the population: the exact dynamics whose level the Monte Carlo
/// median is checked against. SGD's expected step is this one, so its median time sits near
/// it; a factor 2 in the step moves one and not the other. Written apart from `train_column`
/// on purpose: a reference that shared its update could not catch an error in it.
pub fn population_passages(prompts: &Prompts, set: &CountSet, k: usize, eta: f64, levels: &[f64], max_steps: u64) -> Vec<Option<f64>> {
    let mut z = vec![0.0; prompts.k()];
    let mut g = vec![0.0; prompts.k()];
    let mut passages = FirstPassage::new(levels);
    let mut prev = set.loss(&z, k, Some(&mut g));
    for step in 1..=max_steps {
        let scale = eta * 0.5 * prompts.p[k];
        z.iter_mut().zip(&g).for_each(|(x, d)| *x -= scale * d);
        let now = set.loss(&z, k, Some(&mut g));
        if passages.observe(step, prev, now) {
            break;
        }
        prev = now;
    }
    passages.hits
}

/// Log-spaced steps (with 0) up to `max`, for trajectories.
pub fn log_steps(max: u64, per_decade: u32) -> Vec<u64> {
    std::iter::once(0).chain(LogSpaced::new(per_decade).before(max.saturating_add(1))).collect()
}

/// This theory's claims, in the order reports list them: a new claim is a file in this
/// folder and one line here.
pub static CLAIMS: &[&dyn scb_harness::claims::Claim] =
    &[&scb_harness::claims::Registered::<stagewise::Stagewise>::NEW, &scb_harness::claims::Registered::<time_scale::TimeScale>::NEW];
