//! The sample events in `events/` are real: each parses as its trigger delivers it
//! and the function answers it sensibly.

use std::sync::Arc;

use sigap::domain::tracking_id::TrackingId;
use sigap::runtime::clock::ManualClock;
use sigap_tests::{reply, stack, workspace};

use crate::notify_worker::notify_app;
use crate::web_intake::{app_with, friday_morning, verify_app};

fn read(path: &str) -> String {
    std::fs::read_to_string(workspace().join("events").join(path)).unwrap()
}

#[tokio::test]
async fn web_intake_samples_are_served() {
    let t = stack("samples-web").await;
    let app = app_with(
        &t,
        Arc::new(ManualClock::new(friday_morning())),
        &t.intake_url,
    );
    let call = |name: &str| lambda_http::request::from_str(&read(name)).unwrap();
    let created = reply(
        web_intake::handle(&app, call("web-intake/post-report.json"))
            .await
            .unwrap(),
    );
    assert_eq!(created.status, 201, "{}", created.json);
    let categories = reply(
        web_intake::handle(&app, call("web-intake/list-categories.json"))
            .await
            .unwrap(),
    );
    assert_eq!(categories.status, 200);
    // The sample id is well-formed (valid check symbol) but not in this table.
    assert!(TrackingId::parse("BDG-K7M2QXZ").is_ok());
    let missing = reply(
        web_intake::handle(&app, call("web-intake/get-report.json"))
            .await
            .unwrap(),
    );
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn verify_samples_are_handled() {
    let t = stack("samples-verify").await;
    let app = verify_app(&t, Arc::new(ManualClock::new(friday_morning())));
    let batch: serde_json::Value =
        serde_json::from_str(&read("verify/sqs-intake-batch.json")).unwrap();
    let out = verify::handle(&app, batch).await.unwrap();
    // Neither record can be processed here (unknown report, malformed body): both reported.
    assert_eq!(out["batchItemFailures"].as_array().unwrap().len(), 2);
    let job: serde_json::Value =
        serde_json::from_str(&read("verify/schedule-recover-stranded.json")).unwrap();
    assert_eq!(verify::handle(&app, job).await.unwrap()["recovered"], 0);
}

#[tokio::test]
async fn media_sample_is_handled() {
    let t = stack("samples-media").await;
    let app: media::Media = t.app(Arc::new(ManualClock::new(friday_morning())), &[]);
    let batch: serde_json::Value =
        serde_json::from_str(&read("media/sqs-upload-batch.json")).unwrap();
    // An upload for a report this table does not have (deleted, nothing recorded), and
    // the test event S3 sends when notifications are set up: neither is a failure.
    let out = media::handle(&app, batch).await.unwrap();
    assert_eq!(out["batchItemFailures"], serde_json::json!([]));
    // Not an SQS batch at all: an invocation error, not a silent success.
    assert!(
        media::handle(&app, serde_json::json!({"job": "sweep"}))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn notify_sample_is_handled() {
    let t = stack("samples-notify").await;
    let app = notify_app(&t, Arc::new(ManualClock::new(friday_morning())));
    let batch: serde_json::Value =
        serde_json::from_str(&read("notify/sqs-notify-batch.json")).unwrap();
    let out = notify::handle(&app, batch).await.unwrap();
    // The sample names a report this table does not have: reported, not dropped.
    assert_eq!(
        out["batchItemFailures"][0]["itemIdentifier"],
        "0c9e8a5d-2f4b-4d7e-8a51-6f0d7c3b9e21"
    );
}

#[tokio::test]
async fn the_sla_sweep_sample_runs_a_sweep_and_other_input_is_refused() {
    let t = stack("samples-sweep").await;
    let app = crate::sla_engine::sweep_app(&t, Arc::new(ManualClock::new(friday_morning())));
    let job: serde_json::Value =
        serde_json::from_str(&read("sla-sweep/schedule-sweep.json")).unwrap();
    let out = sla_sweep::handle(&app, job).await.unwrap();
    assert_eq!(
        (out["due"].as_u64(), out["requests"].as_u64()),
        (Some(0), Some(16))
    );
    // Friday 20 November 2026: 2027 is not loaded yet, and the run says so.
    assert_eq!(out["unconfirmed_years"], serde_json::json!([2027]));
    for bad in [
        serde_json::json!({"job": "recover-stranded"}),
        serde_json::json!({"Records": []}),
        serde_json::json!(null),
    ] {
        assert!(sla_sweep::handle(&app, bad.clone()).await.is_err(), "{bad}");
    }
    // The agency record's hourly input: last month and this one, for every agency
    // in the catalog (nothing counted yet on a fresh table).
    let job: serde_json::Value =
        serde_json::from_str(&read("sla-sweep/schedule-agency-record.json")).unwrap();
    let out = sla_sweep::handle(&app, job).await.unwrap();
    assert_eq!(out["months"], serde_json::json!(["2026-10", "2026-11"]));
    assert_eq!(out["facts"], 0);
    assert!(out["agencies"].as_u64().unwrap() >= 10, "{out}");
}

#[tokio::test]
async fn sms_intake_samples_are_signed_as_the_gateways_sign_them() {
    let t = stack("samples-sms").await;
    let app: sms_intake::SmsIntake = t.app(
        Arc::new(ManualClock::new(friday_morning())),
        &[
            ("SENDER_HASH_KEY", "sample-key"),
            ("TWILIO_AUTH_TOKEN", "sample-twilio-auth-token"),
            ("SMS_GATEWAY_SECRET", "sample-gateway-secret"),
        ],
    );
    for name in [
        "sms-intake/twilio-inbound.json",
        "sms-intake/gateway-inbound.json",
    ] {
        let request = lambda_http::request::from_str(&read(name)).unwrap();
        let answer = reply(sms_intake::handle(&app, request).await.unwrap());
        assert_eq!(answer.status, 200, "{name}: {}", answer.json);
    }
}

#[tokio::test]
async fn panic_and_escalate_samples_are_handled() {
    let t = stack("samples-panic").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let app = crate::panic_paging::panic_app(&t, clock.clone());
    let call = |name: &str| lambda_http::request::from_str(&read(name)).unwrap();
    let registered = reply(
        panic::handle(&app, call("panic/register-device.json"))
            .await
            .unwrap(),
    );
    assert_eq!(registered.status, 201, "{}", registered.json);
    let listed = reply(
        panic::handle(&app, call("panic/list-incidents.json"))
            .await
            .unwrap(),
    );
    assert_eq!(listed.status, 200, "{}", listed.json);
    assert_eq!(listed.json["incidents"], serde_json::json!([]));

    let escalate = crate::panic_paging::escalate_app(&t, clock);
    let batch: serde_json::Value =
        serde_json::from_str(&read("escalate/sqs-escalation-batch.json")).unwrap();
    // A tick for an unknown incident and a malformed one: both dropped, not retried.
    let out = escalate::handle(&escalate, batch).await.unwrap();
    assert_eq!(out["batchItemFailures"], serde_json::json!([]));
    let audit: serde_json::Value =
        serde_json::from_str(&read("escalate/schedule-audit.json")).unwrap();
    assert_eq!(
        escalate::handle(&escalate, audit).await.unwrap()["examined"],
        0
    );
    let wrong = serde_json::json!({ "job": "sla-sweep" });
    assert!(escalate::handle(&escalate, wrong).await.is_err());
}
