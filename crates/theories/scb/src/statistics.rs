//! The numbers a prediction about a task is written in: statistics of the task's law (mu,
//! P) and of a starting point. Formula predictions read them by these names (docs/theory.md
//! §9); the dedicated claims' closed forms use the same functions.

use super::model::{batch_grad, center_v, Grad, Params, Population};
use super::task::{Batch, Task};
use scb_harness::formula::Vars;

/// `sum_j 1/mu_j`.
pub fn sum_inv_mu(task: &Task) -> f64 {
    task.mu.iter().map(|m| 1.0 / m).sum()
}

/// `||P - mu 1^T||_F^2`: the energy of P's informative (centred) part.
pub fn energy(task: &Task) -> f64 {
    center_v(task.p.view(), &task.mu).iter().map(|x| x * x).sum()
}

/// The 90%-mass quantile of mu: the smallest mu_k among the most frequent tokens that
/// together hold 90% of the mass.
pub fn mu_q90(task: &Task) -> f64 {
    let mut mu: Vec<f64> = task.mu.to_vec();
    mu.sort_by(|a, b| b.total_cmp(a));
    let mut mass = 0.0;
    for m in &mu {
        mass += m;
        if mass >= 0.9 - 1e-12 {
            return *m;
        }
    }
    *mu.last().expect("N >= 2")
}

/// Var(d): the pooled variance of one per-sample attention-gradient entry at `params`,
/// from one batch of `samples` drawn from the PREDICT stream of `seed` (never training data).
pub fn attention_noise(task: &Task, params: &Params, samples: usize, seed: u64) -> f64 {
    let mut batch = Batch::new(samples, task.t);
    task.sample_into(&mut scb_harness::rng::rng(seed, scb_harness::rng::stream::PREDICT), &mut batch);
    let mut g = Grad::new(task.n, task.t);
    batch_grad(params, &batch, &mut g);
    g.da_var
}

/// The task's statistics by name.
pub fn task_vars(task: &Task) -> Vars {
    let min = task.mu.iter().cloned().fold(f64::INFINITY, f64::min);
    let max = task.mu.iter().cloned().fold(0.0, f64::max);
    vec![
        ("sum_inv_mu".into(), sum_inv_mu(task)),
        ("min_mu".into(), min),
        ("max_mu".into(), max),
        ("mu_q90".into(), mu_q90(task)),
        ("energy".into(), energy(task)),
    ]
}

/// A starting point's statistics by name: `c1 = tr(V C V^T)`, `c2 = ||V mu||^2` and
/// `s = <V, P C>` (the scalars of the population attention gradient, docs/theory.md §2).
pub fn start_vars(task: &Task, params: &Params) -> Vars {
    let (c1, c2, s, _) = Population::new(task).scalars(params.v());
    vec![("c1".into(), c1), ("c2".into(), c2), ("s".into(), s)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::TaskConfig;

    #[test]
    fn statistics_of_a_uniform_chain() {
        // P = 1 1^T / N: mu uniform, no informative part.
        let mut task = Task::generate(&TaskConfig { n: 4, t: 8, q: 2, ..Default::default() }, 1).unwrap();
        task.p.fill(0.25);
        task.mu.fill(0.25);
        assert!((sum_inv_mu(&task) - 16.0).abs() < 1e-12);
        assert!(energy(&task).abs() < 1e-12);
        // 90% of the mass needs all four tokens.
        assert_eq!(mu_q90(&task), 0.25);
        let start = Params::uninformative(4, 8);
        let v = start_vars(&task, &start);
        assert!(v.iter().all(|(_, x)| x.is_finite()));
        assert!(v[0].1.abs() < 1e-15, "c1 = 0 at the uninformative start");
    }

    #[test]
    fn the_quantile_stops_at_ninety_percent_of_the_mass() {
        let mut task = Task::generate(&TaskConfig { n: 4, t: 8, q: 2, ..Default::default() }, 1).unwrap();
        task.mu = ndarray::arr1(&[0.5, 0.35, 0.1, 0.05]);
        assert_eq!(mu_q90(&task), 0.1);
    }
}
