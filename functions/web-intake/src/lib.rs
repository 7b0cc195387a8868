//! `web-intake`: the public citizen API over API Gateway (HTTP API, payload 2.0).
//!
//! Routes: `POST /reports`, `GET /reports/{id}`, `GET /categories`, the reporter's
//! actions `POST /reports/{id}/{action}` (with `photos`, an upload slot) and their
//! photos `GET /reports/{id}/photos`, Open311 under `/open311/v2`.
//!
//! Accepting a report is: parse and validate (nothing written on failure) → claim the
//! idempotency key → write report + creation event + deadline (+ contact) in one
//! transaction → enqueue for triage → save the response for replay. If the enqueue
//! fails the report is still stored in the `Q#TRIAGE` work queue, where `verify`'s
//! scheduled recovery finds it (see `verify::recover_stranded`).

mod open311;
mod open311_requests;
pub mod pages;

use sigap::runtime::function::{Dependencies, Function, HttpFunction, StartError};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use lambda_http::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::json;
use sigap::adapters::api_keys::ApiKeyStore;
use sigap::adapters::calendar::{CalendarCache, CalendarStore};
use sigap::adapters::catalog::{CatalogCache, CatalogStore};
use sigap::adapters::idempotency::{IdempotencyStore, StoredResponse};
use sigap::adapters::photos::PhotoBucket;
use sigap::adapters::queue::JsonQueue;
use sigap::adapters::rates::RateCounter;
use sigap::adapters::record::RecordStore;
use sigap::adapters::reports::{ReportStore, TIMELINE_PAGE, TimelinePage};
use sigap::domain::calendar::{CalendarError, HolidayData, wib_rfc3339 as local_time};
use sigap::domain::command::Command;
use sigap::domain::contact::SenderKey;
use sigap::domain::deadline::WorkingDays;
use sigap::domain::deadline::{ClockKind, ReportClock};
use sigap::domain::limits::Limit;
use sigap::domain::photo::{PhotoLimits, PhotoPurpose};
use sigap::domain::pii::mask_pii;
use sigap::domain::public::{PublicEvent, PublicReport};
use sigap::domain::report::{Actor, Channel, Report, ReportStatus};
use sigap::domain::signature::{KeyError, constant_time_eq};
use sigap::domain::sla;
use sigap::domain::staff::Role;
use sigap::domain::submission::{ReportSubmission, SubmissionBody};
use sigap::domain::tracking_id::TrackingId;
use sigap::domain::triage::{EMERGENCY_ADVICE, TriageRules, detect_emergency};
use sigap::http::{
    ApiError, Edge, client_address, json_bytes, json_response, parse_json, parse_tracking_id,
    slot_answer, staff_caller, text_response, timeline_cursor,
};
use sigap::runtime::aws::AwsClients;
use sigap::runtime::clock::Clock;
use sigap::runtime::config::{ConfigError, Settings};
use sigap::runtime::ids::{IdGenerator, sha256_hex};
use sigap::service::photos::{OpenedSlot, Photos, ShownPhoto};
use sigap::service::reports::{
    Asking, NewReport, Once, ReportIntake, Reports, ReportsParts, Submitted, SubmitterLimit,
};
use sigap::service::retry_on_conflict;
use tracing::info;

/// Largest accepted request body. A report is text; photos come later by upload URL.
pub const MAX_BODY_BYTES: usize = 32 * 1024;

/// Settings `web-intake` reads from its environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// The single table.
    pub table_name: String,
    /// URL of the `intake` queue.
    pub intake_queue_url: String,
    /// URL of the `notify` queue (citizen actions are announced).
    pub notify_queue_url: String,
    /// The LAPOR! clocks' working-day durations.
    pub working_days: WorkingDays,
    /// Secret key for the keyed hash of senders' phone numbers.
    pub sender_hash_key: SecretString,
    /// Open311 requests one API key may post per hour.
    pub open311_per_key: Limit,
    /// New reports one client address may make per hour (web and app).
    pub reports_per_client: Limit,
    /// Messages (information, replies, ratings, disputes) a reporter may add to one
    /// report per day.
    pub messages_per_report: Limit,
    /// The edge secret, when the API sits behind the CloudFront distribution.
    pub edge: Option<Edge>,
    /// The media bucket (photo slots and links).
    pub media_bucket: String,
    /// Photo sizes and counts.
    pub photo_limits: PhotoLimits,
    /// The pages' map tiles (none: no map, the forms and lists work without).
    pub map: Option<pages::map::MapTiles>,
}

impl Config {
    /// Reads `TABLE_NAME`, `INTAKE_QUEUE_URL`, `NOTIFY_QUEUE_URL`, `SENDER_HASH_KEY`,
    /// the optional working-day settings and the limits
    /// (`OPEN311_REQUESTS_PER_HOUR`, 100; `REPORTS_PER_CLIENT_PER_HOUR`, 120;
    /// `CITIZEN_MESSAGES_PER_REPORT_PER_DAY`, 20), the optional `EDGE_SECRET`,
    /// `MEDIA_BUCKET`, the photo limits and the map's tiles.
    pub fn load(settings: &Settings) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: settings.required("TABLE_NAME")?,
            intake_queue_url: settings.required("INTAKE_QUEUE_URL")?,
            notify_queue_url: settings.required("NOTIFY_QUEUE_URL")?,
            working_days: WorkingDays::load(settings)?,
            sender_hash_key: settings.required("SENDER_HASH_KEY")?.into(),
            open311_per_key: Limit::per_hour(settings.parsed_or("OPEN311_REQUESTS_PER_HOUR", 100)?),
            reports_per_client: Limit::per_hour(
                settings.parsed_or("REPORTS_PER_CLIENT_PER_HOUR", 120)?,
            ),
            messages_per_report: Limit::per_day(
                settings.parsed_or("CITIZEN_MESSAGES_PER_REPORT_PER_DAY", 20)?,
            ),
            edge: Edge::load(settings),
            media_bucket: settings.required("MEDIA_BUCKET")?,
            photo_limits: PhotoLimits::load(settings)?,
            map: pages::map::MapTiles::load(settings)?,
        })
    }
}

/// Everything the handler needs, built once per process.
pub struct WebIntake {
    reports: Reports,
    intake: ReportIntake,
    clock: Arc<dyn Clock>,
    rules: TriageRules,
    sender_key: SenderKey,
    api_keys: ApiKeyStore,
    rates: RateCounter,
    open311_per_key: Limit,
    reports_per_client: Limit,
    messages_per_report: Limit,
    edge: Option<Edge>,
    pub(crate) photos: Photos,
    /// The pages' map tiles.
    pub(crate) map: Option<pages::map::MapTiles>,
    /// The agency record's monthly figures (the accountability page).
    pub(crate) record: RecordStore,
    /// Fresh keys for the pages' forms (one report per form, however often sent).
    pub(crate) ids: Arc<dyn IdGenerator>,
}

impl WebIntake {
    /// Wires the stores to the clients; the calendar is the table's (the bundled
    /// file until one is seeded).
    pub fn new(
        config: &Config,
        clients: &AwsClients,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Result<Self, SetupError> {
        let table = &config.table_name;
        let dynamodb = &clients.dynamodb;
        Ok(Self {
            reports: Reports::new(ReportsParts {
                store: ReportStore::new(dynamodb.clone(), table),
                notify: JsonQueue::new(clients.sqs.clone(), &config.notify_queue_url),
                calendar: CalendarCache::new(
                    CalendarStore::new(dynamodb.clone(), table),
                    HolidayData::bundled()?,
                ),
                catalog: CatalogCache::new(CatalogStore::new(dynamodb.clone(), table)),
                working_days: config.working_days,
                clock: clock.clone(),
            }),
            photos: Photos::new(
                PhotoBucket::from_clients(clients, &config.media_bucket),
                ids.clone(),
                config.photo_limits,
            ),
            intake: ReportIntake::new(
                JsonQueue::new(clients.sqs.clone(), &config.intake_queue_url),
                IdempotencyStore::new(dynamodb.clone(), table),
                ids.clone(),
            ),
            ids,
            map: config.map.clone(),
            record: RecordStore::new(dynamodb.clone(), table),
            clock,
            rules: TriageRules::bundled()?,
            sender_key: SenderKey::new(config.sender_hash_key.expose_secret())?,
            api_keys: ApiKeyStore::new(dynamodb.clone(), table),
            rates: RateCounter::new(dynamodb.clone(), table),
            open311_per_key: config.open311_per_key,
            reports_per_client: config.reports_per_client,
            messages_per_report: config.messages_per_report,
            edge: config.edge.clone(),
        })
    }

    /// The categories (cached); 503 when they cannot be read.
    pub(crate) async fn categories(
        &self,
    ) -> Result<Arc<Vec<sigap::domain::catalog::Category>>, ApiError> {
        self.reports
            .catalog()
            .categories()
            .await
            .map_err(|e| ApiError::unavailable_because("loading categories", e))
    }

    /// Reads what every request needs (calendar, categories) into the caches: called
    /// at init, so the first request is as fast as a warm one.
    pub async fn warm_up(&self) {
        self.reports.warm_up().await;
    }
}

/// Bundled data that failed to load (a build defect, caught at start-up).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The holiday calendar.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// The triage rules.
    #[error("triage rules: {0}")]
    Rules(#[from] serde_json::Error),
    /// A key the MAC refused.
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// The Lambda handler: routes the request and always answers with a response.
pub async fn handle(
    app: &WebIntake,
    request: Request,
) -> Result<Response<Body>, lambda_http::Error> {
    let path = request.raw_http_path().trim_end_matches('/').to_string();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if let Some(page) = pages::route(app, &request, &segments).await {
        return Ok(page);
    }
    let result = match (request.method(), segments.as_slice()) {
        (_, ["open311", "v2", rest @ ..]) => return Ok(open311::route(app, &request, rest).await),
        (&Method::POST, ["reports"]) => {
            let citizen = Intake::Citizen(
                app.sender_key
                    .client(client_address(&request, app.edge.as_ref())),
            );
            submit(app, &request, &citizen).await
        }
        (&Method::POST, ["staff", "calls", "report"]) => match staff_caller(&request) {
            Ok(staff) if staff.roles.contains(&Role::Operator) => {
                let operator = Intake::Operator(staff.actor(&Role::Operator));
                submit(app, &request, &operator).await
            }
            Ok(_) => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Hanya operator 112 yang dapat mencatat laporan dari panggilan.",
            )),
            Err(refused) => Err(refused),
        },
        (&Method::GET, ["reports", id]) => show(app, id, &request).await,
        (&Method::GET, ["categories"]) => list_categories(app).await,
        (&Method::POST, ["reports", id, "photos"]) => photo_slot(app, id, &request).await,
        (&Method::GET, ["reports", id, "photos"]) => reporter_photos(app, id, &request).await,
        (&Method::POST, ["reports", id, action]) => citizen_action(app, id, action, &request).await,
        (_, ["reports"] | ["reports", _] | ["reports", _, _] | ["categories"]) => {
            Err(ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "Metode HTTP ini tidak didukung untuk alamat tersebut.",
            ))
        }
        _ => Err(ApiError::not_found("Alamat tidak ditemukan.")),
    };
    Ok(result.unwrap_or_else(ApiError::into_response))
}

/// The client's `Idempotency-Key`, or one derived from the body so an accidental
/// double submit without a key still makes one report (either is then scoped to the
/// submitter by [`Intake::scoped`]).
fn idempotency_key(request: &Request, body: &[u8]) -> Result<String, ApiError> {
    match request.headers().get("idempotency-key") {
        Some(value) => {
            let key = value.to_str().unwrap_or_default().trim();
            let valid = (1..=128).contains(&key.len()) && key.chars().all(|c| c.is_ascii_graphic());
            if !valid {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_idempotency_key",
                    "Header Idempotency-Key harus 1–128 karakter ASCII tanpa spasi.",
                ));
            }
            Ok(format!("client:{key}"))
        }
        None => Ok(format!("auto:{}", sha256_hex(body))),
    }
}

/// The running LAPOR! clock.
#[derive(Serialize)]
pub(crate) struct DeadlineView {
    pub(crate) kind: ClockKind,
    pub(crate) due_at: String,
    pub(crate) provisional: bool,
}

fn deadline_view(clock: Option<ReportClock>) -> Option<DeadlineView> {
    clock.map(|c| DeadlineView {
        kind: c.kind,
        due_at: local_time(c.due_at),
        provisional: c.provisional,
    })
}

#[derive(Serialize)]
struct Accepted<'a> {
    tracking_id: &'a str,
    status: ReportStatus,
    status_label: &'static str,
    received_at: String,
    deadline: Option<DeadlineView>,
    reporter_token: &'a str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    emergency_advice: Option<&'static str>,
    links: serde_json::Value,
}

/// Who is submitting a report through [`submit`].
pub(crate) enum Intake {
    /// A citizen, through the web form or app, by the keyed hash of their address.
    Citizen(String),
    /// A 112 operator turning a non-emergency call into a LAPOR! report (the
    /// caller's number goes in `contact`, so they hear about it by SMS).
    Operator(Actor),
    /// An Open311 client, by its API key's id.
    Open311(String),
}

impl Intake {
    /// The submission as this submitter hands it to the report service: its channel,
    /// who the audit trail names, and the sender hash of the contact's phone.
    pub(crate) fn new_report<'a>(
        &self,
        submission: &'a ReportSubmission,
        sender_key: &SenderKey,
    ) -> NewReport<'a> {
        let (channel, actor) = match self {
            Intake::Citizen(_) => (Channel::Web, Actor::Citizen),
            Intake::Operator(actor) => (Channel::CallCenter, actor.clone()),
            // The client relays a citizen's report.
            Intake::Open311(_) => (Channel::Open311, Actor::Citizen),
        };
        NewReport {
            submission,
            channel,
            actor,
            sender: submission
                .contact
                .phone
                .as_ref()
                .map(|phone| sender_key.phone(phone)),
        }
    }

    /// This submitter's limit on new reports: a citizen's address and an Open311
    /// key are limited; a 112 operator is not.
    pub(crate) fn limit<'a>(&self, app: &'a WebIntake) -> Option<SubmitterLimit<'a>> {
        let (scope, limit) = match self {
            Intake::Citizen(client) => (format!("reports:{client}"), app.reports_per_client),
            Intake::Open311(key) => (format!("open311:{key}"), app.open311_per_key),
            Intake::Operator(_) => return None,
        };
        Some(SubmitterLimit {
            rates: &app.rates,
            scope,
            limit,
        })
    }

    /// An idempotency key in this submitter's own space: two operators', two
    /// clients' or two addresses' keys never collide, so one caller's answer (and
    /// reporter token) is never replayed to another.
    pub(crate) fn scoped(&self, key: String) -> String {
        match self {
            Intake::Citizen(client) => format!("citizen:{client}:{key}"),
            Intake::Operator(actor) => format!("{}:{key}", actor.to_stored()),
            Intake::Open311(client) => format!("open311:{client}:{key}"),
        }
    }
}

async fn submit(
    app: &WebIntake,
    request: &Request,
    intake: &Intake,
) -> Result<Response<Body>, ApiError> {
    let bytes = json_bytes(request, MAX_BODY_BYTES)?;
    let body: SubmissionBody = parse_json(bytes)?;
    let submission = checked_submission(app, body).await?;
    let key = intake.scoped(idempotency_key(request, bytes)?);
    match file_report(app, intake, &submission, &key, bytes).await? {
        Submitted::Created { report, answer } => {
            info!(report_id = %report.id, category = %report.category, "report accepted");
            Ok(answer.map_or_else(|| ApiError::internal().into_response(), created))
        }
        Submitted::Replay(stored) => Ok(replay(stored)),
        Submitted::InProgress => {
            let mut response = in_progress().into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            Ok(response)
        }
        Submitted::KeyReused => Err(key_reused()),
        Submitted::Limited(refusal) => Err(too_many_reports(refusal)),
    }
}

/// A submission checked against the catalogue: 422 with each field's problem.
pub(crate) async fn checked_submission(
    app: &WebIntake,
    body: SubmissionBody,
) -> Result<ReportSubmission, ApiError> {
    let categories = app.categories().await?;
    ReportSubmission::parse(body, |code| categories.iter().any(|c| c.code == code))
        .map_err(ApiError::validation)
}

/// Files a checked submission once under `key` (scoped to the submitter), with the
/// JSON answer stored for replay: the one path of the API and the pages.
pub(crate) async fn file_report(
    app: &WebIntake,
    intake: &Intake,
    submission: &ReportSubmission,
    key: &str,
    payload: &[u8],
) -> Result<Submitted, ApiError> {
    let answer = |report: &Report, token: &str| accepted(app, report, token);
    app.intake
        .submit(
            &app.reports,
            &intake.new_report(submission, &app.sender_key),
            Once::Key {
                key,
                payload,
                answer: &answer,
                limit: intake.limit(app),
            },
        )
        .await
        .map_err(|e| ApiError::unavailable_because("accepting report", e))
}

/// 409: another attempt with the same key is being stored.
pub(crate) fn in_progress() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "request_in_progress",
        "Permintaan yang sama sedang diproses. Coba lagi dalam beberapa detik.",
    )
}

/// 429: over the submitter's hourly limit on new reports.
pub(crate) fn too_many_reports(refusal: sigap::domain::limits::Refusal) -> ApiError {
    ApiError::too_many(
        "too_many_reports",
        format!(
            "Terlalu banyak laporan baru dari jaringan Anda dalam satu jam. Coba lagi dalam {}.",
            refusal.wait_in_words()
        ),
        refusal,
    )
}

/// 422: the same `Idempotency-Key` came with another body.
pub(crate) fn key_reused() -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
        "Idempotency-Key ini sudah dipakai untuk laporan lain. Gunakan kunci baru.",
    )
}

/// The 201 answer to a new report (stored with it, and replayed for its key).
fn accepted(app: &WebIntake, report: &Report, token: &str) -> StoredResponse {
    let accepted = Accepted {
        tracking_id: report.id.as_str(),
        status: report.status,
        status_label: report.status.label(),
        received_at: local_time(report.received_at),
        deadline: deadline_view(report.clock),
        reporter_token: token,
        message: format!(
            "Laporan diterima dengan nomor {}. Simpan nomor ini dan token pelapor untuk memantau dan membalas laporan.",
            report.id
        ),
        // Triage flags it for the admin later; the citizen needs to hear it now.
        emergency_advice: detect_emergency(
            &format!("{}\n{}", report.title, report.description),
            &app.rules,
        )
        .map(|_| EMERGENCY_ADVICE),
        links: json!({ "self": format!("/reports/{}", report.id) }),
    };
    // Our own types always serialise; an empty body would be answered as a 500.
    StoredResponse {
        status: StatusCode::CREATED.as_u16(),
        body: serde_json::to_string(&accepted).unwrap_or_default(),
    }
}

fn created(stored: StoredResponse) -> Response<Body> {
    let location = serde_json::from_str::<serde_json::Value>(&stored.body)
        .ok()
        .and_then(|v| v["links"]["self"].as_str().map(str::to_string));
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::CREATED);
    let mut response = text_response(status, "application/json; charset=utf-8", stored.body);
    if let Some(value) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn replay(stored: StoredResponse) -> Response<Body> {
    let mut response = created(stored);
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

/// One public line of a report's timeline.
#[derive(Serialize)]
pub(crate) struct TimelineEntry {
    pub(crate) at: String,
    pub(crate) status: ReportStatus,
    pub(crate) status_label: &'static str,
    pub(crate) by: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) note: Option<String>,
}

/// The report's category as the public reads it.
#[derive(Serialize)]
pub(crate) struct CategoryView {
    pub(crate) code: String,
    pub(crate) name: Option<String>,
}

/// A kecamatan by code and name.
#[derive(Serialize)]
pub(crate) struct KecamatanView {
    pub(crate) code: String,
    pub(crate) name: String,
}

// The nested views' fields are in alphabetical order: the answer's bytes stay what
// they were when these were `json!` maps (the README's tour shows them).

/// Where the report is, with any personal data in the address masked.
#[derive(Serialize)]
pub(crate) struct LocationView {
    pub(crate) address: Option<String>,
    pub(crate) kecamatan: Option<KecamatanView>,
    pub(crate) lat: Option<f64>,
    pub(crate) lon: Option<f64>,
}

/// The reporter's rating, its comment masked.
#[derive(Serialize)]
pub(crate) struct RatingView {
    pub(crate) comment: Option<String>,
    pub(crate) score: u8,
}

/// A published follow-up with the agency's name.
#[derive(Serialize)]
pub(crate) struct FollowUpView {
    pub(crate) agency: String,
    pub(crate) agency_name: Option<String>,
    pub(crate) at: String,
    pub(crate) evidence: Vec<String>,
    pub(crate) text: String,
}

/// The public view of one report, for the JSON API and the tracking page alike.
#[derive(Serialize)]
pub(crate) struct PublicReportBody {
    pub(crate) tracking_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) category: Option<CategoryView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) location: Option<LocationView>,
    pub(crate) status: ReportStatus,
    pub(crate) status_label: &'static str,
    pub(crate) open311_status: &'static str,
    pub(crate) channel: Channel,
    pub(crate) anonymous: bool,
    pub(crate) received_at: String,
    pub(crate) updated_at: String,
    pub(crate) deadline: Option<DeadlineView>,
    pub(crate) deadlines: Vec<sla::DeadlineView>,
    pub(crate) rating: Option<RatingView>,
    pub(crate) follow_ups: Vec<FollowUpView>,
    /// The processed photos (links only, no capture data), once published.
    pub(crate) photos: Vec<ShownPhoto>,
    pub(crate) timeline: Vec<TimelineEntry>,
    /// The `before` cursor of the older events, when there are more than a page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) timeline_earlier: Option<String>,
}

/// `GET /reports/{id}`: the public view as JSON.
async fn show(
    app: &WebIntake,
    raw_id: &str,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let id = parse_tracking_id(raw_id)?;
    let view = public_view(app, &id, timeline_cursor(request)?).await?;
    let mut response = json_response(StatusCode::OK, &view);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// The public view of a report. No reporter identity is ever read on this path: the
/// PII item is neither fetched nor queried; phone numbers and NIKs written into the
/// text are masked. Confidential reports are "not found".
pub(crate) async fn public_view(
    app: &WebIntake,
    id: &TrackingId,
    before: Option<&str>,
) -> Result<PublicReportBody, ApiError> {
    let (report, page) = tokio::join!(
        app.reports.store().get(id),
        app.reports.store().timeline_page(id, before, TIMELINE_PAGE)
    );
    let report = report.map_err(|e| ApiError::unavailable_because("reading report", e))?;
    let Some(report) = report else {
        return Err(ApiError::not_found("Laporan tidak ditemukan."));
    };
    let Some(public) = PublicReport::of(&report) else {
        return Err(ApiError::not_found("Laporan tidak ditemukan."));
    };
    let TimelinePage { events, earlier } =
        page.map_err(|e| ApiError::unavailable_because("reading timeline", e))?;
    let calendar = app
        .reports
        .calendar()
        .current()
        .await
        .map_err(|e| ApiError::unavailable_because("loading calendar", e))?;
    let categories = app.categories().await?;
    let category_name = categories
        .iter()
        .find(|c| c.code == report.category)
        .map(|c| c.name.clone());
    let location = &report.location;
    // Until an admin has verified it, the public sees its status and deadline only.
    let published = public.is_published();
    let shown = |text: String| published.then_some(text);
    Ok(PublicReportBody {
        tracking_id: report.id.to_string(),
        // Phone numbers, NIKs and e-mail addresses typed into public text never
        // reach the public.
        title: shown(public.title()),
        description: shown(public.description()),
        category: published.then(|| CategoryView {
            code: report.category.clone(),
            name: category_name,
        }),
        location: published.then(|| LocationView {
            lat: location.coordinates.map(|c| c.lat()),
            lon: location.coordinates.map(|c| c.lon()),
            address: location.address.as_deref().map(mask_pii),
            kecamatan: location.kecamatan.as_ref().map(|k| KecamatanView {
                code: k.code.clone(),
                name: k.name.clone(),
            }),
        }),
        status: report.status,
        status_label: report.status.label(),
        open311_status: report.status.open311(),
        channel: report.channel,
        anonymous: report.anonymous,
        received_at: local_time(report.received_at),
        updated_at: local_time(report.updated_at),
        deadline: deadline_view(report.clock),
        deadlines: sla::deadline_views(&report, app.clock.now(), &calendar),
        rating: report.rating.as_ref().map(|r| RatingView {
            score: r.score,
            comment: public.rating_comment(),
        }),
        follow_ups: public_follow_ups(app, &public).await?,
        photos: if published {
            app.photos
                .shown(&report)
                .await
                .map_err(|e| ApiError::unavailable_because("linking photos", e))?
        } else {
            Vec::new()
        },
        // Reminders are internal nudges; breaches and escalations are public.
        timeline: if published {
            PublicReport::timeline(&events)
                .iter()
                .map(timeline_entry)
                .collect()
        } else {
            Vec::new()
        },
        timeline_earlier: earlier.filter(|_| published),
    })
}

/// Every published follow-up with the agency's name, oldest first.
async fn public_follow_ups(
    app: &WebIntake,
    public: &PublicReport<'_>,
) -> Result<Vec<FollowUpView>, ApiError> {
    let follow_ups = public.follow_ups();
    if follow_ups.is_empty() {
        return Ok(Vec::new());
    }
    let agencies = app
        .reports
        .catalog()
        .agencies()
        .await
        .map_err(|e| ApiError::unavailable_because("reading agencies", e))?;
    Ok(follow_ups
        .into_iter()
        .map(|f| FollowUpView {
            agency_name: agencies
                .iter()
                .find(|a| a.id == f.agency)
                .map(|a| a.name.clone()),
            agency: f.agency,
            at: local_time(f.at),
            text: f.text,
            evidence: f.evidence,
        })
        .collect())
}

fn timeline_entry(event: &PublicEvent) -> TimelineEntry {
    TimelineEntry {
        at: local_time(event.at),
        status: event.status,
        status_label: event.status.label(),
        by: event.by,
        note: event.note.clone(),
    }
}

#[derive(Serialize)]
struct PublicCategory<'a> {
    code: &'a str,
    name: &'a str,
    group: &'a str,
}

async fn list_categories(app: &WebIntake) -> Result<Response<Body>, ApiError> {
    let categories = app.categories().await?;
    let list: Vec<_> = categories
        .iter()
        .map(|c| PublicCategory {
            code: &c.code,
            name: &c.name,
            group: &c.group,
        })
        .collect();
    let mut response = json_response(StatusCode::OK, &json!({ "categories": list }));
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    Ok(response)
}

/// What a reporter may send with their token.
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct CitizenBody {
    pub(crate) text: Option<String>,
    pub(crate) reason: Option<String>,
    pub(crate) score: Option<u8>,
    pub(crate) comment: Option<String>,
}

/// True when `token` is the reporter's (compared in constant time, as hashes).
pub(crate) fn token_matches(report: &Report, token: &str) -> bool {
    constant_time_eq(
        sha256_hex(token.trim()).as_bytes(),
        report.reporter_token_hash.as_bytes(),
    )
}

/// The `X-Reporter-Token` header; 401 without it.
fn reporter_token(request: &Request) -> Result<&str, ApiError> {
    request
        .headers()
        .get("x-reporter-token")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "reporter_token_required",
                "Sertakan token pelapor (header X-Reporter-Token) yang diberikan saat melapor.",
            )
        })
}

/// Report `id` read for its reporter, proven by `token`.
pub(crate) async fn as_reporter(
    app: &WebIntake,
    id: &TrackingId,
    token: &str,
) -> Result<Report, ApiError> {
    let missing = || ApiError::not_found("Laporan tidak ditemukan.");
    let report = app
        .reports
        .store()
        .get(id)
        .await
        .map_err(|e| ApiError::unavailable_because("reading report", e))?
        .ok_or_else(missing)?;
    if !token_matches(&report, token) {
        // A report the public cannot see must not be found by guessing either:
        // a wrong token answers exactly what a missing report answers.
        return Err(if report.is_public() {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "invalid_reporter_token",
                "Token pelapor tidak cocok dengan laporan ini.",
            )
        } else {
            missing()
        });
    }
    Ok(report)
}

/// [`as_reporter`], counting one message against the report's daily limit the first
/// time the token is proven (`counted` says it was): an attempt retried after a lost
/// race is not counted again, and a wrong token is never counted.
async fn as_counted_reporter(
    app: &WebIntake,
    id: &TrackingId,
    token: &str,
    counted: &AtomicBool,
) -> Result<Report, ApiError> {
    let report = as_reporter(app, id, token).await?;
    if !counted.swap(true, Ordering::Relaxed) {
        count_message(app, &report.id).await?;
    }
    Ok(report)
}

/// Counts one more message from the reporter on report `id` today; 429 over the limit.
async fn count_message(app: &WebIntake, id: &TrackingId) -> Result<(), ApiError> {
    let now = app.clock.now();
    let limit = app.messages_per_report;
    let count = app
        .rates
        .count(&format!("messages:{id}"), limit.window, now)
        .await
        .map_err(|e| ApiError::unavailable_because("counting messages", e))?;
    match limit.check(count, now) {
        None => Ok(()),
        Some(refusal) => Err(ApiError::too_many(
            "too_many_messages",
            format!(
                "Laporan ini sudah menerima {} pesan dari Anda hari ini. Coba lagi dalam {}.",
                limit.max,
                refusal.wait_in_words()
            ),
            refusal,
        )),
    }
}

/// The reporter's side of the conversation, proven by the token from submission:
/// `info` (adds information; answers a *tunda* when one is open), `reply` (to a
/// follow-up), `rating` (1–5 with a comment), `accept` (closes), `dispute` (reopens).
async fn citizen_action(
    app: &WebIntake,
    raw_id: &str,
    action: &str,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let id = parse_tracking_id(raw_id)?;
    let token = reporter_token(request)?;
    let body: CitizenBody = match request.body().as_ref() {
        [] => CitizenBody::default(),
        _ => parse_json(json_bytes(request, MAX_BODY_BYTES)?)?,
    };
    let command = citizen_command(action, &body)?;
    let report = act(app, &id, token, &command).await?;
    info!(report_id = %id, action, status = %report.status, "citizen action");
    show(app, raw_id, request).await.or_else(|_| {
        // A confidential report has no public view; confirm the action anyway.
        Ok(json_response(
            StatusCode::OK,
            &json!({ "tracking_id": id, "status": report.status }),
        ))
    })
}

/// The command a reporter's action names, with what they sent; 404 for another name.
pub(crate) fn citizen_command(action: &str, body: &CitizenBody) -> Result<Command, ApiError> {
    let text = |field: &Option<String>| field.clone().unwrap_or_default();
    Ok(match action {
        "info" => Command::Answer {
            text: text(&body.text),
        },
        "reply" => Command::Reply {
            text: text(&body.text),
        },
        "rating" => Command::Rate {
            score: body.score.unwrap_or(0),
            comment: body.comment.clone(),
        },
        "accept" => Command::Accept,
        "dispute" => Command::Dispute {
            reason: text(&body.reason),
        },
        _ => return Err(ApiError::not_found("Tindakan tidak dikenal.")),
    })
}

/// Applies the reporter's `command` to report `id`, proven by `token`, counted as one
/// of the day's messages (accepting never is): the report as it now stands.
pub(crate) async fn act(
    app: &WebIntake,
    id: &TrackingId,
    token: &str,
    command: &Command,
) -> Result<Report, ApiError> {
    // Accepting closes the report: it is never refused for the day's messages.
    let counted = AtomicBool::new(matches!(command, Command::Accept));
    // The citizen acts on the report as it is, not on a version they saw: a lost race
    // (the sweep or an agency wrote first) is read again and decided again.
    let change = retry_on_conflict(|| async {
        let report = as_counted_reporter(app, id, token, &counted).await?;
        Ok::<_, ApiError>(
            app.reports
                .apply(&report, command, &Asking::Citizen, Vec::new())
                .await?,
        )
    })
    .await?;
    Ok(change.report)
}

/// `POST /reports/{id}/photos`: an upload slot for one evidence photo, for the
/// reporter (the token), counted as one of the day's messages on the report. The
/// answer is the presigned POST: send its `fields`, then the photo as `file`.
async fn photo_slot(
    app: &WebIntake,
    raw_id: &str,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let id = parse_tracking_id(raw_id)?;
    let token = reporter_token(request)?;
    let opened = evidence_slot(app, &id, token, None).await?;
    Ok(json_response(
        StatusCode::CREATED,
        &slot_answer(
            &opened,
            app.photos.limits(),
            &format!("/reports/{id}/photos"),
        ),
    ))
}

/// An upload slot for one evidence photo on report `id`, for the holder of
/// `token`, counted as one of the day's messages on the report (the API's and the
/// pages' one way); S3 sends the browser to `redirect_to` after the upload.
pub(crate) async fn evidence_slot(
    app: &WebIntake,
    id: &TrackingId,
    token: &str,
    redirect_to: Option<&str>,
) -> Result<OpenedSlot, ApiError> {
    let counted = AtomicBool::new(false);
    let opened = retry_on_conflict(|| async {
        let report = as_counted_reporter(app, id, token, &counted).await?;
        Ok::<_, ApiError>(
            app.photos
                .open_slot(
                    &app.reports,
                    &report,
                    PhotoPurpose::Evidence,
                    &Actor::Citizen,
                    app.clock.now(),
                    redirect_to,
                )
                .await?,
        )
    })
    .await?;
    info!(report_id = %id, photo_id = %opened.photo_id, "photo slot opened");
    Ok(opened)
}

/// `GET /reports/{id}/photos`: the reporter's view of every photo on their report:
/// pending, ready (with links) or refused with the reason.
async fn reporter_photos(
    app: &WebIntake,
    raw_id: &str,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let id = parse_tracking_id(raw_id)?;
    let report = as_reporter(app, &id, reporter_token(request)?).await?;
    // Capture data and proof-of-fix flags are for staff only.
    let photos = app
        .photos
        .for_uploader(&report)
        .await
        .map_err(|e| ApiError::unavailable_because("linking photos", e))?;
    let mut response = json_response(
        StatusCode::OK,
        &json!({ "tracking_id": id, "photos": photos }),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

impl Function for WebIntake {
    const NAME: &'static str = "web-intake";

    fn build(settings: &Settings, deps: &Dependencies) -> Result<Self, StartError> {
        let config = Config::load(settings)?;
        Self::new(&config, &deps.clients, deps.clock.clone(), deps.ids.clone())
            .map_err(|e| StartError::setup("web-intake", e))
    }

    fn warm_up(&self) -> impl std::future::Future<Output = ()> + Send {
        WebIntake::warm_up(self)
    }
}

impl HttpFunction for WebIntake {
    fn handle(
        &self,
        request: lambda_http::Request,
    ) -> impl std::future::Future<
        Output = Result<lambda_http::Response<lambda_http::Body>, lambda_http::Error>,
    > + Send {
        handle(self, request)
    }
}
