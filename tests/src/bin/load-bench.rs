//! `make bench`, loopback load: 1,000 web reports sent by 50 concurrent clients to
//! devstack over HTTP (devstack in this process, moto behind it), with throughput,
//! latency percentiles and errors. The pollers and schedules run, as in `make run`.
//! A bound on this machine, not a prediction for Lambda: one moto process serves
//! every call, where DynamoDB would spread them.
//!
//! Then, with the accepted reports triaged and the backlog topped up to 1,000 open
//! reports written straight into the table (waiting for verification, received over
//! the last two weeks, across the kecamatan), the staff console's screens are read
//! one at a time as an admin: the queue, a report page and the city dashboard, each
//! answer's time and bytes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::json;
use sigap::adapters::reports::ReportStore;
use sigap::domain::calendar::WorkingCalendar;
use sigap::domain::location::all_kecamatan;
use sigap::domain::report::{Report, ReportStatus};
use sigap::runtime::clock::SystemClock;
use sigap::runtime::ids::OsRandom;
use sigap_tests::seed::{put_reports, waiting_report};
use sigap_tests::{console_session, devstack, http, percentile_ms};

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
    let console = console_pages(&running, accepted).await;
    report.extend(console.iter().map(|page| page.row()));
    running.shutdown();
    let pages: serde_json::Map<String, serde_json::Value> = console
        .iter()
        .map(|page| {
            (
                page.name.to_string(),
                json!({ "p50_ms": page.p50_ms(), "p95_ms": page.p95_ms(), "bytes": page.bytes }),
            )
        })
        .collect();
    sigap_tests::bench_figures::publish(
        "load",
        &report,
        serde_json::json!({ "accepted": accepted, "throughput_per_s": accepted as f64 / elapsed.as_secs_f64(), "p50_ms": percentile_ms(&latencies, 0.50), "p99_ms": percentile_ms(&latencies, 0.99), "console": pages }),
    );
}

/// Open reports when the console is read.
const CONSOLE_OPEN: u64 = 1000;
/// Reads of each console screen.
const PAGE_READS: usize = 20;
/// Longest wait for triage to move every report on.
const TRIAGE_WAIT: Duration = Duration::from_secs(180);

/// One console screen's figures.
struct PageFigures {
    name: &'static str,
    open: u64,
    times: Vec<Duration>,
    bytes: usize,
}

impl PageFigures {
    fn p50_ms(&self) -> f64 {
        percentile_ms(&self.times, 0.50)
    }
    fn p95_ms(&self) -> f64 {
        percentile_ms(&self.times, 0.95)
    }
    fn row(&self) -> String {
        format!(
            "| console {} ({} open reports): p50 / p95, bytes | {:.1} / {:.1} ms, {} B |",
            self.name,
            self.open,
            self.p50_ms(),
            self.p95_ms(),
            self.bytes
        )
    }
}

/// Waits until triage has moved every accepted report out of `received`, then
/// reads the queue, the first report in it and the dashboard as an admin.
async fn console_pages(running: &devstack::Running, accepted: usize) -> Vec<PageFigures> {
    let clients = sigap_tests::clients().await;
    let store = ReportStore::new(
        clients.dynamodb.clone(),
        running.stack.table_name().unwrap(),
    );
    let waited = Instant::now();
    let open = loop {
        let counts = store.counts_by_status().await.unwrap();
        let count = |status| {
            counts
                .iter()
                .find(|(s, _)| *s == status)
                .map_or(0, |(_, n)| *n)
        };
        let verifying = count(ReportStatus::PendingVerification);
        if count(ReportStatus::Received) == 0 && verifying >= accepted as u64 {
            break counts.iter().map(|(_, n)| n).sum::<u64>();
        }
        assert!(
            waited.elapsed() < TRIAGE_WAIT,
            "triage did not finish: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let calendar = WorkingCalendar::bundled().unwrap();
    let kecamatan = all_kecamatan();
    let now = jiff::Timestamp::now();
    let backlog: Vec<Report> = (0..CONSOLE_OPEN.saturating_sub(open) as usize)
        .map(|n| {
            let days_ago = i64::try_from(n % 15).unwrap();
            let received = now
                .checked_sub(jiff::SignedDuration::from_hours(24 * days_ago + 1))
                .unwrap();
            let mut report = waiting_report(n, received, &calendar);
            report.location.kecamatan = Some(kecamatan[n % kecamatan.len()].clone());
            report
        })
        .collect();
    put_reports(
        &clients.dynamodb,
        running.stack.table_name().unwrap(),
        &backlog,
    )
    .await;
    let open = open + backlog.len() as u64;
    let (session, _) = console_session("admin", jiff::Timestamp::now());
    let cookie = format!("sesi={session}");
    let read = |path: String| {
        let (url, cookie) = (format!("{}{path}", running.base_url), cookie.clone());
        async move {
            let sent = Instant::now();
            let reply = http("GET", &url, &[("cookie", &cookie)], None).await;
            assert_eq!(reply.status, 200, "GET {url}: {}", reply.text);
            (sent.elapsed(), reply.text)
        }
    };
    let (_, queue) = read("/konsol/antrean".into()).await;
    let first = queue
        .split("/konsol/laporan/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a report in the queue")
        .to_string();
    let mut figures = Vec::new();
    for (name, path) in [
        ("queue", "/konsol/antrean".to_string()),
        ("report page", format!("/konsol/laporan/{first}")),
        ("dashboard", "/konsol/ringkasan".to_string()),
    ] {
        let mut page = PageFigures {
            name,
            open,
            times: Vec::new(),
            bytes: 0,
        };
        for _ in 0..PAGE_READS {
            let (took, text) = read(path.clone()).await;
            page.times.push(took);
            page.bytes = text.len();
        }
        page.times.sort();
        figures.push(page);
    }
    figures
}
