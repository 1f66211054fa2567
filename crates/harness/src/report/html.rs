//! The summary page over all claims: a verdict table, then each claim's figure and checks.

use crate::result::{Calibration, ClaimResult, RunInfo};

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

use crate::verdict::{num, Expect, Kind, Verdict};

/// One result on the page: what was judged, how it came about (`run.json`, where present),
/// its calibrations (`calibration.json`, `calibration-quick.json`, where present) and the
/// names of its figure files.
pub type Entry = (ClaimResult, Option<RunInfo>, Vec<Calibration>, Vec<String>);

/// The last run's comparison with its baseline (`comparison.json`): the baseline folder and
/// each spec compared.
pub type Comparison = (String, Vec<crate::compare::Compared>);

/// A study beside the results (a folder holding `matrix.md` and no result, such as the
/// known-truth coverage matrix): its folder's name and its Markdown.
pub type Study = (String, String);

/// The page over every result, with the last run's comparison when there was one, and each
/// study's table after the claims.
pub fn index(results: &[Entry], comparison: Option<&Comparison>, studies: &[Study]) -> String {
    let mut h = header();
    h += &summary(results);
    if let Some(c) = comparison {
        h += &comparison_table(c);
    }
    h += &verdict_tables(results);
    for e in results {
        h += &claim_section(e);
    }
    for s in studies {
        h += &study_section(s);
    }
    h += "<p>Per-trial records are in <code>&lt;claim&gt;/trials.jsonl</code>; every number above, per grid point too, is in <code>&lt;claim&gt;/result.json</code>.</p>\n</body></html>\n";
    h
}

/// A study's Markdown as HTML. Markup written in the file itself is shown as text, not
/// run: a folder from elsewhere is data.
fn study_section((name, markdown): &Study) -> String {
    use pulldown_cmark::{Event, Options, Parser};
    let events = Parser::new_ext(markdown, Options::ENABLE_TABLES).map(|e| match e {
        Event::Html(t) | Event::InlineHtml(t) => Event::Text(t),
        e => e,
    });
    let mut body = String::new();
    pulldown_cmark::html::push_html(&mut body, events);
    let id = escape(name);
    format!("<h2 id=\"{id}\">{id}</h2>\n<p>From <a href=\"{id}/matrix.md\"><code>{id}/matrix.md</code></a>.</p>\n{body}")
}

/// The page's head, style and the paragraph that says how to read it.
fn header() -> String {
    String::from(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>scb: claim verdicts</title>\n<style>\
body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222;line-height:1.4}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}\
.PASS{color:#00795a;font-weight:bold}.FAIL{color:#b34000;font-weight:bold}.UNDECIDED{color:#8a6d00;font-weight:bold}.WEAK{color:#8a6d00;font-weight:bold}img{max-width:100%;border:1px solid #eee}\
code{background:#f4f4f4;padding:0 3px}</style></head><body>\n\
<h1>scb: one-layer transformer theory checked against simulation</h1>\n\
<p>Each claim is run as Monte Carlo trials of the training algorithm (docs/theory.md in the repository derives every prediction). \
Every number below carries an interval, and each claim says which randomness it covers and how the interval \
was made: by default tasks (the model's data law: P and Q* for SCB, the evaluation or test set for the others) are drawn \
afresh for every task of every point and the studentized bootstrap resamples whole tasks, so an interval covers the \
task-to-task spread as well as trial noise, at a level measured on claims of known truth. A check passes when the prediction lies inside the interval widened \
by the stated tolerance; a one-sided check holds when the interval's end is on the predicted side, fails when \
the whole interval is beyond the bound, and is UNDECIDED when it lies across. A check at every point is judged on \
one simultaneous band over the points. Beside each verdict is the check's resolution: the smallest deviation of \
the truth from the prediction it would detect on 80% of datasets like this one; a check that cannot detect its \
stated competing hypothesis (its plant) is WEAK: it cannot fail at this budget. A refuted form of a claim is kept as a spec that must keep failing: \
its verdict is FAIL, and that is the expected outcome. The calibration column gives, from <code>scb calibrate</code>, \
on how many of K independent master seeds the spec reached its expected verdict, and on how many each check \
failed with the truth planted at its competing hypothesis.</p>\n",
    )
}

/// One line: how many specs hold, are refuted as expected, open, undecided or off.
fn summary(results: &[Entry]) -> String {
    let t = crate::result::tally(results.iter().map(|(r, _, _, _)| r));
    let list = |ids: &[&str], what: &str, class: &str| {
        if ids.is_empty() {
            String::new()
        } else {
            format!(", {} <span class=\"{class}\">{what}</span> ({})", ids.len(), escape(&ids.join(", ")))
        }
    };
    format!(
        "<p><b>{} spec{}: {} hold, {} refuted as expected, {} open (not refuted, as expected){}{}.</b></p>\n",
        results.len(),
        if results.len() == 1 { "" } else { "s" },
        t.hold,
        t.refuted,
        t.open,
        list(&t.undecided, "undecided", "UNDECIDED"),
        list(&t.off, "not as expected", "FAIL")
    )
}

/// The last run against its baseline: a row per spec, changed ones marked.
fn comparison_table((baseline, specs): &Comparison) -> String {
    let mut h = format!(
        "<h3>The last run against the baseline in <code>{}</code></h3>\n<table><tr><th>spec</th><th>against the baseline</th></tr>\n",
        escape(baseline)
    );
    for c in specs {
        let class = if c.changed() { "FAIL" } else { "PASS" };
        h += &format!("<tr><td><a href=\"#{id}\">{id}</a></td><td class=\"{class}\">{}</td></tr>\n", escape(&super::comparison::what(c)), id = escape(c.id()));
    }
    h + "</table>\n"
}

/// The verdict tables, one per kind of spec (claims, refuted forms, open questions).
fn verdict_tables(results: &[Entry]) -> String {
    let mut h = String::new();
    let calibrated = |cals: &[Calibration]| {
        if cals.is_empty() {
            return "not calibrated".to_string();
        }
        cals.iter().map(|c| format!("{}: {}/{} seeds", c.grid, c.as_expected, c.seeds.len())).collect::<Vec<_>>().join("; ")
    };
    let row = |(r, info, cals, _): &Entry| {
        let v = r.verdict_word();
        let ok = if r.as_expected { "PASS" } else { "FAIL" };
        format!(
            "<tr><td><a href=\"#{id}\">{id}</a></td><td class=\"{v}\">{v}</td><td class=\"{ok}\">{}</td><td>{}</td><td>{} grid: {} points x {} tasks x {} trials; intervals cover {}</td><td>{}</td><td>{}</td></tr>\n",
            escape(&r.outcome),
            escape(&r.statement),
            r.budget.name(),
            r.points.len(),
            r.tasks_per_point,
            r.trials_per_point,
            escape(&r.randomness),
            escape(&calibrated(cals)),
            info.as_ref().map_or("unknown".into(), |i| escape(&format!(
                "{} simulated, {} reused; scb {}, {}{}",
                i.provenance.simulated,
                i.provenance.reused,
                i.version,
                i.date,
                i.commit.as_ref().map(|c| format!(", commit {c}")).unwrap_or_default()
            ))),
            id = escape(&r.id)
        )
    };
    let sections = [
        ("Claims", Expect::Pass),
        ("Refuted forms, kept as expected failures", Expect::Fail),
        ("Open questions, which no check may refute", Expect::Undecided),
    ];
    for (title, expect) in sections {
        let these: Vec<&Entry> = results.iter().filter(|(r, _, _, _)| r.expect == expect).collect();
        if these.is_empty() {
            continue;
        }
        h += &format!(
            "<h3>{title}</h3>\n<table><tr><th>spec</th><th>verdict</th><th>as expected?</th><th>statement</th><th>grid and randomness</th><th>calibration</th><th>this run</th></tr>\n"
        );
        these.iter().for_each(|r| h += &row(r));
        h += "</table>\n";
    }
    h
}

/// A claim's section: its verdict, figure, checks and calibrations.
fn claim_section((r, _, cals, figures): &Entry) -> String {
    let mut h = String::new();
    let v = r.verdict_word();
    let refuted = if r.expect != Expect::Pass { format!(" <small>({})</small>", escape(&r.outcome)) } else { String::new() };
    h += &format!("<h2 id=\"{id}\">{id}: <span class=\"{v}\">{v}</span>{refuted}</h2>\n<p>{}</p>\n", escape(&r.statement), id = escape(&r.id));
    h += &format!("<p>Intervals: {}, covering {}.</p>\n", escape(&r.interval), escape(&r.randomness));
    h += &gallery(&r.id, figures);
    h += &format!(
        "<table><tr><th>quantity</th><th>what it is</th><th>measured [{:.0}% CI]</th><th>predicted</th><th>result</th><th>resolution</th><th>why this prediction</th></tr>\n",
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
            Verdict::Holds if c.weak => "WEAK",
            Verdict::Holds => "PASS",
            Verdict::Undecided => "UNDECIDED",
            _ => "FAIL",
        };
        h += &format!(
            "<tr><td><code>{}</code></td><td>{}</td><td>{} [{}, {}]</td><td>{kind}</td><td class=\"{pv}\">{}</td><td>{}</td><td>{}</td></tr>\n",
            escape(&c.spec.quantity),
            escape(&c.description),
            num(c.estimate.value),
            num(c.estimate.lo),
            num(c.estimate.hi),
            escape(&c.reason),
            escape(&c.resolution_text()),
            escape(&c.spec.why)
        );
    }
    // A scaling law's fitted constant is a finding even where no check judges it.
    if let (Some(e), false) = (r.q("constant"), r.checks.iter().any(|c| c.spec.quantity == "constant")) {
        h += &format!(
            "<tr><td><code>constant</code></td><td>the fitted constant: measured over predicted, geometric mean over the grid</td><td>{} [{}, {}]</td><td></td><td>not checked</td><td></td><td></td></tr>\n",
            num(e.value),
            num(e.lo),
            num(e.hi)
        );
    }
    h += "</table>\n";
    h += &calibration_table(cals);
    h
}

/// A claim's figure, shown as its PNG (or SVG where there is none), and a link to each of
/// its files: every format and each panel's data.
fn gallery(id: &str, files: &[String]) -> String {
    let id = &escape(id);
    let has = |ext: &str| files.iter().any(|f| *f == format!("{id}.{ext}"));
    let mut h = String::new();
    if let Some(ext) = ["png", "svg"].into_iter().find(|e| has(e)) {
        h += &format!("<p><img src=\"{id}/{id}.{ext}\" alt=\"{id} figure\"></p>\n");
    }
    let links: Vec<String> = files
        .iter()
        .map(|f| {
            let what = f
                .strip_prefix(&format!("{id}-"))
                .map_or_else(|| f.rsplit('.').next().unwrap_or(f).to_uppercase(), |p| p.trim_end_matches(".csv").replace("panel", "data, panel "));
            format!("<a href=\"{id}/{}\">{}</a>", escape(f), escape(&what))
        })
        .collect();
    if !links.is_empty() {
        h += &format!("<p class=\"files\">Figure: {}</p>\n", links.join(" &middot; "));
    }
    h
}

/// Each calibration of a claim: per check, on how many seeds it reached its expected verdict,
/// on how many it failed with the truth planted at its competing hypothesis, and its
/// resolution over the seeds.
fn calibration_table(cals: &[Calibration]) -> String {
    let mut h = String::new();
    for c in cals {
        let k = c.seeds.len();
        h += &format!(
            "<p><b>Calibration, {} grid:</b> {} master seeds; the expected verdict on {}/{k}, undecided on {}/{k}. Intervals: {}, covering {}.</p>\n\
<table><tr><th>check</th><th>expected</th><th>seeds that reach it</th><th>holds / fails / undecided / undefined</th><th>plant (the competing hypothesis)</th><th>detected with the truth there: fails (undecided)</th><th>resolution over the seeds</th></tr>\n",
            escape(&c.grid),
            k,
            c.as_expected,
            c.undecided,
            escape(&c.interval),
            escape(&c.randomness)
        );
        for ch in &c.checks {
            let planted: Vec<String> = ch.planted.iter().map(|p| format!("{}/{k} ({})", p.fails, p.undecided)).collect();
            let weak = if ch.weak { " <span class=\"WEAK\">WEAK</span>" } else { "" };
            h += &format!(
                "<tr><td><code>{}</code> ({}{})</td><td>{}</td><td>{}/{k}</td><td>{} / {} / {} / {}</td><td>{}</td><td>{}{weak}</td><td>{}</td></tr>\n",
                escape(&ch.quantity),
                format!("{:?}", ch.kind).to_lowercase(),
                if ch.each_point { ", each point" } else { "" },
                escape(&ch.expected),
                ch.stable,
                ch.holds,
                ch.fails,
                ch.undecided,
                ch.undefined,
                ch.plant.map_or("-".to_string(), |p| escape(&crate::power::plant_text(ch.kind, p))),
                if planted.is_empty() { "-".to_string() } else { planted.join(" / ") },
                escape(&ch.resolution.text(ch.kind))
            );
        }
        h += "</table>\n";
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_study_table_is_shown_as_a_table_and_its_markup_as_text() {
        let md = "Coverage, **bold** where it misses.\n\n| law | tasks | value 1 |\n| --- | --- | --- |\n| normal | 12 | 95.1 (2.4 / 2.5) |\n\n<script>alert(1)</script>\n";
        let page = index(&[], None, &[("known-truth".into(), md.into())]);
        assert!(page.contains("<table>") && page.contains("<td>normal</td>") && page.contains("<strong>bold</strong>"), "{page}");
        assert!(page.contains("href=\"known-truth/matrix.md\""));
        assert!(!page.contains("<script>") && page.contains("&lt;script&gt;"), "{page}");
    }
}
