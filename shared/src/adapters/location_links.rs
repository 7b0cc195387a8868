//! The caller's location links: single-use, expiring tokens that let whoever opens
//! one send a position to one incident, and nothing else.
//!
//! `LOC#<sha256(token)>` / `LINK`: the incident, who sent it, `expires_at` (epoch
//! seconds, also the table's TTL) and, once used, `used_at`. Only the token's hash is
//! stored, so the table cannot hand a working link to anyone who reads it; the key
//! says nothing about the incident.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use jiff::Timestamp;

use super::table::{Item, ItemReader, PK, SK, StoreError, conditional, n, s, ts};
use crate::runtime::ids::sha256_hex;

/// A link as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLink {
    /// The incident a position sent through it goes to.
    pub incident: String,
    /// When it stops working.
    pub expires_at: Timestamp,
    /// When it was used, if it was.
    pub used_at: Option<Timestamp>,
}

impl StoredLink {
    /// True while it can still be used at `now`.
    pub fn usable(&self, now: Timestamp) -> bool {
        self.used_at.is_none() && self.expires_at > now
    }
}

/// The location links.
#[derive(Debug, Clone)]
pub struct LocationLinkStore {
    client: Client,
    table: String,
}

fn partition(token: &str) -> String {
    format!("LOC#{}", sha256_hex(token))
}

const SORT_KEY: &str = "LINK";

impl LocationLinkStore {
    /// A store over `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Stores a new link `token` to `incident`, sent by `sent_by`, working until
    /// `expires_at` (a token drawn twice is a `Conflict`, never an overwrite).
    pub async fn create(
        &self,
        token: &str,
        incident: &str,
        sent_by: &str,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let sent = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(PK, s(partition(token)))
            .item(SK, s(SORT_KEY))
            .item("type", s("location_link"))
            .item("incident", s(incident))
            .item("sent_by", s(sent_by))
            .item("created_at", s(ts(now)))
            .item("expires_at", n(expires_at.as_second()))
            .condition_expression("attribute_not_exists(PK)")
            .send()
            .await;
        conditional(sent, StoreError::Conflict)
    }

    /// The link `token` names, if there is one.
    pub async fn get(&self, token: &str) -> Result<Option<StoredLink>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(partition(token)))
            .key(SK, s(SORT_KEY))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::aws)?;
        out.item().map(link_of).transpose()
    }

    /// The write that spends `token` at `now`, for the transaction that records the
    /// position: it fails (the whole transaction with it) when the link was used
    /// already or has expired.
    pub fn spend_item(&self, token: &str, now: Timestamp) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .key(PK, s(partition(token)))
            .key(SK, s(SORT_KEY))
            .update_expression("SET used_at = :now")
            .condition_expression(
                "attribute_exists(PK) AND attribute_not_exists(used_at) AND expires_at > :now_s",
            )
            .expression_attribute_values(":now", s(ts(now)))
            .expression_attribute_values(":now_s", n(now.as_second()))
            .build()
            .map_err(StoreError::aws)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}

fn link_of(item: &Item) -> Result<StoredLink, StoreError> {
    let r = ItemReader(item);
    let expires: i64 = r.n("expires_at")?;
    Ok(StoredLink {
        incident: r.s("incident")?.to_string(),
        expires_at: Timestamp::from_second(expires)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        used_at: match r.opt_s("used_at") {
            Some(_) => Some(r.ts("used_at")?),
            None => None,
        },
    })
}
