//! The command-centre console of `make run`: prints every message on the queue
//! subscribed to the panic topic (pages, stand-downs, cancels, owner re-pages).

use aws_sdk_sqs::types::MessageSystemAttributeName;
use sigap::runtime::aws::AwsClients;
use tracing::warn;

/// Polls `url` forever and prints each message with its paging attributes.
pub async fn print_forever(clients: AwsClients, url: String) {
    loop {
        let received = clients
            .sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .wait_time_seconds(2)
            .message_attribute_names("All")
            .message_system_attribute_names(MessageSystemAttributeName::SentTimestamp)
            .send()
            .await;
        let out = match received {
            Ok(out) => out,
            Err(err) => {
                warn!(error = %err, "console queue unreachable");
                tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                continue;
            }
        };
        for message in out.messages() {
            let attribute = |name: &str| {
                message
                    .message_attributes()
                    .and_then(|a| a.get(name))
                    .and_then(|v| v.string_value())
                    .unwrap_or("-")
                    .to_string()
            };
            println!(
                "[console] {:<12} sector={:<11} tier={:<6} {}",
                attribute("event"),
                attribute("sector"),
                attribute("tier"),
                message.body().unwrap_or_default()
            );
            if let Some(handle) = message.receipt_handle() {
                let _ = clients
                    .sqs
                    .delete_message()
                    .queue_url(&url)
                    .receipt_handle(handle)
                    .send()
                    .await;
            }
        }
    }
}
