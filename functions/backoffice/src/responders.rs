//! Responders' SMS numbers (architecture §7): a responder owns a page by texting
//! `1 <code>` from a number registered for their unit. Admins register a number and
//! forget it the day its holder leaves; admins and supervisors see the list, each
//! number masked (stored only as its keyed hash and its last three digits). The
//! console's screen and `make responder` share the store's one sequence.

use sigap::adapters::incidents::ResponderNumber;
use sigap::adapters::table::StoreError;
use sigap::domain::contact::PhoneNumber;
use sigap::domain::staff::{Role, Staff};
use sigap::http::ApiError;
use tracing::info;

use super::{Backoffice, forbidden, require_admin};

/// Every registered number, by unit (admins and supervisors).
pub(crate) async fn listed(
    app: &Backoffice,
    staff: &Staff,
) -> Result<Vec<ResponderNumber>, ApiError> {
    if !(staff.is_admin() || staff.is_supervisor()) {
        return Err(forbidden());
    }
    let mut numbers = app
        .responders
        .responders()
        .await
        .map_err(|e| ApiError::unavailable_because("listing responder numbers", e))?;
    numbers.sort_by(|a, b| (&a.unit, &a.masked).cmp(&(&b.unit, &b.masked)));
    Ok(numbers)
}

/// Registers `phone` for `unit` (admins): its SMS acks count from now on; a number
/// already registered moves to the new unit. The masked number, for the notice.
pub(crate) async fn register(
    app: &Backoffice,
    staff: &Staff,
    phone: &str,
    unit: &str,
) -> Result<String, ApiError> {
    let role = require_admin(staff)?;
    let phone = PhoneNumber::parse(phone)
        .map_err(|_| ApiError::invalid("Nomor HP tidak dikenali. Contoh: 0812-3456-7890."))?;
    let unit = unit.trim();
    if !matches!(
        Role::parse(&format!("responder:{unit}")),
        Some(Role::Responder(_))
    ) {
        return Err(ApiError::invalid(
            "Kode unit: huruf, angka, tanda hubung atau garis bawah, maksimal 64 (seperti grup responder:<unit>).",
        ));
    }
    let hash = app.sender_key.phone(&phone);
    let masked = phone.masked();
    let by = staff.actor(&role).to_stored();
    app.responders
        .register_responder(&hash, unit, &masked, &by, app.clock.now())
        .await
        .map_err(|e| match e {
            StoreError::Conflict => ApiError::new(
                lambda_http::http::StatusCode::CONFLICT,
                "conflict",
                "Nomor ini baru saja diubah admin lain. Muat ulang lalu coba lagi.",
            ),
            other => ApiError::unavailable_because("registering a responder number", other),
        })?;
    info!(unit, by = %staff.subject, "responder number registered");
    Ok(masked)
}

/// Forgets the number with keyed hash `hash` (admins): its acks are refused from now.
pub(crate) async fn forget(app: &Backoffice, staff: &Staff, hash: &str) -> Result<(), ApiError> {
    require_admin(staff)?;
    let valid = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
    let removed = valid
        && app
            .responders
            .remove_responder(hash)
            .await
            .map_err(|e| ApiError::unavailable_because("forgetting a responder number", e))?;
    if !removed {
        return Err(ApiError::not_found("Nomor itu tidak terdaftar."));
    }
    info!(by = %staff.subject, "responder number forgotten");
    Ok(())
}
