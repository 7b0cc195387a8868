//! `GET /sekitar`: the public reports of the last 90 days as a list (and, with
//! JavaScript, on a map), filtered by category, kecamatan and status, a page at a
//! time. Read from the public month index Open311's lists use (`public_between`):
//! newest first, stopping once the page is full, never a table scan.

use jiff::SignedDuration;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use maud::html;
use sigap::domain::location::all_kecamatan;
use sigap::domain::public::PublicReport;
use sigap::domain::report::Report;
use sigap::http::ApiError;

use super::track::{in_words, status_words};
use super::{Caching, Lang, html, layout, map};
use crate::WebIntake;
use sigap::web::query;

/// Reports on one page of the list.
const PAGE_SIZE: usize = 20;
/// Pages a list may go back (the window is 90 days in any case).
const MAX_PAGES: usize = 25;
/// Index entries one page may read before it stops (confidential and unverified
/// reports are skipped, the filters too).
const MAX_SCANNED: usize = 2_000;
/// How far back the list reaches.
const WINDOW: SignedDuration = SignedDuration::from_hours(90 * 24);

/// Which reports by their state: all, still being handled, or finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StatusFilter {
    All,
    Open,
    Closed,
}

impl StatusFilter {
    fn of(value: Option<&str>) -> Self {
        match value {
            Some("terbuka") => Self::Open,
            Some("selesai") => Self::Closed,
            _ => Self::All,
        }
    }

    fn keeps(self, report: &Report) -> bool {
        match self {
            Self::All => true,
            Self::Open => !report.status.is_final(),
            Self::Closed => report.status.is_final(),
        }
    }
}

/// The list and map.
pub(crate) async fn page(
    app: &WebIntake,
    request: &Request,
    lang: Lang,
) -> Result<Response<Body>, ApiError> {
    let categories = app.categories().await?;
    let category = query(request, "kategori")
        .filter(|code| categories.iter().any(|c| c.code == *code))
        .map(str::to_string);
    let kecamatan = query(request, "kecamatan")
        .filter(|code| all_kecamatan().iter().any(|k| k.code == *code))
        .map(str::to_string);
    let status = StatusFilter::of(query(request, "status"));
    let page = query(request, "halaman")
        .and_then(|p| p.parse::<usize>().ok())
        .filter(|p| (1..=MAX_PAGES).contains(p))
        .unwrap_or(1);
    let now = app.clock.now();
    let start = now.saturating_sub(WINDOW).unwrap_or(now);
    let wanted = |r: &Report| {
        PublicReport::of(r).is_some_and(|p| p.is_published())
            && category.as_ref().is_none_or(|c| *c == r.category)
            && kecamatan.as_ref().is_none_or(|k| {
                r.location
                    .kecamatan
                    .as_ref()
                    .is_some_and(|rk| rk.code == *k)
            })
            && status.keeps(r)
    };
    // One more than the page holds says whether a next page exists.
    let listed = app
        .reports
        .store()
        .public_between(start, now, wanted, page * PAGE_SIZE + 1, MAX_SCANNED)
        .await
        .map_err(|e| ApiError::unavailable_because("listing reports", e))?;
    let more = listed.len() > page * PAGE_SIZE;
    let shown: Vec<&Report> = listed
        .iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .collect();
    let name_of = |code: &str| {
        categories
            .iter()
            .find(|c| c.code == code)
            .map_or(code.to_string(), |c| c.name.clone())
    };
    let link = |to: usize| {
        let mut pairs = form_urlencoded::Serializer::new(String::new());
        if let Some(c) = &category {
            pairs.append_pair("kategori", c);
        }
        if let Some(k) = &kecamatan {
            pairs.append_pair("kecamatan", k);
        }
        match status {
            StatusFilter::Open => {
                pairs.append_pair("status", "terbuka");
            }
            StatusFilter::Closed => {
                pairs.append_pair("status", "selesai");
            }
            StatusFilter::All => {}
        }
        pairs.append_pair("halaman", &to.to_string());
        format!("/sekitar?{}", pairs.finish())
    };
    let body = html! {
        h1 { (lang.t("Laporan di sekitar Anda", "Reports near you")) }
        p.hint {
            (lang.t(
                "Laporan 90 hari terakhir yang sudah diverifikasi admin. Laporan rahasia tidak pernah tampil.",
                "Reports of the last 90 days that an administrator has verified. Confidential reports are never shown.",
            ))
        }
        form.filters method="get" action="/sekitar" {
            div.field {
                label for="kategori" { (lang.t("Jenis masalah", "Kind of problem")) }
                select id="kategori" name="kategori" {
                    option value="" { (lang.t("Semua", "All")) }
                    @for c in categories.iter() {
                        option value=(c.code) selected[category.as_deref() == Some(c.code.as_str())] { (c.name) }
                    }
                }
            }
            div.field {
                label for="kecamatan" { (lang.t("Kecamatan", "District (kecamatan)")) }
                select id="kecamatan" name="kecamatan" {
                    option value="" { (lang.t("Semua", "All")) }
                    @for k in all_kecamatan() {
                        option value=(k.code) selected[kecamatan.as_deref() == Some(k.code.as_str())] { (k.name) }
                    }
                }
            }
            div.field {
                label for="status" { (lang.t("Status", "Status")) }
                select id="status" name="status" {
                    option value="" { (lang.t("Semua", "All")) }
                    option value="terbuka" selected[status == StatusFilter::Open] { (lang.t("Sedang diproses", "Being handled")) }
                    option value="selesai" selected[status == StatusFilter::Closed] { (lang.t("Selesai", "Finished")) }
                }
            }
            button type="submit" { (lang.t("Tampilkan", "Show")) }
        }
        (map::area(lang, "peta-sekitar", app.map.as_ref()))
        @if shown.is_empty() {
            p { (lang.t("Belum ada laporan yang cocok.", "No matching reports yet.")) }
        } @else {
            ol.reports id="daftar" start=((page - 1) * PAGE_SIZE + 1) {
                @for report in &shown {
                    @let public = PublicReport::of(report);
                    @let point = report.location.coordinates;
                    li data-lat=[point.map(|c| c.lat())] data-lon=[point.map(|c| c.lon())] {
                        a href={ "/laporan/" (report.id) } {
                            (public.map(|p| p.title()).unwrap_or_default())
                        }
                        br;
                        span.meta {
                            (name_of(&report.category))
                            @if let Some(k) = &report.location.kecamatan { " · Kec. " (k.name) }
                            " · " (in_words(report.received_at, lang))
                        }
                        br;
                        (status_words(report.status, lang))
                    }
                }
            }
        }
        nav.pages aria-label=(lang.t("Halaman daftar", "List pages")) {
            @if page > 1 { a href=(link(page - 1)) rel="prev" { (lang.t("← Lebih baru", "← Newer")) } }
            " "
            @if more && page < MAX_PAGES { a href=(link(page + 1)) rel="next" { (lang.t("Lebih lama →", "Older →")) } }
        }
    };
    Ok(html(
        StatusCode::OK,
        layout::page_with_map(
            lang,
            lang.t("Laporan di sekitar Anda", "Reports near you"),
            body,
            app.map.as_ref(),
        ),
        Caching::Revalidate,
        &app.map.iter().map(|m| m.origin.clone()).collect::<Vec<_>>(),
    ))
}
