//! Committing an incident change and carrying out what it owes.
//!
//! Every change is one conditional write of the incident (with its timeline lines)
//! that leaves pages and the next escalation tick **owed**. [`Pager::deliver`] then
//! publishes the pages (one SNS publish each, in parallel), schedules the tick on the
//! escalation queue, and settles what went out in a second write. If it dies or an
//! AWS call fails half-way, what is still owed stays on the incident, which the
//! auditor (GSI1 `ESC#`) or the redelivered tick finishes: a page may go out twice
//! after a crash, never zero times.

use futures::future::join_all;
use jiff::Timestamp;
use tracing::{info, warn};

use crate::adapters::incidents::IncidentStore;
use crate::adapters::queue::{EscalationTick, JsonQueue};
use crate::adapters::sms::PanicTopic;
use crate::adapters::table::StoreError;
use crate::domain::calendar::wib_rfc3339;
use crate::domain::incident::{
    Happened, Incident, IncidentChange, Page, SYSTEM, TimelineEntry, render, settle_sent,
};
use crate::domain::notification::{IncidentContactsJob, NotifyJob};
use crate::domain::signature::HmacKey;

/// Writes incident changes and delivers their pages and ticks.
#[derive(Debug, Clone)]
pub struct Pager {
    incidents: IncidentStore,
    topic: PanicTopic,
    ticks: JsonQueue,
    notify: JsonQueue,
    links: Option<AckLinks>,
}

/// Signed tap-to-own links in pages: `<base>/a/<incident>/<tier><token>`.
#[derive(Debug, Clone)]
pub struct AckLinks {
    /// The public base URL (a short custom domain keeps the link in one SMS).
    pub base_url: String,
    /// The key the tokens are signed with (`DEVICE_KEY`).
    pub key: HmacKey,
}

/// Length of a link token (hex HMAC prefix: 48 bits, checked once per tap).
pub const ACK_TOKEN_LEN: usize = 12;

/// The token of the ack link for `tier` of `incident`: a tap proves the page was
/// received; the link works only while the incident waits for an owner.
pub fn ack_token(key: &HmacKey, incident: &str, tier: u8) -> String {
    let mut token = key.hex(&format!("ack:{incident}:{tier}"));
    token.truncate(ACK_TOKEN_LEN);
    token
}

impl AckLinks {
    /// `PUBLIC_BASE_URL` (unset: no links) with `DEVICE_KEY` signing the tokens.
    pub fn load(
        settings: &crate::runtime::config::Settings,
    ) -> Result<Option<Self>, crate::runtime::config::ConfigError> {
        match settings.optional("PUBLIC_BASE_URL") {
            None => Ok(None),
            Some(base_url) => {
                let key = settings.required("DEVICE_KEY")?;
                let key = HmacKey::new("DEVICE_KEY", key.as_bytes()).map_err(|e| {
                    crate::runtime::config::ConfigError::Invalid {
                        name: "DEVICE_KEY".into(),
                        value: "(secret)".into(),
                        reason: e.to_string(),
                    }
                })?;
                Ok(Some(Self { base_url, key }))
            }
        }
    }

    /// The link for `tier` of `incident`, without the scheme (shorter in an SMS).
    pub fn link(&self, incident: &str, tier: u8) -> String {
        let base = self
            .base_url
            .trim_end_matches('/')
            .trim_start_matches("https://")
            .trim_start_matches("http://");
        format!(
            "{base}/a/{incident}/{tier}{}",
            ack_token(&self.key, incident, tier)
        )
    }
}

/// Where a function's incident changes are paged: the panic topic, the escalation
/// queue, and the tap-to-own links pages carry.
#[derive(Debug, Clone)]
pub struct PagingConfig {
    /// The panic topic (pages and stand-downs).
    pub panic_topic_arn: String,
    /// The escalation queue (delayed ticks).
    pub escalation_queue_url: String,
    /// Signed tap-to-own links in pages, when a public base URL is set.
    pub ack_links: Option<AckLinks>,
}

impl PagingConfig {
    /// `PANIC_TOPIC_ARN` (unset: this function pages nothing) with
    /// `ESCALATION_QUEUE_URL`, and the ack links ([`AckLinks::load`]).
    pub fn load(
        settings: &crate::runtime::config::Settings,
    ) -> Result<Option<Self>, crate::runtime::config::ConfigError> {
        match settings.optional("PANIC_TOPIC_ARN") {
            None => Ok(None),
            Some(panic_topic_arn) => Ok(Some(Self {
                panic_topic_arn,
                escalation_queue_url: settings.required("ESCALATION_QUEUE_URL")?,
                ack_links: AckLinks::load(settings)?,
            })),
        }
    }

    /// The pager over `table`, these and `notify` (emergency contacts).
    pub fn pager(
        &self,
        clients: &crate::runtime::aws::AwsClients,
        table: &str,
        notify: JsonQueue,
    ) -> Pager {
        Pager::new(
            IncidentStore::new(clients.dynamodb.clone(), table),
            PanicTopic::new(clients.sns.clone(), &self.panic_topic_arn),
            JsonQueue::new(clients.sqs.clone(), &self.escalation_queue_url),
            notify,
        )
        .with_ack_links(self.ack_links.clone())
    }
}

impl Pager {
    /// Over the store, the panic topic, the escalation queue and the notify queue.
    pub fn new(
        incidents: IncidentStore,
        topic: PanicTopic,
        ticks: JsonQueue,
        notify: JsonQueue,
    ) -> Self {
        Self {
            incidents,
            topic,
            ticks,
            notify,
            links: None,
        }
    }

    /// Pages carry a signed tap-to-own link.
    pub fn with_ack_links(mut self, links: Option<AckLinks>) -> Self {
        self.links = links;
        self
    }

    /// The incident store.
    pub fn incidents(&self) -> &IncidentStore {
        &self.incidents
    }

    /// Saves `change` over `previous` (`Conflict` if it changed meanwhile), then
    /// delivers what it owes. A delivery failure is logged and left to the auditor:
    /// the change itself has happened.
    pub async fn commit(
        &self,
        previous: &Incident,
        change: IncidentChange,
        now: Timestamp,
    ) -> Result<Incident, StoreError> {
        self.commit_with(previous, change, Vec::new(), now).await
    }

    /// [`Pager::commit`] with `also` written in the same transaction.
    pub async fn commit_with(
        &self,
        previous: &Incident,
        change: IncidentChange,
        also: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
        now: Timestamp,
    ) -> Result<Incident, StoreError> {
        self.incidents
            .save(
                previous.version,
                &change.incident,
                &change.entries,
                also,
                now,
            )
            .await?;
        Ok(self.deliver_or_defer(change.incident, now).await)
    }

    /// [`Pager::deliver`], logging a failure and returning the incident as written.
    pub async fn deliver_or_defer(&self, incident: Incident, now: Timestamp) -> Incident {
        match self.deliver(&incident, now).await {
            Ok(settled) => settled,
            Err(err) => {
                warn!(incident = %incident.id, error = %err, "delivery failed; left owed for the auditor");
                incident
            }
        }
    }

    /// Sends what `incident` owes and settles what went out.
    pub async fn deliver(
        &self,
        incident: &Incident,
        now: Timestamp,
    ) -> Result<Incident, StoreError> {
        let esc = &incident.escalation;
        if !esc.is_unsettled() {
            return Ok(incident.clone());
        }
        let sends = esc.owed.iter().map(|page| self.send(incident, page, now));
        let tick = async {
            match (esc.tick_owed, esc.next_tick_at) {
                (true, Some(due)) => {
                    let delay = due.duration_since(now).as_secs().max(0);
                    let tick = EscalationTick {
                        incident_id: incident.id.clone(),
                        token: esc.token.clone(),
                    };
                    self.ticks
                        .send_delayed(&tick, delay)
                        .await
                        .map(|()| Some(due))
                }
                _ => Ok(None),
            }
        };
        let (sent, tick) = futures::join!(join_all(sends), tick);
        let mut failure = None;
        let mut pages = Vec::new();
        let mut entries = Vec::new();
        for result in sent {
            match result {
                Ok((page, entry)) => {
                    pages.push(page);
                    entries.push(entry);
                }
                Err(err) => failure = Some(err),
            }
        }
        let tick_sent = match tick {
            Ok(Some(due)) => {
                entries.push(TimelineEntry::new(
                    now,
                    Happened::TickScheduled,
                    SYSTEM,
                    Some(format!("due {}", wib_rfc3339(due))),
                ));
                true
            }
            Ok(None) => false,
            Err(err) => {
                failure = Some(err);
                false
            }
        };
        let settled = self
            .settle(
                incident,
                &pages,
                tick_sent.then_some(esc.token.as_str()),
                &entries,
                now,
            )
            .await?;
        match failure {
            Some(err) => Err(err),
            None => Ok(settled),
        }
    }

    async fn send(
        &self,
        incident: &Incident,
        page: &Page,
        now: Timestamp,
    ) -> Result<(Page, TimelineEntry), StoreError> {
        let link = match (page, &self.links) {
            (Page::Tier { tier, .. }, Some(links)) => Some(links.link(&incident.id, *tier)),
            _ => None,
        };
        match render(incident, page, link.as_deref()) {
            Some(out) => {
                let message_id = self.topic.publish(&incident.id, &out).await?;
                info!(incident = %incident.id, page = %out.key, "paged");
                let detail = format!(
                    "{} tier={} sector={} sns={message_id}",
                    out.key, out.attributes.tier, out.attributes.sector
                );
                Ok((
                    page.clone(),
                    TimelineEntry::new(now, page.happened(), SYSTEM, Some(detail)),
                ))
            }
            None => {
                let job = NotifyJob::Contacts(IncidentContactsJob {
                    incident_contacts: incident.id.clone(),
                });
                self.notify.send(&job).await?;
                Ok((
                    page.clone(),
                    TimelineEntry::new(now, page.happened(), SYSTEM, None),
                ))
            }
        }
    }

    /// Marks `pages` and the tick as sent, on the stored version (re-read when a
    /// change landed meanwhile, so that change keeps what it owes).
    async fn settle(
        &self,
        incident: &Incident,
        pages: &[Page],
        tick_token: Option<&str>,
        entries: &[TimelineEntry],
        now: Timestamp,
    ) -> Result<Incident, StoreError> {
        // The first attempt writes over the version in hand; a lost race re-reads.
        let mut known = Some(incident.clone());
        super::retry_on_conflict(|| {
            let known = known.take();
            async move {
                let current = match known {
                    Some(current) => current,
                    None => self
                        .incidents
                        .get(&incident.id)
                        .await?
                        .ok_or_else(|| StoreError::Corrupt("incident vanished".into()))?,
                };
                let settled = settle_sent(&current, pages, tick_token);
                self.incidents
                    .save(current.version, &settled, entries, Vec::new(), now)
                    .await?;
                Ok(settled)
            }
        })
        .await
    }
}
