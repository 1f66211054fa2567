//! The `scaling` claim and formula predictions, as a user meets them: the example bounds in
//! `theorems/examples/` reach the dedicated claims' verdicts on the same law, the wrong bound
//! fails on its T axis and only there, a wrong constant and a broken algorithm are rejected,
//! and a bad formula is refused in one line with nothing written. Quick grids throughout.

use scb::result::ClaimResult;
use scb::spec::ClaimSpec;
use scb::verdict::Verdict;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

/// What a run printed: its findings (stdout) then its notes and errors (stderr).
fn console(o: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn load(rel: &str) -> ClaimSpec {
    ClaimSpec::load(&path(rel)).unwrap()
}

/// The spec's quick grid, in a folder of its configuration's own.
fn run(spec: &ClaimSpec, out: &Path) -> ClaimResult {
    common::quick_run(spec, out)
}

fn verdict(r: &ClaimResult, quantity: &str) -> Verdict {
    r.checks.iter().find(|c| c.spec.quantity == quantity).unwrap_or_else(|| panic!("no check of {quantity}")).verdict
}

fn reasons(r: &ClaimResult) -> Vec<String> {
    r.checks.iter().map(|c| format!("{}: {}", c.spec.quantity, c.reason)).collect()
}

/// The estimates' intervals overlap: the two measurements agree within their uncertainty.
fn overlap(a: &scb::stats::Estimate, b: &scb::stats::Estimate) -> bool {
    a.lo <= b.hi && b.lo <= a.hi
}

#[test]
fn the_stage_one_law_as_a_formula_reaches_the_dedicated_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let dedicated = run(&load("theorems/stage_one.toml"), dir.path());
    let law = run(&load("theorems/examples/stage_one_law.toml"), dir.path());
    assert_eq!((law.holds, law.as_expected), (dedicated.holds, dedicated.as_expected), "{:?} vs {:?}", reasons(&law), reasons(&dedicated));
    assert!(law.holds, "{:?}", reasons(&law));
    // The same quantity measured two ways: the formula's constant is the dedicated n/n1.
    assert!(overlap(law.q("constant").unwrap(), dedicated.q("ratio").unwrap()));
    for p in &dedicated.points {
        let (a, b) = (law.at("measured", p).unwrap(), dedicated.at("n_hat", p).unwrap());
        assert!(overlap(a, b), "{}: {a:?} vs {b:?}", p.label());
    }
}

#[test]
fn the_transfer_law_as_a_formula_reaches_the_dedicated_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let dedicated = run(&load("theorems/transfer.toml"), dir.path());
    let law = run(&load("theorems/examples/transfer_law.toml"), dir.path());
    assert_eq!((law.holds, law.as_expected), (dedicated.holds, dedicated.as_expected), "{:?} vs {:?}", reasons(&law), reasons(&dedicated));
    assert!(law.holds, "{:?}", reasons(&law));
    // Per point (rho > 0): measured / predicted agrees with the dedicated pred_ratio.
    let mut compared = 0;
    for p in law.points.iter() {
        let key = p.key();
        let dedicated_key = key.trim_end_matches(",B=256");
        if let Some(d) = dedicated.q(format!("pred_ratio@{dedicated_key}")) {
            let l = law.q(format!("ratio@{key}")).unwrap();
            assert!(overlap(l, d), "{key}: {l:?} vs {d:?}");
            compared += 1;
        }
    }
    assert_eq!(compared, law.points.len(), "every point of the law has a dedicated counterpart");
}

#[test]
fn a_wrong_bound_fails_on_its_wrong_axis_only() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(&load("theorems/examples/stage_one_t_squared.toml"), dir.path());
    assert!(r.as_expected && !r.holds, "{}: {:?}", r.outcome, reasons(&r));
    assert_eq!(verdict(&r, "residual_t"), Verdict::Fails);
    assert_eq!(verdict(&r, "residual_n"), Verdict::Holds);
    let t = r.q("residual_t").unwrap();
    assert!(t.hi < -0.8 && t.lo > -1.2, "T^2 in place of T leaves about T^-1: {t:?}");
}

fn with_predict(spec: &ClaimSpec, formula: &str) -> ClaimSpec {
    let mut s = spec.clone();
    s.sections.insert("predict".into(), toml::Value::String(formula.into()));
    s
}

#[test]
fn the_scaling_checker_rejects_a_wrong_constant_and_broken_algorithms() {
    let dir = tempfile::tempdir().unwrap();
    let law = load("theorems/examples/stage_one_law.toml");
    let f = law.sections["predict"].as_str().unwrap().to_string();
    // The constant off by 3 either way; the formula is not in the trial hash, so these
    // re-judge the same trials.
    for k in ["3", "(1/3)"] {
        let r = run(&with_predict(&law, &format!("{k} * ({f})")), dir.path());
        assert_eq!(verdict(&r, "constant"), Verdict::Fails, "{k}: {:?}", reasons(&r));
        assert_eq!(verdict(&r, "residual_t"), Verdict::Holds, "a constant factor leaves exponents alone");
    }
    // An exponent of N off by one.
    let r = run(&with_predict(&law, &format!("N * ({f})")), dir.path());
    assert_eq!(verdict(&r, "residual_n"), Verdict::Fails, "{:?}", reasons(&r));

    // Ablation: no preconditioner. The first step then never reaches corr_V >= 0.5 within a
    // budget of 20 times the largest prediction, so nothing holds.
    let mut plain = law.clone();
    let mut alg = plain.sections["algorithm"].as_table().unwrap().clone();
    alg.insert("precondition".into(), toml::Value::Boolean(false));
    plain.sections.insert("algorithm".into(), toml::Value::Table(alg));
    let mut run_table = plain.sections["run"].as_table().unwrap().clone();
    run_table.insert("budget".into(), toml::Value::Integer(200_000));
    plain.sections.insert("run".into(), toml::Value::Table(run_table));
    let r = run(&plain, dir.path());
    assert!(!r.holds, "{:?}", reasons(&r));

    // Ablation of the transfer: V not frozen. Its cost no longer follows n(rho).
    let mut joint = load("theorems/examples/transfer_law.toml");
    let mut alg = joint.sections["algorithm"].as_table().unwrap().clone();
    alg.remove("freeze_v");
    joint.sections.insert("algorithm".into(), toml::Value::Table(alg));
    let r = run(&joint, dir.path());
    assert!(!r.holds, "{:?}", reasons(&r));
    assert_eq!(verdict(&r, "residual_rho"), Verdict::Fails, "{:?}", reasons(&r));
}

fn scb(args: &[&str], cwd: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_scb")).args(args).current_dir(cwd).output().unwrap()
}

/// A copy of the stage-one law with `predict` replaced, in `dir`.
fn law_predicting(dir: &Path, formula: &str) -> PathBuf {
    let text = std::fs::read_to_string(path("theorems/examples/stage_one_law.toml")).unwrap();
    let start = text.find("\npredict = ").expect("the example has a predict line") + 1;
    let end = start + text[start..].find('\n').unwrap();
    let p = dir.join("bound.toml");
    std::fs::write(&p, format!("{}predict = {formula:?}{}", &text[..start], &text[end..])).unwrap();
    p
}

#[test]
fn a_bad_formula_is_refused_in_one_line_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        // Unknown variable: named, with the known ones.
        ("c^2 * T * sum_inv_muu", vec!["predict", "\"sum_inv_muu\"", "known:", "sum_inv_mu", "N=8, T=16, Q=2"]),
        // Syntax.
        ("c^2 * (T", vec!["predict", "\"c^2 * (T\"", "does not parse"]),
        // Division by zero at one grid point only.
        ("T / (32 - N)", vec!["predict", "\"T / (32 - N)\"", "is inf", "N=32"]),
        // Not a sample count.
        ("0 * T", vec!["predict", "must be positive"]),
    ];
    for (formula, want) in cases {
        let spec = law_predicting(dir.path(), formula);
        let out = dir.path().join("reports");
        let o = scb(&["check", spec.to_str().unwrap(), "--quick", "--out", out.to_str().unwrap()], dir.path());
        let err = console(&o);
        assert_eq!(o.status.code(), Some(2), "{formula}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{formula}: one line: {err}");
        assert!(err.contains("bound.toml"), "names the file: {err}");
        for w in want {
            assert!(err.contains(w), "{formula}: {err:?} lacks {w:?}");
        }
        assert!(!out.exists(), "{formula}: nothing written");
    }
    // A check's own formula: evaluated per point before any trial runs, with the same care.
    let text = std::fs::read_to_string(path("theorems/stage_one.toml")).unwrap();
    let bad =
        text.replacen("where = { n = [16, 32] }\nkind = \"ratio\"\npredict = 1.0", "where = { n = [16, 32] }\nkind = \"ratio\"\npredict = \"1 / (T - 16)\"", 1);
    assert_ne!(bad, text, "theorems/stage_one.toml changed shape");
    let spec = dir.path().join("stage_one.toml");
    std::fs::write(&spec, bad).unwrap();
    let out = dir.path().join("reports");
    let o = scb(&["check", spec.to_str().unwrap(), "--quick", "--out", out.to_str().unwrap()], dir.path());
    let err = console(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("check[1].predict") && err.contains("\"1 / (T - 16)\" is inf") && err.contains("N=16, T=16"), "{err}");
    assert!(!out.exists());
    // A whole-grid quantity (the T exponent) has one estimate: a formula that varies over
    // the grid cannot be its prediction.
    let varies =
        text.replacen("quantity = \"t_exponent\"\nkind = \"equal\"\npredict = 1.0", "quantity = \"t_exponent\"\nkind = \"equal\"\npredict = \"T / 16\"", 1);
    assert_ne!(varies, text, "theorems/stage_one.toml changed shape");
    std::fs::write(&spec, varies).unwrap();
    let o = scb(&["check", spec.to_str().unwrap(), "--quick", "--out", out.to_str().unwrap()], dir.path());
    let err = console(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("check[2].predict") && err.contains("is 1 at N=8, T=16, Q=2 but 2 at N=8, T=32, Q=2") && err.contains("t_exponent is one number"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn a_checks_formula_is_judged_point_by_point() {
    // stage_one's per-point check at N = 8 written as a formula equal to 1 at every point
    // re-judges to the same verdict; one that predicts T/16 instead fails beyond T = 16.
    let dir = tempfile::tempdir().unwrap();
    let real = load("theorems/stage_one.toml");
    let base = run(&real, dir.path());
    let mut same = real.clone();
    same.checks[1].predict = scb::spec::Predict::Formula("T / T".into());
    let r = run(&same, dir.path());
    assert_eq!(r.checks[1].verdict, base.checks[1].verdict);
    assert_eq!(r.checks[1].predicted, Some(1.0));
    let mut wrong = real.clone();
    wrong.checks[1].predict = scb::spec::Predict::Formula("T / 16".into());
    let r = run(&wrong, dir.path());
    assert_eq!(r.checks[1].verdict, Verdict::Fails, "{:?}", reasons(&r));
    assert!(r.checks[1].reason.contains("T=128"), "{}", r.checks[1].reason);
    assert_eq!(r.checks[1].predicted, Some(8.0), "the prediction at the point shown");
}

#[test]
fn a_formula_of_task_statistics_is_judged_per_task() {
    // n1 written as a formula of the task's statistics is a different number for every task
    // of a point: the check is judged on measured / predicted formed within each task, then
    // averaged, which is stage_one's own ratio. So it reaches the same verdict, with the same
    // value, as the dedicated per-point check from N = 16; and n1 off by 15% (the plant)
    // fails it.
    let dir = tempfile::tempdir().unwrap();
    let n1 = "c^2 / (1 - c^2) * (T * (1 - 1/N) * (sum_inv_mu - N) - energy) / energy";
    let mut real = load("theorems/stage_one.toml");
    let dedicated = real.checks.iter().position(|c| c.at.get("n") == Some(&vec![16.0, 32.0])).expect("the per-point check from N = 16");
    let mut check = real.checks[dedicated].clone();
    check.quantity = "n_hat".into();
    check.predict = scb::spec::Predict::Formula(n1.into());
    real.checks.push(check.clone());
    let r = run(&real, dir.path());
    let (own, formula) = (&r.checks[dedicated], r.checks.last().unwrap());
    assert_eq!(formula.verdict, own.verdict, "{:?}", reasons(&r));
    assert!(formula.reason.contains("per-task deviation"), "{}", formula.reason);
    assert!((formula.estimate.value / own.estimate.value - 1.0).abs() < 0.01, "{:?} vs {:?}", formula.estimate, own.estimate);
    let mut off = real.clone();
    off.checks.last_mut().unwrap().predict = scb::spec::Predict::Formula(format!("1.15 * {n1}"));
    let r = run(&off, dir.path());
    assert_eq!(r.checks.last().unwrap().verdict, Verdict::Fails, "{:?}", reasons(&r));
}

/// A residual of an axis the grid does not have is refused before anything runs, saying the
/// axis is missing and which axes the grid has (not that it "needs two values" of it).
#[test]
fn a_residual_along_an_axis_the_grid_lacks_is_refused_naming_the_grids_axes() {
    let mut spec = load("theorems/examples/stage_one_law.toml");
    let i = spec.checks.iter().position(|c| c.quantity == "residual_n").unwrap();
    spec.checks[i].quantity = "residual_rho".into();
    let e = scb::claims::find(&scb::theories::REGISTRY, &spec).unwrap().prepare(spec).err().expect("refused").to_string();
    assert!(e.contains(&format!("check[{i}].quantity")) && e.contains("the grid has no axis rho (it has n, t)"), "{e}");
}
