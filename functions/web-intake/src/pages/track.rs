//! `GET /lacak`, `GET /laporan/{id}` and the reporter's forms on it
//! (`POST /laporan/{id}/{action}`): the report's status in words, its deadlines in
//! working days, the timeline, the agencies' follow-ups with their photos.
//!
//! The reporter is known by the `pelapor` cookie (set on the receipt, or by typing
//! the reporter code once); the public page is the JSON API's public view.

use jiff::Timestamp;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use maud::{Markup, html};
use sigap::domain::calendar::wib;
use sigap::domain::photo::PhotoPurpose;
use sigap::domain::report::{Report, ReportAction, ReportStatus, allows};
use sigap::domain::tracking_id::TrackingId;
use sigap::domain::triage::{EMERGENCY_ADVICE, detect_emergency};
use sigap::http::ApiError;
use sigap::service::photos::UploaderPhoto;

use super::report_form::reporter_cookie;
use super::{
    Caching, Lang, cookie, form_pairs, html, layout, origins, photo_upload, same_site_post,
    see_other,
};
use crate::{
    CitizenBody, PublicReportBody, WebIntake, act, as_reporter, citizen_command, public_view,
};

/// `GET /lacak?id=…`: on to the report's page; without an id, the form.
pub(crate) fn find(request: &Request, lang: Lang) -> Result<Response<Body>, ApiError> {
    let typed = sigap::web::query(request, "id").map(|raw| raw.trim().to_uppercase());
    let error = match typed.as_deref().map(TrackingId::parse) {
        Some(Ok(id)) => return Ok(see_other(&format!("/laporan/{id}"), &[])),
        Some(Err(_)) => Some(lang.t(
            "Nomor laporan tidak dikenali. Contoh: BDG-K7M2QX (lihat SMS atau tanda terima Anda).",
            "That report number is not recognised. Example: BDG-K7M2QX (see your SMS or receipt).",
        )),
        None => None,
    };
    let body = html! {
        h1 { (lang.t("Lacak laporan", "Track a report")) }
        form.track method="get" action="/lacak" novalidate {
            label for="nomor" { (lang.t("Nomor laporan", "Report number")) }
            @if let Some(error) = error {
                p.field-error id="galat-nomor" { (error) }
            }
            input id="nomor" name="id" type="text" autocomplete="off" autocapitalize="characters"
                placeholder="BDG-K7M2QX" value=(typed.unwrap_or_default())
                aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| "galat-nomor")];
            button type="submit" { (lang.t("Lacak", "Track")) }
        }
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(html(
        status,
        layout::page(lang, lang.t("Lacak laporan", "Track a report"), body),
        Caching::Revalidate,
        &[],
    ))
}

/// The report's page: the public view, and for its reporter their forms (and, for
/// a confidential report, which has no public view, the reporter's view only).
pub(crate) async fn page(
    app: &WebIntake,
    request: &Request,
    raw_id: &str,
    lang: Lang,
) -> Result<Response<Body>, ApiError> {
    let id = parse_id(raw_id)?;
    let reporter = match cookie(request, "pelapor") {
        Some(token) => as_reporter(app, &id, &token).await.ok(),
        None => None,
    };
    let view = match public_view(app, &id, None).await {
        Ok(view) => Some(view),
        Err(not_found) if not_found.status == StatusCode::NOT_FOUND && reporter.is_some() => None,
        Err(refused) => return Err(refused),
    };
    let received = sigap::web::query(request, "diterima").is_some();
    let done = sigap::web::query(request, "terkirim");
    // The reporter follows each photo of the problem (the agencies' are with their
    // follow-ups): being checked, accepted, or refused and why.
    let uploaded = match &reporter {
        Some(report) => app
            .photos
            .for_uploader(report)
            .await
            .map_err(|e| ApiError::unavailable_because("linking photos", e))?
            .into_iter()
            .filter(|p| p.purpose == PhotoPurpose::Evidence)
            .collect(),
        None => Vec::new(),
    };
    let shown = view.iter().flat_map(|v| v.photos.iter().map(|p| &p.links));
    let own = uploaded.iter().filter_map(|p| p.links.as_ref());
    let photo_origins = origins(shown.chain(own).map(|l| l.thumbnail_url.as_str()));
    let title = format!("{} {id}", lang.t("Laporan", "Report"));
    let body = html! {
        @if let (true, Some(report)) = (received, &reporter) {
            (receipt(app, lang, report, cookie(request, "pelapor").unwrap_or_default().as_str()))
        }
        @if let Some(action) = done {
            p.notice role="status" { (sent_notice(lang, action)) }
        }
        h1 { (lang.t("Laporan", "Report")) " " span.id { (id) } }
        @match (&view, &reporter) {
            (Some(view), _) => (public_part(lang, view)),
            (None, Some(report)) => (confidential_part(lang, report)),
            (None, None) => {},
        }
        @match &reporter {
            Some(report) => (reporter_forms(lang, report, &uploaded)),
            None => (sign_in_form(lang, &id)),
        }
    };
    // The reporter's view and the receipt are never stored by a browser or a cache.
    let caching = if reporter.is_some() {
        Caching::Private
    } else {
        Caching::Revalidate
    };
    Ok(html(
        StatusCode::OK,
        layout::page(lang, &title, body),
        caching,
        &photo_origins,
    ))
}

/// A reporter's form: `masuk` (the reporter code, once, to set the cookie), `keluar`
/// (forget it on this phone), or an action on the report (`info`, `reply`, `rating`,
/// `accept`, `dispute`) through the API's own `act`, or `foto`: the form that sends a
/// photo to the bucket (`photo_upload`).
pub(crate) async fn post(
    app: &WebIntake,
    request: &Request,
    raw_id: &str,
    action: &str,
    lang: Lang,
) -> Result<Response<Body>, ApiError> {
    same_site_post(request)?;
    let id = parse_id(raw_id)?;
    let pairs = form_pairs(request)?;
    let field = |name: &str| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let here = format!("/laporan/{id}");
    match action {
        "masuk" => {
            let token = field("kode").unwrap_or_default();
            as_reporter(app, &id, &token).await?;
            return Ok(see_other(&here, &[reporter_cookie(id.as_str(), &token)]));
        }
        "keluar" => {
            return Ok(see_other(
                &here,
                &[format!(
                    "pelapor=; Path={here}; Max-Age=0; HttpOnly; Secure; SameSite=Strict"
                )],
            ));
        }
        _ => {}
    }
    let token = cookie(request, "pelapor").ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "reporter_token_required",
            "Masukkan kode pelapor Anda dulu di halaman laporan.",
        )
    })?;
    if action == "foto" {
        return photo_upload::page(app, request, &id, &token, lang).await;
    }
    let body = CitizenBody {
        text: field("text"),
        reason: field("reason"),
        score: match field("score") {
            Some(score) => Some(
                score
                    .parse()
                    .map_err(|_| ApiError::invalid("Pilih nilai 1 sampai 5."))?,
            ),
            None => None,
        },
        comment: field("comment"),
    };
    let command = citizen_command(action, &body)?;
    act(app, &id, &token, &command).await?;
    Ok(see_other(&format!("{here}?terkirim={action}"), &[]))
}

/// A tracking id as typed in a link (any case); 404 for anything else, as the API.
fn parse_id(raw: &str) -> Result<TrackingId, ApiError> {
    TrackingId::parse(&raw.to_uppercase())
        .map_err(|_| ApiError::not_found("Laporan tidak ditemukan."))
}

/// The receipt, right after filing: the number in large type, the first deadline,
/// and the private link (its code in the fragment, which no request carries).
fn receipt(app: &WebIntake, lang: Lang, report: &Report, token: &str) -> Markup {
    let emergency = detect_emergency(
        &format!("{}\n{}", report.title, report.description),
        &app.rules,
    )
    .is_some();
    let private_link = format!("/laporan/{}#kode={token}", report.id);
    html! {
        section.receipt aria-labelledby="tanda-terima" {
            h2 id="tanda-terima" { (lang.t("Laporan diterima", "Report received")) }
            @if emergency {
                p.urgent role="alert" { (EMERGENCY_ADVICE) }
            }
            p { (lang.t("Nomor laporan Anda:", "Your report number:")) }
            p.tracking-id { (report.id) }
            @if let Some(clock) = report.clock {
                p {
                    (lang.t("Admin memverifikasi paling lambat ", "An administrator verifies it by "))
                    strong { (in_words(clock.due_at, lang)) }
                    @if clock.provisional { " " (provisional(lang)) }
                    "."
                }
            }
            p {
                (lang.t("Kode pelapor (rahasia, untuk menjawab dan menilai): ", "Reporter code (secret, to answer and rate): "))
                code.token { (token) }
            }
            p {
                (lang.t(
                    "Ponsel ini sudah mengingat Anda sebagai pelapor. Dari ponsel lain, buka tautan pribadi ini atau masukkan kodenya. Jangan bagikan keduanya.",
                    "This phone now remembers you as the reporter. On another phone, open this private link or enter the code. Share neither.",
                ))
            }
            p { a href=(private_link) rel="nofollow" { (lang.t("Tautan pribadi laporan ini", "This report's private link")) } }
        }
    }
}

/// The public part: status, deadlines, text, follow-ups with photos, timeline.
fn public_part(lang: Lang, view: &PublicReportBody) -> Markup {
    let evidence: Vec<_> = view
        .photos
        .iter()
        .filter(|p| p.purpose == PhotoPurpose::Evidence)
        .collect();
    html! {
        p.status { (lang.t("Status: ", "Status: ")) strong { (status_words(view.status, lang)) } }
        (deadlines(lang, &view.deadlines))
        @if let Some(title) = &view.title {
            h2 { (title) }
            @if let Some(category) = &view.category {
                p.meta { (category.name.as_deref().unwrap_or(&category.code)) }
            }
            @if let Some(location) = &view.location {
                p.meta {
                    (location.address.as_deref().unwrap_or_default())
                    @if let Some(kecamatan) = &location.kecamatan {
                        @if location.address.is_some() { ", " }
                        "Kec. " (kecamatan.name)
                    }
                }
            }
            @for line in view.description.as_deref().unwrap_or_default().lines().filter(|l| !l.trim().is_empty()) {
                p { (line) }
            }
            (photos(lang, evidence.iter().copied()))
        } @else {
            p {
                (lang.t(
                    "Isi laporan tampil setelah admin memverifikasinya.",
                    "The report's text is shown once an administrator has verified it.",
                ))
            }
        }
        @if !view.follow_ups.is_empty() {
            h2 { (lang.t("Tindak lanjut", "Follow-up")) }
            @for follow_up in &view.follow_ups {
                article.follow-up {
                    h3 { (follow_up.agency_name.as_deref().unwrap_or(&follow_up.agency)) }
                    p.meta { (rfc3339_in_words(&follow_up.at, lang)) }
                    p { (follow_up.text) }
                    (photos(lang, view.photos.iter().filter(|p| matches!(&p.purpose, PhotoPurpose::FollowUp { agency } if *agency == follow_up.agency))))
                }
            }
        }
        @if let Some(rating) = &view.rating {
            p { (lang.t("Penilaian pelapor: ", "Reporter's rating: ")) (rating.score) "/5"
                @if let Some(comment) = &rating.comment { " — " (comment) } }
        }
        @if !view.timeline.is_empty() {
            h2 { (lang.t("Riwayat", "History")) }
            ol.timeline {
                @for entry in &view.timeline {
                    li {
                        span.meta { (rfc3339_in_words(&entry.at, lang)) " · " (entry.by) }
                        br;
                        (status_words(entry.status, lang))
                        @if let Some(note) = &entry.note { ": " (note) }
                    }
                }
            }
        }
    }
}

/// A confidential report, shown to its reporter only: no public view exists.
fn confidential_part(lang: Lang, report: &Report) -> Markup {
    html! {
        p.status { (lang.t("Status: ", "Status: ")) strong { (status_words(report.status, lang)) } }
        p { (lang.t("Laporan rahasia: hanya Anda, admin dan instansi yang menangani yang dapat melihatnya.",
                    "Confidential report: only you, the administrators and the agency handling it can see it.")) }
        @if let Some(clock) = report.clock {
            p { (lang.t("Batas waktu berikutnya: ", "Next deadline: ")) strong { (in_words(clock.due_at, lang)) } }
        }
    }
}

/// Every running deadline with its working days left.
fn deadlines(lang: Lang, deadlines: &[sigap::domain::sla::DeadlineView]) -> Markup {
    html! {
        @if !deadlines.is_empty() {
            ul.deadlines {
                @for deadline in deadlines {
                    li class=[deadline.breached.then_some("breached")] {
                        (deadline.stage_label) ": " strong { (rfc3339_in_words(&deadline.due_at, lang)) }
                        " — " (days_left(deadline.working_days_left, deadline.breached, lang))
                        @if deadline.provisional { " " (provisional(lang)) }
                    }
                }
            }
        }
    }
}

/// "3 hari kerja lagi", "hari ini batasnya", "terlambat 2 hari kerja".
fn days_left(days: i32, breached: bool, lang: Lang) -> String {
    match (lang, days) {
        (Lang::Id, _) if breached => format!("terlambat {} hari kerja", days.unsigned_abs().max(1)),
        (Lang::En, _) if breached => {
            format!("late by {} working day(s)", days.unsigned_abs().max(1))
        }
        (Lang::Id, 0) => "batasnya hari ini".into(),
        (Lang::En, 0) => "due today".into(),
        (Lang::Id, n) => format!("{n} hari kerja lagi"),
        (Lang::En, 1) => "1 working day left".into(),
        (Lang::En, n) => format!("{n} working days left"),
    }
}

fn provisional(lang: Lang) -> &'static str {
    lang.t(
        "(sementara: kalender libur tahun itu belum ditetapkan)",
        "(provisional: that year's holidays are not yet confirmed)",
    )
}

/// The reporter's forms the report's state allows.
fn reporter_forms(lang: Lang, report: &Report, uploaded: &[UploaderPhoto]) -> Markup {
    let here = format!("/laporan/{}", report.id);
    let status = report.status;
    let answering = status == ReportStatus::NeedsInfo;
    html! {
        section.reporter aria-labelledby="untuk-pelapor" {
            h2 id="untuk-pelapor" { (lang.t("Untuk Anda sebagai pelapor", "For you as the reporter")) }
            @if allows(status, ReportAction::ProvideInfo) || allows(status, ReportAction::Reply) {
                form method="post" action={ (here) "/info" } {
                    label for="info-text" {
                        @if answering {
                            (lang.t("Admin meminta informasi tambahan. Jawaban Anda:", "The administrator asked for more information. Your answer:"))
                        } @else {
                            (lang.t("Tambahkan informasi atau balasan", "Add information or a reply"))
                        }
                    }
                    textarea id="info-text" name="text" rows="4" maxlength="2000" required {}
                    button type="submit" { (lang.t("Kirim", "Send")) }
                }
            }
            @if !uploaded.is_empty() {
                h3 { (lang.t("Foto Anda", "Your photos")) }
                ul.photos {
                    @for photo in uploaded {
                        li {
                            @if let Some(links) = &photo.links {
                                img src=(links.thumbnail_url) loading="lazy" width="160"
                                    alt=(lang.t("Foto Anda", "Your photo"));
                            }
                            span.meta { (photo_state(photo, lang)) }
                            @if let Some(reason) = &photo.refusal { br; span.meta { (reason) } }
                        }
                    }
                }
            }
            @if allows(status, ReportAction::AddPhoto) {
                form method="post" action={ (here) "/foto" } {
                    p.hint { (lang.t("Punya foto masalahnya? Foto membantu instansi menemukan dan menilai masalah.", "Have a photo of the problem? It helps the agency find and judge it.")) }
                    button type="submit" { (lang.t("Tambah foto", "Add a photo")) }
                }
            }
            @if allows(status, ReportAction::Rate) {
                form method="post" action={ (here) "/rating" } {
                    fieldset {
                        legend { (lang.t("Seberapa puas Anda dengan tindak lanjutnya?", "How satisfied are you with the follow-up?")) }
                        div.scale {
                            @for score in 1..=5u8 {
                                span.check {
                                    input type="radio" id={ "nilai-" (score) } name="score" value=(score) required;
                                    label for={ "nilai-" (score) } { (score) }
                                }
                            }
                        }
                        p.hint { (lang.t("1 = sangat tidak puas, 5 = sangat puas", "1 = very dissatisfied, 5 = very satisfied")) }
                    }
                    label for="rating-comment" { (lang.t("Komentar (tidak wajib)", "Comment (optional)")) }
                    textarea id="rating-comment" name="comment" rows="2" maxlength="1000" {}
                    button type="submit" { (lang.t("Kirim penilaian", "Send rating")) }
                }
            }
            @if allows(status, ReportAction::Accept) {
                form method="post" action={ (here) "/accept" } {
                    p { (lang.t("Masalahnya sudah beres?", "Is the problem solved?")) }
                    button type="submit" { (lang.t("Ya, selesai", "Yes, close the report")) }
                }
            }
            @if allows(status, ReportAction::Dispute) {
                form method="post" action={ (here) "/dispute" } {
                    label for="dispute-reason" { (lang.t("Belum beres? Jelaskan apa yang kurang, laporan dibuka kembali:", "Not solved? Say what is missing and the report reopens:")) }
                    textarea id="dispute-reason" name="reason" rows="3" maxlength="2000" required {}
                    button type="submit" { (lang.t("Buka kembali laporan", "Reopen the report")) }
                }
            }
            form method="post" action={ (here) "/keluar" } {
                button.link type="submit" { (lang.t("Lupakan saya di ponsel ini", "Forget me on this phone")) }
            }
        }
    }
}

/// For the reporter on another phone: the code from the receipt, once.
fn sign_in_form(lang: Lang, id: &TrackingId) -> Markup {
    html! {
        details.reporter {
            summary { (lang.t("Anda pelapornya?", "Are you the reporter?")) }
            form method="post" action={ "/laporan/" (id) "/masuk" } id="masuk" {
                label for="kode" { (lang.t("Kode pelapor dari tanda terima", "Reporter code from the receipt")) }
                input id="kode" name="kode" type="password" autocomplete="off" required;
                button type="submit" { (lang.t("Masuk sebagai pelapor", "Continue as the reporter")) }
            }
        }
    }
}

/// Thumbnails linking to the display copy.
fn photos<'a>(
    lang: Lang,
    list: impl Iterator<Item = &'a sigap::service::photos::ShownPhoto>,
) -> Markup {
    html! {
        ul.photos {
            @for photo in list {
                li {
                    a href=(photo.links.url) {
                        img src=(photo.links.thumbnail_url) loading="lazy" width="160"
                            alt=(lang.t("Foto laporan", "Report photo"));
                    }
                }
            }
        }
    }
}

/// A photo's state in the page's language.
fn photo_state(photo: &UploaderPhoto, lang: Lang) -> &'static str {
    match (photo.state, lang) {
        (_, Lang::Id) => photo.state_label,
        ("ready", Lang::En) => "Photo accepted",
        ("refused", Lang::En) => "Photo refused",
        (_, Lang::En) => "Waiting for the upload, or being checked",
    }
}

/// What a reporter's form did, said back to them.
fn sent_notice(lang: Lang, action: &str) -> &'static str {
    match action {
        "rating" => lang.t(
            "Terima kasih, penilaian Anda tersimpan.",
            "Thank you, your rating is saved.",
        ),
        "accept" => lang.t(
            "Laporan ditutup. Terima kasih.",
            "The report is closed. Thank you.",
        ),
        "dispute" => lang.t(
            "Laporan dibuka kembali dan diteruskan lagi ke instansi.",
            "The report is reopened and goes back to the agency.",
        ),
        "foto" => lang.t(
            "Foto terkirim. Foto diperiksa dulu, lalu tampil setelah laporan diverifikasi.",
            "Photo sent. It is checked first, then shown once the report is verified.",
        ),
        _ => lang.t("Pesan Anda terkirim.", "Your message was sent."),
    }
}

/// A status in words, in the page's language.
pub(crate) fn status_words(status: ReportStatus, lang: Lang) -> &'static str {
    use ReportStatus as S;
    match lang {
        Lang::Id => status.label(),
        Lang::En => match status {
            S::Received => "Report received",
            S::PendingVerification => "Waiting for an administrator to verify it",
            S::NeedsInfo => "On hold: waiting for more information from the reporter",
            S::Dispatched => "Passed to the agency responsible",
            S::InProgress => "Being handled by the agency",
            S::Responded => "Follow-up published",
            S::Closed => "Closed",
            S::Archived => "Archived",
            S::Duplicate => "Merged into another report",
        },
    }
}

const DAYS_ID: [&str; 7] = [
    "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu",
];
const DAYS_EN: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS_ID: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The name of month `index` (0 is January).
pub(crate) fn month_name(index: usize, lang: Lang) -> &'static str {
    let names = match lang {
        Lang::Id => &MONTHS_ID,
        Lang::En => &MONTHS_EN,
    };
    names[index.min(11)]
}

/// "Senin, 7 Desember 2026 pukul 23.59 WIB".
pub(crate) fn in_words(at: Timestamp, lang: Lang) -> String {
    let local = at.to_zoned(wib());
    let day = local.weekday().to_monday_zero_offset() as usize;
    let month = (local.month() - 1) as usize;
    match lang {
        Lang::Id => format!(
            "{}, {} {} {} pukul {:02}.{:02} WIB",
            DAYS_ID[day],
            local.day(),
            MONTHS_ID[month],
            local.year(),
            local.hour(),
            local.minute()
        ),
        Lang::En => format!(
            "{}, {} {} {} at {:02}:{:02} WIB",
            DAYS_EN[day],
            local.day(),
            MONTHS_EN[month],
            local.year(),
            local.hour(),
            local.minute()
        ),
    }
}

/// [`in_words`] for an instant the views hold as RFC 3339.
fn rfc3339_in_words(at: &str, lang: Lang) -> String {
    at.parse::<Timestamp>()
        .map(|t| in_words(t, lang))
        .unwrap_or_else(|_| at.to_string())
}
