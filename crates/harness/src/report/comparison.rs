//! A run against its baseline ([`crate::compare`]) in words, for the console, and as
//! `comparison.json` beside the run's results.

use crate::compare::{Change, Compared, QuantityChange};
use crate::verdict::num;
use std::path::Path;

/// One line per spec, then a closing line that says how to accept the run.
pub fn lines(out: &Path, baseline: &Path, specs: &[Compared]) -> Vec<String> {
    let mut lines = vec![format!("against the baseline in {}:", baseline.display())];
    let mut count = [0usize; 3];
    let mut changed = Vec::new();
    let mut missing = 0;
    for c in specs {
        match c {
            Compared::Missing { .. } => missing += 1,
            Compared::Found(s) => {
                count[s.change as usize] += 1;
                if s.change == Change::Changed {
                    changed.push(s.id.as_str());
                }
            }
        }
        lines.push(format!("  {:<28} {}", c.id(), what(c)));
    }
    let mut end = format!("{} unchanged, {} changed within noise, {} CHANGED", count[0], count[1], count[2]);
    if !changed.is_empty() {
        end += &format!(" ({})", changed.join(", "));
    }
    if missing > 0 {
        end += &format!(", {missing} without a baseline");
    }
    if count[1] + count[2] + missing > 0 {
        end += &format!("; details in {}; to make this run the baseline: scb accept{}", out.join("comparison.json").display(), accept_flags(out, baseline));
    }
    lines.push(end);
    lines
}

/// How one spec compares, in words: `unchanged (28 quantities, bit for bit)`, or what moved.
pub fn what(c: &Compared) -> String {
    let s = match c {
        Compared::Missing { why, .. } => return format!("no baseline ({why})"),
        Compared::Found(s) => s,
    };
    let mut line = s.change.words().to_string();
    match s.change {
        Change::Unchanged => line += &format!(" ({} quantities, bit for bit)", s.compared),
        Change::WithinNoise => {
            line += &format!(" ({} of {} quantities moved, none beyond noise; largest: {})", s.moved.len(), s.compared, describe(&s.moved[0]));
        }
        Change::Changed => {
            let beyond: Vec<String> = s.beyond_noise().take(3).map(describe).collect();
            let n = s.beyond_noise().count();
            line += &format!(": {n} of {} quantities beyond noise", s.compared);
            if n > 0 {
                line += &format!(" ({}{})", beyond.join("; "), if n > 3 { "; ..." } else { "" });
            }
            for f in &s.flips {
                line += &format!("; {} flipped: {} -> {}", f.what, f.old, f.new);
            }
            if !s.edits.is_empty() {
                let e: Vec<String> = s.edits.iter().map(|e| format!("{} {} -> {}", e.what, e.old, e.new)).collect();
                line += &format!("; the spec changed: {}", e.join(", "));
            }
        }
    }
    line
}

/// The flags `scb accept` needs to find this run and its baseline (none for the defaults).
fn accept_flags(out: &Path, baseline: &Path) -> String {
    let quick = baseline.ends_with("quick");
    let mut flags = if quick { " --quick".to_string() } else { String::new() };
    if out != baseline.join("new") {
        flags += &format!(" --from {}", out.display());
    }
    if baseline != Path::new(if quick { "reports/quick" } else { "reports" }) {
        flags += &format!(" --to {}", baseline.display());
    }
    flags
}

/// `rate 1.02 -> 1.35 (+0.33 [0.21, 0.45])`.
fn describe(q: &QuantityChange) -> String {
    // An estimate undefined in some bootstrap replicates says how many, so that a move in
    // that share alone (value undefined on both sides) is visible rather than
    // "undefined -> undefined".
    let v = |e: &Option<crate::stats::Estimate>| match e {
        None => "absent".to_string(),
        Some(e) if e.undefined > 0.0 => format!("{} (undefined in {}% of replicates)", num(e.value), num(100.0 * e.undefined)),
        Some(e) => num(e.value),
    };
    let sign = if q.diff > 0.0 { "+" } else { "" };
    let diff = if q.diff.is_nan() { String::new() } else { format!(" ({sign}{} [{}, {}])", num(q.diff), num(q.lo), num(q.hi)) };
    format!("{} {} -> {}{diff}", q.key, v(&q.old), v(&q.new))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Estimate;

    #[test]
    fn a_move_in_the_undefined_share_alone_is_shown() {
        let e = |undefined: f64| Some(Estimate { value: f64::NAN, lo: f64::NAN, hi: f64::NAN, undefined });
        let q = QuantityChange { key: "rate".into(), old: e(0.25), new: e(0.5), diff: f64::NAN, lo: f64::NAN, hi: f64::NAN, change: Change::Changed };
        assert_eq!(describe(&q), "rate undefined (undefined in 25% of replicates) -> undefined (undefined in 50% of replicates)");
        let defined = Some(Estimate { value: 1.5, lo: 1.0, hi: 2.0, undefined: 0.0 });
        let q = QuantityChange { key: "rate".into(), old: defined.clone(), new: defined, diff: 0.0, lo: -0.1, hi: 0.1, change: Change::WithinNoise };
        assert_eq!(describe(&q), "rate 1.5 -> 1.5 (0 [-0.1, 0.1])");
    }
}
