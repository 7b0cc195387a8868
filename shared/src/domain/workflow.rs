//! The LAPOR! workflow after triage, as pure functions: each takes the report as
//! read and returns a [`Change`] (the next version, its audit event, and what the
//! reporter should be told), or why the action is not allowed now.
//!
//! Clocks (architecture §6):
//! - verification runs from receipt; *tunda* pauses it and keeps the working days
//!   left, and the citizen's answer resumes it with those days;
//! - each agency gets its own follow-up clock at dispatch, restarted on a dispute;
//! - the report's running clock is the earliest open follow-up, or the auto-close
//!   clock once every agency has answered.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::calendar::{WorkingCalendar, wib};
use super::deadline::{ClockKind, Policy, ReportClock};
use super::location::Coordinates;
use super::notification::{ADMINS, NotificationKind, NotifyMessage, SUPERVISORS};
use super::pii::mask_pii;
use super::report::{
    Actor, Assignment, AssignmentStatus, FollowUp, Officer, Rating, Report, ReportAction,
    ReportEvent, ReportLocation, ReportStatus, TransitionError,
};
use super::submission::allowed_in_text;
use super::tracking_id::TrackingId;

/// Why an admin archives a report (LAPOR! *arsipkan*): a fixed list, plus free text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArchiveReason {
    /// Unintelligible or not in a usable format.
    FormatTidakSesuai,
    /// Too general to act on.
    TerlaluUmum,
    /// Not about a public service of the city.
    BukanPelayananPublik,
    /// Spam or a test.
    Spam,
    /// The citizen never answered a request for information.
    TidakAdaTanggapan,
    /// Abusive or hateful content.
    KontenTidakPantas,
    /// Anything else (the text says what).
    Lainnya,
}

impl ArchiveReason {
    /// Indonesian label, as the citizen reads it.
    pub fn label(self) -> &'static str {
        match self {
            ArchiveReason::FormatTidakSesuai => "isi laporan tidak dapat dipahami",
            ArchiveReason::TerlaluUmum => "laporan terlalu umum",
            ArchiveReason::BukanPelayananPublik => "bukan mengenai pelayanan publik Pemkot Bandung",
            ArchiveReason::Spam => "spam atau uji coba",
            ArchiveReason::TidakAdaTanggapan => "tidak ada tanggapan atas permintaan informasi",
            ArchiveReason::KontenTidakPantas => "mengandung konten tidak pantas",
            ArchiveReason::Lainnya => "alasan lain",
        }
    }
}

/// Why a workflow action was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    /// The report's status does not allow it.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The acting agency is not (or no longer) on this report.
    #[error("agency {0} has no open assignment on this report")]
    NotAssigned(String),
    /// Input the action needs is missing or wrong.
    #[error("{0}")]
    Invalid(String),
}

/// The outcome of an action: persist `report` and `event` together, then tell.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The next version.
    pub report: Report,
    /// Its audit event.
    pub event: ReportEvent,
    /// What to tell the reporter, if anything.
    pub notify: Option<NotificationKind>,
}

use super::deadline::start_clock as clock;

impl Change {
    /// What goes on the `notify` queue for this change, if anyone is to be told: the
    /// event (report, kind, version), the admin's question or reason, the staff
    /// audience, and the running deadline's local date as of this change.
    pub fn announcement(&self) -> Option<NotifyMessage> {
        let kind = self.notify?;
        Some(NotifyMessage {
            report_id: self.report.id.to_string(),
            kind,
            version: self.report.version,
            note: match kind {
                NotificationKind::InfoRequested
                | NotificationKind::Archived
                | NotificationKind::Reminder
                | NotificationKind::Breached
                | NotificationKind::Escalated => self.event.reason.clone(),
                _ => None,
            },
            staff: self.staff_audience(kind),
            due: self.report.clock.map(|c| c.due_at.to_zoned(wib()).date()),
        })
    }

    /// Which staff must hear about it: the agencies just given work (dispatched, or
    /// reopened by a dispute), the admins (the citizen answered), or for SLA steps the
    /// deadline's owner, with the supervisors for a breach and each escalation.
    fn staff_audience(&self, kind: NotificationKind) -> Vec<String> {
        let owner = || {
            self.event
                .agency
                .clone()
                .unwrap_or_else(|| ADMINS.to_string())
        };
        match kind {
            NotificationKind::Dispatched | NotificationKind::Disputed => self
                .report
                .assignments
                .iter()
                .filter(|a| a.is_open() && a.dispatched_at == self.event.at)
                .map(|a| a.agency.clone())
                .collect(),
            NotificationKind::InfoProvided => vec![ADMINS.to_string()],
            NotificationKind::Reminder => vec![owner()],
            NotificationKind::Breached | NotificationKind::Escalated => {
                vec![owner(), SUPERVISORS.to_string()]
            }
            _ => Vec::new(),
        }
    }
}

/// The report's running clock while agencies work: the earliest open follow-up
/// (each agency's own clock, with its SLA steps, stays on its assignment).
pub(crate) fn earliest_follow_up(assignments: &[Assignment]) -> Option<ReportClock> {
    assignments
        .iter()
        .filter(|a| a.is_open())
        .min_by_key(|a| a.due_at)
        .map(|a| ReportClock {
            kind: ClockKind::FollowUp,
            due_at: a.due_at,
            provisional: a.provisional,
            sla: a.sla,
        })
}

/// The report's status as its assignments say.
fn settled_status(assignments: &[Assignment]) -> ReportStatus {
    let active: Vec<_> = assignments
        .iter()
        .filter(|a| a.status != AssignmentStatus::Returned)
        .collect();
    if active.is_empty() {
        ReportStatus::PendingVerification
    } else if active
        .iter()
        .all(|a| a.status == AssignmentStatus::Responded)
    {
        ReportStatus::Responded
    } else if active
        .iter()
        .any(|a| a.status != AssignmentStatus::Dispatched)
    {
        ReportStatus::InProgress
    } else {
        ReportStatus::Dispatched
    }
}

/// The longest text anyone may add to a report at once (an answer, a reply, a reason,
/// a note, a comment): a citizen's text is read by people and sent on by SMS.
pub const MAX_MESSAGE_CHARS: usize = 2000;

fn required<'a>(text: &'a str, what: &str) -> Result<&'a str, WorkflowError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(WorkflowError::Invalid(format!("{what} wajib diisi")));
    }
    within_bounds(t, what)
}

/// `text` if it is no longer than [`MAX_MESSAGE_CHARS`] and holds only characters
/// [`allowed_in_text`] accepts.
fn within_bounds<'a>(text: &'a str, what: &str) -> Result<&'a str, WorkflowError> {
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(WorkflowError::Invalid(format!(
            "{what} maksimal {MAX_MESSAGE_CHARS} karakter"
        )));
    }
    if !text.chars().all(allowed_in_text) {
        return Err(WorkflowError::Invalid(format!(
            "{what} mengandung karakter yang tidak diizinkan"
        )));
    }
    Ok(text)
}

/// Working days left on a paused clock: at least one, so an answer always leaves
/// the admin a working day.
fn working_days_left(calendar: &WorkingCalendar, now: Timestamp, due: Timestamp) -> u32 {
    u32::try_from(calendar.working_days_left(now, due).max(1)).unwrap_or(1)
}

/// Admin: verified; dispatch to one or more agencies, each with its own clock.
/// Re-dispatching a returned report keeps the returned assignments as history.
pub fn dispatch(
    report: &Report,
    agencies: &[String],
    note: Option<&str>,
    actor: &Actor,
    now: Timestamp,
    policy: &Policy,
) -> Result<Change, WorkflowError> {
    let mut wanted: Vec<&String> = agencies.iter().filter(|a| !a.trim().is_empty()).collect();
    wanted.sort();
    wanted.dedup();
    if wanted.is_empty() {
        return Err(WorkflowError::Invalid("pilih minimal satu instansi".into()));
    }
    let (mut next, mut event) = report.apply_to(
        ReportAction::Dispatch,
        ReportStatus::Dispatched,
        actor,
        note,
        None,
        now,
    )?;
    let follow_up = clock(
        ClockKind::FollowUp,
        policy.calendar,
        now,
        policy.follow_up_days,
    );
    next.assignments.retain(|a| !wanted.contains(&&a.agency));
    for agency in &wanted {
        next.assignments.push(Assignment {
            agency: (*agency).clone(),
            status: AssignmentStatus::Dispatched,
            dispatched_at: now,
            due_at: follow_up.due_at,
            provisional: follow_up.provisional,
            follow_ups: Vec::new(),
            return_reason: None,
            sla: follow_up.sla,
            officer: None,
        });
    }
    next.clock = earliest_follow_up(&next.assignments);
    next.paused_working_days = None;
    event.agency = Some(
        wanted
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>()
            .join(","),
    );
    Ok(Change {
        report: next,
        event,
        notify: Some(NotificationKind::Dispatched),
    })
}

/// Admin: ask the citizen for more (*tunda*); the verification clock pauses.
pub fn request_info(
    report: &Report,
    question: &str,
    actor: &Actor,
    now: Timestamp,
    policy: &Policy,
) -> Result<Change, WorkflowError> {
    let question = required(question, "Pertanyaan untuk pelapor")?;
    let left = match report.clock {
        Some(c) if c.kind == ClockKind::Verification => {
            working_days_left(policy.calendar, now, c.due_at)
        }
        _ => policy.verify_days,
    };
    let (mut next, event) = report.apply(ReportAction::RequestInfo, actor, Some(question), now)?;
    next.clock = None;
    next.paused_working_days = Some(left);
    Ok(Change {
        report: next,
        event,
        notify: Some(NotificationKind::InfoRequested),
    })
}

/// Citizen: answers a *tunda*; verification resumes with the days that were left.
pub fn provide_info(
    report: &Report,
    answer: &str,
    now: Timestamp,
    policy: &Policy,
) -> Result<Change, WorkflowError> {
    let answer = required(answer, "Informasi tambahan")?;
    let (mut next, event) = report.apply(
        ReportAction::ProvideInfo,
        &Actor::Citizen,
        Some(answer),
        now,
    )?;
    let days = report.paused_working_days.unwrap_or(policy.verify_days);
    next.clock = Some(clock(ClockKind::Verification, policy.calendar, now, days));
    next.paused_working_days = None;
    Ok(Change {
        report: next,
        event,
        notify: Some(NotificationKind::InfoProvided),
    })
}

/// Admin: archive with a reason from the fixed list and free text.
pub fn archive(
    report: &Report,
    reason: ArchiveReason,
    text: &str,
    actor: &Actor,
    now: Timestamp,
) -> Result<Change, WorkflowError> {
    let why = match text.trim() {
        "" if reason == ArchiveReason::Lainnya => {
            return Err(WorkflowError::Invalid("jelaskan alasan lain".into()));
        }
        "" => reason.label().to_string(),
        t => format!("{}: {t}", reason.label()),
    };
    let (mut next, event) = report.apply(ReportAction::Archive, actor, Some(&why), now)?;
    next.clock = None;
    next.paused_working_days = None;
    Ok(Change {
        report: next,
        event,
        notify: Some(NotificationKind::Archived),
    })
}

/// Admin: merge into another report; its reporter is told which one to follow.
pub fn mark_duplicate(
    report: &Report,
    into: &TrackingId,
    actor: &Actor,
    now: Timestamp,
) -> Result<Change, WorkflowError> {
    if *into == report.id {
        return Err(WorkflowError::Invalid(
            "laporan tidak dapat digabung dengan dirinya sendiri".into(),
        ));
    }
    let why = format!("digabung dengan laporan {into}");
    let (mut next, event) = report.apply(ReportAction::MarkDuplicate, actor, Some(&why), now)?;
    next.clock = None;
    next.paused_working_days = None;
    next.duplicate_of = Some(into.to_string());
    Ok(Change {
        report: next,
        event,
        notify: Some(NotificationKind::Archived),
    })
}

/// Admin: replace title and/or description to remove personal data; with neither
/// given, every phone number, NIK and e-mail address found in them is masked (the
/// console's one button), and finding none is refused.
pub fn redact(
    report: &Report,
    title: Option<&str>,
    description: Option<&str>,
    actor: &Actor,
    now: Timestamp,
) -> Result<Change, WorkflowError> {
    let masked = |text: &str| Some(mask_pii(text)).filter(|m| m != text);
    let (masked_title, masked_description) = match (title, description) {
        (None, None) => (masked(&report.title), masked(&report.description)),
        _ => (None, None),
    };
    let title = title.or(masked_title.as_deref());
    let description = description.or(masked_description.as_deref());
    if title.is_none() && description.is_none() {
        return Err(WorkflowError::Invalid(
            "tidak ada teks yang disunting dan tidak ada data pribadi yang ditemukan".into(),
        ));
    }
    let (mut next, event) = report.apply_to(
        ReportAction::Redact,
        report.status,
        actor,
        Some("teks disunting untuk melindungi data pribadi"),
        None,
        now,
    )?;
    if let Some(t) = title {
        next.title = required(t, "Judul")?.to_string();
    }
    if let Some(d) = description {
        next.description = required(d, "Isi laporan")?.to_string();
    }
    // Triage's copies of the text (cleaned whitespace, the personal data it found)
    // would keep what was just redacted: they go with it.
    if let Some(triage) = next.triage.as_mut() {
        if title.is_some() {
            triage.normalised_title = None;
            triage.pii.retain(|f| f.field != "title");
        }
        if description.is_some() {
            triage.normalised_description = None;
            triage.pii.retain(|f| f.field != "description");
        }
    }
    Ok(Change {
        report: next,
        event,
        notify: None,
    })
}

/// Admin: sets where the problem is (a report by SMS has no coordinates; the
/// reporter's text or a call tells the admin where).
pub fn set_location(
    report: &Report,
    location: ReportLocation,
    actor: &Actor,
    now: Timestamp,
) -> Result<Change, WorkflowError> {
    if location.coordinates.is_none() && location.address.is_none() {
        return Err(WorkflowError::Invalid(
            "isi titik koordinat atau alamat".into(),
        ));
    }
    let (mut next, event) = report.apply_to(
        ReportAction::SetLocation,
        report.status,
        actor,
        Some("lokasi ditetapkan admin"),
        None,
        now,
    )?;
    next.location = location;
    Ok(Change {
        report: next,
        event,
        notify: None,
    })
}

fn open_assignment<'a>(
    report: &'a mut Report,
    agency: &str,
) -> Result<&'a mut Assignment, WorkflowError> {
    report
        .assignments
        .iter_mut()
        .find(|a| a.agency == agency && a.is_open())
        .ok_or_else(|| WorkflowError::NotAssigned(agency.to_string()))
}

/// Applies an agency's change to its assignment, then settles the report's status.
fn agency_step(
    report: &Report,
    agency: &str,
    action: ReportAction,
    reason: Option<&str>,
    actor: &Actor,
    now: Timestamp,
    change: impl FnOnce(&mut Assignment),
) -> Result<(Report, ReportEvent), WorkflowError> {
    let mut assignments = report.clone();
    change(open_assignment(&mut assignments, agency)?);
    let to = settled_status(&assignments.assignments);
    let (mut next, event) = report.apply_to(action, to, actor, reason, Some(agency), now)?;
    next.assignments = assignments.assignments;
    Ok((next, event))
}

/// Agency: acknowledge a dispatched report.
pub fn acknowledge(
    report: &Report,
    agency: &str,
    actor: &Actor,
    now: Timestamp,
) -> Result<Change, WorkflowError> {
    let mut already = false;
    let (next, event) = agency_step(
        report,
        agency,
        ReportAction::Acknowledge,
        None,
        actor,
        now,
        |a| {
            already = a.status == AssignmentStatus::Acknowledged;
            a.status = AssignmentStatus::Acknowledged;
        },
    )?;
    if already {
        return Err(WorkflowError::Invalid(
            "laporan sudah diterima instansi ini".into(),
        ));
    }
    Ok(Change {
        report: next,
        event,
        notify: None,
    })
}

/// Agency: a progress note on the timeline, public once masked (status unchanged).
pub fn add_note(
    report: &Report,
    agency: &str,
    text: &str,
    actor: &Actor,
    now: Timestamp,
) -> Result<Change, WorkflowError> {
    agency_note(report, agency, ReportAction::AddNote, text, actor, now)
}

/// Agency: a note for its own officers and the admins, never shown to the public
/// (status unchanged).
pub fn internal_note(
    report: &Report,
    agency: &str,
    text: &str,
    actor: &Actor,
    now: Timestamp,
) -> Result<Change, WorkflowError> {
    agency_note(report, agency, ReportAction::InternalNote, text, actor, now)
}

/// A note of `kind` by `agency` on its own assignment; who reads it is the kind's.
fn agency_note(
    report: &Report,
    agency: &str,
    kind: ReportAction,
    text: &str,
    actor: &Actor,
    now: Timestamp,
) -> Result<Change, WorkflowError> {
    let text = required(text, "Catatan")?;
    let (next, event) = agency_step(report, agency, kind, Some(text), actor, now, |_| {})?;
    Ok(Change {
        report: next,
        event,
        notify: None,
    })
}

/// Most characters of an officer's subject or name.
const MAX_OFFICER_CHARS: usize = 200;

/// Agency: names the officer inside it who works on the report (`None`: back to the
/// agency's shared pile). Naming whoever already holds it is refused, so a second
/// click changes nothing; the timeline keeps who was named, for staff only.
pub fn assign_officer(
    report: &Report,
    agency: &str,
    officer: Option<&Officer>,
    actor: &Actor,
    now: Timestamp,
) -> Result<Change, WorkflowError> {
    if let Some(officer) = officer {
        for (value, what) in [
            (&officer.subject, "Akun petugas"),
            (&officer.name, "Nama petugas"),
        ] {
            let value = required(value, what)?;
            if value.chars().count() > MAX_OFFICER_CHARS {
                return Err(WorkflowError::Invalid(format!("{what} terlalu panjang")));
            }
        }
    }
    let mut unchanged = false;
    let named = officer.map_or("dilepas ke instansi", |o| o.name.as_str());
    let (next, event) = agency_step(
        report,
        agency,
        ReportAction::Assign,
        Some(named),
        actor,
        now,
        |a| {
            unchanged = a.officer.as_ref() == officer;
            a.officer = officer.cloned();
        },
    )?;
    if unchanged {
        return Err(WorkflowError::Invalid(match officer {
            Some(_) => "laporan ini sudah dipegang petugas itu".into(),
            None => "laporan ini belum dipegang petugas".into(),
        }));
    }
    Ok(Change {
        report: next,
        event,
        notify: None,
    })
}

/// Agency: publish its follow-up (*tindak lanjut*). When every agency has answered
/// the report is `responded` and the auto-close clock starts.
pub fn publish_follow_up(
    report: &Report,
    agency: &str,
    text: &str,
    evidence: &[String],
    actor: &Actor,
    now: Timestamp,
    policy: &Policy,
) -> Result<Change, WorkflowError> {
    let text = required(text, "Tindak lanjut")?.to_string();
    let follow_up = FollowUp {
        at: now,
        text: text.clone(),
        evidence: evidence.to_vec(),
    };
    let (mut next, event) = agency_step(
        report,
        agency,
        ReportAction::PublishFollowUp,
        Some(&text),
        actor,
        now,
        |a| {
            a.status = AssignmentStatus::Responded;
            a.follow_ups.push(follow_up);
        },
    )?;
    next.clock = if next.status == ReportStatus::Responded {
        Some(clock(
            ClockKind::AutoClose,
            policy.calendar,
            now,
            policy.close_days,
        ))
    } else {
        earliest_follow_up(&next.assignments)
    };
    Ok(Change {
        report: next,
        event,
        notify: Some(NotificationKind::FollowUpPublished),
    })
}

/// Agency: not our authority (*bukan wewenang*). When no agency is left the report
/// goes back to verification for re-dispatch, with a fresh verification clock.
pub fn return_report(
    report: &Report,
    agency: &str,
    reason: &str,
    actor: &Actor,
    now: Timestamp,
    policy: &Policy,
) -> Result<Change, WorkflowError> {
    let reason = required(reason, "Alasan")?.to_string();
    let (mut next, event) = agency_step(
        report,
        agency,
        ReportAction::Return,
        Some(&reason),
        actor,
        now,
        |a| {
            a.status = AssignmentStatus::Returned;
            a.return_reason = Some(reason.clone());
        },
    )?;
    next.clock = match next.status {
        ReportStatus::PendingVerification => Some(clock(
            ClockKind::Verification,
            policy.calendar,
            now,
            policy.verify_days,
        )),
        ReportStatus::Responded => Some(clock(
            ClockKind::AutoClose,
            policy.calendar,
            now,
            policy.close_days,
        )),
        _ => earliest_follow_up(&next.assignments),
    };
    Ok(Change {
        report: next,
        event,
        notify: None,
    })
}

/// Citizen: adds information or replies to a follow-up (status unchanged). A reply
/// after a follow-up restarts the auto-close clock: LAPOR! closes only after ten
/// working days *without* a reply.
pub fn reply(
    report: &Report,
    text: &str,
    now: Timestamp,
    policy: &Policy,
) -> Result<Change, WorkflowError> {
    let text = required(text, "Balasan")?;
    let (mut next, event) = report.apply_to(
        ReportAction::Reply,
        report.status,
        &Actor::Citizen,
        Some(text),
        None,
        now,
    )?;
    if next.status == ReportStatus::Responded {
        next.clock = Some(clock(
            ClockKind::AutoClose,
            policy.calendar,
            now,
            policy.close_days,
        ));
    }
    Ok(Change {
        report: next,
        event,
        notify: None,
    })
}

/// Citizen: their text, whatever the channel: the answer to *tunda* while the report
/// waits for information, otherwise a reply.
pub fn answer(
    report: &Report,
    text: &str,
    now: Timestamp,
    policy: &Policy,
) -> Result<Change, WorkflowError> {
    if report.status == ReportStatus::NeedsInfo {
        provide_info(report, text, now, policy)
    } else {
        reply(report, text, now, policy)
    }
}

/// Citizen: rates the follow-up 1–5, with an optional comment (the latest counts).
pub fn rate(
    report: &Report,
    score: u8,
    comment: Option<&str>,
    now: Timestamp,
) -> Result<Change, WorkflowError> {
    if !(1..=5).contains(&score) {
        return Err(WorkflowError::Invalid("nilai harus 1 sampai 5".into()));
    }
    let comment = comment
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| within_bounds(c, "Komentar").map(str::to_string))
        .transpose()?;
    let note = match &comment {
        Some(c) => format!("nilai {score}/5: {c}"),
        None => format!("nilai {score}/5"),
    };
    let (mut next, event) = report.apply_to(
        ReportAction::Rate,
        report.status,
        &Actor::Citizen,
        Some(&note),
        None,
        now,
    )?;
    next.rating = Some(Rating {
        score,
        comment,
        at: now,
    });
    Ok(Change {
        report: next,
        event,
        notify: None,
    })
}

/// Citizen: satisfied with the follow-up; the report closes.
pub fn accept(report: &Report, now: Timestamp) -> Result<Change, WorkflowError> {
    let (mut next, event) = report.apply(ReportAction::Accept, &Actor::Citizen, None, now)?;
    next.clock = None;
    Ok(Change {
        report: next,
        event,
        notify: Some(NotificationKind::Closed),
    })
}

/// Citizen: the point of the problem, shared from their phone. Only until an admin
/// verifies the report (afterwards the agency works from the point the admin saw);
/// the address and kecamatan the citizen wrote stay.
pub fn share_point(
    report: &Report,
    point: Coordinates,
    now: Timestamp,
) -> Result<Change, WorkflowError> {
    let early = matches!(
        report.status,
        ReportStatus::Received | ReportStatus::PendingVerification | ReportStatus::NeedsInfo
    );
    if !early {
        return Err(WorkflowError::Invalid(
            "lokasi hanya bisa dikirim sebelum laporan diverifikasi".into(),
        ));
    }
    let (mut next, event) = report.apply(
        ReportAction::SetLocation,
        &Actor::Citizen,
        Some("titik lokasi dikirim pelapor"),
        now,
    )?;
    next.location.coordinates = Some(point);
    Ok(Change {
        report: next,
        event,
        notify: None,
    })
}

/// Citizen: not satisfied. It reopens: every agency that answered works on it again
/// with a new follow-up clock.
pub fn dispute(
    report: &Report,
    reason: &str,
    now: Timestamp,
    policy: &Policy,
) -> Result<Change, WorkflowError> {
    let reason = required(reason, "Alasan")?;
    let (mut next, event) =
        report.apply(ReportAction::Dispute, &Actor::Citizen, Some(reason), now)?;
    let follow_up = clock(
        ClockKind::FollowUp,
        policy.calendar,
        now,
        policy.follow_up_days,
    );
    for a in next
        .assignments
        .iter_mut()
        .filter(|a| a.status == AssignmentStatus::Responded)
    {
        a.status = AssignmentStatus::Acknowledged;
        a.dispatched_at = now;
        a.due_at = follow_up.due_at;
        a.provisional = follow_up.provisional;
        a.sla = follow_up.sla;
    }
    next.clock = earliest_follow_up(&next.assignments);
    Ok(Change {
        report: next,
        event,
        notify: Some(NotificationKind::Disputed),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::calendar::wib;
    use crate::domain::report::Channel;
    use jiff::SignedDuration;

    pub(crate) fn calendar() -> WorkingCalendar {
        WorkingCalendar::bundled().unwrap()
    }

    pub(crate) fn policy(calendar: &WorkingCalendar) -> Policy<'_> {
        Policy {
            calendar,
            verify_days: 2,
            follow_up_days: 5,
            close_days: 10,
        }
    }

    /// Friday 20 November 2026, 10:00 WIB, plus `hours`.
    pub(crate) fn at(hours: i64) -> Timestamp {
        let start: Timestamp = "2026-11-20T03:00:00Z".parse().unwrap();
        start
            .checked_add(SignedDuration::from_hours(hours))
            .unwrap()
    }

    pub(crate) fn pending() -> Report {
        let cal = calendar();
        Report {
            title: "Jalan berlubang".into(),
            description: "Lubang besar".into(),
            category: "jalan-rusak".into(),
            status: ReportStatus::PendingVerification,
            clock: Some(clock(ClockKind::Verification, &cal, at(0), 2)),
            version: 2,
            ..Report::received(
                TrackingId::from_random_bytes(&[9, 8, 7, 6, 5, 4]).unwrap(),
                Channel::Web,
                at(0),
            )
        }
    }

    pub(crate) fn admin() -> Actor {
        Actor::Staff {
            role: "admin".into(),
            subject: "a-1".into(),
        }
    }

    pub(crate) fn agency(id: &str) -> Actor {
        Actor::Staff {
            role: format!("agency:{id}"),
            subject: format!("{id}-1"),
        }
    }

    fn due(r: &Report) -> String {
        r.clock
            .map(|c| c.due_at.to_zoned(wib()).date().to_string())
            .unwrap_or_default()
    }

    #[test]
    fn one_agency_from_dispatch_to_close() {
        let cal = calendar();
        let p = policy(&cal);
        let d = dispatch(&pending(), &["dsdabm".into()], None, &admin(), at(1), &p).unwrap();
        assert_eq!(d.report.status, ReportStatus::Dispatched);
        // Friday + 5 working days = Friday 27 November.
        assert_eq!(due(&d.report), "2026-11-27");
        assert_eq!(d.notify, Some(NotificationKind::Dispatched));
        assert_eq!(d.event.agency.as_deref(), Some("dsdabm"));
        let a = acknowledge(&d.report, "dsdabm", &agency("dsdabm"), at(2)).unwrap();
        assert_eq!(a.report.status, ReportStatus::InProgress);
        assert!(acknowledge(&a.report, "dsdabm", &agency("dsdabm"), at(2)).is_err());
        let n = add_note(
            &a.report,
            "dsdabm",
            "Tim survei dijadwalkan",
            &agency("dsdabm"),
            at(3),
        )
        .unwrap();
        assert_eq!(
            (n.report.status, n.event.reason.as_deref()),
            (ReportStatus::InProgress, Some("Tim survei dijadwalkan"))
        );
        let f = publish_follow_up(
            &n.report,
            "dsdabm",
            "Lubang ditambal",
            &["https://x/foto.jpg".into()],
            &agency("dsdabm"),
            at(4),
            &p,
        )
        .unwrap();
        assert_eq!(f.report.status, ReportStatus::Responded);
        assert_eq!(f.report.clock.unwrap().kind, ClockKind::AutoClose);
        assert_eq!(f.report.assignments[0].follow_ups[0].evidence.len(), 1);
        let c = accept(&f.report, at(5)).unwrap();
        assert_eq!(
            (c.report.status, c.report.clock),
            (ReportStatus::Closed, None)
        );
        assert_eq!(c.report.version, 7);
    }

    #[test]
    fn several_agencies_each_with_a_clock_and_a_say() {
        let cal = calendar();
        let p = policy(&cal);
        let d = dispatch(
            &pending(),
            &["dlh".into(), "kebersihan".into(), "dlh".into()],
            None,
            &admin(),
            at(1),
            &p,
        )
        .unwrap();
        assert_eq!(d.report.assignments.len(), 2);
        // The first to publish does not make the report responded while the other works.
        let f1 = publish_follow_up(
            &d.report,
            "dlh",
            "Sudah dicek",
            &[],
            &agency("dlh"),
            at(2),
            &p,
        )
        .unwrap();
        assert_eq!(f1.report.status, ReportStatus::InProgress);
        assert_eq!(f1.report.clock.unwrap().kind, ClockKind::FollowUp);
        // The other returns it as not its authority: everyone left has answered.
        let r = return_report(
            &f1.report,
            "kebersihan",
            "Bukan wewenang kami",
            &agency("kebersihan"),
            at(3),
            &p,
        )
        .unwrap();
        assert_eq!(r.report.status, ReportStatus::Responded);
        assert_eq!(r.report.clock.unwrap().kind, ClockKind::AutoClose);
        // An agency that is not on the report cannot act on it.
        assert_eq!(
            acknowledge(&d.report, "pdam", &agency("pdam"), at(2)),
            Err(WorkflowError::NotAssigned("pdam".into()))
        );
    }

    #[test]
    fn returned_by_every_agency_goes_back_to_verification_and_can_be_redispatched() {
        let cal = calendar();
        let p = policy(&cal);
        let d = dispatch(&pending(), &["dishub".into()], None, &admin(), at(1), &p).unwrap();
        let r = return_report(
            &d.report,
            "dishub",
            "Jalan provinsi",
            &agency("dishub"),
            at(2),
            &p,
        )
        .unwrap();
        assert_eq!(r.report.status, ReportStatus::PendingVerification);
        assert_eq!(r.report.clock.unwrap().kind, ClockKind::Verification);
        assert!(return_report(&d.report, "dishub", " ", &agency("dishub"), at(2), &p).is_err());
        let again = dispatch(
            &r.report,
            &["dsdabm".into()],
            Some("diteruskan"),
            &admin(),
            at(3),
            &p,
        )
        .unwrap();
        let agencies: Vec<_> = again
            .report
            .assignments
            .iter()
            .map(|a| (a.agency.as_str(), a.status))
            .collect();
        assert_eq!(
            agencies,
            vec![
                ("dishub", AssignmentStatus::Returned),
                ("dsdabm", AssignmentStatus::Dispatched)
            ]
        );
    }

    #[test]
    fn tunda_pauses_and_the_answer_resumes_with_the_days_left() {
        let cal = calendar();
        let p = policy(&cal);
        // Received Friday, due Tuesday; asked on Monday 23rd: one working day left.
        let t = request_info(&pending(), "Di RT/RW berapa?", &admin(), at(72), &p).unwrap();
        assert_eq!(
            (t.report.status, t.report.clock),
            (ReportStatus::NeedsInfo, None)
        );
        assert_eq!(t.report.paused_working_days, Some(1));
        assert_eq!(t.notify, Some(NotificationKind::InfoRequested));
        // The citizen answers the next Thursday: one working day from then = Friday.
        let a = provide_info(&t.report, "RT 05 RW 03", at(72 + 72), &p).unwrap();
        assert_eq!(a.report.status, ReportStatus::PendingVerification);
        assert_eq!(due(&a.report), "2026-11-27");
        assert_eq!(a.event.actor, "citizen");
        assert!(provide_info(&t.report, "  ", at(150), &p).is_err());
    }

    #[test]
    fn a_dispute_reopens_with_new_clocks() {
        let cal = calendar();
        let p = policy(&cal);
        let d = dispatch(&pending(), &["dsdabm".into()], None, &admin(), at(1), &p).unwrap();
        let f = publish_follow_up(
            &d.report,
            "dsdabm",
            "Selesai",
            &[],
            &agency("dsdabm"),
            at(2),
            &p,
        )
        .unwrap();
        assert!(dispute(&f.report, "", at(3), &p).is_err());
        // Disputed on Monday 30 November: new follow-up due 5 working days later.
        let x = dispute(&f.report, "Lubang masih ada", at(240), &p).unwrap();
        assert_eq!(x.report.status, ReportStatus::InProgress);
        assert_eq!(
            x.report.assignments[0].status,
            AssignmentStatus::Acknowledged
        );
        assert_eq!(due(&x.report), "2026-12-07");
        let f2 = publish_follow_up(
            &x.report,
            "dsdabm",
            "Ditambal ulang",
            &[],
            &agency("dsdabm"),
            at(250),
            &p,
        )
        .unwrap();
        assert_eq!(f2.report.assignments[0].follow_ups.len(), 2);
        assert_eq!(
            accept(&f2.report, at(260)).unwrap().report.status,
            ReportStatus::Closed
        );
    }

    #[test]
    fn replies_and_ratings() {
        let cal = calendar();
        let p = policy(&cal);
        let d = dispatch(&pending(), &["dsdabm".into()], None, &admin(), at(1), &p).unwrap();
        let r = reply(&d.report, "Ada foto tambahan", at(2), &p).unwrap();
        assert_eq!(
            (r.report.status, r.event.actor.as_str()),
            (ReportStatus::Dispatched, "citizen")
        );
        assert!(
            rate(&r.report, 5, None, at(3)).is_err(),
            "nothing to rate before a follow-up"
        );
        let f = publish_follow_up(
            &r.report,
            "dsdabm",
            "Selesai",
            &[],
            &agency("dsdabm"),
            at(4),
            &p,
        )
        .unwrap();
        // A reply after the follow-up restarts the auto-close clock from the reply.
        let later = reply(&f.report, "Terima kasih, akan saya cek", at(240), &p).unwrap();
        assert!(later.report.clock.unwrap().due_at > f.report.clock.unwrap().due_at);
        assert!(
            rate(&f.report, 0, None, at(5)).is_err() && rate(&f.report, 6, None, at(5)).is_err()
        );
        let rated = rate(&f.report, 4, Some(" Cepat "), at(5)).unwrap();
        assert_eq!(
            rated
                .report
                .rating
                .as_ref()
                .map(|r| (r.score, r.comment.clone())),
            Some((4, Some("Cepat".into())))
        );
        let closed = accept(&rated.report, at(6)).unwrap();
        let rerated = rate(&closed.report, 5, None, at(7)).unwrap();
        assert_eq!(
            (rerated.report.status, rerated.report.rating.unwrap().score),
            (ReportStatus::Closed, 5)
        );
        assert!(ReportStatus::Closed.is_final());
    }

    #[test]
    fn a_citizens_text_answers_tunda_or_is_a_reply() {
        let cal = calendar();
        let p = policy(&cal);
        let asked = request_info(&pending(), "Di RT berapa?", &admin(), at(1), &p).unwrap();
        let dispatched =
            dispatch(&pending(), &["dsdabm".into()], None, &admin(), at(1), &p).unwrap();
        // (report, what the text does, status after)
        let cases = [
            (
                &asked.report,
                ReportAction::ProvideInfo,
                ReportStatus::PendingVerification,
            ),
            (
                &dispatched.report,
                ReportAction::Reply,
                ReportStatus::Dispatched,
            ),
            (
                &pending(),
                ReportAction::Reply,
                ReportStatus::PendingVerification,
            ),
        ];
        for (report, action, status) in cases {
            let change = answer(report, "RT 05 RW 03", at(2), &p).unwrap();
            assert_eq!(
                (change.event.action, change.report.status),
                (Some(action), status)
            );
        }
        assert!(answer(&asked.report, " ", at(2), &p).is_err());
        // Bounded, and only characters every screen, SMS and XML document can carry.
        let long = "x".repeat(MAX_MESSAGE_CHARS + 1);
        assert_eq!(
            answer(&dispatched.report, &long, at(2), &p).unwrap_err(),
            WorkflowError::Invalid("Balasan maksimal 2000 karakter".into())
        );
        assert!(
            answer(
                &dispatched.report,
                &"x".repeat(MAX_MESSAGE_CHARS),
                at(2),
                &p
            )
            .is_ok()
        );
        assert_eq!(
            answer(&dispatched.report, "ok\u{FFFF}", at(2), &p).unwrap_err(),
            WorkflowError::Invalid("Balasan mengandung karakter yang tidak diizinkan".into())
        );
        assert_eq!(
            rate(&dispatched.report, 4, Some(&long), at(2)).unwrap_err(),
            WorkflowError::Invalid("Komentar maksimal 2000 karakter".into())
        );
    }

    #[test]
    fn each_change_announces_to_whom_the_rules_say() {
        let cal = calendar();
        let p = policy(&cal);
        let d = dispatch(
            &pending(),
            &["dlh".into(), "dsdabm".into()],
            None,
            &admin(),
            at(1),
            &p,
        )
        .unwrap();
        let dispatched = d.announcement().unwrap();
        assert_eq!(
            (dispatched.kind, dispatched.staff.clone()),
            (
                NotificationKind::Dispatched,
                vec!["dlh".to_string(), "dsdabm".to_string()]
            )
        );
        assert_eq!(dispatched.version, d.report.version);
        assert_eq!(dispatched.due, Some(jiff::civil::date(2026, 11, 27)));
        let asked = request_info(&pending(), "Di RT berapa?", &admin(), at(1), &p).unwrap();
        let question = asked.announcement().unwrap();
        assert_eq!(question.note.as_deref(), Some("Di RT berapa?"));
        assert!(question.staff.is_empty());
        let answered = provide_info(&asked.report, "RT 05", at(2), &p).unwrap();
        assert_eq!(answered.announcement().unwrap().staff, vec![ADMINS]);
        // A dispute reopens only the agencies that had answered: they hear about it.
        let f =
            publish_follow_up(&d.report, "dlh", "Selesai", &[], &agency("dlh"), at(2), &p).unwrap();
        let f = publish_follow_up(
            &f.report,
            "dsdabm",
            "Beres",
            &[],
            &agency("dsdabm"),
            at(3),
            &p,
        )
        .unwrap();
        let disputed = dispute(&f.report, "Belum", at(4), &p).unwrap();
        assert_eq!(
            disputed.announcement().unwrap().staff,
            vec!["dlh".to_string(), "dsdabm".to_string()]
        );
        // Notes and redactions tell nobody.
        let noted = add_note(&d.report, "dlh", "Survei", &agency("dlh"), at(2)).unwrap();
        assert_eq!(noted.announcement(), None);
    }

    #[test]
    fn an_agency_names_its_officer_once_releases_them_and_keeps_its_notes_internal() {
        use crate::domain::public::PublicReport;
        let cal = calendar();
        let p = policy(&cal);
        let d = dispatch(
            &pending(),
            &["dlh".into(), "dsdabm".into()],
            None,
            &admin(),
            at(1),
            &p,
        )
        .unwrap();
        let budi = Officer {
            subject: "dlh-7".into(),
            name: "budi@dlh.bandung.go.id".into(),
        };
        let held = assign_officer(&d.report, "dlh", Some(&budi), &agency("dlh"), at(2)).unwrap();
        let mine = |r: &Report, agency: &str| {
            r.assignments
                .iter()
                .find(|a| a.agency == agency)
                .and_then(|a| a.officer.clone())
        };
        assert_eq!(mine(&held.report, "dlh"), Some(budi.clone()));
        assert_eq!(
            mine(&held.report, "dsdabm"),
            None,
            "only its own assignment"
        );
        assert_eq!(held.report.status, d.report.status, "status unchanged");
        assert_eq!(held.announcement(), None);
        // The same officer again changes nothing; another agency cannot name one here.
        assert!(assign_officer(&held.report, "dlh", Some(&budi), &agency("dlh"), at(3)).is_err());
        assert!(
            assign_officer(
                &held.report,
                "dishub",
                Some(&budi),
                &agency("dishub"),
                at(3)
            )
            .is_err()
        );
        let nameless = Officer {
            subject: " ".into(),
            name: "x".into(),
        };
        assert!(
            assign_officer(&held.report, "dlh", Some(&nameless), &agency("dlh"), at(3)).is_err()
        );
        // Acknowledging keeps who holds it; releasing empties it, once.
        let acked = acknowledge(&held.report, "dlh", &agency("dlh"), at(3)).unwrap();
        assert_eq!(mine(&acked.report, "dlh"), Some(budi));
        let released = assign_officer(&acked.report, "dlh", None, &agency("dlh"), at(4)).unwrap();
        assert_eq!(mine(&released.report, "dlh"), None);
        assert!(assign_officer(&released.report, "dlh", None, &agency("dlh"), at(5)).is_err());
        // An internal note and an assignment never reach the public timeline; a
        // progress note does, masked.
        let internal = internal_note(
            &released.report,
            "dlh",
            "Warga ini sudah tiga kali lapor",
            &agency("dlh"),
            at(5),
        )
        .unwrap();
        let progress = add_note(
            &internal.report,
            "dlh",
            "Tim survei ke lokasi",
            &agency("dlh"),
            at(6),
        )
        .unwrap();
        let timeline =
            PublicReport::timeline(&[held.event, internal.event, released.event, progress.event]);
        assert_eq!(timeline.len(), 1, "{timeline:?}");
        assert_eq!(timeline[0].note.as_deref(), Some("Tim survei ke lokasi"));
    }

    #[test]
    fn archive_merge_and_redact() {
        let cal = calendar();
        let p = policy(&cal);
        let a = archive(&pending(), ArchiveReason::Spam, "", &admin(), at(1)).unwrap();
        assert_eq!(
            (a.report.status, a.event.reason.as_deref()),
            (ReportStatus::Archived, Some("spam atau uji coba"))
        );
        assert!(archive(&pending(), ArchiveReason::Lainnya, " ", &admin(), at(1)).is_err());
        let other = TrackingId::from_random_bytes(&[1, 1, 1, 1, 1, 1]).unwrap();
        let m = mark_duplicate(&pending(), &other, &admin(), at(1)).unwrap();
        assert_eq!(m.report.duplicate_of, Some(other.to_string()));
        assert!(mark_duplicate(&pending(), &pending().id, &admin(), at(1)).is_err());
        // Triage kept a cleaned copy of the description and where the number was.
        let mut triaged = pending();
        triaged.triage = Some(crate::domain::triage::TriageResult {
            normalised_title: Some("Jalan berlubang".into()),
            normalised_description: Some("Lubang besar, hubungi 0812 3456 7890".into()),
            pii: crate::domain::pii::find_pii("description", "hubungi 0812 3456 7890"),
            ..Default::default()
        });
        let r = redact(
            &triaged,
            None,
            Some("Lubang besar, hubungi [disembunyikan]"),
            &admin(),
            at(1),
        )
        .unwrap();
        assert_eq!(
            (r.report.status, r.report.version),
            (ReportStatus::PendingVerification, 3)
        );
        let copy = r.report.triage.unwrap();
        assert_eq!(
            copy.normalised_description, None,
            "the copy went with the text"
        );
        assert!(copy.pii.is_empty());
        assert_eq!(copy.normalised_title.as_deref(), Some("Jalan berlubang"));
        assert!(redact(&pending(), None, None, &admin(), at(1)).is_err());
        // Neither text given: the personal data found in them is masked.
        let mut with_phone = pending();
        with_phone.description = "Lubang besar, hubungi 0812 3456 7890".into();
        let masked = redact(&with_phone, None, None, &admin(), at(1)).unwrap();
        assert_eq!(
            masked.report.description,
            "Lubang besar, hubungi [disembunyikan]"
        );
        assert_eq!(masked.report.title, with_phone.title);
        // Nothing can be done to an archived report.
        assert!(dispatch(&a.report, &["dlh".into()], None, &admin(), at(2), &p).is_err());
        assert!(dispatch(&pending(), &[], None, &admin(), at(2), &p).is_err());
    }
}
