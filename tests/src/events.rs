//! Events as Lambda delivers them (API Gateway v2 requests, staff claims, signed webhooks) and HTTP calls to devstack.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// Builds an API Gateway HTTP API (v2) request the way Lambda delivers it.
pub fn api_request(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> lambda_http::Request {
    lambda_http::request::from_str(&api_event(method, path, headers, body).to_string()).unwrap()
}

/// The API Gateway HTTP API (v2) event of [`api_request`], as JSON (what a function
/// process reads from the Runtime API).
pub fn api_event(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> serde_json::Value {
    let headers: serde_json::Map<String, serde_json::Value> = headers
        .iter()
        .map(|(k, v)| (k.to_lowercase(), serde_json::json!(v)))
        .collect();
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut event = serde_json::json!({
        "version": "2.0",
        "routeKey": format!("{method} {path}"),
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012", "apiId": "test", "domainName": "test.local",
            "domainPrefix": "test", "requestId": "req", "routeKey": format!("{method} {path}"),
            "stage": "$default", "time": "28/Nov/2026:00:00:00 +0000", "timeEpoch": 0,
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "198.51.100.7", "userAgent": "test"}
        },
        "isBase64Encoded": false
    });
    if let Some(body) = body {
        event["body"] = serde_json::json!(body);
    }
    if !query.is_empty() {
        event["queryStringParameters"] = query_parameters(query);
    }
    event
}

/// A query string as API Gateway passes it to Lambda: decoded, one value per name
/// (repeated names joined with commas).
fn query_parameters(query: &str) -> serde_json::Value {
    let mut params = serde_json::Map::new();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        let joined = match params.get(k.as_ref()).and_then(|old| old.as_str()) {
            Some(old) => format!("{old},{v}"),
            None => v.into_owned(),
        };
        params.insert(k.into_owned(), serde_json::json!(joined));
    }
    serde_json::Value::Object(params)
}

/// An HTTP response read whole: status, headers, body parsed as JSON (or `Null`).
pub struct HttpReply {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: hyper::HeaderMap,
    /// Body as JSON.
    pub json: serde_json::Value,
    /// Body as text (invalid UTF-8 replaced), for XML and HTML answers.
    pub text: String,
    /// The body's bytes (an image).
    pub bytes: Vec<u8>,
}

/// Reads a `lambda_http` response the handler returned.
pub fn reply(response: lambda_http::Response<lambda_http::Body>) -> HttpReply {
    let (parts, body) = response.into_parts();
    HttpReply::read(parts.status.as_u16(), parts.headers, body.as_ref(), true)
}

impl HttpReply {
    /// A reply read whole. Sigap's own JSON answers (`ours`) are held to the API's one
    /// time convention on the way: every test that reads an answer checks it.
    fn read(status: u16, headers: hyper::HeaderMap, bytes: &[u8], ours: bool) -> Self {
        let json = serde_json::from_slice(bytes).unwrap_or(serde_json::Value::Null);
        if ours {
            let off = instants_off_convention(&json, "$");
            assert!(
                off.is_empty(),
                "every instant Sigap answers with is RFC 3339 in WIB to the second \
                 (2026-12-07T09:00:00+07:00); these are not: {off:?}"
            );
        }
        HttpReply {
            status,
            headers,
            json,
            text: String::from_utf8_lossy(bytes).into_owned(),
            bytes: bytes.to_vec(),
        }
    }
}

/// The strings under `value` that are instants not written as
/// `YYYY-MM-DDTHH:MM:SS+07:00`, as `path = value`.
pub fn instants_off_convention(value: &serde_json::Value, path: &str) -> Vec<String> {
    match value {
        serde_json::Value::String(s) => {
            let is_instant = s.parse::<jiff::Timestamp>().is_ok();
            let in_wib = s.len() == 25 && s.ends_with("+07:00") && s.as_bytes()[10] == b'T';
            if is_instant && !in_wib {
                vec![format!("{path} = {s}")]
            } else {
                Vec::new()
            }
        }
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .flat_map(|(i, v)| instants_off_convention(v, &format!("{path}[{i}]")))
            .collect(),
        // An upload slot's form fields are S3's (its signature's own date format),
        // sent back to S3 exactly as they are: not instants Sigap reports.
        serde_json::Value::Object(_) if path.ends_with(".upload.fields") => Vec::new(),
        serde_json::Value::Object(map) => map
            .iter()
            .flat_map(|(k, v)| instants_off_convention(v, &format!("{path}.{k}")))
            .collect(),
        _ => Vec::new(),
    }
}

/// Sends a real HTTP request (to devstack) and reads the reply.
pub async fn http(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> HttpReply {
    http_bytes(method, url, headers, body.unwrap_or_default().as_bytes()).await
}

/// One HTTP request whose body is any bytes (not necessarily UTF-8).
pub async fn http_bytes(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpReply {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = hyper::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let request = request
        .body(Full::new(Bytes::copy_from_slice(body)))
        .unwrap();
    let response = client.request(request).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    // moto's own answers (its state dump) are not Sigap's.
    let ours = !url.starts_with(crate::moto_endpoint());
    HttpReply::read(status, headers, &bytes, ours)
}

/// A multipart form as a browser sends it: the fields, then the file (last, as S3
/// requires of a POST upload) with its content type.
pub fn upload_form(fields: &[(String, String)], file: &[u8], file_type: &str) -> (String, Vec<u8>) {
    let boundary = "sigap-boundary-7f3a";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"foto.jpg\"\r\nContent-Type: {file_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Sends `file` as `content_type` with the upload slot Sigap answered (`slot` is
/// the 201's JSON), as a phone's browser would.
pub async fn upload_to_slot(
    slot: &serde_json::Value,
    file: &[u8],
    content_type: &str,
) -> HttpReply {
    let upload = &slot["upload"];
    let mut fields: Vec<(String, String)> = upload["fields"]
        .as_object()
        .expect("a slot has fields")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    fields.push(("Content-Type".into(), content_type.into()));
    let (form_type, body) = upload_form(&fields, file, content_type);
    http_bytes(
        "POST",
        upload["url"].as_str().expect("a slot has a url"),
        &[("content-type", &form_type)],
        &body,
    )
    .await
}

/// A staff request as API Gateway delivers it after its JWT authorizer accepted a
/// token of `subject` in `groups` (for calling the backoffice handler in-process).
pub fn staff_request(
    method: &str,
    path: &str,
    subject: &str,
    groups: &[&str],
    body: Option<&str>,
) -> lambda_http::Request {
    lambda_http::request::from_str(&staff_event(method, path, subject, groups, body).to_string())
        .unwrap()
}

/// The event of [`staff_request`], as JSON.
pub fn staff_event(
    method: &str,
    path: &str,
    subject: &str,
    groups: &[&str],
    body: Option<&str>,
) -> serde_json::Value {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut full = serde_json::json!({
        "version": "2.0",
        "routeKey": format!("{method} {path}"),
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "test", "domainName": "test.local",
            "domainPrefix": "test", "requestId": "req", "routeKey": format!("{method} {path}"),
            "stage": "$default", "time": "28/Nov/2026:00:00:00 +0000", "timeEpoch": 0,
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "198.51.100.9", "userAgent": "test"},
            "authorizer": {"jwt": {"claims": {"sub": subject, "cognito:groups": format!("[{}]", groups.join(" "))}}}
        },
        "isBase64Encoded": false
    });
    if let Some(body) = body {
        full["body"] = serde_json::json!(body);
    }
    if !query.is_empty() {
        full["rawQueryString"] = serde_json::json!(query);
        full["queryStringParameters"] = query_parameters(query);
    }
    full
}

/// A Twilio inbound-SMS webhook (`form`, signed with `signature`) as API Gateway
/// passes it on for a request to `https://{host}/sms/twilio`.
pub fn twilio_event(host: &str, signature: &str, form: &str) -> serde_json::Value {
    api_event(
        "POST",
        "/sms/twilio",
        &[
            ("host", host),
            ("x-forwarded-proto", "https"),
            ("content-type", "application/x-www-form-urlencoded"),
            ("x-twilio-signature", signature),
        ],
        Some(form),
    )
}

/// An HMAC key for a secret a test signs with.
pub fn hmac_key(secret: &str) -> sigap::domain::signature::HmacKey {
    sigap::domain::signature::HmacKey::new("test", secret.as_bytes()).unwrap()
}

/// Who signs a request: the SMS gateway, or a device calling `method path`.
#[derive(Debug, Clone, Copy)]
pub enum Signer<'a> {
    /// The generic SMS gateway (`<timestamp>.<body>`).
    Gateway,
    /// A panic-button device (`<timestamp>\n<METHOD>\n<path>\n<body>`).
    Device {
        /// Its id.
        id: &'a str,
        /// The request's method.
        method: &'a str,
        /// The request's path.
        path: &'a str,
    },
}

/// The headers `signer` sends with a `body` signed now with `secret`.
pub fn signed_headers(secret: &str, signer: Signer<'_>, body: &str) -> Vec<(&'static str, String)> {
    let timestamp = jiff::Timestamp::now().as_second();
    let key = hmac_key(secret);
    let signature = match signer {
        Signer::Gateway => {
            sigap::domain::signature::gateway_signature(&key, timestamp, body.as_bytes())
        }
        Signer::Device { method, path, .. } => sigap::domain::signature::device_signature(
            &key,
            timestamp,
            method,
            path,
            body.as_bytes(),
        ),
    };
    let mut headers = vec![
        ("content-type", "application/json".to_string()),
        ("x-sigap-timestamp", timestamp.to_string()),
        ("x-sigap-signature", signature),
    ];
    if let Signer::Device { id, .. } = signer {
        headers.push(("x-sigap-device", id.to_string()));
    }
    headers
}

/// True when an answer tells a client to send the same request again later: 503, or
/// 409 `request_in_progress` (another attempt holds the idempotency key).
pub fn retry_later(reply: &HttpReply) -> bool {
    reply.status == 503
        || (reply.status == 409 && reply.json["error"]["code"] == "request_in_progress")
}

/// A console request as a browser sends it: its `cookies` (`name=value; …`) and, with
/// a form, the form's type and `Sec-Fetch-Site: same-origin`.
pub fn console_request(
    method: &str,
    path: &str,
    cookies: &str,
    form: Option<&str>,
) -> lambda_http::Request {
    let mut headers = vec![("cookie", cookies)];
    if form.is_some() {
        headers.push(("content-type", "application/x-www-form-urlencoded"));
        headers.push(("sec-fetch-site", "same-origin"));
    }
    api_request(method, path, &headers, form)
}

/// The CSRF token a console page's forms carry (its first `csrf` field), or empty.
pub fn csrf_of(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_wib_instants_to_the_second_pass() {
        let answer = serde_json::json!({
            "due_at": "2026-12-07T23:59:59+07:00",
            "date": "2026-12-07",
            "text": "Lampu mati sejak 2026-12-01",
            "timeline": [{ "at": "2026-12-02T04:38:11.123456789Z" }],
            "opened_at": "2026-12-02T11:38:11.5+07:00",
        });
        assert_eq!(
            instants_off_convention(&answer, "$"),
            vec![
                "$.opened_at = 2026-12-02T11:38:11.5+07:00".to_string(),
                "$.timeline[0].at = 2026-12-02T04:38:11.123456789Z".to_string(),
            ]
        );
    }
}
