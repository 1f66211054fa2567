//! What the CLI subcommands do, as library functions (the binary only parses flags).

use crate::algo::{AlgoConfig, SgdConfig};
use crate::error::{invalid, io_err, Result};
use crate::io::Staged;
use crate::report::{self, Panel, Series};
use crate::task::Task;
use crate::train::{run_spec, HistoryRow, RunOutput, TrainSpec};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;
use std::path::Path;

pub fn progress(len: u64, what: &str) -> ProgressBar {
    // indicatif draws nothing when stderr is not a terminal, so CI logs stay clean.
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {per_sec} eta {eta}")
            .expect("static template")
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

pub fn read_train_spec(path: &Path) -> Result<TrainSpec> {
    let text = std::fs::read_to_string(path).map_err(io_err(path))?;
    toml::from_str(&text).map_err(|e| invalid(format!("config {}", path.display()), one_line(&e.to_string())))
}

pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
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
    let pb = progress(spec.run.samples, spec.algorithm.name());
    let (task, run) = run_spec(spec, |s| pb.set_position(s))?;
    pb.finish_and_clear();
    write_run(&mut staged, spec, &task, &run)?;
    staged.commit()?;
    Ok(run)
}

fn write_run(staged: &mut Staged, spec: &TrainSpec, task: &Task, run: &RunOutput) -> Result<()> {
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

#[derive(Serialize)]
pub struct MethodResult {
    pub label: String,
    pub algorithm: AlgoConfig,
    pub diverged_at: Option<u64>,
    pub final_dist_v: f64,
    pub final_dist_a: f64,
    pub history: Vec<HistoryRow>,
}

/// `scb figure prox-vs-sgd`: ScbProx against an SGD learning-rate sweep on one task and
/// one batch stream (docs/theory.md §3 and the paper's first figure).
pub fn figure_prox_vs_sgd(base: &TrainSpec, lrs: &[f64], out: &Path) -> Result<Vec<MethodResult>> {
    base.validate()?;
    for (i, lr) in lrs.iter().enumerate() {
        crate::error::check_range(&format!("lrs[{i}]"), *lr, 0.0, 1e12, true)?;
    }
    let mut staged = Staged::begin(out)?;
    let mut specs = vec![base.clone()];
    for &lr in lrs {
        specs.push(TrainSpec { algorithm: AlgoConfig::Sgd(SgdConfig { lr, ..SgdConfig::default() }), ..base.clone() });
    }
    let runs = run_in_parallel(&specs, "prox-vs-sgd")?;
    let results: Vec<MethodResult> = specs
        .iter()
        .zip(&runs)
        .map(|(s, (_, r))| {
            let label = match &s.algorithm {
                AlgoConfig::ScbProx(_) => "ScbProx".to_string(),
                AlgoConfig::Sgd(c) => format!("SGD lr={}", c.lr),
                AlgoConfig::Softmax(c) => format!("softmax lr={}", c.lr),
            };
            let last = r.history.last().expect("at least one step");
            MethodResult {
                label,
                algorithm: s.algorithm.clone(),
                diverged_at: r.diverged_at,
                final_dist_v: last.snap.dist_v,
                final_dist_a: last.snap.dist_a,
                history: r.history.clone(),
            }
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
    let title = format!(
        "ScbProx vs SGD on N={}, T={}, Q={}, alpha={}, batch {}",
        task.n, task.t, task.q, base.task.alpha, base.run.batch
    );
    report::draw(
        &staged.path("prox_vs_sgd.svg"),
        &title,
        &[panel("P: |V-P|/|P|", |r| r.snap.dist_v), panel("Q*: |A-Q*|/|Q*|", |r| r.snap.dist_a)],
    )?;
    staged.written("prox_vs_sgd.svg");
    staged.json("prox_vs_sgd.json", &results)?;
    for ((m, (_, run)), slug) in results.iter().zip(&runs).zip(results.iter().map(|m| m.label.replace([' ', '='], "_"))) {
        staged.write(&format!("history_{slug}.csv"), history_csv(&m.history).as_bytes())?;
        staged.npy2(&format!("V_{slug}.npy"), run.params.v())?;
        staged.npy2(&format!("A_{slug}.npy"), run.params.a())?;
    }
    staged.npy2("P.npy", task.p.view())?;
    staged.npy2("Qstar.npy", task.qstar.view())?;
    staged.commit()?;
    Ok(results)
}

/// Several training runs at once (one per core), under one progress bar; results in order.
fn run_in_parallel(specs: &[TrainSpec], what: &str) -> Result<Vec<(Task, RunOutput)>> {
    let pb = progress(specs.iter().map(|s| s.run.samples).sum(), what);
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

/// Where a claim's spec lives: a `.toml` path as given, else `<theorems>/<id>.toml`.
pub fn spec_path(claim: &str, theorems: &Path) -> std::path::PathBuf {
    if claim.ends_with(".toml") {
        std::path::PathBuf::from(claim)
    } else {
        theorems.join(format!("{claim}.toml"))
    }
}

/// Runs one claim spec through its checker.
pub fn check_one(spec: &crate::claims::ClaimSpec, opts: &crate::claims::runner::Options) -> Result<crate::claims::ClaimResult> {
    use crate::claims::{beats_sgd, runner, softmax_link, stage_one, stage_two, transfer, two_stage};
    match spec.claim.as_str() {
        "stage_one" => runner::check::<stage_one::StageOne>(spec, opts),
        "stage_two" => runner::check::<stage_two::StageTwo>(spec, opts),
        "two_stage" => runner::check::<two_stage::TwoStage>(spec, opts),
        "transfer" => runner::check::<transfer::Transfer>(spec, opts),
        "beats_sgd" => runner::check::<beats_sgd::BeatsSgd>(spec, opts),
        "softmax_link" => runner::check::<softmax_link::SoftmaxLink>(spec, opts),
        other => Err(invalid("id", format!("unknown claim {other:?}"))),
    }
}

/// The spec ids in a theorems folder: every `<id>.toml` directly inside it.
pub fn spec_ids(theorems: &Path) -> Result<Vec<String>> {
    let rd = std::fs::read_dir(theorems)
        .map_err(|e| invalid("--theorems", format!("{} is not a readable folder of spec files ({e}); run from the repository or pass --theorems", theorems.display())))?;
    let mut ids: Vec<String> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
        .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(str::to_string))
        .collect();
    ids.sort();
    Ok(ids)
}

/// Canonical order for runs and the summary: by checker (registry order), true claims
/// before refuted forms, then by id.
fn canonical_key(claim: &str, expect: crate::claims::Expect, id: &str) -> (usize, bool, String) {
    let pos = crate::claims::CLAIMS.iter().position(|c| *c == claim).unwrap_or(usize::MAX);
    (pos, expect == crate::claims::Expect::Fail, id.to_string())
}

/// `scb check`: runs the named specs (or `all`: every spec in `theorems`), then rewrites
/// `<out>/index.html` over every result present in `<out>`. Returns whether every verdict
/// is the one its spec expects.
pub fn check(names: &[String], theorems: &Path, opts: &crate::claims::runner::Options) -> Result<bool> {
    let names: Vec<String> = if names.iter().any(|n| n == "all") { spec_ids(theorems)? } else { names.to_vec() };
    // Read every spec first: a typo in the last one should not cost the first one's run.
    let mut specs = Vec::new();
    for name in &names {
        let path = spec_path(name, theorems);
        if !name.ends_with(".toml") && !path.is_file() {
            let known = spec_ids(theorems)?;
            return Err(invalid("claim", format!("must be one of {}, all, or a .toml path (got {name:?})", known.join(", "))));
        }
        specs.push(crate::claims::ClaimSpec::load(&path)?);
    }
    specs.sort_by_key(|s| canonical_key(&s.claim, s.expect, &s.id));
    crate::io::ensure_dir(&opts.out)?;
    let mut all_pass = true;
    for spec in &specs {
        if let Some((i, n)) = opts.shard {
            match check_one(spec, opts) {
                Err(crate::Error::Other(m)) if m == crate::claims::runner::SHARD_DONE => {
                    eprintln!("{}: shard {i}/{n} done; run `scb merge {}` once every shard has", spec.id, opts.out.join(&spec.id).display());
                    continue;
                }
                Err(e) => return Err(e),
                Ok(_) => unreachable!("a shard never judges"),
            }
        }
        let r = check_one(spec, opts)?;
        all_pass &= r.as_expected;
        let note = if r.as_expected && r.expect == crate::claims::Expect::Pass { String::new() } else { format!(" ({})", r.outcome) };
        eprintln!("{}: {}{note}", r.id, r.verdict_word());
        for c in &r.checks {
            use crate::verdict::num;
            eprintln!("  {:<22} {:>10} [{}, {}]  {}", c.spec.quantity, num(c.estimate.value), num(c.estimate.lo), num(c.estimate.hi), c.reason);
        }
    }
    if opts.shard.is_none() {
        write_index(&opts.out)?;
    }
    Ok(all_pass)
}

/// `scb merge <out>/<id>`: combines the shards' records and judges the spec, producing
/// the same result.json and figure as an unsharded run.
pub fn merge(claim_dir: &Path, theorems: &Path, quick: bool) -> Result<bool> {
    let id = claim_dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let path = spec_path(id, theorems);
    if !path.is_file() {
        let known = spec_ids(theorems)?;
        return Err(invalid("dir", format!("must be <reports>/<id> for a spec id in {} (got {})", known.join(", "), claim_dir.display())));
    }
    let spec = crate::claims::ClaimSpec::load(&path)?;
    let n = crate::claims::runner::merge_shards(claim_dir, &spec)?;
    eprintln!("{id}: {n} trial records merged");
    let out = claim_dir.parent().map(Path::to_path_buf).unwrap_or_default();
    check(&[id.to_string()], theorems, &crate::claims::runner::Options { quick, out, progress: true, shard: None })
}

/// The summary page over the results found in `out`'s subfolders, in canonical order.
pub fn write_index(out: &Path) -> Result<()> {
    let mut results = Vec::new();
    let mut dirs: Vec<std::path::PathBuf> = std::fs::read_dir(out)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_dir()).collect())
        .unwrap_or_default();
    dirs.sort();
    for d in dirs {
        let p = d.join("result.json");
        if let Ok(text) = std::fs::read_to_string(&p) {
            match serde_json::from_str::<crate::claims::ClaimResult>(&text) {
                Ok(r) => results.push(r),
                Err(e) => eprintln!("warning: {} is not a result file ({e}); left out of index.html", p.display()),
            }
        }
    }
    results.sort_by_key(|r| canonical_key(&r.spec.claim, r.expect, &r.id));
    let mut staged = Staged::begin(out)?;
    staged.write("index.html", crate::report::html::index(&results).as_bytes())?;
    staged.commit()
}

/// `scb figure attention`: ScbProx and the softmax model trained on one task and one batch
/// stream; heatmaps of their attention and values next to the truth, and both loss curves.
pub fn figure_attention(base: &TrainSpec, softmax: &crate::algo::SoftmaxConfig, out: &Path) -> Result<crate::claims::softmax_link::Trial> {
    use crate::report::{heatmaps, Heatmap};
    base.validate()?;
    let soft_spec = TrainSpec { algorithm: AlgoConfig::Softmax(softmax.clone()), ..base.clone() };
    soft_spec.validate()?;
    let mut staged = Staged::begin(out)?;
    let runs = run_in_parallel(&[base.clone(), soft_spec], "attention")?;
    let (task, prox) = &runs[0];
    let soft = &runs[1].1;
    let pt = crate::claims::PointTask {
        point: crate::claims::Point { n: task.n, t: task.t, q: task.q, rho: None },
        task: task.clone(),
    };
    let cmp = crate::claims::softmax_link::compare(&pt, &prox.params, &soft.params);
    let size = format!("N={}, T={}, Q={}, {} samples", task.n, task.t, task.q, base.run.samples);
    let amax = [task.qstar.view(), prox.params.a(), soft.params.a()]
        .iter()
        .flat_map(|m| m.iter().copied())
        .fold(0.0f64, f64::max);
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

