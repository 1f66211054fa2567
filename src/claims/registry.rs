//! The adapter that makes a typed claim an entry of a registry (a `&[&dyn Claim]`), and
//! finding a spec's claim in one. The registry itself is `theories::REGISTRY`: the
//! harness names no theory, and is handed the list.

use super::claim::{Claim, Outcome, Run, TypedClaim};
use super::predictions::predictions;
use super::runner;
use crate::error::{invalid, Result};
use crate::grid::points;
use crate::spec::ClaimSpec;
use std::marker::PhantomData;

/// Makes a [`TypedClaim`] a registry entry.
pub struct Registered<C>(PhantomData<fn() -> C>);

impl<C> Registered<C> {
    pub const NEW: Registered<C> = Registered(PhantomData);
}

/// Parses a spec for claim `C` and checks its grids, quantities and checks against it.
pub fn prepare<C: TypedClaim>(spec: &ClaimSpec) -> Result<C> {
    spec.only_sections(C::SECTIONS)?;
    let claim = C::new(spec)?;
    let axes = claim.axes();
    points(&axes, &spec.grid(false), "grid")?;
    points(&axes, &spec.grid(true), "quick.grid")?;
    for (i, c) in spec.checks.iter().enumerate() {
        if !C::QUANTITIES.iter().any(|(q, _)| *q == c.quantity) {
            let names: Vec<&str> = C::QUANTITIES.iter().map(|q| q.0).collect();
            return Err(invalid(format!("check[{i}].quantity"), format!("must be one of {} for claim {} (got {:?})", names.join(", "), C::ID, c.quantity)));
        }
        for name in c.at.keys() {
            if !axes.iter().any(|a| a.name == name) {
                let known: Vec<&str> = axes.iter().map(|a| a.name).collect();
                return Err(invalid(format!("check[{i}].where.{name}"), format!("must be one of the claim's axes {}", known.join(", "))));
            }
        }
    }
    Ok(claim)
}

impl<C: TypedClaim> Claim for Registered<C> {
    fn id(&self) -> &'static str {
        C::ID
    }
    fn about(&self) -> &'static str {
        C::ABOUT
    }
    fn quantities(&self) -> &'static [(&'static str, &'static str)] {
        C::QUANTITIES
    }
    /// Also builds both grids' contexts and evaluates every formula there: a bad formula, or
    /// a point whose context cannot be built, is refused before any spec runs.
    fn validate(&self, spec: &ClaimSpec) -> Result<()> {
        let claim = prepare::<C>(spec)?;
        for quick in [false, true] {
            predictions(&claim, spec, &runner::contexts(&claim, spec, quick)?)?;
        }
        Ok(())
    }
    fn trial_count(&self, spec: &ClaimSpec, quick: bool) -> Result<usize> {
        let claim = prepare::<C>(spec)?;
        Ok(points(&claim.axes(), &spec.grid(quick), if quick { "quick.grid" } else { "grid" })?.len() * spec.tasks(quick) * spec.trials(quick))
    }
    fn hash(&self, spec: &ClaimSpec) -> Result<String> {
        Ok(runner::trial_hash(&prepare::<C>(spec)?, spec))
    }
    fn check(&self, spec: &ClaimSpec, run: &Run) -> Result<Outcome> {
        let claim = prepare::<C>(spec)?;
        runner::check(&claim, spec, run)
    }
}

/// The claim a spec names, from `registry`.
pub fn find<'a>(registry: &[&'a dyn Claim], spec: &ClaimSpec) -> Result<&'a dyn Claim> {
    registry.iter().copied().find(|c| c.id() == spec.claim).ok_or_else(|| {
        let names: Vec<&str> = registry.iter().map(|c| c.id()).collect();
        invalid("claim", format!("must be one of {} (got {:?})", names.join(", "), spec.claim))
    })
}
