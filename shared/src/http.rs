//! HTTP responses: JSON bodies and the one error shape every endpoint uses.
//!
//! Errors are `{"error":{"code":"...","message":"..."}}`: the code is English and
//! stable for programs, the message Indonesian for people.

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::domain::limits::Refusal;
use crate::domain::report::TransitionError;
use crate::domain::staff::Staff;
use crate::domain::submission::FieldError;
use crate::domain::workflow::WorkflowError;
use crate::service::reports::ApplyError;

/// An error to answer with: status, stable code, Indonesian message, optional field list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable English code, e.g. `validation_failed`.
    pub code: &'static str,
    /// Indonesian message for the person on the other end.
    pub message: String,
    /// Per-field problems, for validation errors.
    pub fields: Vec<FieldError>,
    /// Seconds to wait before asking again (`Retry-After`), for refusals over a limit.
    pub retry_after: Option<i64>,
}

#[derive(Serialize)]
struct ErrorEnvelope<'a> {
    error: ErrorBody<'a>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    fields: &'a [FieldError],
}

impl ApiError {
    /// An error with no field list.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            fields: Vec::new(),
            retry_after: None,
        }
    }

    /// 422 with the problems of each field.
    pub fn validation(fields: Vec<FieldError>) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "validation_failed",
            message: "Data laporan belum lengkap atau tidak valid.".into(),
            fields,
            retry_after: None,
        }
    }

    /// 429 over a limit: `message` says what and for how long (Indonesian), and
    /// `Retry-After` says when the window turns.
    pub fn too_many(code: &'static str, message: impl Into<String>, refusal: Refusal) -> Self {
        Self {
            retry_after: Some(refusal.retry_after_seconds.max(1)),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, code, message)
        }
    }

    /// 404 for a thing that does not exist or is not public (never says which).
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 500 without leaking the cause (which is logged instead).
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Terjadi gangguan pada sistem. Silakan coba lagi beberapa saat lagi.",
        )
    }

    /// 503 when a dependency is briefly unavailable: the client should retry.
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "Layanan sedang sibuk. Silakan coba lagi beberapa saat lagi.",
        )
    }

    /// 503 for a failure while `context`: the cause is logged, never answered.
    pub fn unavailable_because(context: &str, cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "{context}");
        Self::unavailable()
    }

    /// 403: the caller's role may not do this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 422 for input that parses but breaks a rule, with the rule's message.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            message,
        )
    }

    /// 409: someone changed the thing at the same moment; reload and try again.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    /// The HTTP response.
    pub fn into_response(self) -> Response<Body> {
        let envelope = ErrorEnvelope {
            error: ErrorBody {
                code: self.code,
                message: &self.message,
                fields: &self.fields,
            },
        };
        let mut response = json_response(self.status, &envelope);
        if let Some(value) = self
            .retry_after
            .and_then(|s| HeaderValue::from_str(&s.to_string()).ok())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// The one mapping of a refused workflow action, the same on every route:
/// - the report's status does not allow it: 409 `not_allowed_now`;
/// - an agency not (or no longer) on the report: 404, as for a report it cannot see;
/// - input the action needs is missing or wrong (a reason too): 422 `validation_failed`.
impl From<WorkflowError> for ApiError {
    fn from(err: WorkflowError) -> Self {
        match err {
            WorkflowError::Transition(TransitionError::NotAllowed { from, .. }) => Self::new(
                StatusCode::CONFLICT,
                "not_allowed_now",
                format!(
                    "Tindakan ini tidak dapat dilakukan saat laporan berstatus \"{}\".",
                    from.label()
                ),
            ),
            WorkflowError::Transition(TransitionError::ReasonRequired(_)) => {
                Self::invalid("Alasan wajib diisi.")
            }
            WorkflowError::NotAssigned(_) => Self::not_found("Laporan tidak ditemukan."),
            WorkflowError::Invalid(message) => Self::invalid(message),
        }
    }
}

/// A command that was not applied: refused by the rules (as above), lost a race
/// (409 `conflict`: reload and try again), or storage failed (503, logged).
impl From<ApplyError> for ApiError {
    fn from(err: ApplyError) -> Self {
        match err {
            ApplyError::Refused(refused) => refused.into(),
            ApplyError::Forbidden => {
                Self::forbidden("Peran Anda tidak berwenang untuk tindakan ini.")
            }
            ApplyError::Conflict => {
                Self::conflict("Laporan baru saja berubah. Muat ulang lalu coba lagi.")
            }
            ApplyError::Store(cause) => Self::unavailable_because("saving a report change", cause),
        }
    }
}

/// The body of a JSON request, refused before any parsing when it is not JSON (415)
/// or larger than `max` bytes (413).
pub fn json_bytes(request: &Request, max: usize) -> Result<&[u8], ApiError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type
        .to_ascii_lowercase()
        .starts_with("application/json")
    {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Kirim data sebagai JSON (Content-Type: application/json).",
        ));
    }
    body_bytes(request, max)
}

/// The body as sent, whatever its content type, refused (413) when larger than `max`
/// bytes: for signed requests, whose signature covers the bytes themselves.
pub fn body_bytes(request: &Request, max: usize) -> Result<&[u8], ApiError> {
    let bytes: &[u8] = request.body().as_ref();
    if bytes.len() > max {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("Isi permintaan terlalu besar (maksimal {} KB).", max / 1024),
        ));
    }
    Ok(bytes)
}

/// Parses a JSON body into `T`; a malformed body or a wrong or unknown field is 400.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        let detail = if e.is_data() {
            format!(" ({e})")
        } else {
            String::new()
        };
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("Isi permintaan bukan JSON yang valid{detail}."),
        )
    })
}

/// A tracking id a request names (in its path, or a merge's target); 400
/// `invalid_tracking_id` otherwise.
pub fn parse_tracking_id(raw: &str) -> Result<crate::domain::tracking_id::TrackingId, ApiError> {
    crate::domain::tracking_id::TrackingId::parse(raw).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_tracking_id",
            "Nomor pelacakan tidak valid. Periksa kembali, contoh: BDG-K7M2QXZ.",
        )
    })
}

/// The body of a 201 for an upload slot, the same for every channel: the photo's id,
/// the presigned POST as a form to send (its fields, then the photo as `file`), the
/// limits it holds, and where to follow the photo's processing.
pub fn slot_answer(
    opened: &crate::service::photos::OpenedSlot,
    limits: &crate::domain::photo::PhotoLimits,
    follow: &str,
) -> serde_json::Value {
    serde_json::json!({
        "photo_id": opened.photo_id,
        "upload": {
            "method": "POST",
            "url": opened.upload.url,
            "fields": opened.upload.fields,
            "file_field": "file",
            "content_type_field": "Content-Type",
            "content_types": ["image/jpeg", "image/png", "image/webp"],
            "max_bytes": opened.upload.max_bytes,
            "expires_at": crate::domain::calendar::wib_rfc3339(opened.upload.expires_at),
        },
        "limits": {
            "photos_per_report": limits.evidence_per_report,
            "photos_per_follow_up": limits.proof_per_agency,
        },
        "message": format!(
            "Unggah foto ke alamat ini dalam {} menit: kirim semua isian, lalu foto sebagai 'file'. Foto diperiksa dan semua data lokasi serta perangkatnya dihapus sebelum ditampilkan.",
            crate::service::photos::SLOT_VALID_FOR.as_secs() / 60
        ),
        "links": { "photos": follow },
    })
}

/// A JSON response; serialisation of our own types cannot fail, but if it ever does
/// the client still gets a well-formed 500 rather than a panic.
pub fn json_response<T: Serialize>(status: StatusCode, body: &T) -> Response<Body> {
    let (status, text) = match serde_json::to_string(body) {
        Ok(text) => (status, text),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"error":{"code":"internal_error","message":"Terjadi gangguan pada sistem."}}"#
                .to_string(),
        ),
    };
    text_response(status, "application/json; charset=utf-8", text)
}

/// A response of `content_type`, which browsers must not second-guess (`nosniff`):
/// what citizens typed comes back as data, never as a page that runs it.
pub fn text_response(
    status: StatusCode,
    content_type: &'static str,
    text: impl Into<String>,
) -> Response<Body> {
    let mut response = Response::new(Body::Text(text.into()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// The scheme and host the client called (`https://abc.execute-api…`), from the
/// `X-Forwarded-Proto` and `Host` headers API Gateway passes to the function.
pub fn forwarded_base_url(request: &Request) -> String {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    let proto = match header("x-forwarded-proto") {
        "" => "https",
        proto => proto,
    };
    format!("{proto}://{}", header("host"))
}

/// The `before` query parameter: where an earlier page of a report's timeline
/// starts (`timeline_earlier` of the page after it); 400 when it is not one.
pub fn timeline_cursor(request: &Request) -> Result<Option<&str>, ApiError> {
    let before = request
        .query_string_parameters_ref()
        .and_then(|q| q.first("before"));
    match before {
        None => Ok(None),
        Some(cursor) if crate::adapters::reports::is_timeline_cursor(cursor) => Ok(Some(cursor)),
        Some(_) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_cursor",
            "Parameter before tidak valid: pakai nilai timeline_earlier dari halaman sebelumnya.",
        )),
    }
}

/// The header the template's CloudFront distribution (`EdgeDistribution`, in front
/// of the public API with the WAF) adds to every request it forwards, holding the
/// edge secret.
pub const EDGE_HEADER: &str = "x-sigap-edge";

/// The header CloudFront puts the viewer's address in (`ip:port`).
const VIEWER_ADDRESS_HEADER: &str = "cloudfront-viewer-address";

/// The edge secret, when the API sits behind the CloudFront distribution: only a
/// request carrying it may say which viewer it forwards.
#[derive(Debug, Clone)]
pub struct Edge {
    secret: secrecy::SecretString,
}

impl Edge {
    /// `EDGE_SECRET` (fetched from `EDGE_SECRET_PARAMETER`), if the stack has an edge.
    pub fn load(settings: &crate::runtime::config::Settings) -> Option<Self> {
        settings.optional("EDGE_SECRET").map(|secret| Self {
            secret: secret.into(),
        })
    }

    /// Whether `request` came through the distribution.
    fn forwarded(&self, request: &Request) -> bool {
        use secrecy::ExposeSecret;
        request.headers().get(EDGE_HEADER).is_some_and(|given| {
            crate::domain::signature::constant_time_eq(
                given.as_bytes(),
                self.secret.expose_secret().as_bytes(),
            )
        })
    }
}

/// The address the request came from: the viewer's, from CloudFront's header, when
/// the request came through the edge; otherwise the one API Gateway saw
/// (`requestContext.http.sourceIp`), never a header the client could write. A
/// client calling the API directly is counted by its own address, and a forged
/// viewer header without the secret is ignored. Empty when there is none.
pub fn client_address<'r>(request: &'r Request, edge: Option<&Edge>) -> &'r str {
    if let Some(edge) = edge
        && edge.forwarded(request)
        && let Some(viewer) = request
            .headers()
            .get(VIEWER_ADDRESS_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit_once(':'))
            .map(|(address, _port)| address)
            .filter(|address| !address.is_empty())
    {
        return viewer;
    }
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => {
            ctx.http.source_ip.as_deref().unwrap_or_default()
        }
        _ => "",
    }
}

/// The staff member behind a request, from the claims API Gateway's JWT authorizer
/// validated: 401 without them, 403 for a valid token with no Sigap role (before any
/// handler reads anything, so such a caller learns nothing, not even what exists).
pub fn staff_caller(request: &Request) -> Result<Staff, ApiError> {
    let claims = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx
            .authorizer
            .as_ref()
            .and_then(|a| a.jwt.as_ref())
            .map(|jwt| &jwt.claims),
        _ => None,
    };
    let staff = claims.and_then(Staff::from_claims).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Silakan masuk terlebih dahulu.",
        )
    })?;
    if staff.roles.is_empty() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "no_role",
            "Akun Anda belum memiliki peran di Sigap. Hubungi admin.",
        ));
    }
    Ok(staff)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An HTTP API request from `source_ip` with `headers`.
    fn from_address(source_ip: &str, headers: &[(&str, &str)]) -> Request {
        let mut event = serde_json::json!({
            "version": "2.0",
            "routeKey": "POST /reports",
            "rawPath": "/reports",
            "rawQueryString": "",
            "headers": {},
            "requestContext": {
                "accountId": "123456789012", "apiId": "api", "domainName": "api.example",
                "domainPrefix": "api", "requestId": "r", "routeKey": "POST /reports",
                "stage": "$default", "time": "01/Dec/2026:00:00:00 +0000",
                "timeEpoch": 0,
                "http": {"method": "POST", "path": "/reports", "protocol": "HTTP/1.1",
                         "sourceIp": source_ip, "userAgent": "test"}
            },
            "isBase64Encoded": false
        });
        for (name, value) in headers {
            event["headers"][*name] = serde_json::json!(value);
        }
        lambda_http::request::from_str(&event.to_string()).unwrap()
    }

    #[test]
    fn the_viewer_address_counts_only_through_the_edge_with_its_secret() {
        let settings = crate::runtime::config::Settings::from_map(
            [("EDGE_SECRET".to_string(), "edge-secret".to_string())].into(),
        );
        let edge = Edge::load(&settings).unwrap();
        let through = |viewer: &str| {
            from_address(
                "130.176.1.1",
                &[
                    (EDGE_HEADER, "edge-secret"),
                    (VIEWER_ADDRESS_HEADER, viewer),
                ],
            )
        };
        assert_eq!(
            client_address(&through("36.68.1.2:50123"), Some(&edge)),
            "36.68.1.2"
        );
        assert_eq!(
            client_address(&through("2001:db8::7:443"), Some(&edge)),
            "2001:db8::7"
        );
        // Without the edge configured, or without (or with a wrong) secret, the header is
        // a claim anyone can make: the address API Gateway saw counts.
        assert_eq!(client_address(&through("36.68.1.2:1"), None), "130.176.1.1");
        let forged = from_address(
            "203.0.113.9",
            &[
                (EDGE_HEADER, "guess"),
                (VIEWER_ADDRESS_HEADER, "36.68.1.2:1"),
            ],
        );
        assert_eq!(client_address(&forged, Some(&edge)), "203.0.113.9");
        let bare = from_address("203.0.113.9", &[(VIEWER_ADDRESS_HEADER, "36.68.1.2:1")]);
        assert_eq!(client_address(&bare, Some(&edge)), "203.0.113.9");
        // The edge without a viewer header: the edge's own address.
        let silent = from_address("130.176.1.1", &[(EDGE_HEADER, "edge-secret")]);
        assert_eq!(client_address(&silent, Some(&edge)), "130.176.1.1");
        assert!(
            Edge::load(&crate::runtime::config::Settings::from_map(
                Default::default()
            ))
            .is_none()
        );
    }

    #[test]
    fn error_body_has_the_documented_shape() {
        let response = ApiError::not_found("Laporan tidak ditemukan.").into_response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let Body::Text(text) = response.body() else {
            panic!("text body")
        };
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(v["error"]["code"], "not_found");
        assert_eq!(v["error"]["message"], "Laporan tidak ditemukan.");
        assert!(v["error"].get("fields").is_none());
    }

    #[test]
    fn a_refused_action_gets_the_same_status_everywhere() {
        use crate::domain::report::{ReportAction, ReportStatus};
        let not_now = ApiError::from(WorkflowError::Transition(TransitionError::NotAllowed {
            from: ReportStatus::Closed,
            action: ReportAction::Dispute,
        }));
        assert_eq!(
            (not_now.status, not_now.code),
            (StatusCode::CONFLICT, "not_allowed_now")
        );
        assert!(not_now.message.contains("Selesai"));
        let not_ours = ApiError::from(WorkflowError::NotAssigned("dlh".into()));
        assert_eq!(not_ours.status, StatusCode::NOT_FOUND);
        let bad = ApiError::from(WorkflowError::Invalid("Catatan wajib diisi".into()));
        assert_eq!(
            (bad.status, bad.code, bad.message.as_str()),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "Catatan wajib diisi"
            )
        );
        let reason = ApiError::from(WorkflowError::Transition(TransitionError::ReasonRequired(
            ReportAction::Archive,
        )));
        assert_eq!(reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    }

    #[test]
    fn validation_lists_fields() {
        let e = ApiError::validation(vec![FieldError {
            field: "title",
            message: "Judul wajib diisi.".into(),
        }]);
        let response = e.into_response();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let Body::Text(text) = response.body() else {
            panic!("text body")
        };
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        assert_eq!(v["error"]["fields"][0]["field"], "title");
    }
}
