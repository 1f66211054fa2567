//! Figures. Plain data in (`Panel`s of `Series`), SVG out, in one style for the whole
//! harness: sans-serif, the Okabe-Ito colour-blind-safe palette, log axes where scales
//! span decades, and legends drawn below the plot so they never cover data.

use crate::error::{Error, Result};
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

pub const FONT: &str = "sans-serif";
/// Okabe-Ito.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(120, 120, 120),
    RGBColor(0, 0, 0),
];

pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mark {
    Line,
    Dashed,
    /// Points, with vertical error bars when the series has them.
    Points,
}

#[derive(Clone, Debug)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    /// Per point (lo, hi), drawn as an error bar.
    pub err: Option<Vec<(f64, f64)>>,
    pub color: usize,
    pub mark: Mark,
}

impl Series {
    pub fn line(label: impl Into<String>, color: usize, points: Vec<(f64, f64)>) -> Series {
        Series { label: label.into(), points, err: None, color, mark: Mark::Line }
    }
    pub fn dashed(label: impl Into<String>, color: usize, points: Vec<(f64, f64)>) -> Series {
        Series { mark: Mark::Dashed, ..Series::line(label, color, points) }
    }
    pub fn points(label: impl Into<String>, color: usize, points: Vec<(f64, f64)>, err: Option<Vec<(f64, f64)>>) -> Series {
        Series { err, mark: Mark::Points, ..Series::line(label, color, points) }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Panel {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub x_log: bool,
    pub y_log: bool,
    pub series: Vec<Series>,
    /// Vertical markers (x, label), e.g. the stage switch.
    pub vlines: Vec<(f64, String)>,
    /// A series is cut at its first point above this (a diverging run), so one blow-up
    /// does not flatten every other line.
    pub y_clip: Option<f64>,
}

/// Compact tick labels: powers of ten as 10^k, otherwise three significant digits.
pub fn tick(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let e = v.abs().log10();
    if (e - e.round()).abs() < 1e-9 && v > 0.0 && !(-1.0..=3.0).contains(&e.round()) {
        const SUP: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
        let k = e.round() as i64;
        let digits: String = k.abs().to_string().chars().map(|c| SUP[c as usize - '0' as usize]).collect();
        return format!("10{}{}", if k < 0 { "⁻" } else { "" }, digits);
    }
    if !(1e-3..1e5).contains(&v.abs()) {
        let s = format!("{v:.2e}");
        let (m, ex) = s.split_once('e').expect("exp format");
        let m = m.trim_end_matches('0').trim_end_matches('.');
        return format!("{m}e{ex}");
    }
    let digits = (2 - e.floor() as i32).max(0) as usize;
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

impl Series {
    /// Points up to (not including) the first one above `clip`.
    fn clipped(&self, clip: Option<f64>) -> Vec<(f64, f64)> {
        match clip {
            None => self.points.clone(),
            Some(c) if self.mark == Mark::Points => self.points.iter().copied().filter(|p| p.1.is_finite() && p.1 <= c).collect(),
            Some(c) => self.points.iter().copied().take_while(|p| p.1.is_finite() && p.1 <= c).collect(),
        }
    }
}

fn perr<E: std::fmt::Debug>(e: E) -> Error {
    Error::Other(format!("plotting failed: {e:?}"))
}

fn usable(p: &(f64, f64), x_log: bool, y_log: bool) -> bool {
    p.0.is_finite() && p.1.is_finite() && (!x_log || p.0 > 0.0) && (!y_log || p.1 > 0.0)
}

/// Data range padded for readability; in log space for log axes.
fn range(vals: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in vals.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return if log { (0.1, 10.0) } else { (0.0, 1.0) };
    }
    if log {
        let (l, h) = (lo.log10(), hi.log10());
        let pad = ((h - l) * 0.05).max(0.05);
        (10f64.powf(l - pad), 10f64.powf(h + pad))
    } else {
        let pad = ((hi - lo) * 0.05).max(1e-9 + lo.abs() * 0.05);
        (lo - pad, hi + pad)
    }
}

const PANEL_W: u32 = 520;
const PLOT_H: u32 = 400;
const LEGEND_ROW_H: u32 = 22;

const LEGEND_X0: i32 = 70;

/// The series that get a legend entry: those with a label.
fn labelled(panel: &Panel) -> impl Iterator<Item = &Series> {
    panel.series.iter().filter(|s| !s.label.is_empty())
}

/// Top-left corner of each legend entry: left to right, wrapping at the panel width.
fn legend_layout(panel: &Panel) -> Vec<(i32, i32)> {
    let (mut x, mut y) = (LEGEND_X0, 6);
    let mut out = Vec::new();
    for s in labelled(panel) {
        let w = legend_entry_width(&s.label);
        if x + w > PANEL_W as i32 - 10 && x > LEGEND_X0 {
            x = LEGEND_X0;
            y += LEGEND_ROW_H as i32;
        }
        out.push((x, y));
        x += w;
    }
    out
}

fn legend_rows(panel: &Panel) -> u32 {
    legend_layout(panel).last().map_or(0, |&(_, y)| (y - 6) as u32 / LEGEND_ROW_H + 1)
}

fn legend_entry_width(label: &str) -> i32 {
    36 + (label.chars().count() as i32) * 7 + 18
}

/// The figure title's font size: 18, or less for a title that would not fit the figure's
/// width (a long verdict on a one-panel figure), at 0.6 em a character with a margin.
/// plotters' SVG backend writes a font of size s as s / 1.24 pixels.
fn title_size(title: &str, width: u32) -> f64 {
    let fits_px = (f64::from(width) - 24.0) / (0.6 * title.chars().count().max(1) as f64);
    (1.24 * fits_px).clamp(10.0, 18.0).floor()
}

/// Draws `panels` side by side under a figure title.
pub fn draw(path: &Path, title: &str, panels: &[Panel]) -> Result<()> {
    let legend_h = panels.iter().map(legend_rows).max().unwrap_or(0) * LEGEND_ROW_H + 10;
    let w = PANEL_W * panels.len().max(1) as u32;
    let h = 40 + PLOT_H + legend_h;
    let root = SVGBackend::new(path, (w, h)).into_drawing_area();
    root.fill(&WHITE).map_err(perr)?;
    let (head, body) = root.split_vertically(40);
    head.draw(&Text::new(title.to_string(), (12, 12), (FONT, title_size(title, w)).into_font().color(&BLACK))).map_err(perr)?;
    let cols = body.split_evenly((1, panels.len().max(1)));
    for (panel, area) in panels.iter().zip(cols) {
        let (plot, legend) = area.split_vertically(PLOT_H);
        draw_panel(&plot, panel)?;
        draw_legend(&legend, panel)?;
    }
    root.present().map_err(perr)?;
    Ok(())
}

fn draw_panel(area: &DrawingArea<SVGBackend, Shift>, p: &Panel) -> Result<()> {
    let clipped: Vec<Vec<(f64, f64)>> = p.series.iter().map(|s| s.clipped(p.y_clip)).collect();
    let ys = p.series.iter().zip(&clipped).flat_map(|(s, pts)| {
        let errs = s.err.iter().flatten().flat_map(|e| [e.0, e.1]);
        pts.iter().map(|q| q.1).chain(errs)
    });
    let xs = p.series.iter().flat_map(|s| s.points.iter().map(|q| q.0)).chain(p.vlines.iter().map(|v| v.0));
    let (x0, x1) = range(xs, p.x_log);
    let (y0, y1) = range(ys, p.y_log);
    let mut b = ChartBuilder::on(area);
    b.caption(&p.title, (FONT, 15)).margin(8).margin_right(20).x_label_area_size(44).y_label_area_size(72);
    // A log axis spanning under two decades has no or one power of ten to label: use
    // base 2 there (T = 16, 32, 64, ... reads naturally).
    let base = |lo: f64, hi: f64| if hi / lo < 100.0 { 2.0 } else { 10.0 };
    let (bx, by) = (base(x0, x1), base(y0, y1));
    let body = Body { p, clipped: &clipped, y: (y0, y1) };
    match (p.x_log, p.y_log) {
        (true, true) => body.draw(b.build_cartesian_2d((x0..x1).log_scale().base(bx), (y0..y1).log_scale().base(by)).map_err(perr)?),
        (true, false) => body.draw(b.build_cartesian_2d((x0..x1).log_scale().base(bx), y0..y1).map_err(perr)?),
        (false, true) => body.draw(b.build_cartesian_2d(x0..x1, (y0..y1).log_scale().base(by)).map_err(perr)?),
        (false, false) => body.draw(b.build_cartesian_2d(x0..x1, y0..y1).map_err(perr)?),
    }
}

/// A panel's mesh, marker lines and series, on whichever axes (linear or log) it has.
struct Body<'a> {
    p: &'a Panel,
    clipped: &'a [Vec<(f64, f64)>],
    y: (f64, f64),
}

impl Body<'_> {
    fn draw<X, Y>(&self, mut chart: ChartContext<SVGBackend, Cartesian2d<X, Y>>) -> Result<()>
    where
        X: Ranged<ValueType = f64> + ValueFormatter<f64>,
        Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        let p = self.p;
        chart
            .configure_mesh()
            .x_desc(&p.x_label)
            .y_desc(&p.y_label)
            .label_style((FONT, 12))
            .axis_desc_style((FONT, 13))
            .light_line_style(RGBColor(235, 235, 235))
            .bold_line_style(RGBColor(215, 215, 215))
            .x_labels(6)
            .y_labels(6)
            .x_label_formatter(&|v| tick(*v))
            .y_label_formatter(&|v| tick(*v))
            .draw()
            .map_err(perr)?;
        let (y0, y1) = self.y;
        for (x, label) in &p.vlines {
            let style = ShapeStyle::from(&RGBColor(90, 90, 90)).stroke_width(1);
            chart.draw_series(DashedLineSeries::new(vec![(*x, y0), (*x, y1)], 4, 4, style)).map_err(perr)?;
            chart.draw_series(std::iter::once(Text::new(label.clone(), (*x, y1), (FONT, 11).into_font().color(&RGBColor(90, 90, 90))))).map_err(perr)?;
        }
        for (s, pts) in p.series.iter().zip(self.clipped) {
            let c = color(s.color);
            let pts: Vec<(f64, f64)> = pts.iter().copied().filter(|q| usable(q, p.x_log, p.y_log)).collect();
            match s.mark {
                Mark::Line => {
                    chart.draw_series(LineSeries::new(pts, ShapeStyle::from(&c).stroke_width(2))).map_err(perr)?;
                }
                Mark::Dashed => {
                    chart.draw_series(DashedLineSeries::new(pts, 8, 5, ShapeStyle::from(&c).stroke_width(2))).map_err(perr)?;
                }
                Mark::Points => {
                    for (q, e) in s.points.iter().zip(s.err.iter().flatten()) {
                        if usable(&(q.0, e.0), p.x_log, p.y_log) && usable(&(q.0, e.1), p.x_log, p.y_log) {
                            chart
                                .draw_series(std::iter::once(ErrorBar::new_vertical(q.0, e.0, q.1, e.1, ShapeStyle::from(&c).stroke_width(1), 8)))
                                .map_err(perr)?;
                        }
                    }
                    chart.draw_series(pts.into_iter().map(|q| Circle::new(q, 4, ShapeStyle::from(&c).filled()))).map_err(perr)?;
                }
            }
        }
        Ok(())
    }
}

fn draw_legend(area: &DrawingArea<SVGBackend, Shift>, p: &Panel) -> Result<()> {
    for (s, &(x, y)) in labelled(p).zip(&legend_layout(p)) {
        let c = color(s.color);
        let style = ShapeStyle::from(&c).stroke_width(2);
        match s.mark {
            Mark::Points => area.draw(&Circle::new((x + 14, y + 8), 4, style.filled())).map_err(perr)?,
            Mark::Line => area.draw(&PathElement::new(vec![(x, y + 8), (x + 28, y + 8)], style)).map_err(perr)?,
            Mark::Dashed => {
                for seg in 0..3 {
                    let x0 = x + seg * 11;
                    area.draw(&PathElement::new(vec![(x0, y + 8), (x0 + 6, y + 8)], style)).map_err(perr)?;
                }
            }
        }
        area.draw(&Text::new(s.label.clone(), (x + 34, y + 2), (FONT, 12).into_font().color(&BLACK))).map_err(perr)?;
    }
    Ok(())
}

/// Viridis, by linear interpolation between five of its anchors.
pub fn viridis(x: f64) -> RGBColor {
    const A: [(f64, [f64; 3]); 5] =
        [(0.0, [68.0, 1.0, 84.0]), (0.25, [59.0, 82.0, 139.0]), (0.5, [33.0, 145.0, 140.0]), (0.75, [94.0, 201.0, 98.0]), (1.0, [253.0, 231.0, 37.0])];
    let x = if x.is_finite() { x.clamp(0.0, 1.0) } else { 0.0 };
    let i = A.iter().rposition(|a| a.0 <= x).unwrap_or(0).min(A.len() - 2);
    let f = (x - A[i].0) / (A[i + 1].0 - A[i].0);
    let c = |j: usize| (A[i].1[j] + f * (A[i + 1].1[j] - A[i].1[j])).round() as u8;
    RGBColor(c(0), c(1), c(2))
}

/// One heatmap: `values[[row, col]]`, drawn with row 0 at the top.
pub struct Heatmap<'a> {
    pub title: String,
    pub values: ndarray::ArrayView2<'a, f64>,
}

/// Heatmaps side by side on one colour scale `[lo, hi]`, with a labelled colour bar.
/// Cells are at least 8 x 5 pixels, so N=32 by T=64 stays readable.
pub fn heatmaps(path: &Path, title: &str, maps: &[Heatmap], x_label: &str, y_label: &str, lo: f64, hi: f64) -> Result<()> {
    let (rows, cols) = maps.first().map_or((1, 1), |m| m.values.dim());
    let cw = (320 / cols as u32).clamp(8, 40);
    let ch = (400 / rows as u32).clamp(5, 40);
    let (pw, ph) = (cw * cols as u32 + 90, ch * rows as u32 + 90);
    let bar_w = 110;
    let w = pw * maps.len() as u32 + bar_w;
    let root = SVGBackend::new(path, (w, ph + 40)).into_drawing_area();
    root.fill(&WHITE).map_err(perr)?;
    let (head, body) = root.split_vertically(40);
    head.draw(&Text::new(title.to_string(), (12, 12), (FONT, title_size(title, w)).into_font().color(&BLACK))).map_err(perr)?;
    let (maps_area, bar) = body.split_horizontally(pw * maps.len() as u32);
    let span = if hi > lo { hi - lo } else { 1.0 };
    for (m, area) in maps.iter().zip(maps_area.split_evenly((1, maps.len()))) {
        let mut chart = ChartBuilder::on(&area)
            .caption(&m.title, (FONT, 14))
            .margin(6)
            .x_label_area_size(36)
            .y_label_area_size(44)
            .build_cartesian_2d(0f64..cols as f64, rows as f64..0f64)
            .map_err(perr)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .label_style((FONT, 11))
            .axis_desc_style((FONT, 12))
            .x_labels(cols.min(8))
            .y_labels(rows.min(8))
            .x_label_formatter(&|v| format!("{}", *v as i64))
            .y_label_formatter(&|v| format!("{}", *v as i64))
            .draw()
            .map_err(perr)?;
        chart
            .draw_series(m.values.indexed_iter().map(|((r, c), v)| {
                let color = viridis((v - lo) / span);
                // A small overlap hides the anti-aliasing seams between neighbouring cells.
                Rectangle::new([(c as f64 - 0.15, r as f64 - 0.15), (c as f64 + 1.15, r as f64 + 1.15)], color.filled())
            }))
            .map_err(perr)?;
    }
    // Colour bar.
    let (bx, by, bh) = (16, 40, ph as i32 - 110);
    for i in 0..bh {
        let v = 1.0 - i as f64 / bh as f64;
        bar.draw(&Rectangle::new([(bx, by + i), (bx + 18, by + i + 1)], viridis(v).filled())).map_err(perr)?;
    }
    for k in 0..=4 {
        let f = k as f64 / 4.0;
        let y = by + ((1.0 - f) * bh as f64) as i32;
        bar.draw(&Text::new(tick(lo + f * span), (bx + 24, y - 6), (FONT, 11).into_font().color(&BLACK))).map_err(perr)?;
    }
    root.present().map_err(perr)?;
    Ok(())
}
