//! Tap-to-own links in pages: `/a/{incident}/{tier}{token}`.
//!
//! `GET` only shows a form (SMS apps and chat previews fetch links on their own, and
//! a preview must never take an incident); `POST` from its button acknowledges. The
//! token is an HMAC of the incident and tier, so it proves the page was received;
//! the link does anything only while the incident waits for an owner. The owner is
//! recorded as the tier's link (`tautan-t<tier>`): the link cannot tell who tapped,
//! so a unit the responder types goes on the timeline as what they said, never as
//! the owner (any unit, or an operator, may then resolve it).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use sigap::domain::incident::{IncidentAction, IncidentState, parse_incident_code};
use sigap::domain::signature::constant_time_eq;
use sigap::domain::staff::LINK_OWNER_PREFIX;
use sigap::http::{ApiError, text_response};
use sigap::service::incidents::write_failed;
use sigap::service::paging::ack_token;
use sigap::service::retry_on_conflict;
use tracing::info;

use crate::{Panic, forbidden, new_token};

/// The incident and tier a link names, if its token is right.
fn checked(app: &Panic, id: &str, token: &str) -> Result<(String, u8), ApiError> {
    let refused = || forbidden("invalid_link", "Tautan tidak valid.");
    let links = app.config.paging.ack_links.as_ref().ok_or_else(refused)?;
    let code = parse_incident_code(id).ok_or_else(refused)?;
    let mut chars = token.chars();
    let tier = chars
        .next()
        .and_then(|c| c.to_digit(10))
        .and_then(|d| u8::try_from(d).ok())
        .ok_or_else(refused)?;
    let expected = ack_token(&links.key, &code, tier);
    if !constant_time_eq(chars.as_str().as_bytes(), expected.as_bytes()) {
        return Err(refused());
    }
    Ok((code, tier))
}

fn html(status: StatusCode, body: &str) -> Response<Body> {
    let page = format!(
        "<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>SIGAP</title></head><body>{body}</body></html>"
    );
    text_response(status, "text/html; charset=utf-8", page)
}

/// `GET`: the confirm form.
pub fn confirm(app: &Panic, id: &str, token: &str) -> Result<Response<Body>, ApiError> {
    let (code, tier) = checked(app, id, token)?;
    Ok(html(
        StatusCode::OK,
        &format!(
            "<h1>{code}</h1><p>Panggilan darurat tier {tier}.</p><form method=\"post\"><label>Unit Anda <input name=\"unit\" maxlength=\"64\"></label><button type=\"submit\">Saya tangani</button></form>"
        ),
    ))
}

/// `POST`: takes the incident for the unit typed (or the tier's link).
pub async fn acknowledge(
    app: &Panic,
    id: &str,
    token: &str,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let (code, tier) = checked(app, id, token)?;
    let typed = form_urlencoded::parse(request.body().as_ref())
        .find(|(k, _)| k == "unit")
        .map(|(_, v)| v.trim().to_ascii_lowercase())
        .filter(|u| {
            !u.is_empty()
                && u.len() <= 64
                && u.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    let unit = format!("{LINK_OWNER_PREFIX}{tier}");
    let via = match &typed {
        Some(said) => format!("lewat tautan tier {tier}; menyebut unit: {said}"),
        None => format!("lewat tautan tier {tier}"),
    };
    let now = app.clock.now();
    retry_on_conflict(|| async {
        let current = app
            .incidents
            .get(&code)
            .await
            .map_err(|e| ApiError::unavailable_because("reading incident", e))?
            .ok_or_else(|| ApiError::not_found("Kejadian tidak ditemukan."))?;
        if current.state != IncidentState::Triggered {
            let who = current.owner.clone().unwrap_or_else(|| "-".into());
            return Ok(html(
                StatusCode::CONFLICT,
                &format!("<h1>{code}</h1><p>Sudah ditangani ({who}) atau ditutup.</p>"),
            ));
        }
        let taking = IncidentAction::Acknowledge {
            unit: unit.clone(),
            via: via.clone(),
        };
        let change = taking
            .decide(&current, &format!("responder:{unit}"), now, new_token(app)?)
            .ok()
            .flatten()
            .ok_or_else(|| ApiError::unavailable_because("acknowledging", "state changed"))?;
        match app.desk.pager().commit(&current, change, now).await {
            Ok(_) => {
                info!(incident = %code, unit = %unit, "incident acknowledged by link");
                Ok(html(
                    StatusCode::OK,
                    &format!(
                        "<h1>{code}</h1><p>Tercatat: Anda menangani kejadian ini (lewat tautan tier {tier}).</p>"
                    ),
                ))
            }
            Err(e) => Err(write_failed("acknowledging", e)),
        }
    })
    .await
}
