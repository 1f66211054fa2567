//! The documentation links only inside itself, and every link resolves: a clone has no
//! `../shared`, and a chapter moved or renamed must not leave a reader at a dead link.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == '-' || *c == '_' || *c == ' ')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The lines of a Markdown file outside fenced code blocks, numbered from 1.
fn prose(text: &str) -> Vec<(usize, &str)> {
    let mut fenced = false;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            out.push((i + 1, line));
        }
    }
    out
}

fn anchors(path: &Path) -> HashSet<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    prose(&text).into_iter().filter_map(|(_, l)| l.trim_start_matches('#').strip_prefix(' ').filter(|_| l.starts_with('#')).map(slug)).collect()
}

/// Every `](target)` of a line.
fn targets(line: &str) -> Vec<&str> {
    line.match_indices("](").filter_map(|(i, _)| line[i + 2..].split_once(')').map(|(t, _)| t)).filter(|t| !t.contains(' ')).collect()
}

fn pages() -> Vec<PathBuf> {
    let mut v = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> =
        std::fs::read_dir(root().join("docs")).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "md")).collect();
    docs.sort();
    v.extend(docs);
    v
}

#[test]
fn every_link_of_the_readme_and_the_book_resolves_inside_the_repository() {
    let mut dead = Vec::new();
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        for (n, line) in prose(&text) {
            for target in targets(line) {
                if target.starts_with("http://") || target.starts_with("https://") || target.starts_with("mailto:") {
                    continue;
                }
                let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
                let file = if path.is_empty() { page.clone() } else { page.parent().unwrap().join(path) };
                let inside = file.canonicalize().is_ok_and(|f| f.starts_with(root().canonicalize().unwrap()));
                if !inside {
                    dead.push(format!("{}:{n}: {target} (no such file in the repository)", page.display()));
                } else if !anchor.is_empty() && file.extension().is_some_and(|e| e == "md") && !anchors(&file).contains(anchor) {
                    dead.push(format!("{}:{n}: {target} (no such heading)", page.display()));
                }
            }
        }
    }
    assert!(dead.is_empty(), "dead links:\n{}", dead.join("\n"));
}

#[test]
fn every_chapter_is_in_the_book_and_the_readme_stays_short() {
    let summary = std::fs::read_to_string(root().join("docs/SUMMARY.md")).unwrap();
    for page in pages().iter().skip(1).filter(|p| !p.ends_with("SUMMARY.md")) {
        let name = page.file_name().unwrap().to_str().unwrap();
        assert!(summary.contains(&format!("]({name})")), "docs/{name} is not in docs/SUMMARY.md");
    }
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(readme.lines().count() <= 150, "README.md has {} lines; the details belong in docs/", readme.lines().count());
    for command in ["cargo run --release -- check all", "cargo test --release"] {
        assert!(readme.contains(command), "README.md lacks `{command}`");
    }
}

#[test]
fn the_link_checker_finds_a_dead_link_and_a_missing_heading() {
    assert_eq!(slug("What a verdict's error rates are: `scb calibrate`"), "what-a-verdicts-error-rates-are-scb-calibrate");
    assert_eq!(targets("see [a](docs/x.md#y) and [b](#z), not [c](a b)"), ["docs/x.md#y", "#z"]);
    assert!(anchors(&root().join("docs/cluster.md")).contains("running-on-a-cluster"));
    assert!(!anchors(&root().join("docs/cluster.md")).contains("no-such-heading"));
    assert_eq!(prose("a\n```\n# not a heading\n```\n# b").len(), 2);
}

/// The gallery is written from the committed results, so it must say what they say: a result
/// re-simulated or a calibration rerun without rewriting the page fails here.
#[test]
fn the_gallery_is_what_the_committed_results_say() {
    let python = std::env::var("SCB_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = std::process::Command::new(python).arg(root().join("scripts/gallery.py")).arg("--check").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let page = std::fs::read_to_string(root().join("docs/gallery.md")).unwrap();
    for id in scb::commands::check::spec_ids(&root().join("theorems")).unwrap() {
        assert!(page.contains(&format!("[{id}](../reports/{id}/result.json)")), "{id} is missing from docs/gallery.md");
    }
}

/// The book builds: mdbook renders every chapter docs/SUMMARY.md lists. CI installs mdbook
/// (`.ci/run`) and sets SCB_REQUIRE_MDBOOK, so there a missing mdbook fails rather than
/// skips; elsewhere the test says it skipped. (Links are checked above, by this file.)
#[test]
fn the_book_builds_with_every_chapter() {
    let mdbook = std::env::var("SCB_MDBOOK").unwrap_or_else(|_| "mdbook".into());
    let out = tempfile::tempdir().unwrap();
    let run = match std::process::Command::new(&mdbook).arg("build").arg(root().join("docs")).arg("--dest-dir").arg(out.path()).output() {
        Err(e) if std::env::var_os("SCB_REQUIRE_MDBOOK").is_none() => {
            eprintln!("skipped: {mdbook} cannot run ({e}); .ci/run installs it");
            return;
        }
        run => run.unwrap_or_else(|e| panic!("{mdbook}: {e}")),
    };
    assert!(run.status.success(), "mdbook build docs failed:\n{}", String::from_utf8_lossy(&run.stderr));
    let summary = std::fs::read_to_string(root().join("docs/SUMMARY.md")).unwrap();
    let chapters: Vec<&str> = summary.lines().flat_map(targets).filter(|t| t.ends_with(".md")).collect();
    assert!(chapters.len() >= 10, "SUMMARY.md lists {} chapters", chapters.len());
    for chapter in chapters {
        let page = out.path().join(chapter.replace(".md", ".html"));
        let html = std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{chapter} was not rendered ({}: {e})", page.display()));
        assert!(html.contains("<h1"), "{chapter} rendered without a heading");
    }
}
