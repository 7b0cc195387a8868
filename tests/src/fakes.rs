//! Local stand-ins for what no emulator has, by their documented wire format.

use std::sync::{Arc, Mutex};

use devstack::graph::serve;
pub use devstack::graph::{FakeGraph, Received};

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
        .await
        .unwrap();
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
        .await
        .unwrap();
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
