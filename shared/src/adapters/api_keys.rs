//! Open311 API keys: issued and revoked by admins, stored hashed.
//!
//! A key is `<id>.<secret>`; only SHA-256 of the secret is stored, under
//! `APIKEY#<id>` / `META`, listed through GSI2 `Q#APIKEYS`. Checking a key is one
//! `GetItem` and a constant-time compare.

use aws_sdk_dynamodb::Client;
use jiff::Timestamp;

use super::table::{
    GSI2, GSI2PK, GSI2SK, Item, ItemReader, PK, SK, StoreError, conditional, s, ts,
};
use crate::domain::signature::constant_time_eq;
use crate::runtime::ids::sha256_hex;

const LIST: &str = "Q#APIKEYS";

/// A key as admins see it (never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// Public id (the part before the dot).
    pub id: String,
    /// Who it is for.
    pub name: String,
    /// Who issued it.
    pub created_by: String,
    /// When.
    pub created_at: Timestamp,
    /// When revoked, if it was.
    pub revoked_at: Option<Timestamp>,
}

/// API keys in the single table.
#[derive(Debug, Clone)]
pub struct ApiKeyStore {
    client: Client,
    table: String,
}

fn key_pk(id: &str) -> String {
    format!("APIKEY#{id}")
}

fn from_item(item: &Item) -> Result<ApiKey, StoreError> {
    let r = ItemReader(item);
    Ok(ApiKey {
        id: r.s("key_id")?.to_string(),
        name: r.s("name")?.to_string(),
        created_by: r.s("created_by")?.to_string(),
        created_at: r.ts("created_at")?,
        revoked_at: r.opt_s("revoked_at").and_then(|t| t.parse().ok()),
    })
}

impl ApiKeyStore {
    /// A store over `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Stores a new key `id` with `secret` hashed; `AlreadyExists` on an id clash.
    pub async fn issue(&self, key: &ApiKey, secret: &str) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(PK, s(key_pk(&key.id)))
            .item(SK, s("META"))
            .item("type", s("api_key"))
            .item("key_id", s(&key.id))
            .item("name", s(&key.name))
            .item("created_by", s(&key.created_by))
            .item("created_at", s(ts(key.created_at)))
            .item("secret_hash", s(sha256_hex(secret)))
            .item(GSI2PK, s(LIST))
            .item(GSI2SK, s(format!("{}#{}", ts(key.created_at), key.id)))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        conditional(result, StoreError::AlreadyExists)
    }

    /// The key a client presented, if it is a live one.
    pub async fn check(&self, presented: &str) -> Result<Option<ApiKey>, StoreError> {
        let Some((id, secret)) = presented.trim().split_once('.') else {
            return Ok(None);
        };
        if id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Ok(None);
        }
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(key_pk(id)))
            .key(SK, s("META"))
            .send()
            .await
            .map_err(StoreError::aws)?;
        let Some(item) = out.item() else {
            return Ok(None);
        };
        let stored = ItemReader(item).s("secret_hash")?.to_string();
        let key = from_item(item)?;
        let matches = constant_time_eq(stored.as_bytes(), sha256_hex(secret).as_bytes());
        Ok((matches && key.revoked_at.is_none()).then_some(key))
    }

    /// Revokes key `id`; `Conflict` if there is no such key.
    pub async fn revoke(&self, id: &str, at: Timestamp) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(key_pk(id)))
            .key(SK, s("META"))
            .update_expression("SET revoked_at = if_not_exists(revoked_at, :at)")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":at", s(ts(at)))
            .send()
            .await;
        conditional(result, StoreError::Conflict)
    }

    /// Every key, oldest first.
    pub async fn list(&self) -> Result<Vec<ApiKey>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI2)
            .key_condition_expression("GSI2PK = :q")
            .expression_attribute_values(":q", s(LIST))
            .send()
            .await
            .map_err(StoreError::aws)?;
        out.items().iter().map(from_item).collect()
    }
}
