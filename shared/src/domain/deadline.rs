//! Deadlines, the leaf every clock is built from: which clock runs on a report,
//! when it runs out, its reminder and escalation state, and the working-day
//! durations in force (architecture §6). Depends on the calendar only.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::calendar::{WorkingCalendar, office_opening};
use super::catalog::TierDays;

/// Working-day durations in force (configurable per deployment and category).
#[derive(Debug, Clone, Copy)]
pub struct Policy<'a> {
    /// The calendar deadlines are computed with.
    pub calendar: &'a WorkingCalendar,
    /// Verify and dispatch (default 2).
    pub verify_days: u32,
    /// Agency follow-up (default 5).
    pub follow_up_days: u32,
    /// Auto-close after the last follow-up (default 10).
    pub close_days: u32,
}

/// Which working-day clock is running on a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockKind {
    /// Verify and dispatch (2 wd from receipt).
    Verification,
    /// Agency follow-up (5 wd from dispatch).
    FollowUp,
    /// Auto-close after a follow-up (10 wd).
    AutoClose,
}

/// A running clock: what it is for and when it runs out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportClock {
    /// Which deadline.
    pub kind: ClockKind,
    /// When it runs out (UTC).
    pub due_at: Timestamp,
    /// Computed over a year without confirmed holiday data.
    pub provisional: bool,
    /// Reminder, breach and escalations so far.
    pub sla: SlaState,
}

/// Where one running deadline is in its steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SlaState {
    /// When its reminder is due; `None` when the clock started too late for one.
    pub remind_at: Option<Timestamp>,
    /// The reminder went out.
    pub reminded: bool,
    /// When the sweep found it breached.
    pub breached_at: Option<Timestamp>,
    /// Escalations sent so far (the breach itself is the first).
    pub escalations: u32,
    /// When the next repeat escalation is due (while breached).
    pub next_escalation_at: Option<Timestamp>,
}

/// Starts a clock of `days` working days at `from`, with its reminder time.
pub fn start_clock(
    kind: ClockKind,
    calendar: &WorkingCalendar,
    from: Timestamp,
    days: u32,
) -> ReportClock {
    let deadline = calendar.deadline(from, days);
    let remind_at = match kind {
        ClockKind::AutoClose => None,
        ClockKind::Verification | ClockKind::FollowUp => calendar
            .previous_working_day(deadline.due_date)
            .map(office_opening)
            .filter(|at| *at > from),
    };
    ReportClock {
        kind,
        due_at: deadline.due_at,
        provisional: deadline.provisional,
        sla: SlaState {
            remind_at,
            ..SlaState::default()
        },
    }
}

/// What a stage is called in messages.
pub fn stage_label(kind: ClockKind) -> &'static str {
    match kind {
        ClockKind::Verification => "verifikasi",
        ClockKind::FollowUp => "tindak lanjut",
        ClockKind::AutoClose => "penutupan otomatis",
    }
}

/// The working-day durations of the LAPOR! clocks (architecture §6), from
/// `VERIFY_WORKING_DAYS` (2), `FOLLOW_UP_WORKING_DAYS` (5) and `CLOSE_WORKING_DAYS`
/// (10), read by `WorkingDays::load` in `config`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingDays {
    /// Verify and dispatch.
    pub verify: u32,
    /// Agency follow-up.
    pub follow_up: u32,
    /// Auto-close after the last follow-up.
    pub close: u32,
}

impl Default for WorkingDays {
    fn default() -> Self {
        Self {
            verify: 2,
            follow_up: 5,
            close: 10,
        }
    }
}

impl WorkingDays {
    /// These durations with a category's own tier applied over them.
    pub fn for_tier(self, tier: Option<&TierDays>) -> Self {
        let Some(tier) = tier else { return self };
        Self {
            verify: tier.verify.unwrap_or(self.verify),
            follow_up: tier.follow_up.unwrap_or(self.follow_up),
            close: tier.close.unwrap_or(self.close),
        }
    }

    /// The workflow policy these durations make with `calendar`.
    pub fn policy(self, calendar: &WorkingCalendar) -> Policy<'_> {
        Policy {
            calendar,
            verify_days: self.verify,
            follow_up_days: self.follow_up,
            close_days: self.close,
        }
    }
}
