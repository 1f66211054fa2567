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
    hash: &str,
    code: &str,
    store: &dyn super::store::TrialStore,
    result: &crate::result::ClaimResult,
) -> Result<Vec<crate::report::Panel>> {
    let ats = super::runner::contexts(claim, spec, result.quick)?;
    let (n_tasks, n_trials) = (spec.tasks(result.quick), spec.trials(result.quick));
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

thread_local! {
    static RECORDED: std::cell::RefCell<Option<std::collections::BTreeMap<String, f64>>> = const { std::cell::RefCell::new(None) };
}

/// Runs `prepare` with the quantities of the judged `result` being redrawn in reach of
/// [`recorded`], so that a claim takes what it computed once for the run (an external
/// bound's values) from the result instead of computing it again: a redraw reads the
/// result alone and runs no code found beside it, which may be a download.
pub(crate) fn preparing<R>(result: &crate::result::ClaimResult, prepare: impl FnOnce() -> R) -> R {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            RECORDED.with(|r| r.borrow_mut().take());
        }
    }
    let values = result.quantities.iter().map(|(k, e)| (k.clone(), e.value)).collect();
    RECORDED.with(|r| *r.borrow_mut() = Some(values));
    let _reset = Reset;
    prepare()
}

/// The quantities of the result being redrawn, if a claim is being prepared for a redraw
/// ([`preparing`]) on this thread.
pub(crate) fn recorded() -> Option<std::collections::BTreeMap<String, f64>> {
    RECORDED.with(|r| r.borrow().clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_recorded_quantities_are_in_reach_only_while_preparing() {
        let mut result: crate::result::ClaimResult = serde_json::from_str(include_str!("../../reports/icl_stagewise_linear/result.json")).unwrap();
        result.quantities.retain(|k, _| k.starts_with("mean@"));
        assert!(recorded().is_none());
        let seen = preparing(&result, recorded).expect("in reach while preparing");
        assert_eq!(seen.len(), result.quantities.len());
        assert!(seen.keys().all(|k| k.starts_with("mean@")));
        assert!(recorded().is_none(), "gone once prepared");
        let unwound = std::panic::catch_unwind(|| preparing(&result, || panic!("a prepare that fails")));
        assert!(unwound.is_err());
        assert!(recorded().is_none(), "gone after a prepare that panicked");
    }
}
