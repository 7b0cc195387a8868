//! The holiday calendar in the table, so admins change it without a deploy.
//!
//! - `CALENDAR` / `CURRENT`: the revision in force (its holiday data, who changed it,
//!   when and why). Every edit is one transaction: `CURRENT` replaced on the
//!   condition that it is still the revision the admin read, plus
//! - `CALENDAR` / `REV#<revision>`: an append-only copy of each revision (history).
//!
//! Until the first revision is written (`make seed`, devstack) the bundled file is
//! in force. Each revision's version label is `r<revision>`, and every deadline
//! records the label it was computed with.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use jiff::Timestamp;

use super::catalog::Fresh;
use super::table::{Item, ItemReader, PK, SK, StoreError, condition_failed, n, s, ts};
use crate::domain::calendar::{HolidayData, WorkingCalendar};

const PARTITION: &str = "CALENDAR";
const CURRENT: &str = "CURRENT";

/// How long a warm function trusts its cached calendar: an admin's edit applies to
/// deadlines computed after at most this long.
pub const CALENDAR_TTL: Duration = Duration::from_secs(60);

/// One revision of the calendar as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarRevision {
    /// 1 for the seed, +1 per edit.
    pub revision: u64,
    /// The holiday data (its `version` is `r<revision>`).
    pub data: HolidayData,
    /// Who wrote it: `admin:<sub>`, or `system:seed`.
    pub changed_by: String,
    /// When.
    pub changed_at: Timestamp,
    /// Why (an admin's reason, e.g. the decree that moved a holiday).
    pub reason: String,
}

/// The calendar in the table.
#[derive(Debug, Clone)]
pub struct CalendarStore {
    client: Client,
    table: String,
}

fn revision_item(sk: &str, revision: &CalendarRevision) -> Result<Item, StoreError> {
    let data =
        serde_json::to_string(&revision.data).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut item = Item::new();
    item.insert(PK.into(), s(PARTITION));
    item.insert(SK.into(), s(sk));
    item.insert("type".into(), s("calendar"));
    item.insert("revision".into(), n(revision.revision));
    item.insert("data".into(), s(data));
    item.insert("changed_by".into(), s(&revision.changed_by));
    item.insert("changed_at".into(), s(ts(revision.changed_at)));
    item.insert("reason".into(), s(&revision.reason));
    Ok(item)
}

fn revision_from_item(item: &Item) -> Result<CalendarRevision, StoreError> {
    let r = ItemReader(item);
    let data = HolidayData::from_json(r.s("data")?)
        .map_err(|e| StoreError::Corrupt(format!("calendar data: {e}")))?;
    Ok(CalendarRevision {
        revision: r.n("revision")?,
        data,
        changed_by: r.s("changed_by")?.into(),
        changed_at: r.ts("changed_at")?,
        reason: r.s("reason")?.into(),
    })
}

fn history_sk(revision: u64) -> String {
    format!("REV#{revision:06}")
}

impl CalendarStore {
    /// A store over `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The revision in force, if one was ever written.
    pub async fn current(&self) -> Result<Option<CalendarRevision>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(PARTITION))
            .key(SK, s(CURRENT))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::aws)?;
        out.item().map(revision_from_item).transpose()
    }

    /// The latest `limit` revisions, newest first.
    pub async fn history(&self, limit: i32) -> Result<Vec<CalendarRevision>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND begins_with(SK, :rev)")
            .expression_attribute_values(":pk", s(PARTITION))
            .expression_attribute_values(":rev", s("REV#"))
            .scan_index_forward(false)
            .limit(limit)
            .send()
            .await
            .map_err(StoreError::aws)?;
        out.items().iter().map(revision_from_item).collect()
    }

    /// Writes `data` as the revision after `read` (0: none yet), only if nobody
    /// wrote another revision meanwhile (`Conflict` otherwise). Returns it.
    pub async fn save(
        &self,
        read: u64,
        data: HolidayData,
        changed_by: &str,
        reason: &str,
        at: Timestamp,
    ) -> Result<CalendarRevision, StoreError> {
        let revision = read + 1;
        let stored = CalendarRevision {
            revision,
            data: HolidayData {
                version: format!("r{revision}"),
                ..data
            },
            changed_by: changed_by.into(),
            changed_at: at,
            reason: reason.into(),
        };
        let mut current = Put::builder()
            .table_name(&self.table)
            .set_item(Some(revision_item(CURRENT, &stored)?));
        current = if read == 0 {
            current.condition_expression("attribute_not_exists(PK)")
        } else {
            current
                .condition_expression("revision = :read")
                .expression_attribute_values(":read", n(read))
        };
        let history = Put::builder()
            .table_name(&self.table)
            .set_item(Some(revision_item(&history_sk(revision), &stored)?))
            .condition_expression("attribute_not_exists(PK)");
        let items = vec![
            TransactWriteItem::builder()
                .put(current.build().map_err(StoreError::aws)?)
                .build(),
            TransactWriteItem::builder()
                .put(history.build().map_err(StoreError::aws)?)
                .build(),
        ];
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(stored),
            Err(err) => match err.as_service_error() {
                Some(service) if condition_failed(service) => Err(StoreError::Conflict),
                _ => Err(StoreError::aws(err)),
            },
        }
    }

    /// Writes the bundled data as revision 1 unless a revision exists already (so
    /// seeding again never undoes an admin's edit). True when it wrote.
    pub async fn seed(&self, bundled: HolidayData, at: Timestamp) -> Result<bool, StoreError> {
        match self
            .save(
                0,
                bundled,
                "system:seed",
                "data bawaan repositori (shared/data/holidays.json)",
                at,
            )
            .await
        {
            Ok(_) => Ok(true),
            Err(StoreError::Conflict) => Ok(false),
            Err(err) => Err(err),
        }
    }
}

/// The calendar in force, cached in a warm function for [`CALENDAR_TTL`].
#[derive(Debug)]
pub struct CalendarCache {
    store: CalendarStore,
    bundled: HolidayData,
    cached: Fresh<WorkingCalendar>,
}

impl CalendarCache {
    /// Over `store`, falling back to `bundled` until a revision is written.
    pub fn new(store: CalendarStore, bundled: HolidayData) -> Self {
        Self {
            store,
            bundled,
            cached: Fresh::new(),
        }
    }

    /// The calendar deadlines are computed with now.
    pub async fn current(&self) -> Result<Arc<WorkingCalendar>, StoreError> {
        if let Some(calendar) = self.cached.get(CALENDAR_TTL) {
            return Ok(calendar);
        }
        let data = match self.store.current().await? {
            Some(revision) => revision.data,
            None => self.bundled.clone(),
        };
        Ok(self.cached.put(data.calendar()))
    }

    /// Forgets the cached calendar (after this process edited it).
    pub fn invalidate(&self) {
        self.cached.clear();
    }

    /// The store behind the cache.
    pub fn store(&self) -> &CalendarStore {
        &self.store
    }
}
