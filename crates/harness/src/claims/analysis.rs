//! From trials to a verdict. With drawn tasks (the default) a quantity is the mean over
//! tasks of the claim's per-task estimate, and its interval comes from those per-task values
//! by the spec's interval method ([`crate::intervals`]; the studentized bootstrap unless a
//! spec says otherwise): it covers the task-to-task spread as well as trial noise. With a
//! fixed task the trials are resampled, and the interval is conditional on that task. A
//! per-point check ("at every point") is judged on a simultaneous band over its members; a
//! whole-grid check on its quantity's interval. Beside each verdict goes what the check
//! could have detected: its resolution, and its power at its plant ([`crate::power`]), from
//! the run's own replicates. A pure function of the trials: nothing here simulates or draws.

use super::sample::Sample;
use super::{At, Key, TypedClaim};
use crate::grid::Point;
use crate::intervals::{Judged, Plan};
use crate::power::{sides, Datasets, Resolution, TARGET};
use crate::result::{CheckResult, ClaimResult};
use crate::spec::{CheckSpec, ClaimSpec};
use crate::stats::{bootstrap_replicates, Estimate, Quantities};
use crate::verdict::{judge, judge_each, meets, Expect, Kind, Standing, Verdict};
use std::collections::{BTreeMap, HashSet};

/// The name of check `c`'s per-task deviation at a point: measured over predicted (ratio) or
/// measured minus predicted, formed per task and averaged, where the prediction reads task
/// statistics and so differs from task to task.
fn deviation(c: usize, quantity: &str, point: &Point) -> String {
    Key::new(quantity).at(point).deviation(c).to_string()
}

/// Whether check c's prediction differs between the tasks of some point.
fn varies_by_task(predict: &[Vec<f64>]) -> bool {
    predict.iter().any(|v| v.iter().any(|x| x.is_finite() && *x != v[0]))
}

/// One task's quantities, with the per-task deviations of the checks whose predictions vary
/// by task (`logs` collects the names of those averaged on the log scale: ratios).
fn with_deviations(
    mut q: Quantities,
    spec: &ClaimSpec,
    points: &[&Point],
    predicts: &[Vec<Vec<f64>>],
    varying: &[bool],
    task: usize,
    logs: &mut HashSet<String>,
) -> Quantities {
    for (c, check) in spec.checks.iter().enumerate().filter(|(c, _)| varying[*c]) {
        for (p, point) in points.iter().enumerate() {
            let x = predicts[c][p][task];
            if !x.is_finite() {
                continue;
            }
            let key = Key::new(&check.quantity).at(point);
            let m = q.get(&key.to_string()).copied().unwrap_or(f64::NAN);
            let name = key.deviation(c).to_string();
            let dev = if check.kind == Kind::Ratio {
                logs.insert(name.clone());
                (m / x).ln()
            } else {
                m - x
            };
            q.insert(name, dev);
        }
    }
    q
}

/// `units[p][i]`: point p's task i; `data[p][i]`: its trials; `predicts[c][p][i]`: what
/// check c predicts there (from [`super::predictions`]).
pub fn analyse<C: TypedClaim>(
    claim: &C,
    spec: &ClaimSpec,
    units: &[Vec<At<C::Context>>],
    data: &[Vec<Vec<C::Trial>>],
    predicts: &[Vec<Vec<f64>>],
    plan: &crate::plan::Plan,
) -> ClaimResult {
    let mut rng = crate::rng::rng(spec.seed, crate::rng::stream::BOOTSTRAP);
    let varying: Vec<bool> = predicts.iter().map(|p| varies_by_task(p)).collect();
    let sample = if spec.fixed_task {
        let first: Vec<&At<C::Context>> = units.iter().map(|u| &u[0]).collect();
        let trials: Vec<Vec<&C::Trial>> = data.iter().map(|d| d[0].iter().collect()).collect();
        let (estimates, reps) = bootstrap_replicates(&trials, spec.bootstrap, spec.level, &mut rng, |d| {
            let d: Vec<Vec<&C::Trial>> = d.iter().map(|v| v.iter().map(|t| **t).collect()).collect();
            claim.estimate(&first, &d)
        });
        Sample::Trials { estimates, reps }
    } else {
        // Unit i is the i-th task of every point: tasks are drawn independently at every
        // point, so the units are independent draws of one law, and each call of the claim's
        // estimate sees one unit.
        let tasks = units.iter().map(Vec::len).min().unwrap_or(0);
        let points: Vec<&Point> = units.iter().map(|u| &u[0].point).collect();
        let mut logs = HashSet::new();
        let per_task: Vec<Quantities> = (0..tasks)
            .map(|i| {
                let ats: Vec<&At<C::Context>> = units.iter().map(|u| &u[i]).collect();
                let ts: Vec<Vec<&C::Trial>> = data.iter().map(|d| d[i].iter().collect()).collect();
                with_deviations(claim.estimate(&ats, &ts), spec, &points, predicts, &varying, i, &mut logs)
            })
            .collect();
        let plan = Plan::draw(tasks, spec.bootstrap, &mut rng);
        Sample::tasks(&per_task, &|n| logs.contains(n), plan, spec.method())
    };
    let quantities = sample.estimates(spec.level);
    let pts: Vec<Point> = units.iter().map(|u| u[0].point.clone()).collect();
    let describe = |q: &str| C::QUANTITIES.iter().find(|d| d.matches(q)).map(|d| d.about.to_string()).unwrap_or_default();
    let checks = judge_checks(spec, &pts, &sample, &quantities, predicts, &varying, describe);
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
        budget: plan.budget,
        randomness: plan.randomness(),
        interval: sample.method(),
        tasks_per_point: plan.tasks,
        trials_per_point: plan.trials,
        points: pts,
        checks,
        quantities,
        spec: spec.clone(),
    }
}

/// The members of a per-point check at one point: `quantity@key`, and any cells that refine
/// the point (`quantity@key,R=0.5`), in name order.
fn members<'a, 'k>(keys: &'k [(&'a String, Key)], name: &str, point: &Point) -> Vec<&'k (&'a String, Key)> {
    keys.iter().filter(|(_, key)| key.quantity == name && key.check.is_none() && key.within(point)).collect()
}

/// Every result key with its parts, read once for all the points a check is judged at.
fn parsed(quantities: &BTreeMap<String, Estimate>) -> Vec<(&String, Key)> {
    quantities.keys().filter_map(|k| Key::parse(k).map(|key| (k, key))).collect()
}

/// Whether a check is meant to be able to fail: in a claim, an open question, or a refuted
/// form's check stated to hold. (A refuted form's failing checks are judged by their
/// stability instead.)
pub fn claims_to_hold(spec: &ClaimSpec, c: &CheckSpec) -> bool {
    match spec.expect {
        Expect::Pass | Expect::Undecided => true,
        Expect::Fail => c.expect == Some(Expect::Pass),
    }
}

/// Judges every check of `spec` against the sample; `predicts[c][p][i]` is what check c
/// predicts at point p for task i, and `varying[c]` says the predictions differ from task to
/// task (the check is then judged on its per-task deviation).
pub(crate) fn judge_checks(
    spec: &ClaimSpec,
    points: &[Point],
    sample: &Sample,
    quantities: &BTreeMap<String, Estimate>,
    predicts: &[Vec<Vec<f64>>],
    varying: &[bool],
    describe: impl Fn(&str) -> String,
) -> Vec<CheckResult> {
    spec.checks
        .iter()
        .enumerate()
        .map(|(ci, c)| {
            let named = family(ci, c, points, quantities, &predicts[ci], varying[ci]);
            let names: Vec<String> = named.iter().map(|(_, n, _)| n.clone()).collect();
            let judged = sample.family(&names, spec.level, c.kind == Kind::Ratio);
            let at: Vec<(String, f64, Estimate)> = named
                .iter()
                .zip(&judged)
                .map(|((label, name, p), j)| {
                    let undefined = quantities.get(name).map_or(1.0, |e| e.undefined);
                    (label.clone(), *p, Estimate { value: j.value, lo: j.lo, hi: j.hi, undefined })
                })
                .collect();
            let (verdict, shown, reason) = if c.each_point {
                let (v, i, reason) = judge_each(c.kind, c.tolerance, &at, spec.level);
                let reason = if at.len() > 1 {
                    format!("{reason} [{}]", band_note(spec.level, at.len(), points.iter().filter(|p| c.applies_at(p)).count(), varying[ci]))
                } else {
                    reason
                };
                (v, i, reason)
            } else {
                let (v, reason) = judge(c.kind, at[0].1, c.tolerance, &at[0].2, spec.level);
                (v, 0, reason)
            };
            let reason = match (verdict, sample.units()) {
                (Verdict::Undecided, Some(g)) => match tasks_to_decide(c.kind, c.tolerance, &at, g) {
                    Some(n) => {
                        format!("{reason}; about {n} tasks would decide it if the estimates stayed where they are (the interval narrows as 1/sqrt(tasks))")
                    }
                    None => format!("{reason}; no number of tasks decides it while an estimate sits on its bound"),
                },
                _ => reason,
            };
            let missing = Estimate { value: f64::NAN, lo: f64::NAN, hi: f64::NAN, undefined: 1.0 };
            let (at_predict, estimate) = at.get(shown).map_or((f64::NAN, missing), |x| (x.1, x.2.clone()));
            let predicted = c.predict.value().is_none().then_some(at_predict);
            let preds: Vec<f64> = at.iter().map(|x| x.1).collect();
            let centres: Vec<f64> = judged.iter().map(|j| j.value).collect();
            let datasets = replicate_sets(&judged);
            let sets = Datasets { kind: c.kind, tolerance: c.tolerance, predicts: &preds, centres: &centres, datasets: &datasets };
            let resolution = Resolution::of(&sets);
            let power = c.plant.map(|plant| sides(c.kind).iter().map(|s| sets.detected(plant, *s).rate()).fold(1.0, f64::min));
            let weak = claims_to_hold(spec, c) && power.is_some_and(|p| p < TARGET);
            let band =
                at.iter().map(|(label, p, e)| crate::result::BandMember { label: label.clone(), predicted: *p, value: e.value, lo: e.lo, hi: e.hi }).collect();
            CheckResult { spec: c.clone(), description: describe(&c.quantity), estimate, predicted, verdict, reason, resolution, power, weak, band }
        })
        .collect()
}

/// The tasks an undecided one-sided check would need to be decided, if every estimate stayed
/// where it is and the interval narrowed as 1/sqrt(tasks): for each undecided member, the
/// interval's reach toward its bound over its distance from it, squared, times the tasks it
/// has now; the largest over the members. None when an estimate sits on its bound.
fn tasks_to_decide(kind: Kind, tolerance: f64, at: &[(String, f64, Estimate)], tasks: usize) -> Option<usize> {
    let mut need = tasks;
    for (_, p, e) in at {
        if crate::verdict::decide(kind, *p, tolerance, e.lo, e.hi) != Verdict::Undecided {
            continue;
        }
        let bound = if kind == Kind::Below { p + tolerance } else { p - tolerance };
        let gap = (e.value - bound).abs();
        // The end of the interval that lies across the bound must come back to it.
        let reach = if e.value > bound { e.value - e.lo } else { e.hi - e.value };
        if gap == 0.0 || !reach.is_finite() {
            return None;
        }
        need = need.max((tasks as f64 * (reach / gap).powi(2)).ceil() as usize);
    }
    Some(need)
}

/// `out[b][m]`: replicate b's judgement of member m (none if some member has none).
fn replicate_sets(judged: &[Judged]) -> Vec<Vec<(f64, f64, f64)>> {
    let b = judged.iter().map(|j| j.replicates.len()).min().unwrap_or(0);
    (0..b).map(|k| judged.iter().map(|j| j.replicates[k]).collect()).collect()
}

fn band_note(level: f64, members: usize, points: usize, varying: bool) -> String {
    format!(
        "simultaneous {:.0}% band over {} {}{}",
        100.0 * level,
        members,
        if members == points { "points" } else { "cells" },
        if varying { ", per-task deviation from the prediction" } else { "" }
    )
}

/// A check's members, each as (label, quantity name, prediction): for a whole-grid check its
/// one quantity; for a per-point check every point it applies at, and every cell refining one.
fn family(
    ci: usize,
    c: &CheckSpec,
    points: &[Point],
    quantities: &BTreeMap<String, Estimate>,
    predict: &[Vec<f64>],
    varying: bool,
) -> Vec<(String, String, f64)> {
    if !c.each_point {
        return vec![("whole grid".to_string(), c.quantity.clone(), predict[0][0])];
    }
    let keys = parsed(quantities);
    let mut names: Vec<(String, String, f64)> = Vec::new();
    for (p, point) in points.iter().enumerate().filter(|(_, p)| c.applies_at(p)) {
        if varying {
            // Judged as measured/predicted (or measured - predicted) against 1 (or 0).
            let at = if c.kind == Kind::Ratio { 1.0 } else { 0.0 };
            names.push((point.label(), deviation(ci, &c.quantity, point), at));
            continue;
        }
        let found = members(&keys, &c.quantity, point);
        if found.is_empty() {
            names.push((point.label(), Key::new(&c.quantity).at(point).to_string(), predict[p][0]));
        }
        for (name, key) in found {
            let cell = Key { coords: key.coords[point.coords.len()..].to_vec(), ..key.clone() };
            let label = if cell.coords.is_empty() { point.label() } else { format!("{}, {}", point.label(), cell.point()) };
            names.push((label, name.to_string(), predict[p][0]));
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intervals::Method;

    fn q(pairs: &[(&str, f64)]) -> Quantities {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    fn plan(g: usize) -> Plan {
        Plan::draw(g, 400, &mut crate::rng::rng(1, 1))
    }

    #[test]
    fn a_quantity_is_the_mean_of_the_per_task_estimates_and_undefined_if_a_task_lacks_it() {
        let per_task = [q(&[("a", 1.0), ("b", 2.0)]), q(&[("a", 3.0)]), q(&[("a", 5.0), ("b", f64::NAN)])];
        let e = Sample::tasks(&per_task, &|_| false, plan(3), Method::T).estimates(0.95);
        assert_eq!(e["a"].value, 3.0);
        assert!(e["b"].value.is_nan(), "a task without b, and a task with b undefined, leave b undefined");
        assert!((e["b"].undefined - 2.0 / 3.0).abs() < 1e-12);
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
        let point = Point { coords: vec![crate::grid::Coord { name: "n".into(), symbol: "N".into(), value: 1.0, integer: true }] };
        let keys = parsed(&qs);
        let found: Vec<&str> = members(&keys, "m", &point).iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(found, ["m@N=1", "m@N=1,R=0.5", "m@N=1,R=0.8"]);
    }

    fn spec(checks: &str) -> ClaimSpec {
        toml::from_str(&format!("id = \"x\"\nstatement = \"s\"\nseed = 1\ntrials = 2\n[quick]\ntrials = 2\n{checks}")).unwrap()
    }

    #[test]
    fn a_per_point_check_is_judged_on_the_simultaneous_band_and_says_so() {
        // Two points with independent task values: the band that covers both at once is
        // wider than either point's own 95% interval.
        let spec = spec("[[check]]\nquantity = \"m\"\neach_point = true\nkind = \"equal\"\npredict = 0.0\ntolerance = 0.0\n");
        let pts = crate::grid::points(&[crate::grid::Axis::integer("n", "N", 1, 10, "")], &toml::from_str("n = [1, 2]").unwrap(), "grid").unwrap();
        let per_task: Vec<Quantities> =
            (0..12).map(|i| q(&[("m@N=1", ((i * 5) % 12) as f64 / 6.0 - 0.9), ("m@N=2", ((i * 7) % 12) as f64 / 6.0 - 0.9)])).collect();
        let sample = Sample::tasks(&per_task, &|_| false, plan(12), Method::Studentized);
        let quantities = sample.estimates(0.95);
        let checks = judge_checks(&spec, &pts, &sample, &quantities, &[vec![vec![0.0], vec![0.0]]], &[false], |_| String::new());
        assert_eq!(checks[0].verdict, Verdict::Holds);
        assert!(checks[0].reason.contains("simultaneous 95% band over 2 points"), "{}", checks[0].reason);
        let band = &checks[0].estimate;
        let own = &quantities[&format!("m@{}", pts[0].key())];
        assert!(band.hi > own.hi && band.lo < own.lo, "band {band:?} inside the point's own interval {own:?}");
        assert!(checks[0].resolution.up.is_some() && checks[0].resolution.down.is_some());
    }

    #[test]
    fn a_check_that_cannot_detect_its_plant_is_weak_and_one_that_can_is_not() {
        // Task values spread with sd about 1 over 8 tasks: an interval of half-width about
        // 0.9; a plant of 3 is resolved, a plant of 0.3 is not.
        let per_task: Vec<Quantities> = (0..8).map(|i| q(&[("m", (i as f64 - 3.5) / 2.3)])).collect();
        let sample = Sample::tasks(&per_task, &|_| false, plan(8), Method::Studentized);
        let quantities = sample.estimates(0.95);
        let judged = |plant: f64| {
            let spec = spec(&format!("[[check]]\nquantity = \"m\"\nkind = \"equal\"\npredict = 0.0\ntolerance = 0.0\nplant = {plant}\n"));
            judge_checks(&spec, &[], &sample, &quantities, &[vec![vec![0.0]]], &[false], |_| String::new()).remove(0)
        };
        let (strong, weak) = (judged(3.0), judged(0.3));
        assert_eq!((strong.verdict, weak.verdict), (Verdict::Holds, Verdict::Holds));
        assert!(!strong.weak && strong.power.unwrap() >= 0.8, "{strong:?}");
        assert!(weak.weak && weak.power.unwrap() < 0.8, "{weak:?}");
        let r = strong.resolution.worst().unwrap();
        assert!(r > 0.3 && r < 3.0, "{r}");
    }
}
