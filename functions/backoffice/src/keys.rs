//! Open311 API keys: admins issue and revoke them; the secret is shown once.
//!
//! - `GET /staff/open311/keys` (admins): every key, without secrets.
//! - `POST /staff/open311/keys` (admins): `{"name"}` → `{"id","api_key"}`.
//! - `DELETE /staff/open311/keys/{id}` (admins): revokes it at once.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::json;
use sigap::adapters::api_keys::ApiKey;
use sigap::adapters::table::StoreError;
use sigap::domain::staff::Staff;
use sigap::http::{ApiError, json_bytes, json_response, parse_json};
use sigap::runtime::ids::{IdGenerator, OsRandom};
use tracing::info;

use super::{Backoffice, MAX_BODY_BYTES, local_time, require_admin};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueBody {
    name: String,
}

/// Every key, newest first (admins).
pub(crate) async fn all(app: &Backoffice, staff: &Staff) -> Result<Vec<ApiKey>, ApiError> {
    require_admin(staff)?;
    let mut keys = app
        .api_keys
        .list()
        .await
        .map_err(|e| ApiError::unavailable_because("listing api keys", e))?;
    keys.sort_by_key(|k| std::cmp::Reverse(k.created_at));
    Ok(keys)
}

/// The one sequence of issuing a key (admins): the key and the whole secret to give
/// its holder (`<id>.<secret>`), which is shown once and stored only as a hash.
pub(crate) async fn issue_key(
    app: &Backoffice,
    staff: &Staff,
    name: &str,
) -> Result<(ApiKey, String), ApiError> {
    require_admin(staff)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid(
            "Nama pemakai kunci wajib diisi (maksimal 100 karakter).",
        ));
    }
    // Keys are secrets, not test fixtures: always from the OS.
    let random = |n| {
        OsRandom
            .random_bytes(n)
            .map(hex::encode)
            .map_err(|e| ApiError::unavailable_because("drawing key", e))
    };
    for _ in 0..3 {
        let key = ApiKey {
            id: random(4)?,
            name: name.to_string(),
            created_by: staff.subject.clone(),
            created_at: app.clock.now(),
            revoked_at: None,
        };
        let secret = random(24)?;
        match app.api_keys.issue(&key, &secret).await {
            Ok(()) => {
                info!(key = %key.id, by = %staff.subject, "open311 api key issued");
                let whole = format!("{}.{secret}", key.id);
                return Ok((key, whole));
            }
            Err(StoreError::AlreadyExists) => continue,
            Err(e) => return Err(ApiError::unavailable_because("storing api key", e)),
        }
    }
    Err(ApiError::unavailable_because(
        "storing api key",
        "id kept colliding",
    ))
}

/// The one sequence of revoking a key (admins): refused at once from then on.
pub(crate) async fn revoke_key(app: &Backoffice, staff: &Staff, id: &str) -> Result<(), ApiError> {
    require_admin(staff)?;
    match app.api_keys.revoke(id, app.clock.now()).await {
        Ok(()) => {
            info!(key = %id, by = %staff.subject, "open311 api key revoked");
            Ok(())
        }
        Err(StoreError::Conflict) => Err(ApiError::not_found("Kunci tidak ditemukan.")),
        Err(e) => Err(ApiError::unavailable_because("revoking api key", e)),
    }
}

/// `GET /staff/open311/keys`.
pub(crate) async fn list(app: &Backoffice, staff: &Staff) -> Result<Response<Body>, ApiError> {
    let list: Vec<_> = all(app, staff)
        .await?
        .iter()
        .map(|k| {
            json!({
                "id": k.id,
                "name": k.name,
                "created_by": k.created_by,
                "created_at": local_time(k.created_at),
                "revoked_at": k.revoked_at.map(local_time),
            })
        })
        .collect();
    Ok(json_response(StatusCode::OK, &json!({ "keys": list })))
}

/// `POST /staff/open311/keys`.
pub(crate) async fn issue(
    app: &Backoffice,
    staff: &Staff,
    request: &Request,
) -> Result<Response<Body>, ApiError> {
    require_admin(staff)?;
    let body: IssueBody = parse_json(json_bytes(request, MAX_BODY_BYTES)?)?;
    let (key, whole) = issue_key(app, staff, &body.name).await?;
    Ok(json_response(
        StatusCode::CREATED,
        &json!({
            "id": key.id,
            "name": key.name,
            "api_key": whole,
            "message": SHOWN_ONCE,
        }),
    ))
}

/// What the holder of a new key is told.
pub(crate) const SHOWN_ONCE: &str = "Simpan kunci ini: tidak akan ditampilkan lagi.";

/// `DELETE /staff/open311/keys/{id}`.
pub(crate) async fn revoke(
    app: &Backoffice,
    staff: &Staff,
    id: &str,
) -> Result<Response<Body>, ApiError> {
    revoke_key(app, staff, id).await?;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "id": id, "revoked": true }),
    ))
}
