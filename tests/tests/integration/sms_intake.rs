//! LAPOR! by SMS against moto: signed webhooks (signed here with an implementation
//! of each scheme written for the tests, not the code under test), one report per
//! gateway message id, a whole conversation by text, threading, limits and blocks.

use std::sync::Arc;

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::json;
use sigap::domain::notification::NotifyJob;
use sigap::domain::tracking_id::TrackingId;
use sigap::runtime::clock::{Clock, ManualClock};
use sigap_tests::{TestStack, drain, items_with_pk_prefix, reply, sent_sms, stack, unique_phone};

use crate::backoffice_views::{as_staff, dispatched_and_answered};
use crate::notify_worker::notify_app;
use crate::web_intake::{backoffice_app, friday_morning, verify_app};

const TWILIO_TOKEN: &str = "test-twilio-auth-token";
const GATEWAY_SECRET: &str = "test-gateway-secret";
const HOST: &str = "sigap.example.id";

pub(crate) fn sms_app(
    t: &TestStack,
    clock: Arc<dyn Clock>,
    rate_limit: u64,
) -> sms_intake::SmsIntake {
    t.app(
        clock,
        &[("SMS_RATE_LIMIT_PER_HOUR", &rate_limit.to_string())],
    )
}

/// Twilio's scheme, written out: base64(HMAC-SHA1(token, url + sorted name+value)).
fn twilio_sign(url: &str, params: &[(&str, &str)]) -> String {
    let mut sorted = params.to_vec();
    sorted.sort();
    let mut data = url.to_string();
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(TWILIO_TOKEN.as_bytes()).unwrap();
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn form(params: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish()
}

/// A Twilio inbound SMS webhook, signed for `signed_url` (normally the public URL).
fn twilio_request(params: &[(&str, &str)], signed_url: &str, host: &str) -> lambda_http::Request {
    let event = sigap_tests::twilio_event(host, &twilio_sign(signed_url, params), &form(params));
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

fn twilio_params<'a>(sid: &'a str, from: &'a str, body: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("AccountSid", "AC00000000000000000000000000000000"),
        ("Body", body),
        ("From", from),
        ("MessageSid", sid),
        ("NumMedia", "0"),
        ("NumSegments", "1"),
        ("To", "1708"),
    ]
}

/// The generic gateway's scheme, written out: hex HMAC-SHA256 of "<ts>.<body>".
fn gateway_request(body: &str, timestamp: i64, secret: &str) -> lambda_http::Request {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let signature = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    let timestamp = timestamp.to_string();
    sigap_tests::api_request(
        "POST",
        "/sms/gateway",
        &[
            ("content-type", "application/json"),
            ("x-sigap-timestamp", &timestamp),
            ("x-sigap-signature", &signature),
        ],
        Some(body),
    )
}

async fn send(
    app: &sms_intake::SmsIntake,
    request: lambda_http::Request,
) -> sigap_tests::HttpReply {
    reply(sms_intake::handle(app, request).await.unwrap())
}

/// Texts `body` from `from` through the Twilio webhook, signed correctly.
pub(crate) async fn text(app: &sms_intake::SmsIntake, sid: &str, from: &str, body: &str) -> u16 {
    let params = twilio_params(sid, from, body);
    send(
        app,
        twilio_request(&params, &format!("https://{HOST}/sms/twilio"), HOST),
    )
    .await
    .status
}

async fn reports(t: &TestStack) -> Vec<String> {
    items_with_pk_prefix(&t.clients, &t.table, "R#")
        .await
        .iter()
        .filter(|i| i["SK"].as_s().unwrap() == "META")
        .map(|i| i["id"].as_s().unwrap().clone())
        .collect()
}

async fn inbound_records(t: &TestStack) -> usize {
    items_with_pk_prefix(&t.clients, &t.table, "SMS#")
        .await
        .len()
}

/// Runs `notify` over everything on the notify queue (as its SQS trigger would).
pub(crate) async fn pump_notify(t: &TestStack, clock: Arc<dyn Clock>) {
    deliver_all(t, &notify_app(t, clock)).await;
}

/// Runs `notify` (as built by the caller) over everything on the notify queue.
pub(crate) async fn deliver_all(t: &TestStack, notify: &notify::Notify) {
    for body in drain(&t.clients, &t.notify_url).await {
        match serde_json::from_str::<NotifyJob>(&body).unwrap() {
            NotifyJob::Event(event) => {
                notify::deliver(notify, &event).await.unwrap();
            }
            NotifyJob::Reply(job) => {
                notify::deliver_reply(notify, &job.sms_reply).await.unwrap();
            }
            NotifyJob::Contacts(job) => {
                notify::deliver_contacts(notify, &job.incident_contacts)
                    .await
                    .unwrap();
            }
            NotifyJob::Fallback(job) => {
                notify::deliver_fallback(notify, &job.whatsapp_failed)
                    .await
                    .unwrap();
            }
        }
    }
}

/// Triages every report waiting on the intake queue (as verify's trigger would).
pub(crate) async fn pump_intake(t: &TestStack, clock: Arc<dyn Clock>) {
    let verify = verify_app(t, clock);
    for body in drain(&t.clients, &t.intake_url).await {
        let message: serde_json::Value = serde_json::from_str(&body).unwrap();
        let id = TrackingId::parse(message["report_id"].as_str().unwrap()).unwrap();
        verify::triage(&verify, &id).await.unwrap();
    }
}

#[tokio::test]
async fn twilio_signatures_are_checked_exactly_and_a_retry_makes_one_report() {
    let t = stack("sms-twilio").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let app = sms_app(&t, clock.clone(), 10);
    let phone = unique_phone();
    let body = "BDG Jalan berlubang besar di Jl. Dago depan SD";
    let params = twilio_params("SM0001", &phone, body);
    let url = format!("https://{HOST}/sms/twilio");

    // Refused, nothing stored: tampered body, another URL, a forged or no signature.
    let mut tampered = params.clone();
    tampered[1].1 = "BDG Jalan berlubang besar di Jl. Riau";
    let forged_body = {
        let mut request = twilio_request(&params, &url, HOST);
        *request.body_mut() = lambda_http::Body::from(form(&tampered));
        request
    };
    let other_host = twilio_request(&params, &url, "evil.example.com");
    let forged_signature = {
        let mut request = twilio_request(&params, &url, HOST);
        request.headers_mut().insert(
            "x-twilio-signature",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAA=".parse().unwrap(),
        );
        request
    };
    let unsigned = {
        let mut request = twilio_request(&params, &url, HOST);
        request.headers_mut().remove("x-twilio-signature");
        request
    };
    let signed_for_another_path =
        twilio_request(&params, &format!("https://{HOST}/sms/other"), HOST);
    for (what, request) in [
        ("tampered body", forged_body),
        ("other host", other_host),
        ("forged signature", forged_signature),
        ("no signature", unsigned),
        ("other path", signed_for_another_path),
    ] {
        let refused = send(&app, request).await;
        assert_eq!(refused.status, 403, "{what}");
        assert_eq!(refused.json["error"]["code"], "invalid_signature", "{what}");
    }
    assert_eq!(inbound_records(&t).await, 0);
    assert!(reports(&t).await.is_empty());

    // Valid: accepted with empty TwiML. Signed with the default port: also valid.
    let accepted = send(&app, twilio_request(&params, &url, HOST)).await;
    assert_eq!(accepted.status, 200);
    assert_eq!(accepted.headers["content-type"], "text/xml");
    let with_port = twilio_params(
        "SM0002",
        &phone,
        "BDG Lampu jalan mati di Jl. Riau dekat taman",
    );
    let accepted = send(
        &app,
        twilio_request(&with_port, &format!("https://{HOST}:443/sms/twilio"), HOST),
    )
    .await;
    assert_eq!(accepted.status, 200);
    // The gateway retries SM0001 three times: still two reports.
    for _ in 0..3 {
        assert_eq!(
            send(&app, twilio_request(&params, &url, HOST)).await.status,
            200
        );
    }
    let made = reports(&t).await;
    assert_eq!(made.len(), 2, "{made:?}");
    let store = sigap::adapters::reports::ReportStore::new(t.clients.dynamodb.clone(), &t.table);
    let report = store
        .get(&TrackingId::parse(&made[0]).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.channel, sigap::domain::report::Channel::Sms);
    assert_eq!(report.location.coordinates, None);
    assert_eq!(report.category, "lainnya");
    let contact = store.reporter_contact(&report.id).await.unwrap();
    assert_eq!(
        contact.phone.unwrap().as_e164(),
        sigap::domain::contact::PhoneNumber::parse(&phone)
            .unwrap()
            .as_e164()
    );
}

#[tokio::test]
async fn gateway_signatures_have_a_replay_window_and_a_retry_makes_one_report() {
    let t = stack("sms-gateway").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let app = sms_app(&t, clock.clone(), 10);
    let now = clock.now().as_second();
    let phone = unique_phone();
    let body = json!({"message_id": "agg-77", "from": phone, "text": "BDG sampah menumpuk di pasar Kosambi"}).to_string();
    for (what, request) in [
        (
            "wrong secret",
            gateway_request(&body, now, "not-the-secret"),
        ),
        ("stale", gateway_request(&body, now - 301, GATEWAY_SECRET)),
        (
            "from the future",
            gateway_request(&body, now + 301, GATEWAY_SECRET),
        ),
        ("tampered body", {
            let mut request = gateway_request(&body, now, GATEWAY_SECRET);
            *request.body_mut() = lambda_http::Body::from(body.replace("Kosambi", "Baru"));
            request
        }),
    ] {
        assert_eq!(send(&app, request).await.status, 403, "{what}");
    }
    assert_eq!(inbound_records(&t).await, 0);
    for _ in 0..2 {
        let ok = send(&app, gateway_request(&body, now - 10, GATEWAY_SECRET)).await;
        assert_eq!(ok.status, 200, "{}", ok.json);
        assert_eq!(ok.json["status"], "accepted");
    }
    assert_eq!(reports(&t).await.len(), 1);
    let junk = send(&app, gateway_request("{\"hello\":1}", now, GATEWAY_SECRET)).await;
    assert_eq!(junk.status, 400);
}

#[tokio::test]
async fn a_whole_conversation_by_sms_with_every_reply_as_sent() {
    let t = stack("sms-conversation").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let app = sms_app(&t, clock.clone(), 10);
    let office = backoffice_app(&t, clock.clone());
    let phone = unique_phone();

    assert_eq!(
        text(
            &app,
            "SM-c1",
            &phone,
            "bdg  Jalan berlubang besar di Jl. Dago depan SD"
        )
        .await,
        200
    );
    pump_intake(&t, clock.clone()).await;
    pump_notify(&t, clock.clone()).await;
    let id = reports(&t).await.pop().unwrap();

    assert_eq!(
        text(&app, "SM-c2", &phone, &format!("info {id}")).await,
        200
    );
    pump_notify(&t, clock.clone()).await;

    dispatched_and_answered(&office, &id, "Lubang sudah ditambal.").await;
    pump_notify(&t, clock.clone()).await;

    assert_eq!(
        text(
            &app,
            "SM-c3",
            &phone,
            &format!("TIDAK {id} masih berlubang di sisi kiri")
        )
        .await,
        200
    );
    pump_notify(&t, clock.clone()).await;
    let again = as_staff(
        &office,
        "POST",
        &format!("/staff/reports/{id}/follow-up"),
        &["agency:dsdabm"],
        Some(json!({"text": "Sisi kiri sudah ditambal."})),
    )
    .await;
    assert_eq!(again.status, 200, "{}", again.json);
    pump_notify(&t, clock.clone()).await;
    assert_eq!(
        text(&app, "SM-c4", &phone, &format!("PUAS {id}")).await,
        200
    );
    pump_notify(&t, clock.clone()).await;

    let head = format!("LAPOR! Bandung {id}: ");
    assert_eq!(
        sent_sms(&phone).await,
        vec![
            format!(
                "{head}laporan diterima, diverifikasi paling lambat 24/11/2026. Simpan nomor ini."
            ),
            format!("{head}Menunggu verifikasi admin. Batas waktu 24/11/2026."),
            format!(
                "{head}diteruskan ke instansi terkait, tindak lanjut paling lambat 27/11/2026."
            ),
            format!("{head}instansi telah menanggapi. Lihat tindak lanjut di lapor.bandung.go.id"),
            format!(
                "LAPOR! Bandung {id}: keberatan diterima, laporan dibuka kembali dan instansi wajib menindaklanjuti."
            ),
            format!("{head}instansi telah menanggapi. Lihat tindak lanjut di lapor.bandung.go.id"),
            format!("{head}laporan selesai. Terima kasih telah melapor."),
        ]
    );
}

#[tokio::test]
async fn free_text_joins_the_single_open_report_and_others_are_told_the_format() {
    let t = stack("sms-thread").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let app = sms_app(&t, clock.clone(), 10);
    let phone = unique_phone();
    let stranger = unique_phone();
    assert_eq!(
        text(
            &app,
            "SM-t1",
            &phone,
            "BDG Saluran air mampet di Jl. Sukajadi"
        )
        .await,
        200
    );
    pump_intake(&t, clock.clone()).await;
    pump_notify(&t, clock.clone()).await;
    let id = reports(&t).await.pop().unwrap();

    // A plain answer from the reporter joins their report; nothing new is opened.
    assert_eq!(
        text(&app, "SM-t2", &phone, "Di depan warung nomor 12").await,
        200
    );
    // From someone with no report: the format. BALAS on a report not theirs: refused.
    assert_eq!(text(&app, "SM-t3", &stranger, "halo").await, 200);
    assert_eq!(
        text(
            &app,
            "SM-t4",
            &stranger,
            &format!("BALAS {id} ini bukan laporan saya")
        )
        .await,
        200
    );
    assert_eq!(text(&app, "SM-t5", &stranger, "BANTUAN").await, 200);
    // An opt-out word from the reporter is the gateway's business: not a reply.
    assert_eq!(text(&app, "SM-t6", &phone, "STOP").await, 200);
    pump_notify(&t, clock.clone()).await;
    assert_eq!(reports(&t).await.len(), 1);
    let trail = sigap::adapters::reports::ReportStore::new(t.clients.dynamodb.clone(), &t.table)
        .timeline_page(&TrackingId::parse(&id).unwrap(), None, 1000)
        .await
        .unwrap()
        .events;
    assert_eq!(
        trail.last().unwrap().reason.as_deref(),
        Some("Di depan warung nomor 12")
    );
    let mine = sent_sms(&phone).await;
    assert_eq!(
        mine.last().unwrap(),
        &format!("LAPOR! Bandung {id}: balasan Anda telah diterima dan diteruskan.")
    );
    let theirs = sent_sms(&stranger).await;
    assert_eq!(theirs.len(), 3, "{theirs:?}");
    assert!(theirs[0].contains("ketik BDG <isi aduan>"), "{}", theirs[0]);
    assert!(
        theirs[1].contains("hanya dapat dikirim dari nomor pelapor"),
        "{}",
        theirs[1]
    );
    assert!(theirs[2].contains("INFO <nomor>"), "{}", theirs[2]);
}

#[tokio::test]
async fn a_flood_from_one_number_makes_a_few_reports_and_one_polite_reply() {
    let t = stack("sms-flood").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let app = sms_app(&t, clock.clone(), 3);
    let phone = unique_phone();
    for n in 0..8 {
        let body = format!("BDG Laporan uji banjir nomor {n} di Jl. Pasteur");
        assert_eq!(text(&app, &format!("SM-f{n}"), &phone, &body).await, 200);
    }
    pump_notify(&t, clock.clone()).await;
    assert_eq!(reports(&t).await.len(), 3);
    let told = sent_sms(&phone).await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(told[0].contains("terlalu banyak pesan"), "{}", told[0]);
    // An hour later the number is heard again.
    clock.advance(jiff::SignedDuration::from_hours(1));
    assert_eq!(
        text(
            &app,
            "SM-f9",
            &phone,
            "BDG Laporan setelah jeda di Jl. Pasteur"
        )
        .await,
        200
    );
    assert_eq!(reports(&t).await.len(), 4);
}

#[tokio::test]
async fn admins_block_a_number_and_it_is_ignored_until_the_block_ends_or_is_lifted() {
    let t = stack("sms-blocked").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let app = sms_app(&t, clock.clone(), 10);
    let office = backoffice_app(&t, clock.clone());
    let phone = unique_phone();
    let block = json!({"phone": phone, "reason": "iseng berulang", "days": 1});
    let refused = as_staff(
        &office,
        "POST",
        "/staff/blocked-senders",
        &["supervisor"],
        Some(block.clone()),
    )
    .await;
    assert_eq!(refused.status, 403);
    for bad in [
        json!({"phone": "12", "reason": "x", "days": 1}),
        json!({"phone": phone, "reason": " ", "days": 1}),
        json!({"phone": phone, "reason": "x", "days": 0}),
    ] {
        let r = as_staff(
            &office,
            "POST",
            "/staff/blocked-senders",
            &["admin"],
            Some(bad),
        )
        .await;
        assert_eq!(r.status, 422, "{}", r.json);
    }
    let blocked = as_staff(
        &office,
        "POST",
        "/staff/blocked-senders",
        &["admin"],
        Some(block.clone()),
    )
    .await;
    assert_eq!(blocked.status, 200, "{}", blocked.json);
    let listed = as_staff(
        &office,
        "GET",
        "/staff/blocked-senders",
        &["supervisor"],
        None,
    )
    .await;
    assert_eq!(listed.json["blocked"][0]["reason"], "iseng berulang");
    // The list never shows the whole number.
    let shown = listed.json["blocked"][0]["phone"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        shown.contains('•') && !listed.json.to_string().contains(&phone[4..]),
        "{shown}"
    );

    assert_eq!(
        text(&app, "SM-b1", &phone, "BDG laporan palsu lagi dan lagi").await,
        200
    );
    pump_notify(&t, clock.clone()).await;
    assert!(reports(&t).await.is_empty());
    assert!(sent_sms(&phone).await.is_empty());
    // A day later the block has run out.
    clock.advance(jiff::SignedDuration::from_hours(25));
    assert_eq!(
        text(
            &app,
            "SM-b2",
            &phone,
            "BDG Jalan rusak parah di Jl. Cihampelas"
        )
        .await,
        200
    );
    assert_eq!(reports(&t).await.len(), 1);
    // Blocked again, then lifted by an admin: heard at once.
    as_staff(
        &office,
        "POST",
        "/staff/blocked-senders",
        &["admin"],
        Some(block),
    )
    .await;
    assert_eq!(
        text(&app, "SM-b3", &phone, "BDG Pohon tumbang di Jl. Juanda").await,
        200
    );
    assert_eq!(reports(&t).await.len(), 1);
    let sender = blocked.json["sender"].as_str().unwrap().to_string();
    let lifted = as_staff(
        &office,
        "DELETE",
        &format!("/staff/blocked-senders/{sender}"),
        &["admin"],
        None,
    )
    .await;
    assert_eq!(lifted.status, 200, "{}", lifted.json);
    assert_eq!(
        text(&app, "SM-b4", &phone, "BDG Pohon tumbang di Jl. Juanda").await,
        200
    );
    assert_eq!(reports(&t).await.len(), 2);
}

#[tokio::test]
async fn an_sms_report_needs_a_location_until_the_admin_sets_one() {
    let t = stack("sms-location").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let app = sms_app(&t, clock.clone(), 10);
    let office = backoffice_app(&t, clock.clone());
    let phone = unique_phone();
    assert_eq!(
        text(
            &app,
            "SM-l1",
            &phone,
            "BDG Lampu jalan mati sepanjang Jl. Riau"
        )
        .await,
        200
    );
    pump_intake(&t, clock.clone()).await;
    let id = reports(&t).await.pop().unwrap();
    let queue = as_staff(&office, "GET", "/staff/queue", &["admin"], None).await;
    assert_eq!(queue.json["reports"][0]["needs_location"], true);
    assert_eq!(queue.json["reports"][0]["channel"], "sms");
    let path = format!("/staff/reports/{id}/location");
    for (groups, body, status) in [
        (
            &["agency:dsdabm"][..],
            json!({"lat": -6.905, "lon": 107.62}),
            404,
        ),
        (&["admin"], json!({"lat": -6.2, "lon": 106.8}), 422),
        (&["admin"], json!({"lat": -6.905}), 422),
        (&["admin"], json!({}), 422),
        (
            &["admin"],
            json!({"lat": -6.905, "lon": 107.62, "kecamatan": "Narnia"}),
            422,
        ),
    ] {
        let r = as_staff(&office, "POST", &path, groups, Some(body.clone())).await;
        assert_eq!(r.status, status, "{body}: {}", r.json);
    }
    let set = as_staff(
        &office,
        "POST",
        &path,
        &["admin"],
        Some(json!({"lat": -6.905, "lon": 107.62, "address": "Jl. L.L.R.E. Martadinata", "kecamatan": "Bandung Wetan"})),
    )
    .await;
    assert_eq!(set.status, 200, "{}", set.json);
    let detail = as_staff(
        &office,
        "GET",
        &format!("/staff/reports/{id}"),
        &["admin"],
        None,
    )
    .await;
    assert_eq!(detail.json["needs_location"], false);
    assert_eq!(
        detail.json["location"]["kecamatan"]["name"],
        "Bandung Wetan"
    );
    assert_eq!(
        detail.json["timeline"].as_array().unwrap().last().unwrap()["action"],
        "set_location"
    );
}
