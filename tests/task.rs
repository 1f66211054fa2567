//! The sampler draws from the law of docs/theory.md §1: three chi-square goodness-of-fit tests on
//! 10^5 samples, each paired with a check that the same test rejects a wrong law.

mod common;
use common::{chi2_stat, pvalue};
use ndarray::{array, Array2};
use scb::theories::scb::task::{Batch, PFamily, QWeights, Task, TaskConfig};

fn task() -> Task {
    let cfg = TaskConfig { n: 8, t: 12, q: 3, alpha: 0.7, weights: QWeights::Dirichlet, ..Default::default() };
    Task::generate(&cfg, 11).unwrap()
}

fn draw(task: &Task, n: usize, seed: u64) -> Batch {
    let mut b = Batch::new(n, task.t);
    task.sample_into(&mut scb::rng::rng(seed, 99), &mut b);
    b
}

/// Sums independent chi-square statistics and their degrees of freedom.
fn combined(parts: impl Iterator<Item = (Vec<u64>, Vec<f64>)>) -> f64 {
    let (mut stat, mut dof) = (0.0, 0);
    for (c, p) in parts {
        let (s, d) = chi2_stat(&c, &p);
        stat += s;
        dof += d;
    }
    pvalue(stat, dof)
}

#[test]
fn context_and_query_marginals_are_mu() {
    let task = task();
    let b = draw(&task, 100_000, 1);
    let mut ctx = vec![0u64; task.n];
    b.ctx.iter().for_each(|&x| ctx[x as usize] += 1);
    let mut qry = vec![0u64; task.n];
    b.query.iter().for_each(|&x| qry[x as usize] += 1);
    let mu = task.mu.to_vec();
    let p_ctx = combined(std::iter::once((ctx.clone(), mu.clone())));
    let p_qry = combined(std::iter::once((qry, mu.clone())));
    assert!(p_ctx > 1e-3 && p_qry > 1e-3, "p(context)={p_ctx}, p(query)={p_qry}");
    // Power: the same counts against uniform are rejected, and so is a mu that is off by 1%
    // (relative) in one token, with the difference given to another.
    let uniform = vec![1.0 / task.n as f64; task.n];
    assert!(combined(std::iter::once((ctx.clone(), uniform))) < 1e-9);
    let mut wrong = mu.clone();
    let d = 0.01 * wrong[0];
    wrong[0] += d;
    wrong[1] -= d;
    let p_wrong = combined(std::iter::once((ctx, wrong)));
    assert!(p_wrong < 1e-4, "a 1% error in mu_0 is not told apart: p={p_wrong}");
}

#[test]
fn position_follows_q_k() {
    let task = task();
    let b = draw(&task, 100_000, 2);
    let mut counts = vec![vec![0u64; task.t]; task.n];
    for i in 0..b.len() {
        counts[b.query[i] as usize][b.pos[i] as usize] += 1;
    }
    let (task, counts) = (&task, &counts);
    let parts = |flip: bool| {
        (0..task.n).map(move |k| {
            let mut p = task.qstar.column(k).to_vec();
            if flip {
                // Move half of one support weight to another support position.
                let s = task.support(k);
                let (a, c) = (s[0] as usize, s[1] as usize);
                let d = p[a] / 2.0;
                p[a] -= d;
                p[c] += d;
            }
            (counts[k].clone(), p)
        })
    };
    let ok = combined(parts(false));
    assert!(ok > 1e-3, "p={ok}");
    assert!(combined(parts(true)) < 1e-9);
}

#[test]
fn output_given_source_follows_p() {
    let task = task();
    let b = draw(&task, 100_000, 3);
    let mut counts = vec![vec![0u64; task.n]; task.n];
    for i in 0..b.len() {
        let src = b.context(i)[b.pos[i] as usize] as usize;
        counts[src][b.out[i] as usize] += 1;
    }
    let ok = combined((0..task.n).map(|j| (counts[j].clone(), task.p.column(j).to_vec())));
    assert!(ok > 1e-3, "p={ok}");
    // Power: a column-shifted P (the wrong source) is rejected.
    let wrong = combined((0..task.n).map(|j| (counts[j].clone(), task.p.column((j + 1) % task.n).to_vec())));
    assert!(wrong < 1e-9);
}

#[test]
fn mu_is_stationary_and_positive() {
    for family in [PFamily::Dirichlet, PFamily::DoublyStochastic, PFamily::Sparse] {
        let cfg = TaskConfig { n: 10, t: 8, q: 2, family, support: 3, ..Default::default() };
        let task = Task::generate(&cfg, 5).unwrap();
        let resid = (task.p.dot(&task.mu) - &task.mu).iter().fold(0.0f64, |a, x| a.max(x.abs()));
        assert!(resid < 1e-12, "{family:?}: residual {resid}");
        assert!((task.mu.sum() - 1.0).abs() < 1e-12 && task.mu.iter().all(|&m| m > 0.0));
        if family == PFamily::DoublyStochastic {
            assert!(task.mu.iter().all(|&m| (m - 0.1).abs() < 1e-9));
        }
        if family == PFamily::Sparse {
            assert!(task.p.columns().into_iter().all(|c| c.iter().filter(|&&x| x > 0.0).count() <= 3));
        }
    }
}

#[test]
fn same_seed_same_task_other_seed_other_task() {
    let cfg = TaskConfig::default();
    let (a, b, c) = (Task::generate(&cfg, 1).unwrap(), Task::generate(&cfg, 1).unwrap(), Task::generate(&cfg, 2).unwrap());
    assert_eq!(a.p, b.p);
    assert_eq!(a.qstar, b.qstar);
    assert_ne!(a.p, c.p);
}

fn field_of(e: scb::Error) -> String {
    match e {
        scb::Error::Invalid { field, .. } => field,
        other => panic!("expected an input error, got {other}"),
    }
}

#[test]
fn bad_task_input_names_the_field() {
    let base = TaskConfig::default();
    let cases = [
        (TaskConfig { q: 65, ..base.clone() }, "q"),
        (TaskConfig { n: 1, ..base.clone() }, "n"),
        (TaskConfig { alpha: 0.0, ..base.clone() }, "alpha"),
        (TaskConfig { alpha: f64::NAN, ..base.clone() }, "alpha"),
        (TaskConfig { family: PFamily::Sparse, support: 0, ..base.clone() }, "support"),
    ];
    for (cfg, field) in cases {
        assert_eq!(field_of(Task::generate(&cfg, 1).unwrap_err()), field, "{cfg:?}");
    }
    let q = Array2::from_shape_fn((3, 2), |(t, _)| if t == 0 { 1.0 } else { 0.0 });
    let not_stochastic = array![[0.5, 0.5], [0.6, 0.5]];
    assert_eq!(field_of(Task::from_parts(not_stochastic, q.clone(), 1).unwrap_err()), "P");
    let reducible = array![[1.0, 0.0], [0.0, 1.0]];
    assert_eq!(field_of(Task::from_parts(reducible, q.clone(), 1).unwrap_err()), "P");
    let with_nan = array![[f64::NAN, 0.5], [0.5, 0.5]];
    assert_eq!(field_of(Task::from_parts(with_nan, q.clone(), 1).unwrap_err()), "P");
    let ok = array![[0.5, 0.5], [0.5, 0.5]];
    let dense_q = Array2::from_elem((3, 2), 1.0 / 3.0);
    assert_eq!(field_of(Task::from_parts(ok.clone(), dense_q, 1).unwrap_err()), "Qstar");
    assert_eq!(field_of(Task::from_parts(ok, q, 4).unwrap_err()), "q");
}
