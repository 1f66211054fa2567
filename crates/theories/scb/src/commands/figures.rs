//! The paper-style figures: ScbProx against an SGD learning-rate sweep, the softmax
//! transformer's attention and values next to ScbProx's and the truth, and a learner's
//! population trajectory against sampled runs at several batch sizes.

use super::train::history_csv;
use crate::learners::{LearnerConfig, SgdConfig};
use crate::task::Task;
use crate::train::{run_spec, HistoryRow, RunOutput, TrainSpec};
use rayon::prelude::*;
use scb_harness::config::Validate;
use scb_harness::error::Result;
use scb_harness::io::Staged;
use scb_harness::report::{self, Panel, Series};
use serde::Serialize;
use std::path::Path;

/// One learner's run in a comparison figure.
#[derive(Serialize)]
pub struct MethodResult {
    /// Its name in the legend.
    pub label: String,
    /// The learner and its settings.
    pub algorithm: LearnerConfig,
    /// Samples at which its parameters stopped being finite, if they did.
    pub diverged_at: Option<u64>,
    /// dist_V at the end.
    pub final_dist_v: f64,
    /// dist_A at the end.
    pub final_dist_a: f64,
    /// The run's history.
    pub history: Vec<HistoryRow>,
}

impl MethodResult {
    fn new(label: String, spec: &TrainSpec, run: &RunOutput) -> MethodResult {
        let last = run.history.last().expect("at least one step");
        MethodResult {
            label,
            algorithm: spec.algorithm.clone(),
            diverged_at: run.diverged_at,
            final_dist_v: last.snap.dist_v,
            final_dist_a: last.snap.dist_a,
            history: run.history.clone(),
        }
    }
}

/// Each method's history, V and A, and the task's P and Q*, beside a figure.
fn write_methods(staged: &mut Staged, results: &[MethodResult], runs: &[(Task, RunOutput)]) -> Result<()> {
    for (m, (_, run)) in results.iter().zip(runs) {
        let slug = m.label.replace([' ', '='], "_");
        staged.write(&format!("history_{slug}.csv"), history_csv(&m.history).as_bytes())?;
        staged.npy2(&format!("V_{slug}.npy"), run.params.v())?;
        staged.npy2(&format!("A_{slug}.npy"), run.params.a())?;
    }
    staged.npy2("P.npy", runs[0].0.p.view())?;
    staged.npy2("Qstar.npy", runs[0].0.qstar.view())
}

/// `scb figure prox-vs-sgd`: ScbProx against an SGD learning-rate sweep on one task and
/// one batch stream (docs/theory.md §3 and the paper's first figure).
pub fn figure_prox_vs_sgd(base: &TrainSpec, lrs: &[f64], out: &Path) -> Result<Vec<MethodResult>> {
    base.validate()?;
    for (i, lr) in lrs.iter().enumerate() {
        scb_harness::error::check_range(&format!("lrs[{i}]"), *lr, 0.0, 1e12, true)?;
    }
    let mut staged = Staged::begin(out)?;
    let mut specs = vec![base.clone()];
    for &lr in lrs {
        specs.push(TrainSpec { algorithm: LearnerConfig::Sgd(SgdConfig { lr, ..SgdConfig::default() }), ..base.clone() });
    }
    let runs = run_in_parallel(&specs, "prox-vs-sgd")?;
    let results: Vec<MethodResult> = specs
        .iter()
        .zip(&runs)
        .map(|(s, (_, r))| {
            let label = match &s.algorithm {
                LearnerConfig::ScbProx(_) => "ScbProx".to_string(),
                LearnerConfig::Sgd(c) => format!("SGD lr={}", c.lr),
                LearnerConfig::Softmax(c) => format!("softmax lr={}", c.lr),
            };
            MethodResult::new(label, s, r)
        })
        .collect();
    let task = &runs[0].0;
    let panel = |title: &str, f: fn(&HistoryRow) -> f64| Panel {
        title: title.into(),
        x_label: "samples".into(),
        y_label: "relative distance to truth".into(),
        x_log: true,
        y_log: true,
        series: results
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let pts = m.history.iter().map(|r| (r.samples as f64, f(r))).collect();
                let mut s = Series::line(&m.label, i, pts);
                if m.diverged_at.is_some() {
                    s.label += " (diverged)";
                }
                s
            })
            .collect(),
        vlines: vec![],
        y_clip: Some(10.0),
    };
    let title = format!("ScbProx vs SGD on N={}, T={}, Q={}, alpha={}, batch {}", task.n, task.t, task.q, base.task.alpha, base.run.batch);
    report::draw(&staged.path("prox_vs_sgd.svg"), &title, &[panel("P: |V-P|/|P|", |r| r.snap.dist_v), panel("Q*: |A-Q*|/|Q*|", |r| r.snap.dist_a)])?;
    staged.written("prox_vs_sgd.svg");
    staged.json("prox_vs_sgd.json", &results)?;
    write_methods(&mut staged, &results, &runs)?;
    staged.commit()?;
    Ok(results)
}

/// `scb figure population-vs-sampled`: one learner on one task for `steps` steps, on the
/// exact population gradients and on sampled batches of each size in `batches`, against the
/// step count. Where the sampled curves follow the population one, a slow phase is the
/// dynamics; where they leave it, it is the noise (docs/theory.md §2).
pub fn figure_population_vs_sampled(base: &TrainSpec, batches: &[usize], steps: u64, out: &Path) -> Result<Vec<MethodResult>> {
    if batches.is_empty() {
        return Err(scb_harness::error::invalid("--batches", "must list at least one batch size"));
    }
    if !(1..=10_000_000).contains(&steps) {
        return Err(scb_harness::error::invalid("--steps", format!("must be a whole number in [1, 10000000] (got {steps})")));
    }
    let at = |batch: usize, population: bool| {
        let run = crate::train::RunConfig { batch, samples: steps * batch as u64, population, ..base.run.clone() };
        TrainSpec { run, ..base.clone() }
    };
    let mut specs = vec![at(base.run.batch, true)];
    specs.extend(batches.iter().map(|&b| at(b, false)));
    for s in &specs {
        s.validate()?;
    }
    let mut staged = Staged::begin(out)?;
    let runs = run_in_parallel(&specs, "population-vs-sampled")?;
    let results: Vec<MethodResult> = specs
        .iter()
        .zip(&runs)
        .map(|(s, (_, r))| {
            let label = if s.run.population { "population".into() } else { format!("sampled B={}", s.run.batch) };
            MethodResult::new(label, s, r)
        })
        .collect();
    let task = &runs[0].0;
    let panel = |title: &str, y: &str, f: fn(&HistoryRow) -> f64| Panel {
        title: title.into(),
        x_label: "steps".into(),
        y_label: y.into(),
        x_log: true,
        y_log: true,
        series: results
            .iter()
            .zip(&specs)
            .enumerate()
            .map(|(i, (m, s))| {
                let b = s.run.batch as f64;
                let pts = m.history.iter().map(|r| (r.samples as f64 / b, f(r))).collect();
                // The population curve in black, drawn dashed over the sampled ones.
                let mut series = if s.run.population { Series::dashed(&m.label, 7, pts) } else { Series::line(&m.label, i - 1, pts) };
                if m.diverged_at.is_some() {
                    series.label += " (diverged)";
                }
                series
            })
            .collect(),
        vlines: vec![],
        y_clip: Some(10.0),
    };
    let title = format!("{} on N={}, T={}, Q={}: exact population gradients against sampled batches", base.algorithm.name(), task.n, task.t, task.q);
    report::draw(
        &staged.path("population_vs_sampled.svg"),
        &title,
        &[
            panel("P: |V-P|/|P|", "relative distance to truth", |r| r.snap.dist_v),
            panel("Q*: |A-Q*|/|Q*|", "relative distance to truth", |r| r.snap.dist_a),
            panel("population excess loss", "L - L*", |r| r.snap.excess_loss),
        ],
    )?;
    staged.written("population_vs_sampled.svg");
    staged.json("population_vs_sampled.json", &results)?;
    write_methods(&mut staged, &results, &runs)?;
    staged.commit()?;
    Ok(results)
}

/// Several training runs at once (one per core), under one progress bar; results in order.
fn run_in_parallel(specs: &[TrainSpec], what: &str) -> Result<Vec<(Task, RunOutput)>> {
    let pb = scb_harness::ui::progress(specs.iter().map(|s| s.run.samples).sum(), what, true);
    let runs = specs
        .par_iter()
        .map(|s| {
            let mut last = 0;
            run_spec(s, |done| {
                pb.inc(done - last);
                last = done;
            })
        })
        .collect::<Result<_>>()?;
    pb.finish_and_clear();
    Ok(runs)
}

/// `scb figure attention`: ScbProx and the softmax model trained on one task and one batch
/// stream; heatmaps of their attention and values next to the truth, and both loss curves.
pub fn figure_attention(base: &TrainSpec, softmax: &crate::learners::SoftmaxConfig, out: &Path) -> Result<crate::metrics::Comparison> {
    use scb_harness::report::{heatmaps, Heatmap};
    base.validate()?;
    let soft_spec = TrainSpec { algorithm: LearnerConfig::Softmax(softmax.clone()), ..base.clone() };
    soft_spec.validate()?;
    let mut staged = Staged::begin(out)?;
    let runs = run_in_parallel(&[base.clone(), soft_spec], "attention")?;
    let (task, prox) = &runs[0];
    let soft = &runs[1].1;
    let cmp = crate::metrics::compare(task, &prox.params, &soft.params);
    let size = format!("N={}, T={}, Q={}, {} samples", task.n, task.t, task.q, base.run.samples);
    let amax = [task.qstar.view(), prox.params.a(), soft.params.a()].iter().flat_map(|m| m.iter().copied()).fold(0.0f64, f64::max);
    heatmaps(
        &staged.path("attention.svg"),
        &format!("Attention A (T x N): truth, ScbProx, softmax ({size})"),
        &[
            Heatmap { title: "truth Q*".into(), values: task.qstar.view() },
            Heatmap { title: "ScbProx A".into(), values: prox.params.a() },
            Heatmap { title: "softmax A".into(), values: soft.params.a() },
        ],
        "query token k",
        "position t",
        0.0,
        amax,
    )?;
    staged.written("attention.svg");
    let vs = [task.p.view(), prox.params.v(), soft.params.v()];
    let vlo = vs.iter().flat_map(|m| m.iter().copied()).fold(f64::INFINITY, f64::min).min(0.0);
    let vhi = vs.iter().flat_map(|m| m.iter().copied()).fold(0.0f64, f64::max);
    heatmaps(
        &staged.path("values.svg"),
        &format!("Values V (N x N): truth, ScbProx, softmax ({size})"),
        &[
            Heatmap { title: "truth P".into(), values: vs[0] },
            Heatmap { title: "ScbProx V".into(), values: vs[1] },
            Heatmap { title: "softmax V".into(), values: vs[2] },
        ],
        "source token j",
        "next token i",
        vlo,
        vhi,
    )?;
    staged.written("values.svg");
    let curve = |r: &RunOutput| r.history.iter().map(|h| (h.samples as f64, h.snap.excess_loss)).collect();
    report::draw(
        &staged.path("loss.svg"),
        &format!("Population excess loss ({size})"),
        &[Panel {
            title: "same task, same batches".into(),
            x_label: "samples".into(),
            y_label: "excess loss L - L*".into(),
            x_log: true,
            y_log: true,
            series: vec![Series::line("ScbProx", 0, curve(prox)), Series::line("softmax (Adam)", 1, curve(soft))],
            vlines: prox.switched_at.filter(|&s| s > 0).map(|s| (s as f64, " ScbProx stage two".to_string())).into_iter().collect(),
            y_clip: None,
        }],
    )?;
    staged.written("loss.svg");
    for (name, r) in [("prox", prox), ("softmax", soft)] {
        staged.npy2(&format!("V_{name}.npy"), r.params.v())?;
        staged.npy2(&format!("A_{name}.npy"), r.params.a())?;
        staged.write(&format!("history_{name}.csv"), history_csv(&r.history).as_bytes())?;
    }
    staged.npy2("P.npy", task.p.view())?;
    staged.npy2("Qstar.npy", task.qstar.view())?;
    staged.json("comparison.json", &cmp)?;
    staged.commit()?;
    Ok(cmp)
}
