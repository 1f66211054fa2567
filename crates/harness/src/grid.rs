//! Grids of named axes. A claim declares the axes it reads; a spec gives each a list of
//! values; the points are their cartesian product. A point's key (what names its trial
//! records and seeds its trials) is typed and encoded canonically, apart from the label
//! that figures and reports show, so reformatting a label reseeds and orphans nothing.

use crate::error::{invalid, Result};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq)]
/// The values an axis takes.
pub enum AxisKind {
    /// Whole numbers in `[min, max]`.
    Integer {
        /// The least value.
        min: i64,
        /// The greatest value.
        max: i64,
    },
    /// Finite reals in `[min, max]`.
    Real {
        /// The least value.
        min: f64,
        /// The greatest value.
        max: f64,
    },
}

/// One axis a claim reads.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// The key in a spec's `[grid]` table. Static for a claim's own axes; owned for axes a
    /// spec declares itself (an external trial's).
    pub name: Cow<'static, str>,
    /// How the axis is written in point keys and labels (`N=16`).
    pub symbol: Cow<'static, str>,
    /// Whole numbers or reals, and their range.
    pub kind: AxisKind,
    /// The value when the grid does not list the axis; `None` leaves the axis out of the points.
    pub default: Option<f64>,
    /// One line for the help and the reports.
    pub about: Cow<'static, str>,
}

impl Axis {
    /// An axis of whole numbers in `[min, max]`, with no default.
    pub fn integer(name: impl Into<Cow<'static, str>>, symbol: impl Into<Cow<'static, str>>, min: i64, max: i64, about: impl Into<Cow<'static, str>>) -> Axis {
        Axis { name: name.into(), symbol: symbol.into(), kind: AxisKind::Integer { min, max }, default: None, about: about.into() }
    }
    /// An axis of finite reals in `[min, max]`, with no default.
    pub fn real(name: impl Into<Cow<'static, str>>, symbol: impl Into<Cow<'static, str>>, min: f64, max: f64, about: impl Into<Cow<'static, str>>) -> Axis {
        Axis { name: name.into(), symbol: symbol.into(), kind: AxisKind::Real { min, max }, default: None, about: about.into() }
    }
    /// The axis with the value it takes when a grid does not list it.
    pub fn or(mut self, default: f64) -> Axis {
        self.default = Some(default);
        self
    }

    /// Parses one grid value, naming the axis and its range when it does not fit.
    fn value(&self, field: &str, v: &toml::Value) -> Result<f64> {
        match (self.kind, v) {
            (AxisKind::Integer { min, max }, toml::Value::Integer(x)) if (min..=max).contains(x) => Ok(*x as f64),
            (AxisKind::Integer { min, max }, _) => Err(invalid(field, format!("must be whole numbers in [{min}, {max}] (got {v})"))),
            (AxisKind::Real { min, max }, toml::Value::Float(x)) if x.is_finite() && *x >= min && *x <= max => Ok(*x),
            (AxisKind::Real { min, max }, toml::Value::Integer(x)) if (*x as f64) >= min && (*x as f64) <= max => Ok(*x as f64),
            (AxisKind::Real { min, max }, _) => {
                Err(invalid(field, format!("must be numbers in [{}, {}] (got {v})", crate::verdict::num(min), crate::verdict::num(max))))
            }
        }
    }
}

/// A grid as a spec writes it: axis name -> values.
pub type Grid = BTreeMap<String, Vec<toml::Value>>;

/// One coordinate of a point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Coord {
    /// The axis's grid name.
    pub name: String,
    /// Its symbol in keys, labels and formulas (`N`).
    pub symbol: String,
    /// The value at this point.
    pub value: f64,
    /// Written as a whole number.
    pub integer: bool,
}

/// A grid point: its coordinates in the claim's axis order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Its coordinates, one per axis.
    pub coords: Vec<Coord>,
}

impl Point {
    /// The value of an axis, by its grid name (None if the grid has no such axis).
    pub fn get(&self, name: &str) -> Option<f64> {
        self.coords.iter().find(|c| c.name == name).map(|c| c.value)
    }

    /// The value of an axis the claim always has.
    pub fn at(&self, name: &str) -> f64 {
        self.get(name).unwrap_or_else(|| panic!("the claim declared axis {name:?}"))
    }

    /// The canonical key: `symbol=value` in axis order, joined by commas. Trial records are
    /// filed under it and trial seeds derive from it; it never changes with presentation.
    pub fn key(&self) -> String {
        self.key_coords().iter().map(|(s, v)| format!("{s}={v}")).collect::<Vec<_>>().join(",")
    }

    /// The coordinates as the key writes them, `(symbol, value)`, for a result's typed key
    /// (`claims::key::Key`).
    pub fn key_coords(&self) -> Vec<(String, String)> {
        self.coords.iter().map(|c| (c.symbol.clone(), fmt_value(c.value, c.integer))).collect()
    }

    /// How figures and reports name the point.
    pub fn label(&self) -> String {
        self.coords.iter().map(|c| format!("{}={}", c.symbol, fmt_value(c.value, c.integer))).collect::<Vec<_>>().join(", ")
    }

    /// The point's coordinates as formula variables, by symbol (`N`, `T`, `rho`).
    pub fn vars(&self) -> crate::formula::Vars {
        self.coords.iter().map(|c| (c.symbol.clone(), c.value)).collect()
    }
}

fn fmt_value(v: f64, integer: bool) -> String {
    if integer {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// The points of `grid` over `axes`, in a fixed order (the first axis varies slowest).
/// Unknown axis names and values outside an axis's range are errors naming `field.axis`.
pub fn points(axes: &[Axis], grid: &Grid, field: &str) -> Result<Vec<Point>> {
    for name in grid.keys() {
        if !axes.iter().any(|a| a.name == name.as_str()) {
            let known: Vec<&str> = axes.iter().map(|a| a.name.as_ref()).collect();
            return Err(invalid(format!("{field}.{name}"), format!("is not an axis of this claim (its axes: {})", known.join(", "))));
        }
    }
    let mut lists: Vec<(&Axis, Vec<f64>)> = Vec::new();
    for axis in axes {
        let f = format!("{field}.{}", axis.name);
        let values = match grid.get(axis.name.as_ref()) {
            Some(vs) if !vs.is_empty() => vs.iter().map(|v| axis.value(&f, v)).collect::<Result<Vec<f64>>>()?,
            _ => match axis.default {
                Some(d) => vec![d],
                None => continue,
            },
        };
        let mut seen = values.clone();
        seen.sort_by(f64::total_cmp);
        if seen.windows(2).any(|w| w[0] == w[1]) {
            return Err(invalid(f, "lists a value twice"));
        }
        lists.push((axis, values));
    }
    let mut out = vec![Point { coords: vec![] }];
    for (axis, values) in &lists {
        let integer = matches!(axis.kind, AxisKind::Integer { .. });
        out = out
            .into_iter()
            .flat_map(|p| {
                values.iter().map(move |&v| {
                    let mut q = p.clone();
                    q.coords.push(Coord { name: axis.name.to_string(), symbol: axis.symbol.to_string(), value: v, integer });
                    q
                })
            })
            .collect();
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axes() -> Vec<Axis> {
        vec![
            Axis::integer("n", "N", 2, 100, "vocabulary").or(16.0),
            Axis::integer("t", "T", 1, 1000, "context"),
            Axis::real("rho", "rho", 0.0, 1.0, "correlation"),
        ]
    }

    fn grid(text: &str) -> Grid {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn points_are_the_product_in_axis_order_with_defaults_and_absent_axes() {
        let p = points(&axes(), &grid("t = [16, 32]\nrho = [0.5, 1]"), "grid").unwrap();
        let keys: Vec<String> = p.iter().map(Point::key).collect();
        assert_eq!(keys, ["N=16,T=16,rho=0.5", "N=16,T=16,rho=1", "N=16,T=32,rho=0.5", "N=16,T=32,rho=1"]);
        assert_eq!(p[3].get("rho"), Some(1.0));
        // rho has no default: a grid without it has points without it.
        let p = points(&axes(), &grid("t = [16]"), "grid").unwrap();
        assert_eq!((p.len(), p[0].key(), p[0].get("rho")), (1, "N=16,T=16".to_string(), None));
    }

    #[test]
    fn the_key_and_the_seed_do_not_depend_on_the_label() {
        let p = &points(&axes(), &grid("t = [16]"), "grid").unwrap()[0];
        assert_eq!(p.label(), "N=16, T=16");
        assert_eq!(p.key(), "N=16,T=16");
        assert_eq!(crate::rng::seeds::trial(7, &p.key(), 3), crate::rng::derive(7 ^ crate::rng::fnv1a(b"N=16,T=16"), 3));
    }

    #[test]
    fn bad_grids_name_the_axis_and_its_range() {
        let err = |g: &str| points(&axes(), &grid(g), "quick.grid").unwrap_err().to_string();
        assert!(err("m = [1]").contains("quick.grid.m: is not an axis"), "{}", err("m = [1]"));
        assert!(err("t = [0]").contains("quick.grid.t: must be whole numbers in [1, 1000]"));
        assert!(err("t = [1.5]").contains("quick.grid.t"));
        assert!(err("rho = [2.0]").contains("quick.grid.rho: must be numbers in [0, 1]"));
        assert!(err("t = [4, 4]").contains("lists a value twice"));
    }
}
