//! The numbers blocked from 1708 (`/konsol/diblokir`): admins and supervisors see the
//! blocks in force, masked, with why, until when and by whom; admins lift one. A
//! block is made from the report the number sent (`desk::block_sender`). The same
//! sequences as `/staff/blocked-senders`.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use maud::html;
use sigap::http::ApiError;
use sigap::web::see_other;

use super::desk::short_time;
use super::session::Session;
use super::{ROOT, page};
use crate::Backoffice;
use crate::senders::{in_force, lift};

/// `GET /konsol/diblokir[?selesai=buka]`: the blocks in force.
pub(crate) async fn show(
    app: &Backoffice,
    session: &Session,
    lifted: bool,
) -> Result<Response<Body>, ApiError> {
    let staff = &session.staff;
    let mut blocked = in_force(app, staff).await?;
    blocked.sort_by_key(|b| b.until);
    let body = html! {
        h1 { "Nomor yang diblokir" }
        @if lifted { p.notice role="status" { "Blokir dicabut: pesan dari nomor itu diterima lagi." } }
        p.meta { "Pesan dari nomor ini ke 1708 tidak diterima sampai blokirnya berakhir. "
            "Blokir dibuat dari halaman laporan yang dikirim nomor itu." }
        @if blocked.is_empty() {
            p.panel { "Tidak ada nomor yang diblokir." }
        } @else {
            div.scroll role="region" aria-label="Daftar blokir" tabindex="0" {
                table {
                    caption { (blocked.len()) " nomor, yang berakhir paling cepat dahulu" }
                    thead { tr {
                        th scope="col" { "Nomor" }
                        th scope="col" { "Alasan" }
                        th scope="col" { "Sampai" }
                        th scope="col" { "Oleh" }
                        @if staff.is_admin() { th scope="col" { "Tindakan" } }
                    } }
                    tbody {
                        @for b in &blocked {
                            tr {
                                th scope="row" { (b.masked) }
                                td { (b.reason) }
                                td { (short_time(b.until)) }
                                td { (b.by) }
                                @if staff.is_admin() {
                                    td {
                                        form method="post" action={(ROOT) "/diblokir/" (b.sender) "/buka"} {
                                            input type="hidden" name="csrf" value=(session.csrf_token());
                                            button.secondary type="submit" aria-label={ "Cabut blokir " (b.masked) } { "Cabut blokir" }
                                        }
                                    }
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
        "Nomor yang diblokir",
        Some(&format!("{ROOT}/diblokir")),
        body,
        &[],
    ))
}

/// `POST /konsol/diblokir/{sender}/buka` (admins): lifts the block, back to the list.
pub(crate) async fn lift_block(
    app: &Backoffice,
    session: &Session,
    sender: &str,
) -> Result<Response<Body>, ApiError> {
    lift(app, &session.staff, sender).await?;
    Ok(see_other(&format!("{ROOT}/diblokir?selesai=buka"), &[]))
}
