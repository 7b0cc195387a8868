//! A reporter's contact details: Indonesian phone numbers and e-mail addresses.

use std::fmt;

use super::signature::{HmacKey, KeyError};

/// A phone number normalised to E.164 (`+62…`).
///
/// Accepts what Indonesians write: `0812-3456-7890`, `62812…`, `+62 812 …`, `(0)812…`,
/// and Bandung landlines (`022 …`). Mobile numbers have 9–12 digits after the country
/// code and start with 8; landlines start with 2–7.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

/// Why a phone number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneNumberError {
    /// Letters or symbols other than spaces, dashes, dots and brackets.
    #[error("phone number contains invalid characters")]
    Characters,
    /// Not an Indonesian number of a plausible length.
    #[error("not an Indonesian phone number")]
    NotIndonesian,
}

impl PhoneNumber {
    /// Parses and normalises an Indonesian phone number.
    pub fn parse(input: &str) -> Result<Self, PhoneNumberError> {
        let trimmed = input.trim();
        if trimmed.is_empty() || trimmed.len() > 32 {
            return Err(PhoneNumberError::NotIndonesian);
        }
        if !trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || " -.()+".contains(c))
        {
            return Err(PhoneNumberError::Characters);
        }
        let plus = trimmed.starts_with('+');
        let digits: String = trimmed.chars().filter(char::is_ascii_digit).collect();
        let national = if plus || digits.starts_with("62") {
            let rest = digits
                .strip_prefix("62")
                .ok_or(PhoneNumberError::NotIndonesian)?;
            // "+62 (0)812…" carries a redundant trunk zero.
            rest.strip_prefix('0').unwrap_or(rest)
        } else {
            digits
                .strip_prefix('0')
                .ok_or(PhoneNumberError::NotIndonesian)?
        };
        let len = national.len();
        let ok = match national.chars().next() {
            Some('8') => (9..=12).contains(&len),
            Some('2'..='7') => (8..=11).contains(&len),
            _ => false,
        };
        if !ok {
            return Err(PhoneNumberError::NotIndonesian);
        }
        Ok(Self(format!("+62{national}")))
    }

    /// The E.164 form, e.g. `+6281234567890`.
    pub fn as_e164(&self) -> &str {
        &self.0
    }

    /// The number with all but the last three digits hidden, for staff screens and logs.
    pub fn masked(&self) -> String {
        let keep = self.0.len().saturating_sub(3);
        format!(
            "+62{}{}",
            "•".repeat(keep.saturating_sub(3)),
            &self.0[keep..]
        )
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address that is plausibly deliverable (one `@`, a dotted domain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

/// Why an e-mail address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid e-mail address")]
pub struct EmailError;

impl Email {
    /// Parses an address; the domain is lower-cased, the local part kept as written.
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let s = input.trim();
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(EmailError);
        }
        let (local, domain) = s.split_once('@').ok_or(EmailError)?;
        let domain_ok = domain.contains('.')
            && !domain.contains('@')
            && domain
                .split('.')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '-'));
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err(EmailError);
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An X user's handle (`screen_name`): 1 to 15 letters, digits or underscores, as X
/// allows. Sigap writes it into the city account's public replies, so nothing else
/// may pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XHandle(String);

impl XHandle {
    /// The handle, if it is one X could have issued.
    pub fn parse(raw: &str) -> Option<Self> {
        let shaped = (1..=15).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        shaped.then(|| Self(raw.to_string()))
    }

    /// The handle, without the `@`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The keyed hash that links one sender's messages and reports without their number
/// (`SENDER_HASH_KEY`): in keys and on reports, a phone never appears in clear.
#[derive(Debug, Clone)]
pub struct SenderKey(HmacKey);

impl SenderKey {
    /// The key for `secret`, checked at start-up.
    pub fn new(secret: &str) -> Result<Self, KeyError> {
        HmacKey::new("SENDER_HASH_KEY", secret.as_bytes()).map(Self)
    }

    /// The sender hash of a phone number.
    pub fn phone(&self, phone: &PhoneNumber) -> String {
        self.0.hex(phone.as_e164())
    }

    /// The sender hash of an X account (threads an author's posts like a number).
    pub fn x_author(&self, user_id: &str) -> String {
        self.0.hex(&format!("x:{user_id}"))
    }

    /// The hash of a client's address (per-client limits and idempotency scopes):
    /// counted and compared, never stored in clear.
    pub fn client(&self, address: &str) -> String {
        self.0.hex(&format!("client:{address}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x_handles_are_what_x_issues() {
        assert_eq!(
            XHandle::parse("warga_55501").unwrap().as_str(),
            "warga_55501"
        );
        for bad in [
            "",
            "a_very_long_handle_16",
            "warga 1",
            "x\nBalas",
            "@warga",
            "wärga",
        ] {
            assert!(XHandle::parse(bad).is_none(), "{bad:?}");
        }
    }
    use proptest::prelude::*;

    #[test]
    fn indonesian_mobile_numbers_normalise_to_e164() {
        for input in [
            "081234567890",
            "0812-3456-7890",
            "62 812 3456 7890",
            "+62 812-3456-7890",
            "+62 (0)812 3456 7890",
            "+6281234567890",
        ] {
            assert_eq!(
                PhoneNumber::parse(input).unwrap().as_e164(),
                "+6281234567890",
                "{input}"
            );
        }
    }

    #[test]
    fn bandung_landline_is_accepted() {
        assert_eq!(
            PhoneNumber::parse("(022) 4234 793").unwrap().as_e164(),
            "+62224234793"
        );
    }

    #[test]
    fn foreign_short_and_junk_numbers_are_refused() {
        assert_eq!(
            PhoneNumber::parse("+1 415 555 0100"),
            Err(PhoneNumberError::NotIndonesian)
        );
        assert_eq!(
            PhoneNumber::parse("112"),
            Err(PhoneNumberError::NotIndonesian)
        );
        assert_eq!(
            PhoneNumber::parse("0812"),
            Err(PhoneNumberError::NotIndonesian)
        );
        assert_eq!(
            PhoneNumber::parse("08123456789012345"),
            Err(PhoneNumberError::NotIndonesian)
        );
        assert_eq!(
            PhoneNumber::parse("0812abc"),
            Err(PhoneNumberError::Characters)
        );
        assert_eq!(
            PhoneNumber::parse("0912345678"),
            Err(PhoneNumberError::NotIndonesian)
        );
    }

    #[test]
    fn masked_shows_only_the_last_three_digits() {
        let p = PhoneNumber::parse("081234567890").unwrap();
        assert!(p.masked().ends_with("890"));
        assert!(!p.masked().contains("1234"));
    }

    #[test]
    fn email_addresses() {
        assert_eq!(
            Email::parse(" Warga@Example.CO.ID ").unwrap().as_str(),
            "Warga@example.co.id"
        );
        for bad in [
            "", "warga", "warga@", "@x.id", "a b@x.id", "a@x", "a@x..id", "a@b@c.id",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn parsing_never_panics_and_output_is_e164(s in "\\PC{0,40}") {
            if let Ok(p) = PhoneNumber::parse(&s) {
                prop_assert!(p.as_e164().starts_with("+62"));
                prop_assert!(p.as_e164()[1..].chars().all(|c| c.is_ascii_digit()));
                prop_assert_eq!(PhoneNumber::parse(p.as_e164()), Ok(p.clone()));
            }
            let _ = Email::parse(&s);
        }
    }
}
