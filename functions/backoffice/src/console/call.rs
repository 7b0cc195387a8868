//! Recording a 112 call (`/konsol/pusat/panggilan`, operators), one of two ways:
//!
//! - an emergency: the caller's number, the kind, what was said, and where (a pin on
//!   the map, typed numbers, an address). It opens an incident and pages tier 0
//!   through the shared incident desk, exactly as the JSON API's
//!   `POST /staff/incidents` does;
//! - not an emergency: a LAPOR! report on the caller's behalf (category, what and
//!   where; the caller's number as its contact, so they hear of it by SMS), through
//!   the one way a report enters (`ReportIntake::submit`), as the JSON API's
//!   `POST /staff/calls/report` does.
//!
//! Each form carries a key drawn when it was shown, so a double submit makes one.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use maud::{Markup, html};
use sigap::adapters::idempotency::StoredResponse;
use sigap::domain::contact::PhoneNumber;
use sigap::domain::incident::IncidentKind;
use sigap::domain::location::all_kecamatan;
use sigap::domain::report::{Channel, Report};
use sigap::domain::staff::Role;
use sigap::domain::submission::{ContactBody, LocationBody, ReportSubmission, SubmissionBody};
use sigap::domain::tracking_id::TrackingId;
use sigap::http::ApiError;
use sigap::service::incidents::{Call112, MAX_INCIDENT_TEXT, incident_text, typed_fix};
use sigap::service::reports::{NewReport, Once, Submitted};
use sigap::web::query;
use sigap::web::see_other;
use tracing::info;

use super::desk::number;
use super::incident::not_paging;
use super::layout::{Extras, map_area};
use super::session::Session;
use super::{Form, ROOT, page_with};
use crate::{Backoffice, forbidden};

/// A fresh key for a form (a double submit of it makes one incident or report).
fn form_key(app: &Backoffice) -> Result<String, ApiError> {
    app.ids
        .secret_token()
        .map_err(|e| ApiError::unavailable_because("drawing a form key", e))
}

/// `GET /konsol/pusat/panggilan[?selesai=laporan&nomor=<id>]`: the operator's two
/// forms (after a report was filed, with its number).
pub(crate) async fn form(
    app: &Backoffice,
    session: &Session,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    if !session.staff.is_operator() {
        return Err(forbidden());
    }
    let key = form_key(app)?;
    let filed = match (query(request, "selesai"), query(request, "nomor")) {
        (Some("laporan"), Some(id)) => TrackingId::parse(id).ok(),
        _ => None,
    };
    let report_form = match &app.intake {
        Some(_) => Some(report_form(app, session).await?),
        None => None,
    };
    let body = html! {
        p { a href={(ROOT) "/pusat"} { "← Papan 112" } }
        h1 { "Catat panggilan 112" }
        @if let Some(id) = &filed {
            p.notice role="status" { "Laporan LAPOR! " strong { (id) } " tercatat. Penelepon menerima nomornya lewat SMS bila nomornya diisi." }
        }
        @if app.desk.is_none() {
            p.problem { "Konsol ini belum tersambung ke jalur panggilan darurat." }
        }
        section.panel aria-labelledby="darurat" {
        h2 id="darurat" { "Darurat: buka kejadian" }
        p { "Kejadian dibuka dan responder tier 0 di sektornya dipanggil saat formulir dikirim." }
        form method="post" action={(ROOT) "/pusat/panggilan"} {
            input type="hidden" name="csrf" value=(session.csrf_token());
            input type="hidden" name="kunci" value=(key);
            label for="penelepon" { "Nomor penelepon" }
            input type="tel" id="penelepon" name="penelepon" autocomplete="off" inputmode="tel" aria-describedby="penelepon-bantuan";
            p.meta id="penelepon-bantuan" { "Untuk menelepon balik dan mengirim tautan lokasi. Kosongkan bila tidak tampil." }
            label for="jenis" { "Jenis kejadian" }
            select id="jenis" name="jenis" required {
                @for kind in IncidentKind::ALL {
                    option value=(kind.as_str()) { (kind.label()) }
                }
            }
            label for="keterangan" { "Apa yang dikatakan penelepon" }
            textarea id="keterangan" name="keterangan" rows="3" maxlength=(MAX_INCIDENT_TEXT) {}
            label for="alamat" { "Alamat atau patokan" }
            input type="text" id="alamat" name="alamat" maxlength="300";
            @if let Some(tiles) = &app.map {
                (map_area("peta-lokasi", "Peta untuk menandai lokasi kejadian", tiles, None))
                p.meta id="status-titik" role="status" data-pinned="Titik ditandai di peta." {}
            }
            div.point {
                div {
                    label for="lintang" { "Lintang" }
                    input type="text" id="lintang" name="lintang" inputmode="decimal" aria-describedby="titik-bantuan";
                }
                div {
                    label for="bujur" { "Bujur" }
                    input type="text" id="bujur" name="bujur" inputmode="decimal" aria-describedby="titik-bantuan";
                }
            }
            p.meta id="titik-bantuan" { "Titik di dalam Kota Bandung; kosongkan bila belum tahu (kirim tautan lokasi ke penelepon dari halaman kejadian)." }
            p { button type="submit" { "Buka kejadian dan panggil responder" } }
        }
        }
        @if let Some(report_form) = report_form { (report_form) }
    };
    Ok(page_with(
        StatusCode::OK,
        Some(session),
        "Catat panggilan 112",
        Some(&format!("{ROOT}/pusat")),
        body,
        &[],
        Extras {
            map: app.map.as_ref(),
            ..Extras::default()
        },
    ))
}

/// `POST /konsol/pusat/panggilan`: opens the incident and pages tier 0, then shows it.
pub(crate) async fn record(
    app: &Backoffice,
    session: &Session,
    form: &Form,
) -> Result<Response<Body>, ApiError> {
    let desk = app.desk.as_ref().ok_or_else(not_paging)?;
    let call = Call112 {
        kind: form
            .get("jenis")
            .and_then(IncidentKind::parse)
            .ok_or_else(|| ApiError::invalid("Pilih jenis kejadian."))?,
        caller: form
            .get("penelepon")
            .map(PhoneNumber::parse)
            .transpose()
            .map_err(|_| {
                ApiError::invalid("Nomor penelepon tidak valid. Contoh: 0812 3456 7890.")
            })?,
        fix: typed_fix(number(form, "lintang")?, number(form, "bujur")?)?,
        location_text: incident_text(form.get("alamat"), "Alamat")?,
        sector: None,
        notes: incident_text(form.get("keterangan"), "Keterangan")?,
    };
    let key = form.get("kunci").filter(|k| k.len() <= 128);
    let (incident, _) = desk.record_call(&session.staff, call, key).await?;
    Ok(see_other(
        &format!("{ROOT}/pusat/{}?selesai=panggilan", incident.id),
        &[],
    ))
}

/// The non-emergency form: a LAPOR! report on the caller's behalf.
async fn report_form(app: &Backoffice, session: &Session) -> Result<Markup, ApiError> {
    let categories = app.categories().await?;
    let key = form_key(app)?;
    Ok(html! {
        section.panel aria-labelledby="bukan-darurat" {
            h2 id="bukan-darurat" { "Bukan darurat: laporan LAPOR!" }
            p { "Keluhan tentang layanan kota dicatat sebagai laporan LAPOR! atas nama penelepon dan masuk antrean verifikasi admin." }
            form method="post" action={(ROOT) "/pusat/panggilan/laporan"} {
                input type="hidden" name="csrf" value=(session.csrf_token());
                input type="hidden" name="kunci" value=(key);
                label for="lapor-penelepon" { "Nomor penelepon" }
                input type="tel" id="lapor-penelepon" name="penelepon" autocomplete="off" inputmode="tel" aria-describedby="lapor-penelepon-bantuan";
                p.meta id="lapor-penelepon-bantuan" { "Penelepon menerima nomor laporan dan kabarnya lewat SMS." }
                label for="lapor-nama" { "Nama penelepon (tidak wajib)" }
                input type="text" id="lapor-nama" name="nama" maxlength="100" autocomplete="off";
                label for="lapor-kategori" { "Kategori" }
                select id="lapor-kategori" name="kategori" required {
                    option value="" { "Pilih kategori" }
                    @for category in categories.iter() {
                        option value=(category.code) { (category.name) }
                    }
                }
                label for="lapor-judul" { "Judul" }
                input type="text" id="lapor-judul" name="judul" maxlength="120" required;
                label for="lapor-uraian" { "Uraian" }
                textarea id="lapor-uraian" name="uraian" rows="3" required {}
                label for="lapor-alamat" { "Alamat atau patokan" }
                input type="text" id="lapor-alamat" name="alamat" maxlength="300";
                label for="lapor-kecamatan" { "Kecamatan" }
                select id="lapor-kecamatan" name="kecamatan" {
                    option value="" { "Belum diketahui" }
                    @for k in all_kecamatan() {
                        option value=(k.code) { (k.name) }
                    }
                }
                p { button.secondary type="submit" { "Catat laporan LAPOR!" } }
            }
        }
    })
}

/// `POST /konsol/pusat/panggilan/laporan`: the non-emergency call as a LAPOR!
/// report (operators), then the forms again with its number.
pub(crate) async fn record_report(
    app: &Backoffice,
    session: &Session,
    form: &Form,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let staff = &session.staff;
    if !staff.is_operator() {
        return Err(forbidden());
    }
    let intake = app.intake.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "intake_not_configured",
            "Konsol ini belum tersambung ke antrean laporan. Gunakan API staf.",
        )
    })?;
    let categories = app.categories().await?;
    let body = SubmissionBody {
        title: form.get("judul").map(str::to_string),
        description: form.get("uraian").map(str::to_string),
        category: form.get("kategori").map(str::to_string),
        location: Some(LocationBody {
            lat: None,
            lon: None,
            address: form.get("alamat").map(str::to_string),
            kecamatan: form.get("kecamatan").map(str::to_string),
        }),
        contact: Some(ContactBody {
            name: form.get("nama").map(str::to_string),
            phone: form.get("penelepon").map(str::to_string),
            email: None,
        }),
        anonymous: false,
        confidential: false,
    };
    let submission =
        ReportSubmission::parse(body, |code| categories.iter().any(|c| c.code == code))
            .map_err(ApiError::validation)?;
    let actor = staff.actor(&Role::Operator);
    let key = format!(
        "{}:konsol:{}",
        actor.to_stored(),
        form.get("kunci").unwrap_or_default()
    );
    // The report's id is the stored answer: a retried form finds the same one.
    let answer = |report: &Report, _token: &str| StoredResponse {
        status: StatusCode::CREATED.as_u16(),
        body: report.id.to_string(),
    };
    let submitted = intake
        .submit(
            &app.reports,
            &NewReport {
                submission: &submission,
                channel: Channel::CallCenter,
                actor,
                sender: submission
                    .contact
                    .phone
                    .as_ref()
                    .map(|phone| app.sender_key.phone(phone)),
            },
            Once::Key {
                key: &key,
                payload: request.body().as_ref(),
                answer: &answer,
                limit: None,
            },
        )
        .await
        .map_err(|e| ApiError::unavailable_because("filing the report", e))?;
    let id = match submitted {
        Submitted::Created { report, .. } => report.id.to_string(),
        Submitted::Replay(stored) => stored.body,
        Submitted::InProgress => {
            return Err(ApiError::conflict(
                "Laporan yang sama sedang dicatat. Tunggu sebentar lalu muat ulang.",
            ));
        }
        Submitted::KeyReused | Submitted::Limited(_) => {
            return Err(ApiError::invalid(
                "Formulir ini sudah dipakai untuk laporan lain. Buka formulir baru.",
            ));
        }
    };
    info!(report = %id, "non-emergency 112 call filed as a LAPOR! report");
    Ok(see_other(
        &format!("{ROOT}/pusat/panggilan?selesai=laporan&nomor={id}"),
        &[],
    ))
}
