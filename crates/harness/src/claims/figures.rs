//! Building a claim's panels from its result: the one helper every claim uses to turn
//! per-point quantities into a series with confidence intervals.

use crate::grid::Point;
use crate::report::{Panel, Series};
use crate::result::ClaimResult;

/// Points `(x(point), value)` of the per-point quantity `name@key`, with their intervals as
/// error bars (points without the quantity are left out).
pub fn per_point(
    result: &ClaimResult,
    name: impl AsRef<str>,
    points: impl IntoIterator<Item = Point>,
    x: impl Fn(&Point) -> f64,
    label: impl Into<String>,
    color: usize,
) -> Series {
    let (pts, errs) = points.into_iter().filter_map(|p| result.at(name.as_ref(), &p).map(|e| ((x(&p), e.value), (e.lo, e.hi)))).unzip();
    Series::points(label, color, pts, Some(errs))
}

/// "(95% CI)": interval text at the spec's level.
pub fn ci(result: &ClaimResult) -> String {
    format!("({:.0}% CI)", 100.0 * result.spec.level)
}

/// A line through `(x0, y0)` with slope `s` on log-log axes, from x0 to x1.
pub fn slope_line(x0: f64, y0: f64, x1: f64, s: f64) -> Vec<(f64, f64)> {
    vec![(x0, y0), (x1, y0 * (x1 / x0).powf(s))]
}

/// A residual panel: the per-point ratio `ratio` (measured over predicted; `labels` name it
/// and the level line of exponent 0 in the claim's words) against `axis`, with the fitted
/// residual exponent `residual` drawn through the constant `k`. None when the result has
/// no such residual (the grid holds the axis fixed).
pub fn residual_panel(
    result: &ClaimResult,
    ratio: impl AsRef<str>,
    residual: impl AsRef<str>,
    k: f64,
    pts: &[Point],
    axis: &str,
    labels: (&str, &str),
) -> Option<Panel> {
    let (ratio_label, zero_label) = labels;
    let e = result.q(residual)?;
    let sym = pts[0].coords.iter().find(|c| c.name == axis).map_or(axis.to_string(), |c| c.symbol.clone());
    let x = |p: &Point| p.at(axis);
    let (x0, x1) = pts.iter().map(x).fold((f64::INFINITY, 0.0f64), |(l, h), v| (l.min(v), h.max(v)));
    let mut s = vec![per_point(result, ratio, pts.to_vec(), x, format!("{ratio_label} {}", ci(result)), 0)];
    if k.is_finite() && e.value.is_finite() {
        let mid = (x0 * x1).sqrt();
        let through = |xa: f64| k * (xa / mid).powf(e.value);
        s.push(Series::line(format!("residual exponent {}", crate::verdict::num(e.value)), 1, slope_line(x0, through(x0), x1, e.value)));
        s.push(Series::dashed(zero_label, 7, vec![(x0, k), (x1, k)]));
    }
    Some(Panel {
        title: format!("residual in {sym}: exponent {} [{}, {}]", crate::verdict::num(e.value), crate::verdict::num(e.lo), crate::verdict::num(e.hi)),
        x_label: sym,
        y_label: ratio_label.into(),
        x_log: true,
        y_log: true,
        series: s,
        ..Default::default()
    })
}
