//! The whole system on one machine: devstack serves the template's routes over real
//! HTTP, polls the real intake queue into `verify`, and sends failures to the DLQ.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use devstack::DevClock;
use serde_json::{Value, json};
use sigap::runtime::clock::SystemClock;
use sigap::runtime::ids::OsRandom;
use sigap_tests::{
    clients, devstack, devstack_with, http, sent_sms, template_text, unique_phone, unique_prefix,
    visible_messages,
};

use crate::web_intake::valid_body;

#[tokio::test]
async fn submit_over_http_then_verify_moves_it_through_the_real_queue() {
    let running = devstack("e2e", Arc::new(SystemClock), Arc::new(OsRandom), true).await;
    let base = &running.base_url;
    let phone = unique_phone();
    let mut body = valid_body();
    body["contact"]["phone"] = json!(phone);
    let created = http(
        "POST",
        &format!("{base}/reports"),
        &[
            ("content-type", "application/json"),
            ("idempotency-key", "e2e-1"),
        ],
        Some(&body.to_string()),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.json);
    let id = created.json["tracking_id"].as_str().unwrap();
    assert!(
        created.json["deadline"]["due_at"]
            .as_str()
            .unwrap()
            .ends_with("23:59:59+07:00")
    );

    let started = Instant::now();
    let status = loop {
        let shown = http("GET", &format!("{base}/reports/{id}"), &[], None).await;
        assert_eq!(shown.status, 200);
        if shown.json["status"] == "pending_verification"
            || started.elapsed() > Duration::from_secs(20)
        {
            break shown.json["status"].clone();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(status, json!("pending_verification"));
    // …and notify, polled from the notify queue, texted the reporter exactly once.
    let started = Instant::now();
    while sent_sms(&phone).await.is_empty() && started.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let sms = sent_sms(&phone).await;
    assert_eq!(sms.len(), 1, "{sms:?}");
    assert!(
        sms[0].contains(id) && sms[0].contains("diterima"),
        "{}",
        sms[0]
    );
    assert_eq!(
        http("GET", &format!("{base}/nowhere"), &[], None)
            .await
            .status,
        404
    );
    let bad = http(
        "POST",
        &format!("{base}/reports"),
        &[("content-type", "application/json")],
        Some("{"),
    )
    .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json["error"]["code"], "invalid_json");
    running.shutdown();
}

#[tokio::test]
async fn a_message_that_keeps_failing_ends_in_the_dead_letter_queue() {
    // Same template, with the visibility timeout and receive count shortened so the
    // redrive happens in seconds rather than minutes.
    let template = template_text()
        .replace("VisibilityTimeout: 60", "VisibilityTimeout: 1")
        .replace("maxReceiveCount: 5", "maxReceiveCount: 2");
    let clients = clients().await;
    let running = devstack::start(devstack::Options {
        template,
        prefix: unique_prefix("dlq"),
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        clients: clients.clone(),
        clock: Arc::new(SystemClock),
        ids: Arc::new(OsRandom),
        background: false,
        dev_clock: None,
        moto_url: None,
        crashes: None,
    })
    .await
    .unwrap();
    let source = running.queue_sources[0].clone();
    let dlq = running
        .stack
        .queue("IntakeDeadLetterQueue")
        .unwrap()
        .url
        .clone();
    clients
        .sqs
        .send_message()
        .queue_url(&source.url)
        .message_body("garbage")
        .send()
        .await
        .unwrap();

    let started = Instant::now();
    while visible_messages(&clients, &dlq).await < 1 && started.elapsed() < Duration::from_secs(20)
    {
        assert_eq!(
            devstack::sources::poll_once(&clients.sqs, &source, "ap-southeast-3", 1).await,
            0
        );
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    assert_eq!(
        visible_messages(&clients, &dlq).await,
        1,
        "the poison message must be in the DLQ, not lost"
    );
    running.shutdown();
}

#[tokio::test]
async fn the_dev_clock_moves_deadlines_forward() {
    let clock = Arc::new(DevClock::default());
    let running = devstack::start(devstack::Options {
        template: template_text(),
        prefix: unique_prefix("devclock"),
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        clients: clients().await,
        clock: clock.clone(),
        ids: Arc::new(OsRandom),
        background: false,
        dev_clock: Some(clock),
        moto_url: None,
        crashes: None,
    })
    .await
    .unwrap();
    let base = &running.base_url;
    let post = |key: &'static str| {
        let url = format!("{base}/reports");
        async move {
            let headers = [
                ("content-type", "application/json"),
                ("idempotency-key", key),
            ];
            http("POST", &url, &headers, Some(&valid_body().to_string())).await
        }
    };
    let before = post("clock-1").await;
    let moved = http(
        "POST",
        &format!("{base}/_devstack/clock"),
        &[],
        Some(r#"{"advance_seconds": 2592000}"#),
    )
    .await;
    assert_eq!(moved.json["offset_seconds"], 2_592_000);
    let after = post("clock-2").await;
    let due =
        |r: &sigap_tests::HttpReply| r.json["deadline"]["due_at"].as_str().unwrap().to_string();
    assert!(
        due(&after) > due(&before),
        "{} !> {}",
        due(&after),
        due(&before)
    );
    let refused = http("POST", &format!("{base}/_devstack/clock"), &[], Some("{}")).await;
    assert_eq!(refused.status, 400);
    running.shutdown();
}

#[tokio::test]
async fn the_templates_schedule_recovers_a_report_whose_enqueue_was_lost() {
    let clock = Arc::new(DevClock::default());
    let clients = clients().await;
    let running = devstack_with(
        "schedule",
        clients.clone(),
        clock.clone(),
        Arc::new(OsRandom),
        false,
        None,
    )
    .await;
    let base = &running.base_url;
    let created = http(
        "POST",
        &format!("{base}/reports"),
        &[("content-type", "application/json")],
        Some(&valid_body().to_string()),
    )
    .await;
    let id = created.json["tracking_id"].as_str().unwrap().to_string();
    // The intake message is lost.
    let intake = running.stack.queue("IntakeQueue").unwrap().url.clone();
    clients
        .sqs
        .purge_queue()
        .queue_url(&intake)
        .send()
        .await
        .unwrap();
    assert_eq!(visible_messages(&clients, &intake).await, 0);
    // Fired with the template's own input ({"job":"recover-stranded"}): too early first…
    let early = running.fire("RecoverStranded").await.unwrap();
    assert_eq!(early["recovered"], 0);
    // …then, three minutes on, the report is recovered into verification.
    clock.advance(jiff::SignedDuration::from_secs(180));
    let later = running
        .fire("VerifyFunction.RecoverStranded")
        .await
        .unwrap();
    assert_eq!(later["recovered"], 1);
    let shown = http("GET", &format!("{base}/reports/{id}"), &[], None).await;
    assert_eq!(shown.json["status"], "pending_verification");
    assert!(running.fire("NoSuchSchedule").await.is_err());
    running.shutdown();
}

#[tokio::test]
async fn moving_the_dev_clock_demos_a_reminder_a_breach_and_an_escalation() {
    use sigap::runtime::clock::Clock;
    let clock = Arc::new(DevClock::default());
    let clients = clients().await;
    let running = devstack::start(devstack::Options {
        template: template_text(),
        prefix: unique_prefix("sla-demo"),
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        clients: clients.clone(),
        clock: clock.clone(),
        ids: Arc::new(OsRandom),
        background: false,
        dev_clock: Some(clock.clone()),
        moto_url: None,
        crashes: None,
    })
    .await
    .unwrap();
    let base = &running.base_url;
    let created = http(
        "POST",
        &format!("{base}/reports"),
        &[("content-type", "application/json")],
        Some(&valid_body().to_string()),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.json);
    let id = sigap::domain::tracking_id::TrackingId::parse(
        created.json["tracking_id"].as_str().unwrap(),
    )
    .unwrap();
    let store = sigap::adapters::reports::ReportStore::new(
        clients.dynamodb.clone(),
        running.stack.table_name().unwrap(),
    );
    // Moves the clock to a minute past `to` and returns what the sweep did.
    let advance_past = |to: jiff::Timestamp| {
        let seconds = to.duration_since(clock.now()).as_secs() + 60;
        let url = format!("{base}/_devstack/clock");
        async move {
            let moved = http(
                "POST",
                &url,
                &[],
                Some(&json!({ "advance_seconds": seconds }).to_string()),
            )
            .await;
            assert_eq!(moved.status, 200, "{}", moved.json);
            moved.json["schedules_fired"]["SlaSweepFunction.Sweep"].clone()
        }
    };
    let sla = || async { store.get(&id).await.unwrap().unwrap().clock.unwrap() };

    let reminded = advance_past(sla().await.sla.remind_at.unwrap()).await;
    assert_eq!(reminded["reminders"], 1, "{reminded}");
    let breached = advance_past(sla().await.due_at).await;
    assert_eq!(breached["breaches"], 1, "{breached}");
    let escalated = advance_past(sla().await.sla.next_escalation_at.unwrap()).await;
    assert_eq!(escalated["escalations"], 1, "{escalated}");
    // Going back in time is refused.
    let back = http(
        "POST",
        &format!("{base}/_devstack/clock"),
        &[],
        Some(r#"{"advance_seconds": -60}"#),
    )
    .await;
    assert_eq!(back.status, 400);
    running.shutdown();
}

/// devstack as `make run` starts it: background polling and the dev tools on.
async fn with_dev_tools(name: &str) -> devstack::Running {
    let clock = Arc::new(DevClock::default());
    devstack::start(devstack::Options {
        template: template_text(),
        prefix: unique_prefix(name),
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        clients: clients().await,
        clock: clock.clone(),
        ids: Arc::new(OsRandom),
        background: true,
        dev_clock: Some(clock),
        moto_url: Some(sigap_tests::moto_endpoint().to_string()),
        crashes: None,
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn the_panic_tool_presses_a_demo_device_and_the_console_sees_the_page_and_the_stand_down() {
    let running = with_dev_tools("panic-tool").await;
    let base = &running.base_url;
    let console = running
        .stack
        .queue("CommandCentreQueue")
        .unwrap()
        .url
        .clone();
    let clients = clients().await;
    let tool = format!("{base}/_devstack/panic");
    let body = r#"{"kind":"fire","lat":-6.9025,"lon":107.6188}"#;
    let press = || http("POST", &tool, &[], Some(body));
    // Time moved first: the tool signs on the clock the panic function checks.
    let moved = http(
        "POST",
        &format!("{base}/_devstack/clock"),
        &[],
        Some(r#"{"advance_working_days": 2}"#),
    )
    .await;
    assert_eq!(moved.status, 200, "{}", moved.json);
    assert!(
        moved.json["now"]
            .as_str()
            .unwrap()
            .ends_with("T09:00:00+07:00")
    );
    let first = press().await;
    assert_eq!(
        first.status, 201,
        "the tool answers the API's status: {}",
        first.json
    );
    let id = first.json["incident_id"].as_str().unwrap().to_string();
    let again = press().await;
    assert_eq!(again.json["joined"], true, "{}", again.json);
    // A cancel with the wrong PIN: the API's refusal comes back as it was.
    let wrong = http(
        "POST",
        &tool,
        &[],
        Some(&json!({ "action": "cancel", "incident_id": id, "pin": "0000" }).to_string()),
    )
    .await;
    assert_eq!(wrong.status, 403, "{}", wrong.json);
    assert_eq!(wrong.json["error"]["code"], "wrong_pin");
    let pages = sigap_tests::drain(&clients, &console).await;
    assert_eq!(pages.len(), 1, "{pages:?}");
    assert!(
        pages[0].contains(&format!("{id} KEBAKARAN T0 cibeunying")),
        "{}",
        pages[0]
    );
    // A seeded demo responder takes it by SMS; the console hears the stand-down.
    let ack = http(
        "POST",
        &format!("{base}/_devstack/sms"),
        &[],
        Some(&json!({ "from": "081100000001", "text": format!("1 {id}") }).to_string()),
    )
    .await;
    assert_eq!(
        ack.json["replies"][0],
        format!(
            "SIGAP: {id} tercatat Anda tangani (polsek-coblong). Selesaikan lewat aplikasi petugas."
        )
        .as_str(),
        "{}",
        ack.json
    );
    let down = sigap_tests::drain(&clients, &console).await;
    assert_eq!(down.len(), 1, "{down:?}");
    assert!(down[0].contains("sudah ditangani polsek-coblong"));
    running.shutdown();
}

#[tokio::test]
async fn the_sms_tool_texts_sigap_as_a_citizen_and_shows_what_came_back() {
    let running = with_dev_tools("sms-tool").await;
    let base = &running.base_url;
    let phone = sigap_tests::unique_phone();
    let sms = |text: String| {
        let url = format!("{base}/_devstack/sms");
        let phone = phone.clone();
        async move {
            let body = json!({ "from": phone, "text": text }).to_string();
            let r = http("POST", &url, &[], Some(&body)).await;
            assert_eq!(r.status, 200, "the webhook's status: {}", r.json);
            r.json
        }
    };
    let made = sms("BDG Lampu jalan mati sepanjang Jl. Riau".into()).await;
    let id = made["report_id"].as_str().unwrap().to_string();
    let receipt = made["replies"][0].as_str().unwrap();
    assert!(
        receipt.starts_with(&format!("LAPOR! Bandung {id}: laporan diterima")),
        "{made}"
    );
    let status = sms(format!("INFO {id}")).await;
    assert!(
        status["replies"][0]
            .as_str()
            .unwrap()
            .contains("Menunggu verifikasi admin"),
        "{status}"
    );
    // A forged webhook (no signature) is refused by the route itself.
    let forged = http(
        "POST",
        &format!("{base}/sms/twilio"),
        &[("content-type", "application/x-www-form-urlencoded")],
        Some("From=%2B6281234567890&Body=BDG+palsu&MessageSid=SMx"),
    )
    .await;
    assert_eq!(forged.status, 403);
    // Every text Sigap sent this number, as moto recorded it: the receipt and the
    // status (replies go out through notify, so the second may still be on its way).
    let url = format!("{base}/_devstack/texts?to={phone}");
    let mut sent = Vec::new();
    for _ in 0..50 {
        let texts = http("GET", &url, &[], None).await;
        assert_eq!(texts.status, 200, "{}", texts.json);
        sent = texts.json["texts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["text"].as_str().unwrap().to_string())
            .collect::<Vec<_>>();
        if sent.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(
        sent[0].starts_with(&format!("LAPOR! Bandung {id}: laporan diterima")),
        "{sent:?}"
    );
    assert!(sent[1].contains("Menunggu verifikasi admin"), "{sent:?}");
    running.shutdown();
}

#[tokio::test]
async fn the_whatsapp_tool_writes_as_a_citizen_and_shows_what_came_back() {
    let running = with_dev_tools("wa-tool").await;
    let base = &running.base_url;
    let phone = sigap_tests::unique_phone();
    let write = |message: Value| {
        let url = format!("{base}/_devstack/whatsapp");
        let phone = phone.clone();
        async move {
            let mut body = message;
            body["from"] = json!(phone);
            let r = http("POST", &url, &[], Some(&body.to_string())).await;
            assert_eq!(r.status, 200, "the webhook's status: {}", r.json);
            r.json
        }
    };
    let made = write(json!({ "text": "BDG Trotoar rusak di Jl. Riau dekat taman" })).await;
    let receipt = &made["sent"][0];
    assert_eq!(receipt["type"], "buttons", "{made}");
    let text = receipt["text"].as_str().unwrap();
    assert!(text.contains("laporan diterima"), "{made}");
    let id = text
        .split_whitespace()
        .find(|w| w.starts_with("BDG-"))
        .unwrap()
        .trim_end_matches(':')
        .to_string();
    // The receipt's button, a pin and a photo: each answered on WhatsApp.
    let status = write(json!({ "button": format!("INFO {id}") })).await;
    assert!(
        status["sent"][0]["text"]
            .as_str()
            .unwrap()
            .contains("Menunggu verifikasi"),
        "{status}"
    );
    let pin = write(json!({ "location": { "latitude": -6.9147, "longitude": 107.6098 } })).await;
    assert!(
        pin["sent"][0]["text"]
            .as_str()
            .unwrap()
            .contains("titik lokasi diterima"),
        "{pin}"
    );
    let photo = write(json!({ "photo": { "caption": "Dari depan" } })).await;
    assert!(
        photo["sent"][0]["text"]
            .as_str()
            .unwrap()
            .contains("foto diterima"),
        "{photo}"
    );
    // Nothing went by SMS; a forged notification is refused by the route itself.
    let texts = http(
        "GET",
        &format!("{base}/_devstack/texts?to={phone}"),
        &[],
        None,
    )
    .await;
    assert_eq!(texts.json["texts"], json!([]), "{}", texts.json);
    let forged = http(
        "POST",
        &format!("{base}/whatsapp"),
        &[("content-type", "application/json")],
        Some(r#"{"object":"whatsapp_business_account","entry":[]}"#),
    )
    .await;
    assert_eq!(forged.status, 403);
    let everything = http("GET", &format!("{base}/_devstack/whatsapp"), &[], None).await;
    assert!(
        everything.json["sent"].as_array().unwrap().len() >= 4,
        "{}",
        everything.json
    );
    running.shutdown();
}

/// The console shows a text sent the instant it starts watching: it counts what moto
/// already holds before it returns (the README tour once missed its first receipt,
/// sent while the console's first count was still being taken).
#[tokio::test]
async fn the_console_shows_a_text_sent_the_moment_it_starts_watching() {
    let mut running = with_dev_tools("console-texts").await;
    let console = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = console.clone();
    running
        .watch(Arc::new(move |line| sink.lock().unwrap().push(line)))
        .await;
    let phone = sigap::domain::contact::PhoneNumber::parse(&unique_phone())
        .unwrap()
        .as_e164()
        .to_string();
    clients()
        .await
        .sns
        .publish()
        .phone_number(&phone)
        .message("SIGAP uji konsol")
        .send()
        .await
        .unwrap();
    let wanted = format!("[sms] {phone} SIGAP uji konsol");
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(20) && !console.lock().unwrap().contains(&wanted)
    {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let shown = console.lock().unwrap().clone();
    assert!(shown.contains(&wanted), "{wanted} not among {shown:?}");
    running.shutdown();
}

/// `make responder`: ops register the number a responder acks from, and forget it
/// when they leave, so an ex-responder's "1 <code>" no longer owns anything.
#[tokio::test]
async fn ops_register_and_forget_a_responder_number() {
    let stack = sigap_tests::stack("responder-cli").await;
    let store = sigap::adapters::incidents::IncidentStore::new(
        stack.clients.dynamodb.clone(),
        &stack.table,
    );
    let key = "responder-cli-key";
    let phone = sigap_tests::unique_phone();
    let hash = sigap::domain::contact::SenderKey::new(key)
        .unwrap()
        .phone(&sigap::domain::contact::PhoneNumber::parse(&phone).unwrap());
    devstack::set_responder_phone(
        &stack.clients,
        &stack.table,
        key,
        &phone,
        Some("damkar-bandung"),
    )
    .await
    .unwrap();
    assert_eq!(
        store.responder_unit(&hash).await.unwrap().as_deref(),
        Some("damkar-bandung")
    );
    devstack::set_responder_phone(&stack.clients, &stack.table, key, &phone, None)
        .await
        .unwrap();
    assert_eq!(store.responder_unit(&hash).await.unwrap(), None);
    // A number that is not one is refused, and nothing is written.
    assert!(
        devstack::set_responder_phone(&stack.clients, &stack.table, key, "12", Some("x"))
            .await
            .is_err()
    );
}
