//! The sparse contextual bigram (docs/theory.md §1-2): the task generator and sampler, the
//! one-layer linear transformer with its gradients, the distances to the truth, and the
//! starting points of a run.

pub mod alias;
pub mod init;
pub mod metrics;
pub mod model;
pub mod statistics;
pub mod task;
