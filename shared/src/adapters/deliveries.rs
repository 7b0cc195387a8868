//! Delivery records: one per recipient per event, kept with what they are about for
//! good: a report (`R#<id>`) or an inbound text message (`SMS#<gateway>#<id>`).
//!
//! `<owner>` / `D#<event key>#<recipient>`, with `status` `SENDING` | `SENT`. The record
//! is claimed before sending, so a redelivered event finds it and sends nothing; a
//! claim whose sender died is taken over after its lease. (Idempotency records expire
//! after a day; these do not, because a dead-lettered event can be redriven weeks
//! later and must still not text anyone twice.)
//!
//! A message to a citizen may go by WhatsApp or by SMS: the record keeps the channel
//! that carried it, why WhatsApp was passed over (`fallback`), and WhatsApp's latest
//! delivery status (`wa_status`: sent, delivered, read, failed, with `wa_error`).

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
use jiff::{SignedDuration, Timestamp};

use crate::domain::whatsapp::{self, DeliveryState};

use super::table::{ItemReader, PK, SK, StoreError, n, s, ts, updated};

const SENDING: &str = "SENDING";
const SENT: &str = "SENT";

/// What to do about one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Send it: the claim is ours.
    Send,
    /// Already sent (message id from the gateway).
    AlreadySent(String),
    /// Another attempt holds a live claim: try again later.
    InFlight,
}

/// How a sent message was carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carried<'a> {
    /// `whatsapp` or `sms`, when not the one the claim named.
    pub channel: Option<&'a str>,
    /// The carrier's id for it.
    pub message_id: &'a str,
    /// What was sent.
    pub text: &'a str,
    /// Why WhatsApp was passed over (`outside_window`, `not_on_whatsapp`, …).
    pub fallback: Option<String>,
    /// The SMS text to send instead if WhatsApp later reports the message failed
    /// (kept only when WhatsApp carried it).
    pub sms_text: Option<&'a str>,
}

/// A delivery record as stored (what a late fallback needs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// `sms`, `whatsapp`, `staff-topic`, …
    pub channel: String,
    /// WhatsApp's latest status, if any.
    pub wa_status: Option<String>,
    /// Meta's error code with a failed status.
    pub wa_error: Option<i64>,
    /// The SMS text kept for a fallback.
    pub sms_text: Option<String>,
    /// Why WhatsApp was passed over, once it was.
    pub fallback: Option<String>,
}

/// What to do about a late fallback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fallback {
    /// Send the SMS: the claim is ours.
    Send,
    /// Sent before, or nothing to fall back from.
    Done,
    /// Another attempt holds a live claim.
    InFlight,
}

/// Which delivery record: its owner's partition, event key and recipient. WhatsApp
/// echoes it in a message's statuses (`biz_opaque_callback_data`), and a fallback
/// job names it, as `<owner>|<event key>|<recipient>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRef {
    /// `R#<id>` or `SMS#<gateway>#<id>`.
    pub owner: String,
    /// The event's key (`received#1`, `reply`).
    pub key: String,
    /// `reporter`, `sender#1`, …
    pub recipient: String,
}

impl DeliveryRef {
    /// The record of `recipient`'s delivery of `key` under `owner`.
    pub fn new(owner: &str, key: &str, recipient: &str) -> Self {
        Self {
            owner: owner.into(),
            key: key.into(),
            recipient: recipient.into(),
        }
    }

    /// Reads one back: only a report's or an inbound message's record (the only
    /// partitions a citizen's message is recorded under), every part present.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.splitn(3, '|');
        let (owner, key, recipient) = (parts.next()?, parts.next()?, parts.next()?);
        let owned = owner.starts_with("R#") || owner.starts_with("SMS#");
        (owned && !key.is_empty() && !recipient.is_empty())
            .then(|| Self::new(owner, key, recipient))
    }
}

impl std::fmt::Display for DeliveryRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}|{}|{}", self.owner, self.key, self.recipient)
    }
}

/// A WhatsApp status update for a delivery record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhatsAppStatus<'a> {
    /// The id WhatsApp gave the message.
    pub message_id: &'a str,
    /// `sent`, `delivered`, `read` or `failed`.
    pub state: &'a str,
    /// Its order: a later state replaces an earlier one, never the reverse.
    pub rank: i64,
    /// Meta's error code, when it failed.
    pub error_code: Option<i64>,
}

/// Delivery records in the single table.
#[derive(Debug, Clone)]
pub struct DeliveryStore {
    client: Client,
    table: String,
}

fn delivery_sk(event_key: &str, recipient: &str) -> String {
    format!("D#{event_key}#{recipient}")
}

impl DeliveryStore {
    /// A store over `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// An update of one delivery record.
    fn update(&self, owner: &str, event_key: &str, recipient: &str) -> UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(owner))
            .key(SK, s(delivery_sk(event_key, recipient)))
    }

    /// Claims the delivery of `event_key` to `recipient` for `lease`.
    pub async fn claim(
        &self,
        owner: &str,
        event_key: &str,
        recipient: &str,
        channel: &str,
        now: Timestamp,
        lease: SignedDuration,
    ) -> Result<Delivery, StoreError> {
        let until = now
            .checked_add(lease)
            .unwrap_or(Timestamp::MAX)
            .as_millisecond();
        let result = self
            .update(owner, event_key, recipient)
            .update_expression(
                "SET #status = :sending, lease_until = :until, channel = :channel, \
                 #type = :type, first_attempt_at = if_not_exists(first_attempt_at, :now), \
                 attempts = if_not_exists(attempts, :zero) + :one",
            )
            .condition_expression(
                "attribute_not_exists(PK) OR (#status = :sending AND lease_until < :now_ms)",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#type", "type")
            .expression_attribute_values(":sending", s(SENDING))
            .expression_attribute_values(":until", n(until))
            .expression_attribute_values(":channel", s(channel))
            .expression_attribute_values(":type", s("delivery"))
            .expression_attribute_values(":now", s(ts(now)))
            .expression_attribute_values(":now_ms", n(now.as_millisecond()))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":one", n(1))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Delivery::Send),
            Err(err) => match err.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(e)) => {
                    let old = e.item().cloned().unwrap_or_default();
                    let r = ItemReader(&old);
                    Ok(match r.opt_s("status") {
                        Some(SENT) => {
                            Delivery::AlreadySent(r.opt_s("message_id").unwrap_or_default().into())
                        }
                        _ => Delivery::InFlight,
                    })
                }
                _ => Err(StoreError::aws(err)),
            },
        }
    }

    /// Records a successful send on the channel the claim named.
    pub async fn mark_sent(
        &self,
        owner: &str,
        event_key: &str,
        recipient: &str,
        message_id: &str,
        text: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let carried = Carried {
            channel: None,
            message_id,
            text,
            fallback: None,
            sms_text: None,
        };
        self.mark_carried(owner, event_key, recipient, &carried, now)
            .await
    }

    /// Records a successful send, with the channel that carried it and why another
    /// was passed over.
    pub async fn mark_carried(
        &self,
        owner: &str,
        event_key: &str,
        recipient: &str,
        carried: &Carried<'_>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut expression = String::from(
            "SET #status = :sent, message_id = :id, sent_text = :text, sent_at = :now",
        );
        let mut update = self
            .update(owner, event_key, recipient)
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":sent", s(SENT))
            .expression_attribute_values(":id", s(carried.message_id))
            .expression_attribute_values(":text", s(carried.text))
            .expression_attribute_values(":now", s(ts(now)));
        if let Some(channel) = carried.channel {
            expression.push_str(", channel = :channel");
            update = update.expression_attribute_values(":channel", s(channel));
        }
        if let Some(fallback) = &carried.fallback {
            expression.push_str(", fallback = :fallback");
            update = update.expression_attribute_values(":fallback", s(fallback));
        }
        if let Some(sms_text) = carried.sms_text {
            expression.push_str(", sms_text = :sms_text");
            update = update.expression_attribute_values(":sms_text", s(sms_text));
        }
        update
            .update_expression(format!("{expression} REMOVE lease_until"))
            .send()
            .await
            .map_err(StoreError::aws)?;
        Ok(())
    }

    /// Records WhatsApp's status of the message `message_id` the record sent: only a
    /// later state than the one recorded (statuses arrive out of order and twice).
    /// False when it changed nothing (a duplicate, an older state, or no such send).
    pub async fn record_status(
        &self,
        owner: &str,
        event_key: &str,
        recipient: &str,
        status: &WhatsAppStatus<'_>,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut expression =
            String::from("SET wa_status = :state, wa_rank = :rank, wa_status_at = :now");
        let mut update = self
            .update(owner, event_key, recipient)
            .condition_expression(
                "message_id = :id AND (attribute_not_exists(wa_rank) OR wa_rank < :rank)",
            )
            .expression_attribute_values(":id", s(status.message_id))
            .expression_attribute_values(":state", s(status.state))
            .expression_attribute_values(":rank", n(status.rank))
            .expression_attribute_values(":now", s(ts(now)));
        if let Some(code) = status.error_code {
            expression.push_str(", wa_error = :error");
            update = update.expression_attribute_values(":error", n(code));
        }
        updated(update.update_expression(expression).send().await)
    }

    /// The record, if it exists.
    pub async fn get(
        &self,
        owner: &str,
        event_key: &str,
        recipient: &str,
    ) -> Result<Option<DeliveryRecord>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(owner))
            .key(SK, s(delivery_sk(event_key, recipient)))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::aws)?;
        let Some(item) = out.item() else {
            return Ok(None);
        };
        let r = ItemReader(item);
        Ok(Some(DeliveryRecord {
            channel: r.opt_s("channel").unwrap_or_default().to_string(),
            wa_status: r.opt_s("wa_status").map(Into::into),
            wa_error: r.opt_n("wa_error")?,
            sms_text: r.opt_s("sms_text").map(Into::into),
            fallback: r.opt_s("fallback").map(Into::into),
        }))
    }

    /// Claims the SMS owed for a WhatsApp message that failed after it was accepted,
    /// recording why (`reason`): only while WhatsApp carried it, its status is
    /// failed, and no fallback was claimed (or a claim's lease ran out).
    pub async fn claim_fallback(
        &self,
        owner: &str,
        event_key: &str,
        recipient: &str,
        reason: &str,
        now: Timestamp,
        lease: SignedDuration,
    ) -> Result<Fallback, StoreError> {
        let until = now.checked_add(lease).unwrap_or(Timestamp::MAX);
        let claimed = updated(
            self.update(owner, event_key, recipient)
                .update_expression("SET fallback = :reason, fallback_lease = :until")
                .condition_expression(
                    "channel = :wa AND wa_status = :failed AND (attribute_not_exists(fallback) \
                     OR (attribute_exists(fallback_lease) AND fallback_lease < :now))",
                )
                .expression_attribute_values(":reason", s(reason))
                .expression_attribute_values(":until", n(until.as_millisecond()))
                .expression_attribute_values(":now", n(now.as_millisecond()))
                .expression_attribute_values(":wa", s(whatsapp::CHANNEL))
                .expression_attribute_values(":failed", s(DeliveryState::Failed.as_str()))
                .send()
                .await,
        )?;
        if claimed {
            return Ok(Fallback::Send);
        }
        Ok(match self.get(owner, event_key, recipient).await? {
            Some(r) if r.channel == whatsapp::CHANNEL && r.fallback.is_some() => Fallback::InFlight,
            _ => Fallback::Done,
        })
    }

    /// Records the fallback SMS sent (or withheld, as `withheld:<reason>`): the record
    /// now says SMS carried it; WhatsApp's id is kept apart.
    pub async fn mark_fallback_sent(
        &self,
        owner: &str,
        event_key: &str,
        recipient: &str,
        message_id: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.update(owner, event_key, recipient)
            .update_expression(
                "SET channel = :sms, wa_message_id = message_id, message_id = :id, \
                 fallback_sent_at = :now REMOVE fallback_lease",
            )
            .condition_expression("attribute_exists(fallback_lease)")
            .expression_attribute_values(":sms", s("sms"))
            .expression_attribute_values(":id", s(message_id))
            .expression_attribute_values(":now", s(ts(now)))
            .send()
            .await
            .map_err(StoreError::aws)?;
        Ok(())
    }

    /// Gives a fallback claim back after its SMS failed, so a retry may send it.
    pub async fn release_fallback(
        &self,
        owner: &str,
        event_key: &str,
        recipient: &str,
    ) -> Result<(), StoreError> {
        self.update(owner, event_key, recipient)
            .update_expression("REMOVE fallback, fallback_lease")
            .condition_expression("attribute_exists(fallback_lease)")
            .send()
            .await
            .map_err(StoreError::aws)?;
        Ok(())
    }

    /// Gives a claim back after a failed send, so the retry need not wait for the lease.
    pub async fn release(
        &self,
        owner: &str,
        event_key: &str,
        recipient: &str,
    ) -> Result<(), StoreError> {
        self.update(owner, event_key, recipient)
            .update_expression("SET lease_until = :zero")
            .condition_expression("#status = :sending")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":sending", s(SENDING))
            .expression_attribute_values(":zero", n(0))
            .send()
            .await
            .map_err(StoreError::aws)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_names_only_a_report_or_inbound_record_and_reads_back() {
        let report = DeliveryRef::new("R#BDG-1", "received#3", "reporter");
        assert_eq!(DeliveryRef::parse(&report.to_string()), Some(report));
        let reply = DeliveryRef::new("SMS#whatsapp#wamid.1", "reply", "sender#1");
        assert_eq!(DeliveryRef::parse(&reply.to_string()), Some(reply));
        for bad in ["", "R#BDG-1", "R#BDG-1||x", "DEV#1|k|r", "SENDER#x|k|r"] {
            assert_eq!(DeliveryRef::parse(bad), None, "{bad}");
        }
    }
}
