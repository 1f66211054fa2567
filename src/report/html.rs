//! The summary page over all claims: a verdict table, then each claim's figure and checks.

use crate::result::{ClaimResult, RunInfo};

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

use crate::verdict::{num, Expect, Kind, Verdict};

/// The page over every result, each with how it came about (`run.json`, where present).
pub fn index(results: &[(ClaimResult, Option<RunInfo>)]) -> String {
    let mut h = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>scb: claim verdicts</title>\n<style>\
body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222;line-height:1.4}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}\
.PASS{color:#00795a;font-weight:bold}.FAIL{color:#b34000;font-weight:bold}img{max-width:100%;border:1px solid #eee}\
code{background:#f4f4f4;padding:0 3px}</style></head><body>\n\
<h1>scb: one-layer transformer theory checked against simulation</h1>\n\
<p>Each claim is run as Monte Carlo trials of the training algorithm (docs/theory.md in the repository derives every prediction). \
Every number below carries a percentile bootstrap interval over trials. A check passes when the prediction lies \
inside the interval widened by the stated tolerance (or, for one-sided checks, when the interval's end is on the \
predicted side). A refuted form of a claim is kept as a spec that must keep failing: \
its verdict is FAIL, and that is the expected outcome.</p>\n",
    );
    let (hold, refuted, off) = crate::result::tally(results.iter().map(|(r, _)| r));
    h += &format!(
        "<p><b>{} specs: {hold} hold, {refuted} refuted as expected{}.</b></p>\n",
        results.len(),
        if off.is_empty() { String::new() } else { format!(", {} <span class=\"FAIL\">not as expected</span> ({})", off.len(), escape(&off.join(", "))) }
    );
    let row = |(r, info): &(ClaimResult, Option<RunInfo>)| {
        let v = r.verdict_word();
        let ok = if r.as_expected { "PASS" } else { "FAIL" };
        format!(
            "<tr><td><a href=\"#{id}\">{id}</a></td><td class=\"{v}\">{v}</td><td class=\"{ok}\">{}</td><td>{}</td><td>{} grid: {} points x {} trials</td><td>{}</td></tr>\n",
            escape(&r.outcome),
            escape(&r.statement),
            if r.quick { "quick" } else { "full" },
            r.points.len(),
            r.trials_per_point,
            info.as_ref().map_or("unknown".into(), |i| escape(&format!(
                "{} simulated, {} reused; scb {}, {}{}",
                i.provenance.simulated,
                i.provenance.reused,
                i.version,
                i.date,
                i.commit.as_ref().map(|c| format!(", commit {c}")).unwrap_or_default()
            ))),
            id = r.id
        )
    };
    for (title, expect) in [("Claims", Expect::Pass), ("Refuted forms, kept as expected failures", Expect::Fail)] {
        let these: Vec<&(ClaimResult, Option<RunInfo>)> = results.iter().filter(|(r, _)| r.expect == expect).collect();
        if these.is_empty() {
            continue;
        }
        h += &format!("<h3>{title}</h3>\n<table><tr><th>spec</th><th>verdict</th><th>as expected?</th><th>statement</th><th>grid</th><th>this run</th></tr>\n");
        these.iter().for_each(|r| h += &row(r));
        h += "</table>\n";
    }
    for (r, _) in results {
        let v = r.verdict_word();
        let refuted = if r.expect == Expect::Fail { format!(" <small>({})</small>", escape(&r.outcome)) } else { String::new() };
        h += &format!("<h2 id=\"{id}\">{id}: <span class=\"{v}\">{v}</span>{refuted}</h2>\n<p>{}</p>\n", escape(&r.statement), id = r.id);
        h += &format!("<p><img src=\"{id}/{id}.svg\" alt=\"{id} figure\"></p>\n", id = r.id);
        h += &format!(
            "<table><tr><th>quantity</th><th>what it is</th><th>measured [{:.0}% CI]</th><th>predicted</th><th>result</th><th>why this prediction</th></tr>\n",
            100.0 * r.spec.level
        );
        for c in &r.checks {
            let (p, tol) = (escape(&c.prediction_text()), c.spec.tolerance);
            // A one-sided bound reads as its edge: the number moved by the tolerance, or the
            // formula and the tolerance written out.
            let edge = |sign: f64, op: &str| match c.spec.predict.value() {
                Some(x) => num(x + sign * tol),
                None if tol == 0.0 => p.clone(),
                None => format!("{p} {op} {}", num(tol)),
            };
            let kind = match c.spec.kind {
                Kind::Equal => format!("= {p} &plusmn; {}", num(tol)),
                Kind::Ratio => format!("= {p} (factor {})", num(1.0 + tol)),
                Kind::Below => format!("&le; {}", edge(1.0, "+")),
                Kind::Above => format!("&ge; {}", edge(-1.0, "-")),
            };
            let kind = if c.spec.each_point { format!("{kind}, at each point") } else { kind };
            let pv = match c.verdict {
                Verdict::Holds => "PASS",
                _ => "FAIL",
            };
            h += &format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{} [{}, {}]</td><td>{kind}</td><td class=\"{pv}\">{}</td><td>{}</td></tr>\n",
                escape(&c.spec.quantity),
                escape(&c.description),
                num(c.estimate.value),
                num(c.estimate.lo),
                num(c.estimate.hi),
                escape(&c.reason),
                escape(&c.spec.why)
            );
        }
        h += "</table>\n";
    }
    h += "<p>Per-trial records are in <code>&lt;claim&gt;/trials.jsonl</code>; every number above, per grid point too, is in <code>&lt;claim&gt;/result.json</code>.</p>\n</body></html>\n";
    h
}
