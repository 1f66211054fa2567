//! A theorem spec (one TOML file in `theorems/`): the envelope every claim shares (name,
//! checker, expectation, seed, trials, grid, checks) and the claim's own tables, which the
//! claim parses strictly. Plain data; validation that needs the claim (its axes, its
//! quantities, its tables) happens where the claim is known.

use crate::error::{check_range, invalid, Result};
use crate::grid::Grid;
use crate::verdict::{Expect, Kind};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// What `--quick` runs. Every key is optional, and so is the table: absent, a quick run is
/// the full run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quick {
    /// Trials per task on the quick grid (absent: the full grid's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trials: Option<usize>,
    /// Tasks per point on the quick grid (absent: the full grid's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tasks: Option<usize>,
    /// Axes given here replace the full grid's.
    #[serde(default)]
    pub grid: Grid,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
/// One `[[check]]` of a spec: a quantity, how it is compared, the prediction and its
/// tolerance, why they are what they are, and the competing hypothesis (`plant`).
pub struct CheckSpec {
    /// The quantity judged: one the claim declares.
    pub quantity: String,
    /// How the interval is compared with the prediction: equal, ratio, below or above.
    pub kind: Kind,
    /// A number, or a formula over the point's variables (`"T * ln(N)"`; docs/theory.md §9).
    pub predict: Predict,
    /// How far from the prediction still counts as equality, fixed from theory before any
    /// data (a factor `1 + tolerance` for a ratio).
    pub tolerance: f64,
    /// Where the prediction and tolerance come from, in words for the reports.
    #[serde(default)]
    pub why: String,
    /// Judge the per-point quantity `quantity@key` at every grid point (or those in `where`):
    /// the check holds only if it holds at each.
    #[serde(default)]
    pub each_point: bool,
    /// With `each_point`: only the points whose axes take one of these values.
    #[serde(default, rename = "where", skip_serializing_if = "BTreeMap::is_empty")]
    pub at: BTreeMap<String, Vec<f64>>,
    /// In a refuted form (`expect = "fail"` on the spec): which checks must keep failing
    /// and which must keep holding, so a refutation pins down *what* is refuted rather than
    /// passing on any one failure. Unset: the check may go either way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Expect>,
    /// The competing hypothesis, fixed before any data are seen: the truth's deviation from
    /// the prediction (added for equal, above and below, on each side the claim could be
    /// false on; a factor `1 + plant` either way for ratio) at which the claim is false. It
    /// must exceed the tolerance. A check is weak where it detects this on fewer than 80% of
    /// datasets (docs/theory.md §10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plant: Option<f64>,
}

/// What a check predicts: a number, or a formula evaluated at each grid point before any
/// trial runs. A number is written back as a number, so results that predate formulas keep
/// their bytes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Predict {
    /// A number, the same at every point.
    Value(f64),
    /// A formula over the point's variables, evaluated at each point.
    Formula(String),
}

impl Predict {
    /// The number, if it is one.
    pub fn value(&self) -> Option<f64> {
        match self {
            Predict::Value(x) => Some(*x),
            Predict::Formula(_) => None,
        }
    }

    /// As the spec wrote it.
    pub fn text(&self) -> String {
        match self {
            Predict::Value(x) => crate::verdict::num(*x),
            Predict::Formula(f) => f.clone(),
        }
    }

    /// The parsed formula, if it is one.
    pub fn formula(&self) -> Option<std::result::Result<crate::formula::Formula, String>> {
        match self {
            Predict::Value(_) => None,
            Predict::Formula(text) => Some(crate::formula::Formula::parse(text)),
        }
    }
}

impl From<f64> for Predict {
    fn from(x: f64) -> Predict {
        Predict::Value(x)
    }
}

impl CheckSpec {
    /// Whether the check looks at `point`: every point for a whole-grid check, and for a
    /// per-point one, those its `where` admits.
    pub fn applies_at(&self, point: &crate::grid::Point) -> bool {
        self.at.iter().all(|(axis, vals)| point.get(axis).is_some_and(|v| vals.contains(&v)))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
/// A theorem spec: one TOML file of `theorems/`, parsed. Plain data; [`ClaimSpec::plan`]
/// resolves it for a budget.
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
    /// The claim, in words, as the reports state it.
    pub statement: String,
    /// The master seed every task and trial seed derives from ([`crate::rng::seeds`]).
    pub seed: u64,
    /// Trials per task.
    pub trials: usize,
    /// Tasks drawn per grid point, each from (seed, point key, task index); trials nest
    /// within tasks and the bootstrap resamples whole tasks. Absent: 8.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tasks: Option<usize>,
    /// One task per point, drawn from the seed alone: the claim is conditional on it, and
    /// intervals cover trial noise only (the bootstrap resamples trials).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub fixed_task: bool,
    /// Bootstrap replicates per interval.
    #[serde(default = "default_bootstrap")]
    pub bootstrap: usize,
    /// Confidence level of the intervals.
    #[serde(default = "default_level")]
    pub level: f64,
    /// A study of the intervals themselves (the known-truth matrix's designs): the least
    /// number of tasks the harness requires for a band (`crate::intervals::min_tasks`) does not
    /// apply, so that designs below it can be measured.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub study: bool,
    /// How intervals are made from drawn tasks: the studentized bootstrap, which the
    /// known-truth matrix chose (docs/theory.md §10), unless `scb calibrate --interval`
    /// studies another. Not read from a spec file.
    #[serde(skip)]
    pub interval: Option<crate::intervals::Method>,
    /// The quantities of the judged result this spec is prepared to redraw (`scb figure`),
    /// by key: a claim takes what it computed once for that run (an external bound's values)
    /// from here instead of computing it again, since a redraw reads the result alone and
    /// runs no code found beside it, which may be a download. Not read from a spec file.
    #[serde(skip)]
    pub recorded: Option<BTreeMap<String, f64>>,
    /// The full grid: each axis's values (`[grid]`).
    #[serde(default)]
    pub grid: Grid,
    /// What `--quick` runs instead (`[quick]`).
    #[serde(default)]
    pub quick: Quick,
    /// The checks (`[[check]]`), judged in order.
    #[serde(rename = "check")]
    pub checks: Vec<CheckSpec>,
    /// The claim's own tables (`[task]`, `[algorithm]`, `[settings]`, ...), by name.
    #[serde(flatten)]
    pub sections: toml::Table,
    /// The file the spec was read from (its name need not be the id): where `submit` and
    /// `merge` find it again, and whose folder an external trial's module is looked for in
    /// first. Not part of the spec's content.
    #[serde(skip)]
    pub file: Option<std::path::PathBuf>,
}

/// Tasks per point when a spec does not say.
pub const DEFAULT_TASKS: usize = 8;

fn default_bootstrap() -> usize {
    1000
}
fn default_level() -> f64 {
    0.95
}

/// An id names a folder and files inside an out folder, so it is a plain name: never a path,
/// never markup. Ids read from a result file are held to the same rule as a spec's.
pub fn check_id(id: &str) -> Result<()> {
    let ok = !id.is_empty() && id.len() <= 100 && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(invalid("id", format!("must be a name of 1 to 100 characters a-z, 0-9 and _ (got {:?})", id)))
    }
}

impl ClaimSpec {
    /// Reads and checks the envelope. Errors name the file and the key.
    pub fn load(path: &Path) -> Result<ClaimSpec> {
        let text = crate::error::read_input(path, "spec")?;
        let named = |e: crate::Error| crate::spec_text::in_file(path, e);
        if let Some(e) = crate::spec_text::explain(&text) {
            return Err(named(e));
        }
        let mut spec: ClaimSpec = toml::from_str(&text).map_err(|e| invalid(path.display().to_string(), crate::ui::one_line(&e.to_string())))?;
        if spec.claim.is_empty() {
            spec.claim = spec.id.clone();
        }
        spec.validate().map_err(named)?;
        spec.file = Some(path.to_path_buf());
        Ok(spec)
    }

    /// The folder the spec was read from (`.` for a bare file name).
    pub fn folder(&self) -> Option<std::path::PathBuf> {
        let parent = self.file.as_deref()?.parent()?;
        Some(if parent.as_os_str().is_empty() { Path::new(".").to_path_buf() } else { parent.to_path_buf() })
    }

    /// The envelope's own ranges (the claim checks the rest).
    pub fn validate(&self) -> Result<()> {
        check_id(&self.id)?;
        // One trial per task is enough when tasks are drawn: the bootstrap resamples tasks.
        let least = if self.fixed_task { 2 } else { 1 };
        for (name, n) in [("trials", self.trials), ("quick.trials", self.quick.trials.unwrap_or(self.trials))] {
            if !(least..=100_000).contains(&n) {
                let why = if self.fixed_task { " with a fixed task (the bootstrap resamples trials)" } else { "" };
                return Err(invalid(name, format!("must be a whole number in [{least}, 100000]{why} (got {n})")));
            }
        }
        if self.fixed_task {
            for (name, t) in [("tasks", self.tasks), ("quick.tasks", self.quick.tasks)] {
                if t.is_some_and(|t| t != 1) {
                    return Err(invalid(name, "must be 1 or absent with fixed_task = true (one task per point, drawn from the seed)"));
                }
            }
        } else {
            for (name, t) in [("tasks", self.tasks), ("quick.tasks", self.quick.tasks)] {
                if let Some(t) = t.filter(|t| !(2..=100_000).contains(t)) {
                    return Err(invalid(name, format!("must be a whole number in [2, 100000] (got {t}); for one task per point, set fixed_task = true")));
                }
            }
        }
        if !(100..=1_000_000).contains(&self.bootstrap) {
            return Err(invalid("bootstrap", format!("must be a whole number in [100, 1000000] (got {})", self.bootstrap)));
        }
        check_range("level", self.level, 0.5, 0.999, false)?;
        if self.checks.is_empty() {
            return Err(invalid("check", "a claim needs at least one [[check]]"));
        }
        for (i, c) in self.checks.iter().enumerate() {
            check_range(&format!("check[{i}].tolerance"), c.tolerance, 0.0, 1e12, false)?;
            match &c.predict {
                Predict::Value(x) if !x.is_finite() => return Err(invalid(format!("check[{i}].predict"), "must be a finite number or a formula")),
                Predict::Formula(text) => {
                    if let Some(Err(e)) = c.predict.formula() {
                        return Err(invalid(format!("check[{i}].predict"), format!("{text:?} {e}")));
                    }
                }
                Predict::Value(_) => {}
            }
            if c.expect == Some(Expect::Undecided) {
                return Err(invalid(format!("check[{i}].expect"), "must be \"pass\" or \"fail\" (a whole spec may expect \"undecided\")"));
            }
            if self.expect != Expect::Fail && c.expect == Some(Expect::Fail) {
                return Err(invalid(
                    format!("check[{i}].expect"),
                    "may be \"fail\" only in a refuted form (expect = \"fail\" on the spec): a claim that holds has no failing checks",
                ));
            }
            if let Some(p) = c.plant {
                check_range(&format!("check[{i}].plant"), p, 0.0, 1e12, true)?;
                // A plant is where the claim is false: a truth within the tolerance is one
                // the check is built to accept, so it cannot be the competing hypothesis.
                if p <= c.tolerance {
                    return Err(invalid(
                        format!("check[{i}].plant"),
                        format!(
                            "must exceed the check's tolerance ({}): a truth within it is one the check accepts, not a competing hypothesis (got {p})",
                            crate::verdict::num(c.tolerance)
                        ),
                    ));
                }
            }
            if !c.at.is_empty() && !c.each_point {
                return Err(invalid(format!("check[{i}].where"), "applies only with each_point = true"));
            }
        }
        Ok(())
    }

    /// The interval method for drawn tasks.
    pub fn method(&self) -> crate::intervals::Method {
        self.interval.unwrap_or_default()
    }

    /// A table as a checked config: parsed strictly and validated once (see [`crate::config`]).
    pub fn validated<S: DeserializeOwned + Default + crate::config::Validate>(&self, name: &str) -> Result<crate::config::Valid<S>> {
        crate::config::Valid::new(self.section::<S>(name)?)
    }

    /// One of the claim's own tables, parsed strictly (absent: the type's default).
    pub fn section<S: DeserializeOwned + Default>(&self, name: &str) -> Result<S> {
        match self.sections.get(name) {
            None => Ok(S::default()),
            Some(v) => v.clone().try_into().map_err(|e: toml::de::Error| invalid(name, crate::ui::one_line(&e.to_string()))),
        }
    }

    /// Refuses any table or key the claim does not read: a typo must not pass silently.
    pub fn only_sections(&self, known: &[&str]) -> Result<()> {
        for key in self.sections.keys() {
            if !known.contains(&key.as_str()) {
                let all = crate::spec_text::ENVELOPE;
                let meant = crate::spec_text::nearest(key, known).map_or(String::new(), |k| format!("did you mean {k:?}? "));
                return Err(invalid(key, format!("unknown field {key:?}: {meant}a spec has {}, and this claim reads {}", all.join(", "), known.join(", "))));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> Result<ClaimSpec> {
        let s: ClaimSpec = toml::from_str(text).expect("parses");
        s.validate().map(|_| s)
    }

    const BASE: &str = "id = \"x\"\nstatement = \"s\"\nseed = 1\ntrials = 4\n[quick]\ntrials = 2\n";

    #[test]
    fn a_check_may_be_expected_to_fail_only_in_a_refuted_form() {
        let check = "[[check]]\nquantity = \"q\"\nkind = \"equal\"\npredict = 1.0\ntolerance = 0.1\nexpect = \"fail\"\n";
        let err = spec(&format!("{BASE}{check}")).unwrap_err().to_string();
        assert!(err.contains("check[0].expect"), "{err}");
        let ok = spec(&format!("expect = \"fail\"\n{BASE}{check}")).unwrap();
        assert_eq!(ok.checks[0].expect, Some(Expect::Fail));
        // Unset stays unset, and is not written back out (committed results keep their bytes).
        let plain = spec(&format!("{BASE}{}", check.replace("expect = \"fail\"\n", ""))).unwrap();
        assert_eq!(plain.checks[0].expect, None);
        assert!(!serde_json::to_string(&plain.checks[0]).unwrap().contains("expect"));
    }

    #[test]
    fn a_quick_table_s_trials_are_validated() {
        let text = "id = \"x\"\nstatement = \"s\"\nseed = 1\ntrials = 4\ntasks = 12\n[grid]\nn = [1, 2]\n[[check]]\nquantity = \"q\"\nkind = \"equal\"\npredict = 1\ntolerance = 0.1\n";
        assert!(spec(&format!("{text}[quick]\ntrials = 0\n")).unwrap_err().to_string().contains("quick.trials"));
    }

    #[test]
    fn predict_is_a_number_or_a_formula_that_parses() {
        let check = |p: &str| format!("{BASE}[[check]]\nquantity = \"q\"\nkind = \"equal\"\npredict = {p}\ntolerance = 0.1\n");
        assert_eq!(spec(&check("1")).unwrap().checks[0].predict, Predict::Value(1.0));
        assert_eq!(spec(&check("0.5")).unwrap().checks[0].predict, Predict::Value(0.5));
        let f = spec(&check("\"T * ln(N)\"")).unwrap();
        assert_eq!(f.checks[0].predict, Predict::Formula("T * ln(N)".into()));
        // A number is written as a number (committed results keep their bytes).
        assert!(serde_json::to_string(&spec(&check("1.0")).unwrap().checks[0]).unwrap().contains("\"predict\":1.0"));
        let err = spec(&check("\"T * (N\"")).unwrap_err().to_string();
        assert!(err.contains("check[0].predict") && err.contains("\"T * (N\" does not parse"), "{err}");
    }
}
