//! Parsing a citizen's new report: every rule a web or app submission must pass.
//!
//! The wire shape is [`SubmissionBody`]; [`ReportSubmission::parse`] turns it into
//! checked values or a list of field errors with Indonesian messages.

use serde::Deserialize;

use super::contact::{Email, PhoneNumber};
use super::location::{Coordinates, CoordinatesError, Kecamatan};
use super::report::ReportLocation;

/// Title length, in characters.
pub const TITLE_CHARS: (usize, usize) = (5, 150);
/// Description length, in characters.
pub const DESCRIPTION_CHARS: (usize, usize) = (10, 4000);
/// Longest address text.
pub const ADDRESS_MAX_CHARS: usize = 300;
/// Longest reporter name.
pub const NAME_MAX_CHARS: usize = 100;

/// The JSON body of `POST /reports`, as sent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmissionBody {
    /// Short title.
    pub title: Option<String>,
    /// The complaint.
    pub description: Option<String>,
    /// Category code from `GET /categories`.
    pub category: Option<String>,
    /// Where.
    pub location: Option<LocationBody>,
    /// Optional contact details.
    pub contact: Option<ContactBody>,
    /// Hide the reporter's identity from the public and agencies.
    #[serde(default)]
    pub anonymous: bool,
    /// Keep the whole report out of public view.
    #[serde(default)]
    pub confidential: bool,
}

/// `location` in the body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocationBody {
    /// Latitude (WGS84).
    pub lat: Option<f64>,
    /// Longitude (WGS84).
    pub lon: Option<f64>,
    /// Address text.
    pub address: Option<String>,
    /// Kecamatan code or name.
    pub kecamatan: Option<String>,
}

/// `contact` in the body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    /// Name, optional.
    pub name: Option<String>,
    /// Phone number, optional.
    pub phone: Option<String>,
    /// E-mail, optional.
    pub email: Option<String>,
}

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// JSON path of the field, e.g. `location.lat`.
    pub field: &'static str,
    /// Indonesian message for the citizen.
    pub message: String,
}

/// The reporter's identity and how to reach them (PII, stored apart).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReporterContact {
    /// Name as given.
    pub name: Option<String>,
    /// Phone, E.164.
    pub phone: Option<PhoneNumber>,
    /// E-mail.
    pub email: Option<Email>,
}

impl ReporterContact {
    /// True when the reporter gave nothing.
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.phone.is_none() && self.email.is_none()
    }
}

/// A checked submission, ready to become a report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSubmission {
    /// Title, trimmed.
    pub title: String,
    /// Description, trimmed.
    pub description: String,
    /// A known category code.
    pub category: String,
    /// Location with at least coordinates or an address.
    pub location: ReportLocation,
    /// Contact details, possibly empty.
    pub contact: ReporterContact,
    /// *Anonim*.
    pub anonymous: bool,
    /// *Rahasia*.
    pub confidential: bool,
}

/// Whether a character may be in text Sigap keeps: not a control character (other
/// than newline and tab), and one XML 1.0 allows (no U+FFFE, U+FFFF), so no report
/// can break a screen, an SMS or Open311's XML. Such characters only ever come from
/// broken clients or attacks.
pub fn allowed_in_text(c: char) -> bool {
    let control = c.is_control() && c != '\n' && c != '\t';
    let xml = matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FFFD}' | '\u{10000}'..);
    xml && !control
}

/// `text` without the characters [`allowed_in_text`] refuses: for channels where a
/// message cannot be sent back for correction (SMS, X).
pub fn keep_allowed(text: &str) -> String {
    text.chars().filter(|c| allowed_in_text(*c)).collect()
}

/// Text as typed, trimmed, with `\r\n` as `\n`; a character [`allowed_in_text`]
/// refuses is refused.
fn clean_text(
    value: Option<&str>,
    field: &'static str,
    label: &str,
    (min, max): (usize, usize),
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let Some(raw) = value else {
        if min > 0 {
            errors.push(FieldError {
                field,
                message: format!("{label} wajib diisi."),
            });
        }
        return None;
    };
    let text = raw.replace("\r\n", "\n").trim().to_string();
    let count = text.chars().count();
    if !text.chars().all(allowed_in_text) {
        errors.push(FieldError {
            field,
            message: format!("{label} mengandung karakter yang tidak diizinkan."),
        });
    } else if count < min {
        errors.push(FieldError {
            field,
            message: format!("{label} minimal {min} karakter."),
        });
    } else if count > max {
        errors.push(FieldError {
            field,
            message: format!("{label} maksimal {max} karakter."),
        });
    } else if count > 0 {
        return Some(text);
    }
    None
}

impl ReportSubmission {
    /// Checks every field; `is_category` says whether a code is a known category.
    pub fn parse(
        body: SubmissionBody,
        is_category: impl Fn(&str) -> bool,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let title = clean_text(
            body.title.as_deref(),
            "title",
            "Judul",
            TITLE_CHARS,
            &mut errors,
        );
        let description = clean_text(
            body.description.as_deref(),
            "description",
            "Isi laporan",
            DESCRIPTION_CHARS,
            &mut errors,
        );
        let category = match body.category.as_deref().map(str::trim) {
            None | Some("") => {
                errors.push(FieldError {
                    field: "category",
                    message: "Kategori wajib dipilih.".into(),
                });
                None
            }
            Some(code) if is_category(code) => Some(code.to_string()),
            Some(_) => {
                errors.push(FieldError {
                    field: "category",
                    message: "Kategori tidak dikenal. Lihat daftar di GET /categories.".into(),
                });
                None
            }
        };
        let location = parse_location(body.location, &mut errors);
        let contact = parse_contact(body.contact, &mut errors);
        match (title, description, category, location) {
            (Some(title), Some(description), Some(category), Some(location))
                if errors.is_empty() =>
            {
                Ok(Self {
                    title,
                    description,
                    category,
                    location,
                    contact,
                    anonymous: body.anonymous,
                    confidential: body.confidential,
                })
            }
            _ => Err(errors),
        }
    }
}

impl ReportSubmission {
    /// A report made from a text message or a post: the text (at most as long as the
    /// web form allows) as description, its first words as title, `category` until an
    /// admin sets another (triage suggests), no location, the channel's contact.
    pub fn from_text(text: &str, category: &str, contact: ReporterContact) -> Self {
        Self {
            title: super::sms::title_from_text(text),
            description: text.chars().take(DESCRIPTION_CHARS.1).collect(),
            category: category.to_string(),
            location: ReportLocation::default(),
            contact,
            anonymous: false,
            confidential: false,
        }
    }
}

fn parse_location(
    body: Option<LocationBody>,
    errors: &mut Vec<FieldError>,
) -> Option<ReportLocation> {
    let Some(body) = body else {
        errors.push(FieldError {
            field: "location",
            message: "Lokasi wajib diisi: koordinat dan/atau alamat.".into(),
        });
        return None;
    };
    let before = errors.len();
    let coordinates = match (body.lat, body.lon) {
        (None, None) => None,
        (Some(lat), Some(lon)) => match Coordinates::parse(lat, lon) {
            Ok(c) => Some(c),
            Err(CoordinatesError::OutsideBandung) => {
                errors.push(FieldError {
                    field: "location",
                    message: "Koordinat berada di luar Kota Bandung.".into(),
                });
                None
            }
            Err(CoordinatesError::Invalid) => {
                errors.push(FieldError {
                    field: "location",
                    message: "Koordinat tidak valid.".into(),
                });
                None
            }
        },
        _ => {
            errors.push(FieldError {
                field: "location",
                message: "Koordinat harus berisi lat dan lon sekaligus.".into(),
            });
            None
        }
    };
    let address = clean_text(
        body.address.as_deref(),
        "location.address",
        "Alamat",
        (0, ADDRESS_MAX_CHARS),
        errors,
    );
    let kecamatan = match body.kecamatan.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(k) => {
            let found = Kecamatan::find(k);
            if found.is_none() {
                errors.push(FieldError {
                    field: "location.kecamatan",
                    message: "Kecamatan tidak dikenal di Kota Bandung.".into(),
                });
            }
            found
        }
    };
    if errors.len() > before {
        return None;
    }
    if coordinates.is_none() && address.is_none() {
        errors.push(FieldError {
            field: "location",
            message: "Lokasi wajib diisi: koordinat dan/atau alamat.".into(),
        });
        return None;
    }
    Some(ReportLocation {
        coordinates,
        address,
        kecamatan,
    })
}

fn parse_contact(body: Option<ContactBody>, errors: &mut Vec<FieldError>) -> ReporterContact {
    let Some(body) = body else {
        return ReporterContact::default();
    };
    let name = clean_text(
        body.name.as_deref(),
        "contact.name",
        "Nama",
        (0, NAME_MAX_CHARS),
        errors,
    );
    let phone = body
        .phone
        .as_deref()
        .filter(|p| !p.trim().is_empty())
        .and_then(|p| {
            PhoneNumber::parse(p)
                .map_err(|_| {
                    errors.push(FieldError {
                        field: "contact.phone",
                        message: "Nomor telepon tidak valid. Contoh: 081234567890.".into(),
                    })
                })
                .ok()
        });
    let email = body
        .email
        .as_deref()
        .filter(|e| !e.trim().is_empty())
        .and_then(|e| {
            Email::parse(e)
                .map_err(|_| {
                    errors.push(FieldError {
                        field: "contact.email",
                        message: "Alamat email tidak valid.".into(),
                    })
                })
                .ok()
        });
    ReporterContact { name, phone, email }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: serde_json::Value) -> SubmissionBody {
        serde_json::from_value(json).unwrap()
    }

    fn known(code: &str) -> bool {
        code == "jalan-rusak"
    }

    fn valid() -> serde_json::Value {
        serde_json::json!({
            "title": "Jalan berlubang di Dago",
            "description": "Lubang besar di depan sekolah, membahayakan pengendara motor.",
            "category": "jalan-rusak",
            "location": {"lat": -6.885, "lon": 107.613, "kecamatan": "Coblong"},
            "contact": {"phone": "0812-3456-7890"},
            "anonymous": true
        })
    }

    #[test]
    fn a_valid_submission_parses() {
        let s = ReportSubmission::parse(body(valid()), known).unwrap();
        assert_eq!(s.category, "jalan-rusak");
        assert_eq!(s.location.kecamatan.unwrap().code, "32.73.02");
        assert_eq!(s.contact.phone.unwrap().as_e164(), "+6281234567890");
        assert!(s.anonymous && !s.confidential);
    }

    #[test]
    fn address_alone_is_enough() {
        let mut v = valid();
        v["location"] = serde_json::json!({"address": "Jl. Ir. H. Juanda No. 10"});
        let s = ReportSubmission::parse(body(v), known).unwrap();
        assert!(s.location.coordinates.is_none());
    }

    fn fields(v: serde_json::Value) -> Vec<&'static str> {
        ReportSubmission::parse(body(v), known)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn each_rule_reports_its_field() {
        assert_eq!(
            fields(serde_json::json!({})),
            vec!["title", "description", "category", "location"]
        );
        let mut v = valid();
        v["category"] = "sulap".into();
        assert_eq!(fields(v), vec!["category"]);
        let mut v = valid();
        v["location"] = serde_json::json!({"lat": -6.2, "lon": 106.8});
        assert_eq!(fields(v), vec!["location"]);
        let mut v = valid();
        v["location"] = serde_json::json!({"lat": -6.9});
        assert_eq!(fields(v), vec!["location"]);
        let mut v = valid();
        v["location"]["kecamatan"] = "Menteng".into();
        assert_eq!(fields(v), vec!["location.kecamatan"]);
        let mut v = valid();
        v["title"] = "abc".into();
        v["contact"] = serde_json::json!({"phone": "12", "email": "x@"});
        assert_eq!(fields(v), vec!["title", "contact.phone", "contact.email"]);
        let mut v = valid();
        v["description"] = "x".repeat(4001).into();
        assert_eq!(fields(v), vec!["description"]);
        let mut v = valid();
        v["title"] = "Judul\u{0000}berbahaya".into();
        assert_eq!(fields(v), vec!["title"]); // XML 1.0 forbids U+FFFE and U+FFFF: one such report would break Open311.
        let mut v = valid();
        v["description"] = "Lubang di jalan\u{FFFE} besar sekali di depan sekolah".into();
        v["location"]["address"] = "Jl. Dago\u{FFFF}".into();
        assert_eq!(fields(v), vec!["description", "location.address"]);
    }

    #[test]
    fn sms_and_x_text_keeps_only_allowed_characters() {
        assert_eq!(
            keep_allowed("Lampu\u{FFFE} mati\u{0007}\tdi\nDago\u{1F4A1}"),
            "Lampu mati\tdi\nDago\u{1F4A1}"
        );
    }

    #[test]
    fn messages_are_indonesian() {
        let errs = ReportSubmission::parse(body(serde_json::json!({})), known).unwrap_err();
        assert_eq!(errs[0].message, "Judul wajib diisi.");
    }

    #[test]
    fn unknown_fields_are_refused_at_the_wire() {
        let mut v = valid();
        v["latitude"] = 1.into();
        assert!(serde_json::from_value::<SubmissionBody>(v).is_err());
    }

    #[test]
    fn injection_strings_are_kept_verbatim() {
        let mut v = valid();
        v["title"] = "<script>alert(1)</script>'; DROP TABLE--".into();
        let s = ReportSubmission::parse(body(v), known).unwrap();
        assert_eq!(s.title, "<script>alert(1)</script>'; DROP TABLE--");
    }
}
