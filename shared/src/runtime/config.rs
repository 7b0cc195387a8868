//! Configuration from the environment, typed, with errors that name the variable.
//!
//! Lookups go through [`Settings`] so the devstack can hand each in-process function
//! the variables the template gives it, without touching the process environment.

use std::collections::HashMap;
use std::str::FromStr;

use crate::domain::deadline::WorkingDays;

/// A missing or malformed setting.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is not set.
    #[error("environment variable {0} is required but not set")]
    Missing(String),
    /// A variable is set but cannot be parsed.
    #[error("environment variable {name} has an invalid value {value:?}: {reason}")]
    Invalid {
        /// Variable name.
        name: String,
        /// The value found.
        value: String,
        /// Why it was refused.
        reason: String,
    },
}

impl WorkingDays {
    /// Reads the three settings, each with its default.
    pub fn load(settings: &Settings) -> Result<Self, ConfigError> {
        let d = Self::default();
        Ok(Self {
            verify: settings.parsed_or("VERIFY_WORKING_DAYS", d.verify)?,
            follow_up: settings.parsed_or("FOLLOW_UP_WORKING_DAYS", d.follow_up)?,
            close: settings.parsed_or("CLOSE_WORKING_DAYS", d.close)?,
        })
    }
}

/// `main` returns these, and Rust prints a failed `main`'s error with `Debug`: make that
/// the readable sentence an operator needs in the function's init log.
impl std::fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// `NAME_PARAMETER` names the SSM SecureString that holds the secret `NAME`: the
/// template passes parameter names, never secret values (adapters::secrets).
pub const SECRET_PARAMETER_SUFFIX: &str = "_PARAMETER";

/// Where settings come from: the process environment or an explicit map.
pub struct Settings {
    vars: HashMap<String, String>,
}

impl Settings {
    /// The process environment (what Lambda gives a function).
    pub fn from_env() -> Self {
        Self {
            vars: std::env::vars().collect(),
        }
    }

    /// An explicit set of variables (devstack, tests).
    pub fn from_map(vars: HashMap<String, String>) -> Self {
        Self { vars }
    }

    /// Variables given as pairs (tests).
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Self::from_map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    /// A required, non-empty variable.
    pub fn required(&self, name: &str) -> Result<String, ConfigError> {
        self.optional(name)
            .ok_or_else(|| ConfigError::Missing(name.to_string()))
    }

    /// An optional variable; empty counts as unset.
    pub fn optional(&self, name: &str) -> Option<String> {
        self.vars
            .get(name)
            .filter(|v| !v.trim().is_empty())
            .cloned()
    }

    /// Secrets still to fetch: `(NAME, parameter)` for each `NAME_PARAMETER` naming an
    /// SSM parameter while `NAME` itself is unset (tests and local runs set `NAME`).
    pub fn secret_parameters(&self) -> Vec<(String, String)> {
        let mut wanted: Vec<_> = self
            .vars
            .keys()
            .filter_map(|key| {
                let name = key.strip_suffix(SECRET_PARAMETER_SUFFIX)?;
                let parameter = self.optional(key)?;
                self.optional(name)
                    .is_none()
                    .then(|| (name.to_string(), parameter))
            })
            .collect();
        wanted.sort();
        wanted
    }

    /// Sets `name` (a secret fetched at start-up).
    pub fn set(&mut self, name: &str, value: String) {
        self.vars.insert(name.to_string(), value);
    }

    /// A parsed variable with a default when unset.
    pub fn parsed_or<T: FromStr>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        match self.optional(name) {
            None => Ok(default),
            Some(value) => value
                .trim()
                .parse()
                .map_err(|e: T::Err| ConfigError::Invalid {
                    name: name.to_string(),
                    reason: e.to_string(),
                    value,
                }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Settings {
        Settings::from_pairs(pairs)
    }

    #[test]
    fn missing_and_invalid_name_the_variable() {
        let s = settings(&[("TABLE_NAME", " "), ("DAYS", "two")]);
        assert_eq!(
            s.required("TABLE_NAME"),
            Err(ConfigError::Missing("TABLE_NAME".into()))
        );
        let err = s.parsed_or::<u32>("DAYS", 2).unwrap_err();
        assert!(err.to_string().contains("DAYS"));
        assert_eq!(s.parsed_or::<u32>("OTHER", 2), Ok(2));
    }

    #[test]
    fn a_secret_set_directly_is_not_fetched() {
        let s = settings(&[
            ("DEVICE_KEY_PARAMETER", "/sigap/device-key"),
            ("SENDER_HASH_KEY_PARAMETER", "/sigap/sender-hash-key"),
            ("SENDER_HASH_KEY", "local"),
            ("EMPTY_PARAMETER", ""),
        ]);
        assert_eq!(
            s.secret_parameters(),
            vec![("DEVICE_KEY".to_string(), "/sigap/device-key".to_string())]
        );
    }
}
