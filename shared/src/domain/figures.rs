//! The supervisor's city figures, pure: the open backlog by status and age, the
//! deadlines breached per agency, where open reports come from, the on-time share of
//! follow-ups per agency per week, and the proof photos flagged per agency. The
//! console draws them (`backoffice`'s dashboard) and exports them as CSV.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};

use super::calendar::wib;
use super::record::{Fact, FactKind};
use super::report::{Assignment, AssignmentStatus, Report, ReportStatus};

/// The open statuses, in the order of a report's life.
pub const OPEN_STATUSES: [ReportStatus; 6] = [
    ReportStatus::Received,
    ReportStatus::PendingVerification,
    ReportStatus::NeedsInfo,
    ReportStatus::Dispatched,
    ReportStatus::InProgress,
    ReportStatus::Responded,
];

/// The age bands of the backlog, in calendar days since the report came in.
pub const AGE_BANDS: [&str; 4] = ["0–2 hari", "3–5 hari", "6–10 hari", "> 10 hari"];

/// Weeks the on-time table shows (the current one and those before).
pub const WEEKS_SHOWN: usize = 4;

/// Where a breach is counted when no agency holds the report: the admins' desk.
pub const VERIFICATION_DESK: &str = "verifikasi";

/// The band of a report received at `received` when it is `now`.
pub fn age_band(received: Timestamp, now: Timestamp) -> usize {
    let days = now.duration_since(received).as_secs().max(0) / 86_400;
    match days {
        0..=2 => 0,
        3..=5 => 1,
        6..=10 => 2,
        _ => 3,
    }
}

/// The Monday (WIB) of the week `at` falls in.
pub fn week_of(at: Timestamp) -> Date {
    let date = at.to_zoned(wib()).date();
    let back = i64::from(date.weekday().to_monday_zero_offset());
    date.checked_sub(back.days()).unwrap_or(date)
}

/// The assignments an agency still holds (dispatched or acknowledged).
fn held(report: &Report) -> impl Iterator<Item = &Assignment> {
    report.assignments.iter().filter(|a| {
        matches!(
            a.status,
            AssignmentStatus::Dispatched | AssignmentStatus::Acknowledged
        )
    })
}

/// Who is late with `report` at `now`: each agency holding it past its deadline,
/// or the admins' desk ([`VERIFICATION_DESK`]) when no agency holds it and the
/// verification clock has run out.
pub fn breached_desks(report: &Report, now: Timestamp) -> Vec<String> {
    let late = |breached: Option<Timestamp>, due: Timestamp| breached.is_some() || due < now;
    let agencies: Vec<String> = held(report)
        .filter(|a| late(a.sla.breached_at, a.due_at))
        .map(|a| a.agency.clone())
        .collect();
    if held(report).next().is_some() {
        return agencies;
    }
    report
        .clock
        .filter(|c| late(c.sla.breached_at, c.due_at))
        .map(|_| vec![VERIFICATION_DESK.to_string()])
        .unwrap_or_default()
}

/// The deadline `report` now runs against: the earliest of the agencies holding
/// it, or the verification clock's.
pub fn next_deadline(report: &Report) -> Option<Timestamp> {
    held(report)
        .map(|a| a.due_at)
        .min()
        .or_else(|| report.clock.map(|c| c.due_at))
}

/// Follow-ups published in a week, and how many of those in time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OnTime {
    /// Follow-ups published.
    pub followed_up: u32,
    /// Of those, published before the deadline.
    pub on_time: u32,
}

impl OnTime {
    /// The share in time, in whole percent; none without follow-ups.
    pub fn percent(self) -> Option<u32> {
        (self.followed_up > 0).then(|| self.on_time * 100 / self.followed_up)
    }
}

/// The city's figures at one instant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CityFigures {
    /// Open reports per status (in [`OPEN_STATUSES`] order), per age band.
    pub backlog: Vec<(ReportStatus, [u32; 4])>,
    /// Breached deadlines now running, per agency id (or [`VERIFICATION_DESK`]),
    /// most first.
    pub breaches: Vec<(String, u32)>,
    /// Open reports per kecamatan name ("Tanpa kecamatan" when none), most first.
    pub kecamatan: Vec<(String, u32)>,
    /// The Mondays of the weeks shown, oldest first.
    pub weeks: Vec<Date>,
    /// Per agency id, each shown week's follow-ups.
    pub on_time: Vec<(String, Vec<OnTime>)>,
    /// Proof photos flagged for a look, per agency id, most first.
    pub photo_flags: Vec<(String, u32)>,
}

/// Counts sorted most first, then by name.
fn most_first(counts: BTreeMap<String, u32>) -> Vec<(String, u32)> {
    let mut list: Vec<(String, u32)> = counts.into_iter().collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    list
}

impl CityFigures {
    /// The figures from the open reports, each agency's facts of the weeks shown,
    /// and the agencies of the flagged proof photos (one entry per photo).
    pub fn of<'a>(
        open: &[Report],
        facts: impl IntoIterator<Item = &'a Fact>,
        flagged_agencies: impl IntoIterator<Item = &'a str>,
        agencies: &[String],
        now: Timestamp,
    ) -> Self {
        let mut backlog: Vec<(ReportStatus, [u32; 4])> =
            OPEN_STATUSES.iter().map(|s| (*s, [0; 4])).collect();
        let mut breaches = BTreeMap::new();
        let mut kecamatan = BTreeMap::new();
        for report in open {
            if let Some((_, bands)) = backlog.iter_mut().find(|(s, _)| *s == report.status) {
                bands[age_band(report.received_at, now)] += 1;
            }
            let name = report
                .location
                .kecamatan
                .as_ref()
                .map_or("Tanpa kecamatan", |k| k.name.as_str());
            *kecamatan.entry(name.to_string()).or_insert(0) += 1;
            for desk in breached_desks(report, now) {
                *breaches.entry(desk).or_insert(0) += 1;
            }
        }
        let this_week = week_of(now);
        let weeks: Vec<Date> = (0..WEEKS_SHOWN)
            .rev()
            .filter_map(|back| this_week.checked_sub((7 * back as i64).days()).ok())
            .collect();
        let mut on_time: BTreeMap<String, Vec<OnTime>> = agencies
            .iter()
            .map(|a| (a.clone(), vec![OnTime::default(); weeks.len()]))
            .collect();
        for fact in facts {
            let FactKind::FollowedUp { on_time: in_time } = fact.kind else {
                continue;
            };
            let Some(week) = weeks.iter().position(|w| *w == week_of(fact.at)) else {
                continue;
            };
            let cells = on_time
                .entry(fact.agency.clone())
                .or_insert_with(|| vec![OnTime::default(); weeks.len()]);
            cells[week].followed_up += 1;
            cells[week].on_time += u32::from(in_time);
        }
        let mut photo_flags = BTreeMap::new();
        for agency in flagged_agencies {
            *photo_flags.entry(agency.to_string()).or_insert(0) += 1;
        }
        Self {
            backlog,
            breaches: most_first(breaches),
            kecamatan: most_first(kecamatan),
            weeks,
            on_time: on_time.into_iter().collect(),
            photo_flags: most_first(photo_flags),
        }
    }

    /// Open reports in all.
    pub fn open(&self) -> u32 {
        self.backlog
            .iter()
            .map(|(_, b)| b.iter().sum::<u32>())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    #[test]
    fn the_age_bands_and_the_week_follow_the_calendar_in_wib() {
        let now = at("2026-12-10T05:00:00Z");
        assert_eq!(age_band(at("2026-12-08T06:00:00Z"), now), 0);
        assert_eq!(age_band(at("2026-12-07T04:00:00Z"), now), 1);
        assert_eq!(age_band(at("2026-12-01T00:00:00Z"), now), 2);
        assert_eq!(age_band(at("2026-11-20T00:00:00Z"), now), 3);
        // Sunday 23.30 WIB is still the week of Monday the 30th; 00.30 WIB on
        // Monday (17.30 UTC on Sunday) is the next week.
        assert_eq!(week_of(at("2026-12-06T16:30:00Z")), date(2026, 11, 30));
        assert_eq!(week_of(at("2026-12-06T17:30:00Z")), date(2026, 12, 7));
    }

    #[test]
    fn follow_ups_count_in_their_week_and_agency_and_old_weeks_drop_out() {
        let fact = |agency: &str, when: &str, on_time: bool| Fact {
            agency: agency.into(),
            kind: FactKind::FollowedUp { on_time },
            at: at(when),
        };
        let facts = [
            fact("dlh", "2026-12-08T03:00:00Z", true),
            fact("dlh", "2026-12-09T03:00:00Z", false),
            fact("dlh", "2026-12-01T03:00:00Z", true),
            fact("dlh", "2026-10-01T03:00:00Z", false),
            Fact {
                agency: "dlh".into(),
                kind: FactKind::Reopened,
                at: at("2026-12-08T03:00:00Z"),
            },
        ];
        let figures = CityFigures::of(
            &[],
            &facts,
            ["dlh", "dsdabm", "dlh"],
            &["dlh".into(), "dishub".into()],
            at("2026-12-10T05:00:00Z"),
        );
        assert_eq!(figures.weeks.len(), WEEKS_SHOWN);
        assert_eq!(figures.weeks[3], date(2026, 12, 7));
        let dlh = &figures
            .on_time
            .iter()
            .find(|(a, _)| a == "dlh")
            .expect("dlh")
            .1;
        assert_eq!(
            dlh[3],
            OnTime {
                followed_up: 2,
                on_time: 1
            }
        );
        assert_eq!(dlh[3].percent(), Some(50));
        assert_eq!(dlh[2].percent(), Some(100));
        assert_eq!(dlh[0].percent(), None);
        assert!(figures.on_time.iter().any(|(a, _)| a == "dishub"));
        assert_eq!(
            figures.photo_flags,
            vec![("dlh".into(), 2), ("dsdabm".into(), 1)]
        );
        assert_eq!(figures.open(), 0);
    }

    fn received(when: &str, status: ReportStatus, due: &str) -> Report {
        let id = crate::domain::tracking_id::TrackingId::parse("BDG-K7M2QXZ").expect("id");
        let mut report = Report::received(id, crate::domain::report::Channel::Web, at(when));
        report.status = status;
        report.clock = Some(crate::domain::deadline::ReportClock {
            kind: crate::domain::deadline::ClockKind::Verification,
            due_at: at(due),
            provisional: false,
            sla: Default::default(),
        });
        report
    }

    fn held_by(agency: &str, status: AssignmentStatus, due: &str) -> Assignment {
        Assignment {
            agency: agency.into(),
            status,
            dispatched_at: at("2026-12-01T03:00:00Z"),
            due_at: at(due),
            provisional: false,
            follow_ups: Vec::new(),
            return_reason: None,
            sla: Default::default(),
            officer: None,
        }
    }

    #[test]
    fn a_breach_is_the_late_agency_s_or_the_desk_s_when_no_agency_holds_the_report() {
        let now = at("2026-12-10T05:00:00Z");
        // Waiting for verification past its clock: the desk's.
        let waiting = received(
            "2026-12-01T01:00:00Z",
            ReportStatus::PendingVerification,
            "2026-12-03T16:59:59Z",
        );
        assert_eq!(
            breached_desks(&waiting, now),
            vec![VERIFICATION_DESK.to_string()]
        );
        assert_eq!(next_deadline(&waiting), Some(at("2026-12-03T16:59:59Z")));
        // With two agencies, one late and one not, and one that answered already:
        // only the late one, and the deadline is the earliest still held.
        let mut dispatched = received(
            "2026-12-09T01:00:00Z",
            ReportStatus::Dispatched,
            "2026-12-03T16:59:59Z",
        );
        dispatched.assignments = vec![
            held_by(
                "dlh",
                AssignmentStatus::Acknowledged,
                "2026-12-09T16:59:59Z",
            ),
            held_by(
                "dishub",
                AssignmentStatus::Dispatched,
                "2026-12-12T16:59:59Z",
            ),
            held_by(
                "dsdabm",
                AssignmentStatus::Responded,
                "2026-12-02T16:59:59Z",
            ),
        ];
        assert_eq!(breached_desks(&dispatched, now), vec!["dlh".to_string()]);
        assert_eq!(next_deadline(&dispatched), Some(at("2026-12-09T16:59:59Z")));

        let figures = CityFigures::of(&[waiting, dispatched], &[], [], &[], now);
        assert_eq!(figures.open(), 2);
        assert_eq!(
            figures.breaches,
            vec![("dlh".into(), 1), (VERIFICATION_DESK.into(), 1)]
        );
        let bands = |status| {
            figures
                .backlog
                .iter()
                .find(|(s, _)| *s == status)
                .expect("status")
                .1
        };
        assert_eq!(bands(ReportStatus::PendingVerification), [0, 0, 1, 0]);
        assert_eq!(bands(ReportStatus::Dispatched), [1, 0, 0, 0]);
        assert_eq!(figures.kecamatan, vec![("Tanpa kecamatan".into(), 2)]);
    }
}
