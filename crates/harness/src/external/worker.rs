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
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

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
    /// The trial ran past the timeout (seconds); its worker was stopped.
    #[serde(skip_deserializing)]
    TimedOut(f64),
    /// The worker process ended during the trial (the function called `os._exit`, or was
    /// killed): how it ended.
    #[serde(skip_deserializing)]
    Ended(String),
}

/// Runs one trial of an external function at a point (axis values by grid name) and seed.
pub trait Runner: Send + Sync {
    /// The function's reply at `point` (axis values by grid name) for `seed`.
    fn run(&self, point: &serde_json::Value, seed: u64) -> Result<Reply>;
}

/// A function a host process runs itself, with a fingerprint of its code for the records.
#[derive(Clone)]
pub struct Hosted {
    /// What runs the function.
    pub runner: Arc<dyn Runner>,
    /// The fingerprint of the function's code, which its records carry.
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
    /// How long one trial may run before its worker is stopped.
    timeout: Duration,
    idle: Mutex<Vec<Worker>>,
}

/// A worker process. Its replies are read on a thread of their own and handed over a
/// channel, so that waiting for one can time out.
struct Worker {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
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
    /// A pool for `function` (`module:function`), importing from `folders` first, whose
    /// trials may each run for `timeout` seconds.
    pub fn new(function: &str, folders: Vec<PathBuf>, timeout: f64) -> Pool {
        let timeout = Duration::from_secs_f64(timeout);
        Pool { python: interpreter(), function: function.to_string(), folders, timeout, idle: Mutex::new(Vec::new()) }
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
        let (send, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines() {
                if line.is_err() || send.send(line.unwrap_or_default()).is_err() {
                    break;
                }
            }
        });
        let mut w = Worker { child, stdin, lines };
        // Importing the module is not timed: a slow import (a large library) is not a hang
        // of a trial, and a failed one ends the worker with its traceback.
        match w.read(None)? {
            Read::Line(Ready::Ready(true)) => Ok(w),
            Read::Line(Ready::Raised(tb)) => Err(Error::Trial { message: format!("cannot import {}: {}", self.function, last_line(&tb)), traceback: Some(tb) }),
            _ => Err(Error::Trial { message: format!("the Python worker running {} ended while starting ({})", self.function, w.status()), traceback: None }),
        }
    }
}

/// The worker's first line.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
enum Ready {
    Ready(bool),
    Raised(String),
}

/// What waiting for a worker's line came to.
enum Read<T> {
    Line(T),
    Ended,
    TimedOut,
}

impl Worker {
    fn read<T: serde::de::DeserializeOwned>(&mut self, timeout: Option<Duration>) -> Result<Read<T>> {
        let line = match timeout {
            Some(t) => self.lines.recv_timeout(t).map_err(|e| matches!(e, RecvTimeoutError::Timeout)),
            None => self.lines.recv().map_err(|_| false),
        };
        match line {
            Ok(line) => {
                serde_json::from_str(&line).map(Read::Line).map_err(|e| Error::Other(format!("a Python worker wrote {:?}, not a reply ({e})", line.trim_end())))
            }
            Err(true) => Ok(Read::TimedOut),
            Err(false) => Ok(Read::Ended),
        }
    }

    /// How the process ended, waiting for it.
    fn status(&mut self) -> String {
        self.child.wait().map(|s| s.to_string()).unwrap_or_else(|e| e.to_string())
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
            return Ok(Reply::Ended(format!("before the trial began: {}", w.status())));
        }
        match w.read::<Reply>(Some(self.timeout))? {
            Read::Line(reply) => {
                self.idle.lock().unwrap_or_else(|e| e.into_inner()).push(w);
                Ok(reply)
            }
            // Dropping the worker kills it.
            Read::TimedOut => Ok(Reply::TimedOut(self.timeout.as_secs_f64())),
            Read::Ended => Ok(Reply::Ended(w.status())),
        }
    }
}

/// The last nonempty line of a traceback: the exception and its message.
pub fn last_line(tb: &str) -> &str {
    tb.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim()
}
