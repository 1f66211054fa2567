//! What a checked claim found, as plain data: the envelope the reports read (result.json,
//! the summary page, figure titles). Nothing here runs or draws.

use crate::grid::Point;
use crate::spec::{CheckSpec, ClaimSpec};
use crate::stats::Estimate;
use crate::verdict::{Expect, Verdict};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    #[serde(flatten)]
    pub spec: CheckSpec,
    pub description: String,
    /// The estimate judged (for a per-point check: the point named in `reason`).
    pub estimate: Estimate,
    /// A formula's value at the judged point (a number needs no evaluating, and is left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicted: Option<f64>,
    pub verdict: Verdict,
    pub reason: String,
}

impl CheckResult {
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
    #[serde(flatten)]
    pub provenance: Provenance,
    pub version: String,
    /// When the result was judged, UTC.
    pub date: String,
    /// `git describe --always --dirty` of the working folder, where there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

impl RunInfo {
    pub fn now(quick: bool, provenance: Provenance) -> RunInfo {
        // Asked of git once per process, not once per judged spec.
        static COMMIT: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
        let commit = COMMIT
            .get_or_init(|| {
                std::process::Command::new("git")
                    .args(["describe", "--always", "--dirty"])
                    .stderr(std::process::Stdio::null())
                    .output()
                    .ok()
                    .filter(|o| o.status.success())
                    .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
                    .filter(|s| !s.is_empty())
            })
            .clone();
        RunInfo {
            grid: if quick { "quick" } else { "full" }.into(),
            provenance,
            version: env!("CARGO_PKG_VERSION").into(),
            date: utc_now(),
            commit,
        }
    }
}

/// How a set of results came out: how many hold, how many are refuted as expected, and the
/// ids of those whose verdict is not the expected one.
pub fn tally<'a>(results: impl IntoIterator<Item = &'a ClaimResult>) -> (usize, usize, Vec<&'a str>) {
    let (mut hold, mut refuted, mut off) = (0, 0, Vec::new());
    for r in results {
        match (r.as_expected, r.expect) {
            (true, Expect::Pass) => hold += 1,
            (true, Expect::Fail) => refuted += 1,
            (false, _) => off.push(r.id.as_str()),
        }
    }
    (hold, refuted, off)
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
    /// Every quantity with its interval, per-point ones (`name@key`) included.
    pub quantities: BTreeMap<String, Estimate>,
    pub spec: ClaimSpec,
}

impl ClaimResult {
    pub fn q(&self, name: &str) -> Option<&Estimate> {
        self.quantities.get(name)
    }
    /// The value of a quantity, NaN when it is missing or undefined.
    pub fn value(&self, name: &str) -> f64 {
        self.q(name).map_or(f64::NAN, |e| e.value)
    }
    /// The estimate of a per-point quantity at `point`.
    pub fn at(&self, name: &str, point: &Point) -> Option<&Estimate> {
        self.q(&format!("{name}@{}", point.key()))
    }
    /// "PASS" / "FAIL": the claim's own verdict.
    pub fn verdict_word(&self) -> &'static str {
        if self.holds {
            "PASS"
        } else {
            "FAIL"
        }
    }
    /// The prediction of the first check of `quantity` (at its judged point), if there is one.
    pub fn predicted(&self, quantity: &str) -> Option<f64> {
        self.checks.iter().find(|c| c.spec.quantity == quantity).map(CheckResult::prediction)
    }
    /// "id: PASS" or "id: FAIL (which checks fail)", and whether that was expected: figure titles.
    pub fn title(&self) -> String {
        let failed: Vec<&str> = self.checks.iter().filter(|c| c.verdict != Verdict::Holds).map(|c| c.spec.quantity.as_str()).collect();
        let verdict = if self.holds { "PASS".to_string() } else { format!("FAIL ({})", failed.join(", ")) };
        let expected = if self.expect == Expect::Fail && self.as_expected { ", refuted as expected" } else { "" };
        let quick = if self.quick { " (quick grid)" } else { "" };
        format!("{}: {verdict}{expected}{quick}", self.id)
    }
}
