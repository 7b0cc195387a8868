//! A fault-injecting proxy between the functions and moto.
//!
//! The functions' AWS clients point at the proxy instead of moto. Every call is
//! forwarded, unless the plan picks a fault for it: a 500, a throttling error, a
//! connection dropped before moto sees the call, a connection dropped *after* moto
//! has done it (the caller cannot tell whether it happened), a reply slower than the
//! SDK's attempt timeout, or added latency. Faults are drawn from a seeded generator,
//! per service, so a run can be repeated; the proxy counts what it did.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

/// One kind of fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    /// HTTP 500 with the service's error body; moto never sees the call.
    ServerError,
    /// The service's throttling error (HTTP 400); moto never sees the call.
    Throttle,
    /// The connection closes before the call is forwarded.
    DropBefore,
    /// The call is forwarded and done, then the connection closes without a reply.
    DropAfter,
    /// The call is forwarded and done, and the reply comes after the SDK gave up.
    Timeout,
    /// The call is forwarded after a delay (it succeeds).
    Latency,
}

/// What to inject: for each service (`dynamodb`, `sqs`, `sns`, `ssm`), the fraction
/// of calls that get a fault, and the faults to choose from (uniformly).
#[derive(Debug, Clone, Default)]
pub struct FaultPlan {
    /// Fraction of calls (0.0–1.0) per service; a service not listed gets none.
    pub rates: BTreeMap<String, f64>,
    /// The faults drawn from.
    pub faults: Vec<Fault>,
    /// How long a `Timeout` holds the reply (longer than the SDK's attempt timeout).
    pub timeout: Duration,
    /// How long `Latency` delays a call.
    pub latency: Duration,
}

impl FaultPlan {
    /// `rate` of the calls to every AWS service Sigap uses fail with one of `faults`.
    pub fn everywhere(rate: f64, faults: &[Fault]) -> Self {
        Self {
            rates: ["dynamodb", "sqs", "sns", "ssm"]
                .iter()
                .map(|s| (s.to_string(), rate))
                .collect(),
            faults: faults.to_vec(),
            timeout: sigap::runtime::aws::ATTEMPT_TIMEOUT + Duration::from_millis(500),
            latency: Duration::from_millis(150),
        }
    }
}

/// What the proxy did, per (service, operation) and fault.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultTally {
    /// Calls seen, per service.
    pub calls: BTreeMap<String, u64>,
    /// Faults injected, per service and fault.
    pub injected: BTreeMap<(String, Fault), u64>,
    /// Calls that moto carried out while the caller saw a failure (`DropAfter`,
    /// `Timeout`), per `service:operation`: each may be retried and done twice.
    pub ambiguous: BTreeMap<String, u64>,
}

impl FaultTally {
    /// All faults injected.
    pub fn total_injected(&self) -> u64 {
        self.injected.values().sum()
    }

    /// All calls seen.
    pub fn total_calls(&self) -> u64 {
        self.calls.values().sum()
    }
}

struct Shared {
    upstream: String,
    plan: Mutex<FaultPlan>,
    tally: Mutex<FaultTally>,
    rng: AtomicU64,
    client: Client<HttpConnector, Full<Bytes>>,
}

/// A running proxy; it stops when dropped.
pub struct FaultProxy {
    /// `http://127.0.0.1:<port>`: point AWS clients here.
    pub endpoint: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    /// Starts a proxy to `upstream` (moto) with no faults and the generator at `seed`.
    pub async fn start(upstream: &str, seed: u64) -> FaultProxy {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let shared = Arc::new(Shared {
            upstream: upstream.trim_end_matches('/').to_string(),
            plan: Mutex::new(FaultPlan::default()),
            tally: Mutex::new(FaultTally::default()),
            rng: AtomicU64::new(seed.max(1)),
            client: Client::builder(TokioExecutor::new()).build_http(),
        });
        let accept = shared.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let shared = accept.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| handle(shared.clone(), request));
                    // A service error closes the connection without a reply: that is
                    // how the drop faults reach the caller.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        FaultProxy {
            endpoint,
            shared,
            task,
        }
    }

    /// Replaces the plan (faults apply to calls from now on).
    pub fn set_plan(&self, plan: FaultPlan) {
        *self.shared.plan.lock().unwrap() = plan;
    }

    /// Forgets what was counted so far (e.g. the set-up before the faults).
    pub fn reset_tally(&self) {
        *self.shared.tally.lock().unwrap() = FaultTally::default();
    }

    /// No more faults.
    pub fn heal(&self) {
        self.set_plan(FaultPlan::default());
    }

    /// What the proxy has done so far.
    pub fn tally(&self) -> FaultTally {
        self.shared.tally.lock().unwrap().clone()
    }
}

/// The signing service (from the SigV4 credential scope) and the operation (from
/// `X-Amz-Target`, or the query protocol's `Action`).
fn service_and_operation(headers: &hyper::HeaderMap, body: &[u8]) -> (String, String) {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let authorization = header("authorization");
    let service = authorization
        .split("Credential=")
        .nth(1)
        .and_then(|c| c.split(',').next())
        .and_then(|scope| scope.split('/').nth(3))
        .unwrap_or("unknown")
        .to_string();
    let target = header("x-amz-target");
    let operation = match target.rsplit_once('.') {
        Some((_, op)) => op.to_string(),
        None => form_urlencoded::parse(body)
            .find(|(k, _)| k == "Action")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| "unknown".into()),
    };
    (service, operation)
}

/// The error body a service's SDK parses: JSON for the JSON protocols, XML for SNS.
fn error_response(service: &str, status: StatusCode, code: &str) -> Response<Full<Bytes>> {
    let body = if service == "sns" {
        format!(
            "<ErrorResponse><Error><Type>Receiver</Type><Code>{code}</Code><Message>injected</Message></Error><RequestId>fault</RequestId></ErrorResponse>"
        )
    } else {
        format!(r#"{{"__type":"{code}","message":"injected"}}"#)
    };
    let content_type = if service == "sns" {
        "text/xml"
    } else {
        "application/x-amz-json-1.0"
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    response
}

impl Shared {
    /// The next number in [0, 1) from a xorshift generator (deterministic per seed).
    fn draw(&self) -> f64 {
        let mut x = self.rng.load(Ordering::Relaxed);
        loop {
            let mut next = x;
            next ^= next << 13;
            next ^= next >> 7;
            next ^= next << 17;
            match self
                .rng
                .compare_exchange_weak(x, next, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return (next >> 11) as f64 / (1u64 << 53) as f64,
                Err(current) => x = current,
            }
        }
    }

    fn pick(&self, service: &str) -> (Option<Fault>, FaultPlan) {
        let plan = self.plan.lock().unwrap().clone();
        let rate = plan.rates.get(service).copied().unwrap_or(0.0);
        if plan.faults.is_empty() || self.draw() >= rate {
            return (None, plan);
        }
        let index = (self.draw() * plan.faults.len() as f64) as usize;
        (plan.faults.get(index).copied(), plan)
    }

    async fn forward(
        &self,
        parts: hyper::http::request::Parts,
        body: Bytes,
    ) -> Result<Response<Full<Bytes>>, String> {
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        let mut request = Request::builder()
            .method(parts.method)
            .uri(format!("{}{path}", self.upstream));
        for (name, value) in &parts.headers {
            request = request.header(name, value);
        }
        let request = request.body(Full::new(body)).map_err(|e| e.to_string())?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| e.to_string())?;
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok(Response::from_parts(parts, Full::new(bytes)))
    }
}

async fn handle(
    shared: Arc<Shared>,
    request: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, String> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes();
    let (service, operation) = service_and_operation(&parts.headers, &body);
    let (fault, plan) = shared.pick(&service);
    {
        let mut tally = shared.tally.lock().unwrap();
        *tally.calls.entry(service.clone()).or_default() += 1;
        if let Some(fault) = fault {
            *tally.injected.entry((service.clone(), fault)).or_default() += 1;
        }
    }
    let ambiguous = |shared: &Shared| {
        let mut tally = shared.tally.lock().unwrap();
        *tally
            .ambiguous
            .entry(format!("{service}:{operation}"))
            .or_default() += 1;
    };
    match fault {
        None => shared.forward(parts, body).await,
        Some(Fault::ServerError) => Ok(error_response(
            &service,
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
        )),
        Some(Fault::Throttle) => Ok(error_response(
            &service,
            StatusCode::BAD_REQUEST,
            if service == "sns" {
                "Throttling"
            } else {
                "ThrottlingException"
            },
        )),
        Some(Fault::DropBefore) => Err("injected: dropped before forwarding".into()),
        Some(Fault::DropAfter) => {
            let done = shared.forward(parts, body).await;
            if done.is_ok() {
                ambiguous(&shared);
            }
            Err("injected: dropped after forwarding".into())
        }
        Some(Fault::Timeout) => {
            let done = shared.forward(parts, body).await;
            if done.is_ok() {
                ambiguous(&shared);
            }
            tokio::time::sleep(plan.timeout).await;
            done
        }
        Some(Fault::Latency) => {
            tokio::time::sleep(plan.latency).await;
            shared.forward(parts, body).await
        }
    }
}
