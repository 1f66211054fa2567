//! A result's key as a type. A claim's numbers are filed in `result.json` under one string
//! each: the quantity, then `/predicted[check c]` for a check's per-task deviation, then
//! `@` and the coordinates it is at (a grid point's `symbol=value` in axis order, and any
//! cell that refines the point, such as `R=0.5`). This file is the one place that grammar is
//! written and read: claims build keys through [`Key`] (or `Quantity::at`), and
//! the runner, the analysis and the tidy `quantities.csv` read them back through
//! [`Key::parse`], so that no reader, the Python package included, splits the string itself.

use crate::grid::Point;
use std::fmt;

/// The columns `quantities.csv` has besides the coordinates: a coordinate's symbol may not
/// be one of them, or its column would be ambiguous.
pub const COLUMNS: [&str; 7] = ["quantity", "deviation", "point", "value", "lo", "hi", "undefined"];

/// A quantity's key: what it is, which check's deviation it is (if one), and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Key {
    /// The quantity's name (`t_dom`, or a family member such as `residual_n`).
    pub quantity: String,
    /// The check whose per-task deviation (measured against a per-task prediction) this is.
    pub check: Option<usize>,
    /// The coordinates, `(symbol, value as written)`: the point's in axis order, then cells.
    pub coords: Vec<(String, String)>,
}

impl Key {
    /// A quantity over the whole grid.
    pub fn new(quantity: impl Into<String>) -> Key {
        Key { quantity: quantity.into(), check: None, coords: Vec::new() }
    }

    /// The key at a grid point: its coordinates appended.
    pub fn at(mut self, point: &Point) -> Key {
        self.coords.extend(point.key_coords());
        self
    }

    /// One more coordinate: a cell that refines the point (`R=0.5`), or a label such as
    /// `rho=0.25` on a quantity fitted along the other axes.
    pub fn with(mut self, symbol: &str, value: impl fmt::Display) -> Key {
        self.coords.push((symbol.to_string(), value.to_string()));
        self
    }

    /// The key of check `c`'s per-task deviation of this quantity at the same coordinates.
    pub fn deviation(mut self, c: usize) -> Key {
        self.check = Some(c);
        self
    }

    /// The coordinates as written after the `@` (`N=16,T=32`), empty for a whole-grid key.
    pub fn point(&self) -> String {
        self.coords.iter().map(|(s, v)| format!("{s}={v}")).collect::<Vec<_>>().join(",")
    }

    /// Whether this key lies at a point or in one of its cells: its first coordinates are
    /// the point's.
    pub fn within(&self, point: &Point) -> bool {
        let own = point.key_coords();
        self.coords.len() >= own.len() && self.coords[..own.len()] == own[..]
    }

    /// The key a string names, or None when the string is not one a key writes.
    pub fn parse(text: &str) -> Option<Key> {
        let (head, coords) = match text.split_once('@') {
            Some((h, c)) => (h, Some(c)),
            None => (text, None),
        };
        let (quantity, check) = match head.split_once('/') {
            Some((q, rest)) => (q, Some(rest.strip_prefix("predicted[check ")?.strip_suffix(']')?.parse().ok()?)),
            None => (head, None),
        };
        if quantity.is_empty() || quantity.contains([',', '=', '[', ']']) {
            return None;
        }
        let coords = match coords {
            None => Vec::new(),
            Some(c) => c
                .split(',')
                .map(|part| part.split_once('=').filter(|(s, v)| symbol_problem(s).is_none() && !v.is_empty()).map(|(s, v)| (s.to_string(), v.to_string())))
                .collect::<Option<Vec<_>>>()?,
        };
        Some(Key { quantity: quantity.to_string(), check, coords })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.quantity)?;
        if let Some(c) = self.check {
            write!(f, "/predicted[check {c}]")?;
        }
        if !self.coords.is_empty() {
            write!(f, "@{}", self.point())?;
        }
        Ok(())
    }
}

impl From<Key> for String {
    fn from(k: Key) -> String {
        k.to_string()
    }
}

/// Why a symbol cannot name a coordinate in a key, or None when it can: it is a column of
/// `quantities.csv` of its own, so it needs letters, digits and underscores only (no
/// separator of the key) and none of [`COLUMNS`].
pub fn symbol_problem(symbol: &str) -> Option<String> {
    if symbol.is_empty() || !symbol.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return Some(format!("{symbol:?} must be letters, digits and underscores (it names a column of quantities.csv)"));
    }
    if COLUMNS.contains(&symbol) {
        return Some(format!("{symbol:?} is taken by quantities.csv's own column of that name; choose another symbol"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::Coord;
    use quickcheck::{quickcheck, TestResult};

    fn point() -> Point {
        let c = |s: &str, v: f64, integer: bool| Coord { name: s.to_lowercase(), symbol: s.into(), value: v, integer };
        Point { coords: vec![c("N", 16.0, true), c("rho", 0.25, false)] }
    }

    #[test]
    fn keys_write_the_grammar_results_have_always_had() {
        assert_eq!(Key::new("agree").to_string(), "agree");
        assert_eq!(Key::new("t").at(&point()).to_string(), "t@N=16,rho=0.25");
        assert_eq!(Key::new("err").at(&point()).with("R", 0.1).to_string(), "err@N=16,rho=0.25,R=0.1");
        assert_eq!(Key::new("t_exponent").with("rho", 0.5).to_string(), "t_exponent@rho=0.5");
        assert_eq!(Key::new("t").at(&point()).deviation(3).to_string(), "t/predicted[check 3]@N=16,rho=0.25");
    }

    #[test]
    fn parse_reads_back_every_part_and_refuses_what_no_key_writes() {
        let k = Key::parse("t/predicted[check 3]@N=16,rho=0.25,R=0.1").unwrap();
        assert_eq!((k.quantity.as_str(), k.check), ("t", Some(3)));
        assert_eq!(k.point(), "N=16,rho=0.25,R=0.1");
        assert!(k.within(&point()));
        assert!(!Key::parse("t@N=16").unwrap().within(&point()));
        assert!(!Key::parse("t@N=8,rho=0.25").unwrap().within(&point()));
        for bad in ["", "@N=1", "t@", "t@N", "t@N=", "t@=1", "t@N=1,,T=2", "t/other@N=1", "t/predicted[check x]@N=1", "a,b@N=1", "t@value=1"] {
            assert_eq!(Key::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_symbol_must_be_a_plain_column_name_of_its_own() {
        assert_eq!(symbol_problem("rho"), None);
        assert_eq!(symbol_problem("ρ_2"), None);
        for bad in ["", "a,b", "a=b", "a b", "value", "lo", "quantity", "point"] {
            assert!(symbol_problem(bad).is_some(), "{bad:?}");
        }
    }

    quickcheck! {
        fn what_a_key_writes_parses_back_to_it(q: String, check: Option<u8>, coords: Vec<(String, String)>) -> TestResult {
            let plain = |s: &str| s.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>();
            let q = plain(&q);
            let coords: Vec<(String, String)> = coords.iter().map(|(s, v)| (plain(s), plain(v))).filter(|(s, v)| symbol_problem(s).is_none() && !v.is_empty()).collect();
            if q.is_empty() {
                return TestResult::discard();
            }
            let key = Key { quantity: q, check: check.map(usize::from), coords };
            TestResult::from_bool(Key::parse(&key.to_string()) == Some(key))
        }
    }
}
