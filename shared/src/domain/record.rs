//! The agency record: what each agency did with the reports it was given, month by
//! month, for the public accountability page.
//!
//! A change to a report yields *facts* ([`facts`]): a dispatch (on time or not), a
//! first follow-up after a dispatch or reopening (on time or not), a reopening by
//! the reporter's dispute, a rating. Each is stored under its own key in the same
//! transaction as the change, so no two changes ever write the same item (no hot
//! counter, no conflicts), and a scheduled roll-up folds a month's facts into one
//! [`AgencyMonth`] per agency. A page view reads only those.

use jiff::Timestamp;

use super::calendar::wib;
use super::report::{Assignment, Report, ReportStatus};

/// What happened, as the record counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactKind {
    /// An admin dispatched the report to the agency: on time if within the
    /// verification deadline.
    Dispatched {
        /// Before the deadline ran out.
        on_time: bool,
    },
    /// The agency's first follow-up since it was given (or given back) the report: on
    /// time if within its follow-up deadline.
    FollowedUp {
        /// Before the deadline ran out.
        on_time: bool,
    },
    /// The reporter disputed the agency's follow-up and the report reopened.
    Reopened,
    /// The reporter rated the follow-up (1 to 5).
    Rated {
        /// The score.
        score: u8,
    },
}

impl FactKind {
    /// The stored name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Dispatched { .. } => "dispatched",
            Self::FollowedUp { .. } => "followed_up",
            Self::Reopened => "reopened",
            Self::Rated { .. } => "rated",
        }
    }
}

/// One fact about one agency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    /// The agency it is about.
    pub agency: String,
    /// What happened.
    pub kind: FactKind,
    /// When.
    pub at: Timestamp,
}

/// The facts a change from `previous` to `next` adds to the record.
pub fn facts(previous: &Report, next: &Report) -> Vec<Fact> {
    let mut found = Vec::new();
    let before = |agency: &str| previous.assignments.iter().find(|a| a.agency == agency);
    let verifying = matches!(
        previous.status,
        ReportStatus::Received | ReportStatus::PendingVerification
    );
    for assignment in &next.assignments {
        let earlier = before(&assignment.agency);
        // A dispatch: an admin moved the report out of verification to this agency.
        let newly_given = earlier.is_none_or(|e| e.dispatched_at != assignment.dispatched_at);
        if verifying && assignment.is_open() && newly_given {
            let on_time = previous
                .clock
                .is_none_or(|clock| assignment.dispatched_at <= clock.due_at);
            found.push(Fact {
                agency: assignment.agency.clone(),
                kind: FactKind::Dispatched { on_time },
                at: assignment.dispatched_at,
            });
        }
        // The first follow-up since the agency was given the report.
        if let (Some(earlier), Some(latest)) = (earlier, assignment.follow_ups.last())
            && earlier.is_open()
            && assignment.follow_ups.len() > earlier.follow_ups.len()
        {
            found.push(Fact {
                agency: assignment.agency.clone(),
                kind: FactKind::FollowedUp {
                    on_time: latest.at <= earlier.due_at,
                },
                at: latest.at,
            });
        }
    }
    let answered: Vec<&str> = next
        .assignments
        .iter()
        .filter(|a| !a.follow_ups.is_empty())
        .map(|a| a.agency.as_str())
        .collect();
    let reopened = matches!(
        previous.status,
        ReportStatus::Responded | ReportStatus::Closed
    ) && !matches!(next.status, ReportStatus::Responded | ReportStatus::Closed)
        && !next.status.is_final();
    if reopened {
        found.extend(answered.iter().map(|agency| Fact {
            agency: (*agency).to_string(),
            kind: FactKind::Reopened,
            at: next.updated_at,
        }));
    }
    if let Some(rating) = &next.rating
        && previous.rating.as_ref().is_none_or(|r| r.at != rating.at)
    {
        found.extend(answered.iter().map(|agency| Fact {
            agency: (*agency).to_string(),
            kind: FactKind::Rated {
                score: rating.score,
            },
            at: rating.at,
        }));
    }
    found
}

/// The WIB month an instant falls in, `2026-12`: the record's unit.
pub fn month_of(at: Timestamp) -> String {
    let date = at.to_zoned(wib()).date();
    format!("{:04}-{:02}", date.year(), date.month())
}

/// The `count` months ending with the one `at` is in, oldest first.
pub fn months_until(at: Timestamp, count: usize) -> Vec<String> {
    let date = at.to_zoned(wib()).date();
    let (mut year, mut month) = (i32::from(date.year()), i32::from(date.month()));
    let mut months = Vec::with_capacity(count);
    for _ in 0..count {
        months.push(format!("{year:04}-{month:02}"));
        month -= 1;
        if month == 0 {
            month = 12;
            year -= 1;
        }
    }
    months.reverse();
    months
}

/// Reports an agency still owes a follow-up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backlog {
    /// How many.
    pub open: u32,
    /// Days since the oldest of them was given (or given back) to the agency.
    pub oldest_days: u32,
}

impl Backlog {
    /// The backlog of `open` assignments, `now`.
    pub fn of<'a>(open: impl IntoIterator<Item = &'a Assignment>, now: Timestamp) -> Self {
        let mut backlog = Self::default();
        for assignment in open.into_iter().filter(|a| a.is_open()) {
            backlog.open += 1;
            let days = now
                .duration_since(assignment.dispatched_at)
                .as_secs()
                .max(0)
                / 86_400;
            backlog.oldest_days = backlog
                .oldest_days
                .max(u32::try_from(days).unwrap_or(u32::MAX));
        }
        backlog
    }
}

/// One agency's month: what the page shows, folded from the month's facts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgencyMonth {
    /// Reports dispatched to it.
    pub dispatched: u32,
    /// … of them within the verification deadline.
    pub dispatched_on_time: u32,
    /// First follow-ups it published.
    pub followed_up: u32,
    /// … of them within its deadline.
    pub followed_up_on_time: u32,
    /// Follow-ups the reporter disputed.
    pub reopened: u32,
    /// Ratings given.
    pub ratings: u32,
    /// Their sum.
    pub rating_sum: u32,
    /// What it still owed when the month was last rolled up (the current month's is
    /// today's; a past month keeps the one it ended with).
    pub backlog: Option<Backlog>,
}

impl AgencyMonth {
    /// Counts one fact.
    pub fn add(&mut self, kind: FactKind) {
        match kind {
            FactKind::Dispatched { on_time } => {
                self.dispatched += 1;
                self.dispatched_on_time += u32::from(on_time);
            }
            FactKind::FollowedUp { on_time } => {
                self.followed_up += 1;
                self.followed_up_on_time += u32::from(on_time);
            }
            FactKind::Reopened => self.reopened += 1,
            FactKind::Rated { score } => {
                self.ratings += 1;
                self.rating_sum += u32::from(score);
            }
        }
    }

    /// Share dispatched on time, in whole percent (none dispatched: none).
    pub fn dispatched_on_time_percent(&self) -> Option<u32> {
        percent(self.dispatched_on_time, self.dispatched)
    }

    /// Share followed up on time, in whole percent.
    pub fn followed_up_on_time_percent(&self) -> Option<u32> {
        percent(self.followed_up_on_time, self.followed_up)
    }

    /// Follow-ups disputed, in whole percent of those published.
    pub fn reopened_percent(&self) -> Option<u32> {
        percent(self.reopened, self.followed_up)
    }

    /// The average rating, to one decimal, in tenths (42 is 4.2).
    pub fn rating_tenths(&self) -> Option<u32> {
        (self.ratings > 0).then(|| (self.rating_sum * 10 + self.ratings / 2) / self.ratings)
    }

    /// `months` (oldest first) summed, with the newest month's backlog: the record
    /// of a period.
    pub fn total<'a>(months: impl IntoIterator<Item = &'a AgencyMonth>) -> Self {
        let mut sum = Self::default();
        for month in months {
            sum.dispatched += month.dispatched;
            sum.dispatched_on_time += month.dispatched_on_time;
            sum.followed_up += month.followed_up;
            sum.followed_up_on_time += month.followed_up_on_time;
            sum.reopened += month.reopened;
            sum.ratings += month.ratings;
            sum.rating_sum += month.rating_sum;
            sum.backlog = month.backlog.or(sum.backlog);
        }
        sum
    }

    /// True when nothing happened and nothing is owed.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

fn percent(part: u32, whole: u32) -> Option<u32> {
    (whole > 0).then(|| (part * 100 + whole / 2) / whole)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::deadline::{ClockKind, ReportClock};
    use crate::domain::report::{Assignment, AssignmentStatus, Channel, FollowUp, Rating};

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn pending() -> Report {
        let id = crate::domain::tracking_id::TrackingId::parse("BDG-K7M2QXZ").unwrap();
        let mut report = Report::received(id, Channel::Web, at("2026-12-07T01:00:00Z"));
        report.status = ReportStatus::PendingVerification;
        report.clock = Some(ReportClock {
            kind: ClockKind::Verification,
            due_at: at("2026-12-08T16:59:59Z"),
            provisional: false,
            sla: Default::default(),
        });
        report
    }

    fn given(agency: &str, when: &str, due: &str) -> Assignment {
        Assignment {
            agency: agency.into(),
            status: AssignmentStatus::Dispatched,
            dispatched_at: at(when),
            due_at: at(due),
            provisional: false,
            follow_ups: Vec::new(),
            return_reason: None,
            sla: Default::default(),
            officer: None,
        }
    }

    #[test]
    fn a_dispatch_counts_for_each_agency_on_time_or_late() {
        let previous = pending();
        let mut next = previous.clone();
        next.status = ReportStatus::Dispatched;
        next.assignments = vec![
            given("dsdabm", "2026-12-08T10:00:00Z", "2026-12-15T16:59:59Z"),
            given("dlh", "2026-12-08T10:00:00Z", "2026-12-15T16:59:59Z"),
        ];
        let found = facts(&previous, &next);
        assert_eq!(found.len(), 2);
        assert!(
            found
                .iter()
                .all(|f| f.kind == FactKind::Dispatched { on_time: true })
        );
        next.assignments = vec![given(
            "dsdabm",
            "2026-12-09T01:00:00Z",
            "2026-12-16T16:59:59Z",
        )];
        assert_eq!(
            facts(&previous, &next)[0].kind,
            FactKind::Dispatched { on_time: false }
        );
        // Nothing else changed: no fact.
        assert!(facts(&next, &next).is_empty());
    }

    #[test]
    fn the_first_follow_up_counts_then_a_dispute_and_a_rating() {
        let mut previous = pending();
        previous.status = ReportStatus::InProgress;
        previous.assignments = vec![given(
            "dsdabm",
            "2026-12-08T10:00:00Z",
            "2026-12-15T16:59:59Z",
        )];
        let mut next = previous.clone();
        next.status = ReportStatus::Responded;
        next.assignments[0].status = AssignmentStatus::Responded;
        next.assignments[0].follow_ups.push(FollowUp {
            at: at("2026-12-16T01:00:00Z"),
            text: "Sudah".into(),
            evidence: Vec::new(),
        });
        assert_eq!(
            facts(&previous, &next),
            vec![Fact {
                agency: "dsdabm".into(),
                kind: FactKind::FollowedUp { on_time: false },
                at: at("2026-12-16T01:00:00Z"),
            }]
        );
        let mut rated = next.clone();
        rated.rating = Some(Rating {
            score: 2,
            comment: None,
            at: at("2026-12-16T02:00:00Z"),
        });
        assert_eq!(facts(&next, &rated)[0].kind, FactKind::Rated { score: 2 });
        let mut disputed = rated.clone();
        disputed.status = ReportStatus::InProgress;
        disputed.assignments[0].status = AssignmentStatus::Dispatched;
        assert_eq!(facts(&rated, &disputed)[0].kind, FactKind::Reopened);
    }

    #[test]
    fn a_month_folds_its_facts_into_shares() {
        let mut month = AgencyMonth::default();
        for kind in [
            FactKind::FollowedUp { on_time: true },
            FactKind::FollowedUp { on_time: true },
            FactKind::FollowedUp { on_time: false },
            FactKind::Reopened,
            FactKind::Rated { score: 4 },
            FactKind::Rated { score: 5 },
        ] {
            month.add(kind);
        }
        assert_eq!(month.followed_up_on_time_percent(), Some(67));
        assert_eq!(month.reopened_percent(), Some(33));
        assert_eq!(month.rating_tenths(), Some(45));
        assert_eq!(month.dispatched_on_time_percent(), None);
        let backlog = Some(Backlog {
            open: 3,
            oldest_days: 9,
        });
        let later = AgencyMonth {
            dispatched: 2,
            dispatched_on_time: 1,
            backlog,
            ..AgencyMonth::default()
        };
        let total = AgencyMonth::total([&month, &later]);
        assert_eq!(total.followed_up, 3);
        assert_eq!(total.dispatched_on_time_percent(), Some(50));
        assert_eq!(total.backlog, backlog);
        assert!(AgencyMonth::default().is_empty());
    }

    #[test]
    fn the_backlog_counts_open_assignments_and_the_oldest_age() {
        let mut done = given("dlh", "2026-11-01T00:00:00Z", "2026-11-08T00:00:00Z");
        done.status = AssignmentStatus::Responded;
        let open = [
            given("dlh", "2026-12-01T00:00:00Z", "2026-12-08T00:00:00Z"),
            given("dlh", "2026-12-05T00:00:00Z", "2026-12-12T00:00:00Z"),
            done,
        ];
        assert_eq!(
            Backlog::of(&open, at("2026-12-06T12:00:00Z")),
            Backlog {
                open: 2,
                oldest_days: 5
            }
        );
    }

    #[test]
    fn months_run_back_across_a_year() {
        assert_eq!(
            months_until(at("2027-01-31T20:00:00Z"), 3),
            vec!["2026-12", "2027-01", "2027-02"]
        );
        assert_eq!(
            months_until(at("2027-01-31T12:00:00Z"), 2),
            vec!["2026-12", "2027-01"]
        );
        assert_eq!(month_of(at("2026-11-30T18:00:00Z")), "2026-12");
    }
}
