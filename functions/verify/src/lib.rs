//! `verify`: automatic triage of every new report before a human verifies it.
//!
//! Triage records suggestions on the report for the verifying admin, never decisions
//! (`sigap::domain::triage`): cleaned text, phone numbers and NIKs to redact, a
//! category and agency with the keyword rule that fired, nearby open reports of the
//! same category, and an emergency flag that puts the report first in the admin's
//! queue.
//!
//! Two triggers, one job:
//! - SQS `intake`: each message names a report; it moves `received` →
//!   `pending_verification` with its audit event and triage result, in one write. Duplicate deliveries are harmless
//!   (a report already past `received` is left alone) and failures are reported per
//!   message (`ReportBatchItemFailures`), so one bad message never retries the batch.
//! - A schedule (`{"job":"recover-stranded"}`): triages reports that sat in `received`
//!   longer than they should, because their enqueue failed after they were stored, and
//!   sends announcements left in the outbox for the same reason (`sigap::service::changes`).
//!

use sigap::runtime::function::{Dependencies, EventFunction, Function, StartError};
use std::sync::Arc;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use jiff::SignedDuration;
use serde::Deserialize;
use sigap::adapters::catalog::{CatalogCache, CatalogStore};
use sigap::adapters::queue::{IntakeMessage, JsonQueue};
use sigap::adapters::reports::ReportStore;
use sigap::adapters::table::StoreError;
use sigap::domain::duplicates::{nearby_candidates, with_same_sender};
use sigap::domain::notification::{NotificationKind, NotifyMessage};
use sigap::domain::report::{Actor, Report, ReportAction, ReportStatus};
use sigap::domain::tracking_id::TrackingId;
use sigap::domain::triage::{TriageResult, TriageRules, triage_text};
use sigap::runtime::aws::AwsClients;
use sigap::runtime::batch::process_batch;
use sigap::runtime::clock::Clock;
use sigap::runtime::config::{ConfigError, Settings};
use sigap::service::changes::ChangeLog;
use sigap::service::{Conflicting, retry_on_conflict};
use tracing::{error, info, warn};

/// Who the audit trail says triaged a report.
pub const ACTOR: Actor = Actor::System("verify");
/// Most stranded reports recovered per scheduled run (the next run takes the rest).
const RECOVERY_BATCH: i32 = 100;
/// Most of one sender's latest reports compared.
const SENDER_SCAN: i32 = 10;
/// Most same-category reports compared for duplicates.
const DUPLICATE_SCAN: i32 = 100;

/// Settings `verify` reads from its environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// The single table.
    pub table_name: String,
    /// URL of the `notify` queue.
    pub notify_queue_url: String,
    /// A report still `received` this long after arrival is considered stranded.
    pub stranded_after: SignedDuration,
}

impl Config {
    /// Reads `TABLE_NAME`, `NOTIFY_QUEUE_URL` and optional `STRANDED_AFTER_SECONDS` (default 120).
    pub fn load(settings: &Settings) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: settings.required("TABLE_NAME")?,
            notify_queue_url: settings.required("NOTIFY_QUEUE_URL")?,
            stranded_after: SignedDuration::from_secs(
                settings.parsed_or("STRANDED_AFTER_SECONDS", 120)?,
            ),
        })
    }
}

/// Everything the handler needs, built once per process.
pub struct Verify {
    reports: ReportStore,
    catalog: CatalogCache,
    notify: JsonQueue,
    changes: ChangeLog,
    rules: TriageRules,
    clock: Arc<dyn Clock>,
    stranded_after: SignedDuration,
}

impl Verify {
    /// Wires the stores; the triage rules are the bundled data file.
    pub fn new(
        config: &Config,
        clients: &AwsClients,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, serde_json::Error> {
        let catalog = CatalogStore::new(clients.dynamodb.clone(), &config.table_name);
        Ok(Self {
            reports: ReportStore::new(clients.dynamodb.clone(), &config.table_name),
            catalog: CatalogCache::new(catalog),
            notify: JsonQueue::new(clients.sqs.clone(), &config.notify_queue_url),
            changes: ChangeLog::new(
                ReportStore::new(clients.dynamodb.clone(), &config.table_name),
                JsonQueue::new(clients.sqs.clone(), &config.notify_queue_url),
            ),
            rules: TriageRules::bundled()?,
            clock,
            stranded_after: config.stranded_after,
        })
    }
}

/// A scheduled job this function runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Job {
    /// Triage reports whose enqueue was lost.
    RecoverStranded,
}

/// What `verify` can be invoked with.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum VerifyEvent {
    /// The scheduler's input.
    Scheduled {
        /// Which job.
        job: Job,
    },
    /// A batch from the intake queue.
    Queue(SqsEvent),
}

/// Why one message could not be processed.
#[derive(Debug, thiserror::Error)]
pub enum TriageError {
    /// The body is not an intake message: retrying will not help; it ends in the DLQ.
    #[error("malformed intake message: {0}")]
    Malformed(String),
    /// No such report.
    #[error("report {0} does not exist")]
    NotFound(TrackingId),
    /// Storage failed or kept conflicting: retry later.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a triage attempt found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Triaged {
    /// Moved to `pending_verification` now.
    Moved,
    /// Already past `received` (a duplicate delivery): nothing to do.
    AlreadyDone,
}

/// The Lambda handler. Returns the SQS batch response for queue events and a
/// summary for scheduled jobs; an unknown payload is an invocation error.
pub async fn handle(
    app: &Verify,
    payload: serde_json::Value,
) -> Result<serde_json::Value, lambda_runtime::Error> {
    match serde_json::from_value::<VerifyEvent>(payload)? {
        VerifyEvent::Queue(batch) => Ok(serde_json::to_value(handle_batch(app, batch).await)?),
        VerifyEvent::Scheduled {
            job: Job::RecoverStranded,
        } => {
            let recovered = recover_stranded(app).await?;
            let cutoff = app
                .clock
                .now()
                .checked_sub(app.stranded_after)
                .unwrap_or(jiff::Timestamp::MIN);
            let announced = app.changes.flush_outbox(cutoff, RECOVERY_BATCH).await?;
            Ok(serde_json::json!({ "recovered": recovered, "announced": announced }))
        }
    }
}

/// Triages every message concurrently and reports the ones that failed.
pub async fn handle_batch(app: &Verify, batch: SqsEvent) -> SqsBatchResponse {
    process_batch(&batch, |message| triage_message(app, message)).await
}

async fn triage_message(app: &Verify, message: &SqsMessage) -> Result<Triaged, TriageError> {
    let body = message.body.as_deref().unwrap_or_default();
    let intake: IntakeMessage =
        serde_json::from_str(body).map_err(|e| TriageError::Malformed(e.to_string()))?;
    let id = TrackingId::parse(&intake.report_id)
        .map_err(|e| TriageError::Malformed(format!("{}: {e}", intake.report_id)))?;
    triage(app, &id).await
}

/// Moves one report from `received` to `pending_verification`, idempotently, then
/// tells the reporter it was received. The announcement is sent on every attempt
/// (also when a redelivery finds the work done), because `notify` sends each event at
/// most once: a failed enqueue fails the message and its retry announces it.
pub async fn triage(app: &Verify, id: &TrackingId) -> Result<Triaged, TriageError> {
    let triaged = move_to_verification(app, id).await?;
    let received = NotifyMessage {
        report_id: id.to_string(),
        kind: NotificationKind::Received,
        version: 1,
        note: None,
        staff: Vec::new(),
        due: None,
    };
    app.notify.send(&received).await?;
    Ok(triaged)
}

async fn move_to_verification(app: &Verify, id: &TrackingId) -> Result<Triaged, TriageError> {
    // Someone else wrote first: read again and decide again.
    retry_on_conflict(|| async move {
        let report = app
            .reports
            .get(id)
            .await?
            .ok_or_else(|| TriageError::NotFound(id.clone()))?;
        if report.status != ReportStatus::Received {
            return Ok(Triaged::AlreadyDone);
        }
        let assessment = assess(app, &report).await?;
        let (mut next, event) = report
            .apply(ReportAction::Triage, &ACTOR, None, app.clock.now())
            .map_err(|e| TriageError::Malformed(e.to_string()))?;
        next.triage = Some(assessment);
        app.reports.save_transition(&report, &next, &event).await?;
        info!(report_id = %id, "report triaged: pending verification");
        Ok(Triaged::Moved)
    })
    .await
}

impl Conflicting for TriageError {
    fn is_conflict(&self) -> bool {
        matches!(self, TriageError::Store(err) if err.is_conflict())
    }
}

/// Everything triage notices about `report`: its own text, then nearby open reports
/// of the same category received within the rules' window.
async fn assess(app: &Verify, report: &Report) -> Result<TriageResult, StoreError> {
    let categories = app.catalog.categories().await?;
    let mut result = triage_text(&report.title, &report.description, &categories, &app.rules);
    let window = SignedDuration::from_hours(24 * i64::from(app.rules.duplicate_window_days));
    let since = report
        .received_at
        .checked_sub(window)
        .unwrap_or(jiff::Timestamp::MIN);
    // The two searches are independent: one round trip, not two.
    let by_sender = async {
        match &report.sender {
            Some(sender) => app.reports.by_sender(sender, SENDER_SCAN).await,
            None => Ok(Vec::new()),
        }
    };
    let (others, sender_ids) = tokio::try_join!(
        app.reports
            .open_in_category(&report.category, since, DUPLICATE_SCAN),
        by_sender
    )?;
    let nearby = nearby_candidates(report, &others, app.rules.duplicate_radius_m);
    // No sender, no ids: nothing is read.
    let reads = sender_ids
        .iter()
        .filter(|id| **id != report.id)
        .map(|id| app.reports.get(id));
    let theirs: Vec<Report> = futures::future::try_join_all(reads)
        .await?
        .into_iter()
        .flatten()
        .collect();
    result.duplicates = with_same_sender(report, &theirs, nearby);
    if let Some(flag) = &result.emergency {
        warn!(report_id = %report.id, kind = ?flag.kind, keyword = %flag.keyword, "complaint reads like an emergency");
    }
    Ok(result)
}

/// Triages reports stranded in `received`; returns how many it moved.
pub async fn recover_stranded(app: &Verify) -> Result<usize, StoreError> {
    let cutoff = app
        .clock
        .now()
        .checked_sub(app.stranded_after)
        .unwrap_or(jiff::Timestamp::MIN);
    let stranded = app.reports.awaiting_triage(cutoff, RECOVERY_BATCH).await?;
    let mut moved = 0;
    for id in &stranded {
        match triage(app, id).await {
            Ok(Triaged::Moved) => {
                warn!(report_id = %id, "stranded report recovered (its enqueue had failed)");
                moved += 1;
            }
            Ok(Triaged::AlreadyDone) => {}
            Err(err) => error!(report_id = %id, error = %err, "recovering stranded report failed"),
        }
    }
    Ok(moved)
}

impl Function for Verify {
    const NAME: &'static str = "verify";

    fn build(settings: &Settings, deps: &Dependencies) -> Result<Self, StartError> {
        let config = Config::load(settings)?;
        Self::new(&config, &deps.clients, deps.clock.clone())
            .map_err(|e| StartError::setup("verify", e))
    }
}

impl EventFunction for Verify {
    fn handle(
        &self,
        payload: serde_json::Value,
    ) -> impl std::future::Future<Output = Result<serde_json::Value, lambda_runtime::Error>> + Send
    {
        handle(self, payload)
    }
}
