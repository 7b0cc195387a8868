//! Blocked SMS senders (architecture §8): admins block a number that floods or abuses
//! 1708, with a reason and an expiry; supervisors see the list. Numbers never
//! appear in a URL or a key: the list shows them masked, and a block is lifted by
//! its keyed hash.
//!
//! - `GET /staff/blocked-senders` (admins, supervisors): blocks in force.
//! - `POST /staff/blocked-senders` (admins): `{"phone","reason","days"}` (1–365).
//! - `DELETE /staff/blocked-senders/{sender}` (admins): lifts a block.

use jiff::SignedDuration;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::json;
use sigap::adapters::senders::BlockedSender;
use sigap::domain::contact::PhoneNumber;
use sigap::domain::staff::{Role, Staff};
use sigap::http::{ApiError, json_bytes, json_response, parse_json};
use tracing::info;

use super::{Backoffice, MAX_BODY_BYTES, forbidden, local_time, require_admin};

/// What an admin sends to block a number.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BlockBody {
    phone: String,
    reason: String,
    days: u32,
}

/// `GET /staff/blocked-senders`.
pub(crate) async fn list(app: &Backoffice, staff: &Staff) -> Result<Response<Body>, ApiError> {
    let blocked = in_force(app, staff).await?;
    let list: Vec<_> = blocked
        .iter()
        .map(|b| {
            json!({
                "sender": b.sender,
                "phone": b.masked,
                "reason": b.reason,
                "until": local_time(b.until),
                "by": b.by,
            })
        })
        .collect();
    Ok(json_response(StatusCode::OK, &json!({ "blocked": list })))
}

/// The blocks in force, for admins and supervisors (the API's and the console's list).
pub(crate) async fn in_force(
    app: &Backoffice,
    staff: &Staff,
) -> Result<Vec<BlockedSender>, ApiError> {
    if !(staff.is_admin() || staff.is_supervisor()) {
        return Err(forbidden());
    }
    app.senders
        .blocked_senders(app.clock.now())
        .await
        .map_err(|e| ApiError::unavailable_because("listing blocked senders", e))
}

/// `POST /staff/blocked-senders`.
pub(crate) async fn block(
    app: &Backoffice,
    staff: &Staff,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let role = require_admin(staff)?;
    let body: BlockBody = parse_json(json_bytes(request, MAX_BODY_BYTES)?)?;
    let phone = PhoneNumber::parse(&body.phone)
        .map_err(|_| ApiError::invalid("Nomor telepon tidak valid."))?;
    let blocked = block_phone(app, staff, &role, &phone, &body.reason, body.days).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "sender": blocked.sender,
            "phone": blocked.masked,
            "reason": blocked.reason,
            "until": local_time(blocked.until),
        }),
    ))
}

/// Blocks `phone` for `days` (1–365) with `reason`: the API's and the console's one
/// sequence (the console blocks the number of the report it shows).
pub(crate) async fn block_phone(
    app: &Backoffice,
    staff: &Staff,
    role: &Role,
    phone: &PhoneNumber,
    reason: &str,
    days: u32,
) -> Result<BlockedSender, ApiError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 300 {
        return Err(ApiError::invalid(
            "Alasan wajib diisi (maksimal 300 karakter).",
        ));
    }
    if !(1..=365).contains(&days) {
        return Err(ApiError::invalid("Lama blokir 1 sampai 365 hari."));
    }
    let now = app.clock.now();
    let blocked = BlockedSender {
        sender: app.sender_key.phone(phone),
        masked: phone.masked(),
        reason: reason.to_string(),
        until: now
            .checked_add(SignedDuration::from_hours(24 * i64::from(days)))
            .unwrap_or(now),
        by: staff.actor(role).to_stored(),
    };
    app.senders
        .block(&blocked)
        .await
        .map_err(|e| ApiError::unavailable_because("blocking sender", e))?;
    info!(sender = %blocked.masked, days, by = %staff.subject, "sms sender blocked");
    Ok(blocked)
}

/// `DELETE /staff/blocked-senders/{sender}`.
pub(crate) async fn unblock(
    app: &Backoffice,
    staff: &Staff,
    sender: &str,
) -> Result<Response<Body>, ApiError> {
    lift(app, staff, sender).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "sender": sender, "blocked": false }),
    ))
}

/// Lifts the block of `sender` (its keyed hash), for admins: the API's and the
/// console's one sequence. Lifting a block already gone changes nothing.
pub(crate) async fn lift(app: &Backoffice, staff: &Staff, sender: &str) -> Result<(), ApiError> {
    require_admin(staff)?;
    if sender.len() != 64 || !sender.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::not_found("Blokir tidak ditemukan."));
    }
    app.senders
        .unblock(sender, app.clock.now())
        .await
        .map_err(|e| ApiError::unavailable_because("unblocking sender", e))?;
    info!(by = %staff.subject, "sms sender unblocked");
    Ok(())
}
