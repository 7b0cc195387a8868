//! The verification desk and the report page: the admin's queue (emergencies first,
//! then by deadline), and one report as the signed-in role may see it, with the
//! actions that role may take as plain forms. Every action goes through
//! `crate::perform`, the JSON API's own sequence.

use jiff::Timestamp;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use maud::{Markup, html};
use sigap::adapters::reports::{QUEUE_NEEDS_INFO, QUEUE_VERIFY, ReportFile};
use sigap::adapters::roster::RosterEntry;
use sigap::domain::calendar::{WorkingCalendar, wib};
use sigap::domain::catalog::{Agency, Category, TemplateUse};
use sigap::domain::location::{Coordinates, all_kecamatan};
use sigap::domain::pii::find_pii;
use sigap::domain::report::{Assignment, AssignmentStatus, Channel, Officer, Report, ReportStatus};
use sigap::domain::sla::deadline_views;
use sigap::domain::staff::{Staff, may_see_identity};
use sigap::domain::tracking_id::TrackingId;
use sigap::domain::triage::DuplicateCandidate;
use sigap::domain::workflow::ArchiveReason;
use sigap::http::ApiError;
use sigap::web::map::MapTiles;
use sigap::web::{origins, query, see_other};

use super::layout::{Extras, map_area};
use super::session::Session;
use super::templates::{self, picked_text, picker};
use super::{Form, ROOT, page, page_with};
use crate::senders::block_phone;
use crate::{Acted, ActionBody, Backoffice, QUEUE_PAGE, forbidden, load, perform, require_admin};

/// Every archive reason, in the order the form lists them.
/// The sender's other reports a report page lists.
const SENDER_REPORTS: i32 = 10;

const ARCHIVE_REASONS: [ArchiveReason; 7] = [
    ArchiveReason::FormatTidakSesuai,
    ArchiveReason::TerlaluUmum,
    ArchiveReason::BukanPelayananPublik,
    ArchiveReason::Spam,
    ArchiveReason::TidakAdaTanggapan,
    ArchiveReason::KontenTidakPantas,
    ArchiveReason::Lainnya,
];

/// A date and time in WIB as the console shows it: `07/12 14.30`.
pub(crate) fn short_time(at: Timestamp) -> String {
    at.to_zoned(wib()).strftime("%d/%m %H.%M").to_string()
}

/// Working days left as a badge: breached, due today or tomorrow, or fine.
pub(crate) fn days_left_badge(days: i32, breached: bool) -> Markup {
    html! {
        @if breached {
            span.badge.breach { "Terlambat" @if days < 0 { " " (-days) " hari kerja" } }
        } @else if days <= 1 {
            span.badge.warn { (days) " hari kerja" }
        } @else {
            span.badge.ok { (days) " hari kerja" }
        }
    }
}

/// `text` with the personal data in it marked, found afresh (the triage's findings
/// are of the text as it was received, before any redaction).
fn marked_pii(text: &str) -> Markup {
    // (plain text before, the personal data) pairs, then the rest.
    let mut parts = Vec::new();
    let mut last = 0;
    for finding in find_pii("", text) {
        parts.push((
            text.get(last..finding.start).unwrap_or_default(),
            text.get(finding.start..finding.end).unwrap_or_default(),
        ));
        last = finding.end;
    }
    html! {
        @for (plain, personal) in parts { (plain) mark.pii { (personal) } }
        (text.get(last..).unwrap_or_default())
    }
}

/// The category's name, or its code when the catalog no longer has it.
fn category_name<'a>(categories: &'a [Category], code: &'a str) -> &'a str {
    categories
        .iter()
        .find(|c| c.code == code)
        .map_or(code, |c| c.name.as_str())
}

/// The agency's name, or its id.
fn agency_name<'a>(agencies: &'a [Agency], id: &'a str) -> &'a str {
    agencies
        .iter()
        .find(|a| a.id == id)
        .map_or(id, |a| a.name.as_str())
}

/// `GET /konsol/antrean[?status=tunda&kanal=&kategori=&kecamatan=]`: the reports
/// waiting for verification (or for the citizen's answer), emergencies first, then by
/// deadline; one Query of the work queue.
pub(crate) async fn queue(
    app: &Backoffice,
    session: &Session,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let staff = &session.staff;
    if !(staff.is_admin() || staff.is_supervisor()) {
        return Err(forbidden());
    }
    let waiting = query(request, "status") == Some("tunda");
    let channel = query(request, "kanal");
    let category = query(request, "kategori");
    let kecamatan = query(request, "kecamatan");
    let reports = app
        .reports
        .store()
        .queue(
            if waiting {
                QUEUE_NEEDS_INFO
            } else {
                QUEUE_VERIFY
            },
            QUEUE_PAGE,
        )
        .await
        .map_err(|e| ApiError::unavailable_because("reading queue", e))?;
    let categories = app.categories().await?;
    let (now, calendar) = (app.clock.now(), app.working_calendar().await?);
    let mut shown: Vec<&Report> = reports
        .iter()
        .filter(|r| channel.is_none_or(|c| r.channel.as_str() == c))
        .filter(|r| category.is_none_or(|c| r.category == c))
        .filter(|r| {
            kecamatan.is_none_or(|k| r.location.kecamatan.as_ref().is_some_and(|x| x.code == k))
        })
        .collect();
    // Emergencies first, then the nearest deadline, then the oldest.
    shown.sort_by_key(|r| {
        (
            r.triage.as_ref().is_none_or(|t| t.emergency.is_none()),
            r.clock.map(|c| c.due_at),
            r.received_at,
        )
    });
    let selected = |value: &str, chosen: &Option<&str>| *chosen == Some(value);
    let tab = |tunda: bool| format!("{ROOT}/antrean{}", if tunda { "?status=tunda" } else { "" });
    let body = html! {
        h1 { "Antrean verifikasi" }
        nav.tabs aria-label="Status antrean" {
            @for (tunda, label) in [(false, "Menunggu verifikasi"), (true, "Ditunda (menunggu pelapor)")] {
                @if tunda == waiting {
                    a href=(tab(tunda)) aria-current="page" { (label) }
                } @else {
                    a href=(tab(tunda)) { (label) }
                }
            }
        }
        form.filters.panel method="get" action={(ROOT) "/antrean"} {
            @if waiting { input type="hidden" name="status" value="tunda"; }
            div {
                label for="kanal" { "Kanal" }
                select id="kanal" name="kanal" {
                    option value="" { "Semua kanal" }
                    @for c in Channel::ALL {
                        option value=(c.as_str()) selected[selected(c.as_str(), &channel)] { (c.label()) }
                    }
                }
            }
            div {
                label for="kategori" { "Kategori" }
                select id="kategori" name="kategori" {
                    option value="" { "Semua kategori" }
                    @for c in categories.iter() {
                        option value=(c.code) selected[selected(&c.code, &category)] { (c.name) }
                    }
                }
            }
            div {
                label for="kecamatan" { "Kecamatan" }
                select id="kecamatan" name="kecamatan" {
                    option value="" { "Semua kecamatan" }
                    @for k in all_kecamatan() {
                        option value=(k.code) selected[selected(&k.code, &kecamatan)] { (k.name) }
                    }
                }
            }
            button type="submit" { "Saring" }
        }
        p.keys id="shortcuts" hidden { "Pintasan: " kbd { "j" } " / " kbd { "k" } " pindah laporan, "
            kbd { "Enter" } " buka, " kbd { "/" } " saringan." }
        @if shown.is_empty() {
            p.panel { "Tidak ada laporan di antrean ini." }
        } @else {
            div.scroll role="region" aria-label="Daftar laporan" tabindex="0" {
                table {
                    caption { (shown.len()) " laporan, darurat dahulu lalu tenggat terdekat" }
                    thead { tr {
                        th scope="col" { "Laporan" }
                        th scope="col" { "Kategori" }
                        th scope="col" { "Kecamatan" }
                        th scope="col" { "Kanal" }
                        th scope="col" { "Masuk" }
                        th scope="col" { "Sisa waktu" }
                    } }
                    tbody {
                        @for r in &shown {
                            (queue_line(r, &categories, now, &calendar))
                        }
                    }
                }
            }
        }
    };
    Ok(page(
        StatusCode::OK,
        Some(session),
        "Antrean verifikasi",
        Some(&format!("{ROOT}/antrean")),
        body,
        &[],
    ))
}

/// One report in the queue.
fn queue_line(
    report: &Report,
    categories: &[Category],
    now: Timestamp,
    calendar: &WorkingCalendar,
) -> Markup {
    let href = format!("{ROOT}/laporan/{}", report.id);
    let deadline = deadline_views(report, now, calendar).into_iter().next();
    let emergency = report.triage.as_ref().and_then(|t| t.emergency.as_ref());
    html! {
        tr data-href=(href) {
            td {
                a href=(href) { (report.id) }
                @if emergency.is_some() { " " span.badge.emergency { "Darurat" } }
                br;
                (report.title)
                @if report.needs_location() { br; span.meta { "Lokasi belum ada" } }
            }
            td { (category_name(categories, &report.category)) }
            td { (report.location.kecamatan.as_ref().map_or("—", |k| k.name.as_str())) }
            td { (report.channel.label()) }
            td { (short_time(report.received_at)) }
            td {
                @if let Some(d) = deadline {
                    (days_left_badge(d.working_days_left, d.breached))
                } @else { "—" }
            }
        }
    }
}

/// What the report page says above the report after an action.
enum Banner {
    /// The action was done.
    Done(&'static str),
    /// Nothing was written, and why.
    Refused(String),
}

/// `GET /konsol/laporan/{id}[?selesai=<action>]`: the report as this role may see it.
pub(crate) async fn report(
    app: &Backoffice,
    session: &Session,
    raw_id: &str,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let file = load(app, &session.staff, raw_id).await?;
    let banner = query(request, "selesai")
        .and_then(done_message)
        .map(Banner::Done);
    let picked = query(request, "templat");
    report_page(app, session, &file, banner, StatusCode::OK, picked).await
}

/// What the banner says after `action` succeeded.
fn done_message(action: &str) -> Option<&'static str> {
    Some(match action {
        "dispatch" => "Laporan diverifikasi dan didisposisi.",
        "request-info" => "Laporan ditunda; pertanyaan dikirim ke pelapor.",
        "archive" => "Laporan diarsipkan.",
        "merge" => "Laporan digabung.",
        "redact" => "Data pribadi disembunyikan dari teks laporan.",
        "acknowledge" => "Laporan diterima instansi.",
        "notes" => "Kabar perkembangan diterbitkan.",
        "internal-notes" => "Catatan internal disimpan.",
        "assign" => "Petugas yang memegang laporan ini diperbarui.",
        "follow-up" => "Tindak lanjut diterbitkan.",
        "return" => "Laporan dikembalikan ke admin.",
        "location" => "Lokasi laporan disimpan.",
        "blokir" => {
            "Nomor pengirim diblokir: pesannya ke 1708 tidak diterima sampai blokir berakhir."
        }
        // After the upload, S3 sends the browser back here.
        "foto" => "Foto terkirim; pemeriksaannya berjalan beberapa detik.",
        _ => return None,
    })
}

/// `POST /konsol/laporan/{id}/{action}`: the form's action through the API's
/// sequence; then back to the report (303), or the report again with why not.
pub(crate) async fn act(
    app: &Backoffice,
    session: &Session,
    raw_id: &str,
    action: &str,
    form: &Form,
) -> Result<Response<Body>, ApiError> {
    done_message(action).ok_or_else(|| ApiError::not_found("Tindakan tidak dikenal."))?;
    let staff = &session.staff;
    let typed = number(form, "lintang").and_then(|lat| Ok((lat, number(form, "bujur")?)));
    let (lat, lon) = match typed {
        Ok(point) => point,
        Err(error) => {
            return refused_page(app, session, raw_id, (error.status, error.message)).await;
        }
    };
    // `redact` with neither text masks the personal data found (the domain's rule).
    let body = ActionBody {
        agencies: Some(form.all("instansi")),
        note: form.get("catatan").map(str::to_string),
        question: form.get("pertanyaan").map(str::to_string),
        reason: form.get("alasan").map(str::to_string),
        text: form.get("teks").map(str::to_string),
        into: form.get("ke").map(str::to_string),
        lat,
        lon,
        address: form.get("alamat").map(str::to_string),
        kecamatan: form.get("kecamatan").map(str::to_string),
        // Oneself (the session names who), nobody, or a colleague by subject (named
        // from the agency's list by the command, as for JSON callers).
        officer: match form.get("petugas") {
            Some("saya") => Some(Officer {
                subject: staff.subject.clone(),
                name: session.name.clone(),
            }),
            Some("lepas") | None => None,
            Some(subject) => Some(Officer {
                subject: subject.to_string(),
                name: String::new(),
            }),
        },
        ..ActionBody::default()
    };
    let outcome = perform(app, staff, raw_id, action, &body, form.get("versi")).await;
    let refused = match outcome {
        Ok(Acted::Done(file)) => {
            return Ok(see_other(
                &format!("{ROOT}/laporan/{}?selesai={action}", file.report.id),
                &[],
            ));
        }
        Ok(Acted::Lost { message, .. }) => (StatusCode::CONFLICT, message),
        // A refusal about this report's content or state: shown on the report itself.
        Err(error) if error.status != StatusCode::NOT_FOUND && error.status.is_client_error() => {
            (error.status, error.message)
        }
        Err(error) => return Err(error),
    };
    refused_page(app, session, raw_id, refused).await
}

/// A coordinate typed in a form ("-6,9147" or "-6.9147"); none when left empty.
pub(super) fn number(form: &Form, name: &str) -> Result<Option<f64>, ApiError> {
    form.get(name)
        .map(|text| {
            text.replace(',', ".").parse::<f64>().map_err(|_| {
                ApiError::invalid("Lintang dan bujur berupa angka, misalnya -6.9147 dan 107.6098.")
            })
        })
        .transpose()
}

/// The report again, with why the form was refused.
async fn refused_page(
    app: &Backoffice,
    session: &Session,
    raw_id: &str,
    (status, message): (StatusCode, String),
) -> Result<Response<Body>, ApiError> {
    let file = load(app, &session.staff, raw_id).await?;
    report_page(
        app,
        session,
        &file,
        Some(Banner::Refused(message)),
        status,
        None,
    )
    .await
}

/// `POST /konsol/laporan/{id}/blokir` (admins): blocks the number the report came
/// from, for the days chosen and with a reason, by the API's sequence.
pub(crate) async fn block_sender(
    app: &Backoffice,
    session: &Session,
    raw_id: &str,
    form: &Form,
) -> Result<Response<Body>, ApiError> {
    let staff = &session.staff;
    let role = require_admin(staff)?;
    let file = load(app, staff, raw_id).await?;
    let Some(phone) = file.contact.as_ref().and_then(|c| c.phone.as_ref()) else {
        return Err(ApiError::not_found(
            "Laporan ini tidak membawa nomor pengirim.",
        ));
    };
    let days = form.get("hari").and_then(|d| d.parse().ok()).unwrap_or(0);
    let reason = form.get("alasan").unwrap_or_default();
    match block_phone(app, staff, &role, phone, reason, days).await {
        Ok(_) => Ok(see_other(
            &format!("{ROOT}/laporan/{}?selesai=blokir", file.report.id),
            &[],
        )),
        Err(error) if error.status.is_client_error() => {
            refused_page(app, session, raw_id, (error.status, error.message)).await
        }
        Err(error) => Err(error),
    }
}

/// The report page: the report, its triage, photos, assignments and timeline, and
/// the forms of the actions this role may take in its status; `picked` is the
/// response template chosen without JavaScript, its text put in its form.
async fn report_page(
    app: &Backoffice,
    session: &Session,
    file: &ReportFile,
    banner: Option<Banner>,
    status: StatusCode,
    picked: Option<&str>,
) -> Result<Response<Body>, ApiError> {
    let staff = &session.staff;
    let report = &file.report;
    let response_templates = templates::all(app).await?;
    let id = report.id.as_str();
    // Each text form's template picker and the text it starts with.
    let fill = |used_for: TemplateUse, target: &str| {
        (
            picker(
                &response_templates,
                id,
                &report.category,
                used_for,
                target,
                picked,
            ),
            picked_text(&response_templates, picked, id, used_for),
        )
    };
    let (categories, agencies) = (app.categories().await?, app.agencies().await?);
    let photos = app
        .photos
        .for_staff(report)
        .await
        .map_err(|e| ApiError::unavailable_because("linking photos", e))?;
    let same_sender = sender_reports(app, staff, report).await?;
    let calendar = app.working_calendar().await?;
    let deadlines = deadline_views(report, app.clock.now(), &calendar);
    let triage = report
        .triage
        .as_ref()
        .and_then(|t| sigap::domain::staff::triage_for(staff, t));
    let duplicates = match &triage {
        Some(t) => possible_duplicates(app, &t.duplicates).await?,
        None => Vec::new(),
    };
    let csrf = session.csrf_token();
    let version = report.version.to_string();
    let form_action = |action: &str| format!("{ROOT}/laporan/{}/{action}", report.id);
    // The admin's decisions hold only for the report as they saw it (`versi`); an
    // agency's answer does not depend on, say, a photo checked meanwhile.
    let hidden = html! {
        input type="hidden" name="csrf" value=(csrf);
        input type="hidden" name="versi" value=(version);
    };
    let csrf_only = html! { input type="hidden" name="csrf" value=(csrf); };
    let verifying = staff.is_admin()
        && matches!(
            report.status,
            ReportStatus::PendingVerification | ReportStatus::NeedsInfo
        );
    // Where the workflow lets an admin set the place (an SMS or X report has none).
    let locatable = matches!(
        report.status,
        ReportStatus::PendingVerification
            | ReportStatus::NeedsInfo
            | ReportStatus::Dispatched
            | ReportStatus::InProgress
    );
    let own_assignment = staff.agency().and_then(|agency| {
        report
            .assignments
            .iter()
            .find(|a| a.agency == agency && a.status != AssignmentStatus::Returned)
    });
    // Whom the report can be handed to: the agency's other officers on its list.
    let colleagues = match own_assignment.filter(|a| a.status != AssignmentStatus::Responded) {
        Some(assignment) => {
            let mut listed = app
                .roster
                .officers(&assignment.agency, app.clock.now())
                .await
                .map_err(|e| ApiError::unavailable_because("reading the officers", e))?;
            listed.retain(|e| e.officer.subject != staff.subject);
            listed
        }
        _ => Vec::new(),
    };
    let suggested = triage
        .as_ref()
        .and_then(|t| t.suggestion.as_ref())
        .map(|s| s.agency.clone());
    let image_links: Vec<&str> = photos
        .iter()
        .filter_map(|p| p.photo.links.as_ref())
        .map(|l| l.thumbnail_url.as_str())
        .collect();
    let personal_data =
        find_pii("title", &report.title).len() + find_pii("description", &report.description).len();
    let title = format!("Laporan {}", report.id);
    let body = html! {
        @if staff.agency().is_some() && !(staff.is_admin() || staff.is_supervisor()) {
            p { a href={(ROOT) "/kotak-masuk"} { "← Kotak masuk" } }
        } @else {
            p { a href={(ROOT) "/antrean"} { "← Antrean" } }
        }
        h1 { (marked_pii(&report.title)) " " span.meta { (report.id) } }
        @match &banner {
            Some(Banner::Done(message)) => p.notice role="status" { (message) },
            Some(Banner::Refused(message)) => p.problem role="alert" { (message) },
            None => {},
        }
        div.columns {
            div {
                section.panel aria-labelledby="isi-laporan" {
                    h2 id="isi-laporan" { "Isi laporan" }
                    dl.facts {
                        dt { "Status" } dd { (report.status.label()) }
                        dt { "Kategori" } dd { (category_name(&categories, &report.category)) }
                        dt { "Kanal" } dd { (report.channel.label()) }
                        dt { "Masuk" } dd { (short_time(report.received_at)) " WIB" }
                        dt { "Lokasi" } dd {
                            @if let Some(address) = &report.location.address { (address) br; }
                            @if let Some(k) = &report.location.kecamatan { "Kec. " (k.name) br; }
                            @if let Some(c) = report.location.coordinates {
                                span.meta { (format!("{:.5}, {:.5}", c.lat(), c.lon())) }
                            }
                            @if report.needs_location() { span.badge.warn { "Lokasi belum ada" } }
                        }
                    }
                    p.text { (marked_pii(&report.description)) }
                }
                @if let Some(t) = &triage {
                    section.panel aria-labelledby="saran" {
                        h2 id="saran" { "Saran pemeriksaan otomatis" }
                        @if let Some(e) = &t.emergency {
                            p.problem { span.badge.emergency { "Darurat" } " kata kunci “" (e.keyword) "”: arahkan pelapor ke 112." }
                        }
                        @if let Some(s) = &t.suggestion {
                            p { "Kategori dan instansi: " strong { (category_name(&categories, &s.category)) " → " (agency_name(&agencies, &s.agency)) } }
                            p.meta { "Aturan: " (s.rule) }
                        }
                        @if personal_data > 0 {
                            p { (personal_data) " data pribadi ditemukan di teks (nomor telepon, NIK atau surel), ditandai kuning." }
                            @if staff.is_admin() {
                                form method="post" action=(form_action("redact")) {
                                    (hidden)
                                    button type="submit" { "Sembunyikan data pribadi" }
                                }
                            }
                        }
                        @if !duplicates.is_empty() {
                            h3 { "Mungkin laporan yang sama" }
                            @if let Some(tiles) = app.map.as_ref().filter(|_| duplicates.iter().any(|d| d.at.is_some())) {
                                (map_area("peta-duplikat", "Peta laporan yang mungkin sama", tiles, report.location.coordinates))
                            }
                            ul id="duplikat" {
                                @for d in &duplicates {
                                    li data-lat=[d.at.map(|c| c.lat())] data-lon=[d.at.map(|c| c.lon())] {
                                        a href={(ROOT) "/laporan/" (d.candidate.report_id)} { (d.candidate.report_id) }
                                        @if let Some(title) = &d.title { " · " (title) }
                                        span.meta {
                                            @if let Some(status) = d.status { " · " (status.label()) }
                                            @match (d.candidate.reason.as_str(), d.candidate.distance_m) {
                                                ("same_sender", _) => " · pengirim yang sama",
                                                (_, Some(m)) => { " · " (format!("{m:.0}")) " m dari sini" },
                                                _ => {},
                                            }
                                        }
                                        @if verifying {
                                            form method="post" action=(form_action("merge")) {
                                                (hidden)
                                                input type="hidden" name="ke" value=(d.candidate.report_id);
                                                button.secondary type="submit" { "Gabungkan ke " (d.candidate.report_id) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                section.panel aria-labelledby="foto" {
                    h2 id="foto" { "Foto" }
                    @if photos.is_empty() { p.meta { "Tidak ada foto." } }
                    @if verifying || own_assignment.is_some() {
                        form method="post" action=(form_action("foto")) {
                            (csrf_only)
                            button.secondary type="submit" {
                                @if own_assignment.is_some() { "Tambah foto bukti" } @else { "Tambah foto" }
                            }
                        }
                    }
                    ul.photos {
                        @for p in &photos {
                            li {
                                @if let Some(links) = &p.photo.links {
                                    a href=(links.url) { img src=(links.thumbnail_url) alt={"Foto " (p.photo.id)} width="160"; }
                                } @else { span.meta { (p.photo.state_label) } }
                                @for flag in &p.flags { br; span.badge.warn { (flag.label) } }
                            }
                        }
                    }
                }
                section.panel aria-labelledby="riwayat" {
                    h2 id="riwayat" { "Riwayat" }
                    ol.timeline {
                        @for e in &file.timeline {
                            li {
                                (short_time(e.at)) " · "
                                (e.action.map_or(e.to.label(), |a| a.label()))
                                @if let Some(agency) = &e.agency { " · " (agency_name(&agencies, agency)) }
                                @if let Some(reason) = &e.reason {
                                    @if e.action != Some(sigap::domain::report::ReportAction::MarkDuplicate) || may_see_identity(staff, report) {
                                        br; span.meta { (reason) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            div {
                section.panel aria-labelledby="tenggat" {
                    h2 id="tenggat" { "Tenggat" }
                    @if deadlines.is_empty() { p.meta { "Tidak ada tenggat berjalan." } }
                    ul {
                        @for d in &deadlines {
                            li {
                                (d.stage_label)
                                @if let Some(a) = &d.agency { " (" (agency_name(&agencies, a)) ")" }
                                ": " (days_left_badge(d.working_days_left, d.breached))
                            }
                        }
                    }
                }
                section.panel aria-labelledby="pelapor" {
                    h2 id="pelapor" { "Pelapor" }
                    @if file.contact.as_ref().is_some_and(|c| c.name.is_none() && c.phone.is_none() && c.email.is_none()) {
                        p.meta { "Pelapor tidak meninggalkan kontak." }
                    } @else if let Some(contact) = &file.contact {
                        dl.facts {
                            dt { "Nama" } dd { (contact.name.as_deref().unwrap_or("—")) }
                            dt { "Telepon" } dd { (contact.phone.as_ref().map(|p| p.to_string()).unwrap_or_else(|| "—".into())) }
                            dt { "Surel" } dd { (contact.email.as_ref().map_or("—", |e| e.as_str())) }
                        }
                        @if staff.is_admin() && contact.phone.is_some() {
                            (block_form(&form_action("blokir"), &csrf_only))
                        }
                    } @else {
                        p.meta { @if report.anonymous { "Anonim." } @else { "Identitas pelapor tidak ditampilkan untuk peran Anda." } }
                    }
                    @if let Some(others) = &same_sender {
                        h3 { "Laporan lain dari pengirim ini" }
                        @if others.is_empty() {
                            p.meta { "Tidak ada." }
                        } @else {
                            ul.others {
                                @for other in others {
                                    li { a href={(ROOT) "/laporan/" (other)} { (other) } }
                                }
                            }
                        }
                    }
                }
                @if !report.assignments.is_empty() {
                    section.panel aria-labelledby="instansi" {
                        h2 id="instansi" { "Instansi" }
                        ul {
                            @for a in &report.assignments {
                                li {
                                    strong { (agency_name(&agencies, &a.agency)) } ": " (a.status.label())
                                    @if let Some(officer) = &a.officer { " · dipegang " (officer.name) }
                                    @for f in &a.follow_ups { br; span.meta { (short_time(f.at)) " · " (f.text) } }
                                    @if let Some(reason) = &a.return_reason { br; span.meta { "Alasan: " (reason) } }
                                }
                            }
                        }
                    }
                }
                @if staff.is_admin() && locatable {
                    (location_form(&form_action("location"), &hidden, report, app.map.as_ref()))
                }
                @if verifying {
                    (admin_actions(&form_action, &hidden, &agencies, suggested.as_deref(), &fill))
                }
                @if let Some(assignment) = own_assignment {
                    (agency_actions(&form_action, &csrf_only, assignment, session, &colleagues, &fill))
                }
            }
        }
    };
    Ok(page_with(
        status,
        Some(session),
        &title,
        None,
        body,
        &origins(image_links.into_iter()),
        Extras {
            map: app.map.as_ref(),
            ..Extras::default()
        },
    ))
}

/// A report triage found that may be the same, as far as it still exists.
struct PossibleDuplicate<'a> {
    candidate: &'a DuplicateCandidate,
    title: Option<String>,
    status: Option<ReportStatus>,
    at: Option<Coordinates>,
}

/// Triage's candidates with their titles, states and points, read at once (at most
/// `MAX_DUPLICATES` nearby and as many from the sender): what an admin decides a merge on.
async fn possible_duplicates<'a>(
    app: &Backoffice,
    candidates: &'a [DuplicateCandidate],
) -> Result<Vec<PossibleDuplicate<'a>>, ApiError> {
    let reads = candidates.iter().map(|candidate| async move {
        let found = match TrackingId::parse(&candidate.report_id) {
            Ok(id) => app.reports.store().get(&id).await?,
            Err(_) => None,
        };
        Ok::<_, sigap::adapters::table::StoreError>(PossibleDuplicate {
            candidate,
            title: found.as_ref().map(|r| r.title.clone()),
            status: found.as_ref().map(|r| r.status),
            at: found.and_then(|r| r.location.coordinates),
        })
    });
    futures::future::try_join_all(reads)
        .await
        .map_err(|e| ApiError::unavailable_because("reading possible duplicates", e))
}

/// A text form's response template picker and the text it starts with.
type Fill<'a> = dyn Fn(TemplateUse, &str) -> (Markup, String) + 'a;

/// The verification forms: dispatch, *tunda*, archive.
fn admin_actions(
    form_action: &dyn Fn(&str) -> String,
    hidden: &Markup,
    agencies: &[Agency],
    suggested: Option<&str>,
    fill: &Fill,
) -> Markup {
    let (dispatch_picker, dispatch_text) = fill(TemplateUse::Dispatch, "catatan");
    let (info_picker, info_text) = fill(TemplateUse::RequestInfo, "pertanyaan");
    let (archive_picker, archive_text) = fill(TemplateUse::Archive, "teks-arsip");
    html! {
        section.panel aria-labelledby="disposisi" {
            h2 id="disposisi" { "Verifikasi dan disposisi" }
            (dispatch_picker)
            form method="post" action=(form_action("dispatch")) {
                (hidden)
                fieldset {
                    legend { "Instansi tujuan" }
                    @for a in agencies {
                        div.check {
                            input type="checkbox" id={"instansi-" (a.id)} name="instansi" value=(a.id) checked[suggested == Some(a.id.as_str())];
                            label for={"instansi-" (a.id)} { (a.name) }
                        }
                    }
                }
                label for="catatan" { "Catatan untuk instansi (tidak wajib)" }
                textarea id="catatan" name="catatan" { (dispatch_text) }
                p { button type="submit" { "Verifikasi dan disposisikan" } }
            }
        }
        section.panel aria-labelledby="tunda" {
            h2 id="tunda" { "Tunda: minta informasi" }
            (info_picker)
            form method="post" action=(form_action("request-info")) {
                (hidden)
                label for="pertanyaan" { "Pertanyaan untuk pelapor" }
                textarea id="pertanyaan" name="pertanyaan" required { (info_text) }
                p { button.secondary type="submit" { "Tunda dan kirim pertanyaan" } }
            }
        }
        section.panel aria-labelledby="arsip" {
            h2 id="arsip" { "Arsipkan" }
            (archive_picker)
            form method="post" action=(form_action("archive")) {
                (hidden)
                label for="alasan" { "Alasan" }
                select id="alasan" name="alasan" {
                    @for reason in ARCHIVE_REASONS {
                        option value=(serde_json::to_value(reason).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()) { (reason.label()) }
                    }
                }
                label for="teks-arsip" { "Penjelasan untuk pelapor" }
                textarea id="teks-arsip" name="teks" { (archive_text) }
                p { button.danger type="submit" { "Arsipkan laporan" } }
            }
        }
    }
}

/// The sender's latest other reports, for an admin (who may link a reporter's
/// reports); none for anyone else or a report without a sender.
async fn sender_reports(
    app: &Backoffice,
    staff: &Staff,
    report: &Report,
) -> Result<Option<Vec<TrackingId>>, ApiError> {
    let Some(sender) = report.sender.as_deref().filter(|_| staff.is_admin()) else {
        return Ok(None);
    };
    let mut ids = app
        .reports
        .store()
        .by_sender(sender, SENDER_REPORTS + 1)
        .await
        .map_err(|e| ApiError::unavailable_because("reading the sender's reports", e))?;
    ids.retain(|id| *id != report.id);
    ids.truncate(SENDER_REPORTS as usize);
    Ok(Some(ids))
}

/// The admin's form for the report's place: address, kecamatan and the point (an
/// SMS or X report comes without one), each as it stands.
fn location_form(
    action: &str,
    hidden: &Markup,
    report: &Report,
    tiles: Option<&MapTiles>,
) -> Markup {
    let location = &report.location;
    let chosen = location.kecamatan.as_ref().map(|k| k.code.as_str());
    html! {
        section.panel aria-labelledby="lokasi" {
            h2 id="lokasi" { "Lokasi" }
            @if report.needs_location() {
                p.meta { "Laporan ini belum punya titik di peta. Isi dari keterangan pelapor." }
            }
            form method="post" action=(action) {
                (hidden)
                label for="alamat" { "Alamat atau patokan" }
                input type="text" id="alamat" name="alamat" maxlength="300" value=(location.address.as_deref().unwrap_or_default());
                label for="kecamatan-lokasi" { "Kecamatan" }
                select id="kecamatan-lokasi" name="kecamatan" {
                    option value="" { "Belum diketahui" }
                    @for k in all_kecamatan() {
                        option value=(k.code) selected[chosen == Some(k.code.as_str())] { (k.name) }
                    }
                }
                @if let Some(tiles) = tiles {
                    (map_area("peta-lokasi", "Peta untuk menandai titik laporan", tiles, None))
                    p.meta id="status-titik" role="status" {}
                }
                div.point {
                    div {
                        label for="lintang" { "Lintang" }
                        input type="text" id="lintang" name="lintang" inputmode="decimal" aria-describedby="titik-bantuan"
                            value=(location.coordinates.map(|c| c.lat().to_string()).unwrap_or_default());
                    }
                    div {
                        label for="bujur" { "Bujur" }
                        input type="text" id="bujur" name="bujur" inputmode="decimal" aria-describedby="titik-bantuan"
                            value=(location.coordinates.map(|c| c.lon().to_string()).unwrap_or_default());
                    }
                }
                p.meta id="titik-bantuan" { "Titik di dalam Kota Bandung, misalnya -6.9147 dan 107.6098; kosongkan keduanya bila belum tahu." }
                p { button.secondary type="submit" { "Simpan lokasi" } }
            }
        }
    }
}

/// The admin's form to block the number a report came from.
fn block_form(action: &str, csrf_only: &Markup) -> Markup {
    html! {
        details.block {
            summary { "Blokir nomor ini" }
            form method="post" action=(action) {
                (csrf_only)
                label for="alasan-blokir" { "Alasan (untuk catatan admin)" }
                input type="text" id="alasan-blokir" name="alasan" maxlength="300" required;
                label for="hari-blokir" { "Lama blokir" }
                select id="hari-blokir" name="hari" {
                    @for days in [1, 7, 30, 90, 365] {
                        option value=(days) selected[days == 30] { (days) " hari" }
                    }
                }
                p { button.danger type="submit" { "Blokir nomor" } }
            }
        }
    }
}

/// The agency's forms for its assignment: who holds it, acknowledge, follow-up,
/// a progress note (public) or an internal one, return.
fn agency_actions(
    form_action: &dyn Fn(&str) -> String,
    hidden: &Markup,
    assignment: &Assignment,
    session: &Session,
    colleagues: &[RosterEntry],
    fill: &Fill,
) -> Markup {
    let status = assignment.status;
    let mine = assignment
        .officer
        .as_ref()
        .is_some_and(|o| o.subject == session.staff.subject);
    let (follow_up_picker, follow_up_text) = fill(TemplateUse::FollowUp, "tindak-lanjut");
    let (return_picker, return_text) = fill(TemplateUse::Return, "alasan-kembali");
    html! {
        section.panel aria-labelledby="tindakan-instansi" {
            h2 id="tindakan-instansi" { "Tindakan instansi" }
            @if status != AssignmentStatus::Responded {
                form.inline method="post" action=(form_action("assign")) {
                    (hidden)
                    @match &assignment.officer {
                        Some(officer) if mine => {
                            p { "Anda memegang laporan ini. "
                                input type="hidden" name="petugas" value="lepas";
                                button.secondary type="submit" { "Lepaskan ke instansi" } }
                        }
                        Some(officer) => {
                            p { "Dipegang " (officer.name) ". "
                                input type="hidden" name="petugas" value="saya";
                                button.secondary type="submit" { "Ambil alih" } }
                        }
                        None => {
                            p { "Belum dipegang petugas. "
                                input type="hidden" name="petugas" value="saya";
                                button.secondary type="submit" { "Ambil laporan ini" } }
                        }
                    }
                }
                @let holder = assignment.officer.as_ref().map(|o| o.subject.as_str());
                @let others: Vec<&RosterEntry> = colleagues.iter().filter(|c| Some(c.officer.subject.as_str()) != holder).collect();
                @if !others.is_empty() {
                    form.inline method="post" action=(form_action("assign")) {
                        (hidden)
                        label for="rekan" { "Serahkan ke rekan" }
                        select id="rekan" name="petugas" required {
                            @for c in &others {
                                option value=(c.officer.subject) { (c.officer.name) }
                            }
                        }
                        " "
                        button.secondary type="submit" { "Serahkan" }
                    }
                }
            }
            @if status == AssignmentStatus::Dispatched {
                form method="post" action=(form_action("acknowledge")) {
                    (hidden)
                    p { button type="submit" { "Terima laporan" } }
                }
            }
            (follow_up_picker)
            form method="post" action=(form_action("follow-up")) {
                (hidden)
                label for="tindak-lanjut" { "Tindak lanjut untuk pelapor (terbit untuk publik)" }
                textarea id="tindak-lanjut" name="teks" required { (follow_up_text) }
                p { button type="submit" { "Terbitkan tindak lanjut" } }
            }
            form method="post" action=(form_action("notes")) {
                (hidden)
                label for="kabar" { "Kabar perkembangan untuk pelapor (terbit untuk publik, data pribadi disamarkan)" }
                textarea id="kabar" name="teks" required {}
                p { button.secondary type="submit" { "Terbitkan kabar" } }
            }
            form method="post" action=(form_action("internal-notes")) {
                (hidden)
                label for="catatan-internal" { "Catatan internal (hanya petugas dan admin)" }
                textarea id="catatan-internal" name="teks" required {}
                p { button.secondary type="submit" { "Simpan catatan internal" } }
            }
            @if status != AssignmentStatus::Responded {
            (return_picker)
            form method="post" action=(form_action("return")) {
                (hidden)
                label for="alasan-kembali" { "Bukan wewenang kami: alasannya" }
                textarea id="alasan-kembali" name="alasan" required { (return_text) }
                p { button.danger type="submit" { "Kembalikan ke admin" } }
            }
            }
        }
    }
}
