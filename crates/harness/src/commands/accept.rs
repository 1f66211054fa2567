//! `scb accept`: makes a run the baseline, as `cargo insta accept` does a pending snapshot.
//! Each spec's result set (result, run, quantities, figures and the trial records of this
//! scb's code) moves from the run's folder into the baseline's, staged so that a folder is
//! never left with a new result beside an old figure; the baseline's calibrations stay.

use crate::claims::store::Record;
use crate::claims::{find, Claim};
use crate::error::{invalid, io_err, Result};
use crate::io::Staged;
use crate::plan::Budget;
use crate::report::ReportDir;
use std::path::{Path, PathBuf};

/// A record's place: (point key, task, trial).
type TrialKey = (String, Option<usize>, usize);

/// What a baseline keeps across accepts: it describes the spec, not one run.
fn kept(name: &str) -> bool {
    name.starts_with("calibration") && name.ends_with(".json")
}

/// Moves the named specs' results (`all`, or none named: every result in `from`) from the
/// run folder `from` into the baseline `to`, rewrites `to`'s summary page, and returns the
/// ids accepted.
pub fn accept(registry: &[&dyn Claim], names: &[String], from: &Path, to: &Path, budget: Budget) -> Result<Vec<String>> {
    let ids: Vec<String> = if names.is_empty() || names.iter().any(|n| n == "all") { results_in(from)? } else { names.to_vec() };
    if ids.is_empty() {
        return Err(invalid("--from", format!("{} holds no result to accept; run scb check first", from.display())));
    }
    // Every spec is read and checked before any moves: a refusal leaves the baseline as it was.
    let mut ready = Vec::new();
    for id in &ids {
        ready.push(prepare(registry, &from.join(id), budget)?);
    }
    let dirty: Vec<&str> = ids.iter().map(String::as_str).filter(|id| built_from_uncommitted(&from.join(id))).collect();
    if !dirty.is_empty() {
        crate::say!(
            "warning: {} judged by a binary built from uncommitted sources (run.json's commit ends in -dirty+diff...); a baseline to commit is best made from a clean tree",
            dirty.join(", ")
        );
    }
    for (id, (dir, records)) in ids.iter().zip(ready) {
        publish(&dir, &to.join(id), &records)?;
        std::fs::remove_dir_all(&dir).map_err(io_err(&dir))?;
    }
    super::check::write_index(registry, to)?;
    Ok(ids)
}

/// Whether a result's run.json says its binary was built from a tree with uncommitted
/// changes.
fn built_from_uncommitted(dir: &Path) -> bool {
    ReportDir::new(dir).run().and_then(|i| i.commit).is_some_and(|c| c.contains("-dirty"))
}

/// The ids of the results in a run folder.
fn results_in(from: &Path) -> Result<Vec<String>> {
    let dirs = ReportDir::all(from).map_err(|e| invalid("--from", format!("{} is not a readable run folder ({e})", from.display())))?;
    Ok(dirs.iter().filter_map(|d| d.id().map(str::to_string)).collect())
}

/// A spec's run folder checked for accepting: a whole result of the right grid, with the
/// records this scb's code made (older code's are left behind).
fn prepare(registry: &[&dyn Claim], dir: &Path, budget: Budget) -> Result<(PathBuf, String)> {
    crate::io::settle(dir);
    let folder = ReportDir::new(dir);
    let path = folder.result_path();
    let result = folder.read_result("spec", "run scb check first")?;
    if result.budget != budget {
        let (is, flag) = if result.budget.is_quick() { ("quick", "pass --quick") } else { ("full", "leave out --quick") };
        return Err(invalid("--quick", format!("{} is a {is}-grid result; {flag} to accept it into the baseline of its grid", path.display())));
    }
    let trials = folder.trials_path();
    if folder.store().files().iter().any(|f| *f != trials) {
        return Err(invalid("spec", format!("{} holds shards not merged; run scb merge {} first", dir.display(), dir.display())));
    }
    let code = find(registry, &result.spec)?.code();
    let all = std::fs::read_to_string(&trials).map_err(io_err(&trials))?;
    // Sorted by trial, not in the order threads finished them: the baseline's records are
    // the same file for the same trials, and a diff shows only what changed.
    let mut mine: Vec<(TrialKey, &str)> =
        all.lines().filter_map(|l| Record::read(l).ok().filter(|r| r.code == code).map(|r| ((r.key, r.task, r.trial), l))).collect();
    mine.sort();
    mine.dedup_by(|a, b| a.0 == b.0);
    let mine: String = mine.iter().map(|(_, l)| format!("{l}\n")).collect();
    if mine.is_empty() {
        return Err(invalid("spec", format!("the records in {} were made by other code than this scb's; run scb check again, then accept", trials.display())));
    }
    Ok((dir.to_path_buf(), mine))
}

/// Writes the run's files into the baseline folder as one staged set, then removes the
/// baseline's files the run did not write (an old figure), except what a baseline keeps.
fn publish(from: &Path, to: &Path, records: &str) -> Result<()> {
    let mut staged = Staged::begin(to)?;
    let mut names = Vec::new();
    for entry in std::fs::read_dir(from).map_err(io_err(from))?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !entry.path().is_file() {
            continue;
        }
        if entry.path() == ReportDir::new(from).trials_path() {
            staged.write(&name, records.as_bytes())?;
        } else {
            let bytes = std::fs::read(entry.path()).map_err(io_err(&entry.path()))?;
            staged.write(&name, &bytes)?;
        }
        names.push(name);
    }
    staged.commit()?;
    for entry in std::fs::read_dir(to).map_err(io_err(to))?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_file() && !name.starts_with('.') && !kept(&name) && !names.contains(&name) {
            std::fs::remove_file(entry.path()).map_err(io_err(&entry.path()))?;
        }
    }
    Ok(())
}
