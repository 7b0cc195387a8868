//! Reference data: report categories and the agencies that handle them.

use serde::{Deserialize, Serialize};

/// Categories shipped with the code: the seed for the table.
pub const BUNDLED_CATEGORIES: &str = include_str!("../../data/categories.json");
/// Agencies shipped with the code: the seed for the table.
pub const BUNDLED_AGENCIES: &str = include_str!("../../data/agencies.json");

/// A kind of complaint citizens can file, with the agency that usually handles it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    /// Stable code, e.g. `jalan-rusak`.
    pub code: String,
    /// Indonesian name shown to citizens.
    pub name: String,
    /// Group for menus (Infrastruktur, Lingkungan, …).
    pub group: String,
    /// Agency id suggested at verification.
    pub default_agency: String,
    /// Indonesian keywords that suggest this category.
    pub keywords: Vec<String>,
    /// A shorter (or longer) tier of the LAPOR! clocks for this category, where the
    /// city set one; unset durations keep the deployment's defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_days: Option<TierDays>,
    /// Extra questions a report of this category answers (Open311 attributes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub questions: Vec<Question>,
}

/// An extra question for a category (an Open311 service attribute).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Code, used as `attribute[CODE]`.
    pub code: String,
    /// `string`, `number`, `datetime`, `text`, `singlevaluelist`, `multivaluelist`.
    pub datatype: String,
    /// Must be answered.
    pub required: bool,
    /// The question (Indonesian).
    pub description: String,
    /// Help for the input, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub datatype_description: Option<String>,
    /// Position, from 1.
    pub order: u32,
    /// Choices for the list types: (key, name).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<Choice>,
}

/// One choice of a list question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// Key sent back.
    pub key: String,
    /// Label shown.
    pub name: String,
}

/// A category's own clock durations, in working days (each optional).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierDays {
    /// Verify and dispatch.
    pub verify: Option<u32>,
    /// Agency follow-up.
    pub follow_up: Option<u32>,
    /// Auto-close after the last follow-up.
    pub close: Option<u32>,
}

/// What an agency is in Bandung's government (routing needs to know).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgencyKind {
    /// A line department (dinas / badan).
    Dinas,
    /// A region-owned enterprise.
    Bumd,
    /// A public-service unit with financial autonomy (hospital, puskesmas).
    Blud,
    /// The mayor's secretariat.
    Setda,
    /// A kecamatan office.
    Kecamatan,
    /// A central-government body (police, PLN).
    Vertikal,
}

/// An organisation reports are dispatched to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agency {
    /// Stable id, e.g. `dlh`; used in the `agency:<id>` role.
    pub id: String,
    /// Full Indonesian name.
    pub name: String,
    /// What kind of body it is.
    pub kind: AgencyKind,
}

/// The question types Open311 knows, as a category's questions may use them.
pub const QUESTION_TYPES: [&str; 6] = [
    "string",
    "number",
    "datetime",
    "text",
    "singlevaluelist",
    "multivaluelist",
];

/// Longest day count a category's clock may be given.
pub const MAX_TIER_DAYS: u32 = 60;

/// A code of lowercase letters, digits and hyphens (categories, agencies), 2 to 40 long.
fn is_slug(code: &str) -> bool {
    (2..=40).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !code.starts_with('-')
        && !code.ends_with('-')
}

/// `text` trimmed, when it has 1 to `max` characters.
fn sized(text: &str, max: usize) -> Option<&str> {
    let t = text.trim();
    (!t.is_empty() && t.chars().count() <= max).then_some(t)
}

impl Category {
    /// What is wrong with it as an admin wrote it (in Indonesian), given the agencies
    /// that exist; `None` when it may be saved.
    pub fn problem(&self, agencies: &[Agency]) -> Option<String> {
        if !is_slug(&self.code) {
            return Some("Kode kategori 2-40 huruf kecil, angka atau tanda hubung.".into());
        }
        if sized(&self.name, 100).is_none() || sized(&self.group, 60).is_none() {
            return Some(
                "Nama (maksimal 100 karakter) dan kelompok (maksimal 60) wajib diisi.".into(),
            );
        }
        if !agencies.iter().any(|a| a.id == self.default_agency) {
            return Some("Pilih instansi yang biasanya menangani kategori ini.".into());
        }
        if self.keywords.len() > 50 || self.keywords.iter().any(|k| sized(k, 50).is_none()) {
            return Some("Kata kunci paling banyak 50, masing-masing 1-50 karakter.".into());
        }
        if let Some(tier) = &self.working_days
            && [tier.verify, tier.follow_up, tier.close]
                .into_iter()
                .flatten()
                .any(|days| !(1..=MAX_TIER_DAYS).contains(&days))
        {
            return Some(format!("Tenggat 1 sampai {MAX_TIER_DAYS} hari kerja."));
        }
        let mut codes = std::collections::BTreeSet::new();
        for q in &self.questions {
            let named = format!("Pertanyaan {}", q.code);
            if q.code.is_empty()
                || q.code.len() > 30
                || !q
                    .code
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            {
                return Some(
                    "Kode pertanyaan: huruf besar, angka atau garis bawah, maksimal 30.".into(),
                );
            }
            if !codes.insert(q.code.as_str()) {
                return Some(format!("{named} tercantum dua kali."));
            }
            if !QUESTION_TYPES.contains(&q.datatype.as_str()) {
                return Some(format!(
                    "{named}: jenisnya salah satu dari {}.",
                    QUESTION_TYPES.join(", ")
                ));
            }
            if sized(&q.description, 200).is_none() {
                return Some(format!(
                    "{named}: tulis pertanyaannya (maksimal 200 karakter)."
                ));
            }
            let is_list = q.datatype.ends_with("valuelist");
            if is_list == q.values.is_empty() {
                return Some(format!(
                    "{named}: pilihan hanya untuk jenis daftar, dan jenis daftar perlu pilihan."
                ));
            }
            let mut keys = std::collections::BTreeSet::new();
            if q.values.iter().any(|c| {
                sized(&c.key, 40).is_none()
                    || sized(&c.name, 100).is_none()
                    || !keys.insert(c.key.as_str())
            }) {
                return Some(format!(
                    "{named}: setiap pilihan punya kunci dan label sendiri."
                ));
            }
        }
        if self.questions.len() > 20 {
            return Some("Paling banyak 20 pertanyaan.".into());
        }
        None
    }
}

impl Agency {
    /// What is wrong with it as an admin wrote it (in Indonesian); `None` when it may
    /// be saved.
    pub fn problem(&self) -> Option<String> {
        if !is_slug(&self.id) {
            return Some("Kode instansi 2-40 huruf kecil, angka atau tanda hubung.".into());
        }
        if sized(&self.name, 150).is_none() {
            return Some("Nama instansi wajib diisi (maksimal 150 karakter).".into());
        }
        None
    }
}

/// Which staff form a response template fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TemplateUse {
    /// The admin's note to the agencies with a dispatch.
    Dispatch,
    /// The admin's question to the reporter (*tunda*).
    RequestInfo,
    /// The admin's explanation to the reporter with an archive.
    Archive,
    /// The agency's follow-up, published to the reporter and the public.
    FollowUp,
    /// The agency's reason for returning a report (not its authority).
    Return,
}

impl TemplateUse {
    /// Every use, in the order the screens list them.
    pub const ALL: [TemplateUse; 5] = [
        Self::Dispatch,
        Self::RequestInfo,
        Self::Archive,
        Self::FollowUp,
        Self::Return,
    ];

    /// The name in forms and the table: the staff action it fills (`follow-up`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dispatch => "dispatch",
            Self::RequestInfo => "request-info",
            Self::Archive => "archive",
            Self::FollowUp => "follow-up",
            Self::Return => "return",
        }
    }

    /// The use named `name` (see [`TemplateUse::as_str`]).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|u| u.as_str() == name)
    }

    /// What staff read.
    pub fn label(self) -> &'static str {
        match self {
            Self::Dispatch => "Catatan disposisi",
            Self::RequestInfo => "Pertanyaan tunda",
            Self::Archive => "Penjelasan arsip",
            Self::FollowUp => "Tindak lanjut",
            Self::Return => "Alasan pengembalian",
        }
    }
}

/// Longest template title.
pub const TEMPLATE_TITLE_MAX: usize = 80;
/// Longest template text (the longest staff text a form takes).
pub const TEMPLATE_TEXT_MAX: usize = 2000;
/// What stands for the report's tracking id in a template's text.
pub const TEMPLATE_TRACKING_ID: &str = "{nomor}";

/// A prepared text staff pick for a form and edit before sending: the same answer
/// written the same way every time, per category (or for every category).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseTemplate {
    /// Stable id (random, set when created).
    pub id: String,
    /// The name staff pick it by.
    pub title: String,
    /// The text; [`TEMPLATE_TRACKING_ID`] becomes the report's tracking id.
    pub text: String,
    /// The category it is for; none for every category.
    pub category: Option<String>,
    /// The form it fills.
    pub used_for: TemplateUse,
    /// Bumped by every edit (edits are conditional on the version shown).
    pub version: u64,
}

/// Why a template cannot be saved (Indonesian, shown on the form).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// Title empty or too long.
    #[error("Judul templat wajib diisi, paling panjang 80 karakter.")]
    Title,
    /// Text empty or too long.
    #[error("Teks templat wajib diisi, paling panjang 2000 karakter.")]
    Text,
}

impl ResponseTemplate {
    /// A template with a checked title and text (trimmed), at version 1.
    pub fn new(
        id: String,
        title: &str,
        text: &str,
        category: Option<String>,
        used_for: TemplateUse,
    ) -> Result<Self, TemplateError> {
        let (title, text) = (title.trim(), text.trim());
        if title.is_empty() || title.chars().count() > TEMPLATE_TITLE_MAX {
            return Err(TemplateError::Title);
        }
        if text.is_empty() || text.chars().count() > TEMPLATE_TEXT_MAX {
            return Err(TemplateError::Text);
        }
        Ok(Self {
            id,
            title: title.to_string(),
            text: text.to_string(),
            category,
            used_for,
            version: 1,
        })
    }

    /// True when this template is offered on `used_for`'s form of a report in
    /// `category`.
    pub fn fits(&self, category: &str, used_for: TemplateUse) -> bool {
        self.used_for == used_for && self.category.as_deref().is_none_or(|c| c == category)
    }

    /// The text for report `tracking_id`.
    pub fn text_for(&self, tracking_id: &str) -> String {
        self.text.replace(TEMPLATE_TRACKING_ID, tracking_id)
    }
}

#[derive(Deserialize)]
struct CategoryFile {
    categories: Vec<Category>,
}

#[derive(Deserialize)]
struct AgencyFile {
    agencies: Vec<Agency>,
}

/// Parses a categories file.
pub fn parse_categories(json: &str) -> Result<Vec<Category>, serde_json::Error> {
    serde_json::from_str::<CategoryFile>(json).map(|f| f.categories)
}

/// Parses an agencies file.
pub fn parse_agencies(json: &str) -> Result<Vec<Agency>, serde_json::Error> {
    serde_json::from_str::<AgencyFile>(json).map(|f| f.agencies)
}

#[cfg(test)]
mod tests {
    use super::{
        Agency, BUNDLED_AGENCIES, BUNDLED_CATEGORIES, Choice, ResponseTemplate, TemplateError,
        TemplateUse, TierDays, parse_agencies, parse_categories,
    };

    #[test]
    fn the_bundled_catalog_passes_its_own_rules_and_each_rule_can_refuse() {
        let agencies = parse_agencies(BUNDLED_AGENCIES).unwrap();
        let categories = parse_categories(BUNDLED_CATEGORIES).unwrap();
        for a in &agencies {
            assert_eq!(a.problem(), None, "{a:?}");
        }
        for c in &categories {
            assert_eq!(c.problem(&agencies), None, "{c:?}");
        }
        let listed = categories
            .iter()
            .find(|c| c.questions.iter().any(|q| !q.values.is_empty()))
            .unwrap();
        let mut broken = Vec::new();
        let mut edit = |change: &dyn Fn(&mut super::Category)| {
            let mut c = listed.clone();
            change(&mut c);
            broken.push(c.problem(&agencies));
        };
        edit(&|c| c.code = "Jalan Rusak".into());
        edit(&|c| c.name = " ".into());
        edit(&|c| c.default_agency = "nobody".into());
        edit(&|c| c.keywords.push(String::new()));
        edit(&|c| {
            c.working_days = Some(TierDays {
                follow_up: Some(0),
                ..TierDays::default()
            })
        });
        edit(&|c| c.questions[0].code = "lower".into());
        edit(&|c| c.questions[0].datatype = "colour".into());
        edit(&|c| {
            let again = c.questions[0].clone();
            c.questions.push(again);
        });
        edit(&|c| {
            let q = c
                .questions
                .iter_mut()
                .find(|q| !q.values.is_empty())
                .unwrap();
            q.values.clear();
        });
        edit(&|c| {
            let q = c
                .questions
                .iter_mut()
                .find(|q| !q.values.is_empty())
                .unwrap();
            q.values.push(Choice {
                key: q.values[0].key.clone(),
                name: "Lagi".into(),
            });
        });
        assert!(broken.iter().all(Option::is_some), "{broken:?}");
        let bad_agency = Agency {
            id: "-dlh".into(),
            ..agencies[0].clone()
        };
        assert!(bad_agency.problem().is_some());
    }

    #[test]
    fn a_template_needs_a_title_and_a_text_within_their_lengths() {
        let new = |title: &str, text: &str| {
            ResponseTemplate::new("t1".into(), title, text, None, TemplateUse::Dispatch)
        };
        assert_eq!(new("  ", "Mohon dicek."), Err(TemplateError::Title));
        assert_eq!(
            new(&"j".repeat(81), "Mohon dicek."),
            Err(TemplateError::Title)
        );
        assert_eq!(new("Cek", " \n "), Err(TemplateError::Text));
        assert_eq!(new("Cek", &"t".repeat(2001)), Err(TemplateError::Text));
        let made = new(" Cek lokasi ", " Mohon dicek hari ini. ").expect("valid");
        assert_eq!(
            (made.title.as_str(), made.text.as_str(), made.version),
            ("Cek lokasi", "Mohon dicek hari ini.", 1)
        );
    }

    #[test]
    fn a_template_fits_its_use_and_its_category_or_every_category() {
        let mut template = ResponseTemplate::new(
            "t1".into(),
            "Jalan",
            "Laporan {nomor} sudah kami terima.",
            Some("jalan".into()),
            TemplateUse::FollowUp,
        )
        .expect("valid");
        assert!(template.fits("jalan", TemplateUse::FollowUp));
        assert!(!template.fits("sampah", TemplateUse::FollowUp));
        assert!(!template.fits("jalan", TemplateUse::Return));
        template.category = None;
        assert!(template.fits("sampah", TemplateUse::FollowUp));
        assert_eq!(
            template.text_for("BDG-1"),
            "Laporan BDG-1 sudah kami terima."
        );
        for used in TemplateUse::ALL {
            assert_eq!(TemplateUse::parse(used.as_str()), Some(used));
        }
    }

    #[test]
    fn every_bundled_category_points_at_a_bundled_agency() {
        let agencies = parse_agencies(BUNDLED_AGENCIES).unwrap();
        let categories = parse_categories(BUNDLED_CATEGORIES).unwrap();
        assert!(categories.len() >= 10);
        for c in &categories {
            assert!(
                agencies.iter().any(|a| a.id == c.default_agency),
                "{}",
                c.code
            );
            assert!(
                c.code
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '-')
            );
        }
    }
}
