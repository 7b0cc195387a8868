//! Automatic triage: what `verify` notices about a new report before a human looks.
//!
//! Everything here is a *suggestion* recorded on the report for the verifying admin:
//! a cleaner text, personal data to redact, a category and agency with the rule that
//! fired, duplicate candidates, and an emergency flag. Nothing is decided here.

use serde::{Deserialize, Serialize};

use super::catalog::Category;
use super::contact::PhoneNumber;
use super::location::Coordinates;
use super::location::Kecamatan;
use super::report::{Report, ReportStatus};
use super::tracking_id::TrackingId;

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

/// Personal data found in public text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiKind {
    /// A phone number.
    Phone,
    /// A 16-digit population number (NIK).
    Nik,
}

/// One piece of personal data to consider redacting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PiiFinding {
    /// Which field: `title` or `description`.
    pub field: String,
    /// Phone or NIK.
    pub kind: PiiKind,
    /// Byte offsets of the match in the field's text (as stored).
    pub start: usize,
    /// End offset (exclusive).
    pub end: usize,
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

/// True when 16 digits look like a NIK: province 11–94, a district, and a birth date
/// (day 01–31, or 41–71 for women; month 01–12).
fn looks_like_nik(digits: &str) -> bool {
    let d = |range: std::ops::Range<usize>| digits.get(range).and_then(|s| s.parse::<u32>().ok());
    digits.len() == 16
        && matches!(d(0..2), Some(11..=94))
        && matches!(d(2..4), Some(1..=99))
        && matches!(d(6..8), Some(1..=31 | 41..=71))
        && matches!(d(8..10), Some(1..=12))
}

/// Finds phone numbers and NIKs written into `text` (`field` names where).
pub fn find_pii(field: &str, text: &str) -> Vec<PiiFinding> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if !(bytes[i].is_ascii_digit() || bytes[i] == b'+') {
            i += 1;
            continue;
        }
        // A run of digits, allowing single separators between digit groups.
        let start = i;
        let mut end = i + 1;
        let mut j = i + 1;
        while j < bytes.len() {
            if bytes[j].is_ascii_digit() {
                j += 1;
                end = j;
            } else if matches!(bytes[j], b' ' | b'-' | b'.')
                && bytes.get(j + 1).is_some_and(u8::is_ascii_digit)
            {
                j += 1;
            } else {
                break;
            }
        }
        let candidate = &text[start..end];
        let digits: String = candidate.chars().filter(char::is_ascii_digit).collect();
        let kind = if looks_like_nik(&digits) && !candidate.contains(['-', '.', ' ']) {
            Some(PiiKind::Nik)
        } else if digits.len() >= 9 && PhoneNumber::parse(candidate).is_ok() {
            Some(PiiKind::Phone)
        } else {
            None
        };
        if let Some(kind) = kind {
            found.push(PiiFinding {
                field: field.into(),
                kind,
                start,
                end,
            });
        }
        i = end.max(i + 1);
    }
    found
}

/// What replaces personal data in public text.
pub const MASK: &str = "[disembunyikan]";

/// `text` with every phone number and NIK replaced by [`MASK`]: what the public sees
/// until an admin has reviewed the report (staff views show the original).
pub fn mask_pii(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for finding in find_pii("", text) {
        out.push_str(&text[last..finding.start]);
        out.push_str(MASK);
        last = finding.end;
    }
    out.push_str(&text[last..]);
    out
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

/// Great-circle distance in metres.
pub fn distance_m(a: Coordinates, b: Coordinates) -> f64 {
    const EARTH_RADIUS_M: f64 = 6_371_000.0;
    let (lat1, lat2) = (a.lat().to_radians(), b.lat().to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.lon() - a.lon()).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// Most duplicate candidates recorded on one report.
pub const MAX_DUPLICATES: usize = 10;

/// What duplicate detection needs to know of another open report: a few attributes,
/// so the scan reads those instead of whole reports.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportSketch {
    /// Its tracking id.
    pub id: TrackingId,
    /// Its category code.
    pub category: String,
    /// Where it is in the workflow.
    pub status: ReportStatus,
    /// Its point, when it has one.
    pub coordinates: Option<Coordinates>,
    /// Its kecamatan, when given.
    pub kecamatan: Option<Kecamatan>,
}

impl From<&Report> for ReportSketch {
    fn from(report: &Report) -> Self {
        Self {
            id: report.id.clone(),
            category: report.category.clone(),
            status: report.status,
            coordinates: report.location.coordinates,
            kecamatan: report.location.kecamatan.clone(),
        }
    }
}

/// Open reports of the same category that may describe the same problem: within
/// `radius_m` when both have coordinates, otherwise in the same kecamatan.
pub fn nearby_candidates(
    report: &Report,
    others: &[ReportSketch],
    radius_m: f64,
) -> Vec<DuplicateCandidate> {
    others
        .iter()
        .filter(|o| o.id != report.id && o.category == report.category && !o.status.is_final())
        .filter_map(|o| match (report.location.coordinates, o.coordinates) {
            (Some(a), Some(b)) => {
                let d = distance_m(a, b);
                (d <= radius_m).then(|| DuplicateCandidate {
                    report_id: o.id.to_string(),
                    reason: "nearby".into(),
                    distance_m: Some(d.round()),
                })
            }
            _ => match (&report.location.kecamatan, &o.kecamatan) {
                (Some(a), Some(b)) if a.code == b.code => Some(DuplicateCandidate {
                    report_id: o.id.to_string(),
                    reason: "same_kecamatan".into(),
                    distance_m: None,
                }),
                _ => None,
            },
        })
        .take(MAX_DUPLICATES)
        .collect()
}

/// The same sender's other open reports (the caller found them by sender hash).
/// Reports already listed as nearby keep that, more telling, reason.
pub fn same_sender_candidates(
    report: &Report,
    others: &[Report],
    already: &[DuplicateCandidate],
) -> Vec<DuplicateCandidate> {
    others
        .iter()
        .filter(|o| {
            o.id != report.id
                && !o.status.is_final()
                && o.sender.is_some()
                && o.sender == report.sender
        })
        .filter(|o| !already.iter().any(|c| c.report_id == o.id.as_str()))
        .map(|o| DuplicateCandidate {
            report_id: o.id.to_string(),
            reason: "same_sender".into(),
            distance_m: None,
        })
        .take(MAX_DUPLICATES)
        .collect()
}

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
    fn phone_numbers_and_niks_in_text_are_found() {
        let text = "Hubungi saya di 0812-3456-7890 atau +62 811 222 3333. NIK 3273012508900001.";
        let found = find_pii("description", text);
        let kinds: Vec<_> = found.iter().map(|f| f.kind).collect();
        assert_eq!(kinds, vec![PiiKind::Phone, PiiKind::Phone, PiiKind::Nik]);
        assert_eq!(&text[found[0].start..found[0].end], "0812-3456-7890");
        assert_eq!(&text[found[2].start..found[2].end], "3273012508900001");
    }

    #[test]
    fn masking_hides_exactly_the_personal_data() {
        assert_eq!(
            mask_pii("WA 0812-3456-7890, NIK 3273012508900001, RT 05"),
            "WA [disembunyikan], NIK [disembunyikan], RT 05"
        );
        assert_eq!(mask_pii("tanpa data pribadi"), "tanpa data pribadi");
    }

    #[test]
    fn ordinary_numbers_are_not_pii() {
        assert!(find_pii("d", "Lubang 2 meter, sejak 12 November 2026, RT 05 RW 03").is_empty());
        // 16 digits that cannot be a NIK (month 13) and are not a phone.
        assert!(find_pii("d", "nomor 3273012513900001").is_empty());
    }

    #[test]
    fn distances() {
        let gedung_sate = Coordinates::parse(-6.9025, 107.6188).unwrap();
        let alun_alun = Coordinates::parse(-6.9218, 107.6071).unwrap();
        let d = distance_m(gedung_sate, alun_alun);
        assert!((2_400.0..2_700.0).contains(&d), "{d}");
        assert_eq!(distance_m(gedung_sate, gedung_sate), 0.0);
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

    fn report(
        seed: u8,
        category: &str,
        coordinates: Option<(f64, f64)>,
        kecamatan: Option<&str>,
    ) -> Report {
        use crate::domain::location::Kecamatan;
        use crate::domain::report::{Channel, ReportLocation, ReportStatus};
        use crate::domain::tracking_id::TrackingId;
        let at: jiff::Timestamp = "2026-11-20T03:00:00Z".parse().unwrap();
        Report {
            category: category.into(),
            location: ReportLocation {
                coordinates: coordinates.map(|(lat, lon)| Coordinates::parse(lat, lon).unwrap()),
                address: None,
                kecamatan: kecamatan.and_then(Kecamatan::find),
            },
            status: ReportStatus::PendingVerification,
            ..Report::received(
                TrackingId::from_random_bytes(&[seed, 1, 2, 3, 4, 5]).unwrap(),
                Channel::Web,
                at,
            )
        }
    }

    #[test]
    fn duplicates_are_same_category_and_near() {
        let me = report(1, "sampah", Some((-6.9000, 107.6100)), Some("Coblong"));
        let close = report(2, "sampah", Some((-6.9005, 107.6100)), None); // ~56 m
        let far = report(3, "sampah", Some((-6.9100, 107.6100)), None); // ~1.1 km
        let other_category = report(4, "pju", Some((-6.9000, 107.6100)), None);
        let same_kecamatan_no_point = report(5, "sampah", None, Some("Coblong"));
        let mut closed = report(6, "sampah", Some((-6.9000, 107.6100)), None);
        closed.status = crate::domain::report::ReportStatus::Closed;
        let others: Vec<ReportSketch> = [
            &me,
            &close,
            &far,
            &other_category,
            &same_kecamatan_no_point,
            &closed,
        ]
        .map(ReportSketch::from)
        .to_vec();
        let found = nearby_candidates(&me, &others, 150.0);
        let ids: Vec<_> = found.iter().map(|c| c.report_id.clone()).collect();
        assert_eq!(
            ids,
            vec![close.id.to_string(), same_kecamatan_no_point.id.to_string()]
        );
        assert_eq!(found[0].distance_m, Some(56.0));
        assert_eq!(found[1].reason, "same_kecamatan");
    }

    #[test]
    fn same_sender_reports_are_candidates_once() {
        let mut me = report(1, "pju", None, None);
        me.sender = Some("h".into());
        let mut mine = report(2, "sampah", None, None);
        mine.sender = Some("h".into());
        let mut nearby_too = report(3, "pju", None, None);
        nearby_too.sender = Some("h".into());
        let mut someone_else = report(4, "pju", None, None);
        someone_else.sender = Some("other".into());
        let already = vec![DuplicateCandidate {
            report_id: nearby_too.id.to_string(),
            reason: "nearby".into(),
            distance_m: Some(3.0),
        }];
        let found = same_sender_candidates(
            &me,
            &[me.clone(), mine.clone(), nearby_too, someone_else],
            &already,
        );
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].report_id.as_str(), found[0].reason.as_str()),
            (mine.id.as_str(), "same_sender")
        );
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
