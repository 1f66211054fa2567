//! `scb train`: one run, written as run.json, history.csv, convergence.svg and .npy files.

use crate::task::Task;
use crate::train::{run_spec, HistoryRow, RunOutput, TrainSpec};
use scb_harness::config::Validate;
use scb_harness::error::{invalid, Result};
use scb_harness::io::Staged;
use scb_harness::report::{self, Panel, Series};
use serde::Serialize;
use std::path::Path;

/// A `--config` file: `[task]`, `[run]` and `[algorithm]` tables.
pub fn read_train_spec(path: &Path) -> Result<TrainSpec> {
    let text = scb_harness::error::read_input(path, "--config")?;
    toml::from_str(&text).map_err(|e| invalid(format!("config {}", path.display()), scb_harness::ui::one_line(&e.to_string())))
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

/// The longest run `train` starts without `force`: a week, estimated before anything runs.
pub const LONGEST_RUN_SECONDS: f64 = 7.0 * 86400.0;

/// `scb train`: one run, written as run.json, history.csv, convergence.svg and .npy files.
/// A run estimated beyond [`LONGEST_RUN_SECONDS`] is refused unless `force`.
pub fn train(spec: &TrainSpec, out: &Path, force: bool) -> Result<RunOutput> {
    spec.validate()?;
    let (samples, batch) = (spec.run.samples, spec.run.batch as u64);
    if samples % batch != 0 {
        scb_harness::say!(
            "note: {samples} samples are not a whole number of batches of {batch}: the run takes {} batches, {} samples",
            samples / batch,
            samples / batch * batch
        );
    }
    let (bytes, seconds) = estimate(spec);
    if let Some(avail) = available_memory() {
        if bytes > avail {
            return Err(invalid(
                "--n/--t/--batch",
                format!(
                    "N={}, T={}, batch {} needs about {} of memory and this machine has {} available; choose smaller sizes",
                    spec.task.n,
                    spec.task.t,
                    batch,
                    human_bytes(bytes),
                    human_bytes(avail)
                ),
            ));
        }
    }
    if seconds > LONGEST_RUN_SECONDS && !force {
        return Err(invalid(
            "--samples",
            format!(
                "{} samples at N={}, T={}, batch {} are estimated to take {}, beyond the limit of 7 days; choose fewer samples or smaller sizes, or pass --force",
                spec.run.samples,
                spec.task.n,
                spec.task.t,
                batch,
                human_duration(seconds)
            ),
        ));
    }
    if seconds > 600.0 {
        scb_harness::say!("note: this run is estimated to take about {} minutes (and {} of memory)", (seconds / 60.0).round(), human_bytes(bytes));
    }
    let mut staged = Staged::begin(out)?;
    let pb = scb_harness::ui::progress(spec.run.samples, spec.algorithm.name(), true);
    let (task, run) = run_spec(spec, |s| pb.set_position(s))?;
    pb.finish_and_clear();
    write_run(&mut staged, spec, &task, &run)?;
    staged.commit()?;
    Ok(run)
}

/// Memory and time a run needs, from its sizes, before anything is allocated. Measured on
/// this harness (peak RSS and wall time at N, T up to 2048; docs/speed.md):
/// about ten N x N arrays (the truth, the parameters, gradients, preconditioners, the
/// population quantities), six T x N, and two B x (N + T) batch buffers, in f64, plus
/// 16 MB; setup and checkpoints cost about 5 ns per N^2 T, a sample about 0.1 ns per
/// N (N + T). Deliberately on the high side: it only has to refuse what cannot fit.
pub fn estimate(spec: &TrainSpec) -> (f64, f64) {
    let (n, t, b) = (spec.task.n as f64, spec.task.t as f64, spec.run.batch as f64);
    let bytes = 8.0 * (10.0 * n * n + 6.0 * t * n + 2.0 * b * (n + t)) + 16e6;
    let seconds = 5e-9 * n * n * t + 1e-10 * n * (n + t) * spec.run.samples as f64;
    (bytes, seconds)
}

/// `MemAvailable` from /proc/meminfo, where there is one.
fn available_memory() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024.0)
}

/// A duration as a person reads it: minutes, hours, days or years.
fn human_duration(s: f64) -> String {
    let (v, unit) = match s {
        s if s < 3600.0 => (s / 60.0, "minutes"),
        s if s < 2.0 * 86400.0 => (s / 3600.0, "hours"),
        s if s < 730.0 * 86400.0 => (s / 86400.0, "days"),
        s => (s / (365.25 * 86400.0), "years"),
    };
    format!("about {} {unit}", scb_harness::verdict::num(v.round()))
}

fn human_bytes(b: f64) -> String {
    if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else {
        format!("{:.0} MB", b / 1e6)
    }
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
        series: vec![Series::line("dist_V = |V-P|/|P|", 0, pts(|r| r.snap.dist_v)), Series::line("dist_A = |A-Q*|/|Q*|", 1, pts(|r| r.snap.dist_a))],
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

/// A run's history as CSV (history.csv): one row per checkpoint, a column per metric.
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
