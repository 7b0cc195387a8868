//! What the system sent: queue messages, topic subscribers, the SMS moto recorded, and the logs.

use crate::{moto_endpoint, unique_prefix};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use sigap::runtime::aws::AwsClients;

/// Takes (receives and deletes) up to ten messages from a queue, waiting up to a
/// second for the first; returns their bodies.
pub async fn take_messages(clients: &AwsClients, url: &str) -> Vec<String> {
    let out = clients
        .sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    let mut bodies = Vec::new();
    for message in out.messages() {
        bodies.push(message.body().unwrap_or_default().to_string());
        clients
            .sqs
            .delete_message()
            .queue_url(url)
            .receipt_handle(message.receipt_handle().unwrap())
            .send()
            .await
            .unwrap();
    }
    bodies
}

/// Takes every message from a queue until a receive comes back empty.
pub async fn drain(clients: &AwsClients, url: &str) -> Vec<String> {
    let mut all = Vec::new();
    loop {
        let batch = take_messages(clients, url).await;
        if batch.is_empty() {
            return all;
        }
        all.extend(batch);
    }
}

/// A fresh queue subscribed to `topic_arn` with raw delivery (what a subscriber
/// receives), filtered on the `agency` attribute when `agency` is given.
pub async fn subscriber(clients: &AwsClients, topic_arn: &str, agency: Option<&str>) -> String {
    subscriber_filtered(
        clients,
        topic_arn,
        agency.map(|agency| serde_json::json!({ "agency": [agency] })),
    )
    .await
}

/// A fresh queue subscribed to `topic_arn` with raw delivery and, when given, a
/// filter policy on message attributes (how responders' channels subscribe).
pub async fn subscriber_filtered(
    clients: &AwsClients,
    topic_arn: &str,
    filter_policy: Option<serde_json::Value>,
) -> String {
    let name = format!("{}sub", unique_prefix("subscriber"));
    let url = clients
        .sqs
        .create_queue()
        .queue_name(&name)
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let mut subscribe = clients
        .sns
        .subscribe()
        .topic_arn(topic_arn)
        .protocol("sqs")
        .endpoint(format!("arn:aws:sqs:ap-southeast-3:123456789012:{name}"))
        .attributes("RawMessageDelivery", "true");
    if let Some(policy) = filter_policy {
        subscribe = subscribe.attributes("FilterPolicy", policy.to_string());
    }
    subscribe.send().await.unwrap();
    url
}

/// Messages currently visible on a queue (approximate, as SQS reports it).
pub async fn visible_messages(clients: &AwsClients, url: &str) -> i64 {
    let out = clients
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .unwrap();
    out.attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages))
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1)
}

static PHONES: AtomicU64 = AtomicU64::new(0);

/// A phone number no other test in this process uses (moto's SMS log is shared).
pub fn unique_phone() -> String {
    let n = PHONES.fetch_add(1, Ordering::Relaxed);
    format!(
        "0813{:08}",
        (u64::from(std::process::id()) * 1000 + n) % 100_000_000
    )
}

/// The SMS texts moto recorded as sent to `phone` (any Indonesian form), oldest first.
pub async fn sent_sms(phone: &str) -> Vec<String> {
    let e164 = sigap::domain::contact::PhoneNumber::parse(phone)
        .unwrap()
        .as_e164()
        .to_string();
    all_sent_sms()
        .await
        .into_iter()
        .filter(|(to, _)| *to == e164)
        .map(|(_, text)| text)
        .collect()
}

/// Every SMS moto recorded as sent in this process: (E.164 number, text), oldest first,
/// read the way devstack's `/_devstack/texts` reads it.
pub async fn all_sent_sms() -> Vec<(String, String)> {
    devstack::console::sent_texts(moto_endpoint())
        .await
        .unwrap_or_else(|err| panic!("moto's state dump failed: {err}"))
        .into_iter()
        .map(|sent| (sent.to, sent.text))
        .collect()
}

/// Everything logged through `tracing` in this test process (installed on first use).
pub fn captured_logs() -> String {
    static BUFFER: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    let buffer = BUFFER.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
            .with_writer(move || LogWriter(sink.clone()))
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        buffer
    });
    String::from_utf8_lossy(&buffer.lock().unwrap()).to_string()
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
