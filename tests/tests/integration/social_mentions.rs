//! Mentions of the city's X account: the CRC challenge and the body signature
//! (computed here independently), one report per post however often X delivers it,
//! threading by author, and the reply with the tracking id, posted once to a local
//! fake of the X API.

use std::sync::Arc;

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sigap::domain::report::Channel;
use sigap::domain::tracking_id::TrackingId;
use sigap::runtime::clock::ManualClock;
use sigap_tests::{FakeX, TestStack, items_with_pk_prefix, reply, stack};

use crate::web_intake::friday_morning;

const SECRET: &str = "test-x-consumer-secret";
const CITY: &str = "1708000001";

fn app(t: &TestStack, x: &FakeX) -> sms_intake::SmsIntake {
    t.app(
        Arc::new(ManualClock::new(friday_morning())),
        &[
            ("X_ACCOUNT_ID", CITY),
            ("X_API_BASE", &x.base_url),
            ("X_CONSUMER_SECRET", SECRET),
            ("X_BEARER_TOKEN", "test-bearer"),
        ],
    )
}

/// X's scheme, written out: base64(HMAC-SHA256(consumer secret, message)).
fn x_hmac(message: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(message);
    format!(
        "sha256={}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

fn post(id: &str, author: &str, text: &str, in_reply_to: Option<&str>, mentions: &[&str]) -> Value {
    json!({
        "id_str": id,
        "text": text,
        "user": {"id_str": author, "screen_name": format!("warga{author}")},
        "in_reply_to_status_id_str": in_reply_to,
        "entities": {"user_mentions": mentions.iter().map(|m| json!({"id_str": m})).collect::<Vec<_>>()},
    })
}

fn event(posts: Vec<Value>) -> String {
    json!({"for_user_id": CITY, "tweet_create_events": posts}).to_string()
}

async fn deliver(
    app: &sms_intake::SmsIntake,
    body: &str,
    signature: Option<String>,
) -> sigap_tests::HttpReply {
    let signature = signature.unwrap_or_else(|| x_hmac(body.as_bytes()));
    let request = sigap_tests::api_request(
        "POST",
        "/social/x",
        &[
            ("content-type", "application/json"),
            ("x-twitter-webhooks-signature", &signature),
        ],
        Some(body),
    );
    reply(sms_intake::handle(app, request).await.unwrap())
}

/// Every report in the stack's table, as stored.
pub(crate) async fn all_reports(t: &TestStack) -> Vec<sigap::domain::report::Report> {
    let store = sigap::adapters::reports::ReportStore::new(t.clients.dynamodb.clone(), &t.table);
    let mut all = Vec::new();
    for item in items_with_pk_prefix(&t.clients, &t.table, "R#").await {
        if item["SK"].as_s().unwrap() == "META" {
            let id = TrackingId::parse(item["id"].as_s().unwrap()).unwrap();
            all.push(store.get(&id).await.unwrap().unwrap());
        }
    }
    all
}

#[tokio::test]
async fn the_crc_challenge_is_answered_with_the_hmac_of_the_token() {
    let t = stack("x-crc").await;
    let x = FakeX::start(0).await;
    let app = app(&t, &x);
    let mut event: Value = serde_json::from_str(
        &json!({
            "version": "2.0", "routeKey": "GET /social/x", "rawPath": "/social/x",
            "rawQueryString": "crc_token=challenge-123", "headers": {},
            "queryStringParameters": {"crc_token": "challenge-123"},
            "requestContext": {"accountId": "1", "apiId": "t", "domainName": "t", "domainPrefix": "t",
                "requestId": "r", "routeKey": "GET /social/x", "stage": "$default", "time": "", "timeEpoch": 0,
                "http": {"method": "GET", "path": "/social/x", "protocol": "HTTP/1.1", "sourceIp": "1.1.1.1", "userAgent": "x"}},
            "isBase64Encoded": false
        })
        .to_string(),
    )
    .unwrap();
    let crc = reply(
        sms_intake::handle(
            &app,
            lambda_http::request::from_str(&event.to_string()).unwrap(),
        )
        .await
        .unwrap(),
    );
    assert_eq!(crc.status, 200);
    assert_eq!(crc.json["response_token"], x_hmac(b"challenge-123"));
    // The forgery: ask the CRC to "answer" an event body, then post the body with that
    // answer as its signature. The CRC refuses any token not shaped like X's.
    let forged = self::event(vec![post(
        "1900000000000000099",
        "66601",
        "@kotabandung laporan palsu",
        None,
        &[CITY],
    )]);
    let mut asked = event.clone();
    asked["queryStringParameters"] = json!({ "crc_token": forged });
    asked["rawQueryString"] = json!(
        form_urlencoded::Serializer::new(String::new())
            .append_pair("crc_token", &forged)
            .finish()
    );
    let refused = reply(
        sms_intake::handle(
            &app,
            lambda_http::request::from_str(&asked.to_string()).unwrap(),
        )
        .await
        .unwrap(),
    );
    assert_eq!(refused.status, 400, "{}", refused.json);
    assert_eq!(refused.json["error"]["message"], "crc_token tidak valid.");
    assert!(refused.json.get("response_token").is_none());
    event["queryStringParameters"] = json!({});
    event["rawQueryString"] = json!("");
    let missing = reply(
        sms_intake::handle(
            &app,
            lambda_http::request::from_str(&event.to_string()).unwrap(),
        )
        .await
        .unwrap(),
    );
    assert_eq!(missing.status, 400);
}

#[tokio::test]
async fn a_mention_becomes_one_report_with_one_reply_however_often_it_is_delivered() {
    let t = stack("x-mention").await;
    let x = FakeX::start(0).await;
    let app = app(&t, &x);
    let body = event(vec![post(
        "1900000000000000001",
        "55501",
        "@kotabandung lampu jalan di Jl. Riau mati sejak seminggu",
        None,
        &[CITY],
    )]);
    // Tampered or unsigned: refused, nothing stored, nothing posted.
    let tampered = body.replace("Riau", "Merdeka");
    assert_eq!(
        deliver(&app, &tampered, Some(x_hmac(body.as_bytes())))
            .await
            .status,
        403
    );
    assert_eq!(
        deliver(&app, &body, Some("sha256=AAAA".into()))
            .await
            .status,
        403
    );
    assert!(all_reports(&t).await.is_empty());
    for _ in 0..3 {
        let ok = deliver(&app, &body, None).await;
        assert_eq!(ok.status, 200, "{}", ok.json);
    }
    let reports = all_reports(&t).await;
    assert_eq!(reports.len(), 1);
    let report = &reports[0];
    assert_eq!(report.channel, Channel::Social);
    assert!(
        report.description.starts_with("lampu jalan di Jl. Riau"),
        "{}",
        report.description
    );
    let posts = x.posts();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(
        posts[0]["reply"]["in_reply_to_tweet_id"],
        "1900000000000000001"
    );
    let text = posts[0]["text"].as_str().unwrap();
    assert!(
        text.starts_with("@warga55501 ") && text.contains(report.id.as_str()),
        "{text}"
    );
    assert_eq!(x.requests.lock().unwrap()[0].0, "Bearer test-bearer");

    // The author replies in the thread: added to the report, nothing new, no post.
    let follow = event(vec![post(
        "1900000000000000002",
        "55501",
        "@kotabandung tepatnya depan Gedung Sate",
        Some("900001"),
        &[CITY],
    )]);
    assert_eq!(deliver(&app, &follow, None).await.status, 200);
    assert_eq!(all_reports(&t).await.len(), 1);
    assert_eq!(x.posts().len(), 1);
    let trail = sigap::adapters::reports::ReportStore::new(t.clients.dynamodb.clone(), &t.table)
        .timeline_page(&report.id, None, 1000)
        .await
        .unwrap()
        .events;
    assert_eq!(
        trail.last().unwrap().reason.as_deref(),
        Some("tepatnya depan Gedung Sate")
    );

    // The city's own posts and posts not mentioning it are not reports.
    let noise = event(vec![
        post("1900000000000000003", CITY, "Info layanan", None, &[CITY]),
        post(
            "1900000000000000004",
            "55502",
            "Macet di Pasteur",
            None,
            &[],
        ),
    ]);
    assert_eq!(deliver(&app, &noise, None).await.json["handled"], 0);
    assert_eq!(all_reports(&t).await.len(), 1);
}

#[tokio::test]
async fn when_the_x_api_is_down_the_webhook_fails_and_its_retry_replies_once() {
    let t = stack("x-retry").await;
    let x = FakeX::start(1).await;
    let app = app(&t, &x);
    let body = event(vec![post(
        "1900000000000000010",
        "55510",
        "@kotabandung sampah menumpuk di pasar Kosambi",
        None,
        &[CITY],
    )]);
    assert_eq!(deliver(&app, &body, None).await.status, 503);
    assert_eq!(deliver(&app, &body, None).await.status, 200);
    assert_eq!(deliver(&app, &body, None).await.status, 200);
    assert_eq!(all_reports(&t).await.len(), 1);
    // One failed attempt, then exactly one reply.
    assert_eq!(x.posts().len(), 2);
}

#[tokio::test]
async fn a_screen_name_that_is_not_a_handle_gets_no_reply_from_the_city_account() {
    let t = stack("x-handle").await;
    let x = FakeX::start(0).await;
    let app = app(&t, &x);
    let mut mention = post(
        "1900000000000000201",
        "77701",
        "@kotabandung trotoar rusak di Jl. Braga",
        None,
        &[CITY],
    );
    mention["user"]["screen_name"] = json!("kotabandung Resmi: laporan ditolak, hubungi 0812");
    let delivered = deliver(&app, &event(vec![mention]), None).await;
    assert_eq!(delivered.status, 200, "{}", delivered.json);
    assert_eq!(all_reports(&t).await.len(), 1, "the report is still taken");
    assert!(x.posts().is_empty(), "{:?}", x.posts());
}

#[tokio::test]
async fn one_author_flooding_mentions_makes_no_more_reports_than_an_sms_sender_may() {
    let t = stack("x-flood").await;
    let x = FakeX::start(0).await;
    let app = app(&t, &x);
    let attempts = 14;
    for n in 0..attempts {
        let body = event(vec![post(
            &format!("19000000000000003{n:02}"),
            "88801",
            &format!("@kotabandung keluhan nomor {n} tentang jalan rusak"),
            None,
            &[CITY],
        )]);
        assert_eq!(deliver(&app, &body, None).await.status, 200);
    }
    let reports = all_reports(&t).await.len();
    println!(
        "x flood: {attempts} mentions from one author, {reports} reports, {} replies",
        x.posts().len()
    );
    // SMS_RATE_LIMIT_PER_HOUR's default: the same limit as an SMS sender's.
    assert_eq!(reports, 10);
    assert_eq!(x.posts().len(), 10);
    // Another author is not held back by the first one's flood.
    let other = event(vec![post(
        "1900000000000000401",
        "88802",
        "@kotabandung lampu taman mati",
        None,
        &[CITY],
    )]);
    assert_eq!(deliver(&app, &other, None).await.status, 200);
    assert_eq!(all_reports(&t).await.len(), 11);
}
