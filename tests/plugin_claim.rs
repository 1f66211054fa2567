//! A theory that is not part of the crate, written as a user would add one: the folder
//! `examples/coin_theory/coin/` (its claims, importing `scb::prelude` alone), one registry
//! line, one TOML. The same folder builds a whole `scb` binary with the built-in theories
//! (`examples/coin_theory/main.rs`), which the last test runs through every command.
//! It has its own axes (a coin's bias and the number of tosses), its own per-point context
//! (no task, no learner), and it runs through the same `check` as every claim, files and
//! summary page included.

#[path = "../examples/coin_theory/coin/mod.rs"]
mod coin;

use scb::prelude::*;

const SPEC: &str = include_str!("../examples/coin_theory/coin_spread.toml");

/// The harness's registry with the coin theory's claims: the one registry line.
fn registry() -> Vec<&'static dyn Claim> {
    [REGISTRY.as_slice(), coin::claims::CLAIMS].concat()
}

fn run(dir: &std::path::Path, text: &str) -> Checked {
    let spec = dir.join("coin_spread.toml");
    std::fs::write(&spec, text).unwrap();
    let opts = CheckOptions { out: dir.join("reports"), theorems: dir.to_path_buf(), ..Default::default() };
    check(&registry(), &[spec.display().to_string()], &opts).unwrap()
}

#[test]
fn a_claim_from_outside_the_harness_runs_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let checked = run(dir.path(), SPEC);
    let (r, prov) = &checked.results[0];
    assert!(r.holds, "{:?}", r.checks.iter().map(|c| &c.reason).collect::<Vec<_>>());
    assert_eq!((prov.simulated, prov.reused), (48, 0));
    assert_eq!(r.points.len(), 6);
    assert!(r.q("sd_ratio@p=0.5,n=1000").is_some(), "{:?}", r.quantities.keys().collect::<Vec<_>>());
    for f in ["result.json", "quantities.csv", "coin_spread.svg", "trials.jsonl"] {
        assert!(dir.path().join("reports/coin_spread").join(f).is_file(), "{f}");
    }
    let index = std::fs::read_to_string(dir.path().join("reports/index.html")).unwrap();
    assert!(index.contains("coin_spread") && index.contains("<b>1 spec: 1 hold"), "{index}");
    // A wrong exponent is rejected, on the same trials (nothing is simulated again).
    let checked = run(dir.path(), &SPEC.replace("predict = -0.5", "predict = -1.0"));
    let (r, prov) = &checked.results[0];
    assert!(!r.holds && prov.simulated == 0 && prov.reused == 48);
}

#[test]
fn the_harness_alone_does_not_know_the_claim_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("coin_spread.toml");
    std::fs::write(&spec, SPEC).unwrap();
    let opts = CheckOptions { budget: scb::plan::Budget::Quick, out: dir.path().join("out"), theorems: dir.path().to_path_buf(), ..Default::default() };
    let err = check(&REGISTRY, &[spec.display().to_string()], &opts).err().unwrap().to_string();
    assert!(err.contains("claim: must be one of stage_one") && err.contains("(got \"coin\")"), "{err}");
}

#[test]
fn its_axes_are_checked_like_any_claim_s() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("coin_spread.toml");
    std::fs::write(&spec, SPEC.replace("p = [0.2, 0.5]", "p = [0.2, 1.5]")).unwrap();
    let opts = CheckOptions { out: dir.path().join("out"), theorems: dir.path().to_path_buf(), ..Default::default() };
    let err = check(&registry(), &[spec.display().to_string()], &opts).err().unwrap().to_string();
    assert!(err.contains("grid.p: must be numbers in [0.01, 0.99]"), "{err}");
}

/// The theory's files name nothing of the harness but its prelude: what a claim author needs
/// is all there, and the folder plus the line in `registry()` is the whole of the edit.
#[test]
fn the_coin_theory_is_one_folder_that_imports_the_prelude_alone() {
    fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                files(&p, out)
            } else {
                out.push(p)
            }
        }
    }
    let mut all = Vec::new();
    files(std::path::Path::new("examples/coin_theory/coin"), &mut all);
    assert_eq!(all.len(), 3, "{all:?}");
    for f in &all {
        let text = std::fs::read_to_string(f).unwrap();
        for (i, _) in text.match_indices("scb::") {
            assert!(text[i..].starts_with("scb::prelude"), "{}: names {}", f.display(), &text[i..(i + 40).min(text.len())]);
        }
    }
}

/// The example binary (`examples/coin_theory/main.rs`), which `cargo test` builds beside
/// the tests: `target/<profile>/examples/coin_theory`. `cargo test --test plugin_claim` alone
/// does not build it, so one older than the scb library it links is refused rather than
/// tested: a stale binary would test code that is no longer there.
fn coin_binary() -> std::path::PathBuf {
    let deps = std::env::current_exe().unwrap().parent().unwrap().to_path_buf();
    let exe = deps.parent().unwrap().join("examples").join(format!("coin_theory{}", std::env::consts::EXE_SUFFIX));
    let built = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let stale = "build it with `cargo build --release --example coin_theory`, or run the whole `cargo test`, which builds the examples";
    let exe_built = built(&exe).unwrap_or_else(|| panic!("{} is not built: {stale}", exe.display()));
    let library = std::fs::read_dir(&deps)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("libscb-") && n.ends_with(".rlib")))
        .filter_map(|p| built(&p))
        .max();
    assert!(library.is_none_or(|lib| exe_built >= lib), "{} is older than the scb library it links: {stale}", exe.display());
    exe
}

fn coin(dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(coin_binary()).args(args).current_dir(dir).output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

/// A binary built from the harness's crate plus a theory of its own serves the theory's
/// claims through every command: check, a sharded check and its merge, a calibration whole
/// and sharded, and a SLURM submission (printed, not submitted).
#[test]
fn a_binary_with_a_theory_from_outside_runs_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("coin_spread.toml"), SPEC).unwrap();
    let (code, out) = coin(d, &["check", "coin_spread", "--quick", "--theorems", ".", "--out", "whole"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("coin_spread: PASS"), "{out}");
    let (code, help) = coin(d, &["check", "--help"]);
    assert!(code == 0 && help.contains("coin ") && help.contains("stage_one"), "{help}");
    // Sharded, then merged: the same result, byte for byte.
    for shard in ["1/2", "2/2"] {
        let (code, out) = coin(d, &["check", "coin_spread", "--quick", "--theorems", ".", "--out", "sharded", "--shard", shard]);
        assert_eq!(code, 0, "{out}");
    }
    let (code, out) = coin(d, &["merge", "sharded/coin_spread", "--quick", "--theorems", "."]);
    assert_eq!(code, 0, "{out}");
    let read = |p: &str| std::fs::read(d.join(p)).unwrap();
    assert_eq!(read("sharded/coin_spread/result.json"), read("whole/coin_spread/result.json"));
    // A calibration, whole and in two shards merged: the same file.
    let (code, out) = coin(d, &["calibrate", "coin_spread", "--quick", "--seeds", "4", "--theorems", ".", "--out", "cal"]);
    assert_eq!(code, 0, "{out}");
    for shard in ["1/2", "2/2"] {
        let (code, out) = coin(d, &["calibrate", "coin_spread", "--quick", "--seeds", "4", "--theorems", ".", "--out", "cal2", "--shard", shard]);
        assert_eq!(code, 0, "{out}");
    }
    let (code, out) = coin(d, &["calibrate", "coin_spread", "--quick", "--seeds", "4", "--theorems", ".", "--out", "cal2", "--merge"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(read("cal2/coin_spread/calibration-quick.json"), read("cal/coin_spread/calibration-quick.json"));
    // The array's scripts run this binary, which knows the claim.
    let (code, out) = coin(d, &["submit", "coin_spread", "--quick", "--shards", "2", "--dry-run", "--theorems", ".", "--out", "sub"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&coin_binary().display().to_string()), "{out}");
    // The plain harness does not know the claim.
    let plain = std::path::Path::new(env!("CARGO_BIN_EXE_scb"));
    let out = std::process::Command::new(plain).args(["check", "coin_spread", "--quick", "--theorems", ".", "--out", "plain"]).current_dir(d).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
}
