//! `scb calibrate`: a spec's operating characteristics, measured. The spec is rerun under K
//! master seeds (fresh tasks and trials each time, records kept in memory); for every check
//! the share of seeds that reach its expected verdict is its stability, and the share that
//! reject its prediction moved by the check's `plant` is its power. Moving a prediction
//! re-judges the same trials (the records' hash ignores predictions), so power costs a
//! bootstrap, not a simulation. Each finished seed is appended to a partial file, so an
//! interrupted calibration resumes where it stopped.

use crate::claims::store::MemoryStore;
use crate::claims::{find, Claim, Missing, Outcome, Run};
use crate::error::{io_err, Error, Result};
use crate::result::{Calibration, CheckCalibration, ClaimResult};
use crate::spec::{ClaimSpec, Predict};
use crate::verdict::{num, Expect, Kind, Standing, Verdict};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct CalibrateOptions {
    pub quick: bool,
    pub seeds: usize,
    pub out: PathBuf,
    pub theorems: PathBuf,
    pub progress: bool,
}

/// The stability a committed spec must reach: on the full grid and on the quick one.
pub const REQUIRED: (f64, f64) = (0.95, 0.90);

impl Default for CalibrateOptions {
    /// The CLI's: 20 master seeds on the full grids of `theorems/`, into `reports/`.
    fn default() -> Self {
        CalibrateOptions { quick: false, seeds: 20, out: "reports".into(), theorems: "theorems".into(), progress: false }
    }
}

/// Master seed k (from 1) of a spec: derived from its own seed, so two specs that share a
/// configuration and a seed (a claim and its refuted form) share their calibration trials.
pub fn master_seed(spec_seed: u64, k: usize) -> u64 {
    crate::rng::derive(spec_seed, 0xCA1B_0000 + k as u64)
}

/// One seed's verdicts, as the partial file keeps them.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct SeedOutcome {
    /// What the spec was when this seed ran: a changed spec starts over.
    spec: String,
    seed: u64,
    standing: Standing,
    verdicts: Vec<Verdict>,
    up: Vec<Option<Verdict>>,
    down: Vec<Option<Verdict>>,
}

/// The prediction moved by `plant`: up or down (a factor 1 + plant for ratio).
fn moved(predict: &Predict, kind: Kind, plant: f64, up: bool) -> Predict {
    let ratio = kind == Kind::Ratio;
    match (predict, ratio, up) {
        (Predict::Value(x), true, true) => Predict::Value(x * (1.0 + plant)),
        (Predict::Value(x), true, false) => Predict::Value(x / (1.0 + plant)),
        (Predict::Value(x), false, true) => Predict::Value(x + plant),
        (Predict::Value(x), false, false) => Predict::Value(x - plant),
        (Predict::Formula(f), true, true) => Predict::Formula(format!("({f}) * {}", 1.0 + plant)),
        (Predict::Formula(f), true, false) => Predict::Formula(format!("({f}) / {}", 1.0 + plant)),
        (Predict::Formula(f), false, true) => Predict::Formula(format!("({f}) + {plant}")),
        (Predict::Formula(f), false, false) => Predict::Formula(format!("({f}) - {plant}")),
    }
}

/// Whether a check's planted deviation is tried in a direction: both ways for equal and
/// ratio, the way that makes the bound false for above (up) and below (down).
fn planted(kind: Kind, up: bool) -> bool {
    match kind {
        Kind::Equal | Kind::Ratio => true,
        Kind::Above => up,
        Kind::Below => !up,
    }
}

/// The spec with every planted check's prediction moved one way; None if no check moves.
fn planted_spec(spec: &ClaimSpec, up: bool) -> Option<ClaimSpec> {
    let mut s = spec.clone();
    let mut any = false;
    for c in s.checks.iter_mut() {
        if let (Some(p), true) = (c.plant, planted(c.kind, up)) {
            c.predict = moved(&c.predict, c.kind, p, up);
            any = true;
        }
    }
    any.then_some(s)
}

fn judged(claim: &dyn Claim, spec: &ClaimSpec, quick: bool, store: &MemoryStore) -> Result<ClaimResult> {
    let run = Run { quick, shard: None, progress: false, store, missing: Missing::Simulate };
    match claim.prepare(spec.clone())?.check(&run)? {
        Outcome::Judged { result, .. } => Ok(result),
        Outcome::ShardDone { .. } => Err(Error::Other("a calibration run ended as a shard".into())),
    }
}

fn expected(spec: &ClaimSpec, i: usize) -> &'static str {
    match (spec.expect, spec.checks[i].expect) {
        (Expect::Pass, _) | (Expect::Fail, Some(Expect::Pass)) => "holds",
        (Expect::Fail, Some(Expect::Fail)) => "fails",
        (Expect::Fail, None | Some(Expect::Undecided)) => "either",
        (Expect::Undecided, _) => "no fail",
    }
}

/// Calibrates every named spec under `opts.seeds` master seeds, seed by seed (so specs that
/// share trials share them), and writes each spec's `calibration.json`.
pub fn calibrate(registry: &[&dyn Claim], names: &[String], opts: &CalibrateOptions) -> Result<Vec<Calibration>> {
    if !(1..=10_000).contains(&opts.seeds) {
        return Err(crate::error::invalid("--seeds", format!("must be a whole number in [1, 10000] (got {})", opts.seeds)));
    }
    let prepared = super::check::load_specs(registry, names, &opts.theorems)?;
    let specs: Vec<(&ClaimSpec, &dyn Claim)> = prepared.iter().map(|p| Ok((p.spec(), find(registry, p.spec())?))).collect::<Result<_>>()?;
    let partial_name = format!(".{}.partial.jsonl", Calibration::file_name(opts.quick));
    let (mut done, mut texts): (Vec<Vec<SeedOutcome>>, Vec<String>) = (Vec::new(), Vec::new());
    for (spec, _) in specs.iter().copied() {
        let dir = opts.out.join(&spec.id);
        crate::io::ensure_dir(&dir)?;
        let text = serde_json::to_string(spec).map_err(|e| Error::Other(e.to_string()))?;
        let partial = dir.join(&partial_name);
        // Resume: the seeds this same spec already finished (anything else is dropped).
        let kept: Vec<SeedOutcome> = std::fs::read_to_string(&partial)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<SeedOutcome>(l).ok())
            .filter(|o| o.spec == text)
            .collect();
        done.push(kept);
        texts.push(text);
    }
    let bar = crate::ui::progress((opts.seeds * specs.len()) as u64, "calibration (seeds x specs)", opts.progress);
    for k in 1..=opts.seeds {
        let store = MemoryStore::default();
        for (((spec, claim), outcomes), text) in specs.iter().copied().zip(done.iter_mut()).zip(&texts) {
            let seed = master_seed(spec.seed, k);
            if outcomes.iter().any(|o| o.seed == seed) {
                bar.inc(1);
                continue;
            }
            let mut s = spec.clone();
            s.seed = seed;
            let r = judged(claim, &s, opts.quick, &store)?;
            let side = |up: bool| -> Result<Vec<Option<Verdict>>> {
                Ok(match planted_spec(&s, up) {
                    Some(p) => {
                        let rp = judged(claim, &p, opts.quick, &store)?;
                        rp.checks.iter().zip(&p.checks).map(|(c, cs)| (cs.plant.is_some() && planted(cs.kind, up)).then_some(c.verdict)).collect()
                    }
                    None => vec![None; s.checks.len()],
                })
            };
            let outcome = SeedOutcome {
                spec: text.clone(),
                seed,
                standing: r.standing,
                verdicts: r.checks.iter().map(|c| c.verdict).collect(),
                up: side(true)?,
                down: side(false)?,
            };
            let partial = opts.out.join(&spec.id).join(&partial_name);
            let line = serde_json::to_string(&outcome).map_err(|e| Error::Other(e.to_string()))? + "\n";
            std::fs::OpenOptions::new().create(true).append(true).open(&partial).and_then(|mut f| f.write_all(line.as_bytes())).map_err(io_err(&partial))?;
            outcomes.push(outcome);
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    let mut out = Vec::new();
    for ((spec, _), outcomes) in specs.iter().copied().zip(&done) {
        let seeds: Vec<u64> = (1..=opts.seeds).map(|k| master_seed(spec.seed, k)).collect();
        let mine: Vec<&SeedOutcome> = seeds.iter().filter_map(|s| outcomes.iter().find(|o| o.seed == *s)).collect();
        let cal = summarise(spec, opts.quick, seeds, &mine);
        let dir = opts.out.join(&spec.id);
        let mut staged = crate::io::Staged::begin(&dir)?;
        staged.json(Calibration::file_name(opts.quick), &cal)?;
        staged.commit()?;
        let _ = std::fs::remove_file(dir.join(&partial_name));
        out.push(cal);
    }
    Ok(out)
}

/// A seed's standing, from its verdicts and the spec as it is now (not as stored), so a
/// change in how verdicts meet an expectation re-reads a resumed calibration correctly.
fn standing(spec: &ClaimSpec, o: &SeedOutcome) -> Standing {
    let checks: Vec<(Option<Expect>, Verdict)> = spec.checks.iter().map(|c| c.expect).zip(o.verdicts.iter().copied()).collect();
    crate::verdict::meets(spec.expect, &checks).0
}

fn summarise(spec: &ClaimSpec, quick: bool, seeds: Vec<u64>, outcomes: &[&SeedOutcome]) -> Calibration {
    let count = |f: &dyn Fn(&SeedOutcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
    let checks = spec
        .checks
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let exp = expected(spec, i);
            let is = |v: Verdict| count(&|o| o.verdicts[i] == v);
            let stable = match exp {
                "holds" => is(Verdict::Holds),
                "fails" => is(Verdict::Fails),
                "no fail" => is(Verdict::Holds) + is(Verdict::Undecided),
                _ => outcomes.len(),
            };
            let rejected = |side: &dyn Fn(&SeedOutcome) -> Option<Verdict>| {
                (c.plant.is_some() && outcomes.iter().any(|o| side(o).is_some())).then(|| count(&|o| side(o).is_some_and(|v| v != Verdict::Holds)))
            };
            CheckCalibration {
                quantity: c.quantity.clone(),
                kind: c.kind,
                each_point: c.each_point,
                expected: exp.into(),
                stable,
                holds: is(Verdict::Holds),
                fails: is(Verdict::Fails),
                undecided: is(Verdict::Undecided),
                undefined: is(Verdict::Undefined),
                plant: c.plant,
                rejected_up: rejected(&|o| o.up[i]),
                rejected_down: rejected(&|o| o.down[i]),
            }
        })
        .collect();
    Calibration {
        id: spec.id.clone(),
        grid: if quick { "quick" } else { "full" }.into(),
        seeds,
        randomness: spec.randomness(quick),
        level: spec.level,
        as_expected: count(&|o| standing(spec, o) == Standing::AsExpected),
        undecided: count(&|o| standing(spec, o) == Standing::Undecided),
        checks,
    }
}

/// The console's account of one calibration.
pub fn describe(c: &Calibration) -> String {
    let k = c.seeds.len();
    let need = if c.grid == "quick" { REQUIRED.1 } else { REQUIRED.0 };
    let mark = if c.stability() >= need { "meets" } else { "BELOW" };
    let mut s = format!(
        "{} ({} grid, {k} seeds): as expected on {}/{k} ({}; {mark} the required {:.0}%), undecided on {}\n",
        c.id,
        c.grid,
        c.as_expected,
        num(c.stability()),
        100.0 * need,
        c.undecided
    );
    for ch in &c.checks {
        let power = match (ch.plant, ch.rejected_up, ch.rejected_down) {
            (Some(p), u, d) => {
                let side = |n: Option<usize>, w: &str| n.map(|n| format!(" {w} {n}/{k}")).unwrap_or_default();
                format!("  power at plant {}:{}{}", num(p), side(u, "up"), side(d, "down"))
            }
            _ => String::new(),
        };
        s += &format!("  {:<24} {:<6} expected {:<6} on {}/{k}{power}\n", ch.quantity, format!("{:?}", ch.kind).to_lowercase(), ch.expected, ch.stable);
    }
    s
}

/// Where a calibration of `id` is: `<out>/<id>/calibration[-quick].json`.
pub fn path(out: &Path, id: &str, quick: bool) -> PathBuf {
    out.join(id).join(Calibration::file_name(quick))
}
