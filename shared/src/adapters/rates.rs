//! Rate windows: requests counted per scope per hour, in the single table.
//!
//! `RATE#<scope>` / `W#<hour>`, removed by TTL an hour after its window. Scopes are
//! a device, a phone number's OTPs or an Open311 key (SMS senders are counted on
//! their screen item, `senders.rs`, together with their block).

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::ReturnValue;
use jiff::Timestamp;

use super::table::{PK, SK, StoreError, n, s};

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

    /// Counts one more request in `scope` in the hour of `at`; the new count.
    pub async fn count(&self, scope: &str, at: Timestamp) -> Result<u64, StoreError> {
        let hour = at.as_second().div_euclid(3600);
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(format!("RATE#{scope}")))
            .key(SK, s(format!("W#{hour}")))
            .update_expression("ADD #count :one SET #type = :type, expires_at = :expires")
            .expression_attribute_names("#count", "count")
            .expression_attribute_names("#type", "type")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":type", s("rate"))
            .expression_attribute_values(":expires", n((hour + 2) * 3600))
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
