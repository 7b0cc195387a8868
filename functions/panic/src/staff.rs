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
//!   `note` (operator or responder), `location-link` (operator: texts the caller a
//!   single-use link whose page sends the phone's position).
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
use sigap::domain::incident::{Incident, IncidentKind, OperatorUpdate, Outcome, Source};
use sigap::domain::staff::{Staff, may_read_incidents, sees_caller};
use sigap::http::{
    ApiError, forwarded_base_url, json_bytes, json_response, parse_json, staff_caller,
};
use sigap::service::incidents::{Call112, StaffAction, incident_text, not_allowed, typed_fix};
use tracing::info;

use crate::{Panic, bad_request};

const MAX_BODY_BYTES: usize = 16 * 1024;

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

async fn show(app: &Panic, staff: &Staff, id: &str) -> Result<Response<Body>, ApiError> {
    if !may_read_incidents(staff) {
        return Err(not_allowed());
    }
    let incident = app.desk.load(id).await?;
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

/// `POST /staff/incidents`: a 112 call on the same paging path as a press.
async fn create(app: &Panic, staff: &Staff, request: &Request) -> Result<Response<Body>, ApiError> {
    if !staff.is_operator() {
        return Err(not_allowed());
    }
    let body: CallBody = parse_json(json_bytes(request, MAX_BODY_BYTES)?)?;
    let call = Call112 {
        kind: parse_kind(&body.kind)?,
        caller: body
            .caller
            .as_deref()
            .map(PhoneNumber::parse)
            .transpose()
            .map_err(|_| bad_request("invalid_phone", "Nomor penelepon tidak valid."))?,
        fix: typed_fix(body.lat, body.lon)?,
        location_text: incident_text(body.location_text.as_deref(), "location_text")?,
        sector: body.sector,
        notes: incident_text(body.notes.as_deref(), "notes")?,
    };
    let key = request
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.trim().is_empty() && k.len() <= 128);
    let (incident, created) = app.desk.record_call(staff, call, key).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(json_response(status, &view(&incident)))
}

fn parse_kind(kind: &str) -> Result<IncidentKind, ApiError> {
    IncidentKind::parse(kind).ok_or_else(|| {
        bad_request(
            "invalid_kind",
            "Jenis kejadian: crime, medical, fire, accident, disaster, other.",
        )
    })
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
    let note = incident_text(body.note.as_deref(), "note")?;
    let action = match action {
        "ack" => StaffAction::Acknowledge,
        "resolve" => StaffAction::Resolve {
            outcome: body.outcome.ok_or_else(|| {
                bad_request(
                    "outcome_required",
                    "Isi outcome: founded, unfounded atau minor.",
                )
            })?,
            note,
        },
        "update" => StaffAction::Update {
            change: OperatorUpdate {
                kind: body.kind.as_deref().map(parse_kind).transpose()?,
                fix: typed_fix(body.lat, body.lon)?,
                location_text: incident_text(body.location_text.as_deref(), "location_text")?,
            },
            note,
        },
        "note" => {
            StaffAction::Note(note.ok_or_else(|| bad_request("note_required", "Isi catatan."))?)
        }
        "follow-up" => StaffAction::FollowUp { note },
        "location-link" => {
            let incident = app
                .desk
                .send_location_link(staff, id, &forwarded_base_url(request))
                .await?;
            return Ok(json_response(StatusCode::OK, &view(&incident)));
        }
        _ => return Err(ApiError::not_found("Tindakan tidak dikenal.")),
    };
    let incident = app.desk.act(staff, id, action).await?;
    Ok(json_response(StatusCode::OK, &view(&incident)))
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
    let reason = incident_text(Some(&body.reason), "reason")?
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
