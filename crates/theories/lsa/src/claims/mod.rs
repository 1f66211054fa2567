//! Claims about in-context linear regression with linear self-attention (docs/catalogue.md).

pub mod optimum;
pub mod stagewise;

/// The names of this theory's grid axes, declared once.
pub mod axis {
    /// The number of in-context examples n.
    pub const N: &str = "n";
    /// The feature dimension d.
    pub const D: &str = "d";
}

/// This theory's claims, in the order reports list them.
pub static CLAIMS: &[&dyn scb_harness::claims::Claim] =
    &[&scb_harness::claims::Registered::<optimum::Optimum>::NEW, &scb_harness::claims::Registered::<stagewise::Stagewise>::NEW];
