//! The holiday calendar, changed by admins without a deploy (architecture §6).
//!
//! `GET /staff/calendar` (admins, supervisors): the revision in force, its years and
//! days off, which years ahead are still unconfirmed, and the latest changes.
//! `PUT /staff/calendar/years/{year}` (admins): replaces one year's days off (a new
//! SKB, a moved holiday, a new cuti bersama) with the decree and a reason; one
//! conditional write, so two admins editing at once cannot lose either's change
//! silently (`If-Match: <revision>` is honoured, a stale one gets 409).
//!
//! A change applies to deadlines computed afterwards (within a minute in every warm
//! function). Running clocks keep the deadline they were given: it was published to
//! the citizen and the agency, and moving it silently would break that promise.

use std::collections::BTreeSet;

use jiff::Timestamp;
use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sigap::adapters::calendar::CalendarRevision;
use sigap::adapters::table::StoreError;
use sigap::domain::calendar::{DayOff, HolidayData, WorkingCalendar, YearDaysOff};
use sigap::domain::staff::Staff;
use sigap::http::{ApiError, json_bytes, json_response, parse_json};
use tracing::info;

use super::{Backoffice, MAX_BODY_BYTES, forbidden, local_time, require_admin};

/// Latest revisions listed with the calendar.
const HISTORY: i32 = 20;
/// Years an admin may edit.
const YEARS: std::ops::RangeInclusive<i16> = 2020..=2100;

/// The calendar's health for the supervisor summary: its version and the years
/// ahead still without confirmed holidays.
pub(crate) fn status(calendar: &WorkingCalendar, now: Timestamp) -> Value {
    json!({
        "version": calendar.version(),
        "unconfirmed_years": calendar.unconfirmed_ahead(now),
    })
}

/// The revision in force (0: the bundled file, never edited) and its data.
pub(crate) async fn current(app: &Backoffice) -> Result<(u64, HolidayData, Value), ApiError> {
    let store = app.reports.calendar().store();
    match store
        .current()
        .await
        .map_err(|e| ApiError::unavailable_because("reading calendar", e))?
    {
        Some(r) => Ok((
            r.revision,
            r.data,
            json!({
                "changed_by": r.changed_by,
                "changed_at": local_time(r.changed_at),
                "reason": r.reason,
            }),
        )),
        None => Ok((
            0,
            HolidayData::bundled()
                .map_err(|e| ApiError::unavailable_because("bundled calendar", e))?,
            json!({ "changed_by": null, "changed_at": null, "reason": "data bawaan (belum disimpan di tabel)" }),
        )),
    }
}

/// The latest changes, newest first.
pub(crate) async fn history(app: &Backoffice) -> Result<Vec<CalendarRevision>, ApiError> {
    app.reports
        .calendar()
        .store()
        .history(HISTORY)
        .await
        .map_err(|e| ApiError::unavailable_because("reading calendar history", e))
}

async fn view(app: &Backoffice) -> Result<Value, ApiError> {
    let (revision, data, changed) = current(app).await?;
    let history = history(app).await?;
    Ok(json!({
        "revision": revision,
        "version": data.version,
        "last_change": changed,
        "unconfirmed_years": data.calendar().unconfirmed_ahead(app.clock.now()),
        "years": data.years,
        "history": history.iter().map(|r| json!({
            "revision": r.revision,
            "changed_by": r.changed_by,
            "changed_at": local_time(r.changed_at),
            "reason": r.reason,
        })).collect::<Vec<_>>(),
    }))
}

/// `GET /staff/calendar`.
pub(crate) async fn show(app: &Backoffice, staff: &Staff) -> Result<Response<Body>, ApiError> {
    if !(staff.is_admin() || staff.is_supervisor()) {
        return Err(forbidden());
    }
    Ok(json_response(StatusCode::OK, &view(app).await?))
}

/// One year's days off as an admin sends them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct YearBody {
    /// The decree (SKB) the dates come from.
    pub source: String,
    /// Every day off of the year.
    pub days: Vec<DayOff>,
    /// Why the change (kept in the history).
    pub reason: String,
}

/// A year an admin may edit, from its path segment.
pub(crate) fn parse_year(raw: &str) -> Result<i16, ApiError> {
    raw.parse()
        .ok()
        .filter(|y| YEARS.contains(y))
        .ok_or_else(|| {
            ApiError::invalid(format!(
                "Tahun harus antara {} dan {}.",
                YEARS.start(),
                YEARS.end()
            ))
        })
}

/// How a year's change ended.
pub(crate) enum YearChange {
    /// Saved, as the calendar's next revision.
    Saved,
    /// Another admin changed the calendar since the revision the caller saw.
    Stale,
}

/// The one sequence of a year's change (admins): checked, put over the revision in
/// force, and written conditionally on that revision (or refused when the caller
/// saw another, `seen`); every warm function's cache then reads it within a minute.
pub(crate) async fn change_year(
    app: &Backoffice,
    staff: &Staff,
    year: i16,
    body: YearBody,
    seen: Option<u64>,
) -> Result<YearChange, ApiError> {
    let role = require_admin(staff)?;
    validate(year, &body)?;
    let (revision, mut data, _) = current(app).await?;
    if seen.is_some_and(|seen| seen != revision) {
        return Ok(YearChange::Stale);
    }
    let mut days = body.days;
    days.sort_by_key(|d| d.date);
    data.years.insert(
        year,
        YearDaysOff {
            source: body.source.trim().to_string(),
            days,
        },
    );
    let saved = app
        .reports
        .calendar()
        .store()
        .save(
            revision,
            data,
            &staff.actor(&role).to_stored(),
            body.reason.trim(),
            app.clock.now(),
        )
        .await;
    match saved {
        Ok(saved) => {
            app.reports.calendar().invalidate();
            info!(revision = saved.revision, year, by = %staff.subject, "holiday calendar changed");
            Ok(YearChange::Saved)
        }
        Err(StoreError::Conflict) => Ok(YearChange::Stale),
        Err(err) => Err(ApiError::unavailable_because("saving calendar", err)),
    }
}

fn validate(year: i16, body: &YearBody) -> Result<(), ApiError> {
    if body.reason.trim().is_empty() || body.reason.chars().count() > 500 {
        return Err(ApiError::invalid(
            "Alasan perubahan wajib diisi (maksimal 500 karakter).",
        ));
    }
    if body.source.trim().is_empty() || body.source.chars().count() > 500 {
        return Err(ApiError::invalid(
            "Dasar hukum (SKB) wajib diisi (maksimal 500 karakter).",
        ));
    }
    let mut seen = BTreeSet::new();
    for day in &body.days {
        if day.date.year() != year {
            return Err(ApiError::invalid(format!(
                "Tanggal {} bukan di tahun {year}.",
                day.date
            )));
        }
        if !seen.insert(day.date) {
            return Err(ApiError::invalid(format!(
                "Tanggal {} tercantum dua kali.",
                day.date
            )));
        }
        if day.name.trim().is_empty() {
            return Err(ApiError::invalid(format!(
                "Nama hari libur {} wajib diisi.",
                day.date
            )));
        }
    }
    Ok(())
}

/// `PUT /staff/calendar/years/{year}`: replaces (or adds) one year's days off.
pub(crate) async fn set_year(
    app: &Backoffice,
    staff: &Staff,
    raw_year: &str,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    require_admin(staff)?;
    let year = parse_year(raw_year)?;
    let body: YearBody = parse_json(json_bytes(request, MAX_BODY_BYTES)?)?;
    // `If-Match: <revision>`: refused when it is not the revision in force.
    let seen = request.headers().get(header::IF_MATCH).map(|value| {
        value
            .to_str()
            .ok()
            .and_then(|v| v.trim_matches('"').parse().ok())
            .unwrap_or(u64::MAX)
    });
    match change_year(app, staff, year, body, seen).await? {
        YearChange::Saved => Ok(json_response(StatusCode::OK, &view(app).await?)),
        YearChange::Stale => Ok(json_response(
            StatusCode::CONFLICT,
            &json!({
                "error": {
                    "code": "conflict",
                    "message": STALE,
                },
                "current": view(app).await?,
            }),
        )),
    }
}

/// What an admin is told when another admin changed the calendar first.
pub(crate) const STALE: &str =
    "Kalender baru saja diubah admin lain. Muat ulang lalu ulangi perubahan.";
