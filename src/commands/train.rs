//! `scb train`: one run, written as run.json, history.csv, convergence.svg and .npy files.

use crate::error::{invalid, io_err, Result};
use crate::io::Staged;
use crate::models::scb::task::Task;
use crate::report::{self, Panel, Series};
use crate::train::{run_spec, HistoryRow, RunOutput, TrainSpec};
use serde::Serialize;
use std::path::Path;

/// A `--config` file: `[task]`, `[run]` and `[algorithm]` tables.
pub fn read_train_spec(path: &Path) -> Result<TrainSpec> {
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    toml::from_str(&text).map_err(|e| invalid(format!("config {}", path.display()), crate::ui::one_line(&e.to_string())))
}

#[derive(Serialize)]
struct RunJson<'a> {
    scb_version: &'static str,
    settings: &'a TrainSpec,
    switched_at: Option<u64>,
    diverged_at: Option<u64>,
    final_row: Option<&'a HistoryRow>,
    history: &'a [HistoryRow],
}

/// `scb train`: one run, written as run.json, history.csv, convergence.svg and .npy files.
pub fn train(spec: &TrainSpec, out: &Path) -> Result<RunOutput> {
    spec.validate()?;
    let mut staged = Staged::begin(out)?;
    let pb = crate::ui::progress(spec.run.samples, spec.algorithm.name(), true);
    let (task, run) = run_spec(spec, |s| pb.set_position(s))?;
    pb.finish_and_clear();
    write_run(&mut staged, spec, &task, &run)?;
    staged.commit()?;
    Ok(run)
}

pub(crate) fn write_run(staged: &mut Staged, spec: &TrainSpec, task: &Task, run: &RunOutput) -> Result<()> {
    staged.json(
        "run.json",
        &RunJson {
            scb_version: env!("CARGO_PKG_VERSION"),
            settings: spec,
            switched_at: run.switched_at,
            diverged_at: run.diverged_at,
            final_row: run.history.last(),
            history: &run.history,
        },
    )?;
    staged.write("history.csv", history_csv(&run.history).as_bytes())?;
    staged.npy2("P.npy", task.p.view())?;
    staged.npy1("mu.npy", task.mu.view())?;
    staged.npy2("Qstar.npy", task.qstar.view())?;
    staged.npy2("V.npy", run.params.v())?;
    staged.npy2("A.npy", run.params.a())?;
    let pts = |f: fn(&HistoryRow) -> f64| run.history.iter().map(|r| (r.samples as f64, f(r))).collect();
    let mut panel = Panel {
        title: format!("{} on N={}, T={}, Q={}", spec.algorithm.name(), task.n, task.t, task.q),
        x_label: "samples".into(),
        y_label: "relative distance to truth".into(),
        x_log: true,
        y_log: true,
        series: vec![
            Series::line("dist_V = |V-P|/|P|", 0, pts(|r| r.snap.dist_v)),
            Series::line("dist_A = |A-Q*|/|Q*|", 1, pts(|r| r.snap.dist_a)),
        ],
        vlines: vec![],
        y_clip: Some(10.0),
    };
    if let Some(s) = run.switched_at.filter(|&s| s > 0) {
        panel.vlines.push((s as f64, " stage two".into()));
    }
    report::draw(&staged.path("convergence.svg"), "Convergence to ground truth", &[panel])?;
    staged.written("convergence.svg");
    Ok(())
}

pub fn history_csv(rows: &[HistoryRow]) -> String {
    let mut s = String::from("samples,stage,batch_loss,excess_loss,corr_v,corr_a,dist_v,dist_a,support,lambda\n");
    for r in rows {
        let m = &r.snap;
        s += &format!(
            "{},{},{:e},{:e},{:e},{:e},{:e},{:e},{:e},{:e}\n",
            r.samples, r.stage, r.batch_loss, m.excess_loss, m.corr_v, m.corr_a, m.dist_v, m.dist_a, m.support, r.lambda
        );
    }
    s
}

