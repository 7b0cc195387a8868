//! The supervisor's city view (`/konsol/ringkasan`, admins and supervisors): the open
//! backlog by status and age, the deadlines breached per agency, where open reports
//! come from, the on-time share of follow-ups per agency per week, and the proof
//! photos flagged per agency; each as an SVG chart with a table of the same numbers.
//! `/konsol/ekspor/…` gives the open reports and the figures as CSV.
//!
//! The figures are `sigap::domain::figures`, from the open reports (each open work
//! queue, read whole), each agency's facts of the weeks shown, and the flagged
//! photos: nothing is summed here.

use futures::future::try_join_all;
use jiff::{Timestamp, ToSpan};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use maud::{Markup, html};
use sigap::domain::calendar::wib;
use sigap::domain::catalog::Agency;
use sigap::domain::figures::{
    AGE_BANDS, CityFigures, OnTime, VERIFICATION_DESK, breached_desks, next_deadline,
};
use sigap::domain::record::{Fact, month_of};
use sigap::domain::report::{Report, ReportStatus};
use sigap::http::ApiError;
use sigap::web::chart::{self, Bar};

use super::desk::short_time;
use super::session::Session;
use super::{ROOT, page};
use crate::{Backoffice, forbidden};

/// The age bands' colours, young to old (each 3:1 or more against the page and
/// its neighbours' edges, darkening with age).
const BAND_COLOURS: [&str; 4] = ["#5b9bd5", "#2e6fae", "#b5651d", "#a0001b"];
/// A plain bar's colour.
const BAR_COLOUR: &str = "#2e6fae";
/// An on-time share's colour.
const SHARE_COLOUR: &str = "#1d5e3a";
/// Kecamatan drawn in the chart (the table lists all).
const KECAMATAN_DRAWN: usize = 10;

/// The files `/konsol/ekspor/{file}` gives.
const EXPORT_REPORTS: &str = "laporan-terbuka.csv";
const EXPORT_FIGURES: &str = "angka.csv";

/// What a dashboard or an export reads.
struct Loaded {
    open: Vec<Report>,
    agencies: std::sync::Arc<Vec<Agency>>,
    figures: CityFigures,
    now: Timestamp,
}

/// Admins and supervisors only; everyone else the same 403 as the API.
fn allowed(session: &Session) -> Result<(), ApiError> {
    let staff = &session.staff;
    if staff.is_admin() || staff.is_supervisor() {
        Ok(())
    } else {
        Err(forbidden())
    }
}

async fn load(app: &Backoffice) -> Result<Loaded, ApiError> {
    let now = app.clock.now();
    let agencies = app.agencies().await?;
    let open = app
        .reports
        .store()
        .open_reports()
        .await
        .map_err(|e| ApiError::unavailable_because("reading open reports", e))?;
    // The weeks shown reach back 27 days at most: this month and perhaps the last.
    let mut months = vec![
        month_of(now.checked_sub(27.days()).unwrap_or(now)),
        month_of(now),
    ];
    months.dedup();
    let reads = agencies.iter().flat_map(|agency| {
        months
            .iter()
            .map(|month| app.records.facts(&agency.id, month))
    });
    let facts: Vec<Fact> = try_join_all(reads)
        .await
        .map_err(|e| ApiError::unavailable_because("reading the agencies' facts", e))?
        .into_iter()
        .flatten()
        .collect();
    let flagged = app
        .proofs
        .flagged()
        .await
        .map_err(|e| ApiError::unavailable_because("reading flagged photos", e))?;
    let ids: Vec<String> = agencies.iter().map(|a| a.id.clone()).collect();
    let figures = CityFigures::of(
        &open,
        &facts,
        flagged.iter().map(|f| f.agency.as_str()),
        &ids,
        now,
    );
    Ok(Loaded {
        open,
        agencies,
        figures,
        now,
    })
}

/// An agency's name, or the admins' desk's.
fn desk_name<'a>(agencies: &'a [Agency], id: &'a str) -> &'a str {
    if id == VERIFICATION_DESK {
        return "Verifikasi admin";
    }
    agencies
        .iter()
        .find(|a| a.id == id)
        .map_or(id, |a| a.name.as_str())
}

/// A status as the dashboard names it (shorter than the citizen's wording).
fn status_name(status: ReportStatus) -> &'static str {
    match status {
        ReportStatus::Received => "Diterima",
        ReportStatus::PendingVerification => "Menunggu verifikasi",
        ReportStatus::NeedsInfo => "Ditunda (menunggu pelapor)",
        ReportStatus::Dispatched => "Diteruskan ke instansi",
        ReportStatus::InProgress => "Dikerjakan instansi",
        ReportStatus::Responded => "Tindak lanjut terbit",
        other => other.label(),
    }
}

/// A share as text, with how many were counted: "50% (2)", or a dash.
fn share(cell: OnTime) -> String {
    cell.percent()
        .map_or_else(|| "—".into(), |p| format!("{p}% ({})", cell.followed_up))
}

/// `GET /konsol/ringkasan`: the city's figures at a glance.
pub(crate) async fn show(app: &Backoffice, session: &Session) -> Result<Response<Body>, ApiError> {
    allowed(session)?;
    let Loaded {
        agencies,
        figures,
        now,
        ..
    } = load(app).await?;
    let name = |id: &str| desk_name(&agencies, id).to_string();
    let breached: u32 = figures.breaches.iter().map(|(_, n)| *n).sum();
    let flagged: u32 = figures.photo_flags.iter().map(|(_, n)| *n).sum();
    let backlog_full = figures
        .backlog
        .iter()
        .map(|(_, bands)| bands.iter().sum::<u32>())
        .max()
        .unwrap_or(0);
    let backlog_bars: Vec<Bar> = figures
        .backlog
        .iter()
        .map(|(status, bands)| Bar {
            label: format!("{}: {}", status_name(*status), bands.iter().sum::<u32>()),
            parts: bands.to_vec(),
        })
        .collect();
    let latest = figures.weeks.len().saturating_sub(1);
    let week_bars: Vec<Bar> = figures
        .on_time
        .iter()
        .filter_map(|(id, cells)| {
            let cell = *cells.get(latest)?;
            let percent = cell.percent()?;
            Some(Bar::plain(
                format!("{}: {}", name(id), share(cell)),
                percent,
            ))
        })
        .collect();
    let kecamatan: Vec<(String, u32)> = figures
        .kecamatan
        .iter()
        .take(KECAMATAN_DRAWN)
        .cloned()
        .collect();
    let body = html! {
        h1 { "Ringkasan kota" }
        p.meta { "Per " (short_time(now)) " WIB. Laporan terbuka dihitung saat halaman dibuka; "
            "tindak lanjut dari catatan instansi, per minggu (Senin–Minggu WIB)." }
        dl.tiles {
            div { dt { "Laporan terbuka" } dd data-figure="terbuka" { (figures.open()) } }
            div { dt { "Tenggat terlewati" } dd data-figure="terlambat" { (breached) } }
            div { dt { "Foto bukti ditandai" } dd data-figure="foto" { (flagged) } }
        }
        p { "Unduh CSV: "
            a href={(ROOT) "/ekspor/" (EXPORT_REPORTS)} download { "laporan terbuka" } " · "
            a href={(ROOT) "/ekspor/" (EXPORT_FIGURES)} download { "angka di halaman ini" } }

        section.figures aria-labelledby="antrean" {
            h2 id="antrean" { "Laporan terbuka menurut status dan umur" }
            div.pair {
            div.drawn {
                ul.legend aria-hidden="true" {
                    @for (band, colour) in AGE_BANDS.iter().zip(BAND_COLOURS) {
                        li { svg width="12" height="12" viewBox="0 0 12 12" { rect width="12" height="12" fill=(colour) {} } " " (band) }
                    }
                }
                (chart::bars(&backlog_bars, backlog_full, &BAND_COLOURS, "antrean"))
            }
            div.scroll role="region" aria-label="Tabel status dan umur" tabindex="0" {
                table {
                    caption { "Umur dalam hari kalender sejak laporan masuk" }
                    thead { tr {
                        th scope="col" { "Status" }
                        @for band in AGE_BANDS { th scope="col" { (band) } }
                        th scope="col" { "Jumlah" }
                    } }
                    tbody {
                        @for (status, bands) in &figures.backlog {
                            tr {
                                th scope="row" { (status_name(*status)) }
                                @for n in bands { td { (n) } }
                                td { (bands.iter().sum::<u32>()) }
                            }
                        }
                    }
                }
            }
            }
        }

        section.figures aria-labelledby="terlambat" {
            h2 id="terlambat" { "Tenggat terlewati per instansi" }
            (counts(&figures.breaches, &figures.breaches, "terlambat", "Instansi", "Laporan terlambat", &name))
        }

        section.figures aria-labelledby="tepat-waktu" {
            h2 id="tepat-waktu" { "Tindak lanjut tepat waktu, minggu ini" }
            div.pair {
            div.drawn {
                @if week_bars.is_empty() {
                    p { "Belum ada tindak lanjut minggu ini." }
                } @else {
                    (chart::bars(&week_bars, 100, &[SHARE_COLOUR], "tepat-waktu"))
                }
            }
            div.scroll role="region" aria-label="Tabel tepat waktu per minggu" tabindex="0" {
                table data-table="tepat-waktu" {
                    caption { "Bagian tindak lanjut yang terbit dalam 5 hari kerja (jumlah tindak lanjut dalam kurung), per minggu mulai Senin" }
                    thead { tr {
                        th scope="col" { "Instansi" }
                        @for week in &figures.weeks { th scope="col" { (week.strftime("%d/%m")) } }
                    } }
                    tbody {
                        @for (id, cells) in &figures.on_time {
                            tr data-agency=(id) {
                                th scope="row" { (name(id)) }
                                @for cell in cells { td { (share(*cell)) } }
                            }
                        }
                    }
                }
            }
            }
        }

        section.figures aria-labelledby="kecamatan" {
            h2 id="kecamatan" { "Asal laporan terbuka per kecamatan" }
            @if figures.kecamatan.len() > KECAMATAN_DRAWN {
                p.meta { "Grafik: " (KECAMATAN_DRAWN) " kecamatan terbanyak; tabel: semuanya." }
            }
            (counts(&kecamatan, &figures.kecamatan, "kecamatan", "Kecamatan", "Laporan terbuka", &|k: &str| k.to_string()))
        }

        section.figures aria-labelledby="foto" {
            h2 id="foto" { "Foto bukti yang ditandai per instansi" }
            (counts(&figures.photo_flags, &figures.photo_flags, "foto", "Instansi", "Foto ditandai", &name))
        }
    };
    Ok(page(
        StatusCode::OK,
        Some(session),
        "Ringkasan kota",
        Some(&format!("{ROOT}/ringkasan")),
        body,
        &[],
    ))
}

/// `drawn` as a chart, then every count of `list` in a table.
fn counts(
    drawn: &[(String, u32)],
    list: &[(String, u32)],
    heading: &str,
    who: &str,
    what: &str,
    name: &dyn Fn(&str) -> String,
) -> Markup {
    let full = drawn.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let bars: Vec<Bar> = drawn
        .iter()
        .map(|(id, n)| Bar::plain(format!("{}: {n}", name(id)), *n))
        .collect();
    html! {
        @if list.is_empty() {
            p { "Tidak ada." }
        } @else {
            div.pair {
            div.drawn { (chart::bars(&bars, full, &[BAR_COLOUR], heading)) }
            div.scroll role="region" aria-label={ "Tabel " (what) " per " (who) } tabindex="0" {
                table data-table=(heading) {
                    thead { tr { th scope="col" { (who) } th scope="col" { (what) } } }
                    tbody {
                        @for (id, n) in list {
                            tr { th scope="row" { (name(id)) } td { (n) } }
                        }
                    }
                }
            }
            }
        }
    }
}

/// `GET /konsol/ekspor/{file}`: the open reports, or the figures, as CSV (no titles
/// or descriptions: an export leaves the system, personal data stays in it).
pub(crate) async fn export(
    app: &Backoffice,
    session: &Session,
    file: &str,
) -> Result<Response<Body>, ApiError> {
    allowed(session)?;
    if file != EXPORT_REPORTS && file != EXPORT_FIGURES {
        return Err(ApiError::not_found("Berkas ekspor ini tidak ada."));
    }
    let loaded = load(app).await?;
    let rows = if file == EXPORT_REPORTS {
        report_rows(&loaded)
    } else {
        figure_rows(&loaded)
    };
    Ok(csv(file, &rows))
}

fn report_rows(loaded: &Loaded) -> Vec<Vec<String>> {
    let local = |at: Timestamp| at.to_zoned(wib()).strftime("%Y-%m-%d %H:%M").to_string();
    let mut rows = vec![
        [
            "nomor",
            "status",
            "kategori",
            "kecamatan",
            "kanal",
            "masuk_wib",
            "tenggat_wib",
            "terlambat",
            "instansi",
        ]
        .map(String::from)
        .to_vec(),
    ];
    let mut open: Vec<&Report> = loaded.open.iter().collect();
    open.sort_by_key(|r| r.received_at);
    for report in open {
        let late = breached_desks(report, loaded.now);
        rows.push(vec![
            report.id.to_string(),
            status_name(report.status).to_string(),
            report.category.clone(),
            report
                .location
                .kecamatan
                .as_ref()
                .map(|k| k.name.clone())
                .unwrap_or_default(),
            report.channel.as_str().to_string(),
            local(report.received_at),
            next_deadline(report).map(local).unwrap_or_default(),
            if late.is_empty() { "tidak" } else { "ya" }.to_string(),
            report
                .assignments
                .iter()
                .filter(|a| a.is_open())
                .map(|a| a.agency.as_str())
                .collect::<Vec<_>>()
                .join(";"),
        ]);
    }
    rows
}

fn figure_rows(loaded: &Loaded) -> Vec<Vec<String>> {
    let figures = &loaded.figures;
    let name = |id: &str| desk_name(&loaded.agencies, id).to_string();
    let row = |part: &str, who: String, detail: String, value: u32| {
        vec![part.to_string(), who, detail, value.to_string()]
    };
    let mut rows = vec![
        ["bagian", "nama", "rincian", "nilai"]
            .map(String::from)
            .to_vec(),
    ];
    for (status, bands) in &figures.backlog {
        for (band, n) in AGE_BANDS.iter().zip(bands) {
            rows.push(row(
                "laporan_terbuka",
                status_name(*status).into(),
                (*band).into(),
                *n,
            ));
        }
    }
    for (id, n) in &figures.breaches {
        rows.push(row("tenggat_terlewati", name(id), String::new(), *n));
    }
    for (id, cells) in &figures.on_time {
        for (week, cell) in figures.weeks.iter().zip(cells) {
            let monday = week.to_string();
            rows.push(row(
                "tindak_lanjut",
                name(id),
                monday.clone(),
                cell.followed_up,
            ));
            rows.push(row(
                "tindak_lanjut_tepat_waktu",
                name(id),
                monday,
                cell.on_time,
            ));
        }
    }
    for (kecamatan, n) in &figures.kecamatan {
        rows.push(row("kecamatan", kecamatan.clone(), String::new(), *n));
    }
    for (id, n) in &figures.photo_flags {
        rows.push(row("foto_ditandai", name(id), String::new(), *n));
    }
    rows
}

/// One CSV field: quoted when it must be, and a leading `=`, `+`, `-` or `@`
/// neutralised so a spreadsheet never runs it as a formula.
fn field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// The rows as a CSV attachment named `file`, never stored by a cache.
fn csv(file: &str, rows: &[Vec<String>]) -> Response<Body> {
    let mut text = String::new();
    for row in rows {
        let line: Vec<String> = row.iter().map(|v| field(v)).collect();
        text.push_str(&line.join(","));
        text.push_str("\r\n");
    }
    let mut response = Response::new(Body::Text(text));
    let headers = response.headers_mut();
    let fixed = [
        (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
        (header::CACHE_CONTROL, "no-store"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_that_could_run_as_a_formula_or_break_a_row_is_made_harmless() {
        assert_eq!(field("Coblong"), "Coblong");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("-1"), "'-1");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("baris\nbaru"), "\"baris\nbaru\"");
    }
}
