//! `scb check` and `scb merge`: specs from `theorems/`, each checked by the claim it names
//! (measurement and analysis in `claims`), its files written (`report`), and the summary
//! page rewritten over every result in the output folder.

use crate::claims::store::{FileStore, Records, TrialStore};
use crate::claims::{find, Claim, Missing, Outcome, Prepared, Run};
use crate::compare::Compared;
use crate::error::{invalid, io_err, Error, Result};
use crate::plan::Budget;
use crate::report::reporter::canonical_key;
use crate::report::{Files, IndexPage, ReportDir, Reporter, Reports, Unread};
use crate::result::{ClaimResult, Provenance, RunInfo};
use crate::spec::ClaimSpec;
use crate::verdict::Standing;
use std::path::{Path, PathBuf};

/// How `check` runs. The default is the CLI's: the full grids of `theorems/` into `reports/`,
/// no progress bars.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// The full grids, or the quick ones.
    pub budget: Budget,
    /// The reports root: a spec writes to `<out>/<id>/`.
    pub out: PathBuf,
    /// Where spec ids are looked up.
    pub theorems: PathBuf,
    /// `(i, n)`: run only shard i of n of each spec's trials, and judge nothing.
    pub shard: Option<(usize, usize)>,
    /// Show progress bars.
    pub progress: bool,
    /// Discard a folder's result and records from another grid or configuration instead of
    /// refusing to replace them.
    pub replace: bool,
    /// The accepted results to compare the run with (`<baseline>/<id>/result.json`); none
    /// for no comparison.
    pub baseline: Option<PathBuf>,
    /// Run a spec of more than [`MAX_TRIALS`] trials.
    pub force: bool,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            budget: Budget::Full,
            out: "reports".into(),
            theorems: "theorems".into(),
            shard: None,
            progress: false,
            replace: false,
            baseline: None,
            force: false,
        }
    }
}

/// The most trials a spec runs without `--force`: about 60 times the largest committed
/// spec's, so that a grid with a typo (a million points) is refused before it fills the
/// disk with records, not after.
pub const MAX_TRIALS: u64 = 1_000_000;

/// A spec's size on its grid: points, tasks a point, trials a task, and their product.
pub fn size(spec: &ClaimSpec, budget: Budget) -> (u64, u64, u64, u64) {
    let plan = spec.plan(budget);
    let points: u64 = plan.grid.values().map(|v| v.len().max(1) as u64).product();
    let (tasks, trials) = (plan.tasks as u64, plan.trials as u64);
    (points, tasks, trials, points.saturating_mul(tasks).saturating_mul(trials))
}

/// Refuses, before anything runs, a spec larger than [`MAX_TRIALS`] unless forced, and says
/// the size of a large one that runs.
fn size_guard(specs: &[Box<dyn Prepared>], opts: &CheckOptions, reporter: &dyn Reporter) -> Result<()> {
    for p in specs {
        let spec = p.spec();
        let (points, tasks, trials, total) = size(spec, opts.budget);
        let what = format!("{}: {points} points x {tasks} tasks x {trials} trials = {total} trials", spec.id);
        if total > MAX_TRIALS && !opts.force {
            return Err(invalid(
                "--force",
                format!("{what}, more than the {MAX_TRIALS} a check runs without --force; shrink the grid, or pass --force to run it"),
            ));
        }
        if total > MAX_TRIALS / 10 {
            reporter.note(&format!("{what} (each is a line in trials.jsonl)"));
        }
    }
    Ok(())
}

/// The CLI's default folders for a grid: the run's working folder (which git ignores) and
/// the accepted baseline it is compared with: `reports/new` and `reports` for the full
/// grids, `reports/quick/new` and `reports/quick` for the quick ones.
pub fn default_folders(budget: Budget) -> (PathBuf, PathBuf) {
    let base = PathBuf::from(if budget.is_quick() { "reports/quick" } else { "reports" });
    (base.join("new"), base)
}

/// Where a check writes and what it compares with, from the flags: without `out`, the
/// default working folder and its baseline (or `baseline`, if given); with `out`, only an
/// explicit `baseline`. The CLI and the Python package both decide it here. A `baseline`
/// named explicitly must exist: a misspelt path in CI would otherwise turn regression
/// checking off without a word (the default one may be absent, as before a first accept).
pub fn run_folders(budget: Budget, out: Option<PathBuf>, baseline: Option<PathBuf>) -> Result<(PathBuf, Option<PathBuf>)> {
    if let Some(b) = baseline.as_ref().filter(|b| !b.is_dir()) {
        return Err(invalid("--baseline", format!("must be a folder of accepted results (scb accept writes one); {} is not a folder", b.display())));
    }
    let (run_dir, base) = default_folders(budget);
    Ok(match out {
        Some(out) => (out, baseline),
        None => (run_dir, Some(baseline.unwrap_or(base))),
    })
}

/// What a `check` found, spec by spec.
pub struct Checked {
    /// Each judged spec's result, and how many of its trials were simulated and reused.
    pub results: Vec<(ClaimResult, Provenance)>,
    /// Each shard run: the spec's id, the shard `(i, n)`, its trials, and the spec's trials
    /// still to run elsewhere.
    pub shards: Vec<(String, (usize, usize), Provenance, usize)>,
    /// Each judged spec against the baseline, when there was one.
    pub compared: Vec<Compared>,
}

impl Checked {
    /// Every verdict is the one its spec expects.
    pub fn as_expected(&self) -> bool {
        self.results.iter().all(|(r, _)| r.as_expected)
    }

    /// The process's exit code for what was judged: 0 when every verdict is as expected and
    /// nothing moved beyond noise from the baseline, 1 when the data contradict some spec's
    /// expectation, 5 when none is contradicted but some cannot tell yet (undecided), 7 when
    /// every verdict is as expected but some spec changed from its baseline (a quantity
    /// beyond noise, or a verdict flipped). Bad input (2), input/output (3) and internal
    /// faults (4) come from errors instead.
    pub fn exit_code(&self) -> u8 {
        let standing = |s: Standing| self.results.iter().any(|(r, _)| r.standing == s);
        if standing(Standing::Contradicted) {
            1
        } else if standing(Standing::Undecided) {
            5
        } else if self.compared.iter().any(Compared::changed) {
            7
        } else {
            0
        }
    }

    /// One closing line: what held, what was refuted as expected, what was not as expected,
    /// how many trials ran, and where the report is.
    pub fn summary(&self, out: &Path) -> String {
        if self.results.is_empty() {
            let n = self.shards.len();
            return format!("{n} spec{} sharded; judge each with the scb merge command above", if n == 1 { "" } else { "s" });
        }
        let t = crate::result::tally(self.results.iter().map(|(r, _)| r));
        let (hold, refuted, undecided, off) = (t.hold, t.refuted, t.undecided, t.off);
        let (sim, reused) = self.results.iter().fold((0, 0), |a, (_, p)| (a.0 + p.simulated, a.1 + p.reused));
        let n = self.results.len();
        let mut s = format!("{n} spec{}: {hold} hold, {refuted} refuted as expected", if n == 1 { "" } else { "s" });
        if t.open > 0 {
            s += &format!(", {} open (not refuted, as expected)", t.open);
        }
        if !undecided.is_empty() {
            s += &format!(", {} undecided ({})", undecided.len(), undecided.join(", "));
        }
        if !off.is_empty() {
            s += &format!(", {} NOT as expected ({})", off.len(), off.join(", "));
        }
        s + &format!("; {sim} trials simulated, {reused} reused; {}", out.join("index.html").display())
    }
}

/// Where a spec lives: a `.toml` path as given, else `<theorems>/<id>.toml`.
pub fn spec_path(name: &str, theorems: &Path) -> PathBuf {
    if name.ends_with(".toml") {
        PathBuf::from(name)
    } else {
        theorems.join(format!("{name}.toml"))
    }
}

/// The spec ids in a theorems folder: every `<id>.toml` directly inside it.
pub fn spec_ids(theorems: &Path) -> Result<Vec<String>> {
    let rd = std::fs::read_dir(theorems).map_err(|e| {
        invalid("--theorems", format!("{} is not a readable folder of spec files ({e}); run from the repository or pass --theorems", theorems.display()))
    })?;
    let mut ids: Vec<String> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
        .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(str::to_string))
        .collect();
    ids.sort();
    Ok(ids)
}

/// The registry's claim ids, in its order: the order runs and the summary page list specs in.
pub fn claim_ids(registry: &[&dyn Claim]) -> Vec<&'static str> {
    registry.iter().map(|c| c.id()).collect()
}

/// Reads every named spec (`all`: every spec in `theorems`) and checks each against its
/// claim before anything runs: a typo in the last one must not cost the first one's run.
pub fn load_specs(registry: &[&dyn Claim], names: &[String], theorems: &Path) -> Result<Vec<Box<dyn Prepared>>> {
    let names: Vec<String> = if names.iter().any(|n| n == "all") { spec_ids(theorems)? } else { names.to_vec() };
    let mut specs = Vec::new();
    for name in &names {
        let path = spec_path(name, theorems);
        if !name.ends_with(".toml") && !path.is_file() {
            let known = spec_ids(theorems)?;
            return Err(invalid("claim", format!("must be one of {}, all, or a .toml path (got {name:?})", known.join(", "))));
        }
        let spec = ClaimSpec::load(&path)?;
        let prepared = find(registry, &spec).and_then(|claim| claim.prepare(spec)).map_err(|e| crate::spec_text::in_file(&path, e))?;
        prepared.validate().map_err(|e| crate::spec_text::in_file(&path, e))?;
        specs.push(prepared);
    }
    let ids = claim_ids(registry);
    specs.sort_by_key(|p| canonical_key(&ids, &p.spec().claim, p.spec().expect, &p.spec().id));
    Ok(specs)
}

/// `scb check`: runs the named specs, writes each one's folder, and rewrites
/// `<out>/index.html` over every result present in `<out>`.
///
/// A spec is named by id (`<theorems>/<id>.toml`, or `all`) or by path. Every spec is
/// validated before any runs; an interrupted run resumes from its records.
///
/// # Example
///
/// A fair die's mean face is (faces + 1) / 2, checked on 400 rolls of two dice:
///
/// ```
/// use scb_harness::prelude::*;
///
/// struct Die;
///
/// const MEAN: Quantity = Quantity::new("mean", "mean face over (faces + 1) / 2");
///
/// impl TypedClaim for Die {
///     const ID: &'static str = "die";
///     const ABOUT: &'static str = "a fair die's mean face is (faces + 1) / 2";
///     const QUANTITIES: &'static [Quantity] = &[MEAN];
///     const SECTIONS: &'static [&'static str] = &[];
///     type Context = ();
///     type Trial = f64;
///
///     fn new(_: &ClaimSpec) -> Result<Self> {
///         Ok(Die)
///     }
///     fn axes(&self) -> Vec<Axis> {
///         vec![Axis::integer("faces", "f", 2, 100, "faces of the die")]
///     }
///     fn config(&self) -> serde_json::Value {
///         serde_json::Value::Null
///     }
///     fn context(&self, _: &Point, _: u64) -> Result<()> {
///         Ok(())
///     }
///     fn run_trial(&self, at: &At<()>, seed: u64) -> f64 {
///         use rand::Rng;
///         let faces = at.point.at("faces") as u32;
///         1.0 + rng::rng(seed, rng::stream::DATA).random_range(0..faces) as f64
///     }
///     fn estimate(&self, points: &[&At<()>], trials: &[Vec<&f64>]) -> Quantities {
///         let ratio = |at: &At<()>, ts: &Vec<&f64>| ts.iter().copied().sum::<f64>() / ts.len() as f64 / ((at.point.at("faces") + 1.0) / 2.0);
///         let r: Vec<f64> = points.iter().zip(trials).map(|(at, ts)| ratio(at, ts)).collect();
///         Quantities::from([(MEAN.into(), r.iter().sum::<f64>() / r.len() as f64)])
///     }
///     fn panels(&self, _: &[&At<()>], _: &[Vec<&f64>], _: &ClaimResult) -> Vec<Panel> {
///         vec![]
///     }
/// }
///
/// let dir = tempfile::tempdir()?;
/// let spec = r#"
/// id = "die"
/// claim = "die"
/// statement = "A die is fair."
/// seed = 3
/// trials = 400
/// fixed_task = true
/// [grid]
/// faces = [6, 20]
/// [quick]
/// trials = 100
/// [[check]]
/// quantity = "mean"
/// kind = "ratio"
/// predict = 1.0
/// tolerance = 0.1
/// "#;
/// std::fs::write(dir.path().join("die.toml"), spec)?;
/// let registry: Vec<&dyn Claim> = vec![&Registered::<Die>::NEW];
/// let opts = CheckOptions { out: dir.path().join("reports"), theorems: dir.path().into(), ..Default::default() };
/// let checked = check(&registry, &["die".to_string()], &opts)?;
/// assert!(checked.as_expected());
/// // The records are kept: a second check re-judges them and simulates nothing.
/// let again = check(&registry, &["die".to_string()], &opts)?;
/// assert_eq!(again.results[0].1.simulated, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn check(registry: &[&dyn Claim], names: &[String], opts: &CheckOptions) -> Result<Checked> {
    check_with(registry, names, opts, &Reports::standard(claim_ids(registry)))
}

/// [`check`], with the findings sent to `reporter` rather than to the CLI's files, console
/// and summary page (`Reports::standard`): a library caller may keep only the files, say.
pub fn check_with(registry: &[&dyn Claim], names: &[String], opts: &CheckOptions, reporter: &dyn Reporter) -> Result<Checked> {
    let specs = load_specs(registry, names, &opts.theorems)?;
    size_guard(&specs, opts, reporter)?;
    crate::io::ensure_dir(&opts.out)?;
    let mut checked = Checked { results: Vec::new(), shards: Vec::new(), compared: Vec::new() };
    for prepared in &specs {
        let spec = prepared.spec();
        let dir = opts.out.join(&spec.id);
        match run_spec(prepared.as_ref(), opts, reporter)? {
            Outcome::Judged { result, provenance, .. } => {
                checked.results.push((result, provenance));
            }
            Outcome::ShardDone { shard: (i, n), provenance, pending_elsewhere } => {
                reporter.note(&format!(
                    "{}: shard {i}/{n} done ({} trials simulated, {} reused; {pending_elsewhere} left to other shards); once every shard is done: {}",
                    spec.id,
                    provenance.simulated,
                    provenance.reused,
                    merge_command(&dir, &spec_source(spec, &opts.theorems), opts.budget)
                ));
                checked.shards.push((spec.id.clone(), (i, n), provenance, pending_elsewhere));
            }
        }
    }
    if opts.shard.is_none() {
        if let Some(base) = &opts.baseline {
            checked.compared = checked.results.iter().map(|(r, _)| against(base, r)).collect();
            reporter.compared(&opts.out, base, &checked.compared)?;
        }
        reporter.finished(&opts.out)?;
    }
    Ok(checked)
}

/// A result against its accepted one in `baseline`: compared when that exists and is of
/// the same grid.
fn against(baseline: &Path, r: &ClaimResult) -> Compared {
    let accepted = ReportDir::of(baseline, &r.id);
    let path = accepted.result_path();
    let missing = |why: String| Compared::Missing { id: r.id.clone(), why };
    match accepted.result() {
        Err(Unread::Missing(_)) => missing(format!("{} does not exist", path.display())),
        Err(Unread::Invalid(e)) => missing(format!("{} does not read as a result ({e})", path.display())),
        Ok(old) if old.budget != r.budget => missing(format!("{} is of the {} grid", path.display(), old.budget.name())),
        Ok(old) => Compared::Found(crate::compare::compare(&old, r)),
    }
}

/// The folder a spec was read from, for `scb merge --theorems`.
fn spec_source(spec: &ClaimSpec, theorems: &Path) -> PathBuf {
    spec.folder().unwrap_or_else(|| theorems.to_path_buf())
}

/// The spec file of `id` in `folder`: `<id>.toml`, or else the one spec there whose `id` is
/// `id` (a file may be named otherwise).
fn find_spec(id: &str, folder: &Path) -> Option<PathBuf> {
    let named = spec_path(id, folder);
    if named.is_file() {
        return Some(named);
    }
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(folder).ok()?.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "toml")).collect();
    files.sort();
    files.into_iter().find(|p| ClaimSpec::load(p).is_ok_and(|s| s.id == id))
}

/// The exact `scb merge` command for a spec's folder.
pub fn merge_command(dir: &Path, theorems: &Path, budget: Budget) -> String {
    let mut c = format!("scb merge {}", dir.display());
    if budget.is_quick() {
        c += " --quick";
    }
    if theorems != Path::new("theorems") {
        c += &format!(" --theorems {}", if theorems.as_os_str().is_empty() { ".".into() } else { theorems.display().to_string() });
    }
    c
}

/// Checks one spec under its claim and, when judged, writes its folder. Holds the folder's
/// lease throughout.
fn run_spec(prepared: &dyn Prepared, opts: &CheckOptions, reporter: &dyn Reporter) -> Result<Outcome> {
    let dir = opts.out.join(&prepared.spec().id);
    let store = FileStore::new(&dir);
    let _lease = store.lease(opts.shard)?;
    // A shard writes no result, so it leaves stale stages to whole runs: listing a folder
    // that holds every shard's files, in every shard, would grow with the square of them.
    if opts.shard.is_none() {
        crate::io::settle(&dir);
    }
    guard_existing(prepared, &dir, opts.budget, opts.replace, &opts.out, reporter)?;
    let run = Run { budget: opts.budget, shard: opts.shard, progress: opts.progress, store: &store, missing: Missing::Simulate };
    let outcome = prepared.check(&run)?;
    if let Outcome::Judged { result, panels, provenance } = &outcome {
        reporter.judged(&dir, result, panels, &RunInfo::now(opts.budget, *provenance, prepared.code(), prepared.hash()))?;
    }
    Ok(outcome)
}

/// A run never silently replaces a result of another kind: a quick run beside a full-grid
/// result (or the reverse), or a spec with the same id but another configuration (task,
/// learner, seed, settings; changed predictions only re-judge, and may replace). With
/// `replace`, the old result and records are discarded first.
fn guard_existing(prepared: &dyn Prepared, dir: &Path, budget: Budget, replace: bool, out: &Path, reporter: &dyn Reporter) -> Result<()> {
    let spec = prepared.spec();
    let folder = ReportDir::new(dir);
    let old = match folder.result() {
        Err(Unread::Missing(_)) => return Ok(()),
        read => read.ok(),
    };
    let conflict = match &old {
        Some(o) if o.budget != budget => Some(format!("the {}-grid result of {}; this {}-grid run would replace it", o.budget.name(), o.id, budget.name())),
        Some(o) if o.spec.claim != spec.claim || prepared.hash_of(&o.spec).as_deref() != Some(prepared.hash()) => {
            Some(format!("a result of {} from another configuration (task, learner, seed or settings differ); this run would replace it and its records", o.id))
        }
        Some(_) => None,
        None => Some("a result.json this version cannot read".into()),
    };
    let Some(what) = conflict else { return Ok(()) };
    if !replace {
        let elsewhere = out.join(if budget.is_quick() { "quick" } else { "variant" });
        return Err(invalid(
            "--out",
            format!("{} holds {what}. Write elsewhere (--out {}), or pass --replace to discard it", dir.display(), elsewhere.display()),
        ));
    }
    for p in folder.result_files() {
        if p.exists() {
            std::fs::remove_file(&p).map_err(io_err(&p))?;
        }
    }
    reporter.note(&format!("{}: replaced the earlier result and its records (--replace)", spec.id));
    Ok(())
}

/// One spec, already loaded, checked and written (no summary page): what tests and
/// library users call.
pub fn check_one(registry: &[&dyn Claim], spec: &ClaimSpec, opts: &CheckOptions) -> Result<ClaimResult> {
    let prepared = find(registry, spec)?.prepare(spec.clone())?;
    prepared.validate()?;
    match run_spec(prepared.as_ref(), opts, &Files::default())? {
        Outcome::Judged { result, .. } => Ok(result),
        Outcome::ShardDone { .. } => Err(invalid("--shard", "check_one judges a whole spec; run shards through `check`")),
    }
}

/// `scb merge <out>/<id>`: judges a spec from its shards' records, then combines them into
/// `trials.jsonl` (one record per trial, in key order) and removes the shard files: the same
/// result.json and figure as an unsharded run. Refuses, changing nothing, while any shard
/// still runs, and when a trial has no record, unless `finish_locally` (then it simulates
/// the missing trials here).
pub fn merge(registry: &[&dyn Claim], claim_dir: &Path, theorems: &Path, budget: Budget, finish_locally: bool) -> Result<Checked> {
    let id = claim_dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let Some(path) = find_spec(id, theorems) else {
        let known = spec_ids(theorems)?;
        return Err(invalid("dir", format!("must be <reports>/<id> for a spec id in {} (got {})", known.join(", "), claim_dir.display())));
    };
    let prepared = load_specs(registry, &[path.display().to_string()], theorems)?.remove(0);
    let store = FileStore::new(claim_dir);
    let ns = store.shard_counts();
    let shards = match ns.as_slice() {
        [n] => *n,
        [] if store.files().is_empty() => {
            return Err(invalid(
                "dir",
                format!(
                    "{} holds no trial records to merge: run the shards first (scb check {id} --shard i/n --out {})",
                    claim_dir.display(),
                    claim_dir.parent().unwrap_or(Path::new(".")).display()
                ),
            ))
        }
        [] => 1,
        many => {
            let list: Vec<String> = many.iter().map(|n| format!("of {n}")).collect();
            return Err(invalid(
                "dir",
                format!("{} holds shards of different splits ({}); merge one split, or remove the others", claim_dir.display(), list.join(", ")),
            ));
        }
    };
    let _lease = store.lease(None)?;
    let out = claim_dir.parent().map(Path::to_path_buf).unwrap_or_default();
    let reporter = Reports::standard(claim_ids(registry));
    guard_existing(prepared.as_ref(), claim_dir, budget, false, &out, &reporter)?;
    let mut rerun = format!(
        "scb check {} --shard {{shard}} --out {}",
        if theorems == Path::new("theorems") { id.to_string() } else { path.display().to_string() },
        out.display()
    );
    if budget.is_quick() {
        rerun += " --quick";
    }
    let finish = merge_command(claim_dir, theorems, budget) + " --finish-locally";
    let missing = if finish_locally { Missing::Simulate } else { Missing::Refuse { shards, rerun, finish } };
    let run = Run { budget, shard: None, progress: true, store: &store, missing };
    let Outcome::Judged { result, panels, provenance } = prepared.check(&run)? else {
        return Err(Error::Other("a whole run ended as a shard".into()));
    };
    let records: Records = store.load(prepared.hash(), prepared.code(), None)?;
    let mut keys: Vec<&(String, Option<usize>, usize)> = records.keys().collect();
    keys.sort();
    let mut text = String::new();
    for k in keys {
        text += &(serde_json::to_string(&records[k]).map_err(|e| Error::Other(e.to_string()))? + "\n");
    }
    let all = ReportDir::new(claim_dir).trials_path();
    let name = all.file_name().and_then(|n| n.to_str()).expect("the store names its file");
    // Staged: a merge that fails while writing leaves the folder as it was, no part file.
    let mut staged = crate::io::Staged::begin(claim_dir)?;
    staged.write(name, text.as_bytes())?;
    staged.commit()?;
    for f in store.files().iter().filter(|f| **f != all) {
        std::fs::remove_file(f).map_err(io_err(f))?;
    }
    for i in 1..=shards {
        let _ = std::fs::remove_file(claim_dir.join(format!(".shard-{i}-of-{shards}.lock")));
    }
    reporter.note(&format!("{id}: {} trial records merged from {shards} shards ({} simulated here)", records.len(), provenance.simulated));
    reporter.judged(claim_dir, &result, &panels, &RunInfo::now(budget, provenance, prepared.code(), prepared.hash()))?;
    reporter.finished(&out)?;
    Ok(Checked { results: vec![(result, provenance)], shards: Vec::new(), compared: Vec::new() })
}

/// The summary page over the results found in `out`'s subfolders, in canonical order.
pub fn write_index(registry: &[&dyn Claim], out: &Path) -> Result<()> {
    IndexPage { claims: claim_ids(registry) }.finished(out)
}
