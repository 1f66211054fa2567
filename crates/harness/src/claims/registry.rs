//! The adapter that makes a typed claim an entry of a registry (a `&[&dyn Claim]`), and
//! finding a spec's claim in one. The registry itself is `theories::REGISTRY`: the
//! harness names no theory, and is handed the list.

use super::claim::{Claim, Outcome, Prepared, Run, TypedClaim};
use super::predictions::predictions;
use super::runner;
use crate::error::{invalid, Result};
use crate::grid::points;
use crate::plan::{Budget, Plan};
use crate::spec::ClaimSpec;
use std::marker::PhantomData;

/// Makes a [`TypedClaim`] a registry entry.
pub struct Registered<C>(PhantomData<fn() -> C>);

impl<C> Registered<C> {
    /// The entry, for a `CLAIMS` list: `&Registered::<MyClaim>::NEW`.
    pub const NEW: Registered<C> = Registered(PhantomData);
}

/// Parses a spec for claim `C` and checks its grids, quantities and checks against it,
/// with the spec resolved for each budget (full, quick), which those checks read.
fn parse<C: TypedClaim>(spec: &ClaimSpec) -> Result<(C, Plan, Plan)> {
    spec.only_sections(C::SECTIONS)?;
    let claim = C::new(spec)?;
    let axes = claim.axes();
    let (full, quick) = (spec.plan(Budget::Full), spec.plan(Budget::Quick));
    for plan in [&full, &quick] {
        let pts = points(&axes, &plan.grid, plan.budget.grid_field())?;
        enough_tasks(spec, plan, &pts)?;
    }
    for (i, c) in spec.checks.iter().enumerate() {
        if !C::QUANTITIES.iter().any(|q| q.matches(&c.quantity)) {
            let names: Vec<&str> = C::QUANTITIES.iter().map(|q| q.name).collect();
            return Err(invalid(format!("check[{i}].quantity"), format!("must be one of {} for claim {} (got {:?})", names.join(", "), C::ID, c.quantity)));
        }
        for name in c.at.keys() {
            if !axes.iter().any(|a| a.name == name.as_str()) {
                let known: Vec<&str> = axes.iter().map(|a| a.name.as_ref()).collect();
                return Err(invalid(format!("check[{i}].where.{name}"), format!("must be one of the claim's axes {}", known.join(", "))));
            }
        }
    }
    Ok((claim, full, quick))
}

/// Refuses a budget of drawn tasks below what the harness's intervals need for every check's
/// band (`intervals::min_tasks`, measured on the known-truth matrix). A per-point check's band
/// has at least one member per point it applies at (cells only add members, and larger bands
/// need no more tasks), a whole-grid check's one.
fn enough_tasks(spec: &ClaimSpec, plan: &Plan, pts: &[crate::grid::Point]) -> Result<()> {
    if spec.fixed_task || spec.study {
        return Ok(());
    }
    let tasks = plan.tasks;
    let field = plan.budget.tasks_field();
    for (i, c) in spec.checks.iter().enumerate() {
        let members = if c.each_point { pts.iter().filter(|p| c.applies_at(p)).count().max(1) } else { 1 };
        let need = crate::intervals::min_tasks(spec.method(), members);
        let Some(need) = need.filter(|n| tasks < *n) else {
            if need.is_none() {
                return Err(invalid("interval", format!("{} served no design of the known-truth matrix (docs/theory.md §10)", spec.method().name())));
            }
            continue;
        };
        let band = if members == 1 { "one interval".to_string() } else { format!("a band over {members} points") };
        return Err(invalid(
            field,
            format!(
                "must be at least {need}: check[{i}] ({}) judges {band}, and with fewer tasks the studentized bootstrap misses the 93% coverage or 3.5% one-sided error it is held to (known-truth matrix, docs/theory.md §10; got {tasks})",
                c.quantity
            ),
        ));
    }
    Ok(())
}

impl<C: TypedClaim> Claim for Registered<C> {
    fn id(&self) -> &'static str {
        C::ID
    }
    fn about(&self) -> &'static str {
        C::ABOUT
    }
    fn quantities(&self) -> &'static [super::Quantity] {
        C::QUANTITIES
    }
    fn code(&self) -> String {
        super::code::of::<C>()
    }
    fn prepare(&self, spec: ClaimSpec) -> Result<Box<dyn Prepared>> {
        let (claim, full, quick) = parse::<C>(&spec)?;
        let hash = runner::trial_hash(&claim, &spec);
        Ok(Box::new(Bound { claim, spec, full, quick, hash, code: super::code::of::<C>() }))
    }
}

/// A typed claim with its spec: what [`Claim::prepare`] returns.
struct Bound<C> {
    claim: C,
    spec: ClaimSpec,
    /// The spec resolved for the full budget: decided here, once.
    full: Plan,
    /// The spec resolved for the quick budget.
    quick: Plan,
    hash: String,
    code: String,
}

impl<C> Bound<C> {
    fn plan(&self, budget: Budget) -> &Plan {
        match budget {
            Budget::Full => &self.full,
            Budget::Quick => &self.quick,
        }
    }
}

impl<C: TypedClaim> Prepared for Bound<C> {
    fn spec(&self) -> &ClaimSpec {
        &self.spec
    }
    fn validate(&self) -> Result<()> {
        for plan in [&self.full, &self.quick] {
            predictions(&self.claim, &self.spec, &runner::contexts(&self.claim, plan)?)?;
        }
        Ok(())
    }
    fn hash(&self) -> &str {
        &self.hash
    }
    fn code(&self) -> &str {
        &self.code
    }
    fn hash_of(&self, other: &ClaimSpec) -> Option<String> {
        // A spec read back from a result has no folder of its own: it is the one this spec's
        // folder holds, so what it names beside itself (an external trial's module) is found there.
        let mut other = other.clone();
        if other.file.is_none() {
            other.file.clone_from(&self.spec.file);
        }
        let (claim, _, _) = parse::<C>(&other).ok()?;
        Some(runner::trial_hash(&claim, &other))
    }
    fn panels(&self, store: &dyn super::store::TrialStore, code: &str, result: &crate::result::ClaimResult) -> Result<Vec<crate::report::Panel>> {
        super::redraw::panels(&self.claim, &self.spec, self.plan(result.budget), &self.hash, code, store, result)
    }
    fn check(&self, run: &Run) -> Result<Outcome> {
        runner::check(&self.claim, &self.spec, self.plan(run.budget), &self.hash, &self.code, run)
    }
}

/// The claim a spec names, from `registry`.
pub fn find<'a>(registry: &[&'a dyn Claim], spec: &ClaimSpec) -> Result<&'a dyn Claim> {
    registry.iter().copied().find(|c| c.id() == spec.claim).ok_or_else(|| {
        let names: Vec<&str> = registry.iter().map(|c| c.id()).collect();
        invalid("claim", format!("must be one of {} (got {:?})", names.join(", "), spec.claim))
    })
}
