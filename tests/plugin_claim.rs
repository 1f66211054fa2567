//! A claim that is not about SCB, written as a user would add one: this file, one registry
//! line, one TOML. It has its own axes (a coin's bias and the number of tosses), its own
//! per-point context (no task, no learner), and it runs through the same `check` as every
//! claim, files and summary page included.
//!
//! The claim: the mean of n tosses of a coin with bias p has standard deviation
//! sqrt(p (1 - p) / n), so its spread falls as n^-1/2.

use scb::claims::figures::{ci, per_point};
use scb::claims::{At, Claim, Registered, TypedClaim};
use scb::commands::check::{check, CheckOptions};
use scb::error::{invalid, Result};
use scb::grid::{Axis, Point};
use scb::report::Panel;
use scb::result::ClaimResult;
use scb::spec::ClaimSpec;
use scb::stats::{within_slope, Quantities};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// Independent means per trial (the trial's spread is measured over these).
    repeats: usize,
}

struct Coin {
    s: Settings,
}

/// Per point: the exact standard deviation, computed once.
struct Exact {
    sd: f64,
}

#[derive(Serialize, Deserialize)]
struct Trial {
    sd: f64,
}

impl TypedClaim for Coin {
    const ID: &'static str = "coin";
    const ABOUT: &'static str = "the mean of n coin tosses spreads as n^-1/2";
    const QUANTITIES: &'static [(&'static str, &'static str)] = &[
        ("sd_exponent", "exponent of n in the spread of the mean (one intercept per bias)"),
        ("sd_ratio", "measured over exact spread, per point (sd_ratio@point)"),
    ];
    const SECTIONS: &'static [&'static str] = &["settings"];
    type Context = Exact;
    type Trial = Trial;

    fn new(spec: &ClaimSpec) -> Result<Self> {
        let s: Settings = spec.section("settings")?;
        if s.repeats < 2 {
            return Err(invalid("settings.repeats", "must be a whole number >= 2"));
        }
        Ok(Coin { s })
    }
    fn axes(&self) -> Vec<Axis> {
        vec![Axis::real("p", "p", 0.01, 0.99, "the coin's bias"), Axis::integer("tosses", "n", 1, 1 << 20, "tosses per mean")]
    }
    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "repeats": self.s.repeats })
    }
    fn context(&self, point: &Point, _seed: u64) -> Result<Exact> {
        let (p, n) = (point.at("p"), point.at("tosses"));
        Ok(Exact { sd: (p * (1.0 - p) / n).sqrt() })
    }
    fn run_trial(&self, at: &At<Exact>, seed: u64) -> Trial {
        use rand::Rng;
        let mut rng = scb::rng::rng(seed, scb::rng::stream::DATA);
        let (p, n) = (at.point.at("p"), at.point.at("tosses") as usize);
        let means: Vec<f64> = (0..self.s.repeats).map(|_| (0..n).filter(|_| rng.random::<f64>() < p).count() as f64 / n as f64).collect();
        let m = means.iter().sum::<f64>() / means.len() as f64;
        Trial { sd: (means.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (means.len() - 1) as f64).sqrt() }
    }
    fn estimate(&self, points: &[&At<Exact>], trials: &[Vec<&Trial>]) -> Quantities {
        let mut q = Quantities::new();
        let (mut g, mut x, mut y) = (vec![], vec![], vec![]);
        for (at, ts) in points.iter().zip(trials) {
            let sd = ts.iter().map(|t| t.sd).sum::<f64>() / ts.len() as f64;
            q.insert(format!("sd_ratio@{}", at.point.key()), sd / at.ctx.sd);
            g.push(at.point.at("p").to_bits());
            x.push(at.point.at("tosses").ln());
            y.push(sd.ln());
        }
        q.insert("sd_exponent".into(), within_slope(&g, &x, &y));
        q
    }
    fn panels(&self, points: &[&At<Exact>], _: &[Vec<&Trial>], result: &ClaimResult) -> Vec<Panel> {
        let pts: Vec<Point> = points.iter().map(|a| a.point.clone()).collect();
        vec![Panel {
            title: "spread of the mean over the exact spread".into(),
            x_label: "tosses n".into(),
            y_label: "measured / exact".into(),
            x_log: true,
            series: vec![per_point(result, "sd_ratio", pts, |p| p.at("tosses"), format!("mean over trials {}", ci(result)), 0)],
            ..Default::default()
        }]
    }
}

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

/// The one registry line: this claim, next to (not instead of) the harness's own.
fn registry() -> Vec<&'static dyn Claim> {
    let mut r: Vec<&'static dyn Claim> = scb::theories::REGISTRY.to_vec();
    r.push(&Registered::<Coin>::NEW);
    r
}

fn run(dir: &std::path::Path, text: &str) -> scb::commands::check::Checked {
    let spec = dir.join("coin_spread.toml");
    std::fs::write(&spec, text).unwrap();
    let opts = CheckOptions { quick: false, out: dir.join("reports"), theorems: dir.to_path_buf(), shard: None, progress: false, replace: false };
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
    assert!(std::fs::read_to_string(dir.path().join("reports/index.html")).unwrap().contains("coin_spread"));
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
    let opts = CheckOptions { quick: true, out: dir.path().join("out"), theorems: dir.path().to_path_buf(), shard: None, progress: false, replace: false };
    let err = check(&scb::theories::REGISTRY, &[spec.display().to_string()], &opts).err().unwrap().to_string();
    assert!(err.contains("claim: must be one of stage_one") && err.contains("(got \"coin\")"), "{err}");
}

#[test]
fn its_axes_are_checked_like_any_claim_s() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("coin_spread.toml");
    std::fs::write(&spec, SPEC.replace("p = [0.2, 0.5]", "p = [0.2, 1.5]")).unwrap();
    let opts = CheckOptions { quick: false, out: dir.path().join("out"), theorems: dir.path().to_path_buf(), shard: None, progress: false, replace: false };
    let err = check(&registry(), &[spec.display().to_string()], &opts).err().unwrap().to_string();
    assert!(err.contains("grid.p: must be numbers in [0.01, 0.99]"), "{err}");
}
