//! One incident on the command centre's board (`/konsol/pusat/{id}`): its state,
//! place and timeline, the number to call back (operators and admins), and what the
//! signed-in member may do to it: a responder takes it ("Saya tangani", which stands
//! down every tier paged), a responder or an operator adds a note or closes it with
//! an outcome. Each action is the shared incident desk's
//! ([`sigap::service::incidents`]), as the JSON API's is.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use maud::{Markup, html};
use sigap::domain::incident::{Incident, IncidentState, Outcome, happened_label};
use sigap::domain::staff::{may_close_incident, may_read_incidents, sees_caller};
use sigap::http::{ApiError, forwarded_base_url};
use sigap::service::incidents::{MAX_INCIDENT_TEXT, StaffAction, call_back, incident_text};
use sigap::web::{query, see_other};

use super::board::{place, since, source_label};
use super::desk::short_time;
use super::session::Session;
use super::{Form, ROOT, page};
use crate::{Backoffice, forbidden};

/// `GET /konsol/pusat/{id}[?selesai=<action>]`: one incident, its timeline of
/// pages, escalations and stand-downs, what this member may do to it, and for
/// operators and admins the number to call back (the 112 caller's, or the Panic
/// Button's registered phone).
pub(crate) async fn show(
    app: &Backoffice,
    session: &Session,
    raw_id: &str,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let staff = &session.staff;
    if !may_read_incidents(staff) {
        return Err(forbidden());
    }
    let not_found = || ApiError::not_found("Kejadian tidak ditemukan.");
    let id = sigap::domain::incident::parse_incident_code(raw_id).ok_or_else(not_found)?;
    let incidents = &app.responders;
    let unavailable = |e| ApiError::unavailable_because("reading the incident", e);
    let incident = incidents
        .get(&id)
        .await
        .map_err(unavailable)?
        .ok_or_else(not_found)?;
    let timeline = incidents.timeline(&id).await.map_err(unavailable)?;
    let call_back = match sees_caller(staff) {
        true => call_back(incidents, &app.devices, &incident)
            .await
            .map_err(unavailable)?,
        false => None,
    };
    let banner = query(request, "selesai").and_then(done_message);
    let now = app.clock.now();
    let esc = &incident.escalation;
    let body = html! {
        p { a href={(ROOT) "/pusat"} { "← Papan 112" } }
        h1 { "Kejadian " (incident.id) " " span.badge.emergency { (incident.kind.label()) } }
        @if let Some(message) = banner { p.notice role="status" { (message) } }
        div.columns {
            div {
                section.panel aria-labelledby="keadaan" {
                    h2 id="keadaan" { "Keadaan" }
                    dl.facts {
                        dt { "Status" } dd id="status-kejadian" { (incident.state.label()) }
                        @if let Some(outcome) = incident.outcome { dt { "Hasil" } dd { (outcome.label()) } }
                        dt { "Sumber" } dd { (source_label(&incident.source)) }
                        dt { "Dibuka" } dd { (short_time(incident.opened_at)) " WIB, " (since(incident.opened_at, now)) " lalu" }
                        dt { "Tier" } dd { "T" (esc.tier) @if esc.exhausted { " " span.badge.late { "Tidak ada yang menjawab" } } }
                        dt { "Sektor" } dd { (incident.sector) }
                        dt { "Pemilik" } dd { @match &incident.owner { Some(owner) => (owner), None => span.badge.warn { "Belum ada" } } }
                        dt { "Lokasi" } dd { (place(&incident)) }
                    }
                    @if let Some(number) = &call_back {
                        p { a.button href={"tel:" (number.as_e164())} { "Telepon balik " (number.as_e164()) } }
                    }
                }
                (actions(app, session, &incident, call_back.is_some()))
            }
            div {
                section.panel aria-labelledby="riwayat-kejadian" {
                    h2 id="riwayat-kejadian" { "Riwayat" }
                    ol.timeline {
                        @for entry in &timeline {
                            li {
                                (short_time(entry.at)) " · " (happened_label(&entry.what))
                                @if let Some(detail) = &entry.detail { " · " span.meta { (detail) } }
                                br; span.meta { (entry.actor) }
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
        &format!("Kejadian {}", incident.id),
        None,
        body,
        &[],
    ))
}

/// What the banner says after `action`.
fn done_message(action: &str) -> Option<&'static str> {
    Some(match action {
        "tangani" => {
            "Tercatat: unit Anda menangani kejadian ini. Eskalasi berhenti dan tier yang dipanggil diberi tahu."
        }
        "catatan" => "Catatan ditambahkan ke riwayat.",
        "tutup" => "Kejadian ditutup.",
        "panggilan" => "Panggilan 112 tercatat dan responder tier 0 dipanggil.",
        "tautan-lokasi" => {
            "Tautan lokasi terkirim lewat SMS (berlaku 30 menit, sekali pakai). Posisi penelepon muncul di sini dan di papan begitu ia membukanya."
        }
        _ => return None,
    })
}

/// The forms this member may use on `incident` now (none when it is closed, for
/// supervisors and admins, or where the stack does not page from the console).
fn actions(app: &Backoffice, session: &Session, incident: &Incident, has_number: bool) -> Markup {
    let staff = &session.staff;
    let open = matches!(
        incident.state,
        IncidentState::Triggered | IncidentState::Acknowledged
    );
    let unit = staff.unit();
    let may_take = incident.state == IncidentState::Triggered && unit.is_some();
    let may_write = unit.is_some() || staff.is_operator();
    let may_close = may_close_incident(staff, incident.owner.as_deref());
    if app.desk.is_none() || !open || !may_write {
        return html! {};
    }
    let action = |name: &str| format!("{ROOT}/pusat/{}/{name}", incident.id);
    let csrf = html! { input type="hidden" name="csrf" value=(session.csrf_token()); };
    html! {
        section.panel aria-labelledby="tindakan" {
            h2 id="tindakan" { "Tindakan" }
            @if let (true, Some(unit)) = (may_take, unit) {
                form method="post" action=(action("tangani")) {
                    (csrf)
                    p.meta { "Unit " (unit) " mengambil kejadian ini: eskalasi berhenti dan tier yang sudah dipanggil diberi tahu." }
                    button type="submit" { "Saya tangani" }
                }
            }
            @if staff.is_operator() && has_number {
                form method="post" action=(action("tautan-lokasi")) {
                    (csrf)
                    p.meta { "Penelepon menerima SMS berisi tautan; halamannya meminta lokasi ponselnya dan mengirimnya ke sini. Tautan tidak menyebut kejadiannya." }
                    button.secondary type="submit" { "Kirim tautan lokasi" }
                }
            }
            form method="post" action=(action("catatan")) {
                (csrf)
                label for="catatan-baru" { "Catatan" }
                textarea id="catatan-baru" name="catatan" rows="2" maxlength=(MAX_INCIDENT_TEXT) required {}
                button.secondary type="submit" { "Tambah catatan" }
            }
            @if may_close {
                form method="post" action=(action("tutup")) {
                    (csrf)
                    fieldset {
                        legend { "Tutup dengan hasil" }
                        @for outcome in Outcome::ALL {
                            label.choice {
                                input type="radio" name="hasil" value=(outcome.as_str()) required;
                                " " (outcome.label())
                            }
                        }
                    }
                    label for="catatan-tutup" { "Keterangan (tidak wajib)" }
                    textarea id="catatan-tutup" name="catatan" rows="2" maxlength=(MAX_INCIDENT_TEXT) {}
                    button.secondary type="submit" { "Tutup kejadian" }
                }
            }
        }
    }
}

/// `POST /konsol/pusat/{id}/{action}`: `tangani` (a responder takes it), `catatan`
/// (a line on the timeline), `tutup` (closed with an outcome, `hasil`),
/// `tautan-lokasi` (an operator texts the caller a location link); then back to the
/// incident with what was done.
pub(crate) async fn act(
    app: &Backoffice,
    session: &Session,
    raw_id: &str,
    action: &str,
    form: &Form,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let desk = app.desk.as_ref().ok_or_else(not_paging)?;
    if action == "tautan-lokasi" {
        let incident = desk
            .send_location_link(&session.staff, raw_id, &forwarded_base_url(request))
            .await?;
        return Ok(see_other(
            &format!("{ROOT}/pusat/{}?selesai={action}", incident.id),
            &[],
        ));
    }
    let note = incident_text(form.get("catatan"), "Catatan")?;
    let command = match action {
        "tangani" => StaffAction::Acknowledge,
        "catatan" => {
            StaffAction::Note(note.ok_or_else(|| ApiError::invalid("Tulis catatannya dulu."))?)
        }
        "tutup" => StaffAction::Resolve {
            outcome: form
                .get("hasil")
                .and_then(|chosen| Outcome::ALL.into_iter().find(|o| o.as_str() == chosen))
                .ok_or_else(|| {
                    ApiError::invalid("Pilih hasilnya: darurat nyata, ringan, atau bukan darurat.")
                })?,
            note,
        },
        _ => return Err(ApiError::not_found("Tindakan tidak dikenal.")),
    };
    let incident = desk.act(&session.staff, raw_id, command).await?;
    Ok(see_other(
        &format!("{ROOT}/pusat/{}?selesai={action}", incident.id),
        &[],
    ))
}

/// 503 where the console has no paging configured (the board then only reads).
pub(super) fn not_paging() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "paging_not_configured",
        "Konsol ini belum tersambung ke jalur panggilan darurat. Gunakan API staf atau hubungi admin sistem.",
    )
}
