//! Tracking ids: short, random, speakable report numbers with a check character.
//!
//! Shape: `BDG-` + six random symbols + one check symbol, e.g. `BDG-K7M2QXZ`.
//! The alphabet leaves out symbols people confuse when reading or dictating
//! (0/O, 1/I/L, U/V is kept but U dropped), so an id read over the phone or typed
//! into an SMS survives. Random rather than sequential so ids reveal nothing about
//! volume and cannot be enumerated. The check symbol (Luhn mod 30) catches every
//! single wrong symbol and most swapped neighbours before we look anything up.

use std::fmt;
use std::str::FromStr;

/// The prefix every Bandung tracking id carries.
pub const PREFIX: &str = "BDG";
/// Symbols used in tracking ids: digits 2–9 and letters without I, L, O, U.
pub const ALPHABET: &[u8; 30] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Number of random symbols before the check symbol.
pub const RANDOM_LEN: usize = 6;

/// A parsed, checked tracking id such as `BDG-K7M2QXZ`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackingId(String);

/// Why a string is not a tracking id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrackingIdError {
    /// It does not start with `BDG`.
    #[error("tracking id must start with {PREFIX}")]
    Prefix,
    /// Wrong number of symbols after the prefix.
    #[error("tracking id must have {} symbols after {PREFIX}-", RANDOM_LEN + 1)]
    Length,
    /// A symbol outside the alphabet.
    #[error("tracking id contains an invalid symbol")]
    Symbol,
    /// The check symbol does not match: a typo.
    #[error("tracking id check symbol does not match")]
    Check,
}

fn index_of(symbol: u8) -> Option<usize> {
    ALPHABET.iter().position(|&a| a == symbol)
}

/// Luhn mod N check symbol over `symbols` (indices into [`ALPHABET`]).
fn check_symbol(symbols: &[usize]) -> usize {
    let n = ALPHABET.len();
    let mut factor = 2;
    let mut sum = 0;
    for &code in symbols.iter().rev() {
        let addend = factor * code;
        sum += addend / n + addend % n;
        factor = if factor == 2 { 1 } else { 2 };
    }
    (n - sum % n) % n
}

/// `count` indices into [`ALPHABET`] drawn from random bytes, one byte per symbol;
/// `None` when the bytes run out first. 240 = 8 × 30: bytes at or above it are dropped
/// so every symbol is equally likely (tracking ids and photo ids draw alike).
pub fn random_symbols(bytes: &[u8], count: usize) -> Option<Vec<usize>> {
    let symbols: Vec<usize> = bytes
        .iter()
        .filter(|&&b| b < 240)
        .map(|&b| usize::from(b) % ALPHABET.len())
        .take(count)
        .collect();
    (symbols.len() == count).then_some(symbols)
}

impl TrackingId {
    /// Builds an id from random bytes (one byte per symbol; rejection keeps it unbiased).
    ///
    /// Returns `None` when the bytes run out before six symbols were drawn; the caller
    /// supplies more entropy than needed, so in practice this never happens.
    pub fn from_random_bytes(bytes: &[u8]) -> Option<Self> {
        let symbols = random_symbols(bytes, RANDOM_LEN)?;
        let check = check_symbol(&symbols);
        let mut id = String::with_capacity(PREFIX.len() + 1 + RANDOM_LEN + 1);
        id.push_str(PREFIX);
        id.push('-');
        for &s in symbols.iter().chain(std::iter::once(&check)) {
            id.push(char::from(ALPHABET[s]));
        }
        Some(Self(id))
    }

    /// Parses what a person typed: any case, spaces or a missing hyphen tolerated.
    pub fn parse(input: &str) -> Result<Self, TrackingIdError> {
        let compact: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-' && *c != '#')
            .flat_map(char::to_uppercase)
            .collect();
        let rest = compact
            .strip_prefix(PREFIX)
            .ok_or(TrackingIdError::Prefix)?;
        if rest.len() != RANDOM_LEN + 1 || !rest.is_ascii() {
            return Err(TrackingIdError::Length);
        }
        let symbols = rest
            .bytes()
            .map(index_of)
            .collect::<Option<Vec<_>>>()
            .ok_or(TrackingIdError::Symbol)?;
        let (body, check) = symbols.split_at(RANDOM_LEN);
        if check.first() != Some(&check_symbol(body)) {
            return Err(TrackingIdError::Check);
        }
        Ok(Self(format!("{PREFIX}-{rest}")))
    }

    /// The canonical text form, e.g. `BDG-K7M2QXZ`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TrackingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for TrackingId {
    type Err = TrackingIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for TrackingId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> TrackingId {
        TrackingId::from_random_bytes(&[10, 20, 30, 40, 50, 60]).unwrap_or_else(|| unreachable!())
    }

    #[test]
    fn has_the_documented_shape() {
        let id = sample();
        assert_eq!(id.as_str().len(), 11);
        assert!(id.as_str().starts_with("BDG-"));
        assert_eq!(TrackingId::parse(id.as_str()), Ok(id));
    }

    #[test]
    fn parses_what_people_type() {
        let id = sample();
        let lower = id.as_str().to_lowercase().replace('-', " ");
        assert_eq!(TrackingId::parse(&lower), Ok(id.clone()));
        let spaced = format!("  #{}  ", id.as_str().replace('-', ""));
        assert_eq!(TrackingId::parse(&spaced), Ok(id));
    }

    #[test]
    fn rejects_garbage_with_the_reason() {
        assert_eq!(
            TrackingId::parse("JKT-2345678"),
            Err(TrackingIdError::Prefix)
        );
        assert_eq!(TrackingId::parse("BDG-234"), Err(TrackingIdError::Length));
        assert_eq!(
            TrackingId::parse("BDG-O234567"),
            Err(TrackingIdError::Symbol)
        );
        assert_eq!(TrackingId::parse("BDG-ÄÄÄÄ"), Err(TrackingIdError::Length));
        assert_eq!(TrackingId::parse(""), Err(TrackingIdError::Prefix));
    }

    #[test]
    fn too_little_entropy_is_refused() {
        assert_eq!(TrackingId::from_random_bytes(&[1, 2, 3]), None);
        assert_eq!(TrackingId::from_random_bytes(&[250; 32]), None);
    }

    proptest! {
        #[test]
        fn every_generated_id_parses_back(bytes in proptest::collection::vec(0u8..240, 6..16)) {
            let id = TrackingId::from_random_bytes(&bytes).unwrap_or_else(|| unreachable!());
            prop_assert_eq!(TrackingId::parse(id.as_str()), Ok(id));
        }

        #[test]
        fn any_single_wrong_symbol_is_caught(bytes in proptest::collection::vec(0u8..240, 6), pos in 0usize..7, shift in 1usize..30) {
            let id = TrackingId::from_random_bytes(&bytes).unwrap_or_else(|| unreachable!());
            let mut raw = id.as_str().as_bytes().to_vec();
            let at = 4 + pos;
            let old = index_of(raw[at]).unwrap_or_else(|| unreachable!());
            raw[at] = ALPHABET[(old + shift) % ALPHABET.len()];
            let typo = String::from_utf8(raw).unwrap_or_else(|_| unreachable!());
            prop_assert_eq!(TrackingId::parse(&typo), Err(TrackingIdError::Check));
        }

        #[test]
        fn parse_never_panics(s in "\\PC*") {
            let _ = TrackingId::parse(&s);
        }
    }
}
