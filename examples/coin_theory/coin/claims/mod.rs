//! The coin theory's claims: a new claim is a file here and one line in `CLAIMS`.

pub mod spread;

/// The names of this theory's grid axes, declared once.
pub mod axis {
    pub const P: &str = "p";
    pub const TOSSES: &str = "tosses";
}

use scb::prelude::*;

pub static CLAIMS: &[&dyn Claim] = &[&Registered::<spread::Spread>::NEW];
