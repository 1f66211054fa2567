//! One error type for the whole harness. Bad input is always `Invalid`, naming the
//! field and the allowed range, so the CLI can print one line and exit 2.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid {field}: {msg}")]
    Invalid { field: String, msg: String },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Other(String),
    /// A trial's own code (an external trial function) raised or returned what is not a
    /// dict of finite numbers: the message names the trial, and the traceback if any.
    #[error("{message}")]
    Trial { message: String, traceback: Option<String> },
    /// The run was stopped on request (Ctrl-C in Python); finished trials are kept.
    #[error("interrupted: finished trials are kept, and a rerun resumes")]
    Interrupted,
}

impl Error {
    /// The process's exit code: 2 for bad input (the user can fix it by changing the
    /// command or a file), 3 for a failed read or write (disk full, permissions, a vanished
    /// folder), 4 for an internal fault, 6 for a failure in a trial's own (external) code, 130
    /// for an interrupted run. 0, 1 and 5 are verdicts (as expected, not, undecided).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Invalid { .. } => 2,
            Error::Io { .. } => 3,
            Error::Other(_) => 4,
            Error::Trial { .. } => 6,
            Error::Interrupted => 130,
        }
    }
}

/// Reading an input file the user named: a missing or unreadable file is bad input.
pub fn read_input(path: &std::path::Path, field: &str) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| invalid(field, format!("cannot read {} ({e})", path.display())))
}

pub type Result<T> = std::result::Result<T, Error>;

pub fn invalid(field: impl Into<String>, msg: impl Into<String>) -> Error {
    Error::Invalid { field: field.into(), msg: msg.into() }
}

pub fn io_err(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { path, source }
}

/// Rejects NaN/inf and values outside `[lo, hi]` (inclusive unless told otherwise).
pub fn check_range(field: &str, x: f64, lo: f64, hi: f64, lo_open: bool) -> Result<()> {
    let ok = x.is_finite() && if lo_open { x > lo } else { x >= lo } && x <= hi;
    if ok {
        Ok(())
    } else {
        let l = if lo_open { "(" } else { "[" };
        let n = crate::verdict::num;
        Err(invalid(field, format!("must be a finite number in {l}{}, {}] (got {})", n(lo), n(hi), n(x))))
    }
}
