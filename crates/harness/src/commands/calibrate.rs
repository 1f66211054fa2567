//! `scb calibrate`: a spec's operating characteristics, measured. The spec is rerun under K
//! master seeds (fresh tasks and trials each time, records kept in memory). For every check,
//! the share of seeds that reach its expected verdict is its stability. Its power is measured
//! with the truth planted at its competing hypothesis (`plant`), not with the prediction
//! moved: each seed's judgement of every member is shifted (scaled, for a ratio) so that the
//! truth, estimated by the mean of the seeds' estimates, sits at the prediction moved by the
//! plant, on each side the claim could be false on, and the check is judged again
//! ([`crate::power`]). Only a failure counts as a detection; undecided is counted apart. The
//! check's resolution is the smallest such deviation detected on 80% of the seeds. Both cost
//! no simulation. Each finished seed is appended to a partial file, so an interrupted
//! calibration resumes where it stopped.
//!
//! On a cluster the seeds are spread over array tasks ([`Part::Shard`]): shard i of K runs
//! seeds i, i + K, i + 2K, ... into a partial file of its own, and [`Part::Merge`] judges
//! once every seed is there. A seed's outcome depends on the seed alone, so the merged
//! calibration is the one a single machine writes, byte for byte.

use crate::claims::analysis::claims_to_hold;
use crate::claims::store::MemoryStore;
use crate::claims::{find, Claim, Missing, Outcome, Run};
use crate::error::{io_err, Error, Result};
use crate::intervals::Method;
use crate::plan::Budget;
use crate::power::{sides, Datasets, Resolution, TARGET};
use crate::result::{Calibration, CheckCalibration, ClaimResult, Planted, SeedVerdicts};
use crate::spec::ClaimSpec;
use crate::verdict::{num, Expect, Kind, Standing, Verdict};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// How `calibrate` runs: which grids, how many master seeds, and where.
pub struct CalibrateOptions {
    /// The full grids, or the quick ones.
    pub budget: Budget,
    /// Master seeds to rerun each spec under.
    pub seeds: usize,
    /// The reports root: a spec's calibration goes to `<out>/<id>/`.
    pub out: PathBuf,
    /// Where spec ids are looked up.
    pub theorems: PathBuf,
    /// Show a progress bar.
    pub progress: bool,
    /// Calibrate every spec with drawn tasks as if it named this interval method (a study
    /// of the methods; the default is each spec's own).
    pub interval: Option<Method>,
}

/// The stability a committed spec must reach: on the full grid and on the quick one.
pub const REQUIRED: (f64, f64) = (0.95, 0.90);

/// The stability a spec must reach on the full grid, or with `quick` on the quick one.
pub fn required(budget: Budget) -> f64 {
    if budget.is_quick() {
        REQUIRED.1
    } else {
        REQUIRED.0
    }
}

impl Default for CalibrateOptions {
    /// The CLI's: 20 master seeds on the full grids of `theorems/`, into `reports/`.
    fn default() -> Self {
        CalibrateOptions { budget: Budget::Full, seeds: 20, out: "reports".into(), theorems: "theorems".into(), progress: false, interval: None }
    }
}

/// One seed's judgement, as the partial file keeps it: each check's verdict and every
/// member's `(prediction, value, lo, hi)`.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct SeedOutcome {
    /// What the spec was when this seed ran: a changed spec starts over.
    spec: String,
    /// The fingerprint of the code that ran it ([`Claim::code`]): a seed another build
    /// simulated is simulated again, so one calibration never mixes two versions of a claim.
    #[serde(default)]
    code: String,
    seed: u64,
    standing: Standing,
    verdicts: Vec<Verdict>,
    #[serde(default)]
    families: Vec<Vec<[Option<f64>; 4]>>,
}

impl SeedOutcome {
    fn of(spec: String, code: String, seed: u64, r: &ClaimResult) -> SeedOutcome {
        let finite = |x: f64| x.is_finite().then_some(x);
        let families = r.checks.iter().map(|c| c.band.iter().map(|m| [finite(m.predicted), finite(m.value), finite(m.lo), finite(m.hi)]).collect()).collect();
        SeedOutcome { spec, code, seed, standing: r.standing, verdicts: r.checks.iter().map(|c| c.verdict).collect(), families }
    }
}

fn judged(claim: &dyn Claim, spec: &ClaimSpec, budget: Budget, store: &MemoryStore) -> Result<ClaimResult> {
    let run = Run { budget, shard: None, progress: false, store, missing: Missing::Simulate };
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

/// The spec as calibrated: with the interval method of the study, if one is asked for.
fn as_calibrated(spec: &ClaimSpec, interval: Option<Method>) -> ClaimSpec {
    let mut s = spec.clone();
    if let (Some(m), false) = (interval, s.fixed_task) {
        s.interval = Some(m);
    }
    s
}

/// One spec being calibrated: what its seeds are filed under, and the seeds it has.
struct Calibrating<'a> {
    spec: &'a ClaimSpec,
    claim: &'a dyn Claim,
    /// The spec as its seeds record it: a changed spec starts over.
    text: String,
    /// The fingerprint of the code its seeds run, taken once before any seed runs.
    code: String,
    /// Its finished seeds, by master seed.
    done: BTreeMap<u64, SeedOutcome>,
}

/// Which part of a calibration a run does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// Every seed, then the summary (seeds that shards finished are kept).
    Whole,
    /// Shard i of K (from 1): seeds i, i + K, ...; no summary.
    Shard(usize, usize),
    /// No seed is run: the summary of what the shards finished, refused while one lacks a seed.
    Merge,
}

impl Part {
    fn runs(self, k: usize) -> bool {
        match self {
            Part::Whole => true,
            Part::Shard(i, n) => (k - 1) % n == i - 1,
            Part::Merge => false,
        }
    }
}

/// The partial files of a calibration in `dir`: the whole run's, and each shard's as
/// `(i, K, path)`.
fn partial_files(dir: &Path, budget: Budget) -> (PathBuf, Vec<(usize, usize, PathBuf)>) {
    let stem = format!(".{}.partial", Calibration::file_name(budget));
    let mut shards: Vec<(usize, usize, PathBuf)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter_map(|p| {
                    let name = p.file_name()?.to_str()?;
                    let (i, n) = name.strip_prefix(&format!("{stem}.shard-"))?.strip_suffix(".jsonl")?.split_once("-of-")?;
                    Some((i.parse().ok()?, n.parse().ok()?, p.clone()))
                })
                .collect()
        })
        .unwrap_or_default();
    shards.sort();
    (whole_file(dir, budget), shards)
}

/// The partial file of an unsharded run.
fn whole_file(dir: &Path, budget: Budget) -> PathBuf {
    dir.join(format!(".{}.partial.jsonl", Calibration::file_name(budget)))
}

fn shard_file(dir: &Path, budget: Budget, (i, n): (usize, usize)) -> PathBuf {
    dir.join(format!(".{}.partial.shard-{i}-of-{n}.jsonl", Calibration::file_name(budget)))
}

/// Calibrates every named spec under `opts.seeds` master seeds, seed by seed (so specs that
/// share trials share them), and writes each spec's `calibration.json`.
pub fn calibrate(registry: &[&dyn Claim], names: &[String], opts: &CalibrateOptions) -> Result<Vec<Calibration>> {
    calibrate_part(registry, names, opts, Part::Whole)
}

/// [`calibrate`], or one part of it: a shard's seeds (returns no calibration), or the merge.
pub fn calibrate_part(registry: &[&dyn Claim], names: &[String], opts: &CalibrateOptions, part: Part) -> Result<Vec<Calibration>> {
    if let Part::Shard(i, n) = part {
        if !(1..=n).contains(&i) || n > opts.seeds.max(1) {
            return Err(crate::error::invalid("--shard", format!("must be i/K with 1 <= i <= K <= --seeds ({}) (got {i}/{n})", opts.seeds)));
        }
    }
    if !(1..=10_000).contains(&opts.seeds) {
        return Err(crate::error::invalid("--seeds", format!("must be a whole number in [1, 10000] (got {})", opts.seeds)));
    }
    let prepared = super::check::load_specs(registry, names, &opts.theorems)?;
    let specs: Vec<(ClaimSpec, &dyn Claim)> =
        prepared.iter().map(|p| Ok((as_calibrated(p.spec(), opts.interval), find(registry, p.spec())?))).collect::<Result<_>>()?;
    // Each spec's code fingerprint is taken once, before any seed runs: every seed of this run
    // is filed under the code it started with (an external trial's module edited mid-run
    // does not split the seeds between two fingerprints).
    let mut calibrating: Vec<Calibrating> = Vec::new();
    for &(ref spec, claim) in &specs {
        let dir = opts.out.join(&spec.id);
        crate::io::ensure_dir(&dir)?;
        let text = serde_json::to_string(spec).map_err(|e| Error::Other(e.to_string()))?;
        // Resume: the seeds this same spec, run by this same code, already finished here or
        // in a shard (anything else is dropped). A shard reads only its own file and the
        // whole run's, so no shard's start-up grows with the number of shards.
        let (whole, shards) = partial_files(&dir, opts.budget);
        let code = claim.code();
        let read: Vec<&PathBuf> = match part {
            Part::Shard(i, n) => shards.iter().filter(|s| (s.0, s.1) == (i, n)).map(|s| &s.2).collect(),
            _ => shards.iter().map(|s| &s.2).collect(),
        };
        let mut kept: BTreeMap<u64, SeedOutcome> = BTreeMap::new();
        for file in std::iter::once(&whole).chain(read) {
            for o in std::fs::read_to_string(file).unwrap_or_default().lines().filter_map(|l| serde_json::from_str::<SeedOutcome>(l).ok()) {
                if o.spec == text && o.code == code && o.families.len() == spec.checks.len() {
                    kept.entry(o.seed).or_insert(o);
                }
            }
        }
        if part == Part::Merge {
            let lacking: Vec<usize> = (1..=opts.seeds).filter(|k| !kept.contains_key(&crate::rng::seeds::master(spec.seed, *k))).collect();
            if !lacking.is_empty() {
                let of = shards.first().map(|s| s.1);
                let named: Vec<String> = match of {
                    Some(n) => {
                        let mut v: Vec<usize> = lacking.iter().map(|k| (k - 1) % n + 1).collect();
                        v.sort_unstable();
                        v.dedup();
                        v.iter().map(|i| format!("shard {i}/{n}")).collect()
                    }
                    None => vec!["every shard".into()],
                };
                let seeds: Vec<String> = lacking.iter().map(|k| k.to_string()).collect();
                return Err(crate::error::invalid(
                    "--merge",
                    format!(
                        "{}: {} of {} seeds are missing (seed {}), from {}: rerun it (scb calibrate ... --shard i/K), or calibrate without --merge to finish here",
                        spec.id,
                        lacking.len(),
                        opts.seeds,
                        seeds.join(", "),
                        named.join(", ")
                    ),
                ));
            }
        }
        calibrating.push(Calibrating { spec, claim, text, code, done: kept });
    }
    let bar = crate::ui::progress((opts.seeds * specs.len()) as u64, "calibration (seeds x specs)", opts.progress);
    for k in (1..=opts.seeds).filter(|k| part.runs(*k)) {
        let store = MemoryStore::default();
        for Calibrating { spec, claim, text, code, done: outcomes } in calibrating.iter_mut() {
            let seed = crate::rng::seeds::master(spec.seed, k);
            if outcomes.contains_key(&seed) {
                bar.inc(1);
                continue;
            }
            let mut s = spec.clone();
            s.seed = seed;
            let r = judged(*claim, &s, opts.budget, &store)?;
            let outcome = SeedOutcome::of(text.clone(), code.clone(), seed, &r);
            let dir = opts.out.join(&spec.id);
            let partial = match part {
                Part::Shard(i, n) => shard_file(&dir, opts.budget, (i, n)),
                _ => whole_file(&dir, opts.budget),
            };
            let line = serde_json::to_string(&outcome).map_err(|e| Error::Other(e.to_string()))? + "\n";
            std::fs::OpenOptions::new().create(true).append(true).open(&partial).and_then(|mut f| f.write_all(line.as_bytes())).map_err(io_err(&partial))?;
            outcomes.insert(seed, outcome);
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    if let Part::Shard(..) = part {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for Calibrating { spec, done: outcomes, .. } in &calibrating {
        let seeds: Vec<u64> = (1..=opts.seeds).map(|k| crate::rng::seeds::master(spec.seed, k)).collect();
        let mine: Vec<&SeedOutcome> = seeds.iter().filter_map(|s| outcomes.get(s)).collect();
        let cal = summarise(spec, opts.budget, seeds, &mine);
        let dir = opts.out.join(&spec.id);
        let mut staged = crate::io::Staged::begin(&dir)?;
        staged.json(Calibration::file_name(opts.budget), &cal)?;
        staged.commit()?;
        let (whole, shards) = partial_files(&dir, opts.budget);
        for file in std::iter::once(whole).chain(shards.into_iter().map(|s| s.2)) {
            let _ = std::fs::remove_file(file);
        }
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

/// One seed's band for a check: every member's `(value, lo, hi)`.
type Dataset = Vec<(f64, f64, f64)>;

/// Check `i` over the seeds, as datasets for [`crate::power`]: per seed, every member's
/// `(value, lo, hi)`; the members' predictions (from the first seed: a prediction does not
/// depend on the seed unless it reads task statistics, and then it is a deviation judged
/// against 1 or 0); and the centres, the mean of the seeds' estimates.
fn seed_sets(outcomes: &[&SeedOutcome], i: usize) -> (Vec<f64>, Vec<f64>, Vec<Dataset>) {
    let nan = f64::NAN;
    let members = outcomes.iter().map(|o| o.families[i].len()).max().unwrap_or(0);
    let sets: Vec<Dataset> = outcomes
        .iter()
        .filter(|o| o.families[i].len() == members)
        .map(|o| o.families[i].iter().map(|m| (m[1].unwrap_or(nan), m[2].unwrap_or(nan), m[3].unwrap_or(nan))).collect())
        .collect();
    let predicts: Vec<f64> = (0..members).map(|m| outcomes.iter().find_map(|o| o.families[i].get(m).and_then(|x| x[0])).unwrap_or(nan)).collect();
    let centres: Vec<f64> = (0..members)
        .map(|m| {
            let v: Vec<f64> = sets.iter().map(|s| s[m].0).filter(|x| x.is_finite()).collect();
            if v.is_empty() {
                nan
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            }
        })
        .collect();
    (predicts, centres, sets)
}

fn summarise(spec: &ClaimSpec, budget: Budget, seeds: Vec<u64>, outcomes: &[&SeedOutcome]) -> Calibration {
    let count = |f: &dyn Fn(&SeedOutcome) -> bool| outcomes.iter().filter(|o| f(o)).count();
    let mut per_seed: Vec<SeedVerdicts> =
        outcomes.iter().map(|o| SeedVerdicts { seed: o.seed, standing: standing(spec, o), verdicts: o.verdicts.clone(), planted: Vec::new() }).collect();
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
            let (predicts, centres, sets) = seed_sets(outcomes, i);
            let data = Datasets { kind: c.kind, tolerance: c.tolerance, predicts: &predicts, centres: &centres, datasets: &sets };
            let mut planted = Vec::new();
            if let Some(plant) = c.plant {
                for side in sides(c.kind) {
                    let d = data.detected(plant, *side);
                    planted.push(Planted { side: *side, fails: d.fails, undecided: d.undecided });
                    // Seed by seed, in the same order as `sets` (seeds with the whole family).
                    let verdicts = data.verdicts(plant, *side);
                    let mut it = verdicts.into_iter();
                    for (o, v) in outcomes.iter().zip(per_seed.iter_mut()) {
                        if o.families[i].len() == predicts.len() {
                            v.planted.resize(i + 1, Vec::new());
                            v.planted[i].push(it.next().unwrap_or(Verdict::Undefined));
                        }
                    }
                }
            }
            let n = outcomes.len().max(1) as f64;
            let weak = claims_to_hold(spec, c) && planted.iter().any(|p| (p.fails as f64) < TARGET * n);
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
                planted,
                resolution: Resolution::of(&data),
                weak,
            }
        })
        .collect();
    for v in per_seed.iter_mut() {
        v.planted.resize(spec.checks.len(), Vec::new());
    }
    Calibration {
        id: spec.id.clone(),
        grid: budget.name().into(),
        seeds,
        randomness: spec.plan(budget).randomness(),
        interval: if spec.fixed_task { "percentile bootstrap over the trials of the fixed task".into() } else { spec.method().describe().into() },
        level: spec.level,
        as_expected: count(&|o| standing(spec, o) == Standing::AsExpected),
        undecided: count(&|o| standing(spec, o) == Standing::Undecided),
        checks,
        per_seed,
    }
}

/// The console's account of one calibration.
pub fn describe(c: &Calibration) -> String {
    let k = c.seeds.len();
    let need = required(Budget::from_flag(c.grid == "quick"));
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
        let power = match ch.plant {
            Some(p) => {
                let sides: Vec<String> =
                    ch.planted.iter().map(|x| format!("{} {}/{k} (undecided {})", side_word(ch.kind, x.side), x.fails, x.undecided)).collect();
                let weak = if ch.weak { "; WEAK: cannot fail at this budget" } else { "" };
                format!("  plant {}: detected {}{weak}", crate::power::plant_text(ch.kind, p), sides.join(", "))
            }
            _ => String::new(),
        };
        s += &format!(
            "  {:<24} {:<6} expected {:<7} on {}/{k}; {}{power}\n",
            ch.quantity,
            format!("{:?}", ch.kind).to_lowercase(),
            ch.expected,
            ch.stable,
            ch.resolution.text(ch.kind)
        );
    }
    s
}

fn side_word(kind: Kind, side: crate::power::Side) -> &'static str {
    match (kind, side) {
        (Kind::Below | Kind::Above, _) => "across the bound",
        (_, crate::power::Side::Up) => "up",
        (_, crate::power::Side::Down) => "down",
    }
}

/// Where a calibration of `id` is: `<out>/<id>/calibration[-quick].json`.
pub fn path(out: &Path, id: &str, budget: Budget) -> PathBuf {
    out.join(id).join(Calibration::file_name(budget))
}
