//! A local stand-in for WhatsApp's Cloud API (Meta's Graph API), by its documented
//! wire format: devstack points `notify` and `sms-intake` at it (so a developer's
//! WhatsApp conversation never reaches Meta), and the tests do the same. Also the
//! small loopback server every fake of a third-party API is built on.

use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};

/// One request a fake received: method, path, `authorization` header, body.
#[derive(Debug, Clone)]
pub struct Received {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The `authorization` header, or empty.
    pub authorization: String,
    /// The body's bytes.
    pub body: Bytes,
}

/// Serves `answer` (a status and a text body) on a free loopback port: see
/// [`serve_bytes`].
pub async fn serve<F>(answer: F) -> std::io::Result<String>
where
    F: Fn(Received) -> (u16, String) + Send + Sync + 'static,
{
    serve_bytes(move |request| {
        let (status, text) = answer(request);
        (status, Bytes::from(text))
    })
    .await
}

/// Serves `answer` on a free loopback port (every request, each connection on its
/// own task) and returns `http://127.0.0.1:<port>`.
pub async fn serve_bytes<F>(answer: F) -> std::io::Result<String>
where
    F: Fn(Received) -> (u16, Bytes) + Send + Sync + 'static,
{
    serve_bytes_on("127.0.0.1:0", answer).await
}

/// [`serve_bytes`] on `address` (a fixed loopback port another process was told).
pub async fn serve_bytes_on<F>(address: &str, answer: F) -> std::io::Result<String>
where
    F: Fn(Received) -> (u16, Bytes) + Send + Sync + 'static,
{
    let listener = tokio::net::TcpListener::bind(address).await?;
    let base_url = format!("http://{}", listener.local_addr()?);
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let answer = answer.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |request: hyper::Request<hyper::body::Incoming>| {
                        let answer = answer.clone();
                        async move {
                            let method = request.method().to_string();
                            let path = request.uri().path().to_string();
                            let authorization = request
                                .headers()
                                .get("authorization")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .to_string();
                            let body = request
                                .into_body()
                                .collect()
                                .await
                                .map(|b| b.to_bytes())
                                .unwrap_or_default();
                            let (status, bytes) = answer(Received {
                                method,
                                path,
                                authorization,
                                body,
                            });
                            let mut response = hyper::Response::new(Full::new(bytes));
                            *response.status_mut() = hyper::StatusCode::from_u16(status)
                                .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
                            Ok::<_, std::convert::Infallible>(response)
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(base_url)
}

/// A local stand-in for WhatsApp's Cloud API (Meta's Graph API) as documented:
/// `POST /<version>/<phone number id>/messages` answers
/// `{"messaging_product":"whatsapp","contacts":[…],"messages":[{"id":"wamid.…"}]}`,
/// or the documented error body for a code given with [`FakeGraph::refuse_next`]
/// (`{"error":{"message","type":"OAuthException","code",…}}`, 400, or 401 for an
/// expired token), or a bare 503 ([`FakeGraph::fail_next`]). Media added with
/// [`FakeGraph::add_media`] is downloaded as documented: `GET /<version>/<media id>`
/// answers its `url` (and `file_size` as a string), and that URL the bytes, both
/// with the bearer token. Every request is kept.
pub struct FakeGraph {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    requests: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<std::collections::VecDeque<Scripted>>>,
    media: Arc<Mutex<Vec<(String, String, Bytes)>>>,
}

#[derive(Debug, Clone, Copy)]
enum Scripted {
    Refuse(i64),
    Fail,
}

impl FakeGraph {
    /// Starts the fake on a free port; it accepts only `access_token`.
    pub async fn start(access_token: &str) -> std::io::Result<FakeGraph> {
        Self::start_on("127.0.0.1:0", access_token).await
    }

    /// Starts the fake on `address` (the stack tier's Lambda processes were deployed
    /// with its URL); it accepts only `access_token`.
    pub async fn start_on(address: &str, access_token: &str) -> std::io::Result<FakeGraph> {
        let bearer = format!("Bearer {access_token}");
        let requests: Arc<Mutex<Vec<Received>>> = Arc::default();
        let script: Arc<Mutex<std::collections::VecDeque<Scripted>>> = Arc::default();
        let media: Arc<Mutex<Vec<(String, String, Bytes)>>> = Arc::default();
        let (seen, next, stored) = (requests.clone(), script.clone(), media.clone());
        let own_url: Arc<Mutex<String>> = Arc::default();
        let base = own_url.clone();
        let base_url = serve_bytes_on(address, move |request| {
            let n = {
                let mut all = seen.lock().unwrap_or_else(PoisonError::into_inner);
                all.push(request.clone());
                all.len()
            };
            let text = |(status, body): (u16, String)| (status, Bytes::from(body));
            if request.authorization != bearer {
                return text(graph_error(401, 190, "Error validating access token"));
            }
            if request.method == "GET" {
                let found = |id: &str| {
                    stored
                        .lock().unwrap_or_else(PoisonError::into_inner)
                        .iter()
                        .find(|(m, _, _)| m == id)
                        .cloned()
                };
                if let Some(id) = request.path.strip_prefix("/download/") {
                    return match found(id) {
                        Some((_, _, bytes)) => (200, bytes),
                        None => (404, Bytes::new()),
                    };
                }
                let id = request.path.rsplit('/').next().unwrap_or_default();
                return match found(id) {
                    Some((id, mime, bytes)) => text((
                        200,
                        serde_json::json!({
                            "messaging_product": "whatsapp",
                            "url": format!("{}/download/{id}", base.lock().unwrap_or_else(PoisonError::into_inner)),
                            "mime_type": mime,
                            "sha256": "not-checked",
                            "file_size": bytes.len().to_string(),
                            "id": id,
                        })
                        .to_string(),
                    )),
                    None => text(graph_error(400, 100, "Unsupported get request")),
                };
            }
            if request.method != "POST" || !request.path.ends_with("/messages") {
                return text(graph_error(400, 100, "Unsupported request"));
            }
            let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap_or_default();
            match next.lock().unwrap_or_else(PoisonError::into_inner).pop_front() {
                Some(Scripted::Refuse(code)) => {
                    let status = if code == 190 { 401 } else { 400 };
                    return text(graph_error(status, code, "Refused by the fake"));
                }
                Some(Scripted::Fail) => return (503, Bytes::new()),
                None => {}
            }
            let to = body["to"].as_str().unwrap_or_default().to_string();
            let answer = serde_json::json!({
                "messaging_product": "whatsapp",
                "contacts": [{ "input": to, "wa_id": to.trim_start_matches('+') }],
                "messages": [{ "id": format!("wamid.FAKE{n}") }],
            });
            text((200, answer.to_string()))
        })
        .await?;
        *own_url.lock().unwrap_or_else(PoisonError::into_inner) = base_url.clone();
        Ok(FakeGraph {
            base_url,
            requests,
            script,
            media,
        })
    }

    /// Media a citizen "sent": downloadable by `id` as `mime_type`.
    pub fn add_media(&self, id: &str, mime_type: &str, bytes: Vec<u8>) {
        self.media
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((id.into(), mime_type.into(), Bytes::from(bytes)));
    }

    /// How many times media `id` was downloaded (its bytes, not its URL).
    pub fn downloads(&self, id: &str) -> usize {
        let path = format!("/download/{id}");
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|r| r.path == path)
            .count()
    }

    /// The next send is refused with Meta's error `code` (131047 outside the window,
    /// 131026 not on WhatsApp, 130429 rate limited, 190 token expired, …).
    pub fn refuse_next(&self, code: i64) {
        self.script
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(Scripted::Refuse(code));
    }

    /// The next send gets a bare 503 (no error code: worth retrying).
    pub fn fail_next(&self) {
        self.script
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(Scripted::Fail);
    }

    /// The message bodies sent so far (refused ones included), in order.
    pub fn sends(&self) -> Vec<serde_json::Value> {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|r| r.path.ends_with("/messages"))
            .map(|r| serde_json::from_slice(&r.body).unwrap_or_default())
            .collect()
    }
}

/// Meta's documented error body.
fn graph_error(status: u16, code: i64, message: &str) -> (u16, String) {
    let body = serde_json::json!({
        "error": {
            "message": format!("(#{code}) {message}"),
            "type": "OAuthException",
            "code": code,
            "error_data": { "messaging_product": "whatsapp", "details": message },
            "fbtrace_id": "AbCdEfGh",
        }
    });
    (status, body.to_string())
}
