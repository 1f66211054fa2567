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
