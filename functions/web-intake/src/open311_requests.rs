//! Open311 service requests: `POST requests` (API key, form-encoded) enters the
//! same workflow as the web form; `GET requests` lists public reports with the
//! specification's filters and the pagination extension.

use std::collections::BTreeSet;

use futures::StreamExt;
use jiff::{SignedDuration, Timestamp};
use lambda_http::Request;
use lambda_http::http::{StatusCode, header};
use sigap::adapters::idempotency::StoredResponse;
use sigap::adapters::table::StoreError;
use sigap::domain::open311::{
    Doc, Open311Error, RequestForm, check_answers, gather_form, parse_new_request, requests_doc,
    with_answers,
};
use sigap::domain::public::PublicReport;
use sigap::domain::report::{Report, ReportEvent};
use sigap::domain::submission::{ContactBody, LocationBody, ReportSubmission, SubmissionBody};
use sigap::domain::tracking_id::TrackingId;
use sigap::runtime::ids::sha256_hex;
use sigap::service::reports::{Once, Submitted};
use tracing::{info, warn};

use crate::{Intake, WebIntake};
use sigap::web::query;

/// Largest form accepted.
const MAX_FORM_BYTES: usize = 64 * 1024;
/// The specification's longest window for `GET requests`.
const MAX_WINDOW: SignedDuration = SignedDuration::from_hours(90 * 24);
/// Requests per page unless the client asks, and the most it may ask for: every
/// request on a page is a report read, so a page is bounded work.
const DEFAULT_PAGE_SIZE: usize = 100;
const MAX_PAGE_SIZE: usize = 200;
/// With `extensions=true` each request also reads its notes: a smaller page.
const MAX_EXTENDED_PAGE_SIZE: usize = 50;
/// The deepest a listing may reach (`page × page_size`): further back, narrow the
/// dates instead.
const MAX_LISTED: usize = 2000;
/// Most index entries read for one listing (filters that match little stop here).
const MAX_SCANNED: usize = 10_000;
/// Most ids one `service_request_id` list may name.
const MAX_IDS: usize = 50;
/// Reports (or notes) read at once.
const READS_AT_ONCE: usize = 8;

type Outcome = Result<super::open311::Reply, Vec<Open311Error>>;

fn unavailable(context: &str, err: impl std::fmt::Display) -> Vec<Open311Error> {
    warn!(error = %err, "{context}");
    vec![Open311Error::bad_request(
        "Layanan sedang terganggu. Coba lagi beberapa saat lagi.",
    )]
}

fn created(id: &str) -> super::open311::Reply {
    super::open311::Reply {
        retry_after: None,
        status: StatusCode::CREATED,
        root: "service_requests",
        doc: requests_doc(vec![Doc::object([
            ("service_request_id", Doc::Text(id.into())),
            (
                "service_notice",
                Doc::Text(
                    "Laporan diterima; admin LAPOR! memverifikasinya dalam 2 hari kerja.".into(),
                ),
            ),
            ("account_id", Doc::Null),
        ])]),
    }
}

/// `POST requests.{fmt}`.
pub async fn create(app: &WebIntake, request: &Request) -> Outcome {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(vec![Open311Error::bad_request(
            "Kirim sebagai application/x-www-form-urlencoded.",
        )]);
    }
    let body = request.body().as_ref();
    if body.len() > MAX_FORM_BYTES {
        return Err(vec![Open311Error::bad_request(
            "Isi permintaan terlalu besar.",
        )]);
    }
    let pairs: Vec<(String, String)> = form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let form = gather_form(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let key = match form.fields.get("api_key") {
        None => None,
        Some(presented) => app
            .api_keys
            .check(presented)
            .await
            .map_err(|e| unavailable("checking api key", e))?,
    };
    let Some(key) = key else {
        return Err(vec![Open311Error::forbidden(
            "api_key tidak ada atau tidak valid: laporan tidak dapat dibuat.",
        )]);
    };
    let submission = submission(app, &form).await?;
    let intake = Intake::Open311(key.id.clone());
    let idempotency = intake.scoped(format!("auto:{}", sha256_hex(body)));
    let answer = |report: &Report, _: &str| StoredResponse {
        status: StatusCode::CREATED.as_u16(),
        body: serde_json::json!({ "service_request_id": report.id.as_str() }).to_string(),
    };
    let outcome = app
        .intake
        .submit(
            &app.reports,
            &intake.new_report(&submission, &app.sender_key),
            Once::Key {
                key: &idempotency,
                payload: body,
                answer: &answer,
                limit: intake.limit(app),
            },
        )
        .await
        .map_err(|e| unavailable("accepting open311 request", e))?;
    match outcome {
        Submitted::Created { report, .. } => {
            info!(report_id = %report.id, client = %key.id, "open311 request accepted");
            Ok(created(report.id.as_str()))
        }
        Submitted::Replay(stored) => {
            let id = serde_json::from_str::<serde_json::Value>(&stored.body)
                .ok()
                .and_then(|v| v["service_request_id"].as_str().map(str::to_string))
                .ok_or_else(|| unavailable("replaying open311 request", "stored answer"))?;
            Ok(created(&id))
        }
        Submitted::InProgress => Err(vec![Open311Error::bad_request(
            "Permintaan yang sama sedang diproses. Coba lagi dalam beberapa detik.",
        )]),
        Submitted::KeyReused => Err(vec![Open311Error::bad_request(crate::key_reused().message)]),
        // GeoReport v2 answers only 400, 403 and 404: 403 with the code 429, and
        // the wait in Retry-After as every limit gives it.
        Submitted::Limited(refusal) => Ok(super::open311::Reply {
            retry_after: Some(refusal.retry_after_seconds.max(1)),
            ..super::open311::fail(vec![Open311Error {
                status: 403,
                code: 429,
                description: format!(
                    "api_key melewati batas {} laporan per jam. Coba lagi dalam {}.",
                    app.open311_per_key.max,
                    refusal.wait_in_words()
                ),
            }])
        }),
    }
}

/// Turns the checked form into the web form's submission, so both take one path.
async fn submission(
    app: &WebIntake,
    form: &RequestForm,
) -> Result<ReportSubmission, Vec<Open311Error>> {
    let posted = parse_new_request(form)?;
    let categories = app
        .reports
        .catalog()
        .categories()
        .await
        .map_err(|e| unavailable("loading categories", e))?;
    let category = categories
        .iter()
        .find(|c| c.code == posted.service_code)
        .ok_or_else(|| {
            vec![Open311Error::not_found(format!(
                "service_code {} tidak dikenal.",
                posted.service_code
            ))]
        })?;
    check_answers(category, &posted.attributes)?;
    // Answers and the photo link travel in the text the admin verifies.
    let mut description = with_answers(
        &posted
            .description
            .clone()
            .unwrap_or_else(|| format!("Laporan {} melalui Open311.", category.name)),
        category,
        &posted.attributes,
    );
    if let Some(url) = &posted.media_url {
        description.push_str(&format!("\nFoto: {url}"));
    }
    let name = [posted.first_name.clone(), posted.last_name.clone()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let body = SubmissionBody {
        title: Some(category.name.clone()),
        description: Some(description),
        category: Some(category.code.clone()),
        location: Some(LocationBody {
            lat: posted.lat_long.map(|(lat, _)| lat),
            lon: posted.lat_long.map(|(_, long)| long),
            address: posted.address_string.clone(),
            kecamatan: None,
        }),
        contact: Some(ContactBody {
            name: (!name.is_empty()).then_some(name),
            phone: posted.phone.clone(),
            email: posted.email.clone(),
        }),
        anonymous: false,
        confidential: false,
    };
    ReportSubmission::parse(body, |code| code == category.code).map_err(|fields| {
        fields
            .into_iter()
            .map(|f| {
                Open311Error::bad_request(format!("{}: {}", open311_field(f.field), f.message))
            })
            .collect()
    })
}

/// The Open311 name of one of our submission fields.
fn open311_field(field: &str) -> &str {
    match field {
        "location" => "lat/long/address_string",
        "category" => "service_code",
        "contact.phone" => "phone",
        "contact.email" => "email",
        "contact.name" => "first_name/last_name",
        other => other,
    }
}

fn comma_list(value: Option<&str>) -> Vec<String> {
    value
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

fn datetime(request: &Request, name: &str) -> Result<Option<Timestamp>, Vec<Open311Error>> {
    query(request, name)
        .map(|raw| {
            raw.parse::<Timestamp>().map_err(|_| {
                vec![Open311Error::bad_request(format!(
                    "{name} harus tanggal-waktu W3C dengan zona waktu, contoh 2026-11-20T10:00:00+07:00."
                ))]
            })
        })
        .transpose()
}

fn positive(
    request: &Request,
    name: &str,
    default: usize,
    max: usize,
) -> Result<usize, Vec<Open311Error>> {
    match query(request, name) {
        None => Ok(default),
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                vec![Open311Error::bad_request(format!(
                    "{name} harus bilangan 1 sampai {max}."
                ))]
            }),
    }
}

/// `GET requests.{fmt}`.
pub async fn list(app: &WebIntake, request: &Request) -> Outcome {
    let extensions = query(request, "extensions") == Some("true");
    let ids = comma_list(query(request, "service_request_id"));
    let reports: Vec<Report> = if !ids.is_empty() {
        // service_request_id overrides every other filter.
        if ids.len() > MAX_IDS {
            return Err(vec![Open311Error::bad_request(format!(
                "service_request_id paling banyak {MAX_IDS} nomor sekaligus."
            ))]);
        }
        let ids: Vec<TrackingId> = ids
            .iter()
            .filter_map(|raw| TrackingId::parse(raw).ok())
            .collect();
        let store = app.reports.store();
        let read = futures::stream::iter(
            ids.into_iter()
                .map(|id| async move { store.get(&id).await }),
        )
        .buffered(READS_AT_ONCE)
        .collect::<Vec<_>>()
        .await;
        read.into_iter()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| unavailable("reading report", e))?
            .into_iter()
            .flatten()
            .collect()
    } else {
        let now = app.clock.now();
        let (start, end) = match (
            datetime(request, "start_date")?,
            datetime(request, "end_date")?,
        ) {
            (None, None) => (now.saturating_sub(MAX_WINDOW).unwrap_or(now), now),
            (Some(start), None) => (
                start,
                start.saturating_add(MAX_WINDOW).unwrap_or(now).min(now),
            ),
            (None, Some(end)) => (end.saturating_sub(MAX_WINDOW).unwrap_or(end), end),
            (Some(start), Some(end)) => (start, end),
        };
        if end < start {
            return Err(vec![Open311Error::bad_request(
                "end_date harus setelah start_date.",
            )]);
        }
        if end.duration_since(start) > MAX_WINDOW {
            return Err(vec![Open311Error::bad_request(
                "Rentang start_date sampai end_date maksimal 90 hari.",
            )]);
        }
        let statuses = comma_list(query(request, "status"));
        if let Some(bad) = statuses
            .iter()
            .find(|s| !matches!(s.as_str(), "open" | "closed"))
        {
            return Err(vec![Open311Error::bad_request(format!(
                "status {bad} tidak dikenal: open atau closed."
            ))]);
        }
        let codes: BTreeSet<String> = comma_list(query(request, "service_code"))
            .into_iter()
            .collect();
        let largest = if extensions {
            MAX_EXTENDED_PAGE_SIZE
        } else {
            MAX_PAGE_SIZE
        };
        let page_size = positive(
            request,
            "page_size",
            DEFAULT_PAGE_SIZE.min(largest),
            largest,
        )?;
        let page = positive(request, "page", 1, MAX_LISTED / page_size)?;
        // The scan stops as soon as this page is full.
        // Lists hold published requests only (verified by an admin).
        let wanted = |r: &Report| {
            PublicReport::of(r).is_some_and(|p| p.is_published())
                && (statuses.is_empty() || statuses.iter().any(|s| s == r.status.open311()))
                && (codes.is_empty() || codes.contains(&r.category))
        };
        let listed = app
            .reports
            .store()
            .public_between(start, end, wanted, page * page_size, MAX_SCANNED)
            .await
            .map_err(|e| unavailable("listing reports", e))?;
        listed.into_iter().skip((page - 1) * page_size).collect()
    };
    let notes = |report: &Report| {
        let id = report.id.clone();
        async move {
            if !extensions {
                return Ok(None);
            }
            let page = app
                .reports
                .store()
                .timeline_page(&id, None, super::open311::NOTES_PER_REQUEST)
                .await?;
            Ok::<_, StoreError>(Some(page.events))
        }
    };
    let notes: Vec<Option<Vec<ReportEvent>>> = futures::stream::iter(reports.iter().map(notes))
        .buffered(READS_AT_ONCE)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .map_err(|e| unavailable("reading timeline", e))?;
    let mut docs = Vec::new();
    for (report, events) in reports.iter().zip(&notes) {
        if let Some(doc) = super::open311::view(app, report, events.as_deref()).await? {
            docs.push(doc);
        }
    }
    Ok(super::open311::Reply {
        retry_after: None,
        status: StatusCode::OK,
        root: "service_requests",
        doc: requests_doc(docs),
    })
}
