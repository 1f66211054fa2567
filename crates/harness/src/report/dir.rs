//! One owner for a checked spec's report folder (`reports/<id>/`): the name of every file in
//! it, and the one place its `result.json`, `run.json` and calibrations are read. The trial
//! records' files belong to the store ([`FileStore`]), which this type hands out, and the
//! figure's to `report/files.rs`, which writes them.

use crate::claims::store::FileStore;
use crate::plan::Budget;
use crate::result::{Calibration, ClaimResult, RunInfo};
use std::path::{Path, PathBuf};

/// A spec's report folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportDir {
    path: PathBuf,
}

/// Why a folder's `result.json` could not be had.
#[derive(Debug)]
pub enum Unread {
    /// There is none, or it cannot be read.
    Missing(std::io::Error),
    /// It is there but is not a result this version reads.
    Invalid(serde_json::Error),
}

impl ReportDir {
    /// The judged result: the spec's verdicts, intervals and quantities.
    pub const RESULT: &'static str = "result.json";
    /// How the result came about (provenance, commit, code fingerprint).
    pub const RUN: &'static str = "run.json";
    /// Every quantity, tidy: one row per quantity and point.
    pub const QUANTITIES: &'static str = "quantities.csv";
    /// Every check's verdict, one row each.
    pub const CHECKS: &'static str = "checks.csv";

    /// The folder at `path`.
    pub fn new(path: impl Into<PathBuf>) -> ReportDir {
        ReportDir { path: path.into() }
    }

    /// The folder of spec `id` under the reports root `root`.
    pub fn of(root: &Path, id: &str) -> ReportDir {
        ReportDir::new(root.join(id))
    }

    /// The spec folders under `root` that hold a result file, sorted by name.
    pub fn all(root: &Path) -> std::io::Result<Vec<ReportDir>> {
        let mut dirs: Vec<ReportDir> =
            std::fs::read_dir(root)?.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_dir()).map(ReportDir::new).filter(|d| d.has_result()).collect();
        dirs.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(dirs)
    }

    /// Where the folder is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The folder's name: the spec's id.
    pub fn id(&self) -> Option<&str> {
        self.path.file_name().and_then(|n| n.to_str())
    }

    /// A file of the folder, by name.
    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// The result file's path.
    pub fn result_path(&self) -> PathBuf {
        self.file(Self::RESULT)
    }

    /// Whether the folder holds a result file (read or not).
    pub fn has_result(&self) -> bool {
        self.result_path().is_file()
    }

    /// The judged result, read and checked (an id that is not a spec's is refused).
    pub fn result(&self) -> Result<ClaimResult, Unread> {
        let text = std::fs::read_to_string(self.result_path()).map_err(Unread::Missing)?;
        serde_json::from_str(&text).map_err(Unread::Invalid)
    }

    /// The judged result, or bad input in `field`: a result that cannot be read (with `hint`,
    /// what to do about it) or does not read as one.
    pub fn read_result(&self, field: &str, hint: &str) -> crate::Result<ClaimResult> {
        let path = self.result_path();
        self.result().map_err(|e| match e {
            Unread::Missing(e) => crate::error::invalid(field, format!("{} cannot be read ({e}); {hint}", path.display())),
            Unread::Invalid(e) => crate::error::invalid(field, format!("{} is not a result ({e})", path.display())),
        })
    }

    /// How the result came about, if `run.json` is there and reads.
    pub fn run(&self) -> Option<RunInfo> {
        std::fs::read_to_string(self.file(Self::RUN)).ok().and_then(|t| serde_json::from_str(&t).ok())
    }

    /// The calibration file of `budget`'s grid.
    pub fn calibration_path(&self, budget: Budget) -> PathBuf {
        self.file(Calibration::file_name(budget))
    }

    /// The calibrations that are there and read, full grid first.
    pub fn calibrations(&self) -> Vec<Calibration> {
        Budget::BOTH.iter().filter_map(|b| std::fs::read_to_string(self.calibration_path(*b)).ok()).filter_map(|t| serde_json::from_str(&t).ok()).collect()
    }

    /// The trial records' store.
    pub fn store(&self) -> FileStore {
        FileStore::new(&self.path)
    }

    /// The merged trial records' file.
    pub fn trials_path(&self) -> PathBuf {
        self.store().shard_file(None)
    }

    /// The files of a result that `--replace` discards with it: result, provenance,
    /// quantities and the merged trial records.
    pub fn result_files(&self) -> [PathBuf; 4] {
        [self.result_path(), self.file(Self::RUN), self.file(Self::QUANTITIES), self.trials_path()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_is_read_or_refused_with_the_reason() {
        let root = tempfile::tempdir().unwrap();
        let d = ReportDir::of(root.path(), "x");
        assert!(matches!(d.result(), Err(Unread::Missing(_))));
        let e = d.read_result("spec", "run scb check first").unwrap_err().to_string();
        assert!(e.starts_with("invalid spec: ") && e.contains("result.json cannot be read (") && e.ends_with("; run scb check first"), "{e}");
        std::fs::create_dir_all(d.path()).unwrap();
        std::fs::write(d.result_path(), "{}").unwrap();
        assert!(matches!(d.result(), Err(Unread::Invalid(_))));
        let e = d.read_result("folder", "unused").unwrap_err().to_string();
        assert!(e.starts_with("invalid folder: ") && e.contains("result.json is not a result (") && !e.contains("unused"), "{e}");
        let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../reports/quick");
        let r = ReportDir::of(&committed, "transfer_zero_cost");
        assert_eq!(r.result().unwrap().id, "transfer_zero_cost");
        assert!(r.run().is_some_and(|i| i.grid == "quick"));
        assert_eq!(r.trials_path(), committed.join("transfer_zero_cost/trials.jsonl"));
        assert_eq!(r.id(), Some("transfer_zero_cost"));
    }

    #[test]
    fn all_lists_only_folders_with_a_result_in_name_order() {
        let root = tempfile::tempdir().unwrap();
        for (name, result) in [("b", true), ("a", true), ("c", false)] {
            std::fs::create_dir_all(root.path().join(name)).unwrap();
            if result {
                std::fs::write(root.path().join(name).join(ReportDir::RESULT), "{}").unwrap();
            }
        }
        std::fs::write(root.path().join("index.html"), "").unwrap();
        let ids: Vec<String> = ReportDir::all(root.path()).unwrap().iter().map(|d| d.id().unwrap().to_string()).collect();
        assert_eq!(ids, ["a", "b"]);
    }
}
