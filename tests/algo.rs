//! ScbProx and SGD (docs/theory.md §3).

use nalgebra::DMatrix;
use ndarray::Array2;
use rand::Rng;
use scb::config::Validate;
use scb::theories::scb::learners::{FreezeV, Learner, LearnerConfig, ProxConfig, ScbProx, SgdConfig, StageTwoRule, SwitchRule};
use scb::theories::scb::model::{batch_grad, Grad, Params};
use scb::theories::scb::task::{Batch, Task, TaskConfig};
use scb::theories::scb::train::{run_spec, RunConfig, TrainSpec};

fn dm(a: &Array2<f64>) -> DMatrix<f64> {
    DMatrix::from_fn(a.nrows(), a.ncols(), |i, j| a[[i, j]])
}

/// A state with V's and A's columns on the simplex, away from the start.
fn state(task: &Task, seed: u64) -> Params {
    let mut rng = scb::rng::rng(seed, 1);
    let mut col = |len: usize| {
        let w: Vec<f64> = (0..len).map(|_| rng.random::<f64>() + 0.1).collect();
        let s: f64 = w.iter().sum();
        w.into_iter().map(move |x| x / s).collect::<Vec<_>>()
    };
    let v = Array2::from_shape_vec((task.n, task.n), (0..task.n).flat_map(|_| col(task.n)).collect()).unwrap();
    let a = Array2::from_shape_vec((task.n, task.t), (0..task.n).flat_map(|_| col(task.t)).collect()).unwrap();
    Params::new(v.t(), a.t())
}

#[test]
fn one_step_matches_dense_preconditioned_update() {
    let task = Task::generate(&TaskConfig { n: 6, t: 9, q: 2, ..Default::default() }, 3).unwrap();
    let params = state(&task, 2);
    let mut b = Batch::new(700, task.t);
    task.sample_into(&mut scb::rng::rng(1, 1), &mut b);
    let mut g = Grad::new(task.n, task.t);
    batch_grad(&params, &b, &mut g);
    let eta = 0.3;

    // Dense reference with an explicit inverse, no closed forms.
    let mu = &task.mu;
    let (n, t) = (task.n, task.t);
    let c = DMatrix::from_fn(n, n, |i, j| if i == j { mu[i] } else { 0.0 } - mu[i] * mu[j]);
    let mumu = DMatrix::from_fn(n, n, |i, j| mu[i] * mu[j]);
    let a = params.a().to_owned();
    let alpha: f64 = (0..n).map(|k| mu[k] * a.column(k).dot(&a.column(k))).sum();
    let omega: f64 = (0..n).map(|k| mu[k] * a.column(k).sum().powi(2)).sum();
    let m_inv = (&c * alpha + &mumu * omega).try_inverse().unwrap();
    let v = dm(&params.v().to_owned());
    let v_new = &v - (dm(&g.gv) * &m_inv) * eta;
    let c1 = (&v * &c * v.transpose()).trace();
    let vmu = &v * DMatrix::from_fn(n, 1, |i, _| mu[i]);
    let c2 = vmu.norm_squared();
    let h_inv = (DMatrix::identity(t, t) * c1 + DMatrix::from_element(t, t, c2)).try_inverse().unwrap();

    let mut algo = ScbProx::new(ProxConfig { eta, switch: SwitchRule::Never, ..Default::default() }, &task);
    let mut p = params.clone();
    algo.step(&mut p, &b);
    for i in 0..n {
        for j in 0..n {
            assert!((p.v()[[i, j]] - v_new[(i, j)]).abs() < 1e-10, "V[{i},{j}]");
        }
    }
    for k in 0..n {
        let gk = DMatrix::from_fn(t, 1, |s, _| g.ga[[s, k]] / mu[k]);
        let step = &h_inv * gk;
        // Stage one keeps attention nonnegative: max(a - eta g, 0), rescaled to sum 1.
        let raw: Vec<f64> = (0..t).map(|s| (a[[s, k]] - eta * step[(s, 0)]).max(0.0)).collect();
        let sum: f64 = raw.iter().sum();
        for (s, r) in raw.iter().enumerate() {
            assert!((p.a()[[s, k]] - r / sum).abs() < 1e-10, "a_{k}[{s}]");
        }
    }
}

fn spec(algorithm: LearnerConfig, samples: u64) -> TrainSpec {
    TrainSpec {
        task: TaskConfig { n: 8, t: 32, q: 2, ..Default::default() },
        run: RunConfig { samples, batch: 1024, seed: 4, rows_per_decade: 20, population: false },
        algorithm,
    }
}

fn nonzeros(p: &Params, k: usize) -> usize {
    p.a_col(k).iter().filter(|x| **x != 0.0).count()
}

#[test]
fn stage_two_makes_attention_exactly_sparse_and_l1_is_what_does_it() {
    let (task, out) = run_spec(&spec(LearnerConfig::ScbProx(ProxConfig::default()), 300_000), |_| {}).unwrap();
    assert!(out.switched_at.is_some());
    let sparse = (0..task.n).filter(|&k| nonzeros(&out.params, k) == task.q).count();
    assert!(sparse as f64 >= 0.9 * task.n as f64, "{sparse}/{} columns exactly Q-sparse", task.n);
    assert_eq!(out.history.last().unwrap().snap.support, 1.0);
    // Without the l1 step the same run keeps dense attention: only the nonnegative clip
    // zeroes an entry now and then, where a target dips below 0.
    let no_l1 = ProxConfig { l1: false, ..Default::default() };
    let (_, dense) = run_spec(&spec(LearnerConfig::ScbProx(no_l1), 300_000), |_| {}).unwrap();
    assert!(
        (0..task.n).all(|k| nonzeros(&dense.params, k) >= task.t - task.t / 8),
        "{:?}",
        (0..task.n).map(|k| nonzeros(&dense.params, k)).collect::<Vec<_>>()
    );
}

#[test]
fn switch_rules_do_what_they_say() {
    let run = |switch| {
        let cfg = ProxConfig { switch, ..Default::default() };
        run_spec(&spec(LearnerConfig::ScbProx(cfg), 100_000), |_| {}).unwrap().1
    };
    assert_eq!(run(SwitchRule::Budget { samples: 20_480 }).switched_at, Some(20_480));
    let never = run(SwitchRule::Never);
    assert_eq!(never.switched_at, None);
    assert!(never.history.iter().all(|r| r.stage == 1 && r.lambda == 0.0));
    let immediate = run(SwitchRule::Budget { samples: 0 });
    assert!(immediate.history.iter().all(|r| r.stage == 2));
    let data = run(SwitchRule::StableSupport { patience: 5, fraction: 0.9 });
    let at = data.switched_at.expect("support stabilises within 1e5 samples");
    assert!(at >= 6 * 1024, "needs at least patience + 1 steps (switched at {at})");
    assert!(data.history.iter().all(|r| (r.stage == 2) == (r.samples > at)));
    assert!(data.history.iter().filter(|r| r.stage == 2).all(|r| r.lambda > 0.0));
}

#[test]
fn same_seed_gives_bit_identical_runs() {
    let s = spec(LearnerConfig::ScbProx(ProxConfig::default()), 60_000);
    let (_, a) = run_spec(&s, |_| {}).unwrap();
    let (_, b) = run_spec(&s, |_| {}).unwrap();
    assert_eq!(a.params, b.params);
    assert_eq!(a.history, b.history);
    let mut other = s.clone();
    other.run.seed = 5;
    assert_ne!(run_spec(&other, |_| {}).unwrap().1.params, a.params);
}

/// ScbProx reaches dist <= 0.05 on N=16, T=64, Q=2, alpha=0.5, seed 1 within 10^6 samples, and
/// SGD at every rate of the default sweep ends above both of ScbProx's distances.
#[test]
fn prox_reaches_target_and_every_sgd_rate_ends_above_it() {
    let base = TrainSpec {
        task: TaskConfig { n: 16, t: 64, q: 2, alpha: 0.5, ..Default::default() },
        run: RunConfig { samples: 1_000_000, batch: 2048, seed: 1, rows_per_decade: 10, population: false },
        algorithm: LearnerConfig::ScbProx(ProxConfig::default()),
    };
    let (_, prox) = run_spec(&base, |_| {}).unwrap();
    let last = prox.history.last().unwrap().snap.clone();
    assert!(last.dist_v <= 0.05 && last.dist_a <= 0.05, "{last:?}");
    for lr in [0.5, 1.0, 2.0, 4.0, 5.0, 6.0, 8.0] {
        let s = TrainSpec { algorithm: LearnerConfig::Sgd(SgdConfig { lr, ..Default::default() }), ..base.clone() };
        let (_, sgd) = run_spec(&s, |_| {}).unwrap();
        let end = &sgd.history.last().unwrap().snap;
        // Above the prox run's distance, or NaN (a diverged run): either way SGD lost.
        let grew = |a: f64, b: f64| !matches!(a.partial_cmp(&b), Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal));
        assert!(grew(end.dist_v, last.dist_v) && grew(end.dist_a, last.dist_a), "lr={lr}: {end:?}");
    }
}

#[test]
fn unknown_algorithm_and_bad_rates_name_the_field() {
    let field = |e: scb::Error| match e {
        scb::Error::Invalid { field, .. } => field,
        e => panic!("{e}"),
    };
    assert_eq!(field(scb::theories::scb::learners::LearnerConfig::named("adam").unwrap_err()), "algorithm");
    let nan = LearnerConfig::Sgd(SgdConfig { lr: f64::NAN, ..Default::default() });
    assert_eq!(field(nan.validate().unwrap_err()), "lr");
    let big = LearnerConfig::ScbProx(ProxConfig { eta: 1.5, ..Default::default() });
    assert_eq!(field(big.validate().unwrap_err()), "eta");
}

#[test]
fn attention_stays_nonnegative_and_on_the_simplex_under_both_stage_two_rules() {
    for rule in [StageTwoRule::DualAveraging, StageTwoRule::PerBatch] {
        let task = Task::generate(&TaskConfig { n: 8, t: 64, q: 2, ..Default::default() }, 9).unwrap();
        let cfg = ProxConfig { stage_two: rule, ..Default::default() };
        let mut algo = ScbProx::new(cfg, &task);
        let mut params = Params::uninformative(task.n, task.t);
        // Batch 256 at T = 64: signed targets whose sums approach 0 used to blow up here.
        let mut b = Batch::new(256, task.t);
        let mut rng = scb::rng::rng(2, 2);
        for _ in 0..200 {
            task.sample_into(&mut rng, &mut b);
            algo.step(&mut params, &b);
            for k in 0..task.n {
                let col = params.a_col(k);
                assert!(col.iter().all(|x| *x >= 0.0), "{rule:?}: negative attention");
                assert!((col.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{rule:?}: column {k} off the simplex");
            }
        }
        assert!(algo.switched_at().is_some(), "{rule:?}: never switched");
    }
}

#[test]
fn a_frozen_v_stays_put_until_the_support_is_stable_and_is_released_by_the_fallback() {
    let task = Task::generate(&TaskConfig { n: 8, t: 32, q: 2, ..Default::default() }, 5).unwrap();
    let mut b = Batch::new(256, task.t);
    for (rho, fallback) in [(1.0, 10_000_000), (0.0, 20 * 256)] {
        let start = scb::theories::scb::init::transfer(&task, rho, &mut scb::rng::rng(1, 3));
        let cfg = ProxConfig { freeze_v: Some(FreezeV { fallback_samples: fallback }), ..Default::default() };
        let mut algo = ScbProx::new(cfg, &task);
        let mut params = start.clone();
        let mut rng = scb::rng::rng(7, 2);
        let mut moved_at = None;
        for step in 1..=400u64 {
            task.sample_into(&mut rng, &mut b);
            let before = params.v().to_owned();
            algo.step(&mut params, &b);
            if moved_at.is_none() && params.v() != before {
                moved_at = Some((step - 1) * 256);
            }
        }
        let moved = moved_at.expect("V moves eventually");
        if rho == 1.0 {
            // The perfect V is kept while A finds its support; joint training follows.
            assert_eq!(algo.fell_back_at(), None);
            assert_eq!(Some(moved), algo.switched_at(), "V moved at {moved}, stage two began at {:?}", algo.switched_at());
        } else {
            // No signal in V: no support stabilises, and V is released at the budget.
            assert_eq!(algo.fell_back_at(), Some(fallback));
            assert_eq!(moved, fallback);
        }
    }
}

#[test]
fn stepping_from_a_gradient_is_the_same_step() {
    let task = Task::generate(&TaskConfig { n: 8, t: 16, q: 2, ..Default::default() }, 3).unwrap();
    let mut b = Batch::new(512, task.t);
    task.sample_into(&mut scb::rng::rng(1, 1), &mut b);
    let learners = [
        LearnerConfig::ScbProx(ProxConfig::default()),
        LearnerConfig::Sgd(SgdConfig::default()),
        LearnerConfig::Softmax(scb::theories::scb::learners::SoftmaxConfig::default()),
    ];
    for cfg in learners {
        let (mut by_batch, mut by_grad) = (cfg.build(&task), cfg.build(&task));
        let (mut p1, mut p2) = (state(&task, 4), state(&task, 4));
        let mut g = Grad::new(task.n, task.t);
        for _ in 0..3 {
            by_batch.step(&mut p1, &b);
            // The gradient at the point the learner steps from (the softmax model's A is softmax(W)).
            by_grad.prepare(&mut p2);
            batch_grad(&p2, &b, &mut g);
            by_grad.step_from(&mut p2, &g);
        }
        assert_eq!(p1, p2, "{}", cfg.name());
    }
}
