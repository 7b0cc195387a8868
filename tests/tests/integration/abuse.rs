//! The abuse suite (issue 18): what an attacker can make Sigap do, and the limits
//! that hold against it, each against moto with the template's own settings.
//!
//! Each test prints its figures (`abuse: …`) and appends them to
//! `target/abuse-figures.txt`, which `make test` prints after the summary.

use std::io::Write;
use std::sync::Arc;

use jiff::SignedDuration;
use serde_json::{Value, json};
use sigap::adapters::devices::DeviceStore;
use sigap::runtime::clock::{Clock, ManualClock};
use sigap_tests::{
    HttpReply, api_event, drain, items_with_pk_prefix, reply, sent_sms, stack, unique_phone,
    workspace,
};

use crate::notify_worker::received;
use crate::panic_paging::{call, fast_stack, press, registered, responder, signed, start};
use crate::web_intake::{friday_morning, report_count, valid_body};

/// Prints a figure and keeps it for `make test`'s summary.
fn figure(line: String) {
    println!("{line}");
    let path = workspace().join("target/abuse-figures.txt");
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(file, "{line}");
    }
}

/// A JSON request from `address` (API Gateway's `sourceIp`).
fn from(
    address: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> lambda_http::Request {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    let mut event = api_event(method, path, &all, Some(body));
    event["requestContext"]["http"]["sourceIp"] = json!(address);
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

async fn report_from(
    web: &web_intake::WebIntake,
    address: &str,
    body: &Value,
    key: &str,
) -> HttpReply {
    let request = from(
        address,
        "POST",
        "/reports",
        &[("idempotency-key", key)],
        &body.to_string(),
    );
    reply(web_intake::handle(web, request).await.unwrap())
}

fn naming(phone: &str, n: usize) -> Value {
    let mut body = valid_body();
    body["contact"] = json!({ "phone": phone });
    body["description"] = json!(format!("Lubang besar di depan sekolah nomor {n}."));
    body
}

/// The 429 every limit answers: `Retry-After` in seconds and an Indonesian message.
fn assert_limited(got: &HttpReply, code: &str) {
    assert_eq!(got.status, 429, "{}", got.json);
    assert_eq!(got.json["error"]["code"], code, "{}", got.json);
    let wait: i64 = got.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=86_400).contains(&wait), "Retry-After {wait}");
    let message = got.json["error"]["message"].as_str().unwrap();
    assert!(message.contains("Coba lagi dalam"), "{message}");
}

#[tokio::test]
async fn one_number_gets_its_hourly_share_of_sms_however_many_reports_name_it() {
    let t = stack("abuse-bomb").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let web: web_intake::WebIntake = t.app(clock.clone(), &[]);
    let notify: notify::Notify = t.app(clock.clone(), &[]);
    let victim = unique_phone();
    let attempts = 25;
    let (mut sent, mut withheld) = (0, 0);
    let mut last = String::new();
    // From as many addresses as reports: the per-address limit is not what stops it.
    for n in 0..attempts {
        let got = report_from(
            &web,
            &format!("203.0.113.{}", n + 1),
            &naming(&victim, n),
            &format!("k{n}"),
        )
        .await;
        assert_eq!(got.status, 201, "{}", got.json);
        last = got.json["tracking_id"].as_str().unwrap().to_string();
        match notify::deliver(&notify, &received(&last))
            .await
            .unwrap()
            .sms
        {
            notify::Outcome::Sent(_) => sent += 1,
            notify::Outcome::Withheld("number_limit") => withheld += 1,
            other => panic!("{other:?}"),
        }
    }
    let texted = sent_sms(&victim).await.len();
    figure(format!(
        "abuse: {attempts} reports naming one number -> it received {texted} SMS, {withheld} withheld (limit 10 an hour)"
    ));
    assert_eq!((sent, texted, withheld), (10, 10, attempts - 10));
    // A withheld receipt is settled: its redelivery sends nothing later.
    assert_eq!(
        notify::deliver(&notify, &received(&last))
            .await
            .unwrap()
            .sms,
        notify::Outcome::AlreadySent
    );
    // Another number is not affected.
    let other = unique_phone();
    let got = report_from(&web, "203.0.113.99", &naming(&other, 0), "k").await;
    let id = got.json["tracking_id"].as_str().unwrap();
    assert!(matches!(
        notify::deliver(&notify, &received(id)).await.unwrap().sms,
        notify::Outcome::Sent(_)
    ));
    // The next hour the number has a new share.
    clock.advance(SignedDuration::from_hours(1));
    let got = report_from(&web, "203.0.113.1", &naming(&victim, 99), "next-hour").await;
    let id = got.json["tracking_id"].as_str().unwrap();
    assert!(matches!(
        notify::deliver(&notify, &received(id)).await.unwrap().sms,
        notify::Outcome::Sent(_)
    ));
}

#[tokio::test]
async fn one_address_is_limited_on_new_reports_but_never_on_the_retry_of_an_accepted_one() {
    let t = stack("abuse-client").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let web: web_intake::WebIntake = t.app(clock.clone(), &[("REPORTS_PER_CLIENT_PER_HOUR", "5")]);
    let nat = "198.51.100.200";
    let mut answers = Vec::new();
    for n in 0..8 {
        answers.push(report_from(&web, nat, &naming(&unique_phone(), n), &format!("k{n}")).await);
    }
    let accepted = answers.iter().filter(|a| a.status == 201).count();
    let refused = answers.iter().filter(|a| a.status == 429).count();
    figure(format!(
        "abuse: 8 new reports from one address in an hour (limit 5) -> {accepted} accepted, {refused} refused with 429"
    ));
    assert_eq!((accepted, refused), (5, 3));
    assert_limited(&answers[7], "too_many_reports");
    assert_eq!(
        report_count(&t).await,
        5,
        "a refused request stores nothing"
    );
    // Another address is not affected, and the first gets a new share an hour later.
    assert_eq!(
        report_from(&web, "198.51.100.201", &naming(&unique_phone(), 0), "k")
            .await
            .status,
        201
    );
    clock.advance(SignedDuration::from_hours(1));
    assert_eq!(
        report_from(&web, nat, &naming(&unique_phone(), 9), "k9")
            .await
            .status,
        201
    );
}

#[tokio::test]
async fn a_retry_over_the_limit_replays_the_accepted_answer() {
    let t = stack("abuse-replay").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let web: web_intake::WebIntake = t.app(clock.clone(), &[("REPORTS_PER_CLIENT_PER_HOUR", "1")]);
    let body = naming(&unique_phone(), 0);
    let first = report_from(&web, "198.51.100.50", &body, "once").await;
    assert_eq!(first.status, 201);
    let over = report_from(&web, "198.51.100.50", &naming(&unique_phone(), 1), "two").await;
    assert_limited(&over, "too_many_reports");
    let retry = report_from(&web, "198.51.100.50", &body, "once").await;
    assert_eq!(retry.status, 201, "{}", retry.json);
    assert_eq!(retry.headers["idempotent-replayed"], "true");
    assert_eq!(retry.json["reporter_token"], first.json["reporter_token"]);
}

#[tokio::test]
async fn an_idempotency_key_is_its_callers_own() {
    let t = stack("abuse-idem").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let web: web_intake::WebIntake = t.app(clock.clone(), &[]);
    let body = naming(&unique_phone(), 0);
    let mine = report_from(&web, "198.51.100.60", &body, "shared-key").await;
    // Another caller with the same key and body (or with no key: the automatic one)
    // makes its own report and never sees the first caller's token.
    let theirs = report_from(&web, "198.51.100.61", &body, "shared-key").await;
    assert_eq!((mine.status, theirs.status), (201, 201));
    assert!(theirs.headers.get("idempotent-replayed").is_none());
    assert_ne!(theirs.json["tracking_id"], mine.json["tracking_id"]);
    assert_ne!(theirs.json["reporter_token"], mine.json["reporter_token"]);
    let keyless = |address: &'static str| {
        let body = body.to_string();
        let web = &web;
        async move {
            let request = from(address, "POST", "/reports", &[], &body);
            reply(web_intake::handle(web, request).await.unwrap())
        }
    };
    let a = keyless("198.51.100.62").await;
    let b = keyless("198.51.100.63").await;
    assert_ne!(a.json["reporter_token"], b.json["reporter_token"]);
    figure("abuse: the same Idempotency-Key and body from 2 addresses -> 2 reports, no token replayed across callers".into());
}

#[tokio::test]
async fn registrations_are_limited_per_address_and_pending_devices_expire() {
    let t = stack("abuse-register").await;
    let clock = Arc::new(ManualClock::new(start()));
    let app: panic::Panic = t.app(
        clock.clone(),
        &[("DEVICE_REGISTRATIONS_PER_CLIENT_PER_HOUR", "3")],
    );
    let register = |address: &str, phone: &str| {
        from(
            address,
            "POST",
            "/panic/devices",
            &[],
            &json!({ "phone": phone }).to_string(),
        )
    };
    let mut statuses = Vec::new();
    let mut last = None;
    for _ in 0..5 {
        let got = call(&app, register("198.51.100.70", &unique_phone())).await;
        statuses.push(got.status);
        last = Some(got);
    }
    figure(format!(
        "abuse: 5 device registrations from one address (limit 3 an hour) -> {} codes sent, {} refused with 429",
        statuses.iter().filter(|s| **s == 201).count(),
        statuses.iter().filter(|s| **s == 429).count()
    ));
    assert_eq!(statuses, [201, 201, 201, 429, 429]);
    assert_limited(&last.unwrap(), "too_many_registrations");
    let other = call(&app, register("198.51.100.71", &unique_phone())).await;
    assert_eq!(other.status, 201);
    // Never verified: both items (the number among them) expire a day after the code.
    let id = other.json["device_id"].as_str().unwrap();
    let items = items_with_pk_prefix(&t.clients, &t.table, &format!("DEV#{id}")).await;
    assert_eq!(items.len(), 2);
    let code_expires = start() + SignedDuration::from_mins(10);
    for item in &items {
        let expires: i64 = item["expires_at"].as_n().unwrap().parse().unwrap();
        assert_eq!(expires, code_expires.as_second() + 86_400, "{item:?}");
    }
    // A verified device is kept: its expiry is removed from both items.
    let device = registered(&app, &clock, &unique_phone()).await;
    let items = items_with_pk_prefix(&t.clients, &t.table, &format!("DEV#{}", device.0)).await;
    assert_eq!(items.len(), 2);
    assert!(
        items.iter().all(|i| !i.contains_key("expires_at")),
        "{items:?}"
    );
}

#[tokio::test]
async fn parallel_code_guesses_each_cost_an_attempt() {
    let t = stack("abuse-otp").await;
    let clock = Arc::new(ManualClock::new(start()));
    let app: panic::Panic = t.app(clock.clone(), &[]);
    let phone = unique_phone();
    let created = call(
        &app,
        from(
            "198.51.100.80",
            "POST",
            "/panic/devices",
            &[],
            &json!({ "phone": phone }).to_string(),
        ),
    )
    .await;
    let id = created.json["device_id"].as_str().unwrap().to_string();
    let guesses = 8;
    let answers = futures::future::join_all((0..guesses).map(|n| {
        let request = from(
            "198.51.100.80",
            "POST",
            &format!("/panic/devices/{id}/verify"),
            &[],
            &json!({ "code": format!("{n:06}") }).to_string(),
        );
        call(&app, request)
    }))
    .await;
    let wrong = answers
        .iter()
        .filter(|a| a.json["error"]["code"] == "wrong_code")
        .count();
    let code: String = sent_sms(&phone).await[0]
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap()
        .to_string();
    let right = call(
        &app,
        from(
            "198.51.100.80",
            "POST",
            &format!("/panic/devices/{id}/verify"),
            &[],
            &json!({ "code": code }).to_string(),
        ),
    )
    .await;
    figure(format!(
        "abuse: {guesses} parallel code guesses -> {wrong} counted as wrong, {} locked out; the right code after them: {}",
        guesses - wrong,
        right.json["error"]["code"]
    ));
    assert!(wrong <= 5, "{wrong} guesses were compared with 5 attempts");
    assert_eq!(right.json["error"]["code"], "code_locked", "{}", right.json);
    let device = DeviceStore::new(t.clients.dynamodb.clone(), &t.table)
        .get(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(device.otp_attempts, 0);
}

#[tokio::test]
async fn the_daily_budget_stops_citizen_and_code_sms_but_never_a_page() {
    let t = fast_stack("abuse-budget").await;
    let clock = Arc::new(ManualClock::new(start()));
    let budget = [("SMS_DAILY_BUDGET", "3")];
    let app: panic::Panic = t.app(clock.clone(), &budget);
    let web: web_intake::WebIntake = t.app(clock.clone(), &[]);
    let notify: notify::Notify = t.app(clock.clone(), &budget);
    let city = responder(&t, "kota", &["0"]).await;
    // One code (1 of 3), then receipts until the budget is spent.
    let device = registered(&app, &clock, &unique_phone()).await;
    let mut outcomes = Vec::new();
    for n in 0..4 {
        let got = report_from(
            &web,
            "198.51.100.90",
            &naming(&unique_phone(), n),
            &n.to_string(),
        )
        .await;
        let id = got.json["tracking_id"].as_str().unwrap();
        outcomes.push(notify::deliver(&notify, &received(id)).await.unwrap().sms);
    }
    let sent = outcomes
        .iter()
        .filter(|o| matches!(o, notify::Outcome::Sent(_)))
        .count();
    assert_eq!(sent, 2, "{outcomes:?}");
    assert!(
        outcomes[2..]
            .iter()
            .all(|o| *o == notify::Outcome::Withheld("daily_budget"))
    );
    // No code either, with a word to call 112 meanwhile.
    let refused = call(
        &app,
        from(
            "198.51.100.91",
            "POST",
            "/panic/devices",
            &[],
            &json!({ "phone": unique_phone() }).to_string(),
        ),
    )
    .await;
    assert_limited(&refused, "sms_limit");
    assert!(
        refused.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("112")
    );
    // A press still pages at once.
    let pressed = press(&app, &clock, &device, json!({ "kind": "medical" })).await;
    assert_eq!(pressed.status, 201, "{}", pressed.json);
    let pages = drain(&t.clients, &city).await;
    figure(format!(
        "abuse: daily SMS budget 3 -> 1 code and {sent} receipts sent, {} receipts and 1 code withheld; a press after it paged {} responder channel(s)",
        outcomes.len() - sent,
        pages.len()
    ));
    assert_eq!(pages.len(), 1);
}

#[tokio::test]
async fn a_signature_is_good_for_its_own_route_only() {
    let t = fast_stack("abuse-route").await;
    let clock = Arc::new(ManualClock::new(start()));
    let app: panic::Panic = t.app(clock.clone(), &[]);
    let city = responder(&t, "kota", &["0"]).await;
    let (id, secret) = registered(&app, &clock, &unique_phone()).await;
    // A settings change, captured on its way and replayed to the press route within
    // the window, with every header as signed.
    let settings = json!({ "cancel_pin": "1234", "duress_pin": "9999" }).to_string();
    let captured = signed(
        "PUT",
        &format!("/panic/devices/{id}/settings"),
        &id,
        &secret,
        &settings,
        clock.now(),
    );
    let headers: Vec<(String, String)> = captured
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap().to_string()))
        .collect();
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let replayed = call(
        &app,
        sigap_tests::api_request("POST", "/panic/press", &headers, Some(&settings)),
    )
    .await;
    assert_eq!(replayed.status, 403, "{}", replayed.json);
    assert_eq!(replayed.json["error"]["code"], "invalid_signature");
    // The original still works where it was signed for.
    assert_eq!(call(&app, captured).await.status, 200);
    let pages = drain(&t.clients, &city).await;
    figure(format!(
        "abuse: a signed settings request replayed to /panic/press -> {}, {} pages",
        replayed.status,
        pages.len()
    ));
    assert!(pages.is_empty(), "{pages:?}");
}

#[tokio::test]
async fn the_third_wrong_cancel_pin_is_taken_as_duress() {
    let t = fast_stack("abuse-pin").await;
    let clock = Arc::new(ManualClock::new(start()));
    let app: panic::Panic = t.app(clock.clone(), &[]);
    let top = responder(&t, "kota", &["2"]).await;
    let device = registered(&app, &clock, &unique_phone()).await;
    let pressed = press(&app, &clock, &device, json!({ "kind": "crime" })).await;
    let incident = pressed.json["incident_id"].as_str().unwrap().to_string();
    let path = format!("/panic/incidents/{incident}/cancel");
    let cancel = |pin: &str| {
        let body = json!({ "pin": pin }).to_string();
        signed("POST", &path, &device.0, &device.1, &body, clock.now())
    };
    // Whoever holds the phone tries PINs: two are refused, the third "cancels".
    let mut answers = Vec::new();
    for pin in ["0000", "1111", "2222"] {
        answers.push(call(&app, cancel(pin)).await);
    }
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [403, 403, 200]);
    assert_eq!(answers[2].json["status"], "dibatalkan");
    // …while the incident jumped to the top tier, with every try on its timeline.
    let store =
        sigap::adapters::incidents::IncidentStore::new(t.clients.dynamodb.clone(), &t.table);
    let stored = store.get(&incident).await.unwrap().unwrap();
    assert!(stored.duress, "{stored:?}");
    let timeline: Vec<String> = store
        .timeline(&incident)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.what)
        .collect();
    let wrong = timeline.iter().filter(|w| *w == "wrong_pin").count();
    assert_eq!(wrong, 2, "{timeline:?}");
    assert!(timeline.contains(&"duress".to_string()), "{timeline:?}");
    let pages = drain(&t.clients, &top).await;
    assert_eq!(pages.len(), 1, "the top tier was paged");
    // The right PIN afterwards is answered the same and stands nothing down.
    let late = call(&app, cancel("1234")).await;
    assert_eq!(late.status, 200);
    assert!(store.get(&incident).await.unwrap().unwrap().duress);
    figure(format!(
        "abuse: 3 wrong cancel PINs -> answers {statuses:?}, incident under duress, top tier paged {} time(s); the right PIN after it cancels nothing",
        pages.len()
    ));
}

#[tokio::test]
async fn a_reporter_may_add_only_so_many_messages_to_a_report_a_day() {
    let t = stack("abuse-messages").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let web: web_intake::WebIntake = t.app(
        clock.clone(),
        &[("CITIZEN_MESSAGES_PER_REPORT_PER_DAY", "3")],
    );
    let created = report_from(&web, "198.51.100.95", &naming(&unique_phone(), 0), "m").await;
    let id = created.json["tracking_id"].as_str().unwrap().to_string();
    let token = created.json["reporter_token"].as_str().unwrap().to_string();
    let info = |text: String| {
        from(
            "198.51.100.95",
            "POST",
            &format!("/reports/{id}/info"),
            &[("x-reporter-token", token.as_str())],
            &json!({ "text": text }).to_string(),
        )
    };
    let mut statuses = Vec::new();
    for n in 0..5 {
        let got = reply(
            web_intake::handle(&web, info(format!("Tambahan nomor {n}")))
                .await
                .unwrap(),
        );
        statuses.push(got.status);
        if n == 4 {
            assert_limited(&got, "too_many_messages");
        }
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    // Tomorrow the reporter may write again, though not a text too long for one
    // message.
    clock.advance(SignedDuration::from_hours(24));
    let long = reply(
        web_intake::handle(&web, info("x".repeat(2001)))
            .await
            .unwrap(),
    );
    assert_eq!(long.status, 422, "{}", long.json);
    let next_day = reply(
        web_intake::handle(&web, info("Besoknya".into()))
            .await
            .unwrap(),
    );
    assert_eq!(next_day.status, 200, "{}", next_day.json);
    figure(format!(
        "abuse: 5 messages to one report in a day (limit 3) -> {statuses:?}; 2001 characters -> {}",
        long.status
    ));
}

/// Finding 13: the public web-intake function, holding only what its role in the
/// template allows, cannot write staff data. devstack enforces each role's DynamoDB
/// statements on that function's client (moto checks no IAM); this is the client
/// every web-intake test and devstack use.
#[tokio::test]
async fn the_public_role_cannot_write_api_keys_devices_paging_or_the_calendar() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let stack = stack("abuse-iam").await;
    let template = devstack::template::Template::parse(&sigap_tests::template_text()).unwrap();
    // Named `…:probe`: these denials are meant, and `make test` fails on any other.
    let role_of = |id: &str| {
        let function = template
            .functions
            .iter()
            .find(|f| f.logical_id == id)
            .unwrap();
        let mut access = function.table_access.clone();
        access.function = format!("{id}:probe");
        access.guard(&stack.clients)
    };
    let put = |clients: sigap::runtime::aws::AwsClients, pk: &'static str| {
        let table = stack.table.clone();
        async move {
            clients
                .dynamodb
                .put_item()
                .table_name(table)
                .item("PK", AttributeValue::S(pk.into()))
                .item("SK", AttributeValue::S("META".into()))
                .item("written_by", AttributeValue::S("attacker".into()))
                .send()
                .await
        }
    };
    let web = role_of("WebIntakeFunction");
    let staff_data = [
        "APIKEY#forged",
        "DEV#forged",
        "CONFIG#PAGING",
        "CALENDAR",
        "CATALOG#AGENCY",
    ];
    let mut refused = 0;
    for pk in staff_data {
        let error = put(web.clone(), pk).await.expect_err(pk);
        let text = aws_sdk_dynamodb::error::DisplayErrorContext(&error).to_string();
        assert!(text.contains("AccessDeniedException"), "{pk}: {text}");
        refused += 1;
        let stored = stack
            .clients
            .dynamodb
            .get_item()
            .table_name(&stack.table)
            .key("PK", AttributeValue::S(pk.into()))
            .key("SK", AttributeValue::S("META".into()))
            .send()
            .await
            .unwrap();
        assert!(
            stored
                .item()
                .is_none_or(|item| !item.contains_key("written_by")),
            "{pk} was written"
        );
    }
    // Its own partitions, and the staff function's, still work.
    put(web.clone(), "R#BDG-IAMOK1").await.unwrap();
    put(role_of("BackofficeFunction"), "APIKEY#issued")
        .await
        .unwrap();
    figure(format!(
        "abuse: web-intake's role writing staff data -> {refused} of {} writes refused, none stored; its own report partition written",
        staff_data.len()
    ));
}

/// Finding 2's outer layer: behind the CloudFront edge (and its WAF) every request
/// arrives from an edge address, so the per-address limit counts the viewer
/// CloudFront names, and only when the request carries the edge secret; a viewer
/// header without it is a claim anyone can make, and the caller's own address counts.
#[tokio::test]
async fn behind_the_edge_the_viewer_is_counted_and_a_forged_viewer_is_not() {
    let t = stack("abuse-edge").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let web: web_intake::WebIntake = t.app(clock.clone(), &[("REPORTS_PER_CLIENT_PER_HOUR", "5")]);
    let mut n = 0;
    let mut post = async |source: String, secret: &str, viewer: String| {
        n += 1;
        let request = from(
            &source,
            "POST",
            "/reports",
            &[
                ("idempotency-key", &format!("edge-{n}")),
                ("x-sigap-edge", secret),
                ("cloudfront-viewer-address", &viewer),
            ],
            &naming(&unique_phone(), n).to_string(),
        );
        reply(web_intake::handle(&web, request).await.unwrap()).status
    };
    let secret = "test-edge-secret";
    let mut many_viewers = Vec::new();
    for i in 0..8 {
        many_viewers.push(post("130.176.9.9".into(), secret, format!("36.68.7.{i}:4431{i}")).await);
    }
    let mut one_viewer = Vec::new();
    for i in 0..8 {
        one_viewer.push(post(format!("130.176.9.{i}"), secret, "36.68.8.1:50000".into()).await);
    }
    let mut forged = Vec::new();
    for i in 0..8 {
        forged.push(post("203.0.113.7".into(), "guessed", format!("36.68.9.{i}:1")).await);
    }
    let accepted = |answers: &[u16]| answers.iter().filter(|s| **s == 201).count();
    figure(format!(
        "abuse: behind the edge (limit 5 per address) -> 8 viewers through one edge address: {} accepted; one viewer through 8 edge addresses: {} accepted; 8 forged viewer headers from one address: {} accepted",
        accepted(&many_viewers),
        accepted(&one_viewer),
        accepted(&forged)
    ));
    assert_eq!(
        many_viewers,
        vec![201; 8],
        "citizens behind one edge are not one client"
    );
    assert_eq!(accepted(&one_viewer), 5, "{one_viewer:?}");
    assert_eq!(accepted(&forged), 5, "{forged:?}");
    assert_eq!(forged[7], 429);
}

#[tokio::test]
async fn whatsapp_senders_share_their_numbers_hourly_count_and_block_with_sms() {
    use crate::sms_intake::{sms_app, text};
    use crate::social_mentions::all_reports;
    use crate::whatsapp::{ACCESS_TOKEN, intake, pump, say_text, says, sent_to};
    let t = stack("abuse-whatsapp").await;
    let graph = sigap_tests::FakeGraph::start(ACCESS_TOKEN).await.unwrap();
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let wa = intake(&t, &graph, clock.clone());
    let sms = sms_app(&t, clock.clone(), 10);
    let phone = unique_phone();
    // One person, one hour: 4 texts to 1708, then 20 reports and 10 stickers on
    // WhatsApp. One count (the number's), so 10 act, one polite "wait", then silence.
    for n in 0..4 {
        let body = format!("BDG Sampah menumpuk nomor {n} di Pasar Kosambi");
        assert_eq!(
            text(&sms, &format!("SM-wa-flood{n}"), &phone, &body).await,
            200
        );
    }
    for n in 0..20 {
        let body = format!("BDG Sampah menumpuk nomor {n} di Jl. Kebon Jati");
        say_text(&wa, &phone, &format!("wamid.flood{n}"), &body).await;
    }
    for n in 0..10 {
        let sticker = serde_json::json!({ "id": format!("STICKER{n}"), "mime_type": "image/webp" });
        says(
            &wa,
            &phone,
            &format!("wamid.sticker{n}"),
            "sticker",
            sticker,
        )
        .await;
    }
    pump(&t, &graph, clock.clone()).await;
    let made = all_reports(&t).await.len();
    let sent = sent_to(&graph, &phone);
    let waits = sent
        .iter()
        .filter(|(_, text)| text.contains("terlalu banyak pesan"))
        .count();
    let unreadable = sent
        .iter()
        .filter(|(_, t)| t.contains("belum bisa kami baca"))
        .count();
    figure(format!(
        "abuse: 34 messages from one number in an hour (4 SMS, 30 WhatsApp) -> {made} reports, {waits} 'wait' reply, {unreadable} answers to stickers"
    ));
    assert_eq!((made, waits, unreadable), (10, 1, 0));
    assert!(sent_sms(&phone).await.len() <= 4, "receipts only");

    // An admin blocks the number: the next hour, on WhatsApp too, nothing happens.
    let office = crate::web_intake::backoffice_app(&t, clock.clone());
    let block = serde_json::json!({"phone": phone, "reason": "iseng berulang", "days": 1});
    let blocked = crate::backoffice_views::as_staff(
        &office,
        "POST",
        "/staff/blocked-senders",
        &["admin"],
        Some(block),
    )
    .await;
    assert_eq!(blocked.status, 200, "{}", blocked.json);
    clock.advance(jiff::SignedDuration::from_hours(1));
    let before = sent_to(&graph, &phone).len();
    say_text(
        &wa,
        &phone,
        "wamid.after-block",
        "BDG Laporan setelah diblokir admin",
    )
    .await;
    pump(&t, &graph, clock.clone()).await;
    assert_eq!(all_reports(&t).await.len(), 10);
    assert_eq!(
        sent_to(&graph, &phone).len(),
        before,
        "a blocked sender hears nothing"
    );
}
