//! Categories and agencies (`/konsol/katalog`): admins and supervisors read them,
//! admins add and change them - a category's name, group, usual agency, keywords,
//! its own deadline tier and its questions (Open311 attributes); an agency's name and
//! kind - where before it took the data files and `make seed`. Each save is one
//! conditional write on the version the form showed; this function reads the change
//! at once, the others within the catalog cache's five minutes.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use maud::{Markup, html};
use sigap::adapters::table::StoreError;
use sigap::domain::catalog::{
    Agency, AgencyKind, Category, Choice, MAX_TIER_DAYS, QUESTION_TYPES, Question, TierDays,
};
use sigap::http::ApiError;
use sigap::web::see_other;

use super::session::Session;
use super::{Form, ROOT, page};
use crate::{Backoffice, forbidden};

/// The catalog screen.
fn screen() -> String {
    format!("{ROOT}/katalog")
}

/// The path segment of a form for something new.
const NEW: &str = "baru";

/// Every agency kind: its stored name (the form's value) and its Indonesian name.
const KINDS: [(AgencyKind, &str, &str); 6] = [
    (AgencyKind::Dinas, "dinas", "Dinas atau badan"),
    (AgencyKind::Bumd, "bumd", "BUMD"),
    (AgencyKind::Blud, "blud", "BLUD"),
    (AgencyKind::Setda, "setda", "Sekretariat daerah"),
    (AgencyKind::Kecamatan, "kecamatan", "Kecamatan"),
    (AgencyKind::Vertikal, "vertikal", "Instansi vertikal"),
];

fn kind_label(kind: AgencyKind) -> &'static str {
    KINDS
        .iter()
        .find(|(k, _, _)| *k == kind)
        .map_or("", |(_, _, label)| label)
}

fn store_error(e: StoreError) -> ApiError {
    ApiError::unavailable_because("reading the catalog", e)
}

async fn categories(app: &Backoffice) -> Result<Vec<(Category, u64)>, ApiError> {
    let store = app.reports.catalog().store();
    store.categories_versioned().await.map_err(store_error)
}

async fn agencies(app: &Backoffice) -> Result<Vec<(Agency, u64)>, ApiError> {
    let store = app.reports.catalog().store();
    store.agencies_versioned().await.map_err(store_error)
}

/// `GET /konsol/katalog[?selesai=…]` (admins and supervisors): both lists.
pub(crate) async fn show(
    app: &Backoffice,
    session: &Session,
    saved: Option<&str>,
) -> Result<Response<Body>, ApiError> {
    let staff = &session.staff;
    if !(staff.is_admin() || staff.is_supervisor()) {
        return Err(forbidden());
    }
    let (categories, agencies) = (categories(app).await?, agencies(app).await?);
    let agency_name = |id: &str| {
        agencies
            .iter()
            .find(|(a, _)| a.id == id)
            .map_or(id.to_string(), |(a, _)| a.name.clone())
    };
    let days = |d: Option<u32>| d.map_or("bawaan".to_string(), |d| format!("{d} hari"));
    let body = html! {
        h1 { "Kategori dan instansi" }
        @match saved {
            Some("kategori") => p.notice role="status" { "Kategori disimpan. Formulir warga memakainya paling lambat lima menit lagi." },
            Some("instansi") => p.notice role="status" { "Instansi disimpan. Buat juga grup agency:<kode> di Cognito untuk petugasnya." },
            _ => {},
        }
        section aria-labelledby="kategori" {
            h2 id="kategori" { "Kategori laporan" }
            @if staff.is_admin() { p { a href={(screen()) "/kategori/" (NEW)} { "Kategori baru" } } }
            div.scroll role="region" aria-label="Daftar kategori" tabindex="0" {
                table {
                    caption { (categories.len()) " kategori" }
                    thead { tr {
                        th scope="col" { "Kategori" }
                        th scope="col" { "Kelompok" }
                        th scope="col" { "Instansi biasa" }
                        th scope="col" { "Verifikasi" }
                        th scope="col" { "Tindak lanjut" }
                        th scope="col" { "Pertanyaan" }
                    } }
                    tbody {
                        @for (c, _) in &categories {
                            @let tier = c.working_days.unwrap_or_default();
                            tr {
                                th scope="row" {
                                    @if staff.is_admin() { a href={(screen()) "/kategori/" (c.code)} { (c.name) } }
                                    @else { (c.name) }
                                    br; code { (c.code) }
                                }
                                td { (c.group) }
                                td { (agency_name(&c.default_agency)) }
                                td { (days(tier.verify)) }
                                td { (days(tier.follow_up)) }
                                td { (c.questions.len()) }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="daftar-instansi" {
            h2 id="daftar-instansi" { "Instansi" }
            @if staff.is_admin() { p { a href={(screen()) "/instansi/" (NEW)} { "Instansi baru" } } }
            div.scroll role="region" aria-label="Daftar instansi" tabindex="0" {
                table {
                    caption { (agencies.len()) " instansi" }
                    thead { tr {
                        th scope="col" { "Instansi" }
                        th scope="col" { "Kode (grup agency:<kode>)" }
                        th scope="col" { "Jenis" }
                    } }
                    tbody {
                        @for (a, _) in &agencies {
                            tr {
                                th scope="row" {
                                    @if staff.is_admin() { a href={(screen()) "/instansi/" (a.id)} { (a.name) } }
                                    @else { (a.name) }
                                }
                                td { code { (a.id) } }
                                td { (kind_label(a.kind)) }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(
        StatusCode::OK,
        Some(session),
        "Kategori dan instansi",
        Some(&screen()),
        body,
        &[],
    ))
}

/// A category's questions as its form's lines: `CODE | type | wajib or opsional |
/// question | key=Label; key=Label | help`.
fn questions_text(questions: &[Question]) -> String {
    let mut ordered: Vec<&Question> = questions.iter().collect();
    ordered.sort_by_key(|q| q.order);
    ordered
        .iter()
        .map(|q| {
            let choices = q
                .values
                .iter()
                .map(|c| format!("{}={}", c.key, c.name))
                .collect::<Vec<_>>()
                .join("; ");
            let mut line = format!(
                "{} | {} | {} | {} | {choices}",
                q.code,
                q.datatype,
                if q.required { "wajib" } else { "opsional" },
                q.description
            );
            if let Some(help) = &q.datatype_description {
                line.push_str(&format!(" | {help}"));
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The questions an admin typed, one per line in [`questions_text`]'s form, or which
/// line is wrong and why.
pub(crate) fn parse_questions(text: &str) -> Result<Vec<Question>, String> {
    let mut questions = Vec::new();
    for (number, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())) {
        if line.is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split('|').map(str::trim).collect();
        let (code, datatype, required, description) = match parts[..] {
            [code, datatype, required, description, ..] if parts.len() <= 6 => {
                (code, datatype, required, description)
            }
            _ => {
                return Err(format!(
                    "Baris {number}: tulis KODE | jenis | wajib atau opsional | pertanyaan | pilihan | keterangan."
                ));
            }
        };
        let required = match required.to_lowercase().as_str() {
            "wajib" => true,
            "opsional" => false,
            _ => return Err(format!("Baris {number}: tulis wajib atau opsional.")),
        };
        let values = parts
            .get(4)
            .map(|choices| {
                choices
                    .split(';')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(|choice| {
                        choice
                            .split_once('=')
                            .map(|(key, name)| Choice {
                                key: key.trim().into(),
                                name: name.trim().into(),
                            })
                            .ok_or_else(|| {
                                format!("Baris {number}: setiap pilihan ditulis kunci=Label.")
                            })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        questions.push(Question {
            code: code.into(),
            datatype: datatype.to_lowercase(),
            required,
            description: description.into(),
            datatype_description: parts
                .get(5)
                .filter(|h| !h.is_empty())
                .map(|h| h.to_string()),
            order: u32::try_from(questions.len() + 1).unwrap_or(u32::MAX),
            values,
        });
    }
    Ok(questions)
}

/// What a category's form shows.
struct CategoryDraft {
    code: String,
    version: u64,
    name: String,
    group: String,
    agency: String,
    keywords: String,
    verify: String,
    follow_up: String,
    close: String,
    questions: String,
}

impl CategoryDraft {
    fn of(category: Option<(&Category, u64)>) -> Self {
        let day = |d: Option<u32>| d.map(|d| d.to_string()).unwrap_or_default();
        match category {
            Some((c, version)) => {
                let tier = c.working_days.unwrap_or_default();
                Self {
                    code: c.code.clone(),
                    version,
                    name: c.name.clone(),
                    group: c.group.clone(),
                    agency: c.default_agency.clone(),
                    keywords: c.keywords.join(", "),
                    verify: day(tier.verify),
                    follow_up: day(tier.follow_up),
                    close: day(tier.close),
                    questions: questions_text(&c.questions),
                }
            }
            None => Self {
                code: String::new(),
                version: 0,
                name: String::new(),
                group: String::new(),
                agency: String::new(),
                keywords: String::new(),
                verify: String::new(),
                follow_up: String::new(),
                close: String::new(),
                questions: String::new(),
            },
        }
    }

    fn from_form(code: &str, form: &Form) -> Self {
        let field = |name: &str| form.get(name).unwrap_or_default().to_string();
        Self {
            code: if code == NEW {
                field("kode")
            } else {
                code.to_string()
            },
            version: form.get("versi").and_then(|v| v.parse().ok()).unwrap_or(0),
            name: field("nama"),
            group: field("kelompok"),
            agency: field("instansi"),
            keywords: field("kata-kunci"),
            verify: field("verifikasi"),
            follow_up: field("tindak-lanjut"),
            close: field("tutup"),
            questions: field("pertanyaan"),
        }
    }

    /// The category it describes, or why not (a day count or a question line).
    fn category(&self) -> Result<Category, String> {
        let day = |text: &str| -> Result<Option<u32>, String> {
            if text.trim().is_empty() {
                return Ok(None);
            }
            text.trim().parse().map(Some).map_err(|_| {
                format!("Tenggat ditulis sebagai angka hari kerja (1 sampai {MAX_TIER_DAYS}).")
            })
        };
        let tier = TierDays {
            verify: day(&self.verify)?,
            follow_up: day(&self.follow_up)?,
            close: day(&self.close)?,
        };
        Ok(Category {
            code: self.code.trim().to_string(),
            name: self.name.trim().to_string(),
            group: self.group.trim().to_string(),
            default_agency: self.agency.clone(),
            keywords: self
                .keywords
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(str::to_string)
                .collect(),
            working_days: (tier != TierDays::default()).then_some(tier),
            questions: parse_questions(&self.questions)?,
        })
    }
}

/// `GET /konsol/katalog/kategori/{code}` (admins; `baru` for a new one).
pub(crate) async fn category(
    app: &Backoffice,
    session: &Session,
    code: &str,
) -> Result<Response<Body>, ApiError> {
    if !session.staff.is_admin() {
        return Err(forbidden());
    }
    let categories = categories(app).await?;
    let draft = match code {
        NEW => CategoryDraft::of(None),
        _ => CategoryDraft::of(Some(
            categories
                .iter()
                .find(|(c, _)| c.code == code)
                .map(|(c, v)| (c, *v))
                .ok_or_else(|| ApiError::not_found("Kategori tidak ditemukan."))?,
        )),
    };
    category_page(app, session, code, &draft, None, StatusCode::OK).await
}

/// `POST /konsol/katalog/kategori/{code}` (admins): saved, back to the list; or the
/// form again with why not.
pub(crate) async fn save_category(
    app: &Backoffice,
    session: &Session,
    code: &str,
    form: &Form,
) -> Result<Response<Body>, ApiError> {
    if !session.staff.is_admin() {
        return Err(forbidden());
    }
    let draft = CategoryDraft::from_form(code, form);
    let seen = draft.version;
    let draft = &draft;
    let refuse = |status, why: String| async move {
        category_page(app, session, code, draft, Some(why), status).await
    };
    let category = match draft.category() {
        Ok(category) => category,
        Err(why) => return refuse(StatusCode::UNPROCESSABLE_ENTITY, why).await,
    };
    let agencies: Vec<Agency> = agencies(app).await?.into_iter().map(|(a, _)| a).collect();
    if let Some(why) = category.problem(&agencies) {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, why).await;
    }
    if code == NEW
        && categories(app)
            .await?
            .iter()
            .any(|(c, _)| c.code == category.code)
    {
        return refuse(
            StatusCode::CONFLICT,
            "Kode kategori itu sudah dipakai.".into(),
        )
        .await;
    }
    let store = app.reports.catalog().store();
    match store.save_category(&category, seen).await {
        Ok(version) => {
            app.reports.catalog().invalidate();
            tracing::info!(category = %category.code, version, staff = %session.staff.subject, "category saved");
            Ok(see_other(&format!("{}?selesai=kategori", screen()), &[]))
        }
        Err(StoreError::Conflict) => refuse(StatusCode::CONFLICT, LOST.into()).await,
        Err(e) => Err(ApiError::unavailable_because("saving a category", e)),
    }
}

/// What an admin is told when another changed the same entry first.
const LOST: &str =
    "Data ini baru saja diubah admin lain. Muat ulang halamannya lalu ulangi perubahan.";

async fn category_page(
    app: &Backoffice,
    session: &Session,
    code: &str,
    draft: &CategoryDraft,
    problem: Option<String>,
    status: StatusCode,
) -> Result<Response<Body>, ApiError> {
    let agencies = agencies(app).await?;
    let heading = if code == NEW {
        "Kategori baru".to_string()
    } else {
        format!("Kategori {}", draft.name)
    };
    let number = |id: &str, name: &str, label: &str, value: &str| {
        html! {
            label for=(id) { (label) }
            input type="number" id=(id) name=(name) min="1" max=(MAX_TIER_DAYS) inputmode="numeric" value=(value);
        }
    };
    let body = html! {
        h1 { (heading) }
        p { a href=(screen()) { "Kembali ke kategori dan instansi" } }
        section.panel aria-labelledby="ubah-kategori" {
            h2 id="ubah-kategori" { "Isi kategori" }
            @if let Some(problem) = &problem { p.problem role="alert" { (problem) } }
            form method="post" action={(screen()) "/kategori/" (code)} {
                input type="hidden" name="csrf" value=(session.csrf_token());
                input type="hidden" name="versi" value=(draft.version);
                @if code == NEW {
                    label for="kode" { "Kode (huruf kecil dan tanda hubung, tidak bisa diubah)" }
                    input type="text" id="kode" name="kode" maxlength="40" required value=(draft.code);
                }
                label for="nama" { "Nama untuk warga" }
                input type="text" id="nama" name="nama" maxlength="100" required value=(draft.name);
                label for="kelompok" { "Kelompok" }
                input type="text" id="kelompok" name="kelompok" maxlength="60" required value=(draft.group);
                label for="instansi-biasa" { "Instansi yang biasanya menangani" }
                select id="instansi-biasa" name="instansi" required {
                    option value="" { "Pilih instansi…" }
                    @for (a, _) in &agencies {
                        option value=(a.id) selected[a.id == draft.agency] { (a.name) }
                    }
                }
                label for="kata-kunci" { "Kata kunci untuk saran kategori (dipisah koma)" }
                input type="text" id="kata-kunci" name="kata-kunci" value=(draft.keywords);
                fieldset {
                    legend { "Tenggat sendiri, dalam hari kerja (kosong: bawaan kota)" }
                    (number("verifikasi", "verifikasi", "Verifikasi dan disposisi", &draft.verify))
                    (number("tindak-lanjut", "tindak-lanjut", "Tindak lanjut instansi", &draft.follow_up))
                    (number("tutup", "tutup", "Tutup otomatis sesudah tindak lanjut", &draft.close))
                }
                label for="pertanyaan" { "Pertanyaan tambahan" }
                p.meta id="pertanyaan-cara" { "Satu per baris: KODE | jenis | wajib atau opsional | pertanyaan | pilihan | keterangan. "
                    "Jenis: " (QUESTION_TYPES.join(", ")) ". Pilihan hanya untuk jenis daftar, ditulis kunci=Label; kunci=Label." }
                textarea id="pertanyaan" name="pertanyaan" rows="8" aria-describedby="pertanyaan-cara" { (draft.questions) }
                p { button type="submit" { "Simpan kategori" } }
            }
        }
    };
    Ok(page(
        status,
        Some(session),
        &heading,
        Some(&screen()),
        body,
        &[],
    ))
}

/// `GET /konsol/katalog/instansi/{id}` (admins; `baru` for a new one).
pub(crate) async fn agency(
    app: &Backoffice,
    session: &Session,
    id: &str,
) -> Result<Response<Body>, ApiError> {
    if !session.staff.is_admin() {
        return Err(forbidden());
    }
    let draft = match id {
        NEW => (
            Agency {
                id: String::new(),
                name: String::new(),
                kind: AgencyKind::Dinas,
            },
            0,
        ),
        _ => agencies(app)
            .await?
            .into_iter()
            .find(|(a, _)| a.id == id)
            .ok_or_else(|| ApiError::not_found("Instansi tidak ditemukan."))?,
    };
    Ok(agency_page(session, id, &draft, None, StatusCode::OK))
}

/// `POST /konsol/katalog/instansi/{id}` (admins): saved, back to the list; or the
/// form again with why not.
pub(crate) async fn save_agency(
    app: &Backoffice,
    session: &Session,
    id: &str,
    form: &Form,
) -> Result<Response<Body>, ApiError> {
    if !session.staff.is_admin() {
        return Err(forbidden());
    }
    let kind = KINDS
        .iter()
        .find(|(_, value, _)| form.get("jenis") == Some(*value))
        .map_or(AgencyKind::Dinas, |(k, _, _)| *k);
    let agency = Agency {
        id: if id == NEW {
            form.get("kode").unwrap_or_default().to_string()
        } else {
            id.to_string()
        },
        name: form.get("nama").unwrap_or_default().to_string(),
        kind,
    };
    let version: u64 = form.get("versi").and_then(|v| v.parse().ok()).unwrap_or(0);
    let draft = (agency, version);
    let refuse = |status, why: &str| Ok(agency_page(session, id, &draft, Some(why), status));
    if let Some(why) = draft.0.problem() {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, &why);
    }
    if id == NEW && agencies(app).await?.iter().any(|(a, _)| a.id == draft.0.id) {
        return refuse(StatusCode::CONFLICT, "Kode instansi itu sudah dipakai.");
    }
    match app
        .reports
        .catalog()
        .store()
        .save_agency(&draft.0, version)
        .await
    {
        Ok(saved) => {
            app.reports.catalog().invalidate();
            tracing::info!(agency = %draft.0.id, version = saved, staff = %session.staff.subject, "agency saved");
            Ok(see_other(&format!("{}?selesai=instansi", screen()), &[]))
        }
        Err(StoreError::Conflict) => refuse(StatusCode::CONFLICT, LOST),
        Err(e) => Err(ApiError::unavailable_because("saving an agency", e)),
    }
}

fn agency_page(
    session: &Session,
    id: &str,
    (agency, version): &(Agency, u64),
    problem: Option<&str>,
    status: StatusCode,
) -> Response<Body> {
    let heading = if id == NEW {
        "Instansi baru".to_string()
    } else {
        agency.name.clone()
    };
    let kinds: Markup = html! {
        @for (kind, value, label) in KINDS {
            option value=(value) selected[kind == agency.kind] { (label) }
        }
    };
    let body = html! {
        h1 { (heading) }
        p { a href=(screen()) { "Kembali ke kategori dan instansi" } }
        section.panel aria-labelledby="ubah-instansi" {
            h2 id="ubah-instansi" { "Isi instansi" }
            @if let Some(problem) = problem { p.problem role="alert" { (problem) } }
            form method="post" action={(screen()) "/instansi/" (id)} {
                input type="hidden" name="csrf" value=(session.csrf_token());
                input type="hidden" name="versi" value=(version);
                @if id == NEW {
                    label for="kode-instansi" { "Kode (petugasnya masuk dengan grup agency:<kode>)" }
                    input type="text" id="kode-instansi" name="kode" maxlength="40" required value=(agency.id);
                }
                label for="nama-instansi" { "Nama lengkap" }
                input type="text" id="nama-instansi" name="nama" maxlength="150" required value=(agency.name);
                label for="jenis" { "Jenis" }
                select id="jenis" name="jenis" { (kinds) }
                p { button type="submit" { "Simpan instansi" } }
            }
        }
    };
    page(status, Some(session), &heading, Some(&screen()), body, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_read_back_as_written_and_a_bad_line_is_named() {
        let text = "UKURAN | singlevaluelist | wajib | Seberapa besar? | kecil=Kecil; besar=Besar\n\
                    NOMOR | string | opsional | Nomor tiang |  | Tertulis di tiang";
        let questions = parse_questions(text).unwrap();
        assert_eq!(questions.len(), 2);
        assert_eq!(questions[0].values[1].name, "Besar");
        assert_eq!((questions[1].order, questions[1].required), (2, false));
        assert_eq!(
            questions[1].datatype_description.as_deref(),
            Some("Tertulis di tiang")
        );
        assert_eq!(
            parse_questions(&questions_text(&questions)).unwrap(),
            questions
        );
        for (bad, says) in [
            ("UKURAN | string", "Baris 1: tulis KODE"),
            ("A | string | perlu | Apa?", "Baris 1: tulis wajib"),
            (
                "\nA | singlevaluelist | wajib | Apa? | kecil",
                "Baris 2: setiap pilihan",
            ),
        ] {
            let refused = parse_questions(bad).unwrap_err();
            assert!(refused.starts_with(says), "{bad:?}: {refused}");
        }
    }
}
