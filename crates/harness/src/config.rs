//! Configs that cannot be invalid (linfa's pattern): a config type states its checks
//! ([`Validate`]), and code that must only ever see a valid one holds a [`Valid`], which
//! only [`Valid::new`] makes (and `TryFrom`, which a config type gets from `validated!`
//! beside its `Validate`). A spec's tables become checked configs once, when the claim is
//! prepared (`ClaimSpec::validated`); a config built in code goes through the same door.

use crate::error::Result;
use serde::{Serialize, Serializer};
use std::ops::Deref;

/// A config's own checks: each failure names its field and the allowed range.
pub trait Validate {
    /// Every field in its range, or an error naming the first that is not.
    fn validate(&self) -> Result<()>;
}

/// A config that passed [`Validate::validate`]. Reads as the config (`Deref`), serializes as
/// it (so records' hashes do not change), and cannot be built around an invalid one.
#[derive(Clone, Debug, PartialEq)]
pub struct Valid<T>(T);

impl<T: Validate> Valid<T> {
    /// The config, if it passes its checks; else the first failure, naming its field.
    pub fn new(config: T) -> Result<Self> {
        config.validate()?;
        Ok(Valid(config))
    }
}

/// `TryFrom<T> for Valid<T>` for each config type named (a blanket impl would collide
/// with core's `TryFrom` for every `Into`).
#[macro_export]
macro_rules! validated {
    ($($t:ty),+) => {
        $(impl TryFrom<$t> for $crate::config::Valid<$t> {
            type Error = $crate::error::Error;
            fn try_from(config: $t) -> $crate::error::Result<Self> {
                $crate::config::Valid::new(config)
            }
        })+
    };
}

impl<T> Deref for Valid<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Valid<T> {
    /// The checked value, given up.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: Serialize> Serialize for Valid<T> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize)]
    struct Rate {
        eta: f64,
    }

    validated!(Rate);

    impl Validate for Rate {
        fn validate(&self) -> Result<()> {
            crate::error::check_range("eta", self.eta, 0.0, 1.0, true)
        }
    }

    #[test]
    fn only_a_valid_config_is_checked_and_it_serializes_as_itself() {
        let ok = Valid::new(Rate { eta: 0.5 }).unwrap();
        assert_eq!(ok.eta, 0.5);
        assert_eq!(serde_json::to_string(&ok).unwrap(), serde_json::to_string(&Rate { eta: 0.5 }).unwrap());
        let e = Valid::new(Rate { eta: 0.0 }).unwrap_err().to_string();
        assert!(e.contains("eta: must be"), "{e}");
        assert!(Valid::<Rate>::try_from(Rate { eta: 2.0 }).is_err());
    }
}
