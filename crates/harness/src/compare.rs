//! A run compared with the accepted baseline (as insta compares a snapshot, and criterion a
//! saved baseline): every quantity's change with an interval for it, and every verdict that
//! flipped. Plain data in and out; the reporters print and write it.
//!
//! Same code and seeds give bit-identical results, so "unchanged" is exact. Otherwise the
//! difference new - old gets an interval from the two runs' own intervals, treated as
//! independent normal ones: each side's standard error is its half-interval over the
//! normal quantile of its level, and the difference's interval is Bonferroni-corrected over
//! the spec's quantities at the spec's level. A change whose interval excludes zero is
//! beyond noise.

use crate::result::ClaimResult;
use crate::stats::Estimate;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

/// How a quantity, or a whole spec, moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// Bit for bit the same.
    Unchanged,
    /// Moved, with zero inside the difference's interval.
    WithinNoise,
    /// Moved beyond noise, appeared, disappeared, or became (un)defined.
    Changed,
}

impl Change {
    /// The change as the console and the reports word it.
    pub fn words(self) -> &'static str {
        match self {
            Change::Unchanged => "unchanged",
            Change::WithinNoise => "changed within noise",
            Change::Changed => "CHANGED",
        }
    }
}

/// One quantity in both runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuantityChange {
    /// The quantity's key.
    pub key: String,
    /// The baseline's estimate (absent: the quantity is new).
    pub old: Option<Estimate>,
    /// This run's estimate (absent: the quantity is gone).
    pub new: Option<Estimate>,
    /// new - old, with its interval (NaN when either side is missing or undefined).
    pub diff: f64,
    /// The difference's interval, lower end.
    pub lo: f64,
    /// Its upper end.
    pub hi: f64,
    /// Unchanged, within noise, or changed.
    pub change: Change,
}

/// A verdict that is not what the baseline had: the spec's own, or one check's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Flip {
    /// "verdict", or "check <i> (<quantity>)".
    pub what: String,
    /// The baseline's verdict.
    pub old: String,
    /// This run's.
    pub new: String,
}

/// A part of the spec that is not what the baseline's run had: a prediction, tolerance,
/// plant, grid, budget or setting. Shown beside the quantities, so that a tolerance moved
/// after the data were seen is visible in review.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpecEdit {
    /// "tasks", "grid", "settings", "check 2 (q_exponent) tolerance", ...
    pub what: String,
    /// The baseline's value, as written.
    pub old: String,
    /// This run's.
    pub new: String,
}

/// A spec's run against its baseline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpecChange {
    /// The spec's id.
    pub id: String,
    /// The largest change among its quantities and verdicts.
    pub change: Change,
    /// What the spec itself changed (none when it is the baseline's).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edits: Vec<SpecEdit>,
    /// Every quantity that is not bit-identical, most significant first.
    pub moved: Vec<QuantityChange>,
    /// How many quantities were compared.
    pub compared: usize,
    /// Every verdict that flipped.
    pub flips: Vec<Flip>,
}

impl SpecChange {
    /// The moves beyond noise.
    pub fn beyond_noise(&self) -> impl Iterator<Item = &QuantityChange> {
        self.moved.iter().filter(|q| q.change == Change::Changed)
    }
}

/// A spec as compared: with a baseline, or without one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "baseline", rename_all = "kebab-case")]
pub enum Compared {
    /// Compared with the accepted result.
    Found(SpecChange),
    /// No accepted result for this spec (or one of the other grid, which is not comparable).
    Missing {
        /// The spec's id.
        id: String,
        /// Why there is nothing to compare with.
        why: String,
    },
}

impl Compared {
    /// The spec's id.
    pub fn id(&self) -> &str {
        match self {
            Compared::Found(s) => &s.id,
            Compared::Missing { id, .. } => id,
        }
    }
    /// Whether this spec's run differs from the baseline beyond noise, or flips a verdict.
    pub fn changed(&self) -> bool {
        matches!(self, Compared::Found(s) if s.change == Change::Changed)
    }
}

/// Compares a run's result with the baseline's result of the same spec.
pub fn compare(old: &ClaimResult, new: &ClaimResult) -> SpecChange {
    let keys: std::collections::BTreeSet<&String> = old.quantities.keys().chain(new.quantities.keys()).collect();
    let level = new.spec.level;
    let z_each = normal_quantile(0.5 + level / 2.0);
    let z_all = normal_quantile(1.0 - (1.0 - level) / (2.0 * keys.len().max(1) as f64));
    let mut moved: Vec<QuantityChange> = keys
        .iter()
        .map(|k| quantity_change(k, old.quantities.get(*k), new.quantities.get(*k), z_each, z_all))
        .filter(|q| q.change != Change::Unchanged)
        .collect();
    moved.sort_by(|a, b| b.change.cmp(&a.change).then(significance(b).total_cmp(&significance(a))).then(a.key.cmp(&b.key)));
    let mut flips = Vec::new();
    if old.verdict_word() != new.verdict_word() || old.standing != new.standing {
        flips.push(Flip { what: "verdict".into(), old: spec_verdict(old), new: spec_verdict(new) });
    }
    for (i, c) in new.checks.iter().enumerate() {
        let before = old.checks.get(i).filter(|o| o.spec.quantity == c.spec.quantity);
        let was = before.map_or("absent", |o| o.verdict.word());
        if was != c.verdict.word() {
            flips.push(Flip { what: format!("check {i} ({})", c.spec.quantity), old: was.into(), new: c.verdict.word().into() });
        }
    }
    let edits = edits(&old.spec, &new.spec);
    let change = if !flips.is_empty() || !edits.is_empty() || moved.iter().any(|q| q.change == Change::Changed) {
        Change::Changed
    } else if moved.is_empty() {
        Change::Unchanged
    } else {
        Change::WithinNoise
    };
    SpecChange { id: new.id.clone(), change, edits, moved, compared: keys.len(), flips }
}

/// What a spec changed that a verdict depends on: its expectation, seed, budgets, grids,
/// interval, tables, and each check's quantity, kind, prediction, tolerance, plant, points
/// and expectation. Words (`statement`, `why`) are left out: they cannot move a verdict.
pub fn edits(old: &crate::spec::ClaimSpec, new: &crate::spec::ClaimSpec) -> Vec<SpecEdit> {
    let text = |v: serde_json::Value| match v {
        serde_json::Value::Null => "absent".to_string(),
        v => v.to_string(),
    };
    let json = |s: &crate::spec::ClaimSpec| serde_json::to_value(s).unwrap_or_default();
    let (a, b) = (json(old), json(new));
    let mut out = Vec::new();
    let mut field = |what: String, x: Option<&serde_json::Value>, y: Option<&serde_json::Value>| {
        if x != y {
            out.push(SpecEdit { what, old: text(x.cloned().unwrap_or_default()), new: text(y.cloned().unwrap_or_default()) });
        }
    };
    for key in ["expect", "seed", "trials", "tasks", "fixed_task", "bootstrap", "level", "study", "grid", "quick"] {
        field(key.to_string(), a.get(key), b.get(key));
    }
    let names: std::collections::BTreeSet<&String> = old.sections.keys().chain(new.sections.keys()).collect();
    for name in names {
        field(name.clone(), a.get(name), b.get(name));
    }
    let checks = |v: &serde_json::Value| v.get("check").and_then(|c| c.as_array()).cloned().unwrap_or_default();
    let (ca, cb) = (checks(&a), checks(&b));
    for i in 0..ca.len().max(cb.len()) {
        let (x, y) = (ca.get(i), cb.get(i));
        let name = y.or(x).and_then(|c| c.get("quantity")).and_then(|q| q.as_str()).unwrap_or("?").to_string();
        for key in ["quantity", "kind", "predict", "tolerance", "plant", "each_point", "where", "expect"] {
            field(format!("check {i} ({name}) {key}"), x.and_then(|c| c.get(key)), y.and_then(|c| c.get(key)));
        }
    }
    out
}

fn spec_verdict(r: &ClaimResult) -> String {
    format!("{} ({})", r.verdict_word(), r.outcome)
}

/// How far the difference's interval lies from zero, in its own widths (0 when it covers 0).
fn significance(q: &QuantityChange) -> f64 {
    if q.diff.is_nan() {
        return f64::INFINITY;
    }
    if q.lo > 0.0 {
        q.lo / (q.hi - q.lo).max(f64::MIN_POSITIVE)
    } else if q.hi < 0.0 {
        -q.hi / (q.hi - q.lo).max(f64::MIN_POSITIVE)
    } else {
        0.0
    }
}

fn same(a: &Estimate, b: &Estimate) -> bool {
    [(a.value, b.value), (a.lo, b.lo), (a.hi, b.hi), (a.undefined, b.undefined)].iter().all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}

fn quantity_change(key: &str, old: Option<&Estimate>, new: Option<&Estimate>, z_each: f64, z_all: f64) -> QuantityChange {
    let mut q =
        QuantityChange { key: key.to_string(), old: old.cloned(), new: new.cloned(), diff: f64::NAN, lo: f64::NAN, hi: f64::NAN, change: Change::Changed };
    let (Some(o), Some(n)) = (old, new) else { return q };
    if same(o, n) {
        q.change = Change::Unchanged;
        return q;
    }
    q.diff = n.value - o.value;
    // d = new - old lies low when new lies low or old lies high, and high the other way.
    let se = |v: f64, end: f64| (v - end).abs() / z_each;
    q.lo = q.diff - z_all * se(n.value, n.lo).hypot(se(o.value, o.hi));
    q.hi = q.diff + z_all * se(n.value, n.hi).hypot(se(o.value, o.lo));
    if q.lo <= 0.0 && 0.0 <= q.hi {
        q.change = Change::WithinNoise;
    }
    q
}

fn normal_quantile(p: f64) -> f64 {
    Normal::standard().inverse_cdf(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est(value: f64, half: f64) -> Estimate {
        Estimate { value, lo: value - half, hi: value + half, undefined: 0.0 }
    }

    /// z for 95% each and for a Bonferroni over 10 quantities.
    fn zs() -> (f64, f64) {
        (normal_quantile(0.975), normal_quantile(1.0 - 0.05 / 20.0))
    }

    #[test]
    fn a_moved_tolerance_plant_or_budget_is_an_edit_and_words_are_not() {
        let spec = |tol: &str, plant: &str, tasks: u32, why: &str| -> crate::spec::ClaimSpec {
            toml::from_str(&format!(
                "id = \"x\"\nstatement = \"s\"\nseed = 1\ntrials = 2\ntasks = {tasks}\n[quick]\ntrials = 2\n[[check]]\nquantity = \"q\"\nkind = \"equal\"\npredict = 1.0\ntolerance = {tol}\nplant = {plant}\nwhy = \"{why}\"\n"
            ))
            .unwrap()
        };
        assert!(edits(&spec("0.1", "0.3", 8, "a"), &spec("0.1", "0.3", 8, "b")).is_empty(), "words are not edits");
        let e = edits(&spec("0.1", "0.3", 8, "a"), &spec("0.2", "0.3", 12, "a"));
        let what: Vec<&str> = e.iter().map(|x| x.what.as_str()).collect();
        assert_eq!(what, ["tasks", "check 0 (q) tolerance"]);
        assert_eq!((e[1].old.as_str(), e[1].new.as_str()), ("0.1", "0.2"));
    }

    #[test]
    fn bit_identical_is_unchanged_even_when_undefined() {
        let (a, b) = zs();
        let undefined = Estimate { value: f64::NAN, lo: f64::NAN, hi: f64::NAN, undefined: 1.0 };
        assert_eq!(quantity_change("q", Some(&est(1.0, 0.1)), Some(&est(1.0, 0.1)), a, b).change, Change::Unchanged);
        assert_eq!(quantity_change("q", Some(&undefined), Some(&undefined.clone()), a, b).change, Change::Unchanged);
    }

    #[test]
    fn a_move_smaller_than_the_combined_intervals_is_noise_and_a_large_one_is_not() {
        let (a, b) = zs();
        // Two intervals of half-width 0.1 at 95%: se 0.051 each, 0.072 combined; z_all 3.02.
        let small = quantity_change("q", Some(&est(1.0, 0.1)), Some(&est(1.1, 0.1)), a, b);
        assert_eq!(small.change, Change::WithinNoise);
        assert!((small.diff - 0.1).abs() < 1e-12 && small.lo < 0.0 && small.hi > 0.2, "{small:?}");
        let large = quantity_change("q", Some(&est(1.0, 0.1)), Some(&est(1.3, 0.1)), a, b);
        assert_eq!(large.change, Change::Changed);
        assert!(large.lo > 0.0, "{large:?}");
        let down = quantity_change("q", Some(&est(1.0, 0.1)), Some(&est(0.7, 0.1)), a, b);
        assert!(down.change == Change::Changed && down.hi < 0.0, "{down:?}");
    }

    #[test]
    fn a_quantity_that_appears_disappears_or_becomes_undefined_has_changed() {
        let (a, b) = zs();
        assert_eq!(quantity_change("q", None, Some(&est(1.0, 0.1)), a, b).change, Change::Changed);
        assert_eq!(quantity_change("q", Some(&est(1.0, 0.1)), None, a, b).change, Change::Changed);
        let undefined = Estimate { value: f64::NAN, lo: f64::NAN, hi: f64::NAN, undefined: 1.0 };
        assert_eq!(quantity_change("q", Some(&est(1.0, 0.1)), Some(&undefined), a, b).change, Change::Changed);
    }
}
