//! Where an external trial runs: a pool of interpreter processes started on demand, one
//! per thread that asks (so trials use every core the runner's threads use), or a function
//! a host process hands in to run itself (a Python session's own callable). Both speak the
//! same replies, so the claim does not care which.
//!
//! The pool's processes run `worker.py`: one JSON line in per trial (the point and the
//! seed), one line out. A trial's result depends only on its point and seed, never on which
//! process ran it, so records are bit-identical for any number of workers.

use crate::error::{invalid, Error, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex, RwLock};

/// The worker's program, also imported by the Python package for its in-process trials.
pub const WORKER_PY: &str = include_str!("worker.py");

/// One trial's answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Reply {
    /// The named numbers the function returned.
    Values(BTreeMap<String, f64>),
    /// The function raised: its traceback.
    Raised(String),
    /// The function returned what is not a dict of finite numbers: why.
    Bad(String),
}

/// Runs one trial of an external function at a point (axis values by grid name) and seed.
pub trait Runner: Send + Sync {
    fn run(&self, point: &serde_json::Value, seed: u64) -> Result<Reply>;
}

/// A function a host process runs itself, with a fingerprint of its code for the records.
#[derive(Clone)]
pub struct Hosted {
    pub runner: Arc<dyn Runner>,
    pub code: String,
}

fn hosted() -> std::sync::RwLockWriteGuard<'static, Option<Hosted>> {
    static HOSTED: RwLock<Option<Hosted>> = RwLock::new(None);
    HOSTED.write().unwrap_or_else(|e| e.into_inner())
}

/// Hands the harness a function to run in this process for every external trial, or takes
/// it back (`None`). The Python package does this for `scb.check(spec, trial=fn)`.
pub fn host(f: Option<Hosted>) {
    *hosted() = f;
}

/// The function a host handed in, if any.
pub fn hosted_function() -> Option<Hosted> {
    hosted().clone()
}

/// The interpreter workers run on: `SCB_PYTHON`, else `python3`.
pub fn interpreter() -> String {
    std::env::var("SCB_PYTHON").ok().filter(|s| !s.is_empty()).unwrap_or_else(|| "python3".into())
}

/// Worker processes for one function, started as threads ask for them and reused.
pub struct Pool {
    python: String,
    function: String,
    folders: Vec<PathBuf>,
    idle: Mutex<Vec<Worker>>,
}

struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Closing its input ends the worker's loop; a worker stuck in a trial is killed.
        drop(self.stdin.take());
        if !matches!(self.child.try_wait(), Ok(Some(_))) {
            std::thread::sleep(std::time::Duration::from_millis(20));
            if !matches!(self.child.try_wait(), Ok(Some(_))) {
                let _ = self.child.kill();
            }
        }
        let _ = self.child.wait();
    }
}

impl Pool {
    /// A pool for `function` (`module:function`), importing from `folders` first.
    pub fn new(function: &str, folders: Vec<PathBuf>) -> Pool {
        Pool { python: interpreter(), function: function.to_string(), folders, idle: Mutex::new(Vec::new()) }
    }

    fn spawn(&self) -> Result<Worker> {
        let mut child = Command::new(&self.python)
            .arg("-c")
            .arg(WORKER_PY)
            .arg(&self.function)
            .args(&self.folders)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| invalid("python", format!("cannot start {:?} ({e}): set SCB_PYTHON to a Python 3 interpreter", self.python)))?;
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        let mut w = Worker { child, stdin, stdout };
        match w.read()? {
            Some(Ready::Ready(true)) => Ok(w),
            Some(Ready::Raised(tb)) => Err(Error::Trial { message: format!("cannot import {}: {}", self.function, last_line(&tb)), traceback: Some(tb) }),
            _ => Err(self.ended(&mut w, "while starting")),
        }
    }

    fn ended(&self, w: &mut Worker, when: &str) -> Error {
        let status = w.child.wait().map(|s| s.to_string()).unwrap_or_else(|e| e.to_string());
        Error::Trial { message: format!("the Python worker running {} ended {when} ({status})", self.function), traceback: None }
    }
}

/// The worker's first line.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
enum Ready {
    Ready(bool),
    Raised(String),
}

impl Worker {
    fn read<T: serde::de::DeserializeOwned>(&mut self) -> Result<Option<T>> {
        let mut line = String::new();
        let n = self.stdout.read_line(&mut line).map_err(|e| Error::Other(format!("reading a Python worker: {e}")))?;
        if n == 0 {
            return Ok(None);
        }
        serde_json::from_str(&line).map(Some).map_err(|e| Error::Other(format!("a Python worker wrote {:?}, not a reply ({e})", line.trim_end())))
    }
}

impl Runner for Pool {
    fn run(&self, point: &serde_json::Value, seed: u64) -> Result<Reply> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut w = match idle {
            Some(w) => w,
            None => self.spawn()?,
        };
        let job = serde_json::json!({ "point": point, "seed": seed }).to_string();
        let sent = w.stdin.as_mut().map(|s| writeln!(s, "{job}").and_then(|_| s.flush()));
        if !matches!(sent, Some(Ok(()))) {
            return Err(self.ended(&mut w, "before a trial"));
        }
        match w.read::<Reply>()? {
            Some(reply) => {
                self.idle.lock().unwrap_or_else(|e| e.into_inner()).push(w);
                Ok(reply)
            }
            None => Err(self.ended(&mut w, "during a trial")),
        }
    }
}

/// The last nonempty line of a traceback: the exception and its message.
pub fn last_line(tb: &str) -> &str {
    tb.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim()
}
