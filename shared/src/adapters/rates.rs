//! Rate windows: requests counted per scope per hour or per day, in the single table.
//!
//! `RATE#<scope>` / `W#<hour>` or `D#<day>`, removed by TTL one window after its own.
//! Scopes are a device, a phone number's OTPs or texts (keyed hash), a client address
//! (keyed hash), an Open311 key or the account's SMS budget (SMS senders are counted
//! on their screen item, `senders.rs`, together with their block).

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::ReturnValue;
use jiff::Timestamp;

use super::table::{PK, SK, StoreError, n, s};
use crate::domain::limits::Window;

/// Hourly request counters.
#[derive(Debug, Clone)]
pub struct RateCounter {
    client: Client,
    table: String,
}

impl RateCounter {
    /// A counter over `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Counts one more request in `scope` in the `window` holding `at`; the new count.
    pub async fn count(
        &self,
        scope: &str,
        window: Window,
        at: Timestamp,
    ) -> Result<u64, StoreError> {
        self.add(scope, window, at, 1).await
    }

    /// Takes back one count (a request counted that did not happen after all).
    pub async fn uncount(
        &self,
        scope: &str,
        window: Window,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.add(scope, window, at, -1).await.map(drop)
    }

    async fn add(
        &self,
        scope: &str,
        window: Window,
        at: Timestamp,
        by: i64,
    ) -> Result<u64, StoreError> {
        let index = window.index(at);
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(format!("RATE#{scope}")))
            .key(SK, s(format!("{}{index}", window.key_prefix())))
            .update_expression("ADD #count :by SET #type = :type, expires_at = :expires")
            .expression_attribute_names("#count", "count")
            .expression_attribute_names("#type", "type")
            .expression_attribute_values(":by", n(by))
            .expression_attribute_values(":type", s("rate"))
            .expression_attribute_values(":expires", n(window.end_of(index) + window.seconds()))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(StoreError::aws)?;
        let count = out
            .attributes()
            .and_then(|a| a.get("count"))
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        Ok(count)
    }
}
