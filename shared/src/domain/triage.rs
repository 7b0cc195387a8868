//! Automatic triage: what `verify` notices about a new report before a human looks.
//!
//! Everything here is a *suggestion* recorded on the report for the verifying admin:
//! a cleaner text, personal data to redact, a category and agency with the rule that
//! fired, duplicate candidates, and an emergency flag. Nothing is decided here.

use serde::{Deserialize, Serialize};

use super::catalog::Category;
use super::pii::{PiiFinding, find_pii};

/// Rules shipped with the code.
pub const BUNDLED_TRIAGE_RULES: &str = include_str!("../../data/triage-rules.json");

/// What kind of emergency a complaint seems to describe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmergencyKind {
    /// Fire.
    Fire,
    /// Traffic or other accident.
    Accident,
    /// Crime in progress or just happened.
    Crime,
    /// Someone needs medical help.
    Medical,
    /// Landslide, flash flood, earthquake.
    Disaster,
}

/// Emergency keywords of one kind.
#[derive(Debug, Clone, Deserialize)]
pub struct EmergencyRule {
    /// The kind these words point to.
    pub kind: EmergencyKind,
    /// Words or phrases, matched whole.
    pub keywords: Vec<String>,
}

/// The triage rules file.
#[derive(Debug, Clone, Deserialize)]
pub struct TriageRules {
    /// Version label, recorded with each result.
    pub version: String,
    /// Same-category reports closer than this are duplicate candidates.
    pub duplicate_radius_m: f64,
    /// … if received within this many days.
    pub duplicate_window_days: u32,
    /// Emergency keyword rules.
    pub emergency: Vec<EmergencyRule>,
}

impl TriageRules {
    /// Parses a rules file.
    pub fn from_json(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }

    /// The rules shipped in the repository.
    pub fn bundled() -> Result<Self, serde_json::Error> {
        Self::from_json(BUNDLED_TRIAGE_RULES)
    }
}

/// A suggested category and agency, with the rule that produced it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategorySuggestion {
    /// Category code.
    pub category: String,
    /// Agency id that usually handles it.
    pub agency: String,
    /// The keyword that matched.
    pub keyword: String,
    /// The rule in words, for the admin: `kata kunci "…" → category → agency`.
    pub rule: String,
}

/// The complaint reads like an emergency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmergencyFlag {
    /// What kind.
    pub kind: EmergencyKind,
    /// The keyword that matched.
    pub keyword: String,
}

/// Why another report may be the same problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateCandidate {
    /// The other report.
    pub report_id: String,
    /// `nearby` (same category, within the radius) or `same_sender`.
    pub reason: String,
    /// Distance in metres, when both have coordinates.
    pub distance_m: Option<f64>,
}

/// Everything triage noticed, stored on the report for the admin.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct TriageResult {
    /// Rules version used.
    pub rules_version: String,
    /// The title with whitespace cleaned, when that changes it.
    pub normalised_title: Option<String>,
    /// The description with whitespace cleaned, when that changes it.
    pub normalised_description: Option<String>,
    /// Personal data in public text.
    pub pii: Vec<PiiFinding>,
    /// Category and agency the keywords point to.
    pub suggestion: Option<CategorySuggestion>,
    /// Emergency flag: the admin sees it first; the citizen is told to call 112.
    pub emergency: Option<EmergencyFlag>,
    /// Other reports that may be the same problem.
    pub duplicates: Vec<DuplicateCandidate>,
}

/// Collapses runs of spaces and tabs, trims every line, keeps at most one empty line.
pub fn normalise_whitespace(text: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        let blank_before = lines.last().is_some_and(String::is_empty);
        if !(line.is_empty() && (blank_before || lines.is_empty())) {
            lines.push(line);
        }
    }
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines.join("\n")
}

/// Lower-cased words separated by single spaces, padded: ` jalan rusak di dago `.
/// Keywords are matched against this form so case and punctuation never matter.
pub fn match_form(text: &str) -> String {
    let words: String = text
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .flat_map(char::to_lowercase)
        .collect();
    format!(
        " {} ",
        words.split_whitespace().collect::<Vec<_>>().join(" ")
    )
}

fn contains_keyword(form: &str, keyword: &str) -> bool {
    let key = match_form(keyword);
    key.trim() != "" && form.contains(&key)
}

/// The category whose keyword matches best (longest phrase wins; ties go to the
/// earlier category), with its agency and the rule in words.
pub fn suggest_category(text: &str, categories: &[Category]) -> Option<CategorySuggestion> {
    let form = match_form(text);
    let mut best: Option<(usize, &Category, &str)> = None;
    for category in categories {
        for keyword in &category.keywords {
            let words = keyword.split_whitespace().count();
            if contains_keyword(&form, keyword) && best.is_none_or(|(w, _, _)| words > w) {
                best = Some((words, category, keyword));
            }
        }
    }
    best.map(|(_, c, keyword)| CategorySuggestion {
        category: c.code.clone(),
        agency: c.default_agency.clone(),
        keyword: keyword.to_string(),
        rule: format!(
            "kata kunci \"{keyword}\" → {} → {}",
            c.code, c.default_agency
        ),
    })
}

/// The first emergency rule whose keyword appears in `text`.
pub fn detect_emergency(text: &str, rules: &TriageRules) -> Option<EmergencyFlag> {
    let form = match_form(text);
    rules.emergency.iter().find_map(|rule| {
        rule.keywords
            .iter()
            .find(|k| contains_keyword(&form, k))
            .map(|k| EmergencyFlag {
                kind: rule.kind,
                keyword: k.clone(),
            })
    })
}

/// What the citizen is told when their complaint reads like an emergency.
pub const EMERGENCY_ADVICE: &str = "Jika ini keadaan darurat, segera hubungi Call Center 112 (gratis, 24 jam). \
Laporan LAPOR! tidak dipantau secara langsung.";

/// Triage of the report's own text (duplicates are added by the caller, which can
/// look at other reports).
pub fn triage_text(
    title: &str,
    description: &str,
    categories: &[Category],
    rules: &TriageRules,
) -> TriageResult {
    let normalised_title = Some(normalise_whitespace(title)).filter(|t| t != title);
    let normalised_description =
        Some(normalise_whitespace(description)).filter(|d| d != description);
    let both = format!("{title}\n{description}");
    let mut pii = find_pii("title", title);
    pii.extend(find_pii("description", description));
    TriageResult {
        rules_version: rules.version.clone(),
        normalised_title,
        normalised_description,
        pii,
        suggestion: suggest_category(&both, categories),
        emergency: detect_emergency(&both, rules),
        duplicates: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::{BUNDLED_CATEGORIES, parse_categories};
    use proptest::prelude::*;

    fn categories() -> Vec<Category> {
        parse_categories(BUNDLED_CATEGORIES).unwrap()
    }

    fn rules() -> TriageRules {
        TriageRules::bundled().unwrap()
    }

    #[test]
    fn whitespace_is_cleaned_but_words_are_kept() {
        assert_eq!(
            normalise_whitespace("  Jalan   rusak\t\tparah  "),
            "Jalan rusak parah"
        );
        assert_eq!(normalise_whitespace("a\n\n\n\nb\n\n"), "a\n\nb");
        assert_eq!(normalise_whitespace("\n\nbaris"), "baris");
    }

    #[test]
    fn keywords_ignore_case_and_punctuation_but_not_word_boundaries() {
        let form = match_form("JALAN-RUSAK!! di Dago");
        assert!(contains_keyword(&form, "jalan rusak"));
        assert!(!contains_keyword(&match_form("pjuan"), "pju"));
        assert!(contains_keyword(&match_form("Lampu PJU mati"), "PJU"));
    }

    #[test]
    fn categories_and_agencies_come_from_keywords_with_the_rule_recorded() {
        let cats = categories();
        let s = suggest_category("Ada JALAN BERLUBANG besar di Jl. Dago", &cats).unwrap();
        assert_eq!(
            (s.category.as_str(), s.agency.as_str()),
            ("jalan-rusak", "dsdabm")
        );
        assert_eq!(
            s.rule,
            "kata kunci \"jalan berlubang\" → jalan-rusak → dsdabm"
        );
        let s = suggest_category("Sampah menumpuk di TPS", &cats).unwrap();
        assert_eq!(
            (s.category.as_str(), s.agency.as_str()),
            ("sampah", "kebersihan")
        );
        let s = suggest_category("Lampu PJU mati sejak minggu lalu", &cats).unwrap();
        assert_eq!(s.category, "pju");
        assert_eq!(
            suggest_category("Terima kasih atas pelayanannya", &cats),
            None
        );
    }

    #[test]
    fn the_longest_matching_phrase_wins() {
        // "parkir" alone is a keyword too, but "parkir liar" is more specific.
        let s = suggest_category("banyak parkir liar di trotoar", &categories()).unwrap();
        assert_eq!(s.keyword, "parkir liar");
    }

    #[test]
    fn emergencies_are_flagged() {
        let flag =
            detect_emergency("Tolong ada KEBAKARAN rumah di Cicadas sekarang", &rules()).unwrap();
        assert_eq!(flag.kind, EmergencyKind::Fire);
        let flag = detect_emergency("baru saja terjadi tabrakan motor", &rules()).unwrap();
        assert_eq!(flag.kind, EmergencyKind::Accident);
        assert_eq!(
            detect_emergency("Saya dibegal di jalan", &rules())
                .unwrap()
                .kind,
            EmergencyKind::Crime
        );
        assert_eq!(detect_emergency("Jalan berlubang di Dago", &rules()), None);
    }

    #[test]
    fn triage_text_records_everything_it_noticed() {
        let r = triage_text(
            "  Kebakaran   di gang ",
            "Ada api, telepon 081234567890",
            &categories(),
            &rules(),
        );
        assert_eq!(r.normalised_title.as_deref(), Some("Kebakaran di gang"));
        assert_eq!(r.normalised_description, None);
        assert_eq!(r.emergency.unwrap().kind, EmergencyKind::Fire);
        assert_eq!(r.pii.len(), 1);
        assert_eq!(r.pii[0].field, "description");
        assert_eq!(r.rules_version, rules().version);
    }

    proptest! {
        #[test]
        fn triage_never_panics_and_offsets_are_valid(title in "\\PC{0,80}", description in "\\PC{0,300}") {
            let r = triage_text(&title, &description, &categories(), &rules());
            for f in &r.pii {
                let text = if f.field == "title" { &title } else { &description };
                prop_assert!(text.get(f.start..f.end).is_some());
            }
        }

        #[test]
        fn normalising_twice_changes_nothing(s in "\\PC{0,200}") {
            let once = normalise_whitespace(&s);
            prop_assert_eq!(normalise_whitespace(&once), once.clone());
        }
    }
}
