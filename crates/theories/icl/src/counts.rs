//! The expectation over prompts: a weighted set of count vectors, sampled or exact.

use super::loss::{feature_weights, loss_grad_w};
use super::prompts::Prompts;
use rand::Rng;

/// Count vectors with weights: a fixed Monte Carlo sample (equal weights) or, for small
/// problems, every count vector with its multinomial probability.
#[derive(Clone, Debug)]
pub struct CountSet {
    k: usize,
    counts: Vec<u32>,
    weights: Vec<f64>,
}

impl CountSet {
    /// `m` count vectors drawn from the prompts' law.
    pub fn sample<R: Rng>(prompts: &Prompts, m: usize, rng: &mut R) -> CountSet {
        let k = prompts.k();
        let mut counts = vec![0u32; m * k];
        for c in counts.chunks_exact_mut(k) {
            prompts.counts(rng, c);
        }
        CountSet { k, counts, weights: vec![1.0 / m as f64; m] }
    }

    /// Every count vector of L tokens over K features with its probability, if there are at
    /// most `limit` of them.
    pub fn exact(prompts: &Prompts, limit: usize) -> Option<CountSet> {
        let (k, l) = (prompts.k(), prompts.l);
        let mut out = CountSet { k, counts: Vec::new(), weights: Vec::new() };
        let ln_fact = |x: usize| (1..=x).map(|i| (i as f64).ln()).sum::<f64>();
        let lf_l = ln_fact(l);
        let mut n = vec![0u32; k];
        fn rec(pos: usize, left: usize, n: &mut [u32], f: &mut dyn FnMut(&[u32]) -> bool) -> bool {
            if pos + 1 == n.len() {
                n[pos] = left as u32;
                return f(n);
            }
            for c in 0..=left {
                n[pos] = c as u32;
                if !rec(pos + 1, left - c, n, f) {
                    return false;
                }
            }
            true
        }
        let complete = rec(0, l, &mut n, &mut |n: &[u32]| {
            if out.weights.len() >= limit {
                return false;
            }
            let lw = lf_l + n.iter().zip(&prompts.p).map(|(&c, p)| c as f64 * p.ln() - ln_fact(c as usize)).sum::<f64>();
            out.counts.extend_from_slice(n);
            out.weights.push(lw.exp());
            true
        });
        complete.then_some(out)
    }

    /// The number of count vectors.
    pub fn len(&self) -> usize {
        self.weights.len()
    }

    /// Each count vector with its weight.
    pub fn iter(&self) -> impl Iterator<Item = (&[u32], f64)> {
        self.counts.chunks_exact(self.k).zip(self.weights.iter().copied())
    }

    /// Whether the set holds no count vector.
    pub fn is_empty(&self) -> bool {
        self.weights.is_empty()
    }

    /// `loss_k` averaged over the set, and its gradient in `z = Q[:, k]` if asked.
    pub fn loss(&self, z: &[f64], k: usize, mut grad: Option<&mut [f64]>) -> f64 {
        let (mut a, mut g, mut fw) = (vec![0.0; self.k], vec![0.0; self.k], vec![0.0; self.k]);
        feature_weights(z, &mut fw);
        if let Some(gr) = grad.as_deref_mut() {
            gr.fill(0.0);
        }
        let mut loss = 0.0;
        for (n, w) in self.counts.chunks_exact(self.k).zip(&self.weights) {
            loss += w * loss_grad_w(&fw, n, k, &mut a, grad.is_some().then_some(&mut g[..]));
            if let Some(gr) = grad.as_deref_mut() {
                gr.iter_mut().zip(&g).for_each(|(x, y)| *x += w * y);
            }
        }
        loss
    }

    /// The expected attention per feature for query k at `z`.
    pub fn attention(&self, z: &[f64], k: usize) -> Vec<f64> {
        let (mut a, mut mean, mut fw) = (vec![0.0; self.k], vec![0.0; self.k], vec![0.0; self.k]);
        feature_weights(z, &mut fw);
        for (n, w) in self.counts.chunks_exact(self.k).zip(&self.weights) {
            loss_grad_w(&fw, n, k, &mut a, None);
            mean.iter_mut().zip(&a).for_each(|(x, y)| *x += w * y);
        }
        mean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_multinomial() {
        let prompts = Prompts::new(vec![0.5, 0.3, 0.2], 10).unwrap();
        let exact = CountSet::exact(&prompts, 1000).unwrap();
        assert!((exact.weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(exact.len(), 66, "C(12, 2) count vectors");
        // The mean count of each feature is L p, on a large sample.
        let mut rng = scb_harness::rng::rng(1, 2);
        let sample = CountSet::sample(&prompts, 40_000, &mut rng);
        for m in 0..3 {
            let mean: f64 = sample.counts.chunks_exact(3).map(|c| c[m] as f64).sum::<f64>() / 40_000.0;
            let sd = (10.0 * prompts.p[m] * (1.0 - prompts.p[m]) / 40_000.0).sqrt();
            assert!((mean - 10.0 * prompts.p[m]).abs() < 5.0 * sd, "feature {m}: {mean}");
        }
        assert!(CountSet::exact(&Prompts::imbalanced(32, 0.5, 3000).unwrap(), 1000).is_none(), "too many to enumerate");
    }
}
