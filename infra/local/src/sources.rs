//! Event sources: SQS queues polled into functions with Lambda's partial-batch
//! semantics, and schedules fired at their rate.

use std::time::Duration;

use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use serde_json::json;
use tracing::{error, info, warn};

use crate::functions::EventHandler;

/// An SQS event source mapping, as the template declares it.
#[derive(Clone)]
pub struct QueueSource {
    /// Function logical id, for logs.
    pub function: String,
    /// Queue URL.
    pub url: String,
    /// Queue ARN, as it appears in the event.
    pub arn: String,
    /// Records per invocation.
    pub batch_size: i32,
    /// The function.
    pub handler: EventHandler,
}

/// Builds Lambda's SQS event for received messages.
pub fn sqs_event(
    messages: &[aws_sdk_sqs::types::Message],
    arn: &str,
    region: &str,
) -> serde_json::Value {
    let records: Vec<_> = messages
        .iter()
        .map(|m| {
            let attributes: serde_json::Map<_, _> = m
                .attributes()
                .map(|a| {
                    a.iter()
                        .map(|(k, v)| (k.as_str().to_string(), json!(v)))
                        .collect()
                })
                .unwrap_or_default();
            json!({
                "messageId": m.message_id(),
                "receiptHandle": m.receipt_handle(),
                "body": m.body().unwrap_or_default(),
                "attributes": attributes,
                "messageAttributes": {},
                "md5OfBody": m.md5_of_body(),
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": region,
            })
        })
        .collect();
    json!({ "Records": records })
}

/// Message ids the function reported as failed. A response Lambda would treat as a
/// whole-batch failure (an empty or unknown id) fails every message.
pub fn failed_ids(response: &serde_json::Value, batch: &[String]) -> Vec<String> {
    let Some(failures) = response.get("batchItemFailures").and_then(|f| f.as_array()) else {
        return Vec::new();
    };
    let ids: Vec<String> = failures
        .iter()
        .map(|f| {
            f.get("itemIdentifier")
                .and_then(|i| i.as_str())
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    if ids.iter().any(|id| !batch.contains(id)) {
        return batch.to_vec();
    }
    ids
}

/// Receives one batch, invokes the function, deletes what succeeded.
/// Returns how many messages were processed successfully.
pub async fn poll_once(
    sqs: &aws_sdk_sqs::Client,
    source: &QueueSource,
    region: &str,
    wait_seconds: i32,
) -> usize {
    let received = sqs
        .receive_message()
        .queue_url(&source.url)
        .max_number_of_messages(source.batch_size)
        .wait_time_seconds(wait_seconds)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await;
    let messages = match received {
        Ok(out) => out.messages.unwrap_or_default(),
        Err(err) => {
            warn!(queue = %source.url, error = %aws_sdk_sqs::error::DisplayErrorContext(err), "receive failed");
            tokio::time::sleep(Duration::from_secs(1)).await;
            return 0;
        }
    };
    if messages.is_empty() {
        return 0;
    }
    let ids: Vec<String> = messages
        .iter()
        .filter_map(|m| m.message_id().map(str::to_string))
        .collect();
    let failed = match (source.handler)(sqs_event(&messages, &source.arn, region)).await {
        Ok(response) => failed_ids(&response, &ids),
        Err(err) => {
            error!(function = %source.function, error = %err, "invocation failed: whole batch retries");
            ids.clone()
        }
    };
    let entries: Vec<_> = messages
        .iter()
        .filter(|m| {
            m.message_id()
                .is_some_and(|id| !failed.iter().any(|f| f == id))
        })
        .enumerate()
        .filter_map(|(i, m)| {
            DeleteMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .receipt_handle(m.receipt_handle().unwrap_or_default())
                .build()
                .ok()
        })
        .collect();
    let succeeded = entries.len();
    if !entries.is_empty()
        && let Err(err) = sqs
            .delete_message_batch()
            .queue_url(&source.url)
            .set_entries(Some(entries))
            .send()
            .await
    {
        warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(err), "delete failed: messages will be redelivered");
    }
    if !failed.is_empty() {
        warn!(function = %source.function, failed = failed.len(), "messages left for retry / DLQ");
    }
    info!(function = %source.function, succeeded, failed = failed.len(), "sqs batch");
    succeeded
}

/// Polls forever (until the task is aborted).
pub async fn poll_forever(sqs: aws_sdk_sqs::Client, source: QueueSource, region: String) {
    loop {
        poll_once(&sqs, &source, &region, 1).await;
    }
}

/// A schedule, as the template declares it.
#[derive(Clone)]
pub struct Schedule {
    /// `<Function>.<Event>`.
    pub name: String,
    /// Interval.
    pub every: Duration,
    /// Input sent to the function.
    pub input: serde_json::Value,
    /// The function.
    pub handler: EventHandler,
}

impl Schedule {
    /// Fires once now.
    pub async fn fire(&self) -> Result<serde_json::Value, String> {
        let result = (self.handler)(self.input.clone()).await;
        match &result {
            Ok(out) => info!(schedule = %self.name, result = %out, "schedule fired"),
            Err(err) => error!(schedule = %self.name, error = %err, "schedule failed"),
        }
        result
    }

    /// Fires at every interval (first after one interval), until aborted.
    pub async fn run_forever(self) {
        let mut interval = tokio::time::interval(self.every);
        interval.tick().await;
        loop {
            interval.tick().await;
            let _ = self.fire().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_batch_semantics() {
        let batch = vec!["a".to_string(), "b".to_string()];
        assert!(failed_ids(&json!({"batchItemFailures": []}), &batch).is_empty());
        assert!(failed_ids(&json!({}), &batch).is_empty());
        assert_eq!(
            failed_ids(
                &json!({"batchItemFailures": [{"itemIdentifier": "b"}]}),
                &batch
            ),
            vec!["b"]
        );
        assert_eq!(
            failed_ids(
                &json!({"batchItemFailures": [{"itemIdentifier": ""}]}),
                &batch
            ),
            batch
        );
    }
}
