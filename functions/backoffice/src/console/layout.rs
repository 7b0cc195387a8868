//! The frame every console screen shares: the bar with the screens of the signed-in
//! role, who is signed in, and sign-out (a form, so it carries the CSRF token).

use maud::{DOCTYPE, Markup, html};
use sigap::domain::location::Coordinates;
use sigap::domain::staff::may_read_incidents;
use sigap::web::map::MapTiles;

use super::session::Session;
use super::{ROOT, assets};

/// What a page needs besides the frame: maps over the stack's tiles (the report
/// page, the board), a reload every so many seconds without JavaScript (the board),
/// and origins its forms post to besides this one (the photo form, to the bucket).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Extras<'a> {
    /// The tiles its maps draw on: loads Leaflet and the map helpers.
    pub map: Option<&'a MapTiles>,
    /// Reloads the page itself when scripts are off.
    pub reload_seconds: Option<u32>,
    /// Form targets besides this origin.
    pub form_origins: &'a [String],
}

/// A whole console page; `current` is the menu entry's path when it is one.
pub(crate) fn frame(
    session: Option<&Session>,
    title: &str,
    current: Option<&str>,
    main: Markup,
    extras: Extras,
) -> Markup {
    let with_map = extras.map.is_some();
    html! {
        (DOCTYPE)
        html lang="id" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                link rel="icon" href="data:,";
                title { (title) " · Konsol LAPOR! Bandung" }
                @if with_map {
                    link rel="stylesheet" href=(assets::MAP.style.path());
                }
                link rel="stylesheet" href=(assets::STYLE.path());
                @if with_map {
                    script src=(assets::MAP.script.path()) defer {}
                    script src=(assets::MAP.helpers.path()) defer {}
                }
                script src=(assets::SCRIPT.path()) defer {}
                @if let Some(seconds) = extras.reload_seconds {
                    noscript { meta http-equiv="refresh" content=(seconds); }
                }
            }
            body {
                header.bar {
                    a.brand href=(ROOT) { "Konsol LAPOR! Bandung" }
                    @if let Some(session) = session {
                        @let (daily, administration) = menu(session);
                        nav aria-label="Menu konsol" {
                            @for (path, label) in &daily { (entry(path, label, current)) }
                            // The administration folds into one entry that opens
                            // without a script (`details`), so the bar stays one line
                            // at a desk and short on a phone.
                            @if !administration.is_empty() {
                                @let here = administration.iter().any(|(path, _)| current == Some(path.as_str()));
                                details.more {
                                    summary.here[here] { "Administrasi" }
                                    ul {
                                        @for (path, label) in &administration {
                                            li { (entry(path, label, current)) }
                                        }
                                    }
                                }
                            }
                        }
                        div.who {
                            span { (role_label(session)) " · " (session.name) }
                            form method="post" action={(ROOT) "/keluar"} {
                                input type="hidden" name="csrf" value=(session.csrf_token());
                                button.link type="submit" { "Keluar" }
                            }
                        }
                    }
                }
                main id="isi" { (main) }
            }
        }
    }
}

/// A menu entry, marked when it is the page shown.
fn entry(path: &str, label: &str, current: Option<&str>) -> Markup {
    html! {
        @if current == Some(path) {
            a href=(path) aria-current="page" { (label) }
        } @else {
            a href=(path) { (label) }
        }
    }
}

/// A menu's entries: path and label.
type Entries = Vec<(String, &'static str)>;

/// The screens the session's roles work in: those of every day, and the
/// administration's.
fn menu(session: &Session) -> (Entries, Entries) {
    let staff = &session.staff;
    let city = staff.is_admin() || staff.is_supervisor();
    let mut daily = Vec::new();
    if may_read_incidents(staff) {
        daily.push((format!("{ROOT}/pusat"), "Papan 112"));
    }
    if city {
        daily.push((format!("{ROOT}/antrean"), "Antrean verifikasi"));
        daily.push((format!("{ROOT}/ringkasan"), "Ringkasan kota"));
    }
    if staff.agency().is_some() {
        daily.push((format!("{ROOT}/kotak-masuk"), "Kotak masuk instansi"));
    }
    let mut administration = Vec::new();
    if city {
        administration.push((format!("{ROOT}/diblokir"), "Nomor diblokir"));
    }
    if staff.is_admin() {
        administration.push((format!("{ROOT}/templat"), "Templat jawaban"));
    }
    if city {
        administration.push((format!("{ROOT}/kalender"), "Kalender libur"));
        administration.push((format!("{ROOT}/katalog"), "Kategori dan instansi"));
        administration.push((format!("{ROOT}/responder"), "Nomor responder"));
    }
    if staff.is_admin() {
        administration.push((format!("{ROOT}/kunci-api"), "Kunci API"));
    }
    (daily, administration)
}

/// Who is signed in, as the bar says it.
fn role_label(session: &Session) -> String {
    let staff = &session.staff;
    if staff.is_admin() {
        "Admin".to_string()
    } else if staff.is_supervisor() {
        "Supervisor".to_string()
    } else if let Some(agency) = staff.agency() {
        format!("Petugas {agency}")
    } else if staff.is_operator() {
        "Operator 112".to_string()
    } else if let Some(unit) = staff.unit() {
        format!("Responder {unit}")
    } else {
        "Petugas".to_string()
    }
}

/// Where a map goes: drawn by `console.js` over `tiles`, hidden until then (without
/// JavaScript there is no map; the fields and lists beside it are the page). `here`
/// is the page's own point, if it has one.
pub(crate) fn map_area(
    id: &str,
    label: &str,
    tiles: &MapTiles,
    here: Option<Coordinates>,
) -> Markup {
    html! {
        div.map id=(id) role="region" aria-label=(label) hidden
            data-tiles=(tiles.url) data-attribution=(tiles.attribution)
            data-lat=[here.map(|c| c.lat())] data-lon=[here.map(|c| c.lon())] {}
    }
}
