//! Trials written outside Rust. A spec with `claim = "python"` names a function
//! (`module:function`) that takes a point (axis values by grid name) and a seed and returns
//! named numbers; the harness does the rest as for any claim: seeds from point keys,
//! resumable records, shards and SLURM, the bootstrap, formula predictions, verdicts,
//! figures. `claim` is the claim; `worker` runs the function, in a pool of interpreter
//! processes or in a host's own process (the Python package's `trial=` callable).
//! This is part of the harness, not a theory: it names none.

mod bound;
pub mod claim;
pub mod worker;

use crate::claims::{Claim, Registered};

/// The harness's own claims, joined to the theories' in `theories::REGISTRY`.
pub static CLAIMS: &[&dyn Claim] = &[&Registered::<claim::Python>::NEW];
