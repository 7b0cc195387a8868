//! The staff's incident sequences, written once for the JSON API (`panic`'s
//! `/staff/incidents`) and the command centre's board (`backoffice`'s
//! `/konsol/pusat`): recording a 112 call, and acknowledging, noting, updating and
//! resolving an incident. Each is one conditional write of the incident (through
//! [`Pager::commit_with`], which then sends the pages and stand-downs it owes).

use std::sync::Arc;

use aws_sdk_dynamodb::types::TransactWriteItem;
use jiff::{SignedDuration, Timestamp};
use lambda_http::http::StatusCode;
use tracing::{info, warn};

use crate::adapters::devices::DeviceStore;
use crate::adapters::incidents::{IncidentStore, PolicyCache, PressClaim};
use crate::adapters::location_links::LocationLinkStore;
use crate::adapters::rates::RateCounter;
use crate::adapters::table::StoreError;
use crate::domain::contact::PhoneNumber;
use crate::domain::device::{counts_against, is_low_trust};
use crate::domain::incident::{
    self, Fix, Happened, Incident, IncidentAction, IncidentError, IncidentKind,
    LOCATION_LINK_VALID, Opening, OperatorUpdate, Outcome, POSITION_EVERY, PositionRefusal, SYSTEM,
    Sector, Source, TimelineEntry, incident_code, is_location_token, location_link_path,
    location_link_text, parse_incident_code, sector_for,
};
use crate::domain::limits::{Refusal, Window};
use crate::domain::location::Coordinates;
use crate::domain::staff::{Role, Staff, may_close_incident};
use crate::http::ApiError;
use crate::runtime::clock::Clock;
use crate::runtime::ids::{IdGenerator, sha256_hex};
use crate::service::paging::Pager;
use crate::service::texting::{Texted, Texting};
use crate::service::{Conflicting, retry_on_conflict};

/// A 112 call as the operator took it down.
#[derive(Debug, Clone)]
pub struct Call112 {
    /// What kind of emergency.
    pub kind: IncidentKind,
    /// The caller's number, to call back and to text the location link to.
    pub caller: Option<PhoneNumber>,
    /// Where, when the operator pinned or typed it.
    pub fix: Option<Fix>,
    /// Where, in the caller's words (an address, a landmark).
    pub location_text: Option<String>,
    /// The sector to page, when the operator chose one (otherwise from the fix).
    pub sector: Option<String>,
    /// What the caller said.
    pub notes: Option<String>,
}

/// What a member of staff does to an incident.
#[derive(Debug, Clone, PartialEq)]
pub enum StaffAction {
    /// A responder's unit owns it: escalation stops and every tier paged stands down.
    Acknowledge,
    /// Closed with an outcome (the responder's unit or an operator).
    Resolve {
        /// Founded, unfounded or minor.
        outcome: Outcome,
        /// Why, for the timeline.
        note: Option<String>,
    },
    /// An operator's better facts (kind, place).
    Update {
        /// What changes.
        change: OperatorUpdate,
        /// Why, for the timeline.
        note: Option<String>,
    },
    /// A line on the timeline.
    Note(String),
    /// The operator called the citizen back after a cancel.
    FollowUp {
        /// What was said.
        note: Option<String>,
    },
}

/// The incident sequences staff start, over the pager and the device store.
pub struct IncidentDesk {
    pager: Pager,
    devices: DeviceStore,
    links: LocationLinkStore,
    texting: Option<Texting>,
    press_trust: Option<(RateCounter, u64)>,
    policy: PolicyCache,
    sectors: Arc<Vec<Sector>>,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
}

impl std::fmt::Debug for IncidentDesk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IncidentDesk").finish_non_exhaustive()
    }
}

/// A point an operator typed or pinned: both numbers or neither, inside the city.
pub fn typed_fix(lat: Option<f64>, lon: Option<f64>) -> Result<Option<Fix>, ApiError> {
    match (lat, lon) {
        (None, None) => Ok(None),
        (Some(lat), Some(lon)) => Coordinates::parse(lat, lon)
            .map(|coordinates| {
                Some(Fix {
                    coordinates,
                    accuracy_m: None,
                    fix_age_s: None,
                })
            })
            .map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_location",
                    format!("Koordinat tidak valid: {e}."),
                )
            }),
        _ => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_location",
            "Isi lintang dan bujur bersama-sama.",
        )),
    }
}

fn forbidden(code: &'static str, message: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, code, message)
}

fn not_allowed() -> ApiError {
    forbidden(
        "forbidden",
        "Peran Anda tidak berwenang untuk tindakan ini.",
    )
}

fn conflict(code: &'static str, message: &str) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, code, message)
}

impl IncidentDesk {
    /// Over `pager` (its store), the devices (trust), the caller's location links,
    /// the sectors pages are routed by.
    pub fn new(
        pager: Pager,
        devices: DeviceStore,
        links: LocationLinkStore,
        sectors: Vec<Sector>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        Self {
            links,
            texting: None,
            press_trust: None,
            policy: PolicyCache::new(pager.incidents().clone()),
            pager,
            devices,
            sectors: Arc::new(sectors),
            clock,
            ids,
        }
    }

    /// Location links go to callers by SMS through `texting` (within the SMS limits).
    pub fn with_texting(mut self, texting: Texting) -> Self {
        self.texting = Some(texting);
        self
    }

    /// The pager the desk commits through.
    pub fn pager(&self) -> &Pager {
        &self.pager
    }

    /// The sectors incidents are paged by.
    pub fn sectors(&self) -> &[Sector] {
        &self.sectors
    }

    /// A fresh escalation token (128 random bits).
    fn token(&self) -> Result<String, ApiError> {
        self.ids
            .secret_token()
            .map_err(|e| ApiError::unavailable_because("drawing random bytes", e))
    }

    /// The incident `raw_id` names (a code as typed), or 404.
    pub async fn load(&self, raw_id: &str) -> Result<Incident, ApiError> {
        let not_found = || ApiError::not_found("Kejadian tidak ditemukan.");
        let id = parse_incident_code(raw_id).ok_or_else(not_found)?;
        self.pager
            .incidents()
            .get(&id)
            .await
            .map_err(|e| ApiError::unavailable_because("reading incident", e))?
            .ok_or_else(not_found)
    }

    /// An operator records a 112 call: it opens an incident and pages tier 0, as a
    /// press does. With an idempotency `key` a retried submit finds the same
    /// incident (`false`: not created now).
    pub async fn record_call(
        &self,
        staff: &Staff,
        call: Call112,
        key: Option<&str>,
    ) -> Result<(Incident, bool), ApiError> {
        if !staff.is_operator() {
            return Err(not_allowed());
        }
        let sector = match call.sector.as_deref() {
            None => sector_for(&self.sectors, call.fix.map(|f| f.coordinates)),
            Some(s) if s == incident::CITY_SECTOR || self.sectors.iter().any(|x| x.id == s) => {
                s.to_string()
            }
            Some(_) => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_sector",
                    "Sektor tidak dikenal.",
                ));
            }
        };
        // A retried submit with the same key maps to the same code, which exists.
        let code_bytes = match key {
            Some(key) => {
                hex::decode(sha256_hex(format!("112:{}:{key}", staff.subject))).unwrap_or_default()
            }
            None => self
                .ids
                .random_bytes(16)
                .map_err(|e| ApiError::unavailable_because("drawing incident code", e))?,
        };
        let id = incident_code(&code_bytes).ok_or_else(|| {
            ApiError::unavailable_because("drawing incident code", "random source")
        })?;
        let policy = self
            .policy
            .get()
            .await
            .map_err(|e| ApiError::unavailable_because("reading paging policy", e))?;
        let now = self.clock.now();
        let opened = incident::open(
            Opening {
                id: id.clone(),
                kind: call.kind,
                source: Source::Call112 {
                    operator: staff.subject.clone(),
                },
                sector,
                fix: call.fix,
                location_text: call.location_text,
                policy: (*policy).clone(),
                low_trust: false,
                token: self.token()?,
            },
            now,
        );
        let actor = staff.actor(&Role::Operator).to_stored();
        let mut entries = vec![TimelineEntry::new(
            now,
            Happened::Opened,
            &actor,
            Some("panggilan 112".into()),
        )];
        if let Some(notes) = call.notes {
            entries.push(TimelineEntry::new(now, Happened::Note, &actor, Some(notes)));
        }
        match self
            .pager
            .incidents()
            .open(
                &opened,
                &entries,
                None,
                call.caller.as_ref(),
                Vec::new(),
                now,
            )
            .await
        {
            Ok(()) => {
                info!(incident = %id, sector = %opened.sector, "112 call recorded");
                Ok((self.pager.deliver_or_defer(opened, now).await, true))
            }
            Err(StoreError::Conflict) if key.is_some() => Ok((self.load(&id).await?, false)),
            Err(e) => Err(ApiError::unavailable_because("storing incident", e)),
        }
    }

    /// `staff` does `action` to the incident `raw_id` names: the incident as it now
    /// stands (as it was, when it was so already: a retry changes nothing).
    pub async fn act(
        &self,
        staff: &Staff,
        raw_id: &str,
        action: StaffAction,
    ) -> Result<Incident, ApiError> {
        let unit = staff.unit().map(|u| Role::Responder(u.into()));
        let role = match &action {
            StaffAction::Acknowledge => unit,
            StaffAction::Resolve { .. } | StaffAction::Note(_) => {
                unit.or(staff.is_operator().then_some(Role::Operator))
            }
            StaffAction::Update { .. } | StaffAction::FollowUp { .. } => {
                staff.is_operator().then_some(Role::Operator)
            }
        };
        let role = role.ok_or_else(not_allowed)?;
        let actor = staff.actor(&role).to_stored();
        let command = match action {
            StaffAction::Acknowledge => {
                let unit = staff.unit().unwrap_or_default().to_string();
                IncidentAction::Acknowledge {
                    via: unit.clone(),
                    unit,
                }
            }
            StaffAction::Resolve { outcome, note } => IncidentAction::Resolve { outcome, note },
            StaffAction::Update { change, note } => IncidentAction::Update { change, note },
            StaffAction::Note(note) => IncidentAction::Note(note),
            StaffAction::FollowUp { note } => IncidentAction::FollowUp { note },
        };
        let now = self.clock.now();
        retry_on_conflict(|| async {
            let current = self.load(raw_id).await?;
            let closing = matches!(
                command,
                IncidentAction::Resolve { .. } | IncidentAction::Note(_)
            );
            if closing && !may_close_incident(staff, current.owner.as_deref()) {
                return Err(forbidden(
                    "owned_by_another_unit",
                    "Kejadian ini ditangani unit lain; hanya unit itu atau operator 112 yang dapat menutupnya.",
                ));
            }
            let Some(change) = command
                .decide(&current, &actor, now, self.token()?)
                .map_err(refused)?
            else {
                return Ok(current);
            };
            let mut also = Vec::new();
            // An unfounded press counts against its device's trust, in the same write.
            if let IncidentAction::Resolve { outcome, .. } = &command
                && let Some(device) = counts_against(*outcome, &current.source)
                && let Some(known) = self
                    .devices
                    .get(device)
                    .await
                    .map_err(|e| ApiError::unavailable_because("reading device", e))?
            {
                also.push(
                    self.devices
                        .unfounded_item(&known, now)
                        .map_err(|e| ApiError::unavailable_because("building device update", e))?,
                );
            }
            match self.pager.commit_with(&current, change, also, now).await {
                Ok(saved) => {
                    info!(incident = %saved.id, by = %actor, "incident action");
                    Ok(saved)
                }
                Err(StoreError::Conflict) => {
                    Err(ApiError::conflict("Kejadian baru saja berubah. Coba lagi."))
                }
                Err(e) => Err(ApiError::unavailable_because("saving incident", e)),
            }
        })
        .await
    }
}

impl IncidentDesk {
    /// An operator texts the person behind incident `raw_id` a single-use link
    /// (`<base_url>/l/<token>`, working [`LOCATION_LINK_VALID`]) whose page sends the
    /// phone's position to the incident. The timeline records it (the number masked).
    pub async fn send_location_link(
        &self,
        staff: &Staff,
        raw_id: &str,
        base_url: &str,
    ) -> Result<Incident, ApiError> {
        if !staff.is_operator() {
            return Err(not_allowed());
        }
        let texting = self.texting.as_ref().ok_or_else(|| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "sms_not_configured",
                "Pengiriman SMS belum tersedia di sini.",
            )
        })?;
        let incident = self.load(raw_id).await?;
        if !incident.is_open() {
            return Err(refused(IncidentError::WrongState(incident.state)));
        }
        let to = call_back(self.pager.incidents(), &self.devices, &incident)
            .await
            .map_err(|e| ApiError::unavailable_because("reading the number to call back", e))?
            .ok_or_else(|| {
                ApiError::invalid("Kejadian ini tidak punya nomor penelepon untuk dikirimi tautan.")
            })?;
        let now = self.clock.now();
        let token = self.token()?;
        let expires_at = now.checked_add(LOCATION_LINK_VALID).unwrap_or(now);
        let actor = staff.actor(&Role::Operator).to_stored();
        self.links
            .create(&token, &incident.id, &actor, expires_at, now)
            .await
            .map_err(|e| ApiError::unavailable_because("storing the location link", e))?;
        let link = format!(
            "{}{}",
            base_url.trim_end_matches('/'),
            location_link_path(&token)
        );
        match texting
            .send(&to, &location_link_text(&link), now)
            .await
            .map_err(|e| ApiError::unavailable_because("texting the location link", e))?
        {
            Texted::Sent(_) => {}
            Texted::Withheld(withheld) => {
                let refusal = withheld.refusal();
                return Err(ApiError::too_many(
                    "sms_limit",
                    format!(
                        "SMS ke nomor ini sedang dibatasi. Coba lagi dalam {}, atau tanyakan lokasinya lewat telepon.",
                        refusal.wait_in_words()
                    ),
                    refusal,
                ));
            }
        }
        info!(incident = %incident.id, to = %to.masked(), "location link sent");
        let sent = IncidentAction::LocationLinkSent {
            detail: format!(
                "ke {}, berlaku sampai {} WIB",
                to.masked(),
                crate::domain::calendar::wib_rfc3339(expires_at)
            ),
        };
        // The SMS has gone: the timeline line is written on whatever the incident is now.
        retry_on_conflict(|| async {
            let current = self.load(&incident.id).await?;
            let Some(change) = sent
                .decide(&current, &actor, now, String::new())
                .map_err(refused)?
            else {
                return Ok(current);
            };
            self.pager
                .commit(&current, change, now)
                .await
                .map_err(|e| match e {
                    StoreError::Conflict => {
                        ApiError::conflict("Kejadian baru saja berubah. Coba lagi.")
                    }
                    e => ApiError::unavailable_because("recording the location link", e),
                })
        })
        .await
    }

    /// Whether location link `token` works now (its page asks for the position only
    /// then); never says which incident it is for.
    pub async fn location_link_usable(&self, token: &str) -> Result<bool, ApiError> {
        if !is_location_token(token) {
            return Ok(false);
        }
        let now = self.clock.now();
        Ok(self
            .links
            .get(token)
            .await
            .map_err(|e| ApiError::unavailable_because("reading the location link", e))?
            .is_some_and(|link| link.usable(now)))
    }

    /// What the person who opened location link `token` sent: their position, or
    /// where they are in words (a phone without location or JavaScript). Spends the
    /// link in the same write; a used or expired link is 410 and changes nothing.
    pub async fn locate_by_link(&self, token: &str, sent: LinkAnswer) -> Result<(), ApiError> {
        let gone = || {
            ApiError::new(
                StatusCode::GONE,
                "link_used_or_expired",
                "Tautan ini sudah dipakai atau kedaluwarsa. Bila masih darurat, telepon 112.",
            )
        };
        if !is_location_token(token) {
            return Err(gone());
        }
        let now = self.clock.now();
        let actor = "penelepon:tautan-lokasi";
        let action = match sent {
            LinkAnswer::Position(fix) => IncidentAction::Locate {
                how: match fix.accuracy_m {
                    Some(accuracy) => {
                        format!("dari tautan lokasi penelepon, akurasi ± {accuracy:.0} m")
                    }
                    None => "dari tautan lokasi penelepon".into(),
                },
                fix,
            },
            LinkAnswer::Words(words) => IncidentAction::Update {
                change: OperatorUpdate {
                    kind: None,
                    fix: None,
                    location_text: Some(words),
                },
                note: Some("lokasi ditulis penelepon lewat tautan lokasi".into()),
            },
        };
        retry_on_conflict(|| async {
            let link = self
                .links
                .get(token)
                .await
                .map_err(|e| ApiError::unavailable_because("reading the location link", e))?
                .filter(|link| link.usable(now))
                .ok_or_else(gone)?;
            let current = self.load(&link.incident).await?;
            // A closed incident takes no position: the link answers as spent.
            let change = action
                .decide(&current, actor, now, String::new())
                .map_err(|_| gone())?
                .ok_or_else(gone)?;
            let spend = self
                .links
                .spend_item(token, now)
                .map_err(|e| ApiError::unavailable_because("spending the location link", e))?;
            match self
                .pager
                .commit_with(&current, change, vec![spend], now)
                .await
            {
                Ok(saved) => {
                    info!(incident = %saved.id, "position from a location link");
                    Ok(())
                }
                // The incident changed, or the link was spent meanwhile: read both again.
                Err(StoreError::Conflict) => {
                    Err(ApiError::conflict("Kejadian baru saja berubah. Coba lagi."))
                }
                Err(e) => Err(ApiError::unavailable_because("saving the position", e)),
            }
        })
        .await
    }
}

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
        let lost = || ApiError::conflict("Kejadian baru saja berubah. Coba lagi.");
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
                Err(StoreError::Conflict) => Err(ApiError::conflict("Kejadian baru saja berubah. Coba lagi.")),
                Err(e) => Err(ApiError::unavailable_because("joining incident", e)),
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
            match current.wants_position(now) {
                Ok(()) => {}
                Err(PositionRefusal::NotNeeded) => return Ok(Tracking::Stop),
                Err(PositionRefusal::TooSoon(wait)) => {
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
            }
            let change = IncidentAction::Track { fix }
                .decide(&current, &format!("device:{device}"), now, String::new())
                .map_err(refused)?
                .ok_or_else(|| ApiError::unavailable_because("tracking", "nothing to change"))?;
            let remember = self
                .devices
                .position_item(device, &fix, now)
                .map_err(|e| ApiError::unavailable_because("building device update", e))?;
            match self
                .pager
                .commit_with(&current, change, vec![remember], now)
                .await
            {
                Ok(_) => Ok(Tracking::Taken),
                Err(StoreError::Conflict) => {
                    Err(ApiError::conflict("Kejadian baru saja berubah. Coba lagi."))
                }
                Err(e) => Err(ApiError::unavailable_because("saving the position", e)),
            }
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

/// The number to reach the person behind `incident`: the 112 caller's, or the
/// Panic Button's registered phone.
pub async fn call_back(
    incidents: &IncidentStore,
    devices: &DeviceStore,
    incident: &Incident,
) -> Result<Option<PhoneNumber>, StoreError> {
    match &incident.source {
        Source::Call112 { .. } => incidents.caller(&incident.id).await,
        Source::PanicButton { device } => Ok(devices.pii(device).await?.map(|pii| pii.phone)),
    }
}

/// What a location link's page sends.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkAnswer {
    /// The phone's position, with its accuracy.
    Position(Fix),
    /// Where the person is, in their words.
    Words(String),
}

/// 409 for an action the incident's state refuses.
fn refused(err: IncidentError) -> ApiError {
    match err {
        IncidentError::WrongState(state) => conflict(
            "invalid_state",
            &format!(
                "Tindakan ini tidak berlaku untuk kejadian berstatus {}.",
                state.label()
            ),
        ),
        IncidentError::CancelWindowPassed => conflict(
            "cancel_window_passed",
            "Batas waktu pembatalan sudah lewat.",
        ),
    }
}
