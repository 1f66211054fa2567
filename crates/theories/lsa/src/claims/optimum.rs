//! Claim lsa_optimum: one layer of linear self-attention trained by SGD on fresh prompts
//! reaches the optimum Gamma* = Sigma M^-1, whose risk R* is known in closed form; for
//! isotropic features without label noise, R* = d(d+1)/(n+d+1).
//!
//! A trial trains Gamma by averaged minibatch SGD from zero ([`Law::sgd`]) and records the
//! *exact* risk of what it reached ([`Law::risk`]), so the only noise is the training's.
//! Per point: the mean risk (`risk`, for formula predictions), its ratio to R* (`risk_ratio`)
//! and the relative distance to Gamma* (`distance`); over the grid, the exponent of n in the
//! risk with one intercept per d (`n_exponent`).

use super::axis;
use crate::Law;
use scb_harness::claims::figures::ci;
use scb_harness::claims::{At, Quantity, TypedClaim};
use scb_harness::error::{check_range, invalid, Result};
use scb_harness::grid::{Axis, Point};
use scb_harness::report::{Panel, Series};
use scb_harness::result::ClaimResult;
use scb_harness::spec::ClaimSpec;
use scb_harness::stats::{within_slope, Quantities};
use serde::{Deserialize, Serialize};

/// The `[settings]` of an `lsa_optimum` spec.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Label noise sigma.
    pub sigma: f64,
    /// Sigma's eigenvalues fall as `j^-decay`, j = 1..d (0: isotropic).
    pub decay: f64,
    /// SGD steps, of which the second half is averaged.
    pub steps: usize,
    /// Prompts per step.
    pub batch: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { sigma: 0.0, decay: 0.0, steps: 2000, batch: 32 }
    }
}

/// One trial: Gamma trained by SGD from zero, measured exactly.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trial {
    /// The exact risk of the trained Gamma.
    pub risk: f64,
    /// Its relative Frobenius distance to Gamma*.
    pub distance: f64,
}

/// The claim `lsa_optimum`: SGD reaches the in-context regression optimum and its closed-form risk.
pub struct Optimum {
    s: Settings,
}

const RISK: Quantity = Quantity::new("risk", "exact risk of the trained Gamma, mean over trials, per point");
const RISK_RATIO: Quantity = Quantity::new("risk_ratio", "risk over the optimum's R*, geometric mean over the grid (per point: risk_ratio@point)");
const DISTANCE: Quantity = Quantity::new("distance", "||Gamma - Gamma*||_F / ||Gamma*||_F, mean over trials, per point");
const N_EXPONENT: Quantity = Quantity::new("n_exponent", "exponent of n in the risk (log-log slope, one intercept per d)");

impl Optimum {
    fn law(&self, point: &Point) -> Law {
        let d = point.at(axis::D) as usize;
        Law { lambda: (1..=d).map(|j| (j as f64).powf(-self.s.decay)).collect(), n: point.at(axis::N) as usize, sigma: self.s.sigma }
    }
}

impl TypedClaim for Optimum {
    const ID: &'static str = "lsa_optimum";
    const ABOUT: &'static str = "linear self-attention trained by SGD reaches the in-context regression optimum and its closed-form risk";
    const QUANTITIES: &'static [Quantity] = &[RISK, RISK_RATIO, DISTANCE, N_EXPONENT];
    const SECTIONS: &'static [&'static str] = &["settings"];
    type Context = Law;
    type Trial = Trial;

    fn new(spec: &ClaimSpec) -> Result<Self> {
        let s: Settings = spec.section("settings")?;
        check_range("settings.sigma", s.sigma, 0.0, 100.0, false)?;
        check_range("settings.decay", s.decay, 0.0, 4.0, false)?;
        if !(2..=1_000_000).contains(&s.steps) || !(1..=100_000).contains(&s.batch) {
            return Err(invalid("settings", format!("steps must be in [2, 1000000] and batch in [1, 100000] (got {} and {})", s.steps, s.batch)));
        }
        if !spec.fixed_task {
            return Err(invalid("fixed_task", "must be true: the prompt law is fixed by the point, so there is no task to draw"));
        }
        Ok(Optimum { s })
    }
    fn axes(&self) -> Vec<Axis> {
        vec![Axis::integer(axis::N, "n", 1, 1_000_000, "examples per prompt"), Axis::integer(axis::D, "d", 1, super::super::MAX_D as i64, "feature dimension")]
    }
    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "settings": self.s })
    }
    fn context(&self, point: &Point, _: u64) -> Result<Law> {
        let law = self.law(point);
        if law.n < law.d() {
            return Err(invalid("grid.n", format!("must be at least d at every point (the prompt's Wishart draw needs n >= d); {} has n < d", point.label())));
        }
        Ok(law)
    }
    fn variables(&self, at: &At<Law>) -> scb_harness::formula::Vars {
        vec![("sigma".into(), self.s.sigma), ("risk_star".into(), at.ctx.risk_star())]
    }
    fn run_trial(&self, at: &At<Law>, seed: u64) -> Trial {
        let law = &at.ctx;
        let g = law.sgd(self.s.steps, self.s.batch, law.step(self.s.batch), &mut scb_harness::rng::rng(seed, scb_harness::rng::stream::DATA));
        Trial { risk: law.risk(&g), distance: law.distance(&g) }
    }
    fn estimate(&self, points: &[&At<Law>], trials: &[Vec<&Trial>]) -> Quantities {
        let mut q = Quantities::new();
        let mean = |ts: &[&Trial], f: fn(&Trial) -> f64| ts.iter().map(|t| f(t)).sum::<f64>() / ts.len() as f64;
        let (mut groups, mut x, mut y, mut log_ratio) = (vec![], vec![], vec![], 0.0);
        for (at, ts) in points.iter().zip(trials) {
            let risk = mean(ts, |t| t.risk);
            q.insert(RISK.at(&at.point), risk);
            q.insert(RISK_RATIO.at(&at.point), risk / at.ctx.risk_star());
            q.insert(DISTANCE.at(&at.point), mean(ts, |t| t.distance));
            log_ratio += (risk / at.ctx.risk_star()).ln();
            groups.push(at.ctx.d() as u64);
            x.push((at.ctx.n as f64).ln());
            y.push(risk.ln());
        }
        q.insert(RISK_RATIO.into(), (log_ratio / points.len() as f64).exp());
        q.insert(N_EXPONENT.into(), within_slope(&groups, &x, &y));
        q
    }
    fn panels(&self, points: &[&At<Law>], _: &[Vec<&Trial>], result: &ClaimResult) -> Vec<Panel> {
        let mut ds: Vec<usize> = points.iter().map(|a| a.ctx.d()).collect();
        ds.dedup();
        ds.sort_unstable();
        ds.dedup();
        let mut series = Vec::new();
        for (c, d) in ds.iter().enumerate() {
            let at: Vec<&&At<Law>> = points.iter().filter(|a| a.ctx.d() == *d).collect();
            let (pts, errs) = at.iter().filter_map(|a| result.q(RISK.at(&a.point)).map(|e| ((a.ctx.n as f64, e.value), (e.lo, e.hi)))).unzip();
            series.push(Series::points(format!("d = {d}: trained {}", ci(result)), c, pts, Some(errs)));
            series.push(Series::dashed(format!("d = {d}: R*"), c, at.iter().map(|a| (a.ctx.n as f64, a.ctx.risk_star())).collect()));
        }
        vec![Panel {
            title: format!("exact risk of the trained Gamma against R*: ratio {:.4}, exponent of n {:.3}", result.value(RISK_RATIO), result.value(N_EXPONENT)),
            x_label: "examples per prompt n".into(),
            y_label: "risk".into(),
            x_log: true,
            y_log: true,
            series,
            ..Default::default()
        }]
    }
}
