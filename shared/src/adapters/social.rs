//! Replies on X (Twitter) through its API v2 (`POST /2/tweets`), with the bearer
//! token from configuration. The base URL is configuration too, so tests point it
//! at a local fake; nothing here talks to the real API in tests.

use bytes::Bytes;
use http_body_util::Full;
use serde_json::json;

use super::https::{CallError, HttpsClient, client, send};

/// Why a reply on X failed (never an AWS error: the X API is not AWS).
#[derive(Debug, thiserror::Error)]
pub enum XError {
    /// The request could not be built or sent.
    #[error("x api: {0}")]
    Call(String),
    /// X took longer than the timeout.
    #[error("x api timed out")]
    Timeout,
    /// X answered with an error status.
    #[error("x api answered {0}")]
    Status(u16),
}

/// An X API v2 client that posts replies.
#[derive(Clone)]
pub struct XClient {
    base_url: String,
    bearer_token: String,
    http: HttpsClient,
}

impl std::fmt::Debug for XClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token.
        f.debug_struct("XClient")
            .field("base_url", &self.base_url)
            .finish()
    }
}

impl XClient {
    /// A client for the API at `base_url` (`https://api.x.com`), HTTPS with the
    /// Mozilla roots compiled in (plain HTTP only for a local fake).
    pub fn new(base_url: &str, bearer_token: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_string(),
            bearer_token: bearer_token.to_string(),
            http: client(),
        }
    }

    /// Posts `text` as a reply to post `in_reply_to`; the new post's id.
    pub async fn reply(&self, in_reply_to: &str, text: &str) -> Result<String, XError> {
        let body = json!({ "text": text, "reply": { "in_reply_to_tweet_id": in_reply_to } });
        let request = hyper::Request::post(format!("{}/2/tweets", self.base_url))
            .header("authorization", format!("Bearer {}", self.bearer_token))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .map_err(|e| XError::Call(format!("request: {e}")))?;
        let (status, bytes) = send(&self.http, request, std::time::Duration::from_secs(5))
            .await
            .map_err(|e| match e {
                CallError::Timeout => XError::Timeout,
                CallError::Failed(why) => XError::Call(why),
            })?;
        if !(200..300).contains(&status) {
            return Err(XError::Status(status));
        }
        let answer: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        Ok(answer["data"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string())
    }
}
