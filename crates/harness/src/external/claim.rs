//! The claim `python`: a bound on the mean of a number that a trial function written in
//! Python measures, tested without Rust. The spec names the function (`module:function`),
//! the number it returns that the bound is about (`measure`), and the bound as a formula
//! over the grid's axes; the grid's keys are the axes.
//!
//! Per point, the mean of the measure over the task's trials is divided by the bound there:
//! - `constant`: the geometric mean over the grid of mean / bound, the bound's constant;
//! - `residual_<axis>`: for every axis the grid varies, the partial slope of
//!   log(mean / bound) against log(axis), the others held fixed: 0 when the formula has the
//!   right exponent, the difference when it does not;
//! - `exponent_<axis>`: the same fit for the mean itself (the measured exponent);
//! - `residual_<axis>@<point>`, `exponent_<axis>@<point>`: the same slopes within the line of
//!   the grid through the point along the axis (every other axis at the point's value).
//!
//! Intervals come from the harness's bootstrap, like every claim's.

use super::bound::point_json;
use super::worker::{last_line, Pool, Reply, Runner};
use crate::claims::figures::{ci, per_point, residual_panel};
use crate::claims::key::symbol_problem;
use crate::claims::{At, Key, Quantity, TypedClaim};
use crate::config::{Valid, Validate};
use crate::error::{invalid, Error, Result};
use crate::formula::{Formula, Vars};
use crate::grid::{Axis, Point};
use crate::plan::Budget;
use crate::report::{Panel, Series};
use crate::result::ClaimResult;
use crate::spec::ClaimSpec;
use crate::stats::{ols_multi, Quantities};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// What a run does when the trial function raises.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnError {
    /// Stop the run with the traceback; finished trials are kept, and a rerun retries it.
    #[default]
    Stop,
    /// Record the trial as failed, with its traceback, and go on: estimates use the trials
    /// that returned (`failed@point` says how many did not).
    Skip,
}

/// The spec's `[python]` table.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `module:function`; the module is looked for beside the spec first, then as Python
    /// would find it.
    pub function: String,
    /// The returned number the bound is about.
    pub measure: String,
    /// The bound on the measure's mean, a formula over the axes' symbols (empty when
    /// `bound_function` gives it).
    #[serde(default)]
    pub bound: String,
    /// Instead of `bound`: a Python function, `module:function`, that takes a point (as a
    /// trial does) and returns the bound there, a positive number. For a bound with no
    /// closed form: an exact finite sum, a special function. Evaluated once per point when
    /// the spec is read, in one Python process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bound_function: Option<String>,
    /// Grid key -> symbol in formulas and point keys (absent: the key itself).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub symbols: BTreeMap<String, String>,
    /// What a trial that raises does: end the run (the default) or count as undefined.
    #[serde(default)]
    pub on_error: OnError,
    /// Seconds one trial may run before its worker is stopped and the run ends with an error
    /// naming the trial (absent: [`DEFAULT_TIMEOUT`]). Not part of the configuration's hash:
    /// it cannot change what a trial returns. A function run in the caller's own Python
    /// session (`scb.check(..., trial=f)`) is not timed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<f64>,
}

/// A trial's time limit when the spec sets none: long enough for any trial a grid of
/// thousands can afford, short enough that a hang is reported the same session.
pub const DEFAULT_TIMEOUT: f64 = 600.0;

fn identifier(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|f| f.is_ascii_alphabetic() || f == '_') && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

/// Whether `s` is `module:function` (a dotted module path and a function name).
fn function_path(s: &str) -> bool {
    s.split_once(':').is_some_and(|(m, f)| m.split('.').all(identifier) && identifier(f))
}

impl Validate for Settings {
    fn validate(&self) -> Result<()> {
        if !function_path(&self.function) {
            return Err(invalid(
                "python.function",
                format!("must be \"module:function\" (a module path and a function name, e.g. \"coupon:draws\"; got {:?})", self.function),
            ));
        }
        if self.measure.is_empty() {
            return Err(invalid("python.measure", "must name the number the trial returns that the bound is about"));
        }
        match &self.bound_function {
            Some(f) if !self.bound.is_empty() => {
                return Err(invalid("python.bound_function", format!("gives the bound, and so does python.bound ({:?}): keep one (got {f:?})", self.bound)))
            }
            Some(f) if !function_path(f) => {
                return Err(invalid(
                    "python.bound_function",
                    format!("must be \"module:function\", a function of the point that returns the bound (got {f:?})"),
                ))
            }
            Some(_) => {}
            None if self.bound.is_empty() => {
                return Err(invalid("python.bound", "is missing: give the bound as a formula over the axes, or as python.bound_function = \"module:function\""))
            }
            None => {
                Formula::parse(&self.bound).map_err(|e| invalid("python.bound", format!("{:?} {e}", self.bound)))?;
            }
        }
        if let Some(t) = self.timeout.filter(|t| !(t.is_finite() && *t > 0.0 && *t <= 86_400.0)) {
            return Err(invalid("python.timeout", format!("must be a number of seconds in (0, 86400] (got {t})")));
        }
        Ok(())
    }
}

/// Where a point's bound comes from.
enum Bound {
    Formula(Box<Formula>),
    /// `bound_function`'s value at each point of both grids, by point key.
    Computed(BTreeMap<String, f64>),
}

/// A spec's Python trial.
pub struct Python {
    s: Valid<Settings>,
    bound: Bound,
    axes: Vec<Axis>,
    /// A fingerprint of the function's code: a changed module re-simulates.
    code: String,
    runner: Arc<dyn Runner>,
}

/// Per point: the bound's value there.
pub struct Ctx {
    bound: f64,
}

/// One trial: the named numbers the function returned, or, under `on_error = "skip"`, the
/// traceback of what it raised.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trial {
    /// The numbers the function returned, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub values: BTreeMap<String, f64>,
    /// What it raised instead, where `on_error` keeps the run going.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raised: Option<String>,
}

const MEAN: Quantity = Quantity::new("mean", "mean of the measure over the trials that returned, per point");
const BOUND: Quantity = Quantity::new("bound", "the bound's value, per point");
const RATIO: Quantity = Quantity::new("ratio", "mean / bound, per point");
const FAILED: Quantity = Quantity::new("failed", "share of trials that raised (on_error = \"skip\"), per point");
const CONSTANT: Quantity = Quantity::new("constant", "geometric mean over the grid of mean / bound");
const RESIDUAL: Quantity = Quantity::new("residual_*", "exponent of an axis left in mean / bound (partial slope on log-log axes)");
const EXPONENT: Quantity = Quantity::new("exponent_*", "exponent of an axis in the mean itself (partial slope on log-log axes)");

/// The grid keys of both grids, in order, with whether every value is a whole number.
fn grid_axes(spec: &ClaimSpec) -> BTreeMap<String, bool> {
    let mut axes: BTreeMap<String, bool> = BTreeMap::new();
    for plan in Budget::BOTH.map(|b| spec.plan(b)) {
        for (k, vals) in plan.grid {
            let whole = vals.iter().all(|v| v.is_integer());
            *axes.entry(k).or_insert(true) &= whole;
        }
    }
    axes
}

/// Where `module` (dotted) lives as a file, among `folders`: what its fingerprint reads.
fn module_file(module: &str, folders: &[PathBuf]) -> Option<PathBuf> {
    let rel: PathBuf = module.split('.').collect();
    folders.iter().flat_map(|f| [f.join(&rel).with_extension("py"), f.join(&rel).join("__init__.py")]).find(|p| p.is_file())
}

impl Python {
    /// The bound as the spec gives it: its formula, or the function that computes it.
    fn bound_text(&self) -> &str {
        self.s.bound_function.as_deref().unwrap_or(&self.s.bound)
    }

    /// The axes the grid varies, by grid name.
    fn varied(&self, points: &[&At<Ctx>]) -> Vec<&str> {
        let first = &points[0].point;
        self.axes.iter().map(|a| a.name.as_ref()).filter(|a| points.iter().any(|p| p.point.get(a) != first.get(a))).collect()
    }
}

impl TypedClaim for Python {
    const ID: &'static str = "python";
    const ABOUT: &'static str = "a bound on the mean of what a trial function written in Python returns";
    const QUANTITIES: &'static [Quantity] = &[MEAN, BOUND, RATIO, FAILED, CONSTANT, RESIDUAL, EXPONENT];
    const SECTIONS: &'static [&'static str] = &["python"];
    type Context = Ctx;
    type Trial = Trial;

    fn new(spec: &ClaimSpec) -> Result<Self> {
        let s: Valid<Settings> = spec.validated("python")?;
        let keys = grid_axes(spec);
        if let Some(k) = s.symbols.keys().find(|k| !keys.contains_key(*k)) {
            return Err(invalid(
                format!("python.symbols.{k}"),
                format!("names no grid axis (the grid has {})", keys.keys().cloned().collect::<Vec<_>>().join(", ")),
            ));
        }
        let axes: Vec<Axis> = keys
            .iter()
            .map(|(k, &whole)| {
                let sym = s.symbols.get(k).cloned().unwrap_or_else(|| k.clone());
                if let Some(why) = symbol_problem(&sym) {
                    let field = if s.symbols.contains_key(k) { format!("python.symbols.{k}") } else { format!("grid.{k}") };
                    return Err(invalid(field, format!("the symbol {why}")));
                }
                Ok(if whole {
                    Axis::integer(k.clone(), sym, i64::MIN, i64::MAX, "an axis of the spec's grid")
                } else {
                    Axis::real(k.clone(), sym, -f64::MAX, f64::MAX, "an axis of the spec's grid")
                })
            })
            .collect::<Result<_>>()?;
        let symbols: Vec<&str> = axes.iter().map(|a| a.symbol.as_ref()).collect();
        let formula = match s.bound_function {
            Some(_) => None,
            None => Some(Formula::parse(&s.bound).map_err(|e| invalid("python.bound", e))?),
        };
        if let Some(name) = formula.as_ref().and_then(|f| f.unknown(&symbols)) {
            return Err(invalid("python.bound", format!("uses {name:?}, which is not an axis (the bound may use {})", symbols.join(", "))));
        }
        for (i, c) in spec.checks.iter().enumerate() {
            let axis = c.quantity.strip_prefix("residual_").or_else(|| c.quantity.strip_prefix("exponent_"));
            let Some(axis) = axis else { continue };
            for budget in Budget::BOTH {
                let (field, grid) = (budget.grid_field(), spec.plan(budget).grid);
                match grid.get(axis) {
                    None => {
                        return Err(invalid(
                            format!("check[{i}].quantity"),
                            format!("{}: {axis:?} is not an axis of the grid (it has {})", c.quantity, keys.keys().cloned().collect::<Vec<_>>().join(", ")),
                        ))
                    }
                    Some(v) if v.len() < 2 => {
                        return Err(invalid(
                            format!("check[{i}].quantity"),
                            format!("{}: {field}.{axis} needs two values or more to fit an exponent", c.quantity),
                        ))
                    }
                    Some(_) => {}
                }
            }
        }
        // Skipped trials must not vanish behind a PASS: the share that raised is a finding,
        // so a spec that skips them says how large a share it accepts, as a check.
        if s.on_error == OnError::Skip && !spec.checks.iter().any(|c| c.quantity == FAILED.name && c.kind == crate::verdict::Kind::Below) {
            return Err(invalid(
                "python.on_error",
                "\"skip\" needs a check that bounds the share of trials that raised: add [[check]] with quantity = \"failed\", kind = \"below\", each_point = true, predict = the largest share you accept and tolerance = 0",
            ));
        }
        let (module, _) = s.function.split_once(':').expect("validated");
        let folders: Vec<PathBuf> = spec.folder().iter().map(|f| f.canonicalize().unwrap_or_else(|_| f.clone())).collect();
        let (runner, code): (Arc<dyn Runner>, String) = match super::worker::hosted_function() {
            Some(h) => (h.runner, h.code),
            None => {
                let mut search = folders.clone();
                search.extend(std::env::current_dir().ok());
                search.extend(std::env::var_os("PYTHONPATH").map(|p| std::env::split_paths(&p).collect::<Vec<_>>()).unwrap_or_default());
                let code = module_file(module, &search).and_then(|p| std::fs::read(p).ok()).map_or_else(
                    || "not found beside the spec, in the working folder or on PYTHONPATH".to_string(),
                    |b| format!("{:016x}", crate::rng::fnv1a(&b)),
                );
                (Arc::new(Pool::new(&s.function, folders.clone(), s.timeout.unwrap_or(DEFAULT_TIMEOUT))), code)
            }
        };
        let bound = match (formula, &s.bound_function) {
            (Some(f), _) => Bound::Formula(Box::new(f)),
            (None, Some(function)) => {
                let mut points: Vec<Point> = Vec::new();
                for budget in Budget::BOTH {
                    points.extend(crate::grid::points(&axes, &spec.plan(budget).grid, budget.grid_field())?);
                }
                // A redraw takes the values its result recorded: it runs no code, and a
                // downloaded result has no module beside it (or one that is not to be run).
                Bound::Computed(match &spec.recorded {
                    Some(q) => points.iter().map(|p| (p.key(), q.get(&BOUND.at(p)).copied().unwrap_or(f64::NAN))).collect(),
                    None => super::bound::evaluate(function, &folders, &points, s.timeout.unwrap_or(DEFAULT_TIMEOUT))?,
                })
            }
            (None, None) => unreachable!("validated: a formula or a function"),
        };
        Ok(Python { s, bound, axes, code, runner })
    }

    fn axes(&self) -> Vec<Axis> {
        self.axes.clone()
    }

    fn config(&self) -> serde_json::Value {
        let settings = Settings { timeout: None, ..(*self.s).clone() };
        serde_json::json!({ "settings": settings, "code": self.code })
    }

    fn context(&self, point: &Point, _seed: u64) -> Result<Ctx> {
        let (field, bound) = match &self.bound {
            Bound::Formula(f) => ("python.bound", f.eval(&point.vars()).map_err(|e| invalid("python.bound", format!("{e} at {}", point.label())))?),
            Bound::Computed(values) => ("python.bound_function", values.get(&point.key()).copied().unwrap_or(f64::NAN)),
        };
        if !(bound.is_finite() && bound > 0.0) {
            return Err(invalid(field, format!("{:?} must be a positive number at every point (got {bound} at {})", self.bound_text(), point.label())));
        }
        Ok(Ctx { bound })
    }

    fn variables(&self, at: &At<Ctx>) -> Vars {
        vec![("bound".into(), at.ctx.bound)]
    }

    fn run_trial(&self, at: &At<Ctx>, seed: u64) -> Trial {
        self.try_trial(at, seed).unwrap_or_else(|e| panic!("{e}"))
    }

    fn try_trial(&self, at: &At<Ctx>, seed: u64) -> Result<Trial> {
        let name = format!("trial {} at {} (seed {seed})", self.s.function, at.point.label());
        match self.runner.run(&point_json(&at.point), seed)? {
            Reply::Values(values) if values.contains_key(&self.s.measure) => Ok(Trial { values, raised: None }),
            Reply::Values(values) => {
                let got: Vec<&str> = values.keys().map(String::as_str).collect();
                let message = format!("{name} returned no {:?} (python.measure); it returned {{{}}}", self.s.measure, got.join(", "));
                Err(Error::Trial { message, traceback: None })
            }
            Reply::Bad(why) => Err(Error::Trial { message: format!("{name} {why}"), traceback: None }),
            Reply::TimedOut(t) => Err(Error::Trial {
                message: format!("{name} ran longer than its timeout of {} s (python.timeout); its worker was stopped", crate::verdict::num(t)),
                traceback: None,
            }),
            Reply::Ended(how) => Err(Error::Trial { message: format!("{name}: its Python worker ended during the trial ({how})"), traceback: None }),
            Reply::Raised(tb) => match self.s.on_error {
                OnError::Stop => Err(Error::Trial { message: format!("{name} raised {}", last_line(&tb)), traceback: Some(tb) }),
                OnError::Skip => Ok(Trial { values: BTreeMap::new(), raised: Some(tb) }),
            },
        }
    }

    fn estimate(&self, points: &[&At<Ctx>], trials: &[Vec<&Trial>]) -> Quantities {
        let mut q = Quantities::new();
        let mut log_ratio = Vec::with_capacity(points.len());
        let mut log_mean = Vec::with_capacity(points.len());
        for (at, ts) in points.iter().zip(trials) {
            let ok: Vec<f64> = ts.iter().filter_map(|t| t.values.get(&self.s.measure).copied()).collect();
            let mean = if ok.is_empty() { f64::NAN } else { ok.iter().sum::<f64>() / ok.len() as f64 };
            q.insert(MEAN.at(&at.point), mean);
            q.insert(BOUND.at(&at.point), at.ctx.bound);
            q.insert(RATIO.at(&at.point), mean / at.ctx.bound);
            q.insert(FAILED.at(&at.point), (ts.len() - ok.len()) as f64 / ts.len() as f64);
            log_ratio.push((mean / at.ctx.bound).ln());
            log_mean.push(mean.ln());
        }
        let defined = log_ratio.iter().all(|x| x.is_finite());
        q.insert(CONSTANT.into(), if defined { (log_ratio.iter().sum::<f64>() / log_ratio.len() as f64).exp() } else { f64::NAN });
        let varied = self.varied(points);
        let xs: Vec<Vec<f64>> = varied.iter().map(|a| points.iter().map(|p| p.point.at(a).ln()).collect()).collect();
        let fit = |y: &[f64]| if defined && xs.iter().flatten().all(|x| x.is_finite()) { ols_multi(&xs, y) } else { None };
        let (residuals, exponents) = (fit(&log_ratio), fit(&log_mean));
        for (i, a) in varied.iter().enumerate() {
            q.insert(format!("residual_{a}"), residuals.as_ref().map_or(f64::NAN, |s| s[i]));
            q.insert(format!("exponent_{a}"), exponents.as_ref().map_or(f64::NAN, |s| s[i]));
            // The same slopes within each line of the grid along `a`: a law whose exponent
            // depends on another axis (T^-(1 - 1/alpha)) is checked at each of its values,
            // which one pooled slope cannot do.
            for at in points {
                let line: Vec<usize> =
                    (0..points.len()).filter(|&j| points[j].point.coords.iter().all(|c| c.name == *a || at.point.get(&c.name) == Some(c.value))).collect();
                let x: Vec<f64> = line.iter().map(|&j| xs[i][j]).collect();
                for (name, y) in [("residual", &log_ratio), ("exponent", &log_mean)] {
                    let y: Vec<f64> = line.iter().map(|&j| y[j]).collect();
                    let slope = if defined && line.len() > 1 { ols_multi(std::slice::from_ref(&x), &y).map_or(f64::NAN, |s| s[0]) } else { f64::NAN };
                    q.insert(Key::new(format!("{name}_{a}")).at(&at.point).to_string(), slope);
                }
            }
        }
        q
    }

    fn panels(&self, points: &[&At<Ctx>], _: &[Vec<&Trial>], result: &ClaimResult) -> Vec<Panel> {
        let pts: Vec<Point> = points.iter().map(|a| a.point.clone()).collect();
        let bound = |p: &Point| result.value(BOUND.at(p));
        let (lo, hi) = pts.iter().map(bound).fold((f64::INFINITY, 0.0f64), |(l, h), x| (l.min(x), h.max(x)));
        let k = result.value(CONSTANT);
        let mut series = vec![per_point(result, MEAN, pts.clone(), bound, format!("mean of {} {}", self.s.measure, ci(result)), 0)];
        series.push(Series::dashed("identity: mean = bound", 7, vec![(lo, lo), (hi, hi)]));
        if k.is_finite() {
            let n = crate::verdict::num(k);
            series.push(Series::line(format!("constant {n}: mean = {n} x bound"), 1, vec![(lo, k * lo), (hi, k * hi)]));
        }
        let mut panels = vec![Panel {
            title: format!("{}: measured mean against the bound", self.s.function),
            x_label: format!("bound: {}", self.bound_text()),
            y_label: format!("mean {}", self.s.measure),
            x_log: true,
            y_log: true,
            series,
            ..Default::default()
        }];
        for a in self.varied(points) {
            panels.extend(residual_panel(result, RATIO, format!("residual_{a}"), k, &pts, a, ("mean / bound", "exponent 0 (the bound has the scaling)")));
        }
        panels
    }
}
