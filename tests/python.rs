//! Trials written in Python (`claim = "python"`), through the CLI as a user runs them: the
//! coupon collector's exact law holds and its wrong forms fail; a trial's faults stop the
//! run with the trial and the key named, keep finished trials, and a rerun resumes; results
//! do not depend on the number of worker processes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn scb(args: &[&str], cwd: &Path, env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scb")).args(args).current_dir(cwd).envs(env.iter().copied()).output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// A folder with the example's module and specs, as a user's own project would hold them.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let ex = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/python");
    for f in ["coupon.py", "coupon.toml", "coupon_linear.toml"] {
        std::fs::copy(ex.join(f), dir.path().join(f)).unwrap();
    }
    dir
}

/// A copy of the coupon spec under `id`, with `edit` applied to its text.
fn variant(dir: &Path, id: &str, edit: impl Fn(String) -> String) -> PathBuf {
    let text = std::fs::read_to_string(dir.join("coupon.toml")).unwrap().replace("id = \"coupon\"", &format!("id = \"{id}\""));
    let path = dir.join(format!("{id}.toml"));
    std::fs::write(&path, edit(text)).unwrap();
    path
}

fn sorted_lines(path: &Path) -> Vec<String> {
    let mut l: Vec<String> = std::fs::read_to_string(path).unwrap().lines().map(String::from).collect();
    l.sort();
    l
}

#[test]
fn the_exact_law_holds_and_a_wrong_exponent_or_constant_fails() {
    let dir = project();
    let d = dir.path();
    let r = scb(&["check", "coupon.toml", "coupon_linear.toml", "--quick", "--out", "out"], d, &[]);
    assert!(r.status.success(), "{}", text(&r));
    let out = text(&r);
    // The quick grid's 400 trials a point resolve a factor of about 1.09 at one n, so its
    // per-point check cannot see its plant (5% at some n): the claim holds and says WEAK.
    assert!(out.contains("coupon: WEAK") && out.contains("coupon_linear: FAIL (refuted as expected)"), "{out}");
    assert!(out.lines().any(|l| l.contains("ratio (each point)") && l.contains("WEAK: cannot fail at this budget")), "{out}");
    let result: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(d.join("out/coupon/result.json")).unwrap()).unwrap();
    let constant = result["quantities"]["constant"]["value"].as_f64().unwrap();
    assert!((constant - 1.0).abs() < 0.03, "constant {constant}");
    assert!(d.join("out/coupon/coupon.svg").exists() && d.join("out/index.html").exists());

    // The right exponent with a constant 5% too high: the level check must catch it.
    variant(d, "coupon_high", |t| t.replace("bound = \"n * (", "bound = \"1.05 * n * ("));
    let r = scb(&["check", "coupon_high.toml", "--quick", "--out", "out"], d, &[]);
    assert_eq!(r.status.code(), Some(1), "{}", text(&r));
    let out = text(&r);
    assert!(out.lines().any(|l| l.trim_start().starts_with("constant") && l.contains("fails")), "{out}");
    assert!(out.lines().any(|l| l.trim_start().starts_with("residual_n") && l.contains("holds")), "a constant error must leave the exponent alone: {out}");
}

#[test]
fn a_raising_trial_stops_the_run_with_its_traceback_keeps_finished_trials_and_a_rerun_resumes() {
    let dir = project();
    let d = dir.path();
    std::fs::write(
        d.join("flaky.py"),
        "import os\nfrom coupon import draws\n\ndef trial(point, seed):\n    if os.environ.get('FLAKY') and point['n'] == 128 and seed % 5 == 0:\n        raise ValueError('flaky at ' + str(seed))\n    return draws(point, seed)\n",
    )
    .unwrap();
    variant(d, "flaky", |t| t.replace("coupon:draws", "flaky:trial"));
    let r = scb(&["check", "flaky.toml", "--quick", "--out", "out"], d, &[("FLAKY", "1")]);
    assert_eq!(r.status.code(), Some(6), "{}", text(&r));
    let err = text(&r).to_string();
    assert!(err.contains("error: trial flaky:trial at n=128 (seed ") && err.contains("raised ValueError: flaky at"), "{err}");
    assert!(err.contains("Traceback (most recent call last)") && err.contains("flaky.py"), "no traceback: {err}");
    let records = d.join("out/flaky/trials.jsonl");
    let kept = sorted_lines(&records).len();
    assert!(kept > 0 && kept < 1200, "{kept} records kept");
    assert!(!d.join("out/flaky/result.json").exists());

    let r = scb(&["check", "flaky.toml", "--quick", "--out", "out"], d, &[]);
    assert!(r.status.success(), "{}", text(&r));
    assert!(text(&r).contains(&format!("1200 trials: {} simulated, {kept} reused", 1200 - kept)), "{}", text(&r));
    // Nothing lost, nothing repeated: the same records as a run that never failed.
    let r = scb(&["check", "flaky.toml", "--quick", "--out", "clean"], d, &[]);
    assert!(r.status.success(), "{}", text(&r));
    assert_eq!(sorted_lines(&records), sorted_lines(&d.join("clean/flaky/trials.jsonl")));
}

#[test]
fn a_return_that_is_not_named_finite_numbers_is_an_error_naming_the_trial_and_the_key() {
    let dir = project();
    let d = dir.path();
    std::fs::write(
        d.join("bad.py"),
        "def nan(p, s): return {'draws': float('nan')}\ndef text(p, s): return {'draws': 'many'}\ndef missing(p, s): return {'drawz': 1}\ndef listed(p, s): return [1]\ndef huge(p, s): return {'draws': 10**400}\ndef exits(p, s): import os; os._exit(3)\n",
    )
    .unwrap();
    for (f, says) in [
        ("nan", "returned 'draws' = nan, not a finite number"),
        ("text", "returned 'draws' = 'many' (a str), not a number"),
        ("missing", "returned no \"draws\" (python.measure); it returned {drawz}"),
        ("listed", "returned a list, not a dict of named numbers"),
        ("huge", "returned 'draws' = a int too large for a float"),
        ("exits", "its Python worker ended during the trial (exit status: 3)"),
        ("absent", "cannot import bad:absent: AttributeError"),
    ] {
        variant(d, f, |t| t.replace("coupon:draws", &format!("bad:{f}")));
        let r = scb(&["check", &format!("{f}.toml"), "--quick", "--out", "out"], d, &[]);
        assert_eq!(r.status.code(), Some(6), "{f}: {}", text(&r));
        let err = text(&r);
        assert!(err.contains(says), "{f}: {err}");
        if f != "absent" {
            assert!(err.contains(&format!("error: trial bad:{f} at n=")), "{f}: the trial is not named: {err}");
        }
    }
}

#[test]
fn skip_records_a_raising_trial_with_its_traceback_and_reports_the_failed_share() {
    let dir = project();
    let d = dir.path();
    std::fs::write(
        d.join("flaky.py"),
        "from coupon import draws\n\ndef trial(point, seed):\n    if point['n'] == 8 and seed % 4 == 0:\n        raise RuntimeError('dropped')\n    return draws(point, seed)\n",
    )
    .unwrap();
    let skipping = |id: &str, bound: Option<f64>| {
        variant(d, id, |t| {
            let t = t.replace("coupon:draws", "flaky:trial").replace("measure = \"draws\"", "measure = \"draws\"\non_error = \"skip\"");
            match bound {
                Some(b) => t + &format!("\n[[check]]\nquantity = \"failed\"\nkind = \"below\"\neach_point = true\npredict = {b}\ntolerance = 0.0\nwhy = \"the share that raised\"\n"),
                None => t,
            }
        })
    };
    // Skipping without a bound on the share skipped is refused: it could hide behind a PASS.
    skipping("unbounded", None);
    let r = scb(&["check", "unbounded.toml", "--quick", "--out", "out"], d, &[]);
    assert_eq!(r.status.code(), Some(2), "{}", text(&r));
    assert!(text(&r).contains("python.on_error") && text(&r).contains("quantity = \"failed\""), "{}", text(&r));
    // A quarter of the trials at n = 8 raise: a bound of 10% fails, and the verdict says so.
    skipping("strict", Some(0.1));
    let r = scb(&["check", "strict.toml", "--quick", "--out", "out"], d, &[]);
    assert_eq!(r.status.code(), Some(1), "{}", text(&r));
    assert!(text(&r).contains("strict: FAIL") && text(&r).lines().any(|l| l.contains("failed (each point)") && l.contains("fails")), "{}", text(&r));
    skipping("skipping", Some(0.5));
    let r = scb(&["check", "skipping.toml", "--quick", "--out", "out"], d, &[]);
    assert!(r.status.code().is_some_and(|c| c <= 1), "{}", text(&r));
    assert!(text(&r).lines().any(|l| l.contains("failed (each point)") && l.contains("holds")), "{}", text(&r));
    let records = std::fs::read_to_string(d.join("out/skipping/trials.jsonl")).unwrap();
    let raised = records.lines().filter(|l| l.contains("\"raised\":\"Traceback") && l.contains("RuntimeError: dropped")).count();
    assert!(raised > 50 && raised < 200, "{raised} raised trials recorded");
    let result: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(d.join("out/skipping/result.json")).unwrap()).unwrap();
    let failed = result["quantities"]["failed@n=8"]["value"].as_f64().unwrap();
    assert!((failed - raised as f64 / 400.0).abs() < 1e-12, "failed@n=8 = {failed}, records say {raised}/400");
    assert_eq!(result["quantities"]["failed@n=32"]["value"].as_f64(), Some(0.0));
}

#[test]
fn records_are_bit_identical_for_one_or_two_workers_and_an_edited_module_re_simulates() {
    let dir = project();
    let d = dir.path();
    for t in ["1", "2"] {
        let r = scb(&["check", "coupon.toml", "--quick", "--out", &format!("t{t}")], d, &[("RAYON_NUM_THREADS", t)]);
        assert!(r.status.success(), "{}", text(&r));
    }
    assert_eq!(sorted_lines(&d.join("t1/coupon/trials.jsonl")), sorted_lines(&d.join("t2/coupon/trials.jsonl")));
    for f in ["result.json", "quantities.csv", "coupon.svg"] {
        assert_eq!(std::fs::read(d.join("t1/coupon").join(f)).unwrap(), std::fs::read(d.join("t2/coupon").join(f)).unwrap(), "{f}");
    }
    // Unchanged code re-judges, also from another working folder (the module is found beside
    // the spec, for the run and for the result already there); changed code is another
    // configuration and is not mixed in.
    std::fs::create_dir(d.join("elsewhere")).unwrap();
    let r = scb(&["check", "../coupon.toml", "--quick", "--out", "../t1"], &d.join("elsewhere"), &[]);
    assert!(text(&r).contains("0 simulated, 1200 reused"), "{}", text(&r));
    let module = d.join("coupon.py");
    let code = std::fs::read_to_string(&module).unwrap();
    std::fs::write(&module, code.replace("k += 1", "k += 2")).unwrap();
    let r = scb(&["check", "coupon.toml", "--quick", "--out", "t1"], d, &[]);
    assert!(text(&r).contains("1200 records from another configuration ignored") && text(&r).contains("1200 simulated, 0 reused"), "{}", text(&r));
    // Two draws counted per draw: the level check sees it.
    assert_eq!(r.status.code(), Some(1), "{}", text(&r));
}

#[test]
fn a_killed_run_resumes_without_losing_or_repeating_a_trial() {
    let dir = project();
    let d = dir.path();
    std::fs::write(
        d.join("slow.py"),
        "import time\nfrom coupon import draws\n\ndef trial(point, seed):\n    time.sleep(0.01)\n    return draws(point, seed)\n",
    )
    .unwrap();
    variant(d, "slow", |t| t.replace("coupon:draws", "slow:trial"));
    let records = d.join("out/slow/trials.jsonl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_scb"))
        .args(["check", "slow.toml", "--quick", "--out", "out"])
        .current_dir(d)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while std::fs::read_to_string(&records).map_or(0, |s| s.lines().count()) < 50 {
        assert!(start.elapsed().as_secs() < 120, "no records after two minutes");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let kept = std::fs::read_to_string(&records).unwrap().lines().count();
    assert!(kept < 1200, "the run finished before it was killed");
    let r = scb(&["check", "slow.toml", "--quick", "--out", "out"], d, &[]);
    assert!(r.status.success(), "{}", text(&r));
    assert!(text(&r).contains(&format!("{} simulated, {kept} reused", 1200 - kept)), "{}", text(&r));
    let r = scb(&["check", "slow.toml", "--quick", "--out", "clean"], d, &[]);
    assert!(r.status.success(), "{}", text(&r));
    assert_eq!(sorted_lines(&records), sorted_lines(&d.join("clean/slow/trials.jsonl")));
}

#[test]
fn a_spec_that_names_no_axis_or_a_bad_function_is_refused_in_one_line() {
    let dir = project();
    let d = dir.path();
    for (id, edit, says) in [
        ("badfn", ("coupon:draws", "coupon"), "python.function: must be \"module:function\""),
        ("badaxis", ("quantity = \"residual_n\"", "quantity = \"residual_x\""), "check[1].quantity: residual_x: \"x\" is not an axis of the grid (it has n)"),
        ("badsym", ("bound = \"n * (", "bound = \"N * ("), "python.bound: uses \"N\", which is not an axis (the bound may use n)"),
        (
            "badcol",
            ("\n[grid]", "symbols = { n = \"value\" }\n\n[grid]"),
            "python.symbols.n: the symbol \"value\" is taken by quantities.csv's own column of that name; choose another symbol",
        ),
    ] {
        variant(d, id, |t| t.replace(edit.0, edit.1));
        let r = scb(&["check", &format!("{id}.toml"), "--quick", "--out", "out"], d, &[]);
        assert_eq!(r.status.code(), Some(2), "{id}: {}", text(&r));
        let err = text(&r);
        assert!(err.contains(says) && err.lines().count() == 1, "{id}: {err}");
        assert!(!d.join("out").join(id).exists(), "{id}: a refused spec wrote files");
    }
}

/// A trial that never returns is stopped at the spec's timeout, and the error names it.
#[test]
fn a_trial_that_hangs_is_stopped_at_its_timeout_naming_the_trial() {
    let dir = project();
    let d = dir.path();
    std::fs::write(d.join("hang.py"), "def trial(point, seed):\n    while True:\n        pass\n").unwrap();
    variant(d, "hang", |t| t.replace("coupon:draws", "hang:trial").replace("measure = \"draws\"", "measure = \"draws\"\ntimeout = 0.5"));
    let r = scb(&["check", "hang.toml", "--quick", "--out", "out"], d, &[]);
    assert_eq!(r.status.code(), Some(6), "{}", text(&r));
    let err = text(&r);
    assert!(err.contains("error: trial hang:trial at n=") && err.contains("(seed ") && err.contains("ran longer than its timeout of 0.5 s"), "{err}");
    variant(d, "no_time", |t| t.replace("measure = \"draws\"", "measure = \"draws\"\ntimeout = 0"));
    let r = scb(&["check", "no_time.toml", "--quick", "--out", "out"], d, &[]);
    assert_eq!(r.status.code(), Some(2), "{}", text(&r));
    assert!(text(&r).contains("python.timeout") && text(&r).contains("(0, 86400]"), "{}", text(&r));
}

/// A trial that reads stdin reads an empty file: it cannot swallow the protocol or wait on it.
#[test]
fn a_trial_that_reads_stdin_reads_nothing_and_the_run_goes_on() {
    let dir = project();
    let d = dir.path();
    std::fs::write(
        d.join("reads.py"),
        "import sys\nfrom coupon import draws\n\ndef trial(point, seed):\n    assert sys.stdin.read() == ''\n    return draws(point, seed)\n",
    )
    .unwrap();
    variant(d, "reads", |t| t.replace("coupon:draws", "reads:trial"));
    let r = scb(&["check", "reads.toml", "--quick", "--out", "out"], d, &[]);
    assert!(r.status.success(), "{}", text(&r));
}

/// Workers end with the run that started them, even when it is killed outright: a trial's
/// worker, and the interpreter that computes a `bound_function` while the spec is read.
#[test]
fn workers_die_with_a_killed_run() {
    let dir = project();
    let d = dir.path();
    let marker = d.join("pids");
    std::fs::create_dir(&marker).unwrap();
    let spin = format!("    open(os.path.join({:?}, str(os.getpid())), 'w').close()\n    while True:\n        pass\n", marker.display().to_string());
    std::fs::write(d.join("spin.py"), format!("import os\n\ndef trial(point, seed):\n{spin}\ndef bound(point):\n{spin}")).unwrap();
    variant(d, "spin", |t| t.replace("coupon:draws", "spin:trial"));
    variant(d, "spin_bound", |t| t.replace(formula_line(), "bound_function = \"spin:bound\""));
    let pids = || -> Vec<u32> { std::fs::read_dir(&marker).unwrap().flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()).collect() };
    let alive =
        |pid: u32| Path::new(&format!("/proc/{pid}")).exists() && !std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default().contains(") Z ");
    for spec in ["spin.toml", "spin_bound.toml"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_scb")).args(["check", spec, "--quick", "--out", "out"]).current_dir(d).spawn().unwrap();
        while !pids().into_iter().any(alive) {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        child.kill().unwrap(); // SIGKILL: no handler runs.
        child.wait().unwrap();
        // The workers notice within their watchdog's period (0.5 s). The bound below is not
        // a speed check: it turns an orphan, which would spin forever, into a failure.
        let gone = (0..1200).any(|_| {
            let any = pids().into_iter().any(alive);
            if any {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            !any
        });
        if !gone {
            let orphans: Vec<u32> = pids().into_iter().filter(|p| alive(*p)).collect();
            orphans.iter().for_each(|p| drop(Command::new("kill").args(["-9", &p.to_string()]).status()));
            panic!("{spec}: workers {orphans:?} outlived their killed run by two minutes");
        }
    }
}

/// A bound with no closed form, computed by a Python function of the point: n H_n summed
/// exactly, judged as a formula is. A function that raises or returns no number, or a spec
/// that gives the bound twice, is refused in one line naming the field (and the point).
#[test]
fn a_bound_computed_by_a_python_function_is_judged_as_a_formula_is() {
    let dir = project();
    let d = dir.path();
    std::fs::write(
        d.join("exact.py"),
        "def coupon(point):\n    print('printed, not an answer')\n    n = point['n']\n    return n * sum(1.0 / k for k in range(1, n + 1))\n\n\
         def broken(point):\n    if point['n'] > 8:\n        raise ValueError('no bound here')\n    return 1.0\n\n\
         def words(point):\n    return 'many'\n",
    )
    .unwrap();
    variant(d, "coupon_exact", |t| t.replace(formula_line(), "bound_function = \"exact:coupon\""));
    let r = scb(&["check", "coupon_exact.toml", "--quick", "--out", "out"], d, &[]);
    assert!(r.status.success(), "{}", text(&r));
    let result: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(d.join("out/coupon_exact/result.json")).unwrap()).unwrap();
    for n in [8u32, 32, 128] {
        let exact: f64 = f64::from(n) * (1..=n).map(|k| 1.0 / f64::from(k)).sum::<f64>();
        let got = result["quantities"][format!("bound@n={n}")]["value"].as_f64().unwrap();
        assert!((got - exact).abs() <= 1e-12 * exact, "n={n}: {got} against {exact}");
    }
    // The same trials as the formula's spec (the bound is not part of a trial), so the
    // same means; only the bound moved, by at most 1e-4 relative.
    let r = scb(&["check", "coupon.toml", "--quick", "--out", "out"], d, &[]);
    assert!(r.status.code().is_some_and(|c| c <= 1), "{}", text(&r));
    let formula: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(d.join("out/coupon/result.json")).unwrap()).unwrap();
    assert_eq!(formula["quantities"]["mean@n=32"], result["quantities"]["mean@n=32"]);
    for (id, function, says) in [
        ("coupon_broken", "exact:broken", "raised at {\"n\":16} ValueError: no bound here"),
        ("coupon_words", "exact:words", "returned 'many' (a str), not a finite number"),
        ("coupon_missing", "exact:absent", "raised AttributeError"),
    ] {
        variant(d, id, |t| t.replace(formula_line(), &format!("bound_function = \"{function}\"")));
        let r = scb(&["check", &format!("{id}.toml"), "--quick", "--out", "out"], d, &[]);
        assert_eq!(r.status.code(), Some(2), "{id}: {}", text(&r));
        assert!(text(&r).contains("python.bound_function") && text(&r).contains(says), "{id}: {}", text(&r));
        assert!(!d.join("out").join(id).join("result.json").exists());
    }
    variant(d, "coupon_twice", |t| t.replace(formula_line(), &format!("{}\nbound_function = \"exact:coupon\"", formula_line())));
    let r = scb(&["check", "coupon_twice.toml", "--quick", "--out", "out"], d, &[]);
    assert_eq!(r.status.code(), Some(2), "{}", text(&r));
    assert!(text(&r).contains("python.bound_function") && text(&r).contains("keep one"), "{}", text(&r));
}

fn formula_line() -> &'static str {
    "bound = \"n * (ln(n) + 0.5772156649 + 1 / (2 * n) - 1 / (12 * n^2))\""
}

/// A law whose exponent depends on another axis, y = T^-(1 - 1/a), measured without noise:
/// the slope along T within each line of the grid is the law's exponent at that a, to
/// rounding, and one pooled slope is their average. A check of it at every line holds for
/// the right formula and fails, naming the line, for a constant exponent.
#[test]
fn slopes_along_an_axis_are_measured_within_each_line_of_the_grid() {
    let dir = project();
    let d = dir.path();
    std::fs::write(d.join("line.py"), "def trial(point, seed):\n    return {'y': point['T'] ** -(1 - 1 / point['a'])}\n").unwrap();
    let spec = |id: &str, predict: &str| {
        format!(
            "id = \"{id}\"\nclaim = \"python\"\nstatement = \"y = T^-(1 - 1/a)\"\nseed = 1\ntrials = 4\nfixed_task = true\n\
             [python]\nfunction = \"line:trial\"\nmeasure = \"y\"\nbound = \"1\"\n[grid]\na = [1.5, 3]\nT = [10, 100, 1000]\n\
             [[check]]\nquantity = \"exponent_T\"\neach_point = true\nwhere = {{ T = [10] }}\nkind = \"equal\"\npredict = \"{predict}\"\ntolerance = 1e-9\n"
        )
    };
    std::fs::write(d.join("line.toml"), spec("line", "-(1 - 1/a)")).unwrap();
    std::fs::write(d.join("line_flat.toml"), spec("line_flat", "-0.5")).unwrap();
    let r = scb(&["check", "line.toml", "--out", "out"], d, &[]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r));
    let result: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(d.join("out/line/result.json")).unwrap()).unwrap();
    let q = result["quantities"].as_object().unwrap();
    let at = |name: &str, a: &str, t: &str| -> f64 {
        let found: Vec<f64> = q
            .iter()
            .filter(|(k, _)| k.split_once('@').is_some_and(|(n, key)| n == name && key.split(',').any(|c| c == a) && key.split(',').any(|c| c == t)))
            .map(|(_, v)| v["value"].as_f64().unwrap())
            .collect();
        assert_eq!(found.len(), 1, "{name} at {a}, {t}: {found:?}");
        found[0]
    };
    for t in ["T=10", "T=100", "T=1000"] {
        assert!((at("exponent_T", "a=1.5", t) + 1.0 / 3.0).abs() < 1e-12);
        assert!((at("exponent_T", "a=3", t) + 2.0 / 3.0).abs() < 1e-12);
        assert!(at("residual_T", "a=3", t).is_finite());
    }
    assert!((q["exponent_T"]["value"].as_f64().unwrap() + 0.5).abs() < 1e-12, "the pooled slope averages the lines");
    let r = scb(&["check", "line_flat.toml", "--out", "out"], d, &[]);
    assert_eq!(r.status.code(), Some(1), "{}", text(&r));
    assert!(text(&r).contains("fails at 2 of 2 points"), "{}", text(&r));
}
