//! The sparse contextual bigram (docs/theory.md §1-6), the first theory: the task generator
//! and sampler, the one-layer linear transformer with its gradients, the distances to the
//! truth and the starting points of a run; the learners behind one trait and the training
//! loop; the claims; and the commands that train one model or draw the paper's figures.

// Every public item says what it is: CI's `clippy -D warnings` makes a missing doc comment
// an error.
#![warn(missing_docs)]

pub mod alias;
pub mod claims;
pub mod commands;
pub mod init;
pub mod learners;
pub mod metrics;
pub mod model;
pub mod statistics;
pub mod task;
pub mod train;
