//! The agency's inbox: its reports by deadline (one Query of its inbox partition),
//! each with where its assignment stands and the working days left.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use maud::html;
use sigap::http::ApiError;

use super::desk::{days_left_badge, short_time};
use super::session::Session;
use super::{ROOT, page};
use crate::{Backoffice, QUEUE_PAGE, forbidden};

/// `GET /konsol/kotak-masuk`: the signed-in officer's agency's reports.
pub(crate) async fn show(app: &Backoffice, session: &Session) -> Result<Response<Body>, ApiError> {
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
        @if entries.is_empty() {
            p.panel { "Tidak ada laporan untuk instansi ini." }
        } @else {
            div.scroll role="region" aria-label="Laporan instansi" tabindex="0" {
                table {
                    caption { (entries.len()) " laporan, tenggat terdekat dahulu" }
                    thead { tr {
                        th scope="col" { "Laporan" }
                        th scope="col" { "Kecamatan" }
                        th scope="col" { "Status" }
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
        Some(&format!("{ROOT}/kotak-masuk")),
        body,
        &[],
    ))
}
