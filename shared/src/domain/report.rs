//! LAPOR! reports: states, the transition table, audit events and the public view rules.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::deadline::{ReportClock, SlaState};
use super::location::{Coordinates, Kecamatan};
use super::photo::{Photo, PhotoId};
use super::tracking_id::TrackingId;
use super::triage::TriageResult;

/// Where a report is in its life (architecture §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// Accepted from a channel, not yet triaged.
    Received,
    /// Triaged; waiting for an admin to verify and dispatch.
    PendingVerification,
    /// LAPOR! *tunda*: the citizen was asked for more; the clock is paused.
    NeedsInfo,
    /// Sent to one or more agencies; their follow-up clock runs.
    Dispatched,
    /// An agency acknowledged it and is working on it.
    InProgress,
    /// The agency published its follow-up (*tindak lanjut*).
    Responded,
    /// Finished: accepted by the citizen or auto-closed.
    Closed,
    /// Rejected by an admin, with a reason.
    Archived,
    /// Merged into another report.
    Duplicate,
}

/// Every status, in life order.
pub const ALL_STATUSES: [ReportStatus; 9] = [
    ReportStatus::Received,
    ReportStatus::PendingVerification,
    ReportStatus::NeedsInfo,
    ReportStatus::Dispatched,
    ReportStatus::InProgress,
    ReportStatus::Responded,
    ReportStatus::Closed,
    ReportStatus::Archived,
    ReportStatus::Duplicate,
];

/// What someone (or the system) does to a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportAction {
    /// Automatic triage finished (`verify`).
    Triage,
    /// Admin asks the citizen for more information (*tunda*).
    RequestInfo,
    /// The citizen answered a request for information.
    ProvideInfo,
    /// Admin verified it and dispatched it to agencies.
    Dispatch,
    /// An agency acknowledged it.
    Acknowledge,
    /// An agency published its follow-up.
    PublishFollowUp,
    /// An agency returned it as not its authority (*bukan wewenang*).
    Return,
    /// The citizen accepted the follow-up.
    Accept,
    /// The citizen disputed the follow-up: it reopens.
    Dispute,
    /// The close clock ran out after a follow-up with no dispute.
    AutoClose,
    /// Admin rejected it (*arsipkan*); a reason is required.
    Archive,
    /// Admin merged it into another report.
    MarkDuplicate,
    /// An agency posted a progress note (status unchanged).
    AddNote,
    /// An agency's note for its own staff and the admins (never public).
    InternalNote,
    /// An agency named the officer who works on it, or released it (never public).
    Assign,
    /// Admin redacted personal data from the text (status unchanged).
    Redact,
    /// The citizen added information or replied to a follow-up (status unchanged).
    Reply,
    /// The citizen rated the follow-up (status unchanged).
    Rate,
    /// The SLA sweep reminded the owner: one working day left (status unchanged).
    Remind,
    /// The SLA sweep found a deadline passed and escalated it (status unchanged).
    Breach,
    /// The SLA sweep escalated a breach again on a further working day (status unchanged).
    Escalate,
    /// Admin set where the problem is (reports by SMS come without; status unchanged).
    SetLocation,
    /// The reporter or an agency was given an upload slot for a photo (status unchanged).
    AddPhoto,
    /// `media` recorded what it made of an upload: ready, or refused (status unchanged).
    CheckPhoto,
}

use ReportAction as A;
use ReportStatus as S;

/// The only transitions there are: (from, action, to). Anything else is refused.
///
/// With several agencies on one report, an agency's action may leave the report's
/// status as it is (agency A publishes while agency B still works), so an action can
/// appear with more than one outcome; the workflow computes the outcome and
/// [`check_transition`] confirms the table allows it.
pub const TRANSITIONS: &[(ReportStatus, ReportAction, ReportStatus)] = &[
    (S::Received, A::Triage, S::PendingVerification),
    (S::PendingVerification, A::Dispatch, S::Dispatched),
    (S::PendingVerification, A::RequestInfo, S::NeedsInfo),
    (S::PendingVerification, A::Archive, S::Archived),
    (S::PendingVerification, A::MarkDuplicate, S::Duplicate),
    (S::NeedsInfo, A::ProvideInfo, S::PendingVerification),
    (S::NeedsInfo, A::Archive, S::Archived),
    (S::NeedsInfo, A::MarkDuplicate, S::Duplicate),
    (S::Dispatched, A::Acknowledge, S::InProgress),
    (S::Dispatched, A::PublishFollowUp, S::Responded),
    (S::Dispatched, A::Return, S::PendingVerification),
    (S::InProgress, A::PublishFollowUp, S::Responded),
    (S::InProgress, A::Return, S::PendingVerification),
    (S::Responded, A::Accept, S::Closed),
    (S::Responded, A::AutoClose, S::Closed),
    (S::Responded, A::Dispute, S::InProgress),
    // Several agencies: one acts, others still work (or already answered).
    (S::Dispatched, A::PublishFollowUp, S::InProgress),
    (S::Dispatched, A::Return, S::Dispatched),
    (S::InProgress, A::Acknowledge, S::InProgress),
    (S::InProgress, A::PublishFollowUp, S::InProgress),
    (S::InProgress, A::Return, S::InProgress),
    (S::InProgress, A::Return, S::Responded),
    // In place: notes and redactions never move a report.
    (S::Dispatched, A::AddNote, S::Dispatched),
    (S::InProgress, A::AddNote, S::InProgress),
    (S::Dispatched, A::InternalNote, S::Dispatched),
    (S::InProgress, A::InternalNote, S::InProgress),
    (S::Dispatched, A::Assign, S::Dispatched),
    (S::InProgress, A::Assign, S::InProgress),
    (S::PendingVerification, A::Redact, S::PendingVerification),
    (S::NeedsInfo, A::Redact, S::NeedsInfo),
    (S::Dispatched, A::Redact, S::Dispatched),
    (S::InProgress, A::Redact, S::InProgress),
    (S::Responded, A::Redact, S::Responded),
    // Before triage too: an SMS or X reporter adds a detail a second later.
    (S::Received, A::Reply, S::Received),
    (S::PendingVerification, A::Reply, S::PendingVerification),
    (S::Dispatched, A::Reply, S::Dispatched),
    (S::InProgress, A::Reply, S::InProgress),
    (S::Responded, A::Reply, S::Responded),
    (S::Responded, A::Rate, S::Responded),
    (S::Closed, A::Rate, S::Closed),
    // The SLA sweep records its steps in place wherever a verification or
    // follow-up clock runs (auto-close has no steps but closing).
    (S::Received, A::Remind, S::Received),
    (S::PendingVerification, A::Remind, S::PendingVerification),
    (S::Dispatched, A::Remind, S::Dispatched),
    (S::InProgress, A::Remind, S::InProgress),
    (S::Received, A::Breach, S::Received),
    (S::PendingVerification, A::Breach, S::PendingVerification),
    (S::Dispatched, A::Breach, S::Dispatched),
    (S::InProgress, A::Breach, S::InProgress),
    // A WhatsApp reporter shares the point a moment after the text, before triage.
    (S::Received, A::SetLocation, S::Received),
    (
        S::PendingVerification,
        A::SetLocation,
        S::PendingVerification,
    ),
    (S::NeedsInfo, A::SetLocation, S::NeedsInfo),
    (S::Dispatched, A::SetLocation, S::Dispatched),
    (S::InProgress, A::SetLocation, S::InProgress),
    (S::Received, A::Escalate, S::Received),
    (S::PendingVerification, A::Escalate, S::PendingVerification),
    (S::Dispatched, A::Escalate, S::Dispatched),
    (S::InProgress, A::Escalate, S::InProgress),
    // Photos: added while the report is open (the citizen's evidence, even when asked
    // for more; an agency's proof), and checked whenever the upload arrives.
    (S::Received, A::AddPhoto, S::Received),
    (S::PendingVerification, A::AddPhoto, S::PendingVerification),
    (S::NeedsInfo, A::AddPhoto, S::NeedsInfo),
    (S::Dispatched, A::AddPhoto, S::Dispatched),
    (S::InProgress, A::AddPhoto, S::InProgress),
    (S::Responded, A::AddPhoto, S::Responded),
    (S::Received, A::CheckPhoto, S::Received),
    (
        S::PendingVerification,
        A::CheckPhoto,
        S::PendingVerification,
    ),
    (S::NeedsInfo, A::CheckPhoto, S::NeedsInfo),
    (S::Dispatched, A::CheckPhoto, S::Dispatched),
    (S::InProgress, A::CheckPhoto, S::InProgress),
    (S::Responded, A::CheckPhoto, S::Responded),
    (S::Closed, A::CheckPhoto, S::Closed),
    (S::Archived, A::CheckPhoto, S::Archived),
    (S::Duplicate, A::CheckPhoto, S::Duplicate),
];

/// Actions whose audit event must say why.
pub const REASON_REQUIRED: &[ReportAction] = &[A::Archive, A::Return, A::RequestInfo, A::Dispute];

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The table has no such move from this status.
    #[error("cannot {action:?} a report that is {from}")]
    NotAllowed {
        /// Current status.
        from: ReportStatus,
        /// Attempted action.
        action: ReportAction,
    },
    /// The action needs a reason and none was given.
    #[error("{0:?} requires a reason")]
    ReasonRequired(ReportAction),
}

fn check_reason(action: ReportAction, reason: Option<&str>) -> Result<(), TransitionError> {
    let has_reason = reason.is_some_and(|r| !r.trim().is_empty());
    if REASON_REQUIRED.contains(&action) && !has_reason {
        return Err(TransitionError::ReasonRequired(action));
    }
    Ok(())
}

/// Confirms that the table allows exactly this move, with a reason where required.
pub fn check_transition(
    from: ReportStatus,
    action: ReportAction,
    to: ReportStatus,
    reason: Option<&str>,
) -> Result<(), TransitionError> {
    if !TRANSITIONS.contains(&(from, action, to)) {
        return Err(TransitionError::NotAllowed { from, action });
    }
    check_reason(action, reason)
}

/// True when [`TRANSITIONS`] lets `action` happen to a report in `from` (what a page
/// offers; the decision itself is still the workflow's).
pub fn allows(from: ReportStatus, action: ReportAction) -> bool {
    TRANSITIONS
        .iter()
        .any(|(f, a, _)| *f == from && *a == action)
}

/// Looks the move up in [`TRANSITIONS`] (the first outcome listed for the action);
/// checks that a reason is given where required.
pub fn next_status(
    from: ReportStatus,
    action: ReportAction,
    reason: Option<&str>,
) -> Result<ReportStatus, TransitionError> {
    let to = TRANSITIONS
        .iter()
        .find(|(f, a, _)| *f == from && *a == action)
        .map(|(_, _, to)| *to)
        .ok_or(TransitionError::NotAllowed { from, action })?;
    check_reason(action, reason)?;
    Ok(to)
}

/// LAPOR!'s dashboard buckets (as agencies see them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LaporBucket {
    /// Laporan Belum Terverifikasi.
    BelumTerverifikasi,
    /// Terdisposisi Belum Ditindaklanjuti.
    TerdisposisiBelumDitindaklanjuti,
    /// Terdisposisi Sedang Diproses.
    TerdisposisiSedangDiproses,
    /// Terdisposisi Selesai.
    TerdisposisiSelesai,
    /// Laporan Tertunda.
    Tertunda,
    /// Laporan Arsip.
    Arsip,
}

impl ReportStatus {
    /// The stored and API form, e.g. `pending_verification`.
    pub fn as_str(self) -> &'static str {
        match self {
            S::Received => "received",
            S::PendingVerification => "pending_verification",
            S::NeedsInfo => "needs_info",
            S::Dispatched => "dispatched",
            S::InProgress => "in_progress",
            S::Responded => "responded",
            S::Closed => "closed",
            S::Archived => "archived",
            S::Duplicate => "duplicate",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        ALL_STATUSES.into_iter().find(|st| st.as_str() == s)
    }

    /// What a citizen reads, in Indonesian.
    pub fn label(self) -> &'static str {
        match self {
            S::Received => "Laporan diterima",
            S::PendingVerification => "Menunggu verifikasi admin",
            S::NeedsInfo => "Ditunda: menunggu informasi tambahan dari pelapor",
            S::Dispatched => "Diteruskan ke instansi terkait",
            S::InProgress => "Sedang ditangani instansi",
            S::Responded => "Tindak lanjut telah dipublikasikan",
            S::Closed => "Selesai",
            S::Archived => "Diarsipkan",
            S::Duplicate => "Digabung dengan laporan lain",
        }
    }

    /// The LAPOR! dashboard bucket.
    pub fn lapor_bucket(self) -> LaporBucket {
        match self {
            S::Received | S::PendingVerification => LaporBucket::BelumTerverifikasi,
            S::NeedsInfo => LaporBucket::Tertunda,
            S::Dispatched => LaporBucket::TerdisposisiBelumDitindaklanjuti,
            S::InProgress => LaporBucket::TerdisposisiSedangDiproses,
            S::Responded | S::Closed => LaporBucket::TerdisposisiSelesai,
            S::Archived | S::Duplicate => LaporBucket::Arsip,
        }
    }

    /// Open311's two states.
    pub fn open311(self) -> &'static str {
        if self.is_final() { "closed" } else { "open" }
    }

    /// True when no action can move the report to another status any more (a closed
    /// report can still be rated, which leaves it closed).
    pub fn is_final(self) -> bool {
        !TRANSITIONS
            .iter()
            .any(|(from, _, to)| *from == self && *to != self)
    }
}

impl fmt::Display for ReportStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ReportAction {
    /// What happened, in Indonesian, as a staff timeline says it.
    pub fn label(self) -> &'static str {
        match self {
            ReportAction::Triage => "Diperiksa otomatis",
            ReportAction::RequestInfo => "Ditunda: informasi diminta",
            ReportAction::ProvideInfo => "Pelapor melengkapi informasi",
            ReportAction::Dispatch => "Diverifikasi dan didisposisi",
            ReportAction::Acknowledge => "Diterima instansi",
            ReportAction::PublishFollowUp => "Tindak lanjut diterbitkan",
            ReportAction::Return => "Dikembalikan: bukan wewenang",
            ReportAction::Accept => "Pelapor menerima tindak lanjut",
            ReportAction::Dispute => "Pelapor menyanggah tindak lanjut",
            ReportAction::AutoClose => "Ditutup otomatis",
            ReportAction::Archive => "Diarsipkan",
            ReportAction::MarkDuplicate => "Digabung dengan laporan lain",
            ReportAction::AddNote => "Kabar perkembangan",
            ReportAction::InternalNote => "Catatan internal",
            ReportAction::Assign => "Petugas instansi ditunjuk",
            ReportAction::Redact => "Data pribadi disembunyikan",
            ReportAction::Reply => "Pelapor menambahkan keterangan",
            ReportAction::Rate => "Pelapor memberi penilaian",
            ReportAction::Remind => "Pengingat: sisa satu hari kerja",
            ReportAction::Breach => "Tenggat terlewati",
            ReportAction::Escalate => "Dieskalasi lagi",
            ReportAction::SetLocation => "Lokasi ditetapkan",
            ReportAction::AddPhoto => "Tempat foto diberikan",
            ReportAction::CheckPhoto => "Foto diperiksa",
        }
    }
}

/// How the report reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Web form or mobile app through the public API.
    Web,
    /// SMS to 1708.
    Sms,
    /// A social-media mention.
    Social,
    /// An Open311 client.
    Open311,
    /// Recorded by a 112 operator.
    CallCenter,
    /// WhatsApp, to the city's number.
    #[serde(rename = "whatsapp")]
    WhatsApp,
}

impl Channel {
    /// Every channel, in the order staff screens list them.
    pub const ALL: [Channel; 6] = [
        Channel::Web,
        Channel::Sms,
        Channel::WhatsApp,
        Channel::Social,
        Channel::Open311,
        Channel::CallCenter,
    ];

    /// Its stable name (the JSON value).
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Sms => "sms",
            Channel::Social => "social",
            Channel::Open311 => "open311",
            Channel::CallCenter => "call_center",
            Channel::WhatsApp => "whatsapp",
        }
    }

    /// Its Indonesian name, as staff screens show it.
    pub fn label(self) -> &'static str {
        match self {
            Channel::Web => "Web dan aplikasi",
            Channel::Sms => "SMS 1708",
            Channel::Social => "Media sosial",
            Channel::Open311 => "Open311",
            Channel::CallCenter => "Call Center 112",
            Channel::WhatsApp => "WhatsApp",
        }
    }
}

impl AssignmentStatus {
    /// Its Indonesian name, as staff screens show it.
    pub fn label(self) -> &'static str {
        match self {
            AssignmentStatus::Dispatched => "Baru didisposisi",
            AssignmentStatus::Acknowledged => "Diterima, dikerjakan",
            AssignmentStatus::Responded => "Sudah ditindaklanjuti",
            AssignmentStatus::Returned => "Dikembalikan",
        }
    }
}

/// Where one agency is with a dispatched report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentStatus {
    /// Sent to the agency; nobody there has picked it up.
    Dispatched,
    /// The agency acknowledged it and works on it.
    Acknowledged,
    /// The agency published its follow-up.
    Responded,
    /// The agency returned it as not its authority (*bukan wewenang*).
    Returned,
}

/// A published follow-up (*tindak lanjut*).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUp {
    /// When it was published.
    pub at: Timestamp,
    /// What the agency did or will do.
    pub text: String,
    /// Links to evidence (photos, documents).
    pub evidence: Vec<String>,
}

/// The citizen's rating of the follow-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    /// 1 (very dissatisfied) to 5 (very satisfied).
    pub score: u8,
    /// What they said, if anything.
    pub comment: Option<String>,
    /// When.
    pub at: Timestamp,
}

/// One agency's part in a report, with its own follow-up clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    /// Agency id.
    pub agency: String,
    /// Where the agency is.
    pub status: AssignmentStatus,
    /// When it was (last) dispatched or reopened.
    pub dispatched_at: Timestamp,
    /// Its follow-up deadline.
    pub due_at: Timestamp,
    /// Computed over a year without confirmed holiday data.
    pub provisional: bool,
    /// Every follow-up it published, oldest first (a dispute asks for another).
    pub follow_ups: Vec<FollowUp>,
    /// Why it was returned, when it was.
    pub return_reason: Option<String>,
    /// Reminder, breach and escalations of its follow-up clock.
    #[serde(default)]
    pub sla: SlaState,
    /// The officer inside the agency who works on it, once one is named.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub officer: Option<Officer>,
}

/// An agency's officer, as a report's assignment names them: the sign-in's subject
/// (stable) and the name staff read (the account's e-mail).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Officer {
    /// The staff account's subject.
    pub subject: String,
    /// The name shown.
    pub name: String,
}

impl Assignment {
    /// Still owes a follow-up.
    pub fn is_open(&self) -> bool {
        matches!(
            self.status,
            AssignmentStatus::Dispatched | AssignmentStatus::Acknowledged
        )
    }
}

/// Where the problem is.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReportLocation {
    /// A point inside Bandung, when the citizen gave one.
    pub coordinates: Option<Coordinates>,
    /// Address text as the citizen wrote it.
    pub address: Option<String>,
    /// The kecamatan, when given.
    pub kecamatan: Option<Kecamatan>,
}

/// A report as stored (without the reporter's identity, which lives apart).
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Public tracking id.
    pub id: TrackingId,
    /// Short title.
    pub title: String,
    /// The complaint itself.
    pub description: String,
    /// Category code.
    pub category: String,
    /// Where.
    pub location: ReportLocation,
    /// How it arrived.
    pub channel: Channel,
    /// *Anonim*: public, but the reporter's identity is hidden from all but the verifying admin.
    pub anonymous: bool,
    /// *Rahasia*: never public; identity hidden from agencies.
    pub confidential: bool,
    /// Where it is in its life.
    pub status: ReportStatus,
    /// When it was accepted.
    pub received_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
    /// The clock now running, if any.
    pub clock: Option<ReportClock>,
    /// Holiday-data version the clock was computed with.
    pub calendar_version: String,
    /// Optimistic-lock version; every write increments it.
    pub version: u64,
    /// SHA-256 of the reporter's secret token (the token itself is never stored here).
    pub reporter_token_hash: String,
    /// What automatic triage suggested (staff only; never in the public view).
    pub triage: Option<TriageResult>,
    /// The agencies it was dispatched to, each with its own clock.
    pub assignments: Vec<Assignment>,
    /// Working days left on the verification clock when it was paused (*tunda*).
    pub paused_working_days: Option<u32>,
    /// The report this one was merged into.
    pub duplicate_of: Option<String>,
    /// The citizen's latest rating.
    pub rating: Option<Rating>,
    /// Keyed hash of the reporter's phone (never the number): links a sender's reports.
    pub sender: Option<String>,
    /// Its photos, in the order their slots were given.
    pub photos: Vec<Photo>,
}

impl Report {
    /// Photo `id` on this report, if it has one.
    pub fn photo(&self, id: &PhotoId) -> Option<&Photo> {
        self.photos.iter().find(|p| &p.id == id)
    }

    /// No point on the map: an SMS report, until an admin sets one.
    pub fn needs_location(&self) -> bool {
        self.location.coordinates.is_none()
    }

    /// A report just accepted from `channel` at `at`: version 1, `received`, with
    /// nothing else yet. Callers fill in the content with struct-update syntax, so a
    /// new field is defaulted here once rather than at every construction.
    pub fn received(id: TrackingId, channel: Channel, at: Timestamp) -> Self {
        Self {
            id,
            title: String::new(),
            description: String::new(),
            category: String::new(),
            location: ReportLocation::default(),
            channel,
            anonymous: false,
            confidential: false,
            status: ReportStatus::Received,
            received_at: at,
            updated_at: at,
            clock: None,
            calendar_version: String::new(),
            version: 1,
            reporter_token_hash: String::new(),
            triage: None,
            assignments: Vec::new(),
            paused_working_days: None,
            duplicate_of: None,
            rating: None,
            sender: None,
            photos: Vec::new(),
        }
    }

    /// Confidential reports are never shown to the public.
    pub fn is_public(&self) -> bool {
        !self.confidential
    }

    /// Applies `action`: the next version of the report and its audit event, or why not.
    /// Pure: persisting both in one conditional write is the adapter's job.
    pub fn apply(
        &self,
        action: ReportAction,
        actor: &Actor,
        reason: Option<&str>,
        at: Timestamp,
    ) -> Result<(Report, ReportEvent), TransitionError> {
        let to = next_status(self.status, action, reason)?;
        self.apply_to(action, to, actor, reason, None, at)
    }

    /// Like [`Report::apply`] for a move whose outcome the caller computed (several
    /// agencies); the table must allow exactly `(status, action, to)`.
    pub fn apply_to(
        &self,
        action: ReportAction,
        to: ReportStatus,
        actor: &Actor,
        reason: Option<&str>,
        agency: Option<&str>,
        at: Timestamp,
    ) -> Result<(Report, ReportEvent), TransitionError> {
        check_transition(self.status, action, to, reason)?;
        let next = Report {
            status: to,
            updated_at: at,
            version: self.version + 1,
            ..self.clone()
        };
        let event = ReportEvent {
            at,
            version: next.version,
            actor: actor.to_stored(),
            action: Some(action),
            from: Some(self.status),
            to,
            reason: reason
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty()),
            agency: agency.map(str::to_string),
        };
        Ok((next, event))
    }

    /// The audit event recording that this (version 1) report was received.
    pub fn creation_event(&self, actor: &Actor) -> ReportEvent {
        ReportEvent {
            at: self.received_at,
            version: self.version,
            actor: actor.to_stored(),
            action: None,
            from: None,
            to: self.status,
            reason: None,
            agency: None,
        }
    }
}

/// Who did something, as written in the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The reporter (by token, SMS or web).
    Citizen,
    /// A function acting on its own, e.g. `verify`.
    System(&'static str),
    /// A staff member: role and subject id.
    Staff {
        /// `admin`, `agency:dlh`, …
        role: String,
        /// The subject (user id) from the token.
        subject: String,
    },
}

impl Actor {
    /// Stored form: `citizen`, `system:verify`, `admin:<sub>`.
    pub fn to_stored(&self) -> String {
        match self {
            Actor::Citizen => "citizen".into(),
            Actor::System(name) => format!("system:{name}"),
            Actor::Staff { role, subject } => format!("{role}:{subject}"),
        }
    }

    /// What the public timeline says about who acted (never a person's id).
    pub fn public_label(stored: &str) -> &'static str {
        match stored.split(':').next() {
            Some("citizen") => "pelapor",
            Some("system") => "sistem",
            Some("agency") => "instansi",
            _ => "admin",
        }
    }
}

/// One entry of a report's append-only audit trail.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportEvent {
    /// When.
    pub at: Timestamp,
    /// Report version this event produced (unique per report, orders the trail).
    pub version: u64,
    /// Who, in stored form (see [`Actor::to_stored`]).
    pub actor: String,
    /// What was done; `None` for the creation event.
    pub action: Option<ReportAction>,
    /// Status before (`None` at creation).
    pub from: Option<ReportStatus>,
    /// Status after.
    pub to: ReportStatus,
    /// Why, when a reason was given (or the note / follow-up text).
    pub reason: Option<String>,
    /// The agency acting or acted upon, for agency-level events.
    pub agency: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_channels_name_is_its_json_value() {
        for channel in Channel::ALL {
            assert_eq!(serde_json::json!(channel), channel.as_str());
        }
    }

    #[test]
    fn the_happy_path_walks_the_table() {
        let mut s = S::Received;
        for (action, want) in [
            (A::Triage, S::PendingVerification),
            (A::Dispatch, S::Dispatched),
            (A::Acknowledge, S::InProgress),
            (A::PublishFollowUp, S::Responded),
            (A::Accept, S::Closed),
        ] {
            s = next_status(s, action, None).unwrap();
            assert_eq!(s, want);
        }
        assert!(s.is_final());
    }

    #[test]
    fn side_paths() {
        assert_eq!(
            next_status(S::PendingVerification, A::RequestInfo, Some("alamat?")),
            Ok(S::NeedsInfo)
        );
        assert_eq!(
            next_status(S::NeedsInfo, A::ProvideInfo, None),
            Ok(S::PendingVerification)
        );
        assert_eq!(
            next_status(S::InProgress, A::Return, Some("bukan wewenang")),
            Ok(S::PendingVerification)
        );
        assert_eq!(
            next_status(S::Responded, A::Dispute, Some("belum diperbaiki")),
            Ok(S::InProgress)
        );
        assert_eq!(next_status(S::Responded, A::AutoClose, None), Ok(S::Closed));
        assert_eq!(
            next_status(S::NeedsInfo, A::MarkDuplicate, None),
            Ok(S::Duplicate)
        );
    }

    #[test]
    fn everything_not_in_the_table_is_refused() {
        let actions = [
            A::Triage,
            A::RequestInfo,
            A::ProvideInfo,
            A::Dispatch,
            A::Acknowledge,
            A::PublishFollowUp,
            A::Return,
            A::Accept,
            A::Dispute,
            A::AutoClose,
            A::Archive,
            A::MarkDuplicate,
            A::AddNote,
            A::InternalNote,
            A::Assign,
            A::Redact,
            A::Reply,
            A::Rate,
            A::Remind,
            A::Breach,
            A::Escalate,
            A::SetLocation,
            A::AddPhoto,
            A::CheckPhoto,
        ];
        let mut allowed = 0;
        for from in ALL_STATUSES {
            for action in actions {
                for to in ALL_STATUSES {
                    let in_table = TRANSITIONS.contains(&(from, action, to));
                    let got = check_transition(from, action, to, Some("alasan"));
                    assert_eq!(got.is_ok(), in_table, "{from} {action:?} {to}");
                    if !in_table {
                        assert_eq!(got, Err(TransitionError::NotAllowed { from, action }));
                    }
                    allowed += usize::from(in_table);
                }
                let any = TRANSITIONS
                    .iter()
                    .any(|(f, a, _)| *f == from && *a == action);
                assert_eq!(next_status(from, action, Some("alasan")).is_ok(), any);
            }
        }
        assert_eq!(allowed, TRANSITIONS.len());
        // Received can only be triaged: nobody dispatches an untriaged report.
        assert!(next_status(S::Received, A::Dispatch, None).is_err());
    }

    #[test]
    fn reasons_are_required_where_the_table_says() {
        assert_eq!(
            next_status(S::PendingVerification, A::Archive, Some("  ")),
            Err(TransitionError::ReasonRequired(A::Archive))
        );
        assert_eq!(
            next_status(S::Dispatched, A::Return, None),
            Err(TransitionError::ReasonRequired(A::Return))
        );
        assert_eq!(
            next_status(S::PendingVerification, A::Archive, Some("spam")),
            Ok(S::Archived)
        );
    }

    #[test]
    fn table_has_no_duplicate_moves_and_every_state_is_reachable() {
        for (i, t) in TRANSITIONS.iter().enumerate() {
            assert!(!TRANSITIONS[i + 1..].contains(t), "{t:?} listed twice");
        }
        for s in ALL_STATUSES {
            assert!(
                s == S::Received || TRANSITIONS.iter().any(|(_, _, to)| *to == s),
                "{s}"
            );
        }
    }

    #[test]
    fn mappings_to_lapor_and_open311() {
        assert_eq!(S::Received.lapor_bucket(), LaporBucket::BelumTerverifikasi);
        assert_eq!(S::NeedsInfo.lapor_bucket(), LaporBucket::Tertunda);
        assert_eq!(S::Archived.lapor_bucket(), LaporBucket::Arsip);
        let closed: Vec<_> = ALL_STATUSES
            .into_iter()
            .filter(|s| s.open311() == "closed")
            .collect();
        assert_eq!(closed, vec![S::Closed, S::Archived, S::Duplicate]);
        for s in ALL_STATUSES {
            assert_eq!(ReportStatus::parse(s.as_str()), Some(s));
            assert!(!s.label().is_empty());
        }
    }

    #[test]
    fn apply_bumps_the_version_and_records_who_and_why() {
        let at: Timestamp = "2026-11-20T03:00:00Z".parse().unwrap();
        let report = Report {
            category: "sampah".into(),
            ..Report::received(
                TrackingId::from_random_bytes(&[1, 2, 3, 4, 5, 6]).unwrap(),
                Channel::Web,
                at,
            )
        };
        let later = at.checked_add(jiff::SignedDuration::from_secs(5)).unwrap();
        let (next, event) = report
            .apply(A::Triage, &Actor::System("verify"), None, later)
            .unwrap();
        assert_eq!(
            (next.status, next.version, next.updated_at),
            (S::PendingVerification, 2, later)
        );
        assert_eq!(event.from, Some(S::Received));
        assert_eq!(event.actor, "system:verify");
        assert_eq!(event.version, 2);
        assert!(
            report
                .apply(A::Dispatch, &Actor::Citizen, None, later)
                .is_err()
        );
        assert_eq!(report.creation_event(&Actor::Citizen).from, None);
    }

    #[test]
    fn public_actor_labels_hide_identities() {
        assert_eq!(
            Actor::public_label(&Actor::System("verify").to_stored()),
            "sistem"
        );
        let admin = Actor::Staff {
            role: "admin".into(),
            subject: "u-1".into(),
        };
        assert_eq!(Actor::public_label(&admin.to_stored()), "admin");
        assert_eq!(Actor::public_label("agency:dlh:u-9"), "instansi");
        assert_eq!(Actor::public_label(&Actor::Citizen.to_stored()), "pelapor");
    }
}
