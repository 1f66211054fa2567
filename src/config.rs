//! Configs that cannot be invalid (linfa's pattern): a config type states its checks
//! ([`Validate`]), and code that must only ever see a valid one holds a [`Checked`], which
//! only [`Checked::new`] makes (and `TryFrom`, which a config type gets from `checked!`
//! beside its `Validate`). A spec's tables become checked configs once, when the claim is
//! prepared (`ClaimSpec::checked`); a config built in code goes through the same door.

use crate::error::Result;
use serde::{Serialize, Serializer};
use std::ops::Deref;

/// A config's own checks: each failure names its field and the allowed range.
pub trait Validate {
    fn validate(&self) -> Result<()>;
}

/// A config that passed [`Validate::validate`]. Reads as the config (`Deref`), serializes as
/// it (so records' hashes do not change), and cannot be built around an invalid one.
#[derive(Clone, Debug, PartialEq)]
pub struct Checked<T>(T);

impl<T: Validate> Checked<T> {
    /// The config, if it passes its checks; else the first failure, naming its field.
    pub fn new(config: T) -> Result<Self> {
        config.validate()?;
        Ok(Checked(config))
    }
}

/// `TryFrom<T> for Checked<T>` for each config type named (a blanket impl would collide
/// with core's `TryFrom` for every `Into`).
macro_rules! checked {
    ($($t:ty),+) => {
        $(impl TryFrom<$t> for $crate::config::Checked<$t> {
            type Error = $crate::error::Error;
            fn try_from(config: $t) -> $crate::error::Result<Self> {
                $crate::config::Checked::new(config)
            }
        })+
    };
}
pub(crate) use checked;

impl<T> Deref for Checked<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Checked<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: Serialize> Serialize for Checked<T> {
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

    checked!(Rate);

    impl Validate for Rate {
        fn validate(&self) -> Result<()> {
            crate::error::check_range("eta", self.eta, 0.0, 1.0, true)
        }
    }

    #[test]
    fn only_a_valid_config_is_checked_and_it_serializes_as_itself() {
        let ok = Checked::new(Rate { eta: 0.5 }).unwrap();
        assert_eq!(ok.eta, 0.5);
        assert_eq!(serde_json::to_string(&ok).unwrap(), serde_json::to_string(&Rate { eta: 0.5 }).unwrap());
        let e = Checked::new(Rate { eta: 0.0 }).unwrap_err().to_string();
        assert!(e.contains("eta: must be"), "{e}");
        assert!(Checked::<Rate>::try_from(Rate { eta: 2.0 }).is_err());
    }
}
