//! `notify` against moto: one SMS per event per recipient, whatever SQS redelivers.

use std::sync::Arc;

use serde_json::json;
use sigap::clock::ManualClock;
use sigap::domain::notification::{NotificationKind, NotifyMessage};
use sigap_tests::{TestStack, api_request, reply, sent_sms, stack, unique_phone, visible_messages};

use crate::web_intake::{app_with, friday_morning, valid_body, verify_app};

fn notify_app(t: &TestStack) -> notify::Notify {
    let config = notify::Config {
        table_name: t.table.clone(),
    };
    notify::Notify::new(
        &config,
        &t.clients,
        Arc::new(ManualClock::new(friday_morning())),
    )
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
    let headers = [("content-type", "application/json")];
    let r = reply(
        web_intake::handle(
            &web,
            api_request("POST", "/reports", &headers, Some(&body.to_string())),
        )
        .await
        .unwrap(),
    );
    assert_eq!(r.status, 201);
    r.json["tracking_id"].as_str().unwrap().to_string()
}

fn received(id: &str) -> NotifyMessage {
    NotifyMessage {
        report_id: id.into(),
        kind: NotificationKind::Received,
        version: 1,
        note: None,
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

    let app = notify_app(&t);
    assert!(matches!(
        notify::deliver(&app, &received(&id)).await.unwrap(),
        notify::Outcome::Sent(_)
    ));
    // SQS redelivers, or the producer announces twice: still one SMS.
    assert_eq!(
        notify::deliver(&app, &received(&id)).await.unwrap(),
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
    let app = notify_app(&t);
    assert_eq!(
        notify::deliver(&app, &received(&id)).await.unwrap(),
        notify::Outcome::NoRecipient
    );

    let record = |mid: &str, body: String| {
        json!({"messageId": mid, "receiptHandle": "r", "body": body, "attributes": {},
        "messageAttributes": {}, "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:ap-southeast-3:123456789012:n", "awsRegion": "ap-southeast-3"})
    };
    let unknown = sigap::ids::IdGenerator::tracking_id(&sigap::ids::SeededIds::new(31)).unwrap();
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
