//! `scb_harness`: the theory-independent part of scb, a theory-verification harness. Each
//! claim of a theory is a spec in `theorems/` checked by Monte Carlo simulation; the
//! theories are crates of their own (`crates/theories/`), which depend on this one and
//! which this one never names; docs/architecture.md is the code's map.
//!
//! A claim's path, each step plain data in and out:
//!
//! `spec` (the TOML envelope) -> a registry (which claim checks it) -> `grid`
//! (its axes' points, with typed keys) -> `claims::runner` (trials in parallel, records in
//! `claims::store`, resumable) -> the claim's quantities -> `claims::analysis` (bootstrap,
//! verdicts by `verdict`) -> `result` -> the claim's panels -> `report` (SVG, JSON, CSV,
//! the summary page).
//!
//! What trials run on: the theory crates, one per theory (its data, model, learners,
//! training loop, claims, and commands of its own). `commands` is what the CLI does; the
//! root package's `main.rs` hands it the theories.

// Every public item says what it is: CI's `clippy -D warnings` makes a missing doc comment
// an error.
#![warn(missing_docs)]

pub mod claims;
pub mod commands;
pub mod compare;
pub mod config;
pub mod error;
pub mod external;
pub mod formula;
pub mod grid;
pub mod intervals;
pub mod io;
pub mod linalg;
pub mod plan;
pub mod power;
pub mod prelude;
pub mod report;
pub mod result;
pub mod rng;
pub mod spec;
pub mod spec_text;
pub mod stats;
pub mod ui;
pub mod verdict;
pub mod watch;

pub use error::{Error, Result};
