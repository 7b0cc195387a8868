//! The incident state machine: open, join, acknowledge, resolve, cancel (or duress),
//! and the operator's changes. Each returns the next version; the pages it owes are
//! on its escalation. [`IncidentAction::decide`] is how callers use them: it returns
//! an [`IncidentChange`], the version with its typed timeline lines.

use jiff::{SignedDuration, Timestamp};

use super::{
    Escalation, Fix, Happened, Incident, IncidentError, IncidentKind, IncidentState, Outcome, Page,
    PagingPolicy, Source, TRACK_POINTS, TimelineEntry, TrackPoint, WRONG_PINS_BEFORE_DURESS,
};

/// What opens an incident.
#[derive(Debug, Clone, PartialEq)]
pub struct Opening {
    /// Code.
    pub id: String,
    /// Kind.
    pub kind: IncidentKind,
    /// Source.
    pub source: Source,
    /// Sector to page.
    pub sector: String,
    /// Fix, if any.
    pub fix: Option<Fix>,
    /// Location in words.
    pub location_text: Option<String>,
    /// Policy to freeze.
    pub policy: PagingPolicy,
    /// Device marked low-trust.
    pub low_trust: bool,
    /// The first token.
    pub token: String,
}

/// Opens an incident at `now`: tier 0 is owed at once and its ack tick is scheduled.
pub fn open(opening: Opening, now: Timestamp) -> Incident {
    let presses = u32::from(matches!(opening.source, Source::PanicButton { .. }));
    let next = now.saturating_add(opening.policy.ack_timeout(0)).ok();
    Incident {
        id: opening.id,
        kind: opening.kind,
        state: IncidentState::Triggered,
        outcome: None,
        source: opening.source,
        sector: opening.sector,
        fix: opening.fix,
        location_text: opening.location_text,
        opened_at: now,
        presses,
        last_press_at: (presses > 0).then_some(now),
        policy: opening.policy,
        escalation: Escalation {
            token: opening.token,
            caused_by: None,
            tier: 0,
            round: 0,
            next_tick_at: next,
            owed: if presses > 0 {
                vec![Page::Tier { tier: 0, round: 0 }, Page::Contacts]
            } else {
                vec![Page::Tier { tier: 0, round: 0 }]
            },
            tick_owed: next.is_some(),
            paged_tiers: vec![0],
            exhausted: false,
        },
        owner: None,
        acknowledged_at: None,
        closed_at: None,
        duress: false,
        wrong_pins: 0,
        track: Vec::new(),
        low_trust: opening.low_trust,
        follow_up: false,
        version: 1,
    }
}

/// How often the app may send its position while the emergency lasts (an update
/// sooner is refused, nothing written): about four a minute, a few writes per
/// incident, whatever a broken or hostile app sends.
pub const POSITION_EVERY: SignedDuration = SignedDuration::from_secs(15);

/// How long after a unit owns the incident the app keeps sending its position (the
/// responders are on their way; after that the owner calls if they need it).
pub const POSITION_AFTER_OWNED: SignedDuration = SignedDuration::from_mins(15);

/// Why a position update from the app is not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PositionRefusal {
    /// Sooner than [`POSITION_EVERY`] after the last: wait this long.
    TooSoon(SignedDuration),
    /// The incident no longer needs it (closed, or owned long enough ago): stop.
    NotNeeded,
}

impl Incident {
    /// Whether the app's position update at `now` is wanted: from the press until
    /// the incident is owned and [`POSITION_AFTER_OWNED`] after, at most one every
    /// [`POSITION_EVERY`].
    pub fn wants_position(&self, now: Timestamp) -> Result<(), PositionRefusal> {
        let wanted = match self.state {
            IncidentState::Triggered => true,
            IncidentState::Acknowledged => self
                .acknowledged_at
                .is_none_or(|owned| now < owned + POSITION_AFTER_OWNED),
            IncidentState::Resolved | IncidentState::Cancelled => false,
        };
        if !wanted {
            return Err(PositionRefusal::NotNeeded);
        }
        match self.track.last() {
            Some(last) if now < last.at + POSITION_EVERY => Err(PositionRefusal::TooSoon(
                (last.at + POSITION_EVERY).duration_since(now),
            )),
            _ => Ok(()),
        }
    }

    /// Open: still paging or owned.
    pub fn is_open(&self) -> bool {
        matches!(
            self.state,
            IncidentState::Triggered | IncidentState::Acknowledged
        )
    }

    /// A press from the same device joins this incident (open and within the window).
    pub fn joins(&self, now: Timestamp) -> bool {
        let window = SignedDuration::from_secs(i64::from(self.policy.dedup_window_s));
        let since = self.last_press_at.unwrap_or(self.opened_at);
        self.is_open() && now.duration_since(since) <= window
    }

    pub(super) fn rotate(&mut self, new_token: String, caused_by: Option<String>) {
        self.escalation.caused_by = caused_by;
        self.escalation.token = new_token;
        self.version += 1;
    }

    /// Whether the next tick must be put on the queue (set after every decision
    /// that schedules one).
    pub(super) fn schedule_tick(&mut self) {
        self.escalation.tick_owed = self.escalation.next_tick_at.is_some();
    }

    pub(super) fn tell_paged(&self, page: fn(u8) -> Page) -> Vec<Page> {
        self.escalation
            .paged_tiers
            .iter()
            .map(|&t| page(t))
            .collect()
    }
}

/// Another press joined the incident: counted, newest fix kept, nobody paged again.
pub(crate) fn join(incident: &Incident, fix: Option<Fix>, now: Timestamp) -> Incident {
    let mut next = incident.clone();
    next.presses += 1;
    next.last_press_at = Some(now);
    if fix.is_some() {
        next.fix = fix;
    }
    next.version += 1;
    next
}

/// A position reported while the emergency lasts becomes the incident's fix, and a
/// point on its track (the oldest dropped past [`TRACK_POINTS`]).
pub(crate) fn locate(
    incident: &Incident,
    fix: Fix,
    now: Timestamp,
) -> Result<Incident, IncidentError> {
    if !incident.is_open() {
        return Err(IncidentError::WrongState(incident.state));
    }
    let mut next = incident.clone();
    next.fix = Some(fix);
    next.track.push(TrackPoint { at: now, fix });
    let over = next.track.len().saturating_sub(TRACK_POINTS);
    next.track.drain(..over);
    next.version += 1;
    Ok(next)
}

/// A responder unit takes ownership: escalation stops, every paged tier stands down,
/// and the resolve timer starts.
pub(crate) fn acknowledge(
    incident: &Incident,
    unit: &str,
    now: Timestamp,
    new_token: String,
) -> Result<Incident, IncidentError> {
    if incident.state != IncidentState::Triggered {
        return Err(IncidentError::WrongState(incident.state));
    }
    let mut next = incident.clone();
    next.rotate(new_token, None);
    next.state = IncidentState::Acknowledged;
    next.owner = Some(unit.to_string());
    next.acknowledged_at = Some(now);
    next.escalation.round = 0;
    next.escalation.exhausted = false;
    next.escalation
        .owed
        .extend(incident.tell_paged(|tier| Page::StandDown { tier }));
    next.escalation.next_tick_at = now.saturating_add(incident.policy.resolve_timeout()).ok();
    next.schedule_tick();
    Ok(next)
}

/// Closes an open incident with an outcome. Resolved before anyone owned it, the
/// paged tiers are told it is over.
pub(crate) fn resolve(
    incident: &Incident,
    outcome: Outcome,
    now: Timestamp,
    new_token: String,
) -> Result<Incident, IncidentError> {
    if !incident.is_open() {
        return Err(IncidentError::WrongState(incident.state));
    }
    let mut next = incident.clone();
    next.rotate(new_token, None);
    next.state = IncidentState::Resolved;
    next.outcome = Some(outcome);
    next.closed_at = Some(now);
    next.follow_up = false;
    next.escalation.next_tick_at = None;
    next.escalation.tick_owed = false;
    if incident.state == IncidentState::Triggered {
        next.escalation
            .owed
            .extend(incident.tell_paged(|tier| Page::Cancelled { tier }));
    }
    Ok(next)
}

/// Which PIN the citizen entered to cancel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinKind {
    /// The cancel PIN: a real cancel.
    Cancel,
    /// The duress PIN: looks like a cancel, escalates silently to the top tier.
    Duress,
}

/// A cancel with a PIN. A real cancel tells everyone paged and leaves a follow-up
/// for an operator (a cancel is not proof of safety). A duress cancel keeps the
/// incident triggered, jumps to the top tier and flags it; the device is answered
/// exactly as for a cancel.
pub(crate) fn cancel(
    incident: &Incident,
    pin: PinKind,
    now: Timestamp,
    new_token: String,
) -> Result<Incident, IncidentError> {
    if !incident.is_open() {
        return Err(IncidentError::WrongState(incident.state));
    }
    let window = SignedDuration::from_secs(i64::from(incident.policy.cancel_window_s));
    if now.duration_since(incident.opened_at) > window {
        return Err(IncidentError::CancelWindowPassed);
    }
    let mut next = incident.clone();
    next.rotate(new_token, None);
    match pin {
        PinKind::Cancel => {
            next.state = IncidentState::Cancelled;
            next.closed_at = Some(now);
            next.follow_up = true;
            next.escalation.next_tick_at = None;
            next.escalation.tick_owed = false;
            next.escalation
                .owed
                .extend(incident.tell_paged(|tier| Page::Cancelled { tier }));
        }
        PinKind::Duress => {
            let top = incident.policy.top_tier();
            next.duress = true;
            next.state = IncidentState::Triggered;
            next.owner = None;
            next.escalation.tier = top;
            next.escalation.round = 0;
            next.escalation.exhausted = false;
            if !next.escalation.paged_tiers.contains(&top) {
                next.escalation.paged_tiers.push(top);
            }
            next.escalation.owed.push(Page::Tier {
                tier: top,
                round: 0,
            });
            next.escalation.next_tick_at =
                now.saturating_add(incident.policy.ack_timeout(top)).ok();
            next.schedule_tick();
        }
    }
    Ok(next)
}

/// The incident marked low-trust (still paged, marked so in later pages).
pub(crate) fn mark_low_trust(incident: &Incident) -> Incident {
    let mut next = incident.clone();
    next.low_trust = true;
    next.version += 1;
    next
}

/// A new version carrying nothing but a timeline line (a note).
pub(crate) fn touched(incident: &Incident) -> Incident {
    let mut next = incident.clone();
    next.version += 1;
    next
}

/// The operator called the citizen back after a cancel: off the follow-up queue.
pub(crate) fn followed_up(incident: &Incident) -> Incident {
    let mut next = incident.clone();
    next.follow_up = false;
    next.version += 1;
    next
}

/// An operator's update of a 112 incident: notes are timeline entries; these change
/// the record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OperatorUpdate {
    /// A new kind.
    pub kind: Option<IncidentKind>,
    /// A better location.
    pub fix: Option<Fix>,
    /// A better description of the place.
    pub location_text: Option<String>,
}

/// Applies an operator's update (the sector stays: the page has gone out).
pub(crate) fn update(
    incident: &Incident,
    change: &OperatorUpdate,
) -> Result<Incident, IncidentError> {
    if !incident.is_open() {
        return Err(IncidentError::WrongState(incident.state));
    }
    let mut next = incident.clone();
    if let Some(kind) = change.kind {
        next.kind = kind;
    }
    if let Some(fix) = change.fix {
        next.fix = Some(fix);
    }
    if let Some(text) = &change.location_text {
        next.location_text = Some(text.clone());
    }
    next.version += 1;
    Ok(next)
}

/// An incident operation's result, as a report operation's is a `Change`: the next
/// version and the timeline lines it records, committed together.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentChange {
    /// The next version.
    pub incident: Incident,
    /// What the timeline records of it.
    pub entries: Vec<TimelineEntry>,
}

/// What someone does to an incident: a responder, an operator, the device, the system.
#[derive(Debug, Clone, PartialEq)]
pub enum IncidentAction {
    /// A responder unit owns it; `via` is how, for the timeline (the unit, "lewat SMS",
    /// a link's tier).
    Acknowledge {
        /// The unit.
        unit: String,
        /// How it was taken.
        via: String,
    },
    /// Closed with an outcome.
    Resolve {
        /// Founded, unfounded or minor.
        outcome: Outcome,
        /// The operator's note.
        note: Option<String>,
    },
    /// An operator's better facts.
    Update {
        /// What changes.
        change: OperatorUpdate,
        /// The operator's note.
        note: Option<String>,
    },
    /// A line on the timeline and nothing else.
    Note(String),
    /// The operator called the citizen back after a cancel.
    FollowUp {
        /// The operator's note.
        note: Option<String>,
    },
    /// The citizen cancelled with a PIN (or the duress PIN).
    Cancel(PinKind),
    /// The citizen tried a PIN that is neither: counted, and the
    /// [`WRONG_PINS_BEFORE_DURESS`]th is taken as the duress PIN.
    WrongPin,
    /// Another press from the same device joined.
    Join {
        /// The newest fix.
        fix: Option<Fix>,
    },
    /// A position reported while the emergency lasts (`how`, for the timeline: the
    /// caller's location link, the app).
    Locate {
        /// The position.
        fix: Fix,
        /// Where it came from and how sure, in words.
        how: String,
    },
    /// The app's position while the emergency lasts: onto the track, quietly (no
    /// timeline line for each; the board draws the track). Refused when
    /// [`Incident::wants_position`] refuses it.
    Track {
        /// The position.
        fix: Fix,
    },
    /// The caller was texted a location link (`detail`: to which number, until when).
    LocationLinkSent {
        /// For the timeline.
        detail: String,
    },
    /// The device is not to be trusted (`reasons`, for the timeline).
    MarkLowTrust {
        /// Why.
        reasons: String,
    },
}

impl IncidentAction {
    /// The change this action makes to `current`, by `actor`; `None` when there is
    /// nothing to change (it is so already: a retry, or a closed incident a press
    /// cannot join); or why it is refused.
    pub fn decide(
        &self,
        current: &Incident,
        actor: &str,
        now: Timestamp,
        token: String,
    ) -> Result<Option<IncidentChange>, IncidentError> {
        let (next, what, detail) = match self {
            IncidentAction::Acknowledge { unit, via } => {
                if current.owner.as_deref() == Some(unit.as_str()) {
                    return Ok(None);
                }
                let next = acknowledge(current, unit, now, token)?;
                (next, Happened::Acknowledged, Some(via.clone()))
            }
            IncidentAction::Resolve { outcome, note } => {
                if current.state == IncidentState::Resolved && current.outcome == Some(*outcome) {
                    return Ok(None);
                }
                let next = resolve(current, *outcome, now, token)?;
                let word = format!("{outcome:?}").to_lowercase();
                let detail = match note {
                    Some(note) => format!("{word}: {note}"),
                    None => word,
                };
                (next, Happened::Resolved, Some(detail))
            }
            IncidentAction::Update { change, note } => {
                (update(current, change)?, Happened::Updated, note.clone())
            }
            IncidentAction::Note(note) => (touched(current), Happened::Note, Some(note.clone())),
            IncidentAction::FollowUp { note } => {
                if !current.follow_up {
                    return Ok(None);
                }
                (followed_up(current), Happened::FollowedUp, note.clone())
            }
            IncidentAction::Cancel(pin) => {
                // Once under duress, nothing from the device stands it down: whoever
                // made the citizen enter one PIN can make them enter the other.
                if current.state == IncidentState::Cancelled || current.duress {
                    return Ok(None);
                }
                let next = cancel(current, *pin, now, token)?;
                let (what, detail) = match pin {
                    PinKind::Cancel => (
                        Happened::Cancelled,
                        "dibatalkan dengan PIN; perlu telepon tindak lanjut",
                    ),
                    PinKind::Duress => (
                        Happened::Duress,
                        "PIN darurat (duress): dieskalasi diam-diam ke tier teratas",
                    ),
                };
                (next, what, Some(detail.to_string()))
            }
            IncidentAction::WrongPin => {
                if current.state == IncidentState::Cancelled || current.duress {
                    return Ok(None);
                }
                let tries = current.wrong_pins + 1;
                if tries >= WRONG_PINS_BEFORE_DURESS {
                    let mut next = cancel(current, PinKind::Duress, now, token)?;
                    next.wrong_pins = tries;
                    let detail = format!(
                        "PIN salah ke-{tries}: dianggap duress, dieskalasi diam-diam ke tier teratas"
                    );
                    (next, Happened::Duress, Some(detail))
                } else {
                    // The window and the state are checked as for a cancel.
                    cancel(current, PinKind::Cancel, now, token)?;
                    let mut next = touched(current);
                    next.wrong_pins = tries;
                    (
                        next,
                        Happened::WrongPin,
                        Some(format!("PIN salah ke-{tries}")),
                    )
                }
            }
            IncidentAction::Join { fix } => {
                if !current.is_open() {
                    return Ok(None);
                }
                let next = join(current, *fix, now);
                let detail = format!("press {}", next.presses);
                (next, Happened::PressJoined, Some(detail))
            }
            IncidentAction::Locate { fix, how } => (
                locate(current, *fix, now)?,
                Happened::Located,
                Some(how.clone()),
            ),
            IncidentAction::Track { fix } => {
                current
                    .wants_position(now)
                    .map_err(IncidentError::Position)?;
                return Ok(Some(IncidentChange {
                    incident: locate(current, *fix, now)?,
                    entries: Vec::new(),
                }));
            }
            IncidentAction::LocationLinkSent { detail } => {
                if !current.is_open() {
                    return Err(IncidentError::WrongState(current.state));
                }
                (
                    touched(current),
                    Happened::LocationLinkSent,
                    Some(detail.clone()),
                )
            }
            IncidentAction::MarkLowTrust { reasons } => (
                mark_low_trust(current),
                Happened::LowTrust,
                Some(reasons.clone()),
            ),
        };
        Ok(Some(IncidentChange {
            incident: next,
            entries: vec![TimelineEntry::new(now, what, actor, detail)],
        }))
    }
}
