//! Panic-button devices in the single table: `DEV#<id>` / `META` (status, code and
//! PIN hashes, the open incident it presses into, its last known position, trust,
//! block), `DEV#<id>` / `PII` (phone, contacts), and `DEV#P#<keyed hash of the
//! phone>` / `DEVICE` (the device its number last activated: a press by SMS finds it).

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use jiff::Timestamp;

use super::table::{
    Item, ItemReader, PK, SK, StoreError, conditional, n, put_item, s, transact, ts,
};
use crate::domain::contact::PhoneNumber;
use crate::domain::device::{Device, record_unfounded};
use crate::domain::incident::Fix;

/// How long a registration that was never verified is kept after its code expired.
const PENDING_KEPT_SECONDS: i64 = 86_400;

/// A device's partition key.
pub(super) fn device_pk(id: &str) -> String {
    format!("DEV#{id}")
}

/// The partition of the pointer from a number (its keyed hash) to its device.
fn phone_pk(phone_hash: &str) -> String {
    format!("DEV#P#{phone_hash}")
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
        last_fix: match r.opt_s("last_fix") {
            None => None,
            Some(json) => {
                Some(serde_json::from_str(json).map_err(|e| StoreError::Corrupt(e.to_string()))?)
            }
        },
        last_fix_at: millis(&r, "last_fix_at")?,
    })
}

/// The `SET` clause recording a device's last known position ([`with_last_fix`]
/// fills its values).
pub(super) const LAST_FIX_SET: &str = "last_fix = :last_fix, last_fix_at = :last_fix_at";

/// `update` with the values of [`LAST_FIX_SET`]: `fix`, sent at `at`.
pub(super) fn with_last_fix(
    update: aws_sdk_dynamodb::types::builders::UpdateBuilder,
    fix: &Fix,
    at: Timestamp,
) -> Result<aws_sdk_dynamodb::types::builders::UpdateBuilder, StoreError> {
    let json = serde_json::to_string(fix).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(update
        .expression_attribute_values(":last_fix", s(json))
        .expression_attribute_values(":last_fix_at", n(at.as_millisecond())))
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
        // A registration never verified is removed with its number a day after its
        // code expired; activation removes this.
        let forget_at = expires_at.as_second() + PENDING_KEPT_SECONDS;
        meta.insert("expires_at".into(), n(forget_at));
        let mut pii = Item::new();
        pii.insert(PK.into(), s(device_pk(id)));
        pii.insert(SK.into(), s("PII"));
        pii.insert("type".into(), s("device_pii"));
        pii.insert("phone".into(), s(phone.as_e164()));
        pii.insert("expires_at".into(), n(forget_at));
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

    /// One item, read eventually consistently.
    async fn item(&self, pk: String, sk: &str) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(pk))
            .key(SK, s(sk))
            .send()
            .await
            .map_err(StoreError::aws)?;
        Ok(out.item)
    }

    /// The device's number and contacts.
    pub async fn pii(&self, id: &str) -> Result<Option<DevicePii>, StoreError> {
        let Some(item) = self.item(device_pk(id), "PII").await? else {
            return Ok(None);
        };
        let item = &item;
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

    /// An update of the device's `sk` item, for a transaction.
    fn item_update(&self, id: &str, sk: &str) -> aws_sdk_dynamodb::types::builders::UpdateBuilder {
        Update::builder()
            .table_name(&self.table)
            .key(PK, s(device_pk(id)))
            .key(SK, s(sk))
    }

    /// Both items at once, or neither (a failed condition is a conflict).
    async fn update_both(
        &self,
        meta: aws_sdk_dynamodb::types::builders::UpdateBuilder,
        pii: aws_sdk_dynamodb::types::builders::UpdateBuilder,
    ) -> Result<(), StoreError> {
        self.update_both_with(meta, pii, Vec::new()).await
    }

    /// [`DeviceStore::update_both`] with `also` in the same transaction.
    async fn update_both_with(
        &self,
        meta: aws_sdk_dynamodb::types::builders::UpdateBuilder,
        pii: aws_sdk_dynamodb::types::builders::UpdateBuilder,
        also: Vec<TransactWriteItem>,
    ) -> Result<(), StoreError> {
        let mut items = vec![
            TransactWriteItem::builder()
                .update(meta.build().map_err(StoreError::aws)?)
                .build(),
            TransactWriteItem::builder()
                .update(pii.build().map_err(StoreError::aws)?)
                .build(),
        ];
        items.extend(also);
        transact(&self.client, items, StoreError::Conflict).await
    }

    async fn run(
        &self,
        update: aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder,
    ) -> Result<(), StoreError> {
        conditional(update.send().await, StoreError::Conflict)
    }

    /// The device the number with keyed hash `phone_hash` last activated, if any
    /// (the pointer may outlive a device an admin removed: read it to be sure).
    pub async fn by_phone(&self, phone_hash: &str) -> Result<Option<String>, StoreError> {
        self.item(phone_pk(phone_hash), "DEVICE")
            .await?
            .map(|item| ItemReader(&item).s("device").map(str::to_string))
            .transpose()
    }

    /// The right code: the device is active and kept (no expiry on either item), and
    /// its number (`phone_hash`) points to it; idempotent for the same code.
    pub async fn activate(
        &self,
        id: &str,
        otp_hash: &str,
        phone_hash: &str,
    ) -> Result<(), StoreError> {
        let meta = self
            .item_update(id, "META")
            .update_expression("SET #status = :active REMOVE expires_at")
            .condition_expression("otp_hash = :otp")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":active", s("active"))
            .expression_attribute_values(":otp", s(otp_hash));
        let pii = self
            .item_update(id, "PII")
            .update_expression("REMOVE expires_at")
            .condition_expression("attribute_exists(PK)");
        // The newest activation of a number wins: its SMS presses are this device's.
        let mut pointer = Item::new();
        pointer.insert(PK.into(), s(phone_pk(phone_hash)));
        pointer.insert(SK.into(), s("DEVICE"));
        pointer.insert("type".into(), s("device_phone"));
        pointer.insert("device".into(), s(id));
        let put = aws_sdk_dynamodb::types::Put::builder()
            .table_name(&self.table)
            .set_item(Some(pointer))
            .build()
            .map_err(StoreError::aws)?;
        self.update_both_with(
            meta,
            pii,
            vec![TransactWriteItem::builder().put(put).build()],
        )
        .await
    }

    /// Takes one code attempt before the code is compared, in one atomic write, so
    /// parallel guesses each cost one; the attempts there were before (0: none left,
    /// nothing taken).
    pub async fn take_code_attempt(&self, id: &str) -> Result<u32, StoreError> {
        let out = self
            .update_meta(id)
            .update_expression("ADD otp_attempts :minus_one")
            .condition_expression("otp_attempts > :zero")
            .expression_attribute_values(":minus_one", n(-1))
            .expression_attribute_values(":zero", n(0))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::UpdatedOld)
            .send()
            .await;
        match out {
            Ok(out) => Ok(out
                .attributes()
                .and_then(|a| a.get("otp_attempts"))
                .and_then(|v| v.as_n().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)),
            Err(err) => match conditional::<(), _, _>(Err(err), StoreError::Conflict) {
                Err(StoreError::Conflict) => Ok(0),
                other => other.map(|()| 0),
            },
        }
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
        let meta = self
            .item_update(id, "META")
            .update_expression("SET cancel_pin_hash = :c, duress_pin_hash = :d")
            .condition_expression("#status = :active")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":active", s("active"))
            .expression_attribute_values(":c", s(cancel_pin_hash))
            .expression_attribute_values(":d", s(duress_pin_hash));
        let pii = self
            .item_update(id, "PII")
            .update_expression("SET contacts = :contacts")
            .condition_expression("attribute_exists(PK)")
            .expression_attribute_values(":contacts", s(contacts));
        self.update_both(meta, pii).await
    }

    /// A later press joined the open incident: presses keep joining until `until`;
    /// its `fix`, if any, is the device's last known position.
    pub fn extend_item(
        &self,
        id: &str,
        incident: &str,
        until: Timestamp,
        fix: Option<(&Fix, Timestamp)>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .key(PK, s(device_pk(id)))
            .key(SK, s("META"))
            .update_expression(match fix {
                Some(_) => format!("SET open_until = :until, {LAST_FIX_SET} ADD presses :one"),
                None => "SET open_until = :until ADD presses :one".into(),
            })
            .condition_expression("open_incident = :id")
            .expression_attribute_values(":until", n(until.as_millisecond()))
            .expression_attribute_values(":id", s(incident))
            .expression_attribute_values(":one", n(1));
        if let Some((fix, at)) = fix {
            update = with_last_fix(update, fix, at)?;
        }
        Ok(TransactWriteItem::builder()
            .update(update.build().map_err(StoreError::aws)?)
            .build())
    }

    /// The app sent a position while its incident is open: the device's last known
    /// position (written with the incident's move).
    pub fn position_item(
        &self,
        id: &str,
        fix: &Fix,
        at: Timestamp,
    ) -> Result<TransactWriteItem, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .key(PK, s(device_pk(id)))
            .key(SK, s("META"))
            .update_expression(format!("SET {LAST_FIX_SET}"))
            .condition_expression("attribute_exists(PK)");
        Ok(TransactWriteItem::builder()
            .update(
                with_last_fix(update, fix, at)?
                    .build()
                    .map_err(StoreError::aws)?,
            )
            .build())
    }

    /// Records an unfounded incident from the device (written with the resolve).
    pub fn unfounded_item(
        &self,
        device: &Device,
        at: Timestamp,
    ) -> Result<TransactWriteItem, StoreError> {
        let list = record_unfounded(&device.unfounded_at, at);
        let json = serde_json::to_string(&list).map_err(|e| StoreError::Corrupt(e.to_string()))?;
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
