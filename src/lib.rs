//! `scb`: a theory-verification harness for one-layer transformers. Each claim of a theory
//! is a spec in `theorems/` checked by Monte Carlo simulation; the first theory is Ren, Wang
//! & Lee, "Learning and Transferring Sparse Contextual Bigrams with Linear Transformers"
//! (NeurIPS 2024); docs/theory.md is its mathematics, docs/architecture.md this code's map.
//!
//! A claim's path, each step plain data in and out:
//!
//! `spec` (the TOML envelope) -> `theories::REGISTRY` (which claim checks it) -> `grid`
//! (its axes' points, with typed keys) -> `claims::runner` (trials in parallel, records in
//! `claims::store`, resumable) -> the claim's quantities -> `claims::analysis` (bootstrap,
//! verdicts by `verdict`) -> `result` -> the claim's panels -> `report` (SVG, JSON, CSV,
//! the summary page).
//!
//! What trials run on: `theories`, one folder per theory (its data, model, learners,
//! training loop, claims, and commands of its own). Everything else is the harness and
//! names no theory. `commands` is what the CLI does; `main.rs` parses flags.

// Every public item, the theories' included, says what it is: CI's `clippy -D warnings`
// makes a missing doc comment an error.
#![warn(missing_docs)]

pub mod claims;
pub mod commands;
pub mod compare;
pub mod config;
pub mod error;
pub mod external;
pub(crate) mod formula;
pub mod grid;
pub mod intervals;
pub mod io;
pub(crate) mod linalg;
pub mod plan;
pub mod power;
pub mod prelude;
pub mod report;
pub mod result;
pub mod rng;
pub mod spec;
pub mod spec_text;
pub mod stats;
pub mod theories;
pub(crate) mod ui;
pub mod verdict;
pub(crate) mod watch;

pub use error::{Error, Result};
