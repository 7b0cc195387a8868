//! Where the citizen pages put a map (`sigap::web::map`: Leaflet, the shared helpers
//! and the tile source). Without JavaScript, or without a tile source, there is no
//! map and nothing is lost: the form takes an address and a kecamatan, and the list
//! of reports is the list.

use maud::{Markup, html};
pub use sigap::web::map::MapTiles;

use super::Lang;

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
