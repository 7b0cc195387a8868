//! `make bench`, loopback load: 1,000 web reports sent by 50 concurrent clients to
//! devstack over HTTP (devstack in this process, moto behind it), with throughput,
//! latency percentiles and errors. The pollers and schedules run, as in `make run`.
//! A bound on this machine, not a prediction for Lambda: one moto process serves
//! every call, where DynamoDB would spread them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::json;
use sigap::runtime::clock::SystemClock;
use sigap::runtime::ids::OsRandom;
use sigap_tests::{devstack, http, percentile_ms};

const REPORTS: usize = 1000;
const CLIENTS: usize = 50;

#[tokio::main]
async fn main() {
    let running = devstack(
        "bench-load",
        Arc::new(SystemClock),
        Arc::new(OsRandom),
        true,
    )
    .await;
    let url = format!("{}/reports", running.base_url);
    let started = Instant::now();
    let results: Vec<(u16, Duration)> = futures::stream::iter(0..REPORTS)
        .map(|n| {
            let url = url.clone();
            async move {
                let body = json!({
                    "title": "Sampah menumpuk di pasar",
                    "description": format!("Sampah belum diangkut tiga hari di Pasar Kosambi (beban {n})."),
                    "category": "sampah",
                    "location": {"lat": -6.9218, "lon": 107.6243, "kecamatan": "Sumur Bandung"}
                })
                .to_string();
                let key = format!("load-{n}-{}", std::process::id());
                let sent = Instant::now();
                let reply = http(
                    "POST",
                    &url,
                    &[("content-type", "application/json"), ("idempotency-key", &key)],
                    Some(&body),
                )
                .await;
                (reply.status, sent.elapsed())
            }
        })
        .buffer_unordered(CLIENTS)
        .collect()
        .await;
    let elapsed = started.elapsed();
    let mut latencies: Vec<Duration> = results
        .iter()
        .filter(|(s, _)| *s == 201)
        .map(|(_, d)| *d)
        .collect();
    latencies.sort();
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    for (status, _) in &results {
        *statuses.entry(*status).or_default() += 1;
    }
    let accepted = statuses.get(&201).copied().unwrap_or(0);
    let mut report: Vec<String> = Vec::new();
    report.push(String::new());
    report.push(format!(
        "| loopback load ({REPORTS} reports, {CLIENTS} clients, devstack + moto) | value |"
    ));
    report.push("|---|---:|".to_string());
    report.push(format!("| wall time | {:.1} s |", elapsed.as_secs_f64()));
    report.push(format!(
        "| throughput (accepted) | {:.1} reports/s |",
        accepted as f64 / elapsed.as_secs_f64()
    ));
    report.push(format!(
        "| latency p50 | {:.1} ms |",
        percentile_ms(&latencies, 0.50)
    ));
    report.push(format!(
        "| latency p99 | {:.1} ms |",
        percentile_ms(&latencies, 0.99)
    ));
    report.push(format!("| accepted (201) | {accepted} |"));
    report.push(format!(
        "| errors | {} {:?} |",
        REPORTS - accepted,
        statuses
            .iter()
            .filter(|(s, _)| **s != 201)
            .collect::<Vec<_>>()
    ));
    running.shutdown();
    sigap_tests::bench_figures::publish(
        "load",
        &report,
        serde_json::json!({ "accepted": accepted, "throughput_per_s": accepted as f64 / elapsed.as_secs_f64(), "p50_ms": percentile_ms(&latencies, 0.50), "p99_ms": percentile_ms(&latencies, 0.99) }),
    );
}
