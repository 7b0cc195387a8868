//! LAPOR! by SMS to 1708: the commands citizens text, and what Sigap texts back.
//!
//! Commands are case-insensitive and tolerant of extra spaces and punctuation:
//! - `BDG <isi aduan>`: a new report (the keyword is configuration);
//! - `INFO <nomor>`: the status of a report;
//! - `BALAS <nomor> <teks>`: a reply, or the information an admin asked for;
//! - `PUAS <nomor>` / `TIDAK <nomor> <alasan>`: accept or dispute a follow-up;
//! - `BANTUAN`: how to use the service;
//! - `DARURAT [jenis] [keterangan]`: the Panic Button without mobile data, from the
//!   number a device registered with.
//!
//! Anything else is free text: from a sender with exactly one open report it is a
//! reply to it, otherwise the sender is told the format. No command is an opt-out
//! word (STOP, CANCEL, END, QUIT…): gateways and SNS act on those themselves.

use super::gsm7::{SMS_LIMIT, gsm7_len, to_gsm7, truncate_gsm7};
use super::incident::IncidentKind;
use super::location::{Coordinates, CoordinatesError};
use super::tracking_id::TrackingId;

/// Words that gateways and carriers treat as opt-out; never a command here.
pub const OPT_OUT_WORDS: [&str; 10] = [
    "STOP",
    "CANCEL",
    "END",
    "QUIT",
    "ARRET",
    "OPTOUT",
    "REMOVE",
    "TD",
    "UNSUBSCRIBE",
    "STOPALL",
];

/// The panic keyword: a press of the Panic Button by SMS (never an opt-out word, so no
/// gateway or carrier can take it for one; the reference on paging lists them).
pub const PANIC_WORD: &str = "DARURAT";

/// Every command word, for the opt-out check (the report keyword comes from configuration).
pub const COMMAND_WORDS: [&str; 7] = [
    "INFO", "BALAS", "PUAS", "TIDAK", "BANTUAN", "HELP", PANIC_WORD,
];

/// What a text message asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum SmsCommand {
    /// `BDG <text>`: a new report with this text.
    NewReport(String),
    /// `INFO <id>`.
    Status(TrackingId),
    /// `BALAS <id> <text>`.
    Reply(TrackingId, String),
    /// `PUAS <id>`.
    Accept(TrackingId),
    /// `TIDAK <id> <reason>`.
    Dispute(TrackingId, String),
    /// `BANTUAN`.
    Help,
    /// Not a command: a reply if the sender has exactly one open report.
    FreeText(String),
    /// A command with a missing or mistyped part; the text says what to send.
    Malformed(String),
    /// An opt-out word alone (STOP, …): the gateway and SNS act on it; Sigap neither
    /// replies nor treats it as a message to a report.
    OptOut,
    /// `1 <incident code>`: a responder takes the incident (a digit, never an
    /// opt-out word, so no carrier can mistake it).
    Acknowledge(String),
    /// `DARURAT [jenis] [keterangan]`: the Panic Button pressed by SMS; the kind when
    /// the word after it names one (`MEDIS`, `KEBAKARAN`, …).
    Panic(Option<IncidentKind>),
    /// A location shared on WhatsApp: the point of the sender's newest open report,
    /// or why it cannot be (outside Bandung, not a point).
    SharePoint(Result<Coordinates, CoordinatesError>),
    /// A photo sent on WhatsApp (fetched by its media id): evidence on a new report
    /// when its caption is one (`BDG …`), otherwise on the sender's newest open
    /// report, with the caption as a reply.
    Photo {
        /// WhatsApp's media id (lives 7 days).
        media_id: String,
        /// The caption typed with it.
        caption: Option<String>,
    },
    /// A message of a kind Sigap cannot read (a sticker, a voice note): a polite
    /// answer saying what it can read, once per message.
    Unreadable,
    /// A step of WhatsApp's guided start (a tapped button or list row).
    Menu(Menu),
}

/// The guided start on WhatsApp: "Buat laporan", then a group of categories, then a
/// category; the citizen's next text is the report, in that category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Menu {
    /// Start a report: choose a group.
    Start,
    /// The categories of this group.
    Group(String),
    /// This category: the next text is the report.
    Category(String),
    /// "Tidak puas" with this report's follow-up: the next text is the reason.
    Dispute(String),
}

/// What a WhatsApp sender's next text is awaited as, after a tap asked for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Awaiting {
    /// A report in this category (the guided start).
    Report {
        /// The category's code.
        category: String,
    },
    /// The reason the citizen is not satisfied with this report's follow-up.
    DisputeReason {
        /// The report's tracking id.
        report: String,
    },
}

impl Awaiting {
    /// How it is stored (`kategori:<code>`, `keberatan:<id>`).
    pub fn as_key(&self) -> String {
        match self {
            Awaiting::Report { category } => format!("kategori:{category}"),
            Awaiting::DisputeReason { report } => format!("keberatan:{report}"),
        }
    }

    /// Reads a stored key; `None` for anything else.
    pub fn parse(key: &str) -> Option<Self> {
        match key.split_once(':')? {
            ("kategori", code) if !code.is_empty() => Some(Awaiting::Report {
                category: code.into(),
            }),
            ("keberatan", id) if !id.is_empty() => {
                Some(Awaiting::DisputeReason { report: id.into() })
            }
            _ => None,
        }
    }
}

impl Menu {
    /// The id a button or row for this step carries (what its tap sends back).
    pub fn choice_id(&self) -> String {
        match self {
            Menu::Start => "menu:lapor".into(),
            Menu::Group(group) => format!("menu:grup:{group}"),
            Menu::Category(code) => format!("menu:kategori:{code}"),
            Menu::Dispute(id) => format!("menu:tidak:{id}"),
        }
    }

    /// The step a tapped id stands for, if it is one.
    pub fn from_choice(id: &str) -> Option<Self> {
        let rest = id.strip_prefix("menu:")?;
        match rest.split_once(':') {
            None if rest == "lapor" => Some(Menu::Start),
            Some(("grup", group)) if !group.is_empty() => Some(Menu::Group(group.into())),
            Some(("kategori", code)) if !code.is_empty() => Some(Menu::Category(code.into())),
            Some(("tidak", id)) if !id.is_empty() => Some(Menu::Dispute(id.into())),
            _ => None,
        }
    }
}

/// Collapses whitespace (newlines included) into single spaces and trims.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The leading command word (ASCII letters) and the rest, if the word stands alone:
/// `BDG, jalan rusak` → (`BDG`, `jalan rusak`); `BDG-K7M2QXZ` is an id, not `BDG`.
fn command_word(text: &str) -> Option<(String, &str)> {
    let end = text
        .char_indices()
        .find(|(_, c)| !c.is_ascii_alphabetic())
        .map_or(text.len(), |(i, _)| i);
    if end == 0 {
        return None;
    }
    let (word, rest) = text.split_at(end);
    let mut chars = rest.chars();
    match (chars.next(), chars.next()) {
        (Some(c), _) if c.is_alphanumeric() => return None,
        (Some('-'), Some(c)) if c.is_alphanumeric() => return None,
        _ => {}
    }
    let rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c.is_ascii_punctuation());
    Some((word.to_ascii_uppercase(), rest))
}

/// Splits a tracking id off the front of `text`: `BDG-K7M2QXZ`, `bdg k7m2qxz`,
/// `BDGK7M2QXZ`, `#BDG-K7M2QXZ`, each followed by anything.
fn leading_id(text: &str) -> Option<(TrackingId, &str)> {
    let text = text.trim_start_matches(|c: char| c == '#' || c.is_whitespace());
    // Try the first one or two words (the id may be written with a space).
    let words: Vec<(usize, &str)> = text
        .split_whitespace()
        .scan(0usize, |offset, word| {
            let start = text[*offset..].find(word).map_or(*offset, |i| *offset + i);
            *offset = start + word.len();
            Some((start + word.len(), word))
        })
        .take(2)
        .collect();
    for n in (1..=words.len()).rev() {
        let end = words[n - 1].0;
        let candidate =
            text[..end].trim_end_matches(|c: char| c.is_ascii_punctuation() && c != '-');
        if let Ok(id) = TrackingId::parse(candidate) {
            let rest = text[end..]
                .trim_start_matches(|c: char| c.is_whitespace() || c.is_ascii_punctuation());
            return Some((id, rest));
        }
    }
    None
}

/// Reads a text message. `keyword` is the new-report keyword (default `BDG`).
/// Total: any input is some command (at worst free text or a format hint).
pub fn parse_command(text: &str, keyword: &str) -> SmsCommand {
    let text = squeeze(text);
    let bare = text
        .trim_matches(|c: char| c.is_ascii_punctuation() || c.is_whitespace())
        .to_ascii_uppercase()
        .replace([' ', '-'], "");
    if OPT_OUT_WORDS.contains(&bare.as_str()) {
        return SmsCommand::OptOut;
    }
    if let Some(rest) = text.strip_prefix('1')
        && !rest.starts_with(|c: char| c.is_ascii_digit())
    {
        let rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c.is_ascii_punctuation());
        if let Some(code) = super::incident::parse_incident_code(rest) {
            return SmsCommand::Acknowledge(code);
        }
        if rest.is_empty() || rest.to_ascii_uppercase().starts_with("INC") {
            return SmsCommand::Malformed(
                "Kode kejadian tidak dikenali. Contoh: 1 INC-7KX3QM".into(),
            );
        }
    }
    let Some((word, rest)) = command_word(&text) else {
        return SmsCommand::FreeText(text);
    };
    let needs_id =
        |make: fn(TrackingId, String) -> SmsCommand, example: &str| match leading_id(rest) {
            Some((id, tail)) => make(id, tail.to_string()),
            None => {
                SmsCommand::Malformed(format!("Nomor laporan tidak dikenali. Contoh: {example}"))
            }
        };
    match word.as_str() {
        w if w.eq_ignore_ascii_case(keyword) => match rest.trim() {
            "" => SmsCommand::Malformed(format!(
                "Tulis isi aduan setelah {keyword}. Contoh: {keyword} Jalan berlubang di Jl. Dago depan SD"
            )),
            body => SmsCommand::NewReport(body.to_string()),
        },
        "INFO" => needs_id(|id, _| SmsCommand::Status(id), "INFO BDG-K7M2QXZ"),
        "PUAS" => needs_id(|id, _| SmsCommand::Accept(id), "PUAS BDG-K7M2QXZ"),
        "BALAS" => match needs_id(SmsCommand::Reply, "BALAS BDG-K7M2QXZ isi balasan") {
            SmsCommand::Reply(_, body) if body.is_empty() => {
                SmsCommand::Malformed("Tulis balasan setelah nomor laporan.".into())
            }
            other => other,
        },
        "TIDAK" => match needs_id(SmsCommand::Dispute, "TIDAK BDG-K7M2QXZ alasan") {
            SmsCommand::Dispute(_, reason) if reason.is_empty() => {
                SmsCommand::Malformed("Tulis alasan ketidakpuasan setelah nomor laporan.".into())
            }
            other => other,
        },
        "BANTUAN" | "HELP" => SmsCommand::Help,
        PANIC_WORD => {
            let named = rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .trim_matches(|c: char| c.is_ascii_punctuation());
            SmsCommand::Panic(
                IncidentKind::ALL
                    .into_iter()
                    .find(|kind| kind.label().eq_ignore_ascii_case(named)),
            )
        }
        _ => SmsCommand::FreeText(text),
    }
}

/// The help text (one segment).
pub fn help_text(keyword: &str) -> String {
    format!(
        "LAPOR! Bandung: {keyword} <aduan> lapor baru. INFO <nomor> status. BALAS <nomor> <teks>. PUAS <nomor> / TIDAK <nomor> <alasan> atas tindak lanjut."
    )
}

/// Texts back, in Indonesian, for each outcome of an inbound message.
pub mod replies {
    /// A press by SMS was taken: responders are being paged.
    pub fn panic_received() -> String {
        "SIGAP: permintaan darurat diterima, petugas sedang dihubungi. Bila bisa, telepon 112."
            .into()
    }

    /// A press by SMS from a number no device registered: how to register.
    pub fn panic_unregistered() -> String {
        "SIGAP: nomor ini belum terdaftar di Tombol Darurat. Pasang aplikasi SIGAP dan daftarkan nomor ini. Dalam keadaan darurat, telepon 112.".into()
    }

    /// A press by SMS from a device an admin blocked.
    pub fn panic_blocked() -> String {
        "SIGAP: Tombol Darurat untuk nomor ini diblokir petugas. Dalam keadaan darurat, telepon 112.".into()
    }

    /// Free text with no single open report to attach it to.
    pub fn format_hint(keyword: &str) -> String {
        format!(
            "LAPOR! Bandung: untuk melapor ketik {keyword} <isi aduan>. Ketik BANTUAN untuk daftar perintah."
        )
    }

    /// The report text is too short to act on.
    pub fn too_short(keyword: &str) -> String {
        format!(
            "LAPOR! Bandung: isi aduan terlalu singkat. Sebutkan masalah dan lokasinya, contoh: {keyword} Lampu jalan mati di Jl. Riau depan toko buku"
        )
    }

    /// No such (public) report.
    pub fn not_found(id: &str) -> String {
        format!("LAPOR! Bandung: laporan {id} tidak ditemukan. Periksa kembali nomornya.")
    }

    /// A shared location became the point of report `id`.
    pub fn point_set(id: &str) -> String {
        format!("LAPOR! Bandung {id}: titik lokasi diterima. Terima kasih.")
    }

    /// A shared location outside Kota Bandung.
    pub fn point_outside() -> String {
        "LAPOR! Bandung: lokasi itu di luar Kota Bandung. Bagikan titik lokasi masalahnya di dalam Kota Bandung.".into()
    }

    /// A shared location with no open report to attach it to.
    pub fn point_without_report(keyword: &str) -> String {
        format!(
            "LAPOR! Bandung: kirim dulu laporan Anda ({keyword} <isi aduan>), lalu bagikan lokasinya."
        )
    }

    /// A photo added to report `id`.
    pub fn photo_received(id: &str) -> String {
        format!("LAPOR! Bandung {id}: foto diterima dan sedang diperiksa. Terima kasih.")
    }

    /// A photo with no open report to add it to.
    pub fn photo_without_report(keyword: &str) -> String {
        format!(
            "LAPOR! Bandung: kirim dulu laporan Anda ({keyword} <isi aduan>), lalu kirim fotonya. Atau kirim foto dengan keterangan {keyword} <isi aduan>."
        )
    }

    /// A photo larger than WhatsApp's own limit, or one Meta no longer has.
    pub fn photo_unavailable() -> String {
        "LAPOR! Bandung: foto tidak dapat kami ambil (paling besar 5 MB). Silakan kirim ulang."
            .into()
    }

    /// WhatsApp's welcome to someone with no open report who wrote something else
    /// than a command.
    pub fn welcome(keyword: &str) -> String {
        format!(
            "Selamat datang di LAPOR! Bandung. Ketik aduan Anda diawali {keyword}, misalnya: {keyword} Jalan berlubang di Jl. Dago depan SD. Atau pilih Buat laporan."
        )
    }

    /// The first step of the guided start: the groups of categories.
    pub fn choose_group() -> String {
        "LAPOR! Bandung: aduan Anda tentang apa? Pilih kelompoknya.".into()
    }

    /// The second step: the categories of a group.
    pub fn choose_category(group: &str) -> String {
        format!("LAPOR! Bandung: {group}. Pilih kategorinya.")
    }

    /// The category is chosen: the next text is the report.
    pub fn write_report(category: &str) -> String {
        format!(
            "LAPOR! Bandung: kategori {category}. Sekarang tulis aduan Anda: apa masalahnya dan di mana. Setelah itu Anda bisa mengirim foto dan lokasi."
        )
    }

    /// "Tidak puas" tapped: the reason is the next text.
    pub fn write_dispute_reason(id: &str) -> String {
        format!(
            "LAPOR! Bandung {id}: tulis alasan Anda belum puas dengan tindak lanjutnya. Laporan akan dibuka kembali."
        )
    }

    /// A tapped choice that no longer exists (the catalog changed).
    pub fn menu_gone(keyword: &str) -> String {
        format!(
            "LAPOR! Bandung: pilihan itu tidak tersedia lagi. Ketik {keyword} <isi aduan> untuk melapor."
        )
    }

    /// A message Sigap cannot read (a sticker, a voice note, a video).
    pub fn unreadable(keyword: &str) -> String {
        format!(
            "LAPOR! Bandung: maaf, pesan jenis ini belum bisa kami baca. Kirim teks ({keyword} <isi aduan>), foto, atau lokasi. Ketik BANTUAN untuk daftar perintah."
        )
    }

    /// The sender is not the reporter of this report.
    pub fn not_yours(id: &str) -> String {
        format!("LAPOR! Bandung {id}: perintah ini hanya dapat dikirim dari nomor pelapor.")
    }

    /// The report's state does not allow it now.
    pub fn not_now(id: &str, status_label: &str) -> String {
        format!(
            "LAPOR! Bandung {id}: tidak dapat diproses saat laporan berstatus \"{status_label}\"."
        )
    }

    /// A reply or additional information was added.
    pub fn reply_received(id: &str) -> String {
        format!("LAPOR! Bandung {id}: balasan Anda telah diterima dan diteruskan.")
    }

    /// A dispute reopened the report.
    pub fn dispute_received(id: &str) -> String {
        format!(
            "LAPOR! Bandung {id}: keberatan diterima, laporan dibuka kembali dan instansi wajib menindaklanjuti."
        )
    }

    /// Too many messages from one number: said once per window.
    pub fn rate_limited() -> String {
        "LAPOR! Bandung: terlalu banyak pesan dari nomor ini. Pesan berikutnya diproses setelah 1 jam. Darurat? Telepon 112.".into()
    }

    /// Someone else changed the report at the same moment.
    pub fn try_again() -> String {
        "LAPOR! Bandung: laporan baru saja berubah. Silakan kirim ulang pesan Anda.".into()
    }
}

/// The status reply to `INFO`: status, deadline or latest follow-up, in as few
/// segments as the text needs.
pub fn status_text(
    id: &str,
    status_label: &str,
    due: Option<&str>,
    follow_up: Option<&str>,
) -> String {
    let mut text = format!("LAPOR! Bandung {id}: {status_label}.");
    if let Some(due) = due {
        text.push_str(&format!(" Batas waktu {due}."));
    }
    if let Some(follow_up) = follow_up {
        text.push_str(&format!(" Tindak lanjut: {follow_up}"));
    }
    text
}

/// Most segments one reply may take (longer text is cut, ending in `...`).
pub const MAX_PARTS: usize = 4;

/// Splits a reply into SMS texts: one GSM-7 message of at most 160 characters when it
/// fits; otherwise numbered parts `(1/3) …`, each at most 160, cut at spaces. Every
/// character is rewritten into GSM-7 first, so no part falls back to UCS-2 (70).
pub fn split_sms(text: &str) -> Vec<String> {
    let text = to_gsm7(&squeeze(text));
    if gsm7_len(&text) <= SMS_LIMIT {
        return vec![text];
    }
    // "(n/m) " takes 6 septets while m < 10.
    let room = SMS_LIMIT - 6;
    let mut parts: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        let word_len = gsm7_len(word);
        let needed = if current.is_empty() {
            word_len
        } else {
            gsm7_len(&current) + 1 + word_len
        };
        if needed <= room {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
            continue;
        }
        if !current.is_empty() {
            parts.push(std::mem::take(&mut current));
        }
        // A single word longer than a part is cut where it must be.
        let mut rest = word.to_string();
        while gsm7_len(&rest) > room {
            let (head, tail) = split_at_septets(&rest, room);
            parts.push(head);
            rest = tail;
        }
        current = rest;
    }
    if !current.is_empty() {
        parts.push(current);
    }
    if parts.len() > MAX_PARTS {
        parts.truncate(MAX_PARTS);
        if let Some(last) = parts.last_mut() {
            *last = truncate_gsm7(&format!("{last}..."), room);
        }
    }
    let total = parts.len();
    parts
        .into_iter()
        .enumerate()
        .map(|(i, part)| format!("({}/{total}) {part}", i + 1))
        .collect()
}

/// The longest head of `text` within `limit` septets, and the rest.
fn split_at_septets(text: &str, limit: usize) -> (String, String) {
    let mut used = 0;
    let mut end = text.len();
    for (i, c) in text.char_indices() {
        let width = gsm7_len(c.encode_utf8(&mut [0; 4]));
        if used + width > limit {
            end = i;
            break;
        }
        used += width;
    }
    (text[..end].to_string(), text[end..].to_string())
}

/// A title for a report made by SMS: the first words, up to 60 characters.
pub fn title_from_text(text: &str) -> String {
    let text = squeeze(text);
    if text.chars().count() <= 60 {
        return text;
    }
    let mut title = String::new();
    for word in text.split(' ') {
        if title.chars().count() + word.chars().count() + 1 > 57 {
            break;
        }
        if !title.is_empty() {
            title.push(' ');
        }
        title.push_str(word);
    }
    if title.is_empty() {
        title = text.chars().take(57).collect();
    }
    format!("{title}...")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn awaited_texts_round_trip_through_their_keys() {
        for awaiting in [
            Awaiting::Report {
                category: "sampah".into(),
            },
            Awaiting::DisputeReason {
                report: "BDG-K7M2QXZ".into(),
            },
        ] {
            assert_eq!(Awaiting::parse(&awaiting.as_key()), Some(awaiting));
        }
        assert_eq!(Awaiting::parse("lain:x"), None);
        assert_eq!(Awaiting::parse("kategori:"), None);
    }

    #[test]
    fn menu_choices_round_trip_and_nothing_else_is_one() {
        for menu in [
            Menu::Start,
            Menu::Group("Layanan Publik".into()),
            Menu::Category("jalan-rusak".into()),
            Menu::Dispute("BDG-K7M2QXZ".into()),
        ] {
            assert_eq!(Menu::from_choice(&menu.choice_id()), Some(menu));
        }
        for other in [
            "INFO BDG-K7M2QXZ",
            "menu:",
            "menu:grup:",
            "menu:kategori:",
            "menu:lain",
        ] {
            assert_eq!(Menu::from_choice(other), None, "{other}");
        }
    }

    #[test]
    fn responders_acknowledge_with_a_digit_and_the_code() {
        for text in [
            "1 INC-7KX3QM",
            "1 inc-7kx3qm",
            "1, 7KX3QM",
            " 1  INC 7KX3QM ",
        ] {
            assert_eq!(
                parse_command(text, "BDG"),
                SmsCommand::Acknowledge("INC-7KX3QM".into()),
                "{text}"
            );
        }
        assert!(matches!(
            parse_command("1 INC-7KX", "BDG"),
            SmsCommand::Malformed(_)
        ));
        assert!(matches!(
            parse_command("1", "BDG"),
            SmsCommand::Malformed(_)
        ));
        assert!(matches!(
            parse_command("12 orang terluka", "BDG"),
            SmsCommand::FreeText(_)
        ));
    }
    use proptest::prelude::*;

    fn id() -> TrackingId {
        TrackingId::parse("BDG-K7M2QXZ").unwrap()
    }

    #[test]
    fn commands_tolerate_case_spaces_and_punctuation() {
        let cases = [
            (
                "BDG jalan rusak di Dago",
                SmsCommand::NewReport("jalan rusak di Dago".into()),
            ),
            (
                "  bdg,   jalan\nrusak ",
                SmsCommand::NewReport("jalan rusak".into()),
            ),
            ("Bdg: banjir", SmsCommand::NewReport("banjir".into())),
            ("info BDG-K7M2QXZ", SmsCommand::Status(id())),
            ("INFO  bdg k7m2qxz?", SmsCommand::Status(id())),
            ("Info #BDGK7M2QXZ", SmsCommand::Status(id())),
            (
                "BALAS BDG-K7M2QXZ RT 05 RW 03",
                SmsCommand::Reply(id(), "RT 05 RW 03".into()),
            ),
            (
                "balas bdg-k7m2qxz: sudah diperbaiki?",
                SmsCommand::Reply(id(), "sudah diperbaiki?".into()),
            ),
            ("PUAS BDG-K7M2QXZ.", SmsCommand::Accept(id())),
            (
                "tidak BDG-K7M2QXZ masih berlubang",
                SmsCommand::Dispute(id(), "masih berlubang".into()),
            ),
            ("BANTUAN", SmsCommand::Help),
            ("bantuan!", SmsCommand::Help),
            (
                "Terima kasih pak",
                SmsCommand::FreeText("Terima kasih pak".into()),
            ),
            // An id at the front is not the keyword.
            (
                "BDG-K7M2QXZ kapan diperbaiki",
                SmsCommand::FreeText("BDG-K7M2QXZ kapan diperbaiki".into()),
            ),
            (
                "BDGjalan rusak",
                SmsCommand::FreeText("BDGjalan rusak".into()),
            ),
            ("", SmsCommand::FreeText(String::new())),
        ];
        for (text, want) in cases {
            assert_eq!(parse_command(text, "BDG"), want, "{text:?}");
        }
    }

    #[test]
    fn incomplete_commands_say_what_to_send() {
        for text in [
            "BDG",
            "INFO",
            "INFO BDG-K7M2QXA",
            "BALAS BDG-K7M2QXZ",
            "TIDAK BDG-K7M2QXZ",
            "PUAS nomor",
        ] {
            assert!(
                matches!(parse_command(text, "BDG"), SmsCommand::Malformed(_)),
                "{text:?}"
            );
        }
        // Another keyword is configuration.
        assert_eq!(
            parse_command("LAPOR sampah", "LAPOR"),
            SmsCommand::NewReport("sampah".into())
        );
    }

    #[test]
    fn the_panic_word_presses_with_the_kind_it_names() {
        use crate::domain::incident::IncidentKind;
        for (text, kind) in [
            ("DARURAT", None),
            ("darurat", None),
            (" Darurat! ", None),
            (
                "DARURAT medis, ibu saya pingsan",
                Some(IncidentKind::Medical),
            ),
            ("darurat: KEBAKARAN!", Some(IncidentKind::Fire)),
            ("DARURAT tolong", None),
        ] {
            assert_eq!(
                parse_command(text, "BDG"),
                SmsCommand::Panic(kind),
                "{text}"
            );
        }
        // Not the word alone: a report about an emergency is still a report.
        assert_eq!(
            parse_command("BDG darurat banjir di Jl. Riau", "BDG"),
            SmsCommand::NewReport("darurat banjir di Jl. Riau".into())
        );
        assert!(matches!(
            parse_command("DARURATKU", "BDG"),
            SmsCommand::FreeText(_)
        ));
        for text in [
            replies::panic_received(),
            replies::panic_unregistered(),
            replies::panic_blocked(),
        ] {
            assert!(gsm7_len(&text) <= SMS_LIMIT, "{text}");
        }
    }

    #[test]
    fn no_command_is_an_opt_out_word() {
        for word in COMMAND_WORDS.iter().chain(["BDG"].iter()) {
            assert!(!OPT_OUT_WORDS.contains(word), "{word}");
        }
        // Opt-out words alone are left to the gateway: never a reply to a report.
        for word in ["STOP", "stop.", " Quit ", "opt-out", "UNSUBSCRIBE!"] {
            assert_eq!(parse_command(word, "BDG"), SmsCommand::OptOut, "{word:?}");
        }
        assert!(matches!(
            parse_command("stop dulu pak", "BDG"),
            SmsCommand::FreeText(_)
        ));
    }

    #[test]
    fn replies_fit_one_segment_and_long_ones_are_numbered_parts() {
        for text in [
            help_text("BDG"),
            replies::format_hint("BDG"),
            replies::too_short("BDG"),
            replies::not_found("BDG-K7M2QXZ"),
            replies::not_yours("BDG-K7M2QXZ"),
            replies::not_now("BDG-K7M2QXZ", "Diteruskan ke instansi terkait"),
            replies::reply_received("BDG-K7M2QXZ"),
            replies::dispute_received("BDG-K7M2QXZ"),
            replies::rate_limited(),
            replies::try_again(),
        ] {
            assert_eq!(
                split_sms(&text).len(),
                1,
                "{} chars: {text}",
                gsm7_len(&text)
            );
        }
        let long = status_text(
            "BDG-K7M2QXZ",
            "Tindak lanjut telah dipublikasikan",
            None,
            Some(&"Lubang sudah ditambal dengan aspal hotmix “sementara” 😀 ".repeat(6)),
        );
        let parts = split_sms(&long);
        assert!(parts.len() > 1 && parts.len() <= MAX_PARTS, "{parts:?}");
        for (i, part) in parts.iter().enumerate() {
            assert!(part.starts_with(&format!("({}/{}) ", i + 1, parts.len())));
            assert!(gsm7_len(part) <= SMS_LIMIT, "{part}");
            assert!(!part.contains('😀') && !part.contains('“'));
        }
    }

    #[test]
    fn titles_are_the_first_words() {
        assert_eq!(title_from_text("Jalan rusak"), "Jalan rusak");
        let long = "Jalan berlubang besar di depan sekolah dasar negeri Dago yang membahayakan pengendara motor";
        let title = title_from_text(long);
        assert!(
            title.ends_with("...") && title.chars().count() <= 60,
            "{title}"
        );
    }

    proptest! {
        #[test]
        fn any_bytes_are_some_command_and_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = parse_command(&text, "BDG");
        }

        #[test]
        fn any_text_is_some_command(text in "\\PC{0,300}") {
            let command = parse_command(&text, "BDG");
            if let SmsCommand::NewReport(body) = command {
                prop_assert!(!body.is_empty());
            }
        }

        #[test]
        fn any_reply_splits_into_gsm7_parts_within_the_limit(text in "\\PC{0,1200}") {
            let parts = split_sms(&text);
            prop_assert!(!parts.is_empty() && parts.len() <= MAX_PARTS);
            for part in parts {
                prop_assert!(gsm7_len(&part) <= SMS_LIMIT, "{}", part);
            }
        }
    }
}
