//! The command centre's live board (issue 23): the open incidents of the Panic Button
//! and 112 on a map and in a list, for operators, responders, supervisors and admins.
//!
//! The list is one Query of the open-incidents work queue, newest first (at most
//! [`BOARD_LIMIT`], so a new incident is always on it), rendered here. With JavaScript the page asks for the list alone
//! every [`POLL_SECONDS`] (`?bagian=daftar`) with the `ETag` of the last answer: an
//! unchanged list is a bodiless 304, a changed one replaces the old, and an incident
//! not seen before raises the alert. Without JavaScript the page reloads itself.

use jiff::Timestamp;
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use maud::{Markup, html};
use sigap::adapters::incidents::OPEN_INCIDENTS;
use sigap::domain::incident::{Incident, IncidentState, Source};
use sigap::domain::staff::may_read_incidents;
use sigap::http::ApiError;
use sigap::runtime::ids::sha256_hex;
use sigap::web::{Caching, query};

use super::desk::short_time;
use super::layout::{Extras, map_area};
use super::session::Session;
use super::{ROOT, page_with};
use crate::{Backoffice, forbidden};

/// How many open incidents the board shows (a city's open emergencies are a handful).
pub const BOARD_LIMIT: i32 = 100;
/// How often an open board asks for the list again.
pub const POLL_SECONDS: u32 = 5;
/// How often the board reloads itself without JavaScript.
const RELOAD_SECONDS: u32 = 15;

/// `GET /konsol/pusat[?bagian=daftar]`: the board, or its list alone for the
/// board's own polling (304 when it has not changed since `If-None-Match`).
pub(crate) async fn show(
    app: &Backoffice,
    session: &Session,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    if !may_read_incidents(&session.staff) {
        return Err(forbidden());
    }
    let mut incidents = app
        .responders
        .latest(OPEN_INCIDENTS, BOARD_LIMIT)
        .await
        .map_err(|e| ApiError::unavailable_because("reading open incidents", e))?;
    incidents.sort_by_key(|incident| std::cmp::Reverse(urgency(incident)));
    let now = app.clock.now();
    // The list the board polls says no "how long ago" (it would change every poll):
    // the script keeps those counting from each row's opening time.
    if query(request, "bagian") == Some("daftar") {
        return Ok(fragment(request, incident_list(&incidents, None)));
    }
    let list = incident_list(&incidents, Some(now));
    let body = html! {
        h1 { "Papan 112 dan Tombol Darurat" }
        p.meta {
            span id="otomatis" hidden { "Diperbarui otomatis tiap " (POLL_SECONDS) " detik. " }
            "Kejadian yang belum ada pemiliknya di atas, lalu yang tak terjawab atau dengan PIN darurat, lalu tier tertinggi, lalu yang terbaru."
        }
        @if session.staff.is_operator() {
            p { a.button href={(ROOT) "/pusat/panggilan"} { "Catat panggilan 112" } }
        }
        div.alert id="peringatan" role="alert" hidden {
            p { strong id="peringatan-teks" {} }
            button type="button" id="peringatan-oke" { "Sudah saya lihat" }
        }
        @if let Some(tiles) = &app.map {
            (map_area("peta-kejadian", "Peta kejadian terbuka", tiles, None))
        }
        div id="daftar-kejadian" data-poll=(POLL_SECONDS) data-now=(now.as_second()) { (list) }
    };
    Ok(page_with(
        StatusCode::OK,
        Some(session),
        "Papan 112",
        Some(&format!("{ROOT}/pusat")),
        body,
        &[],
        Extras {
            map: app.map.as_ref(),
            reload_seconds: Some(RELOAD_SECONDS),
            ..Extras::default()
        },
    ))
}

/// Where an incident is, as the board says it.
pub(super) fn place(incident: &Incident) -> Markup {
    html! {
        @if let Some(fix) = incident.fix {
            (format!("{:.5}, {:.5}", fix.coordinates.lat(), fix.coordinates.lon()))
            @if let Some(accuracy) = fix.accuracy_m { br; span.meta { "± " (format!("{accuracy:.0}")) " m" } }
            @if fix.is_stale() { br; span.badge.warn { "Posisi lama" } }
            @if let Some(last) = incident.track.last() {
                br; span.meta { "Diperbarui " (short_time(last.at)) " WIB (" (incident.track.len()) " posisi)" }
            }
        }
        @if let Some(text) = &incident.location_text { br; (text) }
        @if incident.fix.is_none() && incident.location_text.is_none() { span.badge.warn { "Lokasi belum ada" } }
    }
}

/// Panic Button or 112.
pub(super) fn source_label(source: &Source) -> &'static str {
    match source {
        Source::PanicButton { .. } => "Tombol darurat",
        Source::Call112 { .. } => "Panggilan 112",
    }
}

/// How urgent an incident is, for the board's order: nobody owns it yet, then the
/// highest tier paged, then the newest.
fn urgency(incident: &Incident) -> (bool, bool, u8, Timestamp) {
    (
        incident.state == IncidentState::Triggered,
        incident.escalation.exhausted || incident.duress,
        incident.escalation.tier,
        incident.opened_at,
    )
}

/// The list alone, for the board's polling: an `ETag` of its bytes, and a 304
/// without them when the board already has this list.
fn fragment(request: &Request, list: Markup) -> Response<Body> {
    let list = list.into_string();
    let tag = format!("\"{}\"", &sha256_hex(&list)[..16]);
    let unchanged = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|sent| sent == tag);
    let mut response = if unchanged {
        let mut response = sigap::web::html(
            StatusCode::NOT_MODIFIED,
            String::new(),
            Caching::Private,
            &[],
            &[],
        );
        *response.body_mut() = Body::Empty;
        response
    } else {
        sigap::web::html(StatusCode::OK, list, Caching::Private, &[], &[])
    };
    if let Ok(value) = HeaderValue::from_str(&tag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// How long ago, as an operator says it.
pub(super) fn since(opened_at: Timestamp, now: Timestamp) -> String {
    let seconds = (now - opened_at).get_seconds().max(0);
    match seconds {
        0..60 => format!("{seconds} detik"),
        60..3600 => format!("{} menit", seconds / 60),
        _ => format!("{} jam {} menit", seconds / 3600, seconds % 3600 / 60),
    }
}

/// The open incidents as a table, each row carrying its point for the map; `now`
/// fills in how long ago each opened (the page's first paint, not its polls).
fn incident_list(incidents: &[Incident], now: Option<Timestamp>) -> Markup {
    html! {
        @if incidents.is_empty() {
            p.notice { "Tidak ada kejadian terbuka." }
        } @else {
            @if incidents.len() >= BOARD_LIMIT as usize {
                p.problem { "Menampilkan " (BOARD_LIMIT) " kejadian terbuka terbaru; ada yang lebih lama. Selesaikan kejadian yang sudah ditangani." }
            } @else {
                p { (incidents.len()) " kejadian terbuka" }
            }
            div.scroll {
                table.board {
                    thead {
                        tr {
                            th scope="col" { "Kejadian" }
                            th scope="col" { "Sejak" }
                            th scope="col" { "Tier" }
                            th scope="col" { "Dipanggil" }
                            th scope="col" { "Pemilik" }
                            th scope="col" { "Lokasi" }
                        }
                    }
                    tbody {
                        @for incident in incidents { (incident_row(incident, now)) }
                    }
                }
            }
        }
    }
}

/// The positions reported while the emergency lasts, `lat,lon` oldest first, for the
/// board's map to draw as a line (none before the first).
fn track(incident: &Incident) -> Option<String> {
    (!incident.track.is_empty()).then(|| {
        incident
            .track
            .iter()
            .map(|p| format!("{},{}", p.fix.coordinates.lat(), p.fix.coordinates.lon()))
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// One incident's row.
fn incident_row(incident: &Incident, now: Option<Timestamp>) -> Markup {
    let esc = &incident.escalation;
    let point = incident.fix.map(|f| f.coordinates);
    let source = source_label(&incident.source);
    let paged = esc
        .paged_tiers
        .iter()
        .map(|t| format!("T{t}"))
        .collect::<Vec<_>>()
        .join(", ");
    html! {
        tr data-id=(incident.id) data-lat=[point.map(|c| c.lat())] data-lon=[point.map(|c| c.lon())] data-track=[track(incident)] {
            td {
                a href={(ROOT) "/pusat/" (incident.id)} { strong { (incident.id) } } br;
                span.badge.emergency { (incident.kind.label()) } " " (source)
                @if incident.duress { br; span.badge.late { "Dipaksa (PIN darurat)" } }
                @if incident.low_trust { br; span.badge.warn { "Riwayat tekan tanpa darurat" } }
                @if incident.presses > 1 { br; span.meta { (incident.presses) " kali ditekan" } }
            }
            td {
                span.since data-opened=(incident.opened_at.as_second()) {
                    @if let Some(now) = now { (since(incident.opened_at, now)) " lalu" }
                }
                br; span.meta { (short_time(incident.opened_at)) " WIB" }
            }
            td {
                "T" (esc.tier)
                @if esc.exhausted { br; span.badge.late { "Tidak ada yang menjawab" } }
            }
            td { @if paged.is_empty() { "—" } @else { (paged) } br; span.meta { "Sektor " (incident.sector) } }
            td {
                @match &incident.owner {
                    Some(owner) => { (owner) }
                    None => span.badge.warn { "Belum ada" },
                }
            }
            td { (place(incident)) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_since_is_said_in_seconds_minutes_then_hours() {
        let opened: Timestamp = "2026-12-07T01:00:00Z".parse().unwrap();
        let after = |seconds: i64| opened + jiff::SignedDuration::from_secs(seconds);
        assert_eq!(since(opened, after(0)), "0 detik");
        assert_eq!(since(opened, after(59)), "59 detik");
        assert_eq!(since(opened, after(60)), "1 menit");
        assert_eq!(since(opened, after(3599)), "59 menit");
        assert_eq!(since(opened, after(3600 + 5 * 60 + 7)), "1 jam 5 menit");
        // A clock a little behind the press's is "0 detik", never negative.
        assert_eq!(since(after(5), opened), "0 detik");
    }
}
