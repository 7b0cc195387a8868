//! Incidents, their timelines, panic devices and responders in the single table.
//!
//! - incident `N#<id>` / `META`: the whole [`Incident`] as JSON in `doc`, with
//!   `version` guarding every write; GSI1 `ESC#<shard>` / `<attention_at>#<id>` while
//!   something may need the auditor (pages owed, or a tick due); GSI2
//!   `Q#INCIDENTS` / `<opened_at>#<id>` while open, `Q#FOLLOWUP` while a cancel
//!   waits for an operator's call.
//! - timeline `N#<id>` / `E#<at>#<version:08>#<n>`; caller PII `N#<id>` / `PII`.
//! - device `DEV#<id>` / `META` (status, code and PIN hashes, the open incident it
//!   presses into, trust, block) and `DEV#<id>` / `PII` (phone, contacts).
//! - responder phone `RESP#<keyed hash>` / `META` → unit (SMS acks).
//! - paging policy `CONFIG#PAGING` / `META`.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use jiff::{SignedDuration, Timestamp};

use super::table::{
    GSI1, GSI1PK, GSI1SK, GSI2, GSI2PK, GSI2SK, Item, ItemReader, PK, SK, StoreError, conditional,
    due_shard, n, put_item, s, transact, ts,
};
use crate::domain::contact::PhoneNumber;
use crate::domain::incident::{Incident, IncidentState, PagingPolicy, TimelineEntry};

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

fn device_pk(id: &str) -> String {
    format!("DEV#{id}")
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PressClaim {
    /// Device id.
    pub device: String,
    /// The incident pressed into (the device's previous one, if replacing it).
    pub replaces: Option<String>,
    /// Presses join the incident until this instant.
    pub open_until: Timestamp,
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
            .update_expression(
                "SET open_incident = :id, open_until = :until, last_press_at = :now ADD presses :one",
            )
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
        Ok(TransactWriteItem::builder()
            .update(update.build().map_err(StoreError::aws)?)
            .build())
    }

    /// Writes a new incident with its first timeline entries, the caller's number
    /// (112) and, for a press, the device's claim: one transaction. `Conflict` when
    /// the device may not open one now (inactive, blocked, or already pressing into
    /// an open incident).
    pub async fn open(
        &self,
        incident: &Incident,
        entries: &[TimelineEntry],
        claim: Option<&PressClaim>,
        caller: Option<&PhoneNumber>,
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
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI2)
            .key_condition_expression("GSI2PK = :q")
            .expression_attribute_values(":q", s(queue))
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

    /// Records that a responder of `unit` texts from the number with this keyed hash.
    pub async fn put_responder_phone(
        &self,
        phone_hash: &str,
        unit: &str,
    ) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item(PK, s(responder_key(phone_hash)))
            .item(SK, s("META"))
            .item("type", s("responder_phone"))
            .item("unit", s(unit))
            .send()
            .await
            .map_err(StoreError::aws)?;
        Ok(())
    }

    /// Forgets a responder's number (they left the unit): its SMS acks are refused.
    pub async fn remove_responder_phone(&self, phone_hash: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(PK, s(responder_key(phone_hash)))
            .key(SK, s("META"))
            .send()
            .await
            .map_err(StoreError::aws)?;
        Ok(())
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

/// A panic-button device as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    /// Device id.
    pub id: String,
    /// `pending` until the code is verified, then `active`.
    pub active: bool,
    /// Keyed hash of the phone number.
    pub phone_hash: String,
    /// Keyed hash of the one-time code.
    pub otp_hash: String,
    /// When the code expires.
    pub otp_expires_at: Timestamp,
    /// Wrong codes still allowed.
    pub otp_attempts: u32,
    /// Keyed hash of the cancel PIN, once set.
    pub cancel_pin_hash: Option<String>,
    /// Keyed hash of the duress PIN, once set.
    pub duress_pin_hash: Option<String>,
    /// The incident presses join, while `open_until` has not passed.
    pub open_incident: Option<String>,
    /// Until when presses join `open_incident`.
    pub open_until: Option<Timestamp>,
    /// When each unfounded incident from this device was resolved.
    pub unfounded_at: Vec<Timestamp>,
    /// Blocked by an admin until then.
    pub blocked_until: Option<Timestamp>,
    /// Why it was blocked.
    pub block_reason: Option<String>,
}

/// A device's private details: its number and emergency contacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevicePii {
    /// The verified number.
    pub phone: PhoneNumber,
    /// Emergency contacts.
    pub contacts: Vec<PhoneNumber>,
}

fn millis(r: &ItemReader<'_>, name: &str) -> Result<Option<Timestamp>, StoreError> {
    Ok(r.opt_n::<i64>(name)?
        .and_then(|ms| Timestamp::from_millisecond(ms).ok()))
}

fn device_from_item(item: &Item) -> Result<Device, StoreError> {
    let r = ItemReader(item);
    let unfounded_at = match r.opt_s("unfounded_at") {
        None => Vec::new(),
        Some(json) => serde_json::from_str(json).map_err(|e| StoreError::Corrupt(e.to_string()))?,
    };
    Ok(Device {
        id: r.s(PK)?.trim_start_matches("DEV#").to_string(),
        active: r.s("status")? == "active",
        phone_hash: r.s("phone_hash")?.to_string(),
        otp_hash: r.s("otp_hash")?.to_string(),
        otp_expires_at: r.ts("otp_expires_at")?,
        otp_attempts: r.n("otp_attempts")?,
        cancel_pin_hash: r.opt_s("cancel_pin_hash").map(str::to_string),
        duress_pin_hash: r.opt_s("duress_pin_hash").map(str::to_string),
        open_incident: r.opt_s("open_incident").map(str::to_string),
        open_until: millis(&r, "open_until")?,
        unfounded_at,
        blocked_until: millis(&r, "blocked_until")?,
        block_reason: r.opt_s("block_reason").map(str::to_string),
    })
}

/// A registration waiting for its one-time code.
#[derive(Debug, Clone, Copy)]
pub struct PendingDevice<'a> {
    /// Device id.
    pub id: &'a str,
    /// The number to verify.
    pub phone: &'a PhoneNumber,
    /// Its keyed hash.
    pub phone_hash: &'a str,
    /// Keyed hash of the code sent.
    pub otp_hash: &'a str,
    /// When the code expires.
    pub expires_at: Timestamp,
    /// Wrong codes allowed.
    pub attempts: u32,
    /// Now.
    pub now: Timestamp,
}

/// Panic-button devices.
#[derive(Debug, Clone)]
pub struct DeviceStore {
    client: Client,
    table: String,
}

impl DeviceStore {
    /// A store over `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Writes a pending registration (code hash, expiry, attempts) and the number.
    pub async fn create_pending(&self, pending: &PendingDevice<'_>) -> Result<(), StoreError> {
        let PendingDevice {
            id,
            phone,
            phone_hash,
            otp_hash,
            expires_at,
            attempts,
            now,
        } = *pending;
        let mut meta = Item::new();
        meta.insert(PK.into(), s(device_pk(id)));
        meta.insert(SK.into(), s("META"));
        meta.insert("type".into(), s("device"));
        meta.insert("status".into(), s("pending"));
        meta.insert("phone_hash".into(), s(phone_hash));
        meta.insert("otp_hash".into(), s(otp_hash));
        meta.insert("otp_expires_at".into(), s(ts(expires_at)));
        meta.insert("otp_attempts".into(), n(attempts));
        meta.insert("registered_at".into(), s(ts(now)));
        let mut pii = Item::new();
        pii.insert(PK.into(), s(device_pk(id)));
        pii.insert(SK.into(), s("PII"));
        pii.insert("type".into(), s("device_pii"));
        pii.insert("phone".into(), s(phone.as_e164()));
        let items = vec![
            put_item(&self.table, meta, "attribute_not_exists(PK)")?,
            put_item(&self.table, pii, "attribute_not_exists(PK)")?,
        ];
        transact(&self.client, items, StoreError::AlreadyExists).await
    }

    /// The device, read consistently.
    pub async fn get(&self, id: &str) -> Result<Option<Device>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(device_pk(id)))
            .key(SK, s("META"))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::aws)?;
        out.item().map(device_from_item).transpose()
    }

    /// The device's number and contacts.
    pub async fn pii(&self, id: &str) -> Result<Option<DevicePii>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(device_pk(id)))
            .key(SK, s("PII"))
            .send()
            .await
            .map_err(StoreError::aws)?;
        let Some(item) = out.item() else {
            return Ok(None);
        };
        let r = ItemReader(item);
        let phone =
            PhoneNumber::parse(r.s("phone")?).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let contacts = match r.opt_s("contacts") {
            None => Vec::new(),
            Some(json) => serde_json::from_str::<Vec<String>>(json)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?
                .iter()
                .filter_map(|c| PhoneNumber::parse(c).ok())
                .collect(),
        };
        Ok(Some(DevicePii { phone, contacts }))
    }

    fn update_meta(
        &self,
        id: &str,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(PK, s(device_pk(id)))
            .key(SK, s("META"))
    }

    async fn run(
        &self,
        update: aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder,
    ) -> Result<(), StoreError> {
        conditional(update.send().await, StoreError::Conflict)
    }

    /// The right code: the device is active (idempotent for the same code).
    pub async fn activate(&self, id: &str, otp_hash: &str) -> Result<(), StoreError> {
        self.run(
            self.update_meta(id)
                .update_expression("SET #status = :active")
                .condition_expression("otp_hash = :otp AND otp_attempts > :zero")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":active", s("active"))
                .expression_attribute_values(":otp", s(otp_hash))
                .expression_attribute_values(":zero", n(0)),
        )
        .await
    }

    /// A wrong code: one attempt fewer (only if nobody else counted it first).
    pub async fn count_wrong_code(&self, id: &str, attempts_before: u32) -> Result<(), StoreError> {
        self.run(
            self.update_meta(id)
                .update_expression("SET otp_attempts = :left")
                .condition_expression("otp_attempts = :before")
                .expression_attribute_values(":left", n(attempts_before.saturating_sub(1)))
                .expression_attribute_values(":before", n(attempts_before)),
        )
        .await
    }

    /// Stores PIN hashes and contacts (an active device only).
    pub async fn set_settings(
        &self,
        id: &str,
        cancel_pin_hash: &str,
        duress_pin_hash: &str,
        contacts: &[PhoneNumber],
    ) -> Result<(), StoreError> {
        let contacts: Vec<&str> = contacts.iter().map(PhoneNumber::as_e164).collect();
        let contacts =
            serde_json::to_string(&contacts).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let meta = Update::builder()
            .table_name(&self.table)
            .key(PK, s(device_pk(id)))
            .key(SK, s("META"))
            .update_expression("SET cancel_pin_hash = :c, duress_pin_hash = :d")
            .condition_expression("#status = :active")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":active", s("active"))
            .expression_attribute_values(":c", s(cancel_pin_hash))
            .expression_attribute_values(":d", s(duress_pin_hash))
            .build()
            .map_err(StoreError::aws)?;
        let pii = Update::builder()
            .table_name(&self.table)
            .key(PK, s(device_pk(id)))
            .key(SK, s("PII"))
            .update_expression("SET contacts = :contacts")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":contacts", s(contacts))
            .build()
            .map_err(StoreError::aws)?;
        let items = vec![
            TransactWriteItem::builder().update(meta).build(),
            TransactWriteItem::builder().update(pii).build(),
        ];
        transact(&self.client, items, StoreError::Conflict).await
    }

    /// A later press joined the open incident: presses keep joining until `until`.
    pub fn extend_item(
        &self,
        id: &str,
        incident: &str,
        until: Timestamp,
    ) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .key(PK, s(device_pk(id)))
            .key(SK, s("META"))
            .update_expression("SET open_until = :until ADD presses :one")
            .condition_expression("open_incident = :id")
            .expression_attribute_values(":until", n(until.as_millisecond()))
            .expression_attribute_values(":id", s(incident))
            .expression_attribute_values(":one", n(1))
            .build()
            .map_err(StoreError::aws)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Records an unfounded incident from the device (written with the resolve).
    pub fn unfounded_item(
        &self,
        device: &Device,
        at: Timestamp,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut list = device.unfounded_at.clone();
        list.push(at);
        // Only the last few matter for trust.
        let keep = list.len().saturating_sub(10);
        let json =
            serde_json::to_string(&list[keep..]).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let update = Update::builder()
            .table_name(&self.table)
            .key(PK, s(device_pk(&device.id)))
            .key(SK, s("META"))
            .update_expression("SET unfounded_at = :list")
            .expression_attribute_values(":list", s(json))
            .build()
            .map_err(StoreError::aws)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Blocks the device until `until` (an admin's decision, with a reason).
    pub async fn block(&self, id: &str, until: Timestamp, reason: &str) -> Result<(), StoreError> {
        self.run(
            self.update_meta(id)
                .update_expression("SET blocked_until = :until, block_reason = :reason")
                .condition_expression("attribute_exists(PK)")
                .expression_attribute_values(":until", n(until.as_millisecond()))
                .expression_attribute_values(":reason", s(reason)),
        )
        .await
    }

    /// Lifts a block.
    pub async fn unblock(&self, id: &str) -> Result<(), StoreError> {
        self.run(
            self.update_meta(id)
                .update_expression("REMOVE blocked_until, block_reason")
                .condition_expression("attribute_exists(PK)"),
        )
        .await
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

/// The key of a responder's phone item (`RESP#<keyed hash>`).
fn responder_key(phone_hash: &str) -> String {
    format!("RESP#{phone_hash}")
}
