//! The citizen's side: registration, settings, the press and the cancel.

use lambda_http::RequestExt;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::json;
use sigap::adapters::devices::PendingDevice;
use sigap::adapters::table::StoreError;
use sigap::domain::calendar::wib_rfc3339;
use sigap::domain::contact::PhoneNumber;
use sigap::domain::device::Device;
use sigap::domain::device::{
    OTP_ATTEMPTS, OTP_VALID, OtpCheck, check_otp, one_time_code, otp_text, parse_settings,
};
use sigap::domain::incident::{
    self, Fix, IncidentAction, IncidentKind, POSITION_EVERY, PinKind, Source,
};
use sigap::domain::limits::Window;
use sigap::domain::location::Coordinates;
use sigap::domain::signature::{HmacKey, constant_time_eq};
use sigap::domain::signature::{Window as SignedWindow, verify_device};
use sigap::http::{ApiError, body_bytes, client_address, json_bytes, json_response, parse_json};
use sigap::service::incidents::{Press, PressVia, Pressed, Tracking, write_failed};
use sigap::service::retry_on_conflict;
use sigap::service::texting::Withheld;
use tracing::{info, warn};

use crate::{Panic, bad_request, conflict, forbidden, new_token};

/// Largest device request body.
const MAX_BODY_BYTES: usize = 4 * 1024;
/// Header naming the device on signed requests.
pub const DEVICE_HEADER: &str = "x-sigap-device";
/// Header carrying the request's Unix time.
pub const TIMESTAMP_HEADER: &str = "x-sigap-timestamp";
/// Header carrying `hex(HMAC-SHA256(device secret, "<timestamp>.<body>"))`.
pub const SIGNATURE_HEADER: &str = "x-sigap-signature";

fn header<'a>(request: &'a Request, name: &str) -> Option<&'a str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Checks a signed device request; returns the device id and the body.
fn signed<'a>(app: &Panic, request: &'a Request) -> Result<(String, &'a [u8]), ApiError> {
    let device = header(request, DEVICE_HEADER).unwrap_or_default().trim();
    if device.is_empty() || device.len() > 64 || !device.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(forbidden(
            "invalid_signature",
            "Tanda tangan perangkat tidak valid.",
        ));
    }
    // The signature covers the bytes; a signed press pages whatever its content type.
    let body = body_bytes(request, MAX_BODY_BYTES)?;
    // HMAC takes any key length: a refusal here would be a defect, answered 503.
    let key = HmacKey::new(
        "device secret",
        app.keys.device.device_secret(device).as_bytes(),
    )
    .map_err(|e| ApiError::unavailable_because("preparing the device key", e))?;
    let verified = verify_device(
        &key,
        (request.method().as_str(), request.raw_http_path()),
        header(request, TIMESTAMP_HEADER),
        header(request, SIGNATURE_HEADER),
        body,
        SignedWindow {
            now: app.clock.now().as_second(),
            seconds: app.config.replay_window_seconds,
        },
    );
    if let Err(why) = verified {
        warn!(reason = %why, "device request refused");
        return Err(forbidden(
            "invalid_signature",
            "Tanda tangan perangkat tidak valid.",
        ));
    }
    Ok((device.to_string(), body))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Registration {
    phone: String,
}

/// `POST /panic/devices`: a pending device and a one-time code by SMS.
pub async fn register(app: &Panic, request: &Request) -> Result<Response<Body>, ApiError> {
    let body: Registration = parse_json(json_bytes(request, MAX_BODY_BYTES)?)?;
    let phone = PhoneNumber::parse(&body.phone).map_err(|_| {
        bad_request(
            "invalid_phone",
            "Nomor HP tidak valid. Contoh: 0812 3456 7890.",
        )
    })?;
    let now = app.clock.now();
    let client = app
        .keys
        .sender
        .client(client_address(request, app.config.edge.as_ref()));
    let started = app
        .rates
        .count(&format!("register:{client}"), Window::Hour, now)
        .await
        .map_err(|e| ApiError::unavailable_because("counting registrations", e))?;
    if let Some(refusal) = app.config.registrations_per_client.check(started, now) {
        return Err(ApiError::too_many(
            "too_many_registrations",
            format!(
                "Terlalu banyak pendaftaran perangkat dari jaringan Anda. Coba lagi dalam {}.",
                refusal.wait_in_words()
            ),
            refusal,
        ));
    }
    let phone_hash = app.keys.sender.phone(&phone);
    let count = app
        .rates
        .count(&format!("otp:{phone_hash}"), Window::Hour, now)
        .await
        .map_err(|e| ApiError::unavailable_because("counting code requests", e))?;
    if let Some(refusal) = app.config.codes_per_number.check(count, now) {
        return Err(ApiError::too_many(
            "too_many_codes",
            format!(
                "Terlalu banyak permintaan kode untuk nomor ini. Coba lagi dalam {}.",
                refusal.wait_in_words()
            ),
            refusal,
        ));
    }
    if let Some(withheld) = app
        .texting
        .admit(&phone, now)
        .await
        .map_err(|e| ApiError::unavailable_because("counting SMS", e))?
    {
        return Err(sms_withheld(withheld));
    }
    let id = new_token(app)?;
    let code = app
        .ids
        .random_bytes(16)
        .ok()
        .and_then(|b| one_time_code(&b))
        .ok_or_else(|| ApiError::unavailable_because("drawing a code", "random source"))?;
    let expires_at = now.checked_add(OTP_VALID).unwrap_or(now);
    app.devices
        .create_pending(&PendingDevice {
            id: &id,
            phone: &phone,
            phone_hash: &phone_hash,
            otp_hash: &app.keys.device.otp_hash(&id, &code),
            expires_at,
            attempts: OTP_ATTEMPTS,
            now,
        })
        .await
        .map_err(|e| ApiError::unavailable_because("storing registration", e))?;
    app.texting
        .send_admitted(&phone, &otp_text(&code))
        .await
        .map_err(|e| ApiError::unavailable_because("sending code", e))?;
    info!(device = %id, to = %phone.masked(), "verification code sent");
    Ok(json_response(
        StatusCode::CREATED,
        &json!({ "device_id": id, "expires_at": wib_rfc3339(expires_at) }),
    ))
}

/// 429 for a code SMS the limits withheld.
fn sms_withheld(withheld: Withheld) -> ApiError {
    let refusal = withheld.refusal();
    let message = match withheld {
        Withheld::Number(_) => format!(
            "Nomor ini sudah menerima terlalu banyak SMS. Coba lagi dalam {}.",
            refusal.wait_in_words()
        ),
        Withheld::Budget(_) => format!(
            "Pengiriman SMS kode sedang dibatasi. Coba lagi dalam {}. Dalam keadaan darurat, hubungi 112.",
            refusal.wait_in_words()
        ),
    };
    ApiError::too_many("sms_limit", message, refusal)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Verification {
    code: String,
}

async fn existing(app: &Panic, id: &str) -> Result<Device, ApiError> {
    app.devices
        .get(id)
        .await
        .map_err(|e| ApiError::unavailable_because("reading device", e))?
        .ok_or_else(|| ApiError::not_found("Perangkat tidak ditemukan."))
}

/// `POST /panic/devices/{id}/verify`: the right code activates the device and
/// returns its secret (again, for the same code while it is valid: a lost answer
/// can be asked for again).
pub async fn verify(app: &Panic, id: &str, request: &Request) -> Result<Response<Body>, ApiError> {
    let body: Verification = parse_json(json_bytes(request, MAX_BODY_BYTES)?)?;
    let device = existing(app, id).await?;
    let now = app.clock.now();
    let given = app.keys.device.otp_hash(id, &body.code);
    // The attempt is spent before the code is compared: N guesses in parallel cost N.
    let attempts = app
        .devices
        .take_code_attempt(id)
        .await
        .map_err(|e| ApiError::unavailable_because("counting a code attempt", e))?;
    match check_otp(
        &device.otp_hash,
        device.otp_expires_at,
        attempts,
        &given,
        now,
    ) {
        OtpCheck::Valid => {
            app.devices
                .activate(id, &given, &device.phone_hash)
                .await
                .map_err(|e| ApiError::unavailable_because("activating device", e))?;
            Ok(json_response(
                StatusCode::OK,
                &json!({ "device_id": id, "device_secret": app.keys.device.device_secret(id) }),
            ))
        }
        OtpCheck::Wrong(left) => Err(forbidden(
            "wrong_code",
            &format!("Kode salah. Sisa percobaan: {left}."),
        )),
        OtpCheck::Expired => Err(forbidden(
            "code_expired",
            "Kode sudah kedaluwarsa. Daftar ulang untuk kode baru.",
        )),
        OtpCheck::Locked => Err(forbidden(
            "code_locked",
            "Terlalu banyak kode salah. Daftar ulang untuk kode baru.",
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsBody {
    cancel_pin: String,
    duress_pin: String,
    #[serde(default)]
    contacts: Vec<String>,
}

/// `PUT /panic/devices/{id}/settings` (signed): PINs and emergency contacts.
pub async fn settings(
    app: &Panic,
    id: &str,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let (device, body) = signed(app, request)?;
    if device != id {
        return Err(forbidden(
            "invalid_signature",
            "Tanda tangan perangkat tidak valid.",
        ));
    }
    let body: SettingsBody = parse_json(body)?;
    let parsed =
        parse_settings(&body.cancel_pin, &body.duress_pin, &body.contacts).map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_settings",
                e.to_string(),
            )
        })?;
    match app
        .devices
        .set_settings(
            id,
            &app.keys.device.pin_hash(id, parsed.cancel_pin.as_str()),
            &app.keys.device.pin_hash(id, parsed.duress_pin.as_str()),
            &parsed.contacts,
        )
        .await
    {
        Ok(()) => Ok(json_response(
            StatusCode::OK,
            &json!({ "device_id": id, "contacts": parsed.contacts.len() }),
        )),
        Err(StoreError::Conflict) => Err(forbidden(
            "device_inactive",
            "Perangkat belum terverifikasi.",
        )),
        Err(e) => Err(ApiError::unavailable_because("storing settings", e)),
    }
}

/// A press as the device sends it; every field optional (a press always pages).
#[derive(Deserialize, Default)]
struct PressBody {
    kind: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
    accuracy_m: Option<f64>,
    fix_age_s: Option<u32>,
}

/// `POST /panic/press` (signed): opens an incident and pages tier 0, or joins the
/// device's open incident (paging nobody again): the incident desk's press.
pub async fn press(app: &Panic, request: &Request) -> Result<Response<Body>, ApiError> {
    let (device, body) = signed(app, request)?;
    // A signed press is real whatever its body says: never refuse it for content.
    let body: PressBody = serde_json::from_slice(body).unwrap_or_default();
    let kind = body
        .kind
        .as_deref()
        .and_then(IncidentKind::parse)
        .unwrap_or(IncidentKind::Other);
    let coordinates = match (body.lat, body.lon) {
        (Some(lat), Some(lon)) => Coordinates::parse(lat, lon).ok(),
        _ => None,
    };
    let fix = coordinates.map(|coordinates| Fix {
        coordinates,
        accuracy_m: body.accuracy_m.filter(|a| a.is_finite() && *a >= 0.0),
        fix_age_s: body.fix_age_s,
    });
    let pressed = app
        .desk
        .press(
            Press {
                device,
                kind,
                fix,
                via: PressVia::App {
                    location_refused: coordinates.is_none() && body.lat.is_some(),
                },
            },
            Vec::new(),
        )
        .await?;
    Ok(match pressed {
        Pressed::Opened(id) => accepted(StatusCode::CREATED, &id, false),
        Pressed::Joined(id) => accepted(StatusCode::OK, &id, true),
    })
}

/// A position update as the app sends it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PositionBody {
    lat: f64,
    lon: f64,
    accuracy_m: Option<f64>,
    fix_age_s: Option<u32>,
}

/// `POST /panic/incidents/{id}/position` (signed): the phone's position while its
/// emergency lasts, at most one every 15 s (429 with `Retry-After` sooner); the
/// answer says whether to keep sending (`tracking`) and how often.
pub async fn position(
    app: &Panic,
    id: &str,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let (device, body) = signed(app, request)?;
    let body: PositionBody = parse_json(body)?;
    let coordinates = Coordinates::parse(body.lat, body.lon).map_err(|e| {
        bad_request(
            "invalid_location",
            &format!("Posisi tidak dapat dipakai: {e}."),
        )
    })?;
    let fix = Fix {
        coordinates,
        accuracy_m: body.accuracy_m.filter(|a| a.is_finite() && *a >= 0.0),
        fix_age_s: body.fix_age_s,
    };
    let tracking = app.desk.track(&device, id, fix).await?;
    Ok(json_response(
        StatusCode::OK,
        &match tracking {
            Tracking::Taken => json!({
                "incident_id": id, "tracking": true, "every_s": POSITION_EVERY.as_secs(),
            }),
            Tracking::Stop => json!({
                "incident_id": id, "tracking": false,
                "message": "Posisi tidak diperlukan lagi.",
            }),
        },
    ))
}

fn accepted(status: StatusCode, incident_id: &str, joined: bool) -> Response<Body> {
    json_response(
        status,
        &json!({
            "incident_id": incident_id,
            "status": "terkirim",
            "joined": joined,
            "message": "Permintaan darurat terkirim. Petugas sedang dihubungi.",
        }),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CancelBody {
    pin: String,
}

/// `POST /panic/incidents/{id}/cancel` (signed): the cancel PIN cancels; the duress
/// PIN answers exactly the same and escalates silently.
pub async fn cancel(app: &Panic, id: &str, request: &Request) -> Result<Response<Body>, ApiError> {
    let (device, body) = signed(app, request)?;
    let body: CancelBody = parse_json(body)?;
    let known = existing(app, &device).await?;
    // A wrong PIN is counted on the incident and put on its timeline; the third is
    // taken as the duress PIN (and answered as a cancel).
    let action = match (&known.cancel_pin_hash, &known.duress_pin_hash) {
        (Some(cancel), Some(duress)) => {
            let given = app.keys.device.pin_hash(&device, body.pin.trim());
            if constant_time_eq(given.as_bytes(), cancel.as_bytes()) {
                IncidentAction::Cancel(PinKind::Cancel)
            } else if constant_time_eq(given.as_bytes(), duress.as_bytes()) {
                IncidentAction::Cancel(PinKind::Duress)
            } else {
                IncidentAction::WrongPin
            }
        }
        _ => return Err(conflict("no_pin", "PIN pembatalan belum diatur.")),
    };
    let now = app.clock.now();
    retry_on_conflict(|| async {
        let current = app
            .incidents
            .get(id)
            .await
            .map_err(|e| ApiError::unavailable_because("reading incident", e))?
            .filter(|i| {
                i.source
                    == Source::PanicButton {
                        device: device.clone(),
                    }
            })
            .ok_or_else(|| ApiError::not_found("Kejadian tidak ditemukan."))?;
        let actor = format!("device:{device}");
        let change = match action.decide(&current, &actor, now, new_token(app)?) {
            Ok(Some(change)) => change,
            // Cancelled already (a retry of the same cancel), or under duress:
            // the same answer, whatever the PIN.
            Ok(None) => return Ok(cancelled(id)),
            Err(incident::IncidentError::CancelWindowPassed) => {
                return Err(conflict(
                    "cancel_window_passed",
                    "Batas waktu pembatalan sudah lewat. Hubungi 112 bila keadaan sudah aman.",
                ));
            }
            // Not open any more (the other refusals are not a cancel's).
            Err(_) => {
                return Err(conflict(
                    "incident_closed",
                    "Kejadian sudah ditangani petugas.",
                ));
            }
        };
        let wrong = action == IncidentAction::WrongPin && !change.incident.duress;
        match app.desk.pager().commit(&current, change, now).await {
            Ok(_) if wrong => Err(forbidden("wrong_pin", "PIN salah.")),
            Ok(_) => Ok(cancelled(id)),
            Err(e) => Err(write_failed("cancelling incident", e)),
        }
    })
    .await
}

/// The one answer to a cancel, whichever PIN was used.
fn cancelled(id: &str) -> Response<Body> {
    json_response(
        StatusCode::OK,
        &json!({ "incident_id": id, "status": "dibatalkan", "message": "Permintaan darurat dibatalkan." }),
    )
}
