//! Statistics for the checkers: least-squares fits on log scales, monotone crossing
//! points, and a bootstrap over trials. Quantiles come from `statrs`.

use rand::Rng;
use statrs::statistics::{Data, OrderStatistics};
use std::collections::BTreeMap;

/// Ordinary least squares `y = a + b x`; returns (a, b). NaN with fewer than two
/// distinct x.
pub fn ols(x: &[f64], y: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
    }
    if sxx == 0.0 || x.len() < 2 {
        return (f64::NAN, f64::NAN);
    }
    let b = sxy / sxx;
    (my - b * mx, b)
}

/// Slope of `y = a_g + b x` with one intercept per group (a fixed-effects fit): the
/// exponent in one parameter while the others are held at their grid values.
pub fn within_slope(groups: &[u64], x: &[f64], y: &[f64]) -> f64 {
    let mut by: BTreeMap<u64, (f64, f64, f64)> = BTreeMap::new();
    for ((g, a), b) in groups.iter().zip(x).zip(y) {
        let e = by.entry(*g).or_default();
        e.0 += a;
        e.1 += b;
        e.2 += 1.0;
    }
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for ((g, a), b) in groups.iter().zip(x).zip(y) {
        let (sa, sb, c) = by[g];
        let (da, db) = (a - sa / c, b - sb / c);
        sxy += da * db;
        sxx += da * da;
    }
    if sxx == 0.0 {
        f64::NAN
    } else {
        sxy / sxx
    }
}

/// Pool-adjacent-violators: the nondecreasing sequence closest to `y` in least squares.
pub fn isotonic(y: &[f64]) -> Vec<f64> {
    let mut blocks: Vec<(f64, usize)> = Vec::new();
    for &v in y {
        blocks.push((v, 1));
        while blocks.len() > 1 && blocks[blocks.len() - 2].0 > blocks[blocks.len() - 1].0 {
            let (v2, n2) = blocks.pop().unwrap();
            let (v1, n1) = blocks.pop().unwrap();
            blocks.push(((v1 * n1 as f64 + v2 * n2 as f64) / (n1 + n2) as f64, n1 + n2));
        }
    }
    blocks.into_iter().flat_map(|(v, n)| std::iter::repeat(v).take(n)).collect()
}

/// Where a success frequency `p` measured at increasing `x` first reaches `level`,
/// interpolated linearly in log x after a monotone (isotonic) fit. None if the fitted
/// curve never reaches it, or starts above it (the grid does not bracket the crossing).
pub fn log_crossing(x: &[f64], p: &[f64], level: f64) -> Option<f64> {
    let f = isotonic(p);
    if f.first().map_or(true, |&v| v >= level) {
        return None;
    }
    let i = f.iter().position(|&v| v >= level)?;
    let (x0, x1) = (x[i - 1].ln(), x[i].ln());
    let (p0, p1) = (f[i - 1], f[i]);
    Some((x0 + (level - p0) / (p1 - p0) * (x1 - x0)).exp())
}

/// Median of the finite values (NaN if none).
pub fn median(v: &[f64]) -> f64 {
    quantile(v, 0.5)
}

pub fn quantile(v: &[f64], q: f64) -> f64 {
    let finite: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if finite.is_empty() {
        return f64::NAN;
    }
    Data::new(finite).quantile(q)
}

/// Median of costs with censored runs (None) counted as +inf: undefined (NaN) once half
/// or more are censored, since the median is then not observed.
pub fn censored_median(v: impl Iterator<Item = Option<f64>>) -> f64 {
    let mut x: Vec<f64> = v.map(|o| o.unwrap_or(f64::INFINITY)).collect();
    x.sort_by(f64::total_cmp);
    if x.is_empty() {
        return f64::NAN;
    }
    let m = if x.len() % 2 == 1 { x[x.len() / 2] } else { 0.5 * (x[x.len() / 2 - 1] + x[x.len() / 2]) };
    if m.is_finite() {
        m
    } else {
        f64::NAN
    }
}

pub type Quantities = BTreeMap<String, f64>;

/// JSON has no NaN: serde_json writes it as null, and this reads null back as NaN.
pub fn nan_as_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(<Option<f64> as serde::Deserialize>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// A point estimate with a percentile bootstrap interval (NaN where undefined).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Estimate {
    #[serde(deserialize_with = "nan_as_null")]
    pub value: f64,
    #[serde(deserialize_with = "nan_as_null")]
    pub lo: f64,
    #[serde(deserialize_with = "nan_as_null")]
    pub hi: f64,
    /// Fraction of bootstrap replicates in which the quantity was undefined.
    pub undefined: f64,
}

/// Percentile bootstrap over trials: `data[p]` are the trials of point p; each replicate
/// resamples every point's trials with replacement and recomputes all quantities.
/// Replicates are drawn from `rng` in a fixed order, so the result is deterministic.
pub fn bootstrap<T, R: Rng>(
    data: &[Vec<T>],
    replicates: usize,
    level: f64,
    rng: &mut R,
    estimate: impl Fn(&[Vec<&T>]) -> Quantities,
) -> BTreeMap<String, Estimate> {
    let full: Vec<Vec<&T>> = data.iter().map(|v| v.iter().collect()).collect();
    let point = estimate(&full);
    let mut reps: BTreeMap<String, Vec<f64>> = point.keys().map(|k| (k.clone(), Vec::new())).collect();
    for _ in 0..replicates {
        let sample: Vec<Vec<&T>> =
            data.iter().map(|v| (0..v.len()).map(|_| &v[rng.random_range(0..v.len())]).collect()).collect();
        let q = estimate(&sample);
        for (k, r) in reps.iter_mut() {
            r.push(q.get(k).copied().unwrap_or(f64::NAN));
        }
    }
    let a = (1.0 - level) / 2.0;
    point
        .into_iter()
        .map(|(k, value)| {
            let r = &reps[&k];
            let undefined = r.iter().filter(|x| !x.is_finite()).count() as f64 / r.len().max(1) as f64;
            // Intervals come from the defined replicates; the verdict refuses a quantity
            // that is undefined too often (see `claims::Check`), rather than filling the
            // gaps with a value that would make any prediction fit.
            let (lo, hi) = (quantile(r, a), quantile(r, 1.0 - a));
            (k, Estimate { value, lo, hi, undefined })
        })
        .collect()
}
