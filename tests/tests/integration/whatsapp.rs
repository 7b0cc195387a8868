//! WhatsApp against moto and a local fake of the Graph API: the handshake, Meta's
//! signature (computed here independently, over the bytes as sent), each message
//! handled once, a report with its point and its answers on WhatsApp, statuses on
//! the delivery records, the 24-hour window and its templates, the fallback to SMS
//! (once), and one conversation across SMS and WhatsApp.

use std::sync::Arc;

use hmac::{Hmac, Mac};
use jiff::SignedDuration;
use serde_json::{Value, json};
use sigap::domain::notification::NotifyJob;
use sigap::domain::report::Channel;
use sigap::domain::tracking_id::TrackingId;
use sigap::runtime::clock::{Clock, ManualClock};
use sigap_tests::{
    FakeGraph, TestStack, drain, items_with_pk_prefix, reply, sent_sms, stack, unique_phone,
};

use crate::backoffice_views::{as_staff, dispatched_and_answered};
use crate::media_photos::{media_app, process_uploads};
use crate::sms_intake::{deliver_all, pump_intake, sms_app, text};
use crate::social_mentions::all_reports;
use crate::web_intake::{backoffice_app, friday_morning};

const APP_SECRET: &str = "test-whatsapp-app-secret";
const VERIFY_TOKEN: &str = "test-whatsapp-verify-token";
const PHONE_NUMBER_ID: &str = "106540352242922";
/// The token the test apps hold (`TEST_SECRETS`), the only one the fake accepts.
pub(crate) const ACCESS_TOKEN: &str = "test-whatsapp-access-token";

/// WhatsApp on, talking to `graph`.
fn overrides(graph: &FakeGraph) -> [(&'static str, String); 2] {
    [
        ("WHATSAPP_PHONE_NUMBER_ID", PHONE_NUMBER_ID.to_string()),
        ("WHATSAPP_GRAPH_URL", graph.base_url.clone()),
    ]
}

pub(crate) fn intake(
    t: &TestStack,
    graph: &FakeGraph,
    clock: Arc<dyn Clock>,
) -> sms_intake::SmsIntake {
    let o = overrides(graph);
    t.app(
        clock,
        &[(o[0].0, o[0].1.as_str()), (o[1].0, o[1].1.as_str())],
    )
}

fn notifier(t: &TestStack, graph: &FakeGraph, clock: Arc<dyn Clock>) -> notify::Notify {
    let o = overrides(graph);
    t.app(
        clock,
        &[(o[0].0, o[0].1.as_str()), (o[1].0, o[1].1.as_str())],
    )
}

/// Meta's scheme, written out: `sha256=` hex HMAC-SHA256 of the raw body.
pub(crate) fn meta_signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A notification carrying `value`, serialised as Meta sends it: non-ASCII escaped
/// as `\uXXXX` (the bytes signed are the bytes sent).
pub(crate) fn notification(value: Value) -> String {
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "102290129340398", "changes": [{ "field": "messages", "value": value }] }]
    })
    .to_string();
    let mut escaped = String::new();
    for c in body.chars() {
        if c.is_ascii() {
            escaped.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                escaped.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    escaped
}

/// The value of a notification with one message from `from`.
pub(crate) fn message(from: &str, id: &str, kind: &str, content: Value) -> Value {
    let wa_id = sigap::domain::contact::PhoneNumber::parse(from)
        .unwrap()
        .as_e164()
        .trim_start_matches('+')
        .to_string();
    let mut element = json!({ "from": wa_id, "id": id, "timestamp": "1764300000", "type": kind });
    element[kind] = content;
    json!({
        "messaging_product": "whatsapp",
        "metadata": { "display_phone_number": "6222170800", "phone_number_id": PHONE_NUMBER_ID },
        "contacts": [{ "profile": { "name": "Warga" }, "wa_id": wa_id }],
        "messages": [element],
    })
}

pub(crate) async fn post(
    app: &sms_intake::SmsIntake,
    body: &str,
    signature: Option<&str>,
) -> sigap_tests::HttpReply {
    let signed = meta_signature(APP_SECRET, body.as_bytes());
    let mut headers = vec![("content-type", "application/json")];
    match signature {
        Some("") => {}
        Some(other) => headers.push(("x-hub-signature-256", other)),
        None => headers.push(("x-hub-signature-256", &signed)),
    }
    let request = sigap_tests::api_request("POST", "/whatsapp", &headers, Some(body));
    reply(sms_intake::handle(app, request).await.unwrap())
}

/// Sends one message from `from`, signed, and expects 200.
pub(crate) async fn says(
    app: &sms_intake::SmsIntake,
    from: &str,
    id: &str,
    kind: &str,
    content: Value,
) {
    let body = notification(message(from, id, kind, content));
    let r = post(app, &body, None).await;
    assert_eq!(r.status, 200, "{id}: {}", r.json);
}

pub(crate) async fn say_text(app: &sms_intake::SmsIntake, from: &str, id: &str, text: &str) {
    says(app, from, id, "text", json!({ "body": text })).await;
}

/// Runs verify and notify (with WhatsApp on) over what is queued, as their
/// triggers would.
pub(crate) async fn pump(t: &TestStack, graph: &FakeGraph, clock: Arc<dyn Clock>) {
    pump_intake(t, clock.clone()).await;
    deliver_all(t, &notifier(t, graph, clock)).await;
}

/// The WhatsApp messages sent to `phone`: (type, text or template name).
pub(crate) fn sent_to(graph: &FakeGraph, phone: &str) -> Vec<(String, String)> {
    let e164 = sigap::domain::contact::PhoneNumber::parse(phone)
        .unwrap()
        .as_e164()
        .to_string();
    graph
        .sends()
        .into_iter()
        .filter(|s| s["to"] == e164.as_str())
        .map(|s| {
            let kind = s["type"].as_str().unwrap_or_default().to_string();
            let what = match kind.as_str() {
                "text" => s["text"]["body"].clone(),
                "interactive" => s["interactive"]["body"]["text"].clone(),
                "template" => s["template"]["name"].clone(),
                _ => Value::Null,
            };
            (kind, what.as_str().unwrap_or_default().to_string())
        })
        .collect()
}

/// Delivery records under `owner`, as stored.
async fn deliveries(
    t: &TestStack,
    owner: &str,
) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    items_with_pk_prefix(&t.clients, &t.table, owner)
        .await
        .into_iter()
        .filter(|i| i["SK"].as_s().unwrap().starts_with("D#"))
        .collect()
}

fn field(
    item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>,
    name: &str,
) -> String {
    item.get(name)
        .and_then(|v| v.as_s().ok().cloned().or_else(|| v.as_n().ok().cloned()))
        .unwrap_or_default()
}

/// A stack with WhatsApp on and a citizen who has just reported by WhatsApp (the
/// report triaged, its receipt sent): where the tests of what follows start.
struct Reported {
    t: TestStack,
    graph: FakeGraph,
    clock: Arc<ManualClock>,
    app: sms_intake::SmsIntake,
    phone: String,
    id: TrackingId,
}

async fn reported(name: &str, text: &str) -> Reported {
    let t = stack(name).await;
    let graph = FakeGraph::start(ACCESS_TOKEN).await.unwrap();
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let app = intake(&t, &graph, clock.clone());
    let phone = unique_phone();
    say_text(&app, &phone, &format!("wamid.{name}"), text).await;
    pump(&t, &graph, clock.clone()).await;
    let id = all_reports(&t).await.pop().unwrap().id;
    Reported {
        t,
        graph,
        clock,
        app,
        phone,
        id,
    }
}

#[tokio::test]
async fn the_handshake_echoes_the_challenge_only_for_the_verify_token() {
    let t = stack("wa-handshake").await;
    let graph = FakeGraph::start(ACCESS_TOKEN).await.unwrap();
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(friday_morning()));
    let app = intake(&t, &graph, clock.clone());
    let get = |query: String| {
        let request = sigap_tests::api_request("GET", &format!("/whatsapp?{query}"), &[], None);
        async { reply(sms_intake::handle(&app, request).await.unwrap()) }
    };
    let ok = get(format!(
        "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={VERIFY_TOKEN}"
    ))
    .await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.text, "1158201444");
    for query in [
        "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=salah".to_string(),
        format!("hub.mode=unsubscribe&hub.challenge=1&hub.verify_token={VERIFY_TOKEN}"),
        format!("hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}"),
        "hub.mode=subscribe&hub.challenge=1".to_string(),
    ] {
        let refused = get(query.clone()).await;
        assert_eq!(refused.status, 403, "{query}");
        assert_ne!(refused.text, "1158201444");
    }
    // Off (no phone number id): the route is not there.
    let off: sms_intake::SmsIntake = t.app(clock, &[("WHATSAPP_PHONE_NUMBER_ID", "")]);
    let request = sigap_tests::api_request(
        "GET",
        &format!("/whatsapp?hub.mode=subscribe&hub.challenge=1&hub.verify_token={VERIFY_TOKEN}"),
        &[],
        None,
    );
    assert_eq!(
        reply(sms_intake::handle(&off, request).await.unwrap()).status,
        404
    );
}

#[tokio::test]
async fn forged_or_missing_signatures_are_refused_with_nothing_stored() {
    let t = stack("wa-signature").await;
    let graph = FakeGraph::start(ACCESS_TOKEN).await.unwrap();
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(friday_morning()));
    let app = intake(&t, &graph, clock);
    let phone = unique_phone();
    let body = notification(message(
        &phone,
        "wamid.FORGED1",
        "text",
        json!({ "body": "BDG Jalan rusak parah 🙏 di Jl. Asia/Afrika @ depan gedung" }),
    ));
    assert!(
        body.contains("\\ud83d\\ude4f"),
        "sent escaped, as Meta does"
    );
    let reencoded: Value = serde_json::from_str(&body).unwrap();
    let reencoded = reencoded.to_string();
    let signed_reencoded = meta_signature(APP_SECRET, reencoded.as_bytes());
    let tampered = body.replace("parah", "ringan");
    let other_secret = meta_signature("not-the-app-secret", body.as_bytes());
    let base64_form = format!(
        "sha256={}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            hex::decode(&meta_signature(APP_SECRET, body.as_bytes()).as_bytes()[7..]).unwrap()
        )
    );
    for (what, sent, signature) in [
        ("no signature", body.as_str(), Some("")),
        ("another secret", body.as_str(), Some(other_secret.as_str())),
        (
            "tampered body",
            tampered.as_str(),
            Some(&meta_signature(APP_SECRET, body.as_bytes())[..]),
        ),
        ("base64, not hex", body.as_str(), Some(base64_form.as_str())),
        (
            "signed over re-encoded JSON",
            body.as_str(),
            Some(signed_reencoded.as_str()),
        ),
    ] {
        let refused = post(&app, sent, signature).await;
        assert_eq!(refused.status, 403, "{what}");
        assert_eq!(refused.json["error"]["code"], "invalid_signature", "{what}");
    }
    assert!(
        items_with_pk_prefix(&t.clients, &t.table, "SMS#")
            .await
            .is_empty()
    );
    assert!(
        items_with_pk_prefix(&t.clients, &t.table, "SENDER#")
            .await
            .is_empty()
    );
    assert!(
        items_with_pk_prefix(&t.clients, &t.table, "R#")
            .await
            .is_empty()
    );
    // The same bytes, signed right: accepted, and the emoji survives.
    assert_eq!(post(&app, &body, None).await.status, 200);
    let made = all_reports(&t).await;
    assert_eq!(made.len(), 1);
    assert!(
        made[0]
            .description
            .contains("parah 🙏 di Jl. Asia/Afrika @ depan"),
        "{}",
        made[0].description
    );
}

#[tokio::test]
async fn a_text_a_pin_and_a_photo_land_on_one_report_and_every_answer_goes_on_whatsapp() {
    let t = stack("wa-report").await;
    let graph = FakeGraph::start(ACCESS_TOKEN).await.unwrap();
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let app = intake(&t, &graph, clock.clone());
    let phone = unique_phone();

    // Meta delivers the first message three times: one report.
    for _ in 0..3 {
        say_text(
            &app,
            &phone,
            "wamid.R1",
            "BDG Trotoar ambles di Jl. Braga dekat kafe",
        )
        .await;
    }
    let made = all_reports(&t).await;
    assert_eq!(made.len(), 1, "{made:?}");
    let id = made[0].id.clone();
    assert_eq!(made[0].channel, Channel::WhatsApp);
    assert_eq!(made[0].location.coordinates, None);
    pump(&t, &graph, clock.clone()).await;

    // The pin lands on the same report; one outside Bandung is explained.
    says(
        &app,
        &phone,
        "wamid.R2",
        "location",
        json!({ "latitude": -6.9175, "longitude": 107.6090, "name": "Jl. Braga" }),
    )
    .await;
    says(
        &app,
        &phone,
        "wamid.R3",
        "location",
        json!({ "latitude": -6.2088, "longitude": 106.8456 }),
    )
    .await;
    // The receipt's button (status), then a sticker.
    says(
        &app,
        &phone,
        "wamid.R4",
        "interactive",
        json!({ "type": "button_reply", "button_reply": { "id": format!("INFO {id}"), "title": "Cek status" } }),
    )
    .await;
    says(
        &app,
        &phone,
        "wamid.R5",
        "sticker",
        json!({ "id": "STICKER1", "mime_type": "image/webp" }),
    )
    .await;
    // A photo without a caption: on the same report.
    let jpeg = imaging::samples::jpeg_of(&imaging::samples::street_scene(640, 480, 7));
    graph.add_media("MEDIA-R6", "image/jpeg", jpeg);
    let photo = json!({ "id": "MEDIA-R6", "mime_type": "image/jpeg", "sha256": "x" });
    says(&app, &phone, "wamid.R6", "image", photo).await;
    pump(&t, &graph, clock.clone()).await;

    // Text, pin and photo: one report.
    assert_eq!(all_reports(&t).await.len(), 1);
    let report = all_reports(&t).await.pop().unwrap();
    let point = report.location.coordinates.expect("the shared point");
    assert!((point.lat() + 6.9175).abs() < 1e-9 && (point.lon() - 107.6090).abs() < 1e-9);
    assert_eq!(report.photos.len(), 1, "{:?}", report.photos);
    let sent = sent_to(&graph, &phone);
    let head = format!("LAPOR! Bandung {id}: ");
    assert_eq!(sent.len(), 6, "{sent:?}");
    assert!(sent[5].1.contains("foto diterima"), "{sent:?}");
    assert_eq!(
        sent[0].0, "interactive",
        "the receipt offers a status button"
    );
    assert!(
        sent[0].1.starts_with(&format!("{head}laporan diterima")),
        "{sent:?}"
    );
    assert_eq!(
        sent[1],
        (
            "text".into(),
            format!("LAPOR! Bandung {id}: titik lokasi diterima. Terima kasih.")
        )
    );
    assert!(sent[2].1.contains("di luar Kota Bandung"), "{sent:?}");
    assert!(
        sent[3].1.starts_with(&head) && sent[3].1.contains("Menunggu verifikasi"),
        "{sent:?}"
    );
    assert!(sent[4].1.contains("belum bisa kami baca"), "{sent:?}");
    let receipt = graph
        .sends()
        .into_iter()
        .find(|s| s["type"] == "interactive")
        .unwrap();
    assert_eq!(
        receipt["interactive"]["action"]["buttons"][0]["reply"]["id"],
        format!("INFO {id}")
    );
    // Nothing went by SMS, and every record says WhatsApp carried it.
    assert!(sent_sms(&phone).await.is_empty());
    let records = deliveries(&t, &format!("R#{id}")).await;
    assert!(
        records
            .iter()
            .any(|r| field(r, "channel") == "whatsapp"
                && field(r, "message_id").starts_with("wamid."))
    );
    // Each message recorded once.
    let inbound = items_with_pk_prefix(&t.clients, &t.table, "SMS#whatsapp#")
        .await
        .into_iter()
        .filter(|i| i["SK"].as_s().unwrap() == "IN")
        .count();
    assert_eq!(inbound, 6);
}

#[tokio::test]
async fn statuses_are_recorded_on_the_delivery_record_of_their_message() {
    let Reported {
        t, graph, app, id, ..
    } = reported("wa-status", "BDG Lampu penerangan jalan mati di Jl. Riau").await;
    let receipt = graph
        .sends()
        .into_iter()
        .find(|s| s["to"].as_str().is_some())
        .unwrap();
    let callback = receipt["biz_opaque_callback_data"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(callback.starts_with(&format!("R#{id}|")), "{callback}");
    let records = deliveries(&t, &format!("R#{id}")).await;
    let wamid = field(&records[0], "message_id");

    let status = |state: &str, extra: Value| {
        let mut element = json!({
            "id": wamid, "status": state, "timestamp": "1764300100",
            "recipient_id": "62812", "biz_opaque_callback_data": callback,
        });
        if let Value::Object(more) = extra {
            for (k, v) in more {
                element[k] = v;
            }
        }
        notification(json!({ "messaging_product": "whatsapp", "statuses": [element] }))
    };
    let read = post(&app, &status("read", json!({})), None).await;
    assert_eq!(read.json["statuses_recorded"], 1);
    // Late and repeated ones change nothing.
    for late in ["delivered", "sent", "read"] {
        let r = post(&app, &status(late, json!({})), None).await;
        assert_eq!(
            (r.status, r.json["statuses_recorded"].clone()),
            (200, json!(0)),
            "{late}"
        );
    }
    // A status naming another message id, or no record: ignored.
    let stray = status("failed", json!({ "id": "wamid.OTHER" }));
    assert_eq!(post(&app, &stray, None).await.json["statuses_recorded"], 0);
    let records = deliveries(&t, &format!("R#{id}")).await;
    assert_eq!(field(&records[0], "wa_status"), "read");
    let failed = status(
        "failed",
        json!({ "errors": [{ "code": 131049, "title": "held back" }] }),
    );
    assert_eq!(post(&app, &failed, None).await.json["statuses_recorded"], 1);
    let records = deliveries(&t, &format!("R#{id}")).await;
    assert_eq!(field(&records[0], "wa_status"), "failed");
    assert_eq!(field(&records[0], "wa_error"), "131049");
}

#[tokio::test]
async fn outside_the_window_a_template_and_a_refused_message_goes_by_sms_once() {
    let Reported {
        t,
        graph,
        clock,
        app,
        phone,
        id,
    } = reported("wa-window", "BDG Saluran air tersumbat di Jl. Cihampelas").await;
    let office = backoffice_app(&t, clock.clone());

    // A day and an hour later the window is shut: the dispatch goes as its template.
    clock.advance(SignedDuration::from_hours(25));
    let dispatched = as_staff(
        &office,
        "POST",
        &format!("/staff/reports/{id}/dispatch"),
        &["admin"],
        Some(json!({"agencies": ["dsdabm"]})),
    )
    .await;
    assert_eq!(dispatched.status, 200, "{}", dispatched.json);
    pump(&t, &graph, clock.clone()).await;
    let template = graph.sends().into_iter().last().unwrap();
    assert_eq!(template["type"], "template");
    assert_eq!(template["template"]["name"], "sigap_laporan_diteruskan");
    assert_eq!(template["template"]["language"]["code"], "id");
    let parameters = &template["template"]["components"][0]["parameters"];
    assert_eq!(parameters[0]["text"], id.as_str());
    assert!(
        parameters[1]["text"].as_str().unwrap().contains("/2026"),
        "{parameters}"
    );
    assert!(sent_sms(&phone).await.is_empty());

    // The follow-up: WhatsApp refuses (the number left WhatsApp). It goes by SMS,
    // and a redelivery of the same event sends nothing more on either channel.
    graph.refuse_next(131026);
    let follow_up = as_staff(
        &office,
        "POST",
        &format!("/staff/reports/{id}/follow-up"),
        &["agency:dsdabm"],
        Some(json!({"text": "Saluran sudah dibersihkan."})),
    )
    .await;
    assert_eq!(follow_up.status, 200, "{}", follow_up.json);
    let queued = drain(&t.clients, &t.notify_url).await;
    let notify = notifier(&t, &graph, clock.clone());
    let sends_before = graph.sends().len();
    for _ in 0..2 {
        for body in &queued {
            if let NotifyJob::Event(event) = serde_json::from_str::<NotifyJob>(body).unwrap() {
                notify::deliver(&notify, &event).await.unwrap();
            }
        }
    }
    assert_eq!(
        graph.sends().len(),
        sends_before + 1,
        "one attempt on WhatsApp"
    );
    let texts = sent_sms(&phone).await;
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(texts[0].contains("instansi telah menanggapi"), "{texts:?}");
    let records = deliveries(&t, &format!("R#{id}")).await;
    let fell_back: Vec<_> = records
        .iter()
        .filter(|r| field(r, "channel") == "sms")
        .collect();
    assert_eq!(fell_back.len(), 1);
    assert_eq!(field(fell_back[0], "fallback"), "not_on_whatsapp");

    // The citizen taps "Puas" (the window opens again). WhatsApp hiccups (a bare
    // 503) on the closing message: the event fails, never falls back, and its
    // retry carries it once, on WhatsApp.
    says(
        &app,
        &phone,
        "wamid.W2",
        "interactive",
        json!({ "type": "button_reply", "button_reply": { "id": format!("PUAS {id}"), "title": "Puas" } }),
    )
    .await;
    let queued = drain(&t.clients, &t.notify_url).await;
    let closed: Vec<_> = queued
        .iter()
        .filter_map(
            |body| match serde_json::from_str::<NotifyJob>(body).unwrap() {
                NotifyJob::Event(event) => Some(event),
                _ => None,
            },
        )
        .collect();
    assert_eq!(closed.len(), 1);
    graph.fail_next();
    assert!(notify::deliver(&notify, &closed[0]).await.is_err());
    assert!(notify::deliver(&notify, &closed[0]).await.is_ok());
    assert!(notify::deliver(&notify, &closed[0]).await.is_ok());
    let sent = sent_to(&graph, &phone);
    let closing: Vec<_> = sent
        .iter()
        .filter(|(_, text)| text.contains("laporan selesai"))
        .collect();
    assert_eq!(
        closing.len(),
        2,
        "one refused by the 503, one carried: {sent:?}"
    );
    assert_eq!(
        sent_sms(&phone).await.len(),
        1,
        "still only the one fallback SMS"
    );
    assert_eq!(
        all_reports(&t).await.pop().unwrap().status.label(),
        "Selesai"
    );
}

#[tokio::test]
async fn a_citizen_who_reported_by_sms_continues_the_same_conversation_on_whatsapp() {
    let t = stack("wa-continue").await;
    let graph = FakeGraph::start(ACCESS_TOKEN).await.unwrap();
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let sms = sms_app(&t, clock.clone(), 10);
    let app = intake(&t, &graph, clock.clone());
    let phone = unique_phone();
    assert_eq!(
        text(
            &sms,
            "SM-wa1",
            &phone,
            "BDG Pohon tumbang menutup Jl. Setiabudi"
        )
        .await,
        200
    );
    pump(&t, &graph, clock.clone()).await;
    let id = all_reports(&t).await.pop().unwrap().id;
    assert_eq!(sent_sms(&phone).await.len(), 1, "the receipt by SMS");

    // Free text on WhatsApp: the same sender, one open report, so it joins it.
    say_text(
        &app,
        &phone,
        "wamid.C1",
        "Tambahan: pohonnya juga menimpa kabel listrik",
    )
    .await;
    pump(&t, &graph, clock.clone()).await;
    let report = all_reports(&t).await;
    assert_eq!(report.len(), 1, "no second report");
    let trail = sigap::adapters::reports::ReportStore::new(t.clients.dynamodb.clone(), &t.table)
        .timeline_page(&id, None, 1000)
        .await
        .unwrap()
        .events;
    assert_eq!(
        trail.last().unwrap().reason.as_deref(),
        Some("Tambahan: pohonnya juga menimpa kabel listrik")
    );
    let sent = sent_to(&graph, &phone);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].1.contains(id.as_str()), "{sent:?}");
    // From now on its news comes on WhatsApp, not by SMS.
    let office = backoffice_app(&t, clock.clone());
    let dispatched = as_staff(
        &office,
        "POST",
        &format!("/staff/reports/{id}/dispatch"),
        &["admin"],
        Some(json!({"agencies": ["dlh"]})),
    )
    .await;
    assert_eq!(dispatched.status, 200, "{}", dispatched.json);
    pump(&t, &graph, clock.clone()).await;
    assert_eq!(
        sent_sms(&phone).await.len(),
        1,
        "still only the receipt by SMS"
    );
    let sent = sent_to(&graph, &phone);
    assert!(sent.last().unwrap().1.contains("diteruskan"), "{sent:?}");
}

#[tokio::test]
async fn photos_are_downloaded_once_into_the_photo_pipeline_with_or_without_a_caption() {
    use imaging::samples::{Shot, phone_jpeg, street_scene};
    use sigap::domain::photo::{PhotoPurpose, PhotoState};
    let t = stack("wa-photo").await;
    let graph = FakeGraph::start(ACCESS_TOKEN).await.unwrap();
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let app = intake(&t, &graph, clock.clone());
    let media = media_app(&t, clock.clone());
    let phone = unique_phone();
    for (id, seed) in [("MEDIA-A", 1), ("MEDIA-B", 2), ("MEDIA-C", 3)] {
        let jpeg = phone_jpeg(&street_scene(800, 600, seed), Shot::GEDUNG_SATE);
        graph.add_media(id, "image/jpeg", jpeg);
    }
    graph.add_media("MEDIA-BIG", "image/jpeg", vec![0xFF; 6 * 1024 * 1024]);
    let image = |id: &str, caption: Option<&str>| match caption {
        Some(c) => json!({ "id": id, "mime_type": "image/jpeg", "sha256": "x", "caption": c }),
        None => json!({ "id": id, "mime_type": "image/jpeg", "sha256": "x" }),
    };

    // A photo from someone with no report yet: told how, nothing downloaded.
    says(&app, &phone, "wamid.P1", "image", image("MEDIA-A", None)).await;
    assert_eq!(graph.downloads("MEDIA-A"), 0);
    // A photo whose caption is a report, delivered twice: one report, one photo.
    for _ in 0..2 {
        let caption = Some("BDG Lubang besar di Jl. Merdeka dekat BIP");
        says(&app, &phone, "wamid.P2", "image", image("MEDIA-B", caption)).await;
    }
    let made = all_reports(&t).await;
    assert_eq!(made.len(), 1, "{made:?}");
    let id = made[0].id.clone();
    assert_eq!(made[0].channel, Channel::WhatsApp);
    assert_eq!(made[0].photos.len(), 1);
    // A second photo with a caption joins the open report, the caption as a reply;
    // one over WhatsApp's 5 MB is explained and adds nothing.
    says(
        &app,
        &phone,
        "wamid.P3",
        "image",
        image("MEDIA-C", Some("Dari sisi lain")),
    )
    .await;
    says(&app, &phone, "wamid.P4", "image", image("MEDIA-BIG", None)).await;

    let delivered = process_uploads(&t, &media).await;
    assert!(!delivered.is_empty(), "the bucket announced nothing");
    let report = all_reports(&t).await.pop().unwrap();
    assert_eq!(report.photos.len(), 2, "{:?}", report.photos);
    for photo in &report.photos {
        assert_eq!(photo.purpose, PhotoPurpose::Evidence);
        assert!(
            matches!(photo.state, PhotoState::Ready(_)),
            "{:?}",
            photo.state
        );
    }
    let trail = sigap::adapters::reports::ReportStore::new(t.clients.dynamodb.clone(), &t.table)
        .timeline_page(&id, None, 1000)
        .await
        .unwrap()
        .events;
    assert!(
        trail
            .iter()
            .any(|e| e.reason.as_deref() == Some("Dari sisi lain"))
    );

    pump(&t, &graph, clock.clone()).await;
    let sent: Vec<String> = sent_to(&graph, &phone)
        .into_iter()
        .map(|(_, text)| text)
        .collect();
    assert!(
        sent.iter().any(|s| s.contains("kirim dulu laporan Anda")),
        "{sent:?}"
    );
    assert!(
        sent.iter()
            .any(|s| s.contains(&format!("{id}: foto diterima"))),
        "{sent:?}"
    );
    assert!(
        sent.iter().any(|s| s.contains("paling besar 5 MB")),
        "{sent:?}"
    );
    assert!(
        sent.iter().any(|s| s.contains("laporan diterima")),
        "the receipt: {sent:?}"
    );
}

#[tokio::test]
async fn a_message_whatsapp_fails_after_accepting_it_goes_by_sms_once() {
    let Reported {
        t,
        graph,
        clock,
        app,
        phone,
        id,
    } = reported(
        "wa-late-failure",
        "BDG Genangan air setinggi lutut di Jl. Pasteur",
    )
    .await;
    let receipt = graph.sends().into_iter().next().unwrap();
    let callback = receipt["biz_opaque_callback_data"]
        .as_str()
        .unwrap()
        .to_string();
    let wamid = field(&deliveries(&t, &format!("R#{id}")).await[0], "message_id");
    assert!(sent_sms(&phone).await.is_empty());

    // Meta reports it failed (the number is no longer on WhatsApp), and repeats the
    // status: one SMS, with the receipt's words.
    let failed = notification(json!({ "statuses": [{
        "id": wamid, "status": "failed", "timestamp": "1764300200", "recipient_id": "62812",
        "biz_opaque_callback_data": callback,
        "errors": [{ "code": 131026, "title": "Message undeliverable" }],
    }]}));
    for _ in 0..3 {
        assert_eq!(post(&app, &failed, None).await.status, 200);
        pump(&t, &graph, clock.clone()).await;
    }
    let texts = sent_sms(&phone).await;
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(
        texts[0].starts_with(&format!("LAPOR! Bandung {id}: laporan diterima")),
        "{texts:?}"
    );
    let record = &deliveries(&t, &format!("R#{id}")).await[0];
    assert_eq!(field(record, "channel"), "sms");
    assert_eq!(field(record, "fallback"), "not_on_whatsapp");
    assert_eq!(field(record, "wa_message_id"), wamid);
    assert_eq!(field(record, "wa_status"), "failed");
    // WhatsApp's later statuses of that message no longer touch the record: SMS
    // carried it.
    let read = notification(json!({ "statuses": [{
        "id": wamid, "status": "read", "timestamp": "1764300300",
        "biz_opaque_callback_data": callback,
    }]}));
    assert_eq!(post(&app, &read, None).await.json["statuses_recorded"], 0);
    assert_eq!(
        field(&deliveries(&t, &format!("R#{id}")).await[0], "channel"),
        "sms"
    );
}

#[tokio::test]
async fn a_whatsapp_citizens_number_stays_out_of_the_logs_and_the_public_view() {
    sigap_tests::captured_logs();
    let Reported {
        t,
        graph,
        clock,
        app,
        phone,
        id,
    } = reported(
        "wa-privacy",
        "BDG Kabel listrik menjuntai di Jl. Dipatiukur",
    )
    .await;
    let location = json!({ "latitude": -6.8915, "longitude": 107.6170 });
    says(&app, &phone, "wamid.PV2", "location", location).await;
    says(
        &app,
        &phone,
        "wamid.PV3",
        "reaction",
        json!({ "emoji": "👍" }),
    )
    .await;
    // A refused send (the SMS fallback logs its reason) and a late failure.
    graph.refuse_next(130429);
    say_text(&app, &phone, "wamid.PV4", &format!("INFO {id}")).await;
    pump(&t, &graph, clock.clone()).await;
    let wamid = field(&deliveries(&t, &format!("R#{id}")).await[0], "message_id");
    let callback = graph.sends()[0]["biz_opaque_callback_data"].clone();
    let failed = notification(json!({ "statuses": [{
        "id": wamid, "status": "failed", "biz_opaque_callback_data": callback,
        "errors": [{ "code": 131026 }],
    }]}));
    assert_eq!(post(&app, &failed, None).await.status, 200);
    pump(&t, &graph, clock.clone()).await;
    assert_eq!(
        sent_sms(&phone).await.len(),
        2,
        "the refused reply and the failed receipt"
    );

    let e164 = sigap::domain::contact::PhoneNumber::parse(&phone)
        .unwrap()
        .as_e164()
        .to_string();
    let forms = [e164.clone(), e164[1..].to_string(), phone.clone()];
    let logs = sigap_tests::captured_logs();
    assert!(
        logs.contains(id.as_str()),
        "the scan reads this test's logs"
    );
    let web: web_intake::WebIntake = t.app(clock, &[]);
    let public = reply(
        web_intake::handle(
            &web,
            sigap_tests::api_request("GET", &format!("/reports/{id}"), &[], None),
        )
        .await
        .unwrap(),
    );
    assert_eq!(public.status, 200, "{}", public.json);
    for form in &forms {
        assert!(!logs.contains(form.as_str()), "{form} in the logs");
        assert!(
            !public.text.contains(form.as_str()),
            "{form} in the public view"
        );
    }
}

/// One citizen's WhatsApp conversation with a stack: each message goes through
/// intake, verify and notify, and comes back as the last thing Sigap sent.
struct Chat<'a> {
    t: &'a TestStack,
    graph: &'a FakeGraph,
    clock: Arc<ManualClock>,
    app: &'a sms_intake::SmsIntake,
    phone: &'a str,
}

impl Chat<'_> {
    /// Sends `content` of `kind` as message `id`; the message Sigap sent last.
    async fn answer(&self, id: &str, kind: &str, content: Value) -> Value {
        says(self.app, self.phone, id, kind, content).await;
        pump(self.t, self.graph, self.clock.clone()).await;
        self.graph.sends().into_iter().last().unwrap()
    }

    /// Types `text` as message `id`; the message Sigap sent last.
    async fn answer_text(&self, id: &str, text: &str) -> Value {
        self.answer(id, "text", json!({ "body": text })).await
    }
}

/// A tap on a reply button (or a list row) with this id.
fn tap(id: &str, list: bool) -> Value {
    let kind = if list { "list_reply" } else { "button_reply" };
    let mut interactive = json!({ "type": kind });
    interactive[kind] = json!({ "id": id, "title": "dipilih" });
    interactive
}

/// The text of a message Sigap sent (plain, or above its buttons or list).
fn text_of(sent: &Value) -> &str {
    sent["text"]["body"]
        .as_str()
        .or_else(|| sent["interactive"]["body"]["text"].as_str())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_guided_start_taps_a_group_and_a_category_and_the_next_text_is_the_report() {
    let t = stack("wa-guided").await;
    let graph = FakeGraph::start(ACCESS_TOKEN).await.unwrap();
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let app = intake(&t, &graph, clock.clone());
    let phone = unique_phone();
    let chat = Chat {
        t: &t,
        graph: &graph,
        clock: clock.clone(),
        app: &app,
        phone: &phone,
    };

    // Someone with nothing open says hello: welcomed with the menu's two buttons.
    let welcome = chat.answer_text("wamid.G1", "halo").await;
    assert!(text_of(&welcome).contains("Selamat datang"));
    let buttons = &welcome["interactive"]["action"]["buttons"];
    assert_eq!(buttons[0]["reply"]["id"], "menu:lapor", "{welcome}");
    assert_eq!(buttons[1]["reply"]["id"], "BANTUAN");
    // "Buat laporan": the groups, as a list.
    let groups = chat
        .answer("wamid.G2", "interactive", tap("menu:lapor", false))
        .await;
    assert_eq!(groups["interactive"]["type"], "list", "{groups}");
    let rows = groups["interactive"]["action"]["sections"][0]["rows"]
        .as_array()
        .unwrap()
        .clone();
    assert!(rows.len() >= 5 && rows.len() <= 10, "{rows:?}");
    assert!(rows.iter().any(|r| r["id"] == "menu:grup:Transportasi"));
    // A group of two: two buttons; the category: told to write.
    let categories = chat
        .answer(
            "wamid.G3",
            "interactive",
            tap("menu:grup:Transportasi", true),
        )
        .await;
    let ids: Vec<&str> = categories["interactive"]["action"]["buttons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["reply"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["menu:kategori:lalu-lintas", "menu:kategori:parkir"]);
    let write = chat
        .answer(
            "wamid.G4",
            "interactive",
            tap("menu:kategori:parkir", false),
        )
        .await;
    assert!(text_of(&write).contains("kategori Parkir Liar"), "{write}");
    assert!(all_reports(&t).await.is_empty());

    // The next text is the report, in that category; the text after it joins it.
    say_text(
        &app,
        &phone,
        "wamid.G5",
        "Mobil parkir di trotoar Jl. Braga setiap malam",
    )
    .await;
    chat.answer_text("wamid.G6", "Biasanya mulai jam tujuh")
        .await;
    let made = all_reports(&t).await;
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(made[0].category, "parkir");
    assert_eq!(made[0].channel, Channel::WhatsApp);
    // A group with one category goes straight to writing; the wait ends after 30
    // minutes, and then a text is answered as any other.
    let single = chat
        .answer("wamid.G7", "interactive", tap("menu:grup:Utilitas", true))
        .await;
    assert!(text_of(&single).contains("Air Bersih"));
    clock.advance(SignedDuration::from_mins(31));
    chat.answer_text("wamid.G8", "Air PDAM mati sejak pagi di Sukajadi")
        .await;
    assert_eq!(
        all_reports(&t).await.len(),
        1,
        "no report from a lapsed wait"
    );
    // A choice the catalog no longer has is explained.
    let gone = chat
        .answer(
            "wamid.G9",
            "interactive",
            tap("menu:kategori:tidak-ada", false),
        )
        .await;
    assert!(text_of(&gone).contains("tidak tersedia lagi"));
}

#[tokio::test]
async fn tidak_puas_is_a_tap_and_the_next_text_is_the_reason_that_reopens_the_report() {
    let Reported {
        t,
        graph,
        clock,
        app,
        phone,
        id,
    } = reported(
        "wa-dispute",
        "BDG Lubang besar di Jl. Sulanjana depan kantor",
    )
    .await;
    let chat = Chat {
        t: &t,
        graph: &graph,
        clock: clock.clone(),
        app: &app,
        phone: &phone,
    };
    let office = backoffice_app(&t, clock.clone());
    dispatched_and_answered(&office, id.as_str(), "Lubang sudah ditambal.").await;
    pump(&t, &graph, clock.clone()).await;
    // Inside the window the follow-up comes with its two buttons.
    let follow_up = graph.sends().into_iter().last().unwrap();
    let buttons = &follow_up["interactive"]["action"]["buttons"];
    assert_eq!(
        buttons[0]["reply"]["id"],
        format!("PUAS {id}"),
        "{follow_up}"
    );
    let tidak = buttons[1]["reply"]["id"].as_str().unwrap().to_string();
    assert_eq!(buttons[1]["reply"]["title"], "Tidak puas");
    let asked = chat
        .answer("wamid.D1", "interactive", tap(&tidak, false))
        .await;
    assert!(text_of(&asked).contains("tulis alasan"), "{asked}");
    let received = chat
        .answer_text("wamid.D2", "Masih berlubang di sisi kiri jalan")
        .await;
    let report = all_reports(&t).await.pop().unwrap();
    assert_ne!(
        report.status,
        sigap::domain::report::ReportStatus::Responded,
        "reopened"
    );
    let trail = sigap::adapters::reports::ReportStore::new(t.clients.dynamodb.clone(), &t.table)
        .timeline_page(&id, None, 1000)
        .await
        .unwrap()
        .events;
    assert!(
        trail
            .iter()
            .any(|e| e.reason.as_deref() == Some("Masih berlubang di sisi kiri jalan")),
        "{trail:?}"
    );
    assert!(
        text_of(&received).contains("keberatan diterima"),
        "{received}"
    );
    // The wait is over: the next text is a plain reply, not a second dispute.
    let thanks = chat.answer_text("wamid.D3", "Terima kasih").await;
    assert!(!text_of(&thanks).contains("keberatan diterima"), "{thanks}");
}

#[tokio::test]
async fn each_documented_refusal_sends_the_answer_by_sms_and_records_why() {
    let Reported {
        t,
        graph,
        clock,
        app,
        phone,
        id,
    } = reported("wa-refusals", "BDG Pohon rawan tumbang di Jl. Ganesha").await;
    for (n, (code, reason)) in [
        (131047, "outside_window"),
        (131026, "not_on_whatsapp"),
        (130429, "rate_limited"),
        (190, "token_expired"),
        (132001, "template_refused"),
    ]
    .into_iter()
    .enumerate()
    {
        graph.refuse_next(code);
        let wamid = format!("wamid.X{n}");
        say_text(&app, &phone, &wamid, &format!("INFO {id}")).await;
        pump(&t, &graph, clock.clone()).await;
        assert_eq!(sent_sms(&phone).await.len(), n + 1, "{code}");
        let record = deliveries(&t, &format!("SMS#whatsapp#{wamid}")).await;
        assert_eq!(field(&record[0], "channel"), "sms", "{code}");
        assert_eq!(field(&record[0], "fallback"), reason, "{code}");
    }
}
