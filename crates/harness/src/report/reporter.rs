//! Where a run's findings go, after criterion's `Report`/`Reports`: the analysis hands over
//! plain data (a judged result and its panels, a line about a spec, the end of the run), and
//! each reporter decides what to do with it. The console prints, the files reporter writes a
//! spec's folder, the index page rewrites the summary over every result in the folder.

use super::figure::Panel;
use super::style::FigureOptions;
use crate::compare::Compared;
use crate::error::Result;
use crate::result::{ClaimResult, Provenance, RunInfo};
use crate::verdict::{num, Expect};
use std::path::Path;

/// One destination of a run's findings. Every method has a default that does nothing.
pub trait Reporter {
    /// A spec judged: its result, figure panels and how it came about, for its folder `dir`.
    fn judged(&self, _dir: &Path, _result: &ClaimResult, _panels: &[Panel], _info: &RunInfo) -> Result<()> {
        Ok(())
    }
    /// A line about a spec that is not a verdict: a shard done, a result replaced, records merged.
    fn note(&self, _text: &str) {}
    /// The run's results against the accepted ones in `baseline`.
    fn compared(&self, _out: &Path, _baseline: &Path, _specs: &[Compared]) -> Result<()> {
        Ok(())
    }
    /// The run has ended; `out` holds every result written there, this run's and earlier ones.
    fn finished(&self, _out: &Path) -> Result<()> {
        Ok(())
    }
}

/// Several reporters, each told everything in turn.
pub struct Reports(pub Vec<Box<dyn Reporter>>);

impl Reports {
    /// The CLI's: the folder's files, then the console, and the summary page at the end, in
    /// the order `claims` (ids, registry order) lists them.
    pub fn standard(claims: Vec<&'static str>) -> Reports {
        Reports::with_console(claims, Box::new(Console), FigureOptions::default())
    }

    /// The standard reporters with another console: a [`Transcript`] for a host that shows
    /// text itself (a notebook cell).
    /// `figures` says in which style and formats the files reporter draws.
    pub fn with_console(claims: Vec<&'static str>, console: Box<dyn Reporter>, figures: FigureOptions) -> Reports {
        Reports(vec![Box::new(Files { figures }), console, Box::new(IndexPage { claims })])
    }
}

impl Reporter for Reports {
    fn judged(&self, dir: &Path, result: &ClaimResult, panels: &[Panel], info: &RunInfo) -> Result<()> {
        self.0.iter().try_for_each(|r| r.judged(dir, result, panels, info))
    }
    fn note(&self, text: &str) {
        self.0.iter().for_each(|r| r.note(text))
    }
    fn compared(&self, out: &Path, baseline: &Path, specs: &[Compared]) -> Result<()> {
        self.0.iter().try_for_each(|r| r.compared(out, baseline, specs))
    }
    fn finished(&self, out: &Path) -> Result<()> {
        self.0.iter().try_for_each(|r| r.finished(out))
    }
}

/// A spec's folder: result.json, quantities.csv, the figure in each format and its data,
/// run.json.
#[derive(Default)]
pub struct Files {
    /// The figure's style and formats.
    pub figures: FigureOptions,
}

impl Reporter for Files {
    fn judged(&self, dir: &Path, result: &ClaimResult, panels: &[Panel], info: &RunInfo) -> Result<()> {
        super::files::write_claim(dir, result, panels, info, &self.figures)
    }
    fn compared(&self, out: &Path, baseline: &Path, specs: &[Compared]) -> Result<()> {
        let mut staged = crate::io::Staged::begin(out)?;
        staged.json("comparison.json", &serde_json::json!({ "baseline": baseline, "specs": specs }))?;
        staged.commit()
    }
}

/// A spec's verdict as the console shows it: the verdict, the randomness its intervals
/// cover, then a line per check.
pub fn verdict_lines(r: &ClaimResult, info: &RunInfo) -> Vec<String> {
    let p: &Provenance = &info.provenance;
    let note = if r.as_expected && r.expect == Expect::Pass { String::new() } else { format!(" ({})", r.outcome) };
    let grid = format!("{} grid", r.budget.name());
    let mut lines = vec![
        format!("{}: {}{note}  [{grid}, {} trials: {} simulated, {} reused]", r.id, r.verdict_word(), p.simulated + p.reused, p.simulated, p.reused),
        format!("  intervals cover {} at {:.0}% ({})", r.randomness, 100.0 * r.spec.level, r.interval),
    ];
    // Columns: the quantity, its estimate and interval, then the verdict and why; each as
    // wide as its widest entry in the spec, so the verdicts line up.
    let mut rows: Vec<[String; 4]> = r
        .checks
        .iter()
        .map(|c| {
            let quantity = if c.spec.each_point { format!("{} (each point)", c.spec.quantity) } else { c.spec.quantity.clone() };
            [quantity, num(c.estimate.value), format!("[{}, {}]", num(c.estimate.lo), num(c.estimate.hi)), format!("{}; {}", c.reason, c.resolution_text())]
        })
        .collect();
    // A scaling law's fitted constant is a finding even where no check judges it.
    if let (Some(e), false) = (r.q("constant"), r.checks.iter().any(|c| c.spec.quantity == "constant")) {
        rows.push(["constant (fitted)".into(), num(e.value), format!("[{}, {}]", num(e.lo), num(e.hi)), "not checked".into()]);
    }
    let width = |k: usize| rows.iter().map(|row| row[k].chars().count()).max().unwrap_or(0);
    let (wq, wv, wi) = (width(0), width(1), width(2));
    lines.extend(rows.iter().map(|[q, v, i, why]| format!("  {q:<wq$}  {v:>wv$} {i:<wi$}  {why}")));
    lines
}

/// Verdicts and comparisons, the run's findings, on stdout; notes about the run on stderr
/// with progress, warnings and errors (`scb check all > verdicts.txt` keeps only findings).
pub struct Console;

impl Reporter for Console {
    fn judged(&self, _dir: &Path, r: &ClaimResult, _panels: &[Panel], info: &RunInfo) -> Result<()> {
        for line in verdict_lines(r, info) {
            crate::show!("{line}");
        }
        Ok(())
    }
    fn note(&self, text: &str) {
        crate::say!("{text}");
    }
    fn compared(&self, out: &Path, baseline: &Path, specs: &[Compared]) -> Result<()> {
        super::comparison::lines(out, baseline, specs).iter().for_each(|l| crate::show!("{l}"));
        Ok(())
    }
}

/// The console's lines kept as text, for a host to show (clones share the text).
#[derive(Clone, Default)]
pub struct Transcript(std::sync::Arc<std::sync::Mutex<String>>);

impl Transcript {
    /// Everything the console would have printed so far.
    pub fn text(&self) -> String {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
    fn push(&self, line: &str) {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        t.push_str(line);
        t.push('\n');
    }
}

impl Reporter for Transcript {
    fn judged(&self, _dir: &Path, r: &ClaimResult, _panels: &[Panel], info: &RunInfo) -> Result<()> {
        verdict_lines(r, info).iter().for_each(|l| self.push(l));
        Ok(())
    }
    fn note(&self, text: &str) {
        self.push(text);
    }
    fn compared(&self, out: &Path, baseline: &Path, specs: &[Compared]) -> Result<()> {
        super::comparison::lines(out, baseline, specs).iter().for_each(|l| self.push(l));
        Ok(())
    }
}

/// `<out>/index.html`, rewritten over every result in `<out>` when a run ends.
pub struct IndexPage {
    /// Claim ids in registry order: the page lists results by claim in this order.
    pub claims: Vec<&'static str>,
}

impl Reporter for IndexPage {
    fn finished(&self, out: &Path) -> Result<()> {
        // Runs into one folder (other specs, shards' merges) rewrite the page one at a time,
        // each from the results present once it holds the lock: the last writer has seen
        // every result written before it, so none is dropped.
        let lock_path = out.join(".index.lock");
        let lock = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&lock_path).map_err(crate::error::io_err(&lock_path))?;
        lock.lock().map_err(crate::error::io_err(&lock_path))?;
        let mut results = Vec::new();
        let mut studies = Vec::new();
        let mut dirs: Vec<_> =
            std::fs::read_dir(out).map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_dir()).collect()).unwrap_or_default();
        dirs.sort();
        for d in dirs.into_iter().map(super::ReportDir::new) {
            crate::io::settle(d.path());
            match d.result() {
                Ok(r) => {
                    let figures = super::files::figure_files(d.path(), &r.id);
                    results.push((r, d.run(), d.calibrations(), figures))
                }
                Err(super::Unread::Invalid(e)) => {
                    crate::say!("warning: {} is not a result file ({e}); left out of index.html", d.result_path().display())
                }
                Err(super::Unread::Missing(_)) => {
                    if let (Ok(text), Some(name)) = (std::fs::read_to_string(d.file("matrix.md")), d.id()) {
                        studies.push((name.to_string(), text));
                    }
                }
            }
        }
        results.sort_by_key(|(r, _, _, _)| canonical_key(&self.claims, &r.spec.claim, r.expect, &r.id));
        let comparison =
            std::fs::read_to_string(out.join("comparison.json")).ok().and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok()).and_then(|v| {
                let specs = serde_json::from_value(v.get("specs")?.clone()).ok()?;
                Some((v.get("baseline")?.as_str()?.to_string(), specs))
            });
        let mut staged = crate::io::Staged::begin(out)?;
        staged.write("index.html", super::html::index(&results, comparison.as_ref(), &studies).as_bytes())?;
        staged.commit()
    }
}

/// Canonical order for runs and the summary: by claim (in `claims`' order), true claims
/// before refuted forms before open questions, then by id.
pub fn canonical_key(claims: &[&str], claim: &str, expect: Expect, id: &str) -> (usize, u8, String) {
    let pos = claims.iter().position(|c| *c == claim).unwrap_or(usize::MAX);
    (pos, expect as u8, id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    struct Log(Rc<RefCell<Vec<String>>>, &'static str);

    impl Reporter for Log {
        fn note(&self, text: &str) {
            self.0.borrow_mut().push(format!("{} note {text}", self.1));
        }
        fn finished(&self, out: &Path) -> Result<()> {
            self.0.borrow_mut().push(format!("{} finished {}", self.1, out.display()));
            Ok(())
        }
    }

    #[test]
    fn reports_tell_every_reporter_in_turn() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let r = Reports(vec![Box::new(Log(log.clone(), "a")), Box::new(Log(log.clone(), "b"))]);
        r.note("x");
        r.finished(Path::new("out")).unwrap();
        assert_eq!(*log.borrow(), ["a note x", "b note x", "a finished out", "b finished out"]);
    }

    #[test]
    fn results_are_listed_by_claim_then_expectation_then_id() {
        let claims = ["one", "two"];
        let mut keys = [
            canonical_key(&claims, "two", Expect::Pass, "a"),
            canonical_key(&claims, "one", Expect::Fail, "b"),
            canonical_key(&claims, "one", Expect::Pass, "c"),
            canonical_key(&claims, "unknown", Expect::Pass, "d"),
        ];
        keys.sort();
        let ids: Vec<&str> = keys.iter().map(|k| k.2.as_str()).collect();
        assert_eq!(ids, ["c", "b", "a", "d"]);
    }
}
