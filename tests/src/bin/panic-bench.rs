//! `make bench`, the panic path: how long from a press reaching `panic` to its
//! first page being published, and how many AWS calls had to happen one after
//! another before it, over 200 presses against moto; next to the bare moto round
//! trip measured in the same run (a `GetItem` of a missing key). Then the command
//! centre's board: a board polled as `console.js` polls it, and how long each of a
//! dozen presses takes to show on it, with what one open board costs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use serde_json::json;
use sigap::adapters::devices::{DeviceStore, PendingDevice};
use sigap::domain::contact::PhoneNumber;
use sigap::runtime::clock::SystemClock;
use sigap::runtime::ids::OsRandom;
use sigap_tests::calls::{CallLog, counted_clients};
use sigap_tests::{api_request, console_session, percentile_ms, signed_headers, stack};

/// Presses measured.
const PRESSES: usize = 200;
/// Presses watched on the board (each about one polling interval).
const BOARD_PRESSES: usize = 12;
const DEVICE_KEY: &str = "bench-device-key";

#[tokio::main]
async fn main() {
    let t = stack("bench-panic").await;
    let log = CallLog::default();
    let clients = counted_clients(&log).await;
    let config = panic::Config {
        table_name: t.table.clone(),
        paging: sigap::service::paging::PagingConfig {
            panic_topic_arn: t.stack.topics["PanicTopic"].clone(),
            escalation_queue_url: t.stack.queue("EscalationQueue").unwrap().url.clone(),
            ack_links: None,
        },
        notify_queue_url: t.notify_url.clone(),
        device_key: DEVICE_KEY.into(),
        sender_hash_key: "bench-sender-key".into(),
        replay_window_seconds: 60,
        codes_per_number: sigap::domain::limits::Limit::per_hour(3),
        incidents_per_hour: 5,
        registrations_per_client: sigap::domain::limits::Limit::per_hour(30),
        sms_limits: sigap::service::texting::SmsLimits {
            per_number_hour: sigap::domain::limits::Limit::per_hour(10),
            per_number_day: sigap::domain::limits::Limit::per_day(30),
            daily_budget: sigap::domain::limits::Limit::per_day(2000),
        },
        edge: None,
    };
    let app =
        panic::Panic::new(&config, &clients, Arc::new(SystemClock), Arc::new(OsRandom)).unwrap();

    // One registered device per press, so every press opens (and pages) an incident.
    let devices = DeviceStore::new(t.clients.dynamodb.clone(), &t.table);
    let phone = PhoneNumber::parse("081100000000").unwrap();
    let mut ids = Vec::new();
    for n in 0..=PRESSES + BOARD_PRESSES {
        let id = format!("{n:032x}");
        let now = Timestamp::now();
        devices
            .create_pending(&PendingDevice {
                id: &id,
                phone: &phone,
                phone_hash: "bench",
                otp_hash: "bench",
                expires_at: now,
                attempts: 5,
                now,
            })
            .await
            .unwrap();
        devices.activate(&id, "bench", "bench").await.unwrap();
        ids.push(id);
    }
    let board_ids = ids.split_off(PRESSES + 1);
    let press = |id: &str| {
        let body = json!({ "kind": "crime", "lat": -6.9025, "lon": 107.6188 }).to_string();
        let secret = sigap::domain::device::DeviceKey::new(DEVICE_KEY)
            .unwrap()
            .device_secret(id);
        let headers = signed_headers(
            &secret,
            sigap_tests::Signer::Device {
                id,
                method: "POST",
                path: "/panic/press",
            },
            &body,
        );
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        api_request("POST", "/panic/press", &headers, Some(&body))
    };

    // The first press of a cold function also reads the paging policy.
    log.clear();
    let response = panic::handle(&app, press(&ids[0])).await.unwrap();
    assert_eq!(response.status(), 201);
    let (cold_chain, _) = log.sequential_until("SNS.Publish").unwrap();

    let mut to_publish = Vec::new();
    let mut to_response = Vec::new();
    let mut chains = Vec::new();
    let mut calls_per_press = Vec::new();
    for id in &ids[1..] {
        log.clear();
        let start = Instant::now();
        let response = panic::handle(&app, press(id)).await.unwrap();
        to_response.push(start.elapsed());
        assert_eq!(response.status(), 201);
        let (chain, published) = log.sequential_until("SNS.Publish").unwrap();
        to_publish.push(published - start);
        chains.push(chain);
        calls_per_press.push(log.calls().len());
    }
    let mut bare = Vec::new();
    for n in 0..PRESSES {
        let start = Instant::now();
        t.clients
            .dynamodb
            .get_item()
            .table_name(&t.table)
            .key(
                "PK",
                aws_sdk_dynamodb::types::AttributeValue::S(format!("NONE#{n}")),
            )
            .key(
                "SK",
                aws_sdk_dynamodb::types::AttributeValue::S("META".into()),
            )
            .send()
            .await
            .unwrap();
        bare.push(start.elapsed());
    }
    for list in [&mut to_publish, &mut to_response, &mut bare] {
        list.sort();
    }
    let operations: Vec<String> = log.calls().iter().map(|c| c.operation.clone()).collect();
    let board = board_figures(&t, &app, &board_ids, &press).await;
    let mut report: Vec<String> = Vec::new();
    report.push(String::new());
    report.push(format!(
        "Panic path: {PRESSES} presses (one device each) against moto on this machine"
    ));
    report.push(String::new());
    report.push("| measure | p50 (ms) | p99 (ms) |".to_string());
    report.push("|---|---:|---:|".to_string());
    for (name, list) in [
        ("press -> first page published", &to_publish),
        ("press -> answer to the device", &to_response),
        ("bare moto round trip (GetItem)", &bare),
    ] {
        report.push(format!(
            "| {name} | {:.1} | {:.1} |",
            percentile_ms(list, 0.5),
            percentile_ms(list, 0.99)
        ));
    }
    report.push(String::new());
    report.push(format!(
        "AWS calls one after another up to the first page: warm {} (max {}; design minimum 2: \
         the transaction that stores the incident, then the SNS publish), cold {} (+ the paging policy read).",
        chains.iter().min().unwrap(),
        chains.iter().max().unwrap(),
        cold_chain,
    ));
    report.push(format!(
        "AWS calls per press in all: {} ({}).",
        calls_per_press.iter().max().unwrap(),
        operations.join(", ")
    ));
    report.extend(board.lines());
    sigap_tests::bench_figures::publish(
        "panic",
        &report,
        serde_json::json!({
            "sequential_to_first_page_warm": chains.iter().min(),
            "calls_per_press": calls_per_press.iter().max(),
            "press_to_board_p50_ms": percentile_ms(&board.to_board, 0.5),
            "press_to_board_max_ms": percentile_ms(&board.to_board, 1.0),
            "board_requests_per_minute": board.requests_per_minute(),
        }),
    );
}

/// What the board bench saw.
struct BoardFigures {
    /// From each press being sent to the board's list showing it, sorted.
    to_board: Vec<Duration>,
    /// Polls made, and how many came back 304.
    polls: usize,
    unchanged: usize,
    /// AWS calls over all polls.
    aws_calls: usize,
    /// Body bytes of a changed list (the largest seen) and of a 304.
    list_bytes: usize,
    unchanged_bytes: usize,
}

impl BoardFigures {
    fn requests_per_minute(&self) -> u32 {
        60 / backoffice::console::board::POLL_SECONDS
    }

    fn lines(&self) -> Vec<String> {
        let interval = backoffice::console::board::POLL_SECONDS;
        vec![
            String::new(),
            format!(
                "Command centre board: {BOARD_PRESSES} presses while one board polls every {interval} s \
                 (as console.js), against moto on this machine"
            ),
            String::new(),
            "| measure | value |".to_string(),
            "|---|---:|".to_string(),
            format!(
                "| press -> on the board, median | {:.0} ms |",
                percentile_ms(&self.to_board, 0.5)
            ),
            format!(
                "| press -> on the board, worst | {:.0} ms |",
                percentile_ms(&self.to_board, 1.0)
            ),
            format!(
                "| requests per minute, one open board | {} |",
                self.requests_per_minute()
            ),
            format!(
                "| AWS calls per poll | {:.1} |",
                self.aws_calls as f64 / self.polls as f64
            ),
            format!(
                "| polls answered 304 (unchanged) | {} of {} |",
                self.unchanged, self.polls
            ),
            format!(
                "| body bytes: changed list / 304 | {} / {} |",
                self.list_bytes, self.unchanged_bytes
            ),
            String::new(),
            "The wait is mostly the polling phase: a press lands somewhere in the interval, \
             so the median is about half of it and the worst about all of it, plus one request."
                .to_string(),
        ]
    }
}

/// Presses `ids` one by one at phases spread over the polling interval while a
/// board polls on its own cadence with the last ETag, as `console.js` does.
async fn board_figures(
    t: &sigap_tests::TestStack,
    app: &panic::Panic,
    ids: &[String],
    press: &dyn Fn(&str) -> lambda_http::Request,
) -> BoardFigures {
    let interval = Duration::from_secs(u64::from(backoffice::console::board::POLL_SECONDS));
    let log = CallLog::default();
    let clients = counted_clients(&log).await;
    let key = devstack::provision::dev_secret(devstack::provision::LOCAL_PARAMETERS[0].1);
    let board: Arc<backoffice::Backoffice> = Arc::new(t.app_on(
        &clients,
        Arc::new(SystemClock),
        &[("CONSOLE_DEV_SIGN_IN_KEY", &key)],
    ));
    let (token, _) = console_session("operator", Timestamp::now());
    let cookie = format!("sesi={token}");
    // The poller: every interval, the list with the last ETag; each answer kept
    // with when it arrived.
    let seen: Arc<Mutex<Vec<(Instant, String)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let poller = {
        let (board, seen, stop, cookie) = (board.clone(), seen.clone(), stop.clone(), cookie);
        tokio::spawn(async move {
            let (mut etag, mut polls, mut unchanged) = (None::<String>, 0, 0);
            let (mut list_bytes, mut unchanged_bytes) = (0, 0);
            let mut tick = tokio::time::interval(interval);
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let mut headers = vec![("cookie", cookie.as_str())];
                if let Some(tag) = etag.as_deref() {
                    headers.push(("if-none-match", tag));
                }
                let request = api_request("GET", "/konsol/pusat?bagian=daftar", &headers, None);
                let answer = sigap_tests::reply(backoffice::handle(&board, request).await.unwrap());
                polls += 1;
                if answer.status == 304 {
                    unchanged += 1;
                    unchanged_bytes = answer.text.len();
                    continue;
                }
                assert_eq!(answer.status, 200, "{}", answer.text);
                etag = answer
                    .headers
                    .get("etag")
                    .map(|v| v.to_str().unwrap().to_string());
                list_bytes = list_bytes.max(answer.text.len());
                seen.lock().unwrap().push((Instant::now(), answer.text));
            }
            (polls, unchanged, list_bytes, unchanged_bytes)
        })
    };
    let mut to_board = Vec::new();
    for (n, id) in ids.iter().enumerate() {
        // Each press a little later in the interval than the one before.
        let phase = interval.mul_f64(n as f64 / ids.len() as f64);
        tokio::time::sleep(interval + phase).await;
        let sent = Instant::now();
        let response = panic::handle(app, press(id)).await.unwrap();
        assert_eq!(response.status(), 201);
        let body = sigap_tests::reply(response);
        let incident = body.json["incident_id"].as_str().unwrap().to_string();
        let shown = loop {
            let found = seen
                .lock()
                .unwrap()
                .iter()
                .find(|(at, text)| *at >= sent && text.contains(&incident))
                .map(|(at, _)| *at);
            if let Some(at) = found {
                break at;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        to_board.push(shown - sent);
    }
    stop.store(true, Ordering::Relaxed);
    let (polls, unchanged, list_bytes, unchanged_bytes) = poller.await.unwrap();
    to_board.sort();
    BoardFigures {
        to_board,
        polls,
        unchanged,
        aws_calls: log.calls().len(),
        list_bytes,
        unchanged_bytes,
    }
}
