//! One training run: a task, a learner, a sample budget. Plain data out.

use crate::learners::StepInfo;
use crate::learners::{Learner, LearnerConfig};
use crate::metrics::{corr_a, corr_v, dist_a, dist_v, support_recovery, Snapshot};
use crate::model::{Params, Population};
use crate::task::{Batch, Task, TaskConfig};
use scb_harness::config::Validate;
use scb_harness::error::{invalid, Result};
use scb_harness::rng;
use scb_harness::watch::{crossing, Approach, LogSpaced};
use serde::{Deserialize, Serialize};

/// How a run draws its data (`[run]`): samples, batch, seed and history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    /// Total fresh samples to draw.
    pub samples: u64,
    /// Samples per step.
    pub batch: usize,
    /// The seed of the data stream.
    pub seed: u64,
    /// History rows per decade of samples (log-spaced, plus the first and last step).
    pub rows_per_decade: u32,
    /// Step on the exact population gradients (docs/theory.md §2) instead of sampled
    /// batches: no noise, so the run is the optimisation alone. Samples still count `batch`
    /// a step, so histories line up step for step with sampled runs.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub population: bool,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig { samples: 600_000, batch: 2048, seed: 1, rows_per_decade: 20, population: false }
    }
}

scb_harness::validated!(RunConfig);

impl scb_harness::config::Validate for RunConfig {
    fn validate(&self) -> Result<()> {
        check_batch("batch", self.batch)?;
        check_samples("samples", self.samples, self.batch as u64)?;
        if self.rows_per_decade < 1 || self.rows_per_decade > 10_000 {
            return Err(invalid("rows_per_decade", format!("must be in [1, 10000] (got {})", self.rows_per_decade)));
        }
        Ok(())
    }
}

/// Samples per step: what one batch buffer can hold.
pub fn check_batch(field: &str, batch: usize) -> Result<()> {
    if !(1..=1 << 24).contains(&batch) {
        return Err(invalid(field, format!("must be an integer in [1, 16777216] (got {batch})")));
    }
    Ok(())
}

/// A sample count: at least `min` (one batch, or as many as the caller needs), at most 2^40.
pub fn check_samples(field: &str, samples: u64, min: u64) -> Result<()> {
    if samples < min || samples > 1 << 40 {
        let lo = min.to_string();
        return Err(invalid(field, format!("must be an integer in [{lo}, 2^40] (got {samples})")));
    }
    Ok(())
}

/// A full description of a `train` run, as a `--config` file holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainSpec {
    /// The task the run draws.
    #[serde(default)]
    pub task: TaskConfig,
    /// Samples, batch, seed and history of the run.
    #[serde(default)]
    pub run: RunConfig,
    /// The learner and its settings.
    pub algorithm: LearnerConfig,
}

scb_harness::validated!(TrainSpec);

impl scb_harness::config::Validate for TrainSpec {
    fn validate(&self) -> Result<()> {
        self.task.validate()?;
        self.run.validate()?;
        self.algorithm.validate()
    }
}

/// One row of a run's history (history.csv).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryRow {
    /// Samples consumed so far.
    pub samples: u64,
    /// The learner's stage (1 or 2).
    pub stage: u8,
    /// Mean loss on the last batch (before its step).
    pub batch_loss: f64,
    /// The metrics of the parameters after the step.
    #[serde(flatten)]
    pub snap: Snapshot,
    /// The mu-weighted mean l1 threshold of the step (0 in stage one).
    pub lambda: f64,
}

/// What a run leaves: the final parameters and its history.
#[derive(Clone, Debug)]
pub struct RunOutput {
    /// The parameters at the end.
    pub params: Params,
    /// A row per log-spaced checkpoint, and the first and last step.
    pub history: Vec<HistoryRow>,
    /// Samples consumed when stage two began, if it did.
    pub switched_at: Option<u64>,
    /// Set when the parameters stopped being finite; the run ends there.
    pub diverged_at: Option<u64>,
}

/// What the driver shows the watcher after each step.
pub struct StepView<'a> {
    /// 1-based.
    pub step: u64,
    /// Samples consumed so far.
    pub samples: u64,
    /// The parameters after the step.
    pub params: &'a Params,
    /// The learner, for its stage and switch.
    pub learner: &'a dyn Learner,
    /// What the step reported.
    pub info: StepInfo,
}

/// Whether the watcher wants more steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Take another step.
    Go,
    /// End the run here.
    Stop,
}

/// The one training loop: a step per fresh batch of `run.batch` samples from the data
/// stream of `run.seed` (or, with `run.population`, per exact population gradient), up to
/// `run.samples` or until the watcher says stop. The stream depends only on (task, seed,
/// batch), so learners run with the same seed see the same batches.
pub fn drive(task: &Task, learner: &mut dyn Learner, params: &mut Params, run: &RunConfig, mut watch: impl FnMut(&StepView) -> Flow) {
    let mut rng = rng::rng(run.seed, rng::stream::DATA);
    let pop = run.population.then(|| Population::new(task));
    let mut b = if run.population { None } else { Some(Batch::new(run.batch, task.t)) };
    for step in 1..=run.samples / run.batch as u64 {
        let info = match (&pop, &mut b) {
            (Some(pop), _) => {
                // As `Learner::step`, with the population gradient in place of a batch's.
                learner.prepare(params);
                learner.grad_mut().set_population(pop, params, run.batch);
                learner.update(params)
            }
            (None, Some(b)) => {
                task.sample_into(&mut rng, b);
                learner.step(params, b)
            }
            (None, None) => unreachable!("a sampled run has a batch"),
        };
        let view = StepView { step, samples: step * run.batch as u64, params, learner, info };
        if watch(&view) == Flow::Stop {
            break;
        }
    }
}

/// Trains from `init` and records a history row at log-spaced steps (and at a divergence,
/// where the run ends). `on_step` sees samples done (for progress bars).
pub fn train(task: &Task, learner: &mut dyn Learner, init: Params, run: &RunConfig, mut on_step: impl FnMut(u64)) -> RunOutput {
    let pop = Population::new(task);
    let mut params = init;
    let steps = run.samples / run.batch as u64;
    let mut history = Vec::new();
    let mut diverged_at = None;
    drive(task, learner, &mut params, run, |v| {
        let finite = v.params.all_finite() && v.info.batch_loss.is_finite();
        if !finite || LogSpaced::new(run.rows_per_decade).opens_bucket(v.step, steps) {
            history.push(HistoryRow {
                samples: v.samples,
                stage: v.info.stage,
                batch_loss: v.info.batch_loss,
                snap: Snapshot::take(v.params, &pop),
                lambda: v.info.lambda,
            });
        }
        on_step(v.samples);
        if finite {
            Flow::Go
        } else {
            diverged_at = Some(v.samples);
            Flow::Stop
        }
    });
    RunOutput { params, history, switched_at: learner.switched_at(), diverged_at }
}

/// An event a run can reach, for "samples to the event" measurements.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "event", content = "level")]
pub enum Event {
    /// corr_V >= c.
    CorrV(f64),
    /// corr_A >= c.
    CorrA(f64),
    /// max(dist_V, dist_A) <= eps.
    Dist(f64),
    /// Every query's top-Q positions are its support.
    Support,
    /// Population excess loss <= eps.
    Excess(f64),
}

impl Event {
    /// The watched quantity now.
    pub fn value(&self, params: &Params, pop: &Population) -> f64 {
        let task = pop.task;
        let v = match self {
            Event::CorrV(_) => corr_v(params.v(), task),
            Event::CorrA(_) => corr_a(params, task),
            Event::Dist(_) => dist_v(params, task).max(dist_a(params, task)),
            Event::Support => support_recovery(params, task),
            Event::Excess(_) => pop.excess_loss(params),
        };
        // A blow-up is far from every event, and never reaches one.
        if v.is_finite() {
            v
        } else if self.rising() {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }
    }

    fn rising(&self) -> bool {
        matches!(self, Event::CorrV(_) | Event::CorrA(_) | Event::Support)
    }

    fn level(&self) -> f64 {
        match *self {
            Event::CorrV(c) | Event::CorrA(c) => c,
            Event::Dist(e) | Event::Excess(e) => e,
            Event::Support => 1.0,
        }
    }

    /// Whether a metric's value `v` has reached the event's level (from below for a correlation or support, from above for a distance or excess loss).
    pub fn reached(&self, v: f64) -> bool {
        if self.rising() {
            v >= self.level()
        } else {
            v <= self.level()
        }
    }

    /// Where within the step from `prev` to `now` the level was crossed, in [0, 1]:
    /// linearly for the rising quantities, log-linearly for the decaying ones (distances
    /// and losses fall geometrically).
    pub fn crossing(&self, prev: f64, now: f64) -> f64 {
        crossing(if self.rising() { Approach::Rising } else { Approach::Falling }, prev, now, self.level())
    }
}

/// Samples until `event`, interpolated within the step that reaches it; None when the budget
/// (`run.samples`) runs out first. With `after_switch`, only a step of stage two counts.
pub fn samples_to(task: &Task, learner: &mut dyn Learner, params: &mut Params, run: &RunConfig, event: Event, after_switch: bool) -> Option<f64> {
    let pop = Population::new(task);
    let mut prev = event.value(params, &pop);
    let mut hit = None;
    let batch = run.batch as f64;
    drive(task, learner, params, run, |v| {
        let now = event.value(v.params, &pop);
        if event.reached(now) && (!after_switch || v.learner.stage() == 2) {
            hit = Some((v.step - 1) as f64 * batch + event.crossing(prev, now) * batch);
            return Flow::Stop;
        }
        prev = now;
        Flow::Go
    });
    hit
}

/// Builds the learner and trains it from the uninformative start.
pub fn train_from_start(task: &Task, algo: &LearnerConfig, run: &RunConfig, on_step: impl FnMut(u64)) -> RunOutput {
    let mut a = algo.build(task);
    train(task, a.as_mut(), Params::uninformative(task.n, task.t), run, on_step)
}

/// The common case: generate the task, then train from the uninformative start.
pub fn run_spec(spec: &TrainSpec, on_step: impl FnMut(u64)) -> Result<(Task, RunOutput)> {
    spec.validate()?;
    let task = Task::generate(&spec.task, spec.run.seed)?;
    let out = train_from_start(&task, &spec.algorithm, &spec.run, on_step);
    Ok((task, out))
}
