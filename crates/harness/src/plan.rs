//! A spec resolved for one budget, once. `--quick` is read where a command's flags are parsed
//! and becomes a [`Budget`]; a prepared spec holds the [`Plan`] of each budget (grid, tasks,
//! trials, seeds), and everything downstream reads the plan instead of deciding again
//! between the full and the quick grid.

use crate::grid::{Grid, Point};
use crate::spec::ClaimSpec;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Which of a spec's two budgets a run spends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Budget {
    /// The spec's own grid, tasks and trials.
    #[default]
    Full,
    /// The `[quick]` table laid over the full budget: CI's grid.
    Quick,
}

impl Budget {
    /// Both budgets, full first: what validation walks.
    pub const BOTH: [Budget; 2] = [Budget::Full, Budget::Quick];

    /// The budget a `--quick` flag (or a Python `quick=` argument) asks for.
    pub fn from_flag(quick: bool) -> Budget {
        if quick {
            Budget::Quick
        } else {
            Budget::Full
        }
    }

    /// Whether this is the quick budget.
    pub fn is_quick(self) -> bool {
        self == Budget::Quick
    }

    /// `"full"` or `"quick"`, as results and reports name the grid.
    pub fn name(self) -> &'static str {
        match self {
            Budget::Full => "full",
            Budget::Quick => "quick",
        }
    }

    /// The flag that asks for this budget on a command line: `" --quick"` or nothing.
    pub fn flag(self) -> &'static str {
        match self {
            Budget::Full => "",
            Budget::Quick => " --quick",
        }
    }

    /// The spec field an error about this budget's grid names.
    pub fn grid_field(self) -> &'static str {
        match self {
            Budget::Full => "grid",
            Budget::Quick => "quick.grid",
        }
    }

    /// The spec field an error about this budget's tasks names.
    pub fn tasks_field(self) -> &'static str {
        match self {
            Budget::Full => "tasks",
            Budget::Quick => "quick.tasks",
        }
    }

    /// The spec field an error about this budget's trials names.
    pub fn trials_field(self) -> &'static str {
        match self {
            Budget::Full => "trials",
            Budget::Quick => "quick.trials",
        }
    }
}

/// A budget written as the boolean `quick` that result files have always carried, so the
/// files keep their form: `#[serde(with = "crate::plan::as_quick")]`.
pub mod as_quick {
    use super::*;

    /// Writes `true` for the quick budget.
    pub fn serialize<S: Serializer>(b: &Budget, s: S) -> Result<S::Ok, S::Error> {
        b.is_quick().serialize(s)
    }

    /// Reads `true` as the quick budget.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Budget, D::Error> {
        bool::deserialize(d).map(Budget::from_flag)
    }
}

impl ClaimSpec {
    /// The spec resolved for `budget`: its grid, tasks, trials and seeds.
    pub fn plan(&self, budget: Budget) -> Plan {
        Plan::of(self, budget)
    }

    /// Both budgets' grids, full then quick, each with the spec field an error about it
    /// names (`grid`, `quick.grid`): what a claim checks its own constraints on the axes against.
    pub fn grids(&self) -> [(&'static str, Grid); 2] {
        Budget::BOTH.map(|b| (b.grid_field(), self.plan(b).grid))
    }
}

/// What a run of a spec on one budget is made of, decided once from the spec.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// The budget this plan spends.
    pub budget: Budget,
    /// The grid: the full one, or the quick one laid over it.
    pub grid: Grid,
    /// Tasks per point: 1 for a fixed task.
    pub tasks: usize,
    /// Trials per task.
    pub trials: usize,
    /// The spec's seed, from which every task's and trial's seed is derived.
    pub seed: u64,
    /// One task per point, the spec's seed itself, rather than drawn tasks.
    pub fixed_task: bool,
}

impl Plan {
    /// The plan of `spec` on `budget`.
    pub fn of(spec: &ClaimSpec, budget: Budget) -> Plan {
        let mut grid = spec.grid.clone();
        let full_tasks = spec.tasks.unwrap_or(crate::spec::DEFAULT_TASKS);
        let (tasks, trials) = match budget {
            Budget::Full => (full_tasks, spec.trials),
            Budget::Quick => {
                grid.extend(spec.quick.grid.clone());
                (spec.quick.tasks.unwrap_or(full_tasks), spec.quick.trials.unwrap_or(spec.trials))
            }
        };
        let tasks = if spec.fixed_task { 1 } else { tasks };
        Plan { budget, grid, tasks, trials, seed: spec.seed, fixed_task: spec.fixed_task }
    }

    /// The seed of task `task` at `point`: the spec's seed itself for a fixed task (so a
    /// conditional spec keeps the one task it always had), else a fresh draw per task.
    pub fn task_seed(&self, point: &Point, task: usize) -> u64 {
        if self.fixed_task {
            self.seed
        } else {
            crate::rng::seeds::task(self.seed, &point.key(), task)
        }
    }

    /// The seed of trial `trial` of task `task` at `point`.
    pub fn trial_seed(&self, point: &Point, task: usize, trial: usize) -> u64 {
        crate::rng::seeds::trial(self.task_seed(point, task), &point.key(), trial)
    }

    /// Which randomness an interval covers, in words for the reports.
    pub fn randomness(&self) -> String {
        if self.fixed_task {
            format!("trials only, conditional on one fixed task per point ({} trials, resampled)", self.trials)
        } else {
            format!("tasks and trials: {} tasks per point, {} trials each, whole tasks resampled", self.tasks, self.trials)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> ClaimSpec {
        toml::from_str(&format!("check = []\n{text}")).unwrap()
    }

    #[test]
    fn without_a_quick_table_a_quick_run_is_the_full_run() {
        let text = "id = \"x\"\nstatement = \"s\"\nseed = 1\ntrials = 4\ntasks = 12\n[grid]\nn = [1, 2]\n[[check]]\nquantity = \"q\"\nkind = \"equal\"\npredict = 1\ntolerance = 0.1\n";
        let s = toml::from_str::<ClaimSpec>(text).unwrap();
        let (full, quick) = (s.plan(Budget::Full), s.plan(Budget::Quick));
        assert_eq!((quick.trials, quick.tasks, &quick.grid), (4, 12, &full.grid));
        // Each key of a quick table is optional too, and one given is used.
        let s = toml::from_str::<ClaimSpec>(&format!("{text}[quick]\ntasks = 16\n")).unwrap();
        assert_eq!((s.plan(Budget::Quick).trials, s.plan(Budget::Quick).tasks), (4, 16));
    }

    #[test]
    fn the_quick_plan_lays_its_table_over_the_full_one() {
        let s =
            spec("id = \"x\"\nstatement = \"s\"\nseed = 9\ntrials = 4\ntasks = 16\n[grid]\nn = [1, 2]\nm = [3]\n[quick]\ntrials = 2\n[quick.grid]\nn = [1]\n");
        let (full, quick) = (Plan::of(&s, Budget::Full), Plan::of(&s, Budget::Quick));
        assert_eq!((full.tasks, full.trials, quick.tasks, quick.trials), (16, 4, 16, 2));
        assert_eq!(full.grid, s.grid);
        assert_ne!(quick.grid, full.grid);
        let mut laid = s.grid.clone();
        laid.extend(s.quick.grid.clone());
        assert_eq!(quick.grid, laid);
        assert_eq!((full.budget, quick.budget, quick.seed), (Budget::Full, Budget::Quick, 9));
    }

    #[test]
    fn a_fixed_task_is_one_task_seeded_by_the_spec() {
        let s = spec("id = \"x\"\nstatement = \"s\"\nseed = 9\ntrials = 4\nfixed_task = true\n");
        let p = Plan::of(&s, Budget::Quick);
        assert_eq!(p.tasks, 1);
        let point = crate::grid::Point { coords: Vec::new() };
        assert_eq!((p.task_seed(&point, 0), p.task_seed(&point, 3)), (9, 9));
        assert!(p.randomness().starts_with("trials only"));
        let drawn = Plan::of(&spec("id = \"x\"\nstatement = \"s\"\nseed = 9\ntrials = 4\n"), Budget::Full);
        assert_ne!(drawn.task_seed(&point, 0), drawn.task_seed(&point, 1));
        assert_ne!(drawn.task_seed(&point, 0), 9);
    }

    #[test]
    fn a_budget_reads_and_writes_as_the_quick_flag() {
        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct R {
            #[serde(with = "as_quick")]
            quick: Budget,
        }
        for b in Budget::BOTH {
            let text = serde_json::to_string(&R { quick: b }).unwrap();
            assert_eq!(text, format!("{{\"quick\":{}}}", b.is_quick()));
            assert_eq!(serde_json::from_str::<R>(&text).unwrap(), R { quick: b });
        }
    }
}
