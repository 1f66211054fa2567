//! The coin theory's claims: a new claim is a file here and one line in `CLAIMS`.

pub mod spread;

use scb::prelude::*;

pub static CLAIMS: &[&dyn Claim] = &[&Registered::<spread::Spread>::NEW];
