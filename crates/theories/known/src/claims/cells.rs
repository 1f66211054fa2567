//! Claim known_cells: cells whose true means are known, judged as every kind of check the
//! harness has. At a point (width w, shared s) a task draws an effect per cell, u_j = tau Z_j
//! (s = 0: cells independent) or u_j = tau (Z_0 + Z_j) / sqrt 2 (s = 1: one task shared by
//! its cells, which are then correlated 1/2), with Z from the spec's law; a trial adds
//! normal noise of sd `sigma` to each cell. So every per-task value has a known mean:
//!
//! - `value@point,c=j`: cell j's mean over trials; truth `truth`;
//! - `ratio@point,c=j`: the same over `truth`; truth 1;
//! - `diff@point,c=j`: a paired difference, arm A minus arm B on the same task, where arm B
//!   is `truth - paired` plus its own effect `tau_paired Z'`: the task effect cancels, the
//!   arm's does not; truth `paired`;
//! - `slope@point`: the least-squares slope of the cells' values on their index (as an
//!   exponent is a fitted slope); truth 0;
//! - `mean`: the mean over every cell of every point; truth `truth`.
//!
//! A spec of this claim checks each at its truth: an interval's coverage is the share of
//! master seeds on which `equal` holds, and a one-sided check with its bound at the truth
//! fails on the share of seeds its side misses (the edge failure rate).

use super::super::Law;
use rand_distr::{Distribution, StandardNormal};
use scb_harness::claims::{At, Quantity, TypedClaim};
use scb_harness::error::{check_range, invalid, Result};
use scb_harness::grid::{Axis, Point};
use scb_harness::report::{Panel, Series};
use scb_harness::result::ClaimResult;
use scb_harness::spec::ClaimSpec;
use scb_harness::stats::{ols, Quantities};
use serde::{Deserialize, Serialize};

/// The `[settings]` of a `known_cells` spec: the laws and sizes the data are drawn from.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// The law of the task effects (standardised, scaled by `tau`).
    pub law: Law,
    /// Every cell's true mean.
    pub truth: f64,
    /// The task effect's standard deviation.
    pub tau: f64,
    /// The trial noise's standard deviation (normal).
    pub sigma: f64,
    /// The true paired difference, arm A minus arm B.
    pub paired: f64,
    /// The standard deviation of arm B's own effect per task (what pairing leaves).
    pub tau_paired: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { law: Law::Normal, truth: 1.0, tau: 1.0, sigma: 0.5, paired: 0.25, tau_paired: 0.5 }
    }
}

/// One task at a point: per cell, the task effect and arm B's own effect.
pub struct Effects {
    u: Vec<f64>,
    v: Vec<f64>,
}

/// One trial: every cell's value on both arms.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trial {
    /// Per cell: arm A's value, and arm B's.
    pub a: Vec<f64>,
    /// Per cell: arm B's value.
    pub b: Vec<f64>,
}

/// The claim `known_cells`: cells with known means, judged by every kind of check at their truth.
pub struct Cells {
    s: Settings,
}

/// The axis of cells per point.
pub const WIDTH: &str = "width";
/// The axis that says whether a point's cells share their task effect (1) or draw one each (0).
pub const SHARED: &str = "shared";

const VALUE: Quantity = Quantity::new("value", "a cell's mean over trials (value@point,c=j); truth: settings.truth");
const RATIO: Quantity = Quantity::new("ratio", "a cell's mean over its truth (ratio@point,c=j); truth 1");
const DIFF: Quantity = Quantity::new("diff", "a cell's paired difference, arm A minus arm B on the same task (diff@point,c=j); truth: settings.paired");
const SLOPE: Quantity = Quantity::new("slope", "least-squares slope of a point's cell values on the cell index (slope@point); truth 0");
const MEAN: Quantity = Quantity::new("mean", "mean over every cell of every point; truth: settings.truth");

fn cell(q: Quantity, point: &Point, j: usize) -> String {
    q.at_cell(point, "c", j)
}

impl TypedClaim for Cells {
    const ID: &'static str = "known_cells";
    const ABOUT: &'static str = "cells with known means: every kind of check at its truth (the known-truth matrix)";
    const QUANTITIES: &'static [Quantity] = &[VALUE, RATIO, DIFF, SLOPE, MEAN];
    const SECTIONS: &'static [&'static str] = &["settings"];
    type Context = Effects;
    type Trial = Trial;

    fn new(spec: &ClaimSpec) -> Result<Self> {
        let s: Settings = spec.section("settings")?;
        check_range("settings.tau", s.tau, 0.0, 1e6, false)?;
        check_range("settings.sigma", s.sigma, 0.0, 1e6, false)?;
        check_range("settings.tau_paired", s.tau_paired, 0.0, 1e6, false)?;
        if !s.truth.is_finite() || s.truth == 0.0 || !s.paired.is_finite() {
            return Err(invalid("settings.truth", "must be a finite nonzero number (ratio divides by it), and settings.paired finite"));
        }
        Ok(Cells { s })
    }
    fn axes(&self) -> Vec<Axis> {
        vec![Axis::integer(WIDTH, "w", 1, 64, "cells per point").or(1.0), Axis::integer(SHARED, "s", 0, 1, "1: the cells of a point share their task").or(0.0)]
    }
    fn config(&self) -> serde_json::Value {
        serde_json::to_value(&self.s).expect("settings serialise")
    }
    fn context(&self, point: &Point, seed: u64) -> Result<Effects> {
        let mut rng = scb_harness::rng::rng(seed, scb_harness::rng::stream::TASK);
        let w = point.at(WIDTH) as usize;
        let shared = point.at(SHARED) > 0.5;
        let common = self.s.law.draw(&mut rng);
        let u = (0..w)
            .map(|_| {
                let own = self.s.law.draw(&mut rng);
                self.s.tau * if shared { (common + own) / 2f64.sqrt() } else { own }
            })
            .collect();
        let v = (0..w).map(|_| self.s.tau_paired * self.s.law.draw(&mut rng)).collect();
        Ok(Effects { u, v })
    }
    fn run_trial(&self, at: &At<Effects>, seed: u64) -> Trial {
        let mut rng = scb_harness::rng::rng(seed, scb_harness::rng::stream::DATA);
        let mut noise = || -> f64 { self.s.sigma * Distribution::<f64>::sample(&StandardNormal, &mut rng) };
        let a = at.ctx.u.iter().map(|u| self.s.truth + u + noise()).collect();
        let b = at.ctx.u.iter().zip(&at.ctx.v).map(|(u, v)| self.s.truth - self.s.paired + u + v + noise()).collect();
        Trial { a, b }
    }
    fn estimate(&self, points: &[&At<Effects>], trials: &[Vec<&Trial>]) -> Quantities {
        let mut q = Quantities::new();
        let (mut all, mut cells) = (0.0, 0usize);
        for (at, ts) in points.iter().zip(trials) {
            let w = at.ctx.u.len();
            let n = ts.len() as f64;
            let values: Vec<f64> = (0..w).map(|j| ts.iter().map(|t| t.a[j]).sum::<f64>() / n).collect();
            for (j, v) in values.iter().enumerate() {
                q.insert(cell(VALUE, &at.point, j + 1), *v);
                q.insert(cell(RATIO, &at.point, j + 1), v / self.s.truth);
                q.insert(cell(DIFF, &at.point, j + 1), ts.iter().map(|t| t.a[j] - t.b[j]).sum::<f64>() / n);
                all += v;
                cells += 1;
            }
            if w >= 2 {
                let idx: Vec<f64> = (1..=w).map(|j| j as f64).collect();
                q.insert(SLOPE.at(&at.point), ols(&idx, &values).1);
            }
        }
        q.insert(MEAN.into(), all / cells as f64);
        q
    }
    fn panels(&self, points: &[&At<Effects>], _: &[Vec<&Trial>], result: &ClaimResult) -> Vec<Panel> {
        points
            .iter()
            .map(|at| {
                let w = at.ctx.u.len();
                let (pts, errs) = (1..=w).filter_map(|j| result.q(cell(VALUE, &at.point, j)).map(|e| ((j as f64, e.value), (e.lo, e.hi)))).unzip();
                Panel {
                    title: format!("cell means, {}", at.point.label()),
                    x_label: "cell".into(),
                    y_label: "mean over tasks".into(),
                    series: vec![
                        Series::points(format!("value {}", scb_harness::claims::figures::ci(result)), 0, pts, Some(errs)),
                        Series::dashed("truth", 7, vec![(1.0, self.s.truth), (w.max(2) as f64, self.s.truth)]),
                    ],
                    ..Default::default()
                }
            })
            .collect()
    }
}
