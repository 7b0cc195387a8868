//! `make bench`, the panic path: how long from a press reaching `panic` to its
//! first page being published, and how many AWS calls had to happen one after
//! another before it, over 200 presses against moto; next to the bare moto round
//! trip measured in the same run (a `GetItem` of a missing key).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Instant;

use jiff::Timestamp;
use serde_json::json;
use sigap::adapters::devices::{DeviceStore, PendingDevice};
use sigap::domain::contact::PhoneNumber;
use sigap::runtime::clock::SystemClock;
use sigap::runtime::ids::OsRandom;
use sigap_tests::calls::{CallLog, counted_clients};
use sigap_tests::{api_request, percentile_ms, signed_headers, stack};

/// Presses measured.
const PRESSES: usize = 200;
const DEVICE_KEY: &str = "bench-device-key";

#[tokio::main]
async fn main() {
    let t = stack("bench-panic").await;
    let log = CallLog::default();
    let clients = counted_clients(&log).await;
    let config = panic::Config {
        table_name: t.table.clone(),
        panic_topic_arn: t.stack.topics["PanicTopic"].clone(),
        escalation_queue_url: t.stack.queue("EscalationQueue").unwrap().url.clone(),
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
        ack_links: None,
        edge: None,
    };
    let app =
        panic::Panic::new(&config, &clients, Arc::new(SystemClock), Arc::new(OsRandom)).unwrap();

    // One registered device per press, so every press opens (and pages) an incident.
    let devices = DeviceStore::new(t.clients.dynamodb.clone(), &t.table);
    let phone = PhoneNumber::parse("081100000000").unwrap();
    let mut ids = Vec::new();
    for n in 0..=PRESSES {
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
        devices.activate(&id, "bench").await.unwrap();
        ids.push(id);
    }
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
    sigap_tests::bench_figures::publish(
        "panic",
        &report,
        serde_json::json!({ "sequential_to_first_page_warm": chains.iter().min(), "calls_per_press": calls_per_press.iter().max() }),
    );
}
