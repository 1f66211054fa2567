//! The one-layer transformer: forward pass, hinge loss and its hand-written gradient.

use ndarray::{Array1, Array2, Axis};
use rand::Rng;
use rand_distr::StandardNormal;

/// The transformer's parameters (row-major matrices).
#[derive(Clone, Debug, PartialEq)]
pub struct Net {
    /// Query weights, d_attn x d.
    pub wq: Array2<f64>,
    /// Key weights, d_attn x d.
    pub wk: Array2<f64>,
    /// Value weights, d x d.
    pub wv: Array2<f64>,
    /// Output layer, m x d: one row per neuron.
    pub wo: Array2<f64>,
    /// Fixed output signs, +-1/m.
    pub a: Array1<f64>,
}

/// Gradients of the four trainable matrices.
#[derive(Clone, Debug, PartialEq)]
pub struct Grads {
    /// The gradient of W_Q.
    pub wq: Array2<f64>,
    /// The gradient of W_K.
    pub wk: Array2<f64>,
    /// The gradient of W_V.
    pub wv: Array2<f64>,
    /// The gradient of W_O.
    pub wo: Array2<f64>,
}

impl Net {
    /// Small random start: W_Q, W_K, W_V with entries N(0, init^2), W_O with N(0, 1/d_v).
    pub fn init<R: Rng>(d: usize, d_attn: usize, m: usize, init: f64, rng: &mut R) -> Net {
        let mut g = |r: usize, c: usize, s: f64| Array2::from_shape_fn((r, c), |_| s * rng.sample::<f64, _>(StandardNormal));
        let (wq, wk, wv) = (g(d_attn, d, init), g(d_attn, d, init), g(d, d, init));
        let wo = g(m, d, 1.0 / (d as f64).sqrt());
        let a = Array1::from_shape_fn(m, |i| if i % 2 == 0 { 1.0 } else { -1.0 } / m as f64);
        Net { wq, wk, wv, wo, a }
    }

    /// Zero gradients of this net's shapes, to accumulate into.
    pub fn zeros_like(&self) -> Grads {
        Grads {
            wq: Array2::zeros(self.wq.raw_dim()),
            wk: Array2::zeros(self.wk.raw_dim()),
            wv: Array2::zeros(self.wv.raw_dim()),
            wo: Array2::zeros(self.wo.raw_dim()),
        }
    }

    /// Keys, queries, values, the attention (L x L, column l = output l's weights over s),
    /// contexts (d_v x L) and hidden pre-activations (m x L) of one sequence.
    fn forward(&self, x: &Array2<f64>) -> [Array2<f64>; 6] {
        let (k, q, v) = (self.wk.dot(x), self.wq.dot(x), self.wv.dot(x));
        let mut alpha = k.t().dot(&q);
        for mut col in alpha.axis_iter_mut(Axis(1)) {
            let top = col.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            col.mapv_inplace(|s| (s - top).exp());
            let z = col.sum();
            col /= z;
        }
        let c = v.dot(&alpha);
        let h = self.wo.dot(&c);
        [k, q, v, alpha, c, h]
    }

    /// The output F(X).
    pub fn output(&self, x: &Array2<f64>) -> f64 {
        let [.., h] = self.forward(x);
        let l = x.ncols() as f64;
        h.axis_iter(Axis(1)).map(|col| col.iter().zip(&self.a).map(|(hi, ai)| ai * hi.max(0.0)).sum::<f64>()).sum::<f64>() / l
    }

    /// Hinge loss of one sequence, adding its gradient to `g` (scaled by `scale`).
    pub fn loss_grad(&self, x: &Array2<f64>, y: f64, g: &mut Grads, scale: f64) -> f64 {
        let [k, q, v, alpha, c, h] = self.forward(x);
        let l = x.ncols() as f64;
        let f: f64 = h.axis_iter(Axis(1)).map(|col| col.iter().zip(&self.a).map(|(hi, ai)| ai * hi.max(0.0)).sum::<f64>()).sum::<f64>() / l;
        let loss = (1.0 - y * f).max(0.0);
        if loss <= 0.0 {
            return 0.0;
        }
        // dLoss/dF = -y; g_l = dF/dh_l = 1/L a o 1[h > 0].
        let mut gh = Array2::zeros(h.raw_dim());
        for (mut gcol, hcol) in gh.axis_iter_mut(Axis(1)).zip(h.axis_iter(Axis(1))) {
            for ((gi, hi), ai) in gcol.iter_mut().zip(hcol).zip(&self.a) {
                *gi = if *hi > 0.0 { -y * ai / l } else { 0.0 };
            }
        }
        g.wo.scaled_add(scale, &gh.dot(&c.t()));
        let dc = self.wo.t().dot(&gh);
        let dv = dc.dot(&alpha.t());
        g.wv.scaled_add(scale, &dv.dot(&x.t()));
        let dalpha = v.t().dot(&dc);
        let mut ds = Array2::zeros(alpha.raw_dim());
        for ((mut dcol, acol), gcol) in ds.axis_iter_mut(Axis(1)).zip(alpha.axis_iter(Axis(1))).zip(dalpha.axis_iter(Axis(1))) {
            let inner: f64 = acol.iter().zip(&gcol).map(|(a, g)| a * g).sum();
            for ((d, a), gg) in dcol.iter_mut().zip(&acol).zip(&gcol) {
                *d = a * (gg - inner);
            }
        }
        let dk = q.dot(&ds.t());
        let dq = k.dot(&ds);
        g.wk.scaled_add(scale, &dk.dot(&x.t()));
        g.wq.scaled_add(scale, &dq.dot(&x.t()));
        loss
    }

    /// One gradient step of size `lr` on the four trainable matrices (the output signs stay).
    pub fn step(&mut self, g: &Grads, lr: f64) {
        self.wq.scaled_add(-lr, &g.wq);
        self.wk.scaled_add(-lr, &g.wk);
        self.wv.scaled_add(-lr, &g.wv);
        self.wo.scaled_add(-lr, &g.wo);
    }

    /// The fraction of sequences the sign of F gets wrong.
    pub fn error(&self, test: &[(Array2<f64>, f64)]) -> f64 {
        test.iter().filter(|(x, y)| self.output(x) * y <= 0.0).count() as f64 / test.len() as f64
    }
}
