//! The AWS calls of each request path, at the design minimum (`make bench` prints the
//! same figures as a table; these keep them from creeping back up).

use std::sync::Arc;

use serde_json::json;
use sigap::domain::notification::{NotificationKind, NotifyMessage};
use sigap::runtime::clock::ManualClock;
use sigap_tests::calls::{CallLog, counted_clients};
use sigap_tests::{stack, unique_phone};

use crate::backoffice_views::as_staff;
use crate::sms_intake::text;
use crate::web_intake::{friday_morning, submit_and_triage, valid_body};

fn operations(log: &CallLog) -> Vec<String> {
    log.calls().into_iter().map(|c| c.operation).collect()
}

#[tokio::test]
async fn an_sms_report_is_four_calls_screened_by_one_item() {
    let t = stack("calls-sms").await;
    let log = CallLog::default();
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let app: sms_intake::SmsIntake = t.app_on(&counted_clients(&log).await, clock, &[]);
    app.warm_up().await;
    log.clear();
    let from = unique_phone();
    let status = text(
        &app,
        "SMcalls1",
        &from,
        "BDG Sampah menumpuk di depan pasar Kosambi",
    )
    .await;
    assert_eq!(status, 200);
    // Record the message; count and block in one item; one transaction (report,
    // contact, sender index, "handled"); the intake message. Nothing read back.
    assert_eq!(
        operations(&log),
        [
            "DynamoDB.PutItem",
            "DynamoDB.UpdateItem",
            "DynamoDB.TransactWriteItems",
            "SQS.SendMessage"
        ]
    );
}

#[tokio::test]
async fn a_staff_action_is_four_calls_and_its_answer_reads_nothing_again() {
    let t = stack("calls-staff").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let id = submit_and_triage(&t, clock.clone(), valid_body()).await;
    let log = CallLog::default();
    let office: backoffice::Backoffice = t.app_on(&counted_clients(&log).await, clock, &[]);
    office.warm_up().await;
    log.clear();
    let dispatched = as_staff(
        &office,
        "POST",
        &format!("/staff/reports/{id}/dispatch"),
        &["admin"],
        Some(json!({ "agencies": ["dsdabm"] })),
    )
    .await;
    assert_eq!(dispatched.status, 200, "{}", dispatched.json);
    // The answer is the file read first with the change added: the new status, the
    // dispatch on the timeline, and the admin still sees who reported.
    assert_eq!(dispatched.json["status"], "dispatched");
    let timeline = dispatched.json["timeline"].as_array().unwrap();
    assert_eq!(
        timeline.last().unwrap()["action"],
        "dispatch",
        "{timeline:?}"
    );
    assert_eq!(dispatched.json["reporter"]["name"], "Siti");
    assert_eq!(
        operations(&log),
        [
            "DynamoDB.Query",
            "DynamoDB.TransactWriteItems",
            "SQS.SendMessage",
            "DynamoDB.DeleteItem"
        ]
    );
}

#[tokio::test]
async fn a_receipt_is_eight_calls_five_in_a_row() {
    let t = stack("calls-receipt").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let id = submit_and_triage(&t, clock.clone(), valid_body()).await;
    let log = CallLog::default();
    let notify: notify::Notify = t.app_on(&counted_clients(&log).await, clock, &[]);
    let receipt = NotifyMessage {
        report_id: id,
        kind: NotificationKind::Received,
        version: 1,
        note: None,
        staff: Vec::new(),
        due: None,
    };
    let delivered = notify::deliver(&notify, &receipt).await.unwrap();
    assert!(
        matches!(delivered.sms, notify::Outcome::Sent(_)),
        "{delivered:?}"
    );
    let mut calls = operations(&log);
    // Report and contact in one batch, at the same time as the merged reports'
    // search (in either order); then claim, the SMS limits' three counts at once
    // (the number's hour and day, the daily budget), publish, mark sent.
    calls[..2].sort();
    assert_eq!(
        calls,
        [
            "DynamoDB.BatchGetItem",
            "DynamoDB.Query",
            "DynamoDB.UpdateItem",
            "DynamoDB.UpdateItem",
            "DynamoDB.UpdateItem",
            "DynamoDB.UpdateItem",
            "SNS.Publish",
            "DynamoDB.UpdateItem"
        ]
    );
    assert_eq!(log.sequential_depth(), 5);
}
