//! The shape of the code. The crates keep the boundaries (the harness, `crates/harness`,
//! depends on no theory, and each theory, `crates/theories/<name>`, on the harness alone:
//! the compiler refuses anything else, and the manifests are checked here); within each
//! crate, the source files depend on each other without a cycle, which no compiler checks.
//!
//! A file depends on another where it names it by a `crate::` or `super::` path. Module
//! declarations and `pub use` re-exports are left out (they hold no logic), and so are
//! `#[cfg(test)]` modules (a test may use anything).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `src/a/b.rs` -> `a::b`, `src/a/mod.rs` -> `a`.
fn module_of(src: &Path, f: &Path) -> String {
    let rel = f.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|s| s.to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts.join("::")
}

/// Identifiers of a path like `a::b::{C, D}` or `a::b::c`, as module paths to resolve.
fn paths_after(text: &str, prefix: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(prefix) {
        rest = &rest[i + prefix.len()..];
        let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':' || c == '{' || c == '}' || c == ',' || c == ' ')).unwrap_or(rest.len());
        let path = &rest[..end];
        match path.split_once('{') {
            Some((head, items)) => {
                for item in items.split([',', '}']).map(str::trim).filter(|s| !s.is_empty()) {
                    out.push(format!("{head}{item}"));
                }
            }
            None => out.push(path.trim().to_string()),
        }
    }
    out
}

/// The text without its `#[cfg(test)]` items (a brace-matched block each): code after a
/// test module still counts.
fn without_test_modules(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let Some(open) = after.find('{') else { return out };
        let mut depth = 0;
        let mut end = after.len();
        for (j, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + j + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The theory crates' folders, `crates/theories/<name>`.
fn theory_crates() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> =
        std::fs::read_dir(root().join("crates/theories")).unwrap().map(|e| e.unwrap().path()).filter(|p| p.join("Cargo.toml").is_file()).collect();
    v.sort();
    v
}

fn dependency_graph(crate_dir: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let src = crate_dir.join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeMap<String, PathBuf> =
        files.iter().filter(|f| !f.ends_with("lib.rs") && !f.ends_with("main.rs")).map(|f| (module_of(&src, f), f.clone())).collect();
    let module = |path: &str| -> Option<String> {
        let parts: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        (1..=parts.len()).rev().map(|i| parts[..i].join("::")).find(|m| modules.contains_key(m))
    };
    // `pub use x::{A, B}` in module m makes `m::A` a name of `m::x`: follow it to where A is.
    let mut reexports: BTreeMap<String, String> = BTreeMap::new();
    for (m, f) in &modules {
        for line in std::fs::read_to_string(f).unwrap().lines().filter(|l| l.trim_start().starts_with("pub use ")) {
            let body = line.trim_start().trim_start_matches("pub use ").trim_end_matches(';');
            for p in paths_after(&format!("@{body}"), "@") {
                let (target, name) = p.rsplit_once("::").unwrap_or(("", p.as_str()));
                let base = if let Some(rest) = target.strip_prefix("crate::") { rest.to_string() } else { format!("{m}::{target}") };
                if let Some(t) = module(&base) {
                    reexports.insert(format!("{m}::{name}"), t);
                }
            }
        }
    }
    let resolve = |path: &str| -> Option<String> {
        let parts: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        for i in (1..=parts.len()).rev() {
            let prefix = parts[..i].join("::");
            if let Some(t) = reexports.get(&prefix) {
                return Some(t.clone());
            }
            if modules.contains_key(&prefix) {
                return Some(prefix);
            }
        }
        None
    };
    let mut graph = BTreeMap::new();
    for (m, f) in &modules {
        let text = without_test_modules(&std::fs::read_to_string(f).unwrap());
        let code: String = text
            .lines()
            .filter(|l| !(l.trim_start().starts_with("pub mod ") || l.trim_start().starts_with("pub use ") || l.trim_start().starts_with("mod ")))
            .collect::<Vec<_>>()
            .join("\n");
        let parent = m.rsplit_once("::").map(|(p, _)| p.to_string()).unwrap_or_default();
        let mut deps = BTreeSet::new();
        for p in paths_after(&code, "crate::") {
            deps.extend(resolve(&p));
        }
        for p in paths_after(&code, "super::") {
            deps.extend(resolve(&format!("{parent}::{p}")));
        }
        deps.remove(m);
        graph.insert(m.clone(), deps);
    }
    graph
}

fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(u: &str, g: &BTreeMap<String, BTreeSet<String>>, state: &mut BTreeMap<String, u8>, stack: &mut Vec<String>) -> Option<Vec<String>> {
        state.insert(u.to_string(), 1);
        stack.push(u.to_string());
        for v in g.get(u).into_iter().flatten() {
            match state.get(v) {
                Some(1) => {
                    let from = stack.iter().position(|s| s == v).unwrap();
                    let mut c = stack[from..].to_vec();
                    c.push(v.clone());
                    return Some(c);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(v, g, state, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        state.insert(u.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for u in graph.keys() {
        if !state.contains_key(u) {
            if let Some(c) = visit(u, graph, &mut state, &mut Vec::new()) {
                return Some(c);
            }
        }
    }
    None
}

#[test]
fn the_source_files_have_no_dependency_cycle() {
    let graph = dependency_graph(&root().join("crates/harness"));
    assert!(graph.len() >= 30 && graph.values().map(BTreeSet::len).sum::<usize>() > 50, "the graph was not read: {graph:?}");
    assert!(graph["claims::runner"].contains("claims::claim"), "resolution broke: {:?}", graph["claims::runner"]);
    if let Some(c) = find_cycle(&graph) {
        panic!("dependency cycle in the harness: {}", c.join(" -> "));
    }
    for dir in theory_crates() {
        if let Some(c) = find_cycle(&dependency_graph(&dir)) {
            panic!("dependency cycle in {}: {}", dir.display(), c.join(" -> "));
        }
    }
}

/// The workspace packages a manifest's `[dependencies]` name (`scb-...`).
fn workspace_dependencies(manifest: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    let deps = table.get("dependencies").and_then(|d| d.as_table()).cloned().unwrap_or_default();
    deps.keys().filter(|k| k.starts_with("scb")).cloned().collect()
}

#[test]
fn the_harness_depends_on_no_theory_and_each_theory_on_the_harness_alone() {
    assert_eq!(workspace_dependencies(&root().join("crates/harness/Cargo.toml")), Vec::<String>::new());
    let theories = theory_crates();
    assert!(theories.len() >= 5, "found {} theory crates", theories.len());
    for dir in theories {
        assert_eq!(workspace_dependencies(&dir.join("Cargo.toml")), ["scb-harness"], "{}", dir.display());
    }
}

#[test]
fn test_modules_are_cut_out_by_their_braces() {
    let text = "a\n#[cfg(test)]\nmod tests {\n fn f() { g() }\n}\nb crate::x\n";
    assert_eq!(without_test_modules(text), "a\n\nb crate::x\n");
}

#[test]
fn the_cycle_finder_finds_a_cycle() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.insert("a".into(), ["b".to_string()].into());
    g.insert("b".into(), ["c".to_string()].into());
    g.insert("c".into(), ["a".to_string()].into());
    assert_eq!(find_cycle(&g), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
    g.get_mut("c").unwrap().clear();
    assert_eq!(find_cycle(&g), None);
}

#[test]
fn every_theory_crate_is_wired_into_the_registry() {
    // src/theories/mod.rs is the wiring: every theory crate is named there and its CLAIMS
    // joined to REGISTRY, so that no theory is left out of the binary.
    let list = std::fs::read_to_string(root().join("src/theories/mod.rs")).unwrap();
    for dir in theory_crates() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        assert!(list.contains(&format!("pub use scb_theory_{name} as {name};")), "crates/theories/{name} is not named in src/theories/mod.rs");
        assert!(list.contains(&format!("{name}::claims::CLAIMS")), "crates/theories/{name}'s CLAIMS are not in REGISTRY");
    }
}
