//! The maps both screens draw: Leaflet (vendored from npm into
//! `shared/assets/vendor/leaflet` by `make vendor`) and `shared/assets/map.js` over
//! the tile source the deployment names. Without JavaScript, or without a tile source,
//! there is no map and nothing is lost: every point can be typed and every list read.

use super::Asset;
use crate::runtime::config::{ConfigError, Settings};

/// The files a page with a map loads, served by each screen under its own prefix.
pub struct MapAssets {
    /// Leaflet's stylesheet.
    pub style: Asset,
    /// Leaflet itself.
    pub script: Asset,
    /// The screens' map helpers (`window.sigapMap`: draw, pin, points), after Leaflet.
    pub helpers: Asset,
}

impl MapAssets {
    /// The three, linked under `prefix` (the route that serves the screen's assets).
    pub fn new(prefix: &'static str) -> Self {
        let script = |stem: &str, body: &'static str| {
            Asset::new(prefix, stem, "js", "text/javascript; charset=utf-8", body)
        };
        Self {
            style: Asset::new(
                prefix,
                "leaflet",
                "css",
                "text/css; charset=utf-8",
                include_str!("../../assets/vendor/leaflet/leaflet.css"),
            ),
            script: script(
                "leaflet",
                include_str!("../../assets/vendor/leaflet/leaflet.js"),
            ),
            helpers: script("map", include_str!("../../assets/map.js")),
        }
    }

    /// All three, for the screen's asset route.
    pub fn all(&self) -> [&Asset; 3] {
        [&self.style, &self.script, &self.helpers]
    }
}

/// The deployment's tile source (OpenStreetMap's own servers are for light use only:
/// a city names its own, or a provider's, with its attribution).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapTiles {
    /// `https://…/{z}/{x}/{y}.png`.
    pub url: String,
    /// The credit the tiles' licence asks for.
    pub attribution: String,
    /// The tiles' origin, for the pages' image policy.
    pub origin: String,
}

impl MapTiles {
    /// `MAP_TILE_URL` (unset or empty: no map) and `MAP_TILE_ATTRIBUTION`.
    pub fn load(settings: &Settings) -> Result<Option<Self>, ConfigError> {
        let Some(url) = settings
            .optional("MAP_TILE_URL")
            .filter(|u| !u.trim().is_empty())
        else {
            return Ok(None);
        };
        let origin = url
            .split_once("://")
            .and_then(|(scheme, rest)| {
                let host = rest.split('/').next().unwrap_or_default();
                (matches!(scheme, "https" | "http") && !host.is_empty() && !host.contains('{'))
                    .then(|| format!("{scheme}://{host}"))
            })
            .ok_or_else(|| ConfigError::Invalid {
                name: "MAP_TILE_URL".into(),
                value: url.clone(),
                reason: "an http(s) URL with a fixed host is needed".into(),
            })?;
        Ok(Some(Self {
            attribution: settings
                .optional("MAP_TILE_ATTRIBUTION")
                .unwrap_or_else(|| "© OpenStreetMap contributors".into()),
            url,
            origin,
        }))
    }
}
