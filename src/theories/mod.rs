//! The theories the harness checks, one folder each: a theory's task or data, its model,
//! learners and training loop, its claims (`claims/`, with the list `CLAIMS`) and any
//! commands of its own. Nothing outside this folder names a theory: this file is the
//! wiring, which hands [`REGISTRY`] and [`COMMANDS`] to the command line ([`main`]);
//! `tests/architecture.rs` checks that.
//!
//! A new theory is a folder here with its `claims::CLAIMS`, declared below with `pub mod`
//! and its `CLAIMS` joined to [`REGISTRY`] (`tests/architecture.rs` checks that every folder
//! here is both).

use crate::claims::Claim;
use crate::commands::theory::TheoryCommands;
use std::sync::LazyLock;

// Plain module declarations, not a macro: rustfmt, clippy and cargo-mutants walk the source
// through them, and none of them expands a macro that declares modules.
pub mod icl;
pub mod known;
pub mod lowrank;
pub mod lsa;
pub mod scb;

/// Every claim the harness knows, theory by theory, in the order reports list them, then the
/// harness's own (trials written in Python).
pub static REGISTRY: LazyLock<Vec<&'static dyn Claim>> = LazyLock::new(|| {
    [scb::claims::CLAIMS, icl::claims::CLAIMS, lowrank::claims::CLAIMS, lsa::claims::CLAIMS, known::claims::CLAIMS, crate::external::CLAIMS].concat()
});

/// Every theory's own subcommands (SCB's `train`, `figure attention` and benches, the
/// known-truth matrix), which the command line offers beside the harness's.
pub static COMMANDS: [&dyn TheoryCommands; 2] = [&scb::commands::cli::COMMANDS, &known::commands::COMMANDS];

/// The `scb` command line with every built-in theory ([`REGISTRY`], [`COMMANDS`]): the
/// binary (`src/main.rs`) and the Python package's `scb` command. See
/// [`crate::commands::cli::main_with`].
pub fn main<I, T>(args: I, signals: bool) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    crate::commands::cli::main_with(&REGISTRY, &COMMANDS, args, signals)
}
