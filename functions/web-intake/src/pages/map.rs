//! The map: Leaflet (vendored from npm, `assets/vendor/leaflet`) over the tile source
//! the deployment names. Without JavaScript, or without a tile source, there is no
//! map and nothing is lost: the form takes an address and a kecamatan, and the list
//! of reports is the list.

use maud::{Markup, html};
use sigap::runtime::config::{ConfigError, Settings};

use super::Lang;

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

/// Where a map goes: drawn by the script, its place kept from the first paint (so
/// nothing jumps), and hidden without JavaScript (`nojs.css`).
pub(crate) fn area(lang: Lang, id: &str, tiles: Option<&MapTiles>) -> Markup {
    html! {
        @if let Some(tiles) = tiles {
            div.map.js-only id=(id) role="region" aria-label=(lang.t("Peta", "Map"))
                data-tiles=(tiles.url) data-attribution=(tiles.attribution) {}
        }
    }
}
