//! Committing a workflow change: the one conditional write (report + audit event +
//! assignment lines), then the announcement on the `notify` queue.
//!
//! If the announcement cannot be enqueued the change still stands and the failure
//! is logged; an outbox swept by `sla-sweep` is the planned fix (README, "Not built yet").

use tracing::warn;

use crate::adapters::queue::JsonQueue;
use crate::adapters::reports::ReportStore;
use crate::adapters::table::StoreError;
use crate::domain::notification::{NotificationKind, NotifyMessage};
use crate::domain::report::Report;
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
        self.reports
            .save_transition(previous, &change.report, &change.event)
            .await?;
        if let Some(kind) = change.notify {
            let note = match kind {
                NotificationKind::InfoRequested | NotificationKind::Archived => {
                    change.event.reason.clone()
                }
                _ => None,
            };
            let message = NotifyMessage {
                report_id: change.report.id.to_string(),
                kind,
                version: change.report.version,
                note,
                staff: staff_audience(kind, change),
            };
            if let Err(err) = self.notify.send(&message).await {
                warn!(report_id = %change.report.id, error = %err, "announcing a change failed; the change stands");
            }
        }
        Ok(())
    }
}

/// Which staff must hear about a change: the agencies just given work, or the admins.
fn staff_audience(kind: NotificationKind, change: &Change) -> Vec<String> {
    match kind {
        // Newly dispatched or reopened by a dispute: assignments (re)started now.
        NotificationKind::Dispatched | NotificationKind::Disputed => change
            .report
            .assignments
            .iter()
            .filter(|a| a.is_open() && a.dispatched_at == change.event.at)
            .map(|a| a.agency.clone())
            .collect(),
        NotificationKind::InfoProvided => vec!["admin".to_string()],
        _ => Vec::new(),
    }
}
