//! Cognito's hosted sign-in endpoints for the staff console (issue 22): the pool's
//! signing keys (`<issuer>/.well-known/jwks.json`), and the OAuth 2.0 token endpoint
//! of the pool's domain (`/oauth2/token`: a code with its PKCE verifier, or a refresh
//! token, for tokens; `/oauth2/revoke` at sign-out). The console's app client has no
//! secret (a public client: PKCE stands in for one). No emulator serves these
//! endpoints; tests use a local fake of their documented wire format.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use serde::Deserialize;

use super::https::{CallError, HttpsClient, client, send};

/// How long any one call may take.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Why a call to the hosted sign-in failed.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// No answer (network, timeout).
    #[error("hosted sign-in: {0}")]
    Call(#[from] CallError),
    /// Cognito refused the grant (`invalid_grant`: a used or expired code, a revoked
    /// refresh token): the person signs in again.
    #[error("hosted sign-in refused: {0}")]
    Refused(String),
    /// Any other answer.
    #[error("hosted sign-in answered {0}")]
    Status(u16),
}

/// What the token endpoint gave. Never printed: `Debug` shows only which tokens came.
#[derive(Clone, Deserialize)]
pub struct Tokens {
    /// The ID token: the session.
    pub id_token: String,
    /// Given with a code, not on a refresh.
    #[serde(default)]
    pub refresh_token: Option<String>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("refresh_token", &self.refresh_token.is_some())
            .finish_non_exhaustive()
    }
}

/// One user pool's hosted sign-in, for one app client.
#[derive(Clone)]
pub struct HostedSignIn {
    domain: String,
    keys_base: String,
    client_id: String,
    http: HttpsClient,
}

impl HostedSignIn {
    /// The pool's domain (`https://<prefix>.auth.<region>.amazoncognito.com`), where
    /// it publishes its keys (its issuer, `https://cognito-idp.<region>.amazonaws.com/
    /// <pool id>`, or an emulator's path for it) and the console's app client id.
    pub fn new(domain: &str, keys_base: &str, client_id: &str) -> Self {
        Self {
            domain: domain.trim_end_matches('/').into(),
            keys_base: keys_base.trim_end_matches('/').into(),
            client_id: client_id.into(),
            http: client(),
        }
    }

    /// The pool's JWKS document, as published.
    pub async fn keys_document(&self) -> Result<String, SignInError> {
        let request = hyper::Request::get(format!("{}/.well-known/jwks.json", self.keys_base))
            .body(Full::new(Bytes::new()))
            .map_err(|e| CallError::Failed(e.to_string()))?;
        let (status, body) = send(&self.http, request, TIMEOUT).await?;
        if status != 200 {
            return Err(SignInError::Status(status));
        }
        Ok(String::from_utf8_lossy(&body).into_owned())
    }

    /// The tokens for the `code` Cognito sent back, with the attempt's `verifier`
    /// and the same `redirect_uri` the authorize request named.
    pub async fn exchange(
        &self,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
    ) -> Result<Tokens, SignInError> {
        self.token(&[
            ("grant_type", "authorization_code"),
            ("client_id", &self.client_id),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ])
        .await
    }

    /// A new ID token for a `refresh_token` still valid.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Tokens, SignInError> {
        self.token(&[
            ("grant_type", "refresh_token"),
            ("client_id", &self.client_id),
            ("refresh_token", refresh_token),
        ])
        .await
    }

    /// Revokes `refresh_token` (sign-out): the tokens it issued stop being renewed.
    pub async fn revoke(&self, refresh_token: &str) -> Result<(), SignInError> {
        let (status, body) = self
            .post(
                "/oauth2/revoke",
                &[("token", refresh_token), ("client_id", &self.client_id)],
            )
            .await?;
        match status {
            200 => Ok(()),
            400 => Err(SignInError::Refused(error_code(&body))),
            other => Err(SignInError::Status(other)),
        }
    }

    async fn token(&self, form: &[(&str, &str)]) -> Result<Tokens, SignInError> {
        let (status, body) = self.post("/oauth2/token", form).await?;
        match status {
            200 => serde_json::from_slice(&body).map_err(|_| SignInError::Status(200)),
            400 | 401 => Err(SignInError::Refused(error_code(&body))),
            other => Err(SignInError::Status(other)),
        }
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Result<(u16, Bytes), SignInError> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let request = hyper::Request::post(format!("{}{path}", self.domain))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| CallError::Failed(e.to_string()))?;
        Ok(send(&self.http, request, TIMEOUT).await?)
    }
}

/// The OAuth `error` of a refusal (`invalid_grant`, …), or what the answer was.
fn error_code(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_string))
        .unwrap_or_else(|| "unreadable answer".into())
}
