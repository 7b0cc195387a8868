//! The console's stylesheet and script, compiled in and served under content-hashed
//! names (`sigap::web::Asset`), like the citizen pages'.

use std::sync::LazyLock;

use lambda_http::{Body, Response};
use sigap::http::ApiError;
use sigap::web::map::MapAssets;
use sigap::web::{Asset, serve_asset};

/// The stylesheet.
pub(crate) static STYLE: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "/konsol/aset/",
        "console",
        "css",
        "text/css; charset=utf-8",
        include_str!("../../assets/console.css"),
    )
});

/// The keyboard shortcuts (never needed for a screen to work).
pub(crate) static SCRIPT: LazyLock<Asset> = LazyLock::new(|| {
    Asset::new(
        "/konsol/aset/",
        "console",
        "js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/console.js"),
    )
});

/// Leaflet and the maps' helpers the citizen pages use too (`sigap::web::map`),
/// loaded by the report page only.
pub(crate) static MAP: LazyLock<MapAssets> = LazyLock::new(|| MapAssets::new("/konsol/aset/"));

/// `GET /konsol/aset/{name}`: the file under its current hashed name.
pub(crate) fn serve(name: &str) -> Result<Response<Body>, ApiError> {
    let [map_style, map_script, map_helpers] = MAP.all();
    serve_asset(
        &[&*STYLE, &*SCRIPT, map_style, map_script, map_helpers],
        name,
    )
}
