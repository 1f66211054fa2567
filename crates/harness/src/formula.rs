//! Predictions written as formulas over a grid point's variables (`"T * ln(N) / rho^2"`).
//! Parsing and evaluation are exmex's; this file adds what a spec's reader needs: every
//! variable must be one the point defines, and a value that is not a finite number (a
//! division by zero, a log of zero) is an error, never a silent NaN in a verdict.

use crate::verdict::num;
use exmex::{Express, FlatEx};
use std::fmt;

/// The name under which a formula may also write π.
const PI: &str = "pi";

/// Named values at one grid point: its axes, the run's settings and the task's statistics.
pub type Vars = Vec<(String, f64)>;

/// A formula of the spec (a prediction or a bound) over named values, parsed once.
#[derive(Clone)]
pub struct Formula {
    /// The formula as the spec wrote it.
    pub text: String,
    ex: FlatEx<f64>,
}

impl fmt::Debug for Formula {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "Formula({:?})", self.text)
    }
}

impl Formula {
    /// Parses `text`; the error reads after the expression ("does not parse: ...").
    pub fn parse(text: &str) -> Result<Formula, String> {
        if text.trim().is_empty() {
            return Err("is empty: write a number or a formula such as \"T * ln(N)\"".into());
        }
        exmex::parse::<f64>(text).map(|ex| Formula { text: text.to_string(), ex }).map_err(|e| format!("does not parse ({})", crate::ui::one_line(e.msg())))
    }

    /// The variables the formula reads, in the order `eval` takes them.
    pub fn names(&self) -> &[String] {
        self.ex.var_names()
    }

    /// The first variable that `known` does not name, if any. `pi` is π unless the point
    /// has a variable of that name (exmex spells the constant `PI`; a theorist writes `pi`).
    pub fn unknown<'a>(&'a self, known: &[&str]) -> Option<&'a str> {
        self.names().iter().map(String::as_str).find(|n| !known.contains(n) && *n != PI)
    }

    /// The value at a point. An unknown variable, or a value that is not a finite number,
    /// is an error that reads after the expression.
    pub fn eval(&self, vars: &[(String, f64)]) -> Result<f64, String> {
        let mut values = Vec::with_capacity(self.names().len());
        for name in self.names() {
            match vars.iter().find(|(n, _)| n == name) {
                Some((_, v)) => values.push(*v),
                None if name == PI => values.push(std::f64::consts::PI),
                None => {
                    let mut known: Vec<&str> = vars.iter().map(|v| v.0.as_str()).collect();
                    known.sort_unstable();
                    return Err(format!("uses {name:?}, which is not a variable here (known: {})", known.join(", ")));
                }
            }
        }
        let x = self.ex.eval(&values).map_err(|e| format!("cannot be evaluated ({})", crate::ui::one_line(e.msg())))?;
        if x.is_finite() {
            Ok(x)
        } else {
            let given: Vec<String> = self.names().iter().zip(&values).map(|(n, v)| format!("{n}={}", num(*v))).collect();
            Err(format!(
                "is {} with {}: a division by zero, or a log or root of a number out of its domain",
                if x.is_nan() { "NaN".to_string() } else { num(x) },
                if given.is_empty() { "no variables".into() } else { given.join(", ") }
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(v: &[(&str, f64)]) -> Vars {
        v.iter().map(|(n, x)| (n.to_string(), *x)).collect()
    }

    #[test]
    fn evaluates_over_named_variables() {
        let f = Formula::parse("c^2/(1-c^2) * T * ln(N)").unwrap();
        let x = f.eval(&vars(&[("N", 8.0), ("T", 16.0), ("c", 0.5), ("unused", 1.0)])).unwrap();
        assert!((x - 0.25 / 0.75 * 16.0 * 8f64.ln()).abs() < 1e-12);
        assert_eq!(Formula::parse("2.5").unwrap().eval(&[]).unwrap(), 2.5);
    }

    #[test]
    fn pi_is_pi_in_either_spelling_unless_a_variable_takes_the_name() {
        for text in ["pi", "PI", "2 * pi / 2"] {
            let f = Formula::parse(text).unwrap();
            assert_eq!(f.unknown(&[]), None, "{text}");
            assert_eq!(f.eval(&[]).unwrap(), std::f64::consts::PI, "{text}");
        }
        assert_eq!(Formula::parse("pi").unwrap().eval(&vars(&[("pi", 3.0)])).unwrap(), 3.0);
    }

    #[test]
    fn an_unknown_variable_is_named_with_the_known_ones() {
        let f = Formula::parse("T * Nn").unwrap();
        assert_eq!(f.unknown(&["T", "N"]), Some("Nn"));
        let err = f.eval(&vars(&[("T", 1.0), ("N", 2.0)])).unwrap_err();
        assert!(err.contains("\"Nn\"") && err.contains("known: N, T"), "{err}");
    }

    #[test]
    fn division_by_zero_and_bad_syntax_are_errors() {
        let err = Formula::parse("1 / (rho - 0.5)").unwrap().eval(&vars(&[("rho", 0.5)])).unwrap_err();
        assert!(err.starts_with("is inf with rho=0.5"), "{err}");
        let err = Formula::parse("ln(T - 16)").unwrap().eval(&vars(&[("T", 16.0)])).unwrap_err();
        assert!(err.starts_with("is -inf"), "{err}");
        assert!(Formula::parse("sqrt(x) - ").is_err());
        assert!(Formula::parse("T * (N").is_err());
        assert!(Formula::parse("  ").is_err());
    }
}
