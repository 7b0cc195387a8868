//! `POST /laporan/{id}/foto`: the reporter asks to add a photo; the answer is a
//! page whose form sends the photo straight to the media bucket (a presigned POST:
//! the bytes never pass through a function), and S3 sends the browser back to the
//! report's page. The slot is the API's own (`evidence_slot`, as
//! `POST /reports/{id}/photos`), so the same limits and the same daily message
//! count apply, and `media` checks and strips the photo as it does any other.
//!
//! With JavaScript off the phone sends the photo as taken. With it on, `app.js`
//! shrinks it in the browser first (the display copy's longest side, JPEG) and puts
//! the smaller file in the same field, to save data.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use maud::html;
use sigap::domain::tracking_id::TrackingId;
use sigap::http::ApiError;
use sigap::web::page_origin;

use super::{Caching, Lang, html_posting_to, layout, origins};
use crate::{WebIntake, evidence_slot};

/// The upload form for one new photo slot on report `id`.
pub(crate) async fn page(
    app: &WebIntake,
    request: &Request,
    id: &TrackingId,
    token: &str,
    lang: Lang,
) -> Result<Response<Body>, ApiError> {
    let back = format!("{}/laporan/{id}?terkirim=foto", page_origin(request));
    let opened = evidence_slot(app, id, token, Some(&back)).await?;
    let upload = &opened.upload;
    let limits = app.photos.limits();
    let megabytes = limits.max_bytes / (1024 * 1024);
    let title = lang.t("Tambah foto", "Add a photo");
    let body = html! {
        p { a href={ "/laporan/" (id) } { (lang.t("← Kembali ke laporan ", "← Back to report ")) (id) } }
        h1 { (title) }
        p.hint {
            (lang.t("Foto JPEG, PNG atau WebP, paling besar ", "A JPEG, PNG or WebP photo, at most "))
            (megabytes) " MB. "
            (lang.t(
                "Data di dalam foto (lokasi, jenis ponsel) dihapus. Foto tampil untuk umum setelah admin memverifikasi laporan; hindari wajah dan pelat nomor.",
                "Data inside the photo (location, phone model) is removed. It is shown publicly once an administrator has verified the report; avoid faces and number plates.",
            ))
        }
        form id="unggah-foto" method="post" action=(upload.url) enctype="multipart/form-data"
            data-max-edge=(limits.display_edge) {
            @for (name, value) in &upload.fields {
                input type="hidden" name=(name) value=(value);
            }
            // A phone's camera gives JPEG; app.js sets the chosen file's own type.
            input type="hidden" id="jenis-foto" name="Content-Type" value="image/jpeg";
            div.field {
                label for="foto" { (lang.t("Pilih atau ambil foto", "Choose or take a photo")) }
                // S3 reads the fields before the file and ignores any after it: the
                // file is the form's last named field.
                input type="file" id="foto" name="file" accept="image/jpeg,image/png,image/webp" required;
                p.hint id="status-foto" aria-live="polite" {}
            }
            button type="submit" { (lang.t("Unggah foto", "Upload the photo")) }
        }
        p.hint {
            (lang.t("Formulir ini berlaku 15 menit. Untuk foto lain, tekan Tambah foto lagi di halaman laporan.",
                "This form is valid for 15 minutes. For another photo, press Add a photo again on the report's page."))
        }
    };
    Ok(html_posting_to(
        StatusCode::OK,
        layout::page(lang, title, body),
        Caching::Private,
        &[],
        &origins(std::iter::once(upload.url.as_str())),
    ))
}
