//! `web-intake` against moto: accepted reports, refused input, idempotency, privacy.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use sigap::adapters::idempotency::{Claim, IdempotencyStore};
use sigap::adapters::reports::ReportStore;
use sigap::domain::report::ReportStatus;
use sigap::domain::tracking_id::TrackingId;
use sigap::runtime::clock::{Clock, ManualClock};
use sigap::runtime::ids::sha256_hex;
use sigap_tests::{TestStack, api_request, items_with_pk_prefix, reply, stack, visible_messages};
use web_intake::{WebIntake, handle};

/// Friday 20 November 2026, 10:00 WIB.
pub fn friday_morning() -> Timestamp {
    "2026-11-20T03:00:00Z".parse().unwrap()
}

/// web-intake over the test stack, its reports queued on `queue_url`.
pub fn app_with(t: &TestStack, clock: Arc<dyn Clock>, queue_url: &str) -> WebIntake {
    t.app(clock, &[("INTAKE_QUEUE_URL", queue_url)])
}

/// verify over the test stack.
pub fn verify_app(t: &TestStack, clock: Arc<dyn Clock>) -> verify::Verify {
    t.app(clock, &[])
}

pub fn valid_body() -> Value {
    json!({
        "title": "Jalan berlubang di Dago",
        "description": "Lubang besar di depan sekolah, membahayakan pengendara motor.",
        "category": "jalan-rusak",
        "location": {"lat": -6.885, "lon": 107.613, "address": "Jl. Ir. H. Juanda", "kecamatan": "Coblong"},
        "contact": {"name": "Siti", "phone": "0812-3456-7890", "email": "siti@example.id"},
        "anonymous": true
    })
}

const JSON: (&str, &str) = ("content-type", "application/json");

/// Submits `body` through the web-intake handler, with extra headers.
pub async fn post(app: &WebIntake, body: &str, extra: &[(&str, &str)]) -> sigap_tests::HttpReply {
    let mut headers = vec![JSON];
    headers.extend_from_slice(extra);
    let submit = || async {
        reply(
            handle(app, api_request("POST", "/reports", &headers, Some(body)))
                .await
                .unwrap(),
        )
    };
    let mut answer = submit().await;
    // A 503 (moto stalled by another test's state dump) is retried as a client is
    // told to: the same request makes the same report. (A 409 is left to the tests,
    // which check it: their clock may never let the claim expire.)
    for _ in 0..3 {
        if answer.status != 503 {
            break;
        }
        eprintln!(
            "POST /reports answered {} {}; retrying",
            answer.status, answer.json
        );
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        answer = submit().await;
    }
    answer
}

/// The backoffice over the test stack.
pub fn backoffice_app(t: &TestStack, clock: Arc<dyn Clock>) -> backoffice::Backoffice {
    t.app(clock, &[])
}

/// Submits `body` at `clock`'s time and triages it as `verify` would; the tracking id.
pub async fn submit_and_triage(t: &TestStack, clock: Arc<ManualClock>, body: Value) -> String {
    let web = app_with(t, clock.clone(), &t.intake_url);
    let created = post(&web, &body.to_string(), &[]).await;
    assert_eq!(created.status, 201, "{}", created.json);
    let id = created.json["tracking_id"].as_str().unwrap().to_string();
    verify::triage(&verify_app(t, clock), &TrackingId::parse(&id).unwrap())
        .await
        .unwrap();
    id
}

/// An admin dispatches report `id` to `dsdabm`: verified, so its text is public.
pub async fn publish(t: &TestStack, clock: Arc<ManualClock>, id: &str) {
    let body = json!({ "agencies": ["dsdabm"] }).to_string();
    let dispatched = reply(
        backoffice::handle(
            &backoffice_app(t, clock),
            sigap_tests::staff_request(
                "POST",
                &format!("/staff/reports/{id}/dispatch"),
                "admin-publish",
                &["admin"],
                Some(&body),
            ),
        )
        .await
        .unwrap(),
    );
    assert_eq!(dispatched.status, 200, "{}", dispatched.json);
}

/// A GET on web-intake.
pub async fn get(app: &WebIntake, path: &str) -> sigap_tests::HttpReply {
    reply(
        handle(app, api_request("GET", path, &[], None))
            .await
            .unwrap(),
    )
}

/// The stored idempotency key of a citizen's `Idempotency-Key` header, as web-intake
/// scopes it to the test requests' address (`198.51.100.7`).
fn citizen_key(header: &str) -> String {
    let client = sigap::domain::contact::SenderKey::new("test-sender-key")
        .unwrap()
        .client("198.51.100.7");
    format!("citizen:{client}:client:{header}")
}

pub(crate) async fn report_count(t: &TestStack) -> usize {
    items_with_pk_prefix(&t.clients, &t.table, "R#")
        .await
        .iter()
        .filter(|i| i["SK"].as_s().unwrap() == "META")
        .count()
}

#[tokio::test]
async fn a_valid_report_is_accepted_with_its_deadline_and_enqueued() {
    let t = stack("web-accept").await;
    let app = app_with(
        &t,
        Arc::new(ManualClock::new(friday_morning())),
        &t.intake_url,
    );
    let r = post(
        &app,
        &valid_body().to_string(),
        &[("idempotency-key", "k-1")],
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.json);
    let id = r.json["tracking_id"].as_str().unwrap();
    assert!(TrackingId::parse(id).is_ok());
    // Friday 10:00 WIB + 2 working days = Tuesday 23:59:59 WIB.
    assert_eq!(r.json["deadline"]["due_at"], "2026-11-24T23:59:59+07:00");
    assert_eq!(r.json["deadline"]["provisional"], false);
    assert_eq!(r.json["status"], "received");
    assert_eq!(r.headers["location"], format!("/reports/{id}"));
    assert_eq!(r.json["reporter_token"].as_str().unwrap().len(), 32);
    assert_eq!(visible_messages(&t.clients, &t.intake_url).await, 1);

    // Not verified yet: the public sees the status and the deadline, no text.
    let shown = get(&app, &format!("/reports/{id}")).await;
    assert_eq!(shown.status, 200);
    assert_eq!(shown.json["status"], "received");
    assert_eq!(shown.json["timeline"].as_array().unwrap().len(), 0);
    assert_eq!(
        shown.json["deadline"]["due_at"],
        "2026-11-24T23:59:59+07:00"
    );
    for hidden in ["title", "description", "location", "category"] {
        assert!(shown.json.get(hidden).is_none(), "{hidden}: {}", shown.json);
    }
    // No reporter identity on the public view, ever.
    let text = shown.json.to_string();
    for secret in [
        "Siti",
        "81234567890",
        "siti@example.id",
        "reporter_token",
        "token_hash",
    ] {
        assert!(!text.contains(secret), "public view leaks {secret}: {text}");
    }
}

#[tokio::test]
async fn bad_input_gets_a_json_4xx_and_nothing_is_written() {
    let t = stack("web-bad").await;
    let app = app_with(
        &t,
        Arc::new(ManualClock::new(friday_morning())),
        &t.intake_url,
    );
    let mut outside = valid_body();
    outside["location"] = json!({"lat": -6.2088, "lon": 106.8456});
    let mut unknown_category = valid_body();
    unknown_category["category"] = json!("sulap");
    let mut missing = valid_body();
    missing.as_object_mut().unwrap().remove("title");
    let mut unknown_field = valid_body();
    unknown_field["latitude"] = json!(-6.9);
    let mut huge = valid_body();
    huge["description"] = json!("x".repeat(40_000));
    let mut no_location = valid_body();
    no_location.as_object_mut().unwrap().remove("location");
    let long_key = "k".repeat(200);
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let huge_number = valid_body().to_string().replace("-6.885", "1e400");
    let mut pole = valid_body();
    pole["location"] = json!({"lat": -90.0, "lon": 0.0});
    // (body, headers, expected status, expected error code)
    type Case<'a> = (String, Vec<(&'a str, &'a str)>, u16, &'a str);
    let cases: Vec<Case> = vec![
        ("{\"title\": ".into(), vec![JSON], 400, "invalid_json"),
        ("[]".into(), vec![JSON], 400, "invalid_json"),
        ("{}".into(), vec![JSON], 422, "validation_failed"),
        (missing.to_string(), vec![JSON], 422, "validation_failed"),
        (outside.to_string(), vec![JSON], 422, "validation_failed"),
        (
            unknown_category.to_string(),
            vec![JSON],
            422,
            "validation_failed",
        ),
        (
            no_location.to_string(),
            vec![JSON],
            422,
            "validation_failed",
        ),
        (unknown_field.to_string(), vec![JSON], 400, "invalid_json"),
        (huge.to_string(), vec![JSON], 413, "payload_too_large"),
        (deep, vec![JSON], 400, "invalid_json"),
        (huge_number, vec![JSON], 400, "invalid_json"),
        (pole.to_string(), vec![JSON], 422, "validation_failed"),
        (
            valid_body().to_string(),
            vec![("content-type", "text/plain")],
            415,
            "unsupported_media_type",
        ),
        (
            valid_body().to_string(),
            vec![],
            415,
            "unsupported_media_type",
        ),
        (
            valid_body().to_string(),
            vec![JSON, ("idempotency-key", long_key.as_str())],
            400,
            "invalid_idempotency_key",
        ),
    ];
    for (body, headers, status, code) in cases {
        let r = reply(
            handle(&app, api_request("POST", "/reports", &headers, Some(&body)))
                .await
                .unwrap(),
        );
        assert_eq!(r.status, status, "{body:.80} → {}", r.json);
        assert_eq!(r.json["error"]["code"], code, "{body:.80}");
        assert!(!r.json["error"]["message"].as_str().unwrap().is_empty());
    }
    let r = post(&app, &outside.to_string(), &[]).await;
    assert_eq!(
        r.json["error"]["fields"][0]["message"],
        "Koordinat berada di luar Kota Bandung."
    );
    // Nothing was written: no report, no idempotency record, no message.
    assert_eq!(
        items_with_pk_prefix(&t.clients, &t.table, "R#").await.len(),
        0
    );
    assert_eq!(
        items_with_pk_prefix(&t.clients, &t.table, "I#").await.len(),
        0
    );
    assert_eq!(visible_messages(&t.clients, &t.intake_url).await, 0);
}

#[tokio::test]
async fn the_same_idempotency_key_twice_makes_one_report_and_the_same_response() {
    let t = stack("web-idem").await;
    let app = app_with(
        &t,
        Arc::new(ManualClock::new(friday_morning())),
        &t.intake_url,
    );
    let body = valid_body().to_string();
    let first = post(&app, &body, &[("idempotency-key", "same")]).await;
    let second = post(&app, &body, &[("idempotency-key", "same")]).await;
    assert_eq!((first.status, second.status), (201, 201));
    assert_eq!(first.json, second.json);
    assert_eq!(second.headers["idempotent-replayed"], "true");
    assert_eq!(report_count(&t).await, 1);
    assert_eq!(visible_messages(&t.clients, &t.intake_url).await, 1);

    let mut other = valid_body();
    other["title"] = json!("Judul yang berbeda sekali");
    let reused = post(&app, &other.to_string(), &[("idempotency-key", "same")]).await;
    assert_eq!(reused.status, 422);
    assert_eq!(reused.json["error"]["code"], "idempotency_key_reused");
    assert_eq!(report_count(&t).await, 1);
}

#[tokio::test]
async fn simultaneous_submits_with_one_key_make_one_report() {
    // The tests' moto serves one DynamoDB request at a time (tests/bench/moto_bench.py),
    // so its conditional writes are atomic, as DynamoDB's are.
    let t = stack("web-simultaneous").await;
    let app = app_with(
        &t,
        Arc::new(ManualClock::new(friday_morning())),
        &t.intake_url,
    );
    let mut body = valid_body();
    body["title"] = json!("Trotoar amblas di Jalan Riau");
    let body = body.to_string();
    let answers = futures::future::join_all(
        (0..6).map(|_| post(&app, &body, &[("idempotency-key", "at-once")])),
    )
    .await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 409),
        "{statuses:?}"
    );
    let created: std::collections::BTreeSet<String> = answers
        .iter()
        .filter(|a| a.status == 201)
        .map(|a| a.json["tracking_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(created.len(), 1, "{statuses:?}");
    for busy in answers.iter().filter(|a| a.status == 409) {
        assert_eq!(busy.json["error"]["code"], "request_in_progress");
    }
    assert_eq!(report_count(&t).await, 1);
    assert_eq!(visible_messages(&t.clients, &t.intake_url).await, 1);
}

#[tokio::test]
async fn keyless_double_submits_make_one_report() {
    // The in-progress path is proven deterministically by the crash test below.
    let t = stack("web-keyless").await;
    let app = app_with(
        &t,
        Arc::new(ManualClock::new(friday_morning())),
        &t.intake_url,
    );
    // No key at all: the same body from the same sender is the same report…
    let mut keyless = valid_body();
    keyless["title"] = json!("Lampu jalan mati di Braga");
    let x = post(&app, &keyless.to_string(), &[]).await;
    let y = post(&app, &keyless.to_string(), &[]).await;
    assert_eq!((x.status, y.status), (201, 201));
    assert_eq!(x.json["tracking_id"], y.json["tracking_id"]);
    assert_eq!(y.headers["idempotent-replayed"], "true");
    assert_eq!(report_count(&t).await, 1);
    // …while a different body is a different report.
    keyless["title"] = json!("Lampu jalan mati di Dago");
    let z = post(&app, &keyless.to_string(), &[]).await;
    assert_ne!(z.json["tracking_id"], x.json["tracking_id"]);
    assert_eq!(report_count(&t).await, 2);
}

#[tokio::test]
async fn a_retry_after_a_crash_finishes_the_same_report() {
    let t = stack("web-crash").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let app = app_with(&t, clock.clone(), &t.intake_url);
    let body = valid_body().to_string();
    let first = post(&app, &body, &[("idempotency-key", "crash")]).await;
    assert_eq!(first.status, 201);
    // Simulate a crash after the report was written but before the response was
    // saved: put the idempotency record back to "in progress".
    t.clients
        .dynamodb
        .update_item()
        .table_name(&t.table)
        .key(
            "PK",
            aws_sdk_dynamodb::types::AttributeValue::S(format!(
                "I#web-intake:POST /reports#{}",
                citizen_key("crash")
            )),
        )
        .key("SK", aws_sdk_dynamodb::types::AttributeValue::S("I".into()))
        .update_expression(
            "SET #s = :p, in_progress_expiry = :e REMOVE response_status, response_body",
        )
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(
            ":p",
            aws_sdk_dynamodb::types::AttributeValue::S("INPROGRESS".into()),
        )
        .expression_attribute_values(
            ":e",
            aws_sdk_dynamodb::types::AttributeValue::N(
                (friday_morning().as_millisecond() + 10_000).to_string(),
            ),
        )
        .send()
        .await
        .unwrap();
    // While the dead attempt's claim holds, a retry is asked to wait.
    let waiting = post(&app, &body, &[("idempotency-key", "crash")]).await;
    assert_eq!(waiting.status, 409);
    assert_eq!(waiting.headers["retry-after"], "5");
    // After it expires, the retry takes over and answers with the same report.
    clock.advance(SignedDuration::from_secs(11));
    let retry = post(&app, &body, &[("idempotency-key", "crash")]).await;
    assert_eq!(retry.status, 201);
    assert_eq!(retry.json["tracking_id"], first.json["tracking_id"]);
    assert_eq!(retry.json["reporter_token"], first.json["reporter_token"]);
    assert_eq!(report_count(&t).await, 1);
}

#[tokio::test]
async fn a_claim_that_died_before_writing_uses_its_reserved_id() {
    let t = stack("web-reserved").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let app = app_with(&t, clock.clone(), &t.intake_url);
    let body = valid_body().to_string();
    let store = IdempotencyStore::new(t.clients.dynamodb.clone(), &t.table);
    // The id a dead attempt reserved (with a valid check symbol).
    let id = (0..30)
        .map(|i| {
            format!(
                "BDG-222222{}",
                char::from(sigap::domain::tracking_id::ALPHABET[i])
            )
        })
        .find(|s| TrackingId::parse(s).is_ok())
        .unwrap();
    let reservation = json!({"report_id": id, "token": "00000000000000000000000000000000"});
    let claim = store
        .claim(
            "web-intake:POST /reports",
            &citizen_key("early"),
            &sha256_hex(&body),
            &reservation,
            clock.now(),
            SignedDuration::from_secs(10),
        )
        .await
        .unwrap();
    assert!(matches!(claim, Claim::Proceed { .. }));
    clock.advance(SignedDuration::from_secs(11));
    let r = post(&app, &body, &[("idempotency-key", "early")]).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json["tracking_id"], id);
}

#[tokio::test]
async fn a_failed_enqueue_still_reaches_triage_through_recovery() {
    let t = stack("web-enqueue").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let broken_queue = format!(
        "{}/123456789012/no-such-queue",
        sigap_tests::moto_endpoint()
    );
    let app = app_with(&t, clock.clone(), &broken_queue);
    let r = post(
        &app,
        &valid_body().to_string(),
        &[("idempotency-key", "lost")],
    )
    .await;
    assert_eq!(
        r.status, 201,
        "the report is stored even if the queue is down"
    );
    let id = TrackingId::parse(r.json["tracking_id"].as_str().unwrap()).unwrap();
    let store = ReportStore::new(t.clients.dynamodb.clone(), &t.table);
    assert_eq!(
        store.get(&id).await.unwrap().unwrap().status,
        ReportStatus::Received
    );
    assert_eq!(visible_messages(&t.clients, &t.intake_url).await, 0);

    let verify = verify_app(&t, clock.clone());
    // Too early: a report one minute old may still be on its way through the queue.
    clock.advance(SignedDuration::from_secs(60));
    assert_eq!(verify::recover_stranded(&verify).await.unwrap(), 0);
    clock.advance(SignedDuration::from_secs(120));
    assert_eq!(verify::recover_stranded(&verify).await.unwrap(), 1);
    assert_eq!(
        store.get(&id).await.unwrap().unwrap().status,
        ReportStatus::PendingVerification
    );
    assert_eq!(verify::recover_stranded(&verify).await.unwrap(), 0);
}

#[tokio::test]
async fn confidential_reports_are_not_public() {
    let t = stack("web-confidential").await;
    let app = app_with(
        &t,
        Arc::new(ManualClock::new(friday_morning())),
        &t.intake_url,
    );
    let mut body = valid_body();
    body["confidential"] = json!(true);
    let r = post(&app, &body.to_string(), &[]).await;
    assert_eq!(r.status, 201);
    let shown = get(
        &app,
        &format!("/reports/{}", r.json["tracking_id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(shown.status, 404);
    assert_eq!(shown.json["error"]["code"], "not_found");
    // Probing with a wrong token answers exactly what a report that does not exist
    // answers: the same status and the same body.
    let missing_id =
        sigap::runtime::ids::IdGenerator::tracking_id(&sigap::runtime::ids::SeededIds::new(7))
            .unwrap();
    let act = |id: String| {
        let app = &app;
        async move {
            reply(
                handle(
                    app,
                    api_request(
                        "POST",
                        &format!("/reports/{id}/info"),
                        &[
                            ("content-type", "application/json"),
                            ("x-reporter-token", "0123456789abcdef0123456789abcdef"),
                        ],
                        Some(r#"{"text":"RT 05"}"#),
                    ),
                )
                .await
                .unwrap(),
            )
        }
    };
    let probed = act(r.json["tracking_id"].as_str().unwrap().to_string()).await;
    let absent = act(missing_id.to_string()).await;
    assert_eq!((probed.status, &probed.text), (absent.status, &absent.text));
    assert_eq!(probed.status, 404);
}

#[tokio::test]
async fn lookups_routes_and_categories() {
    let t = stack("web-routes").await;
    let app = app_with(
        &t,
        Arc::new(ManualClock::new(friday_morning())),
        &t.intake_url,
    );
    let bad = get(&app, "/reports/BDG-XYZ").await;
    assert_eq!(
        (bad.status, bad.json["error"]["code"].as_str()),
        (400, Some("invalid_tracking_id"))
    );
    let missing_id =
        sigap::runtime::ids::IdGenerator::tracking_id(&sigap::runtime::ids::SeededIds::new(5))
            .unwrap();
    let missing = get(&app, &format!("/reports/{missing_id}")).await;
    assert_eq!(missing.status, 404);
    // A timeline cursor is one the API gave out, or 400.
    let cursor = get(&app, &format!("/reports/{missing_id}?before=R%23x")).await;
    assert_eq!(
        (cursor.status, cursor.json["error"]["code"].as_str()),
        (400, Some("invalid_cursor"))
    );
    assert_eq!(get(&app, "/nowhere").await.status, 404);
    let wrong = reply(
        handle(&app, api_request("DELETE", "/reports", &[], None))
            .await
            .unwrap(),
    );
    assert_eq!(wrong.status, 405);
    let categories = get(&app, "/categories").await;
    assert_eq!(categories.status, 200);
    let codes: Vec<_> = categories.json["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].clone())
        .collect();
    assert!(codes.contains(&json!("jalan-rusak")) && codes.contains(&json!("sampah")));
}

#[tokio::test]
async fn warmed_up_at_init_the_first_report_reads_no_calendar_or_categories() {
    let t = stack("web-warm").await;
    let log = sigap_tests::calls::CallLog::default();
    let counted = sigap_tests::calls::counted_clients(&log).await;
    let app: WebIntake = t.app_on(&counted, Arc::new(ManualClock::new(friday_morning())), &[]);
    app.warm_up().await;
    let at_init: Vec<String> = log.calls().into_iter().map(|c| c.operation).collect();
    assert_eq!(at_init.len(), 2, "{at_init:?}");
    assert!(
        at_init.contains(&"DynamoDB.Query".to_string()),
        "{at_init:?}"
    );
    assert!(
        at_init.contains(&"DynamoDB.GetItem".to_string()),
        "{at_init:?}"
    );
    log.clear();
    let r = post(&app, &valid_body().to_string(), &[]).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let first: Vec<String> = log.calls().into_iter().map(|c| c.operation).collect();
    // Claim, the address's count of new reports, the report's transaction (with the
    // key's answer), the intake message: no reads.
    assert_eq!(
        first,
        [
            "DynamoDB.UpdateItem",
            "DynamoDB.UpdateItem",
            "DynamoDB.TransactWriteItems",
            "SQS.SendMessage"
        ],
    );
}
