//! Output that is never half-written: files are staged and renamed into place.

use crate::error::{io_err, Error, Result};
use ndarray::{Array2, ArrayView1, ArrayView2};
use ndarray_npy::WriteNpyExt;
use std::fs;
use std::path::{Path, PathBuf};

/// A set of files written into a staging folder inside `dir` and moved into `dir`
/// only on `commit`, so a failure leaves `dir` as it was.
pub struct Staged {
    dir: PathBuf,
    stage: PathBuf,
    files: Vec<String>,
}

impl Staged {
    /// Creates `dir` if needed and proves it is writable before any work is done.
    pub fn begin(dir: &Path) -> Result<Staged> {
        let created = !dir.exists();
        ensure_dir(dir)?;
        clean_stale_stages(dir);
        let stage = dir.join(format!(".staging-{}", std::process::id()));
        fs::create_dir_all(&stage).map_err(|e| unwritable(dir, e))?;
        live().push((stage.clone(), created.then(|| dir.to_path_buf())));
        Ok(Staged { dir: dir.to_path_buf(), stage, files: Vec::new() })
    }

    /// Where `name` is staged, for a writer that takes a path (not checked: use [`Self::write`]
    /// for names that come from input).
    pub fn path(&self, name: &str) -> PathBuf {
        self.stage.join(name)
    }

    /// Writes `name` into the set. A name is a plain file name: one that would land outside
    /// the folder (a path, `..`) is refused, whatever a result file it came from says.
    pub fn write(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        if !is_plain_file_name(name) {
            return Err(crate::error::invalid("file name", format!("must be a plain file name inside {} (got {name:?})", self.dir.display())));
        }
        let p = self.path(name);
        fs::write(&p, bytes).map_err(io_err(&p))?;
        self.files.push(name.to_string());
        Ok(())
    }

    /// The files staged so far.
    pub fn names(&self) -> &[String] {
        &self.files
    }

    /// Registers a file that a library wrote to `path(name)` itself.
    pub fn written(&mut self, name: &str) {
        self.files.push(name.to_string());
    }

    /// Stages a matrix as a `.npy` file, in C order.
    pub fn npy2(&mut self, name: &str, a: ArrayView2<f64>) -> Result<()> {
        // numpy users expect C order; copy rather than write a Fortran-order header.
        let c: Array2<f64> = a.as_standard_layout().into_owned();
        let mut buf = Vec::new();
        c.write_npy(&mut buf).map_err(|e| Error::Other(format!("{name}: {e}")))?;
        self.write(name, &buf)
    }

    /// Stages a vector as a `.npy` file.
    pub fn npy1(&mut self, name: &str, a: ArrayView1<f64>) -> Result<()> {
        let mut buf = Vec::new();
        a.to_owned().write_npy(&mut buf).map_err(|e| Error::Other(format!("{name}: {e}")))?;
        self.write(name, &buf)
    }

    /// Stages `value` as pretty-printed JSON.
    pub fn json<T: serde::Serialize>(&mut self, name: &str, value: &T) -> Result<()> {
        let s = serde_json::to_string_pretty(value).map_err(|e| Error::Other(e.to_string()))?;
        self.write(name, s.as_bytes())
    }

    /// Moves the set into place. The stage is first marked complete, so that if the
    /// process dies between two renames, the next writer or reader of `dir` ([`settle`])
    /// finishes moving the set rather than leaving new files beside old ones.
    pub fn commit(self) -> Result<()> {
        let marker = self.stage.join(COMPLETE);
        fs::write(&marker, b"").map_err(io_err(&marker))?;
        for f in &self.files {
            let to = self.dir.join(f);
            fs::rename(self.stage.join(f), &to).map_err(io_err(&to))?;
        }
        let _ = fs::remove_dir_all(&self.stage);
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.stage);
        live().retain(|(s, _)| *s != self.stage);
    }
}

/// One normal path component: no separator, not `.` or `..`, not empty.
fn is_plain_file_name(name: &str) -> bool {
    let mut parts = Path::new(name).components();
    matches!((parts.next(), parts.next()), (Some(std::path::Component::Normal(n)), None) if n == name) && !name.contains(['/', '\\'])
}

static STOP: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Asks running checks to stop before their next trial (a host that cannot end the
/// process, such as a Python kernel on Ctrl-C). Trials already finished are kept in the
/// records; the run returns [`crate::Error::Interrupted`].
pub fn request_stop(stop: bool) {
    STOP.store(stop, std::sync::atomic::Ordering::SeqCst);
}

/// Whether [`request_stop`] asked runs to stop.
pub fn stop_requested() -> bool {
    STOP.load(std::sync::atomic::Ordering::SeqCst)
}

/// The staging folders this process has open, with the output folder when it created it:
/// what an interrupt must clean up, since a signal ends the process without running drops.
fn live() -> std::sync::MutexGuard<'static, Vec<(PathBuf, Option<PathBuf>)>> {
    static LIVE: std::sync::Mutex<Vec<(PathBuf, Option<PathBuf>)>> = std::sync::Mutex::new(Vec::new());
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// On Ctrl-C: removes this process's staging folders, and an output folder it created that
/// is left empty, so an interrupted run leaves its output as it was.
pub fn clean_up_on_interrupt() {
    for (stage, created) in live().drain(..) {
        let _ = fs::remove_dir_all(&stage);
        if let Some(d) = created {
            let _ = fs::remove_dir(&d); // only if empty
        }
    }
}

/// The file that marks a stage whose set is complete and being moved into place.
const COMPLETE: &str = ".complete";

/// Settles `dir` before it is read or written: the `.staging-<pid>` folders of processes
/// that no longer run (killed runs leave them) are finished, if their set was complete and
/// being moved into place (so a result never stays beside another run's figure), or else
/// removed. Where process ids cannot be checked (no /proc), leaves everything alone.
pub fn settle(dir: &Path) {
    clean_stale_stages(dir)
}

fn clean_stale_stages(dir: &Path) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(rd) = fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(".staging-")).and_then(|p| p.parse::<u32>().ok()) else { continue };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let stage = e.path();
            if stage.join(COMPLETE).exists() {
                for f in fs::read_dir(&stage).into_iter().flatten().flatten() {
                    if f.file_name() != COMPLETE {
                        let _ = fs::rename(f.path(), dir.join(f.file_name()));
                    }
                }
            }
            let _ = fs::remove_dir_all(stage);
        }
    }
}

fn unwritable(dir: &Path, e: std::io::Error) -> Error {
    crate::error::invalid("--out", format!("{} is not a writable directory ({e})", dir.display()))
}

/// Creates `dir` (and parents) or fails naming `--out`.
pub fn ensure_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| unwritable(dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The id of a process that has ended.
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    }

    #[test]
    fn a_set_killed_half_way_into_place_is_finished_and_an_unfinished_stage_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // A run died after moving result.json and before moving the figure.
        fs::write(d.join("result.json"), "new").unwrap();
        fs::write(d.join("figure.svg"), "old").unwrap();
        let stage = d.join(format!(".staging-{}", dead_pid()));
        fs::create_dir(&stage).unwrap();
        fs::write(stage.join("figure.svg"), "new").unwrap();
        fs::write(stage.join(COMPLETE), "").unwrap();
        settle(d);
        assert_eq!(fs::read_to_string(d.join("figure.svg")).unwrap(), "new");
        assert!(!stage.exists());
        // A run died while still writing its set: nothing of it is moved.
        let stage = d.join(format!(".staging-{}", dead_pid()));
        fs::create_dir(&stage).unwrap();
        fs::write(stage.join("result.json"), "half").unwrap();
        settle(d);
        assert_eq!(fs::read_to_string(d.join("result.json")).unwrap(), "new");
        assert!(!stage.exists());
    }

    #[test]
    fn a_name_that_would_land_outside_the_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let mut staged = Staged::begin(&out).unwrap();
        for bad in ["../escape.svg", "/tmp/abs.svg", "a/b.svg", "..", ".", "", "a\\b.svg"] {
            let e = staged.write(bad, b"x").unwrap_err().to_string();
            assert!(e.contains("plain file name"), "{bad}: {e}");
        }
        staged.write("fine.svg", b"x").unwrap();
        staged.commit().unwrap();
        assert!(out.join("fine.svg").is_file() && !dir.path().join("escape.svg").exists());
    }
}
