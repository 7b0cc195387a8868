//! Emergencies (Panic Button and Call Center 112): the incident state machine, its
//! escalation, and what is paged when (architecture §7).
//!
//! An incident is `triggered` until a responder owns it (`acknowledged`), then
//! `resolved` with an outcome; a citizen may `cancel` it within a window. Every
//! change here is pure: the adapter writes the new incident in one conditional write
//! (guarded by `version`), then carries out the pages the change left **owed** and
//! marks them settled. Whoever finds owed pages that were never settled (a crashed
//! handler, a redelivered tick, the auditor) sends them, so a page is never lost.
//!
//! Escalation follows the Grafana OnCall pattern: each scheduled tick carries the
//! incident's current `token`; a tick whose token is no longer current is stale
//! and does nothing, so duplicates and late ticks are harmless.

mod escalation;
mod messages;
mod sectors;
mod state;

pub use escalation::*;
pub use messages::*;
pub use sectors::*;
pub use state::*;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::location::Coordinates;
use super::tracking_id::ALPHABET;

/// What kind of emergency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    /// Crime (begal, robbery, assault).
    Crime,
    /// Medical emergency.
    Medical,
    /// Fire.
    Fire,
    /// Traffic accident.
    Accident,
    /// Flood, landslide, earthquake.
    Disaster,
    /// Anything else.
    Other,
}

impl IncidentKind {
    /// Every kind, in the order an operator's form lists them.
    pub const ALL: [IncidentKind; 6] = [
        IncidentKind::Crime,
        IncidentKind::Medical,
        IncidentKind::Fire,
        IncidentKind::Accident,
        IncidentKind::Disaster,
        IncidentKind::Other,
    ];

    /// The wire name (also the SNS `kind` attribute).
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentKind::Crime => "crime",
            IncidentKind::Medical => "medical",
            IncidentKind::Fire => "fire",
            IncidentKind::Accident => "accident",
            IncidentKind::Disaster => "disaster",
            IncidentKind::Other => "other",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw.trim() {
            "crime" => IncidentKind::Crime,
            "medical" => IncidentKind::Medical,
            "fire" => IncidentKind::Fire,
            "accident" => IncidentKind::Accident,
            "disaster" => IncidentKind::Disaster,
            "other" => IncidentKind::Other,
            _ => return None,
        })
    }

    /// The label responders read in a page (Indonesian, upper case, GSM-7).
    pub fn label(self) -> &'static str {
        match self {
            IncidentKind::Crime => "KEJAHATAN",
            IncidentKind::Medical => "MEDIS",
            IncidentKind::Fire => "KEBAKARAN",
            IncidentKind::Accident => "KECELAKAAN",
            IncidentKind::Disaster => "BENCANA",
            IncidentKind::Other => "DARURAT LAIN",
        }
    }
}

/// Where an incident stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentState {
    /// Paging and escalating: nobody owns it yet.
    Triggered,
    /// A responder owns it; escalation has stopped.
    Acknowledged,
    /// Done, with an outcome.
    Resolved,
    /// Cancelled by the citizen with the PIN (an operator still follows it up).
    Cancelled,
}

/// How a resolved incident turned out (Resgrid's outcomes; measures the prank rate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A real emergency.
    Founded,
    /// No emergency (prank, accidental press).
    Unfounded,
    /// Real but minor.
    Minor,
}

impl IncidentState {
    /// What the command centre's screens call it.
    pub fn label(self) -> &'static str {
        match self {
            IncidentState::Triggered => "Memanggil responder",
            IncidentState::Acknowledged => "Ditangani",
            IncidentState::Resolved => "Selesai",
            IncidentState::Cancelled => "Dibatalkan pelapor",
        }
    }
}

impl Outcome {
    /// Every outcome, in the order the board's closing form lists them.
    pub const ALL: [Outcome; 3] = [Outcome::Founded, Outcome::Minor, Outcome::Unfounded];

    /// The wire name (the JSON API's `outcome`).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Founded => "founded",
            Outcome::Unfounded => "unfounded",
            Outcome::Minor => "minor",
        }
    }

    /// What the command centre's screens call it.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Founded => "Darurat nyata",
            Outcome::Unfounded => "Bukan darurat",
            Outcome::Minor => "Nyata tetapi ringan",
        }
    }
}

/// Where the incident came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Source {
    /// A registered device's panic button.
    PanicButton {
        /// The device id.
        device: String,
    },
    /// A 112 call recorded by an operator.
    Call112 {
        /// The operator's subject.
        operator: String,
    },
}

/// A location fix as the phone reported it: honest about its quality.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Fix {
    /// The point.
    pub coordinates: Coordinates,
    /// Accuracy radius in metres, as reported.
    pub accuracy_m: Option<f64>,
    /// Age of the fix when the press was sent, in seconds.
    pub fix_age_s: Option<u32>,
}

/// Wrong cancel PINs after which a cancel is taken as duress: someone holding the
/// phone cannot try the PINs one by one, and whoever is in danger is not left alone.
pub const WRONG_PINS_BEFORE_DURESS: u32 = 3;

/// A fix older than this is shown but flagged stale (Resgrid drops fixes after 30 min).
pub const STALE_FIX_SECONDS: u32 = 30 * 60;

impl Fix {
    /// True when the phone's fix was too old to trust for dispatch.
    pub fn is_stale(&self) -> bool {
        self.fix_age_s.is_some_and(|age| age > STALE_FIX_SECONDS)
    }
}

/// Positions an incident keeps on its track (a few hours of updates a minute apart;
/// older points drop off first).
pub const TRACK_POINTS: usize = 60;

/// A position reported while the emergency lasts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrackPoint {
    /// When it arrived.
    pub at: Timestamp,
    /// Where, and how sure.
    pub fix: Fix,
}

/// An emergency incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// The incident code, e.g. `INC-7KX3QM` (what responders text back).
    pub id: String,
    /// What kind of emergency.
    pub kind: IncidentKind,
    /// Where it stands.
    pub state: IncidentState,
    /// Set when resolved.
    pub outcome: Option<Outcome>,
    /// Panic button or 112 call.
    pub source: Source,
    /// The sector paged (from the coordinates, or the operator's choice).
    pub sector: String,
    /// The newest location fix, if any (a press without one still pages).
    pub fix: Option<Fix>,
    /// Location as words (a 112 caller's description).
    pub location_text: Option<String>,
    /// The positions reported after opening (the caller's location link, the app's
    /// updates), oldest first, at most [`TRACK_POINTS`]: the board draws them.
    #[serde(default)]
    pub track: Vec<TrackPoint>,
    /// When it opened.
    pub opened_at: Timestamp,
    /// Presses folded into it (1 for a single press; 0 for a 112 call).
    pub presses: u32,
    /// The latest press.
    pub last_press_at: Option<Timestamp>,
    /// The policy frozen at opening.
    pub policy: PagingPolicy,
    /// Escalation state.
    pub escalation: Escalation,
    /// The responder unit that owns it.
    pub owner: Option<String>,
    /// When it was acknowledged.
    pub acknowledged_at: Option<Timestamp>,
    /// When it was resolved or cancelled.
    pub closed_at: Option<Timestamp>,
    /// Cancelled with the duress PIN: looks cancelled to the device, escalated here.
    pub duress: bool,
    /// Wrong cancel PINs tried on it; the [`WRONG_PINS_BEFORE_DURESS`]th is taken as
    /// duress.
    #[serde(default)]
    pub wrong_pins: u32,
    /// The device has a history of unfounded presses: still paged, marked so.
    pub low_trust: bool,
    /// A cancelled incident waits for an operator's follow-up call.
    pub follow_up: bool,
    /// Optimistic-concurrency version.
    pub version: u64,
}

/// Why a change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IncidentError {
    /// The incident is not in a state that allows this.
    #[error("incident is {0:?}")]
    WrongState(IncidentState),
    /// The cancel window has passed.
    #[error("the cancel window has passed")]
    CancelWindowPassed,
    /// The app's position is not taken now ([`Incident::wants_position`]).
    #[error("position not taken: {0:?}")]
    Position(PositionRefusal),
}

/// Shape of an incident code: `INC-` + six symbols of the tracking-id alphabet.
pub const CODE_PREFIX: &str = "INC-";

/// An incident code from random bytes (`None` if they run out; give 16).
pub fn incident_code(bytes: &[u8]) -> Option<String> {
    let symbols: String = bytes
        .iter()
        .filter(|&&b| b < 240)
        .map(|&b| char::from(ALPHABET[usize::from(b) % ALPHABET.len()]))
        .take(6)
        .collect();
    (symbols.len() == 6).then(|| format!("{CODE_PREFIX}{symbols}"))
}

/// Parses a code as a responder types it (`inc-7kx3qm`, `7KX3QM`, `INC 7KX3QM`).
pub fn parse_incident_code(raw: &str) -> Option<String> {
    let upper: String = raw
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let symbols = upper.strip_prefix("INC").unwrap_or(&upper);
    (symbols.len() == 6 && symbols.bytes().all(|b| ALPHABET.contains(&b)))
        .then(|| format!("{CODE_PREFIX}{symbols}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn opened() -> Incident {
        open(
            Opening {
                id: "INC-7KX3QM".into(),
                kind: IncidentKind::Crime,
                source: Source::PanicButton {
                    device: "d1".into(),
                },
                sector: "bojonagara".into(),
                fix: None,
                location_text: None,
                policy: PagingPolicy::default(),
                low_trust: false,
                token: "t0".into(),
            },
            at("2026-11-28T12:00:00Z"),
        )
    }

    fn act(decision: TickDecision) -> Incident {
        match decision {
            TickDecision::Act(next) => *next,
            other => panic!("expected Act, got {other:?}"),
        }
    }

    #[test]
    fn escalates_tier_by_tier_then_repeats_the_top_then_stops() {
        let mut inc = settle(&opened());
        let mut now = at("2026-11-28T12:00:00Z");
        let mut pages = Vec::new();
        for i in 0..10 {
            let Some(due) = inc.escalation.next_tick_at else {
                break;
            };
            now = due;
            let token = inc.escalation.token.clone();
            inc = act(tick(&inc, &token, now, format!("t{}", i + 1)));
            pages.extend(inc.escalation.owed.clone());
            inc = settle(&inc);
        }
        assert_eq!(
            pages,
            vec![
                Page::Tier { tier: 1, round: 0 },
                Page::Tier { tier: 2, round: 0 },
                Page::Tier { tier: 2, round: 1 },
                Page::Tier { tier: 2, round: 2 },
                Page::Tier { tier: 2, round: 3 },
            ]
        );
        assert!(inc.escalation.exhausted);
        assert_eq!(inc.escalation.paged_tiers, vec![0, 1, 2]);
        // 60 + 90 + 4 × 120 seconds after opening.
        assert_eq!(now, at("2026-11-28T12:10:30Z"));
    }

    /// Every incident action on a fresh incident and on one where it is already so:
    /// the version it makes, the timeline line it records, or why not.
    #[test]
    fn every_incident_action_records_its_typed_timeline_line() {
        let now = at("2026-11-28T12:01:00Z");
        let fresh = settle(&opened());
        let acked = acknowledge(&fresh, "polsek", now, "t1".into()).unwrap();
        let resolved = resolve(&acked, Outcome::Founded, now, "t2".into()).unwrap();
        let cancelled = cancel(&fresh, PinKind::Cancel, now, "t1".into()).unwrap();
        let duressed = cancel(&fresh, PinKind::Duress, now, "t1".into()).unwrap();
        let two_wrong = Incident {
            wrong_pins: 2,
            ..fresh.clone()
        };
        let long_open = Incident {
            opened_at: at("2026-11-28T11:00:00Z"),
            ..fresh.clone()
        };
        let ack = |unit: &str| IncidentAction::Acknowledge {
            unit: unit.into(),
            via: "lewat SMS".into(),
        };
        let founded = IncidentAction::Resolve {
            outcome: Outcome::Founded,
            note: Some("pelaku diamankan".into()),
        };
        let moved = IncidentAction::Update {
            change: OperatorUpdate {
                location_text: Some("depan pasar".into()),
                ..OperatorUpdate::default()
            },
            note: None,
        };
        type Expected = Result<Option<(&'static str, Option<&'static str>)>, IncidentError>;
        let cases: Vec<(&str, &Incident, IncidentAction, Expected)> = vec![
            (
                "ack",
                &fresh,
                ack("polsek"),
                Ok(Some(("acknowledged", Some("lewat SMS")))),
            ),
            ("ack again", &acked, ack("polsek"), Ok(None)),
            (
                "ack taken",
                &acked,
                ack("other"),
                Err(IncidentError::WrongState(IncidentState::Acknowledged)),
            ),
            (
                "resolve",
                &acked,
                founded.clone(),
                Ok(Some(("resolved", Some("founded: pelaku diamankan")))),
            ),
            ("resolve again", &resolved, founded.clone(), Ok(None)),
            ("update", &fresh, moved.clone(), Ok(Some(("updated", None)))),
            (
                "update closed",
                &resolved,
                moved,
                Err(IncidentError::WrongState(IncidentState::Resolved)),
            ),
            (
                "note",
                &resolved,
                IncidentAction::Note("ditelepon".into()),
                Ok(Some(("note", Some("ditelepon")))),
            ),
            (
                "follow-up",
                &cancelled,
                IncidentAction::FollowUp { note: None },
                Ok(Some(("followed_up", None))),
            ),
            (
                "follow-up not owed",
                &fresh,
                IncidentAction::FollowUp { note: None },
                Ok(None),
            ),
            (
                "cancel",
                &fresh,
                IncidentAction::Cancel(PinKind::Cancel),
                Ok(Some((
                    "cancelled",
                    Some("dibatalkan dengan PIN; perlu telepon tindak lanjut"),
                ))),
            ),
            (
                "cancel again",
                &cancelled,
                IncidentAction::Cancel(PinKind::Cancel),
                Ok(None),
            ),
            (
                "duress",
                &fresh,
                IncidentAction::Cancel(PinKind::Duress),
                Ok(Some((
                    "duress",
                    Some("PIN darurat (duress): dieskalasi diam-diam ke tier teratas"),
                ))),
            ),
            (
                "a cancel under duress changes nothing",
                &duressed,
                IncidentAction::Cancel(PinKind::Cancel),
                Ok(None),
            ),
            (
                "wrong pin",
                &fresh,
                IncidentAction::WrongPin,
                Ok(Some(("wrong_pin", Some("PIN salah ke-1")))),
            ),
            (
                "third wrong pin",
                &two_wrong,
                IncidentAction::WrongPin,
                Ok(Some((
                    "duress",
                    Some("PIN salah ke-3: dianggap duress, dieskalasi diam-diam ke tier teratas"),
                ))),
            ),
            (
                "wrong pin after the window",
                &long_open,
                IncidentAction::WrongPin,
                Err(IncidentError::CancelWindowPassed),
            ),
            (
                "join",
                &fresh,
                IncidentAction::Join { fix: None },
                Ok(Some(("press_joined", Some("press 2")))),
            ),
            (
                "join closed",
                &resolved,
                IncidentAction::Join { fix: None },
                Ok(None),
            ),
            (
                "low trust",
                &fresh,
                IncidentAction::MarkLowTrust {
                    reasons: "3 laporan palsu".into(),
                },
                Ok(Some(("low_trust", Some("3 laporan palsu")))),
            ),
        ];
        for (name, current, action, expected) in cases {
            let got = action.decide(current, "operator:op1", now, "t9".into());
            let got = got.map(|change| {
                change.map(|c| {
                    assert_eq!(
                        c.incident.version,
                        current.version + 1,
                        "{name}: one new version"
                    );
                    assert_eq!(c.entries.len(), 1, "{name}");
                    let entry = &c.entries[0];
                    assert_eq!(
                        (entry.at, entry.actor.as_str()),
                        (now, "operator:op1"),
                        "{name}"
                    );
                    (entry.what.clone(), entry.detail.clone())
                })
            });
            let expected = expected
                .map(|e| e.map(|(what, detail)| (what.to_string(), detail.map(String::from))));
            assert_eq!(got, expected, "{name}");
        }
    }

    #[test]
    fn the_third_wrong_pin_escalates_like_the_duress_pin() {
        let now = at("2026-11-28T12:01:00Z");
        let mut inc = settle(&opened());
        for _ in 0..WRONG_PINS_BEFORE_DURESS {
            let change = IncidentAction::WrongPin
                .decide(&inc, "device:d1", now, "t".into())
                .unwrap()
                .unwrap();
            inc = change.incident;
        }
        let duress = cancel(&settle(&opened()), PinKind::Duress, now, "t".into()).unwrap();
        assert!(inc.duress && inc.state == IncidentState::Triggered);
        assert_eq!(inc.wrong_pins, WRONG_PINS_BEFORE_DURESS);
        assert_eq!(inc.escalation.tier, duress.escalation.tier);
        assert_eq!(inc.escalation.owed, duress.escalation.owed);
        // Any PIN after that, the right one too, changes nothing.
        for pin in [PinKind::Cancel, PinKind::Duress] {
            assert_eq!(
                IncidentAction::Cancel(pin).decide(&inc, "device:d1", now, "t".into()),
                Ok(None)
            );
        }
    }

    #[test]
    fn stale_duplicate_early_and_resumed_ticks() {
        let inc = opened();
        let due = inc.escalation.next_tick_at.unwrap();
        assert_eq!(
            tick(&inc, "t0", at("2026-11-28T12:00:10Z"), "t1".into()),
            TickDecision::Early { due }
        );
        assert_eq!(tick(&inc, "nope", due, "t1".into()), TickDecision::Stale);
        let next = act(tick(&inc, "t0", due, "t1".into()));
        // The same tick again, before its pages were settled: finish them.
        assert_eq!(tick(&next, "t0", due, "t2".into()), TickDecision::Resume);
        // ... and after: nothing.
        assert_eq!(
            tick(&settle(&next), "t0", due, "t2".into()),
            TickDecision::Stale
        );
    }

    #[test]
    fn ack_stands_down_every_paged_tier_and_times_out_to_the_owner() {
        let inc = settle(&act(tick(
            &settle(&opened()),
            "t0",
            at("2026-11-28T12:01:00Z"),
            "t1".into(),
        )));
        let now = at("2026-11-28T12:01:30Z");
        let acked = acknowledge(&inc, "polsek-sukajadi", now, "t2".into()).unwrap();
        assert_eq!(
            acked.escalation.owed,
            vec![Page::StandDown { tier: 0 }, Page::StandDown { tier: 1 }]
        );
        assert_eq!(
            acknowledge(&acked, "other", now, "t3".into()),
            Err(IncidentError::WrongState(IncidentState::Acknowledged))
        );
        // The old escalation tick is stale now.
        assert_eq!(
            tick(
                &settle(&acked),
                "t1",
                at("2026-11-28T12:02:30Z"),
                "x".into()
            ),
            TickDecision::Stale
        );
        let due = acked.escalation.next_tick_at.unwrap();
        assert_eq!(due, at("2026-11-28T12:31:30Z"));
        let repaged = act(tick(&settle(&acked), "t2", due, "t3".into()));
        assert_eq!(repaged.escalation.owed, vec![Page::Owner { round: 1 }]);
        let out = render(&repaged, &Page::Owner { round: 1 }, None).unwrap();
        assert_eq!(out.attributes.tier, "unit:polsek-sukajadi");
        let resolved = resolve(&settle(&repaged), Outcome::Founded, due, "t4".into()).unwrap();
        assert_eq!(resolved.escalation.owed, vec![]);
        assert_eq!(resolved.escalation.next_tick_at, None);
    }

    #[test]
    fn cancel_and_duress() {
        let inc = settle(&opened());
        let soon = at("2026-11-28T12:01:00Z");
        let cancelled = cancel(&inc, PinKind::Cancel, soon, "t1".into()).unwrap();
        assert_eq!(cancelled.state, IncidentState::Cancelled);
        assert!(cancelled.follow_up);
        assert_eq!(cancelled.escalation.owed, vec![Page::Cancelled { tier: 0 }]);
        let duress = cancel(&inc, PinKind::Duress, soon, "t1".into()).unwrap();
        assert_eq!(duress.state, IncidentState::Triggered);
        assert!(duress.duress);
        assert_eq!(
            duress.escalation.owed,
            vec![Page::Tier { tier: 2, round: 0 }]
        );
        assert!(
            render(&duress, &duress.escalation.owed[0], None)
                .unwrap()
                .text
                .contains("DURESS")
        );
        assert_eq!(
            cancel(
                &inc,
                PinKind::Cancel,
                at("2026-11-28T12:03:00Z"),
                "t".into()
            ),
            Err(IncidentError::CancelWindowPassed)
        );
    }

    #[test]
    fn settling_keeps_what_a_newer_change_added() {
        let inc = opened();
        assert_eq!(
            inc.escalation.owed,
            vec![Page::Tier { tier: 0, round: 0 }, Page::Contacts]
        );
        let sent = inc.escalation.owed.clone();
        // An ack landed before the press handler settled its pages.
        let acked = acknowledge(&inc, "u", at("2026-11-28T12:00:05Z"), "t1".into()).unwrap();
        let settled = settle_sent(&acked, &sent, Some("t0"));
        assert_eq!(settled.escalation.owed, vec![Page::StandDown { tier: 0 }]);
        assert!(
            settled.escalation.tick_owed,
            "the ack's own tick is still owed"
        );
    }

    #[test]
    fn the_apps_position_is_taken_every_15_s_until_a_while_after_someone_owns_it() {
        use jiff::SignedDuration;
        let point = |lat: f64| Fix {
            coordinates: crate::domain::location::Coordinates::parse(lat, 107.61).unwrap(),
            accuracy_m: Some(10.0),
            fix_age_s: Some(0),
        };
        let track = |incident: &Incident, lat: f64, now: Timestamp| {
            IncidentAction::Track { fix: point(lat) }.decide(
                incident,
                "device:d1",
                now,
                String::new(),
            )
        };
        let start = at("2026-11-28T12:00:10Z");
        let first = track(&opened(), -6.90, start).unwrap().unwrap();
        // Quietly: the track and the fix move, the timeline does not.
        assert!(first.entries.is_empty());
        assert_eq!(first.incident.track.len(), 1);
        assert_eq!(first.incident.fix, Some(point(-6.90)));
        let moved = first.incident;
        let soon = start + SignedDuration::from_secs(14);
        assert_eq!(
            moved.wants_position(soon),
            Err(PositionRefusal::TooSoon(SignedDuration::from_secs(1)))
        );
        assert_eq!(
            track(&moved, -6.91, soon),
            Err(IncidentError::Position(PositionRefusal::TooSoon(
                SignedDuration::from_secs(1)
            )))
        );
        let later = start + POSITION_EVERY;
        let second = track(&moved, -6.91, later).unwrap().unwrap().incident;
        assert_eq!(second.track.len(), 2);
        // Owned: wanted for 15 more minutes, then no longer.
        let owned = acknowledge(&second, "polsek", later, "t1".into()).unwrap();
        assert_eq!(
            owned.wants_position(later + SignedDuration::from_mins(14)),
            Ok(())
        );
        assert_eq!(
            owned.wants_position(later + POSITION_AFTER_OWNED),
            Err(PositionRefusal::NotNeeded)
        );
        let closed = resolve(&owned, Outcome::Founded, later, "t2".into()).unwrap();
        assert_eq!(
            closed.wants_position(later + SignedDuration::from_mins(1)),
            Err(PositionRefusal::NotNeeded)
        );
        // The track keeps the newest points only.
        let mut long = second.clone();
        for n in 0..(TRACK_POINTS + 5) {
            let now = later + SignedDuration::from_mins(1 + n as i64);
            long = track(&long, -6.90 - 0.0001 * n as f64, now)
                .unwrap()
                .unwrap()
                .incident;
        }
        assert_eq!(long.track.len(), TRACK_POINTS);
        assert_eq!(long.track.last().unwrap().fix, long.fix.unwrap());
    }

    #[test]
    fn a_location_link_fits_one_sms_on_a_short_domain_and_names_no_incident() {
        let token = "0123456789abcdef0123456789abcdef";
        assert!(is_location_token(token));
        assert!(!is_location_token("0123456789ABCDEF0123456789ABCDEF"));
        assert!(!is_location_token("lokasi.0123456789ab.js"));
        let text = location_link_text(&format!("https://sigap.id{}", location_link_path(token)));
        assert!(crate::domain::gsm7::gsm7_len(&text) <= 160, "{text}");
        assert!(!text.contains(CODE_PREFIX));
    }

    #[test]
    fn presses_join_within_the_window() {
        let inc = opened();
        assert!(inc.joins(at("2026-11-28T12:09:00Z")));
        let joined = join(&inc, None, at("2026-11-28T12:09:00Z"));
        assert_eq!(joined.presses, 2);
        assert!(joined.joins(at("2026-11-28T12:18:00Z")));
        assert!(!joined.joins(at("2026-11-28T12:20:00Z")));
    }

    #[test]
    fn pages_are_short_gsm7_with_code_and_ack_instruction() {
        let mut inc = opened();
        inc.fix = Some(Fix {
            coordinates: Coordinates::parse(-6.9025, 107.6188).unwrap(),
            accuracy_m: Some(12.0),
            fix_age_s: Some(5),
        });
        let page = render(&inc, &Page::Tier { tier: 0, round: 0 }, None).unwrap();
        assert_eq!(
            page.text,
            "SIGAP INC-7KX3QM KEJAHATAN T0 bojonagara maps.google.com/?q=-6.90250,107.61880. Balas 1 INC-7KX3QM utk menangani"
        );
        assert_eq!(
            page.attributes,
            PageAttributes {
                kind: "crime".into(),
                sector: "bojonagara".into(),
                tier: "0".into(),
                event: "page".into()
            }
        );
        let linked = render(
            &inc,
            &Page::Tier { tier: 0, round: 0 },
            Some("sigap.id/a/INC-7KX3QM/0abcdef123456"),
        )
        .unwrap();
        assert!(
            linked
                .text
                .ends_with("Balas 1 INC-7KX3QM atau buka sigap.id/a/INC-7KX3QM/0abcdef123456"),
            "{}",
            linked.text
        );
        assert!(linked.text.chars().count() <= 160);
        // Too long for one segment: the SMS ack alone.
        let long = render(
            &inc,
            &Page::Tier { tier: 0, round: 0 },
            Some("https://abcdefghij.execute-api.ap-southeast-3.amazonaws.com/a/INC-7KX3QM/0abcdef123456"),
        )
        .unwrap();
        assert_eq!(long.text, page.text);
    }

    #[test]
    fn codes_parse_loosely() {
        let code = incident_code(&[0, 1, 2, 3, 250, 4, 5, 6]).unwrap();
        assert_eq!(code, "INC-234567");
        assert_eq!(
            parse_incident_code("inc-234567").as_deref(),
            Some("INC-234567")
        );
        assert_eq!(
            parse_incident_code(" 234567 ").as_deref(),
            Some("INC-234567")
        );
        assert_eq!(parse_incident_code("INC-23456"), None);
        assert_eq!(parse_incident_code("INC-O34567"), None);
    }

    #[test]
    fn sectors_from_coordinates() {
        let sectors = bundled_sectors();
        assert_eq!(sectors.len(), 6);
        let gedung_sate = Coordinates::parse(-6.9025, 107.6188).ok();
        assert_eq!(sector_for(&sectors, gedung_sate), "cibeunying");
        let tegallega_park = Coordinates::parse(-6.9378, 107.6036).ok();
        assert_eq!(sector_for(&sectors, tegallega_park), "tegallega");
        assert_eq!(sector_for(&sectors, None), CITY_SECTOR);
    }

    #[test]
    fn policies_are_checked() {
        assert!(PagingPolicy::default().validate().is_ok());
        let bad = PagingPolicy {
            ack_timeouts_s: vec![],
            ..PagingPolicy::default()
        };
        assert!(bad.validate().is_err());
    }
}
