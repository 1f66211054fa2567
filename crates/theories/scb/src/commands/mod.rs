//! What the SCB-only subcommands do (`scb train`, `scb figure attention`, `scb bench-limits`),
//! as library functions, and their flags (`cli`), which the command line takes through
//! [`cli::COMMANDS`].

pub mod bench;
pub mod cli;
pub mod figures;
pub mod train;
