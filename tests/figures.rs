//! Figures are checked for what a reader would notice: text cut off at the canvas edge,
//! and text drawn over other text. Text boxes are estimated from plotters' SVG output
//! (position, anchor, font size, rotation) at 0.6 em per character, a generous width
//! for sans-serif. The PNG renders were also inspected by eye (README, "Figures").

use std::path::{Path, PathBuf};
use std::process::Command;

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
    let (w, h) = (attr(head, "width").unwrap().parse().unwrap(), attr(head, "height").unwrap().parse().unwrap());
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
        "<svg width=\"100\" height=\"50\" viewBox=\"0 0 100 50\">\n\
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
        assert!(r.status.success(), "{args:?}: {}", String::from_utf8_lossy(&r.stderr));
    }
    let files = svgs(dir.path());
    assert_eq!(files.len(), 5);
    let problems: Vec<String> = files.iter().flat_map(|p| check_svg(p)).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
