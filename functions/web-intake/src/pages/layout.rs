//! The frame every page shares: the emergency line first, the site's name, the
//! language switch, then the page's own content.

use maud::{DOCTYPE, Markup, html};

use super::Lang;
use super::assets;
use super::map::MapTiles;

/// A whole page: `title` names it in the tab, `main` is its content.
pub(crate) fn page(lang: Lang, title: &str, main: Markup) -> Markup {
    frame(lang, title, main, None)
}

/// [`page`] with the map library loaded (only the pages that draw a map pay for it),
/// when the deployment has a tile source.
pub(crate) fn page_with_map(
    lang: Lang,
    title: &str,
    main: Markup,
    tiles: Option<&MapTiles>,
) -> Markup {
    frame(lang, title, main, tiles)
}

fn frame(lang: Lang, title: &str, main: Markup, tiles: Option<&MapTiles>) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                // No icon: without this line every page costs a request for one.
                link rel="icon" href="data:,";
                title { (title) " · LAPOR! Bandung" }
                @if tiles.is_some() {
                    link rel="stylesheet" href=(assets::MAP.style.path());
                }
                link rel="stylesheet" href=(assets::STYLE.path());
                noscript { link rel="stylesheet" href=(assets::NOSCRIPT_STYLE.path()); }
                @if tiles.is_some() {
                    script src=(assets::MAP.script.path()) defer {}
                    script src=(assets::MAP.helpers.path()) defer {}
                }
                script src=(assets::SCRIPT.path()) defer {}
            }
            body {
                header {
                    // Before anything else a person in danger might need.
                    p.emergency {
                        (lang.t("Darurat? Telepon ", "Emergency? Call "))
                        a href="tel:112" { strong { "112" } }
                        (lang.t(" (gratis, 24 jam)", " (free, 24 hours)"))
                    }
                    div.site {
                        a.brand href="/" { "LAPOR! Bandung" }
                        nav aria-label=(lang.t("Menu utama", "Main menu")) {
                            a href="/lapor" { (lang.t("Lapor", "Report")) }
                            " "
                            a href="/lacak" { (lang.t("Lacak", "Track")) }
                            " "
                            a href="/sekitar" { (lang.t("Sekitar", "Nearby")) }
                            " "
                            a href="/instansi" { (lang.t("Instansi", "Agencies")) }
                            " "
                            @match lang {
                                Lang::Id => a href="?lang=en" lang="en" hreflang="en" { "English" },
                                Lang::En => a href="?lang=id" lang="id" hreflang="id" { "Bahasa Indonesia" },
                            }
                        }
                    }
                }
                main id="isi" { (main) }
                footer {
                    p {
                        (lang.t(
                            "Layanan pengaduan Pemerintah Kota Bandung. Polisi 110 · Pemadam kebakaran 113 · Ambulans 119.",
                            "Bandung city complaints service. Police 110 · Fire 113 · Ambulance 119.",
                        ))
                    }
                }
            }
        }
    }
}
