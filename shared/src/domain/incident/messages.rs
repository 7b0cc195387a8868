//! What an incident says: its typed timeline, and the pages rendered for the panic
//! topic (GSM-7, one segment, with the attributes subscriptions filter on).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{Incident, Page};
use crate::domain::gsm7::{gsm7_len, truncate_gsm7};

/// What happened to an incident, as its timeline records it (the stored word is
/// [`Happened::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Happened {
    /// Opened by a press or a 112 call.
    Opened,
    /// The press came without a usable location.
    NoLocation,
    /// Another press joined it.
    PressJoined,
    /// A responder owns it.
    Acknowledged,
    /// Resolved with an outcome.
    Resolved,
    /// An operator changed its kind or place.
    Updated,
    /// A position arrived while the emergency lasts (the caller's link, the app).
    Located,
    /// The caller was texted a location link.
    LocationLinkSent,
    /// A note.
    Note,
    /// The operator called the citizen back after a cancel.
    FollowedUp,
    /// The citizen cancelled it with the PIN.
    Cancelled,
    /// The citizen used the duress PIN (or tried too many wrong PINs).
    Duress,
    /// A wrong cancel PIN was tried.
    WrongPin,
    /// The device is marked low-trust.
    LowTrust,
    /// Escalated to the next tier, or the top tier again.
    Escalated,
    /// The owner was paged again (unresolved past its timeout).
    OwnerRepage,
    /// Every tier and repeat used without an owner.
    Exhausted,
    /// A tier was paged.
    Paged,
    /// A paged tier was told to stand down.
    StoodDown,
    /// A paged tier was told it is cancelled or over.
    CancelNotice,
    /// The next escalation tick is on the queue.
    TickScheduled,
    /// The auditor re-drove a lost tick.
    TickRedriven,
    /// The emergency contacts' SMS is on the notify queue.
    ContactsQueued,
}

impl Happened {
    /// The stored word (what staff screens and the tests read).
    pub fn as_str(self) -> &'static str {
        match self {
            Happened::Opened => "opened",
            Happened::NoLocation => "no_location",
            Happened::PressJoined => "press_joined",
            Happened::Acknowledged => "acknowledged",
            Happened::Resolved => "resolved",
            Happened::Updated => "updated",
            Happened::Located => "located",
            Happened::LocationLinkSent => "location_link_sent",
            Happened::Note => "note",
            Happened::FollowedUp => "followed_up",
            Happened::Cancelled | Happened::CancelNotice => "cancelled",
            Happened::Duress => "duress",
            Happened::WrongPin => "wrong_pin",
            Happened::LowTrust => "low_trust",
            Happened::Escalated => "escalated",
            Happened::OwnerRepage => "owner_repage",
            Happened::Exhausted => "exhausted",
            Happened::Paged => "page",
            Happened::StoodDown => "stand_down",
            Happened::TickScheduled => "tick_scheduled",
            Happened::TickRedriven => "tick_redriven",
            Happened::ContactsQueued => "contacts_queued",
        }
    }
}

/// What the command centre's screens call a stored timeline word; a word this
/// build does not know is shown as it is.
pub fn happened_label(word: &str) -> &str {
    match word {
        "opened" => "Dibuka",
        "no_location" => "Tanpa lokasi",
        "press_joined" => "Ditekan lagi",
        "acknowledged" => "Diambil responder",
        "resolved" => "Diselesaikan",
        "updated" => "Diubah operator",
        "located" => "Posisi diterima",
        "location_link_sent" => "Tautan lokasi dikirim",
        "note" => "Catatan",
        "followed_up" => "Pelapor ditelepon balik",
        "cancelled" => "Dibatalkan",
        "duress" => "PIN darurat dipakai",
        "wrong_pin" => "PIN salah",
        "low_trust" => "Perangkat ditandai kurang tepercaya",
        "escalated" => "Naik tier",
        "owner_repage" => "Pemilik dipanggil lagi",
        "exhausted" => "Tidak ada yang menjawab",
        "page" => "Panggilan terkirim",
        "stand_down" => "Panggilan dihentikan",
        "tick_scheduled" => "Eskalasi berikutnya dijadwalkan",
        "tick_redriven" => "Eskalasi dijalankan ulang",
        "contacts_queued" => "Kontak darurat diberi tahu",
        other => other,
    }
}

/// How long a caller's location link works after it is sent.
pub const LOCATION_LINK_VALID: jiff::SignedDuration = jiff::SignedDuration::from_mins(30);

/// The path of the location link `token` (served by `panic`, public).
pub fn location_link_path(token: &str) -> String {
    format!("/l/{token}")
}

/// True for what a location link's token looks like (32 lowercase hex): anything
/// else is refused before the table is read.
pub fn is_location_token(token: &str) -> bool {
    token.len() == 32
        && token
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The SMS that carries a location link: who asks and what to do, and nothing about
/// the incident (a number can be mistyped, and an SMS is read over shoulders).
pub fn location_link_text(link: &str) -> String {
    format!(
        "Petugas 112 Bandung minta lokasi Anda: buka {link} lalu izinkan lokasi. Berlaku 30 menit, sekali pakai."
    )
}

/// The system itself, on a timeline (the pager, the escalation).
pub const SYSTEM: &str = "system";

/// One line of an incident's timeline (append-only; staff read it, devices never).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// When.
    pub at: Timestamp,
    /// What happened (the word of a [`Happened`]).
    pub what: String,
    /// Who: `device:<id>`, `operator:<sub>`, `responder:<unit>`, `system`.
    pub actor: String,
    /// Details (tier, outcome, message id, note).
    pub detail: Option<String>,
}

impl TimelineEntry {
    /// An entry.
    pub fn new(at: Timestamp, what: Happened, actor: &str, detail: Option<String>) -> Self {
        Self {
            at,
            what: what.as_str().into(),
            actor: actor.into(),
            detail,
        }
    }
}

impl Page {
    /// What sending this page records on the timeline.
    pub fn happened(&self) -> Happened {
        match self {
            Page::Tier { .. } => Happened::Paged,
            Page::StandDown { .. } => Happened::StoodDown,
            Page::Cancelled { .. } => Happened::CancelNotice,
            Page::Owner { .. } => Happened::OwnerRepage,
            Page::Contacts => Happened::ContactsQueued,
        }
    }
}

/// A page's SNS message attributes (what subscriptions filter on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageAttributes {
    /// `kind`: the incident kind.
    pub kind: String,
    /// `sector`: the sector.
    pub sector: String,
    /// `tier`: `0`, `1`, … for tier pages and their stand-downs; `unit:<id>` for an
    /// owner re-page (responders subscribe with their tier and `unit:<their id>`).
    pub tier: String,
    /// `event`: `page`, `stand_down`, `cancelled`, `owner_repage`.
    pub event: String,
}

/// A page ready to publish: subject, GSM-7 text and attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundPage {
    /// Unique per incident and page: the delivery key on the timeline.
    pub key: String,
    /// Text (GSM-7, at most 160 characters).
    pub text: String,
    /// Filter attributes.
    pub attributes: PageAttributes,
}

/// Renders an owed page for the panic topic (`None` for [`Page::Contacts`], which
/// goes to `notify`). `ack_link` is a signed link a responder can tap to own it.
pub fn render(incident: &Incident, page: &Page, ack_link: Option<&str>) -> Option<OutboundPage> {
    let code = &incident.id;
    let kind = incident.kind.label();
    let place = match (&incident.fix, &incident.location_text) {
        (Some(fix), _) => {
            let c = fix.coordinates;
            let stale = if fix.is_stale() { " (lama)" } else { "" };
            format!("maps.google.com/?q={:.5},{:.5}{stale}", c.lat(), c.lon())
        }
        (None, Some(text)) => text.clone(),
        (None, None) => "lokasi tidak ada".into(),
    };
    let flags = format!(
        "{}{}",
        if incident.duress { " DURESS" } else { "" },
        if incident.low_trust {
            " (riwayat palsu)"
        } else {
            ""
        }
    );
    let attrs = |tier: String, event: &str| PageAttributes {
        kind: incident.kind.as_str().into(),
        sector: incident.sector.clone(),
        tier,
        event: event.into(),
    };
    let (key, text, attributes) = match page {
        Page::Tier { tier, round } => {
            let repeat = if *round > 0 { " ULANG" } else { "" };
            let head = format!(
                "SIGAP{repeat} {code} {kind}{flags} T{tier} {} {place}. Balas 1 {code}",
                incident.sector
            );
            // The tap-to-own link only when the page stays one segment with it.
            let text = ack_link
                .map(|link| format!("{head} atau buka {link}"))
                .filter(|t| gsm7_len(t) <= 160)
                .unwrap_or_else(|| format!("{head} utk menangani"));
            (
                format!("page#{tier}#{round}"),
                text,
                attrs(tier.to_string(), "page"),
            )
        }
        Page::StandDown { tier } => (
            format!("stand_down#{tier}"),
            format!(
                "SIGAP {code} sudah ditangani {}. Tidak perlu merespons.",
                incident.owner.as_deref().unwrap_or("petugas")
            ),
            attrs(tier.to_string(), "stand_down"),
        ),
        Page::Cancelled { tier } => (
            format!("cancelled#{tier}#{}", incident.version),
            format!("SIGAP {code} dibatalkan/selesai. Tidak perlu merespons."),
            attrs(tier.to_string(), "cancelled"),
        ),
        Page::Owner { round } => {
            let unit = incident.owner.clone().unwrap_or_default();
            (
                format!("owner#{round}"),
                format!(
                    "SIGAP {code} {kind}{flags} masih terbuka ({unit}). Selesaikan atau laporkan status."
                ),
                attrs(format!("unit:{unit}"), "owner_repage"),
            )
        }
        Page::Contacts => return None,
    };
    Some(OutboundPage {
        key,
        text: truncate_gsm7(&text, 160),
        attributes,
    })
}

#[cfg(test)]
mod label_tests {
    use super::*;

    #[test]
    fn every_timeline_word_has_an_indonesian_label() {
        let all = [
            Happened::Opened,
            Happened::NoLocation,
            Happened::PressJoined,
            Happened::Acknowledged,
            Happened::Resolved,
            Happened::Updated,
            Happened::Note,
            Happened::FollowedUp,
            Happened::Cancelled,
            Happened::Duress,
            Happened::WrongPin,
            Happened::LowTrust,
            Happened::Escalated,
            Happened::OwnerRepage,
            Happened::Exhausted,
            Happened::Paged,
            Happened::StoodDown,
            Happened::CancelNotice,
            Happened::TickScheduled,
            Happened::TickRedriven,
            Happened::ContactsQueued,
        ];
        for happened in all {
            let word = happened.as_str();
            assert_ne!(happened_label(word), word, "{word} has no label");
        }
        assert_eq!(happened_label("something_new"), "something_new");
    }
}
