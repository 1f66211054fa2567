//! What the console shows: progress bars for long runs, errors on one line.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar over `len` units (indicatif draws nothing when stderr is not a terminal,
/// so CI logs stay clean; `show = false` hides it everywhere).
pub fn progress(len: u64, what: &str, show: bool) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {rate} eta {eta}")
            .expect("static template")
            .with_key("rate", |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{}/s", crate::verdict::num(s.per_sec()));
            })
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    if !show {
        pb.set_draw_target(ProgressDrawTarget::hidden());
    }
    pb
}

/// A message on one line: parsers' multi-line errors become one.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `eprintln!` that a closed stream cannot stop: when the reader of `scb check ... 2>&1 |
/// head -1` goes away, the run still finishes and writes its files, where `eprintln!` would
/// panic (Rust ignores SIGPIPE, so the write fails instead of ending the process).
#[macro_export]
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

/// `println!`, as [`say!`] is `eprintln!`: a closed stdout is not a reason to panic.
#[macro_export]
macro_rules! show {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}
