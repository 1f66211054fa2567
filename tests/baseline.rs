//! Every run compared with the accepted baseline, as a user runs it from their folder with
//! the default folders: `check` writes to a working folder, says per spec whether anything
//! moved, exits 7 when a quantity moved beyond noise or a verdict flipped, and `scb accept`
//! makes the run the baseline. Records made by other code are simulated again.

use std::path::Path;
use std::process::{Command, Output};

/// What a run printed: its findings (stdout) then its notes and errors (stderr).
fn console(o: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

const THEOREMS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/theorems");

fn scb(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scb")).args(args).current_dir(dir).output().unwrap()
}

fn check(dir: &Path) -> (i32, String) {
    let r = scb(dir, &["check", "transfer_zero_cost", "--quick", "--theorems", THEOREMS]);
    (r.status.code().unwrap(), console(&r))
}

fn read_json(p: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn a_run_is_compared_with_the_baseline_and_accepted_into_it_explicitly() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let (run, base) = (d.join("reports/quick/new/transfer_zero_cost"), d.join("reports/quick/transfer_zero_cost"));

    // No baseline yet: the run goes to the working folder, says so, and exits 0.
    let (code, err) = check(d);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("transfer_zero_cost") && err.contains("no baseline") && err.contains("scb accept --quick"), "{err}");
    assert!(run.join("result.json").is_file() && !base.exists());
    assert!(run.parent().unwrap().join("comparison.json").is_file());

    // Accepting moves the result set into the baseline and keeps the baseline's calibration.
    std::fs::create_dir_all(&base).unwrap();
    std::fs::write(base.join("calibration-quick.json"), "{}").unwrap();
    std::fs::write(base.join("old-figure.svg"), "<svg/>").unwrap();
    let result = std::fs::read(run.join("result.json")).unwrap();
    let r = scb(d, &["accept", "--quick"]);
    assert!(r.status.success(), "{}", console(&r));
    assert_eq!(std::fs::read(base.join("result.json")).unwrap(), result);
    assert!(base.join("trials.jsonl").is_file() && base.join("transfer_zero_cost.svg").is_file() && base.join("calibration-quick.json").is_file());
    assert!(!base.join("old-figure.svg").exists() && !run.exists());
    // Its records in trial order, whatever order the threads finished them in.
    let keys: Vec<(String, u64, u64)> = std::fs::read_to_string(base.join("trials.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|r| (r["key"].as_str().unwrap().to_string(), r["task"].as_u64().unwrap_or(0), r["trial"].as_u64().unwrap()))
        .collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
    assert!(d.join("reports/quick/index.html").is_file());

    // The same code and seeds again: simulated from scratch, bit for bit unchanged.
    let (code, err) = check(d);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("unchanged (") && err.contains("bit for bit") && err.contains(" 0 reused"), "{err}");

    // A baseline whose quantity lies far from this run's: changed beyond noise, exit 7.
    let mut old = read_json(&base.join("result.json"));
    let q = &mut old["quantities"]["zero_vs_scratch"];
    for end in ["value", "lo", "hi"] {
        q[end] = serde_json::json!(q[end].as_f64().unwrap() * 1.5);
    }
    std::fs::write(base.join("result.json"), serde_json::to_vec_pretty(&old).unwrap()).unwrap();
    let (code, err) = check(d);
    assert_eq!(code, 7, "{err}");
    assert!(err.contains("CHANGED: 1 of ") && err.contains("zero_vs_scratch"), "{err}");
    let cmp = read_json(&d.join("reports/quick/new/comparison.json"));
    assert_eq!(cmp["specs"][0]["change"], "changed", "{cmp}");
    let index = std::fs::read_to_string(d.join("reports/quick/new/index.html")).unwrap();
    assert!(index.contains("The last run against the baseline in <code>reports/quick</code>") && index.contains("CHANGED: 1 of "), "{index}");
    let r = scb(d, &["check", "transfer_zero_cost", "--quick", "--theorems", THEOREMS, "--junit", "junit.xml"]);
    assert_eq!(r.status.code(), Some(7));
    let xml = std::fs::read_to_string(d.join("junit.xml")).unwrap();
    assert!(xml.contains("<testsuite name=\"baseline\" tests=\"1\" failures=\"1\"") && xml.contains("<failure message=\"CHANGED: 1 of "), "{xml}");

    // A verdict that flipped is named, even where no quantity moved.
    let mut old: serde_json::Value = serde_json::from_slice(&result).unwrap();
    let was = old["checks"][0]["verdict"].as_str().unwrap().to_string();
    let other = if was == "fails" { "holds" } else { "fails" };
    old["checks"][0]["verdict"] = serde_json::json!(other);
    std::fs::write(base.join("result.json"), serde_json::to_vec_pretty(&old).unwrap()).unwrap();
    let (code, err) = check(d);
    assert_eq!(code, 7, "{err}");
    assert!(err.contains(&format!("check 0 (zero_vs_scratch) flipped: {other} -> {was}")), "{err}");

    // Accept makes this run the baseline; the next check is unchanged again.
    let r = scb(d, &["accept", "transfer_zero_cost", "--quick"]);
    assert!(r.status.success(), "{}", console(&r));
    let (code, err) = check(d);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("unchanged ("), "{err}");
}

#[test]
fn accept_refuses_a_result_of_the_other_grid_or_an_empty_run_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    assert_eq!(check(d).0, 0);
    let r = scb(d, &["accept", "--from", "reports/quick/new"]);
    let err = console(&r);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains("quick-grid result") && err.contains("--quick") && err.lines().count() == 1, "{err}");
    assert!(!d.join("reports/transfer_zero_cost").exists() && d.join("reports/quick/new/transfer_zero_cost/result.json").is_file());
    let r = scb(d, &["accept"]);
    assert_eq!(r.status.code(), Some(2), "{}", console(&r));
}

/// Records carry the fingerprint of the code that made them: a record whose fingerprint is
/// not this binary's is simulated again, with a note saying how many and why.
#[test]
fn records_from_other_code_are_simulated_again_and_the_console_says_why() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let out = ["check", "transfer_zero_cost", "--quick", "--out", "out", "--theorems", THEOREMS];
    assert!(scb(d, &out).status.success());
    let trials = d.join("out/transfer_zero_cost/trials.jsonl");
    let result = std::fs::read(d.join("out/transfer_zero_cost/result.json")).unwrap();
    let text = std::fs::read_to_string(&trials).unwrap();
    let n = text.lines().count();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let ours = first["code"].as_str().unwrap().to_string();
    assert_eq!(ours.len(), 16, "{first}");
    // Records as other code would have written them: whole, with their checksums.
    let other: String = text
        .lines()
        .map(|l| {
            let mut r = scb::claims::store::Record::read(l).unwrap();
            r.code = "0000000000000000".into();
            serde_json::to_string(&r.sealed()).unwrap() + "\n"
        })
        .collect();
    std::fs::write(&trials, other).unwrap();
    let r = scb(d, &out);
    let err = console(&r);
    assert!(r.status.success(), "{err}");
    assert!(err.contains(&format!("{n} records from other code: simulating")), "{err}");
    assert!(err.contains(&format!("{n} simulated, 0 reused")), "{err}");
    assert_eq!(std::fs::read(d.join("out/transfer_zero_cost/result.json")).unwrap(), result);
    // Now this code's records are there too: the next run re-judges them.
    let err = console(&scb(d, &out));
    assert!(err.contains(&format!("0 simulated, {n} reused")), "{err}");
}
