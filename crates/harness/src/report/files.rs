//! A checked claim's folder: `result.json`, `quantities.csv`, its figure (`<id>.svg`,
//! `.pdf`, `.png`) and the figure's data (`<id>-panel<k>.csv`), staged and moved into place
//! together, so a folder never holds a half-written result.

use super::dir::ReportDir;
use super::figure::{render, Panel};
use super::style::{FigureOptions, Format, Theme};
use crate::claims::Key;
use crate::error::Result;
use crate::io::Staged;
use crate::result::ClaimResult;
use std::path::Path;

/// Writes a judged spec's folder as one staged set: result, provenance, quantities, checks
/// and the figure; figures of formats or panels this run did not write are removed.
pub fn write_claim(dir: &Path, result: &ClaimResult, panels: &[Panel], run: &crate::result::RunInfo, figures: &FigureOptions) -> Result<()> {
    let mut staged = Staged::begin(dir)?;
    staged.json(ReportDir::RESULT, result)?;
    staged.json(ReportDir::RUN, run)?;
    staged.write(ReportDir::QUANTITIES, quantities_csv(result).as_bytes())?;
    staged.write(ReportDir::CHECKS, checks_csv(result).as_bytes())?;
    figure(&mut staged, result, panels, figures)?;
    staged.commit()?;
    // Figures of formats this run did not write, or of panels it no longer has, would
    // show an older result beside this one.
    let written = figure_names(&result.id, panels.len(), figures);
    for name in figure_files(dir, &result.id) {
        if !written.contains(&name) {
            let _ = std::fs::remove_file(dir.join(name));
        }
    }
    Ok(())
}

/// Writes a result's figure in each of `figures`' formats, and each panel's data, into
/// `staged`: the same bytes whether the panels come from a run or are redrawn from its
/// records.
pub fn figure(staged: &mut Staged, result: &ClaimResult, panels: &[Panel], figures: &FigureOptions) -> Result<()> {
    let svg = render(&result.title(), panels, figures.style())?;
    let theme = Theme::new(figures.style(), panels.len());
    for f in figures.formats() {
        let name = figure_name(&result.id, *f);
        match f {
            Format::Svg => staged.write(&name, svg.as_bytes())?,
            Format::Pdf => staged.write(&name, &super::export::pdf(&svg)?)?,
            Format::Png => staged.write(&name, &super::export::png(&svg, theme.png_dpi)?)?,
        }
    }
    for (k, p) in panels.iter().enumerate() {
        staged.write(&panel_csv_name(&result.id, k), panel_csv(p).as_bytes())?;
    }
    Ok(())
}

/// The file of panel k's data (from 0), for spec `id`.
pub fn panel_csv_name(id: &str, k: usize) -> String {
    format!("{id}-panel{}.csv", k + 1)
}

/// The figure files of `id` in `dir`: its figure in any format and its panels' data.
pub fn figure_files(dir: &Path, id: &str) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| Format::ALL.iter().any(|f| *n == figure_name(id, *f)) || (n.starts_with(&format!("{id}-panel")) && n.ends_with(".csv")))
        .collect();
    names.sort();
    names
}

fn figure_name(id: &str, format: Format) -> String {
    format!("{id}.{}", format.ext())
}

/// The files [`figure`] writes for a result with `panels` panels.
fn figure_names(id: &str, panels: usize, figures: &FigureOptions) -> Vec<String> {
    figures.formats().iter().map(|f| figure_name(id, *f)).chain((0..panels).map(|k| panel_csv_name(id, k))).collect()
}

/// Every quantity with its interval, one row each, tidy: the key's parts ([`Key`]) are
/// columns, so `pandas.read_csv` needs no parsing. `quantity`; `deviation`, the check whose
/// per-task deviation from its prediction the row is (else empty); `point`, the coordinates
/// as the key writes them; one column per coordinate symbol (the grid's axes in order, then
/// any cell's, such as `R`; empty where a row has no such coordinate); then the estimate.
pub fn quantities_csv(r: &ClaimResult) -> String {
    // Keys are built through `Key` and the runner refuses any that does not read back, so
    // the fallback (the whole string as the quantity) is for a result made some other way.
    let rows: Vec<Key> = r.quantities.keys().map(|k| Key::parse(k).unwrap_or_else(|| Key::new(k.as_str()))).collect();
    let mut symbols: Vec<&str> = r.points.first().map(|p| p.coords.iter().map(|c| c.symbol.as_str()).collect()).unwrap_or_default();
    for (s, _) in rows.iter().flat_map(|k| &k.coords) {
        if !symbols.contains(&s.as_str()) {
            symbols.push(s);
        }
    }
    let mut out: Vec<String> = vec!["quantity".into(), "deviation".into(), "point".into()];
    out.extend(symbols.iter().map(|s| csv_field(s)));
    out.extend(["value", "lo", "hi", "undefined"].map(String::from));
    let mut s = out.join(",") + "\n";
    for (key, e) in rows.iter().zip(r.quantities.values()) {
        let mut row = vec![csv_field(&key.quantity), key.check.map_or(String::new(), |c| c.to_string()), csv_field(&key.point())];
        row.extend(symbols.iter().map(|sym| key.coords.iter().find(|(s, _)| s == sym).map_or(String::new(), |(_, v)| csv_field(v))));
        row.extend([format!("{:e}", e.value), format!("{:e}", e.lo), format!("{:e}", e.hi), e.undefined.to_string()]);
        s += &(row.join(",") + "\n");
    }
    s
}

/// A CSV field, quoted (with its quotes doubled) when it holds a comma, a quote or a line
/// break, as RFC 4180 reads it.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Every check, one row each, with what it could detect beside its verdict: the member it
/// shows (the failing or farthest one), the resolution on each side (empty where that side
/// cannot make the claim false), the detection rate at the plant and whether it is weak.
pub fn checks_csv(r: &ClaimResult) -> String {
    let mut s =
        String::from("check,quantity,kind,each_point,predicted,tolerance,plant,value,lo,hi,verdict,resolution_up,resolution_down,power_at_plant,weak\n");
    let opt = |x: Option<f64>| x.map_or(String::new(), |v| format!("{v:e}"));
    for (i, c) in r.checks.iter().enumerate() {
        // Always quoted, as it always was (committed files keep their bytes), with any quote
        // inside doubled as RFC 4180 reads it.
        s += &format!(
            "{i},\"{}\",{},{},{:e},{:e},{},{:e},{:e},{:e},{},{},{},{},{}\n",
            c.spec.quantity.replace('"', "\"\""),
            format!("{:?}", c.spec.kind).to_lowercase(),
            c.spec.each_point,
            c.prediction(),
            c.spec.tolerance,
            opt(c.spec.plant),
            c.estimate.value,
            c.estimate.lo,
            c.estimate.hi,
            c.verdict.word(),
            opt(c.resolution.up),
            opt(c.resolution.down),
            opt(c.power),
            c.weak
        );
    }
    s
}

/// A column name pgfplots reads as it is: letters, digits and underscores.
fn slug(label: &str) -> String {
    let mut s: String = label.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    while s.contains("__") {
        s = s.replace("__", "_");
    }
    let s = s.trim_matches('_').to_string();
    if s.is_empty() {
        "series".into()
    } else {
        s
    }
}

/// A panel's data as pgfplots reads it (`\addplot table[col sep=comma, x=<s>_x, y=<s>_y]`):
/// per series the columns `<s>_x`, `<s>_y` and, with error bars, `<s>_lo`, `<s>_hi`, named
/// after its legend label (`s<k>` when it has none); shorter series are padded with `nan`,
/// which pgfplots skips.
pub fn panel_csv(p: &Panel) -> String {
    let mut names: Vec<String> = Vec::new();
    let mut cols: Vec<Vec<f64>> = Vec::new();
    for (k, s) in p.series.iter().enumerate() {
        let mut base = if s.label.is_empty() { format!("s{}", k + 1) } else { slug(&s.label) };
        if names.iter().any(|n| n.strip_suffix("_x") == Some(base.as_str())) {
            base = format!("{base}_{}", k + 1);
        }
        names.push(format!("{base}_x"));
        cols.push(s.points.iter().map(|q| q.0).collect());
        names.push(format!("{base}_y"));
        cols.push(s.points.iter().map(|q| q.1).collect());
        if let Some(err) = &s.err {
            names.push(format!("{base}_lo"));
            cols.push(err.iter().map(|e| e.0).collect());
            names.push(format!("{base}_hi"));
            cols.push(err.iter().map(|e| e.1).collect());
        }
    }
    let rows = cols.iter().map(Vec::len).max().unwrap_or(0);
    let mut out = names.join(",") + "\n";
    for i in 0..rows {
        let row: Vec<String> = cols.iter().map(|c| c.get(i).filter(|v| v.is_finite()).map_or("nan".to_string(), |v| format!("{v:e}"))).collect();
        out += &(row.join(",") + "\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Series;

    #[test]
    fn panel_csv_names_columns_by_series_and_pads_with_nan() {
        let p = Panel {
            series: vec![
                Series::points("measured (95% CI)", 0, vec![(1.0, 2.0), (2.0, 3.0)], Some(vec![(1.5, 2.5), (2.5, 3.5)])),
                Series::line("slope -1", 1, vec![(1.0, 1.0)]),
                Series::line("slope -1", 2, vec![(1.0, f64::INFINITY)]),
            ],
            ..Default::default()
        };
        let csv = panel_csv(&p);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines[0], "measured_95_CI_x,measured_95_CI_y,measured_95_CI_lo,measured_95_CI_hi,slope_1_x,slope_1_y,slope_1_3_x,slope_1_3_y");
        assert_eq!(lines[1], "1e0,2e0,1.5e0,2.5e0,1e0,1e0,1e0,nan");
        assert_eq!(lines[2], "2e0,3e0,2.5e0,3.5e0,nan,nan,nan,nan");
        assert_eq!(lines.len(), 3);
    }

    #[test]
    fn quantities_csv_lays_each_part_of_a_key_out_as_a_column() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../reports/magnitude_pruning/result.json")).unwrap();
        let mut result: ClaimResult = serde_json::from_str(&text).unwrap();
        let e = |v: f64| crate::stats::Estimate { value: v, lo: v - 1.0, hi: v + 1.0, undefined: 0.0 };
        result.quantities =
            [("prune_cost", 1.0), ("err_random@M=8,d=32,m=32,R=0.1", 2.0), ("err_random/predicted[check 4]@M=8,d=32,m=32", 3.0), ("odd \"one\", here", 4.0)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), e(v)))
                .collect();
        let csv = quantities_csv(&result);
        let rows: Vec<&str> = csv.lines().collect();
        assert_eq!(rows[0], "quantity,deviation,point,M,d,m,R,value,lo,hi,undefined");
        assert_eq!(rows[1], "err_random,4,\"M=8,d=32,m=32\",8,32,32,,3e0,2e0,4e0,0");
        assert_eq!(rows[2], "err_random,,\"M=8,d=32,m=32,R=0.1\",8,32,32,0.1,2e0,1e0,3e0,0");
        // Not a key: the whole string is the quantity, quoted as CSV quotes.
        assert_eq!(rows[3], "\"odd \"\"one\"\", here\",,,,,,,4e0,3e0,5e0,0");
        assert_eq!(rows[4], "prune_cost,,,,,,,1e0,0e0,2e0,0");
        assert_eq!(rows.len(), 5);
    }

    #[test]
    fn a_rewrite_removes_the_figure_files_it_no_longer_writes() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../reports/stage_one/result.json")).unwrap();
        let result: ClaimResult = serde_json::from_str(&text).unwrap();
        let panel = || Panel { series: vec![Series::line("a line", 0, vec![(1.0, 1.0), (2.0, 3.0)])], ..Default::default() };
        let dir = tempfile::tempdir().unwrap();
        let run = crate::result::RunInfo::now(crate::plan::Budget::Full, Default::default(), "code", "hash");
        write_claim(dir.path(), &result, &[panel(), panel()], &run, &FigureOptions::parse("screen", "svg,pdf,png").unwrap()).unwrap();
        let all = ["stage_one-panel1.csv", "stage_one-panel2.csv", "stage_one.pdf", "stage_one.png", "stage_one.svg"];
        assert_eq!(figure_files(dir.path(), "stage_one"), all);
        // Fewer formats and panels: the rest would show the older result beside this one.
        write_claim(dir.path(), &result, &[panel()], &run, &FigureOptions::parse("screen", "svg").unwrap()).unwrap();
        assert_eq!(figure_files(dir.path(), "stage_one"), ["stage_one-panel1.csv", "stage_one.svg"]);
        assert!(dir.path().join("result.json").exists());
    }

    #[test]
    fn checks_csv_quotes_the_quantity_and_doubles_its_quotes() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../reports/stage_one/result.json")).unwrap();
        let mut result: ClaimResult = serde_json::from_str(&text).unwrap();
        let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../reports/stage_one/checks.csv")).unwrap();
        assert_eq!(checks_csv(&result), committed, "the committed file, byte for byte");
        result.checks[0].spec.quantity = "odd \"one\", here".into();
        let csv = checks_csv(&result);
        let row = csv.lines().nth(1).unwrap();
        assert!(row.starts_with("0,\"odd \"\"one\"\", here\","), "{row}");
        let header_fields = csv.lines().next().unwrap().split(',').count();
        let mut reader = csv::ReaderBuilder::new().from_reader(csv.as_bytes());
        let first = reader.records().next().unwrap().unwrap();
        assert_eq!((first.len(), &first[1]), (header_fields, "odd \"one\", here"));
    }
}
