//! Claim icl_time_scale: a query's time to converge scales as 1/p_k, the inverse of its
//! feature's probability: with features of different probabilities (a Zipf profile), the
//! steps to loss_k <= eps fall as p_k^-1, and loss_k against `eta p_k t` collapses onto one
//! curve.
//!
//! Why. `L = 1/2 sum_k p_k loss_k` and column k enters only loss_k, so gradient descent on L
//! is gradient descent on loss_k with step `eta p_k / 2`: the same path at a speed
//! proportional to p_k, as far as loss_k's own shape does not depend on p_k (it does through
//! the counts, which the tolerance of the check allows for).
//!
//! As a limit. At a fixed eps the exponent is steeper than -1 (about -1.55, -1.3, -1.17,
//! -1.03 at eps = 0.1, 0.03, 0.01, 0.001): the logit gap that brings loss_k to eps is larger
//! for a rare column, which starts with less attention on its own feature, and that gap's
//! share of the time shrinks as eps does. So the law is stated as eps -> 0: over a
//! decreasing sequence of levels (`settings.eps_levels`) the exponent moves toward -1
//! (`approach`), and at the smallest it is within the tolerance of -1 (`p_exponent`). The
//! single-eps form is kept as a refuted spec (theorems/icl_time_scale_single_eps.toml).
//!
//! A trial trains every column by minibatch SGD on fresh prompts and records each column's
//! steps to every level and its loss at log-spaced steps. The level check compares the
//! median steps with the population reference (`super::population_passages`).

use super::{axis, log_steps, Run, Setting};
use crate::{train_column, Prompts};
use scb_harness::claims::figures::ci;
use scb_harness::claims::{At, Quantity, TypedClaim};
use scb_harness::config::Valid;
use scb_harness::error::{check_range, invalid, Result};
use scb_harness::grid::{Axis, Point};
use scb_harness::report::{Panel, Series};
use scb_harness::result::ClaimResult;
use scb_harness::spec::ClaimSpec;
use scb_harness::stats::{censored_median, within_slope, Quantities};
use serde::{Deserialize, Serialize};

/// The `[settings]` of an `icl_time_scale` spec.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Zipf exponent of the feature probabilities, `p_k ~ (k + 1)^-zipf`.
    pub zipf: f64,
    /// Decreasing loss levels at which the exponent is measured; the last is `run.eps`.
    pub eps_levels: Vec<f64>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { zipf: 1.0, eps_levels: vec![0.01] }
    }
}

/// One trial: every column trained from zero until each level of eps is reached.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trial {
    /// Steps to loss_k <= `eps_levels[l]`, per level l and column.
    pub t_eps: Vec<Vec<Option<f64>>>,
    /// Per column: (step, loss_k) at log-spaced steps, until eps.
    pub curves: Vec<Vec<(u64, f64)>>,
}

/// The claim `icl_time_scale`: a query converges in time proportional to `1/p_k`.
pub struct TimeScale {
    s: Settings,
    run: Valid<Run>,
}

// The quantities this claim computes, each declared once.
const P_EXPONENT: Quantity = Quantity::new("p_exponent", "exponent of p_k in the median steps to the smallest eps, over the columns (one intercept per K)");
const P_EXPONENT_FIRST: Quantity = Quantity::new("p_exponent_first", "the same exponent at the largest eps of the sequence");
const APPROACH: Quantity = Quantity::new("approach", "|p_exponent_first + 1| - |p_exponent + 1|: how much closer to -1 the exponent comes as eps shrinks");
const T_EPS: Quantity = Quantity::new("t_eps", "median steps to the smallest eps of column k, per point and column (t_eps@point,k=...)");
const LEVEL: Quantity = Quantity::new(
    "level",
    "median steps to the smallest eps over the population reference's, per task, geometric mean over points and columns (per point: level@point)",
);

impl TypedClaim for TimeScale {
    const ID: &'static str = "icl_time_scale";
    const ABOUT: &'static str = "softmax attention: a query converges in time proportional to 1/p_k";
    const QUANTITIES: &'static [Quantity] = &[P_EXPONENT, P_EXPONENT_FIRST, APPROACH, T_EPS, LEVEL];
    const SECTIONS: &'static [&'static str] = &["run", "settings"];
    type Context = Setting;
    type Trial = Trial;

    fn new(spec: &ClaimSpec) -> Result<Self> {
        let (s, run): (Settings, Valid<Run>) = (spec.section("settings")?, spec.validated("run")?);
        check_range("settings.zipf", s.zipf, 0.0, 10.0, true)?;
        let levels = &s.eps_levels;
        if levels.is_empty() || levels.windows(2).any(|w| w[0] <= w[1]) || levels.last() != Some(&run.eps) {
            return Err(invalid("settings.eps_levels", format!("must be decreasing levels ending at run.eps = {} (got {levels:?})", run.eps)));
        }
        Ok(TimeScale { s, run })
    }
    fn axes(&self) -> Vec<Axis> {
        vec![Axis::integer(axis::K, "K", 2, 4096, "number of features")]
    }
    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "run": self.run, "settings": self.s })
    }
    fn context(&self, point: &Point, seed: u64) -> Result<Setting> {
        let k = point.at(axis::K) as usize;
        let l = self.run.context_length(Prompts::zipf(k, self.s.zipf, 1)?.p[k - 1]);
        Ok(Setting::new(Prompts::zipf(k, self.s.zipf, l)?, &self.run, seed, &point.key()))
    }

    fn run_trial(&self, at: &At<Setting>, seed: u64) -> Trial {
        let (r, set) = (&self.run, &at.ctx);
        let mut rng = scb_harness::rng::rng(seed, scb_harness::rng::stream::DATA);
        let record = log_steps(r.max_steps, 10);
        let (mut t_eps, mut curves) = (vec![], vec![]);
        for k in 0..set.prompts.k() {
            let run = train_column(&set.prompts, k, r.eta, r.training(), None, &set.eval, &self.s.eps_levels, r.max_steps, &record, &mut rng);
            // The curve up to the column's own T_eps (the trajectory continues no further).
            let stop = run.t_eps.map_or(u64::MAX, |t| t.ceil() as u64);
            curves.push(run.trajectory.iter().filter(|(s, _)| *s <= stop).map(|(s, z)| (*s, set.eval.loss(z, k, None))).collect());
            t_eps.push(run.passages);
        }
        // By level, then column.
        let t_eps = (0..self.s.eps_levels.len()).map(|l| t_eps.iter().map(|c| c[l]).collect()).collect();
        Trial { t_eps, curves }
    }

    fn prepare(&self, at: &At<Setting>) {
        let columns: Vec<usize> = (0..at.ctx.prompts.k()).collect();
        at.ctx.population(&columns, &self.run, &self.s.eps_levels);
    }

    fn estimate(&self, points: &[&At<Setting>], trials: &[Vec<&Trial>]) -> Quantities {
        let mut q = Quantities::new();
        let levels = &self.s.eps_levels;
        let last = levels.len() - 1;
        let mut exponents = Vec::with_capacity(levels.len());
        let mut ratios = Vec::new();
        for (l, eps) in levels.iter().enumerate() {
            let (mut g, mut x, mut y) = (vec![], vec![], vec![]);
            for (i, (at, ts)) in points.iter().zip(trials).enumerate() {
                let columns: Vec<usize> = (0..at.ctx.prompts.k()).collect();
                let reference = at.ctx.population(&columns, &self.run, levels);
                let mut level_logs = Vec::new();
                for (k, p) in at.ctx.prompts.p.iter().enumerate() {
                    let m = censored_median(ts.iter().map(|t| t.t_eps[l][k]));
                    if l == last {
                        q.insert(T_EPS.at_cell(&at.point, "k", k + 1), m);
                        level_logs.push((m / reference[k][l].unwrap_or(f64::NAN)).ln());
                    }
                    g.push(i as u64);
                    x.push(p.ln());
                    y.push(m.ln());
                }
                if l == last {
                    q.insert(LEVEL.at(&at.point), (level_logs.iter().sum::<f64>() / level_logs.len() as f64).exp());
                    ratios.extend(level_logs);
                }
            }
            let e = within_slope(&g, &x, &y);
            // Each level's exponent, for the report (a per-level list, not a checked quantity).
            q.insert(P_EXPONENT.at_coord("eps", eps), e);
            exponents.push(e);
        }
        q.insert(P_EXPONENT.into(), exponents[last]);
        q.insert(P_EXPONENT_FIRST.into(), exponents[0]);
        q.insert(APPROACH.into(), if last > 0 { (exponents[0] + 1.0).abs() - (exponents[last] + 1.0).abs() } else { f64::NAN });
        q.insert(LEVEL.into(), (ratios.iter().sum::<f64>() / ratios.len() as f64).exp());
        q
    }

    fn panels(&self, points: &[&At<Setting>], trials: &[Vec<&Trial>], result: &ClaimResult) -> Vec<Panel> {
        // Panel 1: steps to eps against p_k, per K, with the predicted slope -1.
        let mut series = Vec::new();
        for (i, at) in points.iter().enumerate() {
            let (pts, errs) = at
                .ctx
                .prompts
                .p
                .iter()
                .enumerate()
                .filter_map(|(k, p)| result.q(T_EPS.at_cell(&at.point, "k", k + 1)).map(|e| ((*p, e.value), (e.lo, e.hi))))
                .unzip();
            series.push(Series::points(format!("{} {}", at.point.label(), ci(result)), i, pts, Some(errs)));
        }
        if let Some(first) = series.first().and_then(|s| s.points.first().copied()) {
            let pred = result.predicted(P_EXPONENT).unwrap_or(-1.0);
            let p_min = points[0].ctx.prompts.p.iter().cloned().fold(f64::INFINITY, f64::min);
            series.push(Series::dashed(format!("predicted: p^{pred}"), 7, vec![first, (p_min, first.1 * (p_min / first.0).powf(pred))]));
        }
        let p1 = Panel {
            title: format!(
                "steps to loss_k <= {}: exponent of p_k {:.2} (at eps = {}: {:.2})",
                self.run.eps,
                result.value(P_EXPONENT),
                self.s.eps_levels[0],
                result.value(P_EXPONENT_FIRST)
            ),
            x_label: "feature probability p_k".into(),
            y_label: "SGD steps (median over trials)".into(),
            x_log: true,
            y_log: true,
            series,
            ..Default::default()
        };
        // Panel 2: loss_k against eta p_k t, every column of the first trial at the first K:
        // the curves fall on one another when time runs as 1/p_k.
        let at = &points[0];
        let curves = trials[0][0]
            .curves
            .iter()
            .enumerate()
            .map(|(k, c)| {
                let scale = self.run.eta * at.ctx.prompts.p[k];
                let label = if k == 0 || k + 1 == at.ctx.prompts.k() { format!("p_{} = {:.3}", k + 1, at.ctx.prompts.p[k]) } else { String::new() };
                Series::line(label, k, c.iter().filter(|(s, _)| *s > 0).map(|(s, l)| (*s as f64 * scale, *l)).collect())
            })
            .collect();
        let p2 = Panel {
            title: format!("loss_k against eta p_k t, {}", at.point.label()),
            x_label: "eta p_k t".into(),
            y_label: "loss_k".into(),
            x_log: true,
            y_log: true,
            series: curves,
            ..Default::default()
        };
        vec![p1, p2]
    }
}
