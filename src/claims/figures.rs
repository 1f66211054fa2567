//! Building a claim's panels from its result: the one helper every claim uses to turn
//! per-point quantities into a series with confidence intervals.

use crate::grid::Point;
use crate::report::Series;
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
