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

/// The power law `y = e^a x^b` fitted by least squares on log-log axes; returns (a, b), the
/// exponent b being the log-log slope.
pub fn loglog(x: &[f64], y: &[f64]) -> (f64, f64) {
    let ln = |v: &[f64]| v.iter().map(|z| z.ln()).collect::<Vec<f64>>();
    ols(&ln(x), &ln(y))
}

/// Least squares `y = a + sum_j b_j x_j` over observations `i` (`xs[j][i]`): the partial
/// slopes `b_j`, each with the other regressors held fixed. None when the regressors do not
/// determine them (fewer observations than unknowns, or a regressor constant or collinear
/// with others).
pub fn ols_multi(xs: &[Vec<f64>], y: &[f64]) -> Option<Vec<f64>> {
    let (n, k) = (y.len(), xs.len() + 1);
    if n < k || xs.iter().any(|x| x.len() != n) {
        return None;
    }
    // Centred regressors drop the intercept and keep the normal equations well conditioned.
    let centre = |v: &[f64]| {
        let m = v.iter().sum::<f64>() / n as f64;
        v.iter().map(|x| x - m).collect::<Vec<_>>()
    };
    let cx: Vec<Vec<f64>> = xs.iter().map(|x| centre(x)).collect();
    let cy = centre(y);
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let xtx = nalgebra::DMatrix::from_fn(k - 1, k - 1, |i, j| dot(&cx[i], &cx[j]));
    let xty = nalgebra::DVector::from_fn(k - 1, |i, _| dot(&cx[i], &cy));
    // A regressor with no spread left after the others is collinear: refuse, do not guess.
    let scale = xtx.diagonal().max();
    let chol = xtx.clone().cholesky()?;
    if (0..k - 1).any(|i| chol.l()[(i, i)].powi(2) <= 1e-10 * scale) {
        return None;
    }
    let b = chol.solve(&xty);
    b.iter().all(|x| x.is_finite()).then(|| b.iter().copied().collect())
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
    blocks.into_iter().flat_map(|(v, n)| std::iter::repeat_n(v, n)).collect()
}

/// Where a success frequency `p` measured at increasing `x` first reaches `level`,
/// interpolated linearly in log x after a monotone (isotonic) fit. None if the fitted
/// curve never reaches it, or starts above it (the grid does not bracket the crossing).
pub fn log_crossing(x: &[f64], p: &[f64], level: f64) -> Option<f64> {
    let f = isotonic(p);
    if f.first().is_none_or(|&v| v >= level) {
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

/// The q-quantile of the finite values (NaN if none), by `statrs`' order statistics.
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

/// A claim's named numbers from one task's trials, by key (`name` or `name@<point key>`).
pub type Quantities = BTreeMap<String, f64>;

/// JSON has no NaN: serde_json writes it as null, and this reads null back as NaN.
pub fn nan_as_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(<Option<f64> as serde::Deserialize>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// A point estimate with a percentile bootstrap interval (NaN where undefined).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Estimate {
    /// The estimate.
    #[serde(deserialize_with = "nan_as_null")]
    pub value: f64,
    /// The interval's lower end.
    #[serde(deserialize_with = "nan_as_null")]
    pub lo: f64,
    /// Its upper end.
    #[serde(deserialize_with = "nan_as_null")]
    pub hi: f64,
    /// Fraction of bootstrap replicates in which the quantity was undefined.
    pub undefined: f64,
}

/// Percentile bootstrap: `data[p]` are the units of point p (trials, or whole tasks with
/// their trials); each replicate resamples every point's units with replacement and
/// recomputes all quantities. Replicates are drawn from `rng` in a fixed order, so the result
/// is deterministic.
pub fn bootstrap<T, R: Rng>(
    data: &[Vec<T>],
    replicates: usize,
    level: f64,
    rng: &mut R,
    estimate: impl Fn(&[Vec<&T>]) -> Quantities,
) -> BTreeMap<String, Estimate> {
    bootstrap_replicates(data, replicates, level, rng, estimate).0
}

/// Every quantity's bootstrap replicates, by name, in draw order.
pub type Replicates = BTreeMap<String, Vec<f64>>;

/// [`bootstrap`], with the replicates themselves (for simultaneous bands over several
/// quantities, which need their joint distribution).
pub fn bootstrap_replicates<T, R: Rng>(
    data: &[Vec<T>],
    replicates: usize,
    level: f64,
    rng: &mut R,
    estimate: impl Fn(&[Vec<&T>]) -> Quantities,
) -> (BTreeMap<String, Estimate>, Replicates) {
    let full: Vec<Vec<&T>> = data.iter().map(|v| v.iter().collect()).collect();
    let point = estimate(&full);
    let mut reps: Replicates = point.keys().map(|k| (k.clone(), Vec::new())).collect();
    for _ in 0..replicates {
        let sample: Vec<Vec<&T>> = data.iter().map(|v| (0..v.len()).map(|_| &v[rng.random_range(0..v.len())]).collect()).collect();
        let q = estimate(&sample);
        for (k, r) in reps.iter_mut() {
            r.push(q.get(k).copied().unwrap_or(f64::NAN));
        }
    }
    let a = (1.0 - level) / 2.0;
    let estimates = point
        .into_iter()
        .map(|(k, value)| {
            let r = &reps[&k];
            // Intervals come from the defined replicates; the verdict refuses a quantity
            // that is undefined too often (see `verdict::judge`), rather than filling the
            // gaps with a value that would make any prediction fit.
            let (lo, hi) = (quantile(r, a), quantile(r, 1.0 - a));
            (k, Estimate { value, lo, hi, undefined: undefined_share(r) })
        })
        .collect();
    (estimates, reps)
}

fn undefined_share(r: &[f64]) -> f64 {
    r.iter().filter(|x| !x.is_finite()).count() as f64 / r.len().max(1) as f64
}

/// A simultaneous band over a family of quantities (a sup-t band): each member's value and
/// bootstrap replicates in, each member's `value -+ q se` out, where `se` is the member's
/// bootstrap standard deviation and `q` the `level` quantile over replicates of the largest
/// studentized deviation `max_c |rep_c - value_c| / se_c`. All members are covered at once
/// with probability about `level`, so "at every point" is judged at the stated level rather
/// than once per point (Montiel Olea & Plagborg-Moller 2019; the max-statistic of
/// docs/theory.md §10). With `log`, the band is built on the log scale (ratios). A member
/// whose replicates never vary gets a band of width 0; replicates in which some member is
/// undefined are left out of `q` (each member's own `undefined` share is kept).
pub fn simultaneous(values: &[f64], reps: &[&[f64]], level: f64, log: bool) -> Vec<Estimate> {
    let g = |x: f64| if log { x.ln() } else { x };
    let back = |x: f64| if log { x.exp() } else { x };
    let se: Vec<f64> = reps
        .iter()
        .map(|r| {
            let v: Vec<f64> = r.iter().map(|x| g(*x)).filter(|x| x.is_finite()).collect();
            if v.len() < 2 {
                return f64::NAN;
            }
            let m = v.iter().sum::<f64>() / v.len() as f64;
            (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
        })
        .collect();
    let n = reps.iter().map(|r| r.len()).min().unwrap_or(0);
    let t: Vec<f64> = (0..n)
        .filter_map(|b| {
            let mut worst: f64 = 0.0;
            for (c, r) in reps.iter().enumerate() {
                let (x, v) = (g(r[b]), g(values[c]));
                if !x.is_finite() || !v.is_finite() {
                    return None;
                }
                if se[c] > 0.0 {
                    worst = worst.max((x - v).abs() / se[c]);
                }
            }
            Some(worst)
        })
        .collect();
    let q = if t.is_empty() { f64::NAN } else { quantile(&t, level) };
    values
        .iter()
        .zip(&se)
        .zip(reps)
        .map(|((v, s), r)| {
            let (lo, hi) = if *s == 0.0 { (*v, *v) } else { (back(g(*v) - q * s), back(g(*v) + q * s)) };
            Estimate { value: *v, lo, hi, undefined: undefined_share(r) }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ols_multi_recovers_partial_slopes_and_refuses_collinear_regressors() {
        // y = 1 + 2 x1 - 0.5 x2 on a 3 x 3 grid: exact.
        let (mut x1, mut x2, mut y) = (vec![], vec![], vec![]);
        for a in [0.0, 1.0, 2.0] {
            for b in [0.0, 1.0, 3.0] {
                x1.push(a);
                x2.push(b);
                y.push(1.0 + 2.0 * a - 0.5 * b);
            }
        }
        let b = ols_multi(&[x1.clone(), x2.clone()], &y).unwrap();
        assert!((b[0] - 2.0).abs() < 1e-12 && (b[1] + 0.5).abs() < 1e-12, "{b:?}");
        // One regressor agrees with the simple fit.
        assert!((ols_multi(&[x1.clone()], &y).unwrap()[0] - ols(&x1, &y).1).abs() < 1e-12);
        let twice: Vec<f64> = x1.iter().map(|v| 2.0 * v).collect();
        assert!(ols_multi(&[x1.clone(), twice], &y).is_none(), "collinear");
        assert!(ols_multi(&[vec![1.0; 9]], &y).is_none(), "constant");
        assert!(ols_multi(&[x1[..1].to_vec()], &y[..1]).is_none(), "too few points");
        assert!(ols_multi(&[x1.clone(), x2[..8].to_vec()], &y).is_none(), "a regressor of another length");
        // As many points as unknowns determine them exactly.
        let b = ols_multi(&[vec![0.0, 1.0, 0.0], vec![0.0, 0.0, 1.0]], &[1.0, 3.0, 0.5]).unwrap();
        assert!((b[0] - 2.0).abs() < 1e-12 && (b[1] + 0.5).abs() < 1e-12, "{b:?}");
        // What is left of a regressor after the others is measured against their spread: a
        // residual variance 1e-13 of it is collinear (under the 1e-10 bar), 1e-3 is not.
        let big: Vec<f64> = (0..9).map(|i| 1000.0 * i as f64).collect();
        let near: Vec<f64> = big.iter().enumerate().map(|(i, v)| v + if i % 2 == 0 { 1e-3 } else { -1e-3 }).collect();
        assert!(ols_multi(&[big.clone(), near], &y).is_none(), "nearly collinear");
        let apart: Vec<f64> = big.iter().enumerate().map(|(i, v)| v + if i % 2 == 0 { 100.0 } else { -100.0 }).collect();
        assert!(ols_multi(&[big, apart], &y).is_some(), "apart enough");
    }

    #[test]
    fn ols_recovers_a_line_and_refuses_a_single_x() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let y: Vec<f64> = x.iter().map(|v| 0.5 - 2.0 * v).collect();
        let (a, b) = ols(&x, &y);
        assert!((a - 0.5).abs() < 1e-12 && (b + 2.0).abs() < 1e-12);
        assert!(ols(&[1.0, 1.0], &[2.0, 3.0]).1.is_nan());
        assert!(ols(&[1.0], &[2.0]).1.is_nan());
        // Two distinct points are enough: the line through them.
        let (a, b) = ols(&[1.0, 3.0], &[5.0, 1.0]);
        assert!((a - 7.0).abs() < 1e-12 && (b + 2.0).abs() < 1e-12, "{a} {b}");
    }

    #[test]
    fn ols_centres_both_factors_so_a_large_offset_costs_no_accuracy() {
        // With x and y near 1e6 and 0.1 apart, a sum that centred only one factor (exact in
        // real arithmetic) carries the offset times the rounding of the other mean: its slope
        // comes out 0.5% off, where centring both keeps it to 1e-10.
        let x: Vec<f64> = (0..5).map(|i| 1e6 + 0.1 * i as f64).collect();
        let y: Vec<f64> = (0..5).map(|i| 1e6 + 0.2 * i as f64 + 0.05).collect();
        let (a, b) = ols(&x, &y);
        assert!((b - 2.0).abs() < 1e-8, "slope {b}");
        assert!((a - (0.05 - 1e6)).abs() < 1e-3, "intercept {a}");
    }

    #[test]
    fn loglog_recovers_a_power_law() {
        let x = [2.0, 5.0, 11.0, 40.0];
        let y: Vec<f64> = x.iter().map(|v: &f64| 3.0 * v.powf(-1.5)).collect();
        let (a, b) = loglog(&x, &y);
        assert!((a - 3f64.ln()).abs() < 1e-12 && (b + 1.5).abs() < 1e-12, "{a} {b}");
    }

    #[test]
    fn within_slope_removes_each_group_s_intercept() {
        // Two groups on parallel lines of slope 3, far apart: a pooled fit would see a
        // different slope; the within-group fit sees 3.
        let (g, x, y) = (vec![0, 0, 0, 1, 1, 1], vec![0.0, 1.0, 2.0, 5.0, 6.0, 7.0], vec![0.0, 3.0, 6.0, -100.0, -97.0, -94.0]);
        assert!((within_slope(&g, &x, &y) - 3.0).abs() < 1e-12);
        assert!((ols(&x, &y).1 - 3.0).abs() > 1.0, "the pooled fit differs: the test has power");
        assert!(within_slope(&[0, 1], &[1.0, 2.0], &[1.0, 2.0]).is_nan(), "one point per group: no slope");
        // Both factors centred in each group: y near 1e6 and 0.1 apart costs no accuracy
        // (centring x alone, exact in real arithmetic, is 0.5% off here).
        let x: Vec<f64> = (0..10).map(|i| 1e6 + 0.1 * (i % 5) as f64).collect();
        let y: Vec<f64> = x.iter().enumerate().map(|(i, v)| 2.0 * v + if i < 5 { 0.05 } else { -1e6 }).collect();
        let g: Vec<u64> = (0..10).map(|i| (i / 5) as u64).collect();
        assert!((within_slope(&g, &x, &y) - 2.0).abs() < 1e-8, "{}", within_slope(&g, &x, &y));
    }

    #[test]
    fn isotonic_pools_adjacent_violators() {
        assert_eq!(isotonic(&[1.0, 3.0, 2.0, 4.0]), vec![1.0, 2.5, 2.5, 4.0]);
        assert_eq!(isotonic(&[3.0, 2.0, 1.0]), vec![2.0, 2.0, 2.0]);
        assert_eq!(isotonic(&[0.0, 1.0]), vec![0.0, 1.0]);
        // A pooled block pooled again is weighted by its size: 4.5 against three at 4.
        assert_eq!(isotonic(&[4.5, 6.0, 5.0, 1.0]), vec![4.125; 4]);
        // A nondecreasing sequence comes back exactly: ties are not pooled, since averaging
        // equal values is not exact in floating point ((0.2 + 0.1) / 3 is not 0.1).
        let flat = [0.1, 0.1, 0.1, 0.7, 0.7, 0.7];
        assert_eq!(isotonic(&flat), flat.to_vec());
    }

    #[test]
    fn median_and_quantile_read_the_finite_values_only() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[1.0, f64::NAN, 5.0, 3.0, f64::INFINITY]), 3.0);
        assert!(median(&[f64::NAN]).is_nan() && median(&[]).is_nan());
        assert_eq!(quantile(&[4.0, 1.0, 3.0, 2.0, 5.0], 1.0), 5.0);
    }

    #[test]
    fn log_crossing_interpolates_in_log_x_and_needs_a_bracket() {
        // From 0.25 at x = 1 to 0.75 at x = 4: 1/2 is crossed halfway in log x, at x = 2.
        let c = log_crossing(&[1.0, 4.0], &[0.25, 0.75], 0.5).unwrap();
        assert!((c - 2.0).abs() < 1e-12);
        assert_eq!(log_crossing(&[1.0, 4.0], &[0.6, 0.9], 0.5), None, "starts above: not bracketed");
        assert_eq!(log_crossing(&[1.0, 4.0], &[0.1, 0.3], 0.5), None, "never reaches it");
        // The same from x = 2 to 8: the crossing is read between the two x, not from 0.
        let c = log_crossing(&[2.0, 8.0], &[0.25, 0.75], 0.5).unwrap();
        assert!((c - 4.0).abs() < 1e-12, "{c}");
        // A dip is smoothed by the monotone fit before the crossing is read: 0.6, 0.4 pool
        // to 0.5, so the fitted curve reaches 1/2 exactly at x = 2.
        let c = log_crossing(&[1.0, 2.0, 4.0, 8.0], &[0.2, 0.6, 0.4, 0.9], 0.5).unwrap();
        assert!((c - 2.0).abs() < 1e-12, "{c}");
    }

    #[test]
    fn censored_median_is_undefined_once_half_are_censored() {
        assert_eq!(censored_median([Some(3.0), Some(1.0), None].into_iter()), 3.0);
        assert_eq!(censored_median([Some(1.0), Some(2.0), None, Some(9.0)].into_iter()), 5.5);
        assert_eq!(censored_median([Some(5.0), Some(4.0), None, Some(1.0), Some(2.0)].into_iter()), 4.0);
        assert_eq!(censored_median([Some(7.0)].into_iter()), 7.0);
        assert!(censored_median([Some(1.0), None].into_iter()).is_nan());
        assert!(censored_median(std::iter::empty()).is_nan());
    }

    #[test]
    fn the_bootstrap_covers_the_mean_at_its_level_and_is_deterministic() {
        // 40 points of N(0, 1)-like data per group; the 95% interval of the mean has
        // half-width about 1.96/sqrt(40) = 0.31.
        let mut rng = crate::rng::rng(1, 1);
        let data: Vec<Vec<f64>> = vec![(0..40).map(|_| rand::Rng::random::<f64>(&mut rng) * 12f64.sqrt() - 12f64.sqrt() / 2.0).collect()];
        let mean = |d: &[Vec<&f64>]| {
            let mut q = Quantities::new();
            q.insert("mean".into(), d[0].iter().copied().sum::<f64>() / d[0].len() as f64);
            q.insert("never".into(), f64::NAN);
            q
        };
        let run = |seed| bootstrap(&data, 2000, 0.95, &mut crate::rng::rng(seed, 4), mean);
        let (a, b) = (run(7), run(7));
        assert_eq!(a["mean"], b["mean"], "same seed, same interval");
        let e = &a["mean"];
        // The interval's half-width is 1.96 standard errors of this sample's mean, to the
        // replicates' own noise (a 90% interval would be 1.645, 16% narrower).
        let m = e.value;
        let se = (data[0].iter().map(|x| (x - m).powi(2)).sum::<f64>() / 39.0 / 40.0).sqrt();
        let half = (e.hi - e.lo) / 2.0;
        assert!(e.lo < e.value && e.value < e.hi && (half / (1.96 * se) - 1.0).abs() < 0.06, "{e:?} against se {se}");
        assert_eq!(a["never"].undefined, 1.0);
        assert_eq!(a["mean"].undefined, 0.0);
        // Its ends are the replicates' 2.5% and 97.5% quantiles, exactly.
        let (est, reps) = bootstrap_replicates(&data, 2000, 0.95, &mut crate::rng::rng(7, 4), mean);
        let tail = (1.0 - 0.95) / 2.0;
        assert_eq!((est["mean"].lo, est["mean"].hi), (quantile(&reps["mean"], tail), quantile(&reps["mean"], 1.0 - tail)));
        assert_eq!((est["mean"].lo, est["mean"].hi), (e.lo, e.hi));
    }

    /// Independent normal estimates, one per cell: the band at 95% covers all of them at
    /// once in about 95% of datasets, where per-cell 95% intervals cover all twelve in only
    /// about 0.95^12 = 54%.
    #[test]
    fn the_simultaneous_band_covers_every_cell_at_its_level() {
        use rand_distr::{Distribution, StandardNormal};
        let (cells, datasets, reps) = (12, 400, 400);
        let mut rng = crate::rng::rng(3, 9);
        let (mut all_in, mut all_in_pointwise) = (0, 0);
        for _ in 0..datasets {
            // The truth is 0 in every cell; the estimate is one draw with se 1, and the
            // replicates are draws around the estimate (a parametric bootstrap).
            let mut normal = || -> f64 { StandardNormal.sample(&mut rng) };
            let values: Vec<f64> = (0..cells).map(|_| normal()).collect();
            let r: Vec<Vec<f64>> = values.iter().map(|v| (0..reps).map(|_| v + normal()).collect()).collect();
            let refs: Vec<&[f64]> = r.iter().map(|x| x.as_slice()).collect();
            let band = simultaneous(&values, &refs, 0.95, false);
            all_in += band.iter().all(|e| e.lo <= 0.0 && 0.0 <= e.hi) as usize;
            all_in_pointwise += values.iter().all(|v| v.abs() <= 1.96) as usize;
        }
        let (cover, pointwise) = (all_in as f64 / datasets as f64, all_in_pointwise as f64 / datasets as f64);
        assert!((0.91..=0.99).contains(&cover), "simultaneous coverage {cover}");
        assert!(pointwise < 0.65, "pointwise intervals cover all cells far less often: {pointwise}");
    }

    #[test]
    fn the_band_is_on_the_log_scale_for_ratios_and_flat_where_nothing_varies() {
        let values = [2.0, 1.0];
        let r1: Vec<f64> = (0..200).map(|i| 2.0 * (0.1 * ((i % 21) as f64 - 10.0) / 10.0).exp()).collect();
        let r2 = vec![1.0; 200];
        let band = simultaneous(&values, &[&r1, &r2], 0.95, true);
        // Symmetric in log around 2: lo * hi = 4.
        assert!((band[0].lo * band[0].hi - 4.0).abs() < 1e-9 && band[0].lo < 2.0, "{:?}", band[0]);
        assert_eq!((band[1].lo, band[1].hi), (1.0, 1.0));
        // A member whose replicates never vary stays out of the critical value even where
        // they sit away from its value, so it cannot stretch the others' band.
        let with = simultaneous(&[2.0, 2.0], &[&r1, &r2], 0.95, true);
        assert_eq!((with[0].lo, with[0].hi), (band[0].lo, band[0].hi));
        assert_eq!((with[1].lo, with[1].hi), (2.0, 2.0));
    }

    /// The band written out by hand: each member's standard error is the sample standard
    /// deviation of its own defined replicates (n - 1), the critical value is the level's
    /// quantile of the largest studentized deviation over the replicates where every member
    /// is defined, and a member undefined in a replicate leaves that replicate out of it.
    #[test]
    fn the_band_is_the_sup_t_band_written_out() {
        let values = [2.0, 2.0, 0.5];
        let a = [1.0, 3.0, 1.5, 3.0, 6.0, 0.5, 2.0];
        let b = [0.0, 4.0, 4.0, 1.0, f64::NAN, 3.5, 2.5];
        let c = [0.5, 0.6, 0.1, 0.9, 0.4, 0.5, 0.7];
        let band = simultaneous(&values, &[&a, &b, &c], 0.8, false);
        let sd = |r: &[f64]| {
            let v: Vec<f64> = r.iter().copied().filter(|x| x.is_finite()).collect();
            let m = v.iter().sum::<f64>() / v.len() as f64;
            (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() as f64 - 1.0)).sqrt()
        };
        let se = [sd(&a), sd(&b), sd(&c)];
        let t: Vec<f64> = (0..7)
            .filter(|&i| b[i].is_finite())
            .map(|i| [a[i], b[i], c[i]].iter().zip(values).zip(se).map(|((x, v), s)| (x - v).abs() / s).fold(0.0, f64::max))
            .collect();
        assert_eq!(t.len(), 6);
        let q = quantile(&t, 0.8);
        for (k, e) in band.iter().enumerate() {
            assert!((e.lo - (values[k] - q * se[k])).abs() < 1e-12 && (e.hi - (values[k] + q * se[k])).abs() < 1e-12, "member {k}: {e:?}");
        }
        assert!((band[1].undefined - 1.0 / 7.0).abs() < 1e-15 && band[0].undefined == 0.0);
        // Two replicates are enough for a standard error.
        let two = simultaneous(&[1.0], &[&[0.0, 2.0]], 0.95, false);
        assert!(two[0].lo.is_finite() && two[0].lo < 1.0 && two[0].hi > 1.0, "{:?}", two[0]);
    }
}
