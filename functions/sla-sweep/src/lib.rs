//! `sla-sweep`: enforces the LAPOR! deadlines (architecture §6) every five minutes,
//! and every hour rolls up the agency record those deadlines feed ([`record`]).
//!
//! One run:
//! 1. reads the due queue (GSI1), every shard of the running and the breached
//!    partitions, only keys sorting before now: reports with a step due, and nothing
//!    else, so the cost follows the number due and not the number of open reports;
//! 2. re-reads each such report on the base table and works out its due steps
//!    (`sigap::domain::sla`): a reminder, a breach, a repeat escalation or auto-close;
//! 3. commits each step with one conditional write (report + audit event + outbox
//!    announcement); `notify` then tells the owner, and the supervisors through the
//!    `sla-alerts` topic.
//!
//! Overlapping runs: both may read the same report, but only one conditional write
//! per version wins; the loser re-reads, finds the step done, and does nothing. A
//! crash between commit and enqueue leaves the announcement in the outbox (sent by
//! `verify`'s recovery job); a crash before the commit leaves the report in the due
//! queue for the next run. Notifications are keyed by report version, so nobody is
//! told twice.

pub mod record;

use sigap::runtime::function::{Dependencies, EventFunction, Function, StartError};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sigap::adapters::calendar::{CalendarCache, CalendarStore};
use sigap::adapters::catalog::{CatalogCache, CatalogStore};
use sigap::adapters::queue::JsonQueue;
use sigap::adapters::record::RecordStore;
use sigap::adapters::reports::ReportStore;
use sigap::adapters::table::StoreError;
use sigap::domain::calendar::{CalendarError, HolidayData, WorkingCalendar};
use sigap::domain::deadline::ClockKind;
use sigap::domain::report::{Report, ReportAction};
use sigap::domain::sla::sla_steps;
use sigap::domain::tracking_id::TrackingId;
use sigap::domain::workflow::Change;
use sigap::runtime::aws::AwsClients;
use sigap::runtime::clock::Clock;
use sigap::runtime::config::{ConfigError, Settings};
use sigap::runtime::metrics::{Unit, emf_record, publish};
use sigap::service::changes::ChangeLog;
use tracing::{info, warn};

/// Most due reports taken per shard and partition in one run (16 × this in all);
/// the next run takes the rest. Sized so a run fits the function's timeout.
pub const PER_SHARD_LIMIT: i32 = 50;
/// Reports worked on at once.
const CONCURRENCY: usize = 8;

/// Settings `sla-sweep` reads from its environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// The single table.
    pub table_name: String,
    /// URL of the `notify` queue.
    pub notify_queue_url: String,
}

impl Config {
    /// Reads `TABLE_NAME` and `NOTIFY_QUEUE_URL`.
    pub fn load(settings: &Settings) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: settings.required("TABLE_NAME")?,
            notify_queue_url: settings.required("NOTIFY_QUEUE_URL")?,
        })
    }
}

/// Everything the handler needs, built once per process.
pub struct SlaSweep {
    reports: ReportStore,
    record: RecordStore,
    catalog: CatalogCache,
    changes: ChangeLog,
    calendar: CalendarCache,
    clock: Arc<dyn Clock>,
}

impl SlaSweep {
    /// Wires the stores; the calendar is the table's, or the bundled file until seeded.
    pub fn new(
        config: &Config,
        clients: &AwsClients,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, CalendarError> {
        let table = &config.table_name;
        let reports = ReportStore::new(clients.dynamodb.clone(), table);
        Ok(Self {
            changes: ChangeLog::new(
                reports.clone(),
                JsonQueue::new(clients.sqs.clone(), &config.notify_queue_url),
            ),
            reports,
            record: RecordStore::new(clients.dynamodb.clone(), table),
            catalog: CatalogCache::new(CatalogStore::new(clients.dynamodb.clone(), table)),
            calendar: CalendarCache::new(
                CalendarStore::new(clients.dynamodb.clone(), table),
                HolidayData::bundled()?,
            ),
            clock,
        })
    }
}

/// The scheduler's input: `{"job":"sla-sweep"}` or `{"job":"agency-record"}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepEvent {
    /// `sla-sweep` or `agency-record`.
    pub job: String,
}

/// Why a run failed as a whole (the scheduler retries it; its DLQ keeps the event).
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// Not the scheduler's input.
    #[error("unexpected input: {0}")]
    Input(String),
    /// The due queue or the calendar could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What one run did, returned to the scheduler and printed by `make bench`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Reports the due queue returned.
    pub due: usize,
    /// Reminders recorded.
    pub reminders: usize,
    /// Breaches recorded (first escalation).
    pub breaches: usize,
    /// Repeat escalations recorded.
    pub escalations: usize,
    /// Reports auto-closed.
    pub auto_closed: usize,
    /// Steps another writer got to first (another run, or a person acting).
    pub lost_races: usize,
    /// Reports that failed (left in the due queue for the next run).
    pub failed: usize,
    /// Items DynamoDB read: index items of the due queue plus reports re-read.
    pub items_read: u64,
    /// Requests to DynamoDB and SQS.
    pub requests: u64,
    /// Wall time of the run, in milliseconds.
    pub duration_ms: u64,
    /// Of which reading the due queue (the 16 index queries), in milliseconds.
    pub due_query_ms: u64,
    /// This year and next, where the calendar has no confirmed holidays yet: their
    /// deadlines are provisional until an admin loads them (alarm on it).
    pub unconfirmed_years: Vec<i16>,
}

/// The Lambda handler: one sweep, or one roll-up of the agency record, per
/// scheduled event.
pub async fn handle(
    app: &SlaSweep,
    payload: serde_json::Value,
) -> Result<serde_json::Value, lambda_runtime::Error> {
    let expected = r#"expected {"job":"sla-sweep"} or {"job":"agency-record"}"#;
    let event: SweepEvent = serde_json::from_value(payload)
        .map_err(|e| SweepError::Input(format!("{expected}: {e}")))?;
    match event.job.as_str() {
        "sla-sweep" => Ok(serde_json::to_value(sweep(app).await?)?),
        "agency-record" => Ok(serde_json::to_value(
            record::roll_up(app).await.map_err(SweepError::Store)?,
        )?),
        other => Err(SweepError::Input(format!("unknown job {other:?}; {expected}")).into()),
    }
}

/// What happened to one report.
#[derive(Default)]
struct Worked {
    steps: Vec<Change>,
    lost_races: usize,
    failed: bool,
    items_read: u64,
    requests: u64,
}

/// One run over everything due now.
pub async fn sweep(app: &SlaSweep) -> Result<SweepReport, SweepError> {
    let started = Instant::now();
    let now = app.clock.now();
    let calendar = app.calendar.current().await?;
    let mut due = app.reports.due(now, PER_SHARD_LIMIT).await?;
    let due_query_ms = millis_since(started);
    due.ids.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    due.ids.dedup();
    let report = SweepReport {
        due: due.ids.len(),
        items_read: due.items_read,
        requests: due.requests,
        due_query_ms,
        ..SweepReport::default()
    };
    let pending = due.ids.into_iter().map(|id| (id, None)).collect();
    Ok(run(app, now, &calendar, pending, report, started).await)
}

/// Acts on reports read earlier, exactly as a run that read them just before
/// another writer changed them would: a stale one loses its conditional write,
/// is re-read, and is acted on only if something is still due. (Tests use this to
/// replay two overlapping runs deterministically.)
pub async fn act_on(app: &SlaSweep, read: Vec<Report>) -> Result<SweepReport, SweepError> {
    let started = Instant::now();
    let now = app.clock.now();
    let calendar = app.calendar.current().await?;
    let report = SweepReport {
        due: read.len(),
        ..SweepReport::default()
    };
    let pending = read.into_iter().map(|r| (r.id.clone(), Some(r))).collect();
    Ok(run(app, now, &calendar, pending, report, started).await)
}

/// Works on every pending report (some possibly read already), then totals, logs
/// and publishes what happened.
async fn run(
    app: &SlaSweep,
    now: Timestamp,
    calendar: &WorkingCalendar,
    pending: Vec<(TrackingId, Option<Report>)>,
    mut report: SweepReport,
    started: Instant,
) -> SweepReport {
    let worked: Vec<Worked> = futures::stream::iter(pending)
        .map(|(id, read)| async move { work_on(app, &id, read, now, calendar).await })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    // Breaches by stage and agency, reminders by stage: the EMF dimensions.
    let mut breaches: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut reminders: BTreeMap<String, usize> = BTreeMap::new();
    for w in worked {
        report.lost_races += w.lost_races;
        report.failed += usize::from(w.failed);
        report.items_read += w.items_read;
        report.requests += w.requests;
        for change in &w.steps {
            let stage = change
                .report
                .clock
                .map(|c| stage_name(c.kind))
                .unwrap_or("auto_close");
            match change.event.action {
                Some(ReportAction::Remind) => {
                    report.reminders += 1;
                    *reminders.entry(stage.to_string()).or_default() += 1;
                }
                Some(ReportAction::Breach) => {
                    report.breaches += 1;
                    let agency = change.event.agency.clone().unwrap_or("admin".into());
                    *breaches.entry((stage.to_string(), agency)).or_default() += 1;
                }
                Some(ReportAction::Escalate) => report.escalations += 1,
                Some(ReportAction::AutoClose) => report.auto_closed += 1,
                _ => {}
            }
        }
    }
    report.duration_ms = millis_since(started);
    report.unconfirmed_years = calendar.unconfirmed_ahead(now);
    publish_metrics(&report, &breaches, &reminders, now);
    info!(
        due = report.due,
        reminders = report.reminders,
        breaches = report.breaches,
        escalations = report.escalations,
        auto_closed = report.auto_closed,
        lost_races = report.lost_races,
        failed = report.failed,
        items_read = report.items_read,
        requests = report.requests,
        duration_ms = report.duration_ms,
        "sla sweep done"
    );
    report
}

/// Reads one report on the base table (unless `read` already holds it) and commits
/// every step due on it, in order. A lost race re-reads once: whoever won may have
/// done the step already (another run) or changed the report so that nothing is due
/// (a person acting); a second loss leaves it to the next run.
async fn work_on(
    app: &SlaSweep,
    id: &TrackingId,
    mut read: Option<Report>,
    now: Timestamp,
    calendar: &WorkingCalendar,
) -> Worked {
    let mut worked = Worked::default();
    for _attempt in 0..2 {
        let report = match read.take() {
            Some(report) => report,
            None => {
                worked.requests += 1;
                match app.reports.get(id).await {
                    Ok(Some(report)) => {
                        worked.items_read += 1;
                        report
                    }
                    Ok(None) => return worked,
                    Err(err) => {
                        warn!(report_id = %id, error = %err, "reading a due report failed");
                        worked.failed = true;
                        return worked;
                    }
                }
            }
        };
        match commit_steps(app, &report, now, calendar, &mut worked).await {
            Ok(()) => return worked,
            Err(StoreError::Conflict) => worked.lost_races += 1,
            Err(err) => {
                warn!(report_id = %id, error = %err, "sla step failed; the next run retries");
                worked.failed = true;
                return worked;
            }
        }
    }
    worked
}

async fn commit_steps(
    app: &SlaSweep,
    report: &Report,
    now: Timestamp,
    calendar: &WorkingCalendar,
    worked: &mut Worked,
) -> Result<(), StoreError> {
    let changes = match sla_steps(report, now, calendar) {
        Ok(changes) => changes,
        Err(err) => {
            // The due queue said a step is due but the rules refuse it: a stale
            // index entry or a rule gap. Logged; the report is left as it is.
            warn!(report_id = %report.id, error = %err, "no sla step applies");
            return Ok(());
        }
    };
    let mut previous = report.clone();
    for change in changes {
        // The write, then the enqueue and the outbox clear.
        worked.requests += if change.notify.is_some() { 3 } else { 1 };
        app.changes.commit(&previous, &change).await?;
        info!(
            report_id = %report.id,
            step = ?change.event.action,
            agency = change.event.agency.as_deref().unwrap_or("admin"),
            "sla step"
        );
        previous = change.report.clone();
        worked.steps.push(change);
    }
    Ok(())
}

fn millis_since(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// The stage as a metric dimension value.
fn stage_name(kind: ClockKind) -> &'static str {
    match kind {
        ClockKind::Verification => "verification",
        ClockKind::FollowUp => "follow_up",
        ClockKind::AutoClose => "auto_close",
    }
}

/// Breaches by stage and agency, reminders by stage, and the run's cost, in EMF.
fn publish_metrics(
    report: &SweepReport,
    breaches: &BTreeMap<(String, String), usize>,
    reminders: &BTreeMap<String, usize>,
    now: Timestamp,
) {
    for ((stage, agency), count) in breaches {
        publish(&emf_record(
            now,
            &[("Stage", stage), ("Agency", agency)],
            &[("Breaches", Unit::Count, *count as f64)],
        ));
    }
    for (stage, count) in reminders {
        publish(&emf_record(
            now,
            &[("Stage", stage)],
            &[("RemindersSent", Unit::Count, *count as f64)],
        ));
    }
    publish(&emf_record(
        now,
        &[("Function", "sla-sweep")],
        &[
            (
                "SweepDuration",
                Unit::Milliseconds,
                report.duration_ms as f64,
            ),
            (
                "DueQueryDuration",
                Unit::Milliseconds,
                report.due_query_ms as f64,
            ),
            (
                "UnconfirmedCalendarYears",
                Unit::Count,
                report.unconfirmed_years.len() as f64,
            ),
            ("ItemsRead", Unit::Count, report.items_read as f64),
            ("DueReports", Unit::Count, report.due as f64),
            ("Escalations", Unit::Count, report.escalations as f64),
            // All breaches of the run in one series, for the alarm.
            (
                "BreachesMarked",
                Unit::Count,
                breaches.values().sum::<usize>() as f64,
            ),
            ("AutoClosed", Unit::Count, report.auto_closed as f64),
            ("SweepFailures", Unit::Count, report.failed as f64),
        ],
    ));
}

impl Function for SlaSweep {
    const NAME: &'static str = "sla-sweep";

    fn build(settings: &Settings, deps: &Dependencies) -> Result<Self, StartError> {
        let config = Config::load(settings)?;
        Self::new(&config, &deps.clients, deps.clock.clone())
            .map_err(|e| StartError::setup("sla-sweep", e))
    }
}

impl EventFunction for SlaSweep {
    fn handle(
        &self,
        payload: serde_json::Value,
    ) -> impl std::future::Future<Output = Result<serde_json::Value, lambda_runtime::Error>> + Send
    {
        handle(self, payload)
    }
}
