//! The pages' stylesheet and script, compiled into the function and served under
//! content-hashed names: a new build gets new names, so browsers (and the edge) may
//! keep each one for a year without ever showing a stale copy.

use std::sync::LazyLock;

use lambda_http::{Body, Response};
use sigap::http::ApiError;
pub(crate) use sigap::web::Asset;
use sigap::web::map::MapAssets;
use sigap::web::serve_asset;

/// The stylesheet.
pub(crate) static STYLE: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "/assets/",
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
        "/assets/",
        "nojs",
        "css",
        "text/css; charset=utf-8",
        include_str!("../../assets/nojs.css"),
    )
});

/// The script that enhances the pages (never needed for them to work).
pub(crate) static SCRIPT: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "/assets/",
        "app",
        "js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/app.js"),
    )
});

/// Leaflet and the maps' helpers (`sigap::web::map`), loaded only by the pages with
/// a map.
pub(crate) static MAP: LazyLock<MapAssets> = LazyLock::new(|| MapAssets::new("/assets/"));

/// `GET /assets/{name}`: the file under its current hashed name, cached for a year.
pub(crate) fn serve(name: &str) -> Result<Response<Body>, ApiError> {
    let [map_style, map_script, map_helpers] = MAP.all();
    serve_asset(
        &[
            &*STYLE,
            &*NOSCRIPT_STYLE,
            &*SCRIPT,
            map_style,
            map_script,
            map_helpers,
        ],
        name,
    )
}
