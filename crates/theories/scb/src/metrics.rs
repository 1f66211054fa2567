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

/// `||V - P||_F / ||P||_F`.
pub fn dist_v(params: &Params, task: &Task) -> f64 {
    rel_dist(params.v(), task.p.view())
}

/// `||A - Q*||_F / ||Q*||_F`.
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

/// The `q` largest entries' indices, best first, under the total order "larger value, then
/// smaller position" (deterministic). A partial selection picks exactly the set a full sort
/// would; for small q one pass keeping the q best is cheaper still, since most entries lose
/// to the worst kept at once.
fn ranked(x: &[f64], q: usize) -> Vec<usize> {
    let order = |&i: &usize, &j: &usize| x[j].total_cmp(&x[i]).then(i.cmp(&j));
    if q <= 16 {
        let mut best: Vec<usize> = Vec::with_capacity(q + 1);
        for i in 0..x.len() {
            if best.len() == q && best.last().is_none_or(|w| order(&i, w).is_ge()) {
                continue;
            }
            let at = best.partition_point(|b| order(b, &i).is_lt());
            best.insert(at, i);
            best.truncate(q);
        }
        return best;
    }
    let mut idx: Vec<usize> = (0..x.len()).collect();
    if q < idx.len() {
        idx.select_nth_unstable_by(q - 1, order);
    }
    idx.truncate(q);
    idx.sort_unstable_by(order);
    idx
}

/// Indices of the `q` largest entries, ties broken by position, in increasing order.
pub fn top_q(x: &[f64], q: usize) -> Vec<usize> {
    let mut idx = ranked(x, q);
    idx.sort_unstable();
    idx
}

/// `top_q`, and whether the smallest entry in it is strictly above every entry outside it.
pub fn top_q_with_gap(x: &[f64], q: usize) -> (Vec<usize>, bool) {
    let mut idx = ranked(x, q + 1);
    let gap = idx.len() <= q || x[idx[q - 1]] > x[idx[q]];
    idx.truncate(q);
    idx.sort_unstable();
    (idx, gap)
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
    /// `L(V, A) - L(P, Q*)`, the population excess loss.
    pub excess_loss: f64,
    /// V's centred correlation with P ([`corr_v`]).
    pub corr_v: f64,
    /// A's mu-weighted centred correlation with Q* ([`corr_a`]).
    pub corr_a: f64,
    /// [`dist_v`].
    pub dist_v: f64,
    /// [`dist_a`].
    pub dist_a: f64,
    /// Support recovery ([`support_recovery`]).
    pub support: f64,
}

impl Snapshot {
    /// The metrics of `params` on the population's task.
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

/// Two models trained on the same task, compared (the softmax transformer against ScbProx).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Comparison {
    /// Fraction of query tokens whose top-Q positions agree between the two models.
    pub agree: f64,
    /// Support recovery of each model against the truth.
    pub support_softmax: f64,
    /// Support recovery of ScbProx against the truth.
    pub support_prox: f64,
    /// Mean over query tokens of the Spearman correlation of the two models' a_k.
    pub spearman: f64,
    /// The softmax model's population excess loss.
    pub excess_softmax: f64,
    /// ScbProx's population excess loss.
    pub excess_prox: f64,
}

/// Ranks with ties given their average rank.
fn ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&i, &j| x[i].total_cmp(&x[j]));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            r[k] = avg;
        }
        i = j + 1;
    }
    r
}

/// Spearman's rank correlation (Pearson on average ranks); 0 if either side is constant.
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    let (rx, ry) = (ranks(x), ranks(y));
    let n = x.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx == 0.0 || syy == 0.0 {
        0.0
    } else {
        sxy / (sxx * syy).sqrt()
    }
}

/// Compares ScbProx's parameters with the softmax model's on `task`.
pub fn compare(task: &Task, prox: &Params, soft: &Params) -> Comparison {
    let agree = (0..task.n).filter(|&k| top_q(prox.a_col(k), task.q) == top_q(soft.a_col(k), task.q)).count() as f64 / task.n as f64;
    let spearman = (0..task.n).map(|k| spearman(prox.a_col(k), soft.a_col(k))).sum::<f64>() / task.n as f64;
    let pop = Population::new(task);
    Comparison {
        agree,
        support_softmax: support_recovery(soft, task),
        support_prox: support_recovery(prox, task),
        spearman,
        excess_softmax: pop.excess_loss(soft),
        excess_prox: pop.excess_loss(prox),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_q_is_the_sorted_prefix_of_a_full_sort_ties_by_position() {
        let mut rng = scb_harness::rng::rng(3, 3);
        for len in [1usize, 2, 5, 33, 40] {
            for _ in 0..50 {
                // Few distinct values, so ties are common.
                let x: Vec<f64> = (0..len).map(|_| (rand::Rng::random_range(&mut rng, 0..4)) as f64).collect();
                for q in (0..=len).chain([len + 3]) {
                    let mut full: Vec<usize> = (0..len).collect();
                    full.sort_by(|&i, &j| x[j].total_cmp(&x[i]).then(i.cmp(&j)));
                    let mut want = full[..q.min(len)].to_vec();
                    want.sort_unstable();
                    assert_eq!(top_q(&x, q), want, "{x:?}, q={q}");
                    if q >= 1 {
                        let min_in = want.iter().map(|&i| x[i]).fold(f64::INFINITY, f64::min);
                        let max_out = (0..len).filter(|i| !want.contains(i)).map(|i| x[i]).fold(f64::NEG_INFINITY, f64::max);
                        assert_eq!(top_q_with_gap(&x, q), (want.clone(), min_in > max_out), "{x:?}, q={q}");
                    }
                }
            }
        }
    }
}
