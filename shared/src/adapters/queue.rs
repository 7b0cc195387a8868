//! SQS queues carrying JSON messages: `intake` (reports to triage), `notify`
//! (events to tell people about) and `escalation` (delayed incident ticks).

use aws_sdk_sqs::Client;
use serde::{Deserialize, Serialize};

use super::table::StoreError;

/// The message body on the intake queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntakeMessage {
    /// The report to triage.
    pub report_id: String,
}

/// The message body on the escalation queue: a tick for one incident, carrying the
/// token it may act with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscalationTick {
    /// The incident.
    pub incident_id: String,
    /// The incident's token when the tick was scheduled.
    pub token: String,
}

/// Longest per-message delay SQS allows.
pub const MAX_DELAY_SECONDS: i64 = 900;

/// Sends JSON messages to one queue.
#[derive(Debug, Clone)]
pub struct JsonQueue {
    client: Client,
    url: String,
}

impl JsonQueue {
    /// A sender to the queue at `url`.
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }

    /// Sends one message.
    pub async fn send<T: Serialize>(&self, message: &T) -> Result<(), StoreError> {
        self.send_delayed(message, 0).await
    }

    /// Sends one message that becomes visible after `delay_seconds` (SQS caps it at
    /// 900; longer waits are chained by the consumer).
    pub async fn send_delayed<T: Serialize>(
        &self,
        message: &T,
        delay_seconds: i64,
    ) -> Result<(), StoreError> {
        let body =
            serde_json::to_string(message).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let delay = i32::try_from(delay_seconds.clamp(0, MAX_DELAY_SECONDS)).unwrap_or(0);
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .delay_seconds(delay)
            .send()
            .await
            .map_err(StoreError::aws)?;
        Ok(())
    }
}
