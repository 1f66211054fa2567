//! What the CLI subcommands do, as library functions: the binary only parses flags.

pub mod bench;
pub mod calibrate;
pub mod check;
pub mod figures;
pub mod submit;
pub mod train;
