#![allow(dead_code)]
use statrs::distribution::{ChiSquared, ContinuousCDF};

/// Pearson chi-square p-value of `counts` against `probs`; cells whose expected count
/// is below 5 are pooled into one, as the test's approximation requires.
pub fn chi2_pvalue(counts: &[u64], probs: &[f64]) -> (f64, f64, usize) {
    let (stat, dof) = chi2_stat(counts, probs);
    (pvalue(stat, dof), stat, dof)
}

pub fn chi2_stat(counts: &[u64], probs: &[f64]) -> (f64, usize) {
    let total: u64 = counts.iter().sum();
    let (mut stat, mut cells) = (0.0, 0usize);
    let (mut pooled_obs, mut pooled_exp) = (0.0, 0.0);
    for (&c, &p) in counts.iter().zip(probs) {
        let e = p * total as f64;
        if e < 5.0 {
            pooled_obs += c as f64;
            pooled_exp += e;
        } else {
            stat += (c as f64 - e).powi(2) / e;
            cells += 1;
        }
    }
    if pooled_exp > 0.0 {
        stat += (pooled_obs - pooled_exp).powi(2) / pooled_exp;
        cells += 1;
    } else if pooled_obs > 0.0 {
        return (f64::INFINITY, cells.max(1));
    }
    (stat, cells.saturating_sub(1))
}

pub fn pvalue(stat: f64, dof: usize) -> f64 {
    if dof == 0 {
        return if stat == 0.0 { 1.0 } else { 0.0 };
    }
    1.0 - ChiSquared::new(dof as f64).unwrap().cdf(stat)
}

/// Seeds `out` (the folder a test runs the spec `id`'s quick grid into) with the trial
/// records committed in reports/quick/<id>, when they are of the configuration `hash`, so
/// that a test which re-judges the real spec under other predictions reads them rather than
/// simulating them again. `check all --quick` (tests/check_cli.rs) simulates every quick
/// grid afresh and holds it to that baseline; and records of other code are not reused but
/// rerun, as the harness always does, so a seed changes a test's cost, never its result.
pub fn seed_quick_records(id: &str, hash: &str, out: &std::path::Path) {
    let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("reports/quick").join(id);
    let Ok(run) = std::fs::read_to_string(committed.join("run.json")) else { return };
    let run: serde_json::Value = serde_json::from_str(&run).unwrap();
    let to = out.join(id).join("trials.jsonl");
    if run["config"].as_str().is_some_and(|c| hash.starts_with(c)) && !to.exists() {
        std::fs::create_dir_all(out.join(id)).unwrap();
        std::fs::copy(committed.join("trials.jsonl"), to).unwrap();
    }
}

/// Runs a spec's quick grid into a folder of its configuration's own under `out` (a harness
/// run refuses to replace another configuration's result), so that variants changing only
/// predictions re-judge the same records; the real specs' records come from the committed
/// quick baseline ([`seed_quick_records`]).
pub fn quick_run(spec: &scb::spec::ClaimSpec, out: &std::path::Path) -> scb::result::ClaimResult {
    use scb::theories::REGISTRY;
    let hash = scb::claims::find(&REGISTRY, spec).unwrap().prepare(spec.clone()).unwrap().hash().to_string();
    let out = out.join(&hash[..16]);
    seed_quick_records(&spec.id, &hash, &out);
    let theorems = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("theorems");
    let opts = scb::commands::check::CheckOptions {
        budget: scb::plan::Budget::Quick,
        out,
        theorems,
        shard: None,
        progress: false,
        replace: false,
        baseline: None,
        force: false,
    };
    scb::commands::check::check_one(&REGISTRY, spec, &opts).unwrap()
}
