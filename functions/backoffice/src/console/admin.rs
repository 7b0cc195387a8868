//! The administration screens: the holiday calendar (`/konsol/kalender`: admins and
//! supervisors read it, admins confirm and change a year), the Open311 API keys
//! (`/konsol/kunci-api`: admins issue, see once, and revoke) and the responders' SMS
//! numbers (`/konsol/responder`: admins register and forget, supervisors read). The
//! same sequences as `/staff/calendar` and `/staff/open311/keys` (`crate::calendar`,
//! `crate::keys`) and as `make responder` (`crate::responders`).

use jiff::civil::Date;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use maud::html;
use sigap::domain::calendar::{DayOff, DayOffKind, HolidayData};
use sigap::http::ApiError;
use sigap::web::see_other;

use super::desk::short_time;
use super::session::Session;
use super::{Form, ROOT, page};
use crate::calendar::{STALE, YearBody, YearChange, change_year, current, history, parse_year};
use crate::keys::{SHOWN_ONCE, all, issue_key, revoke_key};
use crate::responders::{forget, listed, register};
use crate::{Backoffice, forbidden};

/// The calendar screen.
fn calendar_screen() -> String {
    format!("{ROOT}/kalender")
}

/// The API keys screen.
fn keys_screen() -> String {
    format!("{ROOT}/kunci-api")
}

/// How a day off's kind is written in the year's form.
fn kind_word(kind: DayOffKind) -> &'static str {
    match kind {
        DayOffKind::LiburNasional => "libur",
        DayOffKind::CutiBersama => "cuti",
    }
}

/// How a day off's kind is shown.
fn kind_label(kind: DayOffKind) -> &'static str {
    match kind {
        DayOffKind::LiburNasional => "Libur nasional",
        DayOffKind::CutiBersama => "Cuti bersama",
    }
}

/// A date as staff read it (day/month/year).
fn date_label(date: Date) -> String {
    date.strftime("%d/%m/%Y").to_string()
}

/// The year's days off as its form's lines: `date | libur or cuti | name`.
fn days_text(days: &[DayOff]) -> String {
    days.iter()
        .map(|d| format!("{} | {} | {}", d.date, kind_word(d.kind), d.name))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The days off an admin typed, one per line (`2027-03-20 | libur | Hari Raya Idul
/// Fitri`; `cuti` for cuti bersama), or what is wrong with which line.
pub(crate) fn parse_days(text: &str) -> Result<Vec<DayOff>, String> {
    let mut days = Vec::new();
    for (number, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())) {
        if line.is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.splitn(3, '|').map(str::trim).collect();
        let [date, kind, name] = parts[..] else {
            return Err(format!(
                "Baris {number}: tulis tanggal | libur atau cuti | nama, dipisah tanda |."
            ));
        };
        let date: Date = date
            .parse()
            .map_err(|_| format!("Baris {number}: tanggal harus ditulis TTTT-BB-HH."))?;
        let kind = match kind.to_lowercase().as_str() {
            "libur" => DayOffKind::LiburNasional,
            "cuti" => DayOffKind::CutiBersama,
            _ => return Err(format!("Baris {number}: jenisnya libur atau cuti.")),
        };
        if name.is_empty() || name.chars().count() > 200 {
            return Err(format!(
                "Baris {number}: nama hari libur wajib diisi (maksimal 200 karakter)."
            ));
        }
        days.push(DayOff {
            date,
            kind,
            name: name.to_string(),
        });
    }
    Ok(days)
}

/// `GET /konsol/kalender[?selesai=simpan]` (admins and supervisors): the years in
/// force with their days off, the years ahead still unconfirmed, the latest changes.
pub(crate) async fn calendar(
    app: &Backoffice,
    session: &Session,
    saved: bool,
) -> Result<Response<Body>, ApiError> {
    let staff = &session.staff;
    if !(staff.is_admin() || staff.is_supervisor()) {
        return Err(forbidden());
    }
    let (revision, data, _) = current(app).await?;
    let changes = history(app).await?;
    let unconfirmed = data.calendar().unconfirmed_ahead(app.clock.now());
    let body = html! {
        h1 { "Kalender hari libur" }
        @if saved { p.notice role="status" { "Kalender disimpan: tenggat yang dihitung sejak sekarang memakainya." } }
        p.meta { "Hari kerja adalah Senin sampai Jumat di luar hari libur nasional dan cuti bersama di bawah ini. "
            "Perubahan berlaku untuk tenggat yang dihitung sesudahnya; tenggat yang sudah berjalan tetap." }
        @if !unconfirmed.is_empty() {
            div.panel role="note" {
                p.problem { "Belum dikonfirmasi: "
                    @for (i, year) in unconfirmed.iter().enumerate() {
                        @if i > 0 { ", " }
                        (year)
                    }
                    ". Tenggat yang jatuh di tahun itu dihitung dari akhir pekan saja dan ditandai sementara." }
                @if staff.is_admin() {
                    p { @for year in &unconfirmed {
                        a href={(calendar_screen()) "/" (year)} { "Isi dan konfirmasi " (year) } " "
                    } }
                }
            }
        }
        p.meta { "Revisi " (revision) " (" (data.version) ")." }
        @for (year, days_off) in data.years.iter().rev() {
            section.panel aria-labelledby={"tahun-" (year)} {
                h2 id={"tahun-" (year)} { (year) }
                p.meta { "Dasar: " (days_off.source) }
                div.scroll role="region" aria-label={"Hari libur " (year)} tabindex="0" {
                    table {
                        caption { (days_off.days.len()) " hari libur dan cuti bersama" }
                        thead { tr {
                            th scope="col" { "Tanggal" }
                            th scope="col" { "Jenis" }
                            th scope="col" { "Nama" }
                        } }
                        tbody {
                            @for day in &days_off.days {
                                tr {
                                    td { (date_label(day.date)) }
                                    td { (kind_label(day.kind)) }
                                    td { (day.name) }
                                }
                            }
                        }
                    }
                }
                @if staff.is_admin() {
                    p { a href={(calendar_screen()) "/" (year)} { "Ubah " (year) } }
                }
            }
        }
        @if !changes.is_empty() {
            section aria-labelledby="riwayat" {
                h2 id="riwayat" { "Perubahan terakhir" }
                div.scroll role="region" aria-label="Riwayat kalender" tabindex="0" {
                    table {
                        thead { tr {
                            th scope="col" { "Revisi" }
                            th scope="col" { "Waktu" }
                            th scope="col" { "Oleh" }
                            th scope="col" { "Alasan" }
                        } }
                        tbody {
                            @for change in &changes {
                                tr {
                                    td { (change.revision) }
                                    td { (short_time(change.changed_at)) }
                                    td { (change.changed_by) }
                                    td { (change.reason) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(
        StatusCode::OK,
        Some(session),
        "Kalender hari libur",
        Some(&calendar_screen()),
        body,
        &[],
    ))
}

/// What the year's form shows: the days as lines, the decree, the reason, and the
/// revision the admin saw.
struct YearDraft {
    revision: u64,
    source: String,
    days: String,
    reason: String,
}

/// `GET /konsol/kalender/{year}` (admins): the year's form, filled with its days
/// off where it has them.
pub(crate) async fn year(
    app: &Backoffice,
    session: &Session,
    raw_year: &str,
) -> Result<Response<Body>, ApiError> {
    if !session.staff.is_admin() {
        return Err(forbidden());
    }
    let year = parse_year(raw_year)?;
    let (revision, data, _) = current(app).await?;
    let draft = draft_of(&data, year, revision);
    Ok(year_page(session, year, &draft, None, StatusCode::OK))
}

fn draft_of(data: &HolidayData, year: i16, revision: u64) -> YearDraft {
    let known = data.years.get(&year);
    YearDraft {
        revision,
        source: known.map(|y| y.source.clone()).unwrap_or_default(),
        days: known.map(|y| days_text(&y.days)).unwrap_or_default(),
        reason: String::new(),
    }
}

/// `POST /konsol/kalender/{year}` (admins): the year saved and confirmed, back to the
/// calendar; or the form again with why not (a line, a missing reason, another
/// admin's change since the form was opened).
pub(crate) async fn save_year(
    app: &Backoffice,
    session: &Session,
    raw_year: &str,
    form: &Form,
) -> Result<Response<Body>, ApiError> {
    if !session.staff.is_admin() {
        return Err(forbidden());
    }
    let year = parse_year(raw_year)?;
    let seen: u64 = form
        .get("revisi")
        .and_then(|r| r.parse().ok())
        .ok_or_else(|| ApiError::invalid("Revisi kalender tidak sah. Muat ulang halamannya."))?;
    let draft = YearDraft {
        revision: seen,
        source: form.get("sumber").unwrap_or_default().to_string(),
        days: form.get("hari").unwrap_or_default().to_string(),
        reason: form.get("alasan").unwrap_or_default().to_string(),
    };
    let refused =
        |status: StatusCode, why: String| Ok(year_page(session, year, &draft, Some(why), status));
    let days = match parse_days(&draft.days) {
        Ok(days) => days,
        Err(why) => return refused(StatusCode::UNPROCESSABLE_ENTITY, why),
    };
    let body = YearBody {
        source: draft.source.clone(),
        days,
        reason: draft.reason.clone(),
    };
    match change_year(app, &session.staff, year, body, Some(seen)).await {
        Ok(YearChange::Saved) => Ok(see_other(
            &format!("{}?selesai=simpan#tahun-{year}", calendar_screen()),
            &[],
        )),
        Ok(YearChange::Stale) => refused(StatusCode::CONFLICT, STALE.to_string()),
        Err(error) if error.status == StatusCode::UNPROCESSABLE_ENTITY => {
            refused(error.status, error.message)
        }
        Err(error) => Err(error),
    }
}

fn year_page(
    session: &Session,
    year: i16,
    draft: &YearDraft,
    problem: Option<String>,
    status: StatusCode,
) -> Response<Body> {
    let action = format!("{}/{year}", calendar_screen());
    let body = html! {
        h1 { "Hari libur " (year) }
        p { a href=(calendar_screen()) { "Kembali ke kalender" } }
        section.panel aria-labelledby="ubah-tahun" {
            h2 id="ubah-tahun" { "Isi dan konfirmasi " (year) }
            p.meta { "Satu hari per baris: tanggal | libur atau cuti | nama. Contoh: "
                code { (year) "-08-17 | libur | Hari Kemerdekaan RI" } ". "
                "Menyimpan berarti tahun ini dikonfirmasi: tenggat di tahun ini tidak lagi sementara." }
            @if let Some(problem) = &problem { p.problem role="alert" { (problem) } }
            form method="post" action=(action) {
                input type="hidden" name="csrf" value=(session.csrf_token());
                input type="hidden" name="revisi" value=(draft.revision);
                label for="sumber" { "Dasar hukum (SKB)" }
                input type="text" id="sumber" name="sumber" maxlength="500" required value=(draft.source);
                label for="hari" { "Hari libur dan cuti bersama" }
                textarea id="hari" name="hari" rows="16" { (draft.days) }
                label for="alasan" { "Alasan perubahan" }
                input type="text" id="alasan" name="alasan" maxlength="500" required value=(draft.reason);
                p { button type="submit" { "Simpan dan konfirmasi " (year) } }
            }
        }
    };
    page(
        status,
        Some(session),
        &format!("Hari libur {year}"),
        Some(&calendar_screen()),
        body,
        &[],
    )
}

/// `GET /konsol/kunci-api[?selesai=cabut]` (admins): every key and the form for a
/// new one.
pub(crate) async fn keys(
    app: &Backoffice,
    session: &Session,
    revoked: bool,
) -> Result<Response<Body>, ApiError> {
    keys_page(
        app,
        session,
        if revoked {
            Notice::Revoked
        } else {
            Notice::None
        },
    )
    .await
}

/// `POST /konsol/kunci-api` (admins): a new key, shown on this answer only.
pub(crate) async fn issue(
    app: &Backoffice,
    session: &Session,
    form: &Form,
) -> Result<Response<Body>, ApiError> {
    let (key, whole) = issue_key(app, &session.staff, form.get("nama").unwrap_or_default()).await?;
    keys_page(
        app,
        session,
        Notice::Issued {
            name: key.name,
            whole,
        },
    )
    .await
}

/// `POST /konsol/kunci-api/{id}/cabut` (admins): the key revoked, back to the list.
pub(crate) async fn revoke(
    app: &Backoffice,
    session: &Session,
    id: &str,
) -> Result<Response<Body>, ApiError> {
    revoke_key(app, &session.staff, id).await?;
    Ok(see_other(&format!("{}?selesai=cabut", keys_screen()), &[]))
}

/// What the keys screen says on top.
enum Notice {
    None,
    Revoked,
    /// A new key: its holder's name and the whole key, shown this once.
    Issued {
        name: String,
        whole: String,
    },
}

async fn keys_page(
    app: &Backoffice,
    session: &Session,
    notice: Notice,
) -> Result<Response<Body>, ApiError> {
    let keys = all(app, &session.staff).await?;
    let csrf = session.csrf_token();
    let body = html! {
        h1 { "Kunci API Open311" }
        p.meta { "Aplikasi lain (kanal pengaduan mitra, aplikasi kecamatan) mengirim laporan lewat Open311 "
            "dengan kunci ini. Kunci yang dicabut langsung ditolak." }
        @match &notice {
            Notice::Revoked => p.notice role="status" { "Kunci dicabut." },
            Notice::Issued { name, whole } => div.panel role="status" {
                p.notice { "Kunci untuk " (name) ": " }
                p { code.secret { (whole) } }
                p.problem { (SHOWN_ONCE) }
            },
            Notice::None => {},
        }
        @if keys.is_empty() {
            p.panel { "Belum ada kunci." }
        } @else {
            div.scroll role="region" aria-label="Daftar kunci" tabindex="0" {
                table {
                    caption { (keys.len()) " kunci, terbaru dahulu" }
                    thead { tr {
                        th scope="col" { "Kunci" }
                        th scope="col" { "Pemakai" }
                        th scope="col" { "Dibuat" }
                        th scope="col" { "Status" }
                        th scope="col" { "Tindakan" }
                    } }
                    tbody {
                        @for key in &keys {
                            tr {
                                th scope="row" { code { (key.id) } }
                                td { (key.name) }
                                td { (short_time(key.created_at)) }
                                td {
                                    @match key.revoked_at {
                                        Some(at) => { "Dicabut " (short_time(at)) }
                                        None => { "Aktif" }
                                    }
                                }
                                td {
                                    @if key.revoked_at.is_none() {
                                        form method="post" action={(keys_screen()) "/" (key.id) "/cabut"} {
                                            input type="hidden" name="csrf" value=(csrf);
                                            button.danger type="submit" aria-label={ "Cabut kunci " (key.name) } { "Cabut" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.panel aria-labelledby="kunci-baru" {
            h2 id="kunci-baru" { "Kunci baru" }
            form method="post" action=(keys_screen()) {
                input type="hidden" name="csrf" value=(csrf);
                label for="nama-kunci" { "Untuk siapa" }
                input type="text" id="nama-kunci" name="nama" maxlength="100" required;
                p { button type="submit" { "Buat kunci" } }
            }
        }
    };
    Ok(page(
        StatusCode::OK,
        Some(session),
        "Kunci API Open311",
        Some(&keys_screen()),
        body,
        &[],
    ))
}

/// The responders' numbers screen.
fn responders_screen() -> String {
    format!("{ROOT}/responder")
}

/// `GET /konsol/responder[?selesai=hapus]` (admins and supervisors): every number
/// registered for SMS acks, masked, by unit; admins register and forget them.
pub(crate) async fn responders(
    app: &Backoffice,
    session: &Session,
    forgotten: bool,
) -> Result<Response<Body>, ApiError> {
    let notice =
        forgotten.then(|| "Nomor dihapus: balasan SMS-nya tidak lagi diterima.".to_string());
    responders_page(app, session, notice, None, StatusCode::OK).await
}

/// `POST /konsol/responder` (admins): the number registered for the unit, shown
/// on the list; or the list again with why not.
pub(crate) async fn register_responder(
    app: &Backoffice,
    session: &Session,
    form: &Form,
) -> Result<Response<Body>, ApiError> {
    let (phone, unit) = (
        form.get("nomor").unwrap_or_default(),
        form.get("unit").unwrap_or_default(),
    );
    match register(app, &session.staff, phone, unit).await {
        Ok(masked) => {
            let notice = format!(
                "{masked} terdaftar untuk unit {unit}: balasan SMS 1 <kode> darinya diterima."
            );
            responders_page(app, session, Some(notice), None, StatusCode::OK).await
        }
        Err(error) if error.status.is_client_error() && error.status != StatusCode::FORBIDDEN => {
            responders_page(app, session, None, Some(error.message), error.status).await
        }
        Err(error) => Err(error),
    }
}

/// `POST /konsol/responder/{hash}/hapus` (admins): the number forgotten, back to the
/// list.
pub(crate) async fn forget_responder(
    app: &Backoffice,
    session: &Session,
    hash: &str,
) -> Result<Response<Body>, ApiError> {
    forget(app, &session.staff, hash).await?;
    Ok(see_other(
        &format!("{}?selesai=hapus", responders_screen()),
        &[],
    ))
}

async fn responders_page(
    app: &Backoffice,
    session: &Session,
    notice: Option<String>,
    problem: Option<String>,
    status: StatusCode,
) -> Result<Response<Body>, ApiError> {
    let staff = &session.staff;
    let numbers = listed(app, staff).await?;
    let csrf = session.csrf_token();
    let body = html! {
        h1 { "Nomor SMS responder" }
        p.meta { "Responder mengambil alih panggilan darurat dengan membalas SMS " code { "1 <kode>" }
            " dari nomor yang terdaftar untuk unitnya. Nomor hanya disimpan tersamar; hapus nomor "
            "pada hari pemiliknya keluar dari unit." }
        @if let Some(notice) = &notice { p.notice role="status" { (notice) } }
        @if numbers.is_empty() {
            p.panel { "Belum ada nomor terdaftar." }
        } @else {
            div.scroll role="region" aria-label="Nomor responder" tabindex="0" {
                table {
                    caption { (numbers.len()) " nomor, per unit" }
                    thead { tr {
                        th scope="col" { "Unit" }
                        th scope="col" { "Nomor" }
                        th scope="col" { "Didaftarkan" }
                        @if staff.is_admin() { th scope="col" { "Tindakan" } }
                    } }
                    tbody {
                        @for number in &numbers {
                            tr {
                                td { (number.unit) }
                                th scope="row" { (number.masked) }
                                td { (short_time(number.at)) " · " (number.by) }
                                @if staff.is_admin() {
                                    td {
                                        form method="post" action={(responders_screen()) "/" (number.hash) "/hapus"} {
                                            input type="hidden" name="csrf" value=(csrf);
                                            button.danger type="submit" aria-label={ "Hapus nomor " (number.masked) " dari " (number.unit) } { "Hapus" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if staff.is_admin() {
            section.panel aria-labelledby="nomor-baru" {
                h2 id="nomor-baru" { "Daftarkan nomor" }
                @if let Some(problem) = &problem { p.problem role="alert" { (problem) } }
                form method="post" action=(responders_screen()) {
                    input type="hidden" name="csrf" value=(csrf);
                    label for="nomor" { "Nomor HP responder" }
                    input type="tel" id="nomor" name="nomor" autocomplete="off" inputmode="tel" required;
                    label for="unit" { "Unit (seperti grup responder:<unit>, misalnya damkar-karees)" }
                    input type="text" id="unit" name="unit" maxlength="64" required;
                    p { button type="submit" { "Daftarkan" } }
                }
            }
        }
    };
    Ok(page(
        status,
        Some(session),
        "Nomor SMS responder",
        Some(&responders_screen()),
        body,
        &[],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_years_lines_read_back_as_written_and_a_bad_line_is_named() {
        let days = parse_days(
            "2027-08-17 | libur | Hari Kemerdekaan RI\n\n  2027-12-24|CUTI|Cuti bersama Natal  \n",
        )
        .unwrap();
        assert_eq!(days.len(), 2);
        assert_eq!(days[1].kind, DayOffKind::CutiBersama);
        assert_eq!(days[1].name, "Cuti bersama Natal");
        assert_eq!(parse_days(&days_text(&days)).unwrap(), days);
        assert_eq!(parse_days("").unwrap(), vec![]);
        for (text, says) in [
            ("2027-08-17 libur Kemerdekaan", "Baris 1: tulis"),
            ("x\n17-08-2027 | libur | Kemerdekaan", "Baris 1: tulis"),
            (
                "2027-08-17 | libur | Kemerdekaan\n17-08-2027 | libur | Lagi",
                "Baris 2: tanggal",
            ),
            ("2027-08-17 | mogok | Kemerdekaan", "Baris 1: jenisnya"),
            ("2027-08-17 | libur | ", "Baris 1: nama"),
        ] {
            let refused = parse_days(text).unwrap_err();
            assert!(refused.starts_with(says), "{text:?}: {refused}");
        }
    }
}
