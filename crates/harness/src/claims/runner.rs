//! The Monte Carlo runner: a spec's grid points and their contexts, its trials in parallel
//! with seeds from the point keys, each appended to the store as it finishes (so a re-run
//! resumes), then the analysis. Trials are independent and seeded by their key, so results
//! are bit-identical for any thread count.

use super::{analysis, At, Key, Outcome, Run, TypedClaim};
use crate::error::{Error, Result};
use crate::grid::points;
use crate::plan::Plan;
use crate::result::Provenance;
use crate::spec::ClaimSpec;
use rayon::prelude::*;
use std::collections::HashMap;

/// The configuration hash of a claim's trials: change anything a trial depends on (or the
/// harness version) and earlier records are ignored, never mixed in. The code is not in
/// it but beside it in each record, so that records from other code can be told apart.
pub fn trial_hash<C: TypedClaim>(claim: &C, spec: &ClaimSpec) -> String {
    crate::rng::config_hash(&serde_json::json!({
        "claim": C::ID, "seed": spec.seed, "config": claim.config(), "version": env!("CARGO_PKG_VERSION"),
    }))
}

/// A trial's place: (point, task, trial).
type Slot = (usize, usize, usize);

/// The error of a merge that finds trials without records: which shards they belong to
/// (trial k of the list belongs to shard k mod n + 1), how many each lacks, one example,
/// and the command that reruns each.
fn missing_trials<T>(id: &str, all: &[Slot], have: &HashMap<Slot, T>, keys: &[String], shards: usize, rerun: &str, finish: &str) -> Error {
    // Per shard: its trials, those without a record, and the first of those.
    struct Shard {
        total: usize,
        missing: usize,
        first: Option<Slot>,
    }
    let mut by_shard: Vec<Shard> = (0..shards).map(|_| Shard { total: 0, missing: 0, first: None }).collect();
    for (k, slot) in all.iter().enumerate() {
        let s = &mut by_shard[k % shards];
        s.total += 1;
        if !have.contains_key(slot) {
            s.missing += 1;
            s.first = s.first.or(Some(*slot));
        }
    }
    let (mut lacking, mut commands) = (Vec::new(), Vec::new());
    for (i, s) in by_shard.iter().enumerate().map(|(i, s)| (i + 1, s)) {
        if let Some((p, task, t)) = s.first {
            lacking.push(format!("shard {i}/{shards} lacks {} of its {} trials (e.g. {} task {task} trial {t})", s.missing, s.total, keys[p]));
            commands.push(rerun.replace("{shard}", &format!("{i}/{shards}")));
        }
    }
    crate::error::invalid(
        "shards",
        format!("{id}: {}; nothing was merged or changed. Rerun: {}; or simulate them on this machine: {finish}", lacking.join("; "), commands.join(" && ")),
    )
}

/// The points of the run's grid, each with the contexts of its tasks (`out[p][task]`).
pub fn contexts<C: TypedClaim>(claim: &C, plan: &Plan) -> Result<Vec<Vec<At<C::Context>>>> {
    let pts = points(&claim.axes(), &plan.grid, plan.budget.grid_field())?;
    let tasks = plan.tasks;
    let units: Vec<(usize, usize)> = (0..pts.len()).flat_map(|p| (0..tasks).map(move |i| (p, i))).collect();
    let built: Vec<Result<At<C::Context>>> = units
        .par_iter()
        .map(|&(p, i)| {
            let point = pts[p].clone();
            Ok(At { ctx: claim.context(&point, plan.task_seed(&point, i))?, point })
        })
        .collect();
    // The first failing point in grid order, whatever the threads did: the same error every run.
    let mut built = built.into_iter();
    (0..pts.len()).map(|_| built.by_ref().take(tasks).collect::<Result<Vec<_>>>()).collect()
}

/// Runs (or resumes) a spec's trials, filed under `hash` ([`trial_hash`], computed once when
/// the spec was prepared) and made by code `code`, on `plan` (the spec's plan for the run's
/// budget), and, unless this is a shard, judges the claim.
pub fn check<C: TypedClaim>(claim: &C, spec: &ClaimSpec, plan: &Plan, hash: &str, code: &str, run: &Run) -> Result<Outcome> {
    let ats = contexts(claim, plan)?;
    // Before any record is read or written: a formula that fails at a point stops here.
    let predicts = super::predictions::predictions(claim, spec, &ats)?;
    let (n_tasks, n_trials) = (plan.tasks, plan.trials);
    let keys: Vec<String> = ats.iter().map(|a| a[0].point.key()).collect();
    let mut have = recorded::<C>(spec, hash, code, run.store, run.shard, &keys, (n_tasks, n_trials))?;
    let fixed = spec.fixed_task;
    let all: Vec<Slot> = (0..ats.len()).flat_map(|p| (0..n_tasks).flat_map(move |i| (0..n_trials).map(move |t| (p, i, t)))).collect();
    let mine = |k: usize| run.shard.is_none_or(|(i, n)| k % n == i - 1);
    let pending: Vec<Slot> = all.iter().enumerate().filter(|(k, s)| mine(*k) && !have.contains_key(s)).map(|(_, s)| *s).collect();
    let reused = all.iter().enumerate().filter(|(k, s)| mine(*k) && have.contains_key(s)).count();
    if let (super::Missing::Refuse { shards, rerun, finish }, false) = (&run.missing, pending.is_empty()) {
        return Err(missing_trials(&spec.id, &all, &have, &keys, *shards, rerun, finish));
    }
    if !pending.is_empty() {
        let sink = run.store.open(run.shard)?;
        let bar = crate::ui::progress(pending.len() as u64, &format!("{} trials", spec.id), run.progress);
        let done: Vec<(Slot, C::Trial)> = pending
            .par_iter()
            .map(|&(p, i, t)| {
                if crate::io::stop_requested() {
                    return Err(Error::Interrupted);
                }
                let at = &ats[p][i];
                let seed = plan.trial_seed(&at.point, i, t);
                let trial = claim.try_trial(at, seed)?;
                let result = serde_json::to_value(&trial).map_err(|e| Error::Other(e.to_string()))?;
                let task = (!fixed).then_some(i);
                sink.append(&super::store::Record {
                    hash: hash.to_string(),
                    code: code.to_string(),
                    key: keys[p].clone(),
                    task,
                    trial: t,
                    seed,
                    result,
                    sum: String::new(),
                })?;
                bar.inc(1);
                Ok(((p, i, t), trial))
            })
            .collect::<Result<_>>()?;
        bar.finish_and_clear();
        have.extend(done);
    }
    let provenance = Provenance { simulated: pending.len(), reused };
    if let Some(shard) = run.shard {
        let missing = all.iter().filter(|s| !have.contains_key(s)).count();
        return Ok(Outcome::ShardDone { shard, provenance, pending_elsewhere: missing });
    }
    let data: Vec<Vec<Vec<C::Trial>>> =
        (0..ats.len()).map(|p| (0..n_tasks).map(|i| (0..n_trials).map(|t| have.remove(&(p, i, t)).expect("every trial ran")).collect()).collect()).collect();
    ats.par_iter().flatten().for_each(|at| claim.prepare(at));
    let result = analysis::analyse(claim, spec, &ats, &data, &predicts, plan);
    undeclared::<C>(result.quantities.keys())?;
    let first: Vec<&At<C::Context>> = ats.iter().map(|a| &a[0]).collect();
    let refs: Vec<Vec<&C::Trial>> = data.iter().map(|tasks| tasks.iter().flatten().collect()).collect();
    let panels = claim.panels(&first, &refs, &result);
    Ok(Outcome::Judged { result, panels, provenance })
}

/// The trials of `keys`' points that the store holds, made by code `code`, by slot; a
/// record that does not read as a trial of the claim is reported and left out (rerun).
pub(crate) fn recorded<C: TypedClaim>(
    spec: &ClaimSpec,
    hash: &str,
    code: &str,
    store: &dyn super::store::TrialStore,
    shard: Option<(usize, usize)>,
    keys: &[String],
    (n_tasks, n_trials): (usize, usize),
) -> Result<HashMap<Slot, C::Trial>> {
    let mut have: HashMap<Slot, C::Trial> = HashMap::new();
    let index: HashMap<&str, usize> = keys.iter().enumerate().map(|(i, k)| (k.as_str(), i)).collect();
    for ((key, task, t), rec) in store.load(hash, code, shard)? {
        // A fixed task's records carry no task index; drawn tasks' records carry theirs.
        let task = match (spec.fixed_task, task) {
            (true, None) => Some(0),
            (false, Some(i)) if i < n_tasks => Some(i),
            _ => None,
        };
        if let (Some(&p), Some(i), true) = (index.get(key.as_str()), task, t < n_trials) {
            match serde_json::from_value::<C::Trial>(rec.result) {
                Ok(trial) => {
                    have.insert((p, i, t), trial);
                }
                Err(e) => crate::say!("warning: a record of {key}, task {i}, trial {t} does not read as a {} trial ({e}); it will be rerun", C::ID),
            }
        }
    }
    Ok(have)
}

/// Refuses a quantity the claim's estimate returned without declaring it in `QUANTITIES`,
/// or under a key that does not read back as one ([`Key`]): every number in a result must
/// be one a spec could name, the reports can describe and `quantities.csv` can lay out.
fn undeclared<'a, C: TypedClaim>(keys: impl IntoIterator<Item = &'a String>) -> Result<()> {
    for key in keys {
        let Some(parsed) = Key::parse(key) else {
            return Err(Error::Other(format!(
                "claim {}: its estimate returned {key:?}, which is not a key (build it with Quantity::at or claims::Key)",
                C::ID
            )));
        };
        let base = parsed.quantity.as_str();
        if !C::QUANTITIES.iter().any(|q| q.matches(base)) {
            return Err(Error::Other(format!("claim {}: its estimate returned {key:?}, but {base:?} is not among its QUANTITIES; declare it there", C::ID)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::Quantity;
    use crate::grid::{Axis, Point};
    use crate::report::Panel;
    use crate::result::ClaimResult;
    use crate::stats::Quantities;

    struct Declares;
    const SLOPE: Quantity = Quantity::new("slope", "a slope");
    const LEVEL: Quantity = Quantity::new("level", "a level, per point");

    impl TypedClaim for Declares {
        const ID: &'static str = "declares";
        const ABOUT: &'static str = "two quantities";
        const QUANTITIES: &'static [Quantity] = &[SLOPE, LEVEL];
        const SECTIONS: &'static [&'static str] = &[];
        type Context = ();
        type Trial = f64;
        fn new(_: &ClaimSpec) -> Result<Self> {
            Ok(Declares)
        }
        fn axes(&self) -> Vec<Axis> {
            vec![]
        }
        fn config(&self) -> serde_json::Value {
            serde_json::Value::Null
        }
        fn context(&self, _: &Point, _: u64) -> Result<()> {
            Ok(())
        }
        fn run_trial(&self, _: &At<()>, _: u64) -> f64 {
            0.0
        }
        fn estimate(&self, _: &[&At<()>], _: &[Vec<&f64>]) -> Quantities {
            Quantities::new()
        }
        fn panels(&self, _: &[&At<()>], _: &[Vec<&f64>], _: &ClaimResult) -> Vec<Panel> {
            vec![]
        }
    }

    #[test]
    fn a_quantity_the_claim_does_not_declare_is_an_error_naming_it() {
        let ok: Vec<String> = ["slope", "level@N=4", "level/predicted[check 0]@N=4"].map(String::from).to_vec();
        assert!(undeclared::<Declares>(&ok).is_ok());
        let typo = vec!["slope".to_string(), "levle@N=4".to_string()];
        let e = undeclared::<Declares>(&typo).unwrap_err().to_string();
        assert!(e.contains("\"levle@N=4\"") && e.contains("declares"), "{e}");
        let garbled = undeclared::<Declares>(&["level@N".to_string()]).unwrap_err().to_string();
        assert!(garbled.contains("\"level@N\"") && garbled.contains("not a key"), "{garbled}");
    }
}
