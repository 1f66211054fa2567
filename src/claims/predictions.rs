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

/// `out[i][p]`: what check i predicts at point p (NaN where a per-point check does not look).
/// A formula that does not evaluate to a finite number at a point it judges is an error
/// naming the check, the formula and the point; so is a whole-grid check whose formula
/// takes different values at different points (it has one estimate to be judged against).
pub fn predictions<C: TypedClaim>(claim: &C, spec: &ClaimSpec, ats: &[At<C::Context>]) -> Result<Vec<Vec<f64>>> {
    let mut out = Vec::with_capacity(spec.checks.len());
    for (i, c) in spec.checks.iter().enumerate() {
        let field = format!("check[{i}].predict");
        let formula = match c.predict.formula() {
            None => {
                out.push(vec![c.predict.value().expect("a number"); ats.len()]);
                continue;
            }
            Some(Err(e)) => return Err(invalid(field, format!("{:?} {e}", c.predict.text()))),
            Some(Ok(f)) => f,
        };
        let mut values = vec![f64::NAN; ats.len()];
        for (p, at) in ats.iter().enumerate().filter(|(_, at)| !c.each_point || c.applies_at(&at.point)) {
            values[p] = formula.eval(&variables(claim, at)).map_err(|e| invalid(&field, format!("{:?} {e} at {}", formula.text, at.point.label())))?;
        }
        if !c.each_point {
            if let Some(p) = (1..ats.len()).find(|&p| values[p] != values[0]) {
                return Err(invalid(
                    field,
                    format!(
                        "{:?} is {} at {} but {} at {}: {} is one number for the whole grid, so its prediction must be too (use settings and constants, or each_point = true)",
                        formula.text,
                        crate::verdict::num(values[0]),
                        ats[0].point.label(),
                        crate::verdict::num(values[p]),
                        ats[p].point.label(),
                        c.quantity
                    ),
                ));
            }
        }
        out.push(values);
    }
    Ok(out)
}
