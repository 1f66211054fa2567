//! A claim's quantities, declared once. Each is a const (`const T_DOM: Quantity = ...`)
//! listed in the claim's `QUANTITIES`; its estimate, its panels and lookups in its result
//! name it through the const, so a misspelt quantity is a compile error, and a spec's check
//! naming one the claim does not declare is refused before anything runs. Per-point values
//! are filed under `name@<point key>`.

#![warn(missing_docs)]

use crate::grid::Point;

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

    /// Its key at one grid point: `name@<point key>`.
    pub fn at(self, point: &Point) -> String {
        self.at_key(&point.key())
    }

    /// Its key under `key` (a point's key, perhaps with a cell after it, or a label).
    pub fn at_key(self, key: &str) -> String {
        format!("{}@{key}", self.name)
    }

    /// The declared quantity a result key belongs to: `t_dom@N=16` -> `t_dom`, and a
    /// check's deviation `t_dom/predicted[check 0]@N=16` -> `t_dom`.
    pub fn base_of(key: &str) -> &str {
        key.split(['@', '/']).next().unwrap_or(key)
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
        assert_eq!(T.at_key("K=8"), "t_dom@K=8");
        assert_eq!(T.at_key("K=8,k=2"), "t_dom@K=8,k=2");
        assert_eq!(Quantity::base_of("t_dom@K=8,k=2"), "t_dom");
        assert_eq!(Quantity::base_of("t_dom/predicted[check 0]@K=8"), "t_dom");
        assert_eq!(Quantity::base_of("level"), "level");
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
