//! What the public may see of a report, for every public surface (the tracking page,
//! SMS `INFO`, Open311): never a *rahasia* report, never the reporter's identity or
//! triage's suggestions, internal reminders left out, and every text a citizen or an
//! agency typed masked once here ([`mask_pii`]).

use jiff::Timestamp;

use super::pii::mask_pii;
use super::report::{Actor, Report, ReportAction, ReportEvent, ReportStatus};

/// A report as the public sees it.
#[derive(Debug, Clone, Copy)]
pub struct PublicReport<'a> {
    report: &'a Report,
}

/// One published follow-up, masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicFollowUp {
    /// The agency that published it.
    pub agency: String,
    /// When.
    pub at: Timestamp,
    /// What it said, masked.
    pub text: String,
    /// Its evidence links.
    pub evidence: Vec<String>,
}

/// One public line of the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicEvent {
    /// When.
    pub at: Timestamp,
    /// The status it left the report in.
    pub status: ReportStatus,
    /// Who, as the public reads it (`pelapor`, `admin`, `instansi`, `sistem`).
    pub by: &'static str,
    /// The note or reason, masked.
    pub note: Option<String>,
}

impl<'a> PublicReport<'a> {
    /// The public view of `report`; `None` for a confidential one, which the public
    /// never sees (it is "not found").
    pub fn of(report: &'a Report) -> Option<Self> {
        report.is_public().then_some(Self { report })
    }

    /// The same masked view for the report's own reporter, who may see it even when
    /// it is *rahasia* (SMS `INFO` from the number that reported it).
    pub fn masked(report: &'a Report) -> Self {
        Self { report }
    }

    /// The report's facts that carry no free text (status, place, dates, clocks).
    pub fn report(&self) -> &'a Report {
        self.report
    }

    /// Whether the report's text is published: an admin has verified it (LAPOR!
    /// publishes a report when it is dispatched). Until then, and for reports that
    /// are archived or merged, the public sees its status and deadline only.
    pub fn is_published(&self) -> bool {
        matches!(
            self.report.status,
            ReportStatus::Dispatched
                | ReportStatus::InProgress
                | ReportStatus::Responded
                | ReportStatus::Closed
        )
    }

    /// The title, masked.
    pub fn title(&self) -> String {
        mask_pii(&self.report.title)
    }

    /// The description, masked.
    pub fn description(&self) -> String {
        mask_pii(&self.report.description)
    }

    /// The rating's comment, masked.
    pub fn rating_comment(&self) -> Option<String> {
        self.report
            .rating
            .as_ref()
            .and_then(|r| r.comment.as_deref())
            .map(mask_pii)
    }

    /// Every published follow-up, oldest first, masked.
    pub fn follow_ups(&self) -> Vec<PublicFollowUp> {
        let mut list: Vec<PublicFollowUp> = self
            .report
            .assignments
            .iter()
            .flat_map(|a| {
                a.follow_ups.iter().map(|f| PublicFollowUp {
                    agency: a.agency.clone(),
                    at: f.at,
                    text: mask_pii(&f.text),
                    evidence: f.evidence.clone(),
                })
            })
            .collect();
        list.sort_by_key(|f| f.at);
        list
    }

    /// The newest follow-up's text, masked.
    pub fn latest_follow_up(&self) -> Option<String> {
        self.follow_ups().pop().map(|f| f.text)
    }

    /// The public timeline: every event but the internal reminders, photo steps, an
    /// agency's internal notes and its officers' assignments, with the note
    /// (masked) only where it was written for the public ([`note_is_public`]).
    pub fn timeline(events: &[ReportEvent]) -> Vec<PublicEvent> {
        events
            .iter()
            // Reminders are the owner's business, and an agency's internal notes and
            // who works on it inside are its own; photos show as photos, not as steps.
            .filter(|e| {
                !matches!(
                    e.action,
                    Some(
                        ReportAction::Remind
                            | ReportAction::AddPhoto
                            | ReportAction::CheckPhoto
                            | ReportAction::InternalNote
                            | ReportAction::Assign
                    )
                )
            })
            .map(|e| PublicEvent {
                at: e.at,
                status: e.to,
                by: Actor::public_label(&e.actor),
                note: e
                    .reason
                    .as_deref()
                    .filter(|_| e.action.is_some_and(note_is_public))
                    .map(mask_pii),
            })
            .collect()
    }
}

/// Whether the note of `action` is written for the public: an agency's follow-up and
/// progress notes, why a report was archived or merged, the SLA's escalations and
/// the rating. The conversation between the admin and the reporter (questions,
/// answers, replies, disputes), notes to agencies and why an agency returned a
/// report stay between them and the staff.
pub fn note_is_public(action: ReportAction) -> bool {
    use ReportAction as A;
    match action {
        A::PublishFollowUp
        | A::AddNote
        | A::Archive
        | A::MarkDuplicate
        | A::Breach
        | A::Escalate
        | A::AutoClose
        | A::Accept
        | A::Rate
        | A::Acknowledge
        | A::Triage => true,
        A::RequestInfo
        | A::ProvideInfo
        | A::Reply
        | A::Dispute
        | A::Dispatch
        | A::Return
        | A::Redact
        | A::SetLocation
        | A::Remind
        | A::AddPhoto
        | A::CheckPhoto
        | A::InternalNote
        | A::Assign => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::report::{Assignment, AssignmentStatus, Channel, FollowUp, Rating};
    use crate::domain::tracking_id::TrackingId;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn report(confidential: bool) -> Report {
        let received = at("2026-11-20T03:00:00Z");
        let follow_up = |when: &str, text: &str| FollowUp {
            at: at(when),
            text: text.into(),
            evidence: vec!["https://x/foto.jpg".into()],
        };
        let assignment = |agency: &str, follow_ups: Vec<FollowUp>| Assignment {
            agency: agency.into(),
            status: AssignmentStatus::Responded,
            dispatched_at: received,
            due_at: received,
            provisional: false,
            follow_ups,
            return_reason: None,
            sla: Default::default(),
            officer: None,
        };
        Report {
            title: "Jalan rusak, hubungi 0812-3456-7890".into(),
            description: "NIK saya 3273012508900001".into(),
            confidential,
            rating: Some(Rating {
                score: 2,
                comment: Some("WA 081234567890".into()),
                at: received,
            }),
            assignments: vec![
                assignment(
                    "dlh",
                    vec![follow_up("2026-11-22T03:00:00Z", "Telepon 081234567890")],
                ),
                assignment(
                    "dsdabm",
                    vec![follow_up("2026-11-21T03:00:00Z", "Sudah ditambal")],
                ),
            ],
            ..Report::received(
                TrackingId::from_random_bytes(&[1, 2, 3, 4, 5, 6]).unwrap(),
                Channel::Web,
                received,
            )
        }
    }

    #[test]
    fn every_public_text_is_masked_and_a_confidential_report_has_no_view() {
        assert!(PublicReport::of(&report(true)).is_none());
        let report = report(false);
        let public = PublicReport::of(&report).unwrap();
        for text in [
            public.title(),
            public.description(),
            public.rating_comment().unwrap(),
            public.latest_follow_up().unwrap(),
        ] {
            assert!(text.contains("[disembunyikan]"), "{text}");
            assert!(!text.contains("0812") && !text.contains("327301"), "{text}");
        }
        let follow_ups = public.follow_ups();
        assert_eq!(
            follow_ups
                .iter()
                .map(|f| f.agency.as_str())
                .collect::<Vec<_>>(),
            vec!["dsdabm", "dlh"],
            "oldest first"
        );
    }

    #[test]
    fn the_public_timeline_leaves_reminders_out_and_names_no_one() {
        let event = |action, actor: &str, reason: Option<&str>| ReportEvent {
            at: at("2026-11-20T03:00:00Z"),
            version: 2,
            actor: actor.into(),
            action: Some(action),
            from: Some(ReportStatus::PendingVerification),
            to: ReportStatus::PendingVerification,
            reason: reason.map(str::to_string),
            agency: None,
        };
        let events = [
            event(ReportAction::Remind, "system:sla-sweep", Some("pengingat")),
            event(
                ReportAction::Reply,
                "citizen",
                Some("rumah saya di gang Mawar no 5"),
            ),
            event(ReportAction::Redact, "admin:u-7", None),
            event(
                ReportAction::AddNote,
                "agency:dsdabm",
                Some("tim survei ke lokasi, hubungi 081234567890"),
            ),
        ];
        let timeline = PublicReport::timeline(&events);
        assert_eq!(timeline.len(), 3);
        // The reporter's conversation is theirs: the line stays, its text does not.
        assert_eq!(
            (timeline[0].by, timeline[0].note.as_deref()),
            ("pelapor", None)
        );
        assert_eq!(timeline[1].by, "admin");
        // An agency's note is for the public, masked.
        assert_eq!(
            timeline[2].note.as_deref(),
            Some("tim survei ke lokasi, hubungi [disembunyikan]")
        );
    }

    #[test]
    fn text_is_published_only_once_an_admin_verified_the_report() {
        let mut report = report(false);
        for (status, published) in [
            (ReportStatus::Received, false),
            (ReportStatus::PendingVerification, false),
            (ReportStatus::NeedsInfo, false),
            (ReportStatus::Archived, false),
            (ReportStatus::Duplicate, false),
            (ReportStatus::Dispatched, true),
            (ReportStatus::InProgress, true),
            (ReportStatus::Responded, true),
            (ReportStatus::Closed, true),
        ] {
            report.status = status;
            assert_eq!(
                PublicReport::of(&report).unwrap().is_published(),
                published,
                "{status:?}"
            );
        }
    }
}
