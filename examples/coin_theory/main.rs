//! A whole `scb` binary with a theory from outside the harness's crate: the built-in
//! theories plus the coin theory of `coin/`, which imports `scb::prelude` alone. Every
//! command serves its claims as it serves the built-in ones (`check`, `merge`, `submit`,
//! `calibrate`, `accept`, `figure`); `tests/plugin_claim.rs` runs them.
//!
//! ```sh
//! cargo run --release --example coin_theory -- check examples/coin_theory/coin_spread.toml --quick
//! ```
//!
//! In a crate of your own, the same two files and `scb` as a dependency make the binary
//! (docs/architecture.md shows the `Cargo.toml`).

mod coin;

use scb::prelude::*;

fn main() -> std::process::ExitCode {
    // The one registry line: the built-in claims, then this theory's; and the built-in
    // theories' own subcommands (this theory has none; one would be a `TheoryCommands`).
    let registry: Vec<&'static dyn Claim> = [REGISTRY.as_slice(), coin::claims::CLAIMS].concat();
    std::process::ExitCode::from(scb::commands::cli::main_with(&registry, &COMMANDS, std::env::args_os(), true))
}
