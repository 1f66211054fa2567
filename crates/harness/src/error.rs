//! One error type for the whole harness. Bad input is always `Invalid`, naming the
//! field and the allowed range, so the CLI can print one line and exit 2.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
/// What can go wrong, by who can fix it: the user (`Invalid`), the machine (`Io`), scb
/// (`Other`), a trial's own code (`Trial`), or nobody (`Interrupted`).
pub enum Error {
    /// Bad input: a field of a spec, a flag or a file, and what it must be.
    #[error("invalid {field}: {msg}")]
    Invalid {
        /// The field as the user wrote it (`quick.tasks`, `--shard`, `check[2].plant`).
        field: String,
        /// The allowed range, and what was given.
        msg: String,
    },
    /// A read or write failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// An internal fault: a bug in scb, described.
    #[error("{0}")]
    Other(String),
    /// A trial's own code (an external trial function) raised or returned what is not a
    /// dict of finite numbers: the message names the trial, and the traceback if any.
    #[error("{message}")]
    Trial {
        /// Which trial failed, and how.
        message: String,
        /// The trial's own traceback, where its interpreter gave one.
        traceback: Option<String>,
    },
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

/// The harness's result, with its [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Bad input in `field`: `msg` says what it must be and what it was.
pub fn invalid(field: impl Into<String>, msg: impl Into<String>) -> Error {
    Error::Invalid { field: field.into(), msg: msg.into() }
}

/// A failed read or write of `path`, for `map_err`.
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
