//! Escalation: the paging policy frozen on each incident, the pages a change owes
//! until they are settled, and what a token-carrying tick does.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::{Incident, IncidentState};

/// The paging policy: escalation tiers with their ack timeouts, how often the top
/// tier repeats, and the re-page timeout for an owned but unresolved incident.
/// Data, not code; frozen onto each incident when it opens, so an edit never
/// changes an escalation already running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PagingPolicy {
    /// Ack timeout of each tier in seconds; tier 0 is paged first.
    pub ack_timeouts_s: Vec<u32>,
    /// How many times the top tier is paged again after its first page.
    pub top_repeats: u32,
    /// An owned incident not resolved within this re-pages its owner.
    pub resolve_timeout_s: u32,
    /// How many owner re-pages at most.
    pub owner_repeats: u32,
    /// Presses from one device within this window join the open incident.
    pub dedup_window_s: u32,
    /// A citizen may cancel with the PIN within this window.
    pub cancel_window_s: u32,
}

/// Why a policy was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("paging policy: {0}")]
pub struct PolicyError(pub String);

impl Default for PagingPolicy {
    fn default() -> Self {
        Self {
            ack_timeouts_s: vec![60, 90, 120],
            top_repeats: 3,
            resolve_timeout_s: 30 * 60,
            owner_repeats: 4,
            dedup_window_s: 10 * 60,
            cancel_window_s: 2 * 60,
        }
    }
}

impl PagingPolicy {
    /// Checks the policy makes sense: 1–5 tiers, timeouts of 1 s to 1 h.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let tiers = self.ack_timeouts_s.len();
        if !(1..=5).contains(&tiers) {
            return Err(PolicyError(format!("1 to 5 tiers, not {tiers}")));
        }
        let timeouts = self.ack_timeouts_s.iter().chain([&self.resolve_timeout_s]);
        if timeouts.clone().any(|&t| !(1..=3600).contains(&t)) {
            return Err(PolicyError("timeouts must be 1 to 3600 seconds".into()));
        }
        if self.top_repeats > 20 || self.owner_repeats > 20 {
            return Err(PolicyError("at most 20 repeats".into()));
        }
        Ok(())
    }

    /// The highest tier.
    pub fn top_tier(&self) -> u8 {
        u8::try_from(self.ack_timeouts_s.len().saturating_sub(1)).unwrap_or(0)
    }

    pub(super) fn ack_timeout(&self, tier: u8) -> SignedDuration {
        let seconds = self
            .ack_timeouts_s
            .get(usize::from(tier))
            .or(self.ack_timeouts_s.last())
            .copied()
            .unwrap_or(60);
        SignedDuration::from_secs(i64::from(seconds))
    }

    pub(super) fn resolve_timeout(&self) -> SignedDuration {
        SignedDuration::from_secs(i64::from(self.resolve_timeout_s))
    }
}

/// Something to send on the panic topic, owed by a state change until settled.
/// A change adds to what is owed and never drops it: an unsettled page may be sent
/// twice, but it is never lost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "page", rename_all = "snake_case")]
pub enum Page {
    /// Page a tier (round 0 is its first page; later rounds repeat the top tier).
    Tier {
        /// The tier.
        tier: u8,
        /// Which repeat.
        round: u32,
    },
    /// Someone owns it: tell each paged tier to stand down.
    StandDown {
        /// The tier told.
        tier: u8,
    },
    /// The citizen cancelled (or it was resolved before anyone owned it).
    Cancelled {
        /// The tier told.
        tier: u8,
    },
    /// Owned but unresolved past the timeout: page the owner and the command centre.
    Owner {
        /// Which re-page.
        round: u32,
    },
    /// Tell the device's emergency contacts, once per incident (by `notify`).
    Contacts,
}

/// The escalation's moving parts, kept on the incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    /// The current token: only a tick carrying it may act.
    pub token: String,
    /// The token of the tick (or action) that produced this state.
    pub caused_by: Option<String>,
    /// Highest tier paged so far.
    pub tier: u8,
    /// Repeats of the top tier (or of the owner page) so far.
    pub round: u32,
    /// When the next tick is due; none once escalation has nothing left to do.
    pub next_tick_at: Option<Timestamp>,
    /// Pages decided but not yet confirmed sent.
    pub owed: Vec<Page>,
    /// The tick for `token` is not yet confirmed on the escalation queue.
    pub tick_owed: bool,
    /// Tiers paged so far, for stand-downs.
    pub paged_tiers: Vec<u8>,
    /// Every repeat was used and nobody acknowledged: the command centre must act.
    pub exhausted: bool,
}

/// What a tick should do.
#[derive(Debug, Clone, PartialEq)]
pub enum TickDecision {
    /// Stale or duplicate (token moved on, or the incident is closed): nothing.
    Stale,
    /// Arrived before its time (waits over SQS's 15-minute limit are chained):
    /// send it again to arrive at `due`.
    Early {
        /// When it is due.
        due: Timestamp,
    },
    /// The tick that produced the current state, whose pages were never settled:
    /// finish sending them.
    Resume,
    /// Act: the new incident to write, with its owed pages.
    Act(Box<Incident>),
}

/// Decides what a tick carrying `token` does at `now`.
pub fn tick(incident: &Incident, token: &str, now: Timestamp, new_token: String) -> TickDecision {
    let esc = &incident.escalation;
    if esc.token != token {
        let ours = esc.caused_by.as_deref() == Some(token);
        return if ours && esc.is_unsettled() {
            TickDecision::Resume
        } else {
            TickDecision::Stale
        };
    }
    let Some(due) = esc.next_tick_at else {
        return TickDecision::Stale;
    };
    // A second of slack: SQS delays are whole seconds.
    if now
        < due
            .saturating_sub(SignedDuration::from_secs(1))
            .unwrap_or(due)
    {
        return TickDecision::Early { due };
    }
    let policy = &incident.policy;
    let mut next = incident.clone();
    next.rotate(new_token, Some(token.to_string()));
    match incident.state {
        IncidentState::Triggered => {
            let top = policy.top_tier();
            if esc.tier < top {
                let tier = esc.tier + 1;
                next.escalation.tier = tier;
                next.escalation.owed.push(Page::Tier { tier, round: 0 });
                if !next.escalation.paged_tiers.contains(&tier) {
                    next.escalation.paged_tiers.push(tier);
                }
                next.escalation.next_tick_at = now.saturating_add(policy.ack_timeout(tier)).ok();
            } else if esc.round < policy.top_repeats {
                let round = esc.round + 1;
                next.escalation.round = round;
                next.escalation.owed.push(Page::Tier { tier: top, round });
                next.escalation.next_tick_at = now.saturating_add(policy.ack_timeout(top)).ok();
            } else {
                next.escalation.next_tick_at = None;
                next.escalation.exhausted = true;
            }
        }
        IncidentState::Acknowledged => {
            if esc.round < policy.owner_repeats {
                let round = esc.round + 1;
                next.escalation.round = round;
                next.escalation.owed.push(Page::Owner { round });
                next.escalation.next_tick_at = now.saturating_add(policy.resolve_timeout()).ok();
            } else {
                next.escalation.next_tick_at = None;
                next.escalation.exhausted = true;
            }
        }
        IncidentState::Resolved | IncidentState::Cancelled => return TickDecision::Stale,
    }
    next.schedule_tick();
    TickDecision::Act(Box::new(next))
}

/// Owed pages were sent: nothing is owed any more.
pub fn settle(incident: &Incident) -> Incident {
    let token = incident.escalation.token.clone();
    settle_sent(incident, &incident.escalation.owed, Some(&token))
}

/// `sent` pages (and the tick for `tick_token`) went out: they are no longer owed.
/// Applied to a newer version too, so a change made meanwhile keeps what it added.
pub fn settle_sent(incident: &Incident, sent: &[Page], tick_token: Option<&str>) -> Incident {
    let mut next = incident.clone();
    for page in sent {
        if let Some(i) = next.escalation.owed.iter().position(|p| p == page) {
            next.escalation.owed.remove(i);
        }
    }
    if tick_token == Some(next.escalation.token.as_str()) {
        next.escalation.tick_owed = false;
    }
    next.version += 1;
    next
}

/// The auditor found the tick for the current token lost: schedule it again (with
/// the same token, so a late original and the re-drive cannot both act).
pub fn redrive(incident: &Incident) -> Incident {
    let mut next = incident.clone();
    next.escalation.tick_owed = next.escalation.next_tick_at.is_some();
    next.version += 1;
    next
}

impl Escalation {
    /// Pages or the tick were decided but not confirmed sent.
    pub fn is_unsettled(&self) -> bool {
        !self.owed.is_empty() || self.tick_owed
    }
}
