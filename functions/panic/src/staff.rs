//! Staff routes (behind the JWT authorizer):
//!
//! - `GET /staff/incidents[?queue=follow-up]`: open incidents (or cancelled ones
//!   awaiting a call-back), oldest first. Operators, responders, supervisors, admins.
//! - `POST /staff/incidents`: an operator records a 112 call (an `Idempotency-Key`
//!   header makes a retried submit return the same incident).
//! - `GET /staff/incidents/{id}`: the incident and its timeline (the caller's
//!   number for operators and admins only).
//! - `POST /staff/incidents/{id}/{action}`: `ack` (responder), `resolve`
//!   (responder or operator, with an outcome), `update` and `follow-up` (operator),
//!   `note` (operator or responder).
//! - `POST /staff/devices/{id}/block` and `/unblock`: admins, with reason and expiry.

use jiff::{SignedDuration, Timestamp};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sigap::adapters::incidents::{FOLLOW_UPS, OPEN_INCIDENTS};
use sigap::adapters::table::StoreError;
use sigap::domain::calendar::wib_rfc3339;
use sigap::domain::contact::PhoneNumber;
use sigap::domain::device::counts_against;
use sigap::domain::incident::{
    self, Fix, Happened, Incident, IncidentAction, IncidentError, IncidentKind, Opening,
    OperatorUpdate, Outcome, Source, TimelineEntry, incident_code, parse_incident_code, sector_for,
};
use sigap::domain::location::Coordinates;
use sigap::domain::staff::{Role, Staff, may_close_incident, may_read_incidents, sees_caller};
use sigap::http::{ApiError, json_bytes, json_response, parse_json, staff_caller};
use sigap::runtime::ids::sha256_hex;
use sigap::service::retry_on_conflict;
use tracing::info;

use crate::{Panic, bad_request, conflict, forbidden, new_token};

const MAX_BODY_BYTES: usize = 16 * 1024;
/// Longest note or location description kept.
const MAX_TEXT: usize = 1000;

fn not_allowed() -> ApiError {
    forbidden(
        "forbidden",
        "Peran Anda tidak berwenang untuk tindakan ini.",
    )
}

/// Routes a staff request.
pub async fn route(
    app: &Panic,
    request: &Request,
    segments: &[&str],
) -> Result<Response<Body>, ApiError> {
    let staff = staff_caller(request)?;
    match (request.method(), segments) {
        (&Method::GET, ["staff", "incidents"]) => list(app, &staff, request).await,
        (&Method::POST, ["staff", "incidents"]) => create(app, &staff, request).await,
        (&Method::GET, ["staff", "incidents", id]) => show(app, &staff, id).await,
        (&Method::POST, ["staff", "incidents", id, action]) => {
            act(app, &staff, id, action, request).await
        }
        (&Method::POST, ["staff", "devices", id, "block"]) => block(app, &staff, id, request).await,
        (&Method::POST, ["staff", "devices", id, "unblock"]) => {
            if !staff.is_admin() {
                return Err(not_allowed());
            }
            app.devices.unblock(id).await.map_err(|e| match e {
                StoreError::Conflict => ApiError::not_found("Perangkat tidak ditemukan."),
                other => ApiError::unavailable_because("unblocking device", other),
            })?;
            info!(device = %id, by = %staff.subject, "device unblocked");
            Ok(json_response(
                StatusCode::OK,
                &json!({ "device_id": id, "blocked": false }),
            ))
        }
        _ => Err(ApiError::not_found("Alamat tidak ditemukan.")),
    }
}

/// The staff view of an incident.
pub fn view(incident: &Incident) -> Value {
    let source = match &incident.source {
        Source::PanicButton { device } => json!({ "type": "panic_button", "device": device }),
        Source::Call112 { operator } => json!({ "type": "call_112", "operator": operator }),
    };
    let fix = incident.fix.map(|f| {
        json!({
            "lat": f.coordinates.lat(), "lon": f.coordinates.lon(),
            "accuracy_m": f.accuracy_m, "fix_age_s": f.fix_age_s, "stale": f.is_stale(),
        })
    });
    let esc = &incident.escalation;
    json!({
        "id": incident.id,
        "kind": incident.kind.as_str(),
        "state": incident.state,
        "outcome": incident.outcome,
        "source": source,
        "sector": incident.sector,
        "location": fix,
        "location_text": incident.location_text,
        "opened_at": wib_rfc3339(incident.opened_at),
        "presses": incident.presses,
        "owner": incident.owner,
        "acknowledged_at": incident.acknowledged_at.map(wib_rfc3339),
        "closed_at": incident.closed_at.map(wib_rfc3339),
        "duress": incident.duress,
        "low_trust": incident.low_trust,
        "follow_up": incident.follow_up,
        "escalation": {
            "tier": esc.tier,
            "round": esc.round,
            "paged_tiers": esc.paged_tiers,
            "next_tick_at": esc.next_tick_at.map(wib_rfc3339),
            "exhausted": esc.exhausted,
            "unsettled": esc.is_unsettled(),
        },
        "version": incident.version,
    })
}

async fn list(app: &Panic, staff: &Staff, request: &Request) -> Result<Response<Body>, ApiError> {
    if !may_read_incidents(staff) {
        return Err(not_allowed());
    }
    let queue = match request
        .query_string_parameters_ref()
        .and_then(|q| q.first("queue"))
    {
        None | Some("open") => OPEN_INCIDENTS,
        Some("follow-up") => FOLLOW_UPS,
        Some(_) => {
            return Err(bad_request(
                "invalid_queue",
                "Antrean tidak dikenal: open atau follow-up.",
            ));
        }
    };
    let incidents = app
        .incidents
        .queue(queue, 100)
        .await
        .map_err(|e| ApiError::unavailable_because("listing incidents", e))?;
    let items: Vec<Value> = incidents.iter().map(view).collect();
    Ok(json_response(
        StatusCode::OK,
        &json!({ "incidents": items }),
    ))
}

async fn load(app: &Panic, id: &str) -> Result<Incident, ApiError> {
    let id =
        parse_incident_code(id).ok_or_else(|| ApiError::not_found("Kejadian tidak ditemukan."))?;
    app.incidents
        .get(&id)
        .await
        .map_err(|e| ApiError::unavailable_because("reading incident", e))?
        .ok_or_else(|| ApiError::not_found("Kejadian tidak ditemukan."))
}

async fn show(app: &Panic, staff: &Staff, id: &str) -> Result<Response<Body>, ApiError> {
    if !may_read_incidents(staff) {
        return Err(not_allowed());
    }
    let incident = load(app, id).await?;
    let timeline = app
        .incidents
        .timeline(&incident.id)
        .await
        .map_err(|e| ApiError::unavailable_because("reading timeline", e))?;
    let mut body = view(&incident);
    body["timeline"] = json!(timeline
        .iter()
        .map(|e| json!({ "at": wib_rfc3339(e.at), "what": e.what, "actor": e.actor, "detail": e.detail }))
        .collect::<Vec<_>>());
    if sees_caller(staff) {
        let caller = app
            .incidents
            .caller(&incident.id)
            .await
            .map_err(|e| ApiError::unavailable_because("reading caller", e))?;
        body["caller"] = json!(caller.map(|c| c.as_e164().to_string()));
    }
    Ok(json_response(StatusCode::OK, &body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallBody {
    kind: String,
    caller: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
    location_text: Option<String>,
    sector: Option<String>,
    notes: Option<String>,
}

fn text_field(value: Option<&str>, field: &str) -> Result<Option<String>, ApiError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) if v.chars().count() > MAX_TEXT => Err(bad_request(
            "text_too_long",
            &format!("{field} terlalu panjang (maksimal {MAX_TEXT} karakter)."),
        )),
        Some(v) => Ok(Some(v.to_string())),
    }
}

fn fix_from(lat: Option<f64>, lon: Option<f64>) -> Result<Option<Fix>, ApiError> {
    match (lat, lon) {
        (None, None) => Ok(None),
        (Some(lat), Some(lon)) => Coordinates::parse(lat, lon)
            .map(|coordinates| {
                Some(Fix {
                    coordinates,
                    accuracy_m: None,
                    fix_age_s: None,
                })
            })
            .map_err(|e| bad_request("invalid_location", &format!("Koordinat tidak valid: {e}."))),
        _ => Err(bad_request(
            "invalid_location",
            "Isi lat dan lon bersama-sama.",
        )),
    }
}

/// `POST /staff/incidents`: a 112 call on the same paging path as a press.
async fn create(app: &Panic, staff: &Staff, request: &Request) -> Result<Response<Body>, ApiError> {
    if !staff.is_operator() {
        return Err(not_allowed());
    }
    let body: CallBody = parse_json(json_bytes(request, MAX_BODY_BYTES)?)?;
    let kind = IncidentKind::parse(&body.kind).ok_or_else(|| {
        bad_request(
            "invalid_kind",
            "Jenis kejadian: crime, medical, fire, accident, disaster, other.",
        )
    })?;
    let caller = body
        .caller
        .as_deref()
        .map(PhoneNumber::parse)
        .transpose()
        .map_err(|_| bad_request("invalid_phone", "Nomor penelepon tidak valid."))?;
    let fix = fix_from(body.lat, body.lon)?;
    let location_text = text_field(body.location_text.as_deref(), "location_text")?;
    let notes = text_field(body.notes.as_deref(), "notes")?;
    let sector = match body.sector.as_deref() {
        None => sector_for(&app.sectors, fix.map(|f| f.coordinates)),
        Some(s) if s == incident::CITY_SECTOR || app.sectors.iter().any(|x| x.id == s) => {
            s.to_string()
        }
        Some(_) => return Err(bad_request("invalid_sector", "Sektor tidak dikenal.")),
    };
    // A retried submit with the same key maps to the same code, which exists.
    let key = request
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.trim().is_empty() && k.len() <= 128);
    let code_bytes = match key {
        Some(key) => {
            hex::decode(sha256_hex(format!("112:{}:{key}", staff.subject))).unwrap_or_default()
        }
        None => app
            .ids
            .random_bytes(16)
            .map_err(|e| ApiError::unavailable_because("drawing incident code", e))?,
    };
    let id = incident_code(&code_bytes)
        .ok_or_else(|| ApiError::unavailable_because("drawing incident code", "random source"))?;
    let policy = app
        .policy
        .get()
        .await
        .map_err(|e| ApiError::unavailable_because("reading paging policy", e))?;
    let now = app.clock.now();
    let opened = incident::open(
        Opening {
            id: id.clone(),
            kind,
            source: Source::Call112 {
                operator: staff.subject.clone(),
            },
            sector,
            fix,
            location_text,
            policy: (*policy).clone(),
            low_trust: false,
            token: new_token(app)?,
        },
        now,
    );
    let actor = staff.actor(&Role::Operator).to_stored();
    let mut entries = vec![TimelineEntry::new(
        now,
        Happened::Opened,
        &actor,
        Some("panggilan 112".into()),
    )];
    if let Some(notes) = notes {
        entries.push(TimelineEntry::new(now, Happened::Note, &actor, Some(notes)));
    }
    match app
        .incidents
        .open(&opened, &entries, None, caller.as_ref(), now)
        .await
    {
        Ok(()) => {
            info!(incident = %id, sector = %opened.sector, "112 call recorded");
            let paged = app.pager.deliver_or_defer(opened, now).await;
            Ok(json_response(StatusCode::CREATED, &view(&paged)))
        }
        Err(StoreError::Conflict) if key.is_some() => {
            let existing = load(app, &id).await?;
            Ok(json_response(StatusCode::OK, &view(&existing)))
        }
        Err(e) => Err(ApiError::unavailable_because("storing incident", e)),
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ActionBody {
    outcome: Option<Outcome>,
    note: Option<String>,
    kind: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
    location_text: Option<String>,
}

/// `POST /staff/incidents/{id}/{action}`.
async fn act(
    app: &Panic,
    staff: &Staff,
    id: &str,
    action: &str,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let body: ActionBody = if request.body().is_empty() {
        ActionBody::default()
    } else {
        parse_json(json_bytes(request, MAX_BODY_BYTES)?)?
    };
    let note = text_field(body.note.as_deref(), "note")?;
    let (role, allowed) = match action {
        "ack" => (
            staff.unit().map(|u| Role::Responder(u.into())),
            staff.unit().is_some(),
        ),
        "resolve" | "note" => {
            let role = staff
                .unit()
                .map(|u| Role::Responder(u.into()))
                .or(staff.is_operator().then_some(Role::Operator));
            let allowed = role.is_some();
            (role, allowed)
        }
        "update" | "follow-up" => (Some(Role::Operator), staff.is_operator()),
        _ => return Err(ApiError::not_found("Tindakan tidak dikenal.")),
    };
    let (Some(role), true) = (role, allowed) else {
        return Err(not_allowed());
    };
    let actor = staff.actor(&role).to_stored();
    let now = app.clock.now();
    let update = OperatorUpdate {
        kind: match body.kind.as_deref() {
            None => None,
            Some(k) => Some(IncidentKind::parse(k).ok_or_else(|| {
                bad_request(
                    "invalid_kind",
                    "Jenis kejadian: crime, medical, fire, accident, disaster, other.",
                )
            })?),
        },
        fix: fix_from(body.lat, body.lon)?,
        location_text: text_field(body.location_text.as_deref(), "location_text")?,
    };
    let command = match action {
        "ack" => IncidentAction::Acknowledge {
            unit: staff.unit().unwrap_or_default().to_string(),
            via: staff.unit().unwrap_or_default().to_string(),
        },
        "resolve" => IncidentAction::Resolve {
            outcome: body.outcome.ok_or_else(|| {
                bad_request(
                    "outcome_required",
                    "Isi outcome: founded, unfounded atau minor.",
                )
            })?,
            note: note.clone(),
        },
        "update" => IncidentAction::Update {
            change: update,
            note: note.clone(),
        },
        "note" => IncidentAction::Note(
            note.clone()
                .ok_or_else(|| bad_request("note_required", "Isi catatan."))?,
        ),
        // follow-up: the operator called the citizen back after a cancel.
        _ => IncidentAction::FollowUp { note: note.clone() },
    };
    retry_on_conflict(|| async {
        let current = load(app, id).await?;
        let closing = matches!(
            command,
            IncidentAction::Resolve { .. } | IncidentAction::Note(_)
        );
        if closing && !may_close_incident(staff, current.owner.as_deref()) {
            return Err(forbidden(
                "owned_by_another_unit",
                "Kejadian ini ditangani unit lain; hanya unit itu atau operator 112 yang dapat menutupnya.",
            ));
        }
        let Some(change) = command
            .decide(&current, &actor, now, new_token(app)?)
            .map_err(refused)?
        else {
            // Already so (a retry): the incident as it is.
            return Ok(json_response(StatusCode::OK, &view(&current)));
        };
        let mut also = Vec::new();
        // An unfounded press counts against its device's trust, in the same write.
        if let IncidentAction::Resolve { outcome, .. } = &command
            && let Some(device) = counts_against(*outcome, &current.source)
            && let Some(known) = app
                .devices
                .get(device)
                .await
                .map_err(|e| ApiError::unavailable_because("reading device", e))?
        {
            also.push(
                app.devices
                    .unfounded_item(&known, now)
                    .map_err(|e| ApiError::unavailable_because("building device update", e))?,
            );
        }
        match app.pager.commit_with(&current, change, also, now).await {
            Ok(saved) => {
                info!(incident = %saved.id, action, by = %actor, "incident action");
                Ok(json_response(StatusCode::OK, &view(&saved)))
            }
            Err(StoreError::Conflict) => {
                Err(ApiError::conflict("Kejadian baru saja berubah. Coba lagi."))
            }
            Err(e) => Err(ApiError::unavailable_because("saving incident", e)),
        }
    })
    .await
}

fn refused(err: IncidentError) -> ApiError {
    match err {
        IncidentError::WrongState(state) => conflict(
            "invalid_state",
            &format!("Tindakan ini tidak berlaku untuk kejadian berstatus {state:?}."),
        ),
        IncidentError::CancelWindowPassed => conflict(
            "cancel_window_passed",
            "Batas waktu pembatalan sudah lewat.",
        ),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BlockBody {
    reason: String,
    days: u32,
}

/// `POST /staff/devices/{id}/block`: an admin's decision, with a reason and an
/// expiry (never automatic: a blocked phone in a real emergency is the worst case).
async fn block(
    app: &Panic,
    staff: &Staff,
    id: &str,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    if !staff.is_admin() {
        return Err(not_allowed());
    }
    let body: BlockBody = parse_json(json_bytes(request, MAX_BODY_BYTES)?)?;
    let reason = text_field(Some(&body.reason), "reason")?
        .ok_or_else(|| bad_request("reason_required", "Isi alasan pemblokiran."))?;
    if !(1..=365).contains(&body.days) {
        return Err(bad_request(
            "invalid_days",
            "Lama blokir 1 sampai 365 hari.",
        ));
    }
    let until: Timestamp = app
        .clock
        .now()
        .checked_add(SignedDuration::from_hours(24 * i64::from(body.days)))
        .map_err(|e| ApiError::unavailable_because("computing expiry", e))?;
    app.devices
        .block(id, until, &format!("{reason} (oleh {})", staff.subject))
        .await
        .map_err(|e| match e {
            StoreError::Conflict => ApiError::not_found("Perangkat tidak ditemukan."),
            other => ApiError::unavailable_because("blocking device", other),
        })?;
    info!(device = %id, by = %staff.subject, days = body.days, "device blocked");
    Ok(json_response(
        StatusCode::OK,
        &json!({ "device_id": id, "blocked_until": wib_rfc3339(until), "reason": reason }),
    ))
}
