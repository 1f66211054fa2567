//! In-context linear regression with one layer of linear self-attention (Ahn, Cheng,
//! Daneshmand & Sra, NeurIPS 2023; Zhang, Frei & Bartlett, JMLR 2024): a theory whose
//! optimum, risk and population dynamics are known in closed form (docs/catalogue.md).
//!
//! A prompt holds n examples `(x_i, y_i)` and a query `x_q`, the features drawn from
//! N(0, Sigma), the task `w ~ N(0, I_d)`, the labels `y_i = w.x_i + sigma eps_i`; the target
//! is `w.x_q`. The prediction-relevant part of the attention layer is a d x d matrix Gamma:
//! `y_hat = x_q^T Gamma h`, `h = (1/n) sum_i y_i x_i`. Sigma is taken diagonal: `w`'s law is
//! rotation invariant, so Sigma's eigenbasis loses nothing, and every closed form below is
//! then a sum over its eigenvalues.

// Every public item says what it is: CI's `clippy -D warnings` makes a missing doc comment
// an error.
#![warn(missing_docs)]

pub mod claims;

use rand::Rng;
use rand_distr::{ChiSquared, Distribution, StandardNormal};

/// The largest feature dimension a prompt is drawn for (its factor lives on the stack).
pub const MAX_D: usize = 64;

/// The law of a prompt: Sigma's eigenvalues, the number of examples and the label noise.
#[derive(Clone, Debug, PartialEq)]
pub struct Law {
    /// Sigma's eigenvalues, one per direction (d of them).
    pub lambda: Vec<f64>,
    /// In-context examples per prompt.
    pub n: usize,
    /// The label noise's standard deviation.
    pub sigma: f64,
}

/// Gamma, d x d, row-major.
pub type Gamma = Vec<f64>;

impl Law {
    /// The feature dimension d.
    pub fn d(&self) -> usize {
        self.lambda.len()
    }

    fn trace(&self) -> f64 {
        self.lambda.iter().sum()
    }

    /// The diagonal of `M = E[h h^T] = ((n+1)/n) Sigma^2 + ((tr Sigma + sigma^2)/n) Sigma`,
    /// from Gaussian fourth moments.
    pub fn m(&self) -> Vec<f64> {
        let (n, s) = (self.n as f64, self.trace() + self.sigma * self.sigma);
        self.lambda.iter().map(|l| (n + 1.0) / n * l * l + s / n * l).collect()
    }

    /// The exact risk `E (y_hat - w.x_q)^2 = tr(Sigma Gamma M Gamma^T) - 2 tr(Sigma Gamma Sigma) + tr Sigma`.
    pub fn risk(&self, g: &[f64]) -> f64 {
        let (d, m) = (self.d(), self.m());
        let mut r = self.trace();
        for i in 0..d {
            for j in 0..d {
                r += self.lambda[i] * g[i * d + j] * g[i * d + j] * m[j];
            }
            r -= 2.0 * self.lambda[i] * self.lambda[i] * g[i * d + i];
        }
        r
    }

    /// The optimum `Gamma* = Sigma M^-1`, diagonal.
    pub fn gamma_star(&self) -> Gamma {
        let d = self.d();
        let mut g = vec![0.0; d * d];
        for (j, (l, m)) in self.lambda.iter().zip(self.m()).enumerate() {
            g[j * d + j] = l / m;
        }
        g
    }

    /// `R* = sum_j lambda_j (lambda_j + s) / ((n+1) lambda_j + s)`, `s = tr Sigma + sigma^2`.
    pub fn risk_star(&self) -> f64 {
        let (n, s) = (self.n as f64, self.trace() + self.sigma * self.sigma);
        self.lambda.iter().map(|l| l * (l + s) / ((n + 1.0) * l + s)).sum()
    }

    /// `||Gamma - Gamma*||_F / ||Gamma*||_F`.
    pub fn distance(&self, g: &[f64]) -> f64 {
        let star = self.gamma_star();
        let diff: f64 = g.iter().zip(&star).map(|(a, b)| (a - b) * (a - b)).sum();
        (diff / star.iter().map(|b| b * b).sum::<f64>()).sqrt()
    }

    /// Population gradient descent from Gamma = 0 at step `eta`, in Sigma's eigenbasis:
    /// `gamma_j(t) = gamma*_j (1 - (1 - eta lambda_j m_j)^t)`. Its residual `1 - gamma_j/gamma*_j`
    /// falls to `eps` at the (real) time `ln eps / ln(1 - eta lambda_j m_j)`, one per direction.
    pub fn population_times(&self, eta: f64, eps: f64) -> Vec<f64> {
        self.lambda.iter().zip(self.m()).map(|(l, m)| eps.ln() / (1.0 - eta * l * m).ln()).collect()
    }

    /// A step size SGD on fresh prompts is stable at: half the smaller of the population
    /// loss's inverse curvature, `1/(lambda_max m_max)`, and the batch over the mean squared
    /// norm of one prompt's feature `x_q h^T`, `E|x_q|^2 |h|^2 = tr Sigma tr M`.
    pub fn step(&self, batch: usize) -> f64 {
        let m = self.m();
        let curvature = self.lambda.iter().zip(&m).map(|(l, m)| l * m).fold(0.0, f64::max);
        0.5 * (1.0 / curvature).min(batch as f64 / (self.trace() * m.iter().sum::<f64>()))
    }

    /// One prompt's `(w, h, x_q)`, drawn without its n examples: `X^T X` is Wishart, drawn
    /// by Bartlett's decomposition (`X^T X = L A A^T L^T`, `L = Sigma^1/2`, A lower
    /// triangular with `A_ii^2 ~ chi^2_{n-i}` and standard normals below the diagonal), and
    /// given X, `X^T eps ~ N(0, X^T X) = L A z`. So `h = L A (A^T L w + sigma z) / n` has
    /// exactly the law of `(1/n) sum_i y_i x_i`, at a cost of order d^2 instead of n d.
    /// Needs n >= d (checked by the claim).
    pub fn prompt<R: Rng>(&self, chi: &[ChiSquared<f64>], rng: &mut R, w: &mut [f64], h: &mut [f64], q: &mut [f64]) {
        let d = self.d();
        let scale = |i: usize| self.lambda[i].sqrt();
        let mut a = [[0.0f64; MAX_D]; MAX_D];
        for i in 0..d {
            a[i][i] = chi[i].sample(rng).sqrt();
            for v in a[i].iter_mut().take(i) {
                *v = rng.sample(StandardNormal);
            }
        }
        for v in w.iter_mut() {
            *v = rng.sample(StandardNormal);
        }
        // t = A^T L w + sigma z, then h = L A t / n.
        let mut t = [0.0f64; MAX_D];
        for (j, tj) in t.iter_mut().enumerate().take(d) {
            let z: f64 = rng.sample(StandardNormal);
            *tj = (j..d).map(|i| a[i][j] * scale(i) * w[i]).sum::<f64>() + self.sigma * z;
        }
        for i in 0..d {
            h[i] = scale(i) * (0..=i).map(|j| a[i][j] * t[j]).sum::<f64>() / self.n as f64;
        }
        for (i, v) in q.iter_mut().enumerate() {
            *v = scale(i) * rng.sample::<f64, _>(StandardNormal);
        }
    }

    /// The chi-squared laws of Bartlett's diagonal: `n - i` degrees of freedom, i = 0..d.
    pub fn bartlett(&self) -> Vec<ChiSquared<f64>> {
        (0..self.d()).map(|i| ChiSquared::new((self.n - i) as f64).expect("n >= d")).collect()
    }

    /// Minibatch SGD on the squared loss `1/2 (y_hat - w.x_q)^2` over fresh prompts from
    /// Gamma = 0, `steps` steps of `batch` prompts at step `eta`; returns the average of the
    /// iterates over the second half (Polyak-Ruppert), whose excess risk falls as 1/prompts.
    pub fn sgd<R: Rng>(&self, steps: usize, batch: usize, eta: f64, rng: &mut R) -> Gamma {
        let d = self.d();
        let mut sgd = Sgd::new(self);
        let (mut g, mut avg) = (vec![0.0; d * d], vec![0.0; d * d]);
        for t in 0..steps {
            sgd.step(&mut g, batch, eta, rng);
            if t >= steps / 2 {
                avg.iter_mut().zip(&g).for_each(|(a, v)| *a += v);
            }
        }
        let kept = (steps - steps / 2) as f64;
        avg.iter_mut().for_each(|a| *a /= kept);
        avg
    }
}

/// Minibatch SGD's working state for one law: Bartlett's chi-squared laws and the buffers of
/// one prompt and one gradient.
pub struct Sgd<'a> {
    law: &'a Law,
    chi: Vec<ChiSquared<f64>>,
    grad: Gamma,
    w: Vec<f64>,
    h: Vec<f64>,
    q: Vec<f64>,
}

impl<'a> Sgd<'a> {
    /// SGD's working state for `law`, its buffers zeroed.
    pub fn new(law: &'a Law) -> Sgd<'a> {
        let d = law.d();
        Sgd { law, chi: law.bartlett(), grad: vec![0.0; d * d], w: vec![0.0; d], h: vec![0.0; d], q: vec![0.0; d] }
    }

    /// One step on `batch` fresh prompts: `Gamma -= eta/batch sum e q h^T`, `e = y_hat - w.x_q`.
    /// Its expectation is the population step `Gamma - eta Sigma (Gamma M - Sigma)`, the
    /// gradient being affine in Gamma and the prompts independent of it: the mean of SGD's
    /// iterates is population gradient descent exactly.
    pub fn step<R: Rng>(&mut self, g: &mut [f64], batch: usize, eta: f64, rng: &mut R) {
        let d = self.law.d();
        let Sgd { law, chi, grad, w, h, q } = self;
        grad.iter_mut().for_each(|v| *v = 0.0);
        for _ in 0..batch {
            law.prompt(chi, rng, w, h, q);
            let mut e = -q.iter().zip(w.iter()).map(|(a, b)| a * b).sum::<f64>();
            for i in 0..d {
                e += q[i] * (0..d).map(|j| g[i * d + j] * h[j]).sum::<f64>();
            }
            for i in 0..d {
                for j in 0..d {
                    grad[i * d + j] += e * q[i] * h[j];
                }
            }
        }
        g.iter_mut().zip(grad.iter()).for_each(|(v, gr)| *v -= eta / batch as f64 * gr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iso(d: usize, n: usize, sigma: f64) -> Law {
        Law { lambda: vec![1.0; d], n, sigma }
    }

    #[test]
    fn the_isotropic_optimum_is_n_over_n_plus_d_plus_1_with_risk_d_d_plus_1_over_n_plus_d_plus_1() {
        for (d, n) in [(4, 8), (4, 32), (8, 16)] {
            let law = iso(d, n, 0.0);
            let (df, nf) = (d as f64, n as f64);
            assert!((law.gamma_star()[0] - nf / (nf + df + 1.0)).abs() < 1e-14);
            assert!((law.risk_star() - df * (df + 1.0) / (nf + df + 1.0)).abs() < 1e-12);
            assert!((law.risk(&law.gamma_star()) - law.risk_star()).abs() < 1e-12);
        }
    }

    #[test]
    fn plain_one_step_gradient_descent_has_risk_d_times_d_plus_1_plus_sigma_squared_over_n() {
        let law = iso(4, 8, 0.5);
        let identity: Gamma = (0..16).map(|k| if k % 5 == 0 { 1.0 } else { 0.0 }).collect();
        assert!((law.risk(&identity) - 4.0 * (5.0 + 0.25) / 8.0).abs() < 1e-12);
    }

    #[test]
    fn the_optimum_minimises_the_exact_risk_in_every_direction() {
        let law = Law { lambda: vec![2.0, 1.0, 0.25], n: 10, sigma: 0.3 };
        let star = law.gamma_star();
        for k in 0..9 {
            for h in [1e-3, -1e-3] {
                let mut g = star.clone();
                g[k] += h;
                assert!(law.risk(&g) > law.risk_star());
            }
        }
    }

    #[test]
    fn the_exact_risk_is_what_fresh_prompts_measure() {
        // Monte Carlo of (y_hat - w.x_q)^2 at an arbitrary Gamma, against the closed form.
        let law = Law { lambda: vec![1.5, 0.5], n: 6, sigma: 0.4 };
        let g = vec![0.7, 0.1, -0.2, 0.9];
        let mut rng = scb_harness::rng::rng(1, scb_harness::rng::stream::DATA);
        let mut normal = || -> f64 { rng.sample(StandardNormal) };
        let trials = 400_000;
        let mut sum = 0.0;
        for _ in 0..trials {
            let w = [normal(), normal()];
            let mut h = [0.0; 2];
            for _ in 0..6 {
                let x = [1.5f64.sqrt() * normal(), 0.5f64.sqrt() * normal()];
                let y = x[0] * w[0] + x[1] * w[1] + 0.4 * normal();
                h[0] += y * x[0] / 6.0;
                h[1] += y * x[1] / 6.0;
            }
            let q = [1.5f64.sqrt() * normal(), 0.5f64.sqrt() * normal()];
            let yhat = q[0] * (g[0] * h[0] + g[1] * h[1]) + q[1] * (g[2] * h[0] + g[3] * h[1]);
            sum += (yhat - q[0] * w[0] - q[1] * w[1]).powi(2);
        }
        let mc = sum / trials as f64;
        // The squared error's relative spread is a few units, so 400,000 prompts give about
        // 0.5% standard error: 2.5% is five of them.
        assert!((mc / law.risk(&g) - 1.0).abs() < 0.025, "Monte Carlo {mc} against {}", law.risk(&g));
    }

    #[test]
    fn a_prompt_drawn_by_bartlett_has_the_second_moment_m_and_the_cross_moment_sigma() {
        // E[h h^T] = M (diagonal) and E[h w^T] = Sigma: the moments every closed form uses.
        let law = Law { lambda: vec![1.5, 1.0, 0.5], n: 5, sigma: 0.7 };
        let (chi, mut rng) = (law.bartlett(), scb_harness::rng::rng(2, scb_harness::rng::stream::DATA));
        let (mut w, mut h, mut q) = (vec![0.0; 3], vec![0.0; 3], vec![0.0; 3]);
        let prompts = 400_000;
        let (mut hh, mut hw, mut qq) = ([[0.0; 3]; 3], [[0.0; 3]; 3], [0.0; 3]);
        for _ in 0..prompts {
            law.prompt(&chi, &mut rng, &mut w, &mut h, &mut q);
            for i in 0..3 {
                for j in 0..3 {
                    hh[i][j] += h[i] * h[j] / prompts as f64;
                    hw[i][j] += h[i] * w[j] / prompts as f64;
                }
                qq[i] += q[i] * q[i] / prompts as f64;
            }
        }
        let m = law.m();
        for i in 0..3 {
            for j in 0..3 {
                let (want_hh, want_hw) = if i == j { (m[i], law.lambda[i]) } else { (0.0, 0.0) };
                // Standard errors are below 0.01 of the diagonal at 400,000 prompts.
                assert!((hh[i][j] - want_hh).abs() < 0.03 * m[0], "E[h h^T][{i}][{j}] = {} against {want_hh}", hh[i][j]);
                assert!((hw[i][j] - want_hw).abs() < 0.03 * law.lambda[0], "E[h w^T][{i}][{j}] = {} against {want_hw}", hw[i][j]);
            }
            assert!((qq[i] / law.lambda[i] - 1.0).abs() < 0.02);
        }
    }

    #[test]
    fn the_population_times_are_those_of_iterating_the_exact_population_step() {
        // Gamma <- Gamma - eta Sigma (Gamma M - Sigma), diagonal, until each residual is below eps.
        let law = Law { lambda: vec![1.0, 0.5, 0.25], n: 6, sigma: 0.3 };
        let (m, star, eta, eps) = (law.m(), law.gamma_star(), 0.2, 0.1);
        let times = law.population_times(eta, eps);
        for j in 0..3 {
            let (mut g, mut t) = (0.0, 0usize);
            while 1.0 - g / star[j * 3 + j] > eps {
                g -= eta * law.lambda[j] * (g * m[j] - law.lambda[j]);
                t += 1;
            }
            assert_eq!(t, times[j].ceil() as usize, "direction {j}: {} steps against {}", t, times[j]);
        }
    }

    #[test]
    fn the_mean_of_sgd_is_population_gradient_descent() {
        // Over 400 runs of 40 steps, the mean diagonal of Gamma against gamma*_j (1 - (1 - eta
        // lambda_j m_j)^t); the off-diagonal means against 0.
        let law = Law { lambda: vec![1.0, 0.25], n: 4, sigma: 0.5 };
        let (m, star, eta, runs, steps) = (law.m(), law.gamma_star(), 0.3, 400, 40);
        let mut mean = [0.0; 4];
        let mut rng = scb_harness::rng::rng(4, scb_harness::rng::stream::DATA);
        for _ in 0..runs {
            let (mut sgd, mut g) = (Sgd::new(&law), vec![0.0; 4]);
            for _ in 0..steps {
                sgd.step(&mut g, 8, eta, &mut rng);
            }
            mean.iter_mut().zip(&g).for_each(|(a, v)| *a += v / runs as f64);
        }
        for j in 0..2 {
            let want = star[j * 2 + j] * (1.0 - (1.0 - eta * law.lambda[j] * m[j]).powi(steps));
            // One run's entry spreads by about 0.1 here, so 400 runs give 0.005: 0.03 is six.
            assert!((mean[j * 2 + j] - want).abs() < 0.03, "direction {j}: {} against {want}", mean[j * 2 + j]);
        }
        assert!(mean[1].abs() < 0.03 && mean[2].abs() < 0.03, "off-diagonal {:?}", mean);
    }

    #[test]
    fn averaged_sgd_reaches_the_optimum() {
        let law = Law { lambda: vec![1.0, 0.5, 0.25], n: 12, sigma: 0.2 };
        let g = law.sgd(2000, 32, law.step(32), &mut scb_harness::rng::rng(3, scb_harness::rng::stream::DATA));
        assert!(law.risk(&g) / law.risk_star() < 1.01, "{} against {}", law.risk(&g), law.risk_star());
        assert!(law.distance(&g) < 0.1);
    }

    #[test]
    fn sgd_returns_the_mean_of_the_second_half_of_its_iterates() {
        let law = Law { lambda: vec![1.0, 0.25], n: 4, sigma: 0.5 };
        let (steps, batch, eta) = (7, 3, 0.2);
        let got = law.sgd(steps, batch, eta, &mut scb_harness::rng::rng(6, 6));
        // The same draws by hand: iterates 4 to 7 of 7 (steps - steps / 2 of them), averaged.
        let mut rng = scb_harness::rng::rng(6, 6);
        let (mut sgd, mut g) = (Sgd::new(&law), vec![0.0; 4]);
        let mut iterates = Vec::new();
        for _ in 0..steps {
            sgd.step(&mut g, batch, eta, &mut rng);
            iterates.push(g.clone());
        }
        for e in 0..4 {
            let want = iterates[3..].iter().map(|it| it[e]).sum::<f64>() / 4.0;
            assert!((got[e] - want).abs() < 1e-15, "entry {e}: {} against {want}", got[e]);
            let first_half = iterates[..3].iter().map(|it| it[e]).sum::<f64>() / 3.0;
            assert!((want - first_half).abs() > 1e-3, "entry {e}: the halves must differ for this to test anything");
        }
    }
}
