//! Open311 GeoReport v2: the wire shapes, in XML exactly as the specification shows
//! them and in JSON as its mechanical mapping (lists become top-level arrays, ids are
//! strings), the form a client posts, and the specification's errors.
//!
//! Pure: documents are built as a small tree ([`Doc`]) and rendered to either format,
//! so the two can never disagree on a field.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// The response format, chosen by the resource's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.xml`: required by the specification.
    Xml,
    /// `.json`.
    Json,
}

impl Format {
    /// The content type of a response in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Xml => "text/xml; charset=utf-8",
            Format::Json => "application/json; charset=utf-8",
        }
    }
}

/// Splits `requests.json` into (`requests`, JSON); `None` without a known extension.
pub fn split_format(segment: &str) -> Option<(&str, Format)> {
    let (name, ext) = segment.rsplit_once('.')?;
    let format = match ext {
        "xml" => Format::Xml,
        "json" => Format::Json,
        _ => return None,
    };
    (!name.is_empty()).then_some((name, format))
}

/// A document node.
#[derive(Debug, Clone, PartialEq)]
pub enum Doc {
    /// An element with named children, in order (a JSON object).
    Object(Vec<(String, Doc)>),
    /// A list of `item`-named elements (a JSON array).
    List {
        /// The element name of each item in XML.
        item: String,
        /// The items.
        items: Vec<Doc>,
    },
    /// Text (a JSON string).
    Text(String),
    /// A number with a fraction (coordinates).
    Number(f64),
    /// A whole number (codes, order).
    Integer(i64),
    /// `true` / `false`.
    Bool(bool),
    /// Absent in XML (an empty element), `null` in JSON.
    Null,
}

impl Doc {
    /// An object from `(name, value)` pairs.
    pub fn object<const N: usize>(fields: [(&str, Doc); N]) -> Doc {
        Doc::Object(
            fields
                .into_iter()
                .map(|(name, value)| (name.to_string(), value))
                .collect(),
        )
    }

    /// Text, or [`Doc::Null`] when absent.
    pub fn text(value: Option<impl Into<String>>) -> Doc {
        value.map_or(Doc::Null, |v| Doc::Text(v.into()))
    }

    /// Renders the document with `root` as the outermost XML element.
    pub fn render(&self, root: &str, format: Format) -> String {
        match format {
            Format::Json => self.to_json().to_string(),
            Format::Xml => {
                let mut out = String::from(r#"<?xml version="1.0" encoding="utf-8"?>"#);
                write_xml(&mut out, root, self);
                out
            }
        }
    }

    /// The JSON mapping.
    pub fn to_json(&self) -> Value {
        match self {
            Doc::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect::<Map<_, _>>(),
            ),
            Doc::List { items, .. } => Value::Array(items.iter().map(Doc::to_json).collect()),
            Doc::Text(s) => Value::String(s.clone()),
            Doc::Number(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
            Doc::Integer(n) => Value::Number((*n).into()),
            Doc::Bool(b) => Value::Bool(*b),
            Doc::Null => Value::Null,
        }
    }
}

/// Escapes text for XML content and attribute values.
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all are dropped: one would make the
            // whole document unreadable to every client.
            c if !is_xml_char(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// XML 1.0's `Char` production (Rust's `char` already excludes the surrogates).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FFFD}' | '\u{10000}'..)
}

fn write_xml(out: &mut String, name: &str, doc: &Doc) {
    match doc {
        Doc::Null => {
            out.push('<');
            out.push_str(name);
            out.push_str("/>");
        }
        Doc::List { item, items } => {
            out.push_str(&format!("<{name}>"));
            for i in items {
                write_xml(out, item, i);
            }
            out.push_str(&format!("</{name}>"));
        }
        Doc::Object(fields) => {
            out.push_str(&format!("<{name}>"));
            for (k, v) in fields {
                write_xml(out, k, v);
            }
            out.push_str(&format!("</{name}>"));
        }
        Doc::Text(s) => out.push_str(&format!("<{name}>{}</{name}>", escape_xml(s))),
        Doc::Number(n) => out.push_str(&format!("<{name}>{n}</{name}>")),
        Doc::Integer(n) => out.push_str(&format!("<{name}>{n}</{name}>")),
        Doc::Bool(b) => out.push_str(&format!("<{name}>{b}</{name}>")),
    }
}

/// An Open311 error: its HTTP status and the body entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open311Error {
    /// HTTP status: 400, 403 or 404 (the specification's three).
    pub status: u16,
    /// The body's `code` (the status, or a more specific application code).
    pub code: u16,
    /// What went wrong (Indonesian, with the field name for programs).
    pub description: String,
}

impl Open311Error {
    /// 400: missing or invalid input.
    pub fn bad_request(description: impl Into<String>) -> Self {
        Self {
            status: 400,
            code: 400,
            description: description.into(),
        }
    }

    /// 403: missing or invalid `api_key`.
    pub fn forbidden(description: impl Into<String>) -> Self {
        Self {
            status: 403,
            code: 403,
            description: description.into(),
        }
    }

    /// 404: no such service, request or token.
    pub fn not_found(description: impl Into<String>) -> Self {
        Self {
            status: 404,
            code: 404,
            description: description.into(),
        }
    }
}

/// The `errors` document for one or more errors (all share the first one's status).
pub fn errors_doc(errors: &[Open311Error]) -> Doc {
    Doc::List {
        item: "error".into(),
        items: errors
            .iter()
            .map(|e| {
                Doc::object([
                    ("code", Doc::Integer(i64::from(e.code))),
                    ("description", Doc::Text(e.description.clone())),
                ])
            })
            .collect(),
    }
}

/// A form field as posted: `attribute[CODE]` and `attribute[CODE][]` gathered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestForm {
    /// Plain fields (`service_code`, `lat`, …), last value wins.
    pub fields: BTreeMap<String, String>,
    /// Attributes by code: one value, or several for a multi-value list.
    pub attributes: BTreeMap<String, Vec<String>>,
}

/// Gathers form pairs. An empty value behaves exactly like an absent one (the
/// specification's rule for optional arguments).
pub fn gather_form<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> RequestForm {
    let mut form = RequestForm::default();
    for (key, value) in pairs {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        if let Some(rest) = key.strip_prefix("attribute[") {
            let (code, multi) = match rest.strip_suffix("][]") {
                Some(code) => (code, true),
                None => (rest.strip_suffix(']').unwrap_or(rest), false),
            };
            if code.is_empty() {
                continue;
            }
            let values = form.attributes.entry(code.to_string()).or_default();
            if !multi {
                values.clear();
            }
            values.push(value.to_string());
        } else {
            form.fields.insert(key.to_string(), value.to_string());
        }
    }
    form
}

/// Longest description the specification allows.
pub const MAX_DESCRIPTION: usize = 4000;

/// A service request as a client posted it, checked against the specification.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRequest {
    /// The service (our category code).
    pub service_code: String,
    /// WGS84 point, when given.
    pub lat_long: Option<(f64, f64)>,
    /// Address, most specific first.
    pub address_string: Option<String>,
    /// What the citizen wrote.
    pub description: Option<String>,
    /// A photo's URL.
    pub media_url: Option<String>,
    /// Contact: e-mail.
    pub email: Option<String>,
    /// Contact: phone.
    pub phone: Option<String>,
    /// Contact: first name.
    pub first_name: Option<String>,
    /// Contact: last name.
    pub last_name: Option<String>,
    /// Attributes by code.
    pub attributes: BTreeMap<String, Vec<String>>,
}

/// Checks a posted form: a service code, one location (`lat`+`long` or
/// `address_string`), a description within 4,000 characters, an http(s) media URL.
/// Every problem is reported, each as a 400.
pub fn parse_new_request(form: &RequestForm) -> Result<NewRequest, Vec<Open311Error>> {
    let field = |name: &str| form.fields.get(name).cloned();
    let mut errors = Vec::new();
    let service_code = field("service_code").unwrap_or_default();
    if service_code.is_empty() {
        errors.push(Open311Error::bad_request("service_code wajib diisi."));
    }
    let number = |name: &str| field(name).map(|v| v.parse::<f64>().ok().filter(|n| n.is_finite()));
    let lat_long = match (number("lat"), number("long")) {
        (None, None) => None,
        (Some(Some(lat)), Some(Some(long))) => Some((lat, long)),
        _ => {
            errors.push(Open311Error::bad_request(
                "lat dan long harus berupa angka dan dikirim bersama.",
            ));
            None
        }
    };
    let address_string = field("address_string");
    if lat_long.is_none() && address_string.is_none() && field("address_id").is_none() {
        errors.push(Open311Error::bad_request(
            "Lokasi wajib: lat dan long, atau address_string.",
        ));
    }
    let description = field("description");
    if description
        .as_ref()
        .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION)
    {
        errors.push(Open311Error::bad_request(format!(
            "description maksimal {MAX_DESCRIPTION} karakter."
        )));
    }
    let media_url = field("media_url");
    if media_url
        .as_ref()
        .is_some_and(|u| !(u.starts_with("https://") || u.starts_with("http://")) || u.len() > 2048)
    {
        errors.push(Open311Error::bad_request(
            "media_url harus berupa alamat http(s).",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(NewRequest {
        service_code,
        lat_long,
        address_string,
        description,
        media_url,
        email: field("email"),
        phone: field("phone"),
        first_name: field("first_name"),
        last_name: field("last_name"),
        attributes: form.attributes.clone(),
    })
}

/// One entry of the service list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// Code (our category code).
    pub code: String,
    /// Name.
    pub name: String,
    /// Short description.
    pub description: String,
    /// Whether a service definition with attributes exists.
    pub metadata: bool,
    /// `realtime`: the id comes back at once.
    pub kind: &'static str,
    /// Comma-separated synonyms.
    pub keywords: Vec<String>,
    /// Group.
    pub group: String,
}

/// The `services` document.
pub fn services_doc(services: &[Service]) -> Doc {
    Doc::List {
        item: "service".into(),
        items: services
            .iter()
            .map(|s| {
                Doc::object([
                    ("service_code", Doc::Text(s.code.clone())),
                    ("service_name", Doc::Text(s.name.clone())),
                    ("description", Doc::Text(s.description.clone())),
                    ("metadata", Doc::Bool(s.metadata)),
                    ("type", Doc::Text(s.kind.into())),
                    ("keywords", Doc::Text(s.keywords.join(", "))),
                    ("group", Doc::Text(s.group.clone())),
                ])
            })
            .collect(),
    }
}

/// One entry of the `notes` extension (the public timeline).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// When.
    pub at: jiff::Timestamp,
    /// What happened, in words.
    pub description: String,
    /// `submitted`, `opened`, `follow_up`, `closed`, …
    pub kind: String,
}

impl From<&super::public::PublicEvent> for Note {
    /// A public timeline line (already masked) as an Open311 note.
    fn from(event: &super::public::PublicEvent) -> Self {
        Note {
            at: event.at,
            description: match &event.note {
                Some(note) => format!("{}: {note}", event.status.label()),
                None => event.status.label().to_string(),
            },
            kind: event.status.as_str().to_string(),
        }
    }
}

/// The public Open311 view of a report; `None` for a confidential one, which never
/// appears. No reporter identity is ever part of it (anonymous or not), and free
/// text is masked as on the public page. `notes` (the timeline extension) is left
/// out when `None`. `media_url` is a link to the report's first processed photo,
/// shown once the report is published.
pub fn request_doc(
    report: &super::report::Report,
    service_name: &str,
    agency_name: &dyn Fn(&str) -> String,
    notes: Option<&[Note]>,
    media_url: Option<&str>,
) -> Option<Doc> {
    use super::calendar::wib_rfc3339;
    let public = super::public::PublicReport::of(report)?;
    let latest_follow_up = public.latest_follow_up();
    let agencies: Vec<String> = report
        .assignments
        .iter()
        .map(|a| agency_name(&a.agency))
        .collect();
    let expected = report.clock.map(|c| c.due_at).or_else(|| {
        report
            .assignments
            .iter()
            .filter(|a| a.is_open())
            .map(|a| a.due_at)
            .max()
    });
    let location = &report.location;
    let address = match (&location.address, &location.kecamatan) {
        (Some(a), Some(k)) => Some(format!("{a}, Kec. {}", k.name)),
        (Some(a), None) => Some(a.clone()),
        (None, Some(k)) => Some(format!("Kec. {}", k.name)),
        (None, None) => None,
    };
    // Before an admin verified it, a request is its status and dates only.
    let published = public.is_published();
    let address = address
        .filter(|_| published)
        .map(|a| super::pii::mask_pii(&a));
    let (lat, long) = match location.coordinates {
        Some(c) if published => (Doc::Number(c.lat()), Doc::Number(c.lon())),
        _ => (Doc::Null, Doc::Null),
    };
    let description = if published {
        Doc::Text(public.description())
    } else {
        Doc::Null
    };
    let notes = notes.filter(|_| published);
    let mut doc = vec![
        ("service_request_id", Doc::Text(report.id.to_string())),
        ("status", Doc::Text(report.status.open311().into())),
        (
            "status_notes",
            Doc::Text(latest_follow_up.unwrap_or_else(|| report.status.label().into())),
        ),
        ("service_name", Doc::Text(service_name.into())),
        ("service_code", Doc::Text(report.category.clone())),
        ("description", description),
        (
            "agency_responsible",
            Doc::text((!agencies.is_empty()).then(|| agencies.join("; "))),
        ),
        ("service_notice", Doc::Null),
        (
            "requested_datetime",
            Doc::Text(wib_rfc3339(report.received_at)),
        ),
        (
            "updated_datetime",
            Doc::Text(wib_rfc3339(report.updated_at)),
        ),
        ("expected_datetime", Doc::text(expected.map(wib_rfc3339))),
        ("address", Doc::text(address)),
        ("address_id", Doc::Null),
        ("zipcode", Doc::Null),
        ("lat", lat),
        ("long", long),
        (
            "media_url",
            Doc::text(media_url.filter(|_| published).map(str::to_string)),
        ),
    ];
    if let Some(notes) = notes {
        let items = notes
            .iter()
            .map(|n| {
                Doc::object([
                    ("datetime", Doc::Text(wib_rfc3339(n.at))),
                    ("description", Doc::Text(n.description.clone())),
                    ("type", Doc::Text(n.kind.clone())),
                ])
            })
            .collect();
        doc.push((
            "notes",
            Doc::List {
                item: "note".into(),
                items,
            },
        ));
    }
    Some(Doc::Object(
        doc.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
    ))
}

/// The `service_requests` document: the list wrapper the specification uses for
/// one request and for many alike.
pub fn requests_doc(requests: Vec<Doc>) -> Doc {
    Doc::List {
        item: "request".into(),
        items: requests,
    }
}

/// The services our categories offer.
pub fn services(categories: &[super::catalog::Category]) -> Vec<Service> {
    categories
        .iter()
        .map(|c| Service {
            code: c.code.clone(),
            name: c.name.clone(),
            description: format!("Laporan {} ke Pemerintah Kota Bandung (LAPOR!).", c.name),
            metadata: !c.questions.is_empty(),
            kind: "realtime",
            keywords: c.keywords.clone(),
            group: c.group.clone(),
        })
        .collect()
}

/// The `service_definition` document of a category with questions.
pub fn service_definition_doc(category: &super::catalog::Category) -> Doc {
    let mut questions = category.questions.clone();
    questions.sort_by_key(|q| q.order);
    Doc::object([
        ("service_code", Doc::Text(category.code.clone())),
        (
            "attributes",
            Doc::List {
                item: "attribute".into(),
                items: questions
                    .iter()
                    .map(|q| {
                        Doc::object([
                            ("variable", Doc::Bool(true)),
                            ("code", Doc::Text(q.code.clone())),
                            ("datatype", Doc::Text(q.datatype.clone())),
                            ("required", Doc::Bool(q.required)),
                            (
                                "datatype_description",
                                Doc::text(q.datatype_description.clone()),
                            ),
                            ("order", Doc::Integer(i64::from(q.order))),
                            ("description", Doc::Text(q.description.clone())),
                            (
                                "values",
                                Doc::List {
                                    item: "value".into(),
                                    items: q
                                        .values
                                        .iter()
                                        .map(|v| {
                                            Doc::object([
                                                ("key", Doc::Text(v.key.clone())),
                                                ("name", Doc::Text(v.name.clone())),
                                            ])
                                        })
                                        .collect(),
                                },
                            ),
                        ])
                    })
                    .collect(),
            },
        ),
    ])
}

/// `description` with each answered question appended on its own line ("question:
/// answer"), in the category's order: answers travel in the text the admin verifies.
pub fn with_answers(
    description: &str,
    category: &super::catalog::Category,
    answers: &BTreeMap<String, Vec<String>>,
) -> String {
    let mut text = description.to_string();
    for question in &category.questions {
        if let Some(answer) = answers.get(&question.code) {
            text.push_str(&format!(
                "\n{}: {}",
                question.description,
                answer.join(", ")
            ));
        }
    }
    text
}

/// What is wrong with the answer to one question (or with an answer to none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerProblem {
    /// An answer to a question the category does not ask.
    Unknown(String),
    /// A required question left unanswered.
    Missing(String),
    /// An answer outside the choices, not a number, or too long.
    Invalid(String),
}

impl AnswerProblem {
    /// The question's code.
    pub fn code(&self) -> &str {
        match self {
            Self::Unknown(code) | Self::Missing(code) | Self::Invalid(code) => code,
        }
    }
}

/// Checks the answers to a category's questions: required ones present, list
/// answers among the choices, numbers numeric; unknown codes refused.
pub fn answer_problems(
    category: &super::catalog::Category,
    answers: &BTreeMap<String, Vec<String>>,
) -> Vec<AnswerProblem> {
    let mut problems = Vec::new();
    for code in answers.keys() {
        if !category.questions.iter().any(|q| &q.code == code) {
            problems.push(AnswerProblem::Unknown(code.clone()));
        }
    }
    for q in &category.questions {
        let given = answers.get(&q.code).map(Vec::as_slice).unwrap_or_default();
        if given.is_empty() {
            if q.required {
                problems.push(AnswerProblem::Missing(q.code.clone()));
            }
            continue;
        }
        let is_choice = |v: &String| q.values.iter().any(|c| &c.key == v);
        let fine = match q.datatype.as_str() {
            "singlevaluelist" => given.len() == 1 && given.iter().all(is_choice),
            "multivaluelist" => given.iter().all(is_choice),
            "number" => given.len() == 1 && given[0].parse::<f64>().is_ok_and(f64::is_finite),
            _ => given.len() == 1 && given[0].chars().count() <= 1000,
        };
        if !fine {
            problems.push(AnswerProblem::Invalid(q.code.clone()));
        }
    }
    problems
}

/// [`answer_problems`] as Open311 errors, each a 400 naming `attribute[CODE]`.
pub fn check_answers(
    category: &super::catalog::Category,
    answers: &BTreeMap<String, Vec<String>>,
) -> Result<(), Vec<Open311Error>> {
    let question = |code: &str| {
        category
            .questions
            .iter()
            .find(|q| q.code == code)
            .map_or("", |q| q.description.as_str())
            .to_string()
    };
    let errors: Vec<_> = answer_problems(category, answers)
        .into_iter()
        .map(|problem| {
            Open311Error::bad_request(match &problem {
                AnswerProblem::Unknown(code) => format!(
                    "attribute[{code}] tidak dikenal untuk layanan {}.",
                    category.code
                ),
                AnswerProblem::Missing(code) => {
                    format!("attribute[{code}] wajib diisi: {}", question(code))
                }
                AnswerProblem::Invalid(code) => format!("attribute[{code}] tidak valid."),
            })
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The discovery document.
pub fn discovery_doc(base_url: &str, changeset: &str) -> Doc {
    Doc::object([
        ("changeset", Doc::Text(changeset.into())),
        (
            "contact",
            Doc::Text(
                "Diskominfo Kota Bandung, LAPOR! (lapor.go.id); panggilan darurat 112".into(),
            ),
        ),
        (
            "key_service",
            Doc::Text(
                "Kunci API diterbitkan admin LAPOR! Kota Bandung atas permintaan resmi.".into(),
            ),
        ),
        (
            "endpoints",
            Doc::List {
                item: "endpoint".into(),
                items: vec![Doc::object([
                    (
                        "specification",
                        Doc::Text("http://wiki.open311.org/GeoReport_v2".into()),
                    ),
                    (
                        "url",
                        Doc::Text(format!("{}/open311/v2", base_url.trim_end_matches('/'))),
                    ),
                    ("changeset", Doc::Text(changeset.into())),
                    ("type", Doc::Text("production".into())),
                    (
                        "formats",
                        Doc::List {
                            item: "format".into(),
                            items: vec![
                                Doc::Text("text/xml".into()),
                                Doc::Text("application/json".into()),
                            ],
                        },
                    ),
                ])],
            },
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_output_drops_every_character_xml_forbids() {
        let hostile = "a\u{0}b\u{1b}c\u{FFFE}d\u{FFFF}e\tf\u{FFFD}g\u{1F600}<&>";
        assert_eq!(
            escape_xml(hostile),
            "abcde\tf\u{FFFD}g\u{1F600}&lt;&amp;&gt;"
        );
    }

    fn service() -> Service {
        Service {
            code: "jalan-rusak".into(),
            name: "Jalan Rusak".into(),
            description: "Jalan berlubang & retak".into(),
            metadata: false,
            kind: "realtime",
            keywords: vec!["jalan rusak".into(), "lubang".into()],
            group: "Infrastruktur".into(),
        }
    }

    fn report() -> crate::domain::report::Report {
        use crate::domain::location::Coordinates;
        use crate::domain::report::{Channel, Report};
        use crate::domain::tracking_id::TrackingId;
        let at: jiff::Timestamp = "2026-11-20T03:00:00Z".parse().unwrap();
        let mut report = Report::received(
            TrackingId::parse("BDG-K7M2QXZ").unwrap(),
            Channel::Open311,
            at,
        );
        report.title = "Jalan berlubang".into();
        report.description = "Lubang besar, hubungi 0812-3456-7890 <b>segera</b>".into();
        report.category = "jalan-rusak".into();
        report.location.coordinates = Some(Coordinates::parse(-6.885, 107.613).unwrap());
        report.location.address = Some("Jl. Ir. H. Juanda".into());
        report
    }

    #[test]
    fn a_request_maps_to_open311_without_identity_and_masked() {
        let mut report = report();
        // Received, not yet verified: its status and dates, no text, place or notes.
        let unverified = request_doc(
            &report,
            "Jalan Rusak",
            &|a| a.into(),
            Some(&[]),
            Some("https://foto"),
        )
        .unwrap();
        let unverified = requests_doc(vec![unverified]).to_json();
        assert_eq!(unverified[0]["status"], "open");
        assert_eq!(unverified[0]["description"], Value::Null);
        assert_eq!(unverified[0]["lat"], Value::Null);
        assert_eq!(unverified[0]["notes"], Value::Null);
        assert_eq!(unverified[0]["media_url"], Value::Null);
        report.status = crate::domain::report::ReportStatus::Dispatched;
        let notes = [Note {
            at: report.received_at,
            description: "Laporan diterima".into(),
            kind: "submitted".into(),
        }];
        let doc = request_doc(
            &report,
            "Jalan Rusak",
            &|a| a.to_uppercase(),
            Some(&notes),
            Some("https://foto"),
        )
        .unwrap();
        let json = requests_doc(vec![doc.clone()]).to_json();
        let one = &json[0];
        assert_eq!(one["service_request_id"], "BDG-K7M2QXZ");
        assert_eq!(one["status"], "open");
        assert_eq!(one["requested_datetime"], "2026-11-20T10:00:00+07:00");
        assert_eq!(one["lat"], -6.885);
        assert_eq!(one["agency_responsible"], Value::Null);
        assert!(
            !one["description"].as_str().unwrap().contains("3456"),
            "{one}"
        );
        assert_eq!(one["notes"][0]["type"], "submitted");
        assert_eq!(one["media_url"], "https://foto");
        let xml = requests_doc(vec![doc]).render("service_requests", Format::Xml);
        let parsed = roxmltree::Document::parse(&xml).unwrap();
        let request = parsed.root_element().first_element_child().unwrap();
        assert_eq!(request.tag_name().name(), "request");
        let names: Vec<&str> = request
            .children()
            .filter(|n| n.is_element())
            .map(|n| n.tag_name().name())
            .collect();
        assert_eq!(names[0], "service_request_id");
        assert!(names.contains(&"expected_datetime"));
        assert!(!xml.contains("<b>"), "markup is escaped");

        let mut secret = report;
        secret.confidential = true;
        assert!(request_doc(&secret, "Jalan Rusak", &|a| a.into(), None, None).is_none());
    }

    fn road() -> crate::domain::catalog::Category {
        crate::domain::catalog::parse_categories(crate::domain::catalog::BUNDLED_CATEGORIES)
            .unwrap()
            .into_iter()
            .find(|c| c.code == "jalan-rusak")
            .unwrap()
    }

    #[test]
    fn a_service_definition_lists_its_questions_in_order() {
        let doc = service_definition_doc(&road());
        let json = doc.to_json();
        assert_eq!(json["service_code"], "jalan-rusak");
        assert_eq!(json["attributes"][0]["code"], "UKURAN");
        assert_eq!(json["attributes"][0]["order"], 1);
        assert_eq!(json["attributes"][0]["values"][2]["key"], "besar");
        assert_eq!(json["attributes"][0]["datatype_description"], Value::Null);
        let xml = doc.render("service_definition", Format::Xml);
        let parsed = roxmltree::Document::parse(&xml).unwrap();
        let attributes = parsed
            .root_element()
            .children()
            .find(|n| n.has_tag_name("attributes"))
            .unwrap();
        assert_eq!(
            attributes
                .children()
                .filter(|n| n.has_tag_name("attribute"))
                .count(),
            2
        );
        let listed = services(&[road()]);
        assert!(listed[0].metadata);
    }

    #[test]
    fn answers_are_checked_against_the_questions() {
        let road = road();
        let answers = |pairs: &[(&str, &[&str])]| -> BTreeMap<String, Vec<String>> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
                .collect()
        };
        assert!(check_answers(&road, &answers(&[("UKURAN", &["besar"])])).is_ok());
        assert!(
            check_answers(
                &road,
                &answers(&[
                    ("UKURAN", &["kecil"]),
                    ("LAJUR", &["trotoar", "badan-jalan"])
                ])
            )
            .is_ok()
        );
        assert_eq!(check_answers(&road, &answers(&[])).unwrap_err().len(), 1);
        assert_eq!(
            check_answers(&road, &answers(&[("UKURAN", &["raksasa"]), ("X", &["1"])]))
                .unwrap_err()
                .len(),
            2
        );
    }

    #[test]
    fn services_render_as_the_specification_shows_them() {
        let doc = services_doc(&[service()]);
        let xml = doc.render("services", Format::Xml);
        assert_eq!(
            xml,
            r#"<?xml version="1.0" encoding="utf-8"?><services><service><service_code>jalan-rusak</service_code><service_name>Jalan Rusak</service_name><description>Jalan berlubang &amp; retak</description><metadata>false</metadata><type>realtime</type><keywords>jalan rusak, lubang</keywords><group>Infrastruktur</group></service></services>"#
        );
        let parsed = roxmltree::Document::parse(&xml).unwrap();
        let root = parsed.root_element();
        assert_eq!(root.tag_name().name(), "services");
        assert_eq!(root.children().filter(|n| n.is_element()).count(), 1);
        let json: Value = serde_json::from_str(&doc.render("services", Format::Json)).unwrap();
        assert_eq!(
            json,
            serde_json::json!([{
                "service_code": "jalan-rusak", "service_name": "Jalan Rusak",
                "description": "Jalan berlubang & retak", "metadata": false, "type": "realtime",
                "keywords": "jalan rusak, lubang", "group": "Infrastruktur"
            }])
        );
    }

    #[test]
    fn errors_are_a_list_with_numeric_codes() {
        let doc = errors_doc(&[Open311Error::forbidden("api_key tidak valid.")]);
        assert_eq!(
            doc.render("errors", Format::Json),
            r#"[{"code":403,"description":"api_key tidak valid."}]"#
        );
        assert_eq!(
            doc.render("errors", Format::Xml),
            r#"<?xml version="1.0" encoding="utf-8"?><errors><error><code>403</code><description>api_key tidak valid.</description></error></errors>"#
        );
    }

    #[test]
    fn hostile_text_is_escaped_and_still_parses() {
        let nasty = r#"<script>alert("x")</script> & 'DROP TABLE'; \u{1} ok"#;
        let doc = Doc::object([("description", Doc::Text(nasty.into()))]);
        let xml = doc.render("request", Format::Xml);
        let parsed = roxmltree::Document::parse(&xml).unwrap();
        let text = parsed
            .root_element()
            .first_element_child()
            .unwrap()
            .text()
            .unwrap();
        assert_eq!(text, nasty.replace('\u{1}', ""));
    }

    #[test]
    fn formats_come_from_the_extension() {
        assert_eq!(
            split_format("requests.json"),
            Some(("requests", Format::Json))
        );
        assert_eq!(
            split_format("BDG-K7M2QXZ.xml"),
            Some(("BDG-K7M2QXZ", Format::Xml))
        );
        assert_eq!(split_format("requests.html"), None);
        assert_eq!(split_format("requests"), None);
        assert_eq!(split_format(".json"), None);
    }

    #[test]
    fn attributes_single_and_multi_and_empty_means_absent() {
        let form = gather_form([
            ("service_code", "jalan-rusak"),
            ("lat", "-6.9025"),
            ("long", "107.6188"),
            ("attribute[UKURAN]", "besar"),
            ("attribute[JENIS][]", "aspal"),
            ("attribute[JENIS][]", "trotoar"),
            ("email", ""),
            ("attribute[]", "ignored"),
        ]);
        assert_eq!(form.attributes["UKURAN"], vec!["besar"]);
        assert_eq!(form.attributes["JENIS"], vec!["aspal", "trotoar"]);
        assert!(!form.fields.contains_key("email"));
        let request = parse_new_request(&form).unwrap();
        assert_eq!(request.lat_long, Some((-6.9025, 107.6188)));
        assert_eq!(request.email, None);
    }

    #[test]
    fn a_bad_form_reports_every_problem() {
        let form = gather_form([
            ("lat", "north"),
            ("description", &"x".repeat(4001)),
            ("media_url", "javascript:alert(1)"),
        ]);
        let errors = parse_new_request(&form).unwrap_err();
        assert_eq!(errors.len(), 5, "{errors:?}");
        assert!(errors.iter().all(|e| e.status == 400));
        let only_address = gather_form([("service_code", "pju"), ("address_string", "Jl. Riau 1")]);
        assert!(parse_new_request(&only_address).is_ok());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn any_form_parses_or_gets_documented_errors_that_render_as_xml(
                pairs in proptest::collection::vec(
                    (prop_oneof![
                        Just("service_code".to_string()), Just("lat".to_string()),
                        Just("long".to_string()), Just("address_string".to_string()),
                        Just("description".to_string()), Just("email".to_string()),
                        Just("phone".to_string()), Just("attribute[WHISPER]".to_string()),
                        Just("attribute[list][]".to_string()), "\\PC{0,20}",
                    ], "\\PC{0,200}"),
                    0..12,
                ),
            ) {
                let form = gather_form(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                if let Err(errors) = parse_new_request(&form) {
                    prop_assert!(!errors.is_empty());
                    prop_assert!(errors.iter().all(|e| [400, 403, 404].contains(&e.status)));
                    // Whatever the input echoed into a description, the XML is well formed.
                    let xml = errors_doc(&errors).render("errors", Format::Xml);
                    prop_assert!(roxmltree::Document::parse(&xml).is_ok(), "{}", xml);
                }
            }
        }
    }
}
