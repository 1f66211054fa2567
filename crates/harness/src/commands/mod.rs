//! What the CLI subcommands do, as library functions: the binary only parses flags.

pub mod accept;
pub mod calibrate;
pub mod check;
pub mod cli;
pub mod figure;
pub mod submit;
pub mod theory;
