//! Where trial records live, behind a trait: the runner asks for the records of one
//! configuration (its hash) and appends new ones as they finish. The file store keeps a
//! folder of JSON Lines files: `trials.jsonl`, and `trials.shard-i-of-n.jsonl` per shard.

use crate::error::{io_err, Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One finished trial.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Record {
    /// The configuration it belongs to (everything its outcome depends on but its seed
    /// and the code).
    pub hash: String,
    /// The fingerprint of the code that made it ([`super::code`]); empty in records older
    /// than fingerprints, which count as made by other code.
    #[serde(default)]
    pub code: String,
    /// The point's canonical key.
    pub key: String,
    /// The task's index at the point; absent for a spec with a fixed task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<usize>,
    /// The trial's index within its task.
    pub trial: usize,
    /// The seed the trial ran from.
    pub seed: u64,
    /// What the trial returned, as the claim serialises its `Trial`.
    pub result: serde_json::Value,
    /// A checksum of everything above (FNV-1a of the record's JSON without this field): a
    /// record edited by hand, or corrupted without breaking its JSON, no longer matches, and
    /// is reported and rerun like a torn line. It guards against accidents, not forgery.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sum: String,
}

impl Record {
    /// The record with its checksum filled in, as it is written.
    pub fn sealed(mut self) -> Record {
        self.sum = self.checksum();
        self
    }

    fn checksum(&self) -> String {
        let bare = Record { sum: String::new(), ..self.clone() };
        let text = serde_json::to_string(&bare).expect("a record is plain JSON");
        format!("{:016x}", crate::rng::fnv1a(text.as_bytes()))
    }

    /// A record line as written: parsed, and its checksum matched against its content.
    pub fn read(line: &str) -> std::result::Result<Record, String> {
        let r: Record = serde_json::from_str(line).map_err(|e| e.to_string())?;
        if r.sum != r.checksum() {
            return Err(if r.sum.is_empty() { "no checksum".into() } else { "its checksum does not match its content".into() });
        }
        Ok(r)
    }
}

/// Records by (point key, task, trial).
pub type Records = HashMap<(String, Option<usize>, usize), Record>;

/// Where a spec's trial records are kept: the report folder's files ([`FileStore`]), or
/// memory for a calibration ([`MemoryStore`]).
pub trait TrialStore: Sync {
    /// Every readable record of configuration `hash` made by code `code`: for a whole run,
    /// from every file of the store; for a shard, from the merged file and its own only, so
    /// that no shard's start-up grows with the number of shards.
    fn load(&self, hash: &str, code: &str, shard: Option<(usize, usize)>) -> Result<Records>;
    /// A sink for new records: the main file, or the shard's own.
    fn open(&self, shard: Option<(usize, usize)>) -> Result<Box<dyn Sink>>;
}

/// Where a run appends its records as trials finish.
pub trait Sink: Send + Sync {
    /// Appends one record, whole, even from several threads at once.
    fn append(&self, rec: &Record) -> Result<()>;
}

/// The JSON Lines files of one report folder.
pub struct FileStore {
    /// The report folder.
    pub dir: PathBuf,
}

impl FileStore {
    /// The store of the report folder `dir`.
    pub fn new(dir: &Path) -> FileStore {
        FileStore { dir: dir.to_path_buf() }
    }

    /// The files holding records, in a fixed order: `trials.jsonl`, then the shards'.
    pub fn files(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = fs::read_dir(&self.dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| {
                        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                        name == "trials.jsonl" || (name.starts_with("trials.shard-") && name.ends_with(".jsonl"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
    }

    /// The file a whole run (`None`) or shard `(i, n)` appends to.
    pub fn shard_file(&self, shard: Option<(usize, usize)>) -> PathBuf {
        match shard {
            Some((i, n)) => self.dir.join(format!("trials.shard-{i}-of-{n}.jsonl")),
            None => self.dir.join("trials.jsonl"),
        }
    }
}

/// Advisory locks held for as long as a run writes to a report folder. A whole run or a
/// merge holds the folder exclusively; a shard holds it shared, and its own slice
/// exclusively. So a merge never touches a live shard's file, two checks never compute the
/// same trials twice, and a shard never runs twice at once. The locks are the operating
/// system's (flock), released when the process ends however it ends.
pub struct Lease {
    _files: Vec<fs::File>,
}

impl FileStore {
    /// Takes the folder's locks for a whole run (`None`) or shard `(i, n)`; if another run
    /// holds them, the error says which kind of run to wait for.
    pub fn lease(&self, shard: Option<(usize, usize)>) -> Result<Lease> {
        crate::io::ensure_dir(&self.dir)?;
        let open = |name: &str| {
            let path = self.dir.join(name);
            OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(io_err(&path))
        };
        let busy = |what: String| crate::error::invalid("--out", what);
        let folder = open(".lock")?;
        let got = retry(|| if shard.is_some() { folder.try_lock_shared() } else { folder.try_lock() });
        if let Err(e) = got {
            return Err(match e {
                fs::TryLockError::WouldBlock => busy(match shard {
                    Some(_) => format!("{} is held by a whole run or a merge in progress; wait for it to end", self.dir.display()),
                    None => format!("{} is in use by another scb run (a check, a live shard or a merge); wait for it to end", self.dir.display()),
                }),
                fs::TryLockError::Error(e) => io_err(self.dir.join(".lock"))(e),
            });
        }
        let mut files = vec![folder];
        if let Some((i, n)) = shard {
            let own = open(&format!(".shard-{i}-of-{n}.lock"))?;
            if let Err(e) = retry(|| own.try_lock()) {
                return Err(match e {
                    fs::TryLockError::WouldBlock => busy(format!("shard {i}/{n} of {} is already running", self.dir.display())),
                    fs::TryLockError::Error(e) => io_err(self.dir.join(".lock"))(e),
                });
            }
            files.push(own);
        }
        Ok(Lease { _files: files })
    }

    /// The shard counts that shard files in the folder were written for.
    pub fn shard_counts(&self) -> Vec<usize> {
        let mut ns: Vec<usize> = self
            .files()
            .iter()
            .filter_map(|f| {
                let name = f.file_name()?.to_str()?;
                let rest = name.strip_prefix("trials.shard-")?.strip_suffix(".jsonl")?;
                rest.split_once("-of-")?.1.parse().ok()
            })
            .collect();
        ns.sort();
        ns.dedup();
        ns
    }
}

/// Tries a lock for up to two seconds. A lock can outlive its holder's `close` for a moment:
/// a child process forked in between (any thread's `Command`) shares the descriptor until
/// it execs. A real concurrent run holds it far longer and is still refused.
fn retry(mut f: impl FnMut() -> std::result::Result<(), fs::TryLockError>) -> std::result::Result<(), fs::TryLockError> {
    for _ in 0..40 {
        match f() {
            Err(fs::TryLockError::WouldBlock) => std::thread::sleep(std::time::Duration::from_millis(50)),
            other => return other,
        }
    }
    f()
}

/// Reads the records of `hash` made by `code` in one file. Lines that do not parse are
/// reported and skipped; a torn last line (an interrupted write) is cut off so appends stay
/// clean. Records of the same configuration from other code are counted in the note, since
/// their trials are simulated again.
pub fn load_file(path: &Path, hash: &str, code: &str, out: &mut Records) -> Result<()> {
    let bytes = match fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err(path)(e)),
    };
    let (mut stale, mut other_code, mut good_len, mut offset) = (0, 0, 0, 0);
    let mut unreadable: Vec<usize> = Vec::new();
    for (i, line) in bytes.split_inclusive(|b| *b == b'\n').enumerate() {
        offset += line.len();
        let complete = line.ends_with(b"\n");
        // A line that is not UTF-8 (a flipped bit, a foreign write) is one unreadable
        // record, not a reason to refuse the whole file.
        let parsed = std::str::from_utf8(line).ok().map(|t| (t.trim().is_empty(), Record::read(t.trim_end())));
        match parsed {
            Some((_, Ok(r))) if complete => {
                good_len = offset;
                if r.hash != hash {
                    stale += 1;
                } else if r.code != code {
                    other_code += 1;
                } else {
                    out.entry((r.key.clone(), r.task, r.trial)).or_insert(r);
                }
            }
            Some((true, _)) => good_len = offset,
            _ => {
                unreadable.push(i + 1);
                if complete {
                    good_len = offset;
                }
            }
        }
    }
    if !unreadable.is_empty() {
        let lines: Vec<String> = unreadable.iter().take(5).map(|l| l.to_string()).collect();
        let more = if unreadable.len() > 5 { ", ..." } else { "" };
        crate::say!(
            "warning: {}: {} unreadable line{} skipped (line {}{more}: torn, not JSON, or a checksum that does not match the content); their trials are rerun",
            path.display(),
            unreadable.len(),
            if unreadable.len() == 1 { "" } else { "s" },
            lines.join(", ")
        );
    }
    if good_len < bytes.len() {
        let f = OpenOptions::new().write(true).open(path).map_err(io_err(path))?;
        f.set_len(good_len as u64).map_err(io_err(path))?;
    }
    if stale > 0 {
        crate::say!("note: {}: {stale} records from another configuration ignored", path.display());
    }
    if other_code > 0 {
        crate::say!("note: {}: {other_code} records from other code: simulating their trials again", path.display());
    }
    Ok(())
}

impl TrialStore for FileStore {
    fn load(&self, hash: &str, code: &str, shard: Option<(usize, usize)>) -> Result<Records> {
        let mut out = Records::new();
        let files = match shard {
            Some(_) => vec![self.shard_file(None), self.shard_file(shard)],
            None => self.files(),
        };
        for f in files {
            load_file(&f, hash, code, &mut out)?;
        }
        Ok(out)
    }

    fn open(&self, shard: Option<(usize, usize)>) -> Result<Box<dyn Sink>> {
        crate::io::ensure_dir(&self.dir)?;
        let path = self.shard_file(shard);
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| crate::error::invalid("--out", format!("cannot append to {} ({e})", path.display())))?;
        Ok(Box::new(FileSink { path, file: Mutex::new(file) }))
    }
}

struct FileSink {
    path: PathBuf,
    file: Mutex<fs::File>,
}

impl Sink for FileSink {
    fn append(&self, rec: &Record) -> Result<()> {
        let line = serde_json::to_string(&rec.clone().sealed()).map_err(|e| Error::Other(e.to_string()))? + "\n";
        // One write per record under the lock: records never interleave.
        self.file.lock().expect("no panics while holding the lock").write_all(line.as_bytes()).map_err(io_err(&self.path))
    }
}

/// Records kept in memory only: for runs whose trials are not worth keeping on disk (each
/// seed of a calibration), shared by every spec of that run so that specs with the same
/// configuration (a claim and its refuted form) simulate their trials once.
#[derive(Default)]
pub struct MemoryStore {
    records: std::sync::Arc<Mutex<Vec<Record>>>,
}

impl TrialStore for MemoryStore {
    fn load(&self, hash: &str, code: &str, _: Option<(usize, usize)>) -> Result<Records> {
        let all = self.records.lock().expect("no panics while holding the lock");
        Ok(all.iter().filter(|r| r.hash == hash && r.code == code).map(|r| ((r.key.clone(), r.task, r.trial), r.clone())).collect())
    }

    fn open(&self, _: Option<(usize, usize)>) -> Result<Box<dyn Sink>> {
        Ok(Box::new(MemorySink(self.records.clone())))
    }
}

struct MemorySink(std::sync::Arc<Mutex<Vec<Record>>>);

impl Sink for MemorySink {
    fn append(&self, rec: &Record) -> Result<()> {
        self.0.lock().expect("no panics while holding the lock").push(rec.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(trial: usize, x: f64) -> Record {
        let result = serde_json::json!({ "values": { "x": x } });
        Record { hash: "h".into(), code: "c".into(), key: "N=8".into(), task: Some(trial % 3), trial, seed: 7 + trial as u64, result, sum: String::new() }
    }

    fn written(n: usize) -> (tempfile::TempDir, FileStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path());
        let sink = store.open(None).unwrap();
        (0..n).for_each(|t| sink.append(&record(t, 0.25 + t as f64)).unwrap());
        (dir, store)
    }

    #[test]
    fn a_shard_reads_the_merged_file_and_its_own_and_a_whole_run_reads_every_file() {
        let (_dir, store) = written(2);
        for (t, shard) in [(2, (1, 3)), (3, (2, 3)), (4, (3, 3))] {
            store.open(Some(shard)).unwrap().append(&record(t, 1.0)).unwrap();
        }
        let trials = |shard| {
            let mut v: Vec<usize> = store.load("h", "c", shard).unwrap().into_keys().map(|k| k.2).collect();
            v.sort();
            v
        };
        assert_eq!(trials(Some((2, 3))), [0, 1, 3]);
        assert_eq!(trials(Some((1, 4))), [0, 1], "another split's files are not this shard's");
        assert_eq!(trials(None), [0, 1, 2, 3, 4]);
    }

    #[test]
    fn a_record_whose_values_were_edited_is_not_reused() {
        let (_dir, store) = written(4);
        let path = store.shard_file(None);
        let text = fs::read_to_string(&path).unwrap();
        // Triple one trial's value, as a hand edit would, keeping the JSON valid.
        fs::write(&path, text.replacen("\"x\":1.25", "\"x\":3.75", 1)).unwrap();
        let got = store.load("h", "c", None).unwrap();
        assert_eq!(got.len(), 3, "the edited record is dropped, the others kept");
        assert!(!got.contains_key(&("N=8".to_string(), Some(1), 1)));
        // A record without a checksum (hand-written, or from before checksums) is not reused.
        let bare = serde_json::to_string(&record(9, 1.0)).unwrap();
        assert_eq!(Record::read(&bare).unwrap_err(), "no checksum");
        assert!(Record::read(&serde_json::to_string(&record(9, 1.0).sealed()).unwrap()).is_ok());
    }

    /// Whatever byte of a records file is overwritten, with whatever, loading never panics
    /// and never yields a record that is not one of those written.
    #[test]
    fn a_corrupted_file_yields_only_records_that_were_written() {
        fn prop(at: usize, byte: u8) -> bool {
            let (_dir, store) = written(5);
            let path = store.shard_file(None);
            let mut bytes = fs::read(&path).unwrap();
            let at = at % bytes.len();
            bytes[at] = byte;
            fs::write(&path, &bytes).unwrap();
            let got = store.load("h", "c", None).unwrap();
            let originals: Vec<Record> = (0..5).map(|t| record(t, 0.25 + t as f64).sealed()).collect();
            got.values().all(|r| originals.iter().any(|o| serde_json::to_string(o).unwrap() == serde_json::to_string(r).unwrap()))
        }
        quickcheck::QuickCheck::new().tests(500).quickcheck(prop as fn(usize, u8) -> bool);
    }
}
