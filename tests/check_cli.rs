//! `scb check` as a user runs it: exit codes, files, resume, determinism, bad specs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scb(args: &[&str], threads: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scb")).args(args).env("RAYON_NUM_THREADS", threads).output().unwrap()
}

fn theorem(id: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("theorems").join(format!("{id}.toml"))
}

/// What a run printed: its findings (stdout) then its notes and errors (stderr).
fn stderr(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// stage_one's spec on a small quick grid (the CLI tests are about mechanics, not the
/// claim), with `edit` applied to its text.
fn small_stage_one(dir: &Path, name: &str, edit: impl Fn(String) -> String) -> PathBuf {
    let text = std::fs::read_to_string(theorem("stage_one")).unwrap();
    // 12 tasks of 2 trials a point (12 is the floor for a single interval), on both grids;
    // only the exponent checks, which so few trials can settle (the levels of n/n1 need the
    // spec's own budget).
    let mut blocks = text.split("[[check]]");
    let head = blocks.next().unwrap().to_string();
    let text = blocks.filter(|b| !b.contains("quantity = \"ratio\"\n")).fold(head, |t, b| t + "[[check]]" + b);
    let text = text
        .replace("trials = 8\ntasks = 32\nbootstrap", "trials = 2\ntasks = 12\nbootstrap")
        .replace("grid = { n = [8, 32], t = [16, 128] }", "grid = { n = [8, 16], t = [16, 32] }");
    let text = text.replace("[quick]\ntrials = 16\n# The quick grid keeps 16 trials a task.\ntasks = 24", "[quick]\ntrials = 2\ntasks = 12");
    assert!(
        text.contains(T_EXPONENT_1)
            && text.contains("grid = { n = [8, 16], t = [16, 32] }")
            && text.contains("[quick]\ntrials = 2\ntasks = 12")
            && text.contains("tasks = 12\nbootstrap"),
        "theorems/stage_one.toml changed shape"
    );
    let p = dir.join(format!("{name}.toml"));
    std::fs::write(&p, edit(text.replace("id = \"stage_one\"", &format!("id = \"{name}\"\nclaim = \"stage_one\"")))).unwrap();
    p
}

const T_EXPONENT_1: &str = "quantity = \"t_exponent\"\nkind = \"equal\"\npredict = 1.0\n";
const T_EXPONENT_3: &str = "quantity = \"t_exponent\"\nkind = \"equal\"\npredict = 3.0\n";

fn passing_stage_one(dir: &Path) -> PathBuf {
    small_stage_one(dir, "stage_one", |t| t)
}

#[test]
fn check_writes_results_figure_index_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports");
    let o = out.to_str().unwrap();
    // A claim that holds: exit 0.
    let good = passing_stage_one(dir.path());
    let r = scb(&["check", good.to_str().unwrap(), "--quick", "--out", o], "2");
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    assert!(stderr(&r).contains("stage_one: PASS"), "{}", stderr(&r));
    // Findings on stdout, so that `> verdicts.txt` keeps them; notes and progress on stderr.
    let (out_text, err_text) = (String::from_utf8_lossy(&r.stdout), String::from_utf8_lossy(&r.stderr));
    assert!(out_text.starts_with("stage_one: PASS") && out_text.contains("1 spec: 1 hold"), "stdout: {out_text}");
    assert!(!err_text.contains("stage_one: PASS"), "a verdict on stderr: {err_text}");
    let res: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("stage_one/result.json")).unwrap()).unwrap();
    assert_eq!((res["holds"].as_bool(), res["as_expected"].as_bool()), (Some(true), Some(true)));
    assert!(res["quantities"]["t_exponent"]["lo"].is_number());
    // A wrong prediction (T exponent 3): the claim fails, exit 1, the figure title says which check.
    let wrong = small_stage_one(dir.path(), "wrong", |t| t.replace(T_EXPONENT_1, T_EXPONENT_3));
    let r = scb(&["check", wrong.to_str().unwrap(), "--quick", "--out", o], "2");
    assert_eq!(r.status.code(), Some(1), "{}", stderr(&r));
    assert!(stderr(&r).contains("wrong: FAIL (expected to hold"), "{}", stderr(&r));
    assert!(std::fs::read_to_string(out.join("wrong/wrong.svg")).unwrap().contains("wrong: FAIL (t_exponent)"));
    // The same wrong prediction declared a refuted form: the verdict is as expected, exit 0.
    let refuted =
        small_stage_one(dir.path(), "refuted", |t| t.replace(T_EXPONENT_1, T_EXPONENT_3).replacen("\nstatement", "\nexpect = \"fail\"\nstatement", 1));
    let r = scb(&["check", refuted.to_str().unwrap(), "--quick", "--out", o], "2");
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    assert!(stderr(&r).contains("refuted: FAIL (refuted as expected)"), "{}", stderr(&r));
    // A refuted form that starts to hold is a failure, with the reason.
    let lost = small_stage_one(dir.path(), "lost_power", |t| t.replacen("\nstatement", "\nexpect = \"fail\"\nstatement", 1));
    let r = scb(&["check", lost.to_str().unwrap(), "--quick", "--out", o], "2");
    assert_eq!(r.status.code(), Some(1), "{}", stderr(&r));
    assert!(stderr(&r).contains("every check holds: the checker lost its power or the algorithm changed"), "{}", stderr(&r));
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    for id in ["stage_one", "wrong", "refuted", "lost_power"] {
        assert!(index.contains(&format!("{id}/{id}.svg")), "{id} missing from index.html");
        // The gallery: the PNG shown, every format and each panel's data linked.
        assert!(index.contains(&format!("<img src=\"{id}/{id}.png\"")), "{id}'s PNG not shown");
        for f in [format!("{id}.pdf"), format!("{id}.png"), format!("{id}-panel1.csv")] {
            assert!(index.contains(&format!("href=\"{id}/{f}\"")), "{f} not linked");
            assert!(out.join(id).join(&f).is_file(), "{f} not written");
        }
    }
    assert!(index.contains("Refuted forms, kept as expected failures") && index.contains("refuted as expected"));
    // Re-judging (a prediction changed): the trials are reused, not rerun.
    let lines = std::fs::read_to_string(out.join("stage_one/trials.jsonl")).unwrap().lines().count();
    let r = scb(&["check", good.to_str().unwrap(), "--quick", "--out", o], "2");
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    assert_eq!(std::fs::read_to_string(out.join("stage_one/trials.jsonl")).unwrap().lines().count(), lines);
}

#[test]
fn resume_skips_finished_trials_and_a_torn_last_line_is_reported_and_rerun() {
    let dir = tempfile::tempdir().unwrap();
    let spec = passing_stage_one(dir.path());
    let (full, cut) = (dir.path().join("full"), dir.path().join("cut"));
    for o in [&full, &cut] {
        let r = scb(&["check", spec.to_str().unwrap(), "--quick", "--out", o.to_str().unwrap()], "2");
        assert!(r.status.success(), "{}", stderr(&r));
    }
    // Simulate an interrupted run: keep the first 20 records and half of the 21st.
    let path = cut.join("stage_one/trials.jsonl");
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let total = lines.len();
    let mut torn = lines[..20].join("\n") + "\n";
    torn += &lines[20][..lines[20].len() / 2];
    std::fs::write(&path, torn).unwrap();
    let r = scb(&["check", spec.to_str().unwrap(), "--quick", "--out", cut.to_str().unwrap()], "1");
    assert!(r.status.success(), "{}", stderr(&r));
    assert!(stderr(&r).contains("1 unreadable line skipped (line 21:"), "{}", stderr(&r));
    let after = std::fs::read_to_string(&path).unwrap();
    assert_eq!(after.lines().count(), total, "no trial lost or duplicated");
    assert!(after.lines().all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()));
    // The same result as the uninterrupted run, bit for bit, whatever the thread counts.
    let read = |p: &Path| std::fs::read(p.join("stage_one/result.json")).unwrap();
    assert_eq!(read(&full), read(&cut));
}

#[test]
fn results_are_identical_across_thread_counts() {
    // One thread against the committed quick baseline, which `check all --quick` made with
    // as many threads as its machine has (and the quick-run test below remakes with two).
    let dir = tempfile::tempdir().unwrap();
    let spec = theorem("beats_sgd");
    let out = dir.path().join("1");
    let r = scb(&["check", spec.to_str().unwrap(), "--quick", "--out", out.to_str().unwrap()], "1");
    assert!(r.status.code().is_some_and(|c| c <= 1), "{}", stderr(&r));
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("reports/quick/beats_sgd/result.json");
    assert!(
        std::fs::read(out.join("beats_sgd/result.json")).unwrap() == std::fs::read(committed).unwrap(),
        "one thread differs from the committed quick baseline (a change to the math is accepted with scb accept --quick)"
    );
}

#[test]
fn a_misspelt_key_is_named_at_its_line_with_the_key_meant() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(theorem("stage_one")).unwrap();
    let cases = [
        (base.replace("trials = 8\ntasks", "trails = 8\ntasks"), "trails", "trails = ", "trials"),
        (base.replacen("tolerance = ", "tolerence = ", 1), "check[0].tolerence", "tolerence = ", "tolerance"),
        (base.replace("[quick]", "[quik]"), "quik", "[quik]", "quick"),
    ];
    for (i, (text, field, starts, meant)) in cases.iter().enumerate() {
        let p = dir.path().join(format!("typo{i}.toml"));
        std::fs::write(&p, text).unwrap();
        let line = text.lines().position(|l| l.starts_with(starts)).unwrap() + 1;
        let r = scb(&["check", p.to_str().unwrap(), "--quick", "--out", dir.path().join("out").to_str().unwrap()], "1");
        assert_eq!(r.status.code(), Some(2), "case {i}: {}", stderr(&r));
        let want = format!("invalid {}:{line}: {field}: is not a key here; did you mean {meant:?}?", p.display());
        assert_eq!(stderr(&r).trim_end(), format!("error: {want}"), "case {i}");
    }
}

#[test]
fn bad_specs_and_arguments_exit_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::fs::read_to_string(theorem("stage_one")).unwrap();
    let out = dir.path().join("out");
    let cases: Vec<(String, &str)> = vec![
        (base.replace("[quick]\ntrials = 16", "[quick]\ntrails = 16"), "trails"),
        (base.replace("trials = 8\ntasks", "tasks"), "trials"),
        (base.replace("tasks = 32", "tasks = 1"), "tasks: must be a whole number in [2, 100000]"),
        (base.replace("tasks = 32", "tasks = 32\nfixed_task = true"), "tasks: must be 1 or absent with fixed_task = true"),
        // Below the floor the known-truth matrix sets for one interval.
        (base.replace("tasks = 32", "tasks = 8"), "tasks: must be at least 12: check[0] (ratio) judges one interval"),
        (base.replacen("plant = 0.15", "plant = -1", 1), ".plant: must be"),
        // A plant inside the tolerance is a truth the check accepts, not a competing hypothesis.
        (base.replacen("plant = 0.15", "plant = 0.04", 1), "check[0].plant: must exceed the check's tolerance"),
        (base.replace("c = 0.5", "c = 1.5"), "settings.c"),
        (base.replace("c = 0.5", "c = 0.5\nslack = 2"), "slack"),
        (base.replace("quantity = \"ratio\"", "quantity = \"speed\""), "check[0].quantity"),
        (base.replace("where = { n = [16, 32] }", "where = { m = [16, 32] }"), "check[1].where.m"),
        (base.replace("id = \"stage_one\"", "id = \"Stage One\""), ": id: must be"),
        (base.replace("id = \"stage_one\"", "id = \"x\"\nclaim = \"stage_three\""), ": claim: must be one of"),
        (base.replace("id = \"stage_one\"", "id = \"x\"\nexpect = \"maybe\""), "maybe"),
        (base.replace("t = [16, 32, 64, 128]", "t = [16, 32, 64, 128]\nq = [200]"), "q"),
        (base.replace("name = \"scb-prox\"", "name = \"adam\""), "adam"),
        (base.replace("bootstrap = 1000", "bootstrap = 0"), "bootstrap"),
    ];
    for (i, (text, key)) in cases.iter().enumerate() {
        let p = dir.path().join(format!("bad{i}.toml"));
        std::fs::write(&p, text).unwrap();
        let r = scb(&["check", p.to_str().unwrap(), "--quick", "--out", out.to_str().unwrap()], "1");
        assert_eq!(r.status.code(), Some(2), "case {i}: {}", stderr(&r));
        assert!(stderr(&r).contains(key), "case {i} should name {key}: {}", stderr(&r));
        assert_eq!(stderr(&r).trim_end().lines().count(), 1, "case {i}: {}", stderr(&r));
    }
    let r = scb(&["check", "stage_three", "--out", out.to_str().unwrap()], "1");
    assert_eq!(r.status.code(), Some(2));
    assert!(stderr(&r).contains("invalid claim"));
    assert!(!out.join("stage_one").exists(), "a bad spec must not start a run");
    // A bad spec second in line stops the command before the first one runs.
    let bad = dir.path().join("bad0.toml");
    let r = scb(&["check", theorem("stage_one").to_str().unwrap(), bad.to_str().unwrap(), "--quick", "--out", out.to_str().unwrap()], "1");
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert!(!out.join("stage_one").exists(), "the first spec ran before the second was read");
}

/// What CI runs: every spec in theorems/ on its quick grid, through the binary, compared
/// with the committed quick baseline (reports/quick). Every verdict must be the one its spec
/// expects (true claims hold, refuted forms fail), and no spec may have moved beyond noise
/// from the accepted results: a change to the math must be accepted (`scb accept --quick`)
/// and committed, as a snapshot is.
#[test]
fn check_all_quick_runs_every_spec_end_to_end_and_meets_every_expectation() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (theorems, baseline) = (root.join("theorems"), root.join("reports/quick"));
    // The command docs/ci.md gives a user's CI, JUnit file included.
    let junit = dir.path().join("junit.xml");
    let r = scb(
        &[
            "check",
            "all",
            "--quick",
            "--out",
            out.to_str().unwrap(),
            "--baseline",
            baseline.to_str().unwrap(),
            "--theorems",
            theorems.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
        ],
        "2",
    );
    assert_eq!(r.status.code(), Some(0), "{}", stderr(&r));
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    let ids = scb::commands::check::spec_ids(&theorems).unwrap();
    assert!(ids.len() >= 10, "{ids:?}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testsuite ").count(), ids.len() + 1, "a suite per spec and one for the baseline: {xml}");
    assert!(!xml.contains("<failure ") && xml.matches(" failures=\"0\"").count() == ids.len() + 1, "every expectation met, so no case fails: {xml}");
    let err = stderr(&r);
    assert!(
        err.contains(&format!("against the baseline in {}", baseline.display()))
            && err.contains(", 0 CHANGED")
            && !err.contains("CHANGED:")
            && !err.contains("no baseline"),
        "{err}"
    );
    for id in &ids {
        let spec = scb::spec::ClaimSpec::load(&theorems.join(format!("{id}.toml"))).unwrap();
        let res: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join(id).join("result.json")).unwrap()).unwrap();
        assert_eq!(res["id"], id.as_str());
        assert_eq!(res["as_expected"], true, "{id}: {}", res["outcome"]);
        assert_eq!(res["holds"], spec.expect == scb::verdict::Expect::Pass, "{id}");
        assert!(index.contains(&format!("{id}/{id}.svg")));
        assert!(out.join(id).join(format!("{id}.svg")).is_file());
        // A spec that holds but has a check without the power to reach its plant says WEAK
        // (a quick grid's per-point ratio over few trials), and exactly then.
        let weak = res["checks"].as_array().unwrap().iter().any(|c| c["weak"] == true);
        let line = match spec.expect {
            scb::verdict::Expect::Pass if weak => format!("{id}: WEAK"),
            scb::verdict::Expect::Pass => format!("{id}: PASS"),
            scb::verdict::Expect::Fail => format!("{id}: FAIL (refuted as expected)"),
            scb::verdict::Expect::Undecided => format!("{id}: UNDECIDED (undecided, as expected"),
        };
        assert!(stderr(&r).contains(&line), "{line}: {}", stderr(&r));
    }
}

fn count_lines(p: &Path) -> usize {
    std::fs::read_to_string(p).map(|t| t.lines().count()).unwrap_or(0)
}

#[test]
fn shards_merge_to_the_unsharded_result_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let spec = passing_stage_one(dir.path());
    let s = spec.to_str().unwrap();
    let (whole, sharded) = (dir.path().join("whole"), dir.path().join("sharded"));
    let r = scb(&["check", s, "--quick", "--out", whole.to_str().unwrap()], "2");
    assert!(r.status.success(), "{}", stderr(&r));
    let claim = sharded.join("stage_one");
    for i in 1..=3 {
        let shard = format!("{i}/3");
        let r = scb(&["check", s, "--quick", "--out", sharded.to_str().unwrap(), "--shard", &shard], "1");
        assert!(r.status.success(), "{}", stderr(&r));
        assert!(!claim.join("result.json").exists(), "a shard must not judge");
    }
    let sizes: Vec<usize> = (1..=3).map(|i| count_lines(&claim.join(format!("trials.shard-{i}-of-3.jsonl")))).collect();
    assert_eq!(sizes.iter().sum::<usize>(), count_lines(&whole.join("stage_one/trials.jsonl")), "shards are disjoint and cover every trial");
    assert!(sizes.iter().all(|&n| n > 0));
    let r = scb(&["merge", claim.to_str().unwrap(), "--quick", "--theorems", dir.path().to_str().unwrap()], "2");
    assert!(r.status.success(), "{}", stderr(&r));
    for f in ["result.json", "stage_one.svg", "quantities.csv"] {
        assert_eq!(std::fs::read(whole.join("stage_one").join(f)).unwrap(), std::fs::read(claim.join(f)).unwrap(), "{f} differs");
    }
    let r = scb(&["check", s, "--quick", "--out", sharded.to_str().unwrap(), "--shard", "4/3"], "1");
    assert_eq!(r.status.code(), Some(2));
    assert!(stderr(&r).contains("--shard"), "{}", stderr(&r));
}

#[test]
fn a_killed_run_resumes_without_losing_or_duplicating_a_trial() {
    let dir = tempfile::tempdir().unwrap();
    let spec = passing_stage_one(dir.path());
    let s = spec.to_str().unwrap();
    let (whole, killed) = (dir.path().join("whole"), dir.path().join("killed"));
    let r = scb(&["check", s, "--quick", "--out", whole.to_str().unwrap()], "2");
    assert!(r.status.success(), "{}", stderr(&r));
    let total = count_lines(&whole.join("stage_one/trials.jsonl"));
    let records = killed.join("stage_one/trials.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_scb"))
        .args(["check", s, "--quick", "--out", killed.to_str().unwrap()])
        .env("RAYON_NUM_THREADS", "1")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while count_lines(&records) < 10 && start.elapsed() < std::time::Duration::from_secs(120) {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let at_kill = count_lines(&records);
    assert!(at_kill >= 10 && at_kill < total, "killed after {at_kill} of {total} trials: not mid-way");
    let r = scb(&["check", s, "--quick", "--out", killed.to_str().unwrap()], "2");
    assert!(r.status.success(), "{}", stderr(&r));
    let text = std::fs::read_to_string(&records).unwrap();
    let keys: std::collections::HashSet<(String, u64, u64)> = text
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["key"].as_str().unwrap().to_string(), v["task"].as_u64().unwrap(), v["trial"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(text.lines().count(), total, "no trial duplicated");
    assert_eq!(keys.len(), total, "no trial lost");
    let read = |p: &Path| std::fs::read(p.join("stage_one/result.json")).unwrap();
    assert_eq!(read(&whole), read(&killed));
}

/// Every file of a folder with its bytes, to show that a refusal changed nothing.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut v: Vec<(PathBuf, Vec<u8>)> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_file()).map(|p| (p.clone(), std::fs::read(&p).unwrap())).collect();
    v.sort();
    v
}

#[test]
fn merge_refuses_missing_shards_and_names_them_until_asked_to_finish_locally() {
    let dir = tempfile::tempdir().unwrap();
    let spec = passing_stage_one(dir.path());
    let s = spec.to_str().unwrap();
    let theorems = dir.path().to_str().unwrap();
    let (whole, sharded) = (dir.path().join("whole"), dir.path().join("sharded"));
    assert!(scb(&["check", s, "--quick", "--out", whole.to_str().unwrap()], "2").status.success());
    let claim = sharded.join("stage_one");
    // An empty folder: nothing to merge, and nothing is simulated.
    let r = scb(&["merge", claim.to_str().unwrap(), "--quick", "--theorems", theorems], "2");
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert!(stderr(&r).contains("no trial records"), "{}", stderr(&r));
    assert!(!claim.join("trials.jsonl").exists());
    // Shards 1 and 3 of 3 ran; the hint each prints is the exact merge command, --quick included.
    for i in [1, 3] {
        let r = scb(&["check", s, "--quick", "--out", sharded.to_str().unwrap(), "--shard", &format!("{i}/3")], "1");
        assert!(r.status.success(), "{}", stderr(&r));
        let hint = format!("scb merge {} --quick --theorems {theorems}", claim.display());
        assert!(stderr(&r).contains(&hint), "{}", stderr(&r));
    }
    let before = snapshot(&claim);
    let r = scb(&["merge", claim.to_str().unwrap(), "--quick", "--theorems", theorems], "2");
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    let e = stderr(&r);
    assert_eq!(e.lines().count(), 1, "one line: {e}");
    assert!(e.contains("shard 2/3 lacks") && !e.contains("shard 1/3") && !e.contains("shard 3/3 lacks"), "{e}");
    assert!(e.contains(&format!("--shard 2/3 --out {} --quick", sharded.display())), "{e}");
    assert_eq!(snapshot(&claim), before, "a refused merge changed the folder");
    // Asked explicitly, it simulates shard 2's trials here, and the result is the unsharded one.
    let r = scb(&["merge", claim.to_str().unwrap(), "--quick", "--theorems", theorems, "--finish-locally"], "2");
    assert!(r.status.success(), "{}", stderr(&r));
    for f in ["result.json", "stage_one.svg", "quantities.csv"] {
        assert_eq!(std::fs::read(whole.join("stage_one").join(f)).unwrap(), std::fs::read(claim.join(f)).unwrap(), "{f} differs");
    }
    assert_eq!(count_lines(&claim.join("trials.jsonl")), count_lines(&whole.join("stage_one/trials.jsonl")));
    assert!(!claim.join("trials.shard-1-of-3.jsonl").exists());
}

#[test]
fn a_live_shard_or_run_keeps_merges_and_other_runs_out() {
    use scb::claims::store::FileStore;
    let dir = tempfile::tempdir().unwrap();
    let spec = passing_stage_one(dir.path());
    let s = spec.to_str().unwrap();
    let theorems = dir.path().to_str().unwrap();
    let out = dir.path().join("out");
    let claim = out.join("stage_one");
    let r = scb(&["check", s, "--quick", "--out", out.to_str().unwrap(), "--shard", "1/2"], "1");
    assert!(r.status.success(), "{}", stderr(&r));
    {
        // Shard 2/2 is live (this process holds its lease, as a running shard does).
        let _live = FileStore::new(&claim).lease(Some((2, 2))).unwrap();
        let before = snapshot(&claim);
        let r = scb(&["merge", claim.to_str().unwrap(), "--quick", "--theorems", theorems, "--finish-locally"], "2");
        assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
        assert!(stderr(&r).contains("in use by another scb run"), "{}", stderr(&r));
        assert_eq!(snapshot(&claim), before, "the merge touched a live shard's folder");
        // The same shard cannot start twice; another shard can run beside it.
        let r = scb(&["check", s, "--quick", "--out", out.to_str().unwrap(), "--shard", "2/2"], "1");
        assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
        assert!(stderr(&r).contains("shard 2/2") && stderr(&r).contains("already running"), "{}", stderr(&r));
        let r = scb(&["check", s, "--quick", "--out", out.to_str().unwrap(), "--shard", "1/2"], "1");
        assert!(r.status.success(), "{}", stderr(&r));
    }
    {
        // A whole run in progress: a second check refuses instead of computing every trial twice.
        let _run = FileStore::new(&claim).lease(None).unwrap();
        let r = scb(&["check", s, "--quick", "--out", out.to_str().unwrap()], "2");
        assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
        let r = scb(&["check", s, "--quick", "--out", out.to_str().unwrap(), "--shard", "2/2"], "1");
        assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    }
    // Once the lease is gone (the process ended), the run goes ahead.
    let r = scb(&["check", s, "--quick", "--out", out.to_str().unwrap(), "--shard", "2/2"], "1");
    assert!(r.status.success(), "{}", stderr(&r));
    let r = scb(&["merge", claim.to_str().unwrap(), "--quick", "--theorems", theorems], "2");
    assert!(r.status.success(), "{}", stderr(&r));
}

#[test]
fn a_quick_run_or_another_configuration_never_replaces_a_result_silently() {
    let dir = tempfile::tempdir().unwrap();
    let spec = passing_stage_one(dir.path());
    let s = spec.to_str().unwrap();
    let out = dir.path().join("reports");
    // The full grid of this small spec (24 trials a point) may not settle the claim: exit 1
    // is its verdict, not an error.
    let r = scb(&["check", s, "--out", out.to_str().unwrap()], "2");
    assert!(matches!(r.status.code(), Some(0 | 1)), "{}", stderr(&r));
    // The console says what ran and where the report is.
    let e = stderr(&r);
    assert!(e.contains("[full grid, 288 trials: 288 simulated, 0 reused]"), "{e}");
    let last = e.lines().last().unwrap();
    assert!(last.starts_with("1 spec: ") && last.contains("288 trials simulated, 0 reused;") && last.ends_with("index.html"), "{e}");
    let run: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("stage_one/run.json")).unwrap()).unwrap();
    assert_eq!((run["grid"].as_str(), run["simulated"].as_u64(), run["reused"].as_u64()), (Some("full"), Some(288), Some(0)));
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        index.contains("full grid: 12 points x 12 tasks x 2 trials") && index.contains("288 simulated, 0 reused") && index.contains("1 spec: "),
        "index lacks the run's provenance"
    );
    assert!(e.contains("intervals cover tasks and trials: 12 tasks per point, 2 trials each"), "{e}");
    let claim = out.join("stage_one");
    let before = snapshot(&claim);
    let r = scb(&["check", s, "--quick", "--out", out.to_str().unwrap()], "2");
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert!(stderr(&r).contains("full-grid result") && stderr(&r).contains("--out"), "{}", stderr(&r));
    assert_eq!(snapshot(&claim), before, "a refused quick run changed the full result");
    // Another configuration under the same id: refused too.
    let variant = small_stage_one(dir.path(), "stage_one_v", |t| t.replace("seed = 2024", "seed = 7"));
    let moved = dir.path().join("v");
    std::fs::create_dir_all(&moved).unwrap();
    let same_id = moved.join("stage_one.toml");
    std::fs::write(&same_id, std::fs::read_to_string(&variant).unwrap().replace("id = \"stage_one_v\"", "id = \"stage_one\"")).unwrap();
    let r = scb(&["check", same_id.to_str().unwrap(), "--out", out.to_str().unwrap()], "2");
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert!(stderr(&r).contains("another configuration"), "{}", stderr(&r));
    assert_eq!(snapshot(&claim), before);
    // Changed predictions only re-judge the same records; a second run reuses them all.
    let r = scb(&["check", s, "--out", out.to_str().unwrap()], "2");
    assert!(stderr(&r).contains("0 simulated, 288 reused"), "{}", stderr(&r));
    // Asked to, it replaces: the old records go, the new configuration's come.
    let r = scb(&["check", same_id.to_str().unwrap(), "--out", out.to_str().unwrap(), "--replace"], "2");
    assert!(r.status.code() == Some(0) || r.status.code() == Some(1), "{}", stderr(&r));
    assert!(stderr(&r).contains("288 simulated, 0 reused"), "{}", stderr(&r));
    assert_eq!(count_lines(&claim.join("trials.jsonl")), 288, "the old configuration's records were mixed in");
}

#[test]
fn a_non_utf8_record_is_one_unreadable_line_and_stale_staging_is_cleaned() {
    let dir = tempfile::tempdir().unwrap();
    let spec = passing_stage_one(dir.path());
    let s = spec.to_str().unwrap();
    let out = dir.path().join("reports");
    assert!(scb(&["check", s, "--quick", "--out", out.to_str().unwrap()], "2").status.success());
    let claim = out.join("stage_one");
    let good = std::fs::read(claim.join("result.json")).unwrap();
    // Corrupt line 3 with a byte that is not UTF-8, and leave a killed run's staging folder.
    let mut bytes = std::fs::read(claim.join("trials.jsonl")).unwrap();
    let third = bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(1).unwrap().0 + 5;
    bytes[third] = 0xff;
    std::fs::write(claim.join("trials.jsonl"), &bytes).unwrap();
    let stale = claim.join(".staging-4000000");
    std::fs::create_dir_all(&stale).unwrap();
    std::fs::write(stale.join("result.json"), "half").unwrap();
    let r = scb(&["check", s, "--quick", "--out", out.to_str().unwrap()], "2");
    assert!(r.status.success(), "{}", stderr(&r));
    assert!(stderr(&r).contains("1 unreadable line skipped (line 3:") && stderr(&r).contains("1 simulated"), "{}", stderr(&r));
    assert_eq!(std::fs::read(claim.join("result.json")).unwrap(), good, "the rerun trial differs");
    assert!(!stale.exists(), "a stale staging folder was left");
}

#[test]
fn exit_codes_tell_bad_input_from_a_failed_write() {
    let dir = tempfile::tempdir().unwrap();
    let spec = passing_stage_one(dir.path());
    let out = dir.path().join("reports");
    // The records file is a folder: reading it fails, which is not the user's input.
    std::fs::create_dir_all(out.join("stage_one/trials.jsonl")).unwrap();
    let r = scb(&["check", spec.to_str().unwrap(), "--quick", "--out", out.to_str().unwrap()], "1");
    assert_eq!(r.status.code(), Some(3), "{}", stderr(&r));
    assert!(stderr(&r).contains("trials.jsonl"), "{}", stderr(&r));
    // A missing spec file is bad input.
    let r = scb(&["check", dir.path().join("nope.toml").to_str().unwrap(), "--out", out.to_str().unwrap()], "1");
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
}

/// A record whose field was renamed is not read as a censored trial: the runner says it does
/// not read, reruns that one trial, and the result is the one the intact records gave.
#[test]
fn a_record_with_a_renamed_field_is_rerun_with_a_warning_not_read_as_censored() {
    let dir = tempfile::tempdir().unwrap();
    let th = concat!(env!("CARGO_MANIFEST_DIR"), "/theorems");
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_scb"))
            .args(["check", "transfer_zero_cost", "--quick", "--out", "out", "--theorems", th])
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let r = run();
    assert!(r.status.success(), "{}", stderr(&r));
    let folder = dir.path().join("out/transfer_zero_cost");
    let before = std::fs::read(folder.join("result.json")).unwrap();
    let records = std::fs::read_to_string(folder.join("trials.jsonl")).unwrap();
    assert!(records.contains("\"transfer\":"), "{records}");
    // One record, whole and with a checksum that matches, whose trial is not a transfer trial.
    let mut lines: Vec<String> = records.lines().map(String::from).collect();
    let mut r = scb::claims::store::Record::read(&lines[0]).unwrap();
    let trial = r.result.as_object_mut().unwrap();
    let v = trial.remove("transfer").expect("a transfer trial");
    trial.insert("transferred".into(), v);
    lines[0] = serde_json::to_string(&r.sealed()).unwrap();
    std::fs::write(folder.join("trials.jsonl"), lines.join("\n") + "\n").unwrap();
    let r = run();
    let err = stderr(&r);
    assert!(r.status.success(), "{err}");
    assert!(err.contains("does not read as a transfer trial") && err.contains("unknown field `transferred`") && err.contains("it will be rerun"), "{err}");
    assert!(err.contains(" 1 simulated, "), "{err}");
    assert_eq!(before, std::fs::read(folder.join("result.json")).unwrap());
}

/// `run.json` names the commit scb was built from, not that of the repository a user runs it
/// in (here a fresh one of the user's own).
#[test]
fn run_json_names_scbs_own_commit_wherever_it_runs() {
    let git = |dir: &Path, args: &[&str]| Command::new("git").args(args).current_dir(dir).output().unwrap();
    let ours = git(Path::new(env!("CARGO_MANIFEST_DIR")), &["rev-parse", "--short=7", "HEAD"]);
    let ours = String::from_utf8_lossy(&ours.stdout).trim().to_string();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for args in [&["init", "-q"][..], &["-c", "user.email=u@x", "-c", "user.name=u", "commit", "-q", "--allow-empty", "-m", "theirs"]] {
        assert!(git(d, args).status.success());
    }
    let theirs = String::from_utf8_lossy(&git(d, &["rev-parse", "--short=7", "HEAD"]).stdout).trim().to_string();
    let th = concat!(env!("CARGO_MANIFEST_DIR"), "/theorems");
    let r = Command::new(env!("CARGO_BIN_EXE_scb"))
        .args(["check", "transfer_zero_cost", "--quick", "--out", "out", "--theorems", th])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", stderr(&r));
    let run: serde_json::Value = serde_json::from_slice(&std::fs::read(d.join("out/transfer_zero_cost/run.json")).unwrap()).unwrap();
    let commit = run["commit"].as_str().unwrap_or_default();
    assert!(
        !ours.is_empty() && commit.starts_with(&ours) && !commit.starts_with(&theirs),
        "run.json commit {commit:?}; scb {ours}, the user's repository {theirs}"
    );
}

/// `--junit` writes a suite per spec: a case for its verdict and one per check, failed where
/// the data contradict the spec (a constant 5% off), passed for a refuted form that fails
/// as expected; the file parses as the XML it claims to be.
#[test]
fn junit_writes_a_case_per_verdict_and_check_failed_where_the_data_contradict_the_spec() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ex = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/python");
    for f in ["coupon.py", "coupon.toml", "coupon_linear.toml"] {
        std::fs::copy(ex.join(f), d.join(f)).unwrap();
    }
    let high = std::fs::read_to_string(d.join("coupon.toml"))
        .unwrap()
        .replace("id = \"coupon\"", "id = \"coupon_high\"")
        .replace("bound = \"n * (", "bound = \"1.05 * n * (");
    std::fs::write(d.join("coupon_high.toml"), high).unwrap();
    let r = Command::new(env!("CARGO_BIN_EXE_scb"))
        .args(["check", "coupon.toml", "coupon_linear.toml", "coupon_high.toml", "--quick", "--out", "out", "--junit", "junit.xml"])
        .current_dir(d)
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(1), "{}", stderr(&r));
    let xml = std::fs::read_to_string(d.join("junit.xml")).unwrap();
    assert!(xml.starts_with("<?xml") && xml.trim_end().ends_with("</testsuites>"), "{xml}");
    assert_eq!(xml.matches("<testsuite ").count(), 3, "{xml}");
    assert_eq!(xml.matches("<testcase ").count(), 4 + 2 + 4, "{xml}");
    assert!(xml.contains("<testsuite name=\"coupon\" tests=\"4\" failures=\"0\""), "{xml}");
    assert!(xml.contains("<testsuite name=\"coupon_linear\" tests=\"2\" failures=\"0\""), "{xml}");
    assert!(xml.contains("<testsuite name=\"coupon_high\" tests=\"4\" failures=\"2\""), "{xml}");
    let failed: Vec<&str> = xml.lines().filter(|l| l.contains("<failure ")).collect();
    assert!(
        failed.iter().any(|l| l.contains("name=\"verdict\""))
            && failed.iter().any(|l| l.contains("name=\"check 0: constant ratio 1\"") && l.contains("fails: 1 lies outside")),
        "{xml}"
    );
    assert!(xml.contains("constant = ") && xml.contains("predicted 1; tolerance 0.01"), "the numbers are in the message: {xml}");
    // Balanced elements: every opened suite and case is closed.
    assert_eq!(xml.matches("<testcase ").count(), xml.matches("</testcase>").count());
    // A folder that does not exist is refused before anything runs.
    let r = Command::new(env!("CARGO_BIN_EXE_scb"))
        .args(["check", "coupon.toml", "--quick", "--out", "o2", "--junit", "no/such/j.xml"])
        .current_dir(d)
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(2));
    assert!(stderr(&r).contains("invalid --junit") && !d.join("o2").exists());
}

/// Checks of different specs into one folder at once: each rewrites the summary page under
/// a lock from the results present then, so the page lists every spec, whichever ends last.
#[test]
fn concurrent_checks_into_one_folder_keep_every_spec_on_the_summary_page() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports");
    let ids = ["one", "two", "three", "four"];
    let specs: Vec<PathBuf> = ids.iter().map(|id| small_stage_one(dir.path(), id, |t| t)).collect();
    let children: Vec<_> = specs
        .iter()
        .map(|s| {
            Command::new(env!("CARGO_BIN_EXE_scb"))
                .args(["check", s.to_str().unwrap(), "--quick", "--out", out.to_str().unwrap()])
                .env("RAYON_NUM_THREADS", "1")
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    for id in ids {
        assert!(index.contains(&format!("{id}/{id}.svg")), "{id} missing from index.html");
    }
}

/// A grid far larger than any spec needs (a typo, say) is refused before a trial runs,
/// unless forced.
#[test]
fn a_spec_of_more_than_a_million_trials_needs_force() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports");
    let huge = small_stage_one(dir.path(), "huge", |t| t.replace("[quick]\ntrials = 2\ntasks = 12", "[quick]\ntrials = 100000\ntasks = 12"));
    let r = scb(&["check", huge.to_str().unwrap(), "--quick", "--out", out.to_str().unwrap()], "2");
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    let err = stderr(&r);
    assert!(err.contains("--force") && err.contains("huge: 4 points x 12 tasks x 100000 trials = 4800000 trials"), "{err}");
    assert!(!out.join("huge").exists(), "nothing is written");
}
