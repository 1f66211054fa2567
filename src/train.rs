//! One training run: a task, a learner, a sample budget. Plain data out.

use crate::algo::{AlgoConfig, Algorithm};
use crate::error::{invalid, Result};
use crate::metrics::Snapshot;
use crate::model::{Params, Population};
use crate::rng;
use crate::task::{Batch, Task, TaskConfig};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunConfig {
    /// Total fresh samples to draw.
    pub samples: u64,
    pub batch: usize,
    pub seed: u64,
    /// History rows per decade of samples (log-spaced, plus the first and last step).
    pub rows_per_decade: u32,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig { samples: 600_000, batch: 2048, seed: 1, rows_per_decade: 20 }
    }
}

impl RunConfig {
    pub fn validate(&self) -> Result<()> {
        if self.batch < 1 || self.batch > 1 << 24 {
            return Err(invalid("batch", format!("must be an integer in [1, 16777216] (got {})", self.batch)));
        }
        if self.samples < self.batch as u64 || self.samples > 1 << 40 {
            return Err(invalid(
                "samples",
                format!("must be an integer in [batch={}, 2^40] (got {})", self.batch, self.samples),
            ));
        }
        if self.rows_per_decade < 1 || self.rows_per_decade > 10_000 {
            return Err(invalid("rows_per_decade", format!("must be in [1, 10000] (got {})", self.rows_per_decade)));
        }
        Ok(())
    }
}

/// A full description of a `train` run, as a `--config` file holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainSpec {
    #[serde(default)]
    pub task: TaskConfig,
    #[serde(default)]
    pub run: RunConfig,
    pub algorithm: AlgoConfig,
}

impl TrainSpec {
    pub fn validate(&self) -> Result<()> {
        self.task.validate()?;
        self.run.validate()?;
        self.algorithm.validate()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryRow {
    pub samples: u64,
    pub stage: u8,
    /// Mean loss on the last batch (before its step).
    pub batch_loss: f64,
    #[serde(flatten)]
    pub snap: Snapshot,
    pub lambda: f64,
}

#[derive(Clone, Debug)]
pub struct RunOutput {
    pub params: Params,
    pub history: Vec<HistoryRow>,
    pub switched_at: Option<u64>,
    /// Set when the parameters stopped being finite; the run ends there.
    pub diverged_at: Option<u64>,
}

/// Log-spaced checkpoints: is `step` (1-based) one at which to record?
fn record_at(step: u64, last: u64, per_decade: u32) -> bool {
    if step == 1 || step == last {
        return true;
    }
    let bucket = |s: u64| ((s as f64).log10() * per_decade as f64).floor() as i64;
    bucket(step) != bucket(step - 1)
}

/// Trains from `init` on fresh batches from the data stream of `seed`. The stream
/// depends only on (task, seed, batch), so runs of different learners with the same
/// seed see the same batches. `on_step` sees samples done (for progress bars).
pub fn train(
    task: &Task,
    algo: &mut dyn Algorithm,
    init: Params,
    run: &RunConfig,
    mut on_step: impl FnMut(u64),
) -> RunOutput {
    let pop = Population::new(task);
    let mut rng = rng::rng(run.seed, rng::stream::DATA);
    let mut batch = Batch::new(run.batch, task.t);
    let mut params = init;
    let steps = run.samples / run.batch as u64;
    let mut history = Vec::new();
    let mut diverged_at = None;
    for step in 1..=steps {
        task.sample_into(&mut rng, &mut batch);
        let info = algo.step(&mut params, &batch);
        let samples = step * run.batch as u64;
        let finite = params.all_finite() && info.batch_loss.is_finite();
        if !finite || record_at(step, steps, run.rows_per_decade) {
            history.push(HistoryRow {
                samples,
                stage: info.stage,
                batch_loss: info.batch_loss,
                snap: Snapshot::take(&params, &pop),
                lambda: info.lambda,
            });
        }
        on_step(samples);
        if !finite {
            diverged_at = Some(samples);
            break;
        }
    }
    RunOutput { params, history, switched_at: algo.switched_at(), diverged_at }
}

/// Builds the learner and trains it from the uninformative start.
pub fn train_from_start(task: &Task, algo: &AlgoConfig, run: &RunConfig, on_step: impl FnMut(u64)) -> RunOutput {
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
