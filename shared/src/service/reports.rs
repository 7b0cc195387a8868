//! Reports, written once for every channel and screen:
//! - [`Reports::submit`]: a new report from any intake channel (web, Open311, a 112
//!   operator, SMS, X), once per the channel's key, handed to triage;
//! - [`Reports::apply`]: a workflow [`Command`] for whoever asks (staff, the citizen
//!   by token, SMS or post), decided by the domain and committed in one conditional
//!   write with its audit event and announcement.
//!
//! A channel adds only its parsing (into a [`ReportSubmission`] or a [`Command`]) and
//! its presentation of the outcome.

use std::sync::Arc;

use aws_sdk_dynamodb::types::TransactWriteItem;
use jiff::{SignedDuration, Timestamp};
use tracing::warn;

use super::changes::ChangeLog;
use super::deadline_rules::{ClockRules, clock_rules};
use crate::adapters::calendar::CalendarCache;
use crate::adapters::catalog::CatalogCache;
use crate::adapters::idempotency::{Claim, IdempotencyStore, StoredResponse};
use crate::adapters::queue::{IntakeMessage, JsonQueue};
use crate::adapters::rates::RateCounter;
use crate::adapters::reports::ReportStore;
use crate::adapters::table::StoreError;
use crate::domain::command::{Asker, Command};
use crate::domain::deadline::{ClockKind, WorkingDays, start_clock};
use crate::domain::limits::{Limit, Refusal};
use crate::domain::report::{Actor, Channel, Report};
use crate::domain::submission::ReportSubmission;
use crate::domain::tracking_id::TrackingId;
use crate::domain::workflow::{Change, WorkflowError};
use crate::runtime::clock::Clock;
use crate::runtime::ids::{IdGenerator, RandomError, sha256_hex};

/// Idempotency scope of report submission (every channel keyed by request).
pub const SUBMIT_SCOPE: &str = "web-intake:POST /reports";
/// How long one attempt may hold a claim: the function timeout.
const CLAIM_FOR: SignedDuration = SignedDuration::from_secs(10);
/// Fresh ids tried when a random tracking id is taken (about 1 in 7×10⁸ each).
const COLLISION_ATTEMPTS: usize = 3;

/// What a channel hands in: the checked content, how it came and from whom.
#[derive(Debug, Clone)]
pub struct NewReport<'a> {
    /// Title, text, category, location, contact, *anonim* and *rahasia*.
    pub submission: &'a ReportSubmission,
    /// How it arrived.
    pub channel: Channel,
    /// Who the audit trail says reported it.
    pub actor: Actor,
    /// Keyed hash of the sender's number or account, when there is one.
    pub sender: Option<String>,
}

/// How a submission is made once, whatever the retries.
pub enum Once<'a> {
    /// An HTTP request's idempotency `key` (web, Open311, a 112 operator): claimed,
    /// and its `answer` for the report and reporter token stored in the report's own
    /// transaction, so a retry is answered exactly as the first attempt was.
    Key {
        /// The key, in its submitter's space.
        key: &'a str,
        /// The request body, hashed: the same key with another body is refused.
        payload: &'a [u8],
        /// The response to store and replay.
        answer: &'a (dyn Fn(&Report, &str) -> StoredResponse + Sync),
        /// The submitter's limit on new reports, counted only for a request that
        /// would make one: a retry of an accepted request is replayed, never refused.
        limit: Option<SubmitterLimit<'a>>,
    },
    /// The channel's own record of the message (an inbound SMS, an X post) marked
    /// handled in the report's transaction, under the id reserved with it.
    Marked {
        /// The tracking id reserved when the message was recorded.
        id: TrackingId,
        /// The writes that mark the message handled (the first one's condition
        /// guards a retry) and settle what it settled (a guided start's state).
        handled: Vec<TransactWriteItem>,
    },
}

/// A limit on the reports one submitter (a client address, an Open311 key) may make.
pub struct SubmitterLimit<'a> {
    /// The counters.
    pub rates: &'a RateCounter,
    /// The submitter's counter scope (keyed, never an address in clear).
    pub scope: String,
    /// The limit.
    pub limit: Limit,
}

/// What a submission did.
#[derive(Debug)]
pub enum Submitted {
    /// Stored now and handed to triage; the stored answer (for a key).
    Created {
        /// The report.
        report: Box<Report>,
        /// The answer stored with it (`Once::Key`).
        answer: Option<StoredResponse>,
    },
    /// This key was answered before: the stored answer.
    Replay(StoredResponse),
    /// Another attempt with this key is storing it right now.
    InProgress,
    /// The key was used before for a different body.
    KeyReused,
    /// A new report over the submitter's limit: nothing stored.
    Limited(Refusal),
}

/// Why a service call failed (the channel answers 503 and the caller retries).
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// DynamoDB or SQS failed, or a write lost its condition.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The operating system's random source failed.
    #[error(transparent)]
    Random(#[from] RandomError),
    /// The X API failed (a reply to a post).
    #[error(transparent)]
    Social(#[from] crate::adapters::social::XError),
    /// A press by SMS could not be paged (the incident desk's answer).
    #[error("paging failed: {0}")]
    Paging(String),
    /// WhatsApp's media download gave no usable answer (Meta retries the message).
    #[error(transparent)]
    WhatsApp(#[from] crate::adapters::whatsapp::WhatsAppError),
}

/// Why a command was not applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The rules refuse it now (the domain's reason).
    #[error(transparent)]
    Refused(#[from] WorkflowError),
    /// Someone changed the report since it was read: read again, decide again.
    #[error("the report changed meanwhile")]
    Conflict,
    /// The command is not the asker's to give (a citizen's command from staff, …).
    #[error("not the asker's command")]
    Forbidden,
    /// Storage or the queue failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for ApplyError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict => ApplyError::Conflict,
            other => ApplyError::Store(other),
        }
    }
}

/// Who asks for a command, as the channel established it (a token, a number, a
/// staff role): [`Reports::apply`] refuses a command asked by the wrong kind.
#[derive(Debug, Clone)]
pub enum Asking<'a> {
    /// The reporter (their token, number or account was checked by the channel).
    Citizen,
    /// An admin, as the audit trail names them.
    Admin(Actor),
    /// Staff of `agency`, as the audit trail names them.
    Agency {
        /// Who.
        actor: Actor,
        /// The agency they act for.
        agency: &'a str,
    },
}

impl<'a> Asking<'a> {
    /// Who the audit trail names, and the agency acting, when this asker may ask for
    /// `command`; `Forbidden` when the command is another kind of asker's.
    pub fn may_ask(&self, command: &Command) -> Result<(Actor, Option<&'a str>), ApplyError> {
        match (command.asker(), self) {
            (Asker::Citizen, Asking::Citizen) => Ok((Actor::Citizen, None)),
            (Asker::Admin, Asking::Admin(actor)) => Ok((actor.clone(), None)),
            (Asker::Agency, Asking::Agency { actor, agency }) => Ok((actor.clone(), Some(*agency))),
            _ => Err(ApplyError::Forbidden),
        }
    }
}

/// The report service: reads, the deadline rules, and [`Reports::apply`].
pub struct Reports {
    store: ReportStore,
    changes: ChangeLog,
    calendar: CalendarCache,
    catalog: CatalogCache,
    working_days: WorkingDays,
    clock: Arc<dyn Clock>,
}

/// What [`Reports`] is built from.
pub struct ReportsParts {
    /// The report store.
    pub store: ReportStore,
    /// The notify queue (announcements).
    pub notify: JsonQueue,
    /// The holiday calendar in force.
    pub calendar: CalendarCache,
    /// Categories and agencies.
    pub catalog: CatalogCache,
    /// The default working days.
    pub working_days: WorkingDays,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
}

/// The intake side of the service: [`ReportIntake::submit`], for the functions that
/// accept new reports (the others have no intake queue).
pub struct ReportIntake {
    intake: JsonQueue,
    idempotency: IdempotencyStore,
    ids: Arc<dyn IdGenerator>,
}

impl Reports {
    /// The service over its stores and queues.
    pub fn new(parts: ReportsParts) -> Self {
        Self {
            changes: ChangeLog::new(parts.store.clone(), parts.notify),
            store: parts.store,
            calendar: parts.calendar,
            catalog: parts.catalog,
            working_days: parts.working_days,
            clock: parts.clock,
        }
    }

    /// The report store (reads).
    pub fn store(&self) -> &ReportStore {
        &self.store
    }

    /// The categories and agencies, cached.
    pub fn catalog(&self) -> &CatalogCache {
        &self.catalog
    }

    /// The holiday calendar in force, cached.
    pub fn calendar(&self) -> &CalendarCache {
        &self.calendar
    }

    /// Fills the calendar and category caches (at init).
    pub async fn warm_up(&self) {
        super::deadline_rules::warm_up(&self.calendar, &self.catalog).await;
    }

    /// The calendar and working days of a report of `category`.
    pub async fn rules(&self, category: &str) -> Result<ClockRules, StoreError> {
        clock_rules(&self.calendar, &self.catalog, self.working_days, category).await
    }

    /// Applies `command` to `report` (as read by the caller, who checked that the
    /// asker may act on it) with `also` in the same conditional write.
    pub async fn apply(
        &self,
        report: &Report,
        command: &Command,
        asking: &Asking<'_>,
        also: Vec<TransactWriteItem>,
    ) -> Result<Change, ApplyError> {
        let (actor, agency) = asking.may_ask(command)?;
        let rules = self.rules(&report.category).await?;
        let change = command.decide(report, &actor, agency, self.clock.now(), &rules.policy())?;
        self.changes.commit_with(report, &change, also).await?;
        Ok(change)
    }

    /// Commits changes that the domain decided elsewhere (the SLA sweep's steps).
    pub fn changes(&self) -> &ChangeLog {
        &self.changes
    }
}

impl ReportIntake {
    /// Over the intake queue, the idempotency records and the id generator.
    pub fn new(
        intake: JsonQueue,
        idempotency: IdempotencyStore,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self {
            intake,
            idempotency,
            ids,
        }
    }

    /// A new report from any channel, once per `once`; handed to triage.
    pub async fn submit(
        &self,
        reports: &Reports,
        new: &NewReport<'_>,
        once: Once<'_>,
    ) -> Result<Submitted, ServiceError> {
        match once {
            Once::Marked { id, handled } => {
                let token = self.ids.secret_token()?;
                let report = self.received(reports, new, id, &token).await?;
                reports
                    .store
                    .create_with(
                        &report,
                        &report.creation_event(&new.actor),
                        &new.submission.contact,
                        handled,
                    )
                    .await?;
                self.to_triage(&report.id).await;
                Ok(Submitted::Created {
                    report: Box::new(report),
                    answer: None,
                })
            }
            Once::Key {
                key,
                payload,
                answer,
                limit,
            } => {
                self.submit_keyed(reports, new, key, payload, answer, limit)
                    .await
            }
        }
    }

    /// [`Reports::submit`] under an idempotency key: claim, then the report, its
    /// contact and the key's answer in one transaction, then the intake message.
    async fn submit_keyed(
        &self,
        reports: &Reports,
        new: &NewReport<'_>,
        key: &str,
        payload: &[u8],
        answer: &(dyn Fn(&Report, &str) -> StoredResponse + Sync),
        limit: Option<SubmitterLimit<'_>>,
    ) -> Result<Submitted, ServiceError> {
        let now = reports.clock.now();
        let candidate = self.reservation()?;
        let claimed = self
            .idempotency
            .claim(
                SUBMIT_SCOPE,
                key,
                &sha256_hex(payload),
                &candidate,
                now,
                CLAIM_FOR,
            )
            .await;
        let mut reservation = match claimed {
            Ok(Claim::Proceed { reservation }) => reservation,
            Ok(Claim::Replay(stored)) => return Ok(Submitted::Replay(stored)),
            Ok(Claim::InProgress) => return Ok(Submitted::InProgress),
            Ok(Claim::PayloadMismatch) => return Ok(Submitted::KeyReused),
            Err(err) => {
                // The claim may have been written even though the call failed.
                self.release(key).await;
                return Err(err.into());
            }
        };
        if let Some(limit) = limit {
            let counted = limit
                .rates
                .count(&limit.scope, limit.limit.window, now)
                .await;
            let refused = match counted {
                Ok(count) => limit.limit.check(count, now),
                Err(err) => {
                    self.release(key).await;
                    return Err(err.into());
                }
            };
            if let Some(refusal) = refused {
                self.release(key).await;
                return Ok(Submitted::Limited(refusal));
            }
        }
        for _ in 0..COLLISION_ATTEMPTS {
            let (id, token) = parse_reservation(&reservation)?;
            let report = self.received(reports, new, id, &token).await?;
            let stored = answer(&report, &token);
            let complete =
                self.idempotency
                    .complete_write(SUBMIT_SCOPE, key, &reservation, &stored, now)?;
            let created = reports
                .store
                .create_with(
                    &report,
                    &report.creation_event(&new.actor),
                    &new.submission.contact,
                    vec![complete],
                )
                .await;
            match created {
                Ok(()) => {
                    self.to_triage(&report.id).await;
                    return Ok(Submitted::Created {
                        report: Box::new(report),
                        answer: Some(stored),
                    });
                }
                Err(StoreError::AlreadyExists) => {
                    match reports.store.get(&report.id).await? {
                        // Another attempt took the claim over and holds it.
                        None => return Ok(Submitted::InProgress),
                        // Ours: written by an attempt that never saved its answer (a
                        // version that saved it after the report did so): finish it.
                        Some(existing)
                            if existing.reporter_token_hash == report.reporter_token_hash =>
                        {
                            let stored = answer(&existing, &token);
                            self.idempotency
                                .complete(SUBMIT_SCOPE, key, &stored, now)
                                .await?;
                            self.to_triage(&existing.id).await;
                            return Ok(Submitted::Created {
                                report: Box::new(existing),
                                answer: Some(stored),
                            });
                        }
                        // Somebody else's report under a random id: draw another.
                        Some(_) => {}
                    }
                    warn!(report_id = %report.id, "tracking id collision; drawing a new one");
                    let fresh = self.reservation()?;
                    self.idempotency
                        .replace_reservation(SUBMIT_SCOPE, key, &reservation, &fresh)
                        .await?;
                    reservation = fresh;
                }
                Err(err) => {
                    self.release(key).await;
                    return Err(err.into());
                }
            }
        }
        self.release(key).await;
        Err(StoreError::Corrupt("three tracking id collisions in a row".into()).into())
    }

    /// The report as received at `now` under `id`, its verification clock running.
    async fn received(
        &self,
        reports: &Reports,
        new: &NewReport<'_>,
        id: TrackingId,
        token: &str,
    ) -> Result<Report, StoreError> {
        let now: Timestamp = reports.clock.now();
        let submission = new.submission;
        let rules = reports.rules(&submission.category).await?;
        let clock = start_clock(
            ClockKind::Verification,
            &rules.calendar,
            now,
            rules.days.verify,
        );
        if clock.provisional {
            warn!(report_id = %id, "deadline computed without confirmed holiday data");
        }
        Ok(Report {
            title: submission.title.clone(),
            description: submission.description.clone(),
            category: submission.category.clone(),
            location: submission.location.clone(),
            anonymous: submission.anonymous,
            confidential: submission.confidential,
            clock: Some(clock),
            calendar_version: rules.calendar.version().to_string(),
            reporter_token_hash: sha256_hex(token),
            sender: new.sender.clone(),
            ..Report::received(id, new.channel, now)
        })
    }

    /// A fresh tracking id and reporter token, as an idempotency reservation.
    fn reservation(&self) -> Result<serde_json::Value, RandomError> {
        let id = self.ids.tracking_id()?;
        let token = self.ids.secret_token()?;
        Ok(serde_json::json!({ "report_id": id.as_str(), "token": token }))
    }

    /// Lets the client's retry take over a claim whose attempt failed (best effort:
    /// if this fails too, the claim expires after the function timeout).
    async fn release(&self, key: &str) {
        if let Err(err) = self.idempotency.release(SUBMIT_SCOPE, key).await {
            warn!(error = %err, "releasing idempotency claim failed; it expires on its own");
        }
    }

    /// Hands a new report to triage; if the queue cannot be reached, the report is
    /// still listed for triage (`Q#TRIAGE`) and verify's recovery job picks it up.
    async fn to_triage(&self, id: &TrackingId) {
        let message = IntakeMessage {
            report_id: id.to_string(),
        };
        if let Err(err) = self.intake.send(&message).await {
            warn!(report_id = %id, error = %err, "enqueue for triage failed; left for recovery");
        }
    }
}

fn parse_reservation(reservation: &serde_json::Value) -> Result<(TrackingId, String), StoreError> {
    let id = reservation["report_id"]
        .as_str()
        .and_then(|s| TrackingId::parse(s).ok());
    let token = reservation["token"].as_str().map(str::to_string);
    match (id, token) {
        (Some(id), Some(token)) => Ok((id, token)),
        _ => Err(StoreError::Corrupt("malformed reservation".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each command is asked for by one kind of asker; every other kind is refused.
    #[test]
    fn a_command_asked_by_the_wrong_kind_of_asker_is_forbidden() {
        let staff = |role: &str| Actor::Staff {
            role: role.into(),
            subject: "s1".into(),
        };
        let askers = [
            Asking::Citizen,
            Asking::Admin(staff("admin")),
            Asking::Agency {
                actor: staff("agency:dsdabm"),
                agency: "dsdabm",
            },
        ];
        let commands = [
            (Command::Accept, 0),
            (
                Command::Answer {
                    text: "di depan SD".into(),
                },
                0,
            ),
            (
                Command::RequestInfo {
                    question: "Di mana?".into(),
                },
                1,
            ),
            (Command::Acknowledge, 2),
        ];
        for (command, allowed) in &commands {
            for (i, asking) in askers.iter().enumerate() {
                let asked = asking.may_ask(command);
                if i == *allowed {
                    let (actor, agency) = asked.unwrap();
                    assert_eq!(agency.is_some(), i == 2, "{command:?}");
                    assert_eq!(actor == Actor::Citizen, i == 0, "{command:?}");
                } else {
                    assert!(
                        matches!(asked, Err(ApplyError::Forbidden)),
                        "{command:?} by {asking:?}"
                    );
                }
            }
        }
    }
}
