//! Local stand-ins for what no emulator has, by their documented wire format.

use std::sync::{Arc, Mutex};

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
async fn serve<F>(answer: F) -> String
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
async fn serve_bytes<F>(answer: F) -> String
where
    F: Fn(Received) -> (u16, Bytes) + Send + Sync + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}", listener.local_addr().unwrap());
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
                            let body = request.into_body().collect().await.unwrap().to_bytes();
                            let (status, bytes) = answer(Received {
                                method,
                                path,
                                authorization,
                                body,
                            });
                            let mut response = hyper::Response::new(Full::new(bytes));
                            *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
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
    base_url
}

/// A local stand-in for the X API v2 (`POST /2/tweets`): records every request and
/// answers 201 with a new post id, or 503 for the first `fail_first` requests.
pub struct FakeX {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    /// Each request: its `authorization` header and its JSON body.
    pub requests: Arc<Mutex<Vec<(String, serde_json::Value)>>>,
}

impl FakeX {
    /// Starts the fake on a free port.
    pub async fn start(fail_first: usize) -> FakeX {
        let requests: Arc<Mutex<Vec<(String, serde_json::Value)>>> = Arc::default();
        let seen = requests.clone();
        let base_url = serve(move |request| {
            let json: serde_json::Value = serde_json::from_slice(&request.body).unwrap_or_default();
            let n = {
                let mut all = seen.lock().unwrap();
                all.push((request.authorization, json));
                all.len()
            };
            let (status, answer) = if request.path != "/2/tweets" {
                (404, serde_json::json!({"title": "Not Found"}))
            } else if n <= fail_first {
                (503, serde_json::json!({"title": "Service Unavailable"}))
            } else {
                (
                    201,
                    serde_json::json!({"data": {"id": format!("90000{n}"), "text": "ok"}}),
                )
            };
            (status, answer.to_string())
        })
        .await;
        FakeX { base_url, requests }
    }

    /// The posts made so far (request bodies).
    pub fn posts(&self) -> Vec<serde_json::Value> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(|(_, b)| b.clone())
            .collect()
    }
}

/// A local stand-in for a Cognito user pool's hosted sign-in: the pool's JWKS at
/// `/.well-known/jwks.json` (`jwks`), and `/oauth2/token` and `/oauth2/revoke` as
/// Cognito documents them. A code is good once, and only with the verifier whose
/// S256 challenge was registered for it ([`FakeHostedSignIn::expect_code`]); a
/// refresh token is good until revoked. Tokens are `id_token(subject)`.
pub struct FakeHostedSignIn {
    /// `http://127.0.0.1:<port>`: both the issuer and the domain.
    pub base_url: String,
    /// Every form posted, with its path.
    pub forms: Forms,
    codes: Arc<Mutex<Vec<(String, String, String)>>>,
}

type IdToken = dyn Fn(&str) -> String + Send + Sync;
/// Each form posted to the fake: its path and its pairs.
pub type Forms = Arc<Mutex<Vec<(String, Vec<(String, String)>)>>>;

impl FakeHostedSignIn {
    /// Starts the fake, publishing `jwks` and signing tokens with `id_token`.
    pub async fn start(jwks: serde_json::Value, id_token: Arc<IdToken>) -> Self {
        let forms: Forms = Arc::default();
        let codes: Arc<Mutex<Vec<(String, String, String)>>> = Arc::default();
        let revoked: Arc<Mutex<Vec<String>>> = Arc::default();
        let (seen, pending) = (forms.clone(), codes.clone());
        let base_url = serve(move |request| {
            let form: Vec<(String, String)> =
                form_urlencoded::parse(&request.body).into_owned().collect();
            let field = |name: &str| {
                form.iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            seen.lock()
                .unwrap()
                .push((request.path.clone(), form.clone()));
            let refused = (
                400,
                serde_json::json!({"error": "invalid_grant"}).to_string(),
            );
            match (request.method.as_str(), request.path.as_str()) {
                ("GET", "/.well-known/jwks.json") => (200, jwks.to_string()),
                ("POST", "/oauth2/token") => match field("grant_type").as_str() {
                    "authorization_code" => {
                        let mut all = pending.lock().unwrap();
                        let challenge = s256(&field("code_verifier"));
                        let Some(at) = all
                            .iter()
                            .position(|(code, c, _)| *code == field("code") && *c == challenge)
                        else {
                            return refused;
                        };
                        let (_, _, subject) = all.remove(at);
                        let answer = serde_json::json!({
                            "id_token": id_token(&subject), "access_token": "access",
                            "refresh_token": format!("refresh-{subject}"),
                            "token_type": "Bearer", "expires_in": 900,
                        });
                        (200, answer.to_string())
                    }
                    "refresh_token" => {
                        let token = field("refresh_token");
                        match token.strip_prefix("refresh-") {
                            Some(subject) if !revoked.lock().unwrap().contains(&token) => (
                                200,
                                serde_json::json!({
                                    "id_token": id_token(subject), "access_token": "access",
                                    "token_type": "Bearer", "expires_in": 900,
                                })
                                .to_string(),
                            ),
                            _ => refused,
                        }
                    }
                    _ => (
                        400,
                        serde_json::json!({"error": "unsupported_grant_type"}).to_string(),
                    ),
                },
                ("POST", "/oauth2/revoke") => {
                    revoked.lock().unwrap().push(field("token"));
                    (200, String::new())
                }
                _ => (404, String::new()),
            }
        })
        .await;
        Self {
            base_url,
            forms,
            codes,
        }
    }

    /// Registers `code` as what Cognito would send back for `subject`'s sign-in with
    /// this S256 `challenge`.
    pub fn expect_code(&self, code: &str, challenge: &str, subject: &str) {
        self.codes
            .lock()
            .unwrap()
            .push((code.into(), challenge.into(), subject.into()));
    }
}

/// RFC 7636's S256: base64url (no padding) of the verifier's SHA-256.
fn s256(verifier: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()))
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
    /// Starts the fake on a free port.
    pub async fn start() -> FakeGraph {
        let requests: Arc<Mutex<Vec<Received>>> = Arc::default();
        let script: Arc<Mutex<std::collections::VecDeque<Scripted>>> = Arc::default();
        let media: Arc<Mutex<Vec<(String, String, Bytes)>>> = Arc::default();
        let (seen, next, stored) = (requests.clone(), script.clone(), media.clone());
        let own_url: Arc<Mutex<String>> = Arc::default();
        let base = own_url.clone();
        let base_url = serve_bytes(move |request| {
            let n = {
                let mut all = seen.lock().unwrap();
                all.push(request.clone());
                all.len()
            };
            let text = |(status, body): (u16, String)| (status, Bytes::from(body));
            if request.authorization != "Bearer test-whatsapp-access-token" {
                return text(graph_error(401, 190, "Error validating access token"));
            }
            if request.method == "GET" {
                let found = |id: &str| {
                    stored
                        .lock()
                        .unwrap()
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
                            "url": format!("{}/download/{id}", base.lock().unwrap()),
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
            match next.lock().unwrap().pop_front() {
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
        .await;
        *own_url.lock().unwrap() = base_url.clone();
        FakeGraph {
            base_url,
            requests,
            script,
            media,
        }
    }

    /// Media a citizen "sent": downloadable by `id` as `mime_type`.
    pub fn add_media(&self, id: &str, mime_type: &str, bytes: Vec<u8>) {
        self.media
            .lock()
            .unwrap()
            .push((id.into(), mime_type.into(), Bytes::from(bytes)));
    }

    /// How many times media `id` was downloaded (its bytes, not its URL).
    pub fn downloads(&self, id: &str) -> usize {
        let path = format!("/download/{id}");
        self.requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .count()
    }

    /// The next send is refused with Meta's error `code` (131047 outside the window,
    /// 131026 not on WhatsApp, 130429 rate limited, 190 token expired, …).
    pub fn refuse_next(&self, code: i64) {
        self.script
            .lock()
            .unwrap()
            .push_back(Scripted::Refuse(code));
    }

    /// The next send gets a bare 503 (no error code: worth retrying).
    pub fn fail_next(&self) {
        self.script.lock().unwrap().push_back(Scripted::Fail);
    }

    /// The message bodies sent so far (refused ones included), in order.
    pub fn sends(&self) -> Vec<serde_json::Value> {
        self.requests
            .lock()
            .unwrap()
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
