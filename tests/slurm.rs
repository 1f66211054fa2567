//! `scb submit` through a live SLURM scheduler (scripts/slurm-local.sh starts one on this
//! machine): the merged result equals an unsharded run byte for byte, and a cancelled shard
//! makes the merge job refuse rather than complete. Without SLURM the test says so in one
//! line and passes, unless SCB_REQUIRE_SLURM is set (CI sets it: CI must not skip).

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn scb(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scb")).args(args).current_dir(cwd).output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn slurm_is_live() -> bool {
    Command::new("sinfo").arg("-h").output().is_ok_and(|o| o.status.success() && !o.stdout.is_empty())
}

/// The (array, merge) job ids `scb submit` printed (the arrays' ids joined by commas).
fn job_ids(o: &Output) -> (String, String) {
    let out = String::from_utf8_lossy(&o.stdout);
    let line = out.lines().find(|l| l.contains("array job")).unwrap_or_else(|| panic!("no job ids in: {}", text(o)));
    // "<id>: array job <a> (<n> shards), merge job <m> after it", or "array jobs <a>,<b> ..."
    let id_after = |w: &str| line.split(w).nth(1).and_then(|r| r.split_whitespace().next()).unwrap_or_else(|| panic!("no {w} in {line}")).to_string();
    let arrays = if line.contains("array jobs ") { id_after("array jobs ") } else { id_after("array job ") };
    (arrays, id_after("merge job "))
}

/// Waits until neither job is queued or running.
fn wait(jobs: &[&str]) {
    let start = Instant::now();
    loop {
        let o = Command::new("squeue").args(["-h", "-o", "%i %T", "-j", &jobs.join(",")]).output().unwrap();
        if !o.status.success() || String::from_utf8_lossy(&o.stdout).trim().is_empty() {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(600), "jobs {jobs:?} still queued after 10 minutes: {}", String::from_utf8_lossy(&o.stdout));
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Whether a test may go on: SLURM answers, or (outside CI) it says in one line that it skips.
fn live_or_skip(test: &str) -> bool {
    if slurm_is_live() {
        return true;
    }
    assert!(
        std::env::var_os("SCB_REQUIRE_SLURM").is_none(),
        "SCB_REQUIRE_SLURM is set but no SLURM answers (sinfo failed): start one with scripts/slurm-local.sh start"
    );
    // Written to the stream itself, past the test harness's capture, so that it shows.
    use std::io::Write;
    let _ = std::io::stderr().write_all(
        format!("tests/slurm.rs {test}: skipped: no live SLURM here (scripts/slurm-local.sh start runs one; CI sets SCB_REQUIRE_SLURM)\n").as_bytes(),
    );
    false
}

/// A trial written in Python, in a module beside its spec in a user's own folder, sharded
/// through the scheduler: the merged result is the unsharded one, byte for byte.
#[test]
fn submit_runs_a_python_trial_through_slurm_as_one_run() {
    if !live_or_skip("python") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let ex = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/python");
    for f in ["coupon.py", "coupon.toml"] {
        std::fs::copy(ex.join(f), root.join(f)).unwrap();
    }
    let r = scb(&["check", "coupon.toml", "--quick", "--out", "whole"], root);
    assert!(r.status.success(), "{}", text(&r));
    let r = scb(&["submit", "coupon.toml", "--quick", "--shards", "2", "--cpus", "1", "--out", "sharded"], root);
    assert!(r.status.success(), "{}", text(&r));
    let (array, merge) = job_ids(&r);
    wait(&[&array, &merge]);
    let claim = root.join("sharded/coupon");
    let log = std::fs::read_to_string(claim.join("slurm/merge.log")).unwrap_or_default();
    assert!(log.contains("merged from 2 shards"), "{log}");
    for f in ["result.json", "quantities.csv", "coupon.svg"] {
        assert_eq!(std::fs::read(root.join("whole/coupon").join(f)).unwrap(), std::fs::read(claim.join(f)).unwrap(), "{f}: sharded differs from unsharded");
    }
}

#[test]
fn submit_runs_through_slurm_and_a_cancelled_shard_is_never_a_finished_result() {
    if !live_or_skip("stage_one") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let theorems = Path::new(env!("CARGO_MANIFEST_DIR")).join("theorems");
    let th = theorems.to_str().unwrap();
    // The unsharded run to compare with is the committed quick baseline, which check all
    // --quick (tests/check_cli.rs) holds unsharded fresh runs to.
    let whole = Path::new(env!("CARGO_MANIFEST_DIR")).join("reports/quick/stage_one");

    // Three shards through the scheduler, merged by the dependent job.
    let r = scb(&["submit", "stage_one", "--quick", "--shards", "3", "--cpus", "1", "--out", "sharded", "--theorems", th], root);
    assert!(r.status.success(), "{}", text(&r));
    let (array, merge) = job_ids(&r);
    wait(&[&array, &merge]);
    let claim = root.join("sharded/stage_one");
    let log = std::fs::read_to_string(claim.join("slurm/merge.log")).unwrap_or_default();
    assert!(claim.join("result.json").exists(), "the merge job wrote no result; its log:\n{log}");
    for f in ["result.json", "quantities.csv", "stage_one.svg"] {
        assert_eq!(
            std::fs::read(whole.join(f)).unwrap(),
            std::fs::read(claim.join(f)).unwrap(),
            "{f}: sharded through SLURM differs from the unsharded quick baseline (a change to the math is accepted with scb accept --quick)"
        );
    }
    assert!(log.contains("merged from 3 shards"), "{log}");

    // One shard cancelled before it runs (two CPUs a task on a small node: one task at a time).
    let r = scb(&["submit", "stage_one", "--quick", "--shards", "3", "--cpus", "2", "--out", "cancelled", "--theorems", th], root);
    assert!(r.status.success(), "{}", text(&r));
    let (array, merge) = job_ids(&r);
    let c = Command::new("scancel").arg(format!("{array}_3")).output().unwrap();
    assert!(c.status.success(), "scancel: {}", String::from_utf8_lossy(&c.stderr));
    wait(&[&array, &merge]);
    let claim = root.join("cancelled/stage_one");
    let log = std::fs::read_to_string(claim.join("slurm/merge.log")).unwrap_or_default();
    assert!(!claim.join("result.json").exists(), "a result despite a cancelled shard; merge log:\n{log}");
    assert!(log.contains("shard 3/3 lacks") && log.contains("nothing was merged"), "the merge job did not refuse clearly:\n{log}");
    assert!(log.contains("--shard 3/3"), "no command to rerun the shard:\n{log}");
    for i in [1, 2] {
        assert!(claim.join(format!("trials.shard-{i}-of-3.jsonl")).exists(), "shard {i}'s records were removed by a refused merge");
    }
}

#[test]
fn dry_run_prints_an_array_and_a_merge_that_runs_however_the_array_ends() {
    let dir = tempfile::tempdir().unwrap();
    let th = Path::new(env!("CARGO_MANIFEST_DIR")).join("theorems");
    let r = scb(
        &[
            "submit",
            "stage_one",
            "two_stage",
            "--quick",
            "--shards",
            "4",
            "--cpus",
            "3",
            "--time",
            "1:00:00",
            "--dry-run",
            "--out",
            "runs",
            "--theorems",
            th.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(r.status.success(), "{}", text(&r));
    let out = String::from_utf8_lossy(&r.stdout);
    for id in ["stage_one", "two_stage"] {
        assert!(out.contains(&format!("#SBATCH --job-name=scb-{id}\n#SBATCH --array=1-4\n")), "{out}");
        assert!(out.contains("check 'stage_one'") && out.contains("--quick --shard \"$((SLURM_ARRAY_TASK_ID + ${SCB_SHARD_BASE:-0}))/4\""), "{out}");
        assert!(out.contains(&format!("merge '{}'", dir.path().join("runs").join(id).display())), "{out}");
    }
    assert!(
        out.contains("--dependency=afterany:")
            && out.contains("#SBATCH --cpus-per-task=3\nexport RAYON_NUM_THREADS=3")
            && out.contains("#SBATCH --time=1:00:00"),
        "{out}"
    );
    assert!(!dir.path().join("runs").exists(), "a dry run wrote files");
    // Bad input: one line naming the flag, exit 2, nothing written.
    for (flag, value) in [("--shards", "0"), ("--time", "1h"), ("--partition", "a b")] {
        let mut args = vec!["submit", "stage_one", "--out", "runs", "--theorems", th.to_str().unwrap()];
        args.extend(if flag == "--shards" { vec![flag, value] } else { vec!["--shards", "2", flag, value] });
        let r = scb(&args, dir.path());
        assert_eq!(r.status.code(), Some(2), "{flag} {value}: {}", text(&r));
        assert!(text(&r).contains(flag) && text(&r).trim().lines().count() == 1, "{}", text(&r));
        assert!(!dir.path().join("runs").exists());
    }
}

/// Where no `sbatch` can be run, `submit` says so in one line (exit 2) and writes nothing:
/// scripts left behind would look like a submission that never happened.
#[test]
fn submit_without_sbatch_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let th = Path::new(env!("CARGO_MANIFEST_DIR")).join("theorems");
    let r = Command::new(env!("CARGO_BIN_EXE_scb"))
        .args(["submit", "stage_one", "--shards", "2", "--out", "runs", "--theorems", th.to_str().unwrap()])
        .current_dir(dir.path())
        .env("PATH", dir.path().join("no-slurm-here"))
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2), "{}", text(&r));
    assert!(text(&r).contains("sbatch") && text(&r).trim().lines().count() == 1, "{}", text(&r));
    assert!(!dir.path().join("runs").exists(), "scripts were written: {:?}", std::fs::read_dir(dir.path().join("runs")).map(|d| d.count()));
}

/// A spec whose file is not called `<id>.toml`: the scripts name its file, and the array's
/// and the merge's commands, run as SLURM would run them, give the unsharded result.
#[test]
fn a_spec_file_named_otherwise_than_its_id_is_submitted_and_merged_by_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let ex = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/python");
    std::fs::copy(ex.join("coupon.py"), root.join("coupon.py")).unwrap();
    std::fs::copy(ex.join("coupon.toml"), root.join("renamed.toml")).unwrap();
    let r = scb(&["check", "renamed.toml", "--quick", "--out", "whole"], root);
    assert!(r.status.success(), "{}", text(&r));
    let r = scb(&["submit", "renamed.toml", "--quick", "--shards", "2", "--dry-run", "--out", "runs"], root);
    assert!(r.status.success(), "{}", text(&r));
    let out = String::from_utf8_lossy(&r.stdout).to_string();
    assert!(out.contains(&format!("check '{}'", root.join("renamed.toml").display())), "{out}");
    let execs: Vec<&str> = out.lines().filter(|l| l.starts_with("exec ")).collect();
    assert_eq!(execs.len(), 2, "{out}");
    for task in ["1", "2"] {
        let o = Command::new("bash").args(["-c", execs[0]]).env("SLURM_ARRAY_TASK_ID", task).current_dir(root).output().unwrap();
        assert!(o.status.success(), "array task {task}: {}", text(&o));
    }
    let o = Command::new("bash").args(["-c", execs[1]]).current_dir(root).output().unwrap();
    assert!(o.status.success(), "merge: {}", text(&o));
    for f in ["result.json", "quantities.csv", "coupon.svg"] {
        assert_eq!(std::fs::read(root.join("whole/coupon").join(f)).unwrap(), std::fs::read(root.join("runs/coupon").join(f)).unwrap(), "{f}");
    }
}

/// A calibration spread over an array through the scheduler writes the calibration one
/// machine writes, byte for byte; with a shard cancelled the merge job refuses, naming it.
#[test]
fn submit_calibrate_runs_through_slurm_as_one_calibration_and_a_lost_shard_is_named() {
    if !live_or_skip("calibrate") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("theorems/known/known_normal_g12.toml");
    let sp = spec.to_str().unwrap();
    // A design of the known-truth study: cheap, and it may sit below a committed spec's
    // stability (exit 1); the merge must say the same.
    let r = scb(&["calibrate", sp, "--seeds", "4", "--quick", "--out", "whole"], root);
    assert!(r.status.code().is_some_and(|c| c <= 1), "{}", text(&r));
    let file = "known_normal_g12/calibration-quick.json";
    let r = scb(&["submit", sp, "--calibrate", "4", "--quick", "--shards", "2", "--cpus", "1", "--out", "sharded"], root);
    assert!(r.status.success(), "{}", text(&r));
    let (array, merge) = job_ids(&r);
    wait(&[&array, &merge]);
    let log = std::fs::read_to_string(root.join("sharded/slurm-calibrate/merge.log")).unwrap_or_default();
    let merged = std::fs::read(root.join("sharded").join(file)).unwrap_or_else(|e| panic!("no merged calibration ({e}); merge log:\n{log}"));
    assert!(merged == std::fs::read(root.join("whole").join(file)).unwrap(), "the calibration through SLURM differs from one machine's");

    // One shard cancelled before it runs (two CPUs a task on a small node: one task at a time).
    let r = scb(&["submit", sp, "--calibrate", "4", "--quick", "--shards", "2", "--cpus", "2", "--out", "cancelled"], root);
    assert!(r.status.success(), "{}", text(&r));
    let (array, merge) = job_ids(&r);
    let c = Command::new("scancel").arg(format!("{array}_2")).output().unwrap();
    assert!(c.status.success(), "scancel: {}", String::from_utf8_lossy(&c.stderr));
    wait(&[&array, &merge]);
    let log = std::fs::read_to_string(root.join("cancelled/slurm-calibrate/merge.log")).unwrap_or_default();
    assert!(!root.join("cancelled").join(file).exists(), "a calibration despite a cancelled shard; merge log:\n{log}");
    assert!(log.contains("from shard 2/2"), "the merge job did not name the lost shard:\n{log}");
}

#[test]
fn dry_run_of_a_calibration_prints_a_sharded_array_and_its_merge() {
    let dir = tempfile::tempdir().unwrap();
    let th = Path::new(env!("CARGO_MANIFEST_DIR")).join("theorems");
    let r = scb(&["submit", "stage_one", "transfer", "--calibrate", "20", "--shards", "3", "--dry-run", "--theorems", th.to_str().unwrap()], dir.path());
    assert!(r.status.success(), "{}", text(&r));
    let out = String::from_utf8_lossy(&r.stdout);
    assert!(out.contains("#SBATCH --array=1-3"), "{out}");
    assert!(
        out.contains("calibrate 'stage_one' 'transfer' --seeds 20 --out ") && out.contains("--shard \"$((SLURM_ARRAY_TASK_ID + ${SCB_SHARD_BASE:-0}))/3\""),
        "{out}"
    );
    assert!(out.contains("--merge") && out.contains("--dependency=afterany:<array ids>"), "{out}");
    assert!(!dir.path().join("reports").exists(), "a dry run wrote files");
    // More shards than seeds would leave a shard with nothing to run.
    let r = scb(&["submit", "stage_one", "--calibrate", "2", "--shards", "3", "--dry-run", "--theorems", th.to_str().unwrap()], dir.path());
    assert_eq!(r.status.code(), Some(2), "{}", text(&r));
}

/// More shards than one array may hold (here at most 2 a piece) go into several arrays of
/// the same script, each told where its shards start, and the merge waits for all of them:
/// the result is the unsharded one, byte for byte.
#[test]
fn more_shards_than_one_array_holds_run_as_several_arrays_and_one_merge() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let th = Path::new(env!("CARGO_MANIFEST_DIR")).join("theorems");
    let th = th.to_str().unwrap();
    let r = scb(&["submit", "known_coverage", "--quick", "--shards", "5", "--max-array", "2", "--dry-run", "--out", "runs", "--theorems", th], root);
    assert!(r.status.success(), "{}", text(&r));
    let out = String::from_utf8_lossy(&r.stdout).to_string();
    for (c, n, base) in [(1, 2, 0), (2, 2, 2), (3, 1, 4)] {
        assert!(out.contains(&format!("array {c} of 3: sbatch --parsable --array=1-{n} --export=ALL,SCB_SHARD_BASE={base} ")), "{out}");
    }
    // The shard the script runs is the task's index after its array's base.
    let exec = out.lines().find(|l| l.starts_with("exec ") && l.contains("--shard")).unwrap();
    let shard = exec.split("--shard ").nth(1).unwrap();
    let o = Command::new("bash").args(["-c", &format!("echo {shard}")]).env("SLURM_ARRAY_TASK_ID", "1").env("SCB_SHARD_BASE", "4").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "5/5");
    let r = scb(&["submit", "known_coverage", "--shards", "2", "--max-array", "0", "--dry-run", "--theorems", th], root);
    assert!(r.status.code() == Some(2) && text(&r).contains("--max-array"), "{}", text(&r));
    if !live_or_skip("several arrays") {
        return;
    }
    // A design of the known-truth study: a fraction of a second to simulate.
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("theorems/known/known_normal_g8.toml");
    let spec = spec.to_str().unwrap();
    let r = scb(&["check", spec, "--quick", "--out", "whole"], root);
    assert!(r.status.success(), "{}", text(&r));
    let r = scb(&["submit", spec, "--quick", "--shards", "3", "--max-array", "2", "--cpus", "1", "--out", "runs"], root);
    assert!(r.status.success(), "{}", text(&r));
    let (arrays, merge) = job_ids(&r);
    assert_eq!(arrays.split(',').count(), 2, "{}", text(&r));
    wait(&[&arrays, &merge]);
    let claim = root.join("runs/known_normal_g8");
    let log = std::fs::read_to_string(claim.join("slurm/merge.log")).unwrap_or_default();
    assert!(log.contains("merged from 3 shards"), "{log}");
    let whole = std::fs::read(root.join("whole/known_normal_g8/result.json")).unwrap();
    assert!(whole == std::fs::read(claim.join("result.json")).unwrap(), "several arrays gave another result; merge log:\n{log}");
    assert!(claim.join("slurm/array-2-task-1.log").exists());
}
