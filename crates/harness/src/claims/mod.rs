//! Claims: what a theorem spec is checked by, as far as the harness knows them. A claim is
//! one file in its theory's folder implementing [`TypedClaim`] (its axes, its per-point
//! context, one Monte Carlo trial, the quantities of a set of trials, the panels of its
//! figure), one line in its theory's `CLAIMS`, and one TOML in `theorems/`. Everything
//! else is shared: the runner simulates and resumes trials
//! (`runner`, records behind `store`), `analysis` turns trials into intervals and verdicts,
//! and the caller writes the files. Plain data passes between them.

pub(crate) mod analysis;
pub mod claim;
pub mod code;
pub mod figures;
pub mod key;
pub(crate) mod predictions;
pub mod quantity;
mod redraw;
pub(crate) mod registry;
pub(crate) mod runner;
pub(crate) mod sample;
pub mod store;

pub use claim::{At, Claim, Missing, Outcome, Prepared, Run, TypedClaim};
pub use key::Key;
pub use quantity::Quantity;
pub use registry::{find, Registered};
