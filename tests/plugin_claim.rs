//! A theory that is not part of the crate, written as a user would add one: the folder
//! `tests/coin/` (its claims, importing `scb::prelude` alone), one registry line, one TOML.
//! It has its own axes (a coin's bias and the number of tosses), its own per-point context
//! (no task, no learner), and it runs through the same `check` as every claim, files and
//! summary page included.

mod coin;

use scb::prelude::*;

const SPEC: &str = r#"
id = "coin_spread"
claim = "coin"
statement = "The mean of n tosses spreads as n^-1/2."
seed = 5
trials = 8
# The exact spread is a function of the point: there is no task to draw.
fixed_task = true

[grid]
p = [0.2, 0.5]
tosses = [10, 100, 1000]

[quick]
trials = 8

[settings]
repeats = 200

[[check]]
quantity = "sd_exponent"
kind = "equal"
predict = -0.5
tolerance = 0.05

[[check]]
quantity = "sd_ratio"
each_point = true
where = { p = [0.5] }
kind = "ratio"
predict = 1.0
tolerance = 0.1
"#;

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
    files(std::path::Path::new("tests/coin"), &mut all);
    assert_eq!(all.len(), 3, "{all:?}");
    for f in &all {
        let text = std::fs::read_to_string(f).unwrap();
        for (i, _) in text.match_indices("scb::") {
            assert!(text[i..].starts_with("scb::prelude"), "{}: names {}", f.display(), &text[i..(i + 40).min(text.len())]);
        }
    }
}
