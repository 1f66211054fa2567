//! Minibatch SGD from the small random start.

use super::data::Data;
use super::net::Net;
use rand::Rng;
use scb_harness::error::{check_range, invalid, Result};
use serde::{Deserialize, Serialize};

/// How the net is trained.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Training {
    /// Learning rate.
    pub lr: f64,
    /// Sequences per step.
    pub batch: usize,
    /// SGD steps.
    pub steps: u64,
    /// Standard deviation of W_Q, W_K, W_V's entries at the start.
    pub init: f64,
    /// Rows of W_Q and W_K (the attention's inner dimension).
    pub d_attn: usize,
}

impl Default for Training {
    fn default() -> Self {
        Training { lr: 0.5, batch: 32, steps: 2000, init: 0.01, d_attn: 16 }
    }
}

scb_harness::validated!(Training);

impl scb_harness::config::Validate for Training {
    fn validate(&self) -> Result<()> {
        check_range("training.lr", self.lr, 0.0, 1e6, true)?;
        check_range("training.init", self.init, 0.0, 10.0, true)?;
        if self.batch < 1 || self.steps < 1 || self.d_attn < 1 {
            return Err(invalid("training", "batch, steps and d_attn must be whole numbers >= 1"));
        }
        Ok(())
    }
}

/// Trains from the small random start on fresh batches; returns the start and the end.
pub fn train<R: Rng>(data: &Data, m_patterns: usize, d: usize, m: usize, t: &Training, rng: &mut R) -> (Net, Net) {
    let start = Net::init(d, t.d_attn, m, t.init, rng);
    let mut net = start.clone();
    let mut g = net.zeros_like();
    for _ in 0..t.steps {
        for x in [&mut g.wq, &mut g.wk, &mut g.wv, &mut g.wo] {
            x.fill(0.0);
        }
        for _ in 0..t.batch {
            let (x, y) = data.draw(m_patterns, d, rng);
            net.loss_grad(&x, y, &mut g, 1.0 / t.batch as f64);
        }
        net.step(&g, t.lr);
    }
    (start, net)
}
