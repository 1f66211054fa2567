//! The models the harness trains, one folder each: the data they learn from, their
//! parameters and gradients, and how far a model is from the truth.

pub mod icl;
pub mod lowrank;
pub mod scb;
