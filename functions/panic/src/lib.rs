//! `panic`: the Panic Button and Call Center 112 over HTTP.
//!
//! Citizens' devices (public routes, every call after registration signed with the
//! device secret over `<timestamp>.<body>`):
//! - `POST /panic/devices` `{"phone"}`: sends a one-time code by SMS.
//! - `POST /panic/devices/{id}/verify` `{"code"}`: returns the device secret.
//! - `PUT /panic/devices/{id}/settings` `{"cancel_pin","duress_pin","contacts"}`.
//! - `POST /panic/press` `{"kind","lat","lon","accuracy_m","fix_age_s"}` (all
//!   optional: a press without a location, or with an unknown kind, still pages).
//! - `POST /panic/incidents/{id}/cancel` `{"pin"}`.
//! - `POST /panic/incidents/{id}/position` `{"lat","lon","accuracy_m","fix_age_s"}`:
//!   the phone's position while the emergency lasts (at most one every 15 s).
//!
//! The caller's location link (texted by an operator): `GET /l/{token}` a tiny page
//! that asks the phone for its position, `POST` sends it, once. See [`location`].
//!
//! Responders' tap-to-own links in pages: `GET /a/{id}/{token}` shows a confirm
//! button (a link preview must not take an incident), `POST` takes it. See [`link`].
//!
//! Staff (JWT): `operator` records 112 calls and updates and resolves incidents;
//! `responder:<unit>` acknowledges and resolves; admins block devices; supervisors
//! and admins read. See [`staff`].
//!
//! A press is stored (one transaction: incident, timeline, the device's claim that
//! folds repeat presses into it) and then paged (one SNS publish) before the device
//! gets its answer: two sequential AWS calls to the first page.

mod device;
mod link;
mod location;
mod staff;

use sigap::runtime::function::{Dependencies, Function, HttpFunction, StartError};
use std::sync::Arc;

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use secrecy::{ExposeSecret, SecretString};
use sigap::adapters::devices::DeviceStore;
use sigap::adapters::incidents::IncidentStore;
use sigap::adapters::queue::JsonQueue;
use sigap::adapters::rates::RateCounter;
use sigap::adapters::sms::SmsSender;
use sigap::domain::contact::SenderKey;
use sigap::domain::device::DeviceKey;
use sigap::domain::limits::Limit;
use sigap::domain::signature::KeyError;
use sigap::http::{ApiError, Edge};
use sigap::runtime::aws::AwsClients;
use sigap::runtime::clock::Clock;
use sigap::runtime::config::{ConfigError, Settings};
use sigap::runtime::ids::IdGenerator;
use sigap::service::incidents::IncidentDesk;
use sigap::service::paging::{AckLinks, PagingConfig};
use sigap::service::texting::{SmsLimits, Texting};

/// Settings `panic` reads from its environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// The single table.
    pub table_name: String,
    /// The panic topic, the escalation queue and the ack links in pages.
    pub paging: PagingConfig,
    /// The notify queue (emergency contacts).
    pub notify_queue_url: String,
    /// Secret key deriving device secrets and keying code and PIN hashes.
    pub device_key: SecretString,
    /// Secret key for phone-number hashes (shared with sms-intake).
    pub sender_hash_key: SecretString,
    /// How old a signed device request may be, in seconds.
    pub replay_window_seconds: i64,
    /// One-time codes one number may request per hour.
    pub codes_per_number: Limit,
    /// Device registrations one client address may start per hour.
    pub registrations_per_client: Limit,
    /// The SMS limits one-time codes are sent within.
    pub sms_limits: SmsLimits,
    /// Incidents one device may open per hour before they are marked low-trust.
    pub incidents_per_hour: u64,
    /// The edge secret, when the API sits behind the CloudFront distribution.
    pub edge: Option<Edge>,
}

impl Config {
    /// Reads `TABLE_NAME`, `PANIC_TOPIC_ARN`, `ESCALATION_QUEUE_URL`,
    /// `NOTIFY_QUEUE_URL`, `DEVICE_KEY`, `SENDER_HASH_KEY`, and the optional
    /// `PANIC_REPLAY_WINDOW_SECONDS` (60), `PANIC_CODES_PER_HOUR` (3),
    /// `PANIC_INCIDENTS_PER_HOUR` (5), `DEVICE_REGISTRATIONS_PER_CLIENT_PER_HOUR`
    /// (30), the SMS limits, `PUBLIC_BASE_URL` for ack links and the optional
    /// `EDGE_SECRET`.
    pub fn load(settings: &Settings) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: settings.required("TABLE_NAME")?,
            // Required here: paging is what this function is for.
            paging: PagingConfig {
                panic_topic_arn: settings.required("PANIC_TOPIC_ARN")?,
                escalation_queue_url: settings.required("ESCALATION_QUEUE_URL")?,
                ack_links: AckLinks::load(settings)?,
            },
            notify_queue_url: settings.required("NOTIFY_QUEUE_URL")?,
            device_key: settings.required("DEVICE_KEY")?.into(),
            sender_hash_key: settings.required("SENDER_HASH_KEY")?.into(),
            replay_window_seconds: settings.parsed_or("PANIC_REPLAY_WINDOW_SECONDS", 60)?,
            codes_per_number: Limit::per_hour(settings.parsed_or("PANIC_CODES_PER_HOUR", 3)?),
            registrations_per_client: Limit::per_hour(
                settings.parsed_or("DEVICE_REGISTRATIONS_PER_CLIENT_PER_HOUR", 30)?,
            ),
            sms_limits: SmsLimits::load(settings)?,
            incidents_per_hour: settings.parsed_or("PANIC_INCIDENTS_PER_HOUR", 5)?,
            edge: Edge::load(settings),
        })
    }
}

/// The device and sender keys, prepared at start-up.
pub(crate) struct Keys {
    /// Device secrets, code and PIN hashes.
    pub(crate) device: DeviceKey,
    /// Keyed hashes of phone numbers (shared with sms-intake).
    pub(crate) sender: SenderKey,
}

/// Everything the handler needs, built once per process.
pub struct Panic {
    keys: Keys,
    desk: IncidentDesk,
    incidents: IncidentStore,
    devices: DeviceStore,
    rates: RateCounter,
    texting: Texting,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    config: Config,
}

impl Panic {
    /// Wires the stores, the topic and the queues.
    pub fn new(
        config: &Config,
        clients: &AwsClients,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Result<Self, KeyError> {
        let table = &config.table_name;
        let incidents = IncidentStore::new(clients.dynamodb.clone(), table);
        let texting = Texting::new(
            SmsSender::new(clients.sns.clone()),
            RateCounter::new(clients.dynamodb.clone(), table),
            SenderKey::new(config.sender_hash_key.expose_secret())?,
            config.sms_limits,
        );
        Ok(Self {
            keys: Keys {
                device: DeviceKey::new(config.device_key.expose_secret())?,
                sender: SenderKey::new(config.sender_hash_key.expose_secret())?,
            },
            desk: IncidentDesk::over(
                &config.paging,
                clients,
                table,
                JsonQueue::new(clients.sqs.clone(), &config.notify_queue_url),
                clock.clone(),
                ids.clone(),
            )
            .with_texting(texting.clone())
            .with_press_trust(
                RateCounter::new(clients.dynamodb.clone(), table),
                config.incidents_per_hour,
            ),
            incidents,
            devices: DeviceStore::new(clients.dynamodb.clone(), table),
            rates: RateCounter::new(clients.dynamodb.clone(), table),
            texting,
            clock,
            ids,
            config: config.clone(),
        })
    }
}

/// The Lambda handler: always answers with a response, never panics on input.
pub async fn handle(app: &Panic, request: Request) -> Result<Response<Body>, lambda_http::Error> {
    let path = request.raw_http_path();
    let segments: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let result = match (request.method(), segments.as_slice()) {
        (&Method::POST, ["panic", "devices"]) => device::register(app, &request).await,
        (&Method::POST, ["panic", "devices", id, "verify"]) => {
            device::verify(app, id, &request).await
        }
        (&Method::PUT, ["panic", "devices", id, "settings"]) => {
            device::settings(app, id, &request).await
        }
        (&Method::POST, ["panic", "press"]) => device::press(app, &request).await,
        (&Method::POST, ["panic", "incidents", id, "cancel"]) => {
            device::cancel(app, id, &request).await
        }
        (&Method::POST, ["panic", "incidents", id, "position"]) => {
            device::position(app, id, &request).await
        }
        (&Method::GET, ["l", token]) => location::show(app, token).await,
        (&Method::POST, ["l", token]) => location::send(app, token, &request).await,
        (&Method::GET, ["a", id, token]) => link::confirm(app, id, token),
        (&Method::POST, ["a", id, token]) => link::acknowledge(app, id, token, &request).await,
        (_, ["staff", ..]) => staff::route(app, &request, &segments).await,
        _ => Err(ApiError::not_found("Alamat tidak ditemukan.")),
    };
    Ok(result.unwrap_or_else(ApiError::into_response))
}

pub(crate) fn bad_request(code: &'static str, message: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, code, message)
}

pub(crate) fn conflict(code: &'static str, message: &str) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, code, message)
}

pub(crate) fn forbidden(code: &'static str, message: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, code, message)
}

/// A fresh random token (escalation tokens, device ids): the project's one source
/// of 128-bit secrets, [`IdGenerator::secret_token`].
pub(crate) fn new_token(app: &Panic) -> Result<String, ApiError> {
    app.ids
        .secret_token()
        .map_err(|e| ApiError::unavailable_because("drawing random bytes", e))
}

impl Function for Panic {
    const NAME: &'static str = "panic";

    fn build(settings: &Settings, deps: &Dependencies) -> Result<Self, StartError> {
        let config = Config::load(settings)?;
        Self::new(&config, &deps.clients, deps.clock.clone(), deps.ids.clone())
            .map_err(|e| StartError::setup("panic", e))
    }
}

impl HttpFunction for Panic {
    fn handle(
        &self,
        request: lambda_http::Request,
    ) -> impl std::future::Future<
        Output = Result<lambda_http::Response<lambda_http::Body>, lambda_http::Error>,
    > + Send {
        handle(self, request)
    }
}
