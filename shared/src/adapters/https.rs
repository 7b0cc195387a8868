//! One way to call an HTTPS service that is not AWS (X's API, Cognito's hosted
//! sign-in): rustls with the Mozilla roots compiled in (plain HTTP only for a local
//! fake in tests), HTTP/1.1, and a timeout on every call.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// The client type the adapters keep (cheap to clone: one connection pool).
pub type HttpsClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// A new client.
pub fn client() -> HttpsClient {
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_webpki_roots()
        .https_or_http()
        .enable_http1()
        .build();
    Client::builder(TokioExecutor::new()).build(connector)
}

/// Why a call got no answer.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The request could not be built, sent or read.
    #[error("{0}")]
    Failed(String),
    /// No answer within the timeout.
    #[error("timed out")]
    Timeout,
}

/// Sends `request` and reads the whole answer, within `timeout`: its status and body.
pub async fn send(
    http: &HttpsClient,
    request: hyper::Request<Full<Bytes>>,
    timeout: Duration,
) -> Result<(u16, Bytes), CallError> {
    let response = tokio::time::timeout(timeout, http.request(request))
        .await
        .map_err(|_| CallError::Timeout)?
        .map_err(|e| CallError::Failed(e.to_string()))?;
    let status = response.status().as_u16();
    let body = tokio::time::timeout(timeout, response.into_body().collect())
        .await
        .map_err(|_| CallError::Timeout)?
        .map_err(|e| CallError::Failed(format!("body: {e}")))?
        .to_bytes();
    Ok((status, body))
}
