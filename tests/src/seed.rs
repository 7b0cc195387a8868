//! Open reports written straight into the table, for the benches that need a city's
//! backlog in place (1,000 or 100,000 reports) faster than the API would take them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use jiff::Timestamp;
use sigap::adapters::reports::report_item;
use sigap::domain::calendar::WorkingCalendar;
use sigap::domain::deadline::{ClockKind, start_clock};
use sigap::domain::report::{Channel, Report, ReportStatus};
use sigap::domain::tracking_id::TrackingId;

/// The `n`th report: a unique id (`n` in base 30), waiting for verification.
pub fn waiting_report(n: usize, received_at: Timestamp, calendar: &WorkingCalendar) -> Report {
    let mut digits = [0u8; 6];
    let mut rest = n;
    for d in digits.iter_mut().rev() {
        *d = u8::try_from(rest % 30).unwrap();
        rest /= 30;
    }
    Report {
        title: format!("Laporan uji beban nomor {n}"),
        description: "Lubang besar di depan sekolah, bahaya untuk motor.".into(),
        category: "jalan-rusak".into(),
        status: ReportStatus::PendingVerification,
        clock: Some(start_clock(
            ClockKind::Verification,
            calendar,
            received_at,
            2,
        )),
        calendar_version: calendar.version().into(),
        reporter_token_hash: "bench".into(),
        version: 2,
        ..Report::received(
            TrackingId::from_random_bytes(&digits).unwrap(),
            Channel::Web,
            received_at,
        )
    }
}

/// Writes `reports` (their items only, no events) in batches of 25, eight at a time.
pub async fn put_reports(client: &aws_sdk_dynamodb::Client, table: &str, reports: &[Report]) {
    let items: Vec<_> = reports.iter().map(report_item).collect();
    let batches: Vec<Vec<WriteRequest>> = items
        .chunks(25)
        .map(|chunk| {
            chunk
                .iter()
                .map(|item| {
                    WriteRequest::builder()
                        .put_request(
                            PutRequest::builder()
                                .set_item(Some(item.clone()))
                                .build()
                                .unwrap(),
                        )
                        .build()
                })
                .collect()
        })
        .collect();
    for group in batches.chunks(8) {
        let writes = group.iter().map(|batch| {
            client
                .batch_write_item()
                .request_items(table, batch.clone())
                .send()
        });
        for out in futures::future::join_all(writes).await {
            assert!(
                out.unwrap()
                    .unprocessed_items()
                    .is_none_or(|u| u.is_empty())
            );
        }
    }
}
