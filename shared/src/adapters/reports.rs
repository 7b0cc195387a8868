//! Reports in the single table: create in one transaction, change with one
//! conditional write, read the public parts without ever touching the PII item.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, Put, TransactWriteItem};
use jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;

use super::record::fact_item;
use super::table::{
    DUE_SHARDS, GSI1, GSI1PK, GSI1SK, GSI2, GSI2PK, GSI2SK, GSI3, GSI3PK, GSI3SK, GSI4, GSI4PK,
    GSI4SK, Item, ItemReader, PK, SK, StoreError, due_shard, n, put_item, put_mirror, report_pk, s,
    transact, ts, whole_index_partition,
};
use crate::domain::contact::{Email, PhoneNumber};
use crate::domain::deadline::{ClockKind, ReportClock};
use crate::domain::duplicates::ReportSketch;
use crate::domain::location::{Coordinates, Kecamatan};
use crate::domain::notification::NotifyMessage;
use crate::domain::record;
use crate::domain::report::{
    Assignment, Report, ReportAction, ReportEvent, ReportLocation, ReportStatus,
};
use crate::domain::sla::next_step_at;
use crate::domain::submission::ReporterContact;
use crate::domain::tracking_id::TrackingId;

/// Work queue of reports accepted but not yet triaged (the intake safety net).
pub const QUEUE_TRIAGE: &str = "Q#TRIAGE";
/// Work queue of reports waiting for an admin, ordered by deadline.
pub const QUEUE_VERIFY: &str = "Q#VERIFY";
/// Work queue of reports waiting for the citizen (*tunda*).
pub const QUEUE_NEEDS_INFO: &str = "Q#NEEDS_INFO";
/// Dispatched, not yet acknowledged by any agency.
pub const QUEUE_DISPATCHED: &str = "Q#DISPATCHED";
/// Being worked on by agencies.
pub const QUEUE_IN_PROGRESS: &str = "Q#IN_PROGRESS";
/// Answered; waiting for the citizen or the auto-close clock.
pub const QUEUE_RESPONDED: &str = "Q#RESPONDED";
/// Every open work queue, in life order (for counts).
pub const OPEN_QUEUES: [(&str, ReportStatus); 6] = [
    (QUEUE_TRIAGE, ReportStatus::Received),
    (QUEUE_VERIFY, ReportStatus::PendingVerification),
    (QUEUE_NEEDS_INFO, ReportStatus::NeedsInfo),
    (QUEUE_DISPATCHED, ReportStatus::Dispatched),
    (QUEUE_IN_PROGRESS, ReportStatus::InProgress),
    (QUEUE_RESPONDED, ReportStatus::Responded),
];

/// Due-queue (GSI1) partitions of reports with no breached deadline: `DUE#<shard>`.
pub const DUE_PREFIX: &str = "DUE#";
/// Due-queue (GSI1) partitions of reports with a breached deadline: `LATE#<shard>`.
pub const LATE_PREFIX: &str = "LATE#";

/// One read of the due queue: the reports with a step due, and what it cost.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DueReports {
    /// Reports whose next step is due, earliest first within each partition.
    pub ids: Vec<TrackingId>,
    /// Index items DynamoDB read to answer (`ScannedCount`).
    pub items_read: u64,
    /// Query requests made.
    pub requests: u64,
}

/// An agency's inbox partition in GSI2.
pub fn agency_queue(agency: &str) -> String {
    format!("Q#AGENCY#{agency}")
}

/// One line of an agency's inbox (copied onto the assignment item so the inbox is
/// one Query).
#[derive(Debug, Clone, PartialEq)]
pub struct InboxEntry {
    /// The report.
    pub report_id: String,
    /// Its title.
    pub title: String,
    /// Its category.
    pub category: String,
    /// Kecamatan name, if known.
    pub kecamatan: Option<String>,
    /// The report's status.
    pub report_status: ReportStatus,
    /// This agency's part.
    pub assignment: Assignment,
}

/// Reports in DynamoDB.
#[derive(Debug, Clone)]
pub struct ReportStore {
    client: Client,
    table: String,
}

fn enum_str<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        _ => String::new(),
    }
}

fn parse_enum<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_value(serde_json::Value::String(text.to_string()))
        .map_err(|_| StoreError::Corrupt(format!("unknown {what} {text:?}")))
}

/// The work-queue (GSI2) entry a report belongs in, if any: queue and sort key.
/// In the verification queue emergencies sort first (`0#`), then by deadline.
fn work_queue(report: &Report) -> Option<(String, String)> {
    let id = report.id.as_str();
    let by_clock = |queue: &str| {
        let due = report.clock.map_or(report.updated_at, |c| c.due_at);
        Some((queue.to_string(), format!("{}#{id}", ts(due))))
    };
    match report.status {
        ReportStatus::Received => Some((
            QUEUE_TRIAGE.into(),
            format!("{}#{id}", ts(report.received_at)),
        )),
        ReportStatus::PendingVerification => {
            let due = report.clock.map_or(report.received_at, |c| c.due_at);
            let emergency = report
                .triage
                .as_ref()
                .is_some_and(|t| t.emergency.is_some());
            let priority = if emergency { 0 } else { 1 };
            Some((QUEUE_VERIFY.into(), format!("{priority}#{}#{id}", ts(due))))
        }
        ReportStatus::NeedsInfo => Some((
            QUEUE_NEEDS_INFO.into(),
            format!("{}#{id}", ts(report.updated_at)),
        )),
        ReportStatus::Dispatched => by_clock(QUEUE_DISPATCHED),
        ReportStatus::InProgress => by_clock(QUEUE_IN_PROGRESS),
        ReportStatus::Responded => by_clock(QUEUE_RESPONDED),
        // A merged report is listed under its target, so the target's news reaches it.
        ReportStatus::Duplicate => report
            .duplicate_of
            .as_ref()
            .map(|target| (duplicates_partition(target), id.to_string())),
        ReportStatus::Closed | ReportStatus::Archived => None,
    }
}

/// Where reports merged into `target` are listed (GSI2).
fn duplicates_partition(target: &str) -> String {
    format!("DUP#{target}")
}

/// The GSI4 partition of a report received at `at`: its UTC month.
fn public_month(at: Timestamp) -> String {
    let date = at.to_zoned(jiff::tz::TimeZone::UTC).date();
    format!("PUB#{:04}-{:02}", date.year(), date.month())
}

/// The full META item, index attributes included only while they apply (sparse).
pub fn report_item(report: &Report) -> Item {
    let id = report.id.as_str();
    let mut item = Item::new();
    item.insert(PK.into(), s(report_pk(id)));
    item.insert(SK.into(), s("META"));
    item.insert("type".into(), s("report"));
    item.insert("id".into(), s(id));
    item.insert("title".into(), s(&report.title));
    item.insert("description".into(), s(&report.description));
    item.insert("category".into(), s(&report.category));
    item.insert("channel".into(), s(enum_str(&report.channel)));
    item.insert("anonymous".into(), AttributeValue::Bool(report.anonymous));
    item.insert(
        "confidential".into(),
        AttributeValue::Bool(report.confidential),
    );
    item.insert("status".into(), s(report.status.as_str()));
    item.insert("received_at".into(), s(ts(report.received_at)));
    item.insert("updated_at".into(), s(ts(report.updated_at)));
    item.insert("calendar_version".into(), s(&report.calendar_version));
    item.insert("version".into(), n(report.version));
    item.insert("token_hash".into(), s(&report.reporter_token_hash));
    let location = &report.location;
    if let Some(c) = location.coordinates {
        item.insert("lat".into(), n(c.lat()));
        item.insert("lon".into(), n(c.lon()));
    }
    if let Some(address) = &location.address {
        item.insert("address".into(), s(address));
    }
    if let Some(k) = &location.kecamatan {
        item.insert("kecamatan_code".into(), s(&k.code));
        item.insert("kecamatan_name".into(), s(&k.name));
    }
    if let Some(clock) = report.clock {
        item.insert("clock_kind".into(), s(enum_str(&clock.kind)));
        item.insert("clock_due_at".into(), s(ts(clock.due_at)));
        item.insert(
            "clock_provisional".into(),
            AttributeValue::Bool(clock.provisional),
        );
        if let Ok(json) = serde_json::to_string(&clock.sla) {
            item.insert("clock_sla".into(), s(json));
        }
    }
    // The due queue: keyed on when the sweep must next look (reminder, deadline or
    // repeat escalation), in a breached or a running partition.
    if let Some((next_at, breached)) = next_step_at(report) {
        let prefix = if breached { LATE_PREFIX } else { DUE_PREFIX };
        item.insert(GSI1PK.into(), s(format!("{prefix}{}", due_shard(id))));
        item.insert(GSI1SK.into(), s(format!("{}#{id}", ts(next_at))));
    }
    if let Some((queue, sort)) = work_queue(report) {
        item.insert(GSI2PK.into(), s(queue));
        item.insert(GSI2SK.into(), s(sort));
    }
    if !report.status.is_final() {
        item.insert(GSI3PK.into(), s(format!("CAT#{}", report.category)));
        item.insert(GSI3SK.into(), s(format!("{}#{id}", ts(report.received_at))));
    }
    // Open311 lists only what the public may see: never a confidential report.
    if report.is_public() {
        item.insert(GSI4PK.into(), s(public_month(report.received_at)));
        item.insert(GSI4SK.into(), s(format!("{}#{id}", ts(report.received_at))));
    }
    if let Some(triage) = &report.triage
        && let Ok(json) = serde_json::to_string(triage)
    {
        item.insert("triage".into(), s(json));
    }
    if !report.assignments.is_empty()
        && let Ok(json) = serde_json::to_string(&report.assignments)
    {
        item.insert("assignments".into(), s(json));
    }
    if let Some(days) = report.paused_working_days {
        item.insert("paused_working_days".into(), n(days));
    }
    if let Some(other) = &report.duplicate_of {
        item.insert("duplicate_of".into(), s(other));
    }
    if let Some(sender) = &report.sender {
        item.insert("sender_hash".into(), s(sender));
    }
    if let Some(rating) = &report.rating
        && let Ok(json) = serde_json::to_string(rating)
    {
        item.insert("rating".into(), s(json));
    }
    if !report.photos.is_empty()
        && let Ok(json) = serde_json::to_string(&report.photos)
    {
        item.insert("photos".into(), s(json));
    }
    item
}

/// The stored point and kecamatan of a report item.
fn stored_place(r: &ItemReader) -> Result<(Option<Coordinates>, Option<Kecamatan>), StoreError> {
    let coordinates = match (r.opt_n::<f64>("lat")?, r.opt_n::<f64>("lon")?) {
        (Some(lat), Some(lon)) => Some(
            Coordinates::parse(lat, lon)
                .map_err(|e| StoreError::Corrupt(format!("stored coordinates: {e}")))?,
        ),
        _ => None,
    };
    let kecamatan = match (r.opt_s("kecamatan_code"), r.opt_s("kecamatan_name")) {
        (Some(code), Some(name)) => Some(Kecamatan {
            code: code.into(),
            name: name.into(),
        }),
        _ => None,
    };
    Ok((coordinates, kecamatan))
}

/// The stored tracking id and status of a report item.
fn stored_identity(r: &ItemReader) -> Result<(TrackingId, ReportStatus), StoreError> {
    let id = r.s("id")?;
    let id = TrackingId::parse(id).map_err(|e| StoreError::Corrupt(format!("id {id:?}: {e}")))?;
    let status = ReportStatus::parse(r.s("status")?)
        .ok_or_else(|| StoreError::Corrupt("unknown status".into()))?;
    Ok((id, status))
}

/// A report sketch from the attributes `open_in_category` projects.
fn sketch_from_item(item: &Item) -> Result<ReportSketch, StoreError> {
    let r = ItemReader(item);
    let (id, status) = stored_identity(&r)?;
    let (coordinates, kecamatan) = stored_place(&r)?;
    Ok(ReportSketch {
        id,
        category: r.s("category")?.into(),
        status,
        coordinates,
        kecamatan,
    })
}

/// Reads a META item back into a report.
pub fn report_from_item(item: &Item) -> Result<Report, StoreError> {
    let r = ItemReader(item);
    let (coordinates, kecamatan) = stored_place(&r)?;
    let clock = match r.opt_s("clock_kind") {
        None => None,
        Some(kind) => Some(ReportClock {
            kind: parse_enum::<ClockKind>(kind, "clock kind")?,
            due_at: r.ts("clock_due_at")?,
            provisional: r.bool("clock_provisional"),
            sla: r.opt_json("clock_sla")?.unwrap_or_default(),
        }),
    };
    let (id, status) = stored_identity(&r)?;
    Ok(Report {
        id,
        title: r.s("title")?.into(),
        description: r.s("description")?.into(),
        category: r.s("category")?.into(),
        location: ReportLocation {
            coordinates,
            address: r.opt_s("address").map(Into::into),
            kecamatan,
        },
        channel: parse_enum(r.s("channel")?, "channel")?,
        anonymous: r.bool("anonymous"),
        confidential: r.bool("confidential"),
        status,
        received_at: r.ts("received_at")?,
        updated_at: r.ts("updated_at")?,
        clock,
        calendar_version: r.s("calendar_version")?.into(),
        version: r.n("version")?,
        reporter_token_hash: r.s("token_hash")?.into(),
        triage: r.opt_json("triage")?,
        assignments: r.opt_json("assignments")?.unwrap_or_default(),
        paused_working_days: r.opt_n("paused_working_days")?,
        duplicate_of: r.opt_s("duplicate_of").map(Into::into),
        sender: r.opt_s("sender_hash").map(Into::into),
        rating: r.opt_json("rating")?,
        photos: r.opt_json("photos")?.unwrap_or_default(),
    })
}

fn event_item(id: &str, event: &ReportEvent) -> Item {
    let mut item = Item::new();
    item.insert(PK.into(), s(report_pk(id)));
    item.insert(
        SK.into(),
        s(format!("E#{}#{:06}", ts(event.at), event.version)),
    );
    item.insert("type".into(), s("event"));
    item.insert("at".into(), s(ts(event.at)));
    item.insert("version".into(), n(event.version));
    item.insert("actor".into(), s(&event.actor));
    item.insert("to".into(), s(event.to.as_str()));
    if let Some(action) = event.action {
        item.insert("action".into(), s(enum_str(&action)));
    }
    if let Some(from) = event.from {
        item.insert("from".into(), s(from.as_str()));
    }
    if let Some(reason) = &event.reason {
        item.insert("reason".into(), s(reason));
    }
    if let Some(agency) = &event.agency {
        item.insert("agency".into(), s(agency));
    }
    item
}

/// A report as staff read it: the report, its timeline and (for those who may see
/// it) who reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportFile {
    /// The report.
    pub report: Report,
    /// Its newest audit events (at most [`TIMELINE_PAGE`]), oldest first.
    pub timeline: Vec<ReportEvent>,
    /// Where the older events continue ([`ReportStore::timeline_page`]), if there are any.
    pub earlier: Option<String>,
    /// The reporter's contact, when the reader may see it.
    pub contact: Option<ReporterContact>,
}

impl ReportFile {
    /// The file after `change`: its report and event added, the contact kept while
    /// `shows_contact` still allows it.
    pub fn after(
        mut self,
        report: Report,
        event: ReportEvent,
        shows_contact: impl Fn(&Report) -> bool,
    ) -> Self {
        self.timeline.push(event);
        if !shows_contact(&report) {
            self.contact = None;
        }
        self.report = report;
        self
    }
}

/// Audit events one view shows at once; older ones are a page away.
pub const TIMELINE_PAGE: usize = 50;

/// A page of a report's audit trail.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelinePage {
    /// The events, oldest first.
    pub events: Vec<ReportEvent>,
    /// The cursor of the page before these (an opaque key), if older events exist.
    pub earlier: Option<String>,
}

/// Whether `cursor` could be one of [`TimelinePage::earlier`]'s: an audit event's key.
pub fn is_timeline_cursor(cursor: &str) -> bool {
    cursor.starts_with("E#") && cursor.len() <= 64 && cursor.bytes().all(|b| b.is_ascii_graphic())
}

fn is_event(item: &Item) -> bool {
    ItemReader(item).s(SK).is_ok_and(|sk| sk.starts_with("E#"))
}

/// The newest `limit` of `items` (audit events, highest key first) as a page.
fn page_of<'a>(
    items: impl Iterator<Item = &'a Item>,
    limit: usize,
) -> Result<TimelinePage, StoreError> {
    let limit = limit.max(1);
    let newest: Vec<&Item> = items.take(limit + 1).collect();
    let earlier = (newest.len() > limit)
        .then(|| ItemReader(newest[limit - 1]).s(SK).map(str::to_string))
        .transpose()?;
    let mut events = newest
        .iter()
        .take(limit)
        .map(|item| event_from_item(item))
        .collect::<Result<Vec<_>, _>>()?;
    events.sort_by_key(|e| e.version);
    Ok(TimelinePage { events, earlier })
}

fn contact_from_item(item: &Item) -> Result<ReporterContact, StoreError> {
    let r = ItemReader(item);
    let corrupt = |what: &str| StoreError::Corrupt(format!("stored {what} does not parse"));
    Ok(ReporterContact {
        name: r.opt_s("name").map(Into::into),
        phone: r
            .opt_s("phone")
            .map(PhoneNumber::parse)
            .transpose()
            .map_err(|_| corrupt("phone"))?,
        email: r
            .opt_s("email")
            .map(Email::parse)
            .transpose()
            .map_err(|_| corrupt("email"))?,
    })
}

fn event_from_item(item: &Item) -> Result<ReportEvent, StoreError> {
    let r = ItemReader(item);
    let status = |name: &str| -> Result<Option<ReportStatus>, StoreError> {
        r.opt_s(name)
            .map(|v| {
                ReportStatus::parse(v).ok_or_else(|| StoreError::Corrupt(format!("status {v:?}")))
            })
            .transpose()
    };
    Ok(ReportEvent {
        at: r.ts("at")?,
        version: r.n("version")?,
        actor: r.s("actor")?.into(),
        action: r
            .opt_s("action")
            .map(|a| parse_enum::<ReportAction>(a, "action"))
            .transpose()?,
        from: status("from")?,
        to: status("to")?.ok_or_else(|| StoreError::Corrupt("event without status".into()))?,
        reason: r.opt_s("reason").map(Into::into),
        agency: r.opt_s("agency").map(Into::into),
    })
}

fn assignment_item(report: &Report, assignment: &Assignment) -> Result<Item, StoreError> {
    let id = report.id.as_str();
    let mut item = Item::new();
    item.insert(PK.into(), s(report_pk(id)));
    item.insert(SK.into(), s(format!("A#{}", assignment.agency)));
    item.insert("type".into(), s("assignment"));
    item.insert("id".into(), s(id));
    item.insert("title".into(), s(&report.title));
    item.insert("category".into(), s(&report.category));
    item.insert("report_status".into(), s(report.status.as_str()));
    if let Some(k) = &report.location.kecamatan {
        item.insert("kecamatan_name".into(), s(&k.name));
    }
    let json = serde_json::to_string(assignment).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    item.insert("assignment".into(), s(json));
    if assignment.is_open() {
        item.insert(GSI2PK.into(), s(agency_queue(&assignment.agency)));
        item.insert(GSI2SK.into(), s(format!("{}#{id}", ts(assignment.due_at))));
    }
    Ok(item)
}

/// The tracking id an index item points at.
fn item_id(item: &Item) -> Result<TrackingId, StoreError> {
    let reader = ItemReader(item);
    let id = reader.s("id")?;
    TrackingId::parse(id).map_err(|e| StoreError::Corrupt(format!("{id}: {e}")))
}

fn inbox_entry(item: &Item) -> Result<InboxEntry, StoreError> {
    let r = ItemReader(item);
    Ok(InboxEntry {
        report_id: r.s("id")?.into(),
        title: r.s("title")?.into(),
        category: r.s("category")?.into(),
        kecamatan: r.opt_s("kecamatan_name").map(Into::into),
        report_status: ReportStatus::parse(r.s("report_status")?)
            .ok_or_else(|| StoreError::Corrupt("assignment report status".into()))?,
        assignment: serde_json::from_str(r.s("assignment")?)
            .map_err(|e| StoreError::Corrupt(format!("assignment: {e}")))?,
    })
}

/// Work queue of announcements not yet handed to the notify queue.
pub const QUEUE_OUTBOX: &str = "Q#OUTBOX";

fn outbox_sk(version: u64) -> String {
    format!("O#{version:06}")
}

/// `R#<id>` / `O#<version>`: an announcement waiting to be enqueued.
fn outbox_item(report: &Report, message: &NotifyMessage) -> Result<Item, StoreError> {
    let id = report.id.as_str();
    let json = serde_json::to_string(message).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut item = Item::new();
    item.insert(PK.into(), s(report_pk(id)));
    item.insert(SK.into(), s(outbox_sk(report.version)));
    item.insert("type".into(), s("outbox"));
    item.insert("message".into(), s(json));
    item.insert(GSI2PK.into(), s(QUEUE_OUTBOX));
    item.insert(
        GSI2SK.into(),
        s(format!(
            "{}#{id}#{:06}",
            ts(report.updated_at),
            report.version
        )),
    );
    Ok(item)
}

/// An announcement still in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// The report it is about.
    pub report_id: TrackingId,
    /// The report version that wrote it (its key).
    pub version: u64,
    /// What to enqueue.
    pub message: NotifyMessage,
}

/// `P#<keyed hash of phone>` / `R#<id>`: a sender's reports, without the number.
fn sender_item(sender: &str, report: &Report) -> Item {
    let mut item = Item::new();
    item.insert(PK.into(), s(format!("P#{sender}")));
    item.insert(SK.into(), s(format!("R#{}", report.id)));
    item.insert("type".into(), s("sender"));
    item.insert("id".into(), s(report.id.as_str()));
    item.insert("received_at".into(), s(ts(report.received_at)));
    item
}

fn pii_item(id: &str, contact: &ReporterContact) -> Item {
    let mut item = Item::new();
    item.insert(PK.into(), s(report_pk(id)));
    item.insert(SK.into(), s("PII"));
    item.insert("type".into(), s("pii"));
    if let Some(name) = &contact.name {
        item.insert("name".into(), s(name));
    }
    if let Some(phone) = &contact.phone {
        item.insert("phone".into(), s(phone.as_e164()));
    }
    if let Some(email) = &contact.email {
        item.insert("email".into(), s(email.as_str()));
    }
    item
}

impl ReportStore {
    /// A store over `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    fn put(&self, item: Item, condition: &str) -> Result<TransactWriteItem, StoreError> {
        put_item(&self.table, item, condition)
    }

    async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
        on_condition: StoreError,
    ) -> Result<(), StoreError> {
        transact(&self.client, items, on_condition).await
    }

    /// Writes a new report, its creation event and (if any) the reporter's contact
    /// in one transaction. `AlreadyExists` if the id is taken.
    pub async fn create(
        &self,
        report: &Report,
        created: &ReportEvent,
        contact: &ReporterContact,
    ) -> Result<(), StoreError> {
        self.create_with(report, created, contact, Vec::new()).await
    }

    /// [`ReportStore::create`] with `also` written in the same transaction (e.g. the
    /// inbound message that asked for the report, marked handled); if any of `also`
    /// fails its condition the whole create fails with `AlreadyExists`.
    pub async fn create_with(
        &self,
        report: &Report,
        created: &ReportEvent,
        contact: &ReporterContact,
        also: Vec<TransactWriteItem>,
    ) -> Result<(), StoreError> {
        let id = report.id.as_str();
        let mut items = vec![
            self.put(report_item(report), "attribute_not_exists(PK)")?,
            self.put(event_item(id, created), "attribute_not_exists(PK)")?,
        ];
        if !contact.is_empty() {
            items.push(self.put(pii_item(id, contact), "attribute_not_exists(PK)")?);
        }
        if let Some(sender) = &report.sender {
            items.push(self.put(sender_item(sender, report), "attribute_not_exists(PK)")?);
        }
        items.extend(also);
        self.transact(items, StoreError::AlreadyExists).await
    }

    /// Saves `next` (produced by [`Report::apply`] from the version read) with its event,
    /// only if nobody changed the report since: one conditional transaction.
    pub async fn save_transition(
        &self,
        previous: &Report,
        next: &Report,
        event: &ReportEvent,
    ) -> Result<(), StoreError> {
        self.save_change(previous, next, event, None).await
    }

    /// [`ReportStore::save_transition`] plus an outbox entry holding the announcement,
    /// written in the same transaction so it cannot be lost (see [`ReportStore::outbox`]).
    pub async fn save_change(
        &self,
        previous: &Report,
        next: &Report,
        event: &ReportEvent,
        announcement: Option<&NotifyMessage>,
    ) -> Result<(), StoreError> {
        self.save_change_with(previous, next, event, announcement, Vec::new())
            .await
    }

    /// [`ReportStore::save_change`] with `also` written in the same transaction; any
    /// condition failing there is a `Conflict` too.
    pub async fn save_change_with(
        &self,
        previous: &Report,
        next: &Report,
        event: &ReportEvent,
        announcement: Option<&NotifyMessage>,
        also: Vec<TransactWriteItem>,
    ) -> Result<(), StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(report_item(next)))
            .condition_expression("#version = :version AND #status = :status")
            .expression_attribute_names("#version", "version")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":version", n(previous.version))
            .expression_attribute_values(":status", s(previous.status.as_str()))
            .build()
            .map_err(StoreError::aws)?;
        let mut items = vec![
            TransactWriteItem::builder().put(put).build(),
            self.put(
                event_item(next.id.as_str(), event),
                "attribute_not_exists(PK)",
            )?,
        ];
        if let Some(message) = announcement {
            items.push(self.put(outbox_item(next, message)?, "attribute_not_exists(PK)")?);
        }
        // Assignment items mirror the report (inbox lines); the META condition above
        // guards the whole transaction, so they need no condition of their own.
        for assignment in &next.assignments {
            items.push(put_mirror(&self.table, assignment_item(next, assignment)?)?);
        }
        // The agency record's facts ride on the same transaction: counted exactly
        // when the change lands, never twice (the key holds the version).
        for fact in record::facts(previous, next) {
            items.push(put_mirror(&self.table, fact_item(next, &fact))?);
        }
        items.extend(also);
        self.transact(items, StoreError::Conflict).await
    }

    /// The report, read consistently; `None` if there is no such report.
    pub async fn get(&self, id: &TrackingId) -> Result<Option<Report>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(report_pk(id.as_str())))
            .key(SK, s("META"))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::aws)?;
        out.item().map(report_from_item).transpose()
    }

    /// At most `limit` audit events before the cursor `before` (from an earlier page;
    /// `None`: the newest), oldest first, with the cursor of the page before them.
    /// Reads only `E#` items: never the PII item.
    pub async fn timeline_page(
        &self,
        id: &TrackingId,
        before: Option<&str>,
        limit: usize,
    ) -> Result<TimelinePage, StoreError> {
        let upper = before.unwrap_or("E#~");
        let items = self.newest_first(id, "E#", upper, limit).await?;
        let events = items
            .iter()
            .filter(|item| ItemReader(item).s(SK).is_ok_and(|sk| Some(sk) != before));
        page_of(events, limit)
    }

    /// Items of the report's partition with a sort key in `[first, last]`, highest key
    /// first, read consistently until more than `events` audit events are held (one
    /// more than asked for says that older ones exist) or the range ends.
    async fn newest_first(
        &self,
        id: &TrackingId,
        first: &str,
        last: &str,
        events: usize,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items: Vec<Item> = Vec::new();
        let mut start = None;
        // A few more than the events: META, PII and the outbox share the range.
        let per_read = i32::try_from(events + 8).unwrap_or(i32::MAX);
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("PK = :pk AND SK BETWEEN :first AND :last")
                .expression_attribute_values(":pk", s(report_pk(id.as_str())))
                .expression_attribute_values(":first", s(first))
                .expression_attribute_values(":last", s(last))
                .scan_index_forward(false)
                .limit(per_read)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(StoreError::aws)?;
            items.extend(out.items().iter().cloned());
            start = out.last_evaluated_key().cloned();
            let held = items.iter().filter(|i| is_event(i)).count();
            if held > events || start.is_none() {
                return Ok(items);
            }
        }
    }

    /// Public reports received in `[start, end]` that are `wanted`, newest first:
    /// the scan stops at `limit` of them or after `scan` index entries (Open311
    /// lists). Reads one GSI4 month partition after another.
    pub async fn public_between(
        &self,
        start: Timestamp,
        end: Timestamp,
        wanted: impl Fn(&Report) -> bool,
        limit: usize,
        scan: usize,
    ) -> Result<Vec<Report>, StoreError> {
        let mut reports = Vec::new();
        let mut scanned = 0;
        let mut month = end;
        let first = public_month(start);
        // A 90-day window spans at most four months; the bound only guards bad input.
        for _ in 0..13 {
            let partition = public_month(month);
            let mut from = None;
            loop {
                let out = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .index_name(GSI4)
                    .key_condition_expression("GSI4PK = :month AND GSI4SK BETWEEN :start AND :end")
                    .expression_attribute_values(":month", s(&partition))
                    .expression_attribute_values(":start", s(ts(start)))
                    .expression_attribute_values(":end", s(format!("{}#~", ts(end))))
                    .scan_index_forward(false)
                    .set_exclusive_start_key(from)
                    .send()
                    .await
                    .map_err(StoreError::aws)?;
                for item in out.items() {
                    if reports.len() >= limit || scanned >= scan {
                        return Ok(reports);
                    }
                    scanned += 1;
                    let report = report_from_item(item)?;
                    if wanted(&report) {
                        reports.push(report);
                    }
                }
                from = out.last_evaluated_key().cloned();
                if from.is_none() {
                    break;
                }
            }
            if partition == first {
                return Ok(reports);
            }
            // The previous month: any instant in it will do.
            month = month
                .checked_sub(jiff::SignedDuration::from_hours(24 * 28))
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            if public_month(month) == partition {
                month = month
                    .checked_sub(jiff::SignedDuration::from_hours(24 * 3))
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            }
        }
        Ok(reports)
    }

    /// Sketches of the open reports of `category` received at or after `since`, newest
    /// first (for duplicate detection; the index is eventually consistent, which is
    /// fine here). Only the sketch's attributes are read.
    pub async fn open_in_category(
        &self,
        category: &str,
        since: Timestamp,
        limit: i32,
    ) -> Result<Vec<ReportSketch>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI3)
            .key_condition_expression("GSI3PK = :category AND GSI3SK >= :since")
            .expression_attribute_values(":category", s(format!("CAT#{category}")))
            .expression_attribute_values(":since", s(ts(since)))
            .projection_expression(
                "id, category, #status, lat, lon, kecamatan_code, kecamatan_name",
            )
            .expression_attribute_names("#status", "status")
            .scan_index_forward(false)
            .limit(limit)
            .send()
            .await
            .map_err(StoreError::aws)?;
        out.items().iter().map(sketch_from_item).collect()
    }

    /// The first `limit` items of a GSI2 partition, in sort-key order, optionally
    /// only those sorting before `before` (time-ordered queues).
    async fn work_queue_items(
        &self,
        partition: &str,
        before: Option<Timestamp>,
        limit: i32,
    ) -> Result<Vec<Item>, StoreError> {
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(GSI2)
            .expression_attribute_values(":queue", s(partition))
            .limit(limit);
        query = match before {
            None => query.key_condition_expression("GSI2PK = :queue"),
            Some(at) => query
                .key_condition_expression("GSI2PK = :queue AND GSI2SK < :before")
                .expression_attribute_values(":before", s(ts(at))),
        };
        Ok(query
            .send()
            .await
            .map_err(StoreError::aws)?
            .items()
            .to_vec())
    }

    /// Announcements committed before `before` and not yet enqueued, oldest first.
    pub async fn outbox(
        &self,
        before: Timestamp,
        limit: i32,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        self.work_queue_items(QUEUE_OUTBOX, Some(before), limit)
            .await?
            .iter()
            .map(|item| {
                let r = ItemReader(item);
                let message: NotifyMessage = serde_json::from_str(r.s("message")?)
                    .map_err(|e| StoreError::Corrupt(format!("outbox message: {e}")))?;
                let report_id = TrackingId::parse(&message.report_id)
                    .map_err(|e| StoreError::Corrupt(format!("outbox report id: {e}")))?;
                Ok(OutboxEntry {
                    report_id,
                    version: message.version,
                    message,
                })
            })
            .collect()
    }

    /// Removes an announcement once it is on the notify queue.
    pub async fn clear_outbox(
        &self,
        report_id: &TrackingId,
        version: u64,
    ) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(PK, s(report_pk(report_id.as_str())))
            .key(SK, s(outbox_sk(version)))
            .send()
            .await
            .map_err(StoreError::aws)?;
        Ok(())
    }

    /// The latest reports of one sender (by keyed phone hash).
    pub async fn by_sender(&self, sender: &str, limit: i32) -> Result<Vec<TrackingId>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :sender")
            .expression_attribute_values(":sender", s(format!("P#{sender}")))
            .scan_index_forward(false)
            .limit(limit)
            .send()
            .await
            .map_err(StoreError::aws)?;
        out.items().iter().map(item_id).collect()
    }

    /// Reports merged into `target` (whose reporters follow it).
    pub async fn merged_into(&self, target: &TrackingId) -> Result<Vec<TrackingId>, StoreError> {
        self.work_queue_items(&duplicates_partition(target.as_str()), None, 100)
            .await?
            .iter()
            .map(item_id)
            .collect()
    }

    /// A work queue (GSI2) of reports, in queue order.
    pub async fn queue(&self, queue: &str, limit: i32) -> Result<Vec<Report>, StoreError> {
        self.work_queue_items(queue, None, limit)
            .await?
            .iter()
            .map(report_from_item)
            .collect()
    }

    /// Every open report (each open work queue, every page): the supervisor's
    /// figures, which follow the backlog and not the archive.
    pub async fn open_reports(&self) -> Result<Vec<Report>, StoreError> {
        let mut reports = Vec::new();
        for (queue, _) in OPEN_QUEUES {
            for item in whole_index_partition(&self.client, &self.table, GSI2, queue).await? {
                reports.push(report_from_item(&item)?);
            }
        }
        Ok(reports)
    }

    /// An agency's open assignments, earliest deadline first.
    pub async fn inbox(&self, agency: &str, limit: i32) -> Result<Vec<InboxEntry>, StoreError> {
        self.work_queue_items(&agency_queue(agency), None, limit)
            .await?
            .iter()
            .map(inbox_entry)
            .collect()
    }

    /// How many items a GSI key condition matches (counted by DynamoDB, paginated).
    async fn count(
        &self,
        index: &str,
        condition: &str,
        values: Vec<(&str, String)>,
    ) -> Result<u64, StoreError> {
        let mut total = 0u64;
        let mut start = None;
        loop {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression(condition)
                .select(aws_sdk_dynamodb::types::Select::Count)
                .set_exclusive_start_key(start);
            for (name, value) in &values {
                query = query.expression_attribute_values(*name, s(value));
            }
            let out = query.send().await.map_err(StoreError::aws)?;
            total += u64::try_from(out.count()).unwrap_or_default();
            start = out.last_evaluated_key().cloned();
            if start.is_none() {
                return Ok(total);
            }
        }
    }

    /// Reports in each open status.
    pub async fn counts_by_status(&self) -> Result<Vec<(ReportStatus, u64)>, StoreError> {
        let mut counts = Vec::new();
        for (queue, status) in OPEN_QUEUES {
            counts.push((
                status,
                self.count(GSI2, "GSI2PK = :q", vec![(":q", queue.to_string())])
                    .await?,
            ));
        }
        Ok(counts)
    }

    /// Reports with a breached deadline (every `LATE#` shard of the due queue).
    pub async fn overdue(&self) -> Result<u64, StoreError> {
        let mut total = 0;
        for shard in 0..DUE_SHARDS {
            total += self
                .count(
                    GSI1,
                    "GSI1PK = :shard",
                    vec![(":shard", format!("{LATE_PREFIX}{shard}"))],
                )
                .await?;
        }
        Ok(total)
    }

    /// Reports with an SLA step due before `now`: every shard of both due-queue
    /// partitions, only the keys that sort before `now`, so the cost follows the
    /// number due and not the number of open reports. At most `limit` per shard.
    pub async fn due(&self, now: Timestamp, limit: i32) -> Result<DueReports, StoreError> {
        let mut due = DueReports::default();
        for prefix in [DUE_PREFIX, LATE_PREFIX] {
            for shard in 0..DUE_SHARDS {
                let out = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .index_name(GSI1)
                    .key_condition_expression("GSI1PK = :shard AND GSI1SK < :now")
                    .expression_attribute_values(":shard", s(format!("{prefix}{shard}")))
                    .expression_attribute_values(":now", s(ts(now)))
                    .projection_expression("id")
                    .limit(limit)
                    .send()
                    .await
                    .map_err(StoreError::aws)?;
                due.requests += 1;
                due.items_read += u64::try_from(out.scanned_count()).unwrap_or_default();
                for item in out.items() {
                    due.ids.push(item_id(item)?);
                }
            }
        }
        Ok(due)
    }

    /// The reporter's identity and contact. Personal data: only authorised paths call
    /// this (notify, the verifying admin); the public and agency views never do.
    pub async fn reporter_contact(&self, id: &TrackingId) -> Result<ReporterContact, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK, s(report_pk(id.as_str())))
            .key(SK, s("PII"))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::aws)?;
        out.item()
            .map(contact_from_item)
            .transpose()
            .map(Option::unwrap_or_default)
    }

    /// The report and its reporter's contact in one `BatchGetItem` (notify, texting
    /// the reporter). Personal data, like `reporter_contact`.
    pub async fn with_contact(
        &self,
        id: &TrackingId,
    ) -> Result<Option<(Report, ReporterContact)>, StoreError> {
        let pk = report_pk(id.as_str());
        let key = |sk: &str| HashMap::from([(PK.to_string(), s(&pk)), (SK.to_string(), s(sk))]);
        let mut wanted = Some(
            KeysAndAttributes::builder()
                .keys(key("META"))
                .keys(key("PII"))
                .consistent_read(true)
                .build()
                .map_err(StoreError::aws)?,
        );
        let mut items = Vec::new();
        // Keys DynamoDB did not get to (throttling) are asked for again, a few times.
        for _ in 0..5 {
            let Some(keys) = wanted.take() else { break };
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, keys)
                .send()
                .await
                .map_err(StoreError::aws)?;
            if let Some(found) = out.responses().and_then(|r| r.get(&self.table)) {
                items.extend(found.iter().cloned());
            }
            wanted = out
                .unprocessed_keys()
                .and_then(|u| u.get(&self.table))
                .filter(|k| !k.keys().is_empty())
                .cloned();
        }
        if wanted.is_some() {
            return Err(StoreError::Throttled);
        }
        let mut report = None;
        let mut contact = ReporterContact::default();
        for item in &items {
            match ItemReader(item).s(SK)? {
                "META" => report = Some(report_from_item(item)?),
                _ => contact = contact_from_item(item)?,
            }
        }
        Ok(report.map(|r| (r, contact)))
    }

    /// The report with its timeline and, when `shows_contact` allows it for this
    /// report, its reporter's contact: one `Query` of the report's partition (`E#` to
    /// `PII`; the delivery and assignment items sort before it and are not read). A
    /// contact the reader may not see is dropped unparsed.
    pub async fn file(
        &self,
        id: &TrackingId,
        shows_contact: impl Fn(&Report) -> bool,
    ) -> Result<Option<ReportFile>, StoreError> {
        let mut meta = None;
        let mut contact = None;
        let items = self.newest_first(id, "E#", "PII", TIMELINE_PAGE).await?;
        for item in &items {
            match ItemReader(item).s(SK)? {
                "META" => meta = Some(report_from_item(item)?),
                "PII" => contact = Some(item.clone()),
                // Events are paged below; the outbox (`O#`) lies in the range too.
                _ => {}
            }
        }
        let Some(report) = meta else {
            return Ok(None);
        };
        let TimelinePage {
            events: timeline,
            earlier,
        } = page_of(items.iter().filter(|i| is_event(i)), TIMELINE_PAGE)?;
        let contact = if shows_contact(&report) {
            Some(
                contact
                    .as_ref()
                    .map(contact_from_item)
                    .transpose()?
                    .unwrap_or_default(),
            )
        } else {
            None
        };
        Ok(Some(ReportFile {
            report,
            timeline,
            earlier,
            contact,
        }))
    }

    /// Reports still waiting for triage that were received before `before`, oldest
    /// first: the safety net for an intake enqueue that failed.
    pub async fn awaiting_triage(
        &self,
        before: Timestamp,
        limit: i32,
    ) -> Result<Vec<TrackingId>, StoreError> {
        self.work_queue_items(QUEUE_TRIAGE, Some(before), limit)
            .await?
            .iter()
            .map(item_id)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::location::GeoPoint;
    use crate::domain::photo::{
        Capture, PerceptualHash, Photo, PhotoBytes, PhotoFlag, PhotoId, PhotoPurpose, PhotoRefusal,
        PhotoState, ReadyPhoto,
    };
    use crate::domain::report::Channel;

    #[test]
    fn a_report_with_photos_in_every_state_reads_back_as_it_was_stored() {
        let at: Timestamp = "2026-12-03T04:00:00Z".parse().unwrap();
        let id = |n: u8| PhotoId::from_random_bytes(&[n; 12]).unwrap();
        let mut report = Report::received(
            TrackingId::from_random_bytes(&[3, 1, 4, 1, 5, 9]).unwrap(),
            Channel::Web,
            at,
        );
        report.photos = vec![
            Photo {
                id: id(1),
                purpose: PhotoPurpose::Evidence,
                state: PhotoState::Pending,
                requested_at: at,
                by: "citizen".into(),
            },
            Photo {
                id: id(2),
                purpose: PhotoPurpose::FollowUp {
                    agency: "dsdabm".into(),
                },
                state: PhotoState::Ready(ReadyPhoto {
                    width: 1200,
                    height: 1600,
                    bytes: PhotoBytes {
                        original: 2_500_000,
                        display: 240_000,
                        thumbnail: 11_000,
                    },
                    hash: PerceptualHash(u64::MAX - 5),
                    capture: Capture {
                        at: Some(at),
                        position: Some(GeoPoint::parse(52.37, 4.89).unwrap()),
                    },
                    flags: vec![PhotoFlag::FarFromReport { metres: 11_400_000 }],
                }),
                requested_at: at,
                by: "agency:dsdabm:officer-1".into(),
            },
            Photo {
                id: id(3),
                purpose: PhotoPurpose::Evidence,
                state: PhotoState::Refused {
                    refusal: PhotoRefusal::TooManyPixels {
                        width: 100_000,
                        height: 100_000,
                    },
                },
                requested_at: at,
                by: "citizen".into(),
            },
        ];
        let item = report_item(&report);
        assert_eq!(report_from_item(&item).unwrap(), report);
        // A report without photos stores no attribute for them.
        report.photos.clear();
        assert!(!report_item(&report).contains_key("photos"));
        assert_eq!(report_from_item(&report_item(&report)).unwrap(), report);
    }
}
