//! The SMS senders' screen item: the hourly count and an admin's block, in one item,
//! so screening a message is one `UpdateItem`.
//!
//! `SENDER#<sender hash>` / `SCREEN`:
//! - `h<hour>`: messages counted in that hour (the two hours before are removed by
//!   the same update; older ones only linger until TTL removes the item).
//! - while blocked: `sender`, `masked`, `reason`, `until`, `by`, listed under GSI2
//!   `Q#BLOCKED` / `<until>#<sender>`, and `block_expires_at` (a day past `until`).
//! - `expires_at`: two hours after the last count, or `block_expires_at` while a block
//!   is held (the count's update copies it with `if_not_exists`, so counting never
//!   shortens a block's life).
//!
//! `SENDER#<sender hash>` / `WHATSAPP`: `last_in`, when the sender last wrote on
//! WhatsApp (it opens WhatsApp's 24-hour window, and routes their news to WhatsApp);
//! after a tap that asks for a text (a guided start's category, "Tidak puas"),
//! `awaiting` and `awaiting_until`: what their next text is.
//! TTL removes it 30 days later: a citizen silent that long hears by SMS again.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{ReturnValue, TransactWriteItem, Update};
use jiff::Timestamp;

use super::table::{GSI2, GSI2PK, GSI2SK, Item, ItemReader, PK, SK, StoreError, n, s, ts, updated};

/// Work queue of blocked senders (GSI2).
const QUEUE_BLOCKED: &str = "Q#BLOCKED";
/// The screen item's sort key.
const SCREEN: &str = "SCREEN";
/// The WhatsApp item's sort key.
const WHATSAPP: &str = "WHATSAPP";
/// How long after their last WhatsApp message a sender's news still goes by WhatsApp.
pub const WHATSAPP_REACH: jiff::SignedDuration = jiff::SignedDuration::from_hours(30 * 24);
/// The attributes a block sets (and lifting it removes).
const BLOCK_FIELDS: [&str; 7] = [
    "masked",
    "reason",
    "until",
    "by",
    "block_expires_at",
    GSI2PK,
    GSI2SK,
];

/// A blocked sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockedSender {
    /// Keyed hash of the number.
    pub sender: String,
    /// The number, masked (`+62812****890`).
    pub masked: String,
    /// Why.
    pub reason: String,
    /// Until when.
    pub until: Timestamp,
    /// Who blocked it.
    pub by: String,
}

/// What screening one message found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screened {
    /// The block in force, if any.
    pub blocked: Option<BlockedSender>,
    /// Messages from this sender in this hour, this one included.
    pub count: u64,
}

/// SMS senders' counts and blocks.
#[derive(Debug, Clone)]
pub struct SenderStore {
    client: Client,
    table: String,
}

fn key(sender: &str) -> String {
    format!("SENDER#{sender}")
}

fn hour_of(at: Timestamp) -> i64 {
    at.as_second().div_euclid(3600)
}

impl SenderStore {
    /// A store over `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Counts one more message from `sender` in the hour of `now` and reads its block,
    /// in one call.
    pub async fn screen(&self, sender: &str, now: Timestamp) -> Result<Screened, StoreError> {
        let hour = hour_of(now);
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(key(sender)))
            .key(SK, s(SCREEN))
            .update_expression(
                "ADD #count :one \
                 SET #type = :type, expires_at = if_not_exists(block_expires_at, :expires) \
                 REMOVE #before, #earlier",
            )
            .expression_attribute_names("#count", format!("h{hour}"))
            .expression_attribute_names("#before", format!("h{}", hour - 1))
            .expression_attribute_names("#earlier", format!("h{}", hour - 2))
            .expression_attribute_names("#type", "type")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":type", s("sender"))
            .expression_attribute_values(":expires", n((hour + 2) * 3600))
            .return_values(ReturnValue::AllNew)
            .send()
            .await
            .map_err(StoreError::aws)?;
        let item = out.attributes().cloned().unwrap_or_default();
        let count = ItemReader(&item).opt_n(&format!("h{hour}"))?.unwrap_or(1);
        let blocked = blocked_from_item(&item)?.filter(|b| b.until > now);
        Ok(Screened { blocked, count })
    }

    /// Records that `sender` wrote on WhatsApp at `at` (never moves the time back:
    /// a retried old message does not shorten the window).
    pub async fn wrote_on_whatsapp(&self, sender: &str, at: Timestamp) -> Result<(), StoreError> {
        let expires = at.checked_add(WHATSAPP_REACH).unwrap_or(at).as_second();
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(key(sender)))
            .key(SK, s(WHATSAPP))
            .update_expression("SET #type = :type, last_in = :at, expires_at = :expires")
            .condition_expression("attribute_not_exists(last_in) OR last_in < :at")
            .expression_attribute_names("#type", "type")
            .expression_attribute_values(":type", s("whatsapp-sender"))
            .expression_attribute_values(":at", s(ts(at)))
            .expression_attribute_values(":expires", n(expires))
            .send()
            .await;
        updated(result).map(drop)
    }

    /// The write that makes `sender`'s next text `awaited` (a key: a report in a
    /// category, a dispute's reason), until `until`: committed with the message that
    /// asked for it.
    pub fn awaiting_write(
        &self,
        sender: &str,
        awaited: &str,
        until: Timestamp,
    ) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .key(PK, s(key(sender)))
            .key(SK, s(WHATSAPP))
            .update_expression("SET awaiting = :awaited, awaiting_until = :until")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":awaited", s(awaited))
            .expression_attribute_values(":until", s(ts(until)))
            .build()
            .map_err(StoreError::aws)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// The write that ends the wait for `awaited`: committed with what the text made,
    /// on the condition that it is still awaited (so it is made once).
    pub fn awaited_write(
        &self,
        sender: &str,
        awaited: &str,
    ) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .key(PK, s(key(sender)))
            .key(SK, s(WHATSAPP))
            .update_expression("REMOVE awaiting, awaiting_until")
            .condition_expression("awaiting = :awaited")
            .expression_attribute_values(":awaited", s(awaited))
            .build()
            .map_err(StoreError::aws)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// What `sender`'s next text is awaited as (its key), if still at `now`.
    pub async fn awaiting(
        &self,
        sender: &str,
        now: Timestamp,
    ) -> Result<Option<String>, StoreError> {
        let Some(item) = self.whatsapp_item(sender).await? else {
            return Ok(None);
        };
        let r = ItemReader(&item);
        let open = match r.opt_s("awaiting_until") {
            Some(_) => r.ts("awaiting_until")? > now,
            None => false,
        };
        Ok(r.opt_s("awaiting").filter(|_| open).map(Into::into))
    }

    /// When `sender` last wrote on WhatsApp, if within [`WHATSAPP_REACH`] of `now`.
    pub async fn last_on_whatsapp(
        &self,
        sender: &str,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, StoreError> {
        let Some(item) = self.whatsapp_item(sender).await? else {
            return Ok(None);
        };
        let last = ItemReader(&item).ts("last_in")?;
        // TTL deletes late: an expired item is gone in meaning already.
        Ok((now.duration_since(last) < WHATSAPP_REACH).then_some(last))
    }

    /// The sender's WhatsApp item, read consistently (it was written a moment ago).
    async fn whatsapp_item(&self, sender: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(key(sender)))
            .key(SK, s(WHATSAPP))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::aws)?;
        Ok(out.item)
    }

    /// Blocks `sender` until `until` (its counts are kept).
    pub async fn block(&self, blocked: &BlockedSender) -> Result<(), StoreError> {
        // Kept a day past its expiry for the record, then removed.
        let expires = n(blocked.until.as_second() + 86_400);
        self.client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(key(&blocked.sender)))
            .key(SK, s(SCREEN))
            .update_expression(
                "SET #type = :type, sender = :sender, masked = :masked, reason = :reason, \
                 #until = :until, #by = :by, GSI2PK = :queue, GSI2SK = :order, \
                 block_expires_at = :expires, expires_at = :expires",
            )
            .expression_attribute_names("#type", "type")
            .expression_attribute_names("#until", "until")
            .expression_attribute_names("#by", "by")
            .expression_attribute_values(":type", s("sender"))
            .expression_attribute_values(":sender", s(&blocked.sender))
            .expression_attribute_values(":masked", s(&blocked.masked))
            .expression_attribute_values(":reason", s(&blocked.reason))
            .expression_attribute_values(":until", s(ts(blocked.until)))
            .expression_attribute_values(":by", s(&blocked.by))
            .expression_attribute_values(":queue", s(QUEUE_BLOCKED))
            .expression_attribute_values(
                ":order",
                s(format!("{}#{}", ts(blocked.until), blocked.sender)),
            )
            .expression_attribute_values(":expires", expires)
            .send()
            .await
            .map_err(StoreError::aws)?;
        Ok(())
    }

    /// Lifts a block (nothing to do when there is none); the counts stay until two
    /// hours after `now`.
    pub async fn unblock(&self, sender: &str, now: Timestamp) -> Result<(), StoreError> {
        let mut remove = String::from("REMOVE ");
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(key(sender)))
            .key(SK, s(SCREEN))
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":expires", n((hour_of(now) + 2) * 3600));
        for (i, field) in BLOCK_FIELDS.iter().enumerate() {
            if i > 0 {
                remove.push_str(", ");
            }
            remove.push_str(&format!("#f{i}"));
            request = request.expression_attribute_names(format!("#f{i}"), *field);
        }
        let result = request
            .update_expression(format!("SET expires_at = :expires {remove}"))
            .send()
            .await;
        updated(result).map(drop)
    }

    /// Blocks still in force at `now`, soonest to expire first.
    pub async fn blocked_senders(&self, now: Timestamp) -> Result<Vec<BlockedSender>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI2)
            .key_condition_expression("GSI2PK = :q AND GSI2SK > :now")
            .expression_attribute_values(":q", s(QUEUE_BLOCKED))
            .expression_attribute_values(":now", s(ts(now)))
            .limit(200)
            .send()
            .await
            .map_err(StoreError::aws)?;
        out.items()
            .iter()
            .filter_map(|item| blocked_from_item(item).transpose())
            .collect()
    }
}

/// The block a screen item holds, if it holds one.
fn blocked_from_item(item: &Item) -> Result<Option<BlockedSender>, StoreError> {
    let r = ItemReader(item);
    if r.opt_s("until").is_none() {
        return Ok(None);
    }
    Ok(Some(BlockedSender {
        sender: r.s("sender")?.into(),
        masked: r.s("masked")?.into(),
        reason: r.s("reason")?.into(),
        until: r.ts("until")?,
        by: r.s("by")?.into(),
    }))
}
