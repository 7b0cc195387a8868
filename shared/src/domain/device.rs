//! Panic-button devices: phone verification by one-time code, PINs, emergency
//! contacts, and graduated trust (down-rank, never silence).

use jiff::{SignedDuration, Timestamp};

use super::contact::PhoneNumber;
use super::incident::{Outcome, Source};
use super::signature::{HmacKey, KeyError};

/// How long a one-time code is valid.
pub const OTP_VALID: SignedDuration = SignedDuration::from_mins(10);
/// Wrong codes allowed before the registration is locked.
pub const OTP_ATTEMPTS: u32 = 5;
/// Emergency contacts a citizen may record.
pub const MAX_CONTACTS: usize = 3;
/// Unfounded incidents within [`TRUST_WINDOW`] that mark a device low-trust.
pub const UNFOUNDED_LIMIT: usize = 3;
/// The window over which unfounded incidents count.
pub const TRUST_WINDOW: SignedDuration = SignedDuration::from_hours(30 * 24);

/// A one-time code: six digits from random bytes (`None` if they run out; give 16).
pub fn one_time_code(bytes: &[u8]) -> Option<String> {
    // 250 = 25 × 10: bytes at or above it are dropped so every digit is equally likely.
    let digits: String = bytes
        .iter()
        .filter(|&&b| b < 250)
        .map(|&b| char::from(b'0' + b % 10))
        .take(6)
        .collect();
    (digits.len() == 6).then_some(digits)
}

/// The SMS carrying the code (GSM-7, brand first: Telkomsel drops unbranded OTPs).
pub fn otp_text(code: &str) -> String {
    format!(
        "SIGAP Bandung: kode verifikasi Tombol Darurat Anda {code}. Berlaku 10 menit. Jangan berikan kode ini kepada siapa pun."
    )
}

/// What a code check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpCheck {
    /// Right code, in time.
    Valid,
    /// Wrong code; attempts left.
    Wrong(u32),
    /// Too late.
    Expired,
    /// Too many wrong codes.
    Locked,
}

/// Checks a code's keyed hash against the stored one.
pub fn check_otp(
    stored_hash: &str,
    expires_at: Timestamp,
    attempts_left: u32,
    given_hash: &str,
    now: Timestamp,
) -> OtpCheck {
    if attempts_left == 0 {
        OtpCheck::Locked
    } else if now > expires_at {
        OtpCheck::Expired
    } else if super::signature::constant_time_eq(stored_hash.as_bytes(), given_hash.as_bytes()) {
        OtpCheck::Valid
    } else {
        OtpCheck::Wrong(attempts_left - 1)
    }
}

/// A PIN: 4 to 6 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin(String);

impl Pin {
    /// Parses a PIN.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        ((4..=6).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_digit()))
            .then(|| Self(raw.to_string()))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A device's settings, as the citizen sends them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceSettings {
    /// Cancels a press.
    pub cancel_pin: Pin,
    /// Looks like a cancel, escalates silently.
    pub duress_pin: Pin,
    /// Told by SMS once per incident.
    pub contacts: Vec<PhoneNumber>,
}

/// Why settings were refused (Indonesian, for the citizen).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// A PIN is not 4–6 digits.
    #[error("PIN harus 4 sampai 6 angka.")]
    Pin,
    /// The two PINs are the same.
    #[error("PIN pembatalan dan PIN darurat harus berbeda.")]
    SamePins,
    /// Too many contacts, or one is not a mobile number.
    #[error("Kontak darurat maksimal 3 nomor HP Indonesia yang valid.")]
    Contacts,
}

/// Parses settings: distinct PINs, at most three valid, distinct contacts.
pub fn parse_settings(
    cancel_pin: &str,
    duress_pin: &str,
    contacts: &[String],
) -> Result<DeviceSettings, SettingsError> {
    let cancel_pin = Pin::parse(cancel_pin).ok_or(SettingsError::Pin)?;
    let duress_pin = Pin::parse(duress_pin).ok_or(SettingsError::Pin)?;
    if cancel_pin == duress_pin {
        return Err(SettingsError::SamePins);
    }
    if contacts.len() > MAX_CONTACTS {
        return Err(SettingsError::Contacts);
    }
    let mut parsed: Vec<PhoneNumber> = Vec::new();
    for raw in contacts {
        let phone = PhoneNumber::parse(raw).map_err(|_| SettingsError::Contacts)?;
        if !parsed.contains(&phone) {
            parsed.push(phone);
        }
    }
    Ok(DeviceSettings {
        cancel_pin,
        duress_pin,
        contacts: parsed,
    })
}

/// Low-trust: enough unfounded incidents recently. Its presses still page, marked.
pub fn is_low_trust(unfounded_at: &[Timestamp], now: Timestamp) -> bool {
    let since = now.saturating_sub(TRUST_WINDOW).unwrap_or(now);
    unfounded_at.iter().filter(|&&t| t >= since).count() >= UNFOUNDED_LIMIT
}

/// The SMS an emergency contact gets, once per incident.
pub fn contact_text(incident_id: &str, map: Option<String>) -> String {
    let place = map.map(|m| format!(" Lokasi: {m}.")).unwrap_or_default();
    super::gsm7::truncate_gsm7(
        &format!(
            "SIGAP Bandung: kontak Anda menekan Tombol Darurat ({incident_id}). Petugas sudah dihubungi.{place} Info: 112"
        ),
        160,
    )
}

/// A panic-button device as stored (its number and contacts live apart, as PII).
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    /// Device id.
    pub id: String,
    /// `pending` until the code is verified, then `active`.
    pub active: bool,
    /// Keyed hash of the phone number.
    pub phone_hash: String,
    /// Keyed hash of the one-time code.
    pub otp_hash: String,
    /// When the code expires.
    pub otp_expires_at: Timestamp,
    /// Wrong codes still allowed.
    pub otp_attempts: u32,
    /// Keyed hash of the cancel PIN, once set.
    pub cancel_pin_hash: Option<String>,
    /// Keyed hash of the duress PIN, once set.
    pub duress_pin_hash: Option<String>,
    /// The incident presses join, while `open_until` has not passed.
    pub open_incident: Option<String>,
    /// Until when presses join `open_incident`.
    pub open_until: Option<Timestamp>,
    /// When each unfounded incident from this device was resolved.
    pub unfounded_at: Vec<Timestamp>,
    /// Blocked by an admin until then.
    pub blocked_until: Option<Timestamp>,
    /// Why it was blocked.
    pub block_reason: Option<String>,
    /// The last position the app sent (with a press or an update), for a press by
    /// SMS, which has none of its own.
    pub last_fix: Option<crate::domain::incident::Fix>,
    /// When it was sent.
    pub last_fix_at: Option<Timestamp>,
}

/// Unfounded incidents a device's record keeps: enough for [`is_low_trust`].
pub const UNFOUNDED_KEPT: usize = 10;

/// The device's unfounded incidents after one more at `at`: the latest
/// [`UNFOUNDED_KEPT`], oldest first.
pub fn record_unfounded(unfounded_at: &[Timestamp], at: Timestamp) -> Vec<Timestamp> {
    let mut list = unfounded_at.to_vec();
    list.push(at);
    let keep = list.len().saturating_sub(UNFOUNDED_KEPT);
    list.split_off(keep)
}

/// The device whose trust an incident's outcome counts against: an unfounded
/// incident from a panic button (a 112 call has no device; other outcomes count
/// for nobody).
pub fn counts_against(outcome: Outcome, source: &Source) -> Option<&str> {
    match (outcome, source) {
        (Outcome::Unfounded, Source::PanicButton { device }) => Some(device),
        _ => None,
    }
}

/// The server key behind every device secret (`DEVICE_KEY`): a device's signing
/// secret is derived from its id, so checking a press needs no read (the press path
/// stays at two AWS calls); codes and PINs are stored as keyed hashes. Rotating it
/// re-registers every device.
#[derive(Debug, Clone)]
pub struct DeviceKey(HmacKey);

impl DeviceKey {
    /// The key for `secret`, checked at start-up.
    pub fn new(secret: &str) -> Result<Self, KeyError> {
        HmacKey::new("DEVICE_KEY", secret.as_bytes()).map(Self)
    }

    /// The signing secret of device `id`.
    pub fn device_secret(&self, id: &str) -> String {
        self.0.hex(&format!("device:{id}"))
    }

    /// The stored hash of a PIN of device `id`.
    pub fn pin_hash(&self, id: &str, pin: &str) -> String {
        self.0.hex(&format!("pin:{id}:{pin}"))
    }

    /// The stored hash of a one-time code sent for device `id`.
    pub fn otp_hash(&self, id: &str, code: &str) -> String {
        self.0.hex(&format!("otp:{id}:{}", code.trim()))
    }

    /// The MAC key itself (ack links are signed with it too).
    pub fn hmac(&self) -> &HmacKey {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits() {
        assert_eq!(
            one_time_code(&[1, 2, 3, 255, 4, 5, 6]).as_deref(),
            Some("123456")
        );
        assert_eq!(one_time_code(&[1, 2]), None);
        assert!(otp_text("123456").is_ascii());
    }

    #[test]
    fn otp_checks() {
        let now: Timestamp = "2026-11-28T12:00:00Z".parse().unwrap();
        let later = now + OTP_VALID;
        assert_eq!(check_otp("h", later, 5, "h", now), OtpCheck::Valid);
        assert_eq!(check_otp("h", later, 5, "x", now), OtpCheck::Wrong(4));
        assert_eq!(check_otp("h", later, 0, "h", now), OtpCheck::Locked);
        assert_eq!(check_otp("h", now, 5, "h", later), OtpCheck::Expired);
    }

    #[test]
    fn settings_are_checked() {
        assert!(parse_settings("1234", "9876", &["0812 3456 7890".into()]).is_ok());
        assert_eq!(
            parse_settings("1234", "1234", &[]),
            Err(SettingsError::SamePins)
        );
        assert_eq!(parse_settings("12a4", "9876", &[]), Err(SettingsError::Pin));
        let four: Vec<String> = (0..4).map(|i| format!("0812345678{i}")).collect();
        assert_eq!(
            parse_settings("1234", "9876", &four),
            Err(SettingsError::Contacts)
        );
    }

    #[test]
    fn only_an_unfounded_press_counts_against_its_device_and_the_record_keeps_ten() {
        let press = Source::PanicButton {
            device: "d1".into(),
        };
        let call = Source::Call112 {
            operator: "op".into(),
        };
        assert_eq!(counts_against(Outcome::Unfounded, &press), Some("d1"));
        assert_eq!(counts_against(Outcome::Founded, &press), None);
        assert_eq!(counts_against(Outcome::Minor, &press), None);
        assert_eq!(counts_against(Outcome::Unfounded, &call), None);
        let now: Timestamp = "2026-11-28T12:00:00Z".parse().unwrap();
        let mut list = Vec::new();
        for i in 0..12 {
            list = record_unfounded(&list, now + SignedDuration::from_hours(i));
        }
        assert_eq!(list.len(), UNFOUNDED_KEPT);
        assert_eq!(list[0], now + SignedDuration::from_hours(2));
        assert!(is_low_trust(&list, now + SignedDuration::from_hours(12)));
    }

    #[test]
    fn trust_falls_after_three_unfounded_in_thirty_days() {
        let now: Timestamp = "2026-11-28T12:00:00Z".parse().unwrap();
        let day = SignedDuration::from_hours(24);
        let recent = [now - day, now - day * 2, now - day * 3];
        assert!(is_low_trust(&recent, now));
        let old = [now - day, now - day * 2, now - day * 40];
        assert!(!is_low_trust(&old, now));
    }
}
