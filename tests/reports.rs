//! The committed reports say what the code does: re-judging their trial records (no
//! re-simulation: the trial hashes match, and the records carry this code's fingerprint)
//! reproduces every result.json byte for byte.
//! This also needs JSON to round-trip floats exactly, or a resumed run (which reads its
//! records back) would differ in the last bit from an uninterrupted one.

use quickcheck::QuickCheck;
use std::path::Path;

/// What a run printed: its findings (stdout) then its notes and errors (stderr).
fn console(o: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[test]
fn floats_survive_the_trial_records_exactly() {
    fn prop(bits: u64) -> bool {
        let x = f64::from_bits(bits);
        if !x.is_finite() {
            return true;
        }
        let back: f64 = serde_json::from_str(&serde_json::to_string(&x).unwrap()).unwrap();
        back.to_bits() == x.to_bits()
    }
    QuickCheck::new().tests(20_000).quickcheck(prop as fn(u64) -> bool);
}

#[test]
fn rejudging_the_committed_trials_reproduces_the_committed_results() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let ids = scb::commands::check::spec_ids(&root.join("theorems")).unwrap();
    for id in &ids {
        let to = dir.path().join(id);
        std::fs::create_dir_all(&to).unwrap();
        std::fs::copy(root.join("reports").join(id).join("trials.jsonl"), to.join("trials.jsonl")).unwrap();
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scb"))
        .args(["check", "all", "--out", dir.path().to_str().unwrap(), "--theorems", root.join("theorems").to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", console(&out));
    for id in &ids {
        // The same number of records: nothing was rerun.
        let lines = |p: &Path| std::fs::read_to_string(p).unwrap().lines().count();
        assert_eq!(
            lines(&dir.path().join(id).join("trials.jsonl")),
            lines(&root.join("reports").join(id).join("trials.jsonl")),
            "{id}: trials were rerun (records from other code? run `scb check all` then `scb accept`)"
        );
        for f in ["result.json", "quantities.csv"] {
            let want = std::fs::read(root.join("reports").join(id).join(f)).unwrap();
            let got = std::fs::read(dir.path().join(id).join(f)).unwrap();
            assert!(want == got, "{id}/{f} differs from the committed one: run `scb check all` then `scb accept`");
        }
    }
}
