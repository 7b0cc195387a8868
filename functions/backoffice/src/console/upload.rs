//! `POST /konsol/laporan/{id}/foto`: a photo for a report, sent by the browser
//! straight to the media bucket. The answer is a page whose form is a presigned POST
//! (the bytes never pass through a function); S3 sends the browser back to the
//! report. The slot is the staff API's own (`crate::open_photo_slot`): an agency's
//! proof of the fix, shown with its next follow-up and checked by `media` like any
//! photo (its flags appear on the report), or an admin's evidence for the reporter.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use maud::html;
use sigap::http::ApiError;
use sigap::web::{origins, page_origin};

use super::layout::Extras;
use super::session::Session;
use super::{ROOT, page_with};
use crate::{Backoffice, open_photo_slot};

/// The upload form for a new photo slot on report `raw_id`.
pub(crate) async fn form(
    app: &Backoffice,
    session: &Session,
    raw_id: &str,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    let staff = &session.staff;
    let report_page = format!("{ROOT}/laporan/{raw_id}");
    let back = format!("{}{report_page}?selesai=foto", page_origin(request));
    let opened = open_photo_slot(app, staff, raw_id, Some(&back)).await?;
    let upload = &opened.upload;
    let megabytes = app.photos.limits().max_bytes / (1024 * 1024);
    let (title, hint) = if staff.agency().is_some() {
        (
            "Tambah foto bukti penanganan",
            "Foto tampil bersama tindak lanjut berikutnya. Pemeriksaan foto menandai foto lama, hasil suntingan, atau yang diambil jauh dari lokasi.",
        )
    } else {
        (
            "Tambah foto untuk pelapor",
            "Untuk foto yang dikirim pelapor lewat jalur lain. Data di dalam foto (lokasi, jenis ponsel) dihapus.",
        )
    };
    let body = html! {
        p { a href=(report_page) { "← Kembali ke laporan " (raw_id) } }
        h1 { (title) }
        p.meta { "Foto JPEG, PNG atau WebP, paling besar " (megabytes) " MB. " (hint) }
        form.panel id="unggah-foto" method="post" action=(upload.url) enctype="multipart/form-data" {
            @for (name, value) in &upload.fields {
                input type="hidden" name=(name) value=(value);
            }
            input type="hidden" id="jenis-foto" name="Content-Type" value="image/jpeg";
            label for="foto" { "Pilih foto" }
            // S3 reads the fields before the file and ignores any after it.
            input type="file" id="foto" name="file" accept="image/jpeg,image/png,image/webp" required;
            p { button type="submit" { "Unggah foto" } }
        }
        p.meta { "Formulir ini berlaku 15 menit; untuk foto lain, tekan Tambah foto lagi di halaman laporan." }
    };
    Ok(page_with(
        StatusCode::OK,
        Some(session),
        title,
        None,
        body,
        &[],
        Extras {
            form_origins: &origins(std::iter::once(upload.url.as_str())),
            ..Extras::default()
        },
    ))
}
