//! The `agency-record` job: folds each agency's facts of this month (and the last,
//! whose final hours a run may have missed) into the figures the public record page
//! reads (`sigap::domain::record`), with this month's backlog from the agency's
//! inbox. Hourly; a rerun rewrites the same figures, so overlapping runs are harmless.

use jiff::{Timestamp, ToSpan};
use serde::Serialize;
use sigap::adapters::table::StoreError;
use sigap::domain::record::{Backlog, month_of};

use crate::SlaSweep;

/// Most open assignments read for one agency's backlog (one inbox page).
pub const BACKLOG_LIMIT: i32 = 1000;

/// What one roll-up did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RollUp {
    /// Agencies in the catalog.
    pub agencies: usize,
    /// The months folded, oldest first.
    pub months: Vec<String>,
    /// Facts counted, over every agency and month.
    pub facts: u64,
}

/// One roll-up at the clock's now.
pub async fn roll_up(app: &SlaSweep) -> Result<RollUp, StoreError> {
    let now = app.clock.now();
    let current = month_of(now);
    let mut months = vec![month_of(start_of_month_before(now)), current.clone()];
    months.dedup();
    let agencies = app.catalog.agencies().await?;
    let mut done = RollUp {
        agencies: agencies.len(),
        months: months.clone(),
        facts: 0,
    };
    for agency in agencies.iter() {
        for month in &months {
            let mut figures = app.record.fold(&agency.id, month).await?;
            done.facts += u64::from(
                figures.dispatched + figures.followed_up + figures.reopened + figures.ratings,
            );
            if *month == current {
                let inbox = app.reports.inbox(&agency.id, BACKLOG_LIMIT).await?;
                figures.backlog = Some(Backlog::of(inbox.iter().map(|e| &e.assignment), now));
            }
            app.record
                .put_month(&agency.id, month, &figures, now)
                .await?;
        }
    }
    Ok(done)
}

/// An instant in the month before `now`'s (WIB): the day before its 1st.
fn start_of_month_before(now: Timestamp) -> Timestamp {
    let zoned = now.to_zoned(sigap::domain::calendar::wib());
    let first = zoned.first_of_month().unwrap_or(zoned);
    first
        .checked_sub(1.day())
        .map(|z| z.timestamp())
        .unwrap_or(now)
}
