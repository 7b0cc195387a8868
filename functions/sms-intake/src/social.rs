//! Mentions of the city's X (Twitter) account become reports, threaded by author.
//!
//! - `GET /social/x?crc_token=…`: X's challenge, answered with
//!   `{"response_token": "sha256=<base64 HMAC-SHA256(consumer secret, token)>"}` for a
//!   token shaped like X's only (the answer is the webhook's HMAC: see `CrcToken`).
//! - `POST /social/x`: Account Activity events, checked against
//!   `x-twitter-webhooks-signature` over the raw body (403 and nothing stored
//!   otherwise). Each post mentioning the city's account, by someone else, is
//!   handled once (`X#<post id>` is written with its effect):
//!   - a reply in a thread from an author with an open report is added to it;
//!   - anything else becomes a report (channel `social`, no location), and the
//!     author gets a reply with the tracking id through the X API, at most once
//!     (a delivery record on the report), when their `screen_name` is a real handle;
//!   - an author over the senders' hourly limit, or blocked by an admin, is dropped,
//!     like an SMS sender.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::json;
use sigap::adapters::deliveries::Delivery;
use sigap::adapters::social::XError;
use sigap::adapters::table::{StoreError, report_pk};
use sigap::domain::command::Command;
use sigap::domain::contact::XHandle;
use sigap::domain::report::Channel;
use sigap::domain::signature::{CrcToken, verify_x, x_crc_response};
use sigap::domain::submission::ReportSubmission;
use sigap::domain::submission::{ReporterContact, keep_allowed};
use sigap::http::{ApiError, json_response};
use sigap::service::reports::{ApplyError, Asking, Once, ServiceError};
use tracing::{info, warn};

use super::{
    SMS_CATEGORY, SmsIntake, bad_request, forbidden, header_str, open_reports, text_report,
};

/// How long one attempt may hold the claim on the reply to a post.
const REPLY_LEASE: jiff::SignedDuration = jiff::SignedDuration::from_secs(30);

/// X's settings: the webhook secret, the API and the city's account.
#[derive(Debug, Clone)]
pub struct XConfig {
    /// The app's consumer (API) secret: signs the webhook and the CRC.
    pub consumer_secret: SecretString,
    /// Bearer token for posting replies.
    pub bearer_token: SecretString,
    /// `https://api.x.com`, or a local fake.
    pub api_base: String,
    /// The city account's user id (mentions of it are reports).
    pub account_id: String,
}

#[derive(Debug, Deserialize)]
struct ActivityEvent {
    #[serde(default)]
    tweet_create_events: Vec<Post>,
}

#[derive(Debug, Deserialize)]
struct Post {
    id_str: String,
    text: String,
    user: Author,
    #[serde(default)]
    in_reply_to_status_id_str: Option<String>,
    #[serde(default)]
    entities: Entities,
}

#[derive(Debug, Deserialize)]
struct Author {
    id_str: String,
    screen_name: String,
}

#[derive(Debug, Default, Deserialize)]
struct Entities {
    #[serde(default)]
    user_mentions: Vec<Mention>,
}

#[derive(Debug, Deserialize)]
struct Mention {
    id_str: String,
}

fn unconfigured() -> ApiError {
    ApiError::not_found("Alamat tidak ditemukan.")
}

/// `GET /social/x?crc_token=…`.
pub(crate) fn crc(app: &SmsIntake, request: &Request) -> Result<Response<Body>, ApiError> {
    let key = app.keys.x.as_ref().ok_or_else(unconfigured)?;
    let params = request.query_string_parameters();
    let raw = params
        .first("crc_token")
        .ok_or_else(|| bad_request("crc_token wajib ada."))?;
    // Answering for any text would sign any body (the CRC answer is the webhook's HMAC).
    let token = CrcToken::parse(raw).ok_or_else(|| {
        warn!("x crc challenge with a token not shaped like X's refused");
        bad_request("crc_token tidak valid.")
    })?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "response_token": x_crc_response(key, &token) }),
    ))
}

/// `POST /social/x`.
pub(crate) async fn events(app: &SmsIntake, request: &Request) -> Result<Response<Body>, ApiError> {
    let x = app.config.x.as_ref().ok_or_else(unconfigured)?;
    let key = app.keys.x.as_ref().ok_or_else(unconfigured)?;
    let body = sigap::http::body_bytes(request, super::MAX_BODY_BYTES)?;
    let signature = header_str(request, "x-twitter-webhooks-signature").unwrap_or_default();
    if !verify_x(key, body, signature) {
        warn!("x webhook with a missing or bad signature refused");
        return Err(forbidden());
    }
    let event: ActivityEvent =
        serde_json::from_slice(body).map_err(|_| bad_request("Bukan event Account Activity."))?;
    let mut handled = 0;
    for post in &event.tweet_create_events {
        let mentions_city = post
            .entities
            .user_mentions
            .iter()
            .any(|m| m.id_str == x.account_id);
        if post.user.id_str == x.account_id || !mentions_city {
            continue;
        }
        mention(app, post)
            .await
            .map_err(|e| ApiError::unavailable_because("handling x mention", e))?;
        handled += 1;
    }
    Ok(json_response(
        StatusCode::OK,
        &json!({ "handled": handled }),
    ))
}

/// The post's text without the @mentions.
fn clean_text(text: &str) -> String {
    keep_allowed(text)
        .split_whitespace()
        .filter(|w| !w.starts_with('@'))
        .collect::<Vec<_>>()
        .join(" ")
}

async fn mention(app: &SmsIntake, post: &Post) -> Result<(), ServiceError> {
    if let Some((report_id, made_report)) = app.inbound.social_post(&post.id_str).await? {
        // Delivered before: only the reply may still be owed.
        return match made_report {
            true => reply_once(app, post, &report_id).await,
            false => Ok(()),
        };
    }
    let author = app.keys.sender.x_author(&post.user.id_str);
    // One person is one sender, by SMS or on X: the same hourly limit and admin block.
    let screened = app.senders.screen(&author, app.clock.now()).await?;
    if screened.blocked.is_some() || screened.count > app.config.rate_limit_per_hour {
        info!(
            count = screened.count,
            "x mention from a blocked or over-limit author dropped"
        );
        return Ok(());
    }
    let text = clean_text(&post.text);
    if post.in_reply_to_status_id_str.is_some()
        && let Some(open) = open_reports(app, &author).await?.into_iter().next()
    {
        let marker = app
            .inbound
            .social_marker(&post.id_str, open.id.as_str(), false)?;
        let command = Command::Answer { text: text.clone() };
        match app
            .reports
            .apply(&open, &command, &Asking::Citizen, vec![marker])
            .await
        {
            Ok(_) | Err(ApplyError::Conflict) => return Ok(()),
            Err(ApplyError::Store(err)) => return Err(err.into()),
            // Nothing to add it to now: the post becomes a report of its own.
            Err(ApplyError::Refused(_) | ApplyError::Forbidden) => {}
        }
    }
    let id = app.ids.tracking_id()?;
    let body = if text.chars().count() >= 10 {
        text
    } else {
        post.text.clone()
    };
    let submission = ReportSubmission::from_text(&body, SMS_CATEGORY, ReporterContact::default());
    let handled = app.inbound.social_marker(&post.id_str, id.as_str(), true)?;
    let submitted = app
        .intake
        .submit(
            &app.reports,
            &text_report(&submission, Channel::Social, &author),
            Once::Marked {
                id: id.clone(),
                handled: vec![handled],
            },
        )
        .await;
    match submitted {
        Ok(_) => {}
        // A parallel delivery of the same post won; its reply is handled below.
        Err(ServiceError::Store(StoreError::AlreadyExists)) => {
            return match app.inbound.social_post(&post.id_str).await? {
                Some((report_id, true)) => reply_once(app, post, &report_id).await,
                Some((_, false)) => Ok(()),
                None => Err(StoreError::Conflict.into()),
            };
        }
        Err(err) => return Err(err),
    }
    info!(report_id = %id, channel = "social", "report received from an x mention");
    reply_once(app, post, id.as_str()).await
}

/// Replies to the post that made report `report_id` with its tracking id, at most
/// once (a delivery record on the report).
async fn reply_once(app: &SmsIntake, post: &Post, report_id: &str) -> Result<(), ServiceError> {
    let Some(handle) = XHandle::parse(&post.user.screen_name) else {
        // The city account never posts text it did not write.
        warn!(
            report_id,
            "x author's screen_name is not a handle: no reply"
        );
        return Ok(());
    };
    let owner = report_pk(report_id);
    let key = format!("x#{}", post.id_str);
    let text = format!(
        "@{} Terima kasih, laporan Anda tercatat dengan nomor {report_id}. Pantau di lapor.bandung.go.id",
        handle.as_str()
    );
    match app
        .deliveries
        .claim(&owner, &key, "author", "x", app.clock.now(), REPLY_LEASE)
        .await?
    {
        Delivery::AlreadySent(_) => Ok(()),
        Delivery::InFlight => Err(StoreError::Conflict.into()),
        Delivery::Send => {
            let client = app
                .x_client
                .as_ref()
                .ok_or_else(|| XError::Call("no client: X is not configured".into()))?;
            match client.reply(&post.id_str, &text).await {
                Ok(posted) => Ok(app
                    .deliveries
                    .mark_sent(&owner, &key, "author", &posted, &text, app.clock.now())
                    .await?),
                Err(err) => {
                    let _ = app.deliveries.release(&owner, &key, "author").await;
                    Err(err.into())
                }
            }
        }
    }
}
