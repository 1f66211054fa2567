//! The claims about sparse contextual bigrams (docs/theory.md §5). What they share: the
//! `[task]` and `[algorithm]` tables, the grid axes n, t, q (defaults from `[task]`) and,
//! for transfer, rho, and one drawn task per grid point.

use crate::learners::LearnerConfig;
use crate::task::{Task, TaskConfig};
use scb_harness::config::{Valid, Validate};
use scb_harness::error::{invalid, Result};
use scb_harness::grid::{points, Axis, Point};
use scb_harness::spec::ClaimSpec;
use serde::Serialize;

/// The methods every SCB claim shares: its axes, its records' hash input and its per-point
/// task all come from its `scb: Scb` field (and its `s` settings).
macro_rules! scb_setting {
    () => {
        fn axes(&self) -> Vec<scb_harness::grid::Axis> {
            self.scb.axes()
        }
        fn config(&self) -> serde_json::Value {
            self.scb.config(&self.s)
        }
        fn context(&self, point: &scb_harness::grid::Point, seed: u64) -> scb_harness::error::Result<crate::task::Task> {
            self.scb.task_at(point, seed)
        }
        fn variables(&self, at: &scb_harness::claims::At<crate::task::Task>) -> scb_harness::formula::Vars {
            self.scb.variables(&at.ctx, &self.s)
        }
    };
}
pub(crate) use scb_setting;

pub mod beats_sgd;
pub mod scaling;
pub mod softmax_link;
pub mod stage_one;
pub mod stage_two;
pub mod transfer;
pub mod two_stage;

/// The names of this theory's grid axes, declared once: axes, grid lookups and checks' `where` use them.
pub mod axis {
    /// Vocabulary size N.
    pub const N: &str = "n";
    /// Context length T.
    pub const T: &str = "t";
    /// Attention sparsity Q.
    pub const Q: &str = "q";
    /// Samples per step B.
    pub const B: &str = "b";
    /// The pretrained V's correlation with P, rho.
    pub const RHO: &str = "rho";
}

/// The tables an SCB claim reads.
pub const SECTIONS: &[&str] = &["task", "algorithm", "settings"];

/// The top-level numbers of a serialisable table, by key.
pub fn numbers(table: &impl Serialize) -> scb_harness::formula::Vars {
    match serde_json::to_value(table) {
        Ok(serde_json::Value::Object(m)) => m.into_iter().filter_map(|(k, v)| v.as_f64().map(|x| (k, x))).collect(),
        _ => Vec::new(),
    }
}

/// What every SCB claim reads from its spec besides its settings.
pub struct Scb {
    /// `[task]`, the law every point's task is drawn from (the grid sets N, T, Q).
    pub task: TaskConfig,
    /// `[algorithm]`, the learner.
    pub algorithm: Valid<LearnerConfig>,
    /// The spec's master seed.
    pub seed: u64,
    with_rho: bool,
}

impl Scb {
    /// Reads `[task]` and `[algorithm]`, and checks every point of both grids makes a task.
    pub fn from(spec: &ClaimSpec, with_rho: bool) -> Result<Scb> {
        let task: TaskConfig = spec.section("task")?;
        if !spec.sections.contains_key("algorithm") {
            return Err(invalid("algorithm", "an SCB claim needs an [algorithm] table (name = \"scb-prox\", \"sgd\" or \"softmax\")"));
        }
        let algorithm: Valid<LearnerConfig> = spec.validated("algorithm")?;
        let scb = Scb { task, algorithm, seed: spec.seed, with_rho };
        for (field, grid) in spec.grids() {
            for p in points(&scb.axes(), &grid, field)? {
                scb.task_config(&p).validate()?;
            }
        }
        Ok(scb)
    }

    /// The grid axes: N, T and Q, with `[task]`'s values as defaults, and rho for a transfer claim.
    pub fn axes(&self) -> Vec<Axis> {
        let mut axes = vec![
            Axis::integer(axis::N, "N", 2, 1 << 16, "vocabulary size").or(self.task.n as f64),
            Axis::integer(axis::T, "T", 1, 1 << 20, "context length").or(self.task.t as f64),
            Axis::integer(axis::Q, "Q", 1, 1 << 20, "attention sparsity").or(self.task.q as f64),
        ];
        if self.with_rho {
            axes.push(Axis::real(axis::RHO, "rho", 0.0, 1.0, "correlation of the pretrained V with P"));
        }
        axes
    }

    /// `[task]` with the point's N, T and Q.
    pub fn task_config(&self, p: &Point) -> TaskConfig {
        TaskConfig { n: p.at(axis::N) as usize, t: p.at(axis::T) as usize, q: p.at(axis::Q) as usize, ..self.task.clone() }
    }

    /// A task at the point, drawn from `seed` (the task's seed; with a fixed task the spec's,
    /// so that points with the same N share P).
    pub fn task_at(&self, p: &Point, seed: u64) -> Result<Task> {
        Task::generate(&self.task_config(p), seed)
    }

    /// What a formula may read at a point besides the axes: the task's statistics, every
    /// number among the claim's settings by its key (`batch` also as `B`), and the learner's
    /// step size (`eta` or `lr`).
    pub fn variables(&self, task: &Task, settings: &impl Serialize) -> scb_harness::formula::Vars {
        let mut v = crate::statistics::task_vars(task);
        v.extend(numbers(settings));
        if let Some(b) = v.iter().find(|(k, _)| k == "batch").map(|x| x.1) {
            v.push(("B".into(), b));
        }
        v.extend(self.step_size());
        v
    }

    /// The learner's step size as a formula variable: ScbProx's `eta`, or `lr`.
    pub fn step_size(&self) -> scb_harness::formula::Vars {
        numbers(&self.algorithm).into_iter().filter(|(k, _)| k == "eta" || k == "lr").collect()
    }

    /// The trial hash's input: the task, the learner, and the claim's settings.
    pub fn config(&self, settings: &impl Serialize) -> serde_json::Value {
        serde_json::json!({ "task": self.task, "algorithm": self.algorithm, "settings": settings })
    }
}

/// This theory's claims, in the order reports list them: a new claim is a file in this
/// folder and one line here.
pub static CLAIMS: &[&dyn scb_harness::claims::Claim] = &[
    &scb_harness::claims::Registered::<stage_one::StageOne>::NEW,
    &scb_harness::claims::Registered::<stage_two::StageTwo>::NEW,
    &scb_harness::claims::Registered::<two_stage::TwoStage>::NEW,
    &scb_harness::claims::Registered::<transfer::Transfer>::NEW,
    &scb_harness::claims::Registered::<beats_sgd::BeatsSgd>::NEW,
    &scb_harness::claims::Registered::<softmax_link::SoftmaxLink>::NEW,
    &scb_harness::claims::Registered::<scaling::Scaling>::NEW,
];
