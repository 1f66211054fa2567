//! The built-in theories, one crate each (`crates/theories/<name>`), and the wiring that
//! hands them to the command line: [`REGISTRY`] (their claims, then the harness's own) and
//! [`COMMANDS`] (their own subcommands). A new theory is a crate there, a line below naming
//! it, and its lists joined to these two.

use scb_harness::claims::Claim;
use scb_harness::commands::theory::TheoryCommands;
use std::sync::LazyLock;

pub use scb_theory_icl as icl;
pub use scb_theory_known as known;
pub use scb_theory_lowrank as lowrank;
pub use scb_theory_lsa as lsa;
pub use scb_theory_scb as scb;

/// Every claim the harness knows, theory by theory, in the order reports list them, then the
/// harness's own (trials written in Python).
pub static REGISTRY: LazyLock<Vec<&'static dyn Claim>> = LazyLock::new(|| {
    [scb::claims::CLAIMS, icl::claims::CLAIMS, lowrank::claims::CLAIMS, lsa::claims::CLAIMS, known::claims::CLAIMS, scb_harness::external::CLAIMS].concat()
});

/// Every theory's own subcommands (SCB's `train`, `figure attention` and benches, the
/// known-truth matrix), which the command line offers beside the harness's.
pub static COMMANDS: [&dyn TheoryCommands; 2] = [&scb::commands::cli::COMMANDS, &known::commands::COMMANDS];

/// The `scb` command line with every built-in theory ([`REGISTRY`], [`COMMANDS`]): the
/// binary (`src/main.rs`) and the Python package's `scb` command. See
/// [`scb_harness::commands::cli::main_with`].
pub fn main<I, T>(args: I, signals: bool) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    scb_harness::commands::cli::main_with(&REGISTRY, &COMMANDS, args, signals)
}
