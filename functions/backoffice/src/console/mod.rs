//! The staff console (issue 22, in progress): server-rendered screens for admins,
//! agency officers and supervisors under `/konsol/…`, on the same services and
//! permission rules as the JSON API (`crate::perform`, `crate::load`). Every screen
//! works with plain links and form posts; `console.js` only adds keyboard shortcuts.
//! The plan and what is built: `docs/decisions/staff-console.md`.
//!
//! Each request's session is the `sesi` cookie, checked here ([`session`]); a missing,
//! forged or expired one goes to the sign-in page (a deployed console first renews an
//! expired one with the refresh token in `sesi_r`). Every form carries the session's
//! CSRF token and is refused without it.
//!
//! Sign-in is Cognito's hosted pages where the stack has a `ConsoleUrl` ([`hosted`]),
//! or the development sign-in on local stacks ([`dev_sign_in`]).

pub mod dev_sign_in;
pub mod hosted;
pub mod session;
pub mod sign_in;

mod admin;
mod assets;
mod blocked;
pub mod board;
mod call;
mod catalog;
mod dashboard;
mod desk;
mod inbox;
mod incident;
mod layout;
mod templates;
mod upload;

use jiff::Timestamp;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use maud::{Markup, html};
use secrecy::{ExposeSecret, SecretString};
use sigap::adapters::hosted_sign_in::SignInError;
use sigap::domain::report::Officer;
use sigap::domain::staff::{Role, may_read_incidents};
use sigap::http::ApiError;
use sigap::web::{Caching, cookie, query, same_site_post, see_other};

use crate::Backoffice;
use dev_sign_in::{DEV_SESSION, DevSignIn, Nickname};
use hosted::{Hosted, HostedConfig};
use session::{Session, SessionError, Verifier};
use sign_in::{Attempt, authorize_url, sign_out_url};

/// The session cookie: the ID token.
const SESSION_COOKIE: &str = "sesi";
/// The refresh token's cookie (hosted sign-in only).
const REFRESH_COOKIE: &str = "sesi_r";
/// The sign-in attempt's cookie (PKCE verifier and state), read only by the callback.
const ATTEMPT_COOKIE: &str = "masuk";
/// How long a sign-in attempt may take, in seconds (Cognito's codes last 5 minutes).
const ATTEMPT_SECONDS: u32 = 600;
/// How long the session cookies are kept, in seconds: the refresh token's validity
/// (12 hours, the template's), so an expired ID token can still be renewed.
const HOSTED_SESSION_SECONDS: u32 = 12 * 3600;
/// Largest form the console accepts.
const MAX_FORM_BYTES: usize = 32 * 1024;
/// Where every console path starts.
pub(crate) const ROOT: &str = "/konsol";

/// How this console signs staff in: Cognito's hosted pages (a deployed stack with
/// a `ConsoleUrl`), the development sign-in (local stacks), both (the stack tier,
/// which proves the template's hosted sign-in on the emulator's Cognito beside the
/// one-button sessions its other tests use), or neither, and every screen says so.
pub struct Console {
    dev: Option<DevSessions>,
    hosted: Option<Box<Hosted>>,
}

/// The development sign-in's issuer and the verifier of what it issues.
struct DevSessions {
    issuer: DevSignIn,
    verifier: Verifier,
}

impl Console {
    /// The development sign-in where its key is configured, the hosted one where the
    /// stack has a console URL.
    pub fn new(
        dev_key: Option<&SecretString>,
        hosted: Option<HostedConfig>,
    ) -> Result<Self, jsonwebtoken::errors::Error> {
        let dev = match dev_key {
            Some(key) => {
                let (issuer, verifier) = DevSignIn::new(key.expose_secret().as_bytes())?;
                Some(DevSessions { issuer, verifier })
            }
            None => None,
        };
        Ok(Self {
            dev,
            hosted: hosted.map(|config| Box::new(Hosted::new(config))),
        })
    }

    /// The hosted sign-in, where the console has it.
    fn hosted(&self) -> Option<&Hosted> {
        self.hosted.as_deref()
    }

    /// True when a session `token` is the development sign-in's (HS256; the pool
    /// signs RS256), where the console has that sign-in.
    fn is_dev_session(&self, token: &str) -> bool {
        self.dev.is_some()
            && jsonwebtoken::decode_header(token)
                .is_ok_and(|header| header.alg == jsonwebtoken::Algorithm::HS256)
    }

    /// Checks a session `token` at `now` with whichever sign-in issued it: the
    /// session, why not, or `Err(None)` when the pool's keys could not be had.
    async fn check(&self, token: &str, now: Timestamp) -> Result<Session, Option<SessionError>> {
        match (&self.dev, self.hosted()) {
            (Some(dev), Some(_)) if self.is_dev_session(token) => {
                dev.verifier.check(token, now).map_err(Some)
            }
            (_, Some(hosted)) => hosted.check(token, now).await,
            (Some(dev), None) => dev.verifier.check(token, now).map_err(Some),
            (None, None) => Err(Some(SessionError::NotOurs)),
        }
    }
}

/// Serves `/konsol/…` (`rest` is the path after `konsol`).
pub(crate) async fn route(app: &Backoffice, request: &Request, rest: &[&str]) -> Response<Body> {
    let mut response = answer(app, request, rest).await;
    // Signing in and out end in a redirect to the pool's domain, and a browser holds a
    // form's redirects to the page's form-action too.
    if let Some(hosted) = app.console.hosted() {
        sigap::web::allow_form_target(&mut response, &hosted.form_origin);
    }
    response
}

/// The answer to one console request.
async fn answer(app: &Backoffice, request: &Request, rest: &[&str]) -> Response<Body> {
    let method = request.method();
    let result = match (method, rest) {
        (&Method::GET, ["aset", name]) => assets::serve(name),
        (&Method::GET, ["masuk"]) => Ok(sign_in_page(app, request, None).await),
        (&Method::POST, ["masuk"]) => start_sign_in(app, request).await,
        (&Method::GET, ["kembali"]) => match app.console.hosted() {
            Some(hosted) => Ok(signed_in_by_cognito(app, hosted, request).await),
            None => Err(ApiError::not_found("Halaman tidak ditemukan.")),
        },
        (&Method::GET, ["keluar"]) => {
            Ok(sign_in_page(app, request, Some("Anda sudah keluar.")).await)
        }
        (&Method::POST, ["keluar"]) => match posted(app, request).await {
            Ok(_) => Ok(sign_out(app, request).await),
            Err(refused) => return *refused,
        },
        (&Method::GET, path) => {
            let session = match signed_in(app, request).await {
                Ok(session) => session,
                Err(to_sign_in) => return *to_sign_in,
            };
            let answer = match path {
                [] => Ok(home(&session)),
                ["antrean"] => desk::queue(app, &session, request).await,
                ["pusat"] => board::show(app, &session, request).await,
                ["pusat", "panggilan"] => call::form(app, &session, request).await,
                ["pusat", id] => incident::show(app, &session, id, request).await,
                ["kotak-masuk"] => {
                    inbox::show(app, &session, query(request, "saya") == Some("1")).await
                }
                ["laporan", id] => desk::report(app, &session, id, request).await,
                ["templat"] => templates::show(app, &session, request).await,
                ["ringkasan"] => dashboard::show(app, &session).await,
                ["diblokir"] => {
                    blocked::show(app, &session, query(request, "selesai") == Some("buka")).await
                }
                ["ekspor", file] => dashboard::export(app, &session, file).await,
                ["kalender"] => {
                    admin::calendar(app, &session, query(request, "selesai") == Some("simpan"))
                        .await
                }
                ["kalender", year] => admin::year(app, &session, year).await,
                ["kunci-api"] => {
                    admin::keys(app, &session, query(request, "selesai") == Some("cabut")).await
                }
                ["katalog"] => catalog::show(app, &session, query(request, "selesai")).await,
                ["responder"] => {
                    admin::responders(app, &session, query(request, "selesai") == Some("hapus"))
                        .await
                }
                ["katalog", "kategori", code] => catalog::category(app, &session, code).await,
                ["katalog", "instansi", id] => catalog::agency(app, &session, id).await,
                _ => Err(ApiError::not_found("Halaman tidak ditemukan.")),
            };
            return answer.unwrap_or_else(|error| error_page(Some(&session), &error));
        }
        (&Method::POST, ["templat"]) => {
            let (session, form) = match posted(app, request).await {
                Ok(posted) => posted,
                Err(refused) => return *refused,
            };
            return templates::save(app, &session, &form)
                .await
                .unwrap_or_else(|error| error_page(Some(&session), &error));
        }
        (
            &Method::POST,
            ["kalender", _]
            | ["kunci-api"]
            | ["kunci-api", _, "cabut"]
            | ["katalog", "kategori" | "instansi", _]
            | ["responder"]
            | ["responder", _, "hapus"],
        ) => {
            let (session, form) = match posted(app, request).await {
                Ok(posted) => posted,
                Err(refused) => return *refused,
            };
            let answer = match rest {
                ["kalender", year] => admin::save_year(app, &session, year, &form).await,
                ["kunci-api", id, "cabut"] => admin::revoke(app, &session, id).await,
                ["katalog", "kategori", code] => {
                    catalog::save_category(app, &session, code, &form).await
                }
                ["katalog", "instansi", id] => catalog::save_agency(app, &session, id, &form).await,
                ["responder"] => admin::register_responder(app, &session, &form).await,
                ["responder", hash, "hapus"] => admin::forget_responder(app, &session, hash).await,
                _ => admin::issue(app, &session, &form).await,
            };
            return answer.unwrap_or_else(|error| error_page(Some(&session), &error));
        }
        (&Method::POST, ["pusat", "panggilan"] | ["pusat", _, _]) => {
            let (session, form) = match posted(app, request).await {
                Ok(posted) => posted,
                Err(refused) => return *refused,
            };
            let answer = match rest {
                ["pusat", "panggilan", "laporan"] => {
                    call::record_report(app, &session, &form, request).await
                }
                ["pusat", id, action] => {
                    incident::act(app, &session, id, action, &form, request).await
                }
                _ => call::record(app, &session, &form).await,
            };
            return answer.unwrap_or_else(|error| error_page(Some(&session), &error));
        }
        (&Method::POST, ["diblokir", sender, "buka"]) => {
            let (session, _) = match posted(app, request).await {
                Ok(posted) => posted,
                Err(refused) => return *refused,
            };
            return blocked::lift_block(app, &session, sender)
                .await
                .unwrap_or_else(|error| error_page(Some(&session), &error));
        }
        (&Method::POST, ["laporan", id, action]) => {
            let (session, form) = match posted(app, request).await {
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
    } else if may_read_incidents(staff) {
        see_other(&format!("{ROOT}/pusat"), &[])
    } else {
        // Signed in all the same: the bar shows who, with its sign-out.
        error_page(
            Some(session),
            &ApiError::forbidden("Peran Anda belum punya layar di konsol ini."),
        )
    }
}

/// The session the request's cookie holds, or the way to the sign-in page: a
/// missing or forged cookie is sent there plainly, an expired one with a notice. A
/// deployed console first renews an expired session with its refresh token.
async fn signed_in(app: &Backoffice, request: &Request) -> Result<Session, Refused> {
    let now = app.clock.now();
    let console = &app.console;
    if console.dev.is_none() && console.hosted.is_none() {
        return Err(Box::new(not_configured()));
    }
    let Some(token) = cookie(request, SESSION_COOKIE) else {
        return Err(Box::new(see_other(&format!("{ROOT}/masuk"), &[])));
    };
    match console.check(&token, now).await {
        Ok(session) => Ok(session),
        Err(None) => Err(Box::new(sign_in_unavailable())),
        Err(Some(SessionError::Expired)) => {
            match (app.console.hosted(), cookie(request, REFRESH_COOKIE)) {
                (Some(hosted), Some(refresh)) => {
                    Err(Box::new(renew(app, hosted, request, &refresh).await))
                }
                _ => Err(Box::new(to_sign_in("berakhir"))),
            }
        }
        Err(Some(_)) => Err(Box::new(to_sign_in("tidak-sah"))),
    }
}

/// To the sign-in page with why (`berakhir`, `tidak-sah`), the session cleared.
fn to_sign_in(reason: &str) -> Response<Body> {
    see_other(&format!("{ROOT}/masuk?sesi={reason}"), &clear_session())
}

/// An expired ID token renewed with the refresh token: the same request again (307
/// keeps a form's method and fields) with the new token set; when the refresh token
/// is no longer good (revoked, past its 12 hours, the account disabled), sign-in.
async fn renew(
    app: &Backoffice,
    hosted: &Hosted,
    request: &Request,
    refresh: &str,
) -> Response<Body> {
    let tokens = match hosted.cognito.refresh(refresh).await {
        Ok(tokens) => tokens,
        Err(SignInError::Refused(reason)) => {
            tracing::info!(%reason, "console session not renewed");
            return to_sign_in("berakhir");
        }
        Err(error) => {
            tracing::warn!(%error, "console session renewal failed");
            return sign_in_unavailable();
        }
    };
    match hosted.check(&tokens.id_token, app.clock.now()).await {
        Ok(_) => {
            let again = match request.uri().query() {
                Some(query) => format!("{}?{query}", request.raw_http_path()),
                None => request.raw_http_path().to_string(),
            };
            let mut response =
                see_other(&again, &[session_cookie(SESSION_COOKIE, &tokens.id_token)]);
            *response.status_mut() = StatusCode::TEMPORARY_REDIRECT;
            response
        }
        Err(None) => sign_in_unavailable(),
        Err(Some(_)) => to_sign_in("berakhir"),
    }
}

/// A posted form's session and fields: signed in, sent from this site, and carrying
/// the session's CSRF token (`csrf`); anything else is refused with nothing done.
async fn posted(app: &Backoffice, request: &Request) -> Result<(Session, Form), Refused> {
    let session = signed_in(app, request).await?;
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

/// `GET /konsol/masuk` (and `/konsol/keluar`, with its notice): the sign-in page,
/// saying why after an expired or refused session.
async fn sign_in_page(app: &Backoffice, request: &Request, notice: Option<&str>) -> Response<Body> {
    let notice = notice.or(match query(request, "sesi") {
        Some("berakhir") => Some("Sesi Anda telah berakhir. Silakan masuk lagi."),
        Some("tidak-sah") => Some("Sesi Anda tidak dikenali. Silakan masuk lagi."),
        _ => None,
    });
    let console = &app.console;
    if console.dev.is_none() && console.hosted.is_none() {
        return not_configured();
    }
    let roles = match console.dev {
        Some(_) => dev_roles(app).await,
        None => Vec::new(),
    };
    let choices = html! {
        @if console.hosted.is_some() {
            p { "Masuk dengan akun petugas Anda: alamat e-mail, kata sandi, lalu kode dari "
                "aplikasi autentikator. Halaman masuknya milik layanan akun Sigap." }
            form method="post" action={(ROOT) "/masuk"} {
                button type="submit" { "Masuk dengan akun petugas" }
            }
        }
        @if console.dev.is_some() {
                p { strong { "Masuk pengembangan." } " Hanya ada di devstack dan tier stack: "
                    "satu tombol per peran, tanpa kata sandi. Konsol yang dipasang memakai "
                    "halaman masuk Cognito dengan MFA." }
                form method="post" action={(ROOT) "/masuk"} {
                    label for="nama" { "Nama panggilan (tidak wajib)" }
                    input type="text" id="nama" name="nama" maxlength="20" pattern="[a-z0-9]{1,20}"
                        autocomplete="off" aria-describedby="nama-bantuan";
                    p.meta id="nama-bantuan" { "Huruf kecil dan angka, misalnya budi: masuk sebagai orang lain dalam peran yang sama (dua petugas satu instansi)." }
                    div.roles {
                        @for (group, label) in &roles {
                            button type="submit" name="peran" value=(group) { (label) }
                        }
                    }
                }
        }
    };
    sign_in_screen(StatusCode::OK, notice, choices)
}

/// The sign-in screen around `choices`, with a notice when there is one.
fn sign_in_screen(status: StatusCode, notice: Option<&str>, choices: Markup) -> Response<Body> {
    let body = html! {
        div.narrow {
            h1 { "Masuk ke konsol petugas" }
            @if let Some(notice) = notice { p.notice role="status" { (notice) } }
            div.panel { (choices) }
        }
    };
    page(status, None, "Masuk", None, body, &[])
}

/// The roles the development sign-in offers: admin, supervisor, the 112 operator,
/// one per agency, one per responder unit.
async fn dev_roles(app: &Backoffice) -> Vec<(String, String)> {
    let mut roles = vec![
        ("admin".to_string(), "Admin verifikasi".to_string()),
        ("supervisor".to_string(), "Supervisor kota".to_string()),
        ("operator".to_string(), "Operator 112".to_string()),
    ];
    if let Ok(agencies) = app.agencies().await {
        roles.extend(
            agencies
                .iter()
                .map(|a| (format!("agency:{}", a.id), format!("Petugas {}", a.name))),
        );
    }
    // One per responder unit with a registered number (devstack seeds three).
    if let Ok(numbers) = app.responders.responders().await {
        let mut units: Vec<String> = numbers.into_iter().map(|n| n.unit).collect();
        units.sort();
        units.dedup();
        roles.extend(
            units
                .into_iter()
                .map(|unit| (format!("responder:{unit}"), format!("Responder {unit}"))),
        );
    }
    roles
}

/// `POST /konsol/masuk`: the development sign-in's session for the chosen role, or
/// the way to Cognito's hosted sign-in with a fresh PKCE attempt.
async fn start_sign_in(app: &Backoffice, request: &Request) -> Result<Response<Body>, ApiError> {
    same_site_post(request)?;
    let form = Form(sigap::web::form_pairs(request, MAX_FORM_BYTES)?);
    // A role button is the development sign-in's; the one button without, the pool's.
    match (&app.console.dev, app.console.hosted()) {
        (Some(dev), None) => dev_sign_in(app, &dev.issuer, &form).await,
        (Some(dev), Some(_)) if form.get("peran").is_some() => {
            dev_sign_in(app, &dev.issuer, &form).await
        }
        (_, Some(hosted)) => {
            let attempt = Attempt::new(&*app.ids)
                .map_err(|e| ApiError::unavailable_because("sign-in attempt", e))?;
            let config = &hosted.config;
            let to = authorize_url(
                &config.domain,
                &config.client_id,
                &config.callback_url(),
                &attempt,
            );
            // Read only by the callback, for the few minutes a sign-in takes.
            let kept = format!(
                "{ATTEMPT_COOKIE}={}; Path={ROOT}/kembali; HttpOnly; Secure; SameSite=Lax; Max-Age={ATTEMPT_SECONDS}",
                attempt.cookie_value()
            );
            Ok(see_other(&to, &[kept]))
        }
        (None, None) => Ok(not_configured()),
    }
}

/// The development sign-in: a session for the chosen role.
async fn dev_sign_in(
    app: &Backoffice,
    issuer: &DevSignIn,
    form: &Form,
) -> Result<Response<Body>, ApiError> {
    let offered = dev_roles(app).await;
    let role = form
        .get("peran")
        .and_then(Role::parse)
        .filter(|role| offered.iter().any(|(group, _)| *group == role.name()))
        .ok_or_else(|| ApiError::invalid("Pilih salah satu peran yang tersedia."))?;
    let nickname = match form.get("nama") {
        None => None,
        Some(raw) => Some(Nickname::parse(raw).ok_or_else(|| {
            ApiError::invalid("Nama panggilan hanya huruf kecil dan angka, paling panjang 20.")
        })?),
    };
    let sign_in_id = app
        .ids
        .random_bytes(16)
        .map(hex::encode)
        .map_err(|e| ApiError::unavailable_because("sign-in id", e))?;
    let now = app.clock.now();
    let token = issuer
        .issue(&role, nickname.as_ref(), now, &sign_in_id)
        .map_err(|e| ApiError::unavailable_because("issuing a session", e))?;
    tracing::info!(role = %role.name(), "development sign-in");
    if let Ok(session) = app.console.check(&token, now).await {
        remember_officer(app, &session).await;
    }
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path={ROOT}; HttpOnly; Secure; SameSite=Lax; Max-Age={}",
        DEV_SESSION.as_secs()
    );
    Ok(see_other(ROOT, &[cookie]))
}

/// `GET /konsol/kembali`: Cognito sends the browser back with a code for this
/// browser's attempt; traded with its verifier, the tokens become the session.
async fn signed_in_by_cognito(
    app: &Backoffice,
    hosted: &Hosted,
    request: &Request,
) -> Response<Body> {
    let retry = |status: StatusCode, why: &str| {
        let mut response = sign_in_screen(
            status,
            Some(why),
            html! { p { a href={(ROOT) "/masuk"} { "Coba masuk lagi" } } },
        );
        append_cookie(&mut response, &clear_attempt());
        response
    };
    if query(request, "error").is_some() {
        return retry(
            StatusCode::BAD_REQUEST,
            "Masuk dibatalkan atau ditolak oleh layanan akun.",
        );
    }
    let attempt = cookie(request, ATTEMPT_COOKIE).and_then(|kept| Attempt::from_cookie(&kept));
    let Some(code) = attempt
        .as_ref()
        .and_then(|attempt| attempt.code(query(request, "state"), query(request, "code")))
    else {
        return retry(
            StatusCode::BAD_REQUEST,
            "Percobaan masuk ini tidak dikenali atau sudah kedaluwarsa. Silakan masuk lagi.",
        );
    };
    let verifier = attempt
        .as_ref()
        .map(|a| a.verifier.as_str())
        .unwrap_or_default();
    let config = &hosted.config;
    let tokens = match hosted
        .cognito
        .exchange(code, verifier, &config.callback_url())
        .await
    {
        Ok(tokens) => tokens,
        Err(SignInError::Refused(reason)) => {
            tracing::info!(%reason, "console sign-in code refused");
            return retry(
                StatusCode::BAD_REQUEST,
                "Kode masuk tidak berlaku lagi. Silakan masuk lagi.",
            );
        }
        Err(error) => {
            tracing::warn!(%error, "console sign-in failed");
            return sign_in_unavailable();
        }
    };
    match hosted.check(&tokens.id_token, app.clock.now()).await {
        Ok(session) => {
            tracing::info!(subject = %session.staff.subject, "console sign-in");
            remember_officer(app, &session).await;
            let mut cookies = vec![
                session_cookie(SESSION_COOKIE, &tokens.id_token),
                clear_attempt(),
            ];
            if let Some(refresh) = &tokens.refresh_token {
                cookies.push(session_cookie(REFRESH_COOKIE, refresh));
            }
            see_other(ROOT, &cookies)
        }
        Err(Some(SessionError::NoRole)) => retry(
            StatusCode::FORBIDDEN,
            "Akun Anda belum punya peran di Sigap. Minta admin menambahkan akun Anda ke grupnya.",
        ),
        Err(Some(refused)) => {
            tracing::warn!(?refused, "console sign-in token refused");
            retry(
                StatusCode::BAD_REQUEST,
                "Masuk tidak dapat diselesaikan. Silakan masuk lagi.",
            )
        }
        Err(None) => sign_in_unavailable(),
    }
}

/// An agency officer's sign-in puts them on their agency's list (`RosterStore`), so
/// colleagues can hand them a report. A failed write costs only that: the sign-in
/// stands, and the next one tries again.
async fn remember_officer(app: &Backoffice, session: &Session) {
    let Some(agency) = session.staff.agency() else {
        return;
    };
    let officer = Officer {
        subject: session.staff.subject.clone(),
        name: session.name.clone(),
    };
    if let Err(error) = app
        .roster
        .signed_in(agency, &officer, app.clock.now())
        .await
    {
        tracing::warn!(%error, "officer not put on the agency's list");
    }
}

/// After `POST /konsol/keluar`: the session cookies cleared, and on a deployed
/// console the refresh token revoked and Cognito's own session ended too (or the
/// next sign-in at this browser would pass without a password).
async fn sign_out(app: &Backoffice, request: &Request) -> Response<Body> {
    let token = cookie(request, SESSION_COOKIE).unwrap_or_default();
    let Some(hosted) = app
        .console
        .hosted()
        .filter(|_| !app.console.is_dev_session(&token))
    else {
        return see_other(&format!("{ROOT}/keluar"), &clear_session());
    };
    if let Some(refresh) = cookie(request, REFRESH_COOKIE)
        && let Err(error) = hosted.cognito.revoke(&refresh).await
    {
        // Signed out here all the same; the token dies with its 12 hours.
        tracing::warn!(%error, "refresh token not revoked at sign-out");
    }
    let config = &hosted.config;
    see_other(
        &sign_out_url(&config.domain, &config.client_id, &config.signed_out_url()),
        &clear_session(),
    )
}

/// A session cookie of the hosted sign-in.
fn session_cookie(name: &str, value: &str) -> String {
    format!(
        "{name}={value}; Path={ROOT}; HttpOnly; Secure; SameSite=Lax; Max-Age={HOSTED_SESSION_SECONDS}"
    )
}

/// The `Set-Cookie`s that remove the session.
fn clear_session() -> Vec<String> {
    [SESSION_COOKIE, REFRESH_COOKIE]
        .iter()
        .map(|name| format!("{name}=; Path={ROOT}; HttpOnly; Secure; SameSite=Lax; Max-Age=0"))
        .collect()
}

/// The `Set-Cookie` that removes a sign-in attempt.
fn clear_attempt() -> String {
    format!("{ATTEMPT_COOKIE}=; Path={ROOT}/kembali; HttpOnly; Secure; SameSite=Lax; Max-Age=0")
}

/// Adds a `Set-Cookie` to `response`.
fn append_cookie(response: &mut Response<Body>, cookie: &str) {
    if let Ok(value) = lambda_http::http::HeaderValue::from_str(cookie) {
        response
            .headers_mut()
            .append(lambda_http::http::header::SET_COOKIE, value);
    }
}

/// When Cognito cannot be reached to check or start a session.
fn sign_in_unavailable() -> Response<Body> {
    error_page(
        None,
        &ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "sign_in_unavailable",
            "Layanan akun sedang tidak dapat dihubungi. Coba lagi sebentar lagi.",
        ),
    )
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
    page_with(
        status,
        session,
        title,
        current,
        main,
        img_origins,
        layout::Extras::default(),
    )
}

/// [`page`] with `extras`: a map's tile origin joins the image policy, the form
/// origins the form policy.
pub(crate) fn page_with(
    status: StatusCode,
    session: Option<&Session>,
    title: &str,
    current: Option<&str>,
    main: Markup,
    img_origins: &[String],
    extras: layout::Extras,
) -> Response<Body> {
    let mut images = img_origins.to_vec();
    images.extend(extras.map.map(|tiles| tiles.origin.clone()));
    sigap::web::html(
        status,
        layout::frame(session, title, current, main, extras).into_string(),
        Caching::Private,
        &images,
        extras.form_origins,
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
        @if !error.fields.is_empty() {
            ul { @for field in &error.fields { li { (field.message) } } }
        }
        p { a href=(ROOT) { "Kembali ke konsol" } }
    };
    page(error.status, session, heading, None, body, &[])
}
