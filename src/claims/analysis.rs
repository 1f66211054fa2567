//! From trials to a verdict. Every quantity gets a percentile bootstrap interval at the
//! spec's level. With drawn tasks (the default) a replicate resamples whole tasks at each
//! point, with all their trials, and a quantity is the mean over tasks of the claim's
//! per-task estimate: the interval covers the task-to-task spread as well as trial noise.
//! With a fixed task it resamples trials, and the interval is conditional on that task.
//! A per-point check ("at every point") is judged on a simultaneous band over its points;
//! a whole-grid check on its quantity's interval. A pure function of the trials: nothing
//! here simulates or draws.

use super::{At, TypedClaim};
use crate::grid::Point;
use crate::result::{CheckResult, ClaimResult};
use crate::spec::{CheckSpec, ClaimSpec};
use crate::stats::{bootstrap_replicates, simultaneous, Estimate, Quantities, Replicates};
use crate::verdict::{judge, judge_each, meets, Kind, Standing, Verdict};
use std::collections::BTreeMap;

/// The name of check `c`'s per-task deviation at a point: measured over predicted (ratio) or
/// measured minus predicted, formed per task and averaged, where the prediction reads task
/// statistics and so differs from task to task.
fn deviation(c: usize, quantity: &str, key: &str) -> String {
    format!("{quantity}/predicted[check {c}]@{key}")
}

/// Whether check c's prediction differs between the tasks of some point.
fn varies_by_task(predict: &[Vec<f64>]) -> bool {
    predict.iter().any(|v| v.iter().any(|x| x.is_finite() && *x != v[0]))
}

/// Mean over tasks of each quantity (NaN where a task lacks it or has it undefined).
fn mean_over_tasks(per_task: &[Quantities]) -> Quantities {
    let mut out = Quantities::new();
    for k in per_task.iter().flat_map(|q| q.keys()) {
        if out.contains_key(k) {
            continue;
        }
        let sum: f64 = per_task.iter().map(|q| q.get(k).copied().unwrap_or(f64::NAN)).sum();
        out.insert(k.clone(), sum / per_task.len() as f64);
    }
    out
}

/// `units[p][i]`: point p's task i; `data[p][i]`: its trials; `predicts[c][p][i]`: what
/// check c predicts there (from [`super::predictions`]).
pub fn analyse<C: TypedClaim>(
    claim: &C,
    spec: &ClaimSpec,
    units: &[Vec<At<C::Context>>],
    data: &[Vec<Vec<C::Trial>>],
    predicts: &[Vec<Vec<f64>>],
    quick: bool,
) -> ClaimResult {
    let mut rng = crate::rng::rng(spec.seed, crate::rng::stream::BOOTSTRAP);
    let varying: Vec<bool> = predicts.iter().map(|p| varies_by_task(p)).collect();
    let (quantities, reps) = if spec.fixed_task {
        let first: Vec<&At<C::Context>> = units.iter().map(|u| &u[0]).collect();
        let trials: Vec<Vec<&C::Trial>> = data.iter().map(|d| d[0].iter().collect()).collect();
        bootstrap_replicates(&trials, spec.bootstrap, spec.level, &mut rng, |d| {
            let d: Vec<Vec<&C::Trial>> = d.iter().map(|v| v.iter().map(|t| **t).collect()).collect();
            claim.estimate(&first, &d)
        })
    } else {
        // The units resampled are task indices; each replicate re-pairs the i-th drawn task
        // of every point into one call of the claim's per-task estimate.
        let tasks: Vec<Vec<usize>> = units.iter().map(|u| (0..u.len()).collect()).collect();
        bootstrap_replicates(&tasks, spec.bootstrap, spec.level, &mut rng, |drawn| {
            let k = drawn.iter().map(Vec::len).min().unwrap_or(0);
            let per_task: Vec<Quantities> = (0..k)
                .map(|i| {
                    let ats: Vec<&At<C::Context>> = drawn.iter().enumerate().map(|(p, d)| &units[p][*d[i]]).collect();
                    let ts: Vec<Vec<&C::Trial>> = drawn.iter().enumerate().map(|(p, d)| data[p][*d[i]].iter().collect()).collect();
                    claim.estimate(&ats, &ts)
                })
                .collect();
            let mut q = mean_over_tasks(&per_task);
            for (c, check) in spec.checks.iter().enumerate().filter(|(c, _)| varying[*c]) {
                for (p, d) in drawn.iter().enumerate() {
                    let key = units[p][0].point.key();
                    let name = format!("{}@{key}", check.quantity);
                    let devs = (0..k).map(|i| {
                        let (m, x) = (per_task[i].get(&name).copied().unwrap_or(f64::NAN), predicts[c][p][*d[i]]);
                        if check.kind == Kind::Ratio {
                            (m / x).ln()
                        } else {
                            m - x
                        }
                    });
                    let mean = devs.sum::<f64>() / k as f64;
                    q.insert(deviation(c, &check.quantity, &key), if check.kind == Kind::Ratio { mean.exp() } else { mean });
                }
            }
            q
        })
    };
    let pts: Vec<Point> = units.iter().map(|u| u[0].point.clone()).collect();
    let describe = |q: &str| C::QUANTITIES.iter().find(|d| d.matches(q)).map(|d| d.about.to_string()).unwrap_or_default();
    let checks = judge_checks(spec, &pts, &quantities, &reps, predicts, &varying, describe);
    let verdicts: Vec<Verdict> = checks.iter().map(|c| c.verdict).collect();
    let stated: Vec<_> = checks.iter().map(|c| (c.spec.expect, c.verdict)).collect();
    let (standing, outcome) = meets(spec.expect, &stated);
    ClaimResult {
        id: spec.id.clone(),
        statement: spec.statement.clone(),
        holds: verdicts.iter().all(|v| *v == Verdict::Holds),
        expect: spec.expect,
        as_expected: standing == Standing::AsExpected,
        standing,
        outcome,
        quick,
        randomness: spec.randomness(quick),
        tasks_per_point: spec.tasks(quick),
        trials_per_point: spec.trials(quick),
        points: pts,
        checks,
        quantities,
        spec: spec.clone(),
    }
}

/// The members of a per-point check at one point: `quantity@key`, and any cells that refine
/// the point (`quantity@key,R=0.5`), in name order.
fn members<'a>(quantities: &'a BTreeMap<String, Estimate>, name: &str, key: &str) -> Vec<&'a String> {
    let exact = format!("{name}@{key}");
    let cell = format!("{exact},");
    quantities.keys().filter(|k| **k == exact || k.starts_with(&cell)).collect()
}

/// Judges every check of `spec` against the estimated quantities; `predicts[c][p][i]` is what
/// check c predicts at point p for task i, and `varying[c]` says the predictions differ from
/// task to task (the check is then judged on its per-task deviation).
pub fn judge_checks(
    spec: &ClaimSpec,
    points: &[Point],
    quantities: &BTreeMap<String, Estimate>,
    reps: &Replicates,
    predicts: &[Vec<Vec<f64>>],
    varying: &[bool],
    describe: impl Fn(&str) -> String,
) -> Vec<CheckResult> {
    let missing = Estimate { value: f64::NAN, lo: f64::NAN, hi: f64::NAN, undefined: 1.0 };
    spec.checks
        .iter()
        .enumerate()
        .map(|(ci, c)| {
            let predict = &predicts[ci];
            let (estimate, at_predict, verdict, reason) = if c.each_point {
                let (at, band) = family(ci, c, spec.level, points, quantities, reps, predict, varying[ci]);
                let (v, i, reason) = judge_each(c.kind, c.tolerance, &at, spec.level);
                let (x, e) = at.get(i).map_or((f64::NAN, missing.clone()), |x| (x.1, x.2.clone()));
                let reason = if at.len() > 1 { format!("{reason} [{band}]") } else { reason };
                (e, x, v, reason)
            } else {
                let e = quantities.get(&c.quantity).cloned().unwrap_or(missing.clone());
                let (v, reason) = judge(c.kind, predict[0][0], c.tolerance, &e, spec.level);
                (e, predict[0][0], v, reason)
            };
            let predicted = c.predict.value().is_none().then_some(at_predict);
            CheckResult { spec: c.clone(), description: describe(&c.quantity), estimate, predicted, verdict, reason }
        })
        .collect()
}

/// A per-point check's members, each as (label, prediction, estimate with its simultaneous
/// band), and a note on the band.
#[allow(clippy::too_many_arguments)]
fn family(
    ci: usize,
    c: &CheckSpec,
    level: f64,
    points: &[Point],
    quantities: &BTreeMap<String, Estimate>,
    reps: &Replicates,
    predict: &[Vec<f64>],
    varying: bool,
) -> (Vec<(String, f64, Estimate)>, String) {
    let mut names: Vec<(String, String, f64)> = Vec::new();
    let applies = points.iter().filter(|p| c.applies_at(p)).count();
    for (p, point) in points.iter().enumerate().filter(|(_, p)| c.applies_at(p)) {
        let key = point.key();
        if varying {
            // Judged as measured/predicted (or measured - predicted) against 1 (or 0).
            let at = if c.kind == Kind::Ratio { 1.0 } else { 0.0 };
            names.push((point.label(), deviation(ci, &c.quantity, &key), at));
            continue;
        }
        let found = members(quantities, &c.quantity, &key);
        if found.is_empty() {
            names.push((point.label(), format!("{}@{key}", c.quantity), predict[p][0]));
        }
        for name in found {
            let label = match name.split_once(&format!("@{key},")) {
                Some((_, cell)) => format!("{}, {cell}", point.label()),
                None => point.label(),
            };
            names.push((label, name.clone(), predict[p][0]));
        }
    }
    let values: Vec<f64> = names.iter().map(|(_, n, _)| quantities.get(n).map_or(f64::NAN, |e| e.value)).collect();
    let empty: Vec<f64> = Vec::new();
    let r: Vec<&[f64]> = names.iter().map(|(_, n, _)| reps.get(n).map_or(empty.as_slice(), |v| v.as_slice())).collect();
    let band = if r.iter().all(|x| !x.is_empty()) { simultaneous(&values, &r, level, c.kind == Kind::Ratio) } else { Vec::new() };
    let at = names
        .iter()
        .enumerate()
        .map(|(i, (label, _, x))| {
            let e = band.get(i).cloned().unwrap_or(Estimate { value: values[i], lo: f64::NAN, hi: f64::NAN, undefined: 1.0 });
            (label.clone(), *x, e)
        })
        .collect();
    let note = format!(
        "simultaneous {:.0}% band over {} {}{}",
        100.0 * level,
        names.len(),
        if names.len() == applies { "points" } else { "cells" },
        if varying { ", per-task deviation from the prediction" } else { "" }
    );
    (at, note)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, f64)]) -> Quantities {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn a_quantity_is_the_mean_of_the_per_task_estimates_and_undefined_if_a_task_lacks_it() {
        let m = mean_over_tasks(&[q(&[("a", 1.0), ("b", 2.0)]), q(&[("a", 3.0)]), q(&[("a", 5.0), ("b", f64::NAN)])]);
        assert_eq!(m["a"], 3.0);
        assert!(m["b"].is_nan(), "a task without b, and a task with b undefined, leave b undefined");
    }

    #[test]
    fn a_prediction_varies_by_task_only_within_a_point() {
        // Different values at different points, equal within each: not varying by task.
        assert!(!varies_by_task(&[vec![1.0, 1.0], vec![2.0, 2.0]]));
        assert!(varies_by_task(&[vec![1.0, 1.0], vec![2.0, 2.5]]));
        // Points a per-point check skips are NaN, and do not count.
        assert!(!varies_by_task(&[vec![f64::NAN, f64::NAN], vec![2.0, 2.0]]));
    }

    #[test]
    fn a_point_s_members_are_its_quantity_and_the_cells_that_refine_it_and_no_other_point_s() {
        let e = Estimate { value: 0.0, lo: 0.0, hi: 0.0, undefined: 0.0 };
        let qs: BTreeMap<String, Estimate> =
            ["m@N=1", "m@N=1,R=0.5", "m@N=1,R=0.8", "m@N=10", "m@N=10,R=0.5", "mm@N=1"].iter().map(|k| (k.to_string(), e.clone())).collect();
        let found: Vec<&str> = members(&qs, "m", "N=1").iter().map(|s| s.as_str()).collect();
        assert_eq!(found, ["m@N=1", "m@N=1,R=0.5", "m@N=1,R=0.8"]);
    }

    #[test]
    fn a_per_point_check_is_judged_on_the_simultaneous_band_and_says_so() {
        // Two points, each with its own spread of replicates: the band that covers both at
        // once is wider than either point's own 95% interval.
        let spec: ClaimSpec = toml::from_str(
            "id = \"x\"\nstatement = \"s\"\nseed = 1\ntrials = 2\n[quick]\ntrials = 2\n[[check]]\nquantity = \"m\"\neach_point = true\nkind = \"equal\"\npredict = 0.0\ntolerance = 0.0\n",
        )
        .unwrap();
        let pts = crate::grid::points(&[crate::grid::Axis::integer("n", "N", 1, 10, "")], &toml::from_str("n = [1, 2]").unwrap(), "grid").unwrap();
        // Two members whose replicates move independently (different orders of one spread).
        let reps: Replicates = [("m@N=1", 1usize), ("m@N=2", 7)]
            .iter()
            .map(|(k, step)| (k.to_string(), (0..1000).map(|i| 0.1 * (((i * step) % 41) as f64 - 20.0) / 12.0).collect()))
            .collect();
        let quantities: BTreeMap<String, Estimate> = reps
            .iter()
            .map(|(k, r)| (k.clone(), Estimate { value: 0.0, lo: crate::stats::quantile(r, 0.025), hi: crate::stats::quantile(r, 0.975), undefined: 0.0 }))
            .collect();
        let predicts = vec![vec![vec![0.0], vec![0.0]]];
        let checks = judge_checks(&spec, &pts, &quantities, &reps, &predicts, &[false], |_| String::new());
        assert_eq!(checks[0].verdict, Verdict::Holds);
        assert!(checks[0].reason.contains("simultaneous 95% band over 2 points"), "{}", checks[0].reason);
        let band = &checks[0].estimate;
        let own = &quantities["m@N=1"];
        assert!(band.hi > own.hi && band.lo < own.lo, "band {band:?} inside the point's own interval {own:?}");
    }
}
