//! `scb`: a theory-verification harness for one-layer transformers, put together. Each
//! claim of a theory is a spec in `theorems/` checked by Monte Carlo simulation; the first
//! theory is Ren, Wang & Lee, "Learning and Transferring Sparse Contextual Bigrams with
//! Linear Transformers" (NeurIPS 2024); docs/theory.md is its mathematics,
//! docs/architecture.md this code's map.
//!
//! The harness is the crate `scb_harness` (`crates/harness`), re-exported here whole, and
//! each theory is a crate of its own (`crates/theories/*`), re-exported as
//! [`theories`]`::<name>`; this package is only their wiring ([`theories::REGISTRY`],
//! [`theories::COMMANDS`], [`theories::main`]) and the `scb` binary.

#![warn(missing_docs)]

pub use scb_harness::*;

pub mod theories;

/// What a claim's author needs, in one import: the harness's prelude
/// ([`scb_harness::prelude`]) with the built-in theories' lists, to build a binary that
/// serves them beside one's own.
pub mod prelude {
    pub use crate::theories::{COMMANDS, REGISTRY};
    pub use scb_harness::prelude::*;
}
