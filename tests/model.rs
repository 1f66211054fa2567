//! Gradients (docs/theory.md §2): per-sample against finite differences, Monte Carlo against
//! the closed-form population gradients, and the excess loss.

use ndarray::{Array2, ShapeBuilder};
use quickcheck::{QuickCheck, TestResult};
use rand::Rng;
use rand_distr::StandardNormal;
use scb::theories::scb::model::{batch_grad, batch_grad_with, Grad, Params, Path, Population};
use scb::theories::scb::task::{Batch, QWeights, Task, TaskConfig};

fn random_params(n: usize, t: usize, seed: u64) -> Params {
    let mut rng = scb::rng::rng(seed, 7);
    let v = Array2::from_shape_fn((n, n), |_| rng.sample::<f64, _>(StandardNormal) * 0.5);
    let a = Array2::from_shape_fn((t, n), |_| rng.sample::<f64, _>(StandardNormal) * 0.5);
    Params::new(v.view(), a.view())
}

fn small_task(n: usize, t: usize, q: usize, seed: u64) -> Task {
    let cfg = TaskConfig { n, t, q, alpha: 0.8, weights: QWeights::Dirichlet, ..Default::default() };
    Task::generate(&cfg, seed).unwrap()
}

fn loss(p: &Params, b: &Batch) -> f64 {
    // The default kernel, as the learners call it.
    let mut g = Grad::new(p.n(), p.t());
    batch_grad(p, b, &mut g);
    g.loss
}

/// Random parameters with roughly a third of the attention weights exactly 0 when `sparse`.
fn params_for(n: usize, t: usize, seed: u64, sparse: bool) -> Params {
    let p = random_params(n, t, seed);
    if !sparse {
        return p;
    }
    let mut a = p.a().to_owned();
    a.indexed_iter_mut().for_each(|((s, k), x)| {
        // Wrapping, so that a debug build (overflow checks on) zeroes the same weights as release.
        if (s * 7 + k * 3).wrapping_add(seed as usize).is_multiple_of(3) {
            *x = 0.0
        }
    });
    Params::new(p.v(), a.view())
}

fn loss_by(p: &Params, b: &Batch, path: Path) -> f64 {
    let mut g = Grad::new(p.n(), p.t());
    batch_grad_with(p, b, &mut g, path);
    g.loss
}

#[test]
fn every_kernel_matches_finite_differences() {
    fn prop(seed: u64, n: u8, t: u8, bs: u8, sparse: bool) -> TestResult {
        // Batches up to 40 reach the fused dense product (B >= 2N) as well as the plain one.
        let (n, t, bs) = (2 + n as usize % 5, 1 + t as usize % 7, 1 + bs as usize % 40);
        let task = small_task(n, t, 1 + seed as usize % t, seed);
        let params = params_for(n, t, seed, sparse);
        let mut b = Batch::new(bs, t);
        task.sample_into(&mut scb::rng::rng(seed, 8), &mut b);
        for path in [Path::Dense, Path::SparseW, Path::SparseDots] {
            let mut g = Grad::new(n, t);
            batch_grad_with(&params, &b, &mut g, path);
            let h = 1e-5;
            // The loss is quadratic in V for fixed A and in A for fixed V, so a central
            // difference is exact up to round-off: a tight tolerance is honest here.
            let fd = |bump: &dyn Fn(&mut Params, f64)| {
                let (mut up, mut dn) = (params.clone(), params.clone());
                bump(&mut up, h);
                bump(&mut dn, -h);
                // Differences are taken with the dense kernel: a bump can make a zero
                // weight nonzero, which the sparse kernels would see as another support.
                (loss_by(&up, &b, Path::Dense) - loss_by(&dn, &b, Path::Dense)) / (2.0 * h)
            };
            for i in 0..n {
                for j in 0..n {
                    let num = fd(&|p: &mut Params, d| p.v_slice_mut()[j * n + i] += d);
                    if (num - g.gv[[i, j]]).abs() > 1e-6 * (1.0 + num.abs()) {
                        return TestResult::error(format!("{path:?} dV[{i},{j}]: analytic {} vs fd {num}", g.gv[[i, j]]));
                    }
                }
            }
            for s in 0..t {
                for k in 0..n {
                    let num = fd(&|p: &mut Params, d| p.a_col_mut(k)[s] += d);
                    if (num - g.ga[[s, k]]).abs() > 1e-6 * (1.0 + num.abs()) {
                        return TestResult::error(format!("{path:?} dA[{s},{k}]: analytic {} vs fd {num}", g.ga[[s, k]]));
                    }
                }
            }
            if (g.loss - loss_by(&params, &b, Path::Dense)).abs() > 1e-12 * (1.0 + g.loss) {
                return TestResult::error(format!("{path:?}: loss {}", g.loss));
            }
        }
        TestResult::passed()
    }
    QuickCheck::new().tests(200).quickcheck(prop as fn(u64, u8, u8, u8, bool) -> TestResult);
}

#[test]
fn the_kernels_agree_on_every_output_and_the_cheaper_one_is_chosen() {
    // Realistic sizes, dense and stage-two-like sparse attention.
    for (n, t, bs, sparse) in [(16, 64, 256, false), (16, 64, 256, true), (40, 24, 64, true), (40, 24, 100, false)] {
        let task = small_task(n, t, 2, 5);
        let params = params_for(n, t, 5, sparse);
        let mut b = Batch::new(bs, t);
        task.sample_into(&mut scb::rng::rng(5, 8), &mut b);
        let mut grads = Vec::new();
        for path in [Path::Dense, Path::SparseW, Path::SparseDots] {
            let mut g = Grad::new(n, t);
            batch_grad_with(&params, &b, &mut g, path);
            grads.push(g);
        }
        for g in &grads[1..] {
            let close = |x: &Array2<f64>, y: &Array2<f64>| x.iter().zip(y).all(|(a, b)| (a - b).abs() <= 1e-12 * (1.0 + a.abs()));
            assert!(close(&g.gv, &grads[0].gv) && close(&g.ga, &grads[0].ga), "{:?} differs from Dense", g.path);
            assert!((g.loss - grads[0].loss).abs() < 1e-12 && (g.da_var - grads[0].da_var).abs() < 1e-12 * (1.0 + g.da_var));
            assert_eq!(g.count, grads[0].count);
        }
    }
    // Stage two's attention (Q = 2 of 128 positions) goes sparse; dense attention stays dense.
    let task = small_task(64, 128, 2, 1);
    let mut b = Batch::new(1024, 128);
    task.sample_into(&mut scb::rng::rng(1, 8), &mut b);
    let mut g = Grad::new(64, 128);
    batch_grad(&Params::new(task.p.view(), task.qstar.view()), &b, &mut g);
    assert_ne!(g.path, Some(Path::Dense));
    batch_grad(&Params::uninformative(64, 128), &b, &mut g);
    assert_eq!(g.path, Some(Path::Dense));
}

/// Mean and standard error of per-batch gradients over `m` batches.
fn mc_grads(task: &Task, params: &Params, m: usize, bs: usize) -> [(Array2<f64>, Array2<f64>); 2] {
    let (n, t) = (task.n, task.t);
    let mut rng = scb::rng::rng(3, 3);
    let mut b = Batch::new(bs, t);
    let mut g = Grad::new(n, t);
    let (mut sv, mut sv2) = (Array2::<f64>::zeros((n, n)), Array2::<f64>::zeros((n, n)));
    let (mut sa, mut sa2) = (Array2::<f64>::zeros((t, n)), Array2::<f64>::zeros((t, n)));
    for _ in 0..m {
        task.sample_into(&mut rng, &mut b);
        batch_grad(params, &b, &mut g);
        sv += &g.gv;
        sv2 += &g.gv.mapv(|x| x * x);
        sa += &g.ga;
        sa2 += &g.ga.mapv(|x| x * x);
    }
    let m = m as f64;
    let se = |s: &Array2<f64>, s2: &Array2<f64>| (s2 / m - (s / m).mapv(|x| x * x)).mapv(|v| (v.max(0.0) / m).sqrt());
    [(&sv / m, se(&sv, &sv2)), (&sa / m, se(&sa, &sa2))]
}

fn max_z(mean: &Array2<f64>, se: &Array2<f64>, want: &Array2<f64>) -> f64 {
    let mut z: f64 = 0.0;
    for ((m, s), w) in mean.iter().zip(se).zip(want) {
        z = z.max((m - w).abs() / s.max(1e-12));
    }
    z
}

#[test]
fn monte_carlo_gradients_converge_to_population_gradients() {
    let task = small_task(5, 6, 2, 21);
    let params = random_params(5, 6, 4);
    let pop = Population::new(&task);
    let (gv, ga) = pop.grads(&params);
    let [(mv, sv), (ma, sa)] = mc_grads(&task, &params, 400, 500);
    // 66 entries: |z| < 4.5 for all of them holds with probability > 0.999 under the truth.
    let (zv, za) = (max_z(&mv, &sv, &gv), max_z(&ma, &sa, &ga));
    assert!(zv < 4.5 && za < 4.5, "max |z|: V {zv}, A {za}");
    // Power: the same test rejects the population gradient of another attention target.
    let other = small_task(5, 6, 2, 22);
    let wrong = Task::from_parts(task.p.clone(), other.qstar.clone(), 2).unwrap();
    let (_, ga_wrong) = Population::new(&wrong).grads(&params);
    assert!(max_z(&ma, &sa, &ga_wrong) > 10.0);
}

#[test]
fn population_loss_is_the_mean_sample_loss() {
    let task = small_task(6, 5, 2, 31);
    let params = random_params(6, 5, 9);
    let want = Population::new(&task).loss(&params);
    let mut rng = scb::rng::rng(5, 5);
    let mut b = Batch::new(1000, task.t);
    let mut g = Grad::new(task.n, task.t);
    let (mut s, mut s2, m) = (0.0, 0.0, 300);
    for _ in 0..m {
        task.sample_into(&mut rng, &mut b);
        batch_grad(&params, &b, &mut g);
        s += g.loss;
        s2 += g.loss * g.loss;
    }
    let mean = s / m as f64;
    let se = ((s2 / m as f64 - mean * mean) / m as f64).sqrt();
    assert!((mean - want).abs() < 4.0 * se, "MC {mean} ± {se} vs population {want}");
}

#[test]
fn excess_loss_is_zero_at_truth_and_positive_elsewhere() {
    fn prop(seed: u64) -> bool {
        let task = small_task(2 + seed as usize % 6, 3 + seed as usize % 5, 2, seed);
        let pop = Population::new(&task);
        let truth = Params::new(task.p.view(), task.qstar.view());
        let at_truth = pop.excess_loss(&truth);
        let elsewhere = pop.excess_loss(&random_params(task.n, task.t, seed));
        let start = pop.excess_loss(&Params::uninformative(task.n, task.t));
        at_truth.abs() < 1e-12 && elsewhere > 0.0 && start > 0.0
    }
    QuickCheck::new().tests(100).quickcheck(prop as fn(u64) -> bool);
}

#[test]
fn population_gradient_vanishes_at_truth() {
    let task = small_task(7, 9, 3, 2);
    let (gv, ga) = Population::new(&task).grads(&Params::new(task.p.view(), task.qstar.view()));
    assert!(gv.iter().chain(ga.iter()).all(|x| x.abs() < 1e-12));
}

#[test]
fn params_store_columns_contiguously_whatever_the_input_layout() {
    // Distinct entries, given row-major and column-major: a column must come back as the
    // column (an all-equal matrix could not tell a transposition apart).
    let v = Array2::from_shape_fn((3, 3), |(i, j)| (10 * i + j) as f64);
    let a = Array2::from_shape_fn((4, 3), |(s, k)| (100 * s + k) as f64);
    let a_f = Array2::from_shape_fn((4, 3).f(), |(s, k)| (100 * s + k) as f64);
    for (a_in, v_in) in [(a.view(), v.view()), (a_f.view(), v.t())] {
        let p = Params::new(v_in, a_in);
        assert_eq!(p.a_col(2), &[2.0, 102.0, 202.0, 302.0]);
        assert_eq!(p.a(), a);
        assert_eq!(&p.v_slice()[3..6], &[v_in[[0, 1]], v_in[[1, 1]], v_in[[2, 1]]], "column 1 of V, contiguous");
    }
}

#[test]
fn softmax_logit_gradients_match_finite_differences() {
    use scb::theories::scb::learners::{softmax_backward, softmax_columns};
    fn prop(seed: u64, n: u8, t: u8) -> TestResult {
        let (n, t) = (2 + n as usize % 5, 1 + t as usize % 7);
        let task = small_task(n, t, 1 + seed as usize % t, seed);
        let mut rng = scb::rng::rng(seed, 11);
        let w: Vec<f64> = (0..n * t).map(|_| rng.sample::<f64, _>(StandardNormal)).collect();
        let base = random_params(n, t, seed);
        let with_w = |w: &[f64]| {
            let mut p = base.clone();
            softmax_columns(w, p.a_slice_mut(), t);
            p
        };
        let mut b = Batch::new(3, t);
        task.sample_into(&mut scb::rng::rng(seed, 12), &mut b);
        let p = with_w(&w);
        let mut g = Grad::new(n, t);
        batch_grad(&p, &b, &mut g);
        let mut gw = vec![0.0; n * t];
        softmax_backward(p.a_slice(), g.ga.as_slice_memory_order().unwrap(), &mut gw, t);
        let h = 1e-6;
        for i in 0..n * t {
            let (mut up, mut dn) = (w.clone(), w.clone());
            up[i] += h;
            dn[i] -= h;
            let num = (loss(&with_w(&up), &b) - loss(&with_w(&dn), &b)) / (2.0 * h);
            // The softmax makes the loss non-quadratic in W: allow the O(h^2) term.
            if (num - gw[i]).abs() > 1e-6 * (1.0 + num.abs()) {
                return TestResult::error(format!("dW[{i}]: analytic {} vs fd {num}", gw[i]));
            }
        }
        TestResult::passed()
    }
    QuickCheck::new().tests(200).quickcheck(prop as fn(u64, u8, u8) -> TestResult);
}

#[test]
fn merged_gradients_are_the_gradient_of_the_union() {
    let task = small_task(6, 9, 2, 3);
    for sparse in [false, true] {
        let params = params_for(6, 9, 3, sparse);
        let mut all = Batch::new(300, 9);
        task.sample_into(&mut scb::rng::rng(3, 8), &mut all);
        let mut whole = Grad::new(6, 9);
        batch_grad(&params, &all, &mut whole);
        let (mut acc, mut part) = (Grad::new(6, 9), Grad::new(6, 9));
        for (lo, hi) in [(0, 1), (1, 40), (40, 40), (40, 300)] {
            batch_grad(&params, &all.range(lo, hi), &mut part);
            acc.merge(&part);
        }
        let close = |x: f64, y: f64| (x - y).abs() <= 1e-12 * (1.0 + x.abs());
        assert!(whole.gv.iter().zip(acc.gv.iter()).all(|(x, y)| close(*x, *y)));
        assert!(whole.ga.iter().zip(acc.ga.iter()).all(|(x, y)| close(*x, *y)));
        assert!(close(whole.loss, acc.loss) && close(whole.da_var, acc.da_var), "{} vs {}", whole.da_var, acc.da_var);
        assert_eq!((whole.count.clone(), whole.batch), (acc.count.clone(), acc.batch));
    }
}
