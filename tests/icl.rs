//! The count reduction of in-context regression against full prompts, and the two ways of
//! training a column against each other (docs/theory.md §7).

use rand::Rng;
use rand_distr::StandardNormal;
use scb::theories::icl::{loss_grad, prompt_error, train_column, CountSet, Prompts, Training};

/// A draw from the feature law `p`.
fn feature<R: Rng>(p: &[f64], rng: &mut R) -> usize {
    let u: f64 = rng.random();
    let mut acc = 0.0;
    for (m, pm) in p.iter().enumerate() {
        acc += pm;
        if u < acc {
            return m;
        }
    }
    p.len() - 1
}

/// Mean and standard error of the squared error of `n` full prompts with query `k`, from
/// their tokens: L one-hot tokens, a fresh w ~ N(0, I) per prompt.
fn direct(q: &[f64], prompts: &Prompts, k: usize, n: usize, seed: u64) -> (f64, f64) {
    let kk = prompts.k();
    let mut rng = scb::rng::rng(seed, 9);
    let (mut s, mut s2) = (0.0, 0.0);
    let mut tokens = vec![0usize; prompts.l];
    let mut w = vec![0.0; kk];
    for _ in 0..n {
        tokens.iter_mut().for_each(|t| *t = feature(&prompts.p, &mut rng));
        w.iter_mut().for_each(|x| *x = rng.sample(StandardNormal));
        let e = prompt_error(q, kk, &tokens, k, &w);
        s += e;
        s2 += e * e;
    }
    let mean = s / n as f64;
    (mean, ((s2 / n as f64 - mean * mean) / n as f64).sqrt())
}

/// Column-major Q (q[k K + m] = Q[m, k]), so column k is a contiguous slice.
fn random_q(kk: usize, seed: u64) -> Vec<f64> {
    let mut rng = scb::rng::rng(seed, 1);
    (0..kk * kk).map(|_| rng.random::<f64>() * 3.0 - 1.5).collect()
}

#[test]
fn the_count_reduction_equals_the_full_prompt_loss_and_a_wrong_one_is_told_apart() {
    let prompts = Prompts::new(vec![0.4, 0.3, 0.2, 0.1], 6).unwrap();
    let kk = prompts.k();
    let exact = CountSet::exact(&prompts, 10_000).unwrap();
    let q = random_q(kk, 5);
    let mut a = vec![0.0; kk];
    for k in 0..kk {
        let z = &q[k * kk..(k + 1) * kk];
        let reduced = exact.loss(z, k, None);
        let (mean, se) = direct(&q, &prompts, k, 200_000, 10 + k as u64);
        assert!((reduced - mean).abs() < 4.0 * se, "query {k}: reduction {reduced}, full prompts {mean} +- {se}");
        // Power: dropping the other features' term sum_{m != k} a_m^2 (what w's variance on
        // them contributes) is rejected by the same simulation.
        let mut wrong = 0.0;
        for (n, weight) in exact.iter() {
            loss_grad(z, n, k, &mut a, None);
            wrong += weight * (1.0 - a[k]) * (1.0 - a[k]);
        }
        assert!((wrong - mean).abs() > 8.0 * se, "query {k}: the simulation cannot tell {wrong} from {mean} +- {se}");
    }
}

#[test]
fn a_sampled_count_set_estimates_the_exact_expectation() {
    let prompts = Prompts::imbalanced(5, 0.5, 12).unwrap();
    let exact = CountSet::exact(&prompts, 10_000).unwrap();
    let mut rng = scb::rng::rng(2, 2);
    let sample = CountSet::sample(&prompts, 50_000, &mut rng);
    let q = random_q(5, 8);
    for k in 0..5 {
        let z = &q[k * 5..(k + 1) * 5];
        let (e, s) = (exact.loss(z, k, None), sample.loss(z, k, None));
        // The loss lies in [0, 2]: its standard deviation is at most 1.
        assert!((e - s).abs() < 4.0 / (50_000f64).sqrt(), "query {k}: exact {e}, sampled {s}");
    }
}

#[test]
fn sgd_on_fresh_prompts_follows_population_gradient_descent() {
    let prompts = Prompts::imbalanced(4, 0.5, 40).unwrap();
    let exact = CountSet::exact(&prompts, 100_000).unwrap();
    let time = |training: Training, k: usize, seed: u64| {
        let mut rng = scb::rng::rng(seed, 3);
        train_column(&prompts, k, 1.0, training, Some(&exact), &exact, &[0.05], 100_000, &[], &mut rng).t_eps.expect("converges")
    };
    for k in [0, 3] {
        let population = time(Training::Population, k, 0);
        // SGD's gradient is an unbiased estimate of the population one; with 4096 prompts a
        // step its noise averages out over hundreds of steps.
        let sgd: Vec<f64> = (0..4).map(|s| time(Training::Sgd { batch: 4096 }, k, s)).collect();
        for t in &sgd {
            assert!((t / population - 1.0).abs() < 0.1, "column {k}: population {population} steps, SGD {t}");
        }
    }
    // The rare column, with a quarter of the dominant one's step, is slower.
    assert!(time(Training::Population, 3, 0) > 2.0 * time(Training::Population, 0, 0));
}
