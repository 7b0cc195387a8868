//! `backoffice`: staff endpoints behind the HTTP API's JWT authorizer.
//!
//! Who may do what (architecture §8; claims validated by API Gateway, read here):
//! - `admin`: verification queue; dispatch to agencies, *tunda*, archive, merge,
//!   redact; sees reporter identities (the verifying admin).
//! - `agency:<id>`: its inbox; acknowledge, notes, follow-up, return — only on
//!   reports it holds an open or answered assignment for. Another agency's report
//!   is "not found".
//! - `supervisor`: reads everything, counts by state and overdue; changes nothing.
//! - The holiday calendar (`calendar.rs`): admins and supervisors read it; only
//!   admins change it, a year at a time, with a reason.
//!
//! Reporter identity is shown to the admin always, to others only when the report is
//! neither anonymous nor confidential. Every change is one conditional write: two
//! people acting at once, exactly one wins and the other gets 409 with the current state
//! (a write lost to an unrelated one, such as a photo checked meanwhile, is decided
//! again on the fresh report unless the caller sent `If-Match`).

mod calendar;
mod keys;
mod responders;
mod senders;

pub mod console;

use sigap::runtime::function::{Dependencies, Function, HttpFunction, StartError};
use std::sync::Arc;

use jiff::Timestamp;

use lambda_http::http::{Method, StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};
use sigap::adapters::api_keys::ApiKeyStore;
use sigap::adapters::calendar::{CalendarCache, CalendarStore};
use sigap::adapters::catalog::{CatalogCache, CatalogStore};
use sigap::adapters::devices::DeviceStore;
use sigap::adapters::idempotency::IdempotencyStore;
use sigap::adapters::incidents::IncidentStore;
use sigap::adapters::photos::PhotoBucket;
use sigap::adapters::proof_photos::{FlaggedProof, ProofPhotos};
use sigap::adapters::queue::JsonQueue;
use sigap::adapters::rates::RateCounter;
use sigap::adapters::record::RecordStore;
use sigap::adapters::reports::{
    QUEUE_NEEDS_INFO, QUEUE_VERIFY, ReportFile, ReportStore, TIMELINE_PAGE,
};
use sigap::adapters::roster::RosterStore;
use sigap::adapters::senders::SenderStore;
use sigap::adapters::sms::SmsSender;
use sigap::domain::calendar::{
    CalendarError, HolidayData, WorkingCalendar, wib_rfc3339 as local_time,
};
use sigap::domain::catalog::{Agency, Category};
use sigap::domain::command::Command;
use sigap::domain::contact::SenderKey;
use sigap::domain::deadline::WorkingDays;
use sigap::domain::location::{Coordinates, Kecamatan};
use sigap::domain::photo::{PhotoLimits, PhotoPurpose};
use sigap::domain::report::{
    Assignment, Officer, Report, ReportAction, ReportEvent, ReportLocation, TransitionError,
};
use sigap::domain::signature::KeyError;
use sigap::domain::sla::deadline_views;
use sigap::domain::staff::{Role, Staff, may_read, may_see_identity, triage_for};
use sigap::domain::tracking_id::TrackingId;
use sigap::domain::workflow::{ArchiveReason, WorkflowError};
use sigap::http::{
    ApiError, json_bytes, json_response, parse_json, parse_tracking_id, slot_answer, staff_caller,
    timeline_cursor,
};
use sigap::runtime::aws::AwsClients;
use sigap::runtime::clock::Clock;
use sigap::runtime::config::{ConfigError, Settings};
use sigap::runtime::ids::IdGenerator;
use sigap::service::incidents::IncidentDesk;
use sigap::service::paging::PagingConfig;
use sigap::service::photos::{OpenedSlot, Photos};
use sigap::service::reports::{ApplyError, Asking, ReportIntake, Reports, ReportsParts};
use sigap::service::texting::{SmsLimits, Texting};
use sigap::service::{Conflicting, retry_on_conflict};
use sigap::web::map::MapTiles;
use tracing::info;

/// Largest staff request body.
const MAX_BODY_BYTES: usize = 32 * 1024;
/// Most reports one queue page shows.
const QUEUE_PAGE: i32 = 200;
/// Most evidence links on one follow-up.
const MAX_EVIDENCE: usize = 10;

/// Settings `backoffice` reads from its environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// The single table.
    pub table_name: String,
    /// URL of the `notify` queue.
    pub notify_queue_url: String,
    /// The LAPOR! clocks' working-day durations.
    pub working_days: WorkingDays,
    /// Secret key for the keyed hash of senders' numbers (blocking a number).
    pub sender_hash_key: SecretString,
    /// The media bucket (proof-of-fix slots, photo links).
    pub media_bucket: String,
    /// Photo sizes and counts.
    pub photo_limits: PhotoLimits,
    /// The console's development sign-in key (devstack and the stack tier only).
    pub console_dev_key: Option<SecretString>,
    /// The console's hosted sign-in (a deployed stack with a `ConsoleUrl`).
    pub console_hosted: Option<console::hosted::HostedConfig>,
    /// The tiles the report page's maps draw on (none: the point is typed).
    pub map: Option<MapTiles>,
    /// Where the command centre's board pages (none: the board only reads).
    pub paging: Option<PagingConfig>,
    /// The SMS limits a caller's location link is sent within (as `panic`'s codes).
    pub sms_limits: SmsLimits,
    /// The intake queue, where an operator's non-emergency call becomes a LAPOR!
    /// report (unset: the call form offers only the emergency path).
    pub intake_queue_url: Option<String>,
}

impl Config {
    /// Reads `TABLE_NAME`, `NOTIFY_QUEUE_URL`, `SENDER_HASH_KEY`, `MEDIA_BUCKET`, the
    /// optional working-day settings, the photo limits, and the console's development
    /// sign-in key where one is configured (`CONSOLE_DEV_SIGN_IN_KEY`), and the hosted
    /// sign-in's settings where the stack has a console URL (`CONSOLE_URL` and the
    /// pool's, see [`console::hosted::HostedConfig::load`]), and the map's tiles
    /// (`MAP_TILE_URL`, as the citizen pages'), where the board's actions page
    /// (`PANIC_TOPIC_ARN` and the rest, [`PagingConfig::load`]), and where a
    /// non-emergency call's report goes (`INTAKE_QUEUE_URL`).
    pub fn load(settings: &Settings) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: settings.required("TABLE_NAME")?,
            notify_queue_url: settings.required("NOTIFY_QUEUE_URL")?,
            working_days: WorkingDays::load(settings)?,
            sender_hash_key: settings.required("SENDER_HASH_KEY")?.into(),
            media_bucket: settings.required("MEDIA_BUCKET")?,
            photo_limits: PhotoLimits::load(settings)?,
            console_dev_key: settings
                .optional("CONSOLE_DEV_SIGN_IN_KEY")
                .map(SecretString::from),
            console_hosted: console::hosted::HostedConfig::load(settings)?,
            map: MapTiles::load(settings)?,
            paging: PagingConfig::load(settings)?,
            sms_limits: SmsLimits::load(settings)?,
            intake_queue_url: settings.optional("INTAKE_QUEUE_URL"),
        })
    }
}

/// Everything the handler needs, built once per process.
pub struct Backoffice {
    reports: Reports,
    senders: SenderStore,
    api_keys: ApiKeyStore,
    clock: Arc<dyn Clock>,
    sender_key: SenderKey,
    photos: Photos,
    proofs: ProofPhotos,
    records: RecordStore,
    responders: IncidentStore,
    ids: Arc<dyn IdGenerator>,
    console: console::Console,
    map: Option<MapTiles>,
    roster: RosterStore,
    devices: DeviceStore,
    desk: Option<IncidentDesk>,
    intake: Option<ReportIntake>,
}

impl Backoffice {
    /// Wires the stores; the calendar is the table's (the bundled file until seeded).
    pub fn new(
        config: &Config,
        clients: &AwsClients,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Result<Self, SetupError> {
        let (dynamodb, table) = (&clients.dynamodb, &config.table_name);
        let sender_key = SenderKey::new(config.sender_hash_key.expose_secret())?;
        let intake = config.intake_queue_url.as_ref().map(|url| {
            ReportIntake::new(
                JsonQueue::new(clients.sqs.clone(), url),
                IdempotencyStore::new(dynamodb.clone(), table),
                ids.clone(),
            )
        });
        let desk = config.paging.as_ref().map(|paging| {
            IncidentDesk::over(
                paging,
                clients,
                table,
                JsonQueue::new(clients.sqs.clone(), &config.notify_queue_url),
                clock.clone(),
                ids.clone(),
            )
            .with_texting(Texting::new(
                SmsSender::new(clients.sns.clone()),
                RateCounter::new(dynamodb.clone(), table),
                sender_key.clone(),
                config.sms_limits,
            ))
        });
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
            senders: SenderStore::new(dynamodb.clone(), table),
            api_keys: ApiKeyStore::new(dynamodb.clone(), table),
            clock,
            sender_key,
            photos: Photos::new(
                PhotoBucket::from_clients(clients, &config.media_bucket),
                ids.clone(),
                config.photo_limits,
            ),
            proofs: ProofPhotos::new(dynamodb.clone(), table),
            records: RecordStore::new(dynamodb.clone(), table),
            responders: IncidentStore::new(dynamodb.clone(), table),
            ids,
            console: console::Console::new(
                config.console_dev_key.as_ref(),
                config.console_hosted.clone(),
            )?,
            map: config.map.clone(),
            roster: RosterStore::new(dynamodb.clone(), table),
            devices: DeviceStore::new(dynamodb.clone(), table),
            desk,
            intake,
        })
    }

    /// Reads what requests need (calendar, categories, agencies) into the caches: called
    /// at init, so the first request is as fast as a warm one.
    pub async fn warm_up(&self) {
        // Dispatch checks its agencies against the list: read it now, with the rest.
        let agencies = async {
            if let Err(error) = self.reports.catalog().agencies().await {
                tracing::warn!(%error, "agencies not cached at init");
            }
        };
        tokio::join!(self.reports.warm_up(), agencies);
    }

    /// The agencies (cached).
    async fn agencies(&self) -> Result<Arc<Vec<Agency>>, ApiError> {
        self.reports
            .catalog()
            .agencies()
            .await
            .map_err(|e| ApiError::unavailable_because("reading agencies", e))
    }

    /// The categories (cached).
    async fn categories(&self) -> Result<Arc<Vec<Category>>, ApiError> {
        self.reports
            .catalog()
            .categories()
            .await
            .map_err(|e| ApiError::unavailable_because("reading categories", e))
    }

    /// The calendar in force.
    async fn working_calendar(&self) -> Result<Arc<WorkingCalendar>, ApiError> {
        self.reports
            .calendar()
            .current()
            .await
            .map_err(|e| ApiError::unavailable_because("loading calendar", e))
    }
}

/// Bundled data or a key that failed at start-up (a deployment defect).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The bundled holiday calendar.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// A key the MAC refused.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The console's development sign-in key.
    #[error("console sign-in key: {0}")]
    ConsoleKey(#[from] jsonwebtoken::errors::Error),
}

/// The Lambda handler: authenticates, routes, and always answers with a response.
/// The console's screens (`/konsol/…`) check their session cookie themselves; the
/// JSON API's caller is the one API Gateway's authorizer validated.
pub async fn handle(
    app: &Backoffice,
    request: Request,
) -> Result<Response<Body>, lambda_http::Error> {
    let path = request.raw_http_path().trim_end_matches('/').to_string();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if let ["konsol", rest @ ..] = segments.as_slice() {
        return Ok(console::route(app, &request, rest).await);
    }
    let staff = match staff_caller(&request) {
        Ok(staff) => staff,
        Err(refused) => return Ok(refused.into_response()),
    };
    let result = match (request.method(), segments.as_slice()) {
        (&Method::GET, ["staff", "queue"]) => queue(app, &staff, &request).await,
        (&Method::GET, ["staff", "inbox"]) => inbox(app, &staff).await,
        (&Method::GET, ["staff", "summary"]) => summary(app, &staff).await,
        (&Method::GET, ["staff", "reports", id]) => detail(app, &staff, id, &request).await,
        (&Method::POST, ["staff", "reports", id, "photos"]) => photo_slot(app, &staff, id).await,
        (&Method::POST, ["staff", "reports", id, action]) => {
            act(app, &staff, id, action, &request).await
        }
        (&Method::GET, ["staff", "calendar"]) => calendar::show(app, &staff).await,
        (&Method::GET, ["staff", "blocked-senders"]) => senders::list(app, &staff).await,
        (&Method::POST, ["staff", "blocked-senders"]) => {
            senders::block(app, &staff, &request).await
        }
        (&Method::DELETE, ["staff", "blocked-senders", sender]) => {
            senders::unblock(app, &staff, sender).await
        }
        (&Method::GET, ["staff", "open311", "keys"]) => keys::list(app, &staff).await,
        (&Method::POST, ["staff", "open311", "keys"]) => keys::issue(app, &staff, &request).await,
        (&Method::DELETE, ["staff", "open311", "keys", id]) => keys::revoke(app, &staff, id).await,
        (&Method::PUT, ["staff", "calendar", "years", year]) => {
            calendar::set_year(app, &staff, year, &request).await
        }
        _ => Err(ApiError::not_found("Alamat tidak ditemukan.")),
    };
    Ok(result.unwrap_or_else(ApiError::into_response))
}

fn forbidden() -> ApiError {
    ApiError::forbidden("Peran Anda tidak berwenang untuk tindakan ini.")
}

/// A queue line: what the admin needs to pick the next report, deadlines first.
fn summary_view(report: &Report, now: Timestamp, calendar: &WorkingCalendar) -> Value {
    let triage = report.triage.as_ref();
    let deadlines = deadline_views(report, now, calendar);
    json!({
        "tracking_id": report.id,
        "title": report.title,
        "category": report.category,
        "kecamatan": report.location.kecamatan.as_ref().map(|k| &k.name),
        "status": report.status,
        "version": report.version,
        "channel": report.channel,
        "needs_location": report.needs_location(),
        "received_at": local_time(report.received_at),
        "due_at": report.clock.map(|c| local_time(c.due_at)),
        "provisional": report.clock.is_some_and(|c| c.provisional),
        "breached": deadlines.iter().any(|d| d.breached),
        "deadlines": deadlines,
        "emergency": triage.and_then(|t| t.emergency.as_ref()),
        "suggestion": triage.and_then(|t| t.suggestion.as_ref()),
    })
}

/// One agency's part, its instants in WIB like every other (the deadlines view carries
/// its reminder and breach).
fn assignment_view(assignment: &Assignment) -> Value {
    json!({
        "agency": assignment.agency,
        "status": assignment.status,
        "dispatched_at": local_time(assignment.dispatched_at),
        "due_at": local_time(assignment.due_at),
        "provisional": assignment.provisional,
        "follow_ups": assignment.follow_ups.iter().map(|f| json!({
            "at": local_time(f.at), "text": f.text, "evidence": f.evidence,
        })).collect::<Vec<_>>(),
        "return_reason": assignment.return_reason,
        "officer": assignment.officer,
    })
}

/// One audit event; `sees_merge_target` false hides which report a merge went into
/// (see `duplicate_of` in [`report_view`]).
fn event_view(event: &ReportEvent, sees_merge_target: bool) -> Value {
    let note = match event.action {
        Some(ReportAction::MarkDuplicate) if !sees_merge_target => {
            Some("digabung dengan laporan lain".to_string())
        }
        _ => event.reason.clone(),
    };
    json!({
        "at": local_time(event.at),
        "version": event.version,
        "by": event.actor,
        "action": event.action,
        "from": event.from,
        "to": event.to,
        "note": note,
        "agency": event.agency,
    })
}

/// The full staff view of a report, with identity only where the rules allow.
async fn report_view(
    app: &Backoffice,
    staff: &Staff,
    file: &ReportFile,
) -> Result<Value, ApiError> {
    let report = &file.report;
    let calendar = app.working_calendar().await?;
    let reporter = if let Some(contact) = &file.contact {
        info!(report_id = %report.id, staff = %staff.subject, "reporter identity shown to staff");
        json!({
            "name": contact.name,
            "phone": contact.phone.as_ref().map(|p| p.to_string()),
            "email": contact.email.as_ref().map(|e| e.as_str().to_string()),
        })
    } else {
        json!({ "hidden": true })
    };
    let location = &report.location;
    let sees_merge_target = may_see_identity(staff, report);
    let photos = app
        .photos
        .for_staff(report)
        .await
        .map_err(|e| ApiError::unavailable_because("linking photos", e))?;
    Ok(json!({
        "tracking_id": report.id,
        "version": report.version,
        "status": report.status,
        "status_label": report.status.label(),
        "title": report.title,
        "description": report.description,
        "category": report.category,
        "location": {
            "lat": location.coordinates.map(|c| c.lat()),
            "lon": location.coordinates.map(|c| c.lon()),
            "address": location.address,
            "kecamatan": location.kecamatan.as_ref().map(|k| json!({"code": k.code, "name": k.name})),
        },
        "channel": report.channel,
        "needs_location": report.needs_location(),
        "anonymous": report.anonymous,
        "confidential": report.confidential,
        "received_at": local_time(report.received_at),
        "deadline": report.clock.map(|c| json!({"kind": c.kind, "due_at": local_time(c.due_at), "provisional": c.provisional})),
        "deadlines": deadline_views(report, app.clock.now(), &calendar),
        "paused_working_days": report.paused_working_days,
        // Where an anonymous or confidential report was merged could be the same
        // person's named report: the link is for those who may see who reported.
        "duplicate_of": report.duplicate_of.as_ref().filter(|_| sees_merge_target),
        "triage": report.triage.as_ref().and_then(|t| triage_for(staff, t)),
        "assignments": report.assignments.iter().map(assignment_view).collect::<Vec<_>>(),
        "reporter": reporter,
        // An SMS or 112 report usually has none: the screen says so rather than
        // leaving an empty space that reads as a failed load.
        "photos": photos,
        "photo_note": photos.is_empty().then_some("Tidak ada foto"),
        "timeline": file.timeline.iter().map(|e| event_view(e, sees_merge_target)).collect::<Vec<_>>(),
        "timeline_earlier": file.earlier,
    }))
}

/// Loads a report this caller may read; anything else is "not found".
/// The report's file as `staff` may read it (one `Query`); another agency's report,
/// like a missing one, is not found.
async fn load(app: &Backoffice, staff: &Staff, raw_id: &str) -> Result<ReportFile, ApiError> {
    read_file(app, staff, &parse_tracking_id(raw_id)?)
        .await?
        .ok_or_else(|| ApiError::not_found("Laporan tidak ditemukan."))
}

/// The report's file if `staff` may read it, with the contact only where they may
/// see who reported.
async fn read_file(
    app: &Backoffice,
    staff: &Staff,
    id: &TrackingId,
) -> Result<Option<ReportFile>, ApiError> {
    let file = app
        .reports
        .store()
        .file(id, |r| may_see_identity(staff, r))
        .await
        .map_err(|e| ApiError::unavailable_because("reading report", e))?;
    Ok(file.filter(|f| may_read(staff, &f.report)))
}

async fn queue(
    app: &Backoffice,
    staff: &Staff,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    if !(staff.is_admin() || staff.is_supervisor()) {
        return Err(forbidden());
    }
    let params = request
        .query_string_parameters_ref()
        .cloned()
        .unwrap_or_default();
    let queue = match params.first("status") {
        None | Some("pending_verification") => QUEUE_VERIFY,
        Some("needs_info") => QUEUE_NEEDS_INFO,
        Some(_) => {
            return Err(ApiError::invalid(
                "status harus pending_verification atau needs_info.",
            ));
        }
    };
    let reports = app
        .reports
        .store()
        .queue(queue, QUEUE_PAGE)
        .await
        .map_err(|e| ApiError::unavailable_because("reading queue", e))?;
    let category = params.first("category");
    let kecamatan = params.first("kecamatan");
    let emergency_only = params.first("emergency") == Some("true");
    let (now, calendar) = (app.clock.now(), app.working_calendar().await?);
    let list: Vec<Value> = reports
        .iter()
        .filter(|r| category.is_none_or(|c| r.category == c))
        .filter(|r| {
            kecamatan.is_none_or(|k| r.location.kecamatan.as_ref().is_some_and(|x| x.code == k))
        })
        .filter(|r| !emergency_only || r.triage.as_ref().is_some_and(|t| t.emergency.is_some()))
        .map(|r| summary_view(r, now, &calendar))
        .collect();
    Ok(json_response(StatusCode::OK, &json!({ "reports": list })))
}

async fn inbox(app: &Backoffice, staff: &Staff) -> Result<Response<Body>, ApiError> {
    let Some(agency) = staff.agency() else {
        return Err(forbidden());
    };
    let entries = app
        .reports
        .store()
        .inbox(agency, QUEUE_PAGE)
        .await
        .map_err(|e| ApiError::unavailable_because("reading inbox", e))?;
    let (now, calendar) = (app.clock.now(), app.working_calendar().await?);
    let list: Vec<Value> = entries
        .iter()
        .map(|e| {
            let due = e.assignment.due_at;
            json!({
                "tracking_id": e.report_id,
                "title": e.title,
                "category": e.category,
                "kecamatan": e.kecamatan,
                "report_status": e.report_status,
                "assignment_status": e.assignment.status,
                "due_at": local_time(due),
                "working_days_left": calendar.working_days_left(now, due),
                "breached": e.assignment.sla.breached_at.is_some() || due < now,
                "provisional": e.assignment.provisional,
                "officer": e.assignment.officer,
            })
        })
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({ "agency": agency, "reports": list }),
    ))
}

async fn summary(app: &Backoffice, staff: &Staff) -> Result<Response<Body>, ApiError> {
    if !(staff.is_admin() || staff.is_supervisor()) {
        return Err(forbidden());
    }
    let counts = app
        .reports
        .store()
        .counts_by_status()
        .await
        .map_err(|e| ApiError::unavailable_because("counting", e))?;
    let overdue = app
        .reports
        .store()
        .overdue()
        .await
        .map_err(|e| ApiError::unavailable_because("counting overdue", e))?;
    let flagged = app
        .proofs
        .flagged()
        .await
        .map_err(|e| ApiError::unavailable_because("reading flagged photos", e))?;
    let by_status: serde_json::Map<String, Value> = counts
        .into_iter()
        .map(|(status, n)| (status.as_str().to_string(), json!(n)))
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "by_status": by_status,
            "overdue": overdue,
            "flagged_proof_photos": flagged_by_agency(&flagged),
            "calendar": calendar::status(&*app.working_calendar().await?, app.clock.now()),
        }),
    ))
}

/// Proof-of-fix photos flagged for a look, per agency: how many, and the latest ten
/// with their reports and reasons.
fn flagged_by_agency(flagged: &[FlaggedProof]) -> Value {
    let mut agencies: Vec<&str> = flagged.iter().map(|f| f.agency.as_str()).collect();
    agencies.sort_unstable();
    agencies.dedup();
    agencies
        .into_iter()
        .map(|agency| {
            let mut theirs: Vec<&FlaggedProof> =
                flagged.iter().filter(|f| f.agency == agency).collect();
            theirs.sort_by_key(|f| std::cmp::Reverse(f.at));
            json!({
                "agency": agency,
                "photos": theirs.len(),
                "latest": theirs.iter().take(10).map(|f| json!({
                    "tracking_id": f.report_id,
                    "photo_id": f.photo_id,
                    "at": local_time(f.at),
                    "flags": f.labels,
                })).collect::<Vec<_>>(),
            })
        })
        .collect()
}

/// `POST /staff/reports/{id}/photos`: an upload slot for a photo on a report the
/// caller may read: an agency officer's proof of the fix (for its next follow-up), or
/// an admin's evidence on the reporter's behalf (a photo that came another way).
async fn photo_slot(
    app: &Backoffice,
    staff: &Staff,
    raw_id: &str,
) -> Result<Response<Body>, ApiError> {
    let opened = open_photo_slot(app, staff, raw_id, None).await?;
    Ok(json_response(
        StatusCode::CREATED,
        &slot_answer(
            &opened,
            app.photos.limits(),
            &format!("/staff/reports/{raw_id}"),
        ),
    ))
}

/// Opens a photo slot on a report `staff` may read (the API's and the console's one
/// sequence): an agency's proof of the fix, or an admin's evidence. S3 sends the
/// browser to `redirect_to` after the upload, when given.
async fn open_photo_slot(
    app: &Backoffice,
    staff: &Staff,
    raw_id: &str,
    redirect_to: Option<&str>,
) -> Result<OpenedSlot, ApiError> {
    let (purpose, actor) = if let Some(agency) = staff.agency() {
        let role = Role::Agency(agency.to_string());
        (
            PhotoPurpose::FollowUp {
                agency: agency.to_string(),
            },
            staff.actor(&role),
        )
    } else {
        let role = require_admin(staff)?;
        (PhotoPurpose::Evidence, staff.actor(&role))
    };
    let opened = retry_on_conflict(|| async {
        let file = load(app, staff, raw_id).await?;
        Ok::<_, ApiError>(
            app.photos
                .open_slot(
                    &app.reports,
                    &file.report,
                    purpose.clone(),
                    &actor,
                    app.clock.now(),
                    redirect_to,
                )
                .await?,
        )
    })
    .await?;
    info!(report_id = raw_id, photo_id = %opened.photo_id, staff = %staff.subject, "photo slot opened");
    Ok(opened)
}

/// `GET /staff/reports/{id}[?before=<cursor>]`: the report with its newest events,
/// or with the page of events before `cursor` (`timeline_earlier` of the page after).
async fn detail(
    app: &Backoffice,
    staff: &Staff,
    raw_id: &str,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let before = timeline_cursor(request)?;
    let mut file = load(app, staff, raw_id).await?;
    if before.is_some() {
        let page = app
            .reports
            .store()
            .timeline_page(&file.report.id, before, TIMELINE_PAGE)
            .await
            .map_err(|e| ApiError::unavailable_because("reading timeline", e))?;
        file.timeline = page.events;
        file.earlier = page.earlier;
    }
    Ok(json_response(
        StatusCode::OK,
        &report_view(app, staff, &file).await?,
    ))
}

/// 409 with the report as it is now, so the loser of a race sees what won.
async fn conflict(
    app: &Backoffice,
    staff: &Staff,
    id: &TrackingId,
    code: &str,
    message: &str,
) -> Result<Response<Body>, ApiError> {
    let view = match read_file(app, staff, id).await? {
        Some(file) => report_view(app, staff, &file).await?,
        None => Value::Null,
    };
    Ok(json_response(
        StatusCode::CONFLICT,
        &json!({ "error": { "code": code, "message": message }, "current": view }),
    ))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ActionBody {
    agencies: Option<Vec<String>>,
    note: Option<String>,
    question: Option<String>,
    reason: Option<String>,
    text: Option<String>,
    into: Option<String>,
    title: Option<String>,
    description: Option<String>,
    #[serde(default)]
    evidence: Vec<String>,
    lat: Option<f64>,
    lon: Option<f64>,
    address: Option<String>,
    kecamatan: Option<String>,
    /// `assign`: the officer who takes it; absent or null releases it.
    officer: Option<Officer>,
}

/// The location an admin sets: a point inside Bandung and/or an address, and
/// optionally the kecamatan (code or name).
fn location_of(body: &ActionBody) -> Result<ReportLocation, ApiError> {
    let coordinates = match (body.lat, body.lon) {
        (Some(lat), Some(lon)) => Some(
            Coordinates::parse(lat, lon)
                .map_err(|_| ApiError::invalid("Titik harus berada di dalam Kota Bandung."))?,
        ),
        (None, None) => None,
        _ => return Err(ApiError::invalid("Isi lat dan lon bersama-sama.")),
    };
    let address = body
        .address
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_string);
    if address.as_ref().is_some_and(|a| a.chars().count() > 300) {
        return Err(ApiError::invalid("Alamat maksimal 300 karakter."));
    }
    let kecamatan = match body.kecamatan.as_deref() {
        None => None,
        Some(k) => {
            Some(Kecamatan::find(k).ok_or_else(|| ApiError::invalid("Kecamatan tidak dikenal."))?)
        }
    };
    Ok(ReportLocation {
        coordinates,
        address,
        kecamatan,
    })
}

fn require_admin(staff: &Staff) -> Result<Role, ApiError> {
    if staff.is_admin() {
        Ok(Role::Admin)
    } else {
        Err(forbidden())
    }
}

fn valid_evidence(links: &[String]) -> Result<(), ApiError> {
    if links.len() > MAX_EVIDENCE {
        return Err(ApiError::invalid(format!(
            "Maksimal {MAX_EVIDENCE} tautan bukti."
        )));
    }
    for link in links {
        let ok = (link.starts_with("https://") || link.starts_with("http://"))
            && link.len() <= 500
            && !link.chars().any(char::is_whitespace);
        if !ok {
            return Err(ApiError::invalid(format!(
                "Tautan bukti tidak valid: {link:.60}"
            )));
        }
    }
    Ok(())
}

/// `POST /staff/reports/{id}/{action}`: the action with a JSON body, answered with
/// the report as it is after it (or 409 with the report as it is now).
async fn act(
    app: &Backoffice,
    staff: &Staff,
    raw_id: &str,
    action: &str,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let body: ActionBody = match request.body().as_ref() {
        [] => ActionBody::default(),
        _ => parse_json(json_bytes(request, MAX_BODY_BYTES)?)?,
    };
    let expected = request
        .headers()
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim_matches('"').to_string());
    match perform(app, staff, raw_id, action, &body, expected.as_deref()).await? {
        Acted::Done(file) => Ok(json_response(
            StatusCode::OK,
            &report_view(app, staff, &file).await?,
        )),
        Acted::Lost { id, code, message } => conflict(app, staff, &id, code, &message).await,
    }
}

/// What a staff action came to.
enum Acted {
    /// Committed: the report's file with the change added.
    Done(Box<ReportFile>),
    /// Someone acted first, or the status moved on: nothing was written.
    Lost {
        /// The report.
        id: TrackingId,
        /// The error code (`conflict` or the refused transition's).
        code: &'static str,
        /// Why, in Indonesian.
        message: String,
    },
}

/// Every state-changing action, for the JSON API and the console alike. Without a
/// version (`expected`), a write lost to an unrelated one (a photo checked, a
/// reminder) is decided again on the fresh report ([`retry_on_conflict`]): the caller
/// asked for no particular state, and the workflow still refuses what no longer fits
/// (of two admins dispatching at once, one gets the 409).
async fn perform(
    app: &Backoffice,
    staff: &Staff,
    raw_id: &str,
    action: &str,
    body: &ActionBody,
    expected: Option<&str>,
) -> Result<Acted, ApiError> {
    let once = || perform_once(app, staff, raw_id, action, body, expected);
    let outcome = match expected {
        Some(_) => once().await,
        None => retry_on_conflict(once).await,
    };
    match outcome {
        Err(lost) if lost.is_conflict() => Ok(Acted::Lost {
            id: parse_tracking_id(raw_id)?,
            code: lost.code,
            message: lost.message,
        }),
        outcome => outcome,
    }
}

/// One attempt: load what the caller may read, check the version they saw, authorize
/// and compute (pure), commit (one conditional write). A lost race is the `conflict`
/// error; a refused transition is [`Acted::Lost`].
async fn perform_once(
    app: &Backoffice,
    staff: &Staff,
    raw_id: &str,
    action: &str,
    body: &ActionBody,
    expected: Option<&str>,
) -> Result<Acted, ApiError> {
    let file = load(app, staff, raw_id).await?;
    let report = &file.report;
    if expected.is_some_and(|v| v != report.version.to_string()) {
        return Err(ApiError::conflict(
            "Laporan sudah diubah orang lain. Muat ulang.",
        ));
    }
    let (asking, command) = command(app, staff, action, body).await?;
    let change = match app
        .reports
        .apply(report, &command, &asking, Vec::new())
        .await
    {
        Ok(change) => change,
        // The status moved on, or someone acted first: the one who lost is shown
        // the report as it is now.
        Err(ApplyError::Refused(
            refused @ WorkflowError::Transition(TransitionError::NotAllowed { .. }),
        )) => {
            let refused = ApiError::from(refused);
            return Ok(Acted::Lost {
                id: report.id.clone(),
                code: refused.code,
                message: refused.message,
            });
        }
        Err(ApplyError::Conflict) => {
            return Err(ApiError::conflict("Laporan baru saja diubah orang lain."));
        }
        Err(refused) => return Err(refused.into()),
    };
    info!(report_id = %report.id, action, status = %change.report.status, "staff action");
    // The file read before the change, with the change added: nothing read again.
    Ok(Acted::Done(Box::new(file.after(
        change.report,
        change.event,
        |r| may_see_identity(staff, r),
    ))))
}

/// The staff action `action` with `body`, as a command and who asks for it: the
/// caller's role is checked first (403), then the body (422).
async fn command<'a>(
    app: &Backoffice,
    staff: &'a Staff,
    action: &str,
    body: &ActionBody,
) -> Result<(Asking<'a>, Command), ApiError> {
    let text = |field: &Option<String>| field.clone().unwrap_or_default();
    let admin = || require_admin(staff).map(|role| Asking::Admin(staff.actor(&role)));
    let agency = || {
        let agency = staff.agency().ok_or_else(forbidden)?;
        let role = Role::Agency(agency.to_string());
        Ok::<_, ApiError>(Asking::Agency {
            actor: staff.actor(&role),
            agency,
        })
    };
    Ok(match action {
        "dispatch" => {
            let asking = admin()?;
            let agencies = body.agencies.clone().unwrap_or_default();
            let known = app.agencies().await?;
            if let Some(unknown) = agencies.iter().find(|a| !known.iter().any(|k| &k.id == *a)) {
                return Err(ApiError::invalid(format!(
                    "Instansi tidak dikenal: {unknown}"
                )));
            }
            let note = body.note.clone();
            (asking, Command::Dispatch { agencies, note })
        }
        "request-info" => (
            admin()?,
            Command::RequestInfo {
                question: text(&body.question),
            },
        ),
        "archive" => {
            let asking = admin()?;
            let reason: ArchiveReason =
                serde_json::from_value(json!(text(&body.reason))).map_err(|_| {
                    ApiError::invalid("Alasan arsip harus salah satu dari daftar baku.")
                })?;
            let text = text(&body.text);
            (asking, Command::Archive { reason, text })
        }
        "merge" => {
            let asking = admin()?;
            let into = parse_tracking_id(&text(&body.into))?;
            let target = app
                .reports
                .store()
                .get(&into)
                .await
                .map_err(|e| ApiError::unavailable_because("reading target", e))?;
            if target.is_none() {
                return Err(ApiError::invalid(
                    "Laporan tujuan penggabungan tidak ditemukan.",
                ));
            }
            (asking, Command::Merge { into })
        }
        "location" => (admin()?, Command::SetLocation(location_of(body)?)),
        "redact" => (
            admin()?,
            Command::Redact {
                title: body.title.clone(),
                description: body.description.clone(),
            },
        ),
        "acknowledge" => (agency()?, Command::Acknowledge),
        "notes" => (
            agency()?,
            Command::AddNote {
                text: text(&body.text),
            },
        ),
        "internal-notes" => (
            agency()?,
            Command::AddInternalNote {
                text: text(&body.text),
            },
        ),
        "assign" => {
            let asking = agency()?;
            let officer = match &body.officer {
                // A colleague: only one on the agency's list, named as the list has them.
                Some(other) if other.subject != staff.subject => {
                    let agency = staff.agency().ok_or_else(forbidden)?;
                    let listed = app
                        .roster
                        .officer(agency, &other.subject, app.clock.now())
                        .await
                        .map_err(|e| ApiError::unavailable_because("reading the officers", e))?;
                    Some(listed.ok_or_else(|| {
                        ApiError::invalid(
                            "Petugas itu tidak ada di daftar petugas instansi ini: petugas terdaftar saat masuk ke konsol.",
                        )
                    })?)
                }
                officer => officer.clone(),
            };
            (asking, Command::Assign { officer })
        }
        "follow-up" => {
            let asking = agency()?;
            valid_evidence(&body.evidence)?;
            let command = Command::PublishFollowUp {
                text: text(&body.text),
                evidence: body.evidence.clone(),
            };
            (asking, command)
        }
        "return" => (
            agency()?,
            Command::Return {
                reason: text(&body.reason),
            },
        ),
        _ => return Err(ApiError::not_found("Tindakan tidak dikenal.")),
    })
}

impl Function for Backoffice {
    const NAME: &'static str = "backoffice";

    fn build(settings: &Settings, deps: &Dependencies) -> Result<Self, StartError> {
        let config = Config::load(settings)?;
        Self::new(&config, &deps.clients, deps.clock.clone(), deps.ids.clone())
            .map_err(|e| StartError::setup("backoffice", e))
    }

    fn warm_up(&self) -> impl std::future::Future<Output = ()> + Send {
        Backoffice::warm_up(self)
    }
}

impl HttpFunction for Backoffice {
    fn handle(
        &self,
        request: lambda_http::Request,
    ) -> impl std::future::Future<
        Output = Result<lambda_http::Response<lambda_http::Body>, lambda_http::Error>,
    > + Send {
        handle(self, request)
    }
}
