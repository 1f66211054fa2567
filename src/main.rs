//! The `scb` binary: the command line of [`scb::commands::cli`] with every built-in theory
//! ([`scb::theories::main`]), answering signals.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(scb::theories::main(std::env::args_os(), true))
}
