//! `notify`: every outbound message, from the SQS `notify` queue.
//!
//! Each message names an event on a report ([`NotifyMessage`]). For each recipient
//! the delivery is claimed in a delivery record first, then sent, then marked sent:
//! a redelivered event finds the record and sends nothing, so nobody gets the same
//! SMS twice. A failed send releases the claim and fails the message, which SQS
//! retries and finally dead-letters.
//!
//! Recipients: the reporter, by SMS, when they left a phone number; and the staff
//! the event names (agencies given work, or the admins), through the staff topic
//! with an `agency` attribute their subscriptions filter on.
//!
//! SMS to citizens go through [`Texting`], within the per-number limits and the
//! daily budget; one it withholds is recorded as delivered (`withheld:<reason>`) so
//! no retry sends it later. Emergency contacts' SMS are a press's own path and are
//! not limited.
//!
//! A citizen who reported by SMS or WhatsApp, or whose message is being answered,
//! and who has written on WhatsApp in the last 30 days hears on WhatsApp instead
//! (when it is configured): free text or buttons within 24 hours of their
//! last message, an approved template after that, and by SMS when there is no
//! template for the event or WhatsApp refuses (the record keeps why, in
//! `fallback`). Whichever channel carries it, the one delivery record per event and
//! person means one copy.

use sigap::runtime::function::{Dependencies, EventFunction, Function, StartError};
use std::sync::Arc;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use jiff::SignedDuration;
use secrecy::{ExposeSecret, SecretString};
use sigap::adapters::deliveries::{Carried, Delivery, DeliveryRef, DeliveryStore, Fallback};
use sigap::adapters::devices::DeviceStore;
use sigap::adapters::inbound::InboundStore;
use sigap::adapters::incidents::{IncidentStore, incident_pk};
use sigap::adapters::rates::RateCounter;
use sigap::adapters::reports::ReportStore;
use sigap::adapters::senders::SenderStore;
use sigap::adapters::sms::{SmsSender, StaffTopic};
use sigap::adapters::table::{StoreError, report_pk};
use sigap::adapters::whatsapp::{WhatsAppClient, WhatsAppError, WhatsAppSent};
use sigap::domain::calendar::wib;
use sigap::domain::contact::{PhoneNumber, SenderKey};
use sigap::domain::device::contact_text;
use sigap::domain::incident::Source;
use sigap::domain::notification::SUPERVISORS;
use sigap::domain::notification::date_id;
use sigap::domain::notification::{
    EMERGENCY_SMS, NotificationKind, NotifyJob, NotifyMessage, citizen_sms, staff_text,
};
use sigap::domain::report::Channel;
use sigap::domain::signature::KeyError;
use sigap::domain::tracking_id::TrackingId;
use sigap::domain::whatsapp::{
    self, DeliveryState, Outgoing, Refusal, Templates, buttons_for, choose, offering,
};
use sigap::runtime::aws::AwsClients;
use sigap::runtime::batch::process_batch;
use sigap::runtime::clock::Clock;
use sigap::runtime::config::{ConfigError, Settings};
use sigap::service::texting::{SmsLimits, Texted, Texting};
use sigap::service::whatsapp::WhatsAppConfig;
use tracing::{info, warn};

/// How long one attempt may hold a delivery claim before another may take it over.
const DELIVERY_LEASE: SignedDuration = SignedDuration::from_secs(30);
/// The reporter, as a recipient in delivery records.
const REPORTER: &str = "reporter";

/// Settings `notify` reads from its environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// The single table.
    pub table_name: String,
    /// The staff topic.
    pub staff_topic_arn: String,
    /// The supervisors' topic for breached deadlines.
    pub sla_alerts_topic_arn: String,
    /// Secret key for the keyed hash of phone numbers (the SMS limits' counters).
    pub sender_hash_key: SecretString,
    /// The SMS limits.
    pub sms_limits: SmsLimits,
    /// WhatsApp, when configured.
    pub whatsapp: Option<WhatsAppConfig>,
    /// The approved templates sent outside WhatsApp's 24-hour window.
    pub whatsapp_templates: Templates,
}

impl Config {
    /// Reads `TABLE_NAME`, `STAFF_TOPIC_ARN`, `SLA_ALERTS_TOPIC_ARN`,
    /// `SENDER_HASH_KEY`, the SMS limits, WhatsApp's settings
    /// ([`WhatsAppConfig::load`]) and its templates: `WHATSAPP_TEMPLATES`
    /// (`kind=name:id,due,note;…`, none by default) in `WHATSAPP_TEMPLATE_LANGUAGE` (id).
    pub fn load(settings: &Settings) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: settings.required("TABLE_NAME")?,
            staff_topic_arn: settings.required("STAFF_TOPIC_ARN")?,
            sla_alerts_topic_arn: settings.required("SLA_ALERTS_TOPIC_ARN")?,
            sender_hash_key: settings.required("SENDER_HASH_KEY")?.into(),
            sms_limits: SmsLimits::load(settings)?,
            whatsapp: WhatsAppConfig::load(settings)?,
            whatsapp_templates: {
                let setting = settings.optional("WHATSAPP_TEMPLATES").unwrap_or_default();
                let language = settings
                    .optional("WHATSAPP_TEMPLATE_LANGUAGE")
                    .unwrap_or_else(|| "id".into());
                Templates::parse(&setting, &language).map_err(|e| ConfigError::Invalid {
                    name: "WHATSAPP_TEMPLATES".into(),
                    value: setting.clone(),
                    reason: e.to_string(),
                })?
            },
        })
    }
}

/// Everything the handler needs, built once per process.
pub struct Notify {
    reports: ReportStore,
    deliveries: DeliveryStore,
    sms: SmsSender,
    texting: Texting,
    staff: StaffTopic,
    sla_alerts: StaffTopic,
    inbound: InboundStore,
    incidents: IncidentStore,
    devices: DeviceStore,
    senders: SenderStore,
    sender_key: SenderKey,
    whatsapp: Option<(WhatsAppClient, Templates)>,
    clock: Arc<dyn Clock>,
}

impl Notify {
    /// Wires the stores and the SMS sender.
    pub fn new(
        config: &Config,
        clients: &AwsClients,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, KeyError> {
        let sms = SmsSender::new(clients.sns.clone());
        let sender_key = SenderKey::new(config.sender_hash_key.expose_secret())?;
        Ok(Self {
            reports: ReportStore::new(clients.dynamodb.clone(), &config.table_name),
            deliveries: DeliveryStore::new(clients.dynamodb.clone(), &config.table_name),
            texting: Texting::new(
                sms.clone(),
                RateCounter::new(clients.dynamodb.clone(), &config.table_name),
                sender_key.clone(),
                config.sms_limits,
            ),
            sms,
            staff: StaffTopic::new(clients.sns.clone(), &config.staff_topic_arn),
            sla_alerts: StaffTopic::new(clients.sns.clone(), &config.sla_alerts_topic_arn),
            inbound: InboundStore::new(clients.dynamodb.clone(), &config.table_name),
            incidents: IncidentStore::new(clients.dynamodb.clone(), &config.table_name),
            devices: DeviceStore::new(clients.dynamodb.clone(), &config.table_name),
            senders: SenderStore::new(clients.dynamodb.clone(), &config.table_name),
            sender_key,
            whatsapp: config
                .whatsapp
                .as_ref()
                .map(|w| (w.client(), config.whatsapp_templates.clone())),
            clock,
        })
    }
}

/// Why one event could not be delivered (the message is retried, then dead-lettered).
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// Not a notify message.
    #[error("malformed notify message: {0}")]
    Malformed(String),
    /// The report does not exist.
    #[error("report {0} does not exist")]
    NotFound(String),
    /// Another attempt is sending this right now.
    #[error("delivery in flight elsewhere; retry later")]
    InFlight,
    /// Storage or the SMS gateway failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// WhatsApp gave no usable answer (a timeout, a 5xx): retried, never a fallback,
    /// since the message may have gone.
    #[error(transparent)]
    WhatsApp(#[from] WhatsAppError),
}

/// What happened to one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Sent now, with the gateway's message id.
    Sent(String),
    /// Sent before (a redelivery): nothing sent now.
    AlreadySent,
    /// The reporter left no phone number: nobody to text.
    NoRecipient,
    /// Over an SMS limit: not sent, and never will be (the reason is recorded).
    Withheld(&'static str),
}

/// The Lambda handler for SQS batches.
pub async fn handle(
    app: &Notify,
    payload: serde_json::Value,
) -> Result<serde_json::Value, lambda_runtime::Error> {
    let batch: SqsEvent = serde_json::from_value(payload)?;
    Ok(serde_json::to_value(handle_batch(app, batch).await)?)
}

/// Delivers every message concurrently and reports the ones that failed.
pub async fn handle_batch(app: &Notify, batch: SqsEvent) -> SqsBatchResponse {
    process_batch(&batch, |message| deliver_message(app, message)).await
}

async fn deliver_message(app: &Notify, message: &SqsMessage) -> Result<(), NotifyError> {
    let body = message.body.as_deref().unwrap_or_default();
    let job: NotifyJob =
        serde_json::from_str(body).map_err(|e| NotifyError::Malformed(e.to_string()))?;
    match job {
        NotifyJob::Event(event) => deliver(app, &event).await.map(drop),
        NotifyJob::Reply(reply) => deliver_reply(app, &reply.sms_reply).await.map(drop),
        NotifyJob::Contacts(job) => deliver_contacts(app, &job.incident_contacts)
            .await
            .map(drop),
        NotifyJob::Fallback(job) => deliver_fallback(app, &job.whatsapp_failed).await.map(drop),
    }
}

/// Texts the emergency contacts of the device behind a panic incident, each once.
pub async fn deliver_contacts(
    app: &Notify,
    incident_id: &str,
) -> Result<Vec<Outcome>, NotifyError> {
    let incident = app
        .incidents
        .get(incident_id)
        .await?
        .ok_or_else(|| NotifyError::NotFound(incident_id.to_string()))?;
    let Source::PanicButton { device } = &incident.source else {
        return Ok(Vec::new());
    };
    let contacts = app
        .devices
        .pii(device)
        .await?
        .map(|pii| pii.contacts)
        .unwrap_or_default();
    let map = incident.fix.map(|f| {
        format!(
            "maps.google.com/?q={:.5},{:.5}",
            f.coordinates.lat(),
            f.coordinates.lon()
        )
    });
    let text = contact_text(&incident.id, map);
    let mut outcomes = Vec::new();
    for (i, phone) in contacts.iter().enumerate() {
        let recipient = format!("contact#{}", i + 1);
        let send = async { Ok(Sent::from(Texted::Sent(app.sms.send(phone, &text).await?))) };
        let owner = incident_pk(&incident.id);
        outcomes.push(once(app, &owner, "contacts", &recipient, "sms", &text, send).await?);
    }
    info!(
        incident = incident_id,
        contacts = outcomes.len(),
        "emergency contacts handled"
    );
    Ok(outcomes)
}

/// Sends the replies owed to an inbound text message (each part at most once),
/// to the number it came from.
pub async fn deliver_reply(app: &Notify, key: &str) -> Result<Vec<Outcome>, NotifyError> {
    let inbound = app
        .inbound
        .get(key)
        .await?
        .ok_or_else(|| NotifyError::NotFound(key.to_string()))?;
    // An answer on WhatsApp goes back on WhatsApp (the citizen just wrote: the
    // window is open), by SMS when WhatsApp refuses.
    let sender =
        (inbound.gateway == whatsapp::CHANNEL).then(|| app.sender_key.phone(&inbound.from));
    let mut outcomes = Vec::new();
    let last = inbound.replies.len().saturating_sub(1);
    for (part, text) in inbound.replies.iter().enumerate() {
        let recipient = format!("sender#{}", part + 1);
        let citizen = Citizen {
            phone: &inbound.from,
            sender: sender.as_deref(),
        };
        // The last part carries the choices it offers (buttons, or a list).
        let choices = if part == last {
            &inbound.choices[..]
        } else {
            &[]
        };
        let send = reach(
            app,
            citizen,
            text,
            offering(text, choices, "Pilih"),
            None,
            DeliveryRef::new(key, "reply", &recipient),
        );
        outcomes.push(once(app, key, "reply", &recipient, "sms", text, send).await?);
    }
    info!(inbound = key, to = %inbound.from.masked(), parts = outcomes.len(), "sms reply handled");
    Ok(outcomes)
}

/// Sends by SMS, once, a message WhatsApp accepted and later reported failed
/// (`record` is its delivery record, `<owner>|<event key>|<recipient>`): the record
/// then says SMS carried it and why. Nothing when WhatsApp did not carry it, its
/// status is not failed, or the fallback went before.
pub async fn deliver_fallback(app: &Notify, record: &str) -> Result<Outcome, NotifyError> {
    let Some(record) = DeliveryRef::parse(record) else {
        return Err(NotifyError::Malformed(format!(
            "fallback record {record:?}"
        )));
    };
    let (owner, key, recipient) = (&*record.owner, &*record.key, &*record.recipient);
    let Some(delivery) = app.deliveries.get(owner, key, recipient).await? else {
        return Ok(Outcome::NoRecipient);
    };
    let failed = delivery.channel == whatsapp::CHANNEL
        && delivery.wa_status.as_deref() == Some(DeliveryState::Failed.as_str());
    let (true, Some(text)) = (failed, delivery.sms_text.as_deref()) else {
        return Ok(Outcome::AlreadySent);
    };
    let Some(phone) = recipient_phone(app, owner, recipient).await? else {
        return Ok(Outcome::NoRecipient);
    };
    let reason = delivery.wa_error.map_or_else(
        || "failed".to_string(),
        |code| Refusal::from_code(code).reason(),
    );
    let now = app.clock.now();
    match app
        .deliveries
        .claim_fallback(owner, key, recipient, &reason, now, DELIVERY_LEASE)
        .await?
    {
        Fallback::Done => Ok(Outcome::AlreadySent),
        Fallback::InFlight => Err(NotifyError::InFlight),
        Fallback::Send => match app.texting.send(&phone, text, now).await {
            Ok(texted) => {
                let (message_id, outcome) = match texted {
                    Texted::Sent(id) => (id.clone(), Outcome::Sent(id)),
                    Texted::Withheld(w) => (
                        format!("withheld:{}", w.reason()),
                        Outcome::Withheld(w.reason()),
                    ),
                };
                app.deliveries
                    .mark_fallback_sent(owner, key, recipient, &message_id, app.clock.now())
                    .await?;
                info!(to = %phone.masked(), reason = %reason, "whatsapp failed later: sent by sms");
                Ok(outcome)
            }
            Err(err) => {
                let _ = app.deliveries.release_fallback(owner, key, recipient).await;
                Err(err.into())
            }
        },
    }
}

/// The number of a delivery record's recipient: the inbound message's sender, or a
/// report's reporter.
async fn recipient_phone(
    app: &Notify,
    owner: &str,
    recipient: &str,
) -> Result<Option<PhoneNumber>, NotifyError> {
    if owner.starts_with("SMS#") {
        return Ok(app.inbound.get(owner).await?.map(|m| m.from));
    }
    let report = match (
        owner.strip_prefix("R#"),
        recipient.strip_prefix("reporter:"),
    ) {
        (_, Some(merged)) => merged,
        (Some(id), None) if recipient == REPORTER => id,
        _ => return Ok(None),
    };
    let id = TrackingId::parse(report).map_err(|e| NotifyError::Malformed(e.to_string()))?;
    Ok(app.reports.reporter_contact(&id).await?.phone)
}

/// What `notify` did with one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// The reporter's SMS.
    pub sms: Outcome,
    /// The SMS to reporters of reports merged into this one, by their report id.
    pub followers: Vec<(String, Outcome)>,
    /// Each staff audience's message, in the event's order.
    pub staff: Vec<(String, Outcome)>,
}

/// Tells the reporter and the staff concerned about `event`, each at most once.
pub async fn deliver(app: &Notify, event: &NotifyMessage) -> Result<Delivered, NotifyError> {
    let id =
        TrackingId::parse(&event.report_id).map_err(|e| NotifyError::Malformed(e.to_string()))?;
    // The report (with its reporter's contact when they are to be texted) and the
    // reports merged into it are independent reads: one round trip, not two.
    let tells_reporter = event.kind.tells_reporter();
    // A staff-only event reads no personal data: no phone, no reporter to text.
    let read = async {
        if tells_reporter {
            Ok(app
                .reports
                .with_contact(&id)
                .await?
                .map(|(report, contact)| (report, contact.phone)))
        } else {
            Ok::<_, StoreError>(app.reports.get(&id).await?.map(|report| (report, None)))
        }
    };
    let merged = async {
        if tells_reporter {
            app.reports.merged_into(&id).await
        } else {
            Ok(Vec::new())
        }
    };
    let (read, merged) = tokio::join!(read, merged);
    let (report, phone) = read?.ok_or_else(|| NotifyError::NotFound(id.to_string()))?;
    let due = event
        .due
        .or_else(|| report.clock.map(|c| c.due_at.to_zoned(wib()).date()));
    let key = event.event_key();
    let emergency = report
        .triage
        .as_ref()
        .is_some_and(|t| t.emergency.is_some());
    let note = match event.kind {
        // Triage flagged an emergency: the receipt tells the citizen to call 112.
        NotificationKind::Received if emergency => Some(EMERGENCY_SMS),
        _ => event.note.as_deref(),
    };
    let text = citizen_sms(event.kind, id.as_str(), due, note);
    let news = |text| News {
        kind: event.kind,
        due: due.map(date_id),
        note,
        text,
    };
    let sms = match &text {
        None => Outcome::NoRecipient,
        Some(text) => {
            // Only a conversation by text message may move to WhatsApp: a web or
            // Open311 reporter is not looked up (one call fewer on every receipt).
            let texting = matches!(report.channel, Channel::Sms | Channel::WhatsApp);
            let reporter = Reporter {
                of: &id,
                phone,
                sender: report.sender.as_deref().filter(|_| texting),
                recipient: REPORTER,
            };
            tell_reporter(app, &id, reporter, &key, &news(text)).await?
        }
    };
    // Reporters of reports merged into this one hear its news too (by SMS: their
    // own report's sender is not read here).
    let mut followers = Vec::new();
    if let Some(text) = &text {
        for merged in merged? {
            let recipient = format!("{REPORTER}:{merged}");
            let reporter = Reporter {
                of: &merged,
                phone: app.reports.reporter_contact(&merged).await?.phone,
                sender: None,
                recipient: &recipient,
            };
            let outcome = tell_reporter(app, &id, reporter, &key, &news(text)).await?;
            followers.push((merged.to_string(), outcome));
        }
    }
    // SLA alerts go to the supervisors' topic, tagged with the deadline's owner so a
    // supervisor can subscribe to the agencies they oversee.
    let owner = event
        .staff
        .iter()
        .find(|a| a.as_str() != SUPERVISORS)
        .map_or("admin", String::as_str);
    let mut staff = Vec::new();
    for audience in &event.staff {
        let (topic, tag) = if audience == SUPERVISORS {
            (&app.sla_alerts, owner)
        } else {
            (&app.staff, audience.as_str())
        };
        let outcome = match staff_text(
            event.kind,
            id.as_str(),
            &report.title,
            due,
            event.note.as_deref(),
        ) {
            Some(text) => {
                let recipient = format!("staff:{audience}");
                let subject = format!("Sigap {id}");
                let publish = async {
                    Ok(Sent::from(Texted::Sent(
                        topic.publish(tag, &subject, &text).await?,
                    )))
                };
                once(
                    app,
                    &report_pk(id.as_str()),
                    &key,
                    &recipient,
                    "staff-topic",
                    &text,
                    publish,
                )
                .await?
            }
            None => Outcome::NoRecipient,
        };
        staff.push((audience.clone(), outcome));
    }
    Ok(Delivered {
        sms,
        followers,
        staff,
    })
}

/// Whom a report's news goes to.
struct Reporter<'a> {
    /// The report they made.
    of: &'a TrackingId,
    /// Their number, when they gave one.
    phone: Option<PhoneNumber>,
    /// Their sender hash (their WhatsApp window is kept under it).
    sender: Option<&'a str>,
    /// Their name in the delivery record.
    recipient: &'a str,
}

/// One piece of news for a reporter, in the words of each channel.
struct News<'a> {
    kind: NotificationKind,
    due: Option<String>,
    note: Option<&'a str>,
    /// The SMS text (and WhatsApp's free text).
    text: &'a str,
}

/// Tells `reporter` the news about `report`, at most once.
async fn tell_reporter(
    app: &Notify,
    report: &TrackingId,
    reporter: Reporter<'_>,
    key: &str,
    news: &News<'_>,
) -> Result<Outcome, NotifyError> {
    let Some(phone) = &reporter.phone else {
        info!(report_id = %reporter.of, "no phone number on the report: no SMS");
        return Ok(Outcome::NoRecipient);
    };
    let buttons = buttons_for(news.kind, report.as_str());
    let inside = if buttons.is_empty() {
        Outgoing::Text(news.text.to_string())
    } else {
        Outgoing::Buttons {
            body: news.text.to_string(),
            buttons,
        }
    };
    let template = app.whatsapp.as_ref().and_then(|(_, templates)| {
        templates.message(news.kind, report.as_str(), news.due.as_deref(), news.note)
    });
    let owner = report_pk(report.as_str());
    let citizen = Citizen {
        phone,
        sender: reporter.sender,
    };
    let send = reach(
        app,
        citizen,
        news.text,
        inside,
        template,
        DeliveryRef::new(&owner, key, reporter.recipient),
    );
    let sent = once(app, &owner, key, reporter.recipient, "sms", news.text, send).await?;
    if let Outcome::Sent(_) = sent {
        info!(report_id = %report, event = %key, to = %phone.masked(), "reporter told");
    }
    Ok(sent)
}

/// A citizen to reach: their number, and their sender hash when they may be on
/// WhatsApp.
#[derive(Clone, Copy)]
struct Citizen<'a> {
    phone: &'a PhoneNumber,
    sender: Option<&'a str>,
}

/// What carried one message, or why nothing did.
enum Sent {
    /// Carried: by `channel` (`None`: the one claimed), with the carrier's id, what
    /// was sent when it is not the SMS text, and why WhatsApp was passed over.
    By {
        channel: Option<&'static str>,
        message_id: String,
        summary: Option<String>,
        fallback: Option<String>,
    },
    /// Over an SMS limit: not sent, and never will be.
    Withheld(&'static str),
}

impl From<Texted> for Sent {
    fn from(texted: Texted) -> Self {
        match texted {
            Texted::Sent(message_id) => Sent::By {
                channel: None,
                message_id,
                summary: None,
                fallback: None,
            },
            Texted::Withheld(withheld) => Sent::Withheld(withheld.reason()),
        }
    }
}

/// Sends a citizen `text` on the channel they use: on WhatsApp when they wrote there
/// in the last 30 days (`inside` within 24 hours of their last message, else the
/// approved `template`), by SMS otherwise, or when there is no template, or when
/// WhatsApp refuses. `record` names the delivery record (echoed in WhatsApp's
/// statuses).
async fn reach(
    app: &Notify,
    citizen: Citizen<'_>,
    text: &str,
    inside: Outgoing,
    template: Option<Outgoing>,
    record: DeliveryRef,
) -> Result<Sent, NotifyError> {
    let now = app.clock.now();
    let mut fallback = None;
    if let (Some((client, _)), Some(sender)) = (&app.whatsapp, citizen.sender)
        && let Some(last_in) = app.senders.last_on_whatsapp(sender, now).await?
    {
        match choose(last_in, now, inside, template) {
            Some(message) => {
                match client
                    .send(citizen.phone, &message, &record.to_string())
                    .await?
                {
                    WhatsAppSent::Accepted(message_id) => {
                        return Ok(Sent::By {
                            channel: Some(whatsapp::CHANNEL),
                            message_id,
                            summary: Some(message.summary()),
                            fallback: None,
                        });
                    }
                    WhatsAppSent::Refused(refusal) => {
                        warn!(to = %citizen.phone.masked(), reason = %refusal.reason(), "whatsapp refused: by sms instead");
                        fallback = Some(refusal.reason());
                    }
                }
            }
            None => fallback = Some("outside_window_no_template".to_string()),
        }
    }
    match Sent::from(app.texting.send(citizen.phone, text, now).await?) {
        Sent::By {
            message_id,
            summary,
            ..
        } => Ok(Sent::By {
            channel: Some("sms"),
            message_id,
            summary,
            fallback,
        }),
        withheld => Ok(withheld),
    }
}

/// Claims the delivery record under `owner` (a report's or an inbound message's
/// partition), sends, marks it sent; a redelivery sends nothing.
async fn once(
    app: &Notify,
    owner: &str,
    key: &str,
    recipient: &str,
    channel: &str,
    text: &str,
    send: impl std::future::Future<Output = Result<Sent, NotifyError>>,
) -> Result<Outcome, NotifyError> {
    let now = app.clock.now();
    match app
        .deliveries
        .claim(owner, key, recipient, channel, now, DELIVERY_LEASE)
        .await?
    {
        Delivery::AlreadySent(_) => Ok(Outcome::AlreadySent),
        Delivery::InFlight => Err(NotifyError::InFlight),
        Delivery::Send => match send.await {
            Ok(Sent::By {
                channel,
                message_id,
                summary,
                fallback,
            }) => {
                let carried = Carried {
                    channel,
                    message_id: &message_id,
                    text: summary.as_deref().unwrap_or(text),
                    fallback,
                    // Kept for a late failure reported by WhatsApp's statuses.
                    sms_text: (channel == Some(whatsapp::CHANNEL)).then_some(text),
                };
                app.deliveries
                    .mark_carried(owner, key, recipient, &carried, app.clock.now())
                    .await?;
                Ok(Outcome::Sent(message_id))
            }
            Ok(Sent::Withheld(reason)) => {
                let marker = format!("withheld:{reason}");
                app.deliveries
                    .mark_sent(owner, key, recipient, &marker, text, app.clock.now())
                    .await?;
                Ok(Outcome::Withheld(reason))
            }
            Err(err) => {
                // Let the retry go straight away instead of waiting for the lease.
                let _ = app.deliveries.release(owner, key, recipient).await;
                Err(err)
            }
        },
    }
}

impl Function for Notify {
    const NAME: &'static str = "notify";

    fn build(settings: &Settings, deps: &Dependencies) -> Result<Self, StartError> {
        let config = Config::load(settings)?;
        Self::new(&config, &deps.clients, deps.clock.clone())
            .map_err(|e| StartError::setup("the sender hash key", e))
    }
}

impl EventFunction for Notify {
    fn handle(
        &self,
        payload: serde_json::Value,
    ) -> impl std::future::Future<Output = Result<serde_json::Value, lambda_runtime::Error>> + Send
    {
        handle(self, payload)
    }
}
