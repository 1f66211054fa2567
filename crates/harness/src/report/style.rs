//! How a figure is laid out and which files it goes out as: a style fixes the canvas and
//! every size on it, so that the same panels read well on a screen, in a two-column paper
//! and on a slide.

use crate::error::{invalid, Result};

/// Where a figure will be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Style {
    /// A browser or a report page: the size the reports have always had.
    #[default]
    Screen,
    /// One column of a two-column paper (3.25 in wide, panels stacked), text at 8 to 9 pt
    /// when the figure is included at that width.
    Paper,
    /// The full width of a two-column paper (6.75 in, panels side by side), text at 8 to 9 pt.
    PaperWide,
    /// A 16:9 slide (13.33 x 7.5 in), with text readable from the back of a room.
    Slides,
}

impl Style {
    /// The styles' names, as `--style` takes them.
    pub const NAMES: &'static str = "screen, paper, paper-wide or slides";
}

impl TryFrom<&str> for Style {
    type Error = crate::Error;
    fn try_from(s: &str) -> Result<Style> {
        match s {
            "screen" => Ok(Style::Screen),
            "paper" => Ok(Style::Paper),
            "paper-wide" => Ok(Style::PaperWide),
            "slides" => Ok(Style::Slides),
            other => Err(invalid("--style", format!("must be {} (got {other:?})", Style::NAMES))),
        }
    }
}

/// A file a figure is written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    /// Scalable vector graphics, the default.
    Svg,
    /// PDF, for a paper.
    Pdf,
    /// PNG, at the style's resolution.
    Png,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 3] = [Format::Svg, Format::Pdf, Format::Png];

    /// The file extension.
    pub fn ext(self) -> &'static str {
        match self {
            Format::Svg => "svg",
            Format::Pdf => "pdf",
            Format::Png => "png",
        }
    }
}

/// What figures a run or a redraw writes: a style and a non-empty set of formats, checked
/// once when the flags are read, so that a figure writer never meets an empty or unknown one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FigureOptions {
    style: Style,
    formats: Vec<Format>,
}

impl Default for FigureOptions {
    /// Every format, in the screen style: what the committed reports carry.
    fn default() -> Self {
        FigureOptions { style: Style::Screen, formats: Format::ALL.to_vec() }
    }
}

impl FigureOptions {
    /// `formats` is a comma-separated list of svg, pdf and png (e.g. "svg,pdf").
    pub fn parse(style: &str, formats: &str) -> Result<FigureOptions> {
        let style = Style::try_from(style)?;
        let mut list = Vec::new();
        for f in formats.split(',').map(str::trim) {
            let format = match f {
                "svg" => Format::Svg,
                "pdf" => Format::Pdf,
                "png" => Format::Png,
                other => return Err(invalid("--format", format!("must be a comma-separated list of svg, pdf and png (got {other:?})"))),
            };
            if !list.contains(&format) {
                list.push(format);
            }
        }
        list.sort();
        Ok(FigureOptions { style, formats: list })
    }

    /// The style.
    pub fn style(&self) -> Style {
        self.style
    }

    /// The formats, sorted.
    pub fn formats(&self) -> &[Format] {
        &self.formats
    }
}

/// Every size on a figure's canvas, in its SVG user units. plotters takes integer pixels
/// for strokes and positions, so the paper style draws at 144 units an inch (one unit is
/// half a point) and states the physical size in the SVG.
#[derive(Clone, Debug, PartialEq)]
pub struct Theme {
    /// Each panel's width, and the plot area's height above its legend.
    pub panel_w: u32,
    /// Panels one under another (a paper's column) rather than side by side.
    pub stack: bool,
    /// The plot area's height.
    pub plot_h: u32,
    /// The figure title's band (0: no title, as in a paper, where the caption says it).
    pub head_h: u32,
    /// Font sizes in units: the title, a panel's caption, tick labels, axis names, legend
    /// entries, and notes on marker lines.
    pub title: f64,
    /// A panel's caption.
    pub caption: f64,
    /// Tick labels.
    pub tick: f64,
    /// Axis names.
    pub axis: f64,
    /// Legend entries.
    pub legend: f64,
    /// Notes on marker lines.
    pub note: f64,
    /// The smallest a label may shrink to where it would not fit.
    pub smallest: f64,
    /// Strokes: data lines, error bars; a point's radius.
    pub line: u32,
    /// Error bars and grid lines.
    pub thin: u32,
    /// A point's radius.
    pub marker: u32,
    /// Room for tick labels and the axis name, below and left of a plot.
    pub x_area: u32,
    /// The same left of a plot.
    pub y_area: u32,
    /// The space around each panel.
    pub margin: u32,
    /// One legend row's height.
    pub legend_row: u32,
    /// Units an inch, when the figure has a physical size (paper); None: plain pixels.
    pub per_inch: Option<f64>,
    /// The height the whole figure must have (slides: 16:9), the plot taking what is left.
    pub height: Option<u32>,
    /// The figure's width (for more than one panel, the panels share it).
    pub width: Option<u32>,
    /// Raster resolution of the PNG, in pixels an inch at the figure's physical size (96
    /// units an inch where it has none).
    pub png_dpi: f64,
}

impl Theme {
    /// The theme of `style` for a figure of `panels` panels.
    pub fn new(style: Style, panels: usize) -> Theme {
        let panels = panels.max(1) as u32;
        match style {
            Style::Screen => Theme {
                panel_w: 520,
                stack: false,
                plot_h: 400,
                head_h: 40,
                title: 18.0 / 1.24,
                caption: 15.0 / 1.24,
                tick: 12.0 / 1.24,
                axis: 13.0 / 1.24,
                legend: 12.0 / 1.24,
                note: 11.0 / 1.24,
                smallest: 8.0,
                line: 2,
                thin: 1,
                marker: 4,
                x_area: 44,
                y_area: 72,
                margin: 8,
                legend_row: 22,
                per_inch: None,
                height: None,
                width: None,
                png_dpi: 96.0,
            },
            Style::Paper | Style::PaperWide => {
                // 144 units an inch: 2 units a point. Text at 8 pt (ticks, legend) and 9 pt
                // (axis names, captions).
                let (stack, width) = if style == Style::Paper { (true, 468) } else { (false, 972) };
                Theme {
                    panel_w: if stack { width } else { width / panels },
                    stack,
                    plot_h: 300,
                    head_h: 0,
                    title: 18.0,
                    caption: 18.0,
                    tick: 16.0,
                    axis: 18.0,
                    legend: 16.0,
                    note: 16.0,
                    smallest: 16.0,
                    line: 3,
                    thin: 2,
                    marker: 5,
                    x_area: 56,
                    y_area: 100,
                    margin: 6,
                    legend_row: 26,
                    per_inch: Some(144.0),
                    height: None,
                    width: Some(width),
                    png_dpi: 300.0,
                }
            }
            Style::Slides => Theme {
                panel_w: 1280 / panels,
                stack: false,
                plot_h: 0,
                head_h: 56,
                title: 30.0,
                caption: 24.0,
                tick: 20.0,
                axis: 22.0,
                legend: 20.0,
                note: 18.0,
                smallest: 18.0,
                line: 4,
                thin: 2,
                marker: 7,
                x_area: 66,
                y_area: 116,
                margin: 10,
                legend_row: 34,
                per_inch: None,
                height: Some(720),
                width: Some(1280),
                png_dpi: 144.0,
            },
        }
    }

    /// A legend entry's width for `label`: swatch, text at 0.6 em a character, gap.
    pub fn legend_entry_width(&self, label: &str) -> i32 {
        (3.0 * self.legend + 0.6 * self.legend * label.chars().count() as f64 + 1.5 * self.legend).ceil() as i32
    }

    /// plotters' SVG backend writes a font of size s as s / 1.24 units: the size to ask for
    /// to get `units`.
    pub fn font(units: f64) -> f64 {
        units * 1.24
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_sorted_and_deduplicated_and_bad_ones_name_the_flag() {
        let o = FigureOptions::parse("paper", "png, svg,png").unwrap();
        assert_eq!(o.formats(), &[Format::Svg, Format::Png]);
        assert_eq!(o.style(), Style::Paper);
        let e = FigureOptions::parse("paper", "svg,eps").unwrap_err().to_string();
        assert!(e.contains("--format") && e.contains("eps"), "{e}");
        let e = FigureOptions::parse("poster", "svg").unwrap_err().to_string();
        assert!(e.contains("--style") && e.contains("screen, paper, paper-wide or slides"), "{e}");
        assert!(FigureOptions::parse("screen", "").is_err());
    }

    #[test]
    fn paper_text_is_8_to_9_points_at_the_column_and_page_widths() {
        for (style, want) in [(Style::Paper, 3.25), (Style::PaperWide, 6.75)] {
            for panels in [1, 2, 3] {
                let t = Theme::new(style, panels);
                let across = if t.stack { 1 } else { panels as u32 };
                let inches = f64::from(t.panel_w * across) / t.per_inch.unwrap();
                assert!((inches - want).abs() < 0.01, "{style:?}, {panels} panels: {inches} in");
                for size in [t.tick, t.axis, t.legend, t.caption, t.note, t.smallest] {
                    let pt = size / t.per_inch.unwrap() * 72.0;
                    assert!((8.0..=9.0).contains(&pt), "{style:?}, {panels} panels: {pt} pt");
                }
            }
        }
    }
}
