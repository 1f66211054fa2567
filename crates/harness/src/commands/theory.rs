//! What a theory brings to the command line besides its claims: subcommands of its own
//! (SCB's `train`), figures under `scb figure`, and their place in the help. The command
//! line (`cli`) takes a list of these as it takes the list of claims, so it names no theory:
//! a binary hands both over (`theories::main`, or a crate's own `main`).

use crate::claims::Claim;
use crate::Result;

/// A theory's own subcommands. Written with clap's derive, `add` is the enum's
/// `augment_subcommands`, and `run` is [`parsed`] with the enum.
pub trait TheoryCommands: Sync {
    /// Adds its subcommands to `scb`'s list. Each sets its `display_order` (the harness's
    /// own are 20, 30, 50, 60, 70 and 80: check, calibrate, accept, merge, submit, figure).
    fn add(&self, cli: clap::Command) -> clap::Command;
    /// Adds its figures to `scb figure` (none by default).
    fn add_figures(&self, figure: clap::Command) -> clap::Command {
        figure
    }
    /// Runs the subcommand `cli` (the whole command line's matches) names, or None when it
    /// is not one of its own.
    fn run(&self, cli: &clap::ArgMatches, registry: &[&dyn Claim]) -> Option<Result<u8>>;
    /// Draws the figure `figure` (the matches of `scb figure`) names, or None when it is not
    /// one of its own.
    fn figure(&self, figure: &clap::ArgMatches) -> Option<Result<u8>> {
        let _ = figure;
        None
    }
}

/// Reads the subcommand `parent` names as the derived `clap::Subcommand` enum `S` and runs
/// it, or None when `S` has no such subcommand: what every `run` and `figure` starts with.
pub fn parsed<S: clap::Subcommand>(parent: &clap::ArgMatches, run: impl FnOnce(S) -> Result<u8>) -> Option<Result<u8>> {
    if !S::has_subcommand(parent.subcommand_name()?) {
        return None;
    }
    // The command line was parsed with `S`'s own arguments, so reading them back cannot
    // fail but by a fault of the wiring.
    Some(S::from_arg_matches(parent).map_err(|e| crate::Error::Other(format!("reading the command line: {e}"))).and_then(run))
}
