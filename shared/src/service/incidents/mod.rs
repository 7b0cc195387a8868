//! The staff's incident sequences, written once for the JSON API (`panic`'s
//! `/staff/incidents`) and the command centre's board (`backoffice`'s
//! `/konsol/pusat`): recording a 112 call, and acknowledging, noting, updating and
//! resolving an incident. Each is one conditional write of the incident (through
//! [`Pager::commit_with`], which then sends the pages and stand-downs it owes).
//!
//! The press of the Panic Button (by the app or by SMS) and the app's positions are
//! here too (`presses.rs`), and the caller's location by link (`location.rs`): the
//! same desk, the same write, whichever function takes the request.

use std::sync::Arc;

use lambda_http::http::StatusCode;
use tracing::info;

use crate::adapters::devices::DeviceStore;
use crate::adapters::incidents::{IncidentStore, PolicyCache};
use crate::adapters::location_links::LocationLinkStore;
use crate::adapters::queue::JsonQueue;
use crate::adapters::rates::RateCounter;
use crate::adapters::table::StoreError;
use crate::domain::contact::PhoneNumber;
use crate::domain::device::counts_against;
use crate::domain::incident::{
    self, Fix, Happened, Incident, IncidentAction, IncidentError, IncidentKind, Opening,
    OperatorUpdate, Outcome, Sector, Source, TimelineEntry, bundled_sectors, incident_code,
    parse_incident_code, sector_for,
};
use crate::domain::location::Coordinates;
use crate::domain::staff::{Role, Staff, may_close_incident};
use crate::http::ApiError;
use crate::runtime::aws::AwsClients;
use crate::runtime::clock::Clock;
use crate::runtime::ids::{IdGenerator, sha256_hex};
use crate::service::paging::{Pager, PagingConfig};
use crate::service::retry_on_conflict;
use crate::service::texting::Texting;

mod location;
mod presses;

pub use location::LinkAnswer;
pub use presses::{Press, PressVia, Pressed, Tracking};

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
    /// Where texted links point (`PUBLIC_BASE_URL`), when the stage has a short domain.
    public_base_url: Option<String>,
    texting: Option<Texting>,
    press_trust: Option<(RateCounter, u64)>,
    policy: PolicyCache,
    sectors: Vec<Sector>,
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

/// Longest note, or place in words, an incident keeps.
pub const MAX_INCIDENT_TEXT: usize = 1000;

/// A note or a place in words as staff typed it: trimmed, empty as none, at most
/// [`MAX_INCIDENT_TEXT`] characters (400 naming `field` otherwise).
pub fn incident_text(value: Option<&str>, field: &str) -> Result<Option<String>, ApiError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) if v.chars().count() > MAX_INCIDENT_TEXT => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "text_too_long",
            format!("{field} terlalu panjang (maksimal {MAX_INCIDENT_TEXT} karakter)."),
        )),
        Some(v) => Ok(Some(v.to_string())),
    }
}

/// A failed incident write: 409 when another change won (the caller's
/// [`retry_on_conflict`] reads and decides again), else 503 while `context`.
pub fn write_failed(context: &str, error: StoreError) -> ApiError {
    match error {
        StoreError::Conflict => ApiError::conflict("Kejadian baru saja berubah. Coba lagi."),
        other => ApiError::unavailable_because(context, other),
    }
}

fn forbidden(code: &'static str, message: &str) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, code, message)
}

/// 403: the staff member's role may not do this to an incident.
pub fn not_allowed() -> ApiError {
    ApiError::forbidden("Peran Anda tidak berwenang untuk tindakan ini.")
}

fn conflict(code: &'static str, message: &str) -> ApiError {
    ApiError::new(StatusCode::CONFLICT, code, message)
}

impl IncidentDesk {
    /// The desk of a function that pages as `paging` says, over `table` (incidents,
    /// devices, location links) and `notify` (emergency contacts); pages are routed
    /// by the bundled sectors.
    pub fn over(
        paging: &PagingConfig,
        clients: &AwsClients,
        table: &str,
        notify: JsonQueue,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
    ) -> Self {
        let pager = paging.pager(clients, table, notify);
        Self {
            links: LocationLinkStore::new(clients.dynamodb.clone(), table),
            public_base_url: paging.ack_links.as_ref().map(|l| l.base_url.clone()),
            texting: None,
            press_trust: None,
            policy: PolicyCache::new(pager.incidents().clone()),
            pager,
            devices: DeviceStore::new(clients.dynamodb.clone(), table),
            sectors: bundled_sectors(),
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
            let saved = self
                .pager
                .commit_with(&current, change, also, now)
                .await
                .map_err(|e| write_failed("saving incident", e))?;
            info!(incident = %saved.id, by = %actor, "incident action");
            Ok(saved)
        })
        .await
    }
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
        IncidentError::Position(_) => conflict(
            "position_not_needed",
            "Posisi tidak diperlukan lagi untuk kejadian ini.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incident_text_is_trimmed_kept_whole_up_to_the_limit_and_refused_past_it() {
        assert_eq!(incident_text(None, "Catatan"), Ok(None));
        assert_eq!(incident_text(Some("  "), "Catatan"), Ok(None));
        assert_eq!(
            incident_text(Some(" asap tebal "), "Catatan"),
            Ok(Some("asap tebal".into()))
        );
        let longest = "é".repeat(MAX_INCIDENT_TEXT);
        assert_eq!(
            incident_text(Some(&longest), "Catatan"),
            Ok(Some(longest.clone()))
        );
        let refused = incident_text(Some(&format!("{longest}x")), "Catatan").unwrap_err();
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert_eq!(refused.code, "text_too_long");
        assert!(
            refused.message.starts_with("Catatan terlalu panjang"),
            "{}",
            refused.message
        );
    }
}
