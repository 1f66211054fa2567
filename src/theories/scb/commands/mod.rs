//! What the SCB-only subcommands do (`scb train`, `scb figure`, `scb bench-limits`), as
//! library functions: the binary parses their flags.

pub mod bench;
pub mod figures;
pub mod train;
