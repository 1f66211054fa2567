//! `scb check` and `scb merge`: specs from `theorems/`, each checked by the claim it names
//! (measurement and analysis in `claims`), its files written (`report`), and the summary
//! page rewritten over every result in the output folder.

use crate::claims::store::{FileStore, Records, TrialStore};
use crate::claims::{find, Claim, Missing, Outcome, Run};
use crate::error::{invalid, io_err, Error, Result};
use crate::io::Staged;
use crate::result::{ClaimResult, Provenance, RunInfo};
use crate::spec::ClaimSpec;
use crate::verdict::{num, Expect, Standing};
use std::path::{Path, PathBuf};

/// How `check` runs.
pub struct CheckOptions {
    pub quick: bool,
    /// The reports root: a spec writes to `<out>/<id>/`.
    pub out: PathBuf,
    pub theorems: PathBuf,
    pub shard: Option<(usize, usize)>,
    pub progress: bool,
    /// Discard a folder's result and records from another grid or configuration instead of
    /// refusing to replace them.
    pub replace: bool,
}

/// What a `check` found, spec by spec.
pub struct Checked {
    pub results: Vec<(ClaimResult, Provenance)>,
    pub shards: Vec<(String, (usize, usize), Provenance, usize)>,
}

impl Checked {
    /// Every verdict is the one its spec expects.
    pub fn as_expected(&self) -> bool {
        self.results.iter().all(|(r, _)| r.as_expected)
    }

    /// The process's exit code for what was judged: 0 when every verdict is as expected, 1
    /// when the data contradict some spec's expectation, 5 when none is contradicted but some
    /// cannot tell yet (undecided). Bad input (2), input/output (3) and internal faults (4)
    /// come from errors instead.
    pub fn exit_code(&self) -> u8 {
        let standing = |s: Standing| self.results.iter().any(|(r, _)| r.standing == s);
        if standing(Standing::Contradicted) {
            1
        } else if standing(Standing::Undecided) {
            5
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

/// Canonical order for runs and the summary: by checker (registry order), true claims
/// before refuted forms before open questions, then by id.
fn canonical_key(registry: &[&dyn Claim], claim: &str, expect: Expect, id: &str) -> (usize, u8, String) {
    let pos = registry.iter().position(|c| c.id() == claim).unwrap_or(usize::MAX);
    (pos, expect as u8, id.to_string())
}

/// Reads every named spec (`all`: every spec in `theorems`) and checks each against its
/// claim before anything runs: a typo in the last one must not cost the first one's run.
pub fn load_specs<'a>(registry: &[&'a dyn Claim], names: &[String], theorems: &Path) -> Result<Vec<(ClaimSpec, &'a dyn Claim)>> {
    let names: Vec<String> = if names.iter().any(|n| n == "all") { spec_ids(theorems)? } else { names.to_vec() };
    let mut specs = Vec::new();
    for name in &names {
        let path = spec_path(name, theorems);
        if !name.ends_with(".toml") && !path.is_file() {
            let known = spec_ids(theorems)?;
            return Err(invalid("claim", format!("must be one of {}, all, or a .toml path (got {name:?})", known.join(", "))));
        }
        let spec = ClaimSpec::load(&path)?;
        let claim = find(registry, &spec).map_err(|e| in_file(&path, e))?;
        claim.validate(&spec).map_err(|e| in_file(&path, e))?;
        specs.push((spec, claim));
    }
    specs.sort_by_key(|(s, _)| canonical_key(registry, &s.claim, s.expect, &s.id));
    Ok(specs)
}

/// An input error, naming the spec file it is in.
fn in_file(path: &Path, e: Error) -> Error {
    match e {
        Error::Invalid { field, msg } => invalid(format!("{}: {field}", path.display()), msg),
        e => e,
    }
}

/// `scb check`: runs the named specs, writes each one's folder, and rewrites
/// `<out>/index.html` over every result present in `<out>`.
pub fn check(registry: &[&dyn Claim], names: &[String], opts: &CheckOptions) -> Result<Checked> {
    let specs = load_specs(registry, names, &opts.theorems)?;
    crate::io::ensure_dir(&opts.out)?;
    let mut checked = Checked { results: Vec::new(), shards: Vec::new() };
    for (spec, claim) in &specs {
        let dir = opts.out.join(&spec.id);
        match run_spec(*claim, spec, opts)? {
            Outcome::Judged { result, provenance, .. } => {
                print_result(&result, &provenance);
                checked.results.push((result, provenance));
            }
            Outcome::ShardDone { shard: (i, n), provenance, pending_elsewhere } => {
                eprintln!(
                    "{}: shard {i}/{n} done ({} trials simulated, {} reused; {pending_elsewhere} left to other shards); once every shard is done: {}",
                    spec.id,
                    provenance.simulated,
                    provenance.reused,
                    merge_command(&dir, &spec_source(&spec.id, names, &opts.theorems), opts.quick)
                );
                checked.shards.push((spec.id.clone(), (i, n), provenance, pending_elsewhere));
            }
        }
    }
    if opts.shard.is_none() {
        write_index(registry, &opts.out)?;
    }
    Ok(checked)
}

/// The spec file named by path on the command line for spec `id` (its file is `<id>.toml`),
/// if it was not named by id.
pub fn named_path<'a>(id: &str, names: &'a [String]) -> Option<&'a Path> {
    names.iter().map(Path::new).find(|n| n.extension().is_some_and(|x| x == "toml") && n.file_stem().and_then(|s| s.to_str()) == Some(id))
}

/// The folder a spec was read from, for `scb merge --theorems`: the spec file's own folder
/// when it was named by path, else the theorems folder.
fn spec_source(id: &str, names: &[String], theorems: &Path) -> PathBuf {
    named_path(id, names).and_then(Path::parent).map_or_else(|| theorems.to_path_buf(), Path::to_path_buf)
}

/// The exact `scb merge` command for a spec's folder.
pub fn merge_command(dir: &Path, theorems: &Path, quick: bool) -> String {
    let mut c = format!("scb merge {}", dir.display());
    if quick {
        c += " --quick";
    }
    if theorems != Path::new("theorems") {
        c += &format!(" --theorems {}", if theorems.as_os_str().is_empty() { ".".into() } else { theorems.display().to_string() });
    }
    c
}

/// Checks one spec under its claim and, when judged, writes its folder. Holds the folder's
/// lease throughout.
fn run_spec(claim: &dyn Claim, spec: &ClaimSpec, opts: &CheckOptions) -> Result<Outcome> {
    let dir = opts.out.join(&spec.id);
    let store = FileStore::new(&dir);
    let _lease = store.lease(opts.shard)?;
    guard_existing(claim, spec, &dir, opts.quick, opts.replace, &opts.out)?;
    let run = Run { quick: opts.quick, shard: opts.shard, progress: opts.progress, store: &store, missing: Missing::Simulate };
    let outcome = claim.check(spec, &run)?;
    if let Outcome::Judged { result, panels, provenance } = &outcome {
        crate::report::files::write_claim(&dir, result, panels, &RunInfo::now(opts.quick, *provenance))?;
    }
    Ok(outcome)
}

/// A run never silently replaces a result of another kind: a quick run beside a full-grid
/// result (or the reverse), or a spec with the same id but another configuration (task,
/// learner, seed, settings; changed predictions only re-judge, and may replace). With
/// `replace`, the old result and records are discarded first.
fn guard_existing(claim: &dyn Claim, spec: &ClaimSpec, dir: &Path, quick: bool, replace: bool, out: &Path) -> Result<()> {
    let Ok(text) = std::fs::read_to_string(dir.join("result.json")) else { return Ok(()) };
    let old: Option<ClaimResult> = serde_json::from_str(&text).ok();
    let grid = |q: bool| if q { "quick" } else { "full" };
    let conflict = match &old {
        Some(o) if o.quick != quick => Some(format!("the {}-grid result of {}; this {}-grid run would replace it", grid(o.quick), o.id, grid(quick))),
        Some(o) if o.spec.claim != spec.claim || claim.hash(&o.spec).ok() != claim.hash(spec).ok() => {
            Some(format!("a result of {} from another configuration (task, learner, seed or settings differ); this run would replace it and its records", o.id))
        }
        Some(_) => None,
        None => Some("a result.json this version cannot read".into()),
    };
    let Some(what) = conflict else { return Ok(()) };
    if !replace {
        let elsewhere = out.join(if quick { "quick" } else { "variant" });
        return Err(invalid(
            "--out",
            format!("{} holds {what}. Write elsewhere (--out {}), or pass --replace to discard it", dir.display(), elsewhere.display()),
        ));
    }
    for name in ["result.json", "run.json", "quantities.csv", "trials.jsonl"] {
        let p = dir.join(name);
        if p.exists() {
            std::fs::remove_file(&p).map_err(io_err(&p))?;
        }
    }
    eprintln!("{}: replaced the earlier result and its records (--replace)", spec.id);
    Ok(())
}

/// One spec, already loaded, checked and written (no summary page): what tests and
/// library users call.
pub fn check_one(registry: &[&dyn Claim], spec: &ClaimSpec, opts: &CheckOptions) -> Result<ClaimResult> {
    let claim = find(registry, spec)?;
    claim.validate(spec)?;
    match run_spec(claim, spec, opts)? {
        Outcome::Judged { result, .. } => Ok(result),
        Outcome::ShardDone { .. } => Err(invalid("--shard", "check_one judges a whole spec; run shards through `check`")),
    }
}

fn print_result(r: &ClaimResult, p: &Provenance) {
    let note = if r.as_expected && r.expect == Expect::Pass { String::new() } else { format!(" ({})", r.outcome) };
    let grid = if r.quick { "quick grid" } else { "full grid" };
    eprintln!("{}: {}{note}  [{grid}, {} trials: {} simulated, {} reused]", r.id, r.verdict_word(), p.simulated + p.reused, p.simulated, p.reused);
    eprintln!("  intervals cover {} at {:.0}%", r.randomness, 100.0 * r.spec.level);
    for c in &r.checks {
        eprintln!("  {:<22} {:>10} [{}, {}]  {}", c.spec.quantity, num(c.estimate.value), num(c.estimate.lo), num(c.estimate.hi), c.reason);
    }
}

/// `scb merge <out>/<id>`: judges a spec from its shards' records, then combines them into
/// `trials.jsonl` (one record per trial, in key order) and removes the shard files: the same
/// result.json and figure as an unsharded run. Refuses, changing nothing, while any shard
/// still runs, and when a trial has no record, unless `finish_locally` (then it simulates
/// the missing trials here).
pub fn merge(registry: &[&dyn Claim], claim_dir: &Path, theorems: &Path, quick: bool, finish_locally: bool) -> Result<Checked> {
    let id = claim_dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let path = spec_path(id, theorems);
    if !path.is_file() {
        let known = spec_ids(theorems)?;
        return Err(invalid("dir", format!("must be <reports>/<id> for a spec id in {} (got {})", known.join(", "), claim_dir.display())));
    }
    let (spec, claim) = load_specs(registry, &[path.display().to_string()], theorems)?.remove(0);
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
    guard_existing(claim, &spec, claim_dir, quick, false, &out)?;
    let mut rerun = format!(
        "scb check {} --shard {{shard}} --out {}",
        if theorems == Path::new("theorems") { id.to_string() } else { path.display().to_string() },
        out.display()
    );
    if quick {
        rerun += " --quick";
    }
    let finish = merge_command(claim_dir, theorems, quick) + " --finish-locally";
    let missing = if finish_locally { Missing::Simulate } else { Missing::Refuse { shards, rerun, finish } };
    let run = Run { quick, shard: None, progress: true, store: &store, missing };
    let Outcome::Judged { result, panels, provenance } = claim.check(&spec, &run)? else {
        return Err(Error::Other("a whole run ended as a shard".into()));
    };
    let hash = claim.hash(&spec)?;
    let records: Records = store.load(&hash)?;
    let mut keys: Vec<&(String, Option<usize>, usize)> = records.keys().collect();
    keys.sort();
    let mut text = String::new();
    for k in keys {
        text += &(serde_json::to_string(&records[k]).map_err(|e| Error::Other(e.to_string()))? + "\n");
    }
    let all = claim_dir.join("trials.jsonl");
    let tmp = claim_dir.join(".trials.jsonl.merging");
    std::fs::write(&tmp, text).map_err(io_err(&tmp))?;
    std::fs::rename(&tmp, &all).map_err(io_err(&all))?;
    for f in store.files().iter().filter(|f| **f != all) {
        std::fs::remove_file(f).map_err(io_err(f))?;
    }
    for i in 1..=shards {
        let _ = std::fs::remove_file(claim_dir.join(format!(".shard-{i}-of-{shards}.lock")));
    }
    eprintln!("{id}: {} trial records merged from {shards} shards ({} simulated here)", records.len(), provenance.simulated);
    crate::report::files::write_claim(claim_dir, &result, &panels, &RunInfo::now(quick, provenance))?;
    print_result(&result, &provenance);
    write_index(registry, &out)?;
    Ok(Checked { results: vec![(result, provenance)], shards: Vec::new() })
}

/// The summary page over the results found in `out`'s subfolders, in canonical order.
pub fn write_index(registry: &[&dyn Claim], out: &Path) -> Result<()> {
    let mut results = Vec::new();
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(out).map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_dir()).collect()).unwrap_or_default();
    dirs.sort();
    for d in dirs {
        let p = d.join("result.json");
        if let Ok(text) = std::fs::read_to_string(&p) {
            match serde_json::from_str::<ClaimResult>(&text) {
                Ok(r) => {
                    let info = std::fs::read_to_string(d.join("run.json")).ok().and_then(|t| serde_json::from_str::<RunInfo>(&t).ok());
                    let cals = [false, true]
                        .iter()
                        .filter_map(|q| std::fs::read_to_string(d.join(crate::result::Calibration::file_name(*q))).ok())
                        .filter_map(|t| serde_json::from_str::<crate::result::Calibration>(&t).ok())
                        .collect();
                    results.push((r, info, cals))
                }
                Err(e) => eprintln!("warning: {} is not a result file ({e}); left out of index.html", p.display()),
            }
        }
    }
    results.sort_by_key(|(r, _, _)| canonical_key(registry, &r.spec.claim, r.expect, &r.id));
    let mut staged = Staged::begin(out)?;
    staged.write("index.html", crate::report::html::index(&results).as_bytes())?;
    staged.commit()
}
