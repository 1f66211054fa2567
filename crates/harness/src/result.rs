//! What a checked claim found, as plain data: the envelope the reports read (result.json,
//! the summary page, figure titles). Nothing here runs or draws.

use crate::grid::Point;
use crate::plan::Budget;
use crate::spec::{CheckSpec, ClaimSpec};
use crate::stats::Estimate;
use crate::verdict::{Expect, Standing, Verdict};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One check of a result: the check as the spec states it, what it judged, and what it
/// could have detected.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// The check, as the spec states it.
    #[serde(flatten)]
    pub spec: CheckSpec,
    /// The check in words (what is compared with what).
    pub description: String,
    /// The estimate judged (for a per-point check: the point named in `reason`).
    pub estimate: Estimate,
    /// A formula's value at the judged point (a number needs no evaluating, and is left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicted: Option<f64>,
    /// What the check found.
    pub verdict: Verdict,
    /// Why, in words: the interval against the prediction and tolerance, at the point shown.
    pub reason: String,
    /// The smallest deviation of the truth from the prediction, on each side the claim could
    /// be false on, that this run's check would detect on 80% of datasets like this one
    /// (from its own bootstrap replicates; `crate::power`).
    #[serde(default)]
    pub resolution: crate::power::Resolution,
    /// The share of such datasets on which the check fails with the truth planted at its
    /// `plant` (the smaller over its sides), if it states one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power: Option<f64>,
    /// A check meant to be able to fail that detects its plant on fewer than 80% of datasets:
    /// it cannot fail at this budget, and the reports say so instead of PASS.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub weak: bool,
    /// Every member the check judged (one for a whole-grid check), with its prediction and
    /// its interval (a per-point check's: the simultaneous band).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub band: Vec<BandMember>,
}

/// One member of a check's family: a point (or cell), what the check predicts there, and the
/// interval it was judged on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BandMember {
    /// The point or cell, as the reports name it (`whole grid` for a whole-grid check).
    pub label: String,
    /// What the check predicts there.
    #[serde(deserialize_with = "crate::stats::nan_as_null")]
    pub predicted: f64,
    /// The estimate there.
    #[serde(deserialize_with = "crate::stats::nan_as_null")]
    pub value: f64,
    /// The band's lower end there.
    #[serde(deserialize_with = "crate::stats::nan_as_null")]
    pub lo: f64,
    /// Its upper end there.
    #[serde(deserialize_with = "crate::stats::nan_as_null")]
    pub hi: f64,
}

impl CheckResult {
    /// What the check could have detected, in words: its resolution, its power at its plant,
    /// and WEAK where that power is below 80% (it cannot fail at this budget).
    pub fn resolution_text(&self) -> String {
        let mut s = self.resolution.text(self.spec.kind);
        if let (Some(plant), Some(power)) = (self.spec.plant, self.power) {
            // Rounded down, so a power just short of the 80% that makes a check WEAK never
            // reads as 80%.
            s += &format!("; detects its plant ({}) on {}%", crate::power::plant_text(self.spec.kind, plant), (100.0 * power).floor());
        }
        if self.weak {
            s += "; WEAK: cannot fail at this budget";
        }
        s
    }

    /// The prediction the estimate was judged against.
    pub fn prediction(&self) -> f64 {
        self.predicted.or(self.spec.predict.value()).unwrap_or(f64::NAN)
    }

    /// The prediction as the reports print it: the number, or the formula and its value.
    pub fn prediction_text(&self) -> String {
        match (&self.spec.predict, self.predicted) {
            (crate::spec::Predict::Formula(f), Some(x)) => format!("{f} = {}", crate::verdict::num(x)),
            (crate::spec::Predict::Formula(f), None) => f.clone(),
            (crate::spec::Predict::Value(x), _) => crate::verdict::num(*x),
        }
    }
}

/// How the trials of a run were obtained.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// Trials simulated by this run.
    pub simulated: usize,
    /// Trials read back from earlier runs' records (same configuration).
    pub reused: usize,
}

/// How a result came about, written beside it as `run.json` (result.json stays a pure
/// function of the trials, so that sharded and whole runs agree byte for byte).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// "full" or "quick".
    pub grid: String,
    /// How many trials were simulated and how many reused.
    #[serde(flatten)]
    pub provenance: Provenance,
    /// scb's version.
    pub version: String,
    /// When the result was judged, UTC.
    pub date: String,
    /// `git describe --always --dirty` of the scb source the binary was built from (fixed at
    /// build time; absent when it was not built from a git checkout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The fingerprint of the code whose trial records the result was judged from: the
    /// records `scb figure` redraws it from (absent in results older than fingerprints).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The hash of the configuration those records belong to. A Python trial's includes its
    /// module's code, which a folder redrawn elsewhere cannot find: `scb figure` reads the
    /// records of this hash (absent in older results: the spec's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
}

impl RunInfo {
    /// A result judged now from records of code `code` and configuration `config`.
    pub fn now(budget: Budget, provenance: Provenance, code: &str, config: &str) -> RunInfo {
        let commit = option_env!("SCB_COMMIT").map(str::to_string);
        let grid = budget.name().into();
        let (code, config) = (Some(code.to_string()), Some(config.to_string()));
        RunInfo { grid, provenance, version: env!("CARGO_PKG_VERSION").into(), date: utc_now(), commit, code, config }
    }
}

/// How a set of results came out.
#[derive(Debug, Default)]
pub struct Tally<'a> {
    /// Claims that hold.
    pub hold: usize,
    /// Refuted forms that fail as they should.
    pub refuted: usize,
    /// Open questions that stay undecided, as their specs expect.
    pub open: usize,
    /// Specs that are undecided where they expected a verdict.
    pub undecided: Vec<&'a str>,
    /// Specs whose verdict the data contradict.
    pub off: Vec<&'a str>,
}

/// Counts results by their standing against what their specs expect.
pub fn tally<'a>(results: impl IntoIterator<Item = &'a ClaimResult>) -> Tally<'a> {
    let mut t = Tally::default();
    for r in results {
        match (r.standing, r.expect) {
            (Standing::AsExpected, Expect::Pass) => t.hold += 1,
            (Standing::AsExpected, Expect::Fail) => t.refuted += 1,
            (Standing::AsExpected, Expect::Undecided) => t.open += 1,
            (Standing::Undecided, _) => t.undecided.push(r.id.as_str()),
            (Standing::Contradicted, _) => t.off.push(r.id.as_str()),
        }
    }
    t
}

/// The current time as `YYYY-MM-DD HH:MM UTC` (days to a civil date: Hinnant's algorithm).
fn utc_now() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", rem / 3600, rem % 3600 / 60)
}

/// A result read from a file is checked as a spec is (`ClaimResult`'s `Deserialize`): a
/// downloaded folder is data, and its id names files, so it may not be a path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
pub struct ClaimResult {
    /// The spec's id, which names its report folder.
    pub id: String,
    /// The claim, in words.
    pub statement: String,
    /// Every check holds.
    pub holds: bool,
    /// What the spec expects: a claim, a refuted form or an open question.
    pub expect: Expect,
    /// The verdict is what the spec expects (a true claim holds, a refuted form fails).
    pub as_expected: bool,
    /// As expected, undecided (the data cannot tell yet), or contradicted.
    pub standing: Standing,
    /// In words: "holds", "refuted as expected", or why the verdict is not the expected one.
    pub outcome: String,
    /// The budget it was judged on, written as `"quick": true` or `false`.
    #[serde(rename = "quick", with = "crate::plan::as_quick")]
    pub budget: Budget,
    /// Which randomness the intervals cover, in words.
    pub randomness: String,
    /// How the intervals were made, in words.
    #[serde(default)]
    pub interval: String,
    /// Tasks per point.
    pub tasks_per_point: usize,
    /// Trials per task.
    pub trials_per_point: usize,
    /// The grid's points.
    pub points: Vec<Point>,
    /// Every check, in the spec's order.
    pub checks: Vec<CheckResult>,
    /// Every quantity with its interval, per-point ones (`name@key`) included.
    pub quantities: BTreeMap<String, Estimate>,
    /// The spec it judged, whole.
    pub spec: ClaimSpec,
}

impl Serialize for ClaimResult {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ClaimResult::serialize(self, s)
    }
}

impl<'de> Deserialize<'de> for ClaimResult {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r = ClaimResult::deserialize(d)?;
        let bad = |e: crate::Error| serde::de::Error::custom(crate::ui::one_line(&e.to_string()));
        crate::spec::check_id(&r.id).map_err(bad)?;
        r.spec.validate().map_err(bad)?;
        if r.spec.id != r.id {
            return Err(serde::de::Error::custom(format!("the result's id {:?} is not its spec's {:?}", r.id, r.spec.id)));
        }
        Ok(r)
    }
}

impl ClaimResult {
    /// The estimate under a key: a quantity (a claim's `Quantity` const) or a per-point key.
    pub fn q(&self, name: impl AsRef<str>) -> Option<&Estimate> {
        self.quantities.get(name.as_ref())
    }
    /// The value of a quantity, NaN when it is missing or undefined.
    pub fn value(&self, name: impl AsRef<str>) -> f64 {
        self.q(name).map_or(f64::NAN, |e| e.value)
    }
    /// The estimate of a per-point quantity at `point`.
    pub fn at(&self, name: impl AsRef<str>, point: &Point) -> Option<&Estimate> {
        self.q(crate::claims::Key::new(name.as_ref()).at(point).to_string())
    }
    /// "PASS" / "WEAK" / "FAIL" / "UNDECIDED": the claim's own verdict (weak when every
    /// check holds but some cannot detect its plant at this budget; undecided when no check
    /// fails but some cannot tell).
    pub fn verdict_word(&self) -> &'static str {
        if self.holds && self.checks.iter().any(|c| c.weak) {
            "WEAK"
        } else if self.holds {
            "PASS"
        } else if self.checks.iter().any(|c| matches!(c.verdict, Verdict::Fails | Verdict::Undefined)) {
            "FAIL"
        } else {
            "UNDECIDED"
        }
    }
    /// The prediction of the first check of `quantity` (at its judged point), if there is one.
    pub fn predicted(&self, quantity: impl AsRef<str>) -> Option<f64> {
        self.checks.iter().find(|c| c.spec.quantity == quantity.as_ref()).map(CheckResult::prediction)
    }
    /// "id: PASS" or "id: FAIL (which checks fail)", and whether that was expected: figure titles.
    pub fn title(&self) -> String {
        let failed: Vec<&str> = self.checks.iter().filter(|c| c.verdict != Verdict::Holds).map(|c| c.spec.quantity.as_str()).collect();
        let verdict = if self.holds { "PASS".to_string() } else { format!("{} ({})", self.verdict_word(), failed.join(", ")) };
        let expected = match (self.expect, self.as_expected) {
            (Expect::Fail, true) => ", refuted as expected",
            (Expect::Undecided, true) if self.holds => ", an open question settled in its favour",
            (Expect::Undecided, true) => ", open as expected",
            _ => "",
        };
        let quick = if self.budget.is_quick() { " (quick grid)" } else { "" };
        format!("{}: {verdict}{expected}{quick}", self.id)
    }
}

/// A spec's measured operating characteristics (`scb calibrate`): rerun under several master
/// seeds, how often each check reaches its expected verdict, and how often it fails with the
/// truth planted at its competing hypothesis. Written beside the result as
/// `calibration.json` (full grid) or `calibration-quick.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// The spec's id.
    pub id: String,
    /// "full" or "quick".
    pub grid: String,
    /// The master seeds the spec ran under (its own seed is not among them).
    pub seeds: Vec<u64>,
    /// What the intervals covered, in words.
    pub randomness: String,
    /// How they were made, in words.
    #[serde(default)]
    pub interval: String,
    /// The intervals' confidence level.
    pub level: f64,
    /// Seeds on which the spec's verdict was the expected one.
    pub as_expected: usize,
    /// Seeds on which it was undecided (no check contradicted the expectation).
    pub undecided: usize,
    /// Every check's counts, in the spec's order.
    pub checks: Vec<CheckCalibration>,
    /// What each seed gave, check by check: the raw record behind the counts.
    #[serde(default)]
    pub per_seed: Vec<SeedVerdicts>,
}

/// One master seed's verdicts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedVerdicts {
    /// The master seed.
    pub seed: u64,
    /// The spec's standing under it.
    pub standing: Standing,
    /// Per check.
    pub verdicts: Vec<Verdict>,
    /// Per check, per side its claim could be false on (in `CheckCalibration::planted`'s
    /// order): the verdict with the truth planted at the check's plant (empty without one).
    pub planted: Vec<Vec<Verdict>>,
}

/// One check's operating characteristics over the seeds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckCalibration {
    /// The quantity judged.
    pub quantity: String,
    /// How it is compared.
    pub kind: crate::verdict::Kind,
    /// Whether it is judged at every point.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub each_point: bool,
    /// What the check is expected to give: "holds", "fails", "either" (a refuted form's
    /// check that states no expectation), or "no fail" (an open question's).
    pub expected: String,
    /// Seeds that reached it.
    pub stable: usize,
    /// Seeds on which it held.
    pub holds: usize,
    /// Seeds on which it failed.
    pub fails: usize,
    /// Seeds on which it was undecided.
    pub undecided: usize,
    /// Seeds on which its quantity was undefined.
    pub undefined: usize,
    /// The competing hypothesis: the truth's deviation from the prediction (a factor
    /// `1 + plant` for ratio) at which the claim is false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plant: Option<f64>,
    /// With the truth planted there, on each side the claim could be false on: on how many
    /// seeds the check failed (a detection), and on how many it was undecided.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub planted: Vec<Planted>,
    /// The smallest planted deviation the check detects on at least 80% of the seeds, per
    /// side (bisection over re-judged plants; no simulation).
    #[serde(default)]
    pub resolution: crate::power::Resolution,
    /// A check meant to be able to fail that detects its plant on fewer than 80% of seeds.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub weak: bool,
}

/// Detections of a plant on one side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Planted {
    /// Which side of the prediction the truth was planted on.
    pub side: crate::power::Side,
    /// Seeds on which the check failed there: detections.
    pub fails: usize,
    /// Seeds on which it was undecided there.
    pub undecided: usize,
}

impl Calibration {
    /// The file a calibration is written to, in the spec's report folder.
    pub fn file_name(budget: Budget) -> &'static str {
        if budget.is_quick() {
            "calibration-quick.json"
        } else {
            "calibration.json"
        }
    }

    /// The share of seeds with the expected verdict.
    pub fn stability(&self) -> f64 {
        self.as_expected as f64 / self.seeds.len().max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn committed() -> serde_json::Value {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../reports/quick/transfer_zero_cost/result.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    fn with_id(id: &str) -> std::result::Result<ClaimResult, serde_json::Error> {
        let mut v = committed();
        v["id"] = id.into();
        v["spec"]["id"] = id.into();
        serde_json::from_value(v)
    }

    /// An id from a file names files, so a result is read only when its id is a name a spec
    /// may have: never a path, never markup.
    #[test]
    fn a_result_is_read_only_with_an_id_a_spec_may_have() {
        fn prop(id: String) -> bool {
            with_id(&id).is_ok() == crate::spec::check_id(&id).is_ok()
        }
        quickcheck::QuickCheck::new().tests(2000).quickcheck(prop as fn(String) -> bool);
        for bad in ["../../paper/fig1", "/home/u/paper/fig1", "x<img src=x onerror=alert(1)>", ""] {
            assert!(with_id(bad).unwrap_err().to_string().contains("id"), "{bad}");
        }
        assert!(with_id("transfer_zero_cost").is_ok());
        let mut v = committed();
        v["id"] = "other".into();
        assert!(serde_json::from_value::<ClaimResult>(v).unwrap_err().to_string().contains("not its spec's"));
    }

    #[test]
    fn a_result_reads_back_as_it_was_written() {
        let r: ClaimResult = serde_json::from_value(committed()).unwrap();
        let again: ClaimResult = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(serde_json::to_value(&again).unwrap(), serde_json::to_value(&r).unwrap());
    }
}
