//! `POST /_devstack/panic`: a demo panic-button device, devstack only.
//!
//! - `{"action":"press","kind":"crime","lat":-6.9025,"lon":107.6188}` (all optional):
//!   registers the demo device on first use (cancel PIN `1234`, duress PIN `9999`,
//!   one emergency contact `081100009999`), then signs a press exactly as the app
//!   would and posts it to devstack's own `/panic/press`.
//! - `{"action":"cancel","incident_id":"INC-…","pin":"1234"}`: a signed cancel.
//! - `{"action":"position","incident_id":"INC-…","lat":…,"lon":…}`: a signed position
//!   update, as the app sends one every 15 s while the emergency lasts.
//!
//! The demo device's number (`081100000000`) can also press by SMS: `POST
//! /_devstack/sms {"from":"081100000000","text":"DARURAT"}`.
//!
//! Answers with what the API answered: its status and its body. Presses are signed
//! on the dev clock, the clock the panic function checks them against, so they keep
//! working after `/_devstack/clock` has moved time. Pages show up on the
//! command-centre console that `make run` prints.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use jiff::Timestamp;
use serde_json::{Value, json};
use sigap::adapters::devices::{DeviceStore, PendingDevice};
use sigap::domain::contact::PhoneNumber;
use sigap::domain::contact::SenderKey;
use sigap::domain::device::DeviceKey;
use sigap::domain::signature::{HmacKey, device_signature};
use sigap::runtime::aws::AwsClients;
use sigap::runtime::clock::Clock;

use crate::sms::{answer, call, tool_input};

/// The demo device's id.
pub const DEMO_DEVICE: &str = "0000000000000000000000000000d3e0";
/// The demo device's phone number.
const DEMO_PHONE: &str = "081100000000";
/// The demo device's emergency contact.
const DEMO_CONTACT: &str = "081100009999";

/// What the tool needs: the keys the panic function uses, and the table.
#[derive(Clone)]
pub struct PanicTool {
    /// `DEVICE_KEY` as the `panic` function fetched it from SSM.
    pub device_key: String,
    /// `SENDER_HASH_KEY` as the functions fetched it from SSM.
    pub sender_hash_key: String,
    /// The stack's table.
    pub table: String,
    /// AWS clients pointed at moto.
    pub clients: AwsClients,
    /// The functions' clock (devstack's dev clock).
    pub clock: Arc<dyn Clock>,
}

/// Writes an active device straight into the table, as if its phone had verified the
/// code (devstack and tests: no SMS round trip). Returns the device's secret, derived
/// from `device_key` as the panic function derives it.
pub async fn register_active_device(
    devices: &DeviceStore,
    device_key: &str,
    sender_hash_key: &str,
    id: &str,
    phone: &PhoneNumber,
    now: Timestamp,
) -> Result<String, String> {
    let device_key = DeviceKey::new(device_key).map_err(|e| e.to_string())?;
    let sender_key = SenderKey::new(sender_hash_key).map_err(|e| e.to_string())?;
    let otp = device_key.otp_hash(id, "000000");
    // A retry finds the pending device already there; activating is what counts.
    let _ = devices
        .create_pending(&PendingDevice {
            id,
            phone,
            phone_hash: &sender_key.phone(phone),
            otp_hash: &otp,
            expires_at: now,
            attempts: 5,
            now,
        })
        .await;
    devices
        .activate(id, &otp, &sender_key.phone(phone))
        .await
        .map_err(|e| e.to_string())?;
    Ok(device_key.device_secret(id))
}

impl PanicTool {
    fn device_key(&self) -> Result<DeviceKey, String> {
        DeviceKey::new(&self.device_key).map_err(|e| e.to_string())
    }

    /// The demo device's signing key, derived as the panic function derives it.
    fn secret(&self) -> Result<HmacKey, String> {
        let secret = self.device_key()?.device_secret(DEMO_DEVICE);
        HmacKey::new("device secret", secret.as_bytes()).map_err(|e| e.to_string())
    }

    /// Registers the demo device directly in the table (as a verified phone would).
    async fn ensure_device(&self) -> Result<(), String> {
        let devices = DeviceStore::new(self.clients.dynamodb.clone(), &self.table);
        if devices
            .get(DEMO_DEVICE)
            .await
            .map_err(|e| e.to_string())?
            .is_some_and(|d| d.active)
        {
            return Ok(());
        }
        let phone = PhoneNumber::parse(DEMO_PHONE).map_err(|e| e.to_string())?;
        register_active_device(
            &devices,
            &self.device_key,
            &self.sender_hash_key,
            DEMO_DEVICE,
            &phone,
            self.clock.now(),
        )
        .await?;
        let key = self.device_key()?;
        let contact = PhoneNumber::parse(DEMO_CONTACT).map_err(|e| e.to_string())?;
        devices
            .set_settings(
                DEMO_DEVICE,
                &key.pin_hash(DEMO_DEVICE, "1234"),
                &key.pin_hash(DEMO_DEVICE, "9999"),
                &[contact],
            )
            .await
            .map_err(|e| e.to_string())
    }

    async fn signed_post(&self, url: &str, body: &Value) -> Result<(u16, Value), String> {
        let body = body.to_string();
        let timestamp = self.clock.now().as_second();
        let path = url
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
            .unwrap_or("/");
        let signature = device_signature(&self.secret()?, timestamp, "POST", path, body.as_bytes());
        let timestamp = timestamp.to_string();
        let headers = [
            ("content-type", "application/json"),
            ("x-sigap-device", DEMO_DEVICE),
            ("x-sigap-timestamp", timestamp.as_str()),
            ("x-sigap-signature", signature.as_str()),
        ];
        let (status, bytes) = call("POST", url, &headers, body).await?;
        Ok((status, serde_json::from_slice(&bytes).unwrap_or_default()))
    }
}

/// Serves `POST /_devstack/panic`.
pub async fn panic_endpoint(tool: &PanicTool, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let usage = r#"POST {"action":"press","kind","lat","lon"}, {"action":"cancel","incident_id","pin"} or {"action":"position","incident_id","lat","lon"}"#;
    let (host, input) = match tool_input(request, usage).await {
        Ok(read) => read,
        Err(refused) => return refused,
    };
    if let Err(err) = tool.ensure_device().await {
        return answer(StatusCode::BAD_GATEWAY, json!({ "message": err }));
    }
    let result = match input["action"].as_str().unwrap_or("press") {
        "press" => {
            let mut press = json!({ "kind": input["kind"].as_str().unwrap_or("crime") });
            if let (Some(lat), Some(lon)) = (input["lat"].as_f64(), input["lon"].as_f64()) {
                press["lat"] = json!(lat);
                press["lon"] = json!(lon);
                press["accuracy_m"] = json!(10.0);
                press["fix_age_s"] = json!(3);
            }
            tool.signed_post(&format!("http://{host}/panic/press"), &press)
                .await
        }
        "cancel" => {
            let id = input["incident_id"].as_str().unwrap_or_default();
            let pin = input["pin"].as_str().unwrap_or("1234");
            tool.signed_post(
                &format!("http://{host}/panic/incidents/{id}/cancel"),
                &json!({ "pin": pin }),
            )
            .await
        }
        "position" => {
            let id = input["incident_id"].as_str().unwrap_or_default();
            let position = json!({
                "lat": input["lat"].as_f64().unwrap_or_default(),
                "lon": input["lon"].as_f64().unwrap_or_default(),
                "accuracy_m": input["accuracy_m"].as_f64().unwrap_or(8.0),
                "fix_age_s": 1,
            });
            tool.signed_post(
                &format!("http://{host}/panic/incidents/{id}/position"),
                &position,
            )
            .await
        }
        _ => {
            return answer(
                StatusCode::BAD_REQUEST,
                json!({"message": "action: press, cancel or position"}),
            );
        }
    };
    match result {
        Ok((status, body)) => answer(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
            body,
        ),
        Err(err) => answer(StatusCode::BAD_GATEWAY, json!({ "message": err })),
    }
}
