//! The theories the harness checks, one folder each: a theory's task or data, its model,
//! learners and training loop, its claims (`claims/`, with the list `CLAIMS`) and any
//! commands of its own. Nothing outside this folder names a theory except the binary's
//! wiring (`main.rs`), which hands [`REGISTRY`] to the harness; `tests/architecture.rs`
//! checks that.
//!
//! A new theory is a folder here, a `pub mod` line, and its `CLAIMS` in the list below.

pub mod icl;
pub mod lowrank;
pub mod scb;

use crate::claims::Claim;
use std::sync::LazyLock;

/// Every claim the harness knows, theory by theory, in the order reports list them.
pub static REGISTRY: LazyLock<Vec<&'static dyn Claim>> = LazyLock::new(|| [scb::claims::CLAIMS, icl::claims::CLAIMS, lowrank::claims::CLAIMS].concat());
