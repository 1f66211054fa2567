//! Claim 3, transfer (spec §5.3): starting from a V with centred correlation rho to the
//! downstream P (A uniform) and running stage two at once, the samples to reach
//! corr_A >= c do not grow linearly with T when rho is nontrivial, grow as rho shrinks,
//! and at rho ~ 0 cost what training from scratch costs.
//!
//! A trial at (T, rho) runs the transfer and, as the reference, ScbProx from scratch on
//! the same task; both record the samples until corr_A >= c.

use super::{Claim, ClaimResult, ClaimSpec, PointTask};
use crate::algo::{AlgoConfig, SwitchRule};
use crate::error::{check_range, invalid, Result};
use crate::metrics::corr_a;
use crate::model::{center_v, Params};
use crate::report::{self, Panel, Series};
use crate::stats::{ols, within_slope, Quantities};
use crate::task::{Batch, Task};
use ndarray::Array2;
use rand::Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};
use std::path::Path;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub batch: usize,
    /// The attention-correlation level to reach.
    pub c: f64,
    /// A run that has not reached `c` after this many samples is censored.
    pub max_samples: u64,
    /// rho at or above this counts as nontrivial for the transfer exponent.
    pub rho_nontrivial: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { batch: 1024, c: 0.9, max_samples: 2_000_000, rho_nontrivial: 0.5 }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Trial {
    /// Samples until corr_A >= c (interpolated between steps); None if censored.
    pub transfer: Option<f64>,
    pub scratch: Option<f64>,
}

pub struct Transfer {
    spec: ClaimSpec,
    s: Settings,
}

/// `V = mu 1^T + ||P_c|| (rho U + sqrt(1 - rho^2) W)`, with `U = P_c/||P_c||` and W a random
/// unit direction orthogonal to U among matrices with zero column sums and `W mu = 0`. Then V's
/// columns sum to 1, `V mu = mu`, the centred part has P's energy, and corr_V(V) = rho exactly.
pub fn correlated_v<R: Rng>(task: &Task, rho: f64, rng: &mut R) -> Array2<f64> {
    let n = task.n;
    let mu = &task.mu;
    let pc = center_v(task.p.view(), mu);
    let pn = pc.iter().map(|x| x * x).sum::<f64>().sqrt();
    let mut w = Array2::from_shape_fn((n, n), |_| rng.sample::<f64, _>(StandardNormal));
    let col_mean = w.sum_axis(ndarray::Axis(0)) / n as f64;
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

impl Transfer {
    /// Samples until corr_A >= c, interpolating linearly in corr_A within the step that crosses.
    fn hit(&self, task: &Task, algo: &AlgoConfig, init: Params, seed: u64) -> Option<f64> {
        let mut a = algo.build(task);
        let mut params = init;
        let mut rng = crate::rng::rng(seed, crate::rng::stream::DATA);
        let mut batch = Batch::new(self.s.batch, task.t);
        let b = self.s.batch as f64;
        let mut prev = corr_a(&params, task);
        let mut used = 0.0;
        while used < self.s.max_samples as f64 {
            task.sample_into(&mut rng, &mut batch);
            a.step(&mut params, &batch);
            used += b;
            let now = corr_a(&params, task);
            if !now.is_finite() {
                return None;
            }
            if now >= self.s.c {
                let f = if now > prev { (self.s.c - prev) / (now - prev) } else { 1.0 };
                return Some(used - b + f.clamp(0.0, 1.0) * b);
            }
            prev = now;
        }
        None
    }

    fn transfer_algo(&self) -> AlgoConfig {
        match &self.spec.algorithm {
            AlgoConfig::ScbProx(c) => {
                AlgoConfig::ScbProx(crate::algo::ProxConfig { switch: SwitchRule::Budget { samples: 0 }, ..c.clone() })
            }
            other => other.clone(),
        }
    }
}

/// Median with censored (None) values counted as +inf: undefined once half are censored.
fn censored_median(v: impl Iterator<Item = Option<f64>>) -> f64 {
    let mut x: Vec<f64> = v.map(|o| o.unwrap_or(f64::INFINITY)).collect();
    x.sort_by(f64::total_cmp);
    if x.is_empty() {
        return f64::NAN;
    }
    let m = if x.len() % 2 == 1 { x[x.len() / 2] } else { 0.5 * (x[x.len() / 2 - 1] + x[x.len() / 2]) };
    if m.is_finite() {
        m
    } else {
        f64::NAN
    }
}

impl Claim for Transfer {
    type Trial = Trial;
    const QUANTITIES: &'static [(&'static str, &'static str)] = &[
        ("t_exponent_transfer", "exponent of T in the transfer's samples to corr_A >= c, over nontrivial rho (one intercept per rho)"),
        ("t_exponent_scratch", "exponent of T in the samples to corr_A >= c when training from scratch"),
        ("exponent_gap", "t_exponent_scratch - t_exponent_transfer"),
        ("rho_exponent", "exponent of rho in the transfer's samples, over nontrivial rho (one intercept per T)"),
        ("zero_vs_scratch", "transfer samples at rho = 0 over scratch samples, geometric mean over T"),
    ];

    fn new(spec: &ClaimSpec) -> Result<Self> {
        let s: Settings = spec.settings()?;
        if s.batch < 1 {
            return Err(invalid("settings.batch", "must be >= 1"));
        }
        check_range("settings.c", s.c, 0.0, 1.0, true)?;
        check_range("settings.rho_nontrivial", s.rho_nontrivial, 0.0, 1.0, true)?;
        if spec.grid.rho.is_empty() {
            return Err(invalid("grid.rho", "transfer needs a list of rho values in [0, 1]"));
        }
        Ok(Transfer { spec: spec.clone(), s })
    }

    fn run_trial(&self, pt: &PointTask, seed: u64) -> Trial {
        let task = &pt.task;
        let rho = pt.point.rho.expect("validated: transfer grids have rho");
        let v0 = correlated_v(task, rho, &mut crate::rng::rng(seed, crate::rng::stream::INIT));
        let a0 = Array2::from_elem((task.t, task.n), 1.0 / task.t as f64);
        let transfer = self.hit(task, &self.transfer_algo(), Params::new(v0.view(), a0.view()), seed);
        let scratch = self.hit(task, &self.spec.algorithm, Params::uninformative(task.n, task.t), crate::rng::derive(seed, 1));
        Trial { transfer, scratch }
    }

    fn estimate(&self, points: &[PointTask], trials: &[Vec<&Trial>]) -> Quantities {
        let mut q = Quantities::new();
        let mut ts: Vec<usize> = points.iter().map(|p| p.point.t).collect();
        ts.sort_unstable();
        ts.dedup();
        let scratch: Vec<f64> = ts
            .iter()
            .map(|&t| {
                let all = points.iter().zip(trials).filter(|(p, _)| p.point.t == t).flat_map(|(_, v)| v.iter().map(|x| x.scratch));
                censored_median(all)
            })
            .collect();
        for (t, s) in ts.iter().zip(&scratch) {
            q.insert(format!("scratch@T={t}"), *s);
        }
        let lt: Vec<f64> = ts.iter().map(|&t| (t as f64).ln()).collect();
        let ls: Vec<f64> = scratch.iter().map(|x| x.ln()).collect();
        let t_scratch = ols(&lt, &ls).1;
        q.insert("t_exponent_scratch".into(), t_scratch);
        let (mut g_rho, mut g_t, mut x_t, mut x_rho, mut y) = (vec![], vec![], vec![], vec![], vec![]);
        let mut zero_ratios = vec![];
        for (pt, tr) in points.iter().zip(trials) {
            let m = censored_median(tr.iter().map(|x| x.transfer));
            q.insert(format!("transfer@{}", pt.point.label()), m);
            let rho = pt.point.rho.expect("rho grid");
            let si = ts.iter().position(|&t| t == pt.point.t).expect("T in grid");
            if rho == 0.0 {
                zero_ratios.push((m / scratch[si]).ln());
            }
            if rho >= self.s.rho_nontrivial {
                g_rho.push(rho.to_bits());
                g_t.push(pt.point.t as u64);
                x_t.push((pt.point.t as f64).ln());
                x_rho.push(rho.ln());
                y.push(m.ln());
            }
        }
        let all_finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
        let t_transfer = if all_finite(&y) { within_slope(&g_rho, &x_t, &y) } else { f64::NAN };
        q.insert("t_exponent_transfer".into(), t_transfer);
        q.insert("exponent_gap".into(), t_scratch - t_transfer);
        q.insert("rho_exponent".into(), if all_finite(&y) { within_slope(&g_t, &x_rho, &y) } else { f64::NAN });
        let zr = if zero_ratios.is_empty() || !all_finite(&zero_ratios) {
            f64::NAN
        } else {
            (zero_ratios.iter().sum::<f64>() / zero_ratios.len() as f64).exp()
        };
        q.insert("zero_vs_scratch".into(), zr);
        // Per-rho T exponents: where the transfer stops growing with T (the threshold in rho).
        let mut rhos: Vec<f64> = points.iter().filter_map(|p| p.point.rho).collect();
        rhos.sort_by(f64::total_cmp);
        rhos.dedup();
        for r in rhos {
            let (xs, ys): (Vec<f64>, Vec<f64>) = points
                .iter()
                .filter(|p| p.point.rho == Some(r))
                .map(|p| ((p.point.t as f64).ln(), q[&format!("transfer@{}", p.point.label())].ln()))
                .unzip();
            q.insert(format!("t_exponent@rho={r}"), if all_finite(&ys) { ols(&xs, &ys).1 } else { f64::NAN });
        }
        q
    }

    fn figure(&self, points: &[PointTask], _: &[Vec<&Trial>], result: &ClaimResult, path: &Path) -> Result<()> {
        let mut rhos: Vec<f64> = points.iter().filter_map(|p| p.point.rho).collect();
        rhos.sort_by(f64::total_cmp);
        rhos.dedup();
        let mut series = Vec::new();
        let mut ts: Vec<usize> = points.iter().map(|p| p.point.t).collect();
        ts.sort_unstable();
        ts.dedup();
        let (sp, se): (Vec<(f64, f64)>, Vec<(f64, f64)>) = ts
            .iter()
            .filter_map(|t| result.q(&format!("scratch@T={t}")).map(|e| ((*t as f64, e.value), (e.lo, e.hi))))
            .unzip();
        series.push(Series::points("from scratch", 7, sp, Some(se)));
        for (i, r) in rhos.iter().enumerate() {
            let (p, e): (Vec<(f64, f64)>, Vec<(f64, f64)>) = points
                .iter()
                .filter(|p| p.point.rho == Some(*r))
                .filter_map(|p| result.q(&format!("transfer@{}", p.point.label())).map(|e| ((p.point.t as f64, e.value), (e.lo, e.hi))))
                .unzip();
            series.push(Series::points(format!("transfer, rho={r}"), i, p, Some(e)));
        }
        let v = |k: &str| result.q(k).map_or(f64::NAN, |e| e.value);
        let p1 = Panel {
            title: format!("samples to corr_A >= {} (median over trials)", self.s.c),
            x_label: "context length T".into(),
            y_label: "samples".into(),
            x_log: true,
            y_log: true,
            series,
            ..Default::default()
        };
        let (ep, ee): (Vec<(f64, f64)>, Vec<(f64, f64)>) = rhos
            .iter()
            .filter_map(|r| result.q(&format!("t_exponent@rho={r}")).map(|e| ((*r, e.value), (e.lo, e.hi))))
            .unzip();
        let flat = |y: f64| vec![(rhos[0], y), (*rhos.last().expect("rho grid"), y)];
        let p2 = Panel {
            title: format!("T exponent by rho; from scratch {:.2}", v("t_exponent_scratch")),
            x_label: "initial correlation rho of V with P".into(),
            y_label: "exponent of T".into(),
            x_log: false,
            y_log: false,
            series: vec![
                Series::points("transfer (95% CI)", 0, ep, Some(ee)),
                Series::dashed(format!("from scratch: {:.2}", v("t_exponent_scratch")), 7, flat(v("t_exponent_scratch"))),
                Series::dashed("no growth: 0", 6, flat(0.0)),
            ],
            ..Default::default()
        };
        report::draw(path, &super::figure_title(result), &[p1, p2])
    }
}
