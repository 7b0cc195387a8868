//! The caller's location page: `/l/{token}`, the single-use link an operator texts
//! to a caller (the incident desk's [`IncidentDesk::send_location_link`]).
//!
//! `GET` shows a tiny page in Indonesian that asks the phone for its position
//! (`location.js`) or takes an address in words without JavaScript; it says nothing
//! about the incident, and opening it spends nothing (SMS apps fetch links for their
//! previews). `POST` sends the position (JSON from the script) or the words (the
//! form) and spends the link in the same write: a used or expired link is 410.
//! The page's script and style are served on the same route under hashed names.
//!
//! [`IncidentDesk::send_location_link`]: sigap::service::incidents::IncidentDesk::send_location_link

use std::sync::LazyLock;

use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Request, Response};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;
use serde_json::json;
use sigap::domain::incident::Fix;
use sigap::domain::location::Coordinates;
use sigap::http::{ApiError, body_bytes, json_response, parse_json};
use sigap::service::incidents::LinkAnswer;
use sigap::web::{Asset, Caching, serve_asset};

use crate::Panic;

/// The page's script.
static SCRIPT: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "/l/",
        "lokasi",
        "js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/location.js"),
    )
});

/// The page's style.
static STYLE: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "/l/",
        "lokasi",
        "css",
        "text/css; charset=utf-8",
        include_str!("../assets/location.css"),
    )
});

/// Longest address in words kept.
const MAX_WORDS: usize = 300;
/// Largest body (a position, or a short form).
const MAX_BODY_BYTES: usize = 2048;

/// The page around `main`.
fn page(status: StatusCode, main: Markup) -> Response<Body> {
    let markup = html! {
        (DOCTYPE)
        html lang="id" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex";
                title { "Kirim lokasi ke petugas 112" }
                link rel="stylesheet" href=(STYLE.path());
            }
            body { main { (main) } }
        }
    };
    sigap::web::html(status, markup.into_string(), Caching::Private, &[], &[])
}

/// "telepon 112" as a link a phone dials with one tap.
fn call_112() -> Markup {
    html! { a href="tel:112" { "telepon 112" } }
}

/// The page for a link that no longer works.
fn gone_page() -> Response<Body> {
    page(
        StatusCode::GONE,
        html! {
            h1 { "Tautan tidak berlaku" }
            p { "Tautan ini sudah dipakai atau sudah kedaluwarsa (berlaku 30 menit, sekali pakai)." }
            p { strong { "Bila masih darurat, " (call_112()) "." } }
        },
    )
}

/// `GET /l/{token}`: the page (or its script or style, by their hashed names).
pub async fn show(app: &Panic, token: &str) -> Result<Response<Body>, ApiError> {
    if token.contains('.') {
        return serve_asset(&[&*SCRIPT, &*STYLE], token);
    }
    if !app.desk.location_link_usable(token).await? {
        return Ok(gone_page());
    }
    Ok(page(
        StatusCode::OK,
        html! {
            h1 { "Kirim lokasi Anda ke petugas 112" }
            p { "Petugas 112 Kota Bandung meminta lokasi Anda agar bantuan datang ke tempat yang tepat." }
            // Shown by the script (a phone without it, or without location, has the form).
            div id="dengan-lokasi" hidden {
                p { "Tekan tombol di bawah, lalu pilih " strong { "Izinkan" } " saat ponsel menanyakan akses lokasi." }
                button type="button" id="kirim-lokasi" { "Kirim lokasi saya" }
                p { "Bila lokasi tidak bisa dikirim, tulis alamat Anda di bawah." }
            }
            p id="hasil" role="status" aria-live="polite" {}
            form id="form-alamat" method="post" {
                label for="alamat" { "Alamat atau patokan terdekat" }
                textarea id="alamat" name="alamat" rows="3" maxlength=(MAX_WORDS) required {}
                button type="submit" { "Kirim alamat" }
            }
            p.meta { "Tautan ini hanya bisa dipakai sekali. Bila keadaan berubah, " (call_112()) "." }
            script src=(SCRIPT.path()) {}
        },
    ))
}

/// The position the page's script sends.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Position {
    lat: f64,
    lon: f64,
    accuracy_m: Option<f64>,
}

/// `POST /l/{token}`: the position (JSON, answered in JSON) or the address in words
/// (the form, answered with a page).
pub async fn send(app: &Panic, token: &str, request: &Request) -> Result<Response<Body>, ApiError> {
    let is_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let body = body_bytes(request, MAX_BODY_BYTES)?;
    if is_json {
        let position: Position = parse_json(body)?;
        let coordinates = Coordinates::parse(position.lat, position.lon).map_err(|_| {
            ApiError::invalid(
                "Lokasi Anda terbaca di luar Kota Bandung. Tulis alamat Anda di kotak di bawah.",
            )
        })?;
        let fix = Fix {
            coordinates,
            accuracy_m: position.accuracy_m.filter(|a| a.is_finite() && *a >= 0.0),
            fix_age_s: Some(0),
        };
        app.desk
            .locate_by_link(token, LinkAnswer::Position(fix))
            .await?;
        return Ok(json_response(
            StatusCode::OK,
            &json!({ "status": "terkirim", "message": "Lokasi terkirim." }),
        ));
    }
    let words = form_urlencoded::parse(body)
        .find(|(name, _)| name == "alamat")
        .map(|(_, value)| value.trim().to_string())
        .filter(|words| !words.is_empty());
    let Some(words) = words.filter(|w| w.chars().count() <= MAX_WORDS) else {
        // A link that no longer works says so before asking for the words again.
        if !app.desk.location_link_usable(token).await? {
            return Ok(gone_page());
        }
        return Ok(page(
            StatusCode::UNPROCESSABLE_ENTITY,
            html! {
                h1 { "Alamat belum terkirim" }
                p { "Tulis alamat atau patokan Anda (paling panjang " (MAX_WORDS) " huruf), lalu kirim lagi." }
                p { a href={"/l/" (token)} { "Kembali ke halaman lokasi" } }
            },
        ));
    };
    match app
        .desk
        .locate_by_link(token, LinkAnswer::Words(words))
        .await
    {
        Ok(()) => Ok(page(
            StatusCode::OK,
            html! {
                h1 { "Alamat terkirim" }
                p { "Petugas 112 sudah menerimanya. Tetap di tempat yang aman; bila keadaan berubah, " (call_112()) "." }
            },
        )),
        Err(error) if error.status == StatusCode::GONE => Ok(gone_page()),
        Err(error) => Err(error),
    }
}
