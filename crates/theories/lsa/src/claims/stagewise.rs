//! Claim lsa_stagewise: with anisotropic features, SGD learns Sigma's eigen-directions one
//! after another, each on the time scale of population gradient descent,
//! `t_j = ln eps / ln(1 - eta lambda_j m_j)`, whose exponent in lambda_j moves from about -2
//! (n small against tr Sigma / lambda_j) toward -3 (n large) as n grows.
//!
//! Gamma's SGD gradient is affine in Gamma and each step draws fresh prompts, so the mean of
//! SGD's iterates is population gradient descent exactly ([`crate::Sgd::step`]).
//! A trial runs SGD from zero and records, per direction j, the residual
//! `r_j = 1 - Gamma_jj / gamma*_j` at the step `c_j = ceil(t_j)`. SGD's time to eps in direction
//! j is then measured from the mean residual over trials, `c_j ln eps / ln mean(r_j)`: the
//! residual of the mean falls geometrically, so this is exact for the mean trajectory at any
//! checkpoint, and its only bias is that of a logarithm of a mean (docs/catalogue.md).
//!
//! Per point (n), per direction (`j=1..d`): the time (`time`) and its ratio to the population
//! time (`time_ratio`); per point, the exponent of lambda in the times (`lambda_exponent`),
//! to be compared with the population times' own (the formula variable
//! `population_exponent`).

use super::axis;
use crate::{Law, Sgd};
use scb_harness::claims::figures::ci;
use scb_harness::claims::{At, Quantity, TypedClaim};
use scb_harness::error::{check_range, invalid, Result};
use scb_harness::grid::{Axis, Point};
use scb_harness::report::{Panel, Series};
use scb_harness::result::ClaimResult;
use scb_harness::spec::ClaimSpec;
use scb_harness::stats::{loglog, Quantities};
use serde::{Deserialize, Serialize};

/// The `[settings]` of an `lsa_stagewise` spec.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Feature dimension.
    pub d: usize,
    /// Sigma's eigenvalues are `ratio^(j-1)`, j = 1..d.
    pub ratio: f64,
    /// Label noise sigma.
    pub sigma: f64,
    /// The step is `rate / max_j lambda_j m_j`: population gradient descent's fastest direction
    /// closes the fraction `rate` of its gap per step.
    pub rate: f64,
    /// The residual each direction's time is taken at.
    pub eps: f64,
    /// Prompts per step.
    pub batch: usize,
    /// Ablation: Gamma is held to a multiple of the identity (one scale for every direction),
    /// so no direction is learnt on its own time scale.
    pub scalar: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { d: 4, ratio: 0.5, sigma: 0.0, rate: 0.1, eps: (-1.0f64).exp(), batch: 256, scalar: false }
    }
}

/// One trial: Gamma's residual in each direction at that direction's checkpoint.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trial {
    /// Per direction j, `1 - Gamma_jj / gamma*_j` at step `ceil(t_j)`.
    pub residual: Vec<f64>,
}

/// A point's law, step, population times and the steps residuals are recorded at.
pub struct Context {
    law: Law,
    eta: f64,
    times: Vec<f64>,
    checkpoints: Vec<usize>,
    exponent: f64,
}

/// The claim `lsa_stagewise`: SGD learns Sigma's directions one at a time, each on its own time scale.
pub struct Stagewise {
    s: Settings,
}

const TIME: Quantity = Quantity::new("time", "SGD's steps to the residual eps, per point and direction j (from the mean residual over trials)");
const TIME_RATIO: Quantity = Quantity::new("time_ratio", "SGD's time over population gradient descent's, per point and direction j");
const LAMBDA_EXPONENT: Quantity = Quantity::new("lambda_exponent", "exponent of lambda_j in SGD's times, per point (log-log slope over the d directions)");

/// The slope of `ln t` on `ln lambda`.
fn exponent(lambda: &[f64], times: &[f64]) -> f64 {
    loglog(lambda, times).1
}

impl Stagewise {
    fn law(&self, n: usize) -> Law {
        Law { lambda: (0..self.s.d).map(|j| self.s.ratio.powi(j as i32)).collect(), n, sigma: self.s.sigma }
    }

    /// SGD's times from the mean residuals of `ts`, one per direction.
    fn times(&self, ctx: &Context, ts: &[&Trial]) -> Vec<f64> {
        (0..self.s.d)
            .map(|j| {
                let r = ts.iter().map(|t| t.residual[j]).sum::<f64>() / ts.len() as f64;
                ctx.checkpoints[j] as f64 * self.s.eps.ln() / r.ln()
            })
            .collect()
    }
}

impl TypedClaim for Stagewise {
    const ID: &'static str = "lsa_stagewise";
    const ABOUT: &'static str =
        "SGD learns an anisotropic Sigma's directions on population gradient descent's time scales, with an exponent in lambda from -2 toward -3";
    const QUANTITIES: &'static [Quantity] = &[TIME, TIME_RATIO, LAMBDA_EXPONENT];
    const SECTIONS: &'static [&'static str] = &["settings"];
    type Context = Context;
    type Trial = Trial;

    fn new(spec: &ClaimSpec) -> Result<Self> {
        let s: Settings = spec.section("settings")?;
        if !(2..=super::super::MAX_D).contains(&s.d) {
            return Err(invalid("settings.d", format!("must be in [2, {}] (got {})", super::super::MAX_D, s.d)));
        }
        // Each of these is a fraction strictly below 1: an isotropic Sigma has no exponent in
        // lambda, a residual of 1 is reached at once, and at a rate of 1 the fastest direction is learnt in one step.
        for (field, x, lo) in [("settings.ratio", s.ratio, 0.01), ("settings.rate", s.rate, 1e-4), ("settings.eps", s.eps, 1e-6)] {
            if !(x > lo && x < 1.0) {
                return Err(invalid(field, format!("must be a finite number in ({lo}, 1) (got {x})")));
            }
        }
        check_range("settings.sigma", s.sigma, 0.0, 100.0, false)?;
        if !(1..=100_000).contains(&s.batch) {
            return Err(invalid("settings.batch", format!("must be in [1, 100000] (got {})", s.batch)));
        }
        if !spec.fixed_task {
            return Err(invalid("fixed_task", "must be true: the prompt law is fixed by the point, so there is no task to draw"));
        }
        Ok(Stagewise { s })
    }
    fn axes(&self) -> Vec<Axis> {
        vec![Axis::integer(axis::N, "n", 1, 1_000_000, "examples per prompt")]
    }
    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "settings": self.s })
    }
    fn context(&self, point: &Point, _: u64) -> Result<Context> {
        let law = self.law(point.at(axis::N) as usize);
        if law.n < law.d() {
            return Err(invalid(
                "grid.n",
                format!("must be at least settings.d at every point (the prompt's Wishart draw needs n >= d); {} has n < d", point.label()),
            ));
        }
        let curvature = law.lambda.iter().zip(law.m()).map(|(l, m)| l * m).fold(0.0, f64::max);
        let eta = self.s.rate / curvature;
        // SGD's second moment contracts only if eta E|x_q|^2 |h|^2 / batch = eta tr Sigma tr M /
        // batch is below 1; half of that keeps its noise a fraction of the signal.
        let noise = eta * law.lambda.iter().sum::<f64>() * law.m().iter().sum::<f64>() / self.s.batch as f64;
        if noise > 0.5 {
            return Err(invalid(
                "settings.batch",
                format!("is too small for the step at {}: eta tr Sigma tr M / batch = {noise:.3} must be at most 0.5", point.label()),
            ));
        }
        let times = law.population_times(eta, self.s.eps);
        let checkpoints: Vec<usize> = times.iter().map(|t| t.ceil() as usize).collect();
        if checkpoints.iter().any(|&c| c > 10_000_000) {
            return Err(invalid("settings", format!("the slowest direction needs more than 10^7 steps at {}: raise rate or ratio", point.label())));
        }
        let exponent = exponent(&law.lambda, &times);
        Ok(Context { law, eta, times, checkpoints, exponent })
    }
    fn variables(&self, at: &At<Context>) -> scb_harness::formula::Vars {
        vec![("population_exponent".into(), at.ctx.exponent), ("eps".into(), self.s.eps)]
    }
    fn run_trial(&self, at: &At<Context>, seed: u64) -> Trial {
        let (ctx, d) = (&at.ctx, self.s.d);
        let star = ctx.law.gamma_star();
        let mut rng = scb_harness::rng::rng(seed, scb_harness::rng::stream::DATA);
        let (mut sgd, mut g) = (Sgd::new(&ctx.law), vec![0.0; d * d]);
        let mut residual = vec![f64::NAN; d];
        let last = *ctx.checkpoints.iter().max().expect("d >= 2");
        for t in 1..=last {
            sgd.step(&mut g, self.s.batch, ctx.eta, &mut rng);
            if self.s.scalar {
                let scale = (0..d).map(|j| g[j * d + j]).sum::<f64>() / d as f64;
                g.iter_mut().enumerate().for_each(|(k, v)| *v = if k % (d + 1) == 0 { scale } else { 0.0 });
            }
            for (j, c) in ctx.checkpoints.iter().enumerate() {
                if *c == t {
                    residual[j] = 1.0 - g[j * d + j] / star[j * d + j];
                }
            }
        }
        Trial { residual }
    }
    fn estimate(&self, points: &[&At<Context>], trials: &[Vec<&Trial>]) -> Quantities {
        let mut q = Quantities::new();
        for (at, ts) in points.iter().zip(trials) {
            let times = self.times(&at.ctx, ts);
            for (j, (t, pop)) in times.iter().zip(&at.ctx.times).enumerate() {
                q.insert(TIME.at_cell(&at.point, "j", j + 1), *t);
                q.insert(TIME_RATIO.at_cell(&at.point, "j", j + 1), t / pop);
            }
            q.insert(LAMBDA_EXPONENT.at(&at.point), exponent(&at.ctx.law.lambda, &times));
        }
        q
    }
    fn panels(&self, points: &[&At<Context>], _: &[Vec<&Trial>], result: &ClaimResult) -> Vec<Panel> {
        let mut series = Vec::new();
        for (c, at) in points.iter().enumerate() {
            let (pts, errs) =
                (0..self.s.d).filter_map(|j| result.q(TIME.at_cell(&at.point, "j", j + 1)).map(|e| ((at.ctx.law.lambda[j], e.value), (e.lo, e.hi)))).unzip();
            let measured = result.q(LAMBDA_EXPONENT.at(&at.point)).map_or(f64::NAN, |e| e.value);
            series.push(Series::points(format!("n = {}: SGD {}, exponent {measured:.3}", at.ctx.law.n, ci(result)), c, pts, Some(errs)));
            let population = at.ctx.law.lambda.iter().zip(&at.ctx.times).map(|(l, t)| (*l, *t)).collect();
            series.push(Series::dashed(format!("n = {}: population GD, exponent {:.3}", at.ctx.law.n, at.ctx.exponent), c, population));
        }
        vec![Panel {
            title: format!(
                "steps to the residual {} per eigen-direction of Sigma: SGD against population gradient descent",
                scb_harness::verdict::num(self.s.eps)
            ),
            x_label: "eigenvalue lambda_j".into(),
            y_label: "steps".into(),
            x_log: true,
            y_log: true,
            series,
            ..Default::default()
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scb_harness::grid::Coord;

    fn at(claim: &Stagewise, n: usize) -> At<Context> {
        let point = Point { coords: vec![Coord { name: axis::N.into(), symbol: "n".into(), value: n as f64, integer: true }] };
        let ctx = claim.context(&point, 0).unwrap();
        At { point, ctx }
    }

    #[test]
    fn residuals_on_the_population_path_measure_the_population_times_and_exponent() {
        // Two trials whose residuals straddle the population's at each checkpoint by +-1%: the
        // mean is the population's, so every time ratio is 1 and the exponent is the
        // population's, up to the logarithm's second-order term (1e-4 / 2).
        let claim = Stagewise { s: Settings { sigma: 2.0, ..Settings::default() } };
        let at = at(&claim, 16);
        let law = &at.ctx.law;
        let pop: Vec<f64> = law.lambda.iter().zip(law.m()).zip(&at.ctx.checkpoints).map(|((l, m), c)| (1.0 - at.ctx.eta * l * m).powi(*c as i32)).collect();
        let (up, down) = (Trial { residual: pop.iter().map(|r| r * 1.01).collect() }, Trial { residual: pop.iter().map(|r| r * 0.99).collect() });
        let q = claim.estimate(&[&at], &[vec![&up, &down]]);
        for j in 1..=4 {
            let ratio = q[&TIME_RATIO.at_cell(&at.point, "j", j)];
            assert!((ratio - 1.0).abs() < 1e-9, "direction {j}: {ratio}");
        }
        assert!((q[&LAMBDA_EXPONENT.at(&at.point)] - at.ctx.exponent).abs() < 1e-9);
        assert!((at.ctx.exponent + 2.5287).abs() < 1e-4, "population exponent {}", at.ctx.exponent);
        // Residuals 10% above the path read as times shorter by ln(1.1) / |ln eps| (eps = 1/e).
        let slow = Trial { residual: pop.iter().map(|r| r * 1.1).collect() };
        let q = claim.estimate(&[&at], &[vec![&slow]]);
        let ratio = q[&TIME_RATIO.at_cell(&at.point, "j", 1)];
        assert!((ratio - 1.0 / (1.0 - 1.1f64.ln() / (at.ctx.checkpoints[0] as f64 / at.ctx.times[0]))).abs() < 1e-9, "{ratio}");
    }

    #[test]
    fn a_batch_too_small_for_the_step_or_n_below_d_is_refused_naming_the_field() {
        let claim = Stagewise { s: Settings { batch: 1, rate: 0.9, sigma: 2.0, ..Settings::default() } };
        let point = Point { coords: vec![Coord { name: axis::N.into(), symbol: "n".into(), value: 4.0, integer: true }] };
        let err = claim.context(&point, 0).err().expect("refused").to_string();
        assert!(err.contains("settings.batch"), "{err}");
        let claim = Stagewise { s: Settings::default() };
        let point = Point { coords: vec![Coord { name: axis::N.into(), symbol: "n".into(), value: 3.0, integer: true }] };
        assert!(claim.context(&point, 0).err().expect("refused").to_string().contains("grid.n"));
    }
}
