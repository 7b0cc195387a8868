//! Incidents, their timelines, panic devices and responders in the single table.
//!
//! - incident `N#<id>` / `META`: the whole [`Incident`] as JSON in `doc`, with
//!   `version` guarding every write; GSI1 `ESC#<shard>` / `<attention_at>#<id>` while
//!   something may need the auditor (pages owed, or a tick due); GSI2
//!   `Q#INCIDENTS` / `<opened_at>#<id>` while open, `Q#FOLLOWUP` while a cancel
//!   waits for an operator's call.
//! - timeline `N#<id>` / `E#<at>#<version:08>#<n>`; caller PII `N#<id>` / `PII`.
//! - a press claims its device (`DEV#<id>`, see [`super::devices`]) in the same write.
//! - responder phone `RESP#<keyed hash>` / `META` → unit (SMS acks), and its line in
//!   the list staff read, `RESPONDERS` / `<unit>#<keyed hash>` (masked number, who,
//!   when), written together.
//! - paging policy `CONFIG#PAGING` / `META`.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use jiff::{SignedDuration, Timestamp};

use super::devices::device_pk;
use super::table::{
    GSI1, GSI1PK, GSI1SK, GSI2, GSI2PK, GSI2SK, Item, ItemReader, PK, SK, StoreError, due_shard, n,
    put_item, s, transact, ts,
};
use crate::domain::contact::PhoneNumber;
use crate::domain::incident::{Fix, Incident, IncidentState, PagingPolicy, TimelineEntry};

/// Work queue of open incidents (command-centre console).
pub const OPEN_INCIDENTS: &str = "Q#INCIDENTS";
/// Work queue of cancelled incidents awaiting an operator's follow-up call.
pub const FOLLOW_UPS: &str = "Q#FOLLOWUP";
/// Unsettled pages get the auditor's attention this long after the write.
pub const SETTLE_GRACE: SignedDuration = SignedDuration::from_secs(15);
/// A tick this late is taken as lost and re-driven.
pub const TICK_GRACE: SignedDuration = SignedDuration::from_secs(30);

/// Incident partition key.
pub fn incident_pk(id: &str) -> String {
    format!("N#{id}")
}

/// When the auditor should look at this incident, if ever.
pub fn attention_at(incident: &Incident, written_at: Timestamp) -> Option<Timestamp> {
    let esc = &incident.escalation;
    if esc.is_unsettled() {
        return written_at.checked_add(SETTLE_GRACE).ok();
    }
    esc.next_tick_at
        .and_then(|t| t.checked_add(TICK_GRACE).ok())
}

fn incident_item(incident: &Incident, now: Timestamp) -> Result<Item, StoreError> {
    let doc = serde_json::to_string(incident).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut item = Item::new();
    item.insert(PK.into(), s(incident_pk(&incident.id)));
    item.insert(SK.into(), s("META"));
    item.insert("type".into(), s("incident"));
    item.insert("doc".into(), s(doc));
    item.insert("version".into(), n(incident.version));
    if let Some(at) = attention_at(incident, now) {
        item.insert(GSI1PK.into(), s(format!("ESC#{}", due_shard(&incident.id))));
        item.insert(GSI1SK.into(), s(format!("{}#{}", ts(at), incident.id)));
    }
    let queue = if incident.is_open() {
        Some(OPEN_INCIDENTS)
    } else if incident.follow_up && incident.state == IncidentState::Cancelled {
        Some(FOLLOW_UPS)
    } else {
        None
    };
    if let Some(queue) = queue {
        item.insert(GSI2PK.into(), s(queue));
        item.insert(
            GSI2SK.into(),
            s(format!("{}#{}", ts(incident.opened_at), incident.id)),
        );
    }
    Ok(item)
}

fn incident_from_item(item: &Item) -> Result<Incident, StoreError> {
    serde_json::from_str(ItemReader(item).s("doc")?).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn entry_items(
    table: &str,
    incident: &Incident,
    entries: &[TimelineEntry],
) -> Result<Vec<TransactWriteItem>, StoreError> {
    entries
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let json =
                serde_json::to_string(entry).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let mut item = Item::new();
            item.insert(PK.into(), s(incident_pk(&incident.id)));
            item.insert(
                SK.into(),
                s(format!("E#{}#{:08}#{i}", ts(entry.at), incident.version)),
            );
            item.insert("type".into(), s("incident_event"));
            item.insert("entry".into(), s(json));
            put_item(table, item, "attribute_not_exists(PK)")
        })
        .collect()
}

/// A device's claim on a press: the incident it now presses into, until when.
#[derive(Debug, Clone, PartialEq)]
pub struct PressClaim {
    /// Device id.
    pub device: String,
    /// The incident pressed into (the device's previous one, if replacing it).
    pub replaces: Option<String>,
    /// Presses join the incident until this instant.
    pub open_until: Timestamp,
    /// The press's position: the device's last known one from now on.
    pub fix: Option<Fix>,
}

/// Incidents, timelines, devices and responders.
#[derive(Debug, Clone)]
pub struct IncidentStore {
    client: Client,
    table: String,
}

impl IncidentStore {
    /// A store over `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    fn claim_item(
        &self,
        claim: &PressClaim,
        incident: &str,
        now: Timestamp,
    ) -> Result<TransactWriteItem, StoreError> {
        // Active, not blocked, and not already pressing into an open incident (or
        // into exactly the closed one being replaced).
        let pointer = match &claim.replaces {
            None => "(attribute_not_exists(open_incident) OR open_until < :now_ms)",
            Some(_) => "open_incident = :old",
        };
        let mut update = Update::builder()
            .table_name(&self.table)
            .key(PK, s(device_pk(&claim.device)))
            .key(SK, s("META"))
            .update_expression(match claim.fix {
                Some(_) => format!(
                    "SET open_incident = :id, open_until = :until, last_press_at = :now, {} ADD presses :one",
                    super::devices::LAST_FIX_SET
                ),
                None => "SET open_incident = :id, open_until = :until, last_press_at = :now ADD presses :one".into(),
            })
            .condition_expression(format!(
                "#status = :active AND (attribute_not_exists(blocked_until) OR blocked_until < :now_ms) AND {pointer}"
            ))
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":active", s("active"))
            .expression_attribute_values(":id", s(incident))
            .expression_attribute_values(":until", n(claim.open_until.as_millisecond()))
            .expression_attribute_values(":now", s(ts(now)))
            .expression_attribute_values(":now_ms", n(now.as_millisecond()))
            .expression_attribute_values(":one", n(1));
        if let Some(old) = &claim.replaces {
            update = update.expression_attribute_values(":old", s(old));
        }
        if let Some(fix) = &claim.fix {
            update = super::devices::with_last_fix(update, fix, now)?;
        }
        Ok(TransactWriteItem::builder()
            .update(update.build().map_err(StoreError::aws)?)
            .build())
    }

    /// Writes a new incident with its first timeline entries, the caller's number
    /// (112), for a press the device's claim, and `also` (an SMS marked handled):
    /// one transaction. `Conflict` when the device may not open one now (inactive,
    /// blocked, or already pressing into an open incident).
    pub async fn open(
        &self,
        incident: &Incident,
        entries: &[TimelineEntry],
        claim: Option<&PressClaim>,
        caller: Option<&PhoneNumber>,
        also: Vec<TransactWriteItem>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut items = vec![put_item(
            &self.table,
            incident_item(incident, now)?,
            "attribute_not_exists(PK)",
        )?];
        items.extend(entry_items(&self.table, incident, entries)?);
        if let Some(claim) = claim {
            items.push(self.claim_item(claim, &incident.id, now)?);
        }
        if let Some(caller) = caller {
            let mut pii = Item::new();
            pii.insert(PK.into(), s(incident_pk(&incident.id)));
            pii.insert(SK.into(), s("PII"));
            pii.insert("type".into(), s("incident_pii"));
            pii.insert("caller".into(), s(caller.as_e164()));
            items.push(put_item(&self.table, pii, "attribute_not_exists(PK)")?);
        }
        items.extend(also);
        transact(&self.client, items, StoreError::Conflict).await
    }

    /// Saves `next` if the stored incident is still at `previous_version`, with its
    /// timeline entries and `also` in the same transaction.
    pub async fn save(
        &self,
        previous_version: u64,
        next: &Incident,
        entries: &[TimelineEntry],
        also: Vec<TransactWriteItem>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let put = aws_sdk_dynamodb::types::Put::builder()
            .table_name(&self.table)
            .set_item(Some(incident_item(next, now)?))
            .condition_expression("#version = :version")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":version", n(previous_version))
            .build()
            .map_err(StoreError::aws)?;
        let mut items = vec![TransactWriteItem::builder().put(put).build()];
        items.extend(entry_items(&self.table, next, entries)?);
        items.extend(also);
        transact(&self.client, items, StoreError::Conflict).await
    }

    /// The incident, read consistently.
    pub async fn get(&self, id: &str) -> Result<Option<Incident>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(incident_pk(id)))
            .key(SK, s("META"))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::aws)?;
        out.item().map(incident_from_item).transpose()
    }

    /// The 112 caller's number, if recorded (operators only).
    pub async fn caller(&self, id: &str) -> Result<Option<PhoneNumber>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(incident_pk(id)))
            .key(SK, s("PII"))
            .send()
            .await
            .map_err(StoreError::aws)?;
        Ok(out
            .item()
            .and_then(|i| ItemReader(i).opt_s("caller").map(str::to_string))
            .and_then(|p| PhoneNumber::parse(&p).ok()))
    }

    /// The timeline, oldest first.
    pub async fn timeline(&self, id: &str) -> Result<Vec<TimelineEntry>, StoreError> {
        let mut entries = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
                .expression_attribute_values(":pk", s(incident_pk(id)))
                .expression_attribute_values(":prefix", s("E#"))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(StoreError::aws)?;
            for item in out.items() {
                let entry = serde_json::from_str(ItemReader(item).s("entry")?)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                entries.push(entry);
            }
            start = out.last_evaluated_key().cloned();
            if start.is_none() {
                return Ok(entries);
            }
        }
    }

    /// Incidents on a work queue ([`OPEN_INCIDENTS`], [`FOLLOW_UPS`]), oldest first.
    pub async fn queue(&self, queue: &str, limit: i32) -> Result<Vec<Incident>, StoreError> {
        self.queue_page(queue, limit, true).await
    }

    /// The newest `limit` incidents on a work queue, newest first (the command
    /// centre's board: a new incident is never past the page).
    pub async fn latest(&self, queue: &str, limit: i32) -> Result<Vec<Incident>, StoreError> {
        self.queue_page(queue, limit, false).await
    }

    async fn queue_page(
        &self,
        queue: &str,
        limit: i32,
        oldest_first: bool,
    ) -> Result<Vec<Incident>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI2)
            .key_condition_expression("GSI2PK = :q")
            .expression_attribute_values(":q", s(queue))
            .scan_index_forward(oldest_first)
            .limit(limit)
            .send()
            .await
            .map_err(StoreError::aws)?;
        out.items().iter().map(incident_from_item).collect()
    }

    /// Ids of incidents whose attention time has come (owed pages, late ticks),
    /// across every shard; at most `limit` per shard.
    pub async fn needing_attention(
        &self,
        now: Timestamp,
        limit: i32,
    ) -> Result<Vec<String>, StoreError> {
        let mut ids = Vec::new();
        for shard in 0..super::table::DUE_SHARDS {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(GSI1)
                .key_condition_expression("GSI1PK = :pk AND GSI1SK <= :now")
                .expression_attribute_values(":pk", s(format!("ESC#{shard}")))
                .expression_attribute_values(":now", s(format!("{}#~", ts(now))))
                .limit(limit)
                .send()
                .await
                .map_err(StoreError::aws)?;
            for item in out.items() {
                if let Some(key) = ItemReader(item).opt_s(PK) {
                    ids.push(key.trim_start_matches("N#").to_string());
                }
            }
        }
        Ok(ids)
    }

    /// The paging policy in force (the bundled default until an admin stores one).
    pub async fn policy(&self) -> Result<PagingPolicy, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s("CONFIG#PAGING"))
            .key(SK, s("META"))
            .send()
            .await
            .map_err(StoreError::aws)?;
        match out.item() {
            None => Ok(PagingPolicy::default()),
            Some(item) => serde_json::from_str(ItemReader(item).s("doc")?)
                .map_err(|e| StoreError::Corrupt(e.to_string())),
        }
    }

    /// Stores the paging policy (applies to incidents opened afterwards).
    pub async fn put_policy(&self, policy: &PagingPolicy) -> Result<(), StoreError> {
        let doc = serde_json::to_string(policy).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.client
            .put_item()
            .table_name(&self.table)
            .item(PK, s("CONFIG#PAGING"))
            .item(SK, s("META"))
            .item("type", s("paging_policy"))
            .item("doc", s(doc))
            .send()
            .await
            .map_err(StoreError::aws)?;
        Ok(())
    }

    /// Registers the number with this keyed hash (`masked` for staff screens) as a
    /// responder of `unit`, by `by` at `at`: its SMS acks count from now on. The
    /// number's item and its line in the list of numbers change in one transaction,
    /// conditional on the unit read first, so two admins at once cannot leave a
    /// number listed under a unit it no longer acks for.
    pub async fn register_responder(
        &self,
        phone_hash: &str,
        unit: &str,
        masked: &str,
        by: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let before = self.responder_unit(phone_hash).await?;
        let mut item = Item::new();
        item.insert(PK.into(), s(responder_key(phone_hash)));
        item.insert(SK.into(), s("META"));
        item.insert("type".into(), s("responder_phone"));
        item.insert("unit".into(), s(unit));
        let mut listed = Item::new();
        listed.insert(PK.into(), s(RESPONDER_LIST));
        listed.insert(SK.into(), s(listing_key(unit, phone_hash)));
        listed.insert("type".into(), s("responder_listing"));
        listed.insert("unit".into(), s(unit));
        listed.insert("hash".into(), s(phone_hash));
        listed.insert("masked".into(), s(masked));
        listed.insert("by".into(), s(by));
        listed.insert("at".into(), s(ts(at)));
        let mut items = vec![
            self.unit_guarded_put(item, before.as_deref())?,
            super::table::put_mirror(&self.table, listed)?,
        ];
        if let Some(old) = before.as_deref().filter(|old| *old != unit) {
            items.push(self.unlisting(old, phone_hash)?);
        }
        transact(&self.client, items, StoreError::Conflict).await
    }

    /// Forgets a responder's number (they left the unit): its SMS acks are refused,
    /// and it leaves the list. `Ok(false)` when it was not registered.
    pub async fn remove_responder(&self, phone_hash: &str) -> Result<bool, StoreError> {
        let Some(unit) = self.responder_unit(phone_hash).await? else {
            return Ok(false);
        };
        let delete = aws_sdk_dynamodb::types::Delete::builder()
            .table_name(&self.table)
            .key(PK, s(responder_key(phone_hash)))
            .key(SK, s("META"))
            .condition_expression("#unit = :unit")
            .expression_attribute_names("#unit", "unit")
            .expression_attribute_values(":unit", s(&unit))
            .build()
            .map_err(StoreError::aws)?;
        let items = vec![
            TransactWriteItem::builder().delete(delete).build(),
            self.unlisting(&unit, phone_hash)?,
        ];
        transact(&self.client, items, StoreError::Conflict).await?;
        Ok(true)
    }

    /// Every registered responder number, by unit (one Query of the list).
    pub async fn responders(&self) -> Result<Vec<ResponderNumber>, StoreError> {
        super::table::whole_partition(&self.client, &self.table, RESPONDER_LIST)
            .await?
            .iter()
            .map(|item| {
                let r = ItemReader(item);
                Ok(ResponderNumber {
                    hash: r.s("hash")?.into(),
                    unit: r.s("unit")?.into(),
                    masked: r.s("masked")?.into(),
                    by: r.s("by")?.into(),
                    at: r.ts("at")?,
                })
            })
            .collect()
    }

    /// `item` put only while the number's unit is still `before` (none: absent).
    fn unit_guarded_put(
        &self,
        item: Item,
        before: Option<&str>,
    ) -> Result<TransactWriteItem, StoreError> {
        let put = aws_sdk_dynamodb::types::Put::builder()
            .table_name(&self.table)
            .set_item(Some(item));
        let put = match before {
            None => put.condition_expression("attribute_not_exists(PK)"),
            Some(unit) => put
                .condition_expression("#unit = :unit")
                .expression_attribute_names("#unit", "unit")
                .expression_attribute_values(":unit", s(unit)),
        };
        Ok(TransactWriteItem::builder()
            .put(put.build().map_err(StoreError::aws)?)
            .build())
    }

    /// The deletion of a number's line under `unit` in the list.
    fn unlisting(&self, unit: &str, phone_hash: &str) -> Result<TransactWriteItem, StoreError> {
        let delete = aws_sdk_dynamodb::types::Delete::builder()
            .table_name(&self.table)
            .key(PK, s(RESPONDER_LIST))
            .key(SK, s(listing_key(unit, phone_hash)))
            .build()
            .map_err(StoreError::aws)?;
        Ok(TransactWriteItem::builder().delete(delete).build())
    }

    /// The responder unit texting from this keyed hash, if it is one.
    pub async fn responder_unit(&self, phone_hash: &str) -> Result<Option<String>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(responder_key(phone_hash)))
            .key(SK, s("META"))
            .send()
            .await
            .map_err(StoreError::aws)?;
        Ok(out
            .item()
            .and_then(|i| ItemReader(i).opt_s("unit").map(str::to_string)))
    }
}

/// How long a warm function trusts its cached paging policy.
pub const POLICY_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// The paging policy cached in a warm function: a press must not wait for a read.
#[derive(Debug)]
pub struct PolicyCache {
    store: IncidentStore,
    cached: super::catalog::Fresh<PagingPolicy>,
}

impl PolicyCache {
    /// Caches `store`'s policy for [`POLICY_TTL`].
    pub fn new(store: IncidentStore) -> Self {
        Self {
            store,
            cached: super::catalog::Fresh::new(),
        }
    }

    /// The policy, from the cache while it is fresh.
    pub async fn get(&self) -> Result<std::sync::Arc<PagingPolicy>, StoreError> {
        match self.cached.get(POLICY_TTL) {
            Some(policy) => Ok(policy),
            None => Ok(self.cached.put(self.store.policy().await?)),
        }
    }
}

/// The partition listing every responder number (masked), for staff screens.
const RESPONDER_LIST: &str = "RESPONDERS";

/// A number's line in the list: by unit, then keyed hash.
fn listing_key(unit: &str, phone_hash: &str) -> String {
    format!("{unit}#{phone_hash}")
}

/// A registered responder number as staff screens list it (never the number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponderNumber {
    /// The number's keyed hash (how a screen names it in a form).
    pub hash: String,
    /// The unit it acks for.
    pub unit: String,
    /// The number with all but its last three digits hidden.
    pub masked: String,
    /// Who registered it.
    pub by: String,
    /// When.
    pub at: Timestamp,
}

/// The key of a responder's phone item (`RESP#<keyed hash>`).
fn responder_key(phone_hash: &str) -> String {
    format!("RESP#{phone_hash}")
}
