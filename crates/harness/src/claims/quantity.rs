//! A claim's quantities, declared once. Each is a const (`const T_DOM: Quantity = ...`)
//! listed in the claim's `QUANTITIES`; its estimate, its panels and lookups in its result
//! name it through the const, so a misspelt quantity is a compile error, and a spec's check
//! naming one the claim does not declare is refused before anything runs. Per-point values
//! are filed under `name@<point key>` (the grammar is `key.rs`'s).

use super::key::Key;
use crate::grid::Point;
use std::fmt;

/// A named number a claim computes from its trials, with one line for the reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quantity {
    /// Its name in results and specs (`t_dom`), or a family's stem with `*` (`residual_*`).
    pub name: &'static str,
    /// One line for the reports.
    pub about: &'static str,
}

impl Quantity {
    /// A quantity, declared as a const.
    pub const fn new(name: &'static str, about: &'static str) -> Quantity {
        Quantity { name, about }
    }

    /// Whether a result or check names this quantity. A name ending in `*` declares a family
    /// whose members a spec fixes (`residual_*` covers `residual_n` for a spec's own axis n);
    /// the claim's `new` checks the member against the spec.
    pub fn matches(self, name: &str) -> bool {
        match self.name.strip_suffix('*') {
            Some(stem) => name.len() > stem.len() && name.starts_with(stem),
            None => self.name == name,
        }
    }

    /// Its key over the whole grid, to refine ([`Key::at`], [`Key::with`]).
    pub fn key(self) -> Key {
        Key::new(self.name)
    }

    /// Its key at one grid point: `name@<point key>`.
    pub fn at(self, point: &Point) -> String {
        self.key().at(point).to_string()
    }

    /// Its key in one cell of a point: `name@<point key>,<symbol>=<value>`.
    pub fn at_cell(self, point: &Point, symbol: &str, value: impl fmt::Display) -> String {
        self.key().at(point).with(symbol, value).to_string()
    }

    /// Its key under one coordinate alone, as for a fit along the other axes at each value
    /// of this one: `name@<symbol>=<value>`.
    pub fn at_coord(self, symbol: &str, value: impl fmt::Display) -> String {
        self.key().with(symbol, value).to_string()
    }
}

impl AsRef<str> for Quantity {
    fn as_ref(&self) -> &str {
        self.name
    }
}

impl From<Quantity> for String {
    fn from(q: Quantity) -> String {
        q.name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_name_then_the_point_or_cell() {
        const T: Quantity = Quantity::new("t_dom", "steps");
        let c = |s: &str, v: f64| crate::grid::Coord { name: s.to_lowercase(), symbol: s.into(), value: v, integer: true };
        let point = Point { coords: vec![c("K", 8.0)] };
        assert_eq!(T.at(&point), "t_dom@K=8");
        assert_eq!(T.at_cell(&point, "k", 2), "t_dom@K=8,k=2");
        assert_eq!(T.at_coord("eps", 0.001), "t_dom@eps=0.001");
        assert_eq!(String::from(T), "t_dom");
    }

    #[test]
    fn a_family_matches_its_members_and_nothing_else() {
        const R: Quantity = Quantity::new("residual_*", "residual exponents");
        assert!(R.matches("residual_n") && R.matches("residual_rho"));
        assert!(!R.matches("residual_") && !R.matches("residual") && !R.matches("ratio"));
        const T: Quantity = Quantity::new("t_dom", "steps");
        assert!(T.matches("t_dom") && !T.matches("t_dom2"));
    }
}
