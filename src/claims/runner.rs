//! Runs a claim: its grid's trials in parallel with deterministic seeds, each appended
//! to `trials.jsonl` as it finishes (so a re-run resumes), then the bootstrap and the
//! verdicts, then `result.json` and the figure.

use super::{judge_checks, Claim, ClaimResult, ClaimSpec, Point, PointTask, Verdict};
use crate::error::{invalid, io_err, Error, Result};
use crate::io::Staged;
use crate::rng;
use crate::stats::bootstrap;
use crate::task::Task;
use rayon::prelude::*;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

#[derive(Serialize, Deserialize)]
pub struct Record<T> {
    pub hash: String,
    pub point: String,
    pub trial: usize,
    pub seed: u64,
    pub result: T,
}

#[derive(Clone, Debug)]
pub struct Options {
    pub quick: bool,
    /// The reports root: the claim writes to `<out>/<id>/`.
    pub out: PathBuf,
    pub progress: bool,
    /// `(i, n)`: run only the i-th (1-based) of n disjoint slices of the trial list, into
    /// `trials.shard-i-of-n.jsonl`, and judge nothing (`scb merge` does, once all ran).
    pub shard: Option<(usize, usize)>,
}

/// The files holding a claim's trial records: `trials.jsonl` and any shard files, in a
/// fixed order.
pub fn trial_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                    name == "trials.jsonl" || (name.starts_with("trials.shard-") && name.ends_with(".jsonl"))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

pub fn build_points(spec: &ClaimSpec, quick: bool) -> Result<Vec<PointTask>> {
    spec.points(quick)
        .into_iter()
        .map(|point| Ok(PointTask { point, task: Task::generate(&spec.task_config(&point), spec.seed)? }))
        .collect()
}

/// Reads the records of this configuration. Lines that do not parse are reported and
/// skipped; a torn last line (an interrupted write) is cut off so appends stay clean.
pub fn load_records<T: DeserializeOwned>(path: &Path, hash: &str) -> Result<HashMap<(String, usize), Record<T>>> {
    let mut out = HashMap::new();
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(io_err(path)(e)),
    };
    let mut stale = 0;
    let mut good_len = 0;
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        offset += line.len();
        let complete = line.ends_with('\n');
        match serde_json::from_str::<Record<T>>(line.trim_end()) {
            Ok(r) if complete => {
                good_len = offset;
                if r.hash != hash {
                    stale += 1;
                } else {
                    out.entry((r.point.clone(), r.trial)).or_insert(r);
                }
            }
            _ if line.trim().is_empty() => good_len = offset,
            _ => {
                eprintln!("warning: {}:{}: unreadable trial record skipped", path.display(), i + 1);
                if complete {
                    good_len = offset;
                }
            }
        }
    }
    if good_len < text.len() {
        let f = OpenOptions::new().write(true).open(path).map_err(io_err(path))?;
        f.set_len(good_len as u64).map_err(io_err(path))?;
    }
    if stale > 0 {
        eprintln!("note: {}: {stale} records from another configuration ignored", path.display());
    }
    Ok(out)
}

/// What `check` returns in place of a result after a shard's trials are done.
pub const SHARD_DONE: &str = "shard done";

/// Combines a claim's shard files into `trials.jsonl` (one record per trial, in grid
/// order) and removes them. Judging is then an ordinary `check` that finds every trial.
pub fn merge_shards(dir: &Path, spec: &ClaimSpec) -> Result<usize> {
    let hash = spec.trial_hash();
    let files = trial_files(dir);
    let mut all: HashMap<(String, usize), Record<serde_json::Value>> = HashMap::new();
    for f in &files {
        for (k, v) in load_records::<serde_json::Value>(f, &hash)? {
            all.entry(k).or_insert(v);
        }
    }
    let mut keys: Vec<&(String, usize)> = all.keys().collect();
    keys.sort();
    let mut text = String::new();
    for k in keys {
        text += &(serde_json::to_string(&all[k]).map_err(|e| Error::Other(e.to_string()))? + "\n");
    }
    let path = dir.join("trials.jsonl");
    let tmp = dir.join(".trials.jsonl.merging");
    fs::write(&tmp, text).map_err(io_err(&tmp))?;
    fs::rename(&tmp, &path).map_err(io_err(&path))?;
    for f in files.iter().filter(|f| **f != path) {
        fs::remove_file(f).map_err(io_err(f))?;
    }
    Ok(all.len())
}

/// Runs and judges one claim.
pub fn check<C: Claim>(spec: &ClaimSpec, opts: &Options) -> Result<ClaimResult> {
    let claim = C::new(spec)?;
    for (i, c) in spec.checks.iter().enumerate() {
        if !C::QUANTITIES.iter().any(|(q, _)| *q == c.quantity) {
            let names: Vec<&str> = C::QUANTITIES.iter().map(|q| q.0).collect();
            return Err(invalid(
                format!("check[{i}].quantity"),
                format!("must be one of {} for claim {} (got {:?})", names.join(", "), spec.claim, c.quantity),
            ));
        }
    }
    let dir = opts.out.join(&spec.id);
    crate::io::ensure_dir(&dir)?;
    let points = build_points(spec, opts.quick)?;
    let n_trials = spec.trials(opts.quick);
    let hash = spec.trial_hash();
    let path = match opts.shard {
        Some((i, n)) => dir.join(format!("trials.shard-{i}-of-{n}.jsonl")),
        None => dir.join("trials.jsonl"),
    };
    let mut have: HashMap<(String, usize), C::Trial> = HashMap::new();
    for f in trial_files(&dir) {
        for (k, v) in load_records::<C::Trial>(&f, &hash)? {
            have.entry(k).or_insert(v.result);
        }
    }
    let pending: Vec<(usize, usize)> = (0..points.len())
        .flat_map(|p| (0..n_trials).map(move |t| (p, t)))
        .enumerate()
        .filter(|(k, _)| opts.shard.map_or(true, |(i, n)| k % n == i - 1))
        .map(|(_, pt)| pt)
        .filter(|(p, t)| !have.contains_key(&(points[*p].point.label(), *t)))
        .collect();
    if !pending.is_empty() {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| invalid("--out", format!("cannot append to {} ({e})", path.display())))?;
        let file = Mutex::new(file);
        let pb = crate::commands::progress(pending.len() as u64, &format!("{} trials", spec.id));
        if !opts.progress {
            pb.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        }
        let done: Vec<(usize, usize, C::Trial)> = pending
            .par_iter()
            .map(|&(p, t)| {
                let pt = &points[p];
                let seed = pt.point.trial_seed(spec.seed, t);
                let result = claim.run_trial(pt, seed);
                let rec = Record { hash: hash.clone(), point: pt.point.label(), trial: t, seed, result };
                let line = serde_json::to_string(&rec).map_err(|e| Error::Other(e.to_string()))? + "\n";
                // One write per record under the lock: records never interleave.
                file.lock().expect("no panics while holding the lock").write_all(line.as_bytes()).map_err(io_err(&path))?;
                pb.inc(1);
                Ok((p, t, rec.result))
            })
            .collect::<Result<_>>()?;
        pb.finish_and_clear();
        for (p, t, r) in done {
            have.insert((points[p].point.label(), t), r);
        }
    }
    if opts.shard.is_some() {
        return Err(crate::Error::Other(SHARD_DONE.into()));
    }
    let data: Vec<Vec<C::Trial>> = points
        .iter()
        .map(|pt| (0..n_trials).map(|t| have.remove(&(pt.point.label(), t)).expect("every trial ran")).collect())
        .collect();
    let result = evaluate(&claim, spec, &points, &data, opts.quick);
    let mut staged = Staged::begin(&dir)?;
    staged.json("result.json", &result)?;
    staged.write("quantities.csv", quantities_csv(&result).as_bytes())?;
    let svg = format!("{}.svg", spec.id);
    let refs: Vec<Vec<&C::Trial>> = data.iter().map(|v| v.iter().collect()).collect();
    claim.figure(&points, &refs, &result, &staged.path(&svg))?;
    staged.written(&svg);
    staged.commit()?;
    Ok(result)
}

/// Bootstrap and verdicts: a pure function of the trials.
pub fn evaluate<C: Claim>(claim: &C, spec: &ClaimSpec, points: &[PointTask], data: &[Vec<C::Trial>], quick: bool) -> ClaimResult {
    let mut rng = rng::rng(spec.seed, rng::stream::BOOTSTRAP);
    let quantities = bootstrap(data, spec.bootstrap, spec.level, &mut rng, |d| claim.estimate(points, d));
    let pts: Vec<Point> = points.iter().map(|p| p.point).collect();
    let describe = |q: &str| C::QUANTITIES.iter().find(|d| d.0 == q).map(|d| d.1.to_string()).unwrap_or_default();
    let checks = judge_checks(spec, &pts, &quantities, describe);
    let verdicts: Vec<Verdict> = checks.iter().map(|c| c.verdict).collect();
    let (as_expected, outcome) = crate::verdict::meets(spec.expect, &verdicts);
    ClaimResult {
        id: spec.id.clone(),
        statement: spec.statement.clone(),
        holds: verdicts.iter().all(|v| *v == Verdict::Holds),
        expect: spec.expect,
        as_expected,
        outcome,
        quick,
        trials_per_point: data.first().map_or(0, |d| d.len()),
        points: pts,
        checks,
        quantities,
        spec: spec.clone(),
    }
}


/// Every quantity with its interval, one row each, for pandas.
pub fn quantities_csv(r: &ClaimResult) -> String {
    let mut s = String::from("quantity,value,lo,hi,undefined\n");
    for (k, e) in &r.quantities {
        s += &format!("\"{k}\",{:e},{:e},{:e},{}\n", e.value, e.lo, e.hi, e.undefined);
    }
    s
}
