//! The local HTTP API: each request becomes a real API Gateway HTTP API (payload 2.0)
//! event, parsed by `lambda_http` exactly as on Lambda, and handed to the function.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use jiff::Timestamp;
use lambda_http::Body;
use serde_json::json;
use tracing::{info, warn};

use crate::functions::HttpHandler;

/// API Gateway's payload limit for HTTP APIs.
pub const MAX_PAYLOAD: usize = 10 * 1024 * 1024;

/// One route from the template.
#[derive(Clone)]
pub struct Route {
    /// Upper-case method.
    pub method: String,
    /// Path template, e.g. `/reports/{id}`.
    pub path: String,
    /// The function serving it.
    pub handler: HttpHandler,
    /// The JWT authorizer guarding it, if any.
    pub authorizer: Option<String>,
}

/// What devstack checks staff tokens with: its key and the wall clock.
#[derive(Clone)]
pub struct Gate {
    /// Signs and checks dev tokens.
    pub authority: crate::jwt::DevAuthority,
    /// "Now" for expiry checks: the wall clock, whatever the dev clock says.
    pub clock: std::sync::Arc<dyn sigap::runtime::clock::Clock>,
}

/// Matches a path against a template; returns the path parameters.
pub fn match_path(template: &str, path: &str) -> Option<BTreeMap<String, String>> {
    let want: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
    let got: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut params = BTreeMap::new();
    for (i, w) in want.iter().enumerate() {
        if let Some(name) = w.strip_prefix('{').and_then(|w| w.strip_suffix("+}")) {
            params.insert(name.to_string(), got.get(i..)?.join("/"));
            return Some(params);
        }
        let g = got.get(i)?;
        match w.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
            Some(name) => {
                params.insert(name.to_string(), (*g).to_string());
            }
            None if w == g => {}
            None => return None,
        }
    }
    (want.len() == got.len()).then_some(params)
}

fn gateway_error(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(
        json!({ "message": message }).to_string(),
    )));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

/// The OpenAPI 3.1 document of every route the template declares (`infra/openapi.yaml`).
pub const OPENAPI_YAML: &str = include_str!("../../openapi.yaml");

/// `GET /openapi.json`: the API's contract, as JSON, for clients and API tools.
pub fn openapi_endpoint() -> Response<Full<Bytes>> {
    match serde_yaml_ng::from_str::<serde_json::Value>(OPENAPI_YAML) {
        Ok(document) => {
            let mut response = Response::new(Full::new(Bytes::from(document.to_string())));
            response.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static("application/json"),
            );
            response
        }
        Err(err) => gateway_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("infra/openapi.yaml does not parse: {err}"),
        ),
    }
}

/// Builds the API Gateway v2 event for a request that matched `route`.
pub fn gateway_event(
    route: &Route,
    params: &BTreeMap<String, String>,
    parts: &hyper::http::request::Parts,
    body: &[u8],
    peer: SocketAddr,
) -> serde_json::Value {
    let mut headers = serde_json::Map::new();
    let mut cookies = Vec::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).to_string();
        if name == "cookie" {
            cookies.extend(value.split("; ").map(str::to_string));
            continue;
        }
        headers
            .entry(name.as_str().to_string())
            .and_modify(|v| *v = json!(format!("{},{value}", v.as_str().unwrap_or_default())))
            .or_insert(json!(value));
    }
    // API Gateway tells the function the scheme the client used; devstack serves http.
    headers.entry("x-forwarded-proto").or_insert(json!("http"));
    let raw_query = parts.uri.query().unwrap_or_default().to_string();
    let mut query = serde_json::Map::new();
    for (k, v) in form_urlencoded::parse(raw_query.as_bytes()) {
        query
            .entry(k.to_string())
            .and_modify(|old| *old = json!(format!("{},{v}", old.as_str().unwrap_or_default())))
            .or_insert(json!(v));
    }
    let (body, encoded) = match std::str::from_utf8(body) {
        Ok(text) => (text.to_string(), false),
        Err(_) => (base64::engine::general_purpose::STANDARD.encode(body), true),
    };
    let now = Timestamp::now();
    let route_key = format!("{} {}", route.method, route.path);
    let host = parts
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": parts.uri.path(),
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": crate::provision::ACCOUNT_ID,
            "apiId": "devstack",
            "domainName": host,
            "domainPrefix": host.split('.').next().unwrap_or(host),
            "http": {
                "method": parts.method.as_str(),
                "path": parts.uri.path(),
                "protocol": "HTTP/1.1",
                "sourceIp": peer.ip().to_string(),
                "userAgent": parts.headers.get("user-agent").and_then(|h| h.to_str().ok()).unwrap_or(""),
            },
            "requestId": format!("devstack-{}", now.as_nanosecond()),
            "routeKey": route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S %z").to_string(),
            "timeEpoch": now.as_millisecond(),
        },
        "isBase64Encoded": encoded,
    });
    if !query.is_empty() {
        event["queryStringParameters"] = query.into();
    }
    if !params.is_empty() {
        event["pathParameters"] = json!(params);
    }
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    if !body.is_empty() {
        event["body"] = json!(body);
    }
    event
}

/// `GET /_devstack/clock` shows the functions' "now"; `POST` with
/// `{"advance_seconds": N}` moves it forward N seconds, or with
/// `{"advance_working_days": N}` to 09:00 WIB (an hour after offices open) on the Nth
/// working day after today (by the stack's holiday calendar), and then fires every schedule once (the catch-up run the
/// scheduler would have made), so a reminder, a breach and an escalation can be shown
/// in a minute. Devstack only: no deployed function has a movable clock (their `main`
/// wires the system clock) and no route reaches one.
pub async fn clock_endpoint(
    clock: &crate::DevClock,
    calendar: &sigap::adapters::calendar::CalendarCache,
    schedules: &[crate::sources::Schedule],
    request: Request<Incoming>,
) -> Response<Full<Bytes>> {
    use sigap::runtime::clock::Clock;
    if request.method() != hyper::Method::POST {
        return Response::new(Full::new(Bytes::from(clock_view(clock).to_string())));
    }
    let body = match Limited::new(request.into_body(), 4096).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return gateway_error(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large");
        }
    };
    let input = serde_json::from_slice::<serde_json::Value>(&body).unwrap_or_default();
    let by = match (
        input["advance_seconds"].as_i64(),
        input["advance_working_days"].as_u64(),
    ) {
        (Some(s), None) if s >= 0 => jiff::SignedDuration::from_secs(s),
        (None, Some(days)) if (1..=60).contains(&days) => {
            let calendar = match calendar.current().await {
                Ok(calendar) => calendar,
                Err(err) => return gateway_error(StatusCode::BAD_GATEWAY, &err.to_string()),
            };
            let now = clock.now();
            let today = now.to_zoned(sigap::domain::calendar::wib()).date();
            let (day, _) = calendar.add_working_days(today, days as u32);
            // An hour after offices open: the steps due at opening (reminders,
            // repeat escalations) are due by then.
            let at = sigap::domain::calendar::office_opening(day)
                .saturating_add(jiff::SignedDuration::from_hours(1))
                .unwrap_or(jiff::Timestamp::MAX);
            at.duration_since(now)
        }
        _ => {
            return gateway_error(
                StatusCode::BAD_REQUEST,
                "send {\"advance_seconds\": N} (N >= 0) or {\"advance_working_days\": N} (1 to 60): time only moves forward",
            );
        }
    };
    clock.advance(by);
    // Where the clock was moved to, before the schedules take their time.
    let moved = clock_view(clock);
    let mut fired = serde_json::Map::new();
    for schedule in schedules {
        let result = match schedule.fire().await {
            Ok(out) => out,
            Err(err) => json!({ "error": err }),
        };
        fired.insert(schedule.name.clone(), result);
    }
    let mut body = moved;
    body["schedules_fired"] = fired.into();
    Response::new(Full::new(Bytes::from(body.to_string())))
}

/// The dev clock's "now" (in WIB, like every instant the API shows) and its offset.
fn clock_view(clock: &crate::DevClock) -> serde_json::Value {
    use sigap::runtime::clock::Clock;
    let now = clock.now();
    json!({
        "now": sigap::domain::calendar::wib_rfc3339(now),
        "weekday": format!("{:?}", now.to_zoned(sigap::domain::calendar::wib()).weekday()),
        "offset_seconds": clock.offset().as_secs(),
    })
}

/// Serves one request: route, authorize, build the event, invoke, translate back.
pub async fn serve(
    routes: Arc<Vec<Route>>,
    gate: Arc<Gate>,
    peer: SocketAddr,
    request: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let Some((route, params)) = routes.iter().find_map(|r| {
        (r.method == parts.method.as_str())
            .then(|| match_path(&r.path, parts.uri.path()))
            .flatten()
            .map(|p| (r, p))
    }) else {
        return gateway_error(StatusCode::NOT_FOUND, "Not Found");
    };
    let body = match Limited::new(body, MAX_PAYLOAD).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return gateway_error(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large"),
    };
    let mut event = gateway_event(route, &params, &parts, &body, peer);
    if route.authorizer.is_some() {
        let token = parts
            .headers
            .get("authorization")
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .unwrap_or_default();
        match gate.authority.verify(token.trim(), gate.clock.now()) {
            Ok(claims) => {
                event["requestContext"]["authorizer"] = json!({ "jwt": { "claims": claims } })
            }
            Err(_) => return gateway_error(StatusCode::UNAUTHORIZED, "Unauthorized"),
        }
    }
    let request = match lambda_http::request::from_str(&event.to_string()) {
        Ok(request) => request,
        Err(err) => {
            warn!(error = %err, "could not build lambda_http request");
            return gateway_error(StatusCode::BAD_REQUEST, "Bad Request");
        }
    };
    let response = (route.handler)(request).await;
    info!(method = %parts.method, path = %parts.uri.path(), status = response.status().as_u16(), "http");
    let (parts, body) = response.into_parts();
    let bytes = match body {
        Body::Empty => Bytes::new(),
        Body::Text(text) => Bytes::from(text),
        Body::Binary(bin) => Bytes::from(bin),
        _ => Bytes::new(),
    };
    Response::from_parts(parts, Full::new(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_templates() {
        assert_eq!(match_path("/reports", "/reports"), Some(BTreeMap::new()));
        let p = match_path("/reports/{id}", "/reports/BDG-2345672").unwrap();
        assert_eq!(p["id"], "BDG-2345672");
        assert_eq!(match_path("/reports/{id}", "/reports"), None);
        assert_eq!(match_path("/reports/{id}", "/reports/a/b"), None);
        assert_eq!(match_path("/reports", "/categories"), None);
        assert_eq!(
            match_path("/files/{path+}", "/files/a/b").unwrap()["path"],
            "a/b"
        );
    }
}
