//! The two faces of a claim: [`TypedClaim`], what a claim's author writes, and [`Claim`],
//! the object-safe view the registry holds; with the plain data a run takes and gives.

use super::quantity::Quantity;
use super::store::TrialStore;
use crate::error::Result;
use crate::grid::{Axis, Point};
use crate::report::figure::Panel;
use crate::result::{ClaimResult, Provenance};
use crate::spec::ClaimSpec;
use crate::stats::Quantities;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A grid point with the context a claim built for one of its tasks (an SCB task, say).
pub struct At<C> {
    /// The grid point.
    pub point: Point,
    /// The claim's context there, for one task.
    pub ctx: C,
}

/// What a claim's author writes. Typed, so a claim's trials and context are its own.
///
/// A registry entry is `Registered::<C>::NEW`; [`Claim::prepare`] binds a spec to it, and
/// refuses a spec that asks for what the claim does not declare. `scb::prelude` and
/// `commands::check::check` show claims run end to end.
///
/// ```
/// use scb_harness::prelude::*;
///
/// struct Toss;
/// const HEADS: Quantity = Quantity::new("heads", "share of heads");
///
/// impl TypedClaim for Toss {
///     const ID: &'static str = "toss";
///     const ABOUT: &'static str = "a fair coin lands heads half the time";
///     const QUANTITIES: &'static [Quantity] = &[HEADS];
///     const SECTIONS: &'static [&'static str] = &[];
///     type Context = ();
///     type Trial = bool;
///     fn new(_: &ClaimSpec) -> Result<Self> {
///         Ok(Toss)
///     }
///     fn axes(&self) -> Vec<Axis> {
///         vec![]
///     }
///     fn config(&self) -> serde_json::Value {
///         serde_json::Value::Null
///     }
///     fn context(&self, _: &Point, _: u64) -> Result<()> {
///         Ok(())
///     }
///     fn run_trial(&self, _: &At<()>, seed: u64) -> bool {
///         use rand::Rng;
///         rng::rng(seed, rng::stream::DATA).random()
///     }
///     fn estimate(&self, _: &[&At<()>], trials: &[Vec<&bool>]) -> Quantities {
///         let heads = trials[0].iter().filter(|t| ***t).count() as f64 / trials[0].len() as f64;
///         Quantities::from([(HEADS.into(), heads)])
///     }
///     fn panels(&self, _: &[&At<()>], _: &[Vec<&bool>], _: &ClaimResult) -> Vec<Panel> {
///         vec![]
///     }
/// }
///
/// let dir = tempfile::tempdir()?;
/// let spec = |quantity: &str| -> Result<ClaimSpec> {
///     let text = format!(
///         "id = 'toss'\nstatement = 'Fair.'\nseed = 1\ntrials = 100\nfixed_task = true\n[grid]\n[quick]\ntrials = 10\n\
///          [[check]]\nquantity = '{quantity}'\nkind = 'equal'\npredict = 0.5\ntolerance = 0.1\n"
///     );
///     std::fs::write(dir.path().join("toss.toml"), text).unwrap();
///     ClaimSpec::load(&dir.path().join("toss.toml"))
/// };
/// let entry = Registered::<Toss>::NEW;
/// let prepared = entry.prepare(spec("heads")?)?;
/// prepared.validate()?;
/// assert_eq!(prepared.spec().id, "toss");
/// // A check of a quantity the claim does not declare is refused before anything runs.
/// let refused = entry.prepare(spec("tails")?).err().unwrap().to_string();
/// assert!(refused.contains("check[0].quantity") && refused.contains("heads"), "{refused}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait TypedClaim: Sized + Send + Sync + 'static {
    /// The name specs use in `claim = "..."` (and the default spec id).
    const ID: &'static str;
    /// One line for the help text.
    const ABOUT: &'static str;
    /// The quantities the claim computes (each a const, declared once), with one line each
    /// for the reports. Per-point ones are filed as `name@key` in results. The estimate may
    /// return no other: a key whose name is not here is an error naming it.
    const QUANTITIES: &'static [Quantity];
    /// The spec tables besides the shared envelope that this claim reads.
    const SECTIONS: &'static [&'static str];
    /// What a grid point needs built once for all its trials.
    type Context: Send + Sync;
    /// One trial's record. Derive it with `#[serde(deny_unknown_fields)]`: a damaged record
    /// (a renamed field) is then refused with a warning and its trial rerun, never read with
    /// the field missing (an `Option` read as `None`, a censored trial).
    type Trial: Serialize + DeserializeOwned + Send + Sync;

    /// Parses and checks the claim's own tables (no simulation).
    fn new(spec: &ClaimSpec) -> Result<Self>;
    /// The grid axes this claim reads (defaults may come from its tables).
    fn axes(&self) -> Vec<Axis>;
    /// Everything a trial's outcome depends on besides its seed and point, for the records'
    /// hash: change any of it, and earlier records no longer count.
    fn config(&self) -> serde_json::Value;
    /// The context of one task at `point`, drawn from `seed`: the task's own seed, or the
    /// spec's seed for a spec with `fixed_task = true`. Everything random about a task (P and
    /// Q* for SCB, an evaluation set, a test set) must come from this seed, so that the
    /// harness can draw tasks as random variables of the Monte Carlo.
    fn context(&self, point: &Point, seed: u64) -> Result<Self::Context>;
    /// What a formula prediction may read at a point besides the axes (which every claim
    /// has, by symbol): settings, task statistics. The list is documented in docs/theory.md §9.
    fn variables(&self, _at: &At<Self::Context>) -> crate::formula::Vars {
        Vec::new()
    }
    /// One Monte Carlo trial at `at`, from its own seed: deterministic in `(at, seed)`, so that
    /// results are the same for any thread count.
    fn run_trial(&self, at: &At<Self::Context>, seed: u64) -> Self::Trial;
    /// What the runner calls: [`run_trial`](Self::run_trial), unless the claim's trials can
    /// fail for reasons outside it (code run by another interpreter), in which case it
    /// overrides this and the error stops the run with its finished trials kept.
    fn try_trial(&self, at: &At<Self::Context>, seed: u64) -> Result<Self::Trial> {
        Ok(self.run_trial(at, seed))
    }
    /// Work a task's context needs before its trials are judged but not to be validated (a
    /// reference computed once per task): the runner calls it for every task in parallel
    /// before the analysis, which itself runs on one thread.
    fn prepare(&self, _at: &At<Self::Context>) {}
    /// Named quantities from one task's trials at every point (`trials[i]` belongs to
    /// `points[i]`). With several tasks per point the harness calls it once per task and
    /// averages each quantity over the tasks (the per-task estimate, then the mean).
    fn estimate(&self, points: &[&At<Self::Context>], trials: &[Vec<&Self::Trial>]) -> Quantities;
    /// The figure, as data: the caller draws it. `points` carry each point's first task;
    /// `trials` are all of a point's trials, task by task.
    fn panels(&self, points: &[&At<Self::Context>], trials: &[Vec<&Self::Trial>], result: &ClaimResult) -> Vec<Panel>;
}

/// How a run is made: which grid, which slice of the trials, where the records are.
pub struct Run<'a> {
    /// Which budget: the full grid or the quick one.
    pub budget: crate::plan::Budget,
    /// `(i, n)`: only the i-th (1-based) of n disjoint slices of the trial list.
    pub shard: Option<(usize, usize)>,
    /// Show a progress bar.
    pub progress: bool,
    /// Where the trial records are read and appended.
    pub store: &'a dyn TrialStore,
    /// What to do about trials with no record.
    pub missing: Missing,
}

/// What a run does about trials that have no record yet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Missing {
    /// Simulate them (a check, or a shard's own slice).
    #[default]
    Simulate,
    /// Refuse, naming them by the shard of `shards` that should have run them, with the
    /// exact commands that rerun it (`rerun`, with `{shard}` for i/n) or finish it here.
    Refuse {
        /// How many shards the run was split into.
        shards: usize,
        /// The command that reruns a shard, with `{shard}` for i/n.
        rerun: String,
        /// The command that finishes the missing trials on this machine.
        finish: String,
    },
}

/// What checking a spec produced.
// One per spec checked, moved once: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Outcome {
    /// Every trial is in: the result, and the figure to draw.
    Judged {
        /// The verdicts, intervals and quantities.
        result: ClaimResult,
        /// The figure, as data.
        panels: Vec<Panel>,
        /// How many trials were simulated and how many reused.
        provenance: Provenance,
    },
    /// A shard ran its slice; judging waits for `scb merge`.
    ShardDone {
        /// Which shard, `(i, n)`.
        shard: (usize, usize),
        /// Its own trials: simulated and reused.
        provenance: Provenance,
        /// Trials of the spec that other shards have yet to run.
        pending_elsewhere: usize,
    },
}

/// The registry's view of a claim: object-safe, one per claim.
pub trait Claim: Sync {
    /// The name a spec's `claim` field gives.
    fn id(&self) -> &'static str;
    /// One line for the help and the reports.
    fn about(&self) -> &'static str;
    /// The quantities it computes.
    fn quantities(&self) -> &'static [Quantity];
    /// Parses the spec's tables into the claim's own types and checks its grids, quantities
    /// and `where` clauses against the claim, once: what a run is made from.
    fn prepare(&self, spec: ClaimSpec) -> Result<Box<dyn Prepared>>;
    /// The fingerprint of the code its trials run ([`super::code`]), which records carry.
    fn code(&self) -> String;
}

/// A spec bound to its claim, parsed and checked once ([`Claim::prepare`]).
pub trait Prepared: Send + Sync {
    /// The spec, as parsed.
    fn spec(&self) -> &ClaimSpec;
    /// Builds both grids' contexts and evaluates every formula there: a bad formula, or a
    /// point whose context cannot be built, is refused before any spec runs.
    fn validate(&self) -> Result<()>;
    /// The hash under which the spec's trial records are filed.
    fn hash(&self) -> &str;
    /// The fingerprint of the code its trials run ([`super::code`]), which records carry.
    fn code(&self) -> &str;
    /// The records hash of another spec of the same claim (an earlier run's), if it parses.
    fn hash_of(&self, other: &ClaimSpec) -> Option<String>;
    /// The figure panels of `result`, a judgement of this spec, rebuilt from the records in
    /// `store` that code `code` made, without simulating or judging (a figure redrawn in
    /// another style).
    fn panels(&self, store: &dyn super::store::TrialStore, code: &str, result: &ClaimResult) -> Result<Vec<Panel>>;
    /// Runs (or resumes) the spec's trials and judges the claim.
    fn check(&self, run: &Run) -> Result<Outcome>;
}
