//! Claim checkers (docs/theory.md §4-5). A claim is a `theorems/<id>.toml` spec plus a `Claim`
//! impl with three jobs: run one Monte Carlo trial, turn trials into named quantities,
//! and draw them. Everything else (grid, seeds, resume, bootstrap, verdicts, files) is
//! shared and lives here and in `runner`.

pub mod beats_sgd;
pub mod runner;
pub mod softmax_link;
pub mod stage_one;
pub mod stage_two;
pub mod transfer;
pub mod two_stage;

use crate::algo::AlgoConfig;
use crate::error::{check_range, invalid, io_err, Result};
use crate::stats::{Estimate, Quantities};
pub use crate::verdict::{Expect, Kind, Verdict};
use crate::task::{Task, TaskConfig};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

pub const CLAIMS: [&str; 6] = ["stage_one", "stage_two", "two_stage", "transfer", "beats_sgd", "softmax_link"];

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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    pub quantity: String,
    pub kind: Kind,
    pub predict: f64,
    pub tolerance: f64,
    #[serde(default)]
    pub why: String,
    /// Judge the per-point quantity `quantity@point` at every grid point (or those in
    /// `where`): the check holds only if it holds at each.
    #[serde(default)]
    pub each_point: bool,
    /// With `each_point`: only the points whose axes take one of these values.
    #[serde(default, rename = "where", skip_serializing_if = "BTreeMap::is_empty")]
    pub at: BTreeMap<String, Vec<f64>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimSpec {
    /// The spec's name: its report folder is `<out>/<id>/`.
    pub id: String,
    /// The checker that runs it (default: the id). Variants and refuted forms of a claim
    /// name the checker and take an id of their own.
    #[serde(default)]
    pub claim: String,
    /// `"fail"` for a refuted form kept as a regression test: the suite passes when it fails.
    #[serde(default)]
    pub expect: Expect,
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
        let mut spec: ClaimSpec = toml::from_str(&text)
            .map_err(|e| invalid(path.display().to_string(), crate::commands::one_line(&e.to_string())))?;
        if spec.claim.is_empty() {
            spec.claim = spec.id.clone();
        }
        spec.validate().map_err(|e| match e {
            crate::Error::Invalid { field, msg } => invalid(format!("{}: {field}", path.display()), msg),
            e => e,
        })?;
        Ok(spec)
    }

    pub fn validate(&self) -> Result<()> {
        let id_ok = !self.id.is_empty() && self.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !id_ok {
            return Err(invalid("id", format!("must be a nonempty name of a-z, 0-9 and _ (got {:?})", self.id)));
        }
        if !CLAIMS.contains(&self.claim.as_str()) {
            return Err(invalid("claim", format!("must be one of {} (got {:?})", CLAIMS.join(", "), self.claim)));
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
            if !c.at.is_empty() && !c.each_point {
                return Err(invalid(format!("check[{i}].where"), "applies only with each_point = true"));
            }
            for axis in c.at.keys() {
                if !["n", "t", "q", "rho"].contains(&axis.as_str()) {
                    return Err(invalid(format!("check[{i}].where.{axis}"), "must be one of the grid axes n, t, q, rho"));
                }
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
            "id": self.claim, "seed": self.seed, "task": self.task,
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
    /// The value of a grid axis at this point (None for an axis the grid lacks).
    pub fn axis(&self, name: &str) -> Option<f64> {
        match name {
            "n" => Some(self.n as f64),
            "t" => Some(self.t as f64),
            "q" => Some(self.q as f64),
            "rho" => self.rho,
            _ => None,
        }
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
    /// The estimate judged (for a per-point check: the point named in `reason`).
    pub estimate: Estimate,
    pub verdict: Verdict,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClaimResult {
    pub id: String,
    pub statement: String,
    /// Every check holds.
    pub holds: bool,
    pub expect: Expect,
    /// The verdict is what the spec expects (a true claim holds, a refuted form fails).
    pub as_expected: bool,
    /// In words: "holds", "refuted as expected", or why the verdict is not the expected one.
    pub outcome: String,
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
    /// "PASS" / "FAIL", the claim's own verdict.
    pub fn verdict_word(&self) -> &'static str {
        if self.holds {
            "PASS"
        } else {
            "FAIL"
        }
    }
}

/// Judges every check of `spec` against the estimated quantities.
pub fn judge_checks(
    spec: &ClaimSpec,
    points: &[Point],
    quantities: &BTreeMap<String, Estimate>,
    describe: impl Fn(&str) -> String,
) -> Vec<CheckResult> {
    let missing = Estimate { value: f64::NAN, lo: f64::NAN, hi: f64::NAN, undefined: 1.0 };
    spec.checks
        .iter()
        .map(|c| {
            let (estimate, verdict, reason) = if c.each_point {
                let at: Vec<(String, Estimate)> = points
                    .iter()
                    .filter(|p| c.at.iter().all(|(axis, vals)| p.axis(axis).is_some_and(|v| vals.contains(&v))))
                    .map(|p| (p.label(), quantities.get(&format!("{}@{}", c.quantity, p.label())).cloned().unwrap_or(missing.clone())))
                    .collect();
                let (v, i, reason) = crate::verdict::judge_each(c.kind, c.predict, c.tolerance, &at, spec.level);
                (at.get(i).map_or(missing.clone(), |x| x.1.clone()), v, reason)
            } else {
                let e = quantities.get(&c.quantity).cloned().unwrap_or(missing.clone());
                let (v, reason) = crate::verdict::judge(c.kind, c.predict, c.tolerance, &e, spec.level);
                (e, v, reason)
            };
            CheckResult { spec: c.clone(), description: describe(&c.quantity), estimate, verdict, reason }
        })
        .collect()
}

/// "id: PASS" or "id: FAIL (which checks fail)", and whether that was expected, for figure titles.
pub fn figure_title(r: &ClaimResult) -> String {
    let failed: Vec<&str> = r.checks.iter().filter(|c| c.verdict != Verdict::Holds).map(|c| c.spec.quantity.as_str()).collect();
    let verdict = if r.holds { "PASS".to_string() } else { format!("FAIL ({})", failed.join(", ")) };
    let expected = if r.expect == Expect::Fail && r.as_expected { ", refuted as expected" } else { "" };
    let quick = if r.quick { " (quick grid)" } else { "" };
    format!("{}: {verdict}{expected}{quick}", r.id)
}
