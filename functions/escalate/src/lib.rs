//! `escalate`: keeps paging until a person owns the incident (architecture §7).
//!
//! - SQS `escalation` batches: each message is a tick `{incident_id, token}` that
//!   became visible after its tier's ack timeout (`DelaySeconds`). The tick acts only
//!   if the incident still holds its token: it pages the next tier, repeats the top
//!   tier up to the policy's limit, or (once owned) re-pages the owner when the
//!   incident is not resolved in time. The decision is one conditional write; the
//!   pages and the next tick follow, then are settled. A stale or duplicate tick does
//!   nothing; a redelivered tick whose pages were never settled finishes them.
//! - Scheduler `{"job":"audit-incidents"}` every minute: incidents whose pages are
//!   owed past a grace period, or whose tick is overdue (lost), from the sparse
//!   `ESC#` index; owed pages are sent, lost ticks re-driven with the same token.
//!   The number found is published as the `LostTicks` metric (alarmed on).

use sigap::runtime::function::{Dependencies, EventFunction, Function, StartError};
use std::sync::Arc;

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sigap::adapters::incidents::IncidentStore;
use sigap::adapters::queue::{EscalationTick, JsonQueue};
use sigap::adapters::table::StoreError;
use sigap::domain::incident::{
    Happened, Incident, Page, SYSTEM, TickDecision, TimelineEntry, redrive, tick,
};
use sigap::runtime::aws::AwsClients;
use sigap::runtime::batch::process_batch;
use sigap::runtime::clock::Clock;
use sigap::runtime::config::{ConfigError, Settings};
use sigap::runtime::ids::{IdGenerator, RandomError};
use sigap::runtime::metrics::{Unit, emf_record, publish};
use sigap::service::paging::{AckLinks, Pager, PagingConfig};
use sigap::service::{Conflicting, retry_on_conflict};
use tracing::{info, warn};

/// Incidents looked at per shard in one audit.
pub const AUDIT_PER_SHARD: i32 = 50;

/// Settings `escalate` reads from its environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// The single table.
    pub table_name: String,
    /// The panic topic, the escalation queue (this function's own source, for the
    /// next tick) and the ack links in pages.
    pub paging: PagingConfig,
    /// The notify queue (emergency contacts owed by a press).
    pub notify_queue_url: String,
}

impl Config {
    /// Reads `TABLE_NAME`, `PANIC_TOPIC_ARN`, `ESCALATION_QUEUE_URL`, `NOTIFY_QUEUE_URL`,
    /// and `PUBLIC_BASE_URL` with `DEVICE_KEY` for ack links.
    pub fn load(settings: &Settings) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: settings.required("TABLE_NAME")?,
            paging: PagingConfig {
                panic_topic_arn: settings.required("PANIC_TOPIC_ARN")?,
                escalation_queue_url: settings.required("ESCALATION_QUEUE_URL")?,
                ack_links: AckLinks::load(settings)?,
            },
            notify_queue_url: settings.required("NOTIFY_QUEUE_URL")?,
        })
    }
}

/// Everything the handler needs, built once per process.
pub struct Escalate {
    pager: Pager,
    incidents: IncidentStore,
    ticks: JsonQueue,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl Escalate {
    /// Wires the pager and the store.
    pub fn new(
        config: &Config,
        clients: &AwsClients,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        let incidents = IncidentStore::new(clients.dynamodb.clone(), &config.table_name);
        let ticks = JsonQueue::new(clients.sqs.clone(), &config.paging.escalation_queue_url);
        Self {
            pager: config.paging.pager(
                clients,
                &config.table_name,
                JsonQueue::new(clients.sqs.clone(), &config.notify_queue_url),
            ),
            incidents,
            ticks,
            clock,
            ids,
        }
    }
}

/// Why a tick or an audit failed (the tick is retried, then dead-lettered).
#[derive(Debug, thiserror::Error)]
pub enum EscalateError {
    /// Neither an SQS batch nor the auditor's input.
    #[error("unexpected input: {0}")]
    Input(String),
    /// Storage, SNS or SQS failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The operating system's random source failed (a new escalation token).
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// What one tick did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TickOutcome {
    /// Stale, duplicate, or for a closed incident: nothing.
    Stale,
    /// Early (a chained long wait): sent again for later.
    Rescheduled,
    /// Finished the unsettled pages of an earlier attempt.
    Resumed,
    /// Paged the next step.
    Escalated,
    /// Every repeat used: nothing more to page; the command centre must act.
    Exhausted,
}

/// What one audit did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    /// Incidents the index offered.
    pub examined: usize,
    /// Owed pages sent (a handler died or a call failed after its write).
    pub finished: usize,
    /// Lost ticks re-driven.
    pub redriven: usize,
}

/// The auditor's scheduler input.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditEvent {
    job: String,
}

/// The Lambda handler: an SQS batch of ticks, or the auditor's schedule.
pub async fn handle(
    app: &Escalate,
    payload: serde_json::Value,
) -> Result<serde_json::Value, lambda_runtime::Error> {
    if payload.get("Records").is_some() {
        let batch: SqsEvent = serde_json::from_value(payload)?;
        let response = process_batch(&batch, |message| on_message(app, message)).await;
        return Ok(serde_json::to_value(response)?);
    }
    let event: AuditEvent =
        serde_json::from_value(payload).map_err(|e| EscalateError::Input(e.to_string()))?;
    if event.job != "audit-incidents" {
        return Err(EscalateError::Input(event.job).into());
    }
    Ok(serde_json::to_value(audit(app).await?)?)
}

async fn on_message(app: &Escalate, message: &SqsMessage) -> Result<TickOutcome, EscalateError> {
    let body = message.body.as_deref().unwrap_or_default();
    let Ok(tick) = serde_json::from_str::<EscalationTick>(body) else {
        // Retrying cannot make it parse: drop it loudly.
        warn!(body, "malformed escalation tick dropped");
        return Ok(TickOutcome::Stale);
    };
    process_tick(app, &tick).await
}

fn new_token(app: &Escalate) -> Result<String, EscalateError> {
    Ok(app.ids.secret_token()?)
}

fn step_entry(next: &Incident, now: Timestamp) -> TimelineEntry {
    let esc = &next.escalation;
    let (what, detail) = match esc.owed.last() {
        Some(Page::Tier { tier, round }) => {
            (Happened::Escalated, format!("tier {tier}, ulang {round}"))
        }
        Some(Page::Owner { round }) => (
            Happened::OwnerRepage,
            format!("belum selesai, ulang {round}"),
        ),
        _ => (
            Happened::Exhausted,
            "semua tier dan pengulangan habis tanpa yang menangani".to_string(),
        ),
    };
    TimelineEntry::new(now, what, SYSTEM, Some(detail))
}

/// Carries out one tick.
pub async fn process_tick(
    app: &Escalate,
    tick_message: &EscalationTick,
) -> Result<TickOutcome, EscalateError> {
    // A lost race (someone acked, or a twin tick acted): decide again on what is there.
    retry_on_conflict(|| async {
        let now = app.clock.now();
        let Some(incident) = app.incidents.get(&tick_message.incident_id).await? else {
            warn!(incident = %tick_message.incident_id, "tick for an unknown incident dropped");
            return Ok(TickOutcome::Stale);
        };
        match tick(&incident, &tick_message.token, now, new_token(app)?) {
            TickDecision::Stale => {
                info!(incident = %incident.id, "stale or duplicate tick: nothing to do");
                Ok(TickOutcome::Stale)
            }
            TickDecision::Early { due } => {
                let delay = due.duration_since(now).as_secs().max(0);
                app.ticks.send_delayed(tick_message, delay).await?;
                Ok(TickOutcome::Rescheduled)
            }
            TickDecision::Resume => {
                app.pager.deliver(&incident, now).await?;
                Ok(TickOutcome::Resumed)
            }
            TickDecision::Act(next) => {
                let exhausted = next.escalation.exhausted && !incident.escalation.exhausted;
                let entry = step_entry(&next, now);
                app.incidents
                    .save(incident.version, &next, &[entry], Vec::new(), now)
                    .await?;
                info!(incident = %next.id, tier = next.escalation.tier, round = next.escalation.round, "escalation step");
                // A failure here fails the message: its redelivery resumes the pages.
                app.pager.deliver(&next, now).await?;
                if exhausted {
                    warn!(incident = %next.id, "escalation exhausted: nobody acknowledged");
                    publish(&emf_record(
                        now,
                        &[("Function", "escalate")],
                        &[("EscalationsExhausted", Unit::Count, 1.0)],
                    ));
                    return Ok(TickOutcome::Exhausted);
                }
                Ok(TickOutcome::Escalated)
            }
        }
    })
    .await
}

impl Conflicting for EscalateError {
    fn is_conflict(&self) -> bool {
        matches!(self, EscalateError::Store(err) if err.is_conflict())
    }
}

/// One audit: finishes owed pages and re-drives lost ticks.
pub async fn audit(app: &Escalate) -> Result<AuditReport, EscalateError> {
    let now = app.clock.now();
    let ids = app
        .incidents
        .needing_attention(now, AUDIT_PER_SHARD)
        .await?;
    let mut report = AuditReport {
        examined: ids.len(),
        ..AuditReport::default()
    };
    for id in ids {
        let Some(incident) = app.incidents.get(&id).await? else {
            continue;
        };
        let result = if incident.escalation.is_unsettled() {
            warn!(incident = %id, "pages owed past the grace period: sending them");
            app.pager
                .deliver(&incident, now)
                .await
                .map(|_| report.finished += 1)
        } else if incident
            .escalation
            .next_tick_at
            .is_some_and(|due| due <= now)
        {
            warn!(incident = %id, "escalation tick overdue (lost): re-driving it");
            let next = redrive(&incident);
            let entry = TimelineEntry::new(now, Happened::TickRedriven, "auditor", None);
            match app
                .incidents
                .save(incident.version, &next, &[entry], Vec::new(), now)
                .await
            {
                Ok(()) => app
                    .pager
                    .deliver(&next, now)
                    .await
                    .map(|_| report.redriven += 1),
                // It moved on meanwhile: not lost after all.
                Err(StoreError::Conflict) => Ok(()),
                Err(err) => Err(err),
            }
        } else {
            Ok(())
        };
        if let Err(err) = result {
            warn!(incident = %id, error = %err, "audit could not repair incident; next run retries");
        }
    }
    publish(&emf_record(
        now,
        &[("Function", "escalate")],
        &[
            ("LostTicks", Unit::Count, report.redriven as f64),
            ("UnsettledPages", Unit::Count, report.finished as f64),
        ],
    ));
    info!(?report, "incident audit done");
    Ok(report)
}

impl Function for Escalate {
    const NAME: &'static str = "escalate";

    fn build(settings: &Settings, deps: &Dependencies) -> Result<Self, StartError> {
        let config = Config::load(settings)?;
        Ok(Self::new(
            &config,
            &deps.clients,
            deps.clock.clone(),
            deps.ids.clone(),
        ))
    }
}

impl EventFunction for Escalate {
    fn handle(
        &self,
        payload: serde_json::Value,
    ) -> impl std::future::Future<Output = Result<serde_json::Value, lambda_runtime::Error>> + Send
    {
        handle(self, payload)
    }
}
