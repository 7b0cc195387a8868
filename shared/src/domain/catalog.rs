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
    use super::*;

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
