//! The single table: attribute names, key builders and item reading helpers.
//!
//! Key layout (architecture §4, in docs/architecture.md):
//! - report `R#<id>` / `META`; audit event `R#<id>` / `E#<version:08>`; PII `R#<id>` / `PII`
//! - idempotency record `I#<scope>#<key>` / `I`
//! - follow-up photos by hash band `PHASH#<band>#<bits>` / `<report>#<photo>`
//!   (`proof_photos`); flagged proof photos `PHOTOFLAG` / `<agency>#<report>#<photo>`
//! - reference lists, one partition each so listing is a Query, never a Scan:
//!   `CATALOG#CATEGORY` / `C#<code>`, `CATALOG#AGENCY` / `A#<id>`
//! - GSI1 (due queue, sparse, sharded): `DUE#<0..7>` / `<due_at>#<id>` while a clock runs
//! - GSI2 (work queues): `Q#TRIAGE`, `Q#VERIFY`, … / `<time>#<id>`
//! - GSI3 (open reports by category, sparse): `CAT#<category>` / `<received_at>#<id>`
//! - GSI4 (public reports by month, sparse): `PUB#<yyyy-mm>` / `<received_at>#<id>`

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use jiff::Timestamp;
use sha2::{Digest, Sha256};

/// Partition key.
pub const PK: &str = "PK";
/// Sort key.
pub const SK: &str = "SK";
/// Due-queue index partition key.
pub const GSI1PK: &str = "GSI1PK";
/// Due-queue index sort key.
pub const GSI1SK: &str = "GSI1SK";
/// Work-queue index partition key.
pub const GSI2PK: &str = "GSI2PK";
/// Work-queue index sort key.
pub const GSI2SK: &str = "GSI2SK";
/// Category index partition key (open reports by category and time).
pub const GSI3PK: &str = "GSI3PK";
/// Category index sort key.
pub const GSI3SK: &str = "GSI3SK";
/// Public-requests index partition key (Open311 lists: public reports by month).
pub const GSI4PK: &str = "GSI4PK";
/// Public-requests index sort key.
pub const GSI4SK: &str = "GSI4SK";
/// Public-requests index name.
pub const GSI4: &str = "GSI4";
/// Due-queue index name.
pub const GSI1: &str = "GSI1";
/// Work-queue index name.
pub const GSI2: &str = "GSI2";
/// Category index name (duplicate detection).
pub const GSI3: &str = "GSI3";
/// TTL attribute (epoch seconds): housekeeping only, never business timing.
pub const EXPIRES_AT: &str = "expires_at";
/// Number of due-queue shards.
pub const DUE_SHARDS: u8 = 8;

/// An item as the SDK returns it.
pub type Item = HashMap<String, AttributeValue>;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A conditional write lost: someone else changed the item first.
    #[error("conflicting concurrent change")]
    Conflict,
    /// A create found the item already there.
    #[error("item already exists")]
    AlreadyExists,
    /// An item in the table does not have the shape this code expects.
    #[error("stored item is malformed: {0}")]
    Corrupt(String),
    /// The AWS call failed (network, throttling, service error).
    #[error("AWS call failed: {context}")]
    Aws {
        /// The SDK error with its whole chain, for the logs.
        context: String,
        /// The SDK error itself.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// DynamoDB kept leaving part of a batch unprocessed (throttled): try later.
    #[error("batch still unprocessed after retries")]
    Throttled,
}

impl StoreError {
    /// Wraps an SDK error (DynamoDB, SQS, SNS, SSM), keeping it as the source and its
    /// full context for the logs.
    pub fn aws<E: std::error::Error + Send + Sync + 'static>(err: E) -> Self {
        StoreError::Aws {
            context: aws_sdk_dynamodb::error::DisplayErrorContext(&err).to_string(),
            source: Box::new(err),
        }
    }
}

/// The result of a conditional `UpdateItem`: true when it wrote, false when its
/// condition said there was nothing to do.
pub fn updated<T>(
    result: Result<
        T,
        aws_sdk_dynamodb::error::SdkError<
            aws_sdk_dynamodb::operation::update_item::UpdateItemError,
            aws_sdk_dynamodb::config::http::HttpResponse,
        >,
    >,
) -> Result<bool, StoreError> {
    match result {
        Ok(_) => Ok(true),
        Err(err) => match err.as_service_error() {
            Some(
                aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(_),
            ) => Ok(false),
            _ => Err(StoreError::aws(err)),
        },
    }
}

/// One write of a transaction, built by a store and committed with others (so a
/// channel can carry it without naming DynamoDB).
pub type TableWrite = TransactWriteItem;

/// True when a cancelled transaction failed on a condition (not throttling etc.).
pub fn condition_failed(err: &TransactWriteItemsError) -> bool {
    match err {
        TransactWriteItemsError::TransactionCanceledException(e) => e
            .cancellation_reasons()
            .iter()
            .any(|r| r.code() == Some("ConditionalCheckFailed")),
        _ => false,
    }
}

/// A conditional `Put` as a transaction item.
pub fn put_item(table: &str, item: Item, condition: &str) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression(condition)
        .build()
        .map_err(StoreError::aws)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// An unconditional `Put` as a transaction item: for items that mirror or index one
/// whose own condition guards the transaction (a repeat writes the same item).
pub fn put_mirror(table: &str, item: Item) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .build()
        .map_err(StoreError::aws)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// Runs a transaction; a failed condition becomes `on_condition`.
pub async fn transact(
    client: &aws_sdk_dynamodb::Client,
    items: Vec<TransactWriteItem>,
    on_condition: StoreError,
) -> Result<(), StoreError> {
    match client
        .transact_write_items()
        .set_transact_items(Some(items))
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(err) => match err.as_service_error() {
            Some(service) if condition_failed(service) => Err(on_condition),
            _ => Err(StoreError::aws(err)),
        },
    }
}

/// The result of one conditional write (`PutItem`, `UpdateItem`, …): a failed
/// condition becomes `on_condition`, anything else an AWS error.
pub fn conditional<T, E, R>(
    result: Result<T, aws_sdk_dynamodb::error::SdkError<E, R>>,
    on_condition: StoreError,
) -> Result<(), StoreError>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match result {
        Ok(_) => Ok(()),
        Err(err) => match err.as_service_error().and_then(|e| e.code()) {
            Some("ConditionalCheckFailedException") => Err(on_condition),
            _ => Err(StoreError::aws(err)),
        },
    }
}

/// Every item in partition `pk` of `table`, every page of it (for partitions known
/// to be small: a catalog, an agency's month of facts).
pub async fn whole_partition(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    pk: &str,
) -> Result<Vec<Item>, StoreError> {
    every_page(client, table, None, pk).await
}

/// Every item of one partition of the index `index` (keyed `{index}PK`), page by page.
pub async fn whole_index_partition(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    index: &str,
    pk: &str,
) -> Result<Vec<Item>, StoreError> {
    every_page(client, table, Some(index), pk).await
}

async fn every_page(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    index: Option<&str>,
    pk: &str,
) -> Result<Vec<Item>, StoreError> {
    let key = format!("{}PK = :pk", index.unwrap_or_default());
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let out = client
            .query()
            .table_name(table)
            .set_index_name(index.map(String::from))
            .key_condition_expression(&key)
            .expression_attribute_values(":pk", s(pk))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(StoreError::aws)?;
        items.extend(out.items().iter().cloned());
        start = out.last_evaluated_key().cloned();
        if start.is_none() {
            return Ok(items);
        }
    }
}

/// A string attribute.
pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// A number attribute.
pub fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// Timestamps as fixed-width UTC text so they sort as strings.
pub fn ts(at: Timestamp) -> String {
    format!("{at:.3}")
}

/// Report partition key.
pub fn report_pk(id: &str) -> String {
    format!("R#{id}")
}

/// Due-queue shard of a report: stable, so updates land on the same shard.
pub fn due_shard(id: &str) -> u8 {
    Sha256::digest(id.as_bytes())[0] % DUE_SHARDS
}

/// Reads typed attributes out of an item, naming the attribute when one is wrong.
pub struct ItemReader<'a>(pub &'a Item);

impl ItemReader<'_> {
    /// A required string.
    pub fn s(&self, name: &str) -> Result<&str, StoreError> {
        self.opt_s(name)
            .ok_or_else(|| StoreError::Corrupt(format!("missing string attribute {name}")))
    }

    /// An optional string.
    pub fn opt_s(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .and_then(|v| v.as_s().ok())
            .map(String::as_str)
    }

    /// A required number.
    pub fn n<T: std::str::FromStr>(&self, name: &str) -> Result<T, StoreError> {
        self.opt_n(name)?
            .ok_or_else(|| StoreError::Corrupt(format!("missing number attribute {name}")))
    }

    /// An optional number.
    pub fn opt_n<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, StoreError> {
        match self.0.get(name).and_then(|v| v.as_n().ok()) {
            None => Ok(None),
            Some(raw) => raw
                .parse()
                .map(Some)
                .map_err(|_| StoreError::Corrupt(format!("attribute {name} is not a number"))),
        }
    }

    /// A boolean; absent means false.
    pub fn bool(&self, name: &str) -> bool {
        self.0
            .get(name)
            .and_then(|v| v.as_bool().ok())
            .copied()
            .unwrap_or(false)
    }

    /// A required timestamp written by [`ts`].
    pub fn ts(&self, name: &str) -> Result<Timestamp, StoreError> {
        self.s(name)?
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("attribute {name} is not a timestamp")))
    }

    /// An optional value stored as a JSON string.
    pub fn opt_json<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<Option<T>, StoreError> {
        self.opt_s(name)
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("attribute {name}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_fixed_width_and_sort() {
        let a: Timestamp = "2026-11-24T16:59:59Z".parse().unwrap();
        let b: Timestamp = "2026-11-24T16:59:59.5Z".parse().unwrap();
        assert_eq!(ts(a), "2026-11-24T16:59:59.000Z");
        assert!(ts(a) < ts(b));
        assert_eq!(ts(a).parse::<Timestamp>().unwrap(), a);
    }

    #[test]
    fn shards_are_stable_and_spread() {
        assert_eq!(due_shard("BDG-2345672"), due_shard("BDG-2345672"));
        let shards: std::collections::BTreeSet<_> = (0..200)
            .map(|i| due_shard(&format!("BDG-{i:07}")))
            .collect();
        assert_eq!(shards.len(), usize::from(DUE_SHARDS));
    }
}
