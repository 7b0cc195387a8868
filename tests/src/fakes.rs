//! Local stand-ins for what no emulator has, by their documented wire format.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};

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
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let requests: Arc<Mutex<Vec<(String, serde_json::Value)>>> = Arc::default();
        let seen = requests.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let seen = seen.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(
                        move |request: hyper::Request<hyper::body::Incoming>| {
                            let seen = seen.clone();
                            async move {
                                let auth = request
                                    .headers()
                                    .get("authorization")
                                    .and_then(|v| v.to_str().ok())
                                    .unwrap_or_default()
                                    .to_string();
                                let path = request.uri().path().to_string();
                                let body = request.into_body().collect().await.unwrap().to_bytes();
                                let json: serde_json::Value =
                                    serde_json::from_slice(&body).unwrap_or_default();
                                let n = {
                                    let mut all = seen.lock().unwrap();
                                    all.push((auth, json));
                                    all.len()
                                };
                                let (status, answer) = if path != "/2/tweets" {
                                    (404, serde_json::json!({"title": "Not Found"}))
                                } else if n <= fail_first {
                                    (503, serde_json::json!({"title": "Service Unavailable"}))
                                } else {
                                    (
                                        201,
                                        serde_json::json!({"data": {"id": format!("90000{n}"), "text": "ok"}}),
                                    )
                                };
                                let mut response = hyper::Response::new(Full::new(Bytes::from(
                                    answer.to_string(),
                                )));
                                *response.status_mut() =
                                    hyper::StatusCode::from_u16(status).unwrap();
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
