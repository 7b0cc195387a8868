//! The Panic Button's press, by the app or by SMS from its number, and the app's
//! positions while the emergency lasts.

use aws_sdk_dynamodb::types::TransactWriteItem;
use jiff::{SignedDuration, Timestamp};
use tracing::{info, warn};

use crate::adapters::incidents::PressClaim;
use crate::adapters::rates::RateCounter;
use crate::adapters::table::StoreError;
use crate::domain::device::is_low_trust;
use crate::domain::incident::{
    self, Fix, Happened, Incident, IncidentAction, IncidentError, IncidentKind, Opening,
    POSITION_EVERY, PositionRefusal, SYSTEM, Source, TimelineEntry, incident_code, sector_for,
};
use crate::domain::limits::{Refusal, Window};
use crate::http::ApiError;
use crate::service::{Conflicting, retry_on_conflict};

use super::{IncidentDesk, forbidden, refused, write_failed};

/// A press of the Panic Button, as the app sent it or its number texted it.
#[derive(Debug, Clone, PartialEq)]
pub struct Press {
    /// The device.
    pub device: String,
    /// What kind (`other` when the app did not say, or an SMS named none).
    pub kind: IncidentKind,
    /// Where: the app's fix, or for an SMS the device's last known one.
    pub fix: Option<Fix>,
    /// How it came.
    pub via: PressVia,
}

/// How a press came.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PressVia {
    /// The app, signed; `location_refused` when it sent a position that was not
    /// usable (outside the city, malformed).
    App {
        /// The position sent was refused.
        location_refused: bool,
    },
    /// The device's number texted the panic keyword (no mobile data); its position
    /// is the last the app sent, sent at `last_fix_at`.
    Sms {
        /// When the app sent the last known position.
        last_fix_at: Option<Timestamp>,
    },
}

/// What a press did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pressed {
    /// It opened this incident and paged tier 0.
    Opened(String),
    /// It joined the device's open incident (paging nobody again).
    Joined(String),
}

impl IncidentDesk {
    /// Counts a device's presses an hour for the low-trust mark (more than
    /// `incidents_per_hour` marks it) over `rates`.
    pub fn with_press_trust(mut self, rates: RateCounter, incidents_per_hour: u64) -> Self {
        self.press_trust = Some((rates, incidents_per_hour));
        self
    }

    /// A press: opens an incident and pages tier 0, or joins the device's open
    /// incident (deduplicated by the device's claim, whichever way the presses came).
    /// `also` is written with the opening or the join (an SMS marked handled). A
    /// press is never answered 409: if every attempt lost, the device tries again.
    pub async fn press(
        &self,
        press: Press,
        also: Vec<TransactWriteItem>,
    ) -> Result<Pressed, ApiError> {
        let now = self.clock.now();
        let policy = self
            .policy
            .get()
            .await
            .map_err(|e| ApiError::unavailable_because("reading paging policy", e))?;
        let device = &press.device;
        // The closed incident a new one takes the place of, learned by a lost attempt.
        let replaces = std::sync::Mutex::new(None::<String>);
        let lost = || write_failed("opening incident", StoreError::Conflict);
        let pressed = retry_on_conflict(|| async {
            let replacing = replaces.lock().map(|r| r.clone()).unwrap_or_default();
            let opened = incident::open(
                Opening {
                    id: self.new_code()?,
                    kind: press.kind,
                    source: Source::PanicButton {
                        device: device.clone(),
                    },
                    sector: sector_for(&self.sectors, press.fix.map(|f| f.coordinates)),
                    fix: press.fix,
                    location_text: None,
                    policy: (*policy).clone(),
                    low_trust: false,
                    token: self.token()?,
                },
                now,
            );
            let claim = PressClaim {
                device: device.clone(),
                replaces: replacing,
                open_until: now
                    .checked_add(SignedDuration::from_secs(i64::from(policy.dedup_window_s)))
                    .unwrap_or(now),
                // An SMS brings no position: the last known one stays as it was.
                fix: match press.via {
                    PressVia::App { .. } => press.fix,
                    PressVia::Sms { .. } => None,
                },
            };
            let entries = opened_entries(&opened, device, press.via);
            match self
                .pager
                .incidents()
                .open(&opened, &entries, Some(&claim), None, also.clone(), now)
                .await
            {
                Ok(()) => {
                    info!(incident = %opened.id, device = %device, sector = %opened.sector, "panic press opened an incident");
                    let id = opened.id.clone();
                    let paged = self.pager.deliver_or_defer(opened, now).await;
                    self.mark_trust(device, paged, now).await;
                    Ok(Pressed::Opened(id))
                }
                // Not a new incident: find out why.
                Err(StoreError::Conflict) => match self.not_new(&press, &also, now).await? {
                    NotNew::Joined(id) => Ok(Pressed::Joined(id)),
                    NotNew::TryAgain(replacing) => {
                        if let Ok(mut slot) = replaces.lock() {
                            *slot = replacing;
                        }
                        Err(lost())
                    }
                },
                Err(e) => Err(ApiError::unavailable_because("storing incident", e)),
            }
        })
        .await;
        pressed.map_err(|e| {
            if e.is_conflict() {
                ApiError::unavailable_because("opening incident", "kept conflicting")
            } else {
                e
            }
        })
    }

    /// A fresh incident code.
    fn new_code(&self) -> Result<String, ApiError> {
        self.ids
            .random_bytes(16)
            .ok()
            .and_then(|b| incident_code(&b))
            .ok_or_else(|| ApiError::unavailable_because("drawing incident code", "random source"))
    }

    /// A press whose incident was not created: refused (the device is inactive or
    /// blocked), joined to its open incident, or to be tried again.
    async fn not_new(
        &self,
        press: &Press,
        also: &[TransactWriteItem],
        now: Timestamp,
    ) -> Result<NotNew, ApiError> {
        let known = self
            .devices
            .get(&press.device)
            .await
            .map_err(|e| ApiError::unavailable_because("reading device", e))?
            .ok_or_else(|| ApiError::not_found("Perangkat tidak ditemukan."))?;
        if !known.active {
            return Err(forbidden(
                "device_inactive",
                "Perangkat belum terverifikasi.",
            ));
        }
        if known.blocked_until.is_some_and(|until| until > now) {
            return Err(forbidden(
                "device_blocked",
                "Perangkat ini diblokir petugas. Dalam keadaan darurat hubungi 112.",
            ));
        }
        match (&known.open_incident, known.open_until) {
            (Some(open), Some(until)) if until >= now => {
                Ok(match self.join(&known.id, open, press, also, now).await? {
                    Some(id) => NotNew::Joined(id),
                    None => NotNew::TryAgain(Some(open.clone())),
                })
            }
            _ => Ok(NotNew::TryAgain(None)),
        }
    }

    /// Folds a repeat press into the device's open incident; `None` if it has closed.
    async fn join(
        &self,
        device: &str,
        incident_id: &str,
        press: &Press,
        also: &[TransactWriteItem],
        now: Timestamp,
    ) -> Result<Option<String>, ApiError> {
        // An SMS press brings no new position: the incident keeps its own.
        let fix = match press.via {
            PressVia::App { .. } => press.fix,
            PressVia::Sms { .. } => None,
        };
        retry_on_conflict(|| async {
            let Some(current) = self
                .pager
                .incidents()
                .get(incident_id)
                .await
                .map_err(|e| ApiError::unavailable_because("reading incident", e))?
            else {
                return Ok(None);
            };
            let joining = IncidentAction::Join { fix };
            let actor = format!("device:{device}");
            // No token is drawn: a join rotates nothing.
            let Some(mut change) = joining
                .decide(&current, &actor, now, String::new())
                .map_err(|_| ApiError::unavailable_because("joining incident", "refused"))?
            else {
                return Ok(None);
            };
            if let PressVia::Sms { .. } = press.via {
                for entry in &mut change.entries {
                    entry.detail = entry.detail.take().map(|d| format!("{d}, lewat SMS"));
                }
            }
            let until = now
                .checked_add(SignedDuration::from_secs(i64::from(
                    current.policy.dedup_window_s,
                )))
                .unwrap_or(now);
            let extend = self
                .devices
                .extend_item(device, incident_id, until, fix.as_ref().map(|f| (f, now)))
                .map_err(|e| ApiError::unavailable_because("building device update", e))?;
            let mut writes = vec![extend];
            writes.extend(also.iter().cloned());
            match self
                .pager
                .incidents()
                .save(current.version, &change.incident, &change.entries, writes, now)
                .await
            {
                Ok(()) => {
                    info!(incident = %incident_id, presses = change.incident.presses, "repeat press joined the open incident");
                    Ok(Some(incident_id.to_string()))
                }
                Err(e) => Err(write_failed("joining incident", e)),
            }
        })
        .await
    }

    /// After the first page: a device with a history of unfounded presses, or opening
    /// more incidents in an hour than the limit, is marked low-trust on the incident.
    /// Its pages still go out, marked so: a phone is never silenced automatically.
    async fn mark_trust(&self, device: &str, incident: Incident, now: Timestamp) {
        let counted = async {
            match &self.press_trust {
                Some((rates, limit)) => Some((
                    rates
                        .count(&format!("press:{device}"), Window::Hour, now)
                        .await,
                    *limit,
                )),
                None => None,
            }
        };
        let (known, counted) = futures::join!(self.devices.get(device), counted);
        let mut reasons = Vec::new();
        if let Ok(Some(known)) = known
            && is_low_trust(&known.unfounded_at, now)
        {
            reasons.push(format!(
                "{} laporan palsu dalam 30 hari",
                known.unfounded_at.len()
            ));
        }
        if let Some((Ok(opened), limit)) = counted
            && opened > limit
        {
            reasons.push(format!("{opened} kejadian dalam satu jam"));
        }
        if reasons.is_empty() {
            return;
        }
        let marking = IncidentAction::MarkLowTrust {
            reasons: reasons.join("; "),
        };
        let Ok(Some(change)) = marking.decide(&incident, SYSTEM, now, String::new()) else {
            return;
        };
        if let Err(err) = self.pager.commit(&incident, change, now).await {
            warn!(incident = %incident.id, error = %err, "could not mark low trust");
        }
    }
}

/// What the app is told after a position update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tracking {
    /// Taken: send the next in [`POSITION_EVERY`].
    Taken,
    /// The incident no longer needs it: stop sending.
    Stop,
}

impl IncidentDesk {
    /// The app's position while its incident lasts: the incident's fix and a point
    /// on its track, and the device's last known position, in one write. At most one
    /// every [`POSITION_EVERY`] (sooner is 429, nothing written); [`Tracking::Stop`]
    /// once the incident no longer needs it. Only the device that pressed may send.
    pub async fn track(&self, device: &str, raw_id: &str, fix: Fix) -> Result<Tracking, ApiError> {
        let now = self.clock.now();
        retry_on_conflict(|| async {
            let current = self.load(raw_id).await?;
            if current.source
                != (Source::PanicButton {
                    device: device.to_string(),
                })
            {
                return Err(ApiError::not_found("Kejadian tidak ditemukan."));
            }
            let tracking = IncidentAction::Track { fix };
            let change =
                match tracking.decide(&current, &format!("device:{device}"), now, String::new()) {
                    Ok(Some(change)) => change,
                    Ok(None) | Err(IncidentError::Position(PositionRefusal::NotNeeded)) => {
                        return Ok(Tracking::Stop);
                    }
                    Err(IncidentError::Position(PositionRefusal::TooSoon(wait))) => {
                        return Err(ApiError::too_many(
                            "position_too_soon",
                            format!(
                                "Posisi dikirim terlalu sering: paling sering satu tiap {} detik.",
                                POSITION_EVERY.as_secs()
                            ),
                            Refusal {
                                retry_after_seconds: wait.as_secs().max(1),
                            },
                        ));
                    }
                    Err(other) => return Err(refused(other)),
                };
            let remember = self
                .devices
                .position_item(device, &fix, now)
                .map_err(|e| ApiError::unavailable_because("building device update", e))?;
            self.pager
                .commit_with(&current, change, vec![remember], now)
                .await
                .map_err(|e| write_failed("saving the position", e))?;
            Ok(Tracking::Taken)
        })
        .await
    }
}

/// Why a press opened no incident, when the device may press.
enum NotNew {
    /// It joined the device's open incident.
    Joined(String),
    /// Open one again (in place of this closed incident, if any): the window had
    /// passed, an id collided, or the open incident had just closed.
    TryAgain(Option<String>),
}

/// The first lines of a pressed incident's timeline: opened, and where it is (or
/// why it has no place).
fn opened_entries(incident: &Incident, device: &str, via: PressVia) -> Vec<TimelineEntry> {
    let actor = format!("device:{device}");
    let at = incident.opened_at;
    let opened = match via {
        PressVia::App { .. } => incident.id.clone(),
        PressVia::Sms { .. } => format!("{} lewat SMS", incident.id),
    };
    let mut entries = vec![TimelineEntry::new(
        at,
        Happened::Opened,
        &actor,
        Some(opened),
    )];
    match (via, incident.fix) {
        (PressVia::Sms { last_fix_at }, Some(_)) => {
            let when = last_fix_at.map_or_else(
                || "waktu tidak diketahui".into(),
                |sent| {
                    format!(
                        "dikirim aplikasi {} WIB",
                        crate::domain::calendar::wib_rfc3339(sent)
                    )
                },
            );
            entries.push(TimelineEntry::new(
                at,
                Happened::Located,
                &actor,
                Some(format!(
                    "posisi terakhir yang diketahui ({when}), bukan posisi saat ini"
                )),
            ));
        }
        (_, Some(_)) => {}
        (PressVia::App { location_refused }, None) => {
            let why = if location_refused {
                "lokasi di luar Kota Bandung atau tidak valid"
            } else {
                "tanpa lokasi"
            };
            entries.push(TimelineEntry::new(
                at,
                Happened::NoLocation,
                &actor,
                Some(why.into()),
            ));
        }
        (PressVia::Sms { .. }, None) => entries.push(TimelineEntry::new(
            at,
            Happened::NoLocation,
            &actor,
            Some("lewat SMS; aplikasi belum pernah mengirim posisi".into()),
        )),
    }
    entries
}
