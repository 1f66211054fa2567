//! Gradient descent on one column of Q: population (full batch) or SGD on fresh prompts.

use super::counts::CountSet;
use super::loss::{feature_weights, loss_grad_w};
use super::prompts::Prompts;
use rand::Rng;
use rand_distr::{Binomial, Distribution};
use scb_harness::watch::FirstPassage;

/// How columns learn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Training {
    /// Full-batch gradient descent on the population loss, estimated on a fixed count set.
    Population,
    /// Minibatch SGD on fresh prompts: each step draws `batch` prompts, and the column of
    /// each prompt's query takes the gradient of its loss (averaged over w exactly).
    Sgd {
        /// Prompts per step.
        batch: usize,
    },
}

/// One column's run: the iteration at which `loss_k` (on `eval`) first reached the last
/// (smallest) level, interpolated log-linearly within the step, the same for every level,
/// and the trajectory of `Q[:, k]` at the steps in `record` up to then (and at the last
/// step). The run stops at the last level.
#[derive(Clone, Debug, Default)]
pub struct ColumnRun {
    /// The step at which the loss first reached the last (smallest) level, interpolated log-linearly within the step (None: not reached).
    pub t_eps: Option<f64>,
    /// First passage below each level, in the order given.
    pub passages: Vec<Option<f64>>,
    /// `(step, Q[:, k])` at the recorded steps up to the last level's passage, and at the last step.
    pub trajectory: Vec<(u64, Vec<f64>)>,
}

/// Trains column `k` from Q[:, k] = 0 with step `eta` on `L = 1/2 sum_j p_j loss_j` until
/// loss_k (on `eval`) is at most the last of `levels` (decreasing), or `max_steps`.
#[allow(clippy::too_many_arguments)]
pub fn train_column<R: Rng>(
    prompts: &Prompts,
    k: usize,
    eta: f64,
    training: Training,
    train_set: Option<&CountSet>,
    eval: &CountSet,
    levels: &[f64],
    max_steps: u64,
    record: &[u64],
    rng: &mut R,
) -> ColumnRun {
    let kk = prompts.k();
    let mut z = vec![0.0; kk];
    let (mut g, mut gs, mut a, mut fw) = (vec![0.0; kk], vec![0.0; kk], vec![0.0; kk], vec![0.0; kk]);
    let mut n = vec![0u32; kk];
    let mut out = ColumnRun::default();
    let mut passages = FirstPassage::new(levels);
    let mut prev = eval.loss(&z, k, None);
    if record.first() == Some(&0) {
        out.trajectory.push((0, z.clone()));
    }
    for step in 1..=max_steps {
        match training {
            Training::Population => {
                train_set.expect("a count set for population training").loss(&z, k, Some(&mut g));
                g.iter_mut().for_each(|x| *x *= 0.5 * prompts.p[k]);
            }
            Training::Sgd { batch } => {
                // Only prompts whose query is k reach column k: their number is binomial.
                let hits = Binomial::new(batch as u64, prompts.p[k]).expect("p in (0, 1]").sample(rng);
                g.fill(0.0);
                feature_weights(&z, &mut fw);
                for _ in 0..hits {
                    prompts.counts(rng, &mut n);
                    loss_grad_w(&fw, &n, k, &mut a, Some(&mut gs));
                    g.iter_mut().zip(&gs).for_each(|(x, y)| *x += 0.5 * y);
                }
                g.iter_mut().for_each(|x| *x /= batch as f64);
            }
        }
        z.iter_mut().zip(&g).for_each(|(x, y)| *x -= eta * y);
        if record.binary_search(&step).is_ok() {
            out.trajectory.push((step, z.clone()));
        }
        let now = eval.loss(&z, k, None);
        if passages.observe(step, prev, now) {
            out.trajectory.push((step, z.clone()));
            break;
        }
        prev = now;
    }
    out.t_eps = *passages.hits.last().expect("at least one level");
    out.passages = passages.hits;
    out
}
