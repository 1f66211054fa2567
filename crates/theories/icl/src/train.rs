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

#[cfg(test)]
mod tests {
    use super::*;

    /// Population training from 0 until the loss of column `k` falls below `level`.
    fn run(prompts: &Prompts, set: &CountSet, k: usize, eta: f64, level: f64, record: &[u64]) -> ColumnRun {
        let mut rng = scb_harness::rng::rng(1, 1);
        train_column(prompts, k, eta, Training::Population, Some(set), set, &[level], 10_000, record, &mut rng)
    }

    #[test]
    fn a_population_step_is_half_the_query_weight_times_the_loss_gradient() {
        let prompts = Prompts::new(vec![0.5, 0.3, 0.2], 6).unwrap();
        let set = CountSet::exact(&prompts, 10_000).unwrap();
        let (k, eta) = (1, 0.7);
        let out = run(&prompts, &set, k, eta, 1e-9, &[1, 2]);
        // Step 1 from Q[:, k] = 0: z1 = -eta (1/2) p_k grad loss_k(0); step 2 from z1.
        let mut z = vec![0.0; 3];
        for (i, step) in [1u64, 2].into_iter().enumerate() {
            let mut g = vec![0.0; 3];
            set.loss(&z, k, Some(&mut g));
            z.iter_mut().zip(&g).for_each(|(x, y)| *x -= eta * 0.5 * prompts.p[k] * y);
            assert_eq!(out.trajectory[i].0, step);
            for (a, b) in out.trajectory[i].1.iter().zip(&z) {
                assert!((a - b).abs() < 1e-15 * (1.0 + b.abs()), "step {step}: {:?} against {z:?}", out.trajectory[i].1);
            }
        }
        assert!(z.iter().any(|x| x.abs() > 1e-3), "the step moves the column: {z:?}");
    }

    #[test]
    fn the_trajectory_holds_the_recorded_steps_and_the_passage() {
        let prompts = Prompts::new(vec![0.5, 0.3, 0.2], 6).unwrap();
        let set = CountSet::exact(&prompts, 10_000).unwrap();
        let level = 0.5 * set.loss(&[0.0; 3], 0, None);
        let steps = |record: &[u64]| -> Vec<u64> { run(&prompts, &set, 0, 1.0, level, record).trajectory.iter().map(|s| s.0).collect() };
        let end = run(&prompts, &set, 0, 1.0, level, &[]);
        let last = end.t_eps.expect("reaches half the initial loss").ceil() as u64;
        assert!(last > 3, "the passage comes after the recorded steps: {last}");
        // Only the passage, unless step 0 is asked for; the start is then Q[:, k] = 0.
        assert_eq!(steps(&[]), vec![last]);
        assert_eq!(steps(&[0, 2]), vec![0, 2, last]);
        assert_eq!(steps(&[1, 3]), vec![1, 3, last]);
        assert!(run(&prompts, &set, 0, 1.0, level, &[0]).trajectory[0].1.iter().all(|&x| x == 0.0));
    }

    #[test]
    fn an_sgd_step_is_the_population_step_on_average() {
        let prompts = Prompts::new(vec![0.5, 0.3, 0.2], 6).unwrap();
        let set = CountSet::exact(&prompts, 10_000).unwrap();
        let (k, eta, batch, runs) = (1, 0.7, 16, 4000);
        let population = run(&prompts, &set, k, eta, 1e-9, &[1]).trajectory[0].1.clone();
        let mut rng = scb_harness::rng::rng(2, 2);
        let (mut sum, mut sum2) = (vec![0.0; 3], vec![0.0; 3]);
        for _ in 0..runs {
            let one = train_column(&prompts, k, eta, Training::Sgd { batch }, None, &set, &[1e-9], 1, &[1], &mut rng);
            for (m, x) in one.trajectory[0].1.iter().enumerate() {
                sum[m] += x;
                sum2[m] += x * x;
            }
        }
        for m in 0..3 {
            let mean = sum[m] / runs as f64;
            let se = ((sum2[m] / runs as f64 - mean * mean) / runs as f64).sqrt();
            assert!((mean - population[m]).abs() < 5.0 * se, "feature {m}: SGD {mean} +- {se}, population {}", population[m]);
            // Resolution: a step off by a factor 1.5 lies outside the same band.
            assert!(0.5 * population[m].abs() > 10.0 * se, "feature {m}: se {se} too wide for {}", population[m]);
        }
    }
}
