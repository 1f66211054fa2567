//! What a claim's author needs, in one import: `use scb_harness::prelude::*;`.
//!
//! A claim is a type implementing [`TypedClaim`]: its grid axes, the context built once per
//! task at a grid point, one Monte Carlo trial, the named quantities of a set of trials, and
//! the panels of its figure. [`Registered`] makes it a registry entry; [`check`] runs specs
//! against a registry and writes each one's folder (result.json, CSV, SVG, records) and the
//! summary page. The spec (TOML) says which checks judge the quantities.
//!
//! # Example
//!
//! A claim that the mean of `n` fair coin tosses has spread `n^-1/2`, checked on a tiny grid:
//!
//! ```
//! use scb_harness::prelude::*;
//!
//! struct Spread;
//!
//! const EXPONENT: Quantity = Quantity::new("exponent", "exponent of n in the spread");
//!
//! #[derive(serde::Serialize, serde::Deserialize)]
//! struct Trial {
//!     mean: f64,
//! }
//!
//! impl TypedClaim for Spread {
//!     const ID: &'static str = "spread";
//!     const ABOUT: &'static str = "the mean of n tosses spreads as n^-1/2";
//!     const QUANTITIES: &'static [Quantity] = &[EXPONENT];
//!     const SECTIONS: &'static [&'static str] = &[];
//!     type Context = ();
//!     type Trial = Trial;
//!
//!     fn new(_: &ClaimSpec) -> Result<Self> {
//!         Ok(Spread)
//!     }
//!     fn axes(&self) -> Vec<Axis> {
//!         vec![Axis::integer("tosses", "n", 1, 1 << 20, "tosses per mean")]
//!     }
//!     fn config(&self) -> serde_json::Value {
//!         serde_json::Value::Null
//!     }
//!     fn context(&self, _: &Point, _: u64) -> Result<()> {
//!         Ok(())
//!     }
//!     fn run_trial(&self, at: &At<()>, seed: u64) -> Trial {
//!         use rand::Rng;
//!         let mut rng = rng::rng(seed, rng::stream::DATA);
//!         let n = at.point.at("tosses") as usize;
//!         Trial { mean: (0..n).filter(|_| rng.random::<bool>()).count() as f64 / n as f64 }
//!     }
//!     fn estimate(&self, points: &[&At<()>], trials: &[Vec<&Trial>]) -> Quantities {
//!         let (mut x, mut y) = (vec![], vec![]);
//!         for (at, ts) in points.iter().zip(trials) {
//!             let var = ts.iter().map(|t| (t.mean - 0.5).powi(2)).sum::<f64>() / ts.len() as f64;
//!             x.push(at.point.at("tosses").ln());
//!             y.push(0.5 * var.ln());
//!         }
//!         Quantities::from([(EXPONENT.into(), ols(&x, &y).1)])
//!     }
//!     fn panels(&self, _: &[&At<()>], _: &[Vec<&Trial>], _: &ClaimResult) -> Vec<Panel> {
//!         vec![]
//!     }
//! }
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::write(
//!     dir.path().join("spread.toml"),
//!     r#"
//! id = "spread"
//! claim = "spread"
//! statement = "The mean of n tosses spreads as n^-1/2."
//! seed = 1
//! trials = 200
//! fixed_task = true
//! [grid]
//! tosses = [16, 256]
//! [quick]
//! trials = 50
//! [[check]]
//! quantity = "exponent"
//! kind = "equal"
//! predict = -0.5
//! tolerance = 0.2
//! "#,
//! )?;
//! let registry: Vec<&dyn Claim> = vec![&Registered::<Spread>::NEW];
//! let opts = CheckOptions { out: dir.path().join("reports"), theorems: dir.path().into(), ..CheckOptions::default() };
//! let checked = check(&registry, &["spread".to_string()], &opts)?;
//! assert!(checked.as_expected());
//! assert!(dir.path().join("reports/spread/result.json").is_file());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub use crate::claims::figures::{ci, per_point};
pub use crate::claims::{At, Claim, Key, Quantity, Registered, TypedClaim};
pub use crate::commands::check::{check, check_with, CheckOptions, Checked};
pub use crate::commands::theory::TheoryCommands;
pub use crate::error::{check_range, invalid, Error, Result};
pub use crate::grid::{Axis, Point};
pub use crate::plan::Budget;
pub use crate::report::{Panel, Reporter, Reports, Series};
pub use crate::result::ClaimResult;
pub use crate::rng;
pub use crate::spec::ClaimSpec;
pub use crate::stats::{censored_median, ols, within_slope, Quantities};
