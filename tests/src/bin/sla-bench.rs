//! `make bench`: does the SLA sweep's cost follow the number of reports due, not
//! the number open? Seeds 1,000 and then 100,000 open reports into moto, with the
//! same 50 due for a reminder, runs one sweep over each and prints what it read,
//! how many requests it made and how long it took.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Instant;

use jiff::Timestamp;
use jiff::civil::date;
use sigap::domain::calendar::{WorkingCalendar, wib};
use sigap::domain::report::Report;
use sigap::runtime::clock::ManualClock;
use sigap_tests::calls::{CallLog, counted_clients};
use sigap_tests::seed::{put_reports, waiting_report};
use sigap_tests::{TestStack, stack};

/// Reports with a reminder due in every run.
const DUE: usize = 50;
/// Open reports per run.
const SIZES: [usize; 2] = [1_000, 100_000];

fn wib_at(day: i8, hour: i8) -> Timestamp {
    date(2026, 11, day)
        .at(hour, 0, 0, 0)
        .to_zoned(wib())
        .unwrap()
        .timestamp()
}

/// Writes `total` open reports, the first `DUE` of them received on Friday (their
/// reminder fell due Monday 08:00), the rest on Monday (nothing due until Tuesday).
async fn seed(t: &TestStack, total: usize, calendar: &WorkingCalendar) {
    let reports: Vec<Report> = (0..total)
        .map(|n| {
            let received = if n < DUE {
                wib_at(20, 10)
            } else {
                wib_at(23, 9)
            };
            waiting_report(n, received, calendar)
        })
        .collect();
    put_reports(&t.clients.dynamodb, &t.table, &reports).await;
}

#[tokio::main]
async fn main() {
    let calendar = WorkingCalendar::bundled().unwrap();
    let mut rows = Vec::new();
    let log = CallLog::default();
    let mut calls = Vec::new();
    for total in SIZES {
        let t = stack(&format!("bench-{total}")).await;
        let seeding = Instant::now();
        seed(&t, total, &calendar).await;
        eprintln!(
            "seeded {total} open reports in {:.1} s",
            seeding.elapsed().as_secs_f64()
        );
        // Monday 23 November 2026, 10:00 WIB.
        let clock = Arc::new(ManualClock::new(wib_at(23, 10)));
        let sweep = sla_sweep::SlaSweep::new(
            &sla_sweep::Config {
                table_name: t.table.clone(),
                notify_queue_url: t.notify_url.clone(),
            },
            &counted_clients(&log).await,
            clock,
        )
        .unwrap();
        log.clear();
        let run = sla_sweep::sweep(&sweep).await.unwrap();
        assert_eq!(run.reminders, DUE, "{run:?}");
        let mut by_operation = std::collections::BTreeMap::<String, usize>::new();
        for call in log.calls() {
            *by_operation.entry(call.operation).or_default() += 1;
        }
        calls.push(serde_json::json!({
            "open": total, "due": DUE, "calls": log.calls().len(),
            "sequential": log.sequential_depth(), "by_operation": by_operation,
        }));
        rows.push((total, run));
    }
    let (small, large) = (&rows[0].1, &rows[1].1);
    let ratio = |a: u64, b: u64| b as f64 / a.max(1) as f64;
    let mut report: Vec<String> = Vec::new();
    report.push(String::new());
    report.push(format!(
        "SLA sweep scaling: one run, {DUE} reports due, against moto on this machine"
    ));
    report.push(String::new());
    report.push(
        "| open reports | due | reminders | items read | requests | wall time (ms) | due-queue read (ms) | rest of the run (ms) |"
            .to_string(),
    );
    report.push("|---:|---:|---:|---:|---:|---:|---:|---:|".to_string());
    for (total, r) in &rows {
        report.push(format!(
            "| {total} | {} | {} | {} | {} | {} | {} | {} |",
            r.due,
            r.reminders,
            r.items_read,
            r.requests,
            r.duration_ms,
            r.due_query_ms,
            r.duration_ms - r.due_query_ms
        ));
    }
    report.push(format!(
        "| ratio 100k/1k | | | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
        ratio(small.items_read, large.items_read),
        ratio(small.requests, large.requests),
        ratio(small.duration_ms, large.duration_ms),
        ratio(small.due_query_ms, large.due_query_ms),
        ratio(
            small.duration_ms - small.due_query_ms,
            large.duration_ms - large.due_query_ms
        ),
    ));
    report.push(String::new());
    for line in [
        "Items read and requests are what DynamoDB bills and what its latency follows: they",
        "do not change with the number of open reports. The rest of the run (re-reads,",
        "conditional writes, enqueues) is the sweep's own time and does not either. The",
        "due-queue read does here because moto answers an index Query by scanning every",
        "item of the table in Python; DynamoDB reads only the keys sorting before `now`.",
        "(This moto snapshots only the items a transaction touches instead of copying",
        "the whole table: tests/bench/moto_bench.py.)",
    ] {
        report.push(line.to_string());
    }
    sigap_tests::bench_figures::publish(
        "sla",
        &report,
        serde_json::json!({ "calls_per_sweep": calls }),
    );
}
