//! The SLA engine's rules (architecture §6), pure: which deadlines are running on a
//! report, what is due on each, and the change that records it.
//!
//! Every running deadline (the verification clock, each open agency's follow-up
//! clock, or the auto-close clock) walks the same steps:
//! 1. a **reminder** at 08:00 WIB on the working day before its due date, to the
//!    agency (follow-up) or the admins (verification), unless the clock started
//!    after that moment (a resumed clock with one day left);
//! 2. a **breach** once the deadline has passed: marked on the report and escalated
//!    to the supervisors;
//! 3. a repeat **escalation** at 08:00 WIB on each further working day it stays
//!    breached (a sweep that was down for days sends one, not one per missed day).
//!
//! The auto-close clock has one step: when it runs out the report closes.
//!
//! The time of a report's next step is stored on it (the due-queue sort key), so
//! the sweep reads only reports with something due and never needs a calendar to
//! know when to look again.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::calendar::{WorkingCalendar, office_opening, wib, wib_rfc3339};
use super::deadline::{ClockKind, SlaState, stage_label};
use super::notification::NotificationKind;
use super::report::{Actor, Report, ReportAction};
use super::workflow::{Change, WorkflowError, earliest_follow_up};

/// The sweep, as it signs the audit trail.
pub const SWEEP_ACTOR: Actor = Actor::System("sla-sweep");

/// What is due on a running deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaStep {
    /// One working day left: remind whoever owns it.
    Remind,
    /// The deadline passed: mark it and escalate to the supervisors.
    Breach,
    /// Still breached on a further working day: escalate again.
    Escalate,
    /// The close clock ran out with no word from the citizen: close.
    AutoClose,
}

/// One deadline running on a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningDeadline {
    /// Which clock.
    pub kind: ClockKind,
    /// The agency that owns it (follow-up clocks); `None` means the admins.
    pub agency: Option<String>,
    /// When it runs out.
    pub due_at: Timestamp,
    /// Computed over a year without confirmed holiday data.
    pub provisional: bool,
    /// Its steps so far.
    pub sla: SlaState,
}

impl RunningDeadline {
    /// The next step and when it falls due (whether or not that is past).
    pub fn next_step(&self) -> (Timestamp, SlaStep) {
        let sla = &self.sla;
        match (self.kind, sla.breached_at, sla.remind_at) {
            (ClockKind::AutoClose, _, _) => (self.due_at, SlaStep::AutoClose),
            (_, Some(_), _) => (
                sla.next_escalation_at.unwrap_or(self.due_at),
                SlaStep::Escalate,
            ),
            (_, None, Some(remind_at)) if !sla.reminded => (remind_at, SlaStep::Remind),
            (_, None, _) => (self.due_at, SlaStep::Breach),
        }
    }

    /// The step due at `now`, if any. A reminder whose deadline has already passed
    /// (the sweep was down) is skipped for the breach.
    pub fn step_due(&self, now: Timestamp) -> Option<SlaStep> {
        let (at, step) = self.next_step();
        if at >= now {
            return None;
        }
        match step {
            SlaStep::Remind if self.due_at < now => Some(SlaStep::Breach),
            step => Some(step),
        }
    }

    /// Who must act: the agency, or the admins.
    pub fn owner(&self) -> &str {
        self.agency.as_deref().unwrap_or("admin")
    }

    /// True once the sweep has marked it breached.
    pub fn is_breached(&self) -> bool {
        self.sla.breached_at.is_some()
    }
}

/// The deadlines running on `report`: the verification or auto-close clock, or one
/// follow-up clock per agency still owing a follow-up.
pub fn running_deadlines(report: &Report) -> Vec<RunningDeadline> {
    match report.clock {
        None => Vec::new(),
        Some(clock) if clock.kind == ClockKind::FollowUp => report
            .assignments
            .iter()
            .filter(|a| a.is_open())
            .map(|a| RunningDeadline {
                kind: ClockKind::FollowUp,
                agency: Some(a.agency.clone()),
                due_at: a.due_at,
                provisional: a.provisional,
                sla: a.sla,
            })
            .collect(),
        Some(clock) => vec![RunningDeadline {
            kind: clock.kind,
            agency: None,
            due_at: clock.due_at,
            provisional: clock.provisional,
            sla: clock.sla,
        }],
    }
}

/// When the sweep must next look at `report`, and whether a deadline on it is
/// already breached; `None` while no clock runs. The due queue is keyed on this.
pub fn next_step_at(report: &Report) -> Option<(Timestamp, bool)> {
    let deadlines = running_deadlines(report);
    let at = deadlines.iter().map(|d| d.next_step().0).min()?;
    Some((at, deadlines.iter().any(RunningDeadline::is_breached)))
}

/// A running deadline as citizens and staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadlineView {
    /// Which clock.
    pub stage: ClockKind,
    /// Its Indonesian name.
    pub stage_label: &'static str,
    /// The agency that owes it (follow-up clocks).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    /// When it runs out, in WIB.
    pub due_at: String,
    /// Working days left after today (0 on the due date; negative once passed).
    pub working_days_left: i32,
    /// Passed (whether or not the sweep has escalated it yet).
    pub breached: bool,
    /// Computed over a year without confirmed holiday data.
    pub provisional: bool,
}

/// Every deadline running on `report`, earliest first, as seen at `now`.
pub fn deadline_views(
    report: &Report,
    now: Timestamp,
    calendar: &WorkingCalendar,
) -> Vec<DeadlineView> {
    let mut deadlines = running_deadlines(report);
    deadlines.sort_by_key(|d| d.due_at);
    deadlines
        .into_iter()
        .map(|d| DeadlineView {
            stage: d.kind,
            stage_label: stage_label(d.kind),
            due_at: wib_rfc3339(d.due_at),
            working_days_left: calendar.working_days_left(now, d.due_at),
            breached: d.is_breached() || d.due_at < now,
            provisional: d.provisional,
            agency: d.agency,
        })
        .collect()
}

fn local_date(at: Timestamp) -> String {
    let date = at.to_zoned(wib()).date();
    format!("{:02}/{:02}/{}", date.day(), date.month(), date.year())
}

/// The earliest step due on `report` at `now`, applied: the next version with the
/// step recorded, its audit event (signed by the sweep) and who to tell. `None`
/// when nothing is due. Call again on the result: several deadlines can be due.
pub fn sla_step(
    report: &Report,
    now: Timestamp,
    calendar: &WorkingCalendar,
) -> Result<Option<Change>, WorkflowError> {
    let Some((deadline, step)) = running_deadlines(report)
        .into_iter()
        .filter_map(|d| d.step_due(now).map(|step| (d, step)))
        .min_by_key(|(d, _)| d.next_step().0)
    else {
        return Ok(None);
    };
    if step == SlaStep::AutoClose {
        let (mut next, event) = report.apply(
            ReportAction::AutoClose,
            &SWEEP_ACTOR,
            Some("tidak ada tanggapan pelapor setelah tindak lanjut"),
            now,
        )?;
        next.clock = None;
        return Ok(Some(Change {
            report: next,
            event,
            notify: Some(NotificationKind::AutoClosed),
        }));
    }
    let stage = stage_label(deadline.kind);
    let due = local_date(deadline.due_at);
    let today = now.to_zoned(wib()).date();
    // Repeats go out when offices open on the next working day.
    let next_escalation = Some(office_opening(calendar.add_working_days(today, 1).0));
    let mut sla = deadline.sla;
    let (action, reason, notify) = match step {
        SlaStep::Remind => {
            sla.reminded = true;
            // A sweep that catches up late can remind on the due day itself.
            let left = match calendar.working_days_left(now, deadline.due_at) {
                0 => "hari ini hari terakhir".to_string(),
                left => format!("sisa {left} hari kerja"),
            };
            (
                ReportAction::Remind,
                format!("pengingat: batas {stage} {due}, {left}"),
                NotificationKind::Reminder,
            )
        }
        SlaStep::Breach => {
            sla.breached_at = Some(now);
            sla.escalations = 1;
            sla.next_escalation_at = next_escalation;
            (
                ReportAction::Breach,
                format!("melewati batas {stage} {due}"),
                NotificationKind::Breached,
            )
        }
        SlaStep::Escalate | SlaStep::AutoClose => {
            sla.escalations += 1;
            sla.next_escalation_at = next_escalation;
            let late = -calendar.working_days_left(now, deadline.due_at);
            (
                ReportAction::Escalate,
                format!("masih melewati batas {stage} {due} ({late} hari kerja)"),
                NotificationKind::Escalated,
            )
        }
    };
    let (mut next, event) = report.apply_to(
        action,
        report.status,
        &SWEEP_ACTOR,
        Some(&reason),
        deadline.agency.as_deref(),
        now,
    )?;
    match &deadline.agency {
        Some(agency) => {
            if let Some(assignment) = next
                .assignments
                .iter_mut()
                .find(|a| &a.agency == agency && a.is_open())
            {
                assignment.sla = sla;
            }
            next.clock = earliest_follow_up(&next.assignments);
        }
        None => {
            if let Some(clock) = next.clock.as_mut() {
                clock.sla = sla;
            }
        }
    }
    Ok(Some(Change {
        report: next,
        event,
        notify: Some(notify),
    }))
}

/// Every step due on `report` at `now`, in order, each on the previous result.
pub fn sla_steps(
    report: &Report,
    now: Timestamp,
    calendar: &WorkingCalendar,
) -> Result<Vec<Change>, WorkflowError> {
    let mut changes: Vec<Change> = Vec::new();
    loop {
        let current = changes.last().map_or(report, |c| &c.report);
        // A report has at most a handful of deadlines, each with one step due.
        if changes.len() > 16 {
            return Ok(changes);
        }
        match sla_step(current, now, calendar)? {
            Some(change) => changes.push(change),
            None => return Ok(changes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::{DayOff, DayOffKind, HolidayData, YearDaysOff};
    use crate::domain::deadline::start_clock;
    use crate::domain::deadline::{Policy, ReportClock};
    use crate::domain::report::{Channel, ReportStatus};
    use crate::domain::tracking_id::TrackingId;
    use crate::domain::workflow;
    use jiff::SignedDuration;
    use jiff::civil::{Date, date};
    use proptest::prelude::*;

    fn calendar() -> WorkingCalendar {
        WorkingCalendar::bundled().unwrap()
    }

    fn wib_at(d: Date, hour: i8, minute: i8) -> Timestamp {
        d.at(hour, minute, 0, 0)
            .to_zoned(wib())
            .unwrap()
            .timestamp()
    }

    fn local(at: Timestamp) -> String {
        at.to_zoned(wib()).strftime("%Y-%m-%d %H:%M").to_string()
    }

    #[test]
    fn clocks_on_real_2026_dates() {
        use ClockKind::{AutoClose, FollowUp, Verification};
        let cal = calendar();
        // (kind, started (WIB), working days, due date, reminder (WIB), provisional)
        let cases = [
            // Friday morning: Monday and Tuesday count; reminder Monday 08:00.
            (
                Verification,
                (date(2026, 11, 20), 10),
                2,
                date(2026, 11, 24),
                Some("2026-11-23 08:00"),
                false,
            ),
            // Friday night is still Friday.
            (
                Verification,
                (date(2026, 11, 20), 23),
                2,
                date(2026, 11, 24),
                Some("2026-11-23 08:00"),
                false,
            ),
            // Idul Fitri 2026: 18, 20, 23, 24 March cuti bersama, 19 Nyepi, 21–22 Idulfitri.
            (
                Verification,
                (date(2026, 3, 17), 9),
                2,
                date(2026, 3, 26),
                Some("2026-03-25 08:00"),
                false,
            ),
            (
                FollowUp,
                (date(2026, 3, 16), 9),
                5,
                date(2026, 3, 30),
                Some("2026-03-27 08:00"),
                false,
            ),
            // Christmas: 24 cuti bersama, 25 Natal.
            (
                Verification,
                (date(2026, 12, 23), 9),
                2,
                date(2026, 12, 29),
                Some("2026-12-28 08:00"),
                false,
            ),
            (
                FollowUp,
                (date(2026, 11, 20), 10),
                5,
                date(2026, 11, 27),
                Some("2026-11-26 08:00"),
                false,
            ),
            (
                AutoClose,
                (date(2026, 12, 14), 9),
                10,
                date(2026, 12, 30),
                None,
                false,
            ),
            // Year end: 2027 has no confirmed data yet, so weekends only, provisional.
            (
                Verification,
                (date(2026, 12, 30), 9),
                2,
                date(2027, 1, 1),
                Some("2026-12-31 08:00"),
                true,
            ),
            (
                FollowUp,
                (date(2026, 12, 29), 14),
                5,
                date(2027, 1, 5),
                Some("2027-01-04 08:00"),
                true,
            ),
            // A one-day clock started after its reminder time gets none.
            (
                Verification,
                (date(2026, 11, 23), 10),
                1,
                date(2026, 11, 24),
                None,
                false,
            ),
            // …but one started before 08:00 of the day before gets one.
            (
                Verification,
                (date(2026, 11, 23), 7),
                1,
                date(2026, 11, 24),
                Some("2026-11-23 08:00"),
                false,
            ),
        ];
        for (kind, (day, hour), days, due, remind, provisional) in cases {
            let clock = start_clock(kind, &cal, wib_at(day, hour, 0), days);
            let label = format!("{kind:?} from {day} {hour}:00 + {days}");
            assert_eq!(
                clock.due_at,
                crate::domain::calendar::end_of_day(due),
                "{label}"
            );
            assert_eq!(clock.sla.remind_at.map(local).as_deref(), remind, "{label}");
            assert_eq!(clock.provisional, provisional, "{label}");
        }
    }

    fn report_with(clock: ReportClock, status: ReportStatus) -> Report {
        Report {
            title: "Jalan berlubang".into(),
            category: "jalan-rusak".into(),
            status,
            clock: Some(clock),
            version: 2,
            ..Report::received(
                TrackingId::from_random_bytes(&[1, 2, 3, 4, 5, 6]).unwrap(),
                Channel::Web,
                clock.due_at,
            )
        }
    }

    fn policy(cal: &WorkingCalendar) -> Policy<'_> {
        Policy {
            calendar: cal,
            verify_days: 2,
            follow_up_days: 5,
            close_days: 10,
        }
    }

    /// Runs a sweep every five minutes from `from` to `to`; returns every step taken
    /// (local time, action, agency) and the report at the end.
    fn sweep_every_five_minutes(
        mut report: Report,
        from: Timestamp,
        to: Timestamp,
        cal: &WorkingCalendar,
    ) -> (Vec<(String, ReportAction, Option<String>)>, Report) {
        let mut steps = Vec::new();
        let mut now = from;
        while now <= to {
            // The due queue would return the report only when its next step is due.
            let listed = next_step_at(&report).is_some_and(|(at, _)| at < now);
            for change in sla_steps(&report, now, cal).unwrap() {
                assert!(
                    listed,
                    "a step at {} the due queue did not list",
                    local(now)
                );
                steps.push((
                    local(now),
                    change.event.action.unwrap(),
                    change.event.agency.clone(),
                ));
                report = change.report;
            }
            now = now.checked_add(SignedDuration::from_mins(5)).unwrap();
        }
        (steps, report)
    }

    #[test]
    fn a_reminder_that_comes_late_on_the_due_day_says_so() {
        let cal = calendar();
        let report = report_with(
            start_clock(
                ClockKind::Verification,
                &cal,
                wib_at(date(2026, 11, 20), 10, 0),
                2,
            ),
            ReportStatus::PendingVerification,
        );
        let on_time = sla_step(&report, wib_at(date(2026, 11, 23), 8, 5), &cal)
            .unwrap()
            .unwrap();
        assert_eq!(
            on_time.event.reason.as_deref(),
            Some("pengingat: batas verifikasi 24/11/2026, sisa 1 hari kerja")
        );
        let due_day = sla_step(&report, wib_at(date(2026, 11, 24), 9, 0), &cal)
            .unwrap()
            .unwrap();
        assert_eq!(
            due_day.event.reason.as_deref(),
            Some("pengingat: batas verifikasi 24/11/2026, hari ini hari terakhir")
        );
    }

    #[test]
    fn verification_reminds_breaches_and_escalates_each_working_day_once() {
        let cal = calendar();
        let received = wib_at(date(2026, 11, 20), 10, 0);
        let report = report_with(
            start_clock(ClockKind::Verification, &cal, received, 2),
            ReportStatus::PendingVerification,
        );
        // From Friday to the next Tuesday night: reminder Monday, breach at Tuesday's
        // end, then 08:00 on Thursday 26, Friday 27, Monday 30 November, Tuesday 1 Dec.
        let (steps, end) =
            sweep_every_five_minutes(report, received, wib_at(date(2026, 12, 1), 12, 0), &cal);
        let got: Vec<_> = steps.iter().map(|(at, a, _)| (at.as_str(), *a)).collect();
        assert_eq!(
            got,
            vec![
                ("2026-11-23 08:05", ReportAction::Remind),
                ("2026-11-25 00:00", ReportAction::Breach),
                ("2026-11-26 08:05", ReportAction::Escalate),
                ("2026-11-27 08:05", ReportAction::Escalate),
                ("2026-11-30 08:05", ReportAction::Escalate),
                ("2026-12-01 08:05", ReportAction::Escalate),
            ]
        );
        let sla = end.clock.unwrap().sla;
        assert_eq!(sla.escalations, 5);
        assert!(sla.reminded && sla.breached_at.is_some());
        assert!(steps.iter().all(|(_, _, agency)| agency.is_none()));
    }

    #[test]
    fn a_sweep_back_after_days_sends_one_step_not_one_per_missed_day() {
        let cal = calendar();
        let report = report_with(
            start_clock(
                ClockKind::Verification,
                &cal,
                wib_at(date(2026, 11, 20), 10, 0),
                2,
            ),
            ReportStatus::PendingVerification,
        );
        // Nothing ran until Friday 27th noon: the reminder is moot, one breach only.
        let late = wib_at(date(2026, 11, 27), 12, 0);
        let changes = sla_steps(&report, late, &cal).unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].event.action, Some(ReportAction::Breach));
        assert_eq!(changes[0].notify, Some(NotificationKind::Breached));
        // The next repeat is Monday 08:00, not a backlog.
        let (next, breached) = next_step_at(&changes[0].report).unwrap();
        assert_eq!(local(next), "2026-11-30 08:00");
        assert!(breached);
        assert!(
            sla_steps(&changes[0].report, late, &cal)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn each_agency_has_its_own_reminder_and_breach() {
        let cal = calendar();
        let policy = policy(&cal);
        let admin = Actor::Staff {
            role: "admin".into(),
            subject: "a-1".into(),
        };
        let monday = wib_at(date(2026, 11, 23), 9, 0);
        let pending = report_with(
            start_clock(ClockKind::Verification, &cal, monday, 2),
            ReportStatus::PendingVerification,
        );
        let dispatched = workflow::dispatch(
            &pending,
            &["dlh".into(), "dsdabm".into()],
            None,
            &admin,
            monday,
            &policy,
        )
        .unwrap()
        .report;
        // Due Monday 30 November; reminders Friday 27 08:00, one per agency.
        let (steps, end) =
            sweep_every_five_minutes(dispatched, monday, wib_at(date(2026, 12, 1), 7, 0), &cal);
        let got: Vec<_> = steps
            .iter()
            .map(|(at, a, agency)| (at.as_str(), *a, agency.as_deref().unwrap()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("2026-11-27 08:05", ReportAction::Remind, "dlh"),
                ("2026-11-27 08:05", ReportAction::Remind, "dsdabm"),
                ("2026-12-01 00:00", ReportAction::Breach, "dlh"),
                ("2026-12-01 00:00", ReportAction::Breach, "dsdabm"),
            ]
        );
        assert!(end.assignments.iter().all(|a| a.sla.breached_at.is_some()));
        // The report's clock shows the breach too.
        assert!(end.clock.unwrap().sla.breached_at.is_some());
        // An agency answering stops its clock; the other's keeps escalating.
        let answered = workflow::publish_follow_up(
            &end,
            "dlh",
            "Sudah ditangani",
            &[],
            &Actor::Staff {
                role: "agency:dlh".into(),
                subject: "d-1".into(),
            },
            wib_at(date(2026, 12, 1), 9, 0),
            &policy,
        )
        .unwrap()
        .report;
        let deadlines = running_deadlines(&answered);
        assert_eq!(deadlines.len(), 1);
        assert_eq!(deadlines[0].owner(), "dsdabm");
        let next = sla_steps(&answered, wib_at(date(2026, 12, 2), 8, 5), &cal).unwrap();
        assert_eq!(next.len(), 1);
        assert_eq!(next[0].event.agency.as_deref(), Some("dsdabm"));
        assert_eq!(next[0].event.action, Some(ReportAction::Escalate));
    }

    #[test]
    fn the_close_clock_closes_and_a_dispute_restarts_fresh_clocks() {
        let cal = calendar();
        let policy = policy(&cal);
        let monday = wib_at(date(2026, 12, 14), 9, 0);
        let responded = report_with(
            start_clock(ClockKind::AutoClose, &cal, monday, 10),
            ReportStatus::Responded,
        );
        assert!(
            sla_steps(&responded, wib_at(date(2026, 12, 30), 23, 0), &cal)
                .unwrap()
                .is_empty()
        );
        let closed = sla_steps(&responded, wib_at(date(2026, 12, 31), 0, 5), &cal).unwrap();
        assert_eq!(closed.len(), 1);
        assert_eq!(closed[0].report.status, ReportStatus::Closed);
        assert_eq!(closed[0].report.clock, None);
        assert_eq!(closed[0].notify, Some(NotificationKind::AutoClosed));
        assert_eq!(next_step_at(&closed[0].report), None);

        // A breached follow-up, answered, then disputed: the new clock starts clean.
        let mut breached = report_with(
            start_clock(ClockKind::FollowUp, &cal, monday, 5),
            ReportStatus::Dispatched,
        );
        breached
            .assignments
            .push(crate::domain::report::Assignment {
                agency: "dlh".into(),
                status: crate::domain::report::AssignmentStatus::Responded,
                dispatched_at: monday,
                due_at: breached.clock.unwrap().due_at,
                provisional: false,
                follow_ups: Vec::new(),
                return_reason: None,
                sla: SlaState {
                    breached_at: Some(monday),
                    escalations: 3,
                    ..SlaState::default()
                },
                officer: None,
            });
        breached.status = ReportStatus::Responded;
        let reopened = workflow::dispute(
            &breached,
            "belum",
            wib_at(date(2026, 12, 21), 9, 0),
            &policy,
        )
        .unwrap()
        .report;
        let deadlines = running_deadlines(&reopened);
        assert_eq!(deadlines.len(), 1);
        assert!(!deadlines[0].is_breached());
        assert_eq!(deadlines[0].sla.escalations, 0);
        assert!(deadlines[0].sla.remind_at.is_some());
    }

    #[test]
    fn a_paused_clock_has_no_steps_and_resumes_with_what_was_left() {
        let cal = calendar();
        let policy = policy(&cal);
        let admin = Actor::Staff {
            role: "admin".into(),
            subject: "a-1".into(),
        };
        let friday = wib_at(date(2026, 11, 20), 10, 0);
        let pending = report_with(
            start_clock(ClockKind::Verification, &cal, friday, 2),
            ReportStatus::PendingVerification,
        );
        let paused = workflow::request_info(&pending, "RT berapa?", &admin, friday, &policy)
            .unwrap()
            .report;
        assert_eq!(next_step_at(&paused), None);
        assert!(
            sla_steps(&paused, wib_at(date(2026, 12, 10), 9, 0), &cal)
                .unwrap()
                .is_empty()
        );
        // Answered on Wednesday 25th: the two days left run Thursday and Friday.
        let resumed =
            workflow::provide_info(&paused, "RT 05", wib_at(date(2026, 11, 25), 15, 0), &policy)
                .unwrap()
                .report;
        let clock = resumed.clock.unwrap();
        assert_eq!(
            clock.due_at,
            crate::domain::calendar::end_of_day(date(2026, 11, 27))
        );
        assert_eq!(
            clock.sla.remind_at.map(local).as_deref(),
            Some("2026-11-26 08:00")
        );
    }

    fn any_instant() -> impl Strategy<Value = Timestamp> {
        // 2025-01-01 .. 2026-12-31.
        (1_735_664_400i64..1_798_700_000).prop_map(|s| Timestamp::from_second(s).unwrap())
    }

    fn with_extra_day_off(day: Date) -> WorkingCalendar {
        let mut data = HolidayData::bundled().unwrap();
        // A year not loaded yet is loaded with just this day.
        let year = data.years.entry(day.year()).or_insert_with(|| YearDaysOff {
            source: "uji".into(),
            days: Vec::new(),
        });
        year.days.push(DayOff {
            date: day,
            kind: DayOffKind::CutiBersama,
            name: "Tambahan".into(),
        });
        data.calendar()
    }

    proptest! {
        #[test]
        fn pausing_and_resuming_never_shortens_a_clock(
            start in any_instant(),
            pause_after in 0i64..(3 * 86_400),
            paused_for in 0i64..(20 * 86_400),
            days in 1u32..6,
        ) {
            let cal = calendar();
            let policy = Policy { verify_days: days, ..policy(&cal) };
            let admin = Actor::Staff { role: "admin".into(), subject: "a".into() };
            let pending = report_with(
                start_clock(ClockKind::Verification, &cal, start, days),
                ReportStatus::PendingVerification,
            );
            let original = pending.clock.unwrap().due_at;
            let paused_at = start.checked_add(SignedDuration::from_secs(pause_after)).unwrap();
            let resumed_at = paused_at.checked_add(SignedDuration::from_secs(paused_for)).unwrap();
            let paused = workflow::request_info(&pending, "?", &admin, paused_at, &policy).unwrap().report;
            let resumed = workflow::provide_info(&paused, "!", resumed_at, &policy).unwrap().report;
            let due = resumed.clock.unwrap().due_at;
            prop_assert!(due >= original, "{} < {}", local(due), local(original));
            prop_assert!(due > resumed_at);
        }

        #[test]
        fn later_events_never_get_earlier_deadlines(a in any_instant(), gap in 0i64..(30 * 86_400), n in 1u32..15) {
            let cal = calendar();
            let b = a.checked_add(SignedDuration::from_secs(gap)).unwrap();
            prop_assert!(cal.deadline(b, n).due_at >= cal.deadline(a, n).due_at);
        }

        #[test]
        fn an_added_holiday_is_never_a_deadline_and_never_shortens_one(
            at in any_instant(),
            offset in 0i64..20,
            n in 1u32..10,
        ) {
            let cal = calendar();
            let start = at.to_zoned(wib()).date();
            let day = start.checked_add(jiff::Span::new().days(offset)).unwrap();
            let edited = with_extra_day_off(day);
            let before = cal.deadline(at, n);
            let after = edited.deadline(at, n);
            prop_assert!(edited.is_working_day(after.due_date));
            prop_assert_ne!(after.due_date, day);
            prop_assert!(after.due_at >= before.due_at);
            // A clock starting now honours it: its reminder is never on it either.
            let clock = start_clock(ClockKind::FollowUp, &edited, at, n);
            if let Some(remind) = clock.sla.remind_at {
                prop_assert!(edited.is_working_day(remind.to_zoned(wib()).date()));
            }
        }

        #[test]
        fn days_left_at_the_start_is_the_clock_length(at in any_instant(), n in 1u32..20) {
            let cal = calendar();
            let due = cal.deadline(at, n);
            prop_assert_eq!(cal.working_days_left(at, due.due_at), i32::try_from(n).unwrap());
        }
    }
}
