//! The in-context regression theory's closed forms against a direct simulation that shares
//! none of their code: prompts drawn example by example (not by the Bartlett draw the
//! trials use), the optimum's prediction formed from them, and its squared error averaged.

use rand::Rng;
use rand_distr::StandardNormal;
use scb::theories::lsa::Law;

/// The mean of `(x_q^T Gamma* h - w.x_q)^2` over `prompts` prompts of n isotropic examples in
/// dimension d without label noise, with its standard error.
fn monte_carlo_risk_of_the_optimum(d: usize, n: usize, prompts: usize, seed: u64) -> (f64, f64) {
    let gamma = n as f64 / (n + d + 1) as f64;
    let mut rng = scb::rng::rng(seed, scb::rng::stream::DATA);
    let (mut sum, mut sum2) = (0.0, 0.0);
    let (mut w, mut h, mut x) = (vec![0.0; d], vec![0.0; d], vec![0.0; d]);
    for _ in 0..prompts {
        w.iter_mut().for_each(|v| *v = rng.sample(StandardNormal));
        h.iter_mut().for_each(|v| *v = 0.0);
        for _ in 0..n {
            x.iter_mut().for_each(|v| *v = rng.sample(StandardNormal));
            let y: f64 = x.iter().zip(&w).map(|(a, b)| a * b).sum();
            h.iter_mut().zip(&x).for_each(|(hv, xv)| *hv += y * xv / n as f64);
        }
        x.iter_mut().for_each(|v| *v = rng.sample(StandardNormal));
        let e: f64 = x.iter().zip(h.iter().zip(&w)).map(|(q, (hv, wv))| q * (gamma * hv - wv)).sum();
        sum += e * e;
        sum2 += e * e * e * e;
    }
    let mean = sum / prompts as f64;
    (mean, ((sum2 / prompts as f64 - mean * mean) / prompts as f64).sqrt())
}

#[test]
fn the_optimum_s_risk_is_what_a_direct_simulation_measures_at_two_n_and_d() {
    // R* = d(d+1)/(n+d+1): 1.538 at (d, n) = (4, 8) and 2.880 at (8, 16).
    for (d, n, seed) in [(4, 8, 1), (8, 16, 2)] {
        let law = Law { lambda: vec![1.0; d], n, sigma: 0.0 };
        let (mc, se) = monte_carlo_risk_of_the_optimum(d, n, 200_000, seed);
        // Five standard errors: a wrong closed form of the size that matters here (plain
        // gradient descent's, larger by (n+d+1)/n >= 1.6, or the large-n d^2/n) is dozens away.
        assert!((mc - law.risk_star()).abs() < 5.0 * se, "d = {d}, n = {n}: Monte Carlo {mc} ± {se} against R* = {}", law.risk_star());
        assert!(se < 0.01 * law.risk_star(), "the simulation resolves 1% (se {se})");
    }
}
