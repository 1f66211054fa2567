//! A result folder downloaded from someone else is data: it cannot make scb write outside
//! the folder it is told to, put markup into the summary page, or pass edited records off as
//! trials, and redrawing its figure runs no code it brings. And the console cannot make a run
//! fail: a closed pipe is not an error.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// What a run printed: its findings (stdout) then its notes and errors (stderr).
fn console(o: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn scb(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scb")).args(args).output().unwrap()
}

/// A spec whose trials are draws of known law: a run takes a fraction of a second.
fn known_spec() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("theorems/known/known_normal_g4.toml")
}

/// A checked result folder, `<root>/reports/known_normal_g4`.
fn checked(root: &Path) -> PathBuf {
    let out = root.join("reports");
    let o = scb(&["check", known_spec().to_str().unwrap(), "--quick", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", console(&o));
    out.join("known_normal_g4")
}

/// Copies a result folder to `to`, with its id (and its spec's) set to `id`.
fn forged(from: &Path, to: &Path, id: &str) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        if e.path().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
    let path = to.join("result.json");
    let mut r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    r["id"] = id.into();
    r["spec"]["id"] = id.into();
    std::fs::write(&path, serde_json::to_string(&r).unwrap()).unwrap();
}

#[test]
fn a_result_id_that_is_a_path_cannot_place_a_figure_outside_the_out_folder() {
    let dir = tempfile::tempdir().unwrap();
    let good = checked(dir.path());
    let paper = dir.path().join("paper");
    std::fs::create_dir_all(&paper).unwrap();
    std::fs::write(paper.join("fig1.svg"), "mine").unwrap();
    let figures = dir.path().join("figures");
    for id in ["../../paper/fig1".to_string(), paper.join("fig1").display().to_string()] {
        let foreign = dir.path().join("downloaded");
        forged(&good, &foreign, &id);
        let o = scb(&["figure", foreign.to_str().unwrap(), "--out", figures.to_str().unwrap(), "--format", "svg"]);
        let err = console(&o);
        assert_eq!(o.status.code(), Some(2), "{id}: {err}");
        assert!(err.contains("id") && err.contains("a-z, 0-9 and _"), "{id}: {err}");
        assert_eq!(std::fs::read_to_string(paper.join("fig1.svg")).unwrap(), "mine", "{id}");
        assert!(!paper.join("fig1.pdf").exists() && !paper.join("fig1-panel1.csv").exists(), "{id}");
    }
    // The same folder with its own id redraws.
    let o = scb(&["figure", good.to_str().unwrap(), "--out", figures.to_str().unwrap(), "--format", "svg"]);
    assert_eq!(o.status.code(), Some(0), "{}", console(&o));
    assert!(figures.join("known_normal_g4.svg").is_file());
}

#[test]
fn a_foreign_result_in_the_out_folder_puts_no_markup_in_the_summary_page() {
    let dir = tempfile::tempdir().unwrap();
    let good = checked(dir.path());
    let out = good.parent().unwrap();
    forged(&good, &out.join("x"), "x<img src=x onerror=alert(1)>");
    // A well-named result whose words carry markup is shown, escaped.
    forged(&good, &out.join("words"), "words");
    let path = out.join("words/result.json");
    let mut r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    r["statement"] = "<script>alert('statement')</script>".into();
    r["outcome"] = "<img src=y onerror=alert(2)>".into();
    std::fs::write(&path, serde_json::to_string(&r).unwrap()).unwrap();
    let o = scb(&["check", known_spec().to_str().unwrap(), "--quick", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", console(&o));
    let err = console(&o);
    assert!(err.contains("left out of index.html"), "{err}");
    let page = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(page.contains("id=\"words\"") && page.contains("&lt;script&gt;alert(&#39;statement&#39;)"), "the well-named result is shown, escaped");
    for raw in ["<img src=x", "<img src=y", "<script"] {
        assert!(!page.contains(raw), "{raw} reached index.html");
    }
}

/// Every number in `v`, times 3.
fn triple(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Number(n) => *v = (n.as_f64().unwrap() * 3.0).into(),
        serde_json::Value::Array(a) => a.iter_mut().for_each(triple),
        serde_json::Value::Object(o) => o.values_mut().for_each(triple),
        _ => {}
    }
}

#[test]
fn an_edited_record_is_rerun_not_reused() {
    let dir = tempfile::tempdir().unwrap();
    let good = checked(dir.path());
    let out = good.parent().unwrap().to_str().unwrap().to_string();
    let records = good.join("trials.jsonl");
    let before = std::fs::read(good.join("result.json")).unwrap();
    // Triple every number in half of the records, keeping each line valid JSON.
    let text = std::fs::read_to_string(&records).unwrap();
    let mut edited = String::new();
    for (i, line) in text.lines().enumerate() {
        let mut r: serde_json::Value = serde_json::from_str(line).unwrap();
        if i % 2 == 0 {
            triple(&mut r["result"]);
        }
        edited += &(serde_json::to_string(&r).unwrap() + "\n");
    }
    std::fs::write(&records, edited).unwrap();
    let o = scb(&["check", known_spec().to_str().unwrap(), "--quick", "--out", &out]);
    let err = console(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("checksum") && err.contains("rerun"), "the edit is reported: {err}");
    assert!(err.contains(&format!("{} trials simulated", text.lines().count() / 2)), "{err}");
    assert_eq!(std::fs::read(good.join("result.json")).unwrap(), before, "the estimate is the untouched run's");
}

#[test]
fn a_baseline_that_does_not_exist_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-baseline");
    let o =
        scb(&["check", known_spec().to_str().unwrap(), "--quick", "--out", dir.path().join("r").to_str().unwrap(), "--baseline", missing.to_str().unwrap()]);
    let err = console(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("--baseline") && err.contains("no-such-baseline"), "{err}");
    assert!(!dir.path().join("r").exists(), "nothing is run or written");
}

#[test]
fn a_reader_that_goes_away_does_not_stop_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports");
    let mut child = Command::new(env!("CARGO_BIN_EXE_scb"))
        .args(["check", known_spec().to_str().unwrap(), "--quick", "--out", out.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // As `scb check ... 2>&1 | head -0` would: the reader closes before anything is written.
    drop(child.stdout.take());
    drop(child.stderr.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(out.join("index.html").is_file() && out.join("known_normal_g4/result.json").is_file());
}

#[test]
fn redrawing_a_result_runs_no_module_found_beside_it() {
    // The associative-memory result's spec names a Python bound_function; a module of that
    // name planted in a downloaded copy of the folder must not be imported by a redraw,
    // which takes the bound's values from result.json instead.
    let root = tempfile::tempdir().unwrap();
    let folder = root.path().join("assoc_memory");
    forged(&Path::new(env!("CARGO_MANIFEST_DIR")).join("reports/assoc_memory"), &folder, "assoc_memory");
    std::fs::write(folder.join("assoc_memory.py"), "import pathlib\npathlib.Path(__file__).with_name('RAN').write_text('ran')\n").unwrap();
    let out = root.path().join("out");
    let o = scb(&["figure", folder.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", console(&o));
    assert!(!folder.join("RAN").exists(), "the planted module ran");
    let svg = std::fs::read_to_string(out.join("assoc_memory.svg")).unwrap();
    assert_eq!(svg, std::fs::read_to_string(folder.join("assoc_memory.svg")).unwrap(), "the redraw is the committed figure");
}
