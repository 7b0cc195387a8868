//! `notify` against moto: one SMS per event per recipient, whatever SQS redelivers.

use std::sync::Arc;

use serde_json::json;
use sigap::domain::notification::{NotificationKind, NotifyMessage};
use sigap::runtime::clock::{Clock, ManualClock};
use sigap_tests::{TestStack, reply, sent_sms, stack, unique_phone, visible_messages};

use crate::web_intake::{
    app_with, backoffice_app, friday_morning, post, submit_and_triage, valid_body, verify_app,
};

/// `notify` over the test's stack, with `clock`.
pub fn notify_app(t: &TestStack, clock: Arc<dyn Clock>) -> notify::Notify {
    t.app(clock, &[])
}

async fn submit(t: &TestStack, phone: Option<&str>) -> String {
    let web = app_with(
        t,
        Arc::new(ManualClock::new(friday_morning())),
        &t.intake_url,
    );
    let mut body = valid_body();
    match phone {
        Some(p) => body["contact"] = json!({"phone": p}),
        None => {
            body.as_object_mut().unwrap().remove("contact");
        }
    }
    let r = post(&web, &body.to_string(), &[]).await;
    assert_eq!(r.status, 201);
    r.json["tracking_id"].as_str().unwrap().to_string()
}

/// The receipt of report `id` (its first announcement).
pub(crate) fn received(id: &str) -> NotifyMessage {
    NotifyMessage {
        report_id: id.into(),
        kind: NotificationKind::Received,
        version: 1,
        note: None,
        staff: Vec::new(),
        due: None,
    }
}

#[tokio::test]
async fn triage_announces_and_the_reporter_gets_exactly_one_sms() {
    let t = stack("notify-once").await;
    let phone = unique_phone();
    let id = submit(&t, Some(&phone)).await;
    // verify triages the report and puts the announcement on the notify queue.
    let clock = Arc::new(ManualClock::new(friday_morning()));
    verify::triage(
        &verify_app(&t, clock),
        &sigap::domain::tracking_id::TrackingId::parse(&id).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(visible_messages(&t.clients, &t.notify_url).await, 1);

    let app = notify_app(&t, Arc::new(ManualClock::new(friday_morning())));
    assert!(matches!(
        notify::deliver(&app, &received(&id)).await.unwrap().sms,
        notify::Outcome::Sent(_)
    ));
    // SQS redelivers, or the producer announces twice: still one SMS.
    assert_eq!(
        notify::deliver(&app, &received(&id)).await.unwrap().sms,
        notify::Outcome::AlreadySent
    );
    let sms = sent_sms(&phone).await;
    assert_eq!(sms.len(), 1, "{sms:?}");
    assert_eq!(
        sms[0],
        format!(
            "LAPOR! Bandung {id}: laporan diterima, diverifikasi paling lambat 24/11/2026. Simpan nomor ini."
        )
    );
    // The delivery record stays with the report.
    let items = sigap_tests::items_with_pk_prefix(&t.clients, &t.table, &format!("R#{id}")).await;
    let record = items
        .iter()
        .find(|i| i["SK"].as_s().unwrap().starts_with("D#received#1#reporter"))
        .unwrap();
    assert_eq!(record["status"].as_s().unwrap(), "SENT");
    assert_eq!(record["sent_text"].as_s().unwrap(), &sms[0]);
}

#[tokio::test]
async fn a_report_without_a_phone_is_not_texted_and_bad_messages_fail_alone() {
    let t = stack("notify-batch").await;
    let id = submit(&t, None).await;
    let app = notify_app(&t, Arc::new(ManualClock::new(friday_morning())));
    assert_eq!(
        notify::deliver(&app, &received(&id)).await.unwrap().sms,
        notify::Outcome::NoRecipient
    );

    let record = |mid: &str, body: String| {
        json!({"messageId": mid, "receiptHandle": "r", "body": body, "attributes": {},
        "messageAttributes": {}, "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:ap-southeast-3:123456789012:n", "awsRegion": "ap-southeast-3"})
    };
    let unknown =
        sigap::runtime::ids::IdGenerator::tracking_id(&sigap::runtime::ids::SeededIds::new(31))
            .unwrap();
    let batch = json!({"Records": [
        record("ok", serde_json::to_string(&received(&id)).unwrap()),
        record("junk", "{}".into()),
        record("missing", serde_json::to_string(&received(unknown.as_str())).unwrap()),
    ]});
    let out = notify::handle(&app, batch).await.unwrap();
    let mut failed: Vec<_> = out["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["itemIdentifier"].as_str().unwrap().to_string())
        .collect();
    failed.sort();
    assert_eq!(failed, vec!["junk", "missing"]);
}

#[tokio::test]
async fn a_dispatch_reaches_exactly_the_agency_it_names_once() {
    let t = stack("notify-staff").await;
    let dsdabm = sigap_tests::subscriber(&t.clients, &t.staff_topic_arn, Some("dsdabm")).await;
    let dlh = sigap_tests::subscriber(&t.clients, &t.staff_topic_arn, Some("dlh")).await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let mut body = valid_body();
    body.as_object_mut().unwrap().remove("contact");
    let id = submit_and_triage(&t, clock.clone(), body).await;

    // The admin dispatches through the backoffice handler.
    let office = backoffice_app(&t, clock);
    let request = sigap_tests::staff_request(
        "POST",
        &format!("/staff/reports/{id}/dispatch"),
        "admin-1",
        &["admin"],
        Some(r#"{"agencies":["dsdabm"]}"#),
    );
    let dispatched = reply(backoffice::handle(&office, request).await.unwrap());
    assert_eq!(dispatched.status, 200, "{}", dispatched.json);

    // The announcement names the agency given work…
    let event = sigap_tests::take_messages(&t.clients, &t.notify_url)
        .await
        .iter()
        .map(|body| serde_json::from_str::<NotifyMessage>(body).unwrap())
        .find(|e| e.kind == NotificationKind::Dispatched)
        .expect("dispatch announced on the notify queue");
    assert_eq!(event.staff, vec!["dsdabm".to_string()]);
    // …and notify tells that agency (and only it), once, however often it runs.
    let app = notify_app(&t, Arc::new(ManualClock::new(friday_morning())));
    let first = notify::deliver(&app, &event).await.unwrap();
    assert!(matches!(first.staff[0].1, notify::Outcome::Sent(_)));
    let again = notify::deliver(&app, &event).await.unwrap();
    assert_eq!(again.staff[0].1, notify::Outcome::AlreadySent);
    let texts = sigap_tests::take_messages(&t.clients, &dsdabm).await;
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(
        texts[0].contains(&id) && texts[0].contains("kotak masuk"),
        "{}",
        texts[0]
    );
    assert_eq!(visible_messages(&t.clients, &dlh).await, 0);
}

#[tokio::test]
async fn an_emergency_in_the_complaint_channel_is_answered_with_112() {
    let t = stack("notify-112").await;
    let phone = unique_phone();
    let body = json!({
        "title": "Kebakaran di gang", "description": "Rumah terbakar, apinya membesar!",
        "category": "lainnya", "location": {"address": "Gg. Sukamaju"}, "contact": {"phone": phone}
    });
    let id = submit_and_triage(&t, Arc::new(ManualClock::new(friday_morning())), body).await;
    notify::deliver(
        &notify_app(&t, Arc::new(ManualClock::new(friday_morning()))),
        &received(&id),
    )
    .await
    .unwrap();
    let sms = sent_sms(&phone).await;
    assert_eq!(sms.len(), 1);
    assert!(
        sms[0].contains(&id) && sms[0].ends_with("Jika ini darurat, segera telepon 112."),
        "{}",
        sms[0]
    );
}
