//! A theory from outside the harness's crate, written as a newcomer would add one: this
//! folder, and one registry line (in `../main.rs`, which makes it a whole `scb` binary, and
//! in `tests/plugin_claim.rs`). Its files import `scb::prelude` and nothing else of the
//! harness.
//!
//! The theory is a coin with bias p: it has no task to draw and no training loop, so the
//! folder holds only its claims. A theory with a model puts it here too, beside `claims/`
//! (as `crates/theories/icl/` does).

pub mod claims;
