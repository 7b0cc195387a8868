//! The console of `make run`: what Sigap sends out, one line each, as it goes.
//!
//! - every message on the queue subscribed to the panic topic (pages, stand-downs,
//!   cancels, owner re-pages): `[page] tier=0 sector=cibeunying SIGAP INC-… …`;
//! - every SMS Sigap texts a citizen, a device or a responder, as moto recorded it:
//!   `[sms] +6281234567890 LAPOR! Bandung BDG-…: …`.
//!
//! Function logs and metrics are not here: `make run` writes them to
//! `target/devstack.log`, as Lambda would hand them to CloudWatch.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::types::MessageSystemAttributeName;
use sigap::runtime::aws::AwsClients;
use tracing::warn;

/// Where console lines go (stderr in `make run`, a buffer in the tour test).
pub type Sink = Arc<dyn Fn(String) + Send + Sync>;

/// Polls the command-centre queue at `url` forever and writes each message as a line.
pub async fn pages_forever(clients: AwsClients, url: String, sink: Sink) {
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
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
        };
        for message in out.messages() {
            let attribute = |name: &str| message_attribute(message, name);
            sink(format!(
                "[{}] tier={} sector={} {}",
                attribute("event").replace('_', "-"),
                attribute("tier"),
                attribute("sector"),
                one_line(message.body().unwrap_or_default())
            ));
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

/// A page's string attribute (`event`, `tier`, `sector`), or `-` without it.
pub fn message_attribute(message: &aws_sdk_sqs::types::Message, name: &str) -> String {
    message
        .message_attributes()
        .and_then(|a| a.get(name))
        .and_then(|v| v.string_value())
        .unwrap_or("-")
        .to_string()
}

/// How many SMS moto has recorded so far, where the console starts (asked for up to
/// about ten seconds; `None` if moto never answered, and then the first answer counts).
pub async fn texts_so_far(moto_url: &str) -> Option<usize> {
    for _ in 0..5 {
        match sent_texts(moto_url).await {
            Ok(texts) => return Some(texts.len()),
            Err(err) => warn!(error = %err, "moto's SMS record unreadable"),
        }
    }
    None
}

/// Writes every SMS moto records as sent after the first `already`, polling its
/// record every two seconds.
pub async fn texts_forever(moto_url: String, mut already: Option<usize>, sink: Sink) {
    loop {
        if let Ok(texts) = sent_texts(&moto_url).await {
            let seen = already.unwrap_or(texts.len());
            for text in texts.iter().skip(seen) {
                sink(format!("[sms] {} {}", text.to, one_line(&text.text)));
            }
            already = Some(texts.len().max(seen));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// One SMS as moto recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentText {
    /// The number it went to, E.164.
    pub to: String,
    /// What it said.
    pub text: String,
}

/// Every SMS moto recorded as sent, oldest first (moto keeps them in its state dump;
/// a dump taken while another request writes can fail with "changed size during
/// iteration", and is simply asked again, for up to about two seconds).
pub async fn sent_texts(moto_url: &str) -> Result<Vec<SentText>, String> {
    let url = format!("{moto_url}/moto-api/data.json");
    let mut last_error = String::new();
    for _ in 0..20 {
        match crate::sms::call("GET", &url, &[], String::new()).await {
            Ok((200, body)) => {
                if let Ok(data) = serde_json::from_slice::<serde_json::Value>(&body) {
                    return Ok(data["sns"]["SMS"]
                        .as_array()
                        .map(|all| {
                            all.iter()
                                .filter_map(|m| {
                                    Some(SentText {
                                        to: m["phone_number"].as_str()?.to_string(),
                                        text: m["message"].as_str()?.to_string(),
                                    })
                                })
                                .collect()
                        })
                        .unwrap_or_default());
                }
                last_error = "moto's state dump is not JSON".into();
            }
            Ok((status, _)) => last_error = format!("moto answered {status}"),
            Err(err) => last_error = err,
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(last_error)
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
