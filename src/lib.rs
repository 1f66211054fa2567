//! `scb`: a theory-verification harness for Ren, Wang & Lee, "Learning and Transferring
//! Sparse Contextual Bigrams with Linear Transformers" (NeurIPS 2024).
//!
//! The pieces, each plain data in and out (the mathematics is docs/theory.md):
//! `task` (the SCB generator and sampler) -> `model` (the linear transformer, its
//! per-sample and population gradients) -> `algo` (ScbProx and SGD behind one trait)
//! -> `train` (one run) -> `report` (SVG figures).

pub mod algo;
pub mod alias;
pub mod bench;
pub mod claims;
pub mod commands;
pub mod error;
pub mod init;
pub mod io;
pub mod linalg;
pub mod metrics;
pub mod model;
pub mod report;
pub mod rng;
pub mod stats;
pub mod task;
pub mod train;
pub mod verdict;

pub use error::{Error, Result};
