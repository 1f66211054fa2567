//! Claim checkers (spec §5-6). A claim is a `theorems/<id>.toml` spec plus a `Claim`
//! impl with three jobs: run one Monte Carlo trial, turn trials into named quantities,
//! and draw them. Everything else (grid, seeds, resume, bootstrap, verdicts, files) is
//! shared and lives here and in `runner`.

pub mod beats_sgd;
pub mod runner;
pub mod softmax_link;
pub mod stage_one;
pub mod stage_two;
pub mod transfer;

use crate::algo::AlgoConfig;
use crate::error::{check_range, invalid, io_err, Result};
use crate::stats::{Estimate, Quantities};
use crate::task::{Task, TaskConfig};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

pub const CLAIMS: [&str; 5] = ["stage_one", "stage_two", "transfer", "beats_sgd", "softmax_link"];

/// Parameter values to sweep; the run is their cartesian product. An empty list means
/// the `[task]` value (and no rho).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Grid {
    pub n: Vec<usize>,
    pub t: Vec<usize>,
    pub q: Vec<usize>,
    pub rho: Vec<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quick {
    pub trials: usize,
    /// Keys given here replace the full grid's.
    #[serde(default)]
    pub grid: Grid,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// `predict` lies in the interval widened by `tolerance` on each side.
    Equal,
    /// Same on a log scale: the interval widened by a factor `1 + tolerance`.
    Ratio,
    /// The interval's upper end is at most `predict + tolerance`.
    Below,
    /// The interval's lower end is at least `predict - tolerance`.
    Above,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    pub quantity: String,
    pub kind: Kind,
    pub predict: f64,
    pub tolerance: f64,
    #[serde(default)]
    pub why: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimSpec {
    pub id: String,
    pub statement: String,
    /// What the last full-grid run found and why, in words; shown on the summary page.
    /// Informational only: it judges nothing.
    #[serde(default)]
    pub finding: String,
    pub seed: u64,
    pub trials: usize,
    #[serde(default = "default_bootstrap")]
    pub bootstrap: usize,
    /// Confidence level of the bootstrap intervals.
    #[serde(default = "default_level")]
    pub level: f64,
    #[serde(default)]
    pub task: TaskConfig,
    pub algorithm: AlgoConfig,
    #[serde(default)]
    pub grid: Grid,
    pub quick: Quick,
    /// Claim-specific settings, parsed (strictly) by the claim.
    #[serde(default)]
    pub settings: toml::Table,
    #[serde(rename = "check")]
    pub checks: Vec<CheckSpec>,
}

fn default_bootstrap() -> usize {
    1000
}
fn default_level() -> f64 {
    0.95
}

impl ClaimSpec {
    pub fn load(path: &Path) -> Result<ClaimSpec> {
        let text = std::fs::read_to_string(path).map_err(io_err(path))?;
        let spec: ClaimSpec = toml::from_str(&text)
            .map_err(|e| invalid(path.display().to_string(), crate::commands::one_line(&e.to_string())))?;
        spec.validate().map_err(|e| match e {
            crate::Error::Invalid { field, msg } => invalid(format!("{}: {field}", path.display()), msg),
            e => e,
        })?;
        Ok(spec)
    }

    pub fn validate(&self) -> Result<()> {
        if !CLAIMS.contains(&self.id.as_str()) {
            return Err(invalid("id", format!("must be one of {} (got {:?})", CLAIMS.join(", "), self.id)));
        }
        for (name, n) in [("trials", self.trials), ("quick.trials", self.quick.trials)] {
            if !(2..=100_000).contains(&n) {
                return Err(invalid(name, format!("must be an integer in [2, 100000] (got {n})")));
            }
        }
        if !(0..=1_000_000).contains(&self.bootstrap) {
            return Err(invalid("bootstrap", format!("must be in [0, 1000000] (got {})", self.bootstrap)));
        }
        check_range("level", self.level, 0.5, 0.999, false)?;
        self.algorithm.validate()?;
        for quick in [false, true] {
            for p in self.points(quick) {
                self.task_config(&p).validate()?;
                if let Some(r) = p.rho {
                    check_range("grid.rho", r, 0.0, 1.0, false)?;
                }
            }
        }
        for (i, c) in self.checks.iter().enumerate() {
            check_range(&format!("check[{i}].tolerance"), c.tolerance, 0.0, f64::MAX, false)?;
            if !c.predict.is_finite() {
                return Err(invalid(format!("check[{i}].predict"), "must be a finite number"));
            }
        }
        if self.checks.is_empty() {
            return Err(invalid("check", "a claim needs at least one [[check]]"));
        }
        Ok(())
    }

    pub fn grid(&self, quick: bool) -> Grid {
        if !quick {
            return self.grid.clone();
        }
        let q = &self.quick.grid;
        let pick = |a: &Vec<usize>, b: &Vec<usize>| if a.is_empty() { b.clone() } else { a.clone() };
        Grid {
            n: pick(&q.n, &self.grid.n),
            t: pick(&q.t, &self.grid.t),
            q: pick(&q.q, &self.grid.q),
            rho: if q.rho.is_empty() { self.grid.rho.clone() } else { q.rho.clone() },
        }
    }

    pub fn trials(&self, quick: bool) -> usize {
        if quick {
            self.quick.trials
        } else {
            self.trials
        }
    }

    /// The grid's points, in a fixed order (n, t, q, rho).
    pub fn points(&self, quick: bool) -> Vec<Point> {
        let g = self.grid(quick);
        let or = |v: &Vec<usize>, d: usize| if v.is_empty() { vec![d] } else { v.clone() };
        let rhos: Vec<Option<f64>> = if g.rho.is_empty() { vec![None] } else { g.rho.iter().map(|&r| Some(r)).collect() };
        let mut out = Vec::new();
        for &n in &or(&g.n, self.task.n) {
            for &t in &or(&g.t, self.task.t) {
                for &q in &or(&g.q, self.task.q) {
                    for &rho in &rhos {
                        out.push(Point { n, t, q, rho });
                    }
                }
            }
        }
        out
    }

    pub fn task_config(&self, p: &Point) -> TaskConfig {
        TaskConfig { n: p.n, t: p.t, q: p.q, ..self.task.clone() }
    }

    /// Identifies everything a trial's outcome depends on (not the grid, trial count,
    /// or predictions), so records from another configuration are never mixed in.
    pub fn trial_hash(&self) -> String {
        let key = serde_json::json!({
            "id": self.id, "seed": self.seed, "task": self.task,
            "algorithm": self.algorithm, "settings": self.settings,
            "version": env!("CARGO_PKG_VERSION"),
        });
        format!("{:016x}", fnv1a(key.to_string().as_bytes()))
    }

    pub fn settings<S: DeserializeOwned>(&self) -> Result<S> {
        toml::Value::Table(self.settings.clone())
            .try_into()
            .map_err(|e| invalid("settings", crate::commands::one_line(&e.to_string())))
    }
}

pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3))
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub n: usize,
    pub t: usize,
    pub q: usize,
    pub rho: Option<f64>,
}

impl Point {
    pub fn label(&self) -> String {
        let mut s = format!("N={},T={},Q={}", self.n, self.t, self.q);
        if let Some(r) = self.rho {
            s += &format!(",rho={r}");
        }
        s
    }
    /// A trial's seed depends on the point's values, not its position in the grid, so
    /// growing a grid or switching between quick and full reuses finished trials.
    pub fn trial_seed(&self, base: u64, trial: usize) -> u64 {
        crate::rng::derive(base ^ fnv1a(self.label().as_bytes()), trial as u64)
    }
}

/// A grid point with its task (one task per point, drawn from the spec's seed, so the
/// points with the same N share P).
pub struct PointTask {
    pub point: Point,
    pub task: Task,
}

/// What a claim implements.
pub trait Claim: Sync + Sized {
    type Trial: Serialize + DeserializeOwned + Send + Sync;
    /// Quantities the spec may check, with one line each for the report.
    const QUANTITIES: &'static [(&'static str, &'static str)];
    fn new(spec: &ClaimSpec) -> Result<Self>;
    fn run_trial(&self, pt: &PointTask, seed: u64) -> Self::Trial;
    /// Named quantities from the trials of every point (`trials[i]` belongs to `points[i]`).
    /// Per-point quantities are named `name@label`.
    fn estimate(&self, points: &[PointTask], trials: &[Vec<&Self::Trial>]) -> Quantities;
    fn figure(&self, points: &[PointTask], trials: &[Vec<&Self::Trial>], result: &ClaimResult, path: &Path) -> Result<()>;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    #[serde(flatten)]
    pub spec: CheckSpec,
    pub description: String,
    pub estimate: Estimate,
    pub pass: bool,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClaimResult {
    pub id: String,
    pub statement: String,
    pub pass: bool,
    pub quick: bool,
    pub trials_per_point: usize,
    pub points: Vec<Point>,
    pub checks: Vec<CheckResult>,
    /// Every quantity with its interval, per-point ones included.
    pub quantities: BTreeMap<String, Estimate>,
    pub spec: ClaimSpec,
}

impl ClaimResult {
    pub fn q(&self, name: &str) -> Option<&Estimate> {
        self.quantities.get(name)
    }
}

/// Judges one check: the prediction against the estimate's interval.
pub fn judge(c: &CheckSpec, e: &Estimate, level: f64) -> (bool, String) {
    let max_undefined = (1.0 - level) / 2.0;
    if !e.value.is_finite() || e.undefined > max_undefined {
        return (
            false,
            format!(
                "undefined (in {:.0}% of bootstrap replicates): the grid does not bracket the quantity",
                100.0 * e.undefined.max(if e.value.is_finite() { 0.0 } else { 1.0 })
            ),
        );
    }
    let (lo, hi, p, tol) = (e.lo, e.hi, c.predict, c.tolerance);
    let (ok, range) = match c.kind {
        Kind::Equal => (lo - tol <= p && p <= hi + tol, format!("[{:.4}, {:.4}]", lo - tol, hi + tol)),
        Kind::Ratio => {
            let (a, b) = (lo / (1.0 + tol), hi * (1.0 + tol));
            (a <= p && p <= b, format!("[{a:.4}, {b:.4}]"))
        }
        Kind::Below => (hi <= p + tol, format!("upper end {hi:.4} <= {:.4}", p + tol)),
        Kind::Above => (lo >= p - tol, format!("lower end {lo:.4} >= {:.4}", p - tol)),
    };
    let verdict = if ok { "holds" } else { "fails" };
    let reason = match c.kind {
        Kind::Equal | Kind::Ratio => format!("{verdict}: prediction {p} vs interval widened by tolerance {range}"),
        _ => format!("{verdict}: {range}"),
    };
    (ok, reason)
}

/// "id: PASS" or "id: FAIL (which checks fail)", for figure titles.
pub fn figure_title(r: &ClaimResult) -> String {
    let failed: Vec<&str> = r.checks.iter().filter(|c| !c.pass).map(|c| c.spec.quantity.as_str()).collect();
    let verdict = if r.pass { "PASS".to_string() } else { format!("FAIL ({} fails)", failed.join(", ")) };
    let quick = if r.quick { " (quick grid)" } else { "" };
    format!("{}: {verdict}{quick}", r.id)
}
