//! Committing a workflow change: the one conditional write (report + audit event +
//! assignment lines + the announcement in the outbox), then the announcement on the
//! `notify` queue and the outbox entry cleared.
//!
//! If the queue cannot be reached, the entry stays in the outbox and [`flush_outbox`]
//! (run by `verify`'s scheduled recovery) sends it later. Sending twice is harmless:
//! `notify` keeps one delivery record per recipient per event.

use aws_sdk_dynamodb::types::TransactWriteItem;
use jiff::Timestamp;
use tracing::warn;

use crate::adapters::queue::JsonQueue;
use crate::adapters::reports::ReportStore;
use crate::adapters::table::StoreError;
use crate::domain::notification::NotifyMessage;
use crate::domain::report::Report;
use crate::domain::tracking_id::TrackingId;
use crate::domain::workflow::Change;

/// Saves and announces workflow changes.
#[derive(Debug, Clone)]
pub struct ChangeLog {
    reports: ReportStore,
    notify: JsonQueue,
}

impl ChangeLog {
    /// Over the report store and the notify queue.
    pub fn new(reports: ReportStore, notify: JsonQueue) -> Self {
        Self { reports, notify }
    }

    /// Saves `change` if nobody changed `previous` meanwhile (else `Conflict`), then
    /// enqueues what the reporter and the staff concerned should be told.
    pub async fn commit(&self, previous: &Report, change: &Change) -> Result<(), StoreError> {
        self.commit_with(previous, change, Vec::new()).await
    }

    /// [`ChangeLog::commit`] with `also` in the same transaction (e.g. the inbound
    /// message that asked for the change, marked handled).
    pub async fn commit_with(
        &self,
        previous: &Report,
        change: &Change,
        also: Vec<TransactWriteItem>,
    ) -> Result<(), StoreError> {
        let announcement = change.announcement();
        self.reports
            .save_change_with(
                previous,
                &change.report,
                &change.event,
                announcement.as_ref(),
                also,
            )
            .await?;
        if let Some(message) = &announcement {
            self.hand_over(&change.report.id, message).await;
        }
        Ok(())
    }

    /// Enqueues one announcement and clears it from the outbox; on failure it stays
    /// there for [`ChangeLog::flush_outbox`].
    async fn hand_over(&self, id: &TrackingId, message: &NotifyMessage) -> bool {
        if let Err(err) = self.notify.send(message).await {
            warn!(report_id = %id, error = %err, "announcement left in the outbox for recovery");
            return false;
        }
        if let Err(err) = self.reports.clear_outbox(id, message.version).await {
            // Enqueued but not cleared: recovery sends it again, notify drops the repeat.
            warn!(report_id = %id, error = %err, "clearing the outbox failed");
        }
        true
    }

    /// Sends announcements still in the outbox that were committed before `before`;
    /// returns how many reached the notify queue.
    pub async fn flush_outbox(&self, before: Timestamp, limit: i32) -> Result<usize, StoreError> {
        let mut sent = 0;
        for entry in self.reports.outbox(before, limit).await? {
            if self.hand_over(&entry.report_id, &entry.message).await {
                sent += 1;
            }
        }
        Ok(sent)
    }
}
