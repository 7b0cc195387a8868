//! `GET /`: report a problem, track a report, and when to call 112 instead.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use maud::html;
use sigap::http::ApiError;

use super::{Caching, Lang, html, layout};
use crate::WebIntake;

/// The home page.
pub(crate) async fn page(_app: &WebIntake, lang: Lang) -> Result<Response<Body>, ApiError> {
    let body = html! {
        h1 { (lang.t("Sampaikan masalah di kota Anda", "Tell the city about a problem")) }
        section.urgent aria-labelledby="darurat" {
            h2 id="darurat" { (lang.t("Dalam bahaya sekarang?", "In danger right now?")) }
            p {
                (lang.t(
                    "Kebakaran, kecelakaan, kejahatan, orang sakit parah: jangan menulis laporan, telepon ",
                    "Fire, accident, crime, someone badly ill: do not write a report, call ",
                ))
                a href="tel:112" { strong { "112" } }
                (lang.t(". Laporan LAPOR! tidak dipantau setiap saat.", ". LAPOR! reports are not watched around the clock."))
            }
        }
        p {
            (lang.t(
                "Jalan rusak, sampah menumpuk, lampu jalan mati, pelayanan yang buruk. Admin memeriksa laporan Anda dan meneruskannya ke instansi yang bertanggung jawab dalam 2 hari kerja; instansi menjawab dalam 5 hari kerja.",
                "Broken roads, piled-up rubbish, street lights out, poor service. An administrator checks your report and passes it to the agency responsible within 2 working days; the agency answers within 5 working days.",
            ))
        }
        p { a.button href="/lapor" { (lang.t("Laporkan masalah", "Report a problem")) } }
        h2 id="lacak" { (lang.t("Lacak laporan", "Track a report")) }
        form.track method="get" action="/lacak" {
            label for="nomor" { (lang.t("Nomor laporan", "Report number")) }
            input id="nomor" name="id" type="text" inputmode="text" autocomplete="off"
                autocapitalize="characters" placeholder="BDG-K7M2QX" required;
            button type="submit" { (lang.t("Lacak", "Track")) }
        }
    };
    Ok(html(
        StatusCode::OK,
        layout::page(lang, lang.t("Beranda", "Home"), body),
        Caching::Revalidate,
        &[],
    ))
}
