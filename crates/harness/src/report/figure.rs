//! Figures. Plain data in (`Panel`s of `Series`), SVG out, in one style for the whole
//! harness: sans-serif, the Okabe-Ito colour-blind-safe palette, log axes where scales
//! span decades, and legends drawn below the plot so they never cover data.

use super::style::{Style, Theme};
use crate::error::{Error, Result};
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// The font every figure names (the bundled one, in PDF and PNG).
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

/// Colour i of the palette, cycling.
pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mark {
    /// A solid line: a fit or a measured curve.
    Line,
    /// A dashed line: what a claim predicts.
    Dashed,
    /// Points, with vertical error bars when the series has them.
    Points,
}

/// One series of a panel, as data.
#[derive(Clone, Debug)]
pub struct Series {
    /// Its legend entry.
    pub label: String,
    /// Its `(x, y)` points.
    pub points: Vec<(f64, f64)>,
    /// Per point (lo, hi), drawn as an error bar.
    pub err: Option<Vec<(f64, f64)>>,
    /// Its colour, as an index into the palette.
    pub color: usize,
    /// How it is drawn.
    pub mark: Mark,
}

impl Series {
    /// A solid line.
    pub fn line(label: impl Into<String>, color: usize, points: Vec<(f64, f64)>) -> Series {
        Series { label: label.into(), points, err: None, color, mark: Mark::Line }
    }
    /// A dashed line.
    pub fn dashed(label: impl Into<String>, color: usize, points: Vec<(f64, f64)>) -> Series {
        Series { mark: Mark::Dashed, ..Series::line(label, color, points) }
    }
    /// Points, with error bars when `err` gives them.
    pub fn points(label: impl Into<String>, color: usize, points: Vec<(f64, f64)>, err: Option<Vec<(f64, f64)>>) -> Series {
        Series { err, mark: Mark::Points, ..Series::line(label, color, points) }
    }
}

/// One panel of a figure, as data: the caller draws it ([`render`]).
#[derive(Clone, Debug, Default)]
pub struct Panel {
    /// Its caption.
    pub title: String,
    /// The x axis's name.
    pub x_label: String,
    /// The y axis's name.
    pub y_label: String,
    /// A log-scaled x axis.
    pub x_log: bool,
    /// A log-scaled y axis.
    pub y_log: bool,
    /// Its series, drawn in order.
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

/// The series that get a legend entry: those with a label.
fn labelled(panel: &Panel) -> impl Iterator<Item = &Series> {
    panel.series.iter().filter(|s| !s.label.is_empty())
}

/// Top-left corner of each legend entry: left to right from under the plot's left edge (or
/// the panel's, when an entry is wider than that leaves), wrapping at the panel width.
fn legend_layout(panel: &Panel, t: &Theme) -> Vec<(i32, i32)> {
    let right = t.panel_w as i32 - 10;
    let widest = labelled(panel).map(|s| t.legend_entry_width(&legend_text(&s.label, t))).max().unwrap_or(0);
    let x0 = if t.y_area as i32 - 2 + widest <= right { t.y_area as i32 - 2 } else { 10 };
    let (mut x, mut y) = (x0, 6);
    let mut out = Vec::new();
    for s in labelled(panel) {
        let w = t.legend_entry_width(&legend_text(&s.label, t));
        if x + w > right && x > x0 {
            x = x0;
            y += t.legend_row as i32;
        }
        out.push((x, y));
        x += w;
    }
    out
}

/// A legend label as it fits the panel's width: whole, or cut with an ellipsis.
fn legend_text(label: &str, t: &Theme) -> String {
    let room = f64::from(t.panel_w) - 20.0 - 4.5 * t.legend;
    ellipsis(label, (room / (0.6 * t.legend)) as usize)
}

/// `text` cut to `chars` characters with an ellipsis, if longer.
fn ellipsis(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(chars.saturating_sub(1)).collect();
    cut = cut.trim_end().to_string();
    cut.push('…');
    cut
}

/// `text` broken at spaces into lines of at most `room` units at `size` (0.6 em a
/// character); a word longer than a line is cut.
fn wrap(text: &str, room: f64, size: f64) -> Vec<String> {
    let per_line = ((room / (0.6 * size)) as usize).max(4);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let word = ellipsis(word, per_line);
        if line.is_empty() {
            line = word;
        } else if line.chars().count() + 1 + word.chars().count() <= per_line {
            line += " ";
            line += &word;
        } else {
            lines.push(std::mem::replace(&mut line, word));
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// `text` in at most two lines of `room` units: at `size` if it fits, else at the theme's
/// smallest size (three lines at most there).
fn wrapped(text: &str, room: f64, size: f64, t: &Theme) -> (Vec<String>, f64) {
    let lines = wrap(text, room, size);
    if lines.len() <= 2 || t.smallest >= size {
        return (lines, size);
    }
    let small = wrap(text, room, t.smallest);
    if small.len() < lines.len() {
        (small, t.smallest)
    } else {
        (lines, size)
    }
}

fn legend_rows(panel: &Panel, t: &Theme) -> u32 {
    legend_layout(panel, t).last().map_or(0, |&(_, y)| (y - 6) as u32 / t.legend_row + 1)
}

/// The figure title's size: the theme's, or less for a title that would not fit the
/// figure's width (a long verdict on a one-panel figure), at 0.6 em a character.
fn title_size(title: &str, width: u32, t: &Theme) -> f64 {
    let fits = (f64::from(width) - 24.0) / (0.6 * title.chars().count().max(1) as f64);
    fits.clamp(t.title * 0.55, t.title)
}

/// How the k-th line (or the k-th set of points) of a panel is told from the others where
/// colour is lost (greyscale print, colour-blind readers): its dash pattern or its marker.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Look {
    Solid,
    Dash(u32, u32),
}

fn line_look(k: usize, t: &Theme) -> Look {
    let u = t.line;
    match k % 4 {
        0 => Look::Solid,
        1 => Look::Dash(u, 2 * u),
        2 => Look::Dash(6 * u, 2 * u),
        _ => Look::Dash(3 * u, 3 * u),
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Marker {
    Circle,
    Square,
    Triangle,
    Cross,
}

fn marker(k: usize) -> Marker {
    [Marker::Circle, Marker::Square, Marker::Triangle, Marker::Cross][k % 4]
}

/// Binds `$mk` to a function from a position to the data point's marker `$m` there (of
/// radius `$r`, colour `$c`) and evaluates `$body` with it: one body serves every marker
/// shape, each its own element type.
macro_rules! with_marker {
    ($m:expr, $r:expr, $c:expr, $thin:expr, |$mk:ident| $body:expr) => {{
        let (r, filled): (i32, ShapeStyle) = ($r, ShapeStyle::from(&$c).filled());
        match $m {
            Marker::Circle => {
                let $mk = |q| EmptyElement::at(q) + Circle::new((0, 0), r, filled);
                $body
            }
            Marker::Square => {
                let $mk = |q| EmptyElement::at(q) + Rectangle::new([(-r + 1, -r + 1), (r - 1, r - 1)], filled);
                $body
            }
            Marker::Triangle => {
                let $mk = |q| EmptyElement::at(q) + TriangleMarker::new((0, 0), r + 1, filled);
                $body
            }
            Marker::Cross => {
                let $mk = |q| EmptyElement::at(q) + Cross::new((0, 0), r, ShapeStyle::from(&$c).stroke_width($thin + 1));
                $body
            }
        }
    }};
}

/// Each series' rank among the panel's series of the same kind: what picks its look.
fn ranks(p: &Panel) -> Vec<usize> {
    let (mut lines, mut points) = (0, 0);
    p.series
        .iter()
        .map(|s| match s.mark {
            Mark::Line => {
                lines += 1;
                lines - 1
            }
            Mark::Points => {
                points += 1;
                points - 1
            }
            Mark::Dashed => 0,
        })
        .collect()
}

/// `text` as it fits in `room` units at `size` (0.6 em a character): whole; else without a
/// closing parenthetical remark (the figure's CSV and the screen style keep it); else at a
/// smaller size, down to the theme's smallest text; else cut with an ellipsis.
fn fit(text: &str, room: f64, size: f64, t: &Theme) -> (String, f64) {
    let width = |s: &str, size: f64| 0.6 * size * s.chars().count() as f64;
    if width(text, size) <= room {
        return (text.to_string(), size);
    }
    let short = match text.rfind(" (") {
        Some(i) if text.ends_with(')') && i > 0 => &text[..i],
        _ => text,
    };
    let size = (room / (0.6 * short.chars().count().max(1) as f64)).clamp(t.smallest.min(size), size);
    (ellipsis(short, (room / (0.6 * size)) as usize), size)
}

fn font(size: f64) -> (&'static str, f64) {
    (FONT, Theme::font(size))
}

/// Draws `panels` side by side under a figure title, on screen, as an SVG at `path`.
pub fn draw(path: &Path, title: &str, panels: &[Panel]) -> Result<()> {
    let svg = render(title, panels, Style::Screen)?;
    std::fs::write(path, svg).map_err(crate::error::io_err(path))
}

/// The SVG of `panels` side by side under a figure title, in `style`.
pub fn render(title: &str, panels: &[Panel], style: Style) -> Result<String> {
    let t = Theme::new(style, panels.len());
    let n = panels.len().max(1) as u32;
    let (cols, rows) = if t.stack { (1, n) } else { (n, 1) };
    let legend_h = panels.iter().map(|p| legend_rows(p, &t)).max().unwrap_or(0) * t.legend_row + 10;
    let w = t.panel_w * cols;
    let plot_h = match t.height {
        Some(h) => (h.saturating_sub(t.head_h) / rows).saturating_sub(legend_h).max(200),
        None => t.plot_h,
    };
    let h = t.head_h + rows * (plot_h + legend_h);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(perr)?;
        let (head, body) = root.split_vertically(t.head_h);
        if t.head_h > 0 {
            let at = (12, (t.head_h as f64 * 0.3) as i32);
            head.draw(&Text::new(title.to_string(), at, font(title_size(title, w, &t)).into_font().color(&BLACK))).map_err(perr)?;
        }
        let cells = body.split_evenly((rows as usize, cols as usize));
        for (panel, area) in panels.iter().zip(cells) {
            let (plot, legend) = area.split_vertically(plot_h);
            draw_panel(&plot, panel, &t)?;
            draw_legend(&legend, panel, &t)?;
        }
        root.present().map_err(perr)?;
    }
    Ok(physical(svg, &t, w, h))
}

/// States the figure's physical size in its SVG (paper), so that LaTeX, Inkscape and the
/// PDF and PNG writers all place it at that size.
pub(crate) fn physical(svg: String, t: &Theme, w: u32, h: u32) -> String {
    let Some(per_inch) = t.per_inch else { return svg };
    let from = format!("width=\"{w}\" height=\"{h}\"");
    let to = format!("width=\"{:.4}in\" height=\"{:.4}in\"", f64::from(w) / per_inch, f64::from(h) / per_inch);
    svg.replacen(&from, &to, 1)
}

fn draw_panel(area: &DrawingArea<SVGBackend, Shift>, p: &Panel, t: &Theme) -> Result<()> {
    let clipped: Vec<Vec<(f64, f64)>> = p.series.iter().map(|s| s.clipped(p.y_clip)).collect();
    let ys = p.series.iter().zip(&clipped).flat_map(|(s, pts)| {
        let errs = s.err.iter().flatten().flat_map(|e| [e.0, e.1]);
        pts.iter().map(|q| q.1).chain(errs)
    });
    let xs = p.series.iter().flat_map(|s| s.points.iter().map(|q| q.0)).chain(p.vlines.iter().map(|v| v.0));
    let (x0, x1) = range(xs, p.x_log);
    let (y0, y1) = range(ys, p.y_log);
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (f64::from(w), f64::from(h));
    let m = f64::from(t.margin);
    // The caption and the x axis's name are drawn here, wrapped to the panel's width: a
    // paper's column is too narrow for some on one line. Below the caption, room for the
    // top tick label's upper half.
    let (caption, cap_size) = wrapped(&p.title, w - 2.0 * m, t.caption, t);
    let cap_h = if p.title.is_empty() { m } else { m + 1.25 * cap_size * caption.len() as f64 + 0.7 * t.tick };
    let (x_desc, x_size) = wrapped(&p.x_label, w - 2.0 * m, t.axis, t);
    let desc_h = 1.25 * x_size * x_desc.len() as f64 + 0.5 * m;
    let (head, rest) = area.split_vertically(cap_h.round() as u32);
    let (chart_area, foot) = rest.split_vertically((h - cap_h - desc_h).round().max(50.0) as u32);
    for (i, line) in caption.iter().enumerate() {
        let at = ((w / 2.0) as i32, (m + 1.25 * cap_size * i as f64) as i32);
        head.draw(&Text::new(line.clone(), at, font(cap_size).into_font().color(&BLACK).pos(Pos::new(HPos::Center, VPos::Top)))).map_err(perr)?;
    }
    // Under the plot's middle, or as near it as the panel's edges allow.
    let plot_left = f64::from(t.y_area) + m;
    let plot_mid = plot_left + (w - plot_left - m - 12.0) / 2.0;
    for (i, line) in x_desc.iter().enumerate() {
        let half = 0.3 * x_size * line.chars().count() as f64;
        let x = plot_mid.clamp(m + half, (w - m - half).max(m + half));
        let at = (x as i32, (1.25 * x_size * i as f64) as i32);
        foot.draw(&Text::new(line.clone(), at, font(x_size).into_font().color(&BLACK).pos(Pos::new(HPos::Center, VPos::Top)))).map_err(perr)?;
    }
    let x_area = (1.6 * t.tick + 6.0) as u32;
    let plot_h = h - cap_h - desc_h - f64::from(x_area) - m;
    let y_desc = fit(&p.y_label, 0.95 * plot_h, t.axis, t);
    let mut b = ChartBuilder::on(&chart_area);
    b.margin(t.margin).margin_top(0).margin_right(t.margin + 12).x_label_area_size(x_area).y_label_area_size(t.y_area);
    // A log axis spanning under two decades has no or one power of ten to label: use
    // base 2 there (T = 16, 32, 64, ... reads naturally).
    let base = |lo: f64, hi: f64| if hi / lo < 100.0 { 2.0 } else { 10.0 };
    let (bx, by) = (base(x0, x1), base(y0, y1));
    let body = Body { p, clipped: &clipped, y: (y0, y1), t, y_desc };
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
    t: &'a Theme,
    /// The y axis's name as it fits, with its size.
    y_desc: (String, f64),
}

impl Body<'_> {
    fn draw<X, Y>(&self, mut chart: ChartContext<SVGBackend, Cartesian2d<X, Y>>) -> Result<()>
    where
        X: Ranged<ValueType = f64> + ValueFormatter<f64>,
        Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        let (p, t) = (self.p, self.t);
        chart
            .configure_mesh()
            .y_desc(&self.y_desc.0)
            .label_style(font(t.tick))
            .axis_desc_style(font(self.y_desc.1))
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
            let style = ShapeStyle::from(&RGBColor(90, 90, 90)).stroke_width(t.thin);
            chart.draw_series(DashedLineSeries::new(vec![(*x, y0), (*x, y1)], 2 * t.line, 2 * t.line, style)).map_err(perr)?;
            chart.draw_series(std::iter::once(Text::new(label.clone(), (*x, y1), font(t.note).into_font().color(&RGBColor(90, 90, 90))))).map_err(perr)?;
        }
        for ((s, pts), k) in p.series.iter().zip(self.clipped).zip(ranks(p)) {
            let c = color(s.color);
            let pts: Vec<(f64, f64)> = pts.iter().copied().filter(|q| usable(q, p.x_log, p.y_log)).collect();
            let style = ShapeStyle::from(&c).stroke_width(t.line);
            match s.mark {
                Mark::Line => match line_look(k, t) {
                    Look::Solid => {
                        chart.draw_series(LineSeries::new(pts, style)).map_err(perr)?;
                    }
                    Look::Dash(on, off) => {
                        chart.draw_series(DashedLineSeries::new(pts, on, off, style)).map_err(perr)?;
                    }
                },
                Mark::Dashed => {
                    chart.draw_series(DashedLineSeries::new(pts, 4 * t.line, 5 * t.line / 2, style)).map_err(perr)?;
                }
                Mark::Points => {
                    for (q, e) in s.points.iter().zip(s.err.iter().flatten()) {
                        if usable(&(q.0, e.0), p.x_log, p.y_log) && usable(&(q.0, e.1), p.x_log, p.y_log) {
                            // A bar with caps; plotters' ErrorBar also rings the value with a
                            // circle, which would make every marker look round.
                            let style = ShapeStyle::from(&c).stroke_width(t.thin);
                            let w = t.marker as i32;
                            chart.draw_series(std::iter::once(PathElement::new(vec![(q.0, e.0), (q.0, e.1)], style))).map_err(perr)?;
                            let caps = [e.0, e.1].map(|y| EmptyElement::at((q.0, y)) + PathElement::new(vec![(-w, 0), (w, 0)], style));
                            chart.draw_series(caps).map_err(perr)?;
                        }
                    }
                    with_marker!(marker(k), t.marker as i32, c, t.thin, |mk| chart.draw_series(pts.into_iter().map(mk)).map(|_| ())).map_err(perr)?;
                }
            }
        }
        Ok(())
    }
}

fn draw_legend(area: &DrawingArea<SVGBackend, Shift>, p: &Panel, t: &Theme) -> Result<()> {
    let all = ranks(p);
    let ranked = p.series.iter().zip(all).filter(|(s, _)| !s.label.is_empty());
    let swatch = (2.4 * t.legend) as i32;
    let mid = (t.legend * 0.8) as i32;
    for ((s, k), &(x, y)) in ranked.zip(&legend_layout(p, t)) {
        let label = legend_text(&s.label, t);
        let c = color(s.color);
        let style = ShapeStyle::from(&c).stroke_width(t.line);
        let line = |on: i32, off: i32| -> Result<()> {
            let mut x0 = x;
            while x0 < x + swatch {
                area.draw(&PathElement::new(vec![(x0, y + mid), ((x0 + on).min(x + swatch), y + mid)], style)).map_err(perr)?;
                x0 += on + off;
            }
            Ok(())
        };
        match (s.mark, line_look(k, t)) {
            (Mark::Points, _) => with_marker!(marker(k), t.marker as i32, c, t.thin, |mk| area.draw(&mk((x + swatch / 2, y + mid)))).map_err(perr)?,
            (Mark::Line, Look::Solid) => line(swatch, 0)?,
            (Mark::Line, Look::Dash(on, off)) => line(on as i32, off as i32)?,
            (Mark::Dashed, _) => line(4 * t.line as i32, 5 * t.line as i32 / 2)?,
        }
        let text = Text::new(label, (x + swatch + (t.legend * 0.5) as i32, y + mid - (t.legend * 0.5) as i32), font(t.legend).into_font().color(&BLACK));
        area.draw(&text).map_err(perr)?;
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
    /// Its caption.
    pub title: String,
    /// The values, by row and column.
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
    head.draw(&Text::new(title.to_string(), (12, 12), font(title_size(title, w, &Theme::new(Style::Screen, 1))).into_font().color(&BLACK))).map_err(perr)?;
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
