//! Claim lowrank_updates: the updates SGD makes to W_Q, W_K and W_V are low-rank, their
//! effective rank about 2 (the number of label-relevant patterns) and flat in the number of
//! patterns M, the dimension d and the width m.
//!
//! Why. Every gradient of these matrices is a sum of outer products with token vectors, and
//! only the label-relevant patterns carry a direction that does not average out over the
//! data: the hinge gradient is `-y` times terms symmetric in the irrelevant patterns, and y is
//! set by mu+ and mu-. The accumulated update therefore lies, up to noise, in the span of
//! the two relevant patterns (on the right) and whatever those map to (on the left): rank 2,
//! whatever M, d or m.
//!
//! A trial trains from a small random start and records the stable rank
//! `||dW||_F^2 / ||dW||_2^2` of each update, the count of singular values holding 99% of its
//! energy, its leading singular values, and the trained net's test error.

use super::{axis, Setup, SECTIONS};
use crate::{energy_rank, singular_values, stable_rank};
use ndarray::Array2;
use scb_harness::claims::figures::{ci, per_point};
use scb_harness::claims::{At, Quantity, TypedClaim};
use scb_harness::error::{invalid, Result};
use scb_harness::grid::Point;
use scb_harness::report::{Panel, Series};
use scb_harness::result::ClaimResult;
use scb_harness::spec::ClaimSpec;
use scb_harness::stats::{within_slope, Quantities};
use serde::{Deserialize, Serialize};

/// The `[settings]` of a `lowrank_updates` spec.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Test sequences per point.
    pub test_size: usize,
    /// Leading singular values kept per update, for the figure.
    pub spectrum: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { test_size: 1000, spectrum: 8 }
    }
}

/// One trial: a net trained, and the ranks of its weights' updates.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trial {
    /// Stable ranks of dW_Q, dW_K, dW_V.
    pub stable: [f64; 3],
    /// Singular values for 99% of the energy, for dW_Q, dW_K, dW_V.
    pub energy: [usize; 3],
    /// Leading singular values of each update, over the largest.
    pub spectra: [Vec<f64>; 3],
    /// The stable rank by its definition, `||dW||_F^2 / s_1^2`, with the Frobenius norm
    /// summed from the entries: the instrument's reference.
    pub by_definition: [f64; 3],
    /// Test error of the trained net.
    pub test_error: f64,
}

/// The claim `lowrank_updates`: the SGD updates of W_Q, W_K and W_V have stable rank about 2.
pub struct Updates {
    setup: Setup,
    s: Settings,
}

const MATRICES: [&str; 3] = ["W_Q", "W_K", "W_V"];
/// Per matrix, in the order of `MATRICES`: its stable rank and the three exponents of it.
const PER_MATRIX: [[Quantity; 4]; 3] = [
    [STABLE_RANK_W_Q, PATTERNS_EXPONENT_W_Q, D_EXPONENT_W_Q, M_EXPONENT_W_Q],
    [STABLE_RANK_W_K, PATTERNS_EXPONENT_W_K, D_EXPONENT_W_K, M_EXPONENT_W_K],
    [STABLE_RANK_W_V, PATTERNS_EXPONENT_W_V, D_EXPONENT_W_V, M_EXPONENT_W_V],
];

// The quantities this claim computes, each declared once.
const STABLE_RANK: Quantity =
    Quantity::new("stable_rank", "stable rank of the updates, geometric mean over W_Q, W_K, W_V, trials and points (per point: stable_rank@point)");
const ENERGY_RANK: Quantity = Quantity::new("energy_rank", "singular values holding 99% of the updates' energy, mean over W_Q, W_K, W_V, trials and points");
const PATTERNS_EXPONENT: Quantity = Quantity::new("patterns_exponent", "exponent of M in the stable rank (one intercept per d, m)");
const D_EXPONENT: Quantity = Quantity::new("d_exponent", "exponent of d in the stable rank (one intercept per M, m)");
const M_EXPONENT: Quantity = Quantity::new("m_exponent", "exponent of m in the stable rank (one intercept per M, d)");
const STABLE_RANK_W_Q: Quantity = Quantity::new("stable_rank_w_q", "stable rank of dW_Q, geometric mean over trials, per point (likewise _w_k, _w_v)");
const STABLE_RANK_W_K: Quantity = Quantity::new("stable_rank_w_k", "stable rank of dW_K, per point");
const STABLE_RANK_W_V: Quantity = Quantity::new("stable_rank_w_v", "stable rank of dW_V, per point");
const PATTERNS_EXPONENT_W_Q: Quantity = Quantity::new("patterns_exponent_w_q", "exponent of M in dW_Q's stable rank (one intercept per d, m)");
const PATTERNS_EXPONENT_W_K: Quantity = Quantity::new("patterns_exponent_w_k", "exponent of M in dW_K's stable rank");
const PATTERNS_EXPONENT_W_V: Quantity = Quantity::new("patterns_exponent_w_v", "exponent of M in dW_V's stable rank");
const D_EXPONENT_W_Q: Quantity = Quantity::new("d_exponent_w_q", "exponent of d in dW_Q's stable rank (one intercept per M, m)");
const D_EXPONENT_W_K: Quantity = Quantity::new("d_exponent_w_k", "exponent of d in dW_K's stable rank");
const D_EXPONENT_W_V: Quantity = Quantity::new("d_exponent_w_v", "exponent of d in dW_V's stable rank");
const M_EXPONENT_W_Q: Quantity = Quantity::new("m_exponent_w_q", "exponent of m in dW_Q's stable rank (one intercept per M, d)");
const M_EXPONENT_W_K: Quantity = Quantity::new("m_exponent_w_k", "exponent of m in dW_K's stable rank");
const M_EXPONENT_W_V: Quantity = Quantity::new("m_exponent_w_v", "exponent of m in dW_V's stable rank");
const TEST_ERROR: Quantity = Quantity::new("test_error", "test error of the trained net, per point (test_error@point)");
const INSTRUMENT: Quantity = Quantity::new(
    "instrument",
    "the stable rank as measured (from the singular values) over the stable rank by its definition (the Frobenius norm summed from the entries, over the largest singular value squared), geometric mean over W_Q, W_K, W_V, trials and points",
);

impl TypedClaim for Updates {
    const ID: &'static str = "lowrank_updates";
    const ABOUT: &'static str = "one-layer transformer on relevant/irrelevant patterns: W_Q, W_K, W_V's SGD updates have rank about 2";
    const QUANTITIES: &'static [Quantity] = &[
        STABLE_RANK,
        ENERGY_RANK,
        PATTERNS_EXPONENT,
        D_EXPONENT,
        M_EXPONENT,
        STABLE_RANK_W_Q,
        STABLE_RANK_W_K,
        STABLE_RANK_W_V,
        PATTERNS_EXPONENT_W_Q,
        PATTERNS_EXPONENT_W_K,
        PATTERNS_EXPONENT_W_V,
        D_EXPONENT_W_Q,
        D_EXPONENT_W_K,
        D_EXPONENT_W_V,
        M_EXPONENT_W_Q,
        M_EXPONENT_W_K,
        M_EXPONENT_W_V,
        TEST_ERROR,
        INSTRUMENT,
    ];
    const SECTIONS: &'static [&'static str] = SECTIONS;
    type Context = Vec<(Array2<f64>, f64)>;
    type Trial = Trial;

    fn new(spec: &ClaimSpec) -> Result<Self> {
        let s: Settings = spec.section("settings")?;
        if s.spectrum < 1 {
            return Err(invalid("settings.spectrum", "must be a whole number >= 1"));
        }
        Ok(Updates { setup: Setup::from(spec, s.test_size)?, s })
    }
    super::lowrank_setting!();

    fn run_trial(&self, at: &At<Self::Context>, seed: u64) -> Trial {
        let (start, net) = self.setup.train(&at.point, seed);
        let mut t = Trial { stable: [0.0; 3], energy: [0; 3], spectra: Default::default(), by_definition: [0.0; 3], test_error: net.error(&at.ctx) };
        for (i, (a, b)) in [(&start.wq, &net.wq), (&start.wk, &net.wk), (&start.wv, &net.wv)].into_iter().enumerate() {
            let dw = b - a;
            let s = singular_values(&dw);
            t.stable[i] = stable_rank(&s);
            t.by_definition[i] = dw.iter().map(|x| x * x).sum::<f64>() / (s[0] * s[0]);
            t.energy[i] = energy_rank(&s, 0.99);
            t.spectra[i] = s.iter().take(self.s.spectrum).map(|x| x / s[0].max(f64::MIN_POSITIVE)).collect();
        }
        t
    }

    fn estimate(&self, points: &[&At<Self::Context>], trials: &[Vec<&Trial>]) -> Quantities {
        let mut q = Quantities::new();
        let (mut logs, mut energy, mut instrument) = (vec![], vec![], vec![]);
        let mut per_matrix: [Vec<f64>; 3] = Default::default();
        let (mut gm, mut gd, mut gw, mut xm, mut xd, mut xw) = (vec![], vec![], vec![], vec![], vec![], vec![]);
        for (at, ts) in points.iter().zip(trials) {
            let p = &at.point;
            let per = ts.iter().flat_map(|t| t.stable.iter().map(|r| r.ln())).sum::<f64>() / (3 * ts.len()) as f64;
            q.insert(STABLE_RANK.at(p), per.exp());
            for (i, [rank, ..]) in PER_MATRIX.iter().enumerate() {
                let r = ts.iter().map(|t| t.stable[i].ln()).sum::<f64>() / ts.len() as f64;
                q.insert(rank.at(p), r.exp());
                per_matrix[i].push(r);
            }
            energy.extend(ts.iter().flat_map(|t| t.energy.iter().map(|&e| e as f64)));
            instrument.extend(ts.iter().flat_map(|t| t.stable.iter().zip(&t.by_definition).map(|(a, b)| (a / b).ln())));
            q.insert(TEST_ERROR.at(p), ts.iter().map(|t| t.test_error).sum::<f64>() / ts.len() as f64);
            let (m_, d, w) = (p.at(axis::PATTERNS), p.at(axis::D), p.at(axis::M));
            // Groups hold the other two axes fixed.
            gm.push((d * 65536.0 + w) as u64);
            gd.push((m_ * 65536.0 + w) as u64);
            gw.push((m_ * 65536.0 + d) as u64);
            xm.push(m_.ln());
            xd.push(d.ln());
            xw.push(w.ln());
            logs.push(per);
        }
        q.insert(STABLE_RANK.into(), (logs.iter().sum::<f64>() / logs.len() as f64).exp());
        q.insert(ENERGY_RANK.into(), energy.iter().sum::<f64>() / energy.len() as f64);
        q.insert(INSTRUMENT.into(), (instrument.iter().sum::<f64>() / instrument.len() as f64).exp());
        q.insert(PATTERNS_EXPONENT.into(), within_slope(&gm, &xm, &logs));
        q.insert(D_EXPONENT.into(), within_slope(&gd, &xd, &logs));
        q.insert(M_EXPONENT.into(), within_slope(&gw, &xw, &logs));
        // Per matrix: each must stay low-rank on its own (W_K alone measures about 1, so a
        // mean over the three could hide a W_Q or W_V that grows).
        for (i, [_, patterns, d, m]) in PER_MATRIX.iter().enumerate() {
            q.insert((*patterns).into(), within_slope(&gm, &xm, &per_matrix[i]));
            q.insert((*d).into(), within_slope(&gd, &xd, &per_matrix[i]));
            q.insert((*m).into(), within_slope(&gw, &xw, &per_matrix[i]));
        }
        q
    }

    fn panels(&self, points: &[&At<Self::Context>], trials: &[Vec<&Trial>], result: &ClaimResult) -> Vec<Panel> {
        // Panel 1: the updates' singular value spectra (over the largest) at the largest point.
        let last = points.len() - 1;
        let spectra = (0..3)
            .map(|i| {
                let len = trials[last].iter().map(|t| t.spectra[i].len()).min().unwrap_or(0);
                let mean = (0..len).map(|j| (j as f64 + 1.0, trials[last].iter().map(|t| t.spectra[i][j]).sum::<f64>() / trials[last].len() as f64)).collect();
                Series::line(format!("d{}", MATRICES[i]), i, mean)
            })
            .collect();
        let p1 = Panel {
            title: format!("singular values of the updates, {}", points[last].point.label()),
            x_label: "index".into(),
            y_label: "singular value / largest (mean over trials)".into(),
            y_log: true,
            series: spectra,
            ..Default::default()
        };
        // Panel 2: stable rank per point against M, one series per (d, m).
        let pts: Vec<Point> = points.iter().map(|a| a.point.clone()).collect();
        let mut groups: Vec<(f64, f64)> = pts.iter().map(|p| (p.at(axis::D), p.at(axis::M))).collect();
        groups.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
        groups.dedup();
        let mut series: Vec<Series> = groups
            .iter()
            .enumerate()
            .map(|(i, (d, m))| {
                let these = pts.iter().filter(|p| p.at(axis::D) == *d && p.at(axis::M) == *m).cloned();
                let label = if i == 0 { format!("d={d}, m={m} {}", ci(result)) } else { format!("d={d}, m={m}") };
                per_point(result, STABLE_RANK, these, |p| p.at(axis::PATTERNS), label, i)
            })
            .collect();
        let ms: Vec<f64> = pts.iter().map(|p| p.at(axis::PATTERNS)).collect();
        let (m0, m1) = (ms.iter().cloned().fold(f64::INFINITY, f64::min), ms.iter().cloned().fold(0.0, f64::max));
        series.push(Series::dashed("claimed: 2, flat", 7, vec![(m0, 2.0), (m1, 2.0)]));
        let p2 = Panel {
            title: format!("stable rank of the updates: M exponent {:.2}", result.value(PATTERNS_EXPONENT)),
            x_label: "patterns M".into(),
            y_label: "stable rank (geometric mean over W_Q, W_K, W_V)".into(),
            x_log: true,
            series,
            ..Default::default()
        };
        vec![p1, p2]
    }
}
