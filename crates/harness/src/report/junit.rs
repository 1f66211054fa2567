//! `check --junit FILE`: the run's verdicts as JUnit XML, which CI systems show as tests.
//! One test suite per spec: a case for the spec's verdict, and one per check with its
//! numbers in the message. A case fails where the data contradict what the spec expects of
//! it, and is skipped where the data cannot tell yet (an undecided one-sided bound).

use super::reporter::Reporter;
use crate::compare::Compared;
use crate::error::Result;
use crate::report::Panel;
use crate::result::{CheckResult, ClaimResult, RunInfo};
use crate::verdict::{num, Expect, Standing, Verdict};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Collects each judged spec as a test suite and writes the file when the run ends.
pub struct Junit {
    folder: PathBuf,
    name: String,
    suites: Mutex<Vec<String>>,
}

impl Junit {
    /// Refuses, before anything runs, a file whose folder does not exist.
    pub fn new(path: &Path) -> Result<Junit> {
        let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = path.file_name().and_then(|n| n.to_str()).filter(|_| folder.is_dir() && !path.is_dir());
        let Some(name) = name else {
            return Err(crate::error::invalid("--junit", format!("must be a file in an existing folder (got {})", path.display())));
        };
        Ok(Junit { folder: folder.to_path_buf(), name: name.to_string(), suites: Mutex::new(Vec::new()) })
    }
}

/// What a case came to: passed, failed (with why) or skipped (with why).
enum Case {
    Passed,
    Failed(String),
    Skipped(String),
}

/// A check judged against what its spec expects of it. In a refuted form a check without an
/// expectation of its own is reported, never failed: the form's verdict case judges it.
fn check_case(spec_expects: Expect, c: &CheckResult) -> Case {
    let expect = match (spec_expects, c.spec.expect) {
        (Expect::Fail, None) => return Case::Passed,
        (_, Some(e)) => e,
        (e, None) => e,
    };
    let said = c.reason.clone();
    match (expect, c.verdict) {
        // Holding proves nothing where the check could not have failed.
        (Expect::Pass | Expect::Undecided, Verdict::Holds) if c.weak => {
            Case::Skipped(format!("weak: cannot fail at this budget; {said}; {}", c.resolution_text()))
        }
        (_, Verdict::Undecided) if expect != Expect::Undecided => Case::Skipped(said),
        (Expect::Pass, Verdict::Holds) | (Expect::Fail, Verdict::Fails) => Case::Passed,
        (Expect::Undecided, Verdict::Holds | Verdict::Undecided) => Case::Passed,
        _ => Case::Failed(said),
    }
}

fn expected(e: Expect) -> &'static str {
    match e {
        Expect::Pass => "hold",
        Expect::Fail => "fail",
        Expect::Undecided => "stay undecided",
    }
}

/// Escapes text for an XML attribute or element.
fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

fn testcase(class: &str, name: &str, case: &Case, out: &str) -> String {
    let body = match case {
        Case::Passed => String::new(),
        Case::Failed(m) => format!("<failure message=\"{}\"/>", xml(m)),
        Case::Skipped(m) => format!("<skipped message=\"{}\"/>", xml(m)),
    };
    format!("    <testcase classname=\"{}\" name=\"{}\">{body}<system-out>{}</system-out></testcase>\n", xml(class), xml(name), xml(out))
}

/// One spec as a test suite.
pub fn suite(r: &ClaimResult) -> String {
    let verdict = match r.standing {
        Standing::AsExpected => Case::Passed,
        Standing::Undecided => Case::Skipped(r.outcome.clone()),
        Standing::Contradicted => Case::Failed(r.outcome.clone()),
    };
    let mut cases =
        vec![testcase(&r.id, "verdict", &verdict, &format!("{}: {} (expected to {}); intervals cover {}", r.id, r.outcome, expected(r.expect), r.randomness))];
    let mut results = vec![verdict];
    for (k, c) in r.checks.iter().enumerate() {
        let case = check_case(r.expect, c);
        let name = format!("check {k}: {} {:?} {}", c.spec.quantity, c.spec.kind, c.spec.predict.text()).to_lowercase();
        let numbers = format!(
            "{} = {} [{}, {}]; predicted {}; tolerance {}; {}; {}",
            c.spec.quantity,
            num(c.estimate.value),
            num(c.estimate.lo),
            num(c.estimate.hi),
            num(c.prediction()),
            num(c.spec.tolerance),
            c.reason,
            c.resolution_text()
        );
        cases.push(testcase(&r.id, &name, &case, &numbers));
        results.push(case);
    }
    let failures = results.iter().filter(|c| matches!(c, Case::Failed(_))).count();
    let skipped = results.iter().filter(|c| matches!(c, Case::Skipped(_))).count();
    format!(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n{}  </testsuite>\n",
        xml(&r.id),
        results.len(),
        cases.concat()
    )
}

impl Reporter for Junit {
    fn judged(&self, _dir: &Path, result: &ClaimResult, _panels: &[Panel], _info: &RunInfo) -> Result<()> {
        self.suites.lock().unwrap_or_else(|e| e.into_inner()).push(suite(result));
        Ok(())
    }

    /// One more suite, `baseline`: a case per spec, failed where it changed beyond noise.
    fn compared(&self, _out: &Path, baseline: &Path, specs: &[Compared]) -> Result<()> {
        let cases: Vec<String> = specs
            .iter()
            .map(|c| {
                let words = super::comparison::what(c);
                let case = if c.changed() { Case::Failed(words.clone()) } else { Case::Passed };
                testcase("baseline", c.id(), &case, &format!("{} against {}: {words}", c.id(), baseline.display()))
            })
            .collect();
        let failures = specs.iter().filter(|c| c.changed()).count();
        let suite = format!(
            "  <testsuite name=\"baseline\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">\n{}  </testsuite>\n",
            specs.len(),
            cases.concat()
        );
        self.suites.lock().unwrap_or_else(|e| e.into_inner()).push(suite);
        Ok(())
    }

    fn finished(&self, _out: &Path) -> Result<()> {
        let suites = self.suites.lock().unwrap_or_else(|e| e.into_inner()).concat();
        let text = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"scb\">\n{suites}</testsuites>\n");
        // Staged beside its place and moved into it: a reader never sees half a file.
        let mut staged = crate::io::Staged::begin(&self.folder)?;
        staged.write(&self.name, text.as_bytes())?;
        staged.commit()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(verdict: &str, expect: Option<&str>) -> CheckResult {
        let mut v = serde_json::json!({
            "quantity": "q", "kind": "equal", "predict": 1.0, "tolerance": 0.1, "description": "",
            "estimate": { "value": 1.0, "lo": 0.9, "hi": 1.1, "undefined": 0.0 }, "verdict": verdict, "reason": "why",
        });
        if let Some(e) = expect {
            v["expect"] = e.into();
        }
        serde_json::from_value(v).unwrap()
    }

    fn outcome(spec: Expect, verdict: &str, expect: Option<&str>) -> &'static str {
        match check_case(spec, &check(verdict, expect)) {
            Case::Passed => "passed",
            Case::Failed(_) => "failed",
            Case::Skipped(_) => "skipped",
        }
    }

    #[test]
    fn a_case_fails_only_where_the_data_contradict_what_the_spec_expects_of_the_check() {
        // A claim that should hold: every check must hold; undecided is skipped, not passed.
        assert_eq!(outcome(Expect::Pass, "holds", None), "passed");
        assert_eq!(outcome(Expect::Pass, "fails", None), "failed");
        assert_eq!(outcome(Expect::Pass, "undefined", None), "failed");
        assert_eq!(outcome(Expect::Pass, "undecided", None), "skipped");
        // A refuted form: its pinned checks are judged as pinned; the others are reported only.
        assert_eq!(outcome(Expect::Fail, "holds", None), "passed");
        assert_eq!(outcome(Expect::Fail, "fails", Some("fail")), "passed");
        assert_eq!(outcome(Expect::Fail, "holds", Some("fail")), "failed");
        assert_eq!(outcome(Expect::Fail, "fails", Some("pass")), "failed");
        // An open question: only a refutation (or an undefined quantity) fails.
        assert_eq!(outcome(Expect::Undecided, "undecided", None), "passed");
        assert_eq!(outcome(Expect::Undecided, "holds", None), "passed");
        assert_eq!(outcome(Expect::Undecided, "fails", None), "failed");
    }

    #[test]
    fn xml_special_characters_are_escaped() {
        assert_eq!(xml("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;");
    }
}
