//! Where a run starts (docs/theory.md §3, §5): the uninformative start, a pretrained V whose
//! centred correlation with P is exactly rho (transfer), and an oracle warm start with
//! given corr_V and corr_A (stage two measured without the switch rule).

use crate::metrics::cos;
use crate::model::{center_v, Params};
use crate::task::Task;
use ndarray::{Array1, Array2, Axis};
use rand::Rng;
use rand_distr::{Distribution, Exp1, StandardNormal};

/// `V = mu 1^T + ||P_c|| (rho U + sqrt(1 - rho^2) W)`, with `U = P_c/||P_c||` and W a random
/// unit direction orthogonal to U among matrices with zero column sums and `W mu = 0`. Then V's
/// columns sum to 1, `V mu = mu`, the centred part has P's energy, and corr_V(V) = rho exactly.
pub fn correlated_v<R: Rng>(task: &Task, rho: f64, rng: &mut R) -> Array2<f64> {
    let n = task.n;
    let mu = &task.mu;
    let pc = center_v(task.p.view(), mu);
    let pn = pc.iter().map(|x| x * x).sum::<f64>().sqrt();
    let mut w = Array2::from_shape_fn((n, n), |_| rng.sample::<f64, _>(StandardNormal));
    let col_mean = w.sum_axis(Axis(0)) / n as f64;
    for mut row in w.rows_mut() {
        row -= &col_mean;
    }
    let wmu = w.dot(mu);
    for (i, mut row) in w.rows_mut().into_iter().enumerate() {
        row -= wmu[i];
    }
    let along = (&w * &pc).sum() / (pn * pn);
    w = &w - &(&pc * along);
    let wn = w.iter().map(|x| x * x).sum::<f64>().sqrt();
    let mut v = &pc * rho + &w * ((1.0 - rho * rho).max(0.0).sqrt() * pn / wn);
    for i in 0..n {
        for j in 0..n {
            v[[i, j]] += mu[i];
        }
    }
    v
}

/// Attention with `cos(a_k - 1/T, q_k - 1/T) = c` for every k, so corr_A = c exactly:
/// `a_k = w q_k + (1 - w) u_k`, with `u_k` uniform on the simplex of the positions outside
/// `supp(q_k)` (dense noise the learner has to remove) and `w` the root of the cosine, by
/// bisection. Off the support the centred u_k has inner product -1/T with the centred q_k,
/// so the cosine runs from below 0 at w = 0 to 1 at w = 1 and every c in [0, 1] is hit.
pub fn correlated_a<R: Rng>(task: &Task, c: f64, rng: &mut R) -> Array2<f64> {
    let (t, n) = (task.t, task.n);
    let u0 = 1.0 / t as f64;
    let mut a = Array2::zeros((t, n));
    for k in 0..n {
        let q = task.qstar.column(k).to_owned();
        let mut u: Array1<f64> = q.iter().map(|&x| if x > 0.0 { 0.0 } else { Exp1.sample(rng) }).collect();
        let mass = u.sum();
        if mass == 0.0 {
            // Q = T: no position is off the support, and the centred q_k is 0.
            a.column_mut(k).assign(&q);
            continue;
        }
        u /= mass;
        let qc = q.mapv(|x| x - u0);
        let mix = |w: f64| &q * w + &u * (1.0 - w);
        let cos_at = |w: f64| cos(mix(w).mapv(|x| x - u0).view(), qc.view());
        let (mut lo, mut hi) = (0.0, 1.0);
        for _ in 0..100 {
            let mid = 0.5 * (lo + hi);
            if cos_at(mid) < c {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        a.column_mut(k).assign(&mix(hi));
    }
    a
}

/// The oracle warm start of stage two: corr_V = `corr_v`, corr_A = `corr_a`.
pub fn warm<R: Rng>(task: &Task, corr_v: f64, corr_a: f64, rng: &mut R) -> Params {
    let v = correlated_v(task, corr_v, rng);
    let a = correlated_a(task, corr_a, rng);
    Params::new(v.view(), a.view())
}

/// Transfer: a pretrained V with correlation rho, attention uniform.
pub fn transfer<R: Rng>(task: &Task, rho: f64, rng: &mut R) -> Params {
    let v = correlated_v(task, rho, rng);
    let a = Array2::from_elem((task.t, task.n), 1.0 / task.t as f64);
    Params::new(v.view(), a.view())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{corr_a, corr_v};
    use crate::task::TaskConfig;

    #[test]
    fn correlations_are_exact_and_columns_stay_stochastic() {
        for (n, t, q) in [(8, 16, 2), (16, 64, 4), (5, 3, 3)] {
            let task = Task::generate(&TaskConfig { n, t, q, ..Default::default() }, 7).unwrap();
            for c in [0.0, 0.3, 0.5, 0.9, 1.0] {
                let p = warm(&task, c, c, &mut scb_harness::rng::rng(1, 1));
                assert!((corr_v(p.v(), &task) - c).abs() < 1e-9, "corr_V at {c}");
                if q < t {
                    assert!((corr_a(&p, &task) - c).abs() < 1e-9, "corr_A at {c}: {}", corr_a(&p, &task));
                }
                for col in p.v().columns().into_iter().chain(p.a().columns()) {
                    assert!((col.sum() - 1.0).abs() < 1e-9);
                }
                assert!(p.a().iter().all(|x| *x >= 0.0));
                let vmu = p.v().dot(&task.mu);
                assert!((&vmu - &task.mu).iter().all(|x| x.abs() < 1e-9), "V mu = mu");
            }
        }
    }

    #[test]
    fn transfer_start_has_uniform_attention() {
        let task = Task::generate(&TaskConfig::default(), 3).unwrap();
        let p = transfer(&task, 0.7, &mut scb_harness::rng::rng(2, 2));
        assert!(p.a().iter().all(|x| (*x - 1.0 / task.t as f64).abs() < 1e-15));
        assert!((corr_v(p.v(), &task) - 0.7).abs() < 1e-9);
        assert_eq!(corr_a(&p, &task), 0.0);
    }
}
