//! WhatsApp to the city's number: the same conversation as SMS 1708, on Meta's
//! Cloud API webhook.
//!
//! - `GET /whatsapp`: Meta's verification handshake (`hub.mode`, `hub.verify_token`,
//!   `hub.challenge`): the challenge echoed as text for the configured token, 403
//!   otherwise.
//! - `POST /whatsapp`: notifications, checked against `X-Hub-Signature-256` over the
//!   raw body with the app secret (403 and nothing stored otherwise). Each message
//!   is handled once by its id (`SMS#whatsapp#<wamid>`), exactly as an SMS: the same
//!   commands, threading, limits and blocks, under the same sender hash (the
//!   number's), so a citizen who texted 1708 carries on in the same conversation. A
//!   tapped button or list row sends its id, which is the command. A shared
//!   location becomes the point of the sender's newest open report; a photo is
//!   downloaded through the media API and goes into the photo pipeline as a web
//!   upload does (on the report its caption makes, or the newest open one); any
//!   other kind gets a polite answer. Taps of the guided start (`menu:…`: a group, a
//!   category, "Tidak puas") make the next text a report or a dispute's reason.
//!   Each status is recorded on the delivery record of the message it belongs to; a
//!   `failed` one queues the SMS fallback for `notify` (which sends it once).
//!
//! Every message also records when the citizen last wrote on WhatsApp, which opens
//! the 24-hour window `notify` sends free text in.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use secrecy::SecretString;
use serde_json::json;
use sigap::adapters::deliveries::{DeliveryRef, WhatsAppStatus};
use sigap::domain::contact::PhoneNumber;
use sigap::domain::location::Coordinates;
use sigap::domain::notification::{NotifyJob, WhatsAppFallbackJob};
use sigap::domain::signature::verify_meta;
use sigap::domain::sms::{Menu, SmsCommand};
use sigap::domain::whatsapp::{
    Content, DeliveryState, DeliveryStatus, IncomingMessage, parse_notification,
};
use sigap::http::{ApiError, body_bytes, json_response, text_response};
use sigap::service::whatsapp::WhatsAppConfig;
use tracing::{info, warn};

use super::{SmsIntake, bad_request, forbidden, header_str, receive};

/// The gateway name of WhatsApp messages (`SMS#whatsapp#<wamid>`).
pub(crate) use sigap::domain::whatsapp::CHANNEL as GATEWAY;
/// Largest notification Meta sends (3 MB, up to 1,000 updates).
const MAX_NOTIFICATION_BYTES: usize = 3 * 1024 * 1024;

/// WhatsApp's settings for the webhook.
#[derive(Debug, Clone)]
pub struct WhatsAppIntakeConfig {
    /// The Graph API and the business number.
    pub api: WhatsAppConfig,
    /// The Meta app's secret: signs every notification.
    pub app_secret: SecretString,
    /// The token Meta's handshake must present (chosen when the webhook is set up).
    pub verify_token: SecretString,
}

impl WhatsAppIntakeConfig {
    /// Reads [`WhatsAppConfig::load`] (off when `WHATSAPP_PHONE_NUMBER_ID` is unset),
    /// then `WHATSAPP_APP_SECRET` and `WHATSAPP_VERIFY_TOKEN`.
    pub fn load(
        settings: &sigap::runtime::config::Settings,
    ) -> Result<Option<Self>, sigap::runtime::config::ConfigError> {
        WhatsAppConfig::load(settings)?
            .map(|api| {
                Ok(Self {
                    api,
                    app_secret: settings.required("WHATSAPP_APP_SECRET")?.into(),
                    verify_token: settings.required("WHATSAPP_VERIFY_TOKEN")?.into(),
                })
            })
            .transpose()
    }
}

fn unconfigured() -> ApiError {
    ApiError::not_found("Alamat tidak ditemukan.")
}

/// `GET /whatsapp`: the verification handshake.
pub(crate) fn handshake(app: &SmsIntake, request: &Request) -> Result<Response<Body>, ApiError> {
    let keys = app.keys.whatsapp.as_ref().ok_or_else(unconfigured)?;
    let params = request.query_string_parameters();
    let answer = sigap::domain::whatsapp::handshake(
        params.first("hub.mode"),
        params.first("hub.verify_token"),
        params.first("hub.challenge"),
        &keys.verify_token,
    );
    match answer {
        Some(challenge) => Ok(text_response(
            StatusCode::OK,
            "text/plain; charset=utf-8",
            challenge.to_string(),
        )),
        None => {
            warn!("whatsapp handshake with a wrong token or mode refused");
            Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "verification_failed",
                "Token verifikasi tidak cocok.",
            ))
        }
    }
}

/// `POST /whatsapp`: messages and statuses.
pub(crate) async fn notification(
    app: &SmsIntake,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let keys = app.keys.whatsapp.as_ref().ok_or_else(unconfigured)?;
    let body = body_bytes(request, MAX_NOTIFICATION_BYTES)?;
    let signature = header_str(request, "x-hub-signature-256").unwrap_or_default();
    if !verify_meta(&keys.app_secret, body, signature) {
        warn!("whatsapp notification with a missing or bad signature refused");
        return Err(forbidden());
    }
    let notification = parse_notification(body)
        .map_err(|_| bad_request("Bukan notifikasi whatsapp_business_account."))?;
    for message in &notification.messages {
        incoming(app, message).await?;
    }
    let mut recorded = 0;
    for status in &notification.statuses {
        recorded += usize::from(record_status(app, status).await?);
    }
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "messages": notification.messages.len(),
            "statuses_recorded": recorded,
        }),
    ))
}

/// One citizen message: recorded and carried out once, as an SMS would be.
async fn incoming(app: &SmsIntake, message: &IncomingMessage) -> Result<(), ApiError> {
    let Some(from) = message
        .from
        .as_deref()
        .and_then(|f| PhoneNumber::parse(f).ok())
    else {
        // A username without a number, or a number outside Indonesia: nothing to
        // thread it to (the SMS path ignores the same).
        info!("whatsapp message without an Indonesian number ignored");
        return Ok(());
    };
    let sender = app.keys.sender.phone(&from);
    app.senders
        .wrote_on_whatsapp(&sender, app.clock.now())
        .await
        .map_err(|e| ApiError::unavailable_because("recording whatsapp window", e))?;
    let (text, command) = match &message.content {
        Content::Text(body) => (body.clone(), None),
        // A step of the guided start, or a button's or row's id that is the command
        // it stands for (`INFO BDG-…`).
        Content::Choice { id, title } => match Menu::from_choice(id) {
            Some(menu) => (format!("[{title}]"), Some(SmsCommand::Menu(menu))),
            None => (id.clone(), None),
        },
        Content::Location {
            latitude,
            longitude,
            label,
        } => {
            let text = format!(
                "[lokasi {latitude:.6}, {longitude:.6}{}]",
                label
                    .as_deref()
                    .map(|l| format!(" {l}"))
                    .unwrap_or_default()
            );
            let point = Coordinates::parse(*latitude, *longitude);
            (text, Some(SmsCommand::SharePoint(point)))
        }
        Content::Image {
            media_id, caption, ..
        } => {
            let text = match caption {
                Some(caption) => format!("[foto] {caption}"),
                None => "[foto]".into(),
            };
            let command = SmsCommand::Photo {
                media_id: media_id.clone(),
                caption: caption.clone(),
            };
            (text, Some(command))
        }
        Content::Unsupported(kind) => (format!("[{kind}]"), Some(SmsCommand::Unreadable)),
    };
    let from = from.as_e164().to_string();
    receive(app, GATEWAY, &message.id, &from, &text, command).await
}

/// Records a status on the delivery record its callback names; false when it changed
/// nothing (no callback, a duplicate, an older state).
async fn record_status(app: &SmsIntake, status: &DeliveryStatus) -> Result<bool, ApiError> {
    let Some(record) = status.callback.as_deref().and_then(DeliveryRef::parse) else {
        info!("whatsapp status without a delivery record ignored");
        return Ok(false);
    };
    let update = WhatsAppStatus {
        message_id: &status.message_id,
        state: status.state.as_str(),
        rank: status.state.rank(),
        error_code: status.error_code,
    };
    let changed = app
        .deliveries
        .record_status(
            &record.owner,
            &record.key,
            &record.recipient,
            &update,
            app.clock.now(),
        )
        .await
        .map_err(|e| ApiError::unavailable_because("recording whatsapp status", e))?;
    // A failure after acceptance: its SMS is owed. Queued on every delivery of the
    // status (notify sends it once), so a lost enqueue is made good by Meta's retry.
    if status.state == DeliveryState::Failed {
        let job = NotifyJob::Fallback(WhatsAppFallbackJob {
            whatsapp_failed: record.to_string(),
        });
        app.notify
            .send(&job)
            .await
            .map_err(|e| ApiError::unavailable_because("enqueueing whatsapp fallback", e))?;
    }
    if changed {
        info!(state = update.state, error = ?status.error_code, "whatsapp status recorded");
    }
    Ok(changed)
}
