//! Figures are checked for what a reader would notice: text cut off at the canvas edge,
//! and text drawn over other text. Text boxes are estimated from plotters' SVG output
//! (position, anchor, font size, rotation) at 0.6 em per character, a generous width
//! for sans-serif. The PNG renders were also inspected by eye (docs/training.md, "Figures for papers and slides").
//! Every committed result is also redrawn from its records in every style: the screen
//! redraw must give back the committed files byte for byte, and the PDF and PNG must be what
//! a reader's tools read.

use std::path::{Path, PathBuf};
use std::process::Command;

/// What a run printed: its findings (stdout) then its notes and errors (stderr).
fn console(o: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[derive(Debug)]
struct Box {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
    text: String,
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    Some(tag[start..].split('"').next()?.to_string())
}

fn text_boxes(svg: &str) -> (f64, f64, Vec<Box>) {
    let head = &svg[..svg.find('>').unwrap()];
    // The canvas in the units text is placed in: the viewBox (width and height may be
    // physical, "3.2500in").
    let view: Vec<f64> = attr(head, "viewBox").unwrap().split(' ').map(|v| v.parse().unwrap()).collect();
    let (w, h) = (view[2], view[3]);
    let mut boxes = Vec::new();
    for part in svg.split("<text").skip(1) {
        let tag = &part[..part.find('>').unwrap()];
        let body = part[part.find('>').unwrap() + 1..part.find("</text>").unwrap()].trim();
        let text = body.replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&").replace("&quot;", "\"");
        if text.is_empty() {
            continue;
        }
        let num = |n: &str| attr(tag, n).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        let (x, y, size) = (num("x"), num("y"), num("font-size"));
        let len = 0.6 * size * text.chars().count() as f64;
        let (a0, a1) = match attr(tag, "text-anchor").as_deref() {
            Some("middle") => (-len / 2.0, len / 2.0),
            Some("end") => (-len, 0.0),
            _ => (0.0, len),
        };
        // dy shifts the baseline: 0.76em puts the text below y, -0.5ex above, 0.5ex centred.
        let (b0, b1) = match attr(tag, "dy").as_deref() {
            Some("0.76em") => (0.0, size),
            Some("-0.5ex") => (-size, 0.0),
            _ => (-size / 2.0, size / 2.0),
        };
        let rotated = tag.contains("rotate(270");
        let (x0, x1, y0, y1) = if rotated { (x + b0, x + b1, y - a1, y - a0) } else { (x + a0, x + a1, y + b0, y + b1) };
        boxes.push(Box { x0, y0, x1, y1, text });
    }
    (w, h, boxes)
}

fn check_svg(path: &Path) -> Vec<String> {
    let svg = std::fs::read_to_string(path).unwrap();
    let (w, h, boxes) = text_boxes(&svg);
    let mut problems = Vec::new();
    for b in &boxes {
        if b.x0 < -0.5 || b.y0 < -0.5 || b.x1 > w + 0.5 || b.y1 > h + 0.5 {
            problems.push(format!("{}: {:?} is cut off ({w} x {h})", path.display(), b.text));
        }
    }
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            // One pixel of slack on each side: touching is fine, overlapping is not.
            let dx = a.x1.min(b.x1) - a.x0.max(b.x0);
            let dy = a.y1.min(b.y1) - a.y0.max(b.y0);
            if dx > 1.0 && dy > 1.0 {
                problems.push(format!("{}: {:?} overlaps {:?}", path.display(), a.text, b.text));
            }
        }
    }
    problems
}

fn svgs(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(svgs(&p));
        } else if p.extension().is_some_and(|x| x == "svg") {
            out.push(p);
        }
    }
    out
}

#[test]
fn the_checker_sees_a_cut_off_and_an_overlap() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.svg");
    std::fs::write(
        &p,
        "<svg width=\"1in\" height=\"0.5in\" viewBox=\"0 0 100 50\">\n\
         <text x=\"90\" y=\"10\" dy=\"0.76em\" text-anchor=\"start\" font-size=\"12\">cut off here</text>\n\
         <text x=\"5\" y=\"30\" dy=\"0.76em\" text-anchor=\"start\" font-size=\"10\">one</text>\n\
         <text x=\"8\" y=\"32\" dy=\"0.76em\" text-anchor=\"start\" font-size=\"10\">two</text>\n</svg>",
    )
    .unwrap();
    let found = check_svg(&p);
    assert!(found.iter().any(|s| s.contains("cut off")) && found.iter().any(|s| s.contains("overlaps")), "{found:?}");
}

#[test]
fn committed_report_figures_have_no_cut_off_or_overlapping_text() {
    let reports = Path::new(env!("CARGO_MANIFEST_DIR")).join("reports");
    let files = svgs(&reports);
    assert!(files.len() >= 8, "expected the committed figures, found {files:?}");
    let problems: Vec<String> = files.iter().flat_map(|p| check_svg(p)).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn freshly_drawn_figures_have_no_cut_off_or_overlapping_text() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_scb");
    let out = |name: &str| dir.path().join(name).display().to_string();
    let runs: Vec<Vec<String>> = vec![
        vec!["train".into(), "--n".into(), "8".into(), "--t".into(), "16".into(), "--samples".into(), "40000".into(), "--out".into(), out("train")],
        vec![
            "figure".into(),
            "prox-vs-sgd".into(),
            "--n".into(),
            "8".into(),
            "--t".into(),
            "16".into(),
            "--samples".into(),
            "40000".into(),
            "--lrs".into(),
            "1,100".into(),
            "--out".into(),
            out("pvs"),
        ],
        vec![
            "figure".into(),
            "attention".into(),
            "--n".into(),
            "32".into(),
            "--t".into(),
            "64".into(),
            "--samples".into(),
            "40960".into(),
            "--out".into(),
            out("att"),
        ],
    ];
    for args in runs {
        let r = Command::new(bin).args(&args).output().unwrap();
        assert!(r.status.success(), "{args:?}: {}", console(&r));
    }
    let files = svgs(dir.path());
    assert_eq!(files.len(), 5);
    let problems: Vec<String> = files.iter().flat_map(|p| check_svg(p)).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The folders of the committed full-grid results.
fn committed_results() -> Vec<PathBuf> {
    let reports = Path::new(env!("CARGO_MANIFEST_DIR")).join("reports");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&reports).unwrap().map(|e| e.unwrap().path()).filter(|p| p.join("result.json").is_file()).collect();
    dirs.sort();
    assert!(dirs.len() >= 16, "expected the committed results, found {dirs:?}");
    dirs
}

fn redraw(dir: &Path, out: &Path, args: &[&str]) {
    let r = Command::new(env!("CARGO_BIN_EXE_scb")).arg("figure").arg(dir).arg("--out").arg(out).args(args).output().unwrap();
    assert!(r.status.success(), "{}: {}", dir.display(), console(&r));
}

#[test]
fn every_committed_figure_redraws_from_its_records_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    for dir in committed_results() {
        let id = dir.file_name().unwrap().to_str().unwrap().to_string();
        let out = tmp.path().join(&id);
        redraw(&dir, &out, &[]);
        let mut names: Vec<String> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        for ext in ["svg", "pdf", "png", "csv"] {
            assert!(names.iter().any(|n| n.ends_with(&format!(".{ext}"))), "{id}: no .{ext} among {names:?}");
        }
        for n in &names {
            let committed = std::fs::read(dir.join(n)).unwrap_or_else(|e| panic!("{id}: the run wrote no {n} ({e})"));
            assert!(std::fs::read(out.join(n)).unwrap() == committed, "{id}/{n}: the redraw differs from the committed file");
        }
    }
}

#[test]
fn every_style_draws_every_committed_result_without_cut_off_or_overlapping_text() {
    let tmp = tempfile::tempdir().unwrap();
    for style in ["screen", "paper", "paper-wide", "slides"] {
        for dir in committed_results() {
            let out = tmp.path().join(style).join(dir.file_name().unwrap());
            redraw(&dir, &out, &["--style", style, "--format", "svg"]);
        }
    }
    let files = svgs(tmp.path());
    assert_eq!(files.len(), 4 * committed_results().len());
    let problems: Vec<String> = files.iter().flat_map(|p| check_svg(p)).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_paper_pdf_is_a_column_wide_with_its_font_embedded_and_the_png_has_that_size_at_300_dpi() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("reports/stage_one");
    redraw(&dir, tmp.path(), &["--style", "paper", "--format", "pdf,png"]);
    assert!(!tmp.path().join("stage_one.svg").exists(), "only the formats asked for");

    let doc = lopdf::Document::load(tmp.path().join("stage_one.pdf")).unwrap();
    let pages = doc.get_pages();
    assert_eq!(pages.len(), 1);
    let page = doc.get_dictionary(*pages.values().next().unwrap()).unwrap();
    let media: Vec<f64> = page
        .get(b"MediaBox")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_float().map(f64::from).or_else(|_| v.as_i64().map(|i| i as f64)).unwrap())
        .collect();
    assert!((media[2] - media[0] - 3.25 * 72.0).abs() < 0.5, "page width {} pt, not 3.25 in", media[2] - media[0]);
    let embedded = doc.objects.values().filter_map(|o| o.as_dict().ok()).filter(|d| d.has(b"FontFile2") || d.has(b"FontFile3")).count();
    assert!(embedded >= 1, "no embedded font program in the PDF");
    let named = doc
        .objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .filter_map(|d| d.get(b"BaseFont").ok()?.as_name().ok().map(|n| String::from_utf8_lossy(n).to_string()))
        .any(|n| n.contains("DejaVuSans"));
    assert!(named, "the bundled font is not the one used");

    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(tmp.path().join("stage_one.png")).unwrap()));
    let reader = decoder.read_info().unwrap();
    assert_eq!(reader.info().width, 975, "3.25 in at 300 dpi");
}

/// The rows of a committed CSV as maps from column name to text.
fn csv_rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let head: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records().map(|row| head.iter().cloned().zip(row.unwrap().iter().map(String::from)).collect()).collect()
}

#[test]
fn stage_one_plots_each_point_at_the_mean_n1_of_its_tasks() {
    // The figure once placed a point at its first task's n1 while its height was a mean over
    // tasks; the x must be the mean too, which the result holds as n1@point.
    for dir in ["reports/stage_one", "reports/quick/stage_one"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let q = csv_rows(&dir.join("quantities.csv"));
        // quantities.csv is tidy: the point is a column of its own, never parsed out of a key.
        let get = |name: &str, point: &str| {
            q.iter()
                .find(|r| r["quantity"] == name && r["point"] == point)
                .map(|r| (r["value"].parse::<f64>().unwrap(), r["lo"].parse::<f64>().unwrap(), r["hi"].parse::<f64>().unwrap()))
        };
        let panel = csv_rows(&dir.join("stage_one-panel1.csv"));
        let (xc, yc) = {
            let cols: Vec<&String> = panel[0].keys().filter(|k| k.starts_with("measured")).collect();
            (cols.iter().find(|k| k.ends_with("_x")).unwrap().to_string(), cols.iter().find(|k| k.ends_with("_y")).unwrap().to_string())
        };
        let points: Vec<(f64, f64)> =
            panel.iter().filter(|r| !r[&xc].is_empty() && r[&xc] != "nan").map(|r| (r[&xc].parse().unwrap(), r[&yc].parse().unwrap())).collect();
        assert!(points.len() >= 4, "{}: {points:?}", dir.display());
        for (x, y) in points {
            let row = q.iter().find(|r| r["quantity"] == "n_hat" && r["value"].parse::<f64>().unwrap() == y).expect("the point's n_hat");
            let key = &row["point"];
            assert_eq!(key, &format!("N={},T={},Q={}", row["N"], row["T"], row["Q"]), "the coordinate columns are the point's");
            let (n1, lo, hi) = get("n1", key).unwrap_or_else(|| panic!("{}: no n1@{key}", dir.display()));
            assert!((x - n1).abs() <= 1e-12 * n1, "{}: the point {key} sits at n1 = {x}, its tasks' mean is {n1}", dir.display());
            assert!(lo < hi, "{}: n1@{key} does not vary over tasks ({lo}, {hi}): not a mean over drawn tasks", dir.display());
        }
    }
}

#[test]
fn every_committed_example_redraws_from_its_records_from_any_folder() {
    // The Python examples included: run from a folder that has neither their spec nor their
    // module, a redraw reads the records of the configuration run.json names.
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("reports/examples");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&examples).unwrap().map(|e| e.unwrap().path()).filter(|p| p.join("result.json").is_file()).collect();
    dirs.sort();
    assert!(dirs.iter().any(|d| d.ends_with("coupon")), "{dirs:?}");
    let tmp = tempfile::tempdir().unwrap();
    for dir in dirs {
        let id = dir.file_name().unwrap().to_str().unwrap().to_string();
        let out = tmp.path().join(&id);
        let r = Command::new(env!("CARGO_BIN_EXE_scb")).arg("figure").arg(&dir).arg("--out").arg(&out).current_dir(tmp.path()).output().unwrap();
        assert!(r.status.success(), "{id}: {}", String::from_utf8_lossy(&r.stderr));
        for e in std::fs::read_dir(&out).unwrap() {
            let n = e.unwrap().file_name();
            let committed = std::fs::read(dir.join(&n)).unwrap_or_else(|e| panic!("{id}: no committed {n:?} ({e})"));
            assert!(std::fs::read(out.join(&n)).unwrap() == committed, "{id}/{n:?}: the redraw differs from the committed file");
        }
    }
}
