//! The claim: the mean of n tosses of a coin with bias p has standard deviation
//! sqrt(p (1 - p) / n), so its spread falls as n^-1/2.

use super::axis;
use scb::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Independent means per trial (the trial's spread is measured over these).
    repeats: usize,
}

pub struct Spread {
    s: Settings,
}

/// Per point: the exact standard deviation, computed once.
pub struct Exact {
    sd: f64,
}

#[derive(Serialize, Deserialize)]
pub struct Trial {
    sd: f64,
}

// The claim's quantities, each declared once.
const SD_EXPONENT: Quantity = Quantity::new("sd_exponent", "exponent of n in the spread of the mean (one intercept per bias)");
const SD_RATIO: Quantity = Quantity::new("sd_ratio", "measured over exact spread, per point (sd_ratio@point)");

impl TypedClaim for Spread {
    const ID: &'static str = "coin";
    const ABOUT: &'static str = "the mean of n coin tosses spreads as n^-1/2";
    const QUANTITIES: &'static [Quantity] = &[SD_EXPONENT, SD_RATIO];
    const SECTIONS: &'static [&'static str] = &["settings"];
    type Context = Exact;
    type Trial = Trial;

    fn new(spec: &ClaimSpec) -> Result<Self> {
        let s: Settings = spec.section("settings")?;
        if s.repeats < 2 {
            return Err(invalid("settings.repeats", "must be a whole number >= 2"));
        }
        Ok(Spread { s })
    }
    fn axes(&self) -> Vec<Axis> {
        vec![Axis::real(axis::P, "p", 0.01, 0.99, "the coin's bias"), Axis::integer(axis::TOSSES, "n", 1, 1 << 20, "tosses per mean")]
    }
    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "repeats": self.s.repeats })
    }
    fn context(&self, point: &Point, _seed: u64) -> Result<Exact> {
        let (p, n) = (point.at(axis::P), point.at(axis::TOSSES));
        Ok(Exact { sd: (p * (1.0 - p) / n).sqrt() })
    }
    fn run_trial(&self, at: &At<Exact>, seed: u64) -> Trial {
        use rand::Rng;
        let mut rng = rng::rng(seed, rng::stream::DATA);
        let (p, n) = (at.point.at(axis::P), at.point.at(axis::TOSSES) as usize);
        let means: Vec<f64> = (0..self.s.repeats).map(|_| (0..n).filter(|_| rng.random::<f64>() < p).count() as f64 / n as f64).collect();
        let m = means.iter().sum::<f64>() / means.len() as f64;
        Trial { sd: (means.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (means.len() - 1) as f64).sqrt() }
    }
    fn estimate(&self, points: &[&At<Exact>], trials: &[Vec<&Trial>]) -> Quantities {
        let mut q = Quantities::new();
        let (mut g, mut x, mut y) = (vec![], vec![], vec![]);
        for (at, ts) in points.iter().zip(trials) {
            let sd = ts.iter().map(|t| t.sd).sum::<f64>() / ts.len() as f64;
            q.insert(SD_RATIO.at(&at.point), sd / at.ctx.sd);
            g.push(at.point.at(axis::P).to_bits());
            x.push(at.point.at(axis::TOSSES).ln());
            y.push(sd.ln());
        }
        q.insert(SD_EXPONENT.into(), within_slope(&g, &x, &y));
        q
    }
    fn panels(&self, points: &[&At<Exact>], _: &[Vec<&Trial>], result: &ClaimResult) -> Vec<Panel> {
        let pts: Vec<Point> = points.iter().map(|a| a.point.clone()).collect();
        vec![Panel {
            title: "spread of the mean over the exact spread".into(),
            x_label: "tosses n".into(),
            y_label: "measured / exact".into(),
            x_log: true,
            series: vec![per_point(result, SD_RATIO, pts, |p| p.at(axis::TOSSES), format!("mean over trials {}", ci(result)), 0)],
            ..Default::default()
        }]
    }
}
