//! `verify` against moto: per-message failures, duplicate deliveries, scheduled recovery.

use std::sync::Arc;

use serde_json::json;
use sigap::adapters::reports::ReportStore;
use sigap::clock::ManualClock;
use sigap::domain::report::ReportStatus;
use sigap::domain::tracking_id::TrackingId;
use sigap_tests::{api_request, reply, stack};

use crate::web_intake::{app_with, friday_morning, valid_body, verify_app};

fn record(id: &str, body: &str) -> serde_json::Value {
    json!({"messageId": id, "receiptHandle": "rh", "body": body, "attributes": {}, "messageAttributes": {},
           "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:ap-southeast-3:123456789012:q", "awsRegion": "ap-southeast-3"})
}

#[tokio::test]
async fn a_batch_reports_exactly_the_messages_that_failed() {
    let t = stack("verify-batch").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let web = app_with(&t, clock.clone(), &t.intake_url);
    let created = reply(
        web_intake::handle(
            &web,
            api_request(
                "POST",
                "/reports",
                &[("content-type", "application/json")],
                Some(&valid_body().to_string()),
            ),
        )
        .await
        .unwrap(),
    );
    let id = created.json["tracking_id"].as_str().unwrap().to_string();
    let unknown = sigap::ids::IdGenerator::tracking_id(&sigap::ids::SeededIds::new(77)).unwrap();
    let app = verify_app(&t, clock.clone());
    let batch = json!({"Records": [
        record("m1", &json!({"report_id": id}).to_string()),
        record("m2", "not json"),
        record("m3", &json!({"report_id": unknown.as_str()}).to_string()),
        record("m4", &json!({"report_id": "BDG-0000000"}).to_string()),
    ]});
    let out = verify::handle(&app, batch.clone()).await.unwrap();
    let mut failed: Vec<_> = out["batchItemFailures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["itemIdentifier"].clone())
        .collect();
    failed.sort_by_key(|v| v.to_string());
    assert_eq!(failed, vec![json!("m2"), json!("m3"), json!("m4")]);

    let store = ReportStore::new(t.clients.dynamodb.clone(), &t.table);
    let id = TrackingId::parse(&id).unwrap();
    assert_eq!(
        store.get(&id).await.unwrap().unwrap().status,
        ReportStatus::PendingVerification
    );
    let events = store.events(&id).await.unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].actor, "system:verify");

    // SQS delivers at least once: the same message again changes nothing.
    let again = verify::handle(
        &app,
        json!({"Records": [record("m1", &json!({"report_id": id.as_str()}).to_string())]}),
    )
    .await
    .unwrap();
    assert!(again["batchItemFailures"].as_array().unwrap().is_empty());
    assert_eq!(store.events(&id).await.unwrap().len(), 2);
}

#[tokio::test]
async fn unknown_payloads_are_invocation_errors_and_jobs_report_counts() {
    let t = stack("verify-payloads").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let app = verify_app(&t, clock);
    assert!(
        verify::handle(&app, json!({"hello": "world"}))
            .await
            .is_err()
    );
    assert!(verify::handle(&app, json!({"job": "dance"})).await.is_err());
    assert_eq!(
        verify::handle(&app, json!({"job": "recover-stranded"}))
            .await
            .unwrap(),
        json!({"recovered": 0})
    );
}
