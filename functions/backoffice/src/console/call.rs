//! Recording a 112 call (`/konsol/pusat/panggilan`, operators): the caller's
//! number, the kind, what was said, and where (a pin on the map, typed numbers, an
//! address). It opens an incident and pages tier 0 through the shared incident desk,
//! exactly as the JSON API's `POST /staff/incidents` does. A form carries a key drawn
//! when it was shown, so a double submit opens one incident.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use maud::html;
use sigap::domain::contact::PhoneNumber;
use sigap::domain::incident::IncidentKind;
use sigap::http::ApiError;
use sigap::service::incidents::{Call112, typed_fix};
use sigap::web::see_other;

use super::desk::number;
use super::incident::not_paging;
use super::layout::{Extras, map_area};
use super::session::Session;
use super::{Form, ROOT, page_with};
use crate::{Backoffice, forbidden};

/// Longest text kept in a field (the JSON API's limit).
const MAX_TEXT: usize = 1000;

/// `GET /konsol/pusat/panggilan`: the operator's form.
pub(crate) async fn form(app: &Backoffice, session: &Session) -> Result<Response<Body>, ApiError> {
    if !session.staff.is_operator() {
        return Err(forbidden());
    }
    let key = app
        .ids
        .secret_token()
        .map_err(|e| ApiError::unavailable_because("drawing a form key", e))?;
    let body = html! {
        p { a href={(ROOT) "/pusat"} { "← Papan 112" } }
        h1 { "Catat panggilan 112" }
        @if app.desk.is_none() {
            p.problem { "Konsol ini belum tersambung ke jalur panggilan darurat." }
        }
        p { "Kejadian dibuka dan responder tier 0 di sektornya dipanggil saat formulir dikirim. "
            "Keluhan yang bukan darurat dicatat sebagai laporan LAPOR! lewat API staf (" code { "POST /staff/calls/report" } ")." }
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
            textarea id="keterangan" name="keterangan" rows="3" maxlength=(MAX_TEXT) {}
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
    let text = |name: &str, what: &str| match form.get(name) {
        Some(text) if text.chars().count() > MAX_TEXT => Err(ApiError::invalid(format!(
            "{what} terlalu panjang (maksimal {MAX_TEXT} karakter)."
        ))),
        text => Ok(text.map(str::to_string)),
    };
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
        location_text: text("alamat", "Alamat")?,
        sector: None,
        notes: text("keterangan", "Keterangan")?,
    };
    let key = form.get("kunci").filter(|k| k.len() <= 128);
    let (incident, _) = desk.record_call(&session.staff, call, key).await?;
    Ok(see_other(
        &format!("{ROOT}/pusat/{}?selesai=panggilan", incident.id),
        &[],
    ))
}
