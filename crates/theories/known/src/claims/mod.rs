//! The known-truth theory's claims: the matrix's cells, and the harness's own coverage.

pub mod cells;
pub mod coverage;

/// This theory's claims, in the order reports list them.
pub static CLAIMS: &[&dyn scb_harness::claims::Claim] =
    &[&scb_harness::claims::Registered::<coverage::Coverage>::NEW, &scb_harness::claims::Registered::<cells::Cells>::NEW];
