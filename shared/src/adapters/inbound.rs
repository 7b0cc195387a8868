//! Inbound text messages and social posts, in the single table (the senders' counts
//! and blocks are in `senders.rs`).
//!
//! - `SMS#<gateway>#<message id>` / `IN`: one item per message a gateway delivered,
//!   written once (a redelivery finds it: the dedup on the gateway's id). It holds
//!   the sender's number (personal data, like the `PII` item), the text, the
//!   tracking id reserved for a new report, and, once handled, `status = done`
//!   with the replies owed. "Done" is written in the same transaction as whatever
//!   the message changed, so a retry never acts twice. Its delivery records live
//!   in the same partition. TTL removes the message after 90 days.
//! - `X#<post id>` / `X`: a social post handled, with the report it made or joined.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use jiff::{SignedDuration, Timestamp};

use super::table::{EXPIRES_AT, Item, ItemReader, PK, SK, StoreError, n, s, ts};
use crate::domain::contact::PhoneNumber;
use crate::domain::tracking_id::TrackingId;

const RECEIVED: &str = "received";
const DONE: &str = "done";
/// How long an inbound message is kept (its dedup and its audit).
const KEEP: SignedDuration = SignedDuration::from_hours(90 * 24);

/// A text message as a gateway delivered it, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMessage {
    /// `twilio`, `gateway`, …
    pub gateway: String,
    /// The gateway's id for the message (its retries repeat it).
    pub message_id: String,
    /// The sender, E.164.
    pub from: PhoneNumber,
    /// The text, as sent.
    pub text: String,
    /// When it arrived.
    pub received_at: Timestamp,
}

impl InboundMessage {
    /// The message's partition: `SMS#<gateway>#<message id>`.
    pub fn key(&self) -> String {
        inbound_key(&self.gateway, &self.message_id)
    }
}

/// The partition of an inbound message.
pub fn inbound_key(gateway: &str, message_id: &str) -> String {
    format!("SMS#{gateway}#{message_id}")
}

/// An inbound message as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredInbound {
    /// Its partition key.
    pub key: String,
    /// The gateway it came through (`twilio`, `gateway`, `whatsapp`): replies go back
    /// the same way.
    pub gateway: String,
    /// The sender.
    pub from: PhoneNumber,
    /// The tracking id reserved for a report it may create.
    pub reserved_id: TrackingId,
    /// Handled (the replies below are owed, or were sent).
    pub done: bool,
    /// The texts to send back, in order.
    pub replies: Vec<String>,
    /// Choices the last reply offers (`id`, `title`, `description`): WhatsApp shows
    /// them as buttons or a list; SMS does not.
    pub choices: Vec<(String, String, String)>,
    /// The report it created or acted on.
    pub report_id: Option<String>,
}

/// What recording a message found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// First delivery: handle it.
    New(StoredInbound),
    /// Delivered before (a gateway retry): as stored.
    Seen(StoredInbound),
}

/// Inbound messages and the social posts handled.
#[derive(Debug, Clone)]
pub struct InboundStore {
    client: Client,
    table: String,
}

fn stored_from_item(item: &Item) -> Result<StoredInbound, StoreError> {
    let r = ItemReader(item);
    let corrupt = |what: &str| StoreError::Corrupt(format!("inbound message {what}"));
    Ok(StoredInbound {
        key: r.s(PK)?.into(),
        gateway: r.s("gateway")?.into(),
        from: PhoneNumber::parse(r.s("from")?).map_err(|_| corrupt("sender"))?,
        reserved_id: TrackingId::parse(r.s("reserved_id")?).map_err(|_| corrupt("reserved id"))?,
        done: r.opt_s("status") == Some(DONE),
        replies: r
            .opt_s("replies")
            .map(serde_json::from_str)
            .transpose()
            .map_err(|_| corrupt("replies"))?
            .unwrap_or_default(),
        choices: r
            .opt_s("choices")
            .map(serde_json::from_str)
            .transpose()
            .map_err(|_| corrupt("choices"))?
            .unwrap_or_default(),
        report_id: r.opt_s("report_id").map(Into::into),
    })
}

impl InboundStore {
    /// A store over `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Records a delivered message once, with a tracking id reserved for a report
    /// it may create; a redelivery gets the stored record back instead.
    pub async fn record(
        &self,
        message: &InboundMessage,
        reserved_id: &TrackingId,
    ) -> Result<Recorded, StoreError> {
        let key = message.key();
        let expires = message
            .received_at
            .checked_add(KEEP)
            .unwrap_or(message.received_at)
            .as_second();
        let mut item = Item::new();
        item.insert(PK.into(), s(&key));
        item.insert(SK.into(), s("IN"));
        item.insert("type".into(), s("inbound"));
        item.insert("gateway".into(), s(&message.gateway));
        item.insert("from".into(), s(message.from.as_e164()));
        item.insert("text".into(), s(&message.text));
        item.insert("received_at".into(), s(ts(message.received_at)));
        item.insert("reserved_id".into(), s(reserved_id.as_str()));
        item.insert("status".into(), s(RECEIVED));
        item.insert(EXPIRES_AT.into(), n(expires));
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item.clone()))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(Recorded::New(stored_from_item(&item)?)),
            Err(err) => match err.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(_)) => {
                    self.get(&key).await?.map(Recorded::Seen).ok_or_else(|| {
                        StoreError::Corrupt("inbound message vanished after its write".into())
                    })
                }
                _ => Err(StoreError::aws(err)),
            },
        }
    }

    /// The stored message.
    pub async fn get(&self, key: &str) -> Result<Option<StoredInbound>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(key))
            .key(SK, s("IN"))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::aws)?;
        out.item().map(stored_from_item).transpose()
    }

    /// The write that marks `message` handled with `replies`: put into the same
    /// transaction as what the message changed, guarded on it not being handled yet.
    pub fn done_write(
        &self,
        message: &StoredInbound,
        replies: &[String],
        report_id: Option<&str>,
    ) -> Result<TransactWriteItem, StoreError> {
        self.done_offering(message, replies, &[], report_id)
    }

    /// [`InboundStore::done_write`], the last reply offering `choices`.
    pub fn done_offering(
        &self,
        message: &StoredInbound,
        replies: &[String],
        choices: &[(String, String, String)],
        report_id: Option<&str>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut values = vec![
            (":done", s(DONE)),
            (":received", s(RECEIVED)),
            (
                ":replies",
                s(serde_json::to_string(replies)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?),
            ),
        ];
        let mut expression = "SET #status = :done, replies = :replies".to_string();
        if let Some(id) = report_id {
            expression.push_str(", report_id = :report");
            values.push((":report", s(id)));
        }
        if !choices.is_empty() {
            expression.push_str(", choices = :choices");
            let json =
                serde_json::to_string(choices).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            values.push((":choices", s(json)));
        }
        let mut update = Update::builder()
            .table_name(&self.table)
            .key(PK, s(&message.key))
            .key(SK, s("IN"))
            .update_expression(expression)
            .condition_expression("#status = :received")
            .expression_attribute_names("#status", "status");
        for (name, value) in values {
            update = update.expression_attribute_values(name, value);
        }
        Ok(TransactWriteItem::builder()
            .update(update.build().map_err(StoreError::aws)?)
            .build())
    }

    /// Marks `message` handled on its own (when it changed nothing else).
    /// `Conflict` when another attempt handled it first.
    pub async fn mark_done(
        &self,
        message: &StoredInbound,
        replies: &[String],
        report_id: Option<&str>,
    ) -> Result<(), StoreError> {
        let write = self.done_write(message, replies, report_id)?;
        self.commit(vec![write]).await
    }

    /// Commits a message's "done" write with the other writes that settle it (a
    /// guided start's next step). `Conflict` when another attempt handled it first.
    pub async fn commit(&self, writes: Vec<TransactWriteItem>) -> Result<(), StoreError> {
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(err) => match err.as_service_error() {
                Some(service) if super::table::condition_failed(service) => {
                    Err(StoreError::Conflict)
                }
                _ => Err(StoreError::aws(err)),
            },
        }
    }
}

impl InboundStore {
    /// The write that records a social post as handled, for report `report_id`:
    /// `X#<post id>` / `X`, created once (in the same transaction as the report or
    /// reply it made, so a redelivered webhook changes nothing).
    pub fn social_marker(
        &self,
        post_id: &str,
        report_id: &str,
        made_report: bool,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut item = Item::new();
        item.insert(PK.into(), s(format!("X#{post_id}")));
        item.insert(SK.into(), s("X"));
        item.insert("type".into(), s("social_post"));
        item.insert("report_id".into(), s(report_id));
        item.insert(
            "made_report".into(),
            aws_sdk_dynamodb::types::AttributeValue::Bool(made_report),
        );
        let put = aws_sdk_dynamodb::types::Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .build()
            .map_err(StoreError::aws)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// The report a social post made (`true`) or was attached to, if it was handled.
    pub async fn social_post(&self, post_id: &str) -> Result<Option<(String, bool)>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(format!("X#{post_id}")))
            .key(SK, s("X"))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::aws)?;
        Ok(out.item().and_then(|i| {
            let r = ItemReader(i);
            r.opt_s("report_id")
                .map(|id| (id.to_string(), r.bool("made_report")))
        }))
    }
}
