//! `GET /instansi` and `GET /instansi/{id}`: the agency record, the public
//! accountability page. Each agency's share of reports dispatched and followed up on
//! time, its open backlog and the age of the oldest, how often its follow-ups were
//! disputed, and its average rating, over the last six months.
//!
//! A view reads six `RECORD#<month>` partitions (one query each) that the hourly
//! roll-up writes from facts stored with each report change
//! (`sigap::domain::record`): never the reports themselves. The charts are SVG drawn
//! here, with the same figures in a table beside them for screen readers and for
//! anyone who prefers numbers.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use maud::{Markup, html};
use sigap::domain::catalog::Agency;
use sigap::domain::record::{AgencyMonth, months_until};
use sigap::http::ApiError;
use sigap::web::chart::{self, Bar};
use std::collections::BTreeMap;

use super::track::month_name;
use super::{Caching, Lang, html, layout};
use crate::WebIntake;

/// Months the record shows, the current one last.
const MONTHS: usize = 6;
/// Longest agency name drawn inside a chart (the table has the whole name).
const CHART_NAME_CHARS: usize = 44;
/// The colour of an on-time share (contrast 7.6:1 on white).
const SHARE_COLOUR: &str = "#1d5e3a";

/// Every month's figures, keyed by agency.
type Months = Vec<(String, BTreeMap<String, AgencyMonth>)>;

async fn load(app: &WebIntake) -> Result<(std::sync::Arc<Vec<Agency>>, Months), ApiError> {
    let agencies = app
        .reports
        .catalog()
        .agencies()
        .await
        .map_err(|e| ApiError::unavailable_because("loading agencies", e))?;
    let months = months_until(app.clock.now(), MONTHS);
    let figures = app
        .record
        .months(&months)
        .await
        .map_err(|e| ApiError::unavailable_because("reading the agency record", e))?;
    Ok((agencies, figures))
}

/// "Desember 2026" for `2026-12`.
fn month_label(month: &str, lang: Lang) -> String {
    let (year, number) = month.split_once('-').unwrap_or((month, "1"));
    let index = number.parse::<usize>().unwrap_or(1).clamp(1, 12) - 1;
    format!("{} {year}", month_name(index, lang))
}

/// A share as text: "87%", or a dash when there was nothing to count.
fn share(value: Option<u32>) -> String {
    value.map_or_else(|| "—".into(), |v| format!("{v}%"))
}

/// An average rating as text: "4,2" (a decimal comma in Indonesian).
fn rating(tenths: Option<u32>, lang: Lang) -> String {
    match (tenths, lang) {
        (None, _) => "—".into(),
        (Some(t), Lang::Id) => format!("{},{}", t / 10, t % 10),
        (Some(t), Lang::En) => format!("{}.{}", t / 10, t % 10),
    }
}

fn backlog(figures: &AgencyMonth, lang: Lang) -> String {
    match figures.backlog {
        None => "—".into(),
        Some(b) if b.open == 0 => lang.t("tidak ada", "none").into(),
        Some(b) => match lang {
            Lang::Id => format!("{} (tertua {} hari)", b.open, b.oldest_days),
            Lang::En => format!("{} (oldest {} days)", b.open, b.oldest_days),
        },
    }
}

fn explanation(lang: Lang) -> Markup {
    html! {
        p.hint {
            (lang.t(
                "Tepat waktu: laporan diteruskan ke instansi dalam 2 hari kerja setelah diterima, dan instansi menerbitkan tindak lanjut dalam 5 hari kerja setelah menerimanya. Dibuka lagi: pelapor menyatakan tindak lanjut belum menyelesaikan masalah. Angka diperbarui setiap jam.",
                "On time: the report was passed to the agency within 2 working days of arriving, and the agency published its follow-up within 5 working days of receiving it. Reopened: the reporter said the follow-up did not solve the problem. Figures are updated every hour.",
            ))
        }
    }
}

/// The city's agencies, six months summed, the best on-time follow-up first.
pub(crate) async fn index(app: &WebIntake, lang: Lang) -> Result<Response<Body>, ApiError> {
    let (agencies, months) = load(app).await?;
    let mut rows: Vec<(&Agency, AgencyMonth)> = agencies
        .iter()
        .map(|agency| {
            let total = AgencyMonth::total(months.iter().filter_map(|(_, by)| by.get(&agency.id)));
            (agency, total)
        })
        .collect();
    rows.sort_by_key(|(agency, total)| {
        (
            std::cmp::Reverse(total.followed_up_on_time_percent().map(|p| p + 1)),
            agency.name.clone(),
        )
    });
    let period = match (months.first(), months.last()) {
        (Some((first, _)), Some((last, _))) => {
            format!("{} – {}", month_label(first, lang), month_label(last, lang))
        }
        _ => String::new(),
    };
    // Only agencies with follow-ups counted are drawn; the table lists every one.
    let bars: Vec<(String, Option<u32>)> = rows
        .iter()
        .filter(|(_, total)| total.followed_up > 0)
        .map(|(agency, total)| (shortened(&agency.name), total.followed_up_on_time_percent()))
        .collect();
    let title = lang.t("Rapor instansi", "Agency record");
    let body = html! {
        h1 { (title) }
        p { (lang.t(
            "Seberapa cepat setiap instansi menindaklanjuti laporan warga, ",
            "How quickly each agency follows up citizens' reports, ",
        )) (period) "." }
        (explanation(lang))
        h2 id="grafik-tepat-waktu" { (lang.t("Tindak lanjut tepat waktu", "Followed up on time")) }
        @if bars.is_empty() {
            p { (lang.t("Belum ada tindak lanjut yang tercatat.", "No follow-ups counted yet.")) }
        } @else {
            (bar_chart(&bars, "grafik-tepat-waktu", lang))
        }
        h2 id="semua-angka" { (lang.t("Semua angka", "All figures")) }
        // Wider than a phone: it scrolls sideways, reachable by keyboard too.
        div.scroll tabindex="0" role="region" aria-labelledby="semua-angka" {
            table {
                caption { (lang.t("Enam bulan terakhir", "The last six months")) }
                thead { tr {
                    th scope="col" { (lang.t("Instansi", "Agency")) }
                    th scope="col" { (lang.t("Tindak lanjut tepat waktu", "Followed up on time")) }
                    th scope="col" { (lang.t("Diteruskan tepat waktu", "Passed on on time")) }
                    th scope="col" { (lang.t("Belum ditindaklanjuti", "Still open")) }
                    th scope="col" { (lang.t("Dibuka lagi", "Reopened")) }
                    th scope="col" { (lang.t("Rata-rata nilai (1–5)", "Average rating (1–5)")) }
                } }
                tbody {
                    @for (agency, total) in &rows {
                        tr {
                            th scope="row" { a href={ "/instansi/" (agency.id) } { (agency.name) } }
                            td { (share(total.followed_up_on_time_percent())) " " span.meta { "(" (total.followed_up) ")" } }
                            td { (share(total.dispatched_on_time_percent())) " " span.meta { "(" (total.dispatched) ")" } }
                            td { (backlog(total, lang)) }
                            td { (share(total.reopened_percent())) }
                            td { (rating(total.rating_tenths(), lang)) }
                        }
                    }
                }
            }
        }
        p.hint { (lang.t(
            "Angka dalam kurung: jumlah laporan yang dihitung. Belum ditindaklanjuti: hari ini.",
            "Numbers in brackets: how many reports were counted. Still open: today.",
        )) }
    };
    Ok(html(
        StatusCode::OK,
        layout::page(lang, title, body),
        Caching::Revalidate,
        &[],
    ))
}

/// One agency, month by month.
pub(crate) async fn agency(
    app: &WebIntake,
    id: &str,
    lang: Lang,
) -> Result<Response<Body>, ApiError> {
    let (agencies, months) = load(app).await?;
    let agency = agencies.iter().find(|a| a.id == id).ok_or_else(|| {
        ApiError::not_found(lang.t("Instansi tidak ditemukan.", "No such agency."))
    })?;
    let rows: Vec<(String, AgencyMonth)> = months
        .iter()
        .map(|(month, by)| {
            (
                month_label(month, lang),
                by.get(&agency.id).cloned().unwrap_or_default(),
            )
        })
        .collect();
    let bars: Vec<(String, Option<u32>)> = rows
        .iter()
        .map(|(label, figures)| (label.clone(), figures.followed_up_on_time_percent()))
        .collect();
    let total = AgencyMonth::total(rows.iter().map(|(_, f)| f));
    let body = html! {
        p { a href="/instansi" { (lang.t("← Semua instansi", "← All agencies")) } }
        h1 { (agency.name) }
        dl.summary {
            dt { (lang.t("Belum ditindaklanjuti hari ini", "Still open today")) }
            dd { (backlog(&total, lang)) }
            dt { (lang.t("Tindak lanjut tepat waktu, 6 bulan", "Followed up on time, 6 months")) }
            dd { (share(total.followed_up_on_time_percent())) }
            dt { (lang.t("Rata-rata nilai dari pelapor", "Average rating by reporters")) }
            dd { (rating(total.rating_tenths(), lang)) }
        }
        (explanation(lang))
        h2 id="grafik-bulanan" { (lang.t("Tindak lanjut tepat waktu per bulan", "Followed up on time, by month")) }
        (bar_chart(&bars, "grafik-bulanan", lang))
        h2 id="per-bulan" { (lang.t("Per bulan", "By month")) }
        div.scroll tabindex="0" role="region" aria-labelledby="per-bulan" {
            table {
                caption { (agency.name) }
                thead { tr {
                    th scope="col" { (lang.t("Bulan", "Month")) }
                    th scope="col" { (lang.t("Diterima", "Received")) }
                    th scope="col" { (lang.t("Diteruskan tepat waktu", "Passed on on time")) }
                    th scope="col" { (lang.t("Tindak lanjut", "Follow-ups")) }
                    th scope="col" { (lang.t("Tepat waktu", "On time")) }
                    th scope="col" { (lang.t("Dibuka lagi", "Reopened")) }
                    th scope="col" { (lang.t("Rata-rata nilai", "Average rating")) }
                    th scope="col" { (lang.t("Belum selesai di akhir bulan", "Open at month's end")) }
                } }
                tbody {
                    @for (label, figures) in &rows {
                        tr {
                            th scope="row" { (label) }
                            td { (figures.dispatched) }
                            td { (share(figures.dispatched_on_time_percent())) }
                            td { (figures.followed_up) }
                            td { (share(figures.followed_up_on_time_percent())) }
                            td { (share(figures.reopened_percent())) }
                            td { (rating(figures.rating_tenths(), lang)) }
                            td { (backlog(figures, lang)) }
                        }
                    }
                }
            }
        }
    };
    Ok(html(
        StatusCode::OK,
        layout::page(lang, &agency.name, body),
        Caching::Revalidate,
        &[],
    ))
}

fn shortened(name: &str) -> String {
    if name.chars().count() <= CHART_NAME_CHARS {
        return name.to_string();
    }
    let cut: String = name.chars().take(CHART_NAME_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

/// The on-time shares as bars from 0 to 100 %, each with its name and share above.
fn bar_chart(bars: &[(String, Option<u32>)], labelled_by: &str, lang: Lang) -> Markup {
    let drawn: Vec<Bar> = bars
        .iter()
        .map(|(label, value)| {
            let figure = value.map_or_else(
                || lang.t("belum ada", "none yet").to_string(),
                |v| format!("{v}%"),
            );
            Bar::plain(format!("{label}: {figure}"), value.unwrap_or(0))
        })
        .collect();
    chart::bars(&drawn, 100, &[SHARE_COLOUR], labelled_by)
}
