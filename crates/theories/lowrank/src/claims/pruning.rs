//! Claim magnitude_pruning: after training, removing a fraction R of W_O's neurons (rows)
//! with the smallest norms barely changes the test error up to a moderate R, and costs less
//! than removing neurons at random or largest first, at every R.
//!
//! Why. The update of W_O is, like the others, concentrated on the label-relevant directions,
//! and the neurons it grows are the ones that carry the decision; the rest keep their small
//! random start and contribute little to F. Smallest-first removes those first.
//!
//! A trial trains a net and measures its test error with each fraction of neurons pruned
//! smallest first, largest first, and at random (averaged over a few draws).
//!
//! "At every R" is a claim about a set of cells (point x R). Each cell gets its paired
//! difference, random minus smallest-first (and largest minus smallest-first), on the same
//! trained nets; the checks judge all cells at once on a simultaneous band (per-point
//! checks, `analysis`). No cell's minimum or maximum is taken: the smallest of sixteen noisy
//! cell means is biased downward, and a bootstrap of it inherits the bias.

use super::{Setup, SECTIONS};
use crate::{pruned, Pruning};
use ndarray::Array2;
use scb_harness::claims::figures::ci;
use scb_harness::claims::{At, Quantity, TypedClaim};
use scb_harness::error::{check_range, invalid, Result};
use scb_harness::report::{Panel, Series};
use scb_harness::result::ClaimResult;
use scb_harness::spec::ClaimSpec;
use scb_harness::stats::Quantities;
use serde::{Deserialize, Serialize};

/// The `[settings]` of a `magnitude_pruning` spec.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Test sequences per point.
    pub test_size: usize,
    /// Fractions of neurons pruned, increasing, each in (0, 1).
    pub fractions: Vec<f64>,
    /// Random prunings averaged per fraction.
    pub random_draws: usize,
    /// The "moderate R" up to which smallest-first pruning should cost little.
    pub moderate: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { test_size: 1000, fractions: (1..=8).map(|i| i as f64 / 10.0).collect(), random_draws: 3, moderate: 0.5 }
    }
}

/// One trial: a net trained, then pruned at every fraction in each order.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trial {
    /// Test error of the trained net, unpruned.
    pub unpruned: f64,
    /// Test error per fraction, for smallest-first, random (mean of the draws), largest-first.
    pub smallest: Vec<f64>,
    /// Test error per fraction, pruning at random (the mean of the draws).
    pub random: Vec<f64>,
    /// Test error per fraction, pruning the largest neurons first.
    pub largest: Vec<f64>,
}

/// The claim `magnitude_pruning`: pruning W_O's smallest neurons barely costs accuracy, and beats random and largest-first pruning.
pub struct MagnitudePruning {
    setup: Setup,
    s: Settings,
}

/// Mean over trials of `f(trial)[j]`, per fraction j.
fn mean(ts: &[&Trial], f: fn(&Trial) -> &Vec<f64>) -> Vec<f64> {
    let len = ts.iter().map(|t| f(t).len()).min().unwrap_or(0);
    (0..len).map(|j| ts.iter().map(|t| f(t)[j]).sum::<f64>() / ts.len() as f64).collect()
}

// The quantities this claim computes, each declared once.
const PRUNE_COST: Quantity = Quantity::new("prune_cost", "rise of the test error, smallest-first, per cell up to the moderate R (prune_cost@point,R=...)");
const MARGIN_RANDOM: Quantity = Quantity::new("margin_random", "random minus smallest-first test error on the same nets, per cell (margin_random@point,R=...)");
const MARGIN_LARGEST: Quantity =
    Quantity::new("margin_largest", "largest-first minus smallest-first test error on the same nets, per cell (margin_largest@point,R=...)");
const UNPRUNED_ERROR: Quantity = Quantity::new("unpruned_error", "test error of the trained net, per point (unpruned_error@point)");
const ERR_SMALLEST: Quantity =
    Quantity::new("err_smallest", "test error after pruning the smallest weights first, per point and pruned fraction (err_smallest@point,R=...)");
const ERR_RANDOM: Quantity = Quantity::new("err_random", "test error after pruning at random, per point and pruned fraction (err_random@point,R=...)");
const ERR_LARGEST: Quantity =
    Quantity::new("err_largest", "test error after pruning the largest weights first, per point and pruned fraction (err_largest@point,R=...)");

impl TypedClaim for MagnitudePruning {
    const ID: &'static str = "magnitude_pruning";
    const ABOUT: &'static str = "pruning W_O's smallest neurons barely costs accuracy, and beats random and largest-first pruning";
    const QUANTITIES: &'static [Quantity] = &[PRUNE_COST, MARGIN_RANDOM, MARGIN_LARGEST, UNPRUNED_ERROR, ERR_SMALLEST, ERR_RANDOM, ERR_LARGEST];
    const SECTIONS: &'static [&'static str] = SECTIONS;
    type Context = Vec<(Array2<f64>, f64)>;
    type Trial = Trial;

    fn new(spec: &ClaimSpec) -> Result<Self> {
        let s: Settings = spec.section("settings")?;
        if s.fractions.is_empty() || s.fractions.windows(2).any(|w| w[0] >= w[1]) || s.fractions.iter().any(|f| !(*f > 0.0 && *f < 1.0)) {
            return Err(invalid("settings.fractions", "must be increasing numbers in (0, 1)"));
        }
        if s.random_draws < 1 {
            return Err(invalid("settings.random_draws", "must be a whole number >= 1"));
        }
        check_range("settings.moderate", s.moderate, 0.0, 1.0, true)?;
        Ok(MagnitudePruning { setup: Setup::from(spec, s.test_size)?, s })
    }
    super::lowrank_setting!();

    fn run_trial(&self, at: &At<Self::Context>, seed: u64) -> Trial {
        let (_, net) = self.setup.train(&at.point, seed);
        let mut rng = scb_harness::rng::rng(seed, scb_harness::rng::stream::INIT);
        let test = &at.ctx;
        let err = |how, f: f64, rng: &mut _| pruned(&net, f, how, rng).error(test);
        let mut t = Trial { unpruned: net.error(test), smallest: vec![], random: vec![], largest: vec![] };
        for &f in &self.s.fractions {
            t.smallest.push(err(Pruning::SmallestFirst, f, &mut rng));
            t.largest.push(err(Pruning::LargestFirst, f, &mut rng));
            t.random.push((0..self.s.random_draws).map(|_| err(Pruning::Random, f, &mut rng)).sum::<f64>() / self.s.random_draws as f64);
        }
        t
    }

    fn estimate(&self, points: &[&At<Self::Context>], trials: &[Vec<&Trial>]) -> Quantities {
        let mut q = Quantities::new();
        for (at, ts) in points.iter().zip(trials) {
            let base = ts.iter().map(|t| t.unpruned).sum::<f64>() / ts.len() as f64;
            let (s, r, l) = (mean(ts, |t| &t.smallest), mean(ts, |t| &t.random), mean(ts, |t| &t.largest));
            for (j, f) in self.s.fractions.iter().enumerate() {
                q.insert(ERR_SMALLEST.at_cell(&at.point, "R", f), s[j]);
                q.insert(ERR_RANDOM.at_cell(&at.point, "R", f), r[j]);
                q.insert(ERR_LARGEST.at_cell(&at.point, "R", f), l[j]);
                // Paired: the same nets pruned both ways, so the net-to-net spread cancels.
                q.insert(MARGIN_RANDOM.at_cell(&at.point, "R", f), r[j] - s[j]);
                q.insert(MARGIN_LARGEST.at_cell(&at.point, "R", f), l[j] - s[j]);
                if *f <= self.s.moderate + 1e-12 {
                    q.insert(PRUNE_COST.at_cell(&at.point, "R", f), s[j] - base);
                }
            }
            q.insert(UNPRUNED_ERROR.at(&at.point), base);
        }
        q
    }

    fn panels(&self, points: &[&At<Self::Context>], _: &[Vec<&Trial>], result: &ClaimResult) -> Vec<Panel> {
        points
            .iter()
            .map(|at| {
                let curve = |name: Quantity, label: String, color: usize| {
                    let (pts, errs) =
                        self.s.fractions.iter().filter_map(|f| result.q(name.at_cell(&at.point, "R", f)).map(|e| ((*f, e.value), (e.lo, e.hi)))).unzip();
                    Series::points(label, color, pts, Some(errs))
                };
                Panel {
                    title: format!("test error after pruning W_O, {}", at.point.label()),
                    x_label: "fraction R of neurons pruned".into(),
                    y_label: "test error (mean over trials)".into(),
                    series: vec![
                        curve(ERR_SMALLEST, format!("smallest first {}", ci(result)), 0),
                        curve(ERR_RANDOM, "random".into(), 6),
                        curve(ERR_LARGEST, "largest first".into(), 1),
                    ],
                    ..Default::default()
                }
            })
            .collect()
    }
}
