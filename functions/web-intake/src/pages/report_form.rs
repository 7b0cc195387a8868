//! `GET /lapor` and `POST /lapor`: the report form. A post goes through the JSON API's
//! own checks and filing (`checked_submission`, `file_report`); a refused field comes
//! back next to its input with what was typed kept.

use std::collections::BTreeMap;

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use maud::{Markup, html};
use sigap::domain::catalog::Category;
use sigap::domain::location::all_kecamatan;
use sigap::domain::open311::{AnswerProblem, answer_problems, with_answers};
use sigap::domain::submission::{ContactBody, FieldError, LocationBody, SubmissionBody};
use sigap::http::{ApiError, client_address};
use sigap::service::reports::Submitted;

use super::{Caching, Lang, form_pairs, html, layout, map, same_site_post, see_other};
use crate::{Intake, WebIntake, checked_submission, file_report, in_progress, key_reused};

/// How long the reporter's cookie lasts: long enough to follow a report to its end.
const REPORTER_COOKIE_DAYS: u32 = 180;

/// What was typed, kept across a refused post.
#[derive(Default)]
struct Typed {
    fields: BTreeMap<String, String>,
    /// Answers to the chosen category's questions, by question code.
    answers: BTreeMap<String, Vec<String>>,
}

impl Typed {
    fn get(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }

    fn checked(&self, name: &str) -> bool {
        self.get(name) == "1"
    }

    fn given(&self, name: &str) -> Option<String> {
        Some(self.get(name).trim().to_string()).filter(|v| !v.is_empty())
    }

    /// What the form says, independent of how a browser encoded it (order, empty
    /// fields, the key itself): the same form sent again is the same payload.
    fn canonical(&self) -> Vec<u8> {
        let fields: BTreeMap<&str, &str> = self
            .fields
            .iter()
            .filter(|(name, value)| *name != "kunci" && !value.trim().is_empty())
            .map(|(name, value)| (name.as_str(), value.trim()))
            .collect();
        serde_json::to_vec(&(fields, &self.answers)).unwrap_or_default()
    }
}

/// What a refused post is told: problems by form field, and by question code.
#[derive(Default)]
struct Problems {
    fields: Vec<FieldError>,
    questions: Vec<(String, String)>,
}

impl Problems {
    fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.questions.is_empty()
    }
}

/// The empty form, with a fresh key so that sending it twice files one report.
pub(crate) async fn blank(app: &WebIntake, lang: Lang) -> Result<Response<Body>, ApiError> {
    let key = app
        .ids
        .secret_token()
        .map_err(|_| ApiError::unavailable())?;
    let mut typed = Typed::default();
    typed.fields.insert("kunci".into(), key);
    form_page(app, lang, &typed, &Problems::default(), StatusCode::OK).await
}

/// A posted form: filed once under its key, then on to the receipt; or the form
/// again with each problem next to its field.
pub(crate) async fn post(
    app: &WebIntake,
    request: &Request,
    lang: Lang,
) -> Result<Response<Body>, ApiError> {
    same_site_post(request)?;
    let pairs = form_pairs(request)?;
    let typed = typed(&pairs);
    let mut problems = Problems::default();
    let body = submission_body(&typed, &mut problems.fields);
    let categories = app.categories().await?;
    let category = categories.iter().find(|c| c.code == typed.get("category"));
    if let Some(category) = category {
        problems.questions = answer_problems(category, &typed.answers)
            .iter()
            .map(|problem| {
                let message = match problem {
                    AnswerProblem::Missing(_) => "Pertanyaan ini wajib dijawab.",
                    AnswerProblem::Invalid(_) | AnswerProblem::Unknown(_) => {
                        "Jawaban ini tidak valid. Pilih atau isi lagi."
                    }
                };
                (problem.code().to_string(), message.to_string())
            })
            .collect();
    }
    let checked = match checked_submission(app, body).await {
        Err(refused) if !refused.fields.is_empty() => {
            problems.fields.extend(refused.fields);
            None
        }
        Err(refused) => return Err(refused),
        Ok(submission) => Some(submission).filter(|_| problems.is_empty()),
    };
    let Some(mut submission) = checked else {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return form_page(app, lang, &typed, &problems, status).await;
    };
    if let Some(category) = category {
        submission.description = with_answers(&submission.description, category, &typed.answers);
    }
    let key = typed
        .given("kunci")
        .filter(|k| k.len() <= 128 && k.chars().all(|c| c.is_ascii_alphanumeric()))
        .ok_or_else(|| {
            ApiError::invalid("Formulir ini tidak lengkap. Muat ulang halaman lalu kirim lagi.")
        })?;
    let citizen = Intake::Citizen(
        app.sender_key
            .client(client_address(request, app.edge.as_ref())),
    );
    let key = citizen.scoped(format!("client:{key}"));
    let stored = match file_report(app, &citizen, &submission, &key, &typed.canonical()).await? {
        Submitted::Created { answer, .. } => answer.ok_or_else(ApiError::internal)?,
        Submitted::Replay(stored) => stored,
        Submitted::InProgress => return Err(in_progress()),
        Submitted::KeyReused => return Err(key_reused_on_page()),
        Submitted::Limited(refusal) => return Err(crate::too_many_reports(refusal)),
    };
    // The stored answer is the API's: the page reads its id and token back from it,
    // so a form sent twice lands on the same receipt.
    let answer: serde_json::Value =
        serde_json::from_str(&stored.body).map_err(|_| ApiError::internal())?;
    let (Some(id), Some(token)) = (
        answer["tracking_id"].as_str(),
        answer["reporter_token"].as_str(),
    ) else {
        return Err(ApiError::internal());
    };
    Ok(see_other(
        &format!("/laporan/{id}?diterima=1"),
        &[reporter_cookie(id, token)],
    ))
}

/// The reporter's token, kept by the browser for this report's pages only: never in a
/// URL, unreadable by scripts, never sent from another site.
pub(crate) fn reporter_cookie(id: &str, token: &str) -> String {
    format!(
        "pelapor={token}; Path=/laporan/{id}; Max-Age={}; HttpOnly; Secure; SameSite=Strict",
        REPORTER_COOKIE_DAYS * 24 * 60 * 60
    )
}

/// The form's key came back with another report's text (sent, then edited).
fn key_reused_on_page() -> ApiError {
    ApiError {
        message: "Formulir ini sudah terkirim sebagai laporan lain. Buka formulir baru untuk laporan berikutnya."
            .into(),
        ..key_reused()
    }
}

/// The posted pairs: plain fields (last wins), and answers named `q.<category>.<code>`
/// for the chosen category only (the page lists every category's questions).
fn typed(pairs: &[(String, String)]) -> Typed {
    let mut typed = Typed::default();
    for (name, value) in pairs {
        if !name.starts_with("q.") {
            typed.fields.insert(name.clone(), value.clone());
        }
    }
    let prefix = format!("q.{}.", typed.get("category"));
    for (name, value) in pairs {
        if let Some(code) = name.strip_prefix(&prefix)
            && !value.trim().is_empty()
        {
            typed
                .answers
                .entry(code.to_string())
                .or_default()
                .push(value.trim().to_string());
        }
    }
    typed
}

/// The form as the JSON API's body, so both take one path. A coordinate that is not a
/// number (a tampered form) is a field error here; everything else is checked there.
fn submission_body(typed: &Typed, errors: &mut Vec<FieldError>) -> SubmissionBody {
    let mut coordinate = |name: &str, field: &'static str| {
        let raw = typed.given(name)?;
        match raw.parse::<f64>() {
            Ok(value) if value.is_finite() => Some(value),
            _ => {
                errors.push(FieldError {
                    field,
                    message: "Titik lokasi tidak valid. Pilih lagi di peta atau isi alamat.".into(),
                });
                None
            }
        }
    };
    let lat = coordinate("lat", "location.lat");
    let lon = coordinate("lon", "location.lon");
    SubmissionBody {
        title: typed.given("title"),
        description: typed.given("description"),
        category: typed.given("category"),
        location: Some(LocationBody {
            lat,
            lon,
            address: typed.given("address"),
            kecamatan: typed.given("kecamatan"),
        }),
        contact: Some(ContactBody {
            name: typed.given("name"),
            phone: typed.given("phone"),
            email: typed.given("email"),
        }),
        anonymous: typed.checked("anonymous"),
        confidential: typed.checked("confidential"),
    }
}

/// Which form field a submission error belongs to.
fn field_of(error: &FieldError) -> &'static str {
    match error.field {
        "location" | "location.lat" | "location.lon" | "location.address" => "address",
        "location.kecamatan" => "kecamatan",
        "contact.name" => "name",
        "contact.phone" => "phone",
        "contact.email" => "email",
        other => other,
    }
}

async fn form_page(
    app: &WebIntake,
    lang: Lang,
    typed: &Typed,
    problems: &Problems,
    status: StatusCode,
) -> Result<Response<Body>, ApiError> {
    let errors = &problems.fields;
    let categories = app.categories().await?;
    let emergency_words = app
        .rules
        .emergency
        .iter()
        .flat_map(|rule| rule.keywords.iter().cloned())
        .collect::<Vec<_>>()
        .join("|");
    let error_for = |field: &str| -> Option<String> {
        let messages: Vec<&str> = errors
            .iter()
            .filter(|e| field_of(e) == field)
            .map(|e| e.message.as_str())
            .collect();
        (!messages.is_empty()).then(|| messages.join(" "))
    };
    let problem = |field: &str| -> Markup {
        html! {
            @if let Some(message) = error_for(field) {
                p.field-error id={ "galat-" (field) } { (message) }
            }
        }
    };
    let described_by = |field: &str, hint: Option<&str>| -> Option<String> {
        let ids: Vec<String> = hint
            .map(str::to_string)
            .into_iter()
            .chain(error_for(field).map(|_| format!("galat-{field}")))
            .collect();
        (!ids.is_empty()).then(|| ids.join(" "))
    };
    let invalid = |field: &str| error_for(field).map(|_| "true");
    let privacy_choice = |name: &str, label: &str, meaning: &str| {
        let hint = format!("arti-{name}");
        html! {
            div.check {
                input id=(name) name=(name) type="checkbox" value="1"
                    checked[typed.checked(name)] aria-describedby=(hint);
                label for=(name) { (label) }
                p.hint id=(hint) { (meaning) }
            }
        }
    };
    let contact_field = |input: ContactInput| {
        html! {
            div.field {
                label for=(input.name) { (input.label) }
                (problem(input.name))
                input id=(input.name) name=(input.name) type=(input.kind) maxlength=(input.max)
                    autocomplete=(input.autocomplete) placeholder=[input.placeholder]
                    value=(typed.get(input.name)) aria-invalid=[invalid(input.name)]
                    aria-describedby=[described_by(input.name, input.hint)];
            }
        }
    };
    let mut groups: Vec<(&str, Vec<&Category>)> = Vec::new();
    for category in categories.iter() {
        match groups.iter_mut().find(|(g, _)| *g == category.group) {
            Some((_, list)) => list.push(category),
            None => groups.push((&category.group, vec![category])),
        }
    }
    let body = html! {
        h1 { (lang.t("Laporkan masalah", "Report a problem")) }
        @if !problems.is_empty() {
            div.error-summary role="alert" tabindex="-1" id="ringkasan-galat" {
                h2 { (lang.t("Periksa lagi isian Anda", "Please check what you entered")) }
                ul {
                    @for error in errors {
                        li { a href={ "#" (field_of(error)) } { (error.message) } }
                    }
                    @for (code, message) in &problems.questions {
                        li { a href={ "#q-" (typed.get("category")) "-" (code) } { (message) } }
                    }
                }
            }
        }
        p.notice id="draf" role="status" hidden {}
        form.report method="post" action="/lapor" novalidate {
            input type="hidden" name="kunci" value=(typed.get("kunci"));
            div.field {
                label for="category" { (lang.t("Jenis masalah", "Kind of problem")) }
                (problem("category"))
                select id="category" name="category" required
                    aria-invalid=[invalid("category")] aria-describedby=[described_by("category", None)] {
                    option value="" { (lang.t("— Pilih —", "— Choose —")) }
                    @for (group, list) in &groups {
                        optgroup label=(group) {
                            @for category in list {
                                option value=(category.code) selected[typed.get("category") == category.code] {
                                    (category.name)
                                }
                            }
                        }
                    }
                }
            }
            div id="questions" {
                @for category in categories.iter().filter(|c| !c.questions.is_empty()) {
                    // Only the chosen category's show (app.css); without JavaScript,
                    // every one (nojs.css), since nothing would switch them.
                    fieldset.questions.chosen[category.code == typed.get("category")] data-category=(category.code) {
                        legend { (lang.t("Pertanyaan untuk ", "Questions for ")) (category.name) }
                        @for question in &category.questions {
                            (question_input(lang, category, question, typed, &problems.questions))
                        }
                    }
                }
            }
            div.field {
                label for="title" { (lang.t("Judul singkat", "Short title")) }
                (problem("title"))
                input id="title" name="title" type="text" maxlength="150" required
                    value=(typed.get("title"))
                    aria-invalid=[invalid("title")] aria-describedby=[described_by("title", None)];
            }
            div.field {
                label for="description" { (lang.t("Ceritakan masalahnya", "Describe the problem")) }
                p.hint id="petunjuk-isi" {
                    (lang.t(
                        "Apa, sejak kapan, dan seberapa parah. Jangan tulis nomor HP atau NIK di sini: isi ini bisa tampil untuk umum.",
                        "What, since when, and how bad. Do not write phone or ID numbers here: this text may be shown to the public.",
                    ))
                }
                (problem("description"))
                textarea id="description" name="description" rows="6" maxlength="4000" required
                    data-emergency-words=(emergency_words)
                    aria-invalid=[invalid("description")]
                    aria-describedby=[described_by("description", Some("petunjuk-isi"))] {
                    (typed.get("description"))
                }
                div id="saran-darurat" class="urgent" role="alert" hidden {
                    p {
                        strong { (lang.t("Ini terdengar darurat.", "This sounds like an emergency.")) }
                        " "
                        (lang.t("Jika ada bahaya sekarang, jangan menunggu laporan: telepon ", "If there is danger now, do not wait for a report: call "))
                        a href="tel:112" { strong { "112" } }
                        "."
                    }
                }
            }
            fieldset.location {
                legend { (lang.t("Lokasi", "Location")) }
                p.hint id="petunjuk-lokasi" {
                    (lang.t(
                        "Isi alamat dan kecamatan, ketuk tempatnya di peta, atau pakai lokasi ponsel Anda (hanya jika Anda mengizinkan).",
                        "Give the address and kecamatan, tap the place on the map, or use your phone's position (only if you allow it).",
                    ))
                }
                (problem("address"))
                (map::area(lang, "peta-lapor", app.map.as_ref()))
                input type="hidden" id="lat" name="lat" value=(typed.get("lat"));
                input type="hidden" id="lon" name="lon" value=(typed.get("lon"));
                p.geo.js-only {
                    button type="button" id="pakai-lokasi" { (lang.t("Pakai lokasi saya", "Use my location")) }
                    " "
                    span id="status-lokasi" role="status" {
                        @if !typed.get("lat").is_empty() {
                            (lang.t("Lokasi ponsel terpasang.", "Phone position set."))
                        }
                    }
                }
                div.field {
                    label for="address" { (lang.t("Alamat atau patokan", "Address or landmark")) }
                    input id="address" name="address" type="text" maxlength="300" autocomplete="street-address"
                        value=(typed.get("address"))
                        aria-invalid=[invalid("address")]
                        aria-describedby=[described_by("address", Some("petunjuk-lokasi"))];
                }
                div.field {
                    label for="kecamatan" { (lang.t("Kecamatan", "District (kecamatan)")) }
                    (problem("kecamatan"))
                    select id="kecamatan" name="kecamatan" aria-invalid=[invalid("kecamatan")]
                        aria-describedby=[described_by("kecamatan", None)] {
                        option value="" { (lang.t("— Tidak tahu —", "— Not sure —")) }
                        @for kecamatan in all_kecamatan() {
                            option value=(kecamatan.code) selected[typed.get("kecamatan") == kecamatan.code] {
                                (kecamatan.name)
                            }
                        }
                    }
                }
            }
            fieldset.privacy {
                legend { (lang.t("Siapa yang boleh tahu", "Who may know")) }
                (privacy_choice("anonymous", lang.t("Anonim", "Anonymous"), lang.t(
                    "Laporan tampil untuk umum, tetapi nama dan kontak Anda hanya dilihat admin yang memverifikasi; instansi dan publik tidak.",
                    "The report is public, but only the verifying administrator sees your name and contact; the agency and the public do not.",
                )))
                (privacy_choice("confidential", lang.t("Rahasia", "Confidential"), lang.t(
                    "Laporan tidak pernah tampil untuk umum, dan instansi tidak melihat siapa Anda; hanya admin dan instansi yang menangani membaca isinya.",
                    "The report is never public and the agency does not see who you are; only the administrators and the agency handling it read it.",
                )))
            }
            fieldset.contact {
                legend { (lang.t("Kontak (tidak wajib)", "Contact (optional)")) }
                p.hint id="petunjuk-kontak" {
                    (lang.t(
                        "Dengan nomor HP, Anda menerima kabar laporan lewat SMS. Kontak tidak pernah tampil untuk umum.",
                        "With a phone number you get news of the report by SMS. Contact details are never public.",
                    ))
                }
                (contact_field(ContactInput { name: "name", label: lang.t("Nama", "Name"), kind: "text", max: 100, autocomplete: "name", placeholder: None, hint: Some("petunjuk-kontak") }))
                (contact_field(ContactInput { name: "phone", label: lang.t("Nomor HP", "Mobile number"), kind: "tel", max: 20, autocomplete: "tel", placeholder: Some("0812…"), hint: None }))
                (contact_field(ContactInput { name: "email", label: lang.t("E-mail", "E-mail"), kind: "email", max: 254, autocomplete: "email", placeholder: None, hint: None }))
            }
            p.hint { (lang.t(
                "Foto masalahnya bisa Anda tambahkan tepat setelah laporan terkirim, di halaman tanda terima.",
                "You can add photos of the problem right after sending, on the receipt page.",
            )) }
            p { button.button type="submit" { (lang.t("Kirim laporan", "Send report")) } }
        }
    };
    let title = lang.t("Laporkan masalah", "Report a problem");
    Ok(html(
        status,
        layout::page_with_map(lang, title, body, app.map.as_ref()),
        Caching::Private,
        &app.map.iter().map(|m| m.origin.clone()).collect::<Vec<_>>(),
    ))
}

/// One contact input of the form.
struct ContactInput {
    name: &'static str,
    label: &'static str,
    kind: &'static str,
    max: u32,
    autocomplete: &'static str,
    placeholder: Option<&'static str>,
    hint: Option<&'static str>,
}

/// One of a category's questions as its input, named `q.<category>.<code>`.
fn question_input(
    lang: Lang,
    category: &Category,
    question: &sigap::domain::catalog::Question,
    typed: &Typed,
    problems: &[(String, String)],
) -> Markup {
    let name = format!("q.{}.{}", category.code, question.code);
    let id = format!("q-{}-{}", category.code, question.code);
    let chosen = category.code == typed.get("category");
    let given = |value: &str| {
        chosen
            && typed
                .answers
                .get(&question.code)
                .is_some_and(|v| v.iter().any(|a| a == value))
    };
    let first = if chosen {
        typed
            .answers
            .get(&question.code)
            .and_then(|v| v.first())
            .map_or("", String::as_str)
    } else {
        ""
    };
    let optional = (!question.required).then(|| lang.t(" (tidak wajib)", " (optional)"));
    let problem = problems
        .iter()
        .find(|(code, _)| chosen && *code == question.code)
        .map(|(_, message)| message);
    let error_id = format!("galat-{id}");
    let described = problem.map(|_| error_id.as_str());
    let invalid = problem.map(|_| "true");
    html! {
        @if let Some(message) = problem {
            p.field-error id=(error_id) { (message) }
        }
        @match question.datatype.as_str() {
            "singlevaluelist" => div.field {
                label for=(id) { (question.description) (optional.unwrap_or_default()) }
                select id=(id) name=(name) aria-invalid=[invalid] aria-describedby=[described] {
                    option value="" { (lang.t("— Pilih —", "— Choose —")) }
                    @for choice in &question.values {
                        option value=(choice.key) selected[given(&choice.key)] { (choice.name) }
                    }
                }
            },
            "multivaluelist" => fieldset id=(id) aria-describedby=[described] {
                legend { (question.description) (optional.unwrap_or_default()) }
                @for choice in &question.values {
                    div.check {
                        input type="checkbox" id={ (id) "-" (choice.key) } name=(name) value=(choice.key)
                            checked[given(&choice.key)];
                        label for={ (id) "-" (choice.key) } { (choice.name) }
                    }
                }
            },
            datatype => div.field {
                label for=(id) { (question.description) (optional.unwrap_or_default()) }
                @if datatype == "text" {
                    textarea id=(id) name=(name) rows="3" maxlength="1000" aria-invalid=[invalid]
                        aria-describedby=[described] { (first) }
                } @else {
                    input id=(id) name=(name) type=(if datatype == "number" { "number" } else { "text" })
                        value=(first) aria-invalid=[invalid] aria-describedby=[described];
                }
            },
        }
    }
}
