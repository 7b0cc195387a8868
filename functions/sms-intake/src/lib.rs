//! `sms-intake`: LAPOR! by SMS to 1708, as a webhook for SMS gateways.
//!
//! - `POST /sms/twilio`: Twilio's form post, checked against `X-Twilio-Signature`
//!   over the public URL Twilio called (rebuilt from the Host and
//!   `X-Forwarded-Proto` headers API Gateway passes, or `PUBLIC_BASE_URL`).
//! - `POST /sms/gateway`: the generic JSON format for an Indonesian aggregator,
//!   `{"message_id","from","text"}`, signed with `X-Sigap-Timestamp` and
//!   `X-Sigap-Signature` (HMAC-SHA256, replay window).
//!
//! Unsigned or badly signed: 403 and nothing stored. Otherwise the message is recorded
//! once per gateway message id (gateways retry for hours: a retry changes nothing
//! and only re-sends the replies owed), the sender is rate-limited and checked
//! against the blocklist, and the command is carried out. Whatever it changes is
//! committed in one transaction together with "this message is handled", and the
//! replies go out through `notify` with a delivery record each. The gateway gets an
//! empty answer (TwiML or JSON) as soon as that is done.

mod social;
mod whatsapp;

use sigap::runtime::function::{Dependencies, Function, HttpFunction, StartError};
use std::sync::Arc;

use jiff::Timestamp;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;
use sigap::adapters::calendar::{CalendarCache, CalendarStore};
use sigap::adapters::catalog::{CatalogCache, CatalogStore};
use sigap::adapters::deliveries::DeliveryStore;
use sigap::adapters::devices::DeviceStore;
use sigap::adapters::idempotency::IdempotencyStore;
use sigap::adapters::inbound::{InboundMessage, InboundStore, Recorded, StoredInbound};
use sigap::adapters::photos::PhotoBucket;
use sigap::adapters::queue::JsonQueue;
use sigap::adapters::rates::RateCounter;
use sigap::adapters::reports::ReportStore;
use sigap::adapters::senders::SenderStore;
use sigap::adapters::social::XClient;
use sigap::adapters::table::{StoreError, TableWrite};
use sigap::adapters::whatsapp::{MediaError, WhatsAppClient};
use sigap::domain::calendar::{CalendarError, HolidayData, wib};
use sigap::domain::command::Command;
use sigap::domain::contact::PhoneNumber;
use sigap::domain::contact::SenderKey;
use sigap::domain::deadline::WorkingDays;
use sigap::domain::incident::{Fix, IncidentAction, IncidentKind};
use sigap::domain::notification::{NotifyJob, SmsReplyJob};
use sigap::domain::photo::{PhotoId, PhotoLimits, PhotoState};
use sigap::domain::public::PublicReport;
use sigap::domain::report::{Actor, Channel, Report};
use sigap::domain::signature::{HmacKey, KeyError, TwilioKey};
use sigap::domain::signature::{verify_gateway, verify_twilio};
use sigap::domain::sms::{
    Awaiting, Menu, SmsCommand, help_text, parse_command, replies, split_sms, status_text,
};
use sigap::domain::submission::{ReportSubmission, ReporterContact, keep_allowed};
use sigap::domain::tracking_id::TrackingId;
use sigap::domain::whatsapp::{MAX_IMAGE_BYTES, MAX_LIST_ROWS, MAX_ROW_TITLE};
use sigap::domain::workflow::WorkflowError;
use sigap::http::{
    ApiError, body_bytes, forwarded_base_url, json_bytes, json_response, text_response,
};
use sigap::runtime::aws::AwsClients;
use sigap::runtime::clock::Clock;
use sigap::runtime::config::{ConfigError, Settings};
use sigap::runtime::ids::IdGenerator;
use sigap::service::incidents::{IncidentDesk, Press, PressVia};
use sigap::service::paging::PagingConfig;
use sigap::service::photos::{ArrivedPhoto, Photos};
use sigap::service::reports::{
    ApplyError, Asking, NewReport, Once, ReportIntake, Reports, ReportsParts, ServiceError,
};
use tracing::{info, warn};

pub use social::XConfig;
pub use whatsapp::WhatsAppIntakeConfig;

/// Largest webhook body (a concatenated SMS is at most a few KiB; X batches more).
const MAX_BODY_BYTES: usize = 64 * 1024;
/// The category of a report made by SMS or X until an admin sets one (triage suggests).
pub(crate) const SMS_CATEGORY: &str = "lainnya";
/// Shortest report text worth verifying.
const MIN_REPORT_CHARS: usize = 10;
/// A sender's latest reports looked at to thread free text.
const THREAD_SCAN: i32 = 10;
/// The empty TwiML answer: nothing is said synchronously; replies go through notify.
const EMPTY_TWIML: &str = r#"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#;

/// Settings `sms-intake` reads from its environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// The single table.
    pub table_name: String,
    /// URL of the `intake` queue (new reports are triaged like web ones).
    pub intake_queue_url: String,
    /// URL of the `notify` queue (replies and report events).
    pub notify_queue_url: String,
    /// Secret key for the keyed hash of senders' numbers.
    pub sender_hash_key: SecretString,
    /// Twilio's auth token (signs its webhooks).
    pub twilio_auth_token: SecretString,
    /// The generic gateway's shared secret.
    pub gateway_secret: SecretString,
    /// The public base URL Twilio is configured with, when it is not the request's
    /// own host (a custom domain in front of API Gateway).
    pub public_base_url: Option<String>,
    /// The new-report keyword (`BDG`).
    pub keyword: String,
    /// Messages one number may send per hour before it is told to wait.
    pub rate_limit_per_hour: u64,
    /// How old a signed gateway request may be, in seconds.
    pub replay_window_seconds: i64,
    /// The LAPOR! clocks' default durations.
    pub working_days: WorkingDays,
    /// X (Twitter) mentions, when configured.
    pub x: Option<XConfig>,
    /// Responders' SMS acks (`1 <code>`) and presses by SMS (`DARURAT`), when the
    /// panic path is deployed.
    pub paging: Option<PagingConfig>,
    /// Incidents one device may open per hour before they are marked low-trust (as
    /// `panic`'s).
    pub incidents_per_hour: u64,
    /// WhatsApp, when configured.
    pub whatsapp: Option<WhatsAppIntakeConfig>,
    /// The bucket WhatsApp photos go into (`uploads/`, as web uploads do).
    pub media_bucket: String,
    /// How many photos a report may have, and how large.
    pub photo_limits: PhotoLimits,
}

impl Config {
    /// Reads `TABLE_NAME`, `INTAKE_QUEUE_URL`, `NOTIFY_QUEUE_URL`, `SENDER_HASH_KEY`,
    /// `TWILIO_AUTH_TOKEN`, `SMS_GATEWAY_SECRET`, and the optional `PUBLIC_BASE_URL`,
    /// `SMS_KEYWORD` (BDG), `SMS_RATE_LIMIT_PER_HOUR` (10),
    /// `SMS_REPLAY_WINDOW_SECONDS` (300), working-day settings, and X: `X_ACCOUNT_ID`
    /// (unset: off) with `X_CONSUMER_SECRET`, `X_BEARER_TOKEN`, `X_API_BASE`; and
    /// responders' acks and presses by SMS: `PANIC_TOPIC_ARN` (unset: off) and the
    /// rest of [`PagingConfig::load`], with `PANIC_INCIDENTS_PER_HOUR` (5); and
    /// WhatsApp ([`WhatsAppIntakeConfig::load`]; unset `WHATSAPP_PHONE_NUMBER_ID`: off)
    /// with `MEDIA_BUCKET` and the photo limits for its photos.
    pub fn load(settings: &Settings) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: settings.required("TABLE_NAME")?,
            intake_queue_url: settings.required("INTAKE_QUEUE_URL")?,
            notify_queue_url: settings.required("NOTIFY_QUEUE_URL")?,
            sender_hash_key: settings.required("SENDER_HASH_KEY")?.into(),
            twilio_auth_token: settings.required("TWILIO_AUTH_TOKEN")?.into(),
            gateway_secret: settings.required("SMS_GATEWAY_SECRET")?.into(),
            public_base_url: settings.optional("PUBLIC_BASE_URL"),
            keyword: settings
                .optional("SMS_KEYWORD")
                .unwrap_or_else(|| "BDG".into())
                .to_ascii_uppercase(),
            rate_limit_per_hour: settings.parsed_or("SMS_RATE_LIMIT_PER_HOUR", 10)?,
            replay_window_seconds: settings.parsed_or("SMS_REPLAY_WINDOW_SECONDS", 300)?,
            working_days: WorkingDays::load(settings)?,
            // X is on when the city's account id is set.
            x: match settings.optional("X_ACCOUNT_ID") {
                None => None,
                Some(account_id) => Some(XConfig {
                    consumer_secret: settings.required("X_CONSUMER_SECRET")?.into(),
                    bearer_token: settings.required("X_BEARER_TOKEN")?.into(),
                    api_base: settings
                        .optional("X_API_BASE")
                        .unwrap_or_else(|| "https://api.x.com".into()),
                    account_id,
                }),
            },
            paging: PagingConfig::load(settings)?,
            incidents_per_hour: settings.parsed_or("PANIC_INCIDENTS_PER_HOUR", 5)?,
            whatsapp: WhatsAppIntakeConfig::load(settings)?,
            media_bucket: settings.required("MEDIA_BUCKET")?,
            photo_limits: PhotoLimits::load(settings)?,
        })
    }
}

/// The webhook and sender keys, prepared at start-up.
pub(crate) struct Keys {
    /// Keyed hashes of senders' numbers and X accounts.
    pub(crate) sender: SenderKey,
    /// Twilio's signatures.
    pub(crate) twilio: TwilioKey,
    /// The generic gateway's signatures.
    pub(crate) gateway: HmacKey,
    /// X's CRC and signatures, when X is configured.
    pub(crate) x: Option<HmacKey>,
    /// WhatsApp's signatures and handshake token, when WhatsApp is configured.
    pub(crate) whatsapp: Option<WhatsAppKeys>,
}

/// What checks WhatsApp's webhook.
pub(crate) struct WhatsAppKeys {
    /// The app secret's MAC (`X-Hub-Signature-256`).
    pub(crate) app_secret: HmacKey,
    /// The handshake's token.
    pub(crate) verify_token: String,
}

/// Everything the handler needs, built once per process.
pub struct SmsIntake {
    keys: Keys,
    reports: Reports,
    intake: ReportIntake,
    inbound: InboundStore,
    senders: SenderStore,
    deliveries: DeliveryStore,
    x_client: Option<XClient>,
    whatsapp_client: Option<WhatsAppClient>,
    photos: Photos,
    desk: Option<IncidentDesk>,
    devices: DeviceStore,
    notify: JsonQueue,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    config: Config,
}

impl SmsIntake {
    /// Wires the stores and queues.
    pub fn new(
        config: &Config,
        clients: &AwsClients,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Result<Self, SetupError> {
        let table = &config.table_name;
        let notify = JsonQueue::new(clients.sqs.clone(), &config.notify_queue_url);
        let x_client = config
            .x
            .as_ref()
            .map(|x| XClient::new(&x.api_base, x.bearer_token.expose_secret()));
        let desk = config.paging.as_ref().map(|paging| {
            IncidentDesk::over(
                paging,
                clients,
                table,
                notify.clone(),
                clock.clone(),
                ids.clone(),
            )
            .with_press_trust(
                RateCounter::new(clients.dynamodb.clone(), table),
                config.incidents_per_hour,
            )
        });
        let keys = Keys {
            sender: SenderKey::new(config.sender_hash_key.expose_secret())?,
            twilio: TwilioKey::new(config.twilio_auth_token.expose_secret())?,
            gateway: HmacKey::new(
                "SMS_GATEWAY_SECRET",
                config.gateway_secret.expose_secret().as_bytes(),
            )?,
            x: config
                .x
                .as_ref()
                .map(|x| {
                    HmacKey::new(
                        "X_CONSUMER_SECRET",
                        x.consumer_secret.expose_secret().as_bytes(),
                    )
                })
                .transpose()?,
            whatsapp: config
                .whatsapp
                .as_ref()
                .map(|w| {
                    Ok::<_, KeyError>(WhatsAppKeys {
                        app_secret: HmacKey::new(
                            "WHATSAPP_APP_SECRET",
                            w.app_secret.expose_secret().as_bytes(),
                        )?,
                        verify_token: w.verify_token.expose_secret().to_string(),
                    })
                })
                .transpose()?,
        };
        Ok(Self {
            keys,
            deliveries: DeliveryStore::new(clients.dynamodb.clone(), table),
            x_client,
            whatsapp_client: config.whatsapp.as_ref().map(|w| w.api.client()),
            photos: Photos::new(
                PhotoBucket::from_clients(clients, &config.media_bucket),
                ids.clone(),
                config.photo_limits,
            ),
            desk,
            devices: DeviceStore::new(clients.dynamodb.clone(), table),
            reports: Reports::new(ReportsParts {
                store: ReportStore::new(clients.dynamodb.clone(), table),
                notify: notify.clone(),
                calendar: CalendarCache::new(
                    CalendarStore::new(clients.dynamodb.clone(), table),
                    HolidayData::bundled()?,
                ),
                catalog: CatalogCache::new(CatalogStore::new(clients.dynamodb.clone(), table)),
                working_days: config.working_days,
                clock: clock.clone(),
            }),
            intake: ReportIntake::new(
                JsonQueue::new(clients.sqs.clone(), &config.intake_queue_url),
                IdempotencyStore::new(clients.dynamodb.clone(), table),
                ids.clone(),
            ),
            inbound: InboundStore::new(clients.dynamodb.clone(), table),
            senders: SenderStore::new(clients.dynamodb.clone(), table),
            notify,
            clock,
            ids,
            config: config.clone(),
        })
    }

    /// Reads what every report needs (calendar, categories) into the caches: called
    /// at init, so the first SMS is as fast as a warm one.
    pub async fn warm_up(&self) {
        self.reports.warm_up().await;
    }
}

/// What failed while wiring the function (a deployment defect, caught at start-up).
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The bundled holiday calendar.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// A key the MAC refused.
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// The Lambda handler: always answers with a response, never panics on input.
pub async fn handle(
    app: &SmsIntake,
    request: Request,
) -> Result<Response<Body>, lambda_http::Error> {
    let result = match (
        request.method(),
        request.raw_http_path().trim_end_matches('/'),
    ) {
        (&Method::POST, "/sms/twilio") => twilio(app, &request).await,
        (&Method::POST, "/sms/gateway") => gateway(app, &request).await,
        (&Method::GET, "/social/x") => social::crc(app, &request),
        (&Method::POST, "/social/x") => social::events(app, &request).await,
        (&Method::GET, "/whatsapp") => whatsapp::handshake(app, &request),
        (&Method::POST, "/whatsapp") => whatsapp::notification(app, &request).await,
        (_, "/sms/twilio" | "/sms/gateway" | "/whatsapp") => Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Metode tidak diizinkan.",
        )),
        _ => Err(ApiError::not_found("Alamat tidak ditemukan.")),
    };
    Ok(result.unwrap_or_else(ApiError::into_response))
}

pub(crate) fn forbidden() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "invalid_signature",
        "Tanda tangan tidak valid.",
    )
}

pub(crate) fn bad_request(message: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_message", message)
}

pub(crate) fn header_str<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The URL the gateway called, as it saw it (API Gateway hands the function the
/// host and scheme in headers).
fn public_url(app: &SmsIntake, request: &Request) -> String {
    let base = app
        .config
        .public_base_url
        .clone()
        .unwrap_or_else(|| forwarded_base_url(request));
    let path = request.raw_http_path();
    match request.uri().query() {
        Some(query) if !query.is_empty() => format!("{}{path}?{query}", base.trim_end_matches('/')),
        _ => format!("{}{path}", base.trim_end_matches('/')),
    }
}

async fn twilio(app: &SmsIntake, request: &Request) -> Result<Response<Body>, ApiError> {
    let body = body_bytes(request, MAX_BODY_BYTES)?;
    let params: Vec<(String, String)> = form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let signature = header_str(request, "x-twilio-signature").unwrap_or_default();
    if signature.is_empty()
        || !verify_twilio(
            &app.keys.twilio,
            &public_url(app, request),
            &params,
            signature,
        )
    {
        warn!("twilio webhook with a missing or bad signature refused");
        return Err(forbidden());
    }
    let field = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let (Some(sid), Some(from)) = (field("MessageSid"), field("From")) else {
        return Err(bad_request("MessageSid dan From wajib ada."));
    };
    receive(
        app,
        "twilio",
        sid,
        from,
        field("Body").unwrap_or_default(),
        None,
    )
    .await?;
    Ok(text_response(StatusCode::OK, "text/xml", EMPTY_TWIML))
}

/// The generic gateway's message.
#[derive(Debug, Deserialize)]
struct GatewayMessage {
    message_id: String,
    from: String,
    text: String,
}

async fn gateway(app: &SmsIntake, request: &Request) -> Result<Response<Body>, ApiError> {
    let body = body_bytes(request, MAX_BODY_BYTES)?;
    let verified = verify_gateway(
        &app.keys.gateway,
        header_str(request, "x-sigap-timestamp"),
        header_str(request, "x-sigap-signature"),
        body,
        app.clock.now().as_second(),
        app.config.replay_window_seconds,
    );
    if let Err(why) = verified {
        warn!(reason = %why, "gateway webhook refused");
        return Err(forbidden());
    }
    let message: GatewayMessage = serde_json::from_slice(json_bytes(request, MAX_BODY_BYTES)?)
        .map_err(|_| bad_request("Format pesan tidak dikenal: message_id, from, text."))?;
    if message.message_id.trim().is_empty() || message.message_id.len() > 128 {
        return Err(bad_request(
            "message_id wajib diisi (maksimal 128 karakter).",
        ));
    }
    receive(
        app,
        "gateway",
        &message.message_id,
        &message.from,
        &message.text,
        None,
    )
    .await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "status": "accepted" }),
    ))
}

/// Records, limits and carries out one inbound message (`command`, or what its text
/// says); returns once its effects are committed and its replies are on the notify
/// queue.
pub(crate) async fn receive(
    app: &SmsIntake,
    gateway: &str,
    message_id: &str,
    from: &str,
    text: &str,
    command: Option<SmsCommand>,
) -> Result<(), ApiError> {
    let Ok(from) = PhoneNumber::parse(from) else {
        // Not an Indonesian mobile number: nobody to answer through 1708.
        info!(
            gateway,
            "message from a number that is not Indonesian ignored"
        );
        return Ok(());
    };
    let now = app.clock.now();
    let message = InboundMessage {
        gateway: gateway.into(),
        message_id: message_id.trim().into(),
        from,
        // Characters no screen, SMS or Open311 document may carry are dropped here:
        // an SMS cannot be sent back for correction.
        text: keep_allowed(text),
        received_at: now,
    };
    let reserved = app
        .ids
        .tracking_id()
        .map_err(|e| ApiError::unavailable_because("drawing tracking id", e))?;
    let stored = match app.inbound.record(&message, &reserved).await {
        Ok(Recorded::New(stored)) => stored,
        Ok(Recorded::Seen(stored)) if stored.done => {
            info!(
                gateway,
                "gateway retry of a handled message: replies re-sent only"
            );
            // A photo that made a report is put after the report's commit: a retry
            // finishes it (the same photo id, so never twice).
            if let (Some(SmsCommand::Photo { media_id, .. }), Some(id)) = (
                &command,
                stored
                    .report_id
                    .as_deref()
                    .and_then(|id| TrackingId::parse(id).ok()),
            ) {
                attach_photo(app, &stored, &id, media_id, app.clock.now())
                    .await
                    .map_err(|e| ApiError::unavailable_because("adding whatsapp photo", e))?;
            }
            return send_replies(app, &stored.key, &stored.replies).await;
        }
        // An earlier attempt stopped half-way: nothing was committed, finish it now.
        Ok(Recorded::Seen(stored)) => stored,
        Err(err) => {
            return Err(ApiError::unavailable_because(
                "recording inbound message",
                err,
            ));
        }
    };
    let sender = app.keys.sender.phone(&stored.from);
    let command = command.unwrap_or_else(|| parse_command(&message.text, &app.config.keyword));
    // A press by SMS is never screened out: a number blocked for junk reports, or
    // over its hourly count, may still be in danger (repeats join one incident, and
    // an admin can block the device itself).
    let screened = match command {
        SmsCommand::Panic(_) => Ok(None),
        _ => screen(app, &stored, &sender, now).await,
    };
    let outcome = match screened {
        Ok(Some(replies)) => finish(app, &stored, replies, None).await,
        Ok(None) => carry_out(app, &stored, &sender, command, now).await,
        Err(err) => Err(err.into()),
    };
    let replies = match outcome {
        // What was committed with "handled" is what is owed: no need to read it back.
        Ok(replies) => replies,
        // Another attempt (a gateway retry in parallel) or another writer won: if
        // the message is handled now, only its replies remain; otherwise say so.
        Err(ServiceError::Store(StoreError::Conflict | StoreError::AlreadyExists)) => {
            let current = handled_message(app, &stored.key).await?;
            if current.done {
                current.replies
            } else {
                match finish(app, &stored, say(&stored, &replies::try_again()), None).await {
                    Ok(replies) => replies,
                    Err(ServiceError::Store(StoreError::Conflict)) => {
                        handled_message(app, &stored.key).await?.replies
                    }
                    Err(err) => {
                        return Err(ApiError::unavailable_because(
                            "marking inbound message",
                            err,
                        ));
                    }
                }
            }
        }
        Err(err) => {
            return Err(ApiError::unavailable_because(
                "handling inbound message",
                err,
            ));
        }
    };
    send_replies(app, &stored.key, &replies).await
}

/// The message as stored now (after a lost race).
async fn handled_message(app: &SmsIntake, key: &str) -> Result<StoredInbound, ApiError> {
    app.inbound
        .get(key)
        .await
        .map_err(|e| ApiError::unavailable_because("re-reading inbound message", e))?
        .ok_or_else(|| ApiError::unavailable_because("re-reading inbound message", "vanished"))
}

/// Blocked or over the limit: the replies to send instead of acting (`None`: act).
async fn screen(
    app: &SmsIntake,
    stored: &StoredInbound,
    sender: &str,
    now: Timestamp,
) -> Result<Option<Vec<String>>, StoreError> {
    let screened = app.senders.screen(sender, now).await?;
    if let Some(block) = screened.blocked {
        info!(sender = %block.masked, "message from a blocked sender dropped");
        return Ok(Some(Vec::new()));
    }
    let count = screened.count;
    let limit = app.config.rate_limit_per_hour;
    if count > limit {
        info!(to = %stored.from.masked(), count, "sender over the hourly limit");
        // Told once, at the first message over the limit; then silence.
        let replies = if count == limit + 1 {
            say(stored, &replies::rate_limited())
        } else {
            Vec::new()
        };
        return Ok(Some(replies));
    }
    Ok(None)
}

/// Marks the message handled with `replies` (when it changed nothing else); the
/// replies owed.
async fn finish(
    app: &SmsIntake,
    stored: &StoredInbound,
    replies: Vec<String>,
    report_id: Option<&str>,
) -> Result<Vec<String>, ServiceError> {
    app.inbound.mark_done(stored, &replies, report_id).await?;
    Ok(replies)
}

/// Marks the message handled with one answer (`text`, cut for SMS), when it changed
/// nothing else; the replies owed.
async fn tell(
    app: &SmsIntake,
    stored: &StoredInbound,
    text: &str,
) -> Result<Vec<String>, ServiceError> {
    finish(app, stored, say(stored, text), None).await
}

/// Puts the replies owed on the notify queue (again, for a gateway retry: notify
/// keeps a delivery record per part, so nobody is texted twice).
async fn send_replies(app: &SmsIntake, key: &str, replies: &[String]) -> Result<(), ApiError> {
    if replies.is_empty() {
        return Ok(());
    }
    let job = NotifyJob::Reply(SmsReplyJob {
        sms_reply: key.to_string(),
    });
    // If this fails the gateway gets a 503 and retries, which lands here again.
    app.notify
        .send(&job)
        .await
        .map_err(|e| ApiError::unavailable_because("enqueueing sms reply", e))
}

/// The parts of one answer to `stored`: SMS-sized parts for a text message, one
/// message on WhatsApp (which carries 4,096 characters and any alphabet).
pub(crate) fn say(stored: &StoredInbound, text: &str) -> Vec<String> {
    if stored.gateway == whatsapp::GATEWAY {
        vec![text.to_string()]
    } else {
        split_sms(text)
    }
}

async fn carry_out(
    app: &SmsIntake,
    stored: &StoredInbound,
    sender: &str,
    command: SmsCommand,
    now: Timestamp,
) -> Result<Vec<String>, ServiceError> {
    let keyword = &app.config.keyword;
    match command {
        SmsCommand::Help => tell(app, stored, &help_text(keyword)).await,
        SmsCommand::OptOut => {
            info!(to = %stored.from.masked(), "opt-out word: left to the gateway, no reply");
            finish(app, stored, Vec::new(), None).await
        }
        SmsCommand::Malformed(hint) => {
            let hint = format!("LAPOR! Bandung: {hint}");
            tell(app, stored, &hint).await
        }
        SmsCommand::NewReport(text) => {
            new_report(app, stored, sender, &text, SMS_CATEGORY, Vec::new()).await
        }
        SmsCommand::Status(id) => status(app, stored, sender, &id).await,
        SmsCommand::Reply(id, text) => reply(app, stored, sender, &id, &text).await,
        SmsCommand::Accept(id) => {
            citizen_change(app, stored, sender, &id, Vec::new(), Command::Accept).await
        }
        SmsCommand::Dispute(id, reason) => {
            let said = say(stored, &replies::dispute_received(id.as_str()));
            citizen_change(app, stored, sender, &id, said, Command::Dispute { reason }).await
        }
        SmsCommand::Acknowledge(code) => acknowledge(app, stored, sender, &code, now).await,
        SmsCommand::Panic(kind) => panic_press(app, stored, sender, kind, now).await,
        SmsCommand::SharePoint(Ok(point)) => match open_reports(app, sender).await?.first() {
            // The newest open report: the one the citizen is most likely talking about.
            Some(newest) => {
                let id = newest.id.clone();
                let said = say(stored, &replies::point_set(id.as_str()));
                citizen_change(app, stored, sender, &id, said, Command::SharePoint(point)).await
            }
            None => {
                let hint = replies::point_without_report(keyword);
                tell(app, stored, &hint).await
            }
        },
        SmsCommand::SharePoint(Err(_)) => tell(app, stored, &replies::point_outside()).await,
        SmsCommand::Photo { media_id, caption } => {
            photo(app, stored, sender, &media_id, caption.as_deref(), now).await
        }
        SmsCommand::Unreadable => tell(app, stored, &replies::unreadable(keyword)).await,
        SmsCommand::FreeText(text) => {
            let whatsapp = stored.gateway == whatsapp::GATEWAY;
            // A tap asked for this text: a guided start's report, a dispute's reason.
            if whatsapp && let Some(key) = app.senders.awaiting(sender, now).await? {
                let awaited = app.senders.awaited_write(sender, &key)?;
                match Awaiting::parse(&key) {
                    Some(Awaiting::Report { category }) => {
                        let settled = vec![awaited];
                        return new_report(app, stored, sender, &text, &category, settled).await;
                    }
                    Some(Awaiting::DisputeReason { report }) => {
                        if let Ok(id) = TrackingId::parse(&report) {
                            let said = say(stored, &replies::dispute_received(id.as_str()));
                            let reason = Command::Dispute { reason: text };
                            let settled = vec![awaited];
                            return citizen_change_settling(
                                app, stored, sender, &id, said, reason, settled,
                            )
                            .await;
                        }
                    }
                    None => {}
                }
            }
            let open = open_reports(app, sender).await?;
            match open.as_slice() {
                // One conversation open: the text belongs to it.
                [only] => reply(app, stored, sender, &only.id.clone(), &text).await,
                // On WhatsApp, someone with nothing open is welcomed with the menu.
                [] if whatsapp => {
                    let choices = vec![
                        (
                            Menu::Start.choice_id(),
                            "Buat laporan".into(),
                            String::new(),
                        ),
                        ("BANTUAN".into(), "Bantuan".into(), String::new()),
                    ];
                    let welcome = say(stored, &replies::welcome(keyword));
                    offer(app, stored, welcome, choices, Vec::new()).await
                }
                _ => tell(app, stored, &replies::format_hint(keyword)).await,
            }
        }
        SmsCommand::Menu(menu) => menu_step(app, stored, sender, menu, now).await,
    }
}

/// `1 <code>` from a registered responder's phone: they own the incident; the
/// change and "message handled" are one transaction, the stand-downs follow.
async fn acknowledge(
    app: &SmsIntake,
    stored: &StoredInbound,
    sender: &str,
    code: &str,
    now: Timestamp,
) -> Result<Vec<String>, ServiceError> {
    let answer = |text: String| say(stored, &format!("SIGAP: {text}"));
    let Some(pager) = app.desk.as_ref().map(IncidentDesk::pager) else {
        return tell(app, stored, &replies::format_hint(&app.config.keyword)).await;
    };
    let Some(unit) = pager.incidents().responder_unit(sender).await? else {
        info!(to = %stored.from.masked(), "incident ack from a number that is no responder's");
        return finish(
            app,
            stored,
            answer("Nomor ini tidak terdaftar sebagai petugas.".into()),
            None,
        )
        .await;
    };
    let Some(current) = pager.incidents().get(code).await? else {
        return finish(
            app,
            stored,
            answer(format!("Kejadian {code} tidak ditemukan.")),
            None,
        )
        .await;
    };
    let token = app.ids.secret_token()?;
    let taking = IncidentAction::Acknowledge {
        unit: unit.clone(),
        via: "lewat SMS".into(),
    };
    let change = match taking.decide(&current, &format!("responder:{unit}"), now, token) {
        Ok(Some(change)) => change,
        Ok(None) => {
            return finish(
                app,
                stored,
                answer(format!("{code} sudah Anda tangani.")),
                None,
            )
            .await;
        }
        Err(_) => {
            let who = current
                .owner
                .clone()
                .unwrap_or_else(|| "petugas lain".into());
            let text = format!("{code} tidak bisa diambil: sudah ditangani {who} atau ditutup.");
            return finish(app, stored, answer(text), None).await;
        }
    };
    let replies = answer(format!(
        "{code} tercatat Anda tangani ({unit}). Selesaikan lewat aplikasi petugas."
    ));
    let done = app.inbound.done_write(stored, &replies, None)?;
    pager.commit_with(&current, change, vec![done], now).await?;
    info!(incident = code, unit = %unit, "incident acknowledged by SMS");
    Ok(replies)
}

/// `DARURAT [jenis]` from the number a Panic Button device registered with: a press
/// without mobile data, on the same paging path as the app's (deduplicated with its
/// presses by the device's claim), at the device's last known position, said as
/// such. The message is marked handled in the press's own transaction, so a gateway
/// retry never presses twice. Any other number is told how to register, and nothing
/// else happens.
async fn panic_press(
    app: &SmsIntake,
    stored: &StoredInbound,
    sender: &str,
    kind: Option<IncidentKind>,
    now: Timestamp,
) -> Result<Vec<String>, ServiceError> {
    let unregistered = || say(stored, &replies::panic_unregistered());
    let Some(desk) = &app.desk else {
        return finish(app, stored, unregistered(), None).await;
    };
    let device = match app.devices.by_phone(sender).await? {
        Some(id) => app.devices.get(&id).await?.filter(|d| d.active),
        None => None,
    };
    let Some(device) = device else {
        info!(to = %stored.from.masked(), "panic keyword from a number no device registered");
        return finish(app, stored, unregistered(), None).await;
    };
    // The last position the app sent, aged to now: a stale one is flagged as such.
    let fix = device.last_fix.map(|fix| {
        let since = device
            .last_fix_at
            .map_or(0, |at| now.duration_since(at).as_secs().max(0));
        Fix {
            fix_age_s: Some(
                u32::try_from(since)
                    .unwrap_or(u32::MAX)
                    .saturating_add(fix.fix_age_s.unwrap_or(0)),
            ),
            ..fix
        }
    });
    let replies = say(stored, &replies::panic_received());
    let done = app.inbound.done_write(stored, &replies, None)?;
    let press = Press {
        device: device.id.clone(),
        kind: kind.unwrap_or(IncidentKind::Other),
        fix,
        via: PressVia::Sms {
            last_fix_at: device.last_fix_at,
        },
    };
    match desk.press(press, vec![done]).await {
        Ok(pressed) => {
            info!(device = %device.id, ?pressed, "panic press by SMS");
            Ok(replies)
        }
        Err(refused) if refused.code == "device_blocked" => {
            tell(app, stored, &replies::panic_blocked()).await
        }
        Err(refused) if refused.code == "device_inactive" => {
            finish(app, stored, unregistered(), None).await
        }
        // The gateway is answered 503 and sends it again: a press is never dropped.
        Err(failed) => Err(ServiceError::Paging(failed.message)),
    }
}

/// A WhatsApp photo: evidence on the report its caption makes (`BDG …`), or on the
/// sender's newest open report with its caption as a reply. Downloaded first, so a
/// failed download writes nothing (Meta retries the message).
async fn photo(
    app: &SmsIntake,
    stored: &StoredInbound,
    sender: &str,
    media_id: &str,
    caption: Option<&str>,
    now: Timestamp,
) -> Result<Vec<String>, ServiceError> {
    let keyword = &app.config.keyword;
    let target = match caption.map(|c| parse_command(&keep_allowed(c), keyword)) {
        Some(SmsCommand::NewReport(text)) => PhotoFor::NewReport(text),
        _ => match open_reports(app, sender).await?.into_iter().next() {
            Some(newest) => PhotoFor::Open(Box::new(newest)),
            None => return tell(app, stored, &replies::photo_without_report(keyword)).await,
        },
    };
    let original = match download(app, media_id).await? {
        Ok(original) => original,
        Err(answer) => return tell(app, stored, &answer).await,
    };
    let report = match target {
        PhotoFor::NewReport(text) => {
            let replies = new_report(app, stored, sender, &text, SMS_CATEGORY, Vec::new()).await?;
            // No replies: the report was made (its receipt follows triage).
            if replies.is_empty()
                && let Some(report) = app.reports.store().get(&stored.reserved_id).await?
            {
                put_photo(app, stored, &report, original, now).await?;
            }
            return Ok(replies);
        }
        PhotoFor::Open(report) => report,
    };
    let id = report.id.clone();
    if let Some(refused) = put_photo(app, stored, &report, original, now).await? {
        return finish(app, stored, say(stored, &refused), Some(id.as_str())).await;
    }
    let said = say(stored, &replies::photo_received(id.as_str()));
    match caption.map(str::trim).filter(|c| !c.is_empty()) {
        Some(caption) => {
            let command = Command::Answer {
                text: keep_allowed(caption),
            };
            citizen_change(app, stored, sender, &id, said, command).await
        }
        None => finish(app, stored, said, Some(id.as_str())).await,
    }
}

/// Which report a WhatsApp photo is evidence for.
enum PhotoFor {
    /// The one its caption (`BDG …`) makes.
    NewReport(String),
    /// The sender's newest open one.
    Open(Box<Report>),
}

/// The photo's bytes and type, or what to tell the citizen when Meta will not give
/// them (too large, gone); a failed call is an error (Meta retries).
async fn download(
    app: &SmsIntake,
    media_id: &str,
) -> Result<Result<ArrivedPhoto, String>, ServiceError> {
    let Some(client) = &app.whatsapp_client else {
        return Ok(Err(replies::unreadable(&app.config.keyword)));
    };
    match client.media(media_id, MAX_IMAGE_BYTES).await {
        Ok(media) => Ok(Ok(ArrivedPhoto {
            bytes: media.bytes.to_vec(),
            content_type: media.mime_type,
        })),
        Err(MediaError::TooLarge | MediaError::Refused(_)) => Ok(Err(replies::photo_unavailable())),
        Err(MediaError::Failed(err)) => Err(err.into()),
    }
}

/// Puts the photo on report `id` (once: its id comes from the message); the
/// citizen's answer when the report takes no more photos.
async fn put_photo(
    app: &SmsIntake,
    stored: &StoredInbound,
    report: &Report,
    original: ArrivedPhoto,
    now: Timestamp,
) -> Result<Option<String>, ServiceError> {
    let id = &report.id;
    let photo_id = PhotoId::for_message(&stored.key);
    let received = app
        .photos
        .receive(
            &app.reports,
            report,
            &photo_id,
            original,
            &Actor::Citizen,
            now,
        )
        .await;
    match received {
        Ok(()) => {
            info!(report_id = %id, photo = photo_id.as_str(), "whatsapp photo added");
            Ok(None)
        }
        Err(ApplyError::Conflict) => Err(StoreError::Conflict.into()),
        Err(ApplyError::Store(err)) => Err(err.into()),
        Err(ApplyError::Refused(WorkflowError::Invalid(hint))) => {
            Ok(Some(format!("LAPOR! Bandung {id}: {hint}.")))
        }
        Err(ApplyError::Refused(_) | ApplyError::Forbidden) => {
            Ok(Some(replies::not_now(id.as_str(), report.status.label())))
        }
    }
}

/// Puts the photo of a handled message again (Meta's retry) while it is still
/// pending on the report: the same photo id, so nothing is added twice, and nothing
/// is downloaded again once `media` has taken it.
async fn attach_photo(
    app: &SmsIntake,
    stored: &StoredInbound,
    id: &TrackingId,
    media_id: &str,
    now: Timestamp,
) -> Result<(), ServiceError> {
    let Some(report) = app.reports.store().get(id).await? else {
        return Ok(());
    };
    let photo_id = PhotoId::for_message(&stored.key);
    let taken = report
        .photo(&photo_id)
        .is_some_and(|p| !matches!(p.state, PhotoState::Pending));
    if !taken && let Ok(original) = download(app, media_id).await? {
        put_photo(app, stored, &report, original, now).await?;
    }
    Ok(())
}

/// How long a tap that asks for a text waits for it (a guided start's report, a
/// dispute's reason).
const AWAITED_TEXT_WAITS: jiff::SignedDuration = jiff::SignedDuration::from_mins(30);

/// Marks the message handled with `replies`, the last one offering `choices` (on
/// WhatsApp: buttons, or a list), together with the `settled` writes.
async fn offer(
    app: &SmsIntake,
    stored: &StoredInbound,
    replies: Vec<String>,
    choices: Vec<(String, String, String)>,
    settled: Vec<TableWrite>,
) -> Result<Vec<String>, ServiceError> {
    let done = app
        .inbound
        .done_offering(stored, &replies, &choices, None)?;
    app.inbound
        .commit(std::iter::once(done).chain(settled).collect())
        .await?;
    Ok(replies)
}

/// A step of WhatsApp's guided start, from the catalog as it is now: the groups,
/// a group's categories, then the wait for the report's text in that category.
async fn menu_step(
    app: &SmsIntake,
    stored: &StoredInbound,
    sender: &str,
    menu: Menu,
    now: Timestamp,
) -> Result<Vec<String>, ServiceError> {
    let categories = app.reports.catalog().categories().await?;
    let gone = || say(stored, &replies::menu_gone(&app.config.keyword));
    let category = match menu {
        Menu::Start => {
            let mut groups: Vec<&str> = Vec::new();
            for c in categories.iter() {
                if !groups.contains(&c.group.as_str()) {
                    groups.push(&c.group);
                }
            }
            let choices = groups
                .into_iter()
                .take(MAX_LIST_ROWS)
                .map(|g| (Menu::Group(g.into()).choice_id(), g.into(), String::new()))
                .collect();
            let text = say(stored, &replies::choose_group());
            return offer(app, stored, text, choices, Vec::new()).await;
        }
        Menu::Group(group) => {
            let in_group: Vec<_> = categories.iter().filter(|c| c.group == group).collect();
            match in_group.as_slice() {
                [] => return finish(app, stored, gone(), None).await,
                [only] => (*only).clone(),
                several => {
                    let choices = several
                        .iter()
                        .take(MAX_LIST_ROWS)
                        .map(|c| {
                            // A long name is cut in the row's title: whole below it.
                            let cut = c.name.chars().count() > MAX_ROW_TITLE;
                            let description = if cut { c.name.clone() } else { String::new() };
                            (
                                Menu::Category(c.code.clone()).choice_id(),
                                c.name.clone(),
                                description,
                            )
                        })
                        .collect();
                    let text = say(stored, &replies::choose_category(&group));
                    return offer(app, stored, text, choices, Vec::new()).await;
                }
            }
        }
        Menu::Category(code) => match categories.iter().find(|c| c.code == code) {
            Some(category) => category.clone(),
            None => return finish(app, stored, gone(), None).await,
        },
        Menu::Dispute(report) => {
            let Ok(id) = TrackingId::parse(&report) else {
                return finish(app, stored, gone(), None).await;
            };
            let awaited = Awaiting::DisputeReason {
                report: id.to_string(),
            };
            let until = now.checked_add(AWAITED_TEXT_WAITS).unwrap_or(now);
            let awaiting = app
                .senders
                .awaiting_write(sender, &awaited.as_key(), until)?;
            let text = say(stored, &replies::write_dispute_reason(id.as_str()));
            return offer(app, stored, text, Vec::new(), vec![awaiting]).await;
        }
    };
    let until = now.checked_add(AWAITED_TEXT_WAITS).unwrap_or(now);
    let awaited = Awaiting::Report {
        category: category.code.clone(),
    };
    let awaiting = app
        .senders
        .awaiting_write(sender, &awaited.as_key(), until)?;
    let text = say(stored, &replies::write_report(&category.name));
    offer(app, stored, text, Vec::new(), vec![awaiting]).await
}

/// The sender's reports still open, newest first.
pub(crate) async fn open_reports(app: &SmsIntake, sender: &str) -> Result<Vec<Report>, StoreError> {
    let mut open = Vec::new();
    for id in app.reports.store().by_sender(sender, THREAD_SCAN).await? {
        if let Some(report) = app.reports.store().get(&id).await?
            && !report.status.is_final()
        {
            open.push(report);
        }
    }
    Ok(open)
}

/// A new report from `text`, in `category`, committed with the message marked
/// handled and the `settled` writes (the end of a guided start).
async fn new_report(
    app: &SmsIntake,
    stored: &StoredInbound,
    sender: &str,
    text: &str,
    category: &str,
    settled: Vec<TableWrite>,
) -> Result<Vec<String>, ServiceError> {
    let text = text.trim();
    if text.chars().count() < MIN_REPORT_CHARS {
        let hint = say(stored, &replies::too_short(&app.config.keyword));
        return finish(app, stored, hint, None).await;
    }
    let id = stored.reserved_id.clone();
    let contact = ReporterContact {
        phone: Some(stored.from.clone()),
        ..ReporterContact::default()
    };
    let submission = ReportSubmission::from_text(text, category, contact);
    let channel = if stored.gateway == whatsapp::GATEWAY {
        Channel::WhatsApp
    } else {
        Channel::Sms
    };
    // No reply here: the receipt SMS (with the tracking id and deadline) follows
    // triage, as for every channel.
    let handled = app.inbound.done_write(stored, &[], Some(id.as_str()))?;
    app.intake
        .submit(
            &app.reports,
            &text_report(&submission, channel, sender),
            Once::Marked {
                id: id.clone(),
                handled: std::iter::once(handled).chain(settled).collect(),
            },
        )
        .await?;
    info!(report_id = %id, channel = channel.as_str(), "report received by text message");
    Ok(Vec::new())
}

/// A report from a text message or a post: the citizen proves who they are by their
/// number or account (`sender`); its token is drawn but never given out.
pub(crate) fn text_report<'a>(
    submission: &'a ReportSubmission,
    channel: Channel,
    sender: &str,
) -> NewReport<'a> {
    NewReport {
        submission,
        channel,
        actor: Actor::Citizen,
        sender: Some(sender.to_string()),
    }
}

/// `INFO`: what anyone may see of a report (the public view), by SMS.
async fn status(
    app: &SmsIntake,
    stored: &StoredInbound,
    sender: &str,
    id: &TrackingId,
) -> Result<Vec<String>, ServiceError> {
    let report = app.reports.store().get(id).await?;
    let Some(report) = report.filter(|r| r.is_public() || r.sender.as_deref() == Some(sender))
    else {
        return tell(app, stored, &replies::not_found(id.as_str())).await;
    };
    let due = report.clock.map(|c| {
        let d = c.due_at.to_zoned(wib()).date();
        format!("{:02}/{:02}/{}", d.day(), d.month(), d.year())
    });
    // The public's view, masked once; the reporter sees their own confidential one.
    let follow_up = PublicReport::masked(&report).latest_follow_up();
    let text = status_text(
        id.as_str(),
        report.status.label(),
        due.as_deref(),
        follow_up.as_deref(),
    );
    finish(app, stored, say(stored, &text), Some(id.as_str())).await
}

/// `BALAS` (or free text in a single conversation): the information an admin asked
/// for, or a reply.
async fn reply(
    app: &SmsIntake,
    stored: &StoredInbound,
    sender: &str,
    id: &TrackingId,
    text: &str,
) -> Result<Vec<String>, ServiceError> {
    let said = say(stored, &replies::reply_received(id.as_str()));
    let command = Command::Answer {
        text: text.to_string(),
    };
    citizen_change(app, stored, sender, id, said, command).await
}

/// A change the reporter asked for by SMS, proven by their number, committed with
/// the message marked handled (`said` are the replies).
async fn citizen_change(
    app: &SmsIntake,
    stored: &StoredInbound,
    sender: &str,
    id: &TrackingId,
    said: Vec<String>,
    command: Command,
) -> Result<Vec<String>, ServiceError> {
    citizen_change_settling(app, stored, sender, id, said, command, Vec::new()).await
}

/// [`citizen_change`] with the `settled` writes in its transaction (the end of a
/// wait for this text).
async fn citizen_change_settling(
    app: &SmsIntake,
    stored: &StoredInbound,
    sender: &str,
    id: &TrackingId,
    said: Vec<String>,
    command: Command,
    settled: Vec<TableWrite>,
) -> Result<Vec<String>, ServiceError> {
    let Some(report) = app.reports.store().get(id).await? else {
        let answer = say(stored, &replies::not_found(id.as_str()));
        return finish(app, stored, answer, None).await;
    };
    if report.sender.as_deref() != Some(sender) {
        let answer = if report.is_public() {
            replies::not_yours(id.as_str())
        } else {
            replies::not_found(id.as_str())
        };
        return tell(app, stored, &answer).await;
    }
    let handled = app.inbound.done_write(stored, &said, Some(id.as_str()))?;
    let answer = match app
        .reports
        .apply(
            &report,
            &command,
            &Asking::Citizen,
            std::iter::once(handled).chain(settled).collect(),
        )
        .await
    {
        Ok(change) => {
            info!(report_id = %id, action = ?change.event.action, channel = "sms", "citizen action by sms");
            return Ok(said);
        }
        Err(ApplyError::Conflict) => return Err(StoreError::Conflict.into()),
        Err(ApplyError::Store(err)) => return Err(err.into()),
        Err(ApplyError::Refused(WorkflowError::Invalid(hint))) => {
            format!("LAPOR! Bandung {id}: {hint}.")
        }
        Err(ApplyError::Refused(_) | ApplyError::Forbidden) => {
            replies::not_now(id.as_str(), report.status.label())
        }
    };
    finish(app, stored, say(stored, &answer), Some(id.as_str())).await
}

impl Function for SmsIntake {
    const NAME: &'static str = "sms-intake";

    fn build(settings: &Settings, deps: &Dependencies) -> Result<Self, StartError> {
        let config = Config::load(settings)?;
        Self::new(&config, &deps.clients, deps.clock.clone(), deps.ids.clone())
            .map_err(|e| StartError::setup("sms-intake", e))
    }

    fn warm_up(&self) -> impl std::future::Future<Output = ()> + Send {
        SmsIntake::warm_up(self)
    }
}

impl HttpFunction for SmsIntake {
    fn handle(
        &self,
        request: lambda_http::Request,
    ) -> impl std::future::Future<
        Output = Result<lambda_http::Response<lambda_http::Body>, lambda_http::Error>,
    > + Send {
        handle(self, request)
    }
}
