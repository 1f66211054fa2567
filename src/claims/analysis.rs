//! From trials to a verdict: a percentile bootstrap over trials (resampled within each grid
//! point) gives every quantity an interval at the spec's level; each check is judged against
//! its interval; the claim holds when every check does. A pure function of the trials:
//! nothing here simulates or draws.

use super::{At, TypedClaim};
use crate::grid::Point;
use crate::result::{CheckResult, ClaimResult};
use crate::spec::ClaimSpec;
use crate::stats::{bootstrap, Estimate};
use crate::verdict::{judge, judge_each, meets, Verdict};
use std::collections::BTreeMap;

/// `predicts[i][p]`: what check i predicts at point p (from [`super::predictions`]).
pub fn analyse<C: TypedClaim>(
    claim: &C,
    spec: &ClaimSpec,
    points: &[At<C::Context>],
    data: &[Vec<C::Trial>],
    predicts: &[Vec<f64>],
    quick: bool,
) -> ClaimResult {
    let mut rng = crate::rng::rng(spec.seed, crate::rng::stream::BOOTSTRAP);
    let quantities = bootstrap(data, spec.bootstrap, spec.level, &mut rng, |d| claim.estimate(points, d));
    let pts: Vec<Point> = points.iter().map(|a| a.point.clone()).collect();
    let describe = |q: &str| C::QUANTITIES.iter().find(|d| d.0 == q).map(|d| d.1.to_string()).unwrap_or_default();
    let checks = judge_checks(spec, &pts, &quantities, predicts, describe);
    let verdicts: Vec<Verdict> = checks.iter().map(|c| c.verdict).collect();
    let stated: Vec<_> = checks.iter().map(|c| (c.spec.expect, c.verdict)).collect();
    let (as_expected, outcome) = meets(spec.expect, &stated);
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

/// Judges every check of `spec` against the estimated quantities; `predicts[i][p]` is what
/// check i predicts at point p.
pub fn judge_checks(
    spec: &ClaimSpec,
    points: &[Point],
    quantities: &BTreeMap<String, Estimate>,
    predicts: &[Vec<f64>],
    describe: impl Fn(&str) -> String,
) -> Vec<CheckResult> {
    let missing = Estimate { value: f64::NAN, lo: f64::NAN, hi: f64::NAN, undefined: 1.0 };
    spec.checks
        .iter()
        .zip(predicts)
        .map(|(c, predict)| {
            let (estimate, at_predict, verdict, reason) = if c.each_point {
                let at: Vec<(String, f64, Estimate)> = points
                    .iter()
                    .zip(predict)
                    .filter(|(p, _)| c.applies_at(p))
                    .map(|(p, x)| (p.label(), *x, quantities.get(&format!("{}@{}", c.quantity, p.key())).cloned().unwrap_or(missing.clone())))
                    .collect();
                let (v, i, reason) = judge_each(c.kind, c.tolerance, &at, spec.level);
                let (x, e) = at.get(i).map_or((f64::NAN, missing.clone()), |x| (x.1, x.2.clone()));
                (e, x, v, reason)
            } else {
                let e = quantities.get(&c.quantity).cloned().unwrap_or(missing.clone());
                let (v, reason) = judge(c.kind, predict[0], c.tolerance, &e, spec.level);
                (e, predict[0], v, reason)
            };
            let predicted = c.predict.value().is_none().then_some(at_predict);
            CheckResult { spec: c.clone(), description: describe(&c.quantity), estimate, predicted, verdict, reason }
        })
        .collect()
}
