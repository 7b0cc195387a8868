//! A minimal local Lambda Runtime API, for `make bench`: a release binary is spawned
//! against it exactly as Lambda starts a function (`AWS_LAMBDA_RUNTIME_API`), and it
//! records when the process was spawned, when it first asked for an event (the end
//! of its init), and how long each invocation took from the event being handed over
//! to the answer arriving.
//!
//! Only what `lambda_runtime` uses is served: `GET …/invocation/next`,
//! `POST …/invocation/{id}/response`, `POST …/invocation/{id}/error` and
//! `POST …/init/error`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Notify, mpsc, oneshot};

const PREFIX: &str = "/2018-06-01/runtime";

/// How an invocation ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// `…/response` with this body.
    Response(serde_json::Value),
    /// `…/error` with this body.
    Error(serde_json::Value),
}

/// One finished invocation.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// From the event being handed over to the answer arriving.
    pub duration: Duration,
    /// What the function answered.
    pub outcome: Outcome,
}

/// Where an invocation's answer goes: when the event was handed over, when the
/// answer arrived, and the answer.
type Waiting = oneshot::Sender<(Instant, Instant, Outcome)>;

struct State {
    events: tokio::sync::Mutex<mpsc::Receiver<(serde_json::Value, Waiting)>>,
    in_flight: Mutex<HashMap<String, (Instant, Waiting)>>,
    first_poll: Mutex<Option<Instant>>,
    init_error: Mutex<Option<String>>,
    polled: Notify,
    next_id: AtomicU64,
}

/// A Runtime API serving one function process.
pub struct RuntimeApi {
    address: SocketAddr,
    state: Arc<State>,
    sender: mpsc::Sender<(serde_json::Value, Waiting)>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl RuntimeApi {
    /// Serves on a free loopback port.
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let address = listener.local_addr()?;
        let (sender, receiver) = mpsc::channel(1);
        let state = Arc::new(State {
            events: tokio::sync::Mutex::new(receiver),
            in_flight: Mutex::new(HashMap::new()),
            first_poll: Mutex::new(None),
            init_error: Mutex::new(None),
            polled: Notify::new(),
            next_id: AtomicU64::new(0),
        });
        let serving = state.clone();
        let server = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = serving.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let state = state.clone();
                        async move { Ok::<_, std::convert::Infallible>(serve(&state, request).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self {
            address,
            state,
            sender,
            server,
        })
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.address.to_string()
    }

    /// When the function first asked for an event, waiting up to `timeout`; the
    /// function's own init error if it reported one instead.
    pub async fn first_poll(&self, timeout: Duration) -> Result<Instant, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let notified = self.state.polled.notified();
            if let Some(at) = *lock(&self.state.first_poll) {
                return Ok(at);
            }
            if let Some(error) = lock(&self.state.init_error).clone() {
                return Err(format!("init error: {error}"));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err("the function never asked for an event".into());
            }
            let _ = tokio::time::timeout(left, notified).await;
        }
    }

    /// Hands `event` to the function's next poll and waits (up to `timeout`) for its answer.
    pub async fn invoke(
        &self,
        event: serde_json::Value,
        timeout: Duration,
    ) -> Result<Invocation, String> {
        let (done, answer) = oneshot::channel();
        self.sender
            .send((event, done))
            .await
            .map_err(|_| "the runtime API stopped".to_string())?;
        let waited = tokio::time::timeout(timeout, answer).await;
        let (handed_over, answered, outcome) = waited
            .map_err(|_| format!("no answer within {timeout:?}"))?
            .map_err(|_| "the invocation was dropped".to_string())?;
        Ok(Invocation {
            duration: answered.saturating_duration_since(handed_over),
            outcome,
        })
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response
}

async fn serve(state: &State, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_string();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return text(StatusCode::NOT_FOUND, "not a runtime API path");
    };
    if request.method() == hyper::Method::GET && rest == "/invocation/next" {
        return next(state).await;
    }
    let body = match request.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => return text(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let json = serde_json::from_slice(&body)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&body).into()));
    if rest == "/init/error" {
        *lock(&state.init_error) = Some(json.to_string());
        state.polled.notify_waiters();
        return text(StatusCode::ACCEPTED, "{}");
    }
    let Some((id, kind)) = rest
        .strip_prefix("/invocation/")
        .and_then(|r| r.split_once('/'))
    else {
        return text(StatusCode::NOT_FOUND, "unknown runtime API path");
    };
    let outcome = match kind {
        "response" => Outcome::Response(json),
        "error" => Outcome::Error(json),
        _ => return text(StatusCode::NOT_FOUND, "unknown invocation path"),
    };
    let answered = Instant::now();
    match lock(&state.in_flight).remove(id) {
        Some((started, waiting)) => {
            let _ = waiting.send((started, answered, outcome));
            text(StatusCode::ACCEPTED, "{}")
        }
        None => text(StatusCode::BAD_REQUEST, "no such invocation"),
    }
}

/// `GET …/invocation/next`: waits for an event and hands it over with the headers
/// `lambda_runtime` reads.
async fn next(state: &State) -> Response<Full<Bytes>> {
    {
        let mut first = lock(&state.first_poll);
        if first.is_none() {
            *first = Some(Instant::now());
        }
    }
    state.polled.notify_waiters();
    let received = state.events.lock().await.recv().await;
    let Some((event, waiting)) = received else {
        return text(StatusCode::GONE, "shutting down");
    };
    let id = format!(
        "bench-{:08}",
        state.next_id.fetch_add(1, Ordering::Relaxed) + 1
    );
    let deadline = jiff::Timestamp::now().as_millisecond() + 10_000;
    lock(&state.in_flight).insert(id.clone(), (Instant::now(), waiting));
    let mut response = text(StatusCode::OK, &event.to_string());
    let headers = response.headers_mut();
    for (name, value) in [
        ("lambda-runtime-aws-request-id", id),
        ("lambda-runtime-deadline-ms", deadline.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:ap-southeast-3:123456789012:function:bench".into(),
        ),
        (
            "lambda-runtime-trace-id",
            "Root=1-00000000-000000000000000000000000;Sampled=0".into(),
        ),
        ("content-type", "application/json".into()),
    ] {
        if let Ok(value) = hyper::header::HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}

/// A function process started against its own [`RuntimeApi`].
pub struct Spawned {
    /// The Runtime API it talks to.
    pub api: RuntimeApi,
    /// The process.
    pub child: tokio::process::Child,
    /// Just before the process was spawned.
    pub spawned_at: Instant,
}

impl Spawned {
    /// Starts `binary` with only `environment` (plus `AWS_LAMBDA_RUNTIME_API`), its
    /// output discarded, as Lambda starts a `provided.al2023` function.
    pub async fn start(
        binary: &Path,
        environment: &HashMap<String, String>,
    ) -> Result<Self, String> {
        let api = RuntimeApi::start().await.map_err(|e| e.to_string())?;
        let mut command = tokio::process::Command::new(binary);
        command
            .env_clear()
            .envs(environment)
            .env("AWS_LAMBDA_RUNTIME_API", api.address())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        let spawned_at = Instant::now();
        let child = command
            .spawn()
            .map_err(|e| format!("{}: {e}", binary.display()))?;
        Ok(Self {
            api,
            child,
            spawned_at,
        })
    }

    /// Spawn to first poll: the function's init.
    pub async fn init_duration(&self) -> Result<Duration, String> {
        let polled = self.api.first_poll(Duration::from_secs(20)).await?;
        Ok(polled.saturating_duration_since(self.spawned_at))
    }

    /// CPU time the process has used so far, all its threads, user and kernel
    /// (`/proc/<pid>/task/*/schedstat`, in nanoseconds): its own work, without the
    /// time it spent waiting on the network.
    pub fn cpu_time(&self) -> Option<Duration> {
        let pid = self.child.id()?;
        let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
        let mut total = 0u64;
        for task in tasks.flatten() {
            let stat = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
            total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
        }
        Some(Duration::from_nanos(total))
    }

    /// A memory figure of the process from `/proc/<pid>/status`, in kB: `VmHWM` (peak
    /// resident), `RssFile` (pages of the binary and libraries), `RssAnon` (heap, stacks).
    pub fn memory_kb(&self, field: &str) -> Option<u64> {
        let pid = self.child.id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// Kills the process and waits for it.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}
