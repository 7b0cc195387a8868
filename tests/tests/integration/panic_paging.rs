//! Panic Button and 112 against moto: devices registered by SMS code, presses signed
//! here with an HMAC written for the tests, responders' queues subscribed to the
//! panic topic through filter policies, escalation ticks taken off the real delayed
//! queue, the auditor, acks by API and by SMS, and every step on the timeline.

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use sigap::adapters::incidents::IncidentStore;
use sigap::adapters::queue::EscalationTick;
use sigap::domain::incident::PagingPolicy;
use sigap::runtime::clock::{Clock, ManualClock};
use sigap_tests::{
    HttpReply, TestStack, api_request, drain, reply, sent_sms, stack, staff_request,
    subscriber_filtered, take_messages, unique_phone,
};

use crate::sms_intake::{pump_notify, text};

const SENDER_KEY: &str = "test-sender-key";
/// Gedung Sate: sector `cibeunying`.
const GEDUNG_SATE: (f64, f64) = (-6.9025, 107.6188);

pub(crate) fn start() -> Timestamp {
    "2026-11-28T12:00:00Z".parse().unwrap()
}

fn panic_topic(t: &TestStack) -> String {
    t.stack.topics["PanicTopic"].clone()
}

fn escalation_url(t: &TestStack) -> String {
    t.stack.queue("EscalationQueue").unwrap().url.clone()
}

pub(crate) fn panic_app(t: &TestStack, clock: Arc<dyn Clock>) -> panic::Panic {
    t.app(clock, &[])
}

pub(crate) fn escalate_app(t: &TestStack, clock: Arc<dyn Clock>) -> escalate::Escalate {
    t.app(clock, &[])
}

/// A stack whose paging policy has one-second timeouts, so ticks come quickly.
pub(crate) async fn fast_stack(name: &str) -> TestStack {
    let t = stack(name).await;
    IncidentStore::new(t.clients.dynamodb.clone(), &t.table)
        .put_policy(&PagingPolicy {
            ack_timeouts_s: vec![1, 1, 1],
            top_repeats: 1,
            resolve_timeout_s: 1,
            owner_repeats: 1,
            dedup_window_s: 600,
            cancel_window_s: 120,
        })
        .await
        .unwrap();
    t
}

/// A responder channel: a queue subscribed with a filter on sector and tiers.
pub(crate) async fn responder(t: &TestStack, sector: &str, tiers: &[&str]) -> String {
    subscriber_filtered(
        &t.clients,
        &panic_topic(t),
        Some(json!({ "sector": [sector], "tier": tiers })),
    )
    .await
}

pub(crate) async fn call(app: &panic::Panic, request: lambda_http::Request) -> HttpReply {
    reply(panic::handle(app, request).await.unwrap())
}

/// The device scheme, written out: hex HMAC-SHA256 over
/// "<ts>\n<METHOD>\n<path>\n<body>" with the secret the server returned at
/// verification.
pub(crate) fn signed(
    method: &str,
    path: &str,
    device: &str,
    secret: &str,
    body: &str,
    at: Timestamp,
) -> lambda_http::Request {
    let timestamp = at.as_second().to_string();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}\n{method}\n{path}\n{body}").as_bytes());
    let signature = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    api_request(
        method,
        path,
        &[
            ("content-type", "application/json"),
            ("x-sigap-device", device),
            ("x-sigap-timestamp", &timestamp),
            ("x-sigap-signature", &signature),
        ],
        Some(body),
    )
}

/// A registered device: (id, secret), with PINs 1234 / 9999 and one contact.
pub(crate) async fn registered(
    app: &panic::Panic,
    clock: &ManualClock,
    contact: &str,
) -> (String, String) {
    let phone = unique_phone();
    let body = json!({ "phone": phone }).to_string();
    let created = call(
        app,
        api_request(
            "POST",
            "/panic/devices",
            &[("content-type", "application/json")],
            Some(&body),
        ),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.json);
    let id = created.json["device_id"].as_str().unwrap().to_string();
    let sms = sent_sms(&phone).await;
    assert_eq!(sms.len(), 1);
    let code: String = sms[0]
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap()
        .to_string();
    let verify = |code: String| {
        api_request(
            "POST",
            &format!("/panic/devices/{id}/verify"),
            &[("content-type", "application/json")],
            Some(&json!({ "code": code }).to_string()),
        )
    };
    let wrong = call(app, verify("000000".into())).await;
    assert_eq!(wrong.status, 403);
    assert_eq!(
        wrong.json["error"]["message"],
        "Kode salah. Sisa percobaan: 4."
    );
    let ok = call(app, verify(code.clone())).await;
    assert_eq!(ok.status, 200, "{}", ok.json);
    let secret = ok.json["device_secret"].as_str().unwrap().to_string();
    // A lost answer can be asked for again with the same code.
    assert_eq!(
        call(app, verify(code)).await.json["device_secret"],
        secret.as_str()
    );
    let settings =
        json!({ "cancel_pin": "1234", "duress_pin": "9999", "contacts": [contact] }).to_string();
    let set = call(
        app,
        signed(
            "PUT",
            &format!("/panic/devices/{id}/settings"),
            &id,
            &secret,
            &settings,
            clock.now(),
        ),
    )
    .await;
    assert_eq!(set.status, 200, "{}", set.json);
    (id, secret)
}

pub(crate) async fn press(
    app: &panic::Panic,
    clock: &ManualClock,
    device: &(String, String),
    body: Value,
) -> HttpReply {
    let body = body.to_string();
    call(
        app,
        signed(
            "POST",
            "/panic/press",
            &device.0,
            &device.1,
            &body,
            clock.now(),
        ),
    )
    .await
}

/// The next tick on the escalation queue (waits out its delay).
async fn next_tick(t: &TestStack) -> EscalationTick {
    for _ in 0..10 {
        if let Some(body) = take_messages(&t.clients, &escalation_url(t)).await.first() {
            return serde_json::from_str(body).unwrap();
        }
    }
    panic!("no escalation tick arrived");
}

async fn run_tick(esc: &escalate::Escalate, tick: &EscalationTick) -> escalate::TickOutcome {
    escalate::process_tick(esc, tick).await.unwrap()
}

async fn staff_incident(app: &panic::Panic, id: &str) -> Value {
    let shown = call(
        app,
        staff_request(
            "GET",
            &format!("/staff/incidents/{id}"),
            "op-1",
            &["operator"],
            None,
        ),
    )
    .await;
    assert_eq!(shown.status, 200, "{}", shown.json);
    shown.json
}

fn timeline(incident: &Value) -> Vec<String> {
    incident["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["what"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_press_pages_its_sector_escalates_tier_by_tier_and_an_ack_stands_everyone_down() {
    let t = fast_stack("panic-path").await;
    let clock = Arc::new(ManualClock::new(start()));
    let app = panic_app(&t, clock.clone());
    let esc = escalate_app(&t, clock.clone());
    let tier0 = responder(&t, "cibeunying", &["0", "unit:polsek-coblong"]).await;
    let tier1 = responder(&t, "cibeunying", &["1"]).await;
    let tier2 = responder(&t, "cibeunying", &["2"]).await;
    let elsewhere = responder(&t, "karees", &["0", "1", "2"]).await;
    let contact = unique_phone();
    let device = registered(&app, &clock, &contact).await;

    let pressed = press(&app, &clock, &device, json!({
        "kind": "crime", "lat": GEDUNG_SATE.0, "lon": GEDUNG_SATE.1, "accuracy_m": 12.5, "fix_age_s": 4
    }))
    .await;
    assert_eq!(pressed.status, 201, "{}", pressed.json);
    assert_eq!(pressed.json["status"], "terkirim");
    let id = pressed.json["incident_id"].as_str().unwrap().to_string();
    let pages = drain(&t.clients, &tier0).await;
    assert_eq!(pages.len(), 1, "{pages:?}");
    assert!(
        pages[0].starts_with(&format!(
            "SIGAP {id} KEJAHATAN T0 cibeunying maps.google.com/?q=-6.90250,107.61880"
        )),
        "{}",
        pages[0]
    );
    assert!(pages[0].contains(&format!("Balas 1 {id}")));
    assert!(pages[0].chars().count() <= 160);
    assert!(
        drain(&t.clients, &elsewhere).await.is_empty(),
        "another sector was paged"
    );
    // The emergency contact is told once, through notify.
    pump_notify(&t, clock.clone()).await;
    let told = sent_sms(&contact).await;
    assert_eq!(told.len(), 1);
    assert!(
        told[0].contains(&id) && told[0].contains("maps.google.com"),
        "{}",
        told[0]
    );

    // A repeated press joins: same incident, nobody paged again.
    clock.advance(SignedDuration::from_millis(500));
    let again = press(
        &app,
        &clock,
        &device,
        json!({ "kind": "crime", "lat": -6.9030, "lon": 107.6190 }),
    )
    .await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json["incident_id"], id.as_str());
    assert_eq!(again.json["joined"], true);
    assert!(drain(&t.clients, &tier0).await.is_empty());
    // ... and the contacts are not told again: one SMS per incident.
    pump_notify(&t, clock.clone()).await;
    assert_eq!(sent_sms(&contact).await.len(), 1);

    // No ack: tier 1, then tier 2. The same tick delivered twice acts once.
    clock.advance(SignedDuration::from_secs(1));
    let tick = next_tick(&t).await;
    assert_eq!(
        run_tick(&esc, &tick).await,
        escalate::TickOutcome::Escalated
    );
    assert_eq!(run_tick(&esc, &tick).await, escalate::TickOutcome::Stale);
    let t1 = drain(&t.clients, &tier1).await;
    assert_eq!(t1.len(), 1, "{t1:?}");
    assert!(t1[0].contains("T1"));
    clock.advance(SignedDuration::from_secs(1));
    let tick = next_tick(&t).await;
    assert_eq!(
        run_tick(&esc, &tick).await,
        escalate::TickOutcome::Escalated
    );
    assert_eq!(drain(&t.clients, &tier2).await.len(), 1);
    assert!(drain(&t.clients, &tier0).await.is_empty());

    // A responder owns it: every paged tier stands down; the pending tick is stale.
    let pending = next_tick(&t).await;
    let ack = call(
        &app,
        staff_request(
            "POST",
            &format!("/staff/incidents/{id}/ack"),
            "r-7",
            &["responder:polsek-coblong"],
            None,
        ),
    )
    .await;
    assert_eq!(ack.status, 200, "{}", ack.json);
    assert_eq!(ack.json["state"], "acknowledged");
    for queue in [&tier0, &tier1, &tier2] {
        let down = drain(&t.clients, queue).await;
        assert_eq!(down.len(), 1, "{down:?}");
        assert!(
            down[0].contains("sudah ditangani polsek-coblong"),
            "{}",
            down[0]
        );
    }
    assert!(drain(&t.clients, &elsewhere).await.is_empty());
    clock.advance(SignedDuration::from_secs(1));
    assert_eq!(run_tick(&esc, &pending).await, escalate::TickOutcome::Stale);
    // Acking twice is harmless.
    let twice = call(
        &app,
        staff_request(
            "POST",
            &format!("/staff/incidents/{id}/ack"),
            "r-7",
            &["responder:polsek-coblong"],
            None,
        ),
    )
    .await;
    assert_eq!(twice.status, 200);

    // Owned but not resolved within the timeout: the owner is paged again.
    let resolve_tick = next_tick(&t).await;
    assert_eq!(
        run_tick(&esc, &resolve_tick).await,
        escalate::TickOutcome::Escalated
    );
    let repage = drain(&t.clients, &tier0).await;
    assert_eq!(repage.len(), 1, "{repage:?}");
    assert!(
        repage[0].contains("masih terbuka (polsek-coblong)"),
        "{}",
        repage[0]
    );
    assert!(drain(&t.clients, &tier1).await.is_empty());

    let resolved = call(
        &app,
        staff_request(
            "POST",
            &format!("/staff/incidents/{id}/resolve"),
            "r-7",
            &["responder:polsek-coblong"],
            Some(r#"{"outcome":"founded","note":"pelaku diamankan"}"#),
        ),
    )
    .await;
    assert_eq!(resolved.status, 200, "{}", resolved.json);
    assert_eq!(resolved.json["state"], "resolved");
    let shown = staff_incident(&app, &id).await;
    assert_eq!(shown["presses"], 2);
    assert_eq!(shown["location"]["lat"], -6.9030, "the newest fix is kept");
    let steps = timeline(&shown);
    for step in [
        "opened",
        "page",
        "contacts_queued",
        "tick_scheduled",
        "press_joined",
        "escalated",
        "acknowledged",
        "stand_down",
        "owner_repage",
        "resolved",
    ] {
        assert!(
            steps.iter().any(|s| s == step),
            "{step} missing from {steps:?}"
        );
    }
    assert_eq!(
        steps.iter().filter(|s| *s == "page").count(),
        3,
        "{steps:?}"
    );
}

#[tokio::test]
async fn a_press_without_location_still_pages_and_bad_signatures_page_nobody() {
    let t = fast_stack("panic-noloc").await;
    let clock = Arc::new(ManualClock::new(start()));
    let app = panic_app(&t, clock.clone());
    let city = responder(&t, "kota", &["0"]).await;
    let device = registered(&app, &clock, &unique_phone()).await;

    // Forged, replayed or stale: 403 and nothing paged.
    let body = json!({ "kind": "medical" }).to_string();
    let forged = call(
        &app,
        signed(
            "POST",
            "/panic/press",
            &device.0,
            "not-the-secret",
            &body,
            clock.now(),
        ),
    )
    .await;
    assert_eq!(forged.status, 403);
    let stale = call(
        &app,
        signed(
            "POST",
            "/panic/press",
            &device.0,
            &device.1,
            &body,
            clock.now() - SignedDuration::from_secs(120),
        ),
    )
    .await;
    assert_eq!(stale.status, 403);
    let mut tampered = signed(
        "POST",
        "/panic/press",
        &device.0,
        &device.1,
        &body,
        clock.now(),
    );
    *tampered.body_mut() = lambda_http::Body::from(r#"{"kind":"fire"}"#);
    assert_eq!(call(&app, tampered).await.status, 403);
    assert!(drain(&t.clients, &city).await.is_empty());

    // No location, garbage kind: still an incident, paged to the city-wide sector.
    let pressed = press(&app, &clock, &device, json!({ "kind": "alien invasion" })).await;
    assert_eq!(pressed.status, 201, "{}", pressed.json);
    let pages = drain(&t.clients, &city).await;
    assert_eq!(pages.len(), 1);
    assert!(
        pages[0].contains("DARURAT LAIN T0 kota lokasi tidak ada"),
        "{}",
        pages[0]
    );
    let shown = staff_incident(&app, pressed.json["incident_id"].as_str().unwrap()).await;
    assert!(timeline(&shown).contains(&"no_location".to_string()));
}

#[tokio::test]
async fn cancel_tells_everyone_and_leaves_a_follow_up_while_duress_looks_the_same_and_escalates() {
    let t = fast_stack("panic-cancel").await;
    let clock = Arc::new(ManualClock::new(start()));
    let app = panic_app(&t, clock.clone());
    let tier0 = responder(&t, "cibeunying", &["0"]).await;
    let top = responder(&t, "cibeunying", &["2"]).await;
    let here = json!({ "kind": "crime", "lat": GEDUNG_SATE.0, "lon": GEDUNG_SATE.1 });

    let first = registered(&app, &clock, &unique_phone()).await;
    let id = press(&app, &clock, &first, here.clone()).await.json["incident_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(drain(&t.clients, &tier0).await.len(), 1);
    let cancel = |device: &(String, String), id: &str, pin: &str| {
        signed(
            "POST",
            &format!("/panic/incidents/{id}/cancel"),
            &device.0,
            &device.1,
            &json!({ "pin": pin }).to_string(),
            clock.now(),
        )
    };
    assert_eq!(call(&app, cancel(&first, &id, "0000")).await.status, 403);
    let cancelled = call(&app, cancel(&first, &id, "1234")).await;
    assert_eq!(cancelled.status, 200);
    let told = drain(&t.clients, &tier0).await;
    assert_eq!(told.len(), 1);
    assert!(told[0].contains("dibatalkan"), "{}", told[0]);
    let follow_ups = call(
        &app,
        staff_request(
            "GET",
            "/staff/incidents?queue=follow-up",
            "op-1",
            &["operator"],
            None,
        ),
    )
    .await;
    assert!(
        follow_ups.json["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == id.as_str())
    );
    // A retried cancel answers the same.
    assert_eq!(
        call(&app, cancel(&first, &id, "1234")).await.json,
        cancelled.json
    );
    // The operator calls back, notes it, and the incident leaves the follow-up queue.
    let act = |action: &str, body: &str| {
        staff_request(
            "POST",
            &format!("/staff/incidents/{id}/{action}"),
            "op-1",
            &["operator"],
            Some(body),
        )
    };
    assert_eq!(
        call(&app, act("note", r#"{"note":"ditelepon"}"#))
            .await
            .status,
        200
    );
    let done = call(&app, act("follow-up", r#"{"note":"aman, tidak sengaja"}"#)).await;
    assert_eq!(done.status, 200, "{}", done.json);
    assert_eq!(done.json["follow_up"], false);
    let queue = call(
        &app,
        staff_request(
            "GET",
            "/staff/incidents?queue=follow-up",
            "op-1",
            &["operator"],
            None,
        ),
    )
    .await;
    assert!(
        !queue.json["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == id.as_str())
    );
    let steps = timeline(&staff_incident(&app, &id).await);
    assert!(
        steps.ends_with(&["note".to_string(), "followed_up".to_string()]),
        "{steps:?}"
    );

    let second = registered(&app, &clock, &unique_phone()).await;
    let id2 = press(&app, &clock, &second, here).await.json["incident_id"]
        .as_str()
        .unwrap()
        .to_string();
    drain(&t.clients, &tier0).await;
    let duress = call(&app, cancel(&second, &id2, "9999")).await;
    assert_eq!(duress.status, 200);
    let mut expected = cancelled.json.clone();
    expected["incident_id"] = json!(id2);
    assert_eq!(
        duress.json, expected,
        "the device cannot tell duress from a cancel"
    );
    let paged = drain(&t.clients, &top).await;
    assert_eq!(paged.len(), 1);
    assert!(paged[0].contains("DURESS"), "{}", paged[0]);
    assert!(
        drain(&t.clients, &tier0).await.is_empty(),
        "nobody is told it was cancelled"
    );
    let shown = staff_incident(&app, &id2).await;
    assert_eq!(shown["state"], "triggered");
    assert_eq!(shown["duress"], true);

    // Past the window a cancel is refused.
    clock.advance(SignedDuration::from_secs(121));
    let third_press = press(&app, &clock, &first, json!({})).await;
    let id3 = third_press.json["incident_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(id3, id, "a press after a cancel opens a new incident");
    clock.advance(SignedDuration::from_secs(121));
    assert_eq!(call(&app, cancel(&first, &id3, "1234")).await.status, 409);
}

#[tokio::test]
async fn the_auditor_recovers_a_lost_tick_and_pages_owed_by_a_crashed_handler() {
    let t = fast_stack("panic-audit").await;
    let clock = Arc::new(ManualClock::new(start()));
    let app = panic_app(&t, clock.clone());
    let esc = escalate_app(&t, clock.clone());
    let tier0 = responder(&t, "cibeunying", &["0"]).await;
    let tier1 = responder(&t, "cibeunying", &["1"]).await;
    let device = registered(&app, &clock, &unique_phone()).await;
    let id = press(
        &app,
        &clock,
        &device,
        json!({ "kind": "fire", "lat": GEDUNG_SATE.0, "lon": GEDUNG_SATE.1 }),
    )
    .await
    .json["incident_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(drain(&t.clients, &tier0).await.len(), 1);
    // The tick is lost.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(drain(&t.clients, &escalation_url(&t)).await.len(), 1);
    assert_eq!(
        escalate::audit(&esc).await.unwrap().redriven,
        0,
        "not overdue yet"
    );
    clock.advance(SignedDuration::from_secs(40));
    let audit = escalate::audit(&esc).await.unwrap();
    assert_eq!(audit.redriven, 1, "{audit:?}");
    let tick = next_tick(&t).await;
    assert_eq!(
        run_tick(&esc, &tick).await,
        escalate::TickOutcome::Escalated
    );
    assert_eq!(drain(&t.clients, &tier1).await.len(), 1);
    assert!(timeline(&staff_incident(&app, &id).await).contains(&"tick_redriven".to_string()));

    // A handler that died after its write, before paging: the auditor pages.
    let store = IncidentStore::new(t.clients.dynamodb.clone(), &t.table);
    let policy = store.policy().await.unwrap();
    let opened = sigap::domain::incident::open(
        sigap::domain::incident::Opening {
            id: "INC-CRASH2".into(),
            kind: sigap::domain::incident::IncidentKind::Accident,
            source: sigap::domain::incident::Source::Call112 {
                operator: "op-1".into(),
            },
            sector: "cibeunying".into(),
            fix: None,
            location_text: Some("Jl. Diponegoro".into()),
            policy,
            low_trust: false,
            token: "tok".into(),
        },
        clock.now(),
    );
    store
        .open(&opened, &[], None, None, Vec::new(), clock.now())
        .await
        .unwrap();
    assert!(drain(&t.clients, &tier0).await.is_empty());
    clock.advance(SignedDuration::from_secs(16));
    let audit = escalate::audit(&esc).await.unwrap();
    assert_eq!(audit.finished, 1, "{audit:?}");
    let pages = drain(&t.clients, &tier0).await;
    assert_eq!(pages.len(), 1);
    assert!(
        pages[0].contains("INC-CRASH2 KECELAKAAN T0 cibeunying Jl. Diponegoro"),
        "{}",
        pages[0]
    );
    // Settled: the next audit pages nobody.
    clock.advance(SignedDuration::from_secs(16));
    assert_eq!(escalate::audit(&esc).await.unwrap().finished, 0);
    assert!(drain(&t.clients, &tier0).await.is_empty());
}

#[tokio::test]
async fn an_operator_records_a_112_call_and_a_responder_takes_it_by_sms() {
    let t = fast_stack("panic-112").await;
    let clock = Arc::new(ManualClock::new(start()));
    let app = panic_app(&t, clock.clone());
    let esc = escalate_app(&t, clock.clone());
    let tier0 = responder(&t, "karees", &["0"]).await;
    let tier1 = responder(&t, "karees", &["1"]).await;
    // Responders' acks by SMS are on: the template gives sms-intake the panic topic.
    let sms: sms_intake::SmsIntake = t.app(clock.clone(), &[]);
    let officer = unique_phone();
    let e164 = sigap::domain::contact::PhoneNumber::parse(&officer).unwrap();
    IncidentStore::new(t.clients.dynamodb.clone(), &t.table)
        .register_responder(
            &sigap::domain::contact::SenderKey::new(SENDER_KEY)
                .unwrap()
                .phone(&e164),
            "damkar-karees",
            &e164.masked(),
            "test",
            clock.now(),
        )
        .await
        .unwrap();

    let call_body = json!({
        "kind": "fire", "caller": "0812 1111 2222", "location_text": "Pasar Kosambi lantai 2",
        "sector": "karees", "notes": "asap tebal, ada orang terjebak"
    })
    .to_string();
    let create = || {
        let mut r = staff_request(
            "POST",
            "/staff/incidents",
            "op-1",
            &["operator"],
            Some(&call_body),
        );
        r.headers_mut()
            .insert("idempotency-key", "call-77".parse().unwrap());
        r
    };
    let responder_only = call(
        &app,
        staff_request(
            "POST",
            "/staff/incidents",
            "r-1",
            &["responder:x"],
            Some(&call_body),
        ),
    )
    .await;
    assert_eq!(responder_only.status, 403);
    let created = call(&app, create()).await;
    assert_eq!(created.status, 201, "{}", created.json);
    let id = created.json["id"].as_str().unwrap().to_string();
    // The operator's retry is the same incident, paged once.
    let retried = call(&app, create()).await;
    assert_eq!(retried.status, 200);
    assert_eq!(retried.json["id"], id.as_str());
    let pages = drain(&t.clients, &tier0).await;
    assert_eq!(pages.len(), 1, "{pages:?}");
    assert!(
        pages[0].contains("KEBAKARAN T0 karees Pasar Kosambi lantai 2"),
        "{}",
        pages[0]
    );

    // Same escalation path as a press.
    clock.advance(SignedDuration::from_secs(1));
    let tick = next_tick(&t).await;
    assert_eq!(
        run_tick(&esc, &tick).await,
        escalate::TickOutcome::Escalated
    );
    assert_eq!(drain(&t.clients, &tier1).await.len(), 1);

    // An unknown number cannot take it; the officer's "1 <code>" does.
    assert_eq!(
        text(&sms, "SMack0", &unique_phone(), &format!("1 {id}")).await,
        200
    );
    assert_eq!(
        text(
            &sms,
            "SMack1",
            &officer,
            &format!("1 {}", id.to_lowercase())
        )
        .await,
        200
    );
    assert_eq!(
        text(
            &sms,
            "SMack1",
            &officer,
            &format!("1 {}", id.to_lowercase())
        )
        .await,
        200
    );
    pump_notify(&t, clock.clone()).await;
    let replies = sent_sms(&officer).await;
    assert_eq!(
        replies,
        vec![format!(
            "SIGAP: {id} tercatat Anda tangani (damkar-karees). Selesaikan lewat aplikasi petugas."
        )]
    );
    for queue in [&tier0, &tier1] {
        let down = drain(&t.clients, queue).await;
        assert_eq!(down.len(), 1, "{down:?}");
        assert!(down[0].contains("sudah ditangani damkar-karees"));
    }
    let shown = staff_incident(&app, &id).await;
    assert_eq!(shown["owner"], "damkar-karees");
    assert_eq!(shown["caller"], "+6281211112222");
    let steps = timeline(&shown);
    assert!(
        steps.starts_with(&["opened".to_string(), "note".to_string()]),
        "{steps:?}"
    );
    assert!(steps.contains(&"acknowledged".to_string()));

    // Unfounded outcome by the operator: counted against a device only (none here).
    let resolved = call(
        &app,
        staff_request(
            "POST",
            &format!("/staff/incidents/{id}/resolve"),
            "op-1",
            &["operator"],
            Some(r#"{"outcome":"minor"}"#),
        ),
    )
    .await;
    assert_eq!(resolved.status, 200);
    let open = call(
        &app,
        staff_request("GET", "/staff/incidents", "sup", &["supervisor"], None),
    )
    .await;
    assert!(
        !open.json["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == id.as_str())
    );
}

#[tokio::test]
async fn repeated_unfounded_presses_mark_a_device_low_trust_but_it_still_pages() {
    let t = fast_stack("panic-trust").await;
    let clock = Arc::new(ManualClock::new(start()));
    let app = panic_app(&t, clock.clone());
    let city = responder(&t, "kota", &["0"]).await;
    let device = registered(&app, &clock, &unique_phone()).await;
    for _ in 0..3 {
        let id = press(&app, &clock, &device, json!({})).await.json["incident_id"]
            .as_str()
            .unwrap()
            .to_string();
        let r = call(
            &app,
            staff_request(
                "POST",
                &format!("/staff/incidents/{id}/resolve"),
                "op-1",
                &["operator"],
                Some(r#"{"outcome":"unfounded"}"#),
            ),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.json);
        clock.advance(SignedDuration::from_secs(5));
    }
    assert_eq!(
        drain(&t.clients, &city)
            .await
            .iter()
            .filter(|p| p.contains("T0"))
            .count(),
        3
    );
    let pressed = press(&app, &clock, &device, json!({})).await;
    assert_eq!(pressed.status, 201);
    assert_eq!(
        drain(&t.clients, &city).await.len(),
        1,
        "a low-trust device still pages"
    );
    let shown = staff_incident(&app, pressed.json["incident_id"].as_str().unwrap()).await;
    assert_eq!(shown["low_trust"], true);

    // Blocks are an admin's decision, with a reason and an expiry.
    let as_op = call(
        &app,
        staff_request(
            "POST",
            &format!("/staff/devices/{}/block", device.0),
            "op-1",
            &["operator"],
            Some(r#"{"reason":"iseng","days":7}"#),
        ),
    )
    .await;
    assert_eq!(as_op.status, 403);
    let blocked = call(
        &app,
        staff_request(
            "POST",
            &format!("/staff/devices/{}/block", device.0),
            "adm",
            &["admin"],
            Some(r#"{"reason":"iseng berulang","days":7}"#),
        ),
    )
    .await;
    assert_eq!(blocked.status, 200, "{}", blocked.json);
    call(
        &app,
        staff_request(
            "POST",
            &format!(
                "/staff/incidents/{}/resolve",
                pressed.json["incident_id"].as_str().unwrap()
            ),
            "op-1",
            &["operator"],
            Some(r#"{"outcome":"unfounded"}"#),
        ),
    )
    .await;
    let refused = press(&app, &clock, &device, json!({})).await;
    assert_eq!(refused.status, 403);
    assert!(
        refused.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("112")
    );
    let unblocked = call(
        &app,
        staff_request(
            "POST",
            &format!("/staff/devices/{}/unblock", device.0),
            "adm",
            &["admin"],
            None,
        ),
    )
    .await;
    assert_eq!(unblocked.status, 200);
    assert_eq!(press(&app, &clock, &device, json!({})).await.status, 201);
}

#[tokio::test]
async fn a_device_over_its_hourly_limit_is_marked_low_trust_and_still_pages() {
    let t = fast_stack("panic-limit").await;
    let clock = Arc::new(ManualClock::new(start()));
    let app: panic::Panic = t.app(clock.clone(), &[("PANIC_INCIDENTS_PER_HOUR", "1")]);
    let city = responder(&t, "kota", &["0"]).await;
    let device = registered(&app, &clock, &unique_phone()).await;
    let mut marks = Vec::new();
    for _ in 0..2 {
        let id = press(&app, &clock, &device, json!({})).await.json["incident_id"]
            .as_str()
            .unwrap()
            .to_string();
        marks.push(staff_incident(&app, &id).await["low_trust"].clone());
        let resolved = call(
            &app,
            staff_request(
                "POST",
                &format!("/staff/incidents/{id}/resolve"),
                "op-1",
                &["operator"],
                Some(r#"{"outcome":"minor"}"#),
            ),
        )
        .await;
        assert_eq!(resolved.status, 200);
    }
    assert_eq!(marks, vec![json!(false), json!(true)]);
    let pages: Vec<String> = drain(&t.clients, &city)
        .await
        .into_iter()
        .filter(|p| p.contains(" T0 "))
        .collect();
    assert_eq!(pages.len(), 2, "both incidents paged: {pages:?}");
}

#[tokio::test]
async fn an_operator_turns_a_non_emergency_call_into_a_lapor_report() {
    let t = stack("panic-to-lapor").await;
    let clock = Arc::new(ManualClock::new(crate::web_intake::friday_morning()));
    let web = crate::web_intake::app_with(&t, clock.clone(), &t.intake_url);
    let mut body = crate::web_intake::valid_body();
    body["contact"] = json!({ "phone": "0812 1111 3333" });
    body["anonymous"] = json!(false);
    let body = body.to_string();
    let submit = |groups: &[&str]| {
        let mut request = staff_request("POST", "/staff/calls/report", "op-9", groups, Some(&body));
        request
            .headers_mut()
            .insert("idempotency-key", "call-4411".parse().unwrap());
        request
    };
    let refused = reply(
        web_intake::handle(&web, submit(&["responder:x"]))
            .await
            .unwrap(),
    );
    assert_eq!(refused.status, 403);
    let anonymous = reply(
        web_intake::handle(
            &web,
            api_request(
                "POST",
                "/staff/calls/report",
                &[("content-type", "application/json")],
                Some(&body),
            ),
        )
        .await
        .unwrap(),
    );
    assert_eq!(anonymous.status, 401);
    let created = reply(
        web_intake::handle(&web, submit(&["operator"]))
            .await
            .unwrap(),
    );
    assert_eq!(created.status, 201, "{}", created.json);
    let id = created.json["tracking_id"].as_str().unwrap().to_string();
    let again = reply(
        web_intake::handle(&web, submit(&["operator"]))
            .await
            .unwrap(),
    );
    assert_eq!(
        again.json["tracking_id"],
        id.as_str(),
        "a retried submit is the same report"
    );
    let store = sigap::adapters::reports::ReportStore::new(t.clients.dynamodb.clone(), &t.table);
    let tracking = sigap::domain::tracking_id::TrackingId::parse(&id).unwrap();
    let report = store.get(&tracking).await.unwrap().unwrap();
    assert_eq!(report.channel, sigap::domain::report::Channel::CallCenter);
    assert!(
        report.clock.is_some(),
        "the verification clock runs as for a web report"
    );
    let events = store
        .timeline_page(&tracking, None, 1000)
        .await
        .unwrap()
        .events;
    assert_eq!(events[0].actor, "operator:op-9");
    // Queued for triage like any report.
    let queued = drain(&t.clients, &t.intake_url).await;
    assert_eq!(queued.len(), 1);
    assert!(queued[0].contains(&id));
}

#[tokio::test]
async fn a_responder_takes_an_incident_by_the_signed_link_in_the_page() {
    let t = fast_stack("panic-link").await;
    let clock = Arc::new(ManualClock::new(start()));
    let app: panic::Panic = t.app(clock.clone(), &[("PUBLIC_BASE_URL", "https://sigap.id")]);
    let tier0 = responder(&t, "kota", &["0"]).await;
    let device = registered(&app, &clock, &unique_phone()).await;
    let id = press(&app, &clock, &device, json!({ "kind": "medical" }))
        .await
        .json["incident_id"]
        .as_str()
        .unwrap()
        .to_string();
    let page = drain(&t.clients, &tier0).await.remove(0);
    assert!(page.chars().count() <= 160, "{page}");
    let link = page
        .split("atau buka sigap.id")
        .nth(1)
        .expect(&page)
        .to_string();
    assert!(link.starts_with(&format!("/a/{id}/0")), "{link}");
    let form = |method: &str, path: &str, body: Option<&str>| {
        api_request(
            method,
            path,
            &[("content-type", "application/x-www-form-urlencoded")],
            body,
        )
    };
    // A forged token, or a link to another tier: refused.
    let forged = format!("/a/{id}/0aaaaaaaaaaaa");
    assert_eq!(call(&app, form("POST", &forged, None)).await.status, 403);
    let other_tier = link.replacen(&format!("/a/{id}/0"), &format!("/a/{id}/1"), 1);
    assert_eq!(
        call(&app, form("POST", &other_tier, None)).await.status,
        403
    );
    // Opening the link (or a chat app's preview) takes nothing.
    let opened = panic::handle(&app, form("GET", &link, None)).await.unwrap();
    assert_eq!(opened.status(), 200);
    assert_eq!(staff_incident(&app, &id).await["state"], "triggered");
    // The button does.
    let taken = panic::handle(&app, form("POST", &link, Some("unit=Ambulans-Kota")))
        .await
        .unwrap();
    assert_eq!(taken.status(), 200);
    // The link cannot tell who tapped: the owner is the tier's link, and the unit
    // typed is on the timeline as what was said.
    let shown = staff_incident(&app, &id).await;
    assert_eq!(shown["state"], "acknowledged");
    assert_eq!(shown["owner"], "tautan-t0");
    assert!(
        shown.to_string().contains("menyebut unit: ambulans-kota"),
        "{shown}"
    );
    let down = drain(&t.clients, &tier0).await;
    assert_eq!(down.len(), 1);
    assert!(down[0].contains("sudah ditangani tautan-t0"), "{}", down[0]);
    let again = panic::handle(&app, form("POST", &link, None))
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
}

#[tokio::test]
async fn a_number_gets_at_most_three_codes_an_hour_and_a_locked_code_stays_locked() {
    let t = fast_stack("panic-codes").await;
    let clock = Arc::new(ManualClock::new(start()));
    let app = panic_app(&t, clock.clone());
    let phone = unique_phone();
    let body = json!({ "phone": phone }).to_string();
    let register = || {
        api_request(
            "POST",
            "/panic/devices",
            &[("content-type", "application/json")],
            Some(&body),
        )
    };
    let mut ids = Vec::new();
    for _ in 0..3 {
        let created = call(&app, register()).await;
        assert_eq!(created.status, 201, "{}", created.json);
        ids.push(created.json["device_id"].as_str().unwrap().to_string());
    }
    let fourth = call(&app, register()).await;
    assert_eq!(fourth.status, 429);
    assert_eq!(sent_sms(&phone).await.len(), 3, "no fourth code was texted");
    // Five wrong codes lock a registration; the right one no longer works.
    let verify = |id: &str, code: &str| {
        api_request(
            "POST",
            &format!("/panic/devices/{id}/verify"),
            &[("content-type", "application/json")],
            Some(&json!({ "code": code }).to_string()),
        )
    };
    for _ in 0..5 {
        assert_eq!(call(&app, verify(&ids[0], "000000")).await.status, 403);
    }
    let code: String = sent_sms(&phone).await[0]
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap()
        .to_string();
    let locked = call(&app, verify(&ids[0], &code)).await;
    assert_eq!(locked.status, 403);
    assert_eq!(locked.json["error"]["code"], "code_locked");
    // A new hour, a new code.
    clock.advance(SignedDuration::from_hours(1));
    assert_eq!(call(&app, register()).await.status, 201);
}

/// The caller's location by link: the operator texts it; opening it changes
/// nothing; two answers at once move the incident once (the link is spent in the
/// same write); a page sent after carries the new position; an expired link and a
/// forged one are refused.
#[tokio::test]
async fn a_location_link_moves_the_incident_once_and_later_pages_carry_the_position() {
    let t = fast_stack("panic-locate").await;
    let clock = Arc::new(ManualClock::new(start()));
    let app = panic_app(&t, clock.clone());
    let esc = escalate_app(&t, clock.clone());
    let tier1 = responder(&t, "karees", &["1"]).await;
    let caller = unique_phone();
    let body = json!({ "kind": "medical", "caller": caller, "sector": "karees",
        "location_text": "dekat pasar" })
    .to_string();
    let created = call(
        &app,
        staff_request(
            "POST",
            "/staff/incidents",
            "op-1",
            &["operator"],
            Some(&body),
        ),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.json);
    let id = created.json["id"].as_str().unwrap().to_string();
    let send_link = || {
        let mut request = staff_request(
            "POST",
            &format!("/staff/incidents/{id}/location-link"),
            "op-1",
            &["operator"],
            None,
        );
        request
            .headers_mut()
            .insert("host", "sigap.test".parse().unwrap());
        request
    };
    // Only an operator sends one.
    let by_responder = call(
        &app,
        staff_request(
            "POST",
            &format!("/staff/incidents/{id}/location-link"),
            "r-1",
            &["responder:x"],
            None,
        ),
    )
    .await;
    assert_eq!(by_responder.status, 403);
    let sent = call(&app, send_link()).await;
    assert_eq!(sent.status, 200, "{}", sent.json);
    let texts = sent_sms(&caller).await;
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(
        !texts[0].contains(&id),
        "the SMS names no incident: {}",
        texts[0]
    );
    let link = texts[0]
        .split_whitespace()
        .find(|w| w.contains("/l/"))
        .unwrap()
        .to_string();
    assert!(link.starts_with("https://sigap.test/l/"), "{link}");
    let path = link.trim_start_matches("https://sigap.test");

    // Opening the page (a link preview does too) spends nothing and says nothing.
    let page = call(&app, api_request("GET", path, &[], None)).await;
    assert_eq!(page.status, 200);
    assert!(!page.text.contains(&id) && !page.text.contains("pasar"));
    // Two answers at once: one moves the incident, the other finds the link spent.
    let answer = |lat: f64| {
        let body = json!({ "lat": lat, "lon": 107.6301, "accuracy_m": 8.0 }).to_string();
        call(
            &app,
            api_request(
                "POST",
                path,
                &[("content-type", "application/json")],
                Some(&body),
            ),
        )
    };
    let (first, second) = futures::join!(answer(-6.9201), answer(-6.9202));
    let mut statuses = [first.status, second.status];
    statuses.sort();
    assert_eq!(statuses, [200, 410], "{} / {}", first.json, second.json);
    let shown = staff_incident(&app, &id).await;
    let moved = shown["location"]["lat"].as_f64().unwrap();
    assert!(moved == -6.9201 || moved == -6.9202, "{shown}");
    assert_eq!(shown["location"]["accuracy_m"], 8.0);
    let steps = timeline(&shown);
    assert_eq!(
        steps.iter().filter(|s| *s == "located").count(),
        1,
        "{steps:?}"
    );
    assert!(steps.contains(&"location_link_sent".to_string()));
    // Opened again: gone.
    assert_eq!(
        call(&app, api_request("GET", path, &[], None)).await.status,
        410
    );

    // Tier 1 is paged after that: its page carries the new position.
    clock.advance(SignedDuration::from_secs(1));
    let tick = next_tick(&t).await;
    clock.advance(SignedDuration::from_secs(61));
    assert_eq!(
        run_tick(&esc, &tick).await,
        escalate::TickOutcome::Escalated
    );
    let pages = drain(&t.clients, &tier1).await;
    assert_eq!(pages.len(), 1, "{pages:?}");
    assert!(
        pages[0].contains(&format!("maps.google.com/?q={moved:.5},107.63010")),
        "{}",
        pages[0]
    );

    // A second link, answered after its 30 minutes: refused, nothing moves.
    assert_eq!(call(&app, send_link()).await.status, 200);
    let late = sent_sms(&caller).await.pop().unwrap();
    let late = late.split_whitespace().find(|w| w.contains("/l/")).unwrap();
    clock.advance(SignedDuration::from_mins(31));
    let body = json!({ "lat": -6.93, "lon": 107.63 }).to_string();
    let refused = call(
        &app,
        api_request(
            "POST",
            late.trim_start_matches("https://sigap.test"),
            &[("content-type", "application/json")],
            Some(&body),
        ),
    )
    .await;
    assert_eq!(refused.status, 410, "{}", refused.json);
    assert_eq!(refused.json["error"]["code"], "link_used_or_expired");
    let forged = call(
        &app,
        api_request("GET", "/l/0123456789abcdef0123456789abcdef", &[], None),
    )
    .await;
    assert_eq!(forged.status, 410);
    let after = staff_incident(&app, &id).await;
    assert_eq!(after["location"]["lat"].as_f64().unwrap(), moved);
}

/// A press without mobile data: `DARURAT` from a registered device's number pages
/// like an app press (deduplicated with the app's, at the last known position said
/// as such, once per message however often the gateway retries); from any other
/// number it only answers how to register.
#[tokio::test]
async fn an_sms_panic_from_a_registered_number_pages_like_a_press_and_from_another_only_answers() {
    let t = fast_stack("panic-sms").await;
    let clock = Arc::new(ManualClock::new(start()));
    let app = panic_app(&t, clock.clone());
    let sms: sms_intake::SmsIntake = t.app(clock.clone(), &[]);
    let tier0 = responder(&t, "cibeunying", &["0"]).await;
    let device = registered(&app, &clock, &unique_phone()).await;
    let phone = sigap::adapters::devices::DeviceStore::new(t.clients.dynamodb.clone(), &t.table)
        .pii(&device.0)
        .await
        .unwrap()
        .unwrap()
        .phone
        .as_e164()
        .to_string();
    let open_incidents = || async {
        call(
            &app,
            staff_request("GET", "/staff/incidents", "sup", &["supervisor"], None),
        )
        .await
        .json["incidents"]
            .as_array()
            .unwrap()
            .len()
    };

    // The app presses with a position; the same number's SMS then joins it.
    let pressed = press(
        &app,
        &clock,
        &device,
        json!({
            "kind": "crime", "lat": GEDUNG_SATE.0, "lon": GEDUNG_SATE.1, "accuracy_m": 9.0
        }),
    )
    .await;
    assert_eq!(pressed.status, 201, "{}", pressed.json);
    let first = pressed.json["incident_id"].as_str().unwrap().to_string();
    assert_eq!(drain(&t.clients, &tier0).await.len(), 1);
    clock.advance(SignedDuration::from_secs(20));
    assert_eq!(text(&sms, "SMpanic1", &phone, "darurat").await, 200);
    assert!(
        drain(&t.clients, &tier0).await.is_empty(),
        "a joined press pages nobody"
    );
    let joined = staff_incident(&app, &first).await;
    assert_eq!(joined["presses"], 2);
    assert!(
        joined["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["what"] == "press_joined" && e["detail"] == "press 2, lewat SMS"),
        "{joined}"
    );
    pump_notify(&t, clock.clone()).await;
    assert_eq!(
        sent_sms(&phone).await.last().unwrap(),
        "SIGAP: permintaan darurat diterima, petugas sedang dihubungi. Bila bisa, telepon 112."
    );

    // That one is closed; an hour later the SMS alone opens a new incident and pages
    // tier 0 of the sector of the last known position, said to be just that.
    let closed = call(
        &app,
        staff_request(
            "POST",
            &format!("/staff/incidents/{first}/resolve"),
            "op-1",
            &["operator"],
            Some(r#"{"outcome":"founded"}"#),
        ),
    )
    .await;
    assert_eq!(closed.status, 200, "{}", closed.json);
    drain(&t.clients, &tier0).await;
    clock.advance(SignedDuration::from_hours(1));
    let before = open_incidents().await;
    assert_eq!(
        text(&sms, "SMpanic2", &phone, "DARURAT kebakaran, asap").await,
        200
    );
    // The gateway sends the same message again: still one incident, one page.
    assert_eq!(
        text(&sms, "SMpanic2", &phone, "DARURAT kebakaran, asap").await,
        200
    );
    let pages = drain(&t.clients, &tier0).await;
    assert_eq!(pages.len(), 1, "{pages:?}");
    assert!(
        pages[0].contains("KEBAKARAN T0 cibeunying maps.google.com/?q=-6.90250,107.61880 (lama)"),
        "{}",
        pages[0]
    );
    assert_eq!(open_incidents().await, before + 1);
    let second = call(
        &app,
        staff_request("GET", "/staff/incidents", "sup", &["supervisor"], None),
    )
    .await
    .json["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["source"]["device"] == device.0.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let shown = staff_incident(&app, &second).await;
    assert_eq!(shown["kind"], "fire");
    assert_eq!(shown["location"]["stale"], true);
    let details: Vec<String> = shown["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["what"].as_str().unwrap(),
                e["detail"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert!(details[0].ends_with("lewat SMS"), "{details:?}");
    assert!(
        details
            .iter()
            .any(|d| d.starts_with("located posisi terakhir yang diketahui (dikirim aplikasi")),
        "{details:?}"
    );

    // An admin blocked the number for junk reports: its press by SMS still counts.
    let e164 = sigap::domain::contact::PhoneNumber::parse(&phone).unwrap();
    sigap::adapters::senders::SenderStore::new(t.clients.dynamodb.clone(), &t.table)
        .block(&sigap::adapters::senders::BlockedSender {
            sender: sigap::domain::contact::SenderKey::new(SENDER_KEY)
                .unwrap()
                .phone(&e164),
            masked: e164.masked(),
            reason: "laporan iseng".into(),
            until: clock.now() + SignedDuration::from_hours(24),
            by: "admin".into(),
        })
        .await
        .unwrap();
    clock.advance(SignedDuration::from_secs(30));
    assert_eq!(text(&sms, "SMpanic4", &phone, "DARURAT").await, 200);
    assert_eq!(staff_incident(&app, &second).await["presses"], 2);

    // A number no device registered: told how to register, nothing opened or paged.
    let stranger = unique_phone();
    let before = open_incidents().await;
    assert_eq!(text(&sms, "SMpanic3", &stranger, "DARURAT").await, 200);
    assert!(drain(&t.clients, &tier0).await.is_empty());
    assert_eq!(open_incidents().await, before);
    pump_notify(&t, clock.clone()).await;
    assert_eq!(
        sent_sms(&stranger).await,
        vec!["SIGAP: nomor ini belum terdaftar di Tombol Darurat. Pasang aplikasi SIGAP dan daftarkan nomor ini. Dalam keadaan darurat, telepon 112.".to_string()]
    );
}

/// The app's position while the emergency lasts: signed, at most one every 15 s,
/// onto the incident's track and fix (so a later page carries it) and the device's
/// last known position; only the device that pressed; and a stop once the incident
/// has been owned a while.
#[tokio::test]
async fn the_apps_positions_follow_the_emergency_bounded_in_rate_until_it_is_owned() {
    let t = fast_stack("panic-track").await;
    let clock = Arc::new(ManualClock::new(start()));
    let app = panic_app(&t, clock.clone());
    let esc = escalate_app(&t, clock.clone());
    let tier1 = responder(&t, "cibeunying", &["1"]).await;
    let device = registered(&app, &clock, &unique_phone()).await;
    let other = registered(&app, &clock, &unique_phone()).await;
    let pressed = press(
        &app,
        &clock,
        &device,
        json!({
            "kind": "crime", "lat": GEDUNG_SATE.0, "lon": GEDUNG_SATE.1
        }),
    )
    .await;
    assert_eq!(pressed.status, 201, "{}", pressed.json);
    let id = pressed.json["incident_id"].as_str().unwrap().to_string();
    let send = |who: &(String, String), lat: f64| {
        let body = json!({ "lat": lat, "lon": 107.6200, "accuracy_m": 6.0 }).to_string();
        let request = signed(
            "POST",
            &format!("/panic/incidents/{id}/position"),
            &who.0,
            &who.1,
            &body,
            clock.now(),
        );
        call(&app, request)
    };

    clock.advance(SignedDuration::from_secs(5));
    let first = send(&device, -6.9010).await;
    assert_eq!(first.status, 200, "{}", first.json);
    assert_eq!(first.json["tracking"], true);
    assert_eq!(first.json["every_s"], 15);
    // Sooner than 15 s: refused with when to try, nothing written.
    clock.advance(SignedDuration::from_secs(5));
    let soon = send(&device, -6.9005).await;
    assert_eq!(soon.status, 429, "{}", soon.json);
    assert_eq!(soon.headers["retry-after"], "10");
    // Another device cannot move it.
    assert_eq!(send(&other, -6.95).await.status, 404);
    clock.advance(SignedDuration::from_secs(10));
    assert_eq!(send(&device, -6.9000).await.status, 200);
    let shown = staff_incident(&app, &id).await;
    assert_eq!(shown["location"]["lat"], -6.9);
    let stored = IncidentStore::new(t.clients.dynamodb.clone(), &t.table)
        .get(&id)
        .await
        .unwrap()
        .unwrap();
    let lats: Vec<f64> = stored
        .track
        .iter()
        .map(|p| p.fix.coordinates.lat())
        .collect();
    assert_eq!(lats, vec![-6.901, -6.9]);
    // Quiet on the timeline: no line per position.
    assert!(!timeline(&shown).contains(&"located".to_string()));
    let known = sigap::adapters::devices::DeviceStore::new(t.clients.dynamodb.clone(), &t.table)
        .get(&device.0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(known.last_fix.unwrap().coordinates.lat(), -6.9);
    assert_eq!(known.last_fix_at, Some(clock.now()));

    // Tier 1, paged after, gets the newest position.
    let tick = next_tick(&t).await;
    clock.advance(SignedDuration::from_secs(61));
    assert_eq!(
        run_tick(&esc, &tick).await,
        escalate::TickOutcome::Escalated
    );
    let pages = drain(&t.clients, &tier1).await;
    assert_eq!(pages.len(), 1, "{pages:?}");
    assert!(
        pages[0].contains("maps.google.com/?q=-6.90000,107.62000"),
        "{}",
        pages[0]
    );

    // Owned: positions are still taken for 15 minutes, then the app is told to stop.
    let acked = call(
        &app,
        staff_request(
            "POST",
            &format!("/staff/incidents/{id}/ack"),
            "r-1",
            &["responder:polsek-coblong"],
            None,
        ),
    )
    .await;
    assert_eq!(acked.status, 200, "{}", acked.json);
    clock.advance(SignedDuration::from_mins(14));
    assert_eq!(send(&device, -6.8990).await.json["tracking"], true);
    clock.advance(SignedDuration::from_mins(2));
    let stop = send(&device, -6.8980).await;
    assert_eq!(stop.status, 200);
    assert_eq!(stop.json["tracking"], false);
    assert_eq!(staff_incident(&app, &id).await["location"]["lat"], -6.899);
}
