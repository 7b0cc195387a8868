//! The frame every console screen shares: the bar with the screens of the signed-in
//! role, who is signed in, and sign-out (a form, so it carries the CSRF token).

use maud::{DOCTYPE, Markup, html};

use super::session::Session;
use super::{ROOT, assets};

/// A whole console page; `current` is the menu entry's path when it is one, and
/// `with_map` loads the map library (only the report page draws maps).
pub(crate) fn frame(
    session: Option<&Session>,
    title: &str,
    current: Option<&str>,
    main: Markup,
    with_map: bool,
) -> Markup {
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
            }
            body {
                header.bar {
                    a.brand href=(ROOT) { "Konsol LAPOR! Bandung" }
                    @if let Some(session) = session {
                        nav aria-label="Menu konsol" {
                            @for (path, label) in menu(session) {
                                @if current == Some(path.as_str()) {
                                    a href=(path) aria-current="page" { (label) }
                                } @else {
                                    a href=(path) { (label) }
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

/// The screens the session's roles work in.
fn menu(session: &Session) -> Vec<(String, &'static str)> {
    let staff = &session.staff;
    let mut entries = Vec::new();
    if staff.is_admin() || staff.is_supervisor() {
        entries.push((format!("{ROOT}/antrean"), "Antrean verifikasi"));
    }
    if staff.is_admin() || staff.is_supervisor() {
        entries.push((format!("{ROOT}/ringkasan"), "Ringkasan kota"));
        entries.push((format!("{ROOT}/diblokir"), "Nomor diblokir"));
    }
    if staff.agency().is_some() {
        entries.push((format!("{ROOT}/kotak-masuk"), "Kotak masuk instansi"));
    }
    if staff.is_admin() {
        entries.push((format!("{ROOT}/templat"), "Templat jawaban"));
    }
    if staff.is_admin() || staff.is_supervisor() {
        entries.push((format!("{ROOT}/kalender"), "Kalender libur"));
        entries.push((format!("{ROOT}/katalog"), "Kategori dan instansi"));
        entries.push((format!("{ROOT}/responder"), "Nomor responder"));
    }
    if staff.is_admin() {
        entries.push((format!("{ROOT}/kunci-api"), "Kunci API"));
    }
    entries
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
    } else {
        "Petugas".to_string()
    }
}
