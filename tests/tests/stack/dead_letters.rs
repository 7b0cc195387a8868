//! A message that fails every time ends in its dead-letter queue on the deployed stack:
//! the intake queue's redrive policy, visibility timeout and `verify`'s per-message
//! failures (`ReportBatchItemFailures`) as CloudFormation wired them.

use std::time::{Duration, Instant};

use aws_sdk_sqs::types::MessageSystemAttributeName;

use crate::target::target;

/// Five receives 60 s apart (the queue's visibility timeout), then the move: about
/// five minutes, with room for a slow machine.
const DEAD_LETTER_WAIT: Duration = Duration::from_secs(8 * 60);

#[tokio::test]
async fn an_intake_message_that_always_fails_ends_in_the_intake_dead_letter_queue() {
    let t = target();
    t.emulator_only("a poison message on the intake queue");
    let sqs = t.clients().await.sqs;
    // Names no report verify can parse: it fails on every delivery.
    let poison = format!(
        r#"{{"report_id":"stack-poison-{}"}}"#,
        jiff::Timestamp::now().as_millisecond()
    );
    sqs.send_message()
        .queue_url(t.output("IntakeQueueUrl"))
        .message_body(&poison)
        .send()
        .await
        .unwrap();

    let dead_letters = t.output("IntakeDeadLetterQueueUrl");
    let started = Instant::now();
    let found = loop {
        let received = sqs
            .receive_message()
            .queue_url(&dead_letters)
            .max_number_of_messages(10)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .unwrap();
        if let Some(message) = received
            .messages()
            .iter()
            .find(|m| m.body() == Some(poison.as_str()))
        {
            break message.clone();
        }
        assert!(
            started.elapsed() < DEAD_LETTER_WAIT,
            "{poison} not in the intake DLQ after {} s",
            started.elapsed().as_secs()
        );
        // Short polls: a long poll would outlast the SDK's 3 s attempt timeout.
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    // verify took it five times (maxReceiveCount) before the queue gave up on it.
    let received = found
        .attributes()
        .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or_default();
    assert!(received >= 5, "received {received} times: {found:?}");
    // Ours, so ours to remove: the DLQ holds only real failures afterwards.
    sqs.delete_message()
        .queue_url(&dead_letters)
        .receipt_handle(found.receipt_handle().unwrap())
        .send()
        .await
        .unwrap();
}
