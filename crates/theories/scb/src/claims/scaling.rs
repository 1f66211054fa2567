//! Claim scaling: a sample-complexity bound written in the spec, tested without Rust. The
//! spec names a learner (`[algorithm]`), a start (`[start]`), an event (`event = "corr_a >=
//! 0.9"`), a sample budget (`[run]`), a grid, and the bound itself as a formula
//! (`predict = "Q^2 * ln(T) / rho^2"`) over the point's variables (docs/theory.md §9).
//!
//! Each trial measures the samples to the event (None when the budget runs out first:
//! censored). Per point, the censored median is compared with the formula's value there:
//! - `constant`: the geometric mean over the grid of measured / predicted, the bound's
//!   constant;
//! - `residual_<axis>`: for every axis the grid varies, the partial slope of
//!   log(measured / predicted) against log(axis), the others held fixed. A formula that
//!   captures the scaling leaves 0; a wrong exponent leaves the difference.
//!
//! Two protocols. `train` runs the learner on fresh batches of B samples from the start
//! until the event: a trial's count is its first passage, and a point's measurement the
//! censored median of those. `first-step` asks how many samples one step of the learner from
//! the start needs: the sample size n at which the step reaches the event with probability
//! 1/2. A trial takes the step on nested prefixes of one sample stream, at sizes growing
//! geometrically (`rungs_per_doubling`) from 1, and records where the event failed; it stops
//! once the event has held for a whole doubling of n (beyond that it is taken to hold). A
//! point's measurement is where the success frequency over trials crosses 1/2, in log n.
//! Not the first passage along the prefixes: a prefix path fluctuates across the level
//! before its fixed-n median does, so first passages come out low (docs/theory.md §9).

use super::axis;
use super::Scb;
use crate::model::{batch_grad, Grad, Params, Population};
use crate::statistics::{attention_noise, start_vars, task_vars};
use crate::task::{Batch, Task};
use crate::train::{samples_to, Event, RunConfig};
use scb_harness::claims::figures::{ci, per_point, residual_panel};
use scb_harness::claims::{At, Quantity, TypedClaim};
use scb_harness::error::{check_range, invalid, Result};
use scb_harness::formula::{Formula, Vars};
use scb_harness::grid::{Axis, Point};
use scb_harness::report::{Panel, Series};
use scb_harness::result::ClaimResult;
use scb_harness::spec::ClaimSpec;
use scb_harness::stats::{censored_median, log_crossing, ols_multi, Quantities};
use serde::{Deserialize, Serialize};

/// Where a run starts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Start {
    /// The uninformative start `V = 1 1^T/N`, `A = 1 1^T/T`.
    #[default]
    Scratch,
    /// An oracle start with the given centred correlations (docs/theory.md §4).
    Warm {
        /// V's centred correlation with P at the start.
        corr_v: f64,
        /// A's centred correlation with Q* at the start.
        corr_a: f64,
    },
    /// A pretrained V with correlation rho, attention uniform; rho may be a grid axis instead.
    Transfer {
        /// The pretrained V's correlation with P (None: the grid's axis rho).
        #[serde(default)]
        rho: Option<f64>,
    },
}

/// How a trial reaches the event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// Train on fresh batches until the event.
    #[default]
    Train,
    /// The fewest samples one step from the start needs to reach the event.
    FirstStep,
}

/// The `[settings.run]` of a `scaling` spec.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunSettings {
    /// Train until the event, or count the samples one step needs.
    pub protocol: Protocol,
    /// Samples per step (`train`); the grid may vary it as axis `b`.
    pub batch: usize,
    /// Samples after which a trial that has not reached the event is censored.
    pub budget: u64,
    /// `first-step`: sample sizes per doubling of the geometric ladder.
    pub rungs_per_doubling: u32,
    /// Samples of the batch that estimates `var_d` at the start of each point.
    pub variance_samples: usize,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings { protocol: Protocol::Train, batch: 256, budget: 1_000_000, rungs_per_doubling: 8, variance_samples: 16384 }
    }
}

/// The spec's `event = "..."`: `corr_v >= c`, `corr_a >= c`, `dist <= eps`, `excess <= eps`
/// or `support`.
pub fn parse_event(text: &str) -> Result<Event> {
    let bad = || {
        invalid(
            "event",
            format!("must be \"corr_v >= c\", \"corr_a >= c\" (c in (0, 1]), \"dist <= eps\", \"excess <= eps\" (eps > 0) or \"support\" (got {text:?})"),
        )
    };
    let t = text.trim();
    if t == "support" {
        return Ok(Event::Support);
    }
    let (name, op, level) = if let Some((a, b)) = t.split_once(">=") {
        (a.trim(), ">=", b.trim())
    } else if let Some((a, b)) = t.split_once("<=") {
        (a.trim(), "<=", b.trim())
    } else {
        return Err(bad());
    };
    let x: f64 = level.parse().map_err(|_| bad())?;
    let event = match (name, op) {
        ("corr_v", ">=") if x > 0.0 && x <= 1.0 => Event::CorrV(x),
        ("corr_a", ">=") if x > 0.0 && x <= 1.0 => Event::CorrA(x),
        ("dist", "<=") if x > 0.0 && x.is_finite() => Event::Dist(x),
        ("excess", "<=") if x > 0.0 && x.is_finite() => Event::Excess(x),
        _ => return Err(bad()),
    };
    Ok(event)
}

/// The event's level under the name formulas use: `c` for a correlation, `eps` otherwise.
fn event_vars(e: Event) -> Vars {
    match e {
        Event::CorrV(c) | Event::CorrA(c) => vec![("c".into(), c)],
        Event::Dist(x) | Event::Excess(x) => vec![("eps".into(), x)],
        Event::Support => vec![],
    }
}

/// The claim `scaling`: any samples-to-event bound written as a formula in the spec.
pub struct Scaling {
    scb: Scb,
    start: Start,
    event: Event,
    run: RunSettings,
    predict: Formula,
    /// `first-step`: the sample sizes of the ladder, 1 up to the budget. Built once: the
    /// bootstrap reads it for every trial of every replicate.
    ladder: Vec<usize>,
}

/// A point's task, the variables formulas read there (besides its axes), and the bound.
pub struct Ctx {
    /// The point's task.
    pub task: Task,
    /// The task statistics formulas read at the point.
    pub vars: Vars,
    /// The bound the spec's formula gives at the point.
    pub predicted: f64,
}

/// One trial: the samples to the event, or where a first step missed it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trial {
    /// `train`: samples to the event; None if censored at the budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub samples: Option<f64>,
    /// `first-step`: the ladder's rungs at which the step missed the event...
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missed: Vec<u32>,
    /// ... among the first `walked` rungs (beyond them it held).
    #[serde(default)]
    pub walked: u32,
}

impl Trial {
    /// `first-step`: whether the step reached the event at rung k.
    fn reached(&self, k: usize) -> bool {
        k >= self.walked as usize || !self.missed.contains(&(k as u32))
    }
}

/// The axes whose residual exponent the claim reports, by grid name.
const RESIDUAL_AXES: [&str; 5] = [axis::N, axis::T, axis::Q, axis::B, axis::RHO];
/// Each axis's residual exponent, in the order of `RESIDUAL_AXES`.
const RESIDUALS: [Quantity; 5] = [RESIDUAL_N, RESIDUAL_T, RESIDUAL_Q, RESIDUAL_B, RESIDUAL_RHO];

impl Scaling {
    fn init(&self, task: &Task, point: &Point, seed: u64) -> Params {
        let mut rng = scb_harness::rng::rng(seed, scb_harness::rng::stream::INIT);
        match self.start {
            Start::Scratch => Params::uninformative(task.n, task.t),
            Start::Warm { corr_v, corr_a } => crate::init::warm(task, corr_v, corr_a, &mut rng),
            Start::Transfer { .. } => crate::init::transfer(task, point.at(axis::RHO), &mut rng),
        }
    }

    fn batch(&self, point: &Point) -> usize {
        point.get(axis::B).map_or(self.run.batch, |b| b as usize)
    }

    /// One step from `start` on nested prefixes of one stream, rung by rung: the rungs where
    /// the event was missed, and how many rungs were walked (until it held for a doubling).
    fn first_step(&self, task: &Task, start: &Params, seed: u64) -> Trial {
        let pop = Population::new(task);
        let mut data = scb_harness::rng::rng(seed, scb_harness::rng::stream::DATA);
        let (mut prefix, mut chunk) = (Grad::new(task.n, task.t), Grad::new(task.n, task.t));
        let (mut done, mut run, mut missed) = (0usize, 0u32, Vec::new());
        for (k, &n) in self.ladder.iter().enumerate() {
            let mut b = Batch::new(n - done, task.t);
            task.sample_into(&mut data, &mut b);
            batch_grad(start, &b, &mut chunk);
            prefix.merge(&chunk);
            done = n;
            let mut learner = self.scb.algorithm.build(task);
            let mut p = start.clone();
            learner.step_from(&mut p, &prefix);
            if self.event.reached(self.event.value(&p, &pop)) {
                run += 1;
                if run >= self.run.rungs_per_doubling {
                    return Trial { samples: None, missed, walked: k as u32 + 1 };
                }
            } else {
                run = 0;
                missed.push(k as u32);
            }
        }
        Trial { samples: None, missed, walked: self.ladder.len() as u32 }
    }

    /// A point's measured samples to the event: the censored median of first passages
    /// (`train`), or where the success frequency crosses 1/2 (`first-step`).
    fn measured(&self, ts: &[&Trial]) -> f64 {
        match self.run.protocol {
            Protocol::Train => censored_median(ts.iter().map(|t| t.samples)),
            Protocol::FirstStep => {
                let ladder: Vec<f64> = self.ladder.iter().map(|&n| n as f64).collect();
                let freq: Vec<f64> = (0..ladder.len()).map(|k| ts.iter().filter(|t| t.reached(k)).count() as f64 / ts.len() as f64).collect();
                log_crossing(&ladder, &freq, 0.5).unwrap_or(f64::NAN)
            }
        }
    }

    /// Whether a trial ran out of budget without the event.
    fn censored(&self, t: &Trial) -> bool {
        match self.run.protocol {
            Protocol::Train => t.samples.is_none(),
            Protocol::FirstStep => t.walked as usize == self.ladder.len() && t.missed.last() == Some(&(t.walked - 1)),
        }
    }
}

/// `first-step`: sample sizes 2^(k/r) for r = `rungs_per_doubling`, from 1 up to the budget.
fn ladder(run: &RunSettings) -> Vec<usize> {
    let r = f64::from(run.rungs_per_doubling);
    let mut sizes: Vec<usize> = (0..).map(|k| 2f64.powf(k as f64 / r).round() as u64).take_while(|&n| n <= run.budget).map(|n| n as usize).collect();
    sizes.dedup();
    sizes
}

// The quantities this claim computes, each declared once.
const CONSTANT: Quantity = Quantity::new("constant", "geometric mean over the grid of measured / predicted samples to the event (per point: ratio@point)");
const RATIO: Quantity = Quantity::new("ratio", "measured (censored median) over predicted samples, per point (ratio@point)");
const RESIDUAL_N: Quantity = Quantity::new("residual_n", "exponent of N left in measured / predicted (partial slope on log-log axes, other axes fixed)");
const RESIDUAL_T: Quantity = Quantity::new("residual_t", "exponent of T left in measured / predicted");
const RESIDUAL_Q: Quantity = Quantity::new("residual_q", "exponent of Q left in measured / predicted");
const RESIDUAL_B: Quantity = Quantity::new("residual_b", "exponent of the batch B left in measured / predicted");
const RESIDUAL_RHO: Quantity = Quantity::new("residual_rho", "exponent of rho left in measured / predicted");
const MEASURED: Quantity = Quantity::new("measured", "median samples to the event, per point (measured@point)");
const PREDICTED: Quantity = Quantity::new("predicted", "the bound's prediction, per point (predicted@point)");
const CENSORED: Quantity = Quantity::new("censored", "share of trials that did not reach the event within the budget, per point (censored@point)");

impl TypedClaim for Scaling {
    const ID: &'static str = "scaling";
    const ABOUT: &'static str = "any samples-to-event bound written as a formula in the spec: its constant and residual exponents";
    const QUANTITIES: &'static [Quantity] = &[CONSTANT, RATIO, RESIDUAL_N, RESIDUAL_T, RESIDUAL_Q, RESIDUAL_B, RESIDUAL_RHO, MEASURED, PREDICTED, CENSORED];
    const SECTIONS: &'static [&'static str] = &["task", "algorithm", "start", "event", "run", "predict"];
    type Context = Ctx;
    type Trial = Trial;

    fn new(spec: &ClaimSpec) -> Result<Self> {
        let start: Start = spec.section("start")?;
        let run: RunSettings = spec.section("run")?;
        crate::train::check_batch("run.batch", run.batch)?;
        crate::train::check_samples("run.budget", run.budget, 1)?;
        if !(1..=64).contains(&run.rungs_per_doubling) {
            return Err(invalid("run.rungs_per_doubling", format!("must be a whole number in [1, 64] (got {})", run.rungs_per_doubling)));
        }
        if run.variance_samples < 2 {
            return Err(invalid("run.variance_samples", format!("must be a whole number >= 2 (got {})", run.variance_samples)));
        }
        match start {
            Start::Warm { corr_v, corr_a } => {
                check_range("start.corr_v", corr_v, 0.0, 1.0, false)?;
                check_range("start.corr_a", corr_a, 0.0, 1.0, false)?;
            }
            Start::Transfer { rho: Some(r) } => check_range("start.rho", r, 0.0, 1.0, false)?,
            _ => {}
        }
        let text = |key: &str, example: &str| -> Result<String> {
            spec.sections
                .get(key)
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .ok_or_else(|| invalid(key, format!("a scaling spec needs {key} = \"...\" before its first table, e.g. {key} = \"{example}\"")))
        };
        let event = parse_event(&text("event", "corr_a >= 0.9")?)?;
        let formula = text("predict", "Q^2 * ln(T) / rho^2")?;
        let predict = Formula::parse(&formula).map_err(|e| invalid("predict", format!("{formula:?} {e}")))?;
        let transfer = matches!(start, Start::Transfer { .. });
        let scb = Scb::from(spec, transfer)?;
        let claim = Scaling { scb, start, event, ladder: ladder(&run), run, predict };
        for (field, grid) in spec.grids() {
            if transfer && matches!(claim.start, Start::Transfer { rho: None }) && grid.get(axis::RHO).is_none_or(|v| v.is_empty()) {
                return Err(invalid(format!("{field}.rho"), "a transfer start needs rho: in [start] (rho = 0.5) or as a grid axis"));
            }
            if claim.run.protocol == Protocol::FirstStep && grid.contains_key("b") {
                return Err(invalid(format!("{field}.b"), "the first-step protocol takes no batch: its sample sizes are the ladder's"));
            }
        }
        // A residual exponent of an axis the grid holds fixed is not measured: refuse a check
        // on it rather than report it undefined after the run.
        for (i, c) in spec.checks.iter().enumerate() {
            if let Some(axis) = c.quantity.strip_prefix("residual_") {
                for (field, grid) in spec.grids() {
                    let why = match grid.get(axis) {
                        None => format!(
                            "{}: the {field} has no axis {axis} (it has {}); a residual is fitted along an axis the grid varies",
                            c.quantity,
                            grid.keys().cloned().collect::<Vec<_>>().join(", ")
                        ),
                        Some(v) if v.len() < 2 => format!("{} needs at least two values of {axis} on the {field} (it has {})", c.quantity, v.len()),
                        Some(_) => continue,
                    };
                    return Err(invalid(format!("check[{i}].quantity"), why));
                }
            }
        }
        Ok(claim)
    }

    fn axes(&self) -> Vec<Axis> {
        let mut axes: Vec<Axis> = self
            .scb
            .axes()
            .into_iter()
            .map(|a| match (a.name.as_ref(), &self.start) {
                ("rho", Start::Transfer { rho: Some(r) }) => a.or(*r),
                _ => a,
            })
            .collect();
        if self.run.protocol == Protocol::Train {
            axes.push(Axis::integer(axis::B, "B", 1, 1 << 24, "samples per step").or(self.run.batch as f64));
        }
        axes
    }

    fn config(&self) -> serde_json::Value {
        // The formula is not here: it changes no trial, so editing it re-judges the records.
        serde_json::json!({
            "task": self.scb.task, "algorithm": self.scb.algorithm, "start": self.start,
            "event": self.event, "run": self.run,
        })
    }

    fn context(&self, point: &Point, seed: u64) -> Result<Ctx> {
        let task = self.scb.task_at(point, seed)?;
        // The start's statistics are those of trial 0's start (a random start differs from
        // trial to trial only in its noise direction).
        let seed0 = scb_harness::rng::seeds::trial(seed, &point.key(), 0);
        let start = self.init(&task, point, seed0);
        let mut vars = task_vars(&task);
        vars.extend(start_vars(&task, &start));
        vars.push(("var_d".into(), attention_noise(&task, &start, self.run.variance_samples, seed0)));
        vars.extend(event_vars(self.event));
        vars.push(("budget".into(), self.run.budget as f64));
        if let Start::Warm { corr_v, corr_a } = self.start {
            vars.extend([("corr_v".to_string(), corr_v), ("corr_a".to_string(), corr_a)]);
        }
        if self.run.protocol == Protocol::Train && point.get(axis::B).is_none() {
            vars.push(("B".into(), self.run.batch as f64));
        }
        vars.extend(self.scb.step_size());
        let mut all = point.vars();
        all.extend(vars.iter().cloned());
        let predicted = self.predict.eval(&all).map_err(|e| invalid("predict", format!("{:?} {e} at {}", self.predict.text, point.label())))?;
        if predicted <= 0.0 {
            return Err(invalid(
                "predict",
                format!("{:?} is {} at {}: a sample count must be positive", self.predict.text, scb_harness::verdict::num(predicted), point.label()),
            ));
        }
        Ok(Ctx { task, vars, predicted })
    }

    fn variables(&self, at: &At<Ctx>) -> Vars {
        let mut v = at.ctx.vars.clone();
        v.push(("predicted".into(), at.ctx.predicted));
        v
    }

    fn run_trial(&self, at: &At<Ctx>, seed: u64) -> Trial {
        let task = &at.ctx.task;
        let mut start = self.init(task, &at.point, seed);
        match self.run.protocol {
            Protocol::FirstStep => self.first_step(task, &start, seed),
            Protocol::Train => {
                let mut learner = self.scb.algorithm.build(task);
                let run = RunConfig { samples: self.run.budget, batch: self.batch(&at.point), seed, rows_per_decade: 1, ..Default::default() };
                let samples = samples_to(task, learner.as_mut(), &mut start, &run, self.event, false);
                Trial { samples, missed: Vec::new(), walked: 0 }
            }
        }
    }

    fn estimate(&self, points: &[&At<Ctx>], trials: &[Vec<&Trial>]) -> Quantities {
        let mut q = Quantities::new();
        let mut log_ratio = Vec::with_capacity(points.len());
        for (at, ts) in points.iter().zip(trials) {
            let m = self.measured(ts);
            q.insert(MEASURED.at(&at.point), m);
            q.insert(PREDICTED.at(&at.point), at.ctx.predicted);
            q.insert(RATIO.at(&at.point), m / at.ctx.predicted);
            q.insert(CENSORED.at(&at.point), ts.iter().filter(|t| self.censored(t)).count() as f64 / ts.len() as f64);
            log_ratio.push((m / at.ctx.predicted).ln());
        }
        let defined = log_ratio.iter().all(|x| x.is_finite());
        let mean = log_ratio.iter().sum::<f64>() / log_ratio.len() as f64;
        q.insert(CONSTANT.into(), if defined { mean.exp() } else { f64::NAN });
        // Residual exponents: every axis the grid varies enters the fit together.
        let varied: Vec<(&str, Quantity)> = RESIDUAL_AXES
            .into_iter()
            .zip(RESIDUALS)
            .filter(|(a, _)| {
                let first = points[0].point.get(a);
                first.is_some() && points.iter().any(|p| p.point.get(a) != first)
            })
            .collect();
        let xs: Vec<Vec<f64>> = varied.iter().map(|(a, _)| points.iter().map(|p| p.point.at(a).ln()).collect()).collect();
        let slopes = if defined && xs.iter().flatten().all(|x| x.is_finite()) { ols_multi(&xs, &log_ratio) } else { None };
        for (i, (_, residual)) in varied.iter().enumerate() {
            q.insert((*residual).into(), slopes.as_ref().map_or(f64::NAN, |s| s[i]));
        }
        q
    }

    fn panels(&self, points: &[&At<Ctx>], _: &[Vec<&Trial>], result: &ClaimResult) -> Vec<Panel> {
        let pts: Vec<Point> = points.iter().map(|a| a.point.clone()).collect();
        let predicted = |p: &Point| result.value(PREDICTED.at(p));
        let (lo, hi) = pts.iter().map(predicted).fold((f64::INFINITY, 0.0f64), |(l, h), x| (l.min(x), h.max(x)));
        let k = result.value(CONSTANT);
        let how = match self.run.protocol {
            Protocol::Train => "median over trials",
            Protocol::FirstStep => "reached with frequency 1/2",
        };
        let mut series = vec![per_point(result, MEASURED, pts.clone(), predicted, format!("measured, {how} {}", ci(result)), 0)];
        series.push(Series::dashed("identity: measured = predicted", 7, vec![(lo, lo), (hi, hi)]));
        if k.is_finite() {
            series.push(Series::line(
                format!("constant {}: measured = {} x predicted", scb_harness::verdict::num(k), scb_harness::verdict::num(k)),
                1,
                vec![(lo, k * lo), (hi, k * hi)],
            ));
        }
        let mut panels = vec![Panel {
            title: format!("samples to {}: measured against the formula", event_text(self.event)),
            x_label: format!("predicted: {}", self.predict.text),
            y_label: "measured samples".into(),
            x_log: true,
            y_log: true,
            series,
            ..Default::default()
        }];
        // One residual panel per varied axis: measured / predicted against the axis, with the
        // fitted residual exponent drawn through the constant.
        for (axis, residual) in RESIDUAL_AXES.into_iter().zip(RESIDUALS) {
            panels.extend(residual_panel(result, RATIO, residual, k, &pts, axis, ("measured / predicted", "exponent 0 (formula captures the scaling)")));
        }
        panels
    }
}

fn event_text(e: Event) -> String {
    match e {
        Event::CorrV(c) => format!("corr_V >= {c}"),
        Event::CorrA(c) => format!("corr_A >= {c}"),
        Event::Dist(x) => format!("dist <= {x}"),
        Event::Excess(x) => format!("excess loss <= {x}"),
        Event::Support => "support recovered".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_parse_and_bad_ones_name_the_forms() {
        assert_eq!(parse_event("corr_a >= 0.9").unwrap(), Event::CorrA(0.9));
        assert_eq!(parse_event(" corr_v>=0.5 ").unwrap(), Event::CorrV(0.5));
        assert_eq!(parse_event("dist <= 0.05").unwrap(), Event::Dist(0.05));
        assert_eq!(parse_event("excess <= 1e-3").unwrap(), Event::Excess(1e-3));
        assert_eq!(parse_event("support").unwrap(), Event::Support);
        for bad in ["corr_a <= 0.9", "corr_a >= 1.5", "dist >= 0.1", "dist <= -1", "loss <= 0.1", "corr_a >= x", ""] {
            let err = parse_event(bad).unwrap_err().to_string();
            assert!(err.contains("event") && err.contains("\"support\""), "{bad}: {err}");
        }
    }
}
