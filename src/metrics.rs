//! How far a model is from the truth (docs/theory.md §2).

use crate::model::{center_v, Params, Population};
use crate::task::Task;
use ndarray::{ArrayView1, Zip};
use serde::{Deserialize, Serialize};

/// Cosine, with the cosine of a zero vector defined as 0 (the uninformative start).
pub fn cos(x: ArrayView1<f64>, y: ArrayView1<f64>) -> f64 {
    let (nx, ny) = (x.dot(&x).sqrt(), y.dot(&y).sqrt());
    if nx == 0.0 || ny == 0.0 {
        0.0
    } else {
        x.dot(&y) / (nx * ny)
    }
}

fn flat_cos(x: &ndarray::Array2<f64>, y: &ndarray::Array2<f64>) -> f64 {
    let (mut xy, mut xx, mut yy) = (0.0, 0.0, 0.0);
    Zip::from(x).and(y).for_each(|a, b| {
        xy += a * b;
        xx += a * a;
        yy += b * b;
    });
    if xx == 0.0 || yy == 0.0 {
        0.0
    } else {
        xy / (xx.sqrt() * yy.sqrt())
    }
}

/// `cos(V - (V mu) 1^T, P - mu 1^T)`.
pub fn corr_v(v: ndarray::ArrayView2<f64>, task: &Task) -> f64 {
    let cv = center_v(v, &task.mu);
    let cp = center_v(task.p.view(), &task.mu);
    flat_cos(&cv, &cp)
}

/// `sum_k mu_k cos(a_k - 1/T, q_k - 1/T)`.
pub fn corr_a(params: &Params, task: &Task) -> f64 {
    let u = 1.0 / task.t as f64;
    (0..task.n)
        .map(|k| {
            let a = params.a().column(k).mapv(|x| x - u);
            let q = task.qstar.column(k).mapv(|x| x - u);
            task.mu[k] * cos(a.view(), q.view())
        })
        .sum()
}

pub fn dist_v(params: &Params, task: &Task) -> f64 {
    rel_dist(params.v(), task.p.view())
}

pub fn dist_a(params: &Params, task: &Task) -> f64 {
    rel_dist(params.a(), task.qstar.view())
}

fn rel_dist(x: ndarray::ArrayView2<f64>, y: ndarray::ArrayView2<f64>) -> f64 {
    let (mut d, mut yy) = (0.0, 0.0);
    Zip::from(x).and(y).for_each(|a, b| {
        d += (a - b) * (a - b);
        yy += b * b;
    });
    (d / yy).sqrt()
}

/// Indices of the `q` largest entries, ties broken by position (deterministic).
pub fn top_q(x: &[f64], q: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&i, &j| x[j].total_cmp(&x[i]).then(i.cmp(&j)));
    idx.truncate(q);
    idx.sort_unstable();
    idx
}

/// Fraction of query tokens whose top-Q positions equal `supp(q_k)`.
pub fn support_recovery(params: &Params, task: &Task) -> f64 {
    let hits = (0..task.n)
        .filter(|&k| {
            let mut want: Vec<usize> = task.support(k).iter().map(|&s| s as usize).collect();
            want.sort_unstable();
            top_q(params.a_col(k), want.len()) == want
        })
        .count();
    hits as f64 / task.n as f64
}

/// Everything a history row reports about the parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub excess_loss: f64,
    pub corr_v: f64,
    pub corr_a: f64,
    pub dist_v: f64,
    pub dist_a: f64,
    pub support: f64,
}

impl Snapshot {
    pub fn take(params: &Params, pop: &Population) -> Snapshot {
        let task = pop.task;
        Snapshot {
            excess_loss: pop.excess_loss(params),
            corr_v: corr_v(params.v(), task),
            corr_a: corr_a(params, task),
            dist_v: dist_v(params, task),
            dist_a: dist_a(params, task),
            support: support_recovery(params, task),
        }
    }
}
