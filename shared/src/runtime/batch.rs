//! SQS batches with partial failures: every message is processed (concurrently, each
//! in its own span) and only the ones that failed are reported back, so Lambda
//! retries those alone and, after `maxReceiveCount`, moves them to the DLQ.

use std::fmt::Display;
use std::future::Future;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures::future::join_all;
use tracing::{Instrument, error, info_span};

/// Runs `process` on every message and reports the failures.
pub async fn process_batch<'a, F, Fut, T, E>(batch: &'a SqsEvent, process: F) -> SqsBatchResponse
where
    F: Fn(&'a SqsMessage) -> Fut,
    Fut: Future<Output = Result<T, E>>,
    E: Display,
{
    let results = join_all(batch.records.iter().map(|message| {
        let span = info_span!(
            "message",
            message_id = message.message_id.as_deref().unwrap_or("?")
        );
        let work = process(message);
        async move { (message, work.await) }.instrument(span)
    }))
    .await;
    let mut response = SqsBatchResponse::default();
    for (message, result) in results {
        if let Err(err) = result {
            error!(error = %err, message_id = ?message.message_id, "message failed; left for retry");
            // SQS always sets a message id; an empty one would fail the whole batch,
            // which is the safe direction.
            response.add_failure(message.message_id.clone().unwrap_or_default());
        }
    }
    response
}
