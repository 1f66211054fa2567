//! The theories the harness checks, one folder each: a theory's task or data, its model,
//! learners and training loop, its claims (`claims/`, with the list `CLAIMS`) and any
//! commands of its own. Nothing outside this folder names a theory except the binary's
//! wiring (`main.rs`), which hands [`REGISTRY`] to the harness; `tests/architecture.rs`
//! checks that.
//!
//! A new theory is a folder here with its `claims::CLAIMS`, and its name in the one list
//! below (which declares the module and joins its claims to the registry).

use crate::claims::Claim;
use std::sync::LazyLock;

/// Declares each theory's module and [`REGISTRY`], in the order reports list them.
macro_rules! theories {
    ($($theory:ident),+) => {
        $(pub mod $theory;)+

        /// Every claim the harness knows, theory by theory, in the order reports list them,
        /// then the harness's own (trials written in Python).
        pub static REGISTRY: LazyLock<Vec<&'static dyn Claim>> = LazyLock::new(|| [$($theory::claims::CLAIMS),+, crate::external::CLAIMS].concat());
    };
}

theories!(scb, icl, lowrank, lsa, known);
