//! Response templates (`/konsol/templat`): the prepared texts admins write once per
//! category and use (dispatch note, *tunda* question, archive explanation, the
//! agency's follow-up and return reason). Admins keep the list here; admins and
//! agency officers pick one on a report's form and edit it before sending
//! ([`picker`]). Every save is one conditional write on the version shown.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use maud::{Markup, html};
use sigap::adapters::table::StoreError;
use sigap::domain::catalog::{Category, ResponseTemplate, TEMPLATE_TRACKING_ID, TemplateUse};
use sigap::http::ApiError;
use sigap::web::{query, see_other};

use super::session::Session;
use super::{Form, ROOT, page};
use crate::{Backoffice, forbidden};

/// Where this screen lives.
fn screen() -> String {
    format!("{ROOT}/templat")
}

/// Every template (read fresh, so an edit shows on the next page).
pub(crate) async fn all(app: &Backoffice) -> Result<Vec<ResponseTemplate>, ApiError> {
    app.reports
        .catalog()
        .store()
        .templates()
        .await
        .map_err(|e| ApiError::unavailable_because("reading response templates", e))
}

/// `GET /konsol/templat[?ubah=<id>]`: the list, and the form for a new template or
/// for the one being changed (admins only).
pub(crate) async fn show(
    app: &Backoffice,
    session: &Session,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    if !session.staff.is_admin() {
        return Err(forbidden());
    }
    let templates = all(app).await?;
    let editing = match query(request, "ubah") {
        Some(id) => Some(
            templates
                .iter()
                .find(|t| t.id == id)
                .cloned()
                .ok_or_else(|| ApiError::not_found("Templat tidak ditemukan."))?,
        ),
        None => None,
    };
    let notice = query(request, "selesai").and_then(|done| match done {
        "simpan" => Some("Templat disimpan."),
        "hapus" => Some("Templat dihapus."),
        _ => None,
    });
    let draft = Draft::of(editing.as_ref());
    screen_page(
        app,
        session,
        &templates,
        &draft,
        notice,
        None,
        StatusCode::OK,
    )
    .await
}

/// What the form shows: a template being written or changed.
struct Draft {
    id: Option<String>,
    version: u64,
    title: String,
    text: String,
    category: Option<String>,
    used_for: TemplateUse,
}

impl Draft {
    fn of(template: Option<&ResponseTemplate>) -> Self {
        match template {
            Some(t) => Self {
                id: Some(t.id.clone()),
                version: t.version,
                title: t.title.clone(),
                text: t.text.clone(),
                category: t.category.clone(),
                used_for: t.used_for,
            },
            None => Self {
                id: None,
                version: 0,
                title: String::new(),
                text: String::new(),
                category: None,
                used_for: TemplateUse::Dispatch,
            },
        }
    }
}

/// `POST /konsol/templat`: create (no `id`), change (`id`, `versi`) or, with
/// `hapus`, delete a template; 303 back to the list, or the form again with why not.
pub(crate) async fn save(
    app: &Backoffice,
    session: &Session,
    form: &Form,
) -> Result<Response<Body>, ApiError> {
    if !session.staff.is_admin() {
        return Err(forbidden());
    }
    let store = app.reports.catalog().store();
    let id = form.get("id").map(str::to_string);
    let shown: u64 = match form.get("versi") {
        None => 0,
        Some(v) => v
            .parse()
            .map_err(|_| ApiError::invalid("Versi templat tidak sah."))?,
    };
    let lost = || {
        ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "Templat ini baru saja diubah atau dihapus orang lain. Muat ulang daftarnya lalu coba lagi.",
        )
    };
    let stored = |e: StoreError| match e {
        StoreError::Conflict | StoreError::AlreadyExists => lost(),
        other => ApiError::unavailable_because("saving a response template", other),
    };
    if form.get("hapus").is_some() {
        let id = id.ok_or_else(|| ApiError::invalid("Templat mana yang dihapus?"))?;
        store.delete_template(&id, shown).await.map_err(stored)?;
        tracing::info!(template = %id, staff = %session.staff.subject, "response template deleted");
        return Ok(see_other(&format!("{}?selesai=hapus", screen()), &[]));
    }
    let used_for = form
        .get("untuk")
        .and_then(TemplateUse::parse)
        .ok_or_else(|| ApiError::invalid("Pilih untuk formulir apa templat ini."))?;
    let categories = app.categories().await?;
    let category = match form.get("kategori") {
        None => None,
        Some(code) if categories.iter().any(|c| c.code == code) => Some(code.to_string()),
        Some(_) => return Err(ApiError::invalid("Kategori tidak dikenal.")),
    };
    let new_id = match &id {
        Some(id) => id.clone(),
        None => app
            .ids
            .random_bytes(6)
            .map(hex::encode)
            .map_err(|e| ApiError::unavailable_because("template id", e))?,
    };
    let (title, text) = (
        form.get("judul").unwrap_or_default(),
        form.get("teks").unwrap_or_default(),
    );
    let template = match ResponseTemplate::new(new_id, title, text, category.clone(), used_for) {
        Ok(mut template) => {
            template.version = shown + 1;
            template
        }
        Err(problem) => {
            let draft = Draft {
                id,
                version: shown,
                title: title.to_string(),
                text: text.to_string(),
                category,
                used_for,
            };
            let templates = all(app).await?;
            return screen_page(
                app,
                session,
                &templates,
                &draft,
                None,
                Some(problem.to_string()),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    store.save_template(&template).await.map_err(stored)?;
    tracing::info!(template = %template.id, version = template.version, staff = %session.staff.subject, "response template saved");
    Ok(see_other(&format!("{}?selesai=simpan", screen()), &[]))
}

/// The category's name, or "Semua kategori".
fn category_label<'a>(categories: &'a [Category], code: Option<&'a str>) -> &'a str {
    match code {
        None => "Semua kategori",
        Some(code) => categories
            .iter()
            .find(|c| c.code == code)
            .map_or(code, |c| c.name.as_str()),
    }
}

async fn screen_page(
    app: &Backoffice,
    session: &Session,
    templates: &[ResponseTemplate],
    draft: &Draft,
    notice: Option<&str>,
    problem: Option<String>,
    status: StatusCode,
) -> Result<Response<Body>, ApiError> {
    let categories = app.categories().await?;
    let csrf = session.csrf_token();
    let heading = if draft.id.is_some() {
        "Ubah templat"
    } else {
        "Templat baru"
    };
    let body = html! {
        h1 { "Templat jawaban" }
        p.meta { "Teks siap pakai per kategori. Admin dan petugas instansi memilihnya di formulir laporan, "
            "lalu menyuntingnya sebelum mengirim. " code { (TEMPLATE_TRACKING_ID) } " diganti nomor laporan." }
        @if let Some(notice) = notice { p.notice role="status" { (notice) } }
        @if templates.is_empty() {
            p.panel { "Belum ada templat." }
        } @else {
            div.scroll role="region" aria-label="Daftar templat" tabindex="0" {
                table {
                    caption { (templates.len()) " templat" }
                    thead { tr {
                        th scope="col" { "Judul" }
                        th scope="col" { "Untuk" }
                        th scope="col" { "Kategori" }
                        th scope="col" { "Teks" }
                    } }
                    tbody {
                        @for t in templates {
                            tr {
                                td { a href={(screen()) "?ubah=" (t.id) "#templat"} { (t.title) } }
                                td { (t.used_for.label()) }
                                td { (category_label(&categories, t.category.as_deref())) }
                                td.meta { (t.text.chars().take(120).collect::<String>()) @if t.text.chars().count() > 120 { "…" } }
                            }
                        }
                    }
                }
            }
        }
        section.panel aria-labelledby="templat" {
            h2 id="templat" { (heading) }
            @if let Some(problem) = &problem { p.problem role="alert" { (problem) } }
            form method="post" action=(screen()) {
                input type="hidden" name="csrf" value=(csrf);
                @if let Some(id) = &draft.id {
                    input type="hidden" name="id" value=(id);
                    input type="hidden" name="versi" value=(draft.version);
                }
                label for="judul" { "Judul" }
                input type="text" id="judul" name="judul" maxlength="80" required value=(draft.title);
                label for="untuk" { "Untuk formulir" }
                select id="untuk" name="untuk" {
                    @for u in TemplateUse::ALL {
                        option value=(u.as_str()) selected[u == draft.used_for] { (u.label()) }
                    }
                }
                label for="kategori-templat" { "Kategori" }
                select id="kategori-templat" name="kategori" {
                    option value="" { "Semua kategori" }
                    @for c in categories.iter() {
                        option value=(c.code) selected[draft.category.as_deref() == Some(c.code.as_str())] { (c.name) }
                    }
                }
                label for="teks-templat" { "Teks" }
                textarea id="teks-templat" name="teks" maxlength="2000" required { (draft.text) }
                p { button type="submit" { "Simpan templat" } }
            }
            @if let Some(id) = &draft.id {
                form method="post" action=(screen()) {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="id" value=(id);
                    input type="hidden" name="versi" value=(draft.version);
                    input type="hidden" name="hapus" value="1";
                    p { button.danger type="submit" { "Hapus templat" } " " a href=(screen()) { "Batal" } }
                }
            }
        }
    };
    Ok(page(
        status,
        Some(session),
        "Templat jawaban",
        Some(&screen()),
        body,
        &[],
    ))
}

/// The templates offered on `used_for`'s form of report `report_id` (category
/// `category`), as a small GET form that fills textarea `target`: with JavaScript
/// the choice fills it at once (`console.js`), without it the button reloads the
/// report with the text in place (`?templat=<id>`, `picked`).
pub(crate) fn picker(
    templates: &[ResponseTemplate],
    report_id: &str,
    category: &str,
    used_for: TemplateUse,
    target: &str,
    picked: Option<&str>,
) -> Markup {
    let offered: Vec<&ResponseTemplate> = templates
        .iter()
        .filter(|t| t.fits(category, used_for))
        .collect();
    let select_id = format!("templat-{target}");
    html! {
        @if !offered.is_empty() {
            form.picker method="get" action={(ROOT) "/laporan/" (report_id) "#" (target)} {
                label for=(select_id) { "Templat jawaban" }
                select id=(select_id) name="templat" data-fills=(target) {
                    option value="" data-text="" { "Pilih templat…" }
                    @for t in &offered {
                        option value=(t.id) data-text=(t.text_for(report_id)) selected[picked == Some(t.id.as_str())] { (t.title) }
                    }
                }
                button.secondary type="submit" { "Pakai templat" }
            }
        }
    }
}

/// The text a chosen template (`?templat=<id>`) puts in `used_for`'s textarea.
pub(crate) fn picked_text(
    templates: &[ResponseTemplate],
    picked: Option<&str>,
    report_id: &str,
    used_for: TemplateUse,
) -> String {
    picked
        .and_then(|id| {
            templates
                .iter()
                .find(|t| t.id == id && t.used_for == used_for)
        })
        .map(|t| t.text_for(report_id))
        .unwrap_or_default()
}
