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

#[cfg(test)]
mod tests {
    use super::*;
    use scb_harness::config::Validate;

    #[test]
    fn a_step_moves_by_the_batch_mean_gradient() {
        let data = Data { l: 6, p_rel: 0.5, sigma: 0.3, random_labels: false };
        // A large start and a few steps, so that the hinge is active and every weight moves.
        let t = Training { lr: 0.3, batch: 4, steps: 3, init: 0.7, d_attn: 3 };
        let (start, end) = train(&data, 8, 8, 6, &t, &mut scb_harness::rng::rng(5, 5));
        // The same draws, by hand: each sample's gradient at weight 1, averaged, then a step.
        let mut rng = scb_harness::rng::rng(5, 5);
        let mut net = Net::init(8, 3, 6, 0.7, &mut rng);
        assert_eq!(net.wv, start.wv);
        for _ in 0..t.steps {
            let mut sum = net.zeros_like();
            for _ in 0..t.batch {
                let (x, y) = data.draw(8, 8, &mut rng);
                let mut one = net.zeros_like();
                net.loss_grad(&x, y, &mut one, 1.0);
                for (s, o) in [(&mut sum.wq, &one.wq), (&mut sum.wk, &one.wk), (&mut sum.wv, &one.wv), (&mut sum.wo, &one.wo)] {
                    *s += o;
                }
            }
            for s in [&mut sum.wq, &mut sum.wk, &mut sum.wv, &mut sum.wo] {
                *s /= t.batch as f64;
            }
            net.step(&sum, t.lr);
        }
        for (name, a, b, s) in [
            ("W_Q", &end.wq, &net.wq, &start.wq),
            ("W_K", &end.wk, &net.wk, &start.wk),
            ("W_V", &end.wv, &net.wv, &start.wv),
            ("W_O", &end.wo, &net.wo, &start.wo),
        ] {
            let moved = (b - s).iter().map(|v| v.abs()).fold(0.0, f64::max);
            assert!(moved > 1e-3, "{name} did not move: {moved}");
            let off = (a - b).iter().map(|v| v.abs()).fold(0.0, f64::max);
            assert!(off < 1e-12 * (1.0 + moved), "{name}: train() is {off} from the batch-mean step");
        }
    }

    #[test]
    fn a_configuration_needs_positive_rates_and_whole_counts() {
        assert!(Training::default().validate().is_ok());
        let ok = |f: fn(&mut Training)| {
            let mut t = Training::default();
            f(&mut t);
            t.validate().is_ok()
        };
        assert!(ok(|t| t.batch = 1) && ok(|t| t.steps = 1) && ok(|t| t.d_attn = 1));
        assert!(!ok(|t| t.batch = 0) && !ok(|t| t.steps = 0) && !ok(|t| t.d_attn = 0));
        assert!(!ok(|t| t.lr = 0.0) && !ok(|t| t.lr = -1.0) && !ok(|t| t.init = 0.0) && !ok(|t| t.init = 11.0));
    }
}
