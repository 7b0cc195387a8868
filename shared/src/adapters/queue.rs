//! SQS queues carrying JSON messages: `intake` (reports to triage) and `notify`
//! (events to tell people about).

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
        let body =
            serde_json::to_string(message).map_err(|e| StoreError::Corrupt(e.to_string()))?;
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
