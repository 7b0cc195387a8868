//! Every workflow action as one typed command: parsed by a channel (a staff route and
//! body, a citizen's token request, an SMS, a post), knowing who may ask for it, and
//! decided by the workflow operation it names.

use jiff::Timestamp;

use super::deadline::Policy;
use super::location::Coordinates;
use super::report::{Actor, Officer, Report, ReportLocation};
use super::tracking_id::TrackingId;
use super::workflow::{
    ArchiveReason, Change, WorkflowError, accept, acknowledge, add_note, answer, archive,
    assign_officer, dispatch, dispute, internal_note, mark_duplicate, publish_follow_up, rate,
    redact, reply, request_info, return_report, set_location, share_point,
};

/// Who must ask for a [`Command`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asker {
    /// The reporter (by token, SMS or post).
    Citizen,
    /// An admin (the verification desk).
    Admin,
    /// Staff of an agency on the report.
    Agency,
}

/// Every workflow action, whoever asks for it and by whatever channel: parsed from
/// a path and body, an SMS or a post, then decided here and committed by
/// `service::reports`.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Admin: verified; to these agencies.
    Dispatch {
        /// Agency ids (known ones: the caller checks the catalog).
        agencies: Vec<String>,
        /// A note for the agencies.
        note: Option<String>,
    },
    /// Admin: ask the citizen for more (*tunda*).
    RequestInfo {
        /// The question.
        question: String,
    },
    /// Admin: archive with a reason.
    Archive {
        /// The fixed reason.
        reason: ArchiveReason,
        /// Free text.
        text: String,
    },
    /// Admin: merge into another report.
    Merge {
        /// The report it duplicates.
        into: TrackingId,
    },
    /// Admin: set where the problem is.
    SetLocation(ReportLocation),
    /// Admin: replace text to remove personal data.
    Redact {
        /// New title.
        title: Option<String>,
        /// New description.
        description: Option<String>,
    },
    /// Agency: acknowledge.
    Acknowledge,
    /// Agency: a progress note.
    AddNote {
        /// The note.
        text: String,
    },
    /// Agency: a note for its own officers and the admins (never public).
    AddInternalNote {
        /// The note.
        text: String,
    },
    /// Agency: the officer inside it who works on the report, or `None` to release it.
    Assign {
        /// Who.
        officer: Option<Officer>,
    },
    /// Agency: the follow-up (*tindak lanjut*).
    PublishFollowUp {
        /// What was done.
        text: String,
        /// Evidence links.
        evidence: Vec<String>,
    },
    /// Agency: not our authority.
    Return {
        /// Why.
        reason: String,
    },
    /// Citizen: text that answers *tunda* while it is open, else a reply.
    Answer {
        /// The text.
        text: String,
    },
    /// Citizen: a reply (never the answer to *tunda*).
    Reply {
        /// The text.
        text: String,
    },
    /// Citizen: a rating.
    Rate {
        /// 1 to 5.
        score: u8,
        /// A comment.
        comment: Option<String>,
    },
    /// Citizen: the point of the problem, shared from their phone (a WhatsApp
    /// location), before the report is verified.
    SharePoint(Coordinates),
    /// Citizen: satisfied; close.
    Accept,
    /// Citizen: not satisfied; reopen.
    Dispute {
        /// Why.
        reason: String,
    },
}

impl Command {
    /// Who may ask for it.
    pub fn asker(&self) -> Asker {
        match self {
            Command::Dispatch { .. }
            | Command::RequestInfo { .. }
            | Command::Archive { .. }
            | Command::Merge { .. }
            | Command::SetLocation(_)
            | Command::Redact { .. } => Asker::Admin,
            Command::Acknowledge
            | Command::AddNote { .. }
            | Command::AddInternalNote { .. }
            | Command::Assign { .. }
            | Command::PublishFollowUp { .. }
            | Command::Return { .. } => Asker::Agency,
            Command::Answer { .. }
            | Command::Reply { .. }
            | Command::Rate { .. }
            | Command::SharePoint(_)
            | Command::Accept
            | Command::Dispute { .. } => Asker::Citizen,
        }
    }

    /// The change it makes to `report` at `now`, asked by `actor` (for an agency's
    /// command, on behalf of `agency`), or why not.
    pub fn decide(
        &self,
        report: &Report,
        actor: &Actor,
        agency: Option<&str>,
        now: Timestamp,
        policy: &Policy,
    ) -> Result<Change, WorkflowError> {
        let agency = || agency.ok_or_else(|| WorkflowError::NotAssigned(String::new()));
        match self {
            Command::Dispatch { agencies, note } => {
                dispatch(report, agencies, note.as_deref(), actor, now, policy)
            }
            Command::RequestInfo { question } => request_info(report, question, actor, now, policy),
            Command::Archive { reason, text } => archive(report, *reason, text, actor, now),
            Command::Merge { into } => mark_duplicate(report, into, actor, now),
            Command::SetLocation(location) => set_location(report, location.clone(), actor, now),
            Command::Redact { title, description } => {
                redact(report, title.as_deref(), description.as_deref(), actor, now)
            }
            Command::Acknowledge => acknowledge(report, agency()?, actor, now),
            Command::AddNote { text } => add_note(report, agency()?, text, actor, now),
            Command::AddInternalNote { text } => internal_note(report, agency()?, text, actor, now),
            Command::Assign { officer } => {
                assign_officer(report, agency()?, officer.as_ref(), actor, now)
            }
            Command::PublishFollowUp { text, evidence } => {
                publish_follow_up(report, agency()?, text, evidence, actor, now, policy)
            }
            Command::Return { reason } => {
                return_report(report, agency()?, reason, actor, now, policy)
            }
            Command::Answer { text } => answer(report, text, now, policy),
            Command::Reply { text } => reply(report, text, now, policy),
            Command::Rate { score, comment } => rate(report, *score, comment.as_deref(), now),
            Command::SharePoint(point) => share_point(report, *point, now),
            Command::Accept => accept(report, now),
            Command::Dispute { reason } => dispute(report, reason, now, policy),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // The workflow's own fixtures: the same report, clock and staff as its tests.
    use crate::domain::report::ReportAction;
    use crate::domain::workflow::tests::{admin, agency, at, calendar, pending, policy};

    #[test]
    fn every_command_knows_its_asker_and_decides_as_its_operation() {
        let cal = calendar();
        let p = policy(&cal);
        let d = dispatch(&pending(), &["dlh".into()], None, &admin(), at(1), &p).unwrap();
        let f =
            publish_follow_up(&d.report, "dlh", "Selesai", &[], &agency("dlh"), at(2), &p).unwrap();
        // (command, asker, report it applies to, action recorded)
        let cases = [
            (
                Command::Dispatch {
                    agencies: vec!["dlh".into()],
                    note: None,
                },
                Asker::Admin,
                pending(),
                ReportAction::Dispatch,
            ),
            (
                Command::RequestInfo {
                    question: "Di mana?".into(),
                },
                Asker::Admin,
                pending(),
                ReportAction::RequestInfo,
            ),
            (
                Command::Archive {
                    reason: ArchiveReason::Spam,
                    text: String::new(),
                },
                Asker::Admin,
                pending(),
                ReportAction::Archive,
            ),
            (
                Command::Redact {
                    title: Some("Jalan rusak".into()),
                    description: None,
                },
                Asker::Admin,
                pending(),
                ReportAction::Redact,
            ),
            (
                Command::Acknowledge,
                Asker::Agency,
                d.report.clone(),
                ReportAction::Acknowledge,
            ),
            (
                Command::AddNote {
                    text: "Survei".into(),
                },
                Asker::Agency,
                d.report.clone(),
                ReportAction::AddNote,
            ),
            (
                Command::AddInternalNote {
                    text: "Tim survei besok".into(),
                },
                Asker::Agency,
                d.report.clone(),
                ReportAction::InternalNote,
            ),
            (
                Command::Assign {
                    officer: Some(Officer {
                        subject: "u-9".into(),
                        name: "budi@bandung.go.id".into(),
                    }),
                },
                Asker::Agency,
                d.report.clone(),
                ReportAction::Assign,
            ),
            (
                Command::Return {
                    reason: "Bukan wewenang".into(),
                },
                Asker::Agency,
                d.report.clone(),
                ReportAction::Return,
            ),
            (
                Command::Answer {
                    text: "Foto menyusul".into(),
                },
                Asker::Citizen,
                d.report.clone(),
                ReportAction::Reply,
            ),
            (
                Command::Rate {
                    score: 5,
                    comment: None,
                },
                Asker::Citizen,
                f.report.clone(),
                ReportAction::Rate,
            ),
            (
                Command::SharePoint(
                    crate::domain::location::Coordinates::parse(-6.9147, 107.6098).unwrap(),
                ),
                Asker::Citizen,
                pending(),
                ReportAction::SetLocation,
            ),
            (
                Command::Accept,
                Asker::Citizen,
                f.report.clone(),
                ReportAction::Accept,
            ),
            (
                Command::Dispute {
                    reason: "Belum".into(),
                },
                Asker::Citizen,
                f.report.clone(),
                ReportAction::Dispute,
            ),
        ];
        for (command, asker, report, action) in cases {
            assert_eq!(command.asker(), asker, "{command:?}");
            let actor = match asker {
                Asker::Admin => admin(),
                Asker::Agency => agency("dlh"),
                Asker::Citizen => Actor::Citizen,
            };
            let change = command
                .decide(&report, &actor, Some("dlh"), at(3), &p)
                .unwrap();
            assert_eq!(change.event.action, Some(action), "{command:?}");
        }
        // An agency's command without an agency is refused, not applied for nobody.
        assert!(matches!(
            Command::Acknowledge.decide(&d.report, &agency("dlh"), None, at(3), &p),
            Err(WorkflowError::NotAssigned(_))
        ));
    }
}
