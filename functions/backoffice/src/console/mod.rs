//! The staff console (issue 22, in progress): server-rendered screens for admins,
//! agency officers and supervisors under `/konsol/…`, on the same services and
//! permission rules as the JSON API (`crate::perform`, `crate::load`). Every screen
//! works with plain links and form posts; `console.js` only adds keyboard shortcuts.
//! The plan and what is built: `docs/decisions/staff-console.md`.
//!
//! Each request's session is the `sesi` cookie, checked here ([`session`]); a missing,
//! forged or expired one goes to the sign-in page. Every form carries the session's
//! CSRF token and is refused without it.

pub mod dev_sign_in;
pub mod session;
pub mod sign_in;

mod assets;
mod blocked;
mod dashboard;
mod desk;
mod inbox;
mod layout;
mod templates;
mod upload;

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use maud::{Markup, html};
use secrecy::{ExposeSecret, SecretString};
use sigap::domain::staff::Role;
use sigap::http::ApiError;
use sigap::web::{Caching, cookie, query, same_site_post, see_other};

use crate::Backoffice;
use dev_sign_in::{DEV_SESSION, DevSignIn};
use session::{Session, SessionError, Verifier};

/// The session cookie.
const SESSION_COOKIE: &str = "sesi";
/// Largest form the console accepts.
const MAX_FORM_BYTES: usize = 32 * 1024;
/// Where every console path starts.
pub(crate) const ROOT: &str = "/konsol";

/// How this console signs staff in.
pub struct Console {
    verifier: Option<Verifier>,
    dev: Option<DevSignIn>,
}

impl Console {
    /// With the development sign-in's key: its sign-in page and its sessions. Without
    /// it the console has no sign-in yet (the hosted one is the next step, see the
    /// decision record) and every screen says so.
    pub fn new(dev_key: Option<&SecretString>) -> Result<Self, jsonwebtoken::errors::Error> {
        Ok(match dev_key {
            Some(key) => {
                let (dev, verifier) = DevSignIn::new(key.expose_secret().as_bytes())?;
                Self {
                    verifier: Some(verifier),
                    dev: Some(dev),
                }
            }
            None => Self {
                verifier: None,
                dev: None,
            },
        })
    }
}

/// Serves `/konsol/…` (`rest` is the path after `konsol`).
pub(crate) async fn route(app: &Backoffice, request: &Request, rest: &[&str]) -> Response<Body> {
    let method = request.method();
    let result = match (method, rest) {
        (&Method::GET, ["aset", name]) => assets::serve(name),
        (&Method::GET, ["masuk"]) => Ok(sign_in_page(app, request).await),
        (&Method::POST, ["masuk"]) => dev_sign_in(app, request).await,
        (&Method::POST, ["keluar"]) => match posted(app, request) {
            Ok(_) => Ok(signed_out()),
            Err(refused) => return *refused,
        },
        (&Method::GET, path) => {
            let session = match signed_in(app, request) {
                Ok(session) => session,
                Err(to_sign_in) => return *to_sign_in,
            };
            let answer = match path {
                [] => Ok(home(&session)),
                ["antrean"] => desk::queue(app, &session, request).await,
                ["kotak-masuk"] => inbox::show(app, &session).await,
                ["laporan", id] => desk::report(app, &session, id, request).await,
                ["templat"] => templates::show(app, &session, request).await,
                ["ringkasan"] => dashboard::show(app, &session).await,
                ["diblokir"] => {
                    blocked::show(app, &session, query(request, "selesai") == Some("buka")).await
                }
                ["ekspor", file] => dashboard::export(app, &session, file).await,
                _ => Err(ApiError::not_found("Halaman tidak ditemukan.")),
            };
            return answer.unwrap_or_else(|error| error_page(Some(&session), &error));
        }
        (&Method::POST, ["templat"]) => {
            let (session, form) = match posted(app, request) {
                Ok(posted) => posted,
                Err(refused) => return *refused,
            };
            return templates::save(app, &session, &form)
                .await
                .unwrap_or_else(|error| error_page(Some(&session), &error));
        }
        (&Method::POST, ["diblokir", sender, "buka"]) => {
            let (session, _) = match posted(app, request) {
                Ok(posted) => posted,
                Err(refused) => return *refused,
            };
            return blocked::lift_block(app, &session, sender)
                .await
                .unwrap_or_else(|error| error_page(Some(&session), &error));
        }
        (&Method::POST, ["laporan", id, action]) => {
            let (session, form) = match posted(app, request) {
                Ok(posted) => posted,
                Err(refused) => return *refused,
            };
            let answer = match *action {
                "foto" => upload::form(app, &session, id, request).await,
                "blokir" => desk::block_sender(app, &session, id, &form).await,
                _ => desk::act(app, &session, id, action, &form).await,
            };
            return answer.unwrap_or_else(|error| error_page(Some(&session), &error));
        }
        _ => Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Metode HTTP ini tidak didukung untuk alamat tersebut.",
        )),
    };
    result.unwrap_or_else(|error| error_page(None, &error))
}

/// `GET /konsol`: each role's first screen.
fn home(session: &Session) -> Response<Body> {
    let staff = &session.staff;
    if staff.is_admin() || staff.is_supervisor() {
        see_other(&format!("{ROOT}/antrean"), &[])
    } else if staff.agency().is_some() {
        see_other(&format!("{ROOT}/kotak-masuk"), &[])
    } else {
        // Signed in all the same: the bar shows who, with its sign-out.
        error_page(
            Some(session),
            &ApiError::forbidden(
                "Peran Anda belum punya layar di konsol ini (papan 112 menyusul).",
            ),
        )
    }
}

/// The session the request's cookie holds, or the way to the sign-in page: a
/// missing or forged cookie is sent there plainly, an expired one with a notice.
fn signed_in(app: &Backoffice, request: &Request) -> Result<Session, Refused> {
    let Some(verifier) = &app.console.verifier else {
        return Err(Box::new(not_configured()));
    };
    let Some(token) = cookie(request, SESSION_COOKIE) else {
        return Err(Box::new(see_other(&format!("{ROOT}/masuk"), &[])));
    };
    verifier.check(&token, app.clock.now()).map_err(|refused| {
        let reason = match refused {
            SessionError::Expired => "berakhir",
            _ => "tidak-sah",
        };
        Box::new(see_other(
            &format!("{ROOT}/masuk?sesi={reason}"),
            &[clear_session()],
        ))
    })
}

/// A posted form's session and fields: signed in, sent from this site, and carrying
/// the session's CSRF token (`csrf`); anything else is refused with nothing done.
fn posted(app: &Backoffice, request: &Request) -> Result<(Session, Form), Refused> {
    let session = signed_in(app, request)?;
    let refuse = |error: ApiError| Box::new(error_page(Some(&session), &error));
    same_site_post(request).map_err(refuse)?;
    let form = Form(sigap::web::form_pairs(request, MAX_FORM_BYTES).map_err(refuse)?);
    if !form
        .get("csrf")
        .is_some_and(|sent| session.csrf_matches(sent))
    {
        return Err(refuse(ApiError::forbidden(
            "Formulir ini tidak sah atau sudah kedaluwarsa. Muat ulang halamannya lalu coba lagi.",
        )));
    }
    Ok((session, form))
}

/// The answer instead of a screen: the way to the sign-in page, or why a form was
/// refused (boxed: a response is large).
type Refused = Box<Response<Body>>;

/// A posted form's fields.
pub(crate) struct Form(Vec<(String, String)>);

impl Form {
    /// The first value of `name`, trimmed, if not empty.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.trim())
            .filter(|value| !value.is_empty())
    }

    /// Every value of `name` (checkboxes).
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(key, value)| key == name && !value.trim().is_empty())
            .map(|(_, value)| value.trim().to_string())
            .collect()
    }
}

/// `GET /konsol/masuk`: the sign-in page (with why, after an expired or refused
/// session, or after signing out).
async fn sign_in_page(app: &Backoffice, request: &Request) -> Response<Body> {
    let Some(_) = &app.console.dev else {
        return not_configured();
    };
    let notice = match query(request, "sesi") {
        Some("berakhir") => Some("Sesi Anda telah berakhir. Silakan masuk lagi."),
        Some("tidak-sah") => Some("Sesi Anda tidak dikenali. Silakan masuk lagi."),
        Some("keluar") => Some("Anda sudah keluar."),
        _ => None,
    };
    let roles = dev_roles(app).await;
    let body = html! {
        div.narrow {
            h1 { "Masuk ke konsol petugas" }
            @if let Some(notice) = notice { p.notice role="status" { (notice) } }
            div.panel {
                p { strong { "Masuk pengembangan." } " Hanya ada di devstack dan tier stack: "
                    "satu tombol per peran, tanpa kata sandi. Konsol yang dipasang memakai "
                    "halaman masuk Cognito dengan MFA." }
                form method="post" action={(ROOT) "/masuk"} {
                    div.roles {
                        @for (group, label) in &roles {
                            button type="submit" name="peran" value=(group) { (label) }
                        }
                    }
                }
            }
        }
    };
    page(StatusCode::OK, None, "Masuk", None, body, &[])
}

/// The roles the development sign-in offers: admin, supervisor, one per agency.
async fn dev_roles(app: &Backoffice) -> Vec<(String, String)> {
    let mut roles = vec![
        ("admin".to_string(), "Admin verifikasi".to_string()),
        ("supervisor".to_string(), "Supervisor kota".to_string()),
    ];
    if let Ok(agencies) = app.agencies().await {
        roles.extend(
            agencies
                .iter()
                .map(|a| (format!("agency:{}", a.id), format!("Petugas {}", a.name))),
        );
    }
    roles
}

/// `POST /konsol/masuk` (development sign-in): a session for the chosen role.
async fn dev_sign_in(app: &Backoffice, request: &Request) -> Result<Response<Body>, ApiError> {
    let Some(dev) = &app.console.dev else {
        return Ok(not_configured());
    };
    same_site_post(request)?;
    let form = Form(sigap::web::form_pairs(request, MAX_FORM_BYTES)?);
    let offered = dev_roles(app).await;
    let role = form
        .get("peran")
        .and_then(Role::parse)
        .filter(|role| offered.iter().any(|(group, _)| *group == role.name()))
        .ok_or_else(|| ApiError::invalid("Pilih salah satu peran yang tersedia."))?;
    let sign_in_id = app
        .ids
        .random_bytes(16)
        .map(hex::encode)
        .map_err(|e| ApiError::unavailable_because("sign-in id", e))?;
    let token = dev
        .issue(&role, app.clock.now(), &sign_in_id)
        .map_err(|e| ApiError::unavailable_because("issuing a session", e))?;
    tracing::info!(role = %role.name(), "development sign-in");
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path={ROOT}; HttpOnly; Secure; SameSite=Lax; Max-Age={}",
        DEV_SESSION.as_secs()
    );
    Ok(see_other(ROOT, &[cookie]))
}

/// After `POST /konsol/keluar`: the session cookie cleared.
fn signed_out() -> Response<Body> {
    see_other(&format!("{ROOT}/masuk?sesi=keluar"), &[clear_session()])
}

/// The `Set-Cookie` that removes the session.
fn clear_session() -> String {
    format!("{SESSION_COOKIE}=; Path={ROOT}; HttpOnly; Secure; SameSite=Lax; Max-Age=0")
}

/// Every screen while this console has no sign-in configured.
fn not_configured() -> Response<Body> {
    error_page(
        None,
        &ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_configured",
            "Konsol belum dapat dipakai di sini: cara masuk belum dikonfigurasi.",
        ),
    )
}

/// A console page: `session` shows who is signed in and their menu, `current` marks
/// the menu entry this page is.
pub(crate) fn page(
    status: StatusCode,
    session: Option<&Session>,
    title: &str,
    current: Option<&str>,
    main: Markup,
    img_origins: &[String],
) -> Response<Body> {
    sigap::web::html(
        status,
        layout::frame(session, title, current, main).into_string(),
        Caching::Private,
        img_origins,
        &[],
    )
}

/// The page for an error the services answered: its status and Indonesian message.
pub(crate) fn error_page(session: Option<&Session>, error: &ApiError) -> Response<Body> {
    let heading = match error.status {
        StatusCode::NOT_FOUND => "Tidak ditemukan",
        StatusCode::FORBIDDEN => "Tidak diizinkan",
        s if s.is_server_error() => "Layanan sedang terganggu",
        _ => "Permintaan tidak dapat diproses",
    };
    let body = html! {
        h1 { (heading) }
        p.problem { (error.message) }
        p { a href=(ROOT) { "Kembali ke konsol" } }
    };
    page(error.status, session, heading, None, body, &[])
}
