//! The binary as a new user runs it.

use std::path::Path;
use std::process::{Command, Output};

/// What a run printed: its findings (stdout) then its notes and errors (stderr).
fn console(o: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn scb(args: &[&str], threads: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scb")).args(args).env("RAYON_NUM_THREADS", threads).output().unwrap()
}

fn train_args(out: &Path) -> Vec<String> {
    ["train", "--n", "8", "--t", "16", "--q", "2", "--algorithm", "scb-prox", "--samples", "40000", "--seed", "1", "--out"]
        .iter()
        .map(|s| s.to_string())
        .chain([out.display().to_string()])
        .collect()
}

fn run_ok(args: &[String], threads: &str) {
    let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    let o = scb(&a, threads);
    assert!(o.status.success(), "{}", console(&o));
}

#[test]
fn train_writes_every_file_and_is_identical_across_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    run_ok(&train_args(&one), "1");
    run_ok(&train_args(&two), "2");
    for f in ["run.json", "history.csv", "convergence.svg", "P.npy", "mu.npy", "Qstar.npy", "V.npy", "A.npy"] {
        assert!(one.join(f).is_file(), "missing {f}");
    }
    let read = |p: &Path| std::fs::read(p).unwrap();
    assert_eq!(read(&one.join("run.json")), read(&two.join("run.json")));
    assert_eq!(read(&one.join("A.npy")), read(&two.join("A.npy")));
    let run: serde_json::Value = serde_json::from_slice(&read(&one.join("run.json"))).unwrap();
    let row = &run["history"][0];
    for key in ["samples", "batch_loss", "excess_loss", "corr_v", "corr_a", "dist_v", "dist_a", "stage"] {
        assert!(row.get(key).is_some(), "history row lacks {key}");
    }
    assert_eq!(run["settings"]["task"]["n"], 8);
    // Nothing staged is left behind.
    assert!(std::fs::read_dir(&one).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().starts_with('.')));
}

#[test]
fn config_file_gives_the_same_run_as_flags() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("run.toml");
    std::fs::write(&cfg, "[task]\nn = 8\nt = 16\nq = 2\n[run]\nsamples = 40000\nseed = 1\n[algorithm]\nname = \"scb-prox\"\n").unwrap();
    let (a, b) = (dir.path().join("flags"), dir.path().join("config"));
    run_ok(&train_args(&a), "2");
    run_ok(&["train".into(), "--config".into(), cfg.display().to_string(), "--out".into(), b.display().to_string()], "2");
    assert_eq!(std::fs::read(a.join("run.json")).unwrap(), std::fs::read(b.join("run.json")).unwrap());
}

#[test]
fn bad_input_exits_2_with_one_line_naming_the_field_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let bad_cfg = dir.path().join("bad.toml");
    std::fs::write(&bad_cfg, "[task]\nn = 8\nvocab = 3\n[algorithm]\nname = \"scb-prox\"\n").unwrap();
    let out = dir.path().join("out");
    let o = out.display().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["train", "--t", "16", "--q", "17", "--out", &o], "invalid q"),
        (vec!["train", "--n", "1", "--out", &o], "invalid n"),
        (vec!["train", "--alpha", "0", "--out", &o], "invalid alpha"),
        (vec!["train", "--algorithm", "sgd", "--lr", "NaN", "--out", &o], "invalid lr"),
        (vec!["train", "--algorithm", "adam", "--out", &o], "invalid algorithm"),
        (vec!["train", "--samples", "10", "--out", &o], "invalid samples"),
        (vec!["train", "--config", bad_cfg.to_str().unwrap(), "--out", &o], "vocab"),
        (vec!["figure", "prox-vs-sgd", "--lrs", "1,-2", "--out", &o], "invalid lrs[1]"),
        // A negative number is a value out of its flag's range, not an unknown flag.
        (vec!["train", "--seed", "-0", "--out", &o], "invalid value '-0' for '--seed <SEED>'"),
        (vec!["train", "--algorithm", "sgd", "--lr", "-0.5", "--out", &o], "invalid lr"),
        // Refused before it starts: a run estimated at centuries.
        (vec!["train", "--n", "2048", "--t", "2048", "--samples", "1000000000000", "--out", &o], "beyond the limit of 7 days"),
    ];
    for (args, want) in cases {
        let r = scb(&args, "1");
        let err = console(&r);
        assert_eq!(r.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(!out.exists(), "{args:?} created {}", out.display());
    }
    let unwritable = file.join("sub").display().to_string();
    let r = scb(&["train", "--samples", "4096", "--out", &unwritable], "1");
    let err = console(&r);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains("invalid --out") && err.contains("a-file/sub"), "{err}");
}

#[test]
fn figure_prox_vs_sgd_writes_svg_and_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let r = scb(&["figure", "prox-vs-sgd", "--n", "8", "--t", "16", "--samples", "40000", "--lrs", "1,100", "--out", &out], "2");
    assert!(r.status.success(), "{}", console(&r));
    let svg = std::fs::read_to_string(dir.path().join("prox_vs_sgd.svg")).unwrap();
    assert!(svg.contains("ScbProx") && svg.contains("SGD lr=1") && svg.contains("(diverged)"));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path().join("prox_vs_sgd.json")).unwrap()).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 3);
}

#[test]
fn the_documented_config_file_runs() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/train.toml");
    let out = dir.path().display().to_string();
    let r = scb(&["train", "--config", cfg, "--samples", "20480", "--out", &out], "1");
    assert!(r.status.success(), "{}", console(&r));
    let run: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path().join("run.json")).unwrap()).unwrap();
    assert_eq!(run["settings"]["run"]["samples"], 20480);
    assert_eq!(run["settings"]["algorithm"]["switch"]["rule"], "stable-support");
}

#[test]
fn an_oversize_run_is_refused_before_anything_is_allocated_or_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("big");
    // Inside the documented ranges, but far beyond any machine's memory.
    let r = scb(&["train", "--n", "65536", "--t", "65536", "--q", "2", "--out", out.to_str().unwrap()], "1");
    assert_eq!(r.status.code(), Some(2), "{}", console(&r));
    let e = console(&r);
    assert!(e.contains("GB of memory") && e.contains("available"), "{e}");
    assert!(!out.exists(), "a refused run created its output folder");
}

/// Ctrl-C (SIGINT) and SIGTERM (a scheduler's kill, `kill` without a signal) end a run alike.
#[test]
fn ctrl_c_or_sigterm_in_train_leaves_no_half_written_output() {
    for signal in ["-INT", "-TERM"] {
        interrupt_train(signal);
    }
}

fn interrupt_train(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let child = Command::new(env!("CARGO_BIN_EXE_scb"))
        .args(["train", "--n", "256", "--t", "256", "--samples", "100000000", "--out", out.to_str().unwrap()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the run is under way (its staging folder exists), then interrupt it.
    for _ in 0..200 {
        if out.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(out.exists(), "the run never started");
    let k = Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
    assert!(k.success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{signal}: {:?} {}", o.status, console(&o));
    assert!(console(&o).contains("interrupted"));
    assert!(!out.exists(), "{signal} left {:?}", std::fs::read_dir(&out).map(|d| d.count()));
}

#[test]
fn a_calibration_spread_over_shards_merges_into_the_one_a_single_machine_writes() {
    let dir = tempfile::tempdir().unwrap();
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("theorems/known/known_normal_g12.toml");
    let spec = spec.to_str().unwrap();
    let (whole, sharded) = (dir.path().join("whole"), dir.path().join("sharded"));
    let cal = |out: &Path, extra: &[&str]| scb(&[&["calibrate", spec, "--seeds", "5", "--quick", "--out", out.to_str().unwrap()], extra].concat(), "2");
    // A design of the known-truth study may fall below the stability a committed spec needs
    // (exit 1); what matters is that the merge says the same.
    let r = cal(&whole, &[]);
    let code = r.status.code();
    assert!(code.is_some_and(|c| c <= 1), "{}", console(&r));
    for i in ["1/3", "3/3"] {
        let r = cal(&sharded, &["--shard", i]);
        assert!(r.status.success(), "{}", console(&r));
    }
    // Shard 2/3 (seeds 2 and 5) is lost: the merge refuses, naming it, and writes nothing.
    let r = cal(&sharded, &["--merge"]);
    assert_eq!(r.status.code(), Some(2), "{}", console(&r));
    assert!(console(&r).contains("2 of 5 seeds are missing (seed 2, 5), from shard 2/3"), "{}", console(&r));
    let file = "known_normal_g12/calibration-quick.json";
    assert!(!sharded.join(file).exists());
    let r = cal(&sharded, &["--shard", "2/3"]);
    assert!(r.status.success(), "{}", console(&r));
    // Shard 3/3 as another build of scb ran it (another code fingerprint): its seeds are not
    // this build's, so the merge refuses them and a rerun of the shard simulates them again.
    let part = sharded.join("known_normal_g12/.calibration-quick.json.partial.shard-3-of-3.jsonl");
    let other: String = std::fs::read_to_string(&part)
        .unwrap()
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            assert!(v["code"].as_str().is_some_and(|c| c.len() == 16), "a seed's outcome names its code: {l}");
            v["code"] = "0000000000000000".into();
            v.to_string() + "\n"
        })
        .collect();
    std::fs::write(&part, other).unwrap();
    let r = cal(&sharded, &["--merge"]);
    assert_eq!(r.status.code(), Some(2), "{}", console(&r));
    assert!(console(&r).contains("1 of 5 seeds are missing (seed 3), from shard 3/3"), "{}", console(&r));
    let r = cal(&sharded, &["--shard", "3/3"]);
    assert!(r.status.success(), "{}", console(&r));
    let r = cal(&sharded, &["--merge"]);
    assert_eq!(r.status.code(), code, "{}", console(&r));
    assert!(std::fs::read(sharded.join(file)).unwrap() == std::fs::read(whole.join(file)).unwrap(), "the merge differs from the whole run");
    assert_eq!(std::fs::read_dir(sharded.join("known_normal_g12")).unwrap().count(), 1, "the shards' partial files are left behind");
    assert_eq!(cal(&sharded, &["--shard", "4/3"]).status.code(), Some(2));
}
