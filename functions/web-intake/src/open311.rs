//! Open311 GeoReport v2 under `/open311/v2/`: discovery, services, service
//! definitions, requests and tokens, each as `.xml` or `.json` (the shapes are in
//! `sigap::domain::open311`).
//!
//! Services are `realtime`: a posted request gets its tracking id at once and is
//! `open` while it waits for verification, so there are no tokens to look up
//! (`tokens/{token}` answers 404).

use lambda_http::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Request, Response};
use sigap::domain::open311::{
    Doc, Format, Note, Open311Error, discovery_doc, errors_doc, request_doc, requests_doc,
    service_definition_doc, services, services_doc, split_format,
};
use sigap::domain::public::PublicReport;
use sigap::domain::report::{Report, ReportEvent};
use sigap::domain::tracking_id::TrackingId;
use sigap::http::{forwarded_base_url, text_response};
use sigap::web::query;
use tracing::error;

use crate::WebIntake;

/// Timeline events read for one request's `notes` (the newest).
pub(crate) const NOTES_PER_REQUEST: usize = 20;

/// The one jurisdiction this endpoint serves.
pub const JURISDICTION: &str = "bandung.go.id";
/// When the service list last changed (categories change with a deploy or a seed).
pub const CHANGESET: &str = "2026-11-28T00:00:00+07:00";

/// A document to answer with, in whichever format was asked for.
pub(crate) struct Reply {
    /// HTTP status.
    pub(crate) status: StatusCode,
    /// The XML root element.
    pub(crate) root: &'static str,
    /// `Retry-After` in seconds, for a refusal over a limit.
    pub(crate) retry_after: Option<i64>,
    /// The document.
    pub(crate) doc: Doc,
}

pub(crate) fn fail(errors: Vec<Open311Error>) -> Reply {
    let status = errors
        .first()
        .and_then(|e| StatusCode::from_u16(e.status).ok())
        .unwrap_or(StatusCode::BAD_REQUEST);
    Reply {
        retry_after: None,
        status,
        root: "errors",
        doc: errors_doc(&errors),
    }
}

fn unavailable(context: &str, err: impl std::fmt::Display) -> Vec<Open311Error> {
    error!(error = %err, "{context}");
    vec![Open311Error::bad_request(
        "Layanan sedang terganggu. Coba lagi beberapa saat lagi.",
    )]
}

fn respond(reply: Reply, format: Format) -> Response<Body> {
    let mut response = text_response(
        reply.status,
        format.content_type(),
        reply.doc.render(reply.root, format),
    );
    if let Some(value) = reply
        .retry_after
        .and_then(|s| HeaderValue::from_str(&s.to_string()).ok())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// Serves `/open311/v2/…` (`rest` is what follows `v2`).
pub async fn route(app: &WebIntake, request: &Request, rest: &[&str]) -> Response<Body> {
    // The format comes from the last segment; without one, errors are JSON.
    let (rest, format) = match rest.split_last() {
        Some((last, init)) => match split_format(last) {
            Some((name, format)) => {
                let mut path: Vec<&str> = init.to_vec();
                path.push(name);
                (path, format)
            }
            None => {
                return respond(
                    fail(vec![Open311Error::not_found(
                        "Gunakan akhiran .xml atau .json.",
                    )]),
                    Format::Json,
                );
            }
        },
        None => {
            return respond(
                fail(vec![Open311Error::not_found("Sumber tidak ditemukan.")]),
                Format::Json,
            );
        }
    };
    if query(request, "jurisdiction_id").is_some_and(|j| j != JURISDICTION) {
        let unknown = Open311Error::not_found(format!(
            "jurisdiction_id tidak dikenal; layanan ini untuk {JURISDICTION}."
        ));
        return respond(fail(vec![unknown]), format);
    }
    let reply = match (request.method(), rest.as_slice()) {
        (&Method::GET, ["discovery"]) => Ok(Reply {
            retry_after: None,
            status: StatusCode::OK,
            root: "discovery",
            doc: discovery_doc(&forwarded_base_url(request), CHANGESET),
        }),
        (&Method::GET, ["services"]) => list_services(app).await,
        (&Method::GET, ["services", code]) => definition(app, code).await,
        (&Method::GET, ["requests", id]) => one_request(app, id).await,
        (&Method::GET, ["requests"]) => crate::open311_requests::list(app, request).await,
        (&Method::POST, ["requests"]) => crate::open311_requests::create(app, request).await,
        (&Method::GET, ["tokens", _]) => Err(vec![Open311Error::not_found(
            "Layanan bertipe realtime: nomor laporan langsung diberikan, tidak ada token.",
        )]),
        _ => Err(vec![Open311Error::not_found("Sumber tidak ditemukan.")]),
    };
    respond(reply.unwrap_or_else(fail), format)
}

async fn list_services(app: &WebIntake) -> Result<Reply, Vec<Open311Error>> {
    let categories = app
        .reports
        .catalog()
        .categories()
        .await
        .map_err(|e| unavailable("loading categories", e))?;
    Ok(Reply {
        retry_after: None,
        status: StatusCode::OK,
        root: "services",
        doc: services_doc(&services(&categories)),
    })
}

async fn definition(app: &WebIntake, code: &str) -> Result<Reply, Vec<Open311Error>> {
    let categories = app
        .reports
        .catalog()
        .categories()
        .await
        .map_err(|e| unavailable("loading categories", e))?;
    let category = categories.iter().find(|c| c.code == code).ok_or_else(|| {
        vec![Open311Error::not_found(format!(
            "service_code {code} tidak dikenal."
        ))]
    })?;
    Ok(Reply {
        retry_after: None,
        status: StatusCode::OK,
        root: "service_definition",
        doc: service_definition_doc(category),
    })
}

/// The public timeline as the `notes` extension (reminders are internal).
pub(crate) fn notes(events: &[ReportEvent]) -> Vec<Note> {
    PublicReport::timeline(events)
        .iter()
        .map(Note::from)
        .collect()
}

/// The Open311 view of `report`, or `None` when it is not public.
pub(crate) async fn view(
    app: &WebIntake,
    report: &Report,
    events: Option<&[ReportEvent]>,
) -> Result<Option<Doc>, Vec<Open311Error>> {
    let (categories, agencies) = tokio::join!(
        app.reports.catalog().categories(),
        app.reports.catalog().agencies()
    );
    let categories = categories.map_err(|e| unavailable("loading categories", e))?;
    let agencies = agencies.map_err(|e| unavailable("loading agencies", e))?;
    let service_name = categories
        .iter()
        .find(|c| c.code == report.category)
        .map_or_else(|| report.category.clone(), |c| c.name.clone());
    let agency_name = |id: &str| {
        agencies
            .iter()
            .find(|a| a.id == id)
            .map_or_else(|| id.to_string(), |a| a.name.clone())
    };
    let notes = events.map(notes);
    let media_url = app
        .photos
        .first_public(report)
        .await
        .map_err(|e| unavailable("linking a photo", e))?;
    Ok(request_doc(
        report,
        &service_name,
        &agency_name,
        notes.as_deref(),
        media_url.as_deref(),
    ))
}

async fn one_request(app: &WebIntake, raw: &str) -> Result<Reply, Vec<Open311Error>> {
    let not_found = || {
        vec![Open311Error::not_found(format!(
            "service_request_id {raw} tidak ditemukan."
        ))]
    };
    let id = TrackingId::parse(raw).map_err(|_| not_found())?;
    let (report, page) = tokio::join!(
        app.reports.store().get(&id),
        app.reports
            .store()
            .timeline_page(&id, None, NOTES_PER_REQUEST)
    );
    let report = report
        .map_err(|e| unavailable("reading report", e))?
        .ok_or_else(not_found)?;
    let events = page.map_err(|e| unavailable("reading timeline", e))?.events;
    let doc = view(app, &report, Some(&events))
        .await?
        .ok_or_else(not_found)?;
    Ok(Reply {
        retry_after: None,
        status: StatusCode::OK,
        root: "service_requests",
        doc: requests_doc(vec![doc]),
    })
}
