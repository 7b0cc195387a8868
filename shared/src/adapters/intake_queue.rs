//! The `intake` queue: one message per accepted report, consumed by `verify`.

use aws_sdk_sqs::Client;
use serde::{Deserialize, Serialize};

use super::table::StoreError;
use crate::domain::tracking_id::TrackingId;

/// The message body on the intake queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntakeMessage {
    /// The report to triage.
    pub report_id: String,
}

/// Sends reports to the intake queue.
#[derive(Debug, Clone)]
pub struct IntakeQueue {
    client: Client,
    url: String,
}

impl IntakeQueue {
    /// A sender to the queue at `url`.
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }

    /// Enqueues one report for triage.
    pub async fn send(&self, id: &TrackingId) -> Result<(), StoreError> {
        let body = serde_json::to_string(&IntakeMessage {
            report_id: id.to_string(),
        })
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| StoreError::Aws(aws_sdk_sqs::error::DisplayErrorContext(e).to_string()))?;
        Ok(())
    }
}
