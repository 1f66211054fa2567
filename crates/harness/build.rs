//! Fixes two things at build time, so a binary carries them wherever it later runs:
//!
//! - which commit of scb it was built from (`SCB_COMMIT`): `run.json` records it;
//! - a fingerprint of the sources a trial's outcome depends on (`$OUT_DIR/code.rs`): each
//!   trial record carries it, so records made by other code are simulated again rather than
//!   re-judged. Rust sources are fingerprinted as tokens without comments, doc attributes,
//!   lint attributes (`allow`, `warn`, `deny`, `forbid`, `expect`) and `#[cfg(test)]` items,
//!   so a change to documentation, comments, layout, lint levels or unit tests keeps the
//!   records.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};

/// Sources that only read, judge, draw or report finished trials: a change to them cannot
/// change a trial's outcome, so it keeps the records (paths relative to the harness's
/// `src/`; a folder ends in `/`). The theories' own `commands/` folders are CLI commands,
/// not trials, and the binary's wiring (the root package's `src/`) is not fingerprinted.
const NOT_TRIALS: &[&str] = &[
    "commands/",
    "report/",
    "verdict.rs",
    "result.rs",
    "compare.rs",
    "claims/analysis.rs",
    "claims/sample.rs",
    "power.rs",
    "claims/figures.rs",
    "claims/predictions.rs",
    "claims/redraw.rs",
    "watch.rs",
    "ui.rs",
    "io.rs",
    "spec_text.rs",
];

fn main() {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    let described = Command::new("git")
        .arg("-C")
        .arg(&dir)
        .args(["describe", "--always", "--dirty"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty());
    if let Some(commit) = described {
        // A dirty tree is named by the hash of its uncommitted diff of what the binary is
        // built from, so that two results of "abc123-dirty" can be told apart.
        let commit = match commit.strip_suffix("-dirty").and_then(|_| built_from_diff(&dir)) {
            Some(diff) => format!("{commit}+diff.{diff:016x}"),
            None => commit,
        };
        println!("cargo:rustc-env=SCB_COMMIT={commit}");
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let workspace = dir.join("../..");
    let theories = theory_crates(&workspace.join("crates/theories"));
    let code = code_table(&dir.join("src"), &theories);
    std::fs::write(out.join("code.rs"), code).expect("OUT_DIR is writable");
    // A new commit, a staged change or an edited source changes what `describe` says, and
    // an edited source may change the fingerprints: the harness's, or a theory crate's.
    for path in [".git/HEAD", ".git/index", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", workspace.join(path).display());
    }
    for path in ["src", "build.rs"] {
        println!("cargo:rerun-if-changed={}", dir.join(path).display());
    }
    println!("cargo:rerun-if-changed={}", workspace.join("crates/theories").display());
    for (_, src) in &theories {
        println!("cargo:rerun-if-changed={}", src.display());
    }
}

/// The workspace's theory crates: each one's crate name (`scb_theory_icl`, from its
/// Cargo.toml) and its `src` folder, in name order.
fn theory_crates(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("crates/theories is readable").flatten() {
        let manifest = entry.path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else { continue };
        let name =
            text.lines().find_map(|l| l.trim().strip_prefix("name = \"").and_then(|r| r.strip_suffix('"'))).expect("a theory's Cargo.toml names its package");
        out.push((name.replace('-', "_"), entry.path().join("src")));
    }
    out.sort();
    out
}

/// The hash of `git diff HEAD` over the sources the binary is built from (none when git
/// cannot say).
fn built_from_diff(dir: &Path) -> Option<u64> {
    let out = Command::new("git").arg("-C").arg(dir.join("../..")).args(["diff", "HEAD", "--", "src", "crates", "Cargo.toml", "Cargo.lock"]).output().ok()?;
    out.status.success().then(|| {
        let mut h = Fnv::new();
        h.write(&out.stdout);
        h.finish()
    })
}

/// The generated module: the harness's fingerprint, and one per part with trials of its
/// own (each theory crate, and the harness's external trials) keyed by the type-path prefix
/// of its claims, as Rust constants.
fn code_table(src: &Path, theories: &[(String, PathBuf)]) -> String {
    let mut harness = Fnv::new();
    let mut folders: BTreeMap<String, Fnv> = BTreeMap::new();
    for (rel, path) in sources(src) {
        if NOT_TRIALS.iter().any(|p| if p.ends_with('/') { rel.starts_with(p) } else { rel == *p }) {
            continue;
        }
        let h = if rel.starts_with("external/") { folders.entry("scb_harness::external".into()).or_insert_with(Fnv::new) } else { &mut harness };
        add(h, &rel, &path);
    }
    for (name, src) in theories {
        let h = folders.entry(name.clone()).or_insert_with(Fnv::new);
        // A theory's own commands/ are its command line, not its trials.
        for (rel, path) in sources(src).into_iter().filter(|(rel, _)| !rel.starts_with("commands/")) {
            add(h, &format!("{name}/{rel}"), &path);
        }
    }
    let mut s = String::from("// Generated by build.rs: fingerprints of the sources trials depend on.\n");
    s += &format!("pub(crate) const HARNESS: &str = \"{:016x}\";\n", harness.finish());
    s += "pub(crate) const FOLDERS: &[(&str, &str)] = &[\n";
    for (folder, h) in &folders {
        s += &format!("    (\"{folder}\", \"{:016x}\"),\n", h.finish());
    }
    s += "];\n";
    s
}

/// The Rust and Python sources under `src`, as (path relative to it, path), in path order.
fn sources(src: &Path) -> Vec<(String, PathBuf)> {
    let mut files = Vec::new();
    walk(src, &mut files);
    files.sort();
    files.into_iter().map(|p| (p.strip_prefix(src).expect("walked from src").to_string_lossy().replace('\\', "/"), p)).collect()
}

/// Adds one source to a fingerprint: its path, then its canonical text.
fn add(h: &mut Fnv, rel: &str, path: &Path) {
    let bytes = std::fs::read(path).expect("a source file is readable");
    let text = if rel.ends_with(".rs") { canonical_rust(&String::from_utf8_lossy(&bytes)) } else { String::from_utf8_lossy(&bytes).into_owned() };
    h.write(rel.as_bytes());
    h.write(&[0]);
    h.write(text.as_bytes());
    h.write(&[0]);
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src is readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs" || e == "py") {
            out.push(path);
        }
    }
}

/// A Rust source as its tokens, one space apart, without comments, doc attributes and lint
/// attributes: the same for any two sources that differ only in those or in layout. A source that does not
/// tokenize is taken as it is (it will not compile either).
pub fn canonical_rust(source: &str) -> String {
    match TokenStream::from_str(source) {
        Ok(tokens) => {
            let mut out = String::new();
            write_tokens(tokens, &mut out);
            out
        }
        Err(_) => source.to_string(),
    }
}

fn write_tokens(tokens: TokenStream, out: &mut String) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut i = 0;
    while i < tokens.len() {
        if let Some(skip) = ignored_attribute(&tokens[i..]) {
            i += skip;
            continue;
        }
        if let Some(skip) = test_only_item(&tokens[i..]) {
            i += skip;
            continue;
        }
        match &tokens[i] {
            TokenTree::Group(g) => {
                let (open, close) = match g.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::None => ("", ""),
                };
                out.push_str(open);
                out.push(' ');
                write_tokens(g.stream(), out);
                out.push_str(close);
            }
            TokenTree::Punct(p) => {
                out.push(p.as_char());
                // `>>` and `> >` are different tokens; keep them apart.
                if p.spacing() == Spacing::Joint {
                    i += 1;
                    continue;
                }
            }
            other => out.push_str(&other.to_string()),
        }
        out.push(' ');
        i += 1;
    }
}

/// How many tokens an attribute that cannot change compiled code spans at the start of
/// `tokens`, if one is there: a doc attribute (`#[doc ...]` or `#![doc ...]`, which is what
/// `///` and `//!` comments become) or a lint level (`#[allow(...)]`, `#![warn(...)]`, ...).
fn ignored_attribute(tokens: &[TokenTree]) -> Option<usize> {
    let TokenTree::Punct(hash) = tokens.first()? else { return None };
    if hash.as_char() != '#' {
        return None;
    }
    let bang = matches!(tokens.get(1), Some(TokenTree::Punct(p)) if p.as_char() == '!');
    let at = if bang { 2 } else { 1 };
    let TokenTree::Group(g) = tokens.get(at)? else { return None };
    let first = g.stream().into_iter().next();
    let ignored = |id: &proc_macro2::Ident| ["doc", "allow", "warn", "deny", "forbid", "expect"].iter().any(|w| id == w);
    let is_ignored = g.delimiter() == Delimiter::Bracket && matches!(first, Some(TokenTree::Ident(ref id)) if ignored(id));
    is_ignored.then_some(at + 1)
}

/// How many tokens a `#[cfg(test)]` item at the start of `tokens` spans (the attribute, then
/// the item through its body `{...}` or its closing `;`), if one is there: tests cannot
/// change a trial, so editing them keeps the records.
fn test_only_item(tokens: &[TokenTree]) -> Option<usize> {
    let (TokenTree::Punct(hash), TokenTree::Group(g)) = (tokens.first()?, tokens.get(1)?) else { return None };
    let is_cfg_test = hash.as_char() == '#' && g.delimiter() == Delimiter::Bracket && g.stream().to_string().replace(' ', "") == "cfg(test)";
    if !is_cfg_test {
        return None;
    }
    let end = tokens[2..].iter().position(|t| match t {
        TokenTree::Group(g) => g.delimiter() == Delimiter::Brace,
        TokenTree::Punct(p) => p.as_char() == ';',
        _ => false,
    })?;
    Some(2 + end + 1)
}

/// 64-bit FNV-1a: a cache key for sources, not a defence against collisions made on purpose.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}
