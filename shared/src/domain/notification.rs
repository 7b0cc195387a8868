//! What citizens are told, by SMS: one message per event, in Indonesian, always a
//! single GSM-7 segment (160 characters) and always carrying the tracking id.
//!
//! Why one segment: most reporters are on basic phones, every segment is paid, and
//! a split message can arrive out of order. Why GSM-7: one curly quote or emoji
//! switches the whole message to UCS-2 and cuts it to 70 characters.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::gsm7::{SMS_LIMIT, gsm7_len, to_gsm7, truncate_gsm7};
use super::pii::mask_pii;

/// The staff audience of SLA alerts: published to the `sla-alerts` topic.
pub const SUPERVISORS: &str = "supervisor";

/// The staff audience of the verification desk (and the owner of its deadline).
pub const ADMINS: &str = "admin";

/// Something that happened to a report that its reporter hears about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// Accepted and triaged; waiting for verification.
    Received,
    /// An admin asked for more information (*tunda*).
    InfoRequested,
    /// Verified and sent to an agency.
    Dispatched,
    /// The agency published its follow-up.
    FollowUpPublished,
    /// Closed (accepted or auto-closed).
    Closed,
    /// Archived by an admin, with a reason.
    Archived,
    /// The citizen disputed a follow-up (staff only: the agencies must answer again).
    Disputed,
    /// The citizen answered a request for information (staff only: back to the admins).
    InfoProvided,
    /// One working day left on a deadline (staff only: the owner).
    Reminder,
    /// A deadline passed (staff only: the owner and the supervisors).
    Breached,
    /// Still past its deadline on a further working day (staff only: as for a breach).
    Escalated,
    /// Closed by the sweep: no word from the citizen after the follow-up.
    AutoClosed,
}

impl NotificationKind {
    /// Whether the reporter is texted about it (staff-only kinds are not): asked of
    /// `citizen_sms` itself, so the two cannot disagree.
    pub fn tells_reporter(self) -> bool {
        citizen_sms(self, "", None, None).is_some()
    }

    /// SLA alerts: the ones supervisors hear about through the `sla-alerts` topic.
    pub fn is_sla_alert(self) -> bool {
        matches!(
            self,
            NotificationKind::Breached | NotificationKind::Escalated
        )
    }
}

/// The message on the `notify` queue: which report, which event, which version.
/// `(report_id, kind, version)` identifies the event, so redeliveries and retries of
/// the producer never send a second SMS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyMessage {
    /// The report.
    pub report_id: String,
    /// What happened.
    pub kind: NotificationKind,
    /// The report version the event produced.
    pub version: u64,
    /// Free text to pass on (an admin's question or reason), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Staff audiences to tell through the staff topic: agency ids, or `admin`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub staff: Vec<String>,
    /// The running deadline's local date as of this event (the report may have
    /// moved on by the time `notify` reads it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<Date>,
}

/// The replies owed to an inbound text message (`SMS#<gateway>#<id>`), stored on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsReplyJob {
    /// The inbound message's key.
    pub sms_reply: String,
}

/// Anything on the `notify` queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum NotifyJob {
    /// Something happened to a report.
    Event(NotifyMessage),
    /// Answer a text message.
    Reply(SmsReplyJob),
    /// Tell a panic press's emergency contacts (once per incident).
    Contacts(IncidentContactsJob),
    /// WhatsApp reported a message it had accepted as failed: send its SMS instead.
    Fallback(WhatsAppFallbackJob),
}

/// A message WhatsApp accepted and then failed to deliver is owed by SMS, once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatsAppFallbackJob {
    /// Its delivery record, as `<owner>|<event key>|<recipient>` (what was sent as
    /// WhatsApp's callback data).
    pub whatsapp_failed: String,
}

/// The emergency contacts of the device behind an incident are owed one SMS each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncidentContactsJob {
    /// The incident.
    pub incident_contacts: String,
}

impl NotifyMessage {
    /// The event's identity, used as the delivery record key.
    pub fn event_key(&self) -> String {
        let kind = serde_json::to_value(self.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        format!("{kind}#{}", self.version)
    }
}

/// A date as citizen messages write it (`09/12/2026`).
pub fn date_id(date: Date) -> String {
    format!("{:02}/{:02}/{}", date.day(), date.month(), date.year())
}

/// The SMS a reporter receives for `kind`, or `None` for staff-only events. `due` is
/// the running deadline's local date; `note` an admin's question or reason, shortened.
pub fn citizen_sms(
    kind: NotificationKind,
    report_id: &str,
    due: Option<Date>,
    note: Option<&str>,
) -> Option<String> {
    let head = format!("LAPOR! Bandung {report_id}: ");
    let body = match kind {
        NotificationKind::Disputed
        | NotificationKind::InfoProvided
        | NotificationKind::Reminder
        | NotificationKind::Breached
        | NotificationKind::Escalated => return None,
        NotificationKind::Received => match due {
            Some(d) => format!(
                "laporan diterima, diverifikasi paling lambat {}. Simpan nomor ini.",
                date_id(d)
            ),
            None => "laporan diterima dan akan diverifikasi. Simpan nomor ini.".to_string(),
        },
        NotificationKind::InfoRequested => "admin meminta info tambahan: ".to_string(),
        NotificationKind::Dispatched => match due {
            Some(d) => format!(
                "diteruskan ke instansi terkait, tindak lanjut paling lambat {}.",
                date_id(d)
            ),
            None => "diteruskan ke instansi terkait.".to_string(),
        },
        NotificationKind::FollowUpPublished => {
            "instansi telah menanggapi. Lihat tindak lanjut di lapor.bandung.go.id".into()
        }
        NotificationKind::Closed => "laporan selesai. Terima kasih telah melapor.".into(),
        NotificationKind::AutoClosed => {
            "laporan ditutup otomatis karena tidak ada tanggapan atas tindak lanjut. Terima kasih telah melapor.".into()
        }
        NotificationKind::Archived => "laporan diarsipkan: ".to_string(),
    };
    let text = to_gsm7(&format!("{head}{body}"));
    let with_note = match (kind, note) {
        (NotificationKind::InfoRequested | NotificationKind::Archived, Some(note)) => {
            let room = SMS_LIMIT.saturating_sub(gsm7_len(&text));
            format!("{text}{}", truncate_gsm7(&to_gsm7(note.trim()), room))
        }
        (NotificationKind::InfoRequested | NotificationKind::Archived, None) => format!("{text}-"),
        // A complaint that reads like an emergency: the advice follows the receipt
        // (the 112 advice always fits whole; anything longer is what gets cut).
        (NotificationKind::Received, Some(advice)) => {
            let room = SMS_LIMIT.saturating_sub(gsm7_len(&text) + 1);
            format!("{text} {}", truncate_gsm7(&to_gsm7(advice.trim()), room))
        }
        _ => text,
    };
    Some(truncate_gsm7(&with_note, SMS_LIMIT))
}

/// Appended to the receipt SMS when triage flags an emergency.
pub const EMERGENCY_SMS: &str = "Jika ini darurat, segera telepon 112.";

/// What staff are told through the staff and SLA topics (one line; the staff app
/// has the rest). SLA messages say what the sweep recorded (`note`). The message
/// leaves Sigap (e-mail, SMS), so the title and the note go masked as the public
/// reads them; the staff console shows the originals.
pub fn staff_text(
    kind: NotificationKind,
    report_id: &str,
    title: &str,
    due: Option<Date>,
    note: Option<&str>,
) -> Option<String> {
    // The sweep's note already names the deadline: saying it twice reads as a fault.
    let due = due
        .filter(|_| note.is_none())
        .map(|d| format!(" Batas: {}.", date_id(d)))
        .unwrap_or_default();
    let what = match (kind, note) {
        (NotificationKind::Dispatched, _) => "laporan baru di kotak masuk instansi Anda",
        (NotificationKind::Disputed, _) => "pelapor tidak puas, tindak lanjut baru diperlukan",
        (NotificationKind::InfoProvided, _) => {
            "pelapor telah melengkapi informasi, siap diverifikasi"
        }
        (NotificationKind::Reminder, None) => "pengingat: batas waktu tinggal 1 hari kerja",
        (NotificationKind::Breached | NotificationKind::Escalated, None) => "melewati batas waktu",
        (
            NotificationKind::Reminder | NotificationKind::Breached | NotificationKind::Escalated,
            Some(note),
        ) => &mask_pii(note),
        _ => return None,
    };
    Some(format!(
        "[Sigap] {report_id}: {what}: \"{}\".{due}",
        truncate_gsm7(&mask_pii(title), 80)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::gsm7::is_gsm7;
    use jiff::civil::date;
    use proptest::prelude::*;

    const KINDS: [NotificationKind; 7] = [
        NotificationKind::Received,
        NotificationKind::InfoRequested,
        NotificationKind::Dispatched,
        NotificationKind::FollowUpPublished,
        NotificationKind::Closed,
        NotificationKind::Archived,
        NotificationKind::AutoClosed,
    ];

    #[test]
    fn only_staff_kinds_leave_the_reporter_untold() {
        assert!(KINDS.into_iter().all(NotificationKind::tells_reporter));
        let staff_only = [
            NotificationKind::Disputed,
            NotificationKind::InfoProvided,
            NotificationKind::Reminder,
            NotificationKind::Breached,
            NotificationKind::Escalated,
        ];
        assert!(!staff_only.into_iter().any(NotificationKind::tells_reporter));
    }

    #[test]
    fn receipt_text() {
        let sms = citizen_sms(
            NotificationKind::Received,
            "BDG-K7M2QXZ",
            Some(date(2026, 11, 24)),
            None,
        )
        .unwrap();
        assert_eq!(
            sms,
            "LAPOR! Bandung BDG-K7M2QXZ: laporan diterima, diverifikasi paling lambat 24/11/2026. Simpan nomor ini."
        );
    }

    #[test]
    fn every_text_is_one_gsm7_segment_with_the_id() {
        let long_note =
            "Mohon kirim foto dan alamat lengkap “RT/RW” — termasuk patokan 😀 ".repeat(10);
        for kind in KINDS {
            for note in [None, Some("Alamat kurang jelas"), Some(long_note.as_str())] {
                let sms = citizen_sms(kind, "BDG-K7M2QXZ", Some(date(2026, 12, 31)), note).unwrap();
                assert!(
                    gsm7_len(&sms) <= SMS_LIMIT,
                    "{kind:?}: {} chars: {sms}",
                    gsm7_len(&sms)
                );
                assert!(is_gsm7(&sms), "{sms}");
                assert!(sms.contains("BDG-K7M2QXZ"));
            }
        }
    }

    #[test]
    fn notes_are_passed_on_and_shortened() {
        let sms = citizen_sms(
            NotificationKind::InfoRequested,
            "BDG-K7M2QXZ",
            None,
            Some("Di RT berapa?"),
        )
        .unwrap();
        assert!(sms.ends_with("admin meminta info tambahan: Di RT berapa?"));
        let long = citizen_sms(
            NotificationKind::Archived,
            "BDG-K7M2QXZ",
            None,
            Some(&"x".repeat(300)),
        )
        .unwrap();
        assert!(long.ends_with("..."));
        assert_eq!(gsm7_len(&long), SMS_LIMIT);
    }

    #[test]
    fn event_keys_identify_the_event() {
        let m = NotifyMessage {
            report_id: "BDG-K7M2QXZ".into(),
            kind: NotificationKind::Received,
            version: 2,
            note: None,
            staff: Vec::new(),
            due: None,
        };
        assert_eq!(m.event_key(), "received#2");
        let wire = serde_json::to_string(&m).unwrap();
        assert_eq!(
            wire,
            r#"{"report_id":"BDG-K7M2QXZ","kind":"received","version":2}"#
        );
        assert!(
            serde_json::from_str::<NotifyMessage>(r#"{"report_id":"x","kind":"nope","version":1}"#)
                .is_err()
        );
    }

    #[test]
    fn an_emergency_receipt_carries_the_112_advice_whole() {
        let sms = citizen_sms(
            NotificationKind::Received,
            "BDG-K7M2QXZ",
            Some(date(2026, 11, 24)),
            Some(EMERGENCY_SMS),
        )
        .unwrap();
        assert!(sms.ends_with(EMERGENCY_SMS), "{sms}");
        assert!(
            sms.contains("BDG-K7M2QXZ") && gsm7_len(&sms) <= SMS_LIMIT,
            "{sms}"
        );
    }

    #[test]
    fn staff_only_events_send_no_sms_and_staff_texts_name_the_report() {
        assert_eq!(
            citizen_sms(NotificationKind::Disputed, "BDG-K7M2QXZ", None, None),
            None
        );
        let text = staff_text(
            NotificationKind::Dispatched,
            "BDG-K7M2QXZ",
            "Jalan rusak",
            Some(date(2026, 11, 27)),
            None,
        )
        .unwrap();
        assert_eq!(
            text,
            "[Sigap] BDG-K7M2QXZ: laporan baru di kotak masuk instansi Anda: \"Jalan rusak\". Batas: 27/11/2026."
        );
        assert_eq!(
            staff_text(NotificationKind::Closed, "BDG-K7M2QXZ", "x", None, None),
            None
        );
        // What leaves Sigap is masked: a number in the title or the note is not sent.
        let masked = staff_text(
            NotificationKind::Escalated,
            "BDG-K7M2QXZ",
            "Jalan rusak, hubungi 0812 1111 2222",
            None,
            Some("eskalasi; pelapor (022) 7654321"),
        )
        .unwrap();
        assert!(
            !masked.contains("1111") && !masked.contains("7654321"),
            "{masked}"
        );
        assert!(masked.contains("[disembunyikan]"), "{masked}");
        let breach = staff_text(
            NotificationKind::Breached,
            "BDG-K7M2QXZ",
            "Jalan rusak",
            Some(date(2026, 11, 27)),
            Some("melewati batas tindak lanjut 27/11/2026"),
        )
        .unwrap();
        assert_eq!(
            breach,
            "[Sigap] BDG-K7M2QXZ: melewati batas tindak lanjut 27/11/2026: \"Jalan rusak\"."
        );
        assert_eq!(
            citizen_sms(NotificationKind::Breached, "BDG-K7M2QXZ", None, None),
            None
        );
    }

    proptest! {
        #[test]
        fn any_note_fits(note in "\\PC{0,400}") {
            for kind in KINDS {
                let sms = citizen_sms(kind, "BDG-K7M2QXZ", None, Some(&note)).unwrap();
                prop_assert!(gsm7_len(&sms) <= SMS_LIMIT);
                prop_assert!(is_gsm7(&sms));
            }
        }
    }
}
