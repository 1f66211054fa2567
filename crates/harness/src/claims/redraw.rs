//! A judged result's figure panels rebuilt from its trial records, for `scb figure`: no
//! trial is simulated and nothing is judged, so this file is not part of the code
//! fingerprint (build.rs) and a change here keeps every record.

use super::{At, TypedClaim};
use crate::error::Result;
use crate::spec::ClaimSpec;

/// The figure panels of a judged `result`, rebuilt from the store's records of its trials
/// without simulating or judging anything: a figure redrawn is the figure of the run.
pub(crate) fn panels<C: TypedClaim>(
    claim: &C,
    spec: &ClaimSpec,
    plan: &crate::plan::Plan,
    hash: &str,
    code: &str,
    store: &dyn super::store::TrialStore,
    result: &crate::result::ClaimResult,
) -> Result<Vec<crate::report::Panel>> {
    let ats = super::runner::contexts(claim, plan)?;
    let (n_tasks, n_trials) = (plan.tasks, plan.trials);
    let keys: Vec<String> = ats.iter().map(|a| a[0].point.key()).collect();
    let mut have = super::runner::recorded::<C>(spec, hash, code, store, None, &keys, (n_tasks, n_trials))?;
    let want = ats.len() * n_tasks * n_trials;
    if have.len() < want {
        return Err(crate::error::invalid(
            "records",
            format!(
                "{}: {} of the {want} trials of this result have records (of code {code}) to redraw it from; run scb check on its spec ({}) again",
                spec.id,
                have.len(),
                spec.id
            ),
        ));
    }
    let data: Vec<Vec<Vec<C::Trial>>> = (0..ats.len())
        .map(|p| (0..n_tasks).map(|i| (0..n_trials).map(|t| have.remove(&(p, i, t)).expect("every trial recorded")).collect()).collect())
        .collect();
    // No `claim.prepare`: its references serve the analysis, and a context computes what it
    // needs of them on first use.
    let first: Vec<&At<C::Context>> = ats.iter().map(|a| &a[0]).collect();
    let refs: Vec<Vec<&C::Trial>> = data.iter().map(|tasks| tasks.iter().flatten().collect()).collect();
    Ok(claim.panels(&first, &refs, result))
}
