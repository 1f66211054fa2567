//! What each check predicts at each grid point: its number everywhere, or its formula
//! evaluated on the point's variables (the axes by symbol, plus what the claim adds:
//! settings, task statistics). Evaluated from the points' contexts before any trial runs
//! or any file is opened, so a bad formula costs nothing and leaves nothing behind.

use super::{At, TypedClaim};
use crate::error::{invalid, Result};
use crate::formula::Vars;
use crate::spec::ClaimSpec;

/// A point's variables: its axes by symbol, then the claim's own.
pub fn variables<C: TypedClaim>(claim: &C, at: &At<C::Context>) -> Vars {
    let mut v = at.point.vars();
    v.extend(claim.variables(at));
    v
}

/// `out[c][p][i]`: what check c predicts at point p for its task i (NaN where a per-point
/// check does not look). A formula that does not evaluate to a finite number at a point it
/// judges is an error naming the check, the formula and the point; so is a whole-grid check
/// whose formula takes different values at different points or tasks (it has one estimate to
/// be judged against). A per-point check whose formula reads task statistics may differ from
/// task to task: the analysis then judges the per-task deviation (`analysis`).
pub fn predictions<C: TypedClaim>(claim: &C, spec: &ClaimSpec, ats: &[Vec<At<C::Context>>]) -> Result<Vec<Vec<Vec<f64>>>> {
    let mut out = Vec::with_capacity(spec.checks.len());
    for (i, c) in spec.checks.iter().enumerate() {
        let field = format!("check[{i}].predict");
        let formula = match c.predict.formula() {
            None => {
                out.push(ats.iter().map(|tasks| vec![c.predict.value().expect("a number"); tasks.len()]).collect());
                continue;
            }
            Some(Err(e)) => return Err(invalid(field, format!("{:?} {e}", c.predict.text()))),
            Some(Ok(f)) => f,
        };
        let mut values: Vec<Vec<f64>> = ats.iter().map(|tasks| vec![f64::NAN; tasks.len()]).collect();
        for (p, tasks) in ats.iter().enumerate().filter(|(_, t)| !c.each_point || c.applies_at(&t[0].point)) {
            for (t, at) in tasks.iter().enumerate() {
                values[p][t] = formula.eval(&variables(claim, at)).map_err(|e| invalid(&field, format!("{:?} {e} at {}", formula.text, at.point.label())))?;
            }
        }
        if !c.each_point {
            let first = values[0][0];
            let differs = values.iter().enumerate().flat_map(|(p, v)| v.iter().enumerate().map(move |(t, x)| (p, t, *x))).find(|(_, _, x)| *x != first);
            if let Some((p, t, x)) = differs {
                let task = if t > 0 { format!(" (task {t})") } else { String::new() };
                return Err(invalid(
                    field,
                    format!(
                        "{:?} is {} at {} but {} at {}{task}: {} is one number for the whole grid, so its prediction must be too (use settings and constants, or each_point = true)",
                        formula.text,
                        crate::verdict::num(first),
                        ats[0][0].point.label(),
                        crate::verdict::num(x),
                        ats[p][0].point.label(),
                        c.quantity
                    ),
                ));
            }
        }
        out.push(values);
    }
    Ok(out)
}
