//! Claims about a one-layer transformer trained by SGD on label-relevant and irrelevant
//! patterns (docs/theory.md §8; the set-up is reconstructed from the abstract of Li, Wang,
//! Zhang, Liu & Chen, 2024). What they share: the `[data]` and `[training]` tables, the grid
//! axes (patterns M, dimension d, width m), and a fixed test set per point.

pub mod pruning;
pub mod updates;

/// The names of this theory's grid axes, declared once: axes, grid lookups and checks' `where` use them.
pub mod axis {
    /// The number of orthonormal patterns M (2 of them label-relevant).
    pub const PATTERNS: &str = "patterns";
    /// The token dimension d.
    pub const D: &str = "d";
    /// The number of neurons m (rows of W_O).
    pub const M: &str = "m";
}

use crate::{Data, Training};
use ndarray::Array2;
use scb_harness::config::Valid;
use scb_harness::error::{invalid, Result};
use scb_harness::grid::{Axis, Point};
use scb_harness::spec::ClaimSpec;

/// The tables these claims read.
pub const SECTIONS: &[&str] = &["data", "training", "settings"];

/// The trait items every claim of this theory shares, read off its `setup` and settings `s`:
/// its axes, the records' configuration, and a point's test set.
macro_rules! lowrank_setting {
    () => {
        fn axes(&self) -> Vec<scb_harness::grid::Axis> {
            self.setup.axes()
        }
        fn config(&self) -> serde_json::Value {
            serde_json::json!({ "data": self.setup.data, "training": self.setup.training, "settings": self.s })
        }
        fn context(&self, point: &scb_harness::grid::Point, seed: u64) -> scb_harness::error::Result<Self::Context> {
            Ok(self.setup.test_set(point, seed))
        }
    };
}
pub(crate) use lowrank_setting;

/// What both claims read besides their settings.
pub struct Setup {
    /// How sequences are drawn (`[data]`).
    pub data: Valid<Data>,
    /// How the net is trained (`[training]`).
    pub training: Valid<Training>,
    /// The spec's master seed.
    pub seed: u64,
    /// Test sequences per point.
    pub test_size: usize,
}

impl Setup {
    /// The setup of a spec, refused unless `test_size` >= 100 and every grid point has at most d patterns.
    pub fn from(spec: &ClaimSpec, test_size: usize) -> Result<Setup> {
        let (data, training): (Valid<Data>, Valid<Training>) = (spec.validated("data")?, spec.validated("training")?);
        if test_size < 100 {
            return Err(invalid("settings.test_size", "must be at least 100"));
        }
        let setup = Setup { data, training, seed: spec.seed, test_size };
        for (field, grid) in spec.grids() {
            for p in scb_harness::grid::points(&setup.axes(), &grid, field)? {
                if p.at(axis::PATTERNS) > p.at(axis::D) {
                    return Err(invalid(
                        format!("{field}.patterns"),
                        format!("must be at most d: M orthonormal patterns in R^d (got M={} at d={})", p.at(axis::PATTERNS), p.at(axis::D)),
                    ));
                }
            }
        }
        Ok(setup)
    }

    /// The grid axes both claims share: patterns M, dimension d and neurons m.
    pub fn axes(&self) -> Vec<Axis> {
        vec![
            Axis::integer(axis::PATTERNS, "M", 3, 4096, "orthonormal patterns (2 label-relevant)").or(8.0),
            Axis::integer(axis::D, "d", 3, 4096, "token dimension").or(32.0),
            Axis::integer(axis::M, "m", 2, 1 << 16, "neurons of W_O").or(32.0),
        ]
    }

    /// A test set at the point: fresh sequences from the task's seed and the point's key.
    pub fn test_set(&self, p: &Point, seed: u64) -> Vec<(Array2<f64>, f64)> {
        let mut rng = scb_harness::rng::rng(seed ^ scb_harness::rng::fnv1a(p.key().as_bytes()), scb_harness::rng::stream::PREDICT);
        let (mp, d) = (p.at(axis::PATTERNS) as usize, p.at(axis::D) as usize);
        (0..self.test_size).map(|_| self.data.draw(mp, d, &mut rng)).collect()
    }

    /// Trains at point `p` from the trial's seed; returns the start and the trained net.
    pub fn train(&self, p: &Point, seed: u64) -> (crate::Net, crate::Net) {
        let mut rng = scb_harness::rng::rng(seed, scb_harness::rng::stream::DATA);
        crate::train(&self.data, p.at(axis::PATTERNS) as usize, p.at(axis::D) as usize, p.at(axis::M) as usize, &self.training, &mut rng)
    }
}

/// This theory's claims, in the order reports list them: a new claim is a file in this
/// folder and one line here.
pub static CLAIMS: &[&dyn scb_harness::claims::Claim] =
    &[&scb_harness::claims::Registered::<updates::Updates>::NEW, &scb_harness::claims::Registered::<pruning::MagnitudePruning>::NEW];
