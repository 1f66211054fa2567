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
}

impl Error {
    /// Whether the user can fix this by changing their input (exit code 2).
    pub fn is_bad_input(&self) -> bool {
        matches!(self, Error::Invalid { .. } | Error::Io { .. })
    }
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
        Err(invalid(field, format!("must be a finite number in {l}{lo}, {hi}] (got {x})")))
    }
}
