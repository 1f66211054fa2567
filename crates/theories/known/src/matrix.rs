//! `scb known-truth`: the known-truth matrix. Every design spec in `theorems/known/` (one per
//! law of the task effects and number of tasks; `scripts/known_matrix.py` writes them) is
//! calibrated over many master seeds with each interval method, and every family of cells is
//! summarised: how often its band held the truth (coverage), and how often a one-sided check
//! with its bound exactly at the truth failed, on each side (the edge failure rates). From
//! these the harness's method and the tasks it needs for a band of C members were chosen
//! (`scb_harness::intervals::min_tasks`), and this command shows them again on any machine.

use scb_harness::commands::calibrate::{calibrate, CalibrateOptions};
use scb_harness::error::{Error, Result};
use scb_harness::intervals::Method;
use scb_harness::plan::Budget;
use scb_harness::result::Calibration;
use scb_harness::spec::ClaimSpec;
use scb_harness::verdict::{num, Kind};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The targets a design must meet (STATISTICS.md §7): at nominal 95%, coverage at least
/// 93%, and a one-sided check at its truth failing on at most 3.5% of seeds on either side.
pub const MIN_COVERAGE: f64 = 0.93;
/// The most a one-sided check at its truth may fail on either side (share of seeds).
pub const MAX_EDGE: f64 = 0.035;

/// One family of one design under one method.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// The interval method calibrated.
    pub method: Method,
    /// The law of the task effects (`normal`, `exponential`, `student-t3`).
    pub law: String,
    /// Tasks per point.
    pub tasks: usize,
    /// What was judged: `value`, `ratio`, `diff`, `slope` or `mean`.
    pub quantity: String,
    /// Members of the family (cells of the point; 1 for a whole-grid mean).
    pub width: usize,
    /// Whether the members share their task.
    pub shared: bool,
    /// Master seeds the design was calibrated over.
    pub seeds: usize,
    /// Seeds on which the band held every member's truth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covered: Option<usize>,
    /// Seeds on which a lower bound at the truth failed (the band wholly below it), and an
    /// upper bound (wholly above).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub miss_below: Option<usize>,
    /// Seeds on which an upper bound at the truth failed (the band wholly above it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub miss_above: Option<usize>,
}

impl Row {
    fn rate(&self, n: Option<usize>) -> Option<f64> {
        n.map(|n| n as f64 / self.seeds.max(1) as f64)
    }
    /// Whether the family meets the targets (what it measured of them).
    pub fn meets(&self) -> bool {
        self.rate(self.covered).is_none_or(|c| c >= MIN_COVERAGE)
            && self.rate(self.miss_below).is_none_or(|m| m <= MAX_EDGE)
            && self.rate(self.miss_above).is_none_or(|m| m <= MAX_EDGE)
    }
}

/// The matrix: every row, and per method and band width the fewest tasks at which every law
/// meets the targets, there and at every larger number of tasks measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Matrix {
    /// Master seeds per design.
    pub seeds: usize,
    /// The nominal level of the intervals.
    pub level: f64,
    /// Every family of every design under every method.
    pub rows: Vec<Row>,
    /// The fewest tasks that serve each method and band width.
    pub floors: Vec<Floor>,
}

/// The fewest tasks at which one method serves bands of one width: every law meets the targets there and at every larger number of tasks measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Floor {
    /// The interval method.
    pub method: Method,
    /// Members of the band.
    pub width: usize,
    /// Whether the members share their task.
    pub shared: bool,
    /// None: no number of tasks measured serves it.
    pub tasks: Option<usize>,
}

/// The rows of one calibrated design.
pub fn rows(spec: &ClaimSpec, cal: &Calibration, method: Method) -> Vec<Row> {
    let law = spec.sections.get("settings").and_then(|s| s.get("law")).and_then(|l| l.as_str()).unwrap_or("normal").to_string();
    let truth_of = |q: &str| -> f64 {
        let s = spec.sections.get("settings");
        let get = |k: &str, d: f64| s.and_then(|t| t.get(k)).and_then(|v| v.as_float()).unwrap_or(d);
        match q {
            "ratio" => 1.0,
            "diff" => get("paired", 0.25),
            "slope" => 0.0,
            _ => get("truth", 1.0),
        }
    };
    let mut out: Vec<Row> = Vec::new();
    for (c, ch) in spec.checks.iter().zip(&cal.checks) {
        let Some(p) = c.predict.value() else { continue };
        if p != truth_of(&c.quantity) {
            continue; // a bound inside the truth: how often it is established, not an error rate
        }
        let width = c.at.get("width").and_then(|v| v.first()).map_or(1, |w| *w as usize);
        let shared = c.at.get("shared").and_then(|v| v.first()).is_some_and(|s| *s > 0.5);
        let i = match out.iter().position(|r| r.quantity == c.quantity && r.width == width && r.shared == shared) {
            Some(i) => i,
            None => {
                out.push(Row {
                    method,
                    law: law.clone(),
                    tasks: spec.plan(Budget::Full).tasks,
                    quantity: c.quantity.clone(),
                    width,
                    shared,
                    seeds: cal.seeds.len(),
                    covered: None,
                    miss_below: None,
                    miss_above: None,
                });
                out.len() - 1
            }
        };
        match c.kind {
            Kind::Equal | Kind::Ratio => out[i].covered = Some(ch.holds),
            Kind::Above => out[i].miss_below = Some(ch.fails),
            Kind::Below => out[i].miss_above = Some(ch.fails),
        }
    }
    out
}

/// Per method and value-band shape, the fewest tasks from which every law meets the targets.
pub fn floors(rows: &[Row]) -> Vec<Floor> {
    let mut shapes: Vec<(Method, usize, bool)> = rows.iter().filter(|r| r.quantity == "value").map(|r| (r.method, r.width, r.shared)).collect();
    shapes.sort_by_key(|(m, w, s)| (m.name(), *w, *s));
    shapes.dedup();
    shapes
        .into_iter()
        .map(|(method, width, shared)| {
            let of: Vec<&Row> = rows.iter().filter(|r| r.quantity == "value" && r.method == method && r.width == width && r.shared == shared).collect();
            let mut tasks: Vec<usize> = of.iter().map(|r| r.tasks).collect();
            tasks.sort();
            tasks.dedup();
            let ok = |g: usize| of.iter().filter(|r| r.tasks >= g).all(|r| r.meets());
            Floor { method, width, shared, tasks: tasks.into_iter().find(|g| ok(*g)) }
        })
        .collect()
}

/// What `scb known-truth` runs.
pub struct MatrixOptions {
    /// Master seeds per design.
    pub seeds: usize,
    /// The interval methods to calibrate.
    pub methods: Vec<Method>,
    /// The folder of the designs' specs (theorems/known).
    pub theorems: PathBuf,
    /// Where the calibrations, matrix.json and matrix.md go.
    pub out: PathBuf,
    /// Show progress.
    pub progress: bool,
}

/// Calibrates every design with each method asked for (resumable: each calibration keeps its
/// finished seeds), then summarises every method whose calibrations `out` holds (earlier runs
/// of other methods, perhaps with other numbers of seeds, included) into `matrix.json` and
/// `matrix.md`.
pub fn run(registry: &[&dyn scb_harness::claims::Claim], opts: &MatrixOptions) -> Result<Matrix> {
    let ids = scb_harness::commands::check::spec_ids(&opts.theorems)?;
    if ids.is_empty() {
        return Err(scb_harness::error::invalid(
            "--theorems",
            format!("{} holds no design spec; write them with scripts/known_matrix.py", opts.theorems.display()),
        ));
    }
    for method in &opts.methods {
        let c = CalibrateOptions {
            seeds: opts.seeds,
            out: opts.out.join(method.name()),
            theorems: opts.theorems.clone(),
            progress: opts.progress,
            interval: Some(*method),
            budget: Budget::Full,
        };
        calibrate(registry, &ids, &c)?;
    }
    let m = summarise(&ids, &opts.theorems, &opts.out)?;
    write(&m, &opts.out)?;
    Ok(m)
}

/// The matrix from the calibrations in `out/<method>/<id>/calibration.json`.
pub fn summarise(ids: &[String], theorems: &Path, out: &Path) -> Result<Matrix> {
    let (mut all, mut level, mut seeds) = (Vec::new(), 0.95, 0);
    for method in Method::ALL {
        for id in ids {
            let path = out.join(method.name()).join(id).join(Calibration::file_name(Budget::Full));
            let Ok(text) = std::fs::read_to_string(&path) else { continue };
            let cal: Calibration = serde_json::from_str(&text).map_err(|e| Error::Other(format!("{}: {e}", path.display())))?;
            let spec = ClaimSpec::load(&theorems.join(format!("{id}.toml")))?;
            level = spec.level;
            seeds = seeds.max(cal.seeds.len());
            all.extend(rows(&spec, &cal, method));
        }
    }
    all.sort_by(|a, b| {
        (a.method.name(), &a.law, a.tasks, &a.quantity, a.width, a.shared).cmp(&(b.method.name(), &b.law, b.tasks, &b.quantity, b.width, b.shared))
    });
    Ok(Matrix { seeds, level, floors: floors(&all), rows: all })
}

fn write(m: &Matrix, out: &Path) -> Result<()> {
    let mut staged = scb_harness::io::Staged::begin(out)?;
    staged.json("matrix.json", m)?;
    staged.write("matrix.md", markdown(m).as_bytes())?;
    staged.commit()
}

fn pct(n: Option<usize>, of: usize) -> String {
    n.map_or("-".into(), |n| format!("{:.1}", 100.0 * n as f64 / of.max(1) as f64))
}

/// The matrix as Markdown: per method, a row per law and number of tasks, a column per
/// family: coverage %, then the edge failure % below and above.
pub fn markdown(m: &Matrix) -> String {
    let mut s = format!(
        "Known-truth matrix: up to {} master seeds per design, nominal level {}. Each cell: coverage % (edge failure % below / above); **bold** where it misses a target (coverage < {}%, or an edge failure > {}%).\n",
        m.seeds,
        m.level,
        num(100.0 * MIN_COVERAGE),
        num(100.0 * MAX_EDGE)
    );
    let mut methods: Vec<Method> = m.rows.iter().map(|r| r.method).collect();
    methods.dedup();
    for method in methods {
        let rows: Vec<&Row> = m.rows.iter().filter(|r| r.method == method).collect();
        let mut shapes: Vec<(String, usize, bool)> = rows.iter().map(|r| (r.quantity.clone(), r.width, r.shared)).collect();
        shapes.sort_by_key(|(q, w, s)| (q != "value", q.clone(), *w, *s));
        shapes.dedup();
        let head: Vec<String> = shapes.iter().map(|(q, w, s)| format!("{q} {w}{}", if *s { " shared" } else { "" })).collect();
        let mut counts: Vec<usize> = rows.iter().map(|r| r.seeds).collect();
        counts.sort();
        counts.dedup();
        let n = counts.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(" or ");
        let more: Vec<String> = {
            let mut d: Vec<String> = rows.iter().filter(|r| Some(&r.seeds) != counts.first()).map(|r| format!("{} at {} tasks", r.law, r.tasks)).collect();
            d.dedup();
            d
        };
        let n = if more.is_empty() { n } else { format!("{n}; {} for {}", counts.last().unwrap_or(&0), more.join(", ")) };
        s += &format!(
            "\n**{}** ({n} seeds a design)\n\n| law | tasks | {} |\n| --- | --- |{}\n",
            method.describe(),
            head.join(" | "),
            " --- |".repeat(head.len())
        );
        let mut designs: Vec<(String, usize)> = rows.iter().map(|r| (r.law.clone(), r.tasks)).collect();
        designs.dedup();
        for (law, tasks) in designs {
            let cells: Vec<String> = shapes
                .iter()
                .map(|(q, w, sh)| {
                    rows.iter().find(|r| r.law == law && r.tasks == tasks && r.quantity == *q && r.width == *w && r.shared == *sh).map_or("".into(), |r| {
                        let t = format!("{} ({} / {})", pct(r.covered, r.seeds), pct(r.miss_below, r.seeds), pct(r.miss_above, r.seeds));
                        if r.meets() {
                            t
                        } else {
                            format!("**{t}**")
                        }
                    })
                })
                .collect();
            s += &format!("| {law} | {tasks} | {} |\n", cells.join(" | "));
        }
        let fl: Vec<String> = m
            .floors
            .iter()
            .filter(|f| f.method == method)
            .map(|f| {
                format!(
                    "{} cell{}{}: {}",
                    f.width,
                    if f.width == 1 { "" } else { "s" },
                    if f.shared { " shared" } else { "" },
                    f.tasks.map_or("none measured".into(), |t| format!("{t} tasks"))
                )
            })
            .collect();
        s += &format!("\nFewest tasks at which every law meets both targets (and at every larger number measured): {}.\n", fl.join("; "));
    }
    s
}

/// Reads a matrix written earlier.
pub fn read(out: &Path) -> Result<Matrix> {
    let p = out.join("matrix.json");
    let text = std::fs::read_to_string(&p).map_err(scb_harness::error::io_err(&p))?;
    serde_json::from_str(&text).map_err(|e| Error::Other(format!("{}: {e}", p.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(tasks: usize, law: &str, covered: usize, below: usize) -> Row {
        Row {
            method: Method::T,
            law: law.into(),
            tasks,
            quantity: "value".into(),
            width: 3,
            shared: false,
            seeds: 200,
            covered: Some(covered),
            miss_below: Some(below),
            miss_above: Some(0),
        }
    }

    #[test]
    fn the_floor_is_the_fewest_tasks_from_which_every_law_meets_both_targets() {
        // 186/200 = 93% meets; 185 does not; 7/200 = 3.5% edge failures meet, 8 do not.
        let rows = vec![
            row(4, "normal", 180, 0),
            row(8, "normal", 186, 7),
            row(8, "exponential", 190, 8),
            row(12, "normal", 190, 2),
            row(12, "exponential", 186, 7),
            row(16, "exponential", 191, 3),
        ];
        assert_eq!(floors(&rows), vec![Floor { method: Method::T, width: 3, shared: false, tasks: Some(12) }]);
        // A larger number of tasks that fails again moves the floor past it.
        let mut worse = rows.clone();
        worse.push(row(32, "normal", 185, 0));
        assert_eq!(floors(&worse)[0].tasks, None);
    }
}
