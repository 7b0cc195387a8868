//! Delivery records: one per recipient per event, kept with what they are about for
//! good: a report (`R#<id>`) or an inbound text message (`SMS#<gateway>#<id>`).
//!
//! `<owner>` / `D#<event key>#<recipient>`, with `status` `SENDING` | `SENT`. The record
//! is claimed before sending, so a redelivered event finds it and sends nothing; a
//! claim whose sender died is taken over after its lease. (Idempotency records expire
//! after a day; these do not, because a dead-lettered event can be redriven weeks
//! later and must still not text anyone twice.)

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure;
use jiff::{SignedDuration, Timestamp};

use super::table::{ItemReader, PK, SK, StoreError, n, s, ts};

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

    /// Records a successful send.
    pub async fn mark_sent(
        &self,
        owner: &str,
        event_key: &str,
        recipient: &str,
        message_id: &str,
        text: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.update(owner, event_key, recipient)
            .update_expression("SET #status = :sent, message_id = :id, sent_text = :text, sent_at = :now REMOVE lease_until")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":sent", s(SENT))
            .expression_attribute_values(":id", s(message_id))
            .expression_attribute_values(":text", s(text))
            .expression_attribute_values(":now", s(ts(now)))
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
