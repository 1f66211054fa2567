//! The summary page over all claims: a verdict table, then each claim's figure and checks.

use crate::claims::ClaimResult;

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn num(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    let a = x.abs();
    if a != 0.0 && !(1e-3..1e5).contains(&a) {
        format!("{x:.3e}")
    } else {
        format!("{x:.4}")
    }
}

pub fn index(results: &[ClaimResult]) -> String {
    let mut h = String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>scb: claim verdicts</title>\n<style>\
body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222;line-height:1.4}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}\
.PASS{color:#00795a;font-weight:bold}.FAIL{color:#b34000;font-weight:bold}img{max-width:100%;border:1px solid #eee}\
code{background:#f4f4f4;padding:0 3px}</style></head><body>\n\
<h1>Sparse contextual bigrams: claims checked against simulation</h1>\n\
<p>Each claim of Ren, Wang &amp; Lee (NeurIPS 2024) is run as Monte Carlo trials of the training algorithm. \
Every number below carries a percentile bootstrap interval over trials. A check passes when the prediction lies \
inside the interval widened by the stated tolerance (or, for one-sided checks, when the interval's end is on the \
predicted side).</p>\n<table><tr><th>claim</th><th>verdict</th><th>statement</th><th>grid</th></tr>\n",
    );
    for r in results {
        let v = if r.pass { "PASS" } else { "FAIL" };
        h += &format!(
            "<tr><td><a href=\"#{id}\">{id}</a></td><td class=\"{v}\">{v}</td><td>{}</td><td>{} points x {} trials{}</td></tr>\n",
            escape(&r.statement),
            r.points.len(),
            r.trials_per_point,
            if r.quick { " (quick)" } else { "" },
            id = r.id
        );
    }
    h += "</table>\n";
    for r in results {
        let v = if r.pass { "PASS" } else { "FAIL" };
        h += &format!("<h2 id=\"{id}\">{id}: <span class=\"{v}\">{v}</span></h2>\n<p>{}</p>\n", escape(&r.statement), id = r.id);
        if !r.spec.finding.is_empty() {
            h += &format!("<p><b>What the data says.</b> {}</p>\n", escape(&r.spec.finding));
        }
        h += &format!("<p><img src=\"{id}/{id}.svg\" alt=\"{id} figure\"></p>\n", id = r.id);
        h += "<table><tr><th>quantity</th><th>what it is</th><th>measured [95% CI]</th><th>predicted</th><th>result</th><th>why this prediction</th></tr>\n";
        for c in &r.checks {
            let kind = match c.spec.kind {
                crate::claims::Kind::Equal => format!("= {} &plusmn; {}", num(c.spec.predict), num(c.spec.tolerance)),
                crate::claims::Kind::Ratio => format!("= {} (factor 1+{})", num(c.spec.predict), num(c.spec.tolerance)),
                crate::claims::Kind::Below => format!("&le; {} + {}", num(c.spec.predict), num(c.spec.tolerance)),
                crate::claims::Kind::Above => format!("&ge; {} - {}", num(c.spec.predict), num(c.spec.tolerance)),
            };
            let pv = if c.pass { "PASS" } else { "FAIL" };
            h += &format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{} [{}, {}]</td><td>{kind}</td><td class=\"{pv}\">{pv}: {}</td><td>{}</td></tr>\n",
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
