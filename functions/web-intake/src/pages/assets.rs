//! The pages' stylesheet and script, compiled into the function and served under
//! content-hashed names: a new build gets new names, so browsers (and the edge) may
//! keep each one for a year without ever showing a stale copy.

use std::sync::LazyLock;

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use sigap::http::ApiError;
use sigap::runtime::ids::sha256_hex;

/// One static file.
pub(crate) struct Asset {
    content_type: &'static str,
    body: &'static str,
    file_name: String,
}

impl Asset {
    /// `stem.<first 12 hex of the body's SHA-256>.extension`.
    fn new(stem: &str, extension: &str, content_type: &'static str, body: &'static str) -> Self {
        Self {
            content_type,
            body,
            file_name: format!("{stem}.{}.{extension}", &sha256_hex(body)[..12]),
        }
    }

    /// Where the pages link it.
    pub(crate) fn path(&self) -> String {
        format!("/assets/{}", self.file_name)
    }
}

/// The stylesheet.
pub(crate) static STYLE: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "app",
        "css",
        "text/css; charset=utf-8",
        include_str!("../../assets/app.css"),
    )
});

/// What only a browser without JavaScript loads (`<noscript>`): the script-only
/// controls hidden, every category's questions shown.
pub(crate) static NOSCRIPT_STYLE: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "nojs",
        "css",
        "text/css; charset=utf-8",
        include_str!("../../assets/nojs.css"),
    )
});

/// The script that enhances the pages (never needed for them to work).
pub(crate) static SCRIPT: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "app",
        "js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/app.js"),
    )
});

/// Leaflet's stylesheet (vendored from npm, `assets/vendor/leaflet`).
pub(crate) static MAP_STYLE: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "leaflet",
        "css",
        "text/css; charset=utf-8",
        include_str!("../../assets/vendor/leaflet/leaflet.css"),
    )
});

/// Leaflet itself, loaded only by the pages with a map.
pub(crate) static MAP_SCRIPT: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "leaflet",
        "js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/vendor/leaflet/leaflet.js"),
    )
});

/// `GET /assets/{name}`: the file under its current hashed name, cached for a year;
/// any other name is not found (an old name after a deploy, or a guess).
pub(crate) fn serve(name: &str) -> Result<Response<Body>, ApiError> {
    let asset = [
        &*STYLE,
        &*NOSCRIPT_STYLE,
        &*SCRIPT,
        &*MAP_STYLE,
        &*MAP_SCRIPT,
    ]
    .into_iter()
    .find(|a| a.file_name == name)
    .ok_or_else(|| ApiError::not_found("Berkas tidak ditemukan."))?;
    let mut response = Response::new(Body::Text(asset.body.to_string()));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(response)
}
