//! `verify` against moto: per-message failures, duplicate deliveries, scheduled recovery.

use std::sync::Arc;

use serde_json::json;
use sigap::adapters::reports::ReportStore;
use sigap::domain::report::ReportStatus;
use sigap::domain::tracking_id::TrackingId;
use sigap::runtime::clock::ManualClock;
use sigap_tests::{api_request, reply, stack};

use crate::web_intake::{app_with, friday_morning, post, valid_body, verify_app};

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
    let unknown =
        sigap::runtime::ids::IdGenerator::tracking_id(&sigap::runtime::ids::SeededIds::new(77))
            .unwrap();
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
    let events = store.timeline_page(&id, None, 1000).await.unwrap().events;
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
    assert_eq!(
        store
            .timeline_page(&id, None, 1000)
            .await
            .unwrap()
            .events
            .len(),
        2
    );
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
        json!({"recovered": 0, "announced": 0})
    );
}

#[tokio::test]
async fn triage_records_suggestions_and_puts_emergencies_first() {
    let t = stack("verify-triage").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let web = app_with(&t, clock.clone(), &t.intake_url);
    let submit = |title: &str, description: &str, category: &str, lat: f64| {
        let body = json!({
            "title": title, "description": description, "category": category,
            "location": {"lat": lat, "lon": 107.61, "kecamatan": "Coblong"}
        })
        .to_string();
        let web = &web;
        async move { post(web, &body, &[]).await }
    };
    // The citizen picked "lainnya"; the keywords point to waste.
    let a = submit(
        "Sampah   menumpuk di TPS",
        "Sudah seminggu tidak diangkut. Hubungi saya 0812-3456-7890.",
        "lainnya",
        -6.9000,
    )
    .await;
    let b = submit(
        "Tumpukan sampah",
        "Bau sekali, dekat TPS yang sama.",
        "lainnya",
        -6.9005,
    )
    .await;
    let c = submit(
        "Ada kebakaran",
        "Rumah terbakar di gang sebelah, tolong!",
        "lainnya",
        -6.8600,
    )
    .await;
    assert!(a.json.get("emergency_advice").is_none());
    assert!(c.json["emergency_advice"].as_str().unwrap().contains("112"));

    let app = verify_app(&t, clock.clone());
    let ids: Vec<String> = [&a, &b, &c]
        .iter()
        .map(|r| r.json["tracking_id"].as_str().unwrap().to_string())
        .collect();
    for (i, id) in ids.iter().enumerate() {
        let batch =
            json!({"Records": [record(&format!("m{i}"), &json!({"report_id": id}).to_string())]});
        let out = verify::handle(&app, batch).await.unwrap();
        assert!(out["batchItemFailures"].as_array().unwrap().is_empty());
    }
    let store = ReportStore::new(t.clients.dynamodb.clone(), &t.table);
    let load = |id: &str| {
        let store = store.clone();
        let id = TrackingId::parse(id).unwrap();
        async move { store.get(&id).await.unwrap().unwrap() }
    };
    let ta = load(&ids[0]).await.triage.unwrap();
    let suggestion = ta.suggestion.unwrap();
    assert_eq!(
        (suggestion.category.as_str(), suggestion.agency.as_str()),
        ("sampah", "kebersihan")
    );
    assert!(suggestion.rule.contains("sampah"));
    assert_eq!(
        ta.normalised_title.as_deref(),
        Some("Sampah menumpuk di TPS")
    );
    assert_eq!(ta.pii.len(), 1);
    assert!(ta.emergency.is_none());
    let tb = load(&ids[1]).await.triage.unwrap();
    let near: Vec<_> = tb.duplicates.iter().map(|d| d.report_id.clone()).collect();
    assert!(near.contains(&ids[0]), "{near:?}");
    assert!(
        !near.contains(&ids[2]),
        "2.6 km away is not a duplicate: {near:?}"
    );
    let tc = load(&ids[2]).await.triage.unwrap();
    assert_eq!(
        tc.emergency.unwrap().kind,
        sigap::domain::triage::EmergencyKind::Fire
    );

    // The admin's verification queue shows the emergency first, though it came last.
    let queue = t
        .clients
        .dynamodb
        .query()
        .table_name(&t.table)
        .index_name("GSI2")
        .key_condition_expression("GSI2PK = :q")
        .expression_attribute_values(
            ":q",
            aws_sdk_dynamodb::types::AttributeValue::S("Q#VERIFY".into()),
        )
        .send()
        .await
        .unwrap();
    let order: Vec<_> = queue
        .items()
        .iter()
        .map(|i| i["id"].as_s().unwrap().clone())
        .collect();
    assert_eq!(order.len(), 3);
    assert_eq!(order[0], ids[2]);

    // Triage is for staff: none of it appears in the public view, once published.
    crate::web_intake::publish(&t, clock.clone(), &ids[0]).await;
    let public = reply(
        web_intake::handle(
            &web,
            api_request("GET", &format!("/reports/{}", ids[0]), &[], None),
        )
        .await
        .unwrap(),
    );
    let text = public.json.to_string();
    assert!(
        !text.contains("triage") && !text.contains("kebersihan") && !text.contains("pii"),
        "{text}"
    );
    // The phone number the citizen typed into the description is masked for the public.
    assert!(
        !text.contains("3456") && text.contains("[disembunyikan]"),
        "{text}"
    );
}

#[tokio::test]
async fn a_senders_other_open_reports_are_suggested_without_their_number_in_any_key() {
    let t = stack("verify-sender").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let web = app_with(&t, clock.clone(), &t.intake_url);
    let phone = sigap_tests::unique_phone();
    let submit = |title: &str, category: &str, address: &str| {
        let body = json!({
            "title": title, "description": "Mohon segera ditindaklanjuti, sudah lama.",
            "category": category, "location": {"address": address},
            "contact": {"phone": phone}
        })
        .to_string();
        let web = &web;
        async move {
            post(web, &body, &[]).await.json["tracking_id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let first = submit("Lampu jalan mati", "pju", "Jl. Braga").await;
    let second = submit("Sampah tidak diangkut", "sampah", "Jl. Asia Afrika").await;
    let app = verify_app(&t, clock);
    for id in [&first, &second] {
        verify::triage(&app, &TrackingId::parse(id).unwrap())
            .await
            .unwrap();
    }
    let store = ReportStore::new(t.clients.dynamodb.clone(), &t.table);
    let triage = store
        .get(&TrackingId::parse(&second).unwrap())
        .await
        .unwrap()
        .unwrap()
        .triage
        .unwrap();
    let same: Vec<_> = triage
        .duplicates
        .iter()
        .filter(|d| d.reason == "same_sender")
        .map(|d| d.report_id.clone())
        .collect();
    assert_eq!(same, vec![first.clone()]);
    // The sender index exists, and no key anywhere holds the number.
    let digits: String = phone.chars().skip(1).collect();
    let senders = sigap_tests::items_with_pk_prefix(&t.clients, &t.table, "P#").await;
    assert_eq!(senders.len(), 2);
    let everything = sigap_tests::items_with_pk_prefix(&t.clients, &t.table, "").await;
    for item in &everything {
        for key in [
            "PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK",
        ] {
            if let Some(value) = item.get(key).and_then(|v| v.as_s().ok()) {
                assert!(
                    !value.contains(&digits),
                    "{key} = {value} holds the phone number"
                );
            }
        }
    }
}
