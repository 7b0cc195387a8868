//! WhatsApp's Cloud API (Meta's Graph API): sending a message from the city's
//! number and downloading a photo a citizen sent. The base URL and version are
//! configuration, so tests and the stack tier point them at a local fake; nothing
//! here talks to Meta in tests.

use bytes::Bytes;
use http_body_util::Full;

use super::https::{CallError, HttpsClient, client, send};
use crate::domain::contact::PhoneNumber;
use crate::domain::whatsapp::{Outgoing, Refusal, error_code, send_body, sent_id};

/// How long one Graph API call may take.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Why a call got no usable answer: worth retrying (the message may be sent again
/// later; nothing was refused).
#[derive(Debug, thiserror::Error)]
pub enum WhatsAppError {
    /// The request could not be built or sent.
    #[error("whatsapp api: {0}")]
    Call(String),
    /// No answer within the timeout.
    #[error("whatsapp api timed out")]
    Timeout,
    /// An error status without an error code Meta documents (a 5xx).
    #[error("whatsapp api answered {0}")]
    Status(u16),
}

impl From<CallError> for WhatsAppError {
    fn from(err: CallError) -> Self {
        match err {
            CallError::Timeout => WhatsAppError::Timeout,
            CallError::Failed(why) => WhatsAppError::Call(why),
        }
    }
}

/// What became of one send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhatsAppSent {
    /// Accepted, with the id its statuses will carry (accepted is not delivered).
    Accepted(String),
    /// Refused, with Meta's reason: it will not go by WhatsApp.
    Refused(Refusal),
}

/// A photo downloaded through the media API.
#[derive(Debug, Clone)]
pub struct Media {
    /// Its type, as Meta reports it.
    pub mime_type: String,
    /// The bytes.
    pub bytes: Bytes,
}

/// The Graph API client of one business phone number.
#[derive(Clone)]
pub struct WhatsAppClient {
    api: String,
    phone_number_id: String,
    access_token: String,
    http: HttpsClient,
}

impl std::fmt::Debug for WhatsAppClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token.
        f.debug_struct("WhatsAppClient")
            .field("api", &self.api)
            .field("phone_number_id", &self.phone_number_id)
            .finish()
    }
}

impl WhatsAppClient {
    /// A client for `graph_url` (`https://graph.facebook.com`) at `version`
    /// (`v25.0`), sending from `phone_number_id` with `access_token`.
    pub fn new(graph_url: &str, version: &str, phone_number_id: &str, access_token: &str) -> Self {
        Self {
            api: format!("{}/{}", graph_url.trim_end_matches('/'), version),
            phone_number_id: phone_number_id.to_string(),
            access_token: access_token.to_string(),
            http: client(),
        }
    }

    fn request(
        &self,
        method: &str,
        url: &str,
        body: Option<String>,
    ) -> Result<hyper::Request<Full<Bytes>>, WhatsAppError> {
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(url)
            .header("authorization", format!("Bearer {}", self.access_token));
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        request
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| WhatsAppError::Call(format!("request: {e}")))
    }

    /// Sends `message` to `to`; `callback` comes back in its statuses.
    pub async fn send(
        &self,
        to: &PhoneNumber,
        message: &Outgoing,
        callback: &str,
    ) -> Result<WhatsAppSent, WhatsAppError> {
        let url = format!("{}/{}/messages", self.api, self.phone_number_id);
        let body = send_body(to, message, callback).to_string();
        let (status, answer) =
            send(&self.http, self.request("POST", &url, Some(body))?, TIMEOUT).await?;
        if (200..300).contains(&status) {
            return sent_id(&answer)
                .map(WhatsAppSent::Accepted)
                .ok_or_else(|| WhatsAppError::Call("send answer without a message id".into()));
        }
        match error_code(&answer) {
            Some(code) if status < 500 => Ok(WhatsAppSent::Refused(Refusal::from_code(code))),
            _ => Err(WhatsAppError::Status(status)),
        }
    }

    /// Downloads media `media_id` (its URL first, then the bytes with the same
    /// token), refusing anything larger than `max_bytes` by its declared size.
    pub async fn media(&self, media_id: &str, max_bytes: u64) -> Result<Media, MediaError> {
        if media_id.is_empty()
            || !media_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(MediaError::Refused("media id".into()));
        }
        let url = format!("{}/{media_id}", self.api);
        let (status, answer) = send(&self.http, self.request("GET", &url, None)?, TIMEOUT).await?;
        if !(200..300).contains(&status) {
            return Err(match error_code(&answer) {
                Some(code) if status < 500 => {
                    MediaError::Refused(Refusal::from_code(code).reason())
                }
                _ => WhatsAppError::Status(status).into(),
            });
        }
        let meta: serde_json::Value = serde_json::from_slice(&answer).unwrap_or_default();
        let size = match &meta["file_size"] {
            serde_json::Value::String(s) => s.parse().ok(),
            other => other.as_u64(),
        };
        if size.is_some_and(|s| s > max_bytes) {
            return Err(MediaError::TooLarge);
        }
        let Some(download) = meta["url"].as_str() else {
            return Err(WhatsAppError::Call("media answer without a url".into()).into());
        };
        let (status, bytes) =
            send(&self.http, self.request("GET", download, None)?, TIMEOUT).await?;
        if !(200..300).contains(&status) {
            return Err(WhatsAppError::Status(status).into());
        }
        if bytes.len() as u64 > max_bytes {
            return Err(MediaError::TooLarge);
        }
        Ok(Media {
            mime_type: meta["mime_type"].as_str().unwrap_or_default().to_string(),
            bytes,
        })
    }
}

/// Why a photo could not be downloaded.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// Larger than the limit.
    #[error("media larger than the limit")]
    TooLarge,
    /// Meta refused (an expired or unknown id): it will not come.
    #[error("media refused: {0}")]
    Refused(String),
    /// No usable answer: worth retrying.
    #[error(transparent)]
    Failed(#[from] WhatsAppError),
}

impl From<CallError> for MediaError {
    fn from(err: CallError) -> Self {
        MediaError::Failed(err.into())
    }
}
