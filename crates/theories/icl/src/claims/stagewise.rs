//! Claim icl_stagewise: with imbalanced features (one dominant feature of probability
//! p_dom, the other K - 1 sharing the rest), queries of the dominant feature converge first,
//! in a number of steps flat in K, and queries of a rare feature later, in a number of steps
//! that grows polynomially in K; the rare/dominant ratio grows with K.
//!
//! Why. Column k learns with effective step `eta p_k / 2`. The dominant column's loss
//! depends on K only through the spread of the other features' counts (its attention on
//! itself is `n_1 e^{z_1} / S` with n_1 ~ L p_dom whatever K is): flat in K. A rare column's
//! step is `p_rare = (1 - p_dom)/(K - 1)`, so its time grows at least as K from the step
//! alone; and its query's own feature starts with attention `p_rare`, against `p_dom` on the
//! dominant feature, so it first has to win the competition with the dominant one.
//!
//! A trial trains the dominant column and one rare column by minibatch SGD on fresh prompts
//! and records T_eps for each (the step at which the column's loss, on the point's fixed
//! evaluation set, first falls to eps), and the rare column's weights on its way.

use super::{axis, log_steps, Run, Setting};
use crate::{train_column, Prompts};
use scb_harness::claims::figures::{ci, per_point, slope_line};
use scb_harness::claims::{At, Quantity, TypedClaim};
use scb_harness::config::Valid;
use scb_harness::error::{check_range, Result};
use scb_harness::grid::{Axis, Point};
use scb_harness::report::{Panel, Series};
use scb_harness::result::ClaimResult;
use scb_harness::spec::ClaimSpec;
use scb_harness::stats::{censored_median, ols, Quantities};
use serde::{Deserialize, Serialize};

/// The `[settings]` of an `icl_stagewise` spec.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Probability of the dominant feature.
    pub p_dom: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { p_dom: 0.5 }
    }
}

/// One trial: a model trained from zero until its columns reach eps.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trial {
    /// Steps to loss <= eps: the dominant column, and rare column 1.
    pub t_dom: Option<f64>,
    /// Steps to loss <= eps of rare column 1 (None: not within the step budget).
    pub t_rare: Option<f64>,
    /// The rare column's weights at log-spaced steps: (step, own Q_kk, dominant Q_1k, another rare Q_mk).
    pub trajectory: Vec<(u64, f64, f64, f64)>,
}

/// The claim `icl_stagewise`: with imbalanced features the dominant query converges first, in steps flat in K, and rare ones later.
pub struct Stagewise {
    s: Settings,
    run: Valid<Run>,
}

// The quantities this claim computes, each declared once.
const DOM_EXPONENT: Quantity = Quantity::new("dom_exponent", "exponent of K in the dominant column's median steps to eps");
const RARE_EXPONENT: Quantity = Quantity::new("rare_exponent", "exponent of K in a rare column's median steps to eps");
const RATIO_EXPONENT: Quantity = Quantity::new("ratio_exponent", "exponent of K in the ratio rare / dominant of the median steps");
const T_DOM: Quantity = Quantity::new("t_dom", "median steps to eps of the dominant column, per point (t_dom@point)");
const T_RARE: Quantity = Quantity::new("t_rare", "median steps to eps of a rare column, per point (t_rare@point)");
const LEVEL: Quantity = Quantity::new("level", "median steps to eps over the population reference's (gradient descent on the task's exact count-reduction loss), per task, geometric mean over points and both columns (per point: level_dom@point, level_rare@point)");
const LEVEL_DOM: Quantity = Quantity::new("level_dom", "the dominant column's median steps over the population reference's, per point (level_dom@point)");
const LEVEL_RARE: Quantity = Quantity::new("level_rare", "the rare column's median steps over the population reference's, per point (level_rare@point)");
const TRAINER: Quantity = Quantity::new(
    "trainer",
    "the trainer's own full-batch mode over the independent population reference: steps to eps, geometric mean over points and both columns (1 to rounding)",
);

impl TypedClaim for Stagewise {
    const ID: &'static str = "icl_stagewise";
    const ABOUT: &'static str = "softmax attention, imbalanced features: the dominant query converges first (flat in K), rare ones later";
    const QUANTITIES: &'static [Quantity] = &[DOM_EXPONENT, RARE_EXPONENT, RATIO_EXPONENT, T_DOM, T_RARE, LEVEL, LEVEL_DOM, LEVEL_RARE, TRAINER];
    const SECTIONS: &'static [&'static str] = &["run", "settings"];
    type Context = Setting;
    type Trial = Trial;

    fn new(spec: &ClaimSpec) -> Result<Self> {
        let (s, run): (Settings, Valid<Run>) = (spec.section("settings")?, spec.validated("run")?);
        check_range("settings.p_dom", s.p_dom, 0.0, 1.0, true)?;
        Ok(Stagewise { s, run })
    }
    fn axes(&self) -> Vec<Axis> {
        vec![Axis::integer(axis::K, "K", 3, 4096, "number of features")]
    }
    fn config(&self) -> serde_json::Value {
        serde_json::json!({ "run": self.run, "settings": self.s })
    }
    fn context(&self, point: &Point, seed: u64) -> Result<Setting> {
        let k = point.at(axis::K) as usize;
        let p_rare = (1.0 - self.s.p_dom) / (k - 1) as f64;
        let prompts = Prompts::imbalanced(k, self.s.p_dom, self.run.context_length(p_rare.min(self.s.p_dom)))?;
        Ok(Setting::new(prompts, &self.run, seed, &point.key()))
    }

    fn run_trial(&self, at: &At<Setting>, seed: u64) -> Trial {
        let (r, set) = (&self.run, &at.ctx);
        let mut rng = scb_harness::rng::rng(seed, scb_harness::rng::stream::DATA);
        let dom = train_column(&set.prompts, 0, r.eta, r.training(), None, &set.eval, &[r.eps], r.max_steps, &[], &mut rng);
        let record = log_steps(r.max_steps, 10);
        let rare = train_column(&set.prompts, 1, r.eta, r.training(), None, &set.eval, &[r.eps], r.max_steps, &record, &mut rng);
        let trajectory = rare.trajectory.iter().map(|(t, z)| (*t, z[1], z[0], z[2])).collect();
        Trial { t_dom: dom.t_eps, t_rare: rare.t_eps, trajectory }
    }

    fn prepare(&self, at: &At<Setting>) {
        at.ctx.population(&[0, 1], &self.run, &[self.run.eps]);
        at.ctx.trainer_population(&[0, 1], &self.run, &[self.run.eps]);
    }

    fn estimate(&self, points: &[&At<Setting>], trials: &[Vec<&Trial>]) -> Quantities {
        let mut q = Quantities::new();
        let (mut lk, mut ld, mut lr, mut levels, mut trainer) = (vec![], vec![], vec![], vec![], vec![]);
        for (at, ts) in points.iter().zip(trials) {
            let (d, r) = (censored_median(ts.iter().map(|t| t.t_dom)), censored_median(ts.iter().map(|t| t.t_rare)));
            q.insert(T_DOM.at(&at.point), d);
            q.insert(T_RARE.at(&at.point), r);
            let reference = at.ctx.population(&[0, 1], &self.run, &[self.run.eps]);
            let (ld_, lr_) = (d / reference[0][0].unwrap_or(f64::NAN), r / reference[1][0].unwrap_or(f64::NAN));
            q.insert(LEVEL_DOM.at(&at.point), ld_);
            q.insert(LEVEL_RARE.at(&at.point), lr_);
            levels.extend([ld_.ln(), lr_.ln()]);
            let own = at.ctx.trainer_population(&[0, 1], &self.run, &[self.run.eps]);
            trainer.extend((0..2).map(|c| (own[c][0].unwrap_or(f64::NAN) / reference[c][0].unwrap_or(f64::NAN)).ln()));
            lk.push(at.point.at(axis::K).ln());
            ld.push(d.ln());
            lr.push(r.ln());
        }
        let ratio: Vec<f64> = lr.iter().zip(&ld).map(|(r, d)| r - d).collect();
        q.insert(DOM_EXPONENT.into(), ols(&lk, &ld).1);
        q.insert(RARE_EXPONENT.into(), ols(&lk, &lr).1);
        q.insert(RATIO_EXPONENT.into(), ols(&lk, &ratio).1);
        q.insert(LEVEL.into(), (levels.iter().sum::<f64>() / levels.len() as f64).exp());
        q.insert(TRAINER.into(), (trainer.iter().sum::<f64>() / trainer.len() as f64).exp());
        q
    }

    fn panels(&self, points: &[&At<Setting>], trials: &[Vec<&Trial>], result: &ClaimResult) -> Vec<Panel> {
        let pts: Vec<Point> = points.iter().map(|a| a.point.clone()).collect();
        let k = |p: &Point| p.at(axis::K);
        let (k0, k1) = (pts.iter().map(k).fold(f64::INFINITY, f64::min), pts.iter().map(k).fold(0.0, f64::max));
        let mut series = vec![
            per_point(result, T_DOM, pts.clone(), k, format!("dominant query {}", ci(result)), 0),
            per_point(result, T_RARE, pts.clone(), k, "rare query", 1),
        ];
        if let Some(d0) = pts.first().and_then(|p| result.at(T_DOM, p)) {
            series.push(Series::dashed("claimed: flat", 0, slope_line(k0, d0.value, k1, 0.0)));
        }
        let p1 = Panel {
            title: format!(
                "steps to loss <= {}: K exponents {:.2} (dominant), {:.2} (rare)",
                self.run.eps,
                result.value(DOM_EXPONENT),
                result.value(RARE_EXPONENT)
            ),
            x_label: "number of features K".into(),
            y_label: "SGD steps (median over trials)".into(),
            x_log: true,
            y_log: true,
            series,
            ..Default::default()
        };
        // The phases, for a rare query at the largest K (its first trial): the weight on the
        // dominant feature moves first; the own-feature weight takes over later.
        let last = points.len() - 1;
        let traj = &trials[last][0].trajectory;
        let line = |f: fn(&(u64, f64, f64, f64)) -> f64| traj.iter().filter(|x| x.0 > 0).map(|x| (x.0 as f64, f(x))).collect();
        let p2 = Panel {
            title: format!("a rare query's key-query weights, {}", pts[last].label()),
            x_label: "SGD step".into(),
            y_label: "Q[m, k]".into(),
            x_log: true,
            series: vec![
                Series::line("own feature Q_kk", 1, line(|x| x.1)),
                Series::line("dominant feature Q_1k", 0, line(|x| x.2)),
                Series::line("another rare feature", 6, line(|x| x.3)),
            ],
            ..Default::default()
        };
        // The same phases as the attention the query pays each feature, at expected counts
        // (the other rare features, symmetric in expectation, at the recorded one's weight).
        let p = &points[last].ctx.prompts.p;
        let (p_dom, p_rare, others) = (p[0], p[1], (p.len() - 2) as f64);
        let share = |x: &(u64, f64, f64, f64)| {
            let (own, dom, other) = (p_rare * x.1.exp(), p_dom * x.2.exp(), others * p_rare * x.3.exp());
            let total = own + dom + other;
            (own / total, dom / total, other / total)
        };
        let att = |f: fn((f64, f64, f64)) -> f64| traj.iter().filter(|x| x.0 > 0).map(|x| (x.0 as f64, f(share(x)))).collect();
        let p3 = Panel {
            title: format!("the attention it pays each feature, {}", pts[last].label()),
            x_label: "SGD step".into(),
            y_label: "attention share (expected counts)".into(),
            x_log: true,
            series: vec![
                Series::line("own feature", 1, att(|a| a.0)),
                Series::line("dominant feature", 0, att(|a| a.1)),
                Series::line("all other rare features", 6, att(|a| a.2)),
            ],
            ..Default::default()
        };
        vec![p1, p2, p3]
    }
}
