//! Claim known_coverage: the harness's own intervals cover at their level. A trial is one
//! dataset with a known truth (0): G task values for each of C members, drawn from the spec's
//! law, judged by exactly the code every spec's drawn tasks go through
//! ([`scb_harness::intervals::band`], at the spec's level and interval method), and n trial values
//! of one fixed task judged by the percentile bootstrap over trials that a `fixed_task` spec
//! goes through ([`scb_harness::stats::bootstrap`]). The trial records whether each interval held
//! the truth. So a wrong level anywhere on either path (a 90% interval called 95%) moves the
//! measured coverage, and this spec's own check fails in `scb check`, not only in a unit
//! test or a calibration.

use super::super::Law;
use scb_harness::claims::{At, Quantity, TypedClaim};
use scb_harness::error::{invalid, Result};
use scb_harness::grid::{Axis, Point};
use scb_harness::intervals::{band, Member, Method, Plan};
use scb_harness::report::{Panel, Series};
use scb_harness::result::ClaimResult;
use scb_harness::spec::ClaimSpec;
use scb_harness::stats::Quantities;
use serde::{Deserialize, Serialize};

/// The `[settings]` of a `known_coverage` spec: the law and sizes of the datasets.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// The law of the task values (standardised).
    pub law: Law,
    /// Task values per dataset (G).
    pub units: usize,
    /// Members of the band (C), independent.
    pub members: usize,
    /// Trial values of the fixed-task dataset.
    pub trial_units: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { law: Law::Normal, units: 16, members: 8, trial_units: 64 }
    }
}

/// One trial: one dataset of known truth, judged by the harness's own intervals.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trial {
    /// Member 0's own interval held 0; lay wholly above it; wholly below it.
    pub covered: bool,
    /// Member 0's interval lay wholly above its truth.
    pub above: bool,
    /// Member 0's interval lay wholly below its truth.
    pub below: bool,
    /// The band over all members held every member's truth.
    pub band: bool,
    /// The fixed-task percentile interval held the truth.
    pub trials: bool,
}

/// The claim `known_coverage`: the harness's intervals cover at their level on data of known truth.
pub struct Coverage {
    s: Settings,
    level: f64,
    method: Method,
    bootstrap: usize,
}

const COVERAGE: Quantity = Quantity::new("coverage", "share of datasets whose interval over G task values holds the truth");
const MISS_ABOVE: Quantity =
    Quantity::new("miss_above", "share of datasets whose interval lies wholly above the truth (an upper one-sided check at the truth fails)");
const MISS_BELOW: Quantity =
    Quantity::new("miss_below", "share of datasets whose interval lies wholly below the truth (a lower one-sided check at the truth fails)");
const BAND_COVERAGE: Quantity = Quantity::new("band_coverage", "share of datasets whose simultaneous band holds every member's truth");
const TRIAL_COVERAGE: Quantity = Quantity::new("trial_coverage", "share of datasets whose fixed-task percentile interval over trial values holds the truth");

impl TypedClaim for Coverage {
    const ID: &'static str = "known_coverage";
    const ABOUT: &'static str = "the harness's own intervals, on data of known truth, cover at their level";
    const QUANTITIES: &'static [Quantity] = &[COVERAGE, MISS_ABOVE, MISS_BELOW, BAND_COVERAGE, TRIAL_COVERAGE];
    const SECTIONS: &'static [&'static str] = &["settings"];
    type Context = ();
    type Trial = Trial;

    fn new(spec: &ClaimSpec) -> Result<Self> {
        let s: Settings = spec.section("settings")?;
        if !(2..=10_000).contains(&s.units) || !(1..=1000).contains(&s.members) || !(2..=100_000).contains(&s.trial_units) {
            return Err(invalid("settings", "units must be in [2, 10000], members in [1, 1000], trial_units in [2, 100000]"));
        }
        Ok(Coverage { s, level: spec.level, method: spec.method(), bootstrap: spec.bootstrap })
    }
    fn axes(&self) -> Vec<Axis> {
        Vec::new()
    }
    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "settings": self.s, "level": self.level, "method": self.method, "bootstrap": self.bootstrap })
    }
    fn context(&self, _: &Point, _: u64) -> Result<()> {
        Ok(())
    }
    fn run_trial(&self, _: &At<()>, seed: u64) -> Trial {
        let mut rng = scb_harness::rng::rng(seed, scb_harness::rng::stream::DATA);
        let x: Vec<Vec<f64>> = (0..self.s.members).map(|_| (0..self.s.units).map(|_| self.s.law.draw(&mut rng)).collect()).collect();
        let plan = Plan::draw(self.s.units, self.bootstrap, &mut scb_harness::rng::rng(seed, scb_harness::rng::stream::BOOTSTRAP));
        let one = &band(&[Member { x: &x[0], log: false }], self.level, self.method, &plan)[0];
        let members: Vec<Member> = x.iter().map(|v| Member { x: v, log: false }).collect();
        let all = band(&members, self.level, self.method, &plan);
        let t: Vec<f64> = (0..self.s.trial_units).map(|_| self.s.law.draw(&mut rng)).collect();
        let mean = |d: &[Vec<&f64>]| Quantities::from([("mean".to_string(), d[0].iter().copied().sum::<f64>() / d[0].len() as f64)]);
        let fixed =
            &scb_harness::stats::bootstrap(&[t], self.bootstrap, self.level, &mut scb_harness::rng::rng(seed, scb_harness::rng::stream::PREDICT), mean)["mean"];
        Trial {
            covered: one.lo <= 0.0 && 0.0 <= one.hi,
            above: one.lo > 0.0,
            below: one.hi < 0.0,
            band: all.iter().all(|j| j.lo <= 0.0 && 0.0 <= j.hi),
            trials: fixed.lo <= 0.0 && 0.0 <= fixed.hi,
        }
    }
    fn estimate(&self, _: &[&At<()>], trials: &[Vec<&Trial>]) -> Quantities {
        let ts = &trials[0];
        let share = |f: fn(&Trial) -> bool| ts.iter().filter(|t| f(t)).count() as f64 / ts.len() as f64;
        Quantities::from([
            (COVERAGE.into(), share(|t| t.covered)),
            (MISS_ABOVE.into(), share(|t| t.above)),
            (MISS_BELOW.into(), share(|t| t.below)),
            (BAND_COVERAGE.into(), share(|t| t.band)),
            (TRIAL_COVERAGE.into(), share(|t| t.trials)),
        ])
    }
    fn panels(&self, _: &[&At<()>], _: &[Vec<&Trial>], result: &ClaimResult) -> Vec<Panel> {
        let names = [COVERAGE, BAND_COVERAGE, TRIAL_COVERAGE];
        let (pts, errs) = names.iter().enumerate().filter_map(|(i, q)| result.q(q).map(|e| ((i as f64 + 1.0, e.value), (e.lo, e.hi)))).unzip();
        vec![Panel {
            title: format!("coverage at level {} (1: one interval, 2: band of {}, 3: fixed task)", result.spec.level, self.s.members),
            x_label: "interval".into(),
            y_label: "share of datasets holding the truth".into(),
            series: vec![
                Series::points(format!("measured {}", scb_harness::claims::figures::ci(result)), 0, pts, Some(errs)),
                Series::dashed("nominal level", 7, vec![(1.0, result.spec.level), (3.0, result.spec.level)]),
            ],
            ..Default::default()
        }]
    }
}
