//! The agency's inbox: its reports by deadline (one Query of its inbox partition),
//! each with where its assignment stands, who holds it, and the working days left;
//! "Laporan saya" keeps those the signed-in officer holds (the same Query, filtered).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use maud::html;
use sigap::http::ApiError;

use super::desk::{days_left_badge, short_time};
use super::session::Session;
use super::{ROOT, page};
use crate::{Backoffice, QUEUE_PAGE, forbidden};

/// `GET /konsol/kotak-masuk[?saya=1]`: the signed-in officer's agency's reports, or
/// only theirs.
pub(crate) async fn show(
    app: &Backoffice,
    session: &Session,
    only_mine: bool,
) -> Result<Response<Body>, ApiError> {
    let Some(agency) = session.staff.agency() else {
        return Err(forbidden());
    };
    let mut entries = app
        .reports
        .store()
        .inbox(agency, QUEUE_PAGE)
        .await
        .map_err(|e| ApiError::unavailable_because("reading inbox", e))?;
    entries.sort_by_key(|e| e.assignment.due_at);
    if only_mine {
        entries.retain(|e| {
            e.assignment
                .officer
                .as_ref()
                .is_some_and(|o| o.subject == session.staff.subject)
        });
    }
    let screen = format!("{ROOT}/kotak-masuk");
    let agencies = app.agencies().await?;
    let name = agencies
        .iter()
        .find(|a| a.id == agency)
        .map_or(agency, |a| a.name.as_str());
    let (now, calendar) = (app.clock.now(), app.working_calendar().await?);
    let body = html! {
        h1 { "Kotak masuk " (name) }
        p.keys id="shortcuts" hidden { "Pintasan: " kbd { "j" } " / " kbd { "k" } " pindah laporan, "
            kbd { "Enter" } " buka." }
        nav.tabs aria-label="Laporan yang ditampilkan" {
            @if only_mine {
                a href=(screen) { "Semua laporan instansi" }
                a href={(screen) "?saya=1"} aria-current="page" { "Laporan saya" }
            } @else {
                a href=(screen) aria-current="page" { "Semua laporan instansi" }
                a href={(screen) "?saya=1"} { "Laporan saya" }
            }
        }
        @if entries.is_empty() {
            p.panel { @if only_mine { "Anda belum memegang laporan. Ambil laporan dari halamannya." }
                @else { "Tidak ada laporan untuk instansi ini." } }
        } @else {
            div.scroll role="region" aria-label="Laporan instansi" tabindex="0" {
                table {
                    caption { (entries.len()) " laporan, tenggat terdekat dahulu" }
                    thead { tr {
                        th scope="col" { "Laporan" }
                        th scope="col" { "Kecamatan" }
                        th scope="col" { "Status" }
                        th scope="col" { "Petugas" }
                        th scope="col" { "Tenggat" }
                        th scope="col" { "Sisa waktu" }
                    } }
                    tbody {
                        @for e in &entries {
                            @let href = format!("{ROOT}/laporan/{}", e.report_id);
                            @let due = e.assignment.due_at;
                            tr data-href=(href) {
                                td { a href=(href) { (e.report_id) } br; (e.title) }
                                td { (e.kecamatan.as_deref().unwrap_or("—")) }
                                td { (e.assignment.status.label()) }
                                td { (e.assignment.officer.as_ref().map_or("—", |o| o.name.as_str())) }
                                td { (short_time(due)) }
                                td { (days_left_badge(
                                    calendar.working_days_left(now, due),
                                    e.assignment.sla.breached_at.is_some() || due < now,
                                )) }
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
        "Kotak masuk",
        Some(&screen),
        body,
        &[],
    ))
}
