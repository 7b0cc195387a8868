//! The citizen pages: LAPOR! on the web, server-rendered HTML for cheap phones on slow
//! data. They call the same services as the JSON API (one `file_report`, one
//! `public_view`, one `act`) and add only their parsing and presentation.
//!
//! Every page works with JavaScript off (plain links and form posts); `app.js` only
//! enhances. No inline script or style: the Content-Security-Policy allows scripts
//! and styles from this origin alone. Why the pages live in `web-intake`, and how the
//! reporter's token is kept: `docs/decisions/citizen-pages.md`.

mod agency_record;
mod assets;
mod home;
mod layout;
pub mod map;
mod nearby;
mod photo_upload;
mod report_form;
mod track;

use lambda_http::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Request, Response};
use maud::Markup;
use sigap::http::ApiError;
pub(crate) use sigap::web::{Caching, cookie, origins, same_site_post, see_other};

use crate::WebIntake;

/// Largest form a page accepts (a report's text and contact; photos go to S3).
pub(crate) const MAX_FORM_BYTES: usize = 32 * 1024;

/// Serves a page path, or `None` when the path is not one of the pages'.
pub(crate) async fn route(
    app: &WebIntake,
    request: &Request,
    segments: &[&str],
) -> Option<Response<Body>> {
    let lang = Lang::of(request);
    let method = request.method();
    let response = match (method, segments) {
        (&Method::GET, []) => home::page(app, lang).await,
        (&Method::GET, ["lapor"]) => report_form::blank(app, lang).await,
        (&Method::POST, ["lapor"]) => report_form::post(app, request, lang).await,
        (&Method::GET, ["lacak"]) => track::find(request, lang),
        (&Method::GET, ["sekitar"]) => nearby::page(app, request, lang).await,
        (&Method::GET, ["laporan", id]) => track::page(app, request, id, lang).await,
        (&Method::POST, ["laporan", id, action]) => {
            track::post(app, request, id, action, lang).await
        }
        (&Method::GET, ["instansi"]) => agency_record::index(app, lang).await,
        (&Method::GET, ["instansi", id]) => agency_record::agency(app, id, lang).await,
        (&Method::GET, ["assets", name]) => assets::serve(name),
        (
            _,
            []
            | ["lapor"]
            | ["lacak"]
            | ["sekitar"]
            | ["instansi"]
            | ["instansi", _]
            | ["laporan", _]
            | ["laporan", _, _],
        ) => method_not_allowed(),
        _ => return None,
    }
    .unwrap_or_else(|error| error_page(lang, &error));
    Some(with_language_cookie(request, response))
}

/// Indonesian first; English for whoever chose it (remembered in a cookie).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    /// Bahasa Indonesia, the default.
    Id,
    /// English.
    En,
}

impl Lang {
    /// `?lang=` when given (the switch's link), else the `lang` cookie, else Indonesian.
    fn of(request: &Request) -> Self {
        let chosen = sigap::web::query(request, "lang")
            .map(str::to_string)
            .or_else(|| cookie(request, "lang"));
        match chosen.as_deref() {
            Some("en") => Lang::En,
            _ => Lang::Id,
        }
    }

    /// The text in this language.
    pub(crate) fn t(self, id: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Id => id,
            Lang::En => en,
        }
    }

    /// The `lang` attribute.
    pub(crate) fn code(self) -> &'static str {
        match self {
            Lang::Id => "id",
            Lang::En => "en",
        }
    }
}

/// A choice made with `?lang=` is remembered for a year.
fn with_language_cookie(request: &Request, mut response: Response<Body>) -> Response<Body> {
    if let Some(chosen) = sigap::web::query(request, "lang").filter(|l| ["id", "en"].contains(l)) {
        let value = format!("lang={chosen}; Path=/; Max-Age=31536000; SameSite=Lax; Secure");
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// An HTML page with the pages' security headers. `img_origins` are the other
/// origins its images come from (the media bucket's signed links).
pub(crate) fn html(
    status: StatusCode,
    markup: Markup,
    caching: Caching,
    img_origins: &[String],
) -> Response<Body> {
    sigap::web::html(status, markup.into_string(), caching, img_origins, &[])
}

/// [`html`] for a page with a form sent elsewhere than this origin too (the photo
/// upload, straight to the media bucket): `form_origins` are allowed as targets.
pub(crate) fn html_posting_to(
    status: StatusCode,
    markup: Markup,
    caching: Caching,
    img_origins: &[String],
    form_origins: &[String],
) -> Response<Body> {
    sigap::web::html(
        status,
        markup.into_string(),
        caching,
        img_origins,
        form_origins,
    )
}

/// The page for an error the services answered: its status and Indonesian message.
pub(crate) fn error_page(lang: Lang, error: &ApiError) -> Response<Body> {
    let heading = match error.status {
        StatusCode::NOT_FOUND => lang.t("Tidak ditemukan", "Not found"),
        StatusCode::TOO_MANY_REQUESTS => lang.t("Terlalu banyak permintaan", "Too many requests"),
        s if s.is_server_error() => lang.t("Layanan sedang terganggu", "Service unavailable"),
        _ => lang.t("Permintaan tidak dapat diproses", "Request refused"),
    };
    let body = maud::html! {
        h1 { (heading) }
        p { (error.message) }
        p { a href="/" { (lang.t("Kembali ke beranda", "Back to the home page")) } }
    };
    html(
        error.status,
        layout::page(lang, heading, body),
        Caching::Private,
        &[],
    )
}

/// A page path asked with a method it does not serve.
fn method_not_allowed() -> Result<Response<Body>, ApiError> {
    Err(ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Metode HTTP ini tidak didukung untuk alamat tersebut.",
    ))
}

/// A posted form's pairs (`application/x-www-form-urlencoded`), within the size limit.
pub(crate) fn form_pairs(request: &Request) -> Result<Vec<(String, String)>, ApiError> {
    sigap::web::form_pairs(request, MAX_FORM_BYTES)
}
