//! Fixes, at build time, which commit of scb a binary was built from: `run.json` records
//! it, whatever folder (or other repository) the binary later runs in.

use std::process::Command;

fn main() {
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let described = Command::new("git")
        .args(["-C", &dir, "describe", "--always", "--dirty"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty());
    if let Some(commit) = described {
        println!("cargo:rustc-env=SCB_COMMIT={commit}");
    }
    // A new commit, a staged change or an edited source changes what `describe` says.
    for path in [".git/HEAD", ".git/index", "src"] {
        println!("cargo:rerun-if-changed={dir}/{path}");
    }
}
