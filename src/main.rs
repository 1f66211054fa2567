//! The `scb` binary: the command line of [`scb::commands::cli`], answering signals.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(scb::commands::cli::main(std::env::args_os(), true))
}
