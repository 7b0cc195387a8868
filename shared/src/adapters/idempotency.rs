//! The idempotency store: claim / complete / replay, as AWS Lambda Powertools does it,
//! plus a *reservation* so a retry after a crash reuses the ids the first attempt chose.
//!
//! Record `I#<scope>#<key>` / `I`:
//! - `status` `INPROGRESS` | `COMPLETED`;
//! - `in_progress_expiry` (epoch ms): after it, a crashed attempt's claim can be taken over;
//! - `expires_at` (epoch s, also the table TTL): after it the key is free again;
//! - `payload_hash`: the same key with a different payload is refused, not replayed;
//! - `reservation`: JSON chosen by the first claimer (e.g. the tracking id), kept
//!   across take-overs so the retried work is the *same* work;
//! - `response_status` / `response_body` once completed.
//!
//! Expired records are treated as absent on read because TTL deletion is lazy.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{
    ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use jiff::{SignedDuration, Timestamp};

use super::table::{EXPIRES_AT, Item, ItemReader, PK, SK, StoreError, n, s};

const IN_PROGRESS: &str = "INPROGRESS";
const COMPLETED: &str = "COMPLETED";

/// How long a completed response is replayed.
pub const REPLAY_WINDOW: SignedDuration = SignedDuration::from_hours(24);

/// A response saved for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// HTTP status (or any code the caller uses).
    pub status: u16,
    /// The body, verbatim.
    pub body: String,
}

/// What the caller should do after claiming a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// Do the work, using this reservation (possibly an earlier attempt's).
    Proceed {
        /// The reservation to use.
        reservation: serde_json::Value,
    },
    /// Already done: send this response again.
    Replay(StoredResponse),
    /// Another attempt is working on it right now.
    InProgress,
    /// The key was used for a different payload.
    PayloadMismatch,
}

/// Idempotency records in the single table.
#[derive(Debug, Clone)]
pub struct IdempotencyStore {
    client: Client,
    table: String,
}

fn record_pk(scope: &str, key: &str) -> String {
    format!("I#{scope}#{key}")
}

fn millis(at: Timestamp) -> i64 {
    at.as_millisecond()
}

fn seconds_after(at: Timestamp, span: SignedDuration) -> i64 {
    at.checked_add(span).unwrap_or(Timestamp::MAX).as_second()
}

impl IdempotencyStore {
    /// A store over `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// An update of the record `pk`.
    fn update(&self, pk: &str) -> UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(pk))
            .key(SK, s("I"))
    }

    /// Claims `key` in `scope` for a request whose payload hashes to `payload_hash`.
    ///
    /// `in_progress_for` should be at least the time the work can take (the function
    /// timeout): until then, a concurrent retry is told [`Claim::InProgress`].
    pub async fn claim(
        &self,
        scope: &str,
        key: &str,
        payload_hash: &str,
        reservation: &serde_json::Value,
        now: Timestamp,
        in_progress_for: SignedDuration,
    ) -> Result<Claim, StoreError> {
        let pk = record_pk(scope, key);
        let in_progress_until = millis(now.checked_add(in_progress_for).unwrap_or(Timestamp::MAX));
        // Fast path: the key is new (or fully expired): take it with our reservation.
        let fresh = self
            .update(&pk)
            .update_expression(
                "SET #status = :inprogress, in_progress_expiry = :until, #exp = :exp, \
                 payload_hash = :hash, reservation = :reservation \
                 REMOVE response_status, response_body",
            )
            .condition_expression("attribute_not_exists(PK) OR #exp < :now_s")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#exp", EXPIRES_AT)
            .expression_attribute_values(":inprogress", s(IN_PROGRESS))
            .expression_attribute_values(":until", n(in_progress_until))
            .expression_attribute_values(":exp", n(seconds_after(now, REPLAY_WINDOW)))
            .expression_attribute_values(":hash", s(payload_hash))
            .expression_attribute_values(":reservation", s(reservation.to_string()))
            .expression_attribute_values(":now_s", n(now.as_second()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let existing = match fresh {
            Ok(_) => {
                return Ok(Claim::Proceed {
                    reservation: reservation.clone(),
                });
            }
            Err(err) => match err.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(e)) => {
                    e.item().cloned().unwrap_or_default()
                }
                _ => return Err(StoreError::aws(err)),
            },
        };
        let r = ItemReader(&existing);
        match (r.opt_s("payload_hash"), r.opt_s("status")) {
            // A record still being written by a concurrent claim (seen on emulators
            // that apply an update attribute by attribute): treat it as busy.
            (None, _) | (_, None) => return Ok(Claim::InProgress),
            (Some(hash), _) if hash != payload_hash => return Ok(Claim::PayloadMismatch),
            _ => {}
        }
        match r.s("status")? {
            COMPLETED => Ok(Claim::Replay(StoredResponse {
                status: r.n("response_status")?,
                body: r.s("response_body")?.to_string(),
            })),
            // Our own claim: the SDK retried a claim that had been written but whose
            // answer was lost (our reservation holds a fresh 128-bit secret, so no
            // one else's can match).
            _ if r.opt_s("reservation") == Some(reservation.to_string().as_str()) => {
                Ok(Claim::Proceed {
                    reservation: reservation.clone(),
                })
            }
            _ if r.n::<i64>("in_progress_expiry")? >= millis(now) => Ok(Claim::InProgress),
            _ => {
                self.take_over(&pk, payload_hash, in_progress_until, now)
                    .await
            }
        }
    }

    /// Takes over an in-progress claim whose attempt died, keeping its reservation.
    async fn take_over(
        &self,
        pk: &str,
        payload_hash: &str,
        in_progress_until: i64,
        now: Timestamp,
    ) -> Result<Claim, StoreError> {
        let taken = self
            .update(pk)
            .update_expression("SET in_progress_expiry = :until")
            .condition_expression(
                "#status = :inprogress AND in_progress_expiry < :now_ms AND payload_hash = :hash",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":inprogress", s(IN_PROGRESS))
            .expression_attribute_values(":until", n(in_progress_until))
            .expression_attribute_values(":now_ms", n(millis(now)))
            .expression_attribute_values(":hash", s(payload_hash))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match taken {
            Ok(out) => {
                let item: Item = out.attributes().cloned().unwrap_or_default();
                let raw = ItemReader(&item).s("reservation")?.to_string();
                let reservation = serde_json::from_str(&raw)
                    .map_err(|e| StoreError::Corrupt(format!("reservation: {e}")))?;
                Ok(Claim::Proceed { reservation })
            }
            // Someone else took it over or finished it between our two calls.
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(UpdateItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Ok(Claim::InProgress)
            }
            Err(err) => Err(StoreError::aws(err)),
        }
    }

    /// Ends an in-progress claim now, keeping its reservation, because its attempt
    /// failed: the client's retry takes it over at once instead of being told "in
    /// progress" until the claim expires. Safe even if the attempt did write: the
    /// retry reuses the reservation and finds what was written.
    pub async fn release(&self, scope: &str, key: &str) -> Result<(), StoreError> {
        let released = self
            .update(&record_pk(scope, key))
            .update_expression("SET in_progress_expiry = :released")
            .condition_expression("#status = :inprogress")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":inprogress", s(IN_PROGRESS))
            .expression_attribute_values(":released", n(0))
            .send()
            .await;
        match released {
            Ok(_) => Ok(()),
            // Completed meanwhile (or never claimed): nothing to release.
            Err(err)
                if matches!(
                    err.as_service_error(),
                    Some(UpdateItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Ok(())
            }
            Err(err) => Err(StoreError::aws(err)),
        }
    }

    /// Records the response so later requests with the key get it replayed.
    pub async fn complete(
        &self,
        scope: &str,
        key: &str,
        response: &StoredResponse,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.update(&record_pk(scope, key))
            .update_expression(
                "SET #status = :completed, response_status = :code, response_body = :body, #exp = :exp \
                 REMOVE in_progress_expiry",
            )
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#exp", EXPIRES_AT)
            .expression_attribute_values(":completed", s(COMPLETED))
            .expression_attribute_values(":code", n(response.status))
            .expression_attribute_values(":body", s(&response.body))
            .expression_attribute_values(":exp", n(seconds_after(now, REPLAY_WINDOW)))
            .send()
            .await
            .map_err(StoreError::aws)?;
        Ok(())
    }

    /// The write that records `response` for `key`, in the same transaction as the
    /// work itself (so the answer exists exactly when the work does): only while this
    /// attempt still holds the claim with `reservation`.
    pub fn complete_write(
        &self,
        scope: &str,
        key: &str,
        reservation: &serde_json::Value,
        response: &StoredResponse,
        now: Timestamp,
    ) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .key(PK, s(record_pk(scope, key)))
            .key(SK, s("I"))
            .update_expression(
                "SET #status = :completed, response_status = :code, response_body = :body, #exp = :exp \
                 REMOVE in_progress_expiry",
            )
            .condition_expression("#status = :inprogress AND reservation = :reservation")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#exp", EXPIRES_AT)
            .expression_attribute_values(":completed", s(COMPLETED))
            .expression_attribute_values(":inprogress", s(IN_PROGRESS))
            .expression_attribute_values(":reservation", s(reservation.to_string()))
            .expression_attribute_values(":code", n(response.status))
            .expression_attribute_values(":body", s(&response.body))
            .expression_attribute_values(":exp", n(seconds_after(now, REPLAY_WINDOW)))
            .build()
            .map_err(StoreError::aws)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Swaps the reservation of an in-progress claim, only if it is still `old`.
    pub async fn replace_reservation(
        &self,
        scope: &str,
        key: &str,
        old: &serde_json::Value,
        new: &serde_json::Value,
    ) -> Result<(), StoreError> {
        self.update(&record_pk(scope, key))
            .update_expression("SET reservation = :new")
            .condition_expression("reservation = :old")
            .expression_attribute_values(":old", s(old.to_string()))
            .expression_attribute_values(":new", s(new.to_string()))
            .send()
            .await
            .map_err(StoreError::aws)?;
        Ok(())
    }
}
