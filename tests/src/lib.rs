//! Test harness for Sigap's integration and end-to-end tests.
//!
//! - [`moto_endpoint`] starts one moto server per test process on a free loopback
//!   port, the first time a test asks. It is stopped when the process exits, however
//!   it exits: moto runs under a tiny shell guardian that kills it when our end of its
//!   stdin pipe closes.
//! - [`stack`] provisions the resources of `infra/template.yaml` under a unique prefix,
//!   so tests run in parallel without seeing each other's data.
//!
//! moto is found at `$MOTO_SERVER`, else `<workspace>/.venv/bin/moto_server` (what
//! `make venv` installs), else `moto_server` on `PATH`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test support: fail loudly

pub mod calls;
pub mod faults;
pub mod runtime_api;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use aws_config::Region;
use bytes::Bytes;
use devstack::provision::{Stack, provision};
use devstack::template::Template;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use sigap::runtime::aws::{AwsClients, sdk_config_loader};
use sigap::runtime::clock::Clock;
use sigap::runtime::ids::IdGenerator;

/// The workspace root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The real template text.
pub fn template_text() -> String {
    std::fs::read_to_string(workspace().join("infra/template.yaml"))
        .expect("read infra/template.yaml")
}

fn moto_binary() -> PathBuf {
    if let Ok(path) = std::env::var("MOTO_SERVER") {
        return PathBuf::from(path);
    }
    let venv = workspace().join(".venv/bin/moto_server");
    if venv.exists() {
        return venv;
    }
    PathBuf::from("moto_server")
}

/// The guardian, held (with its stdin pipe open) for the life of the test process.
static MOTO_GUARD: Mutex<Option<Child>> = Mutex::new(None);
static MOTO: OnceLock<String> = OnceLock::new();

/// The endpoint of this process's moto, started on first use.
pub fn moto_endpoint() -> &'static str {
    MOTO.get_or_init(|| {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let binary = moto_binary();
        // The guardian waits for EOF on stdin (our process exiting), then stops moto.
        let script =
            r#""$0" -H 127.0.0.1 -p "$1" >/dev/null 2>&1 & pid=$!; cat >/dev/null; kill $pid"#;
        let guardian = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(&binary)
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start moto ({}): {e}; run `make venv`",
                    binary.display()
                )
            });
        *MOTO_GUARD.lock().unwrap() = Some(guardian);
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let started = Instant::now();
        while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto ({}) did not start on port {port}; run `make venv`",
                binary.display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        format!("http://127.0.0.1:{port}")
    })
}

/// The `p` percentile (0.0–1.0) of sorted durations, in milliseconds (benches).
pub fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// AWS clients pointed at this process's moto, with explicit test credentials.
pub async fn clients() -> AwsClients {
    AwsClients::new(&sdk_config().await)
}

/// AWS clients pointed at `endpoint` (a [`faults::FaultProxy`] in front of moto); the
/// SNS client tells devstack's crash plan what it sent ([`calls::SentWitness`]).
pub async fn clients_at(endpoint: &str) -> AwsClients {
    let config = sdk_config_at(endpoint).await;
    AwsClients {
        sns: aws_sdk_sns::Client::from_conf(
            aws_sdk_sns::config::Builder::from(&config)
                .interceptor(calls::SentWitness)
                .build(),
        ),
        ..AwsClients::new(&config)
    }
}

/// The SDK configuration pointed at this process's moto.
pub async fn sdk_config() -> aws_config::SdkConfig {
    sdk_config_at(moto_endpoint()).await
}

/// The SDK configuration pointed at `endpoint`, with Sigap's timeouts and retries.
pub async fn sdk_config_at(endpoint: &str) -> aws_config::SdkConfig {
    sdk_config_loader()
        .endpoint_url(endpoint)
        .region(Region::new("ap-southeast-3"))
        .test_credentials()
        .load()
        .await
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A resource-name prefix no other test in any process uses.
pub fn unique_prefix(name: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let short: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(12)
        .collect();
    format!("t{}-{short}-{n}-{nanos:x}-", std::process::id())
}

/// Resources of the real template, isolated for one test.
pub struct TestStack {
    /// Clients pointed at moto.
    pub clients: AwsClients,
    /// Physical names.
    pub stack: Stack,
    /// The table name.
    pub table: String,
    /// The intake queue URL.
    pub intake_url: String,
    /// The notify queue URL.
    pub notify_url: String,
    /// The staff topic ARN.
    pub staff_topic_arn: String,
    /// The supervisors' SLA alerts topic ARN.
    pub sla_alerts_topic_arn: String,
}

/// Provisions `template` (normally [`template_text`]) and seeds the catalog.
pub async fn stack_from(name: &str, template: &str) -> TestStack {
    let clients = clients().await;
    let template = Template::parse(template).unwrap();
    let stack = provision(&template, &clients, &unique_prefix(name))
        .await
        .unwrap();
    let table = stack.table_name().unwrap().to_string();
    devstack::seed(&clients, &table).await.unwrap();
    let intake_url = stack.queue("IntakeQueue").unwrap().url.clone();
    let notify_url = stack.queue("NotifyQueue").unwrap().url.clone();
    let staff_topic_arn = stack.topics["StaffTopic"].clone();
    let sla_alerts_topic_arn = stack.topics["SlaAlertsTopic"].clone();
    TestStack {
        clients,
        stack,
        table,
        intake_url,
        notify_url,
        staff_topic_arn,
        sla_alerts_topic_arn,
    }
}

/// Provisions the real template for one test.
pub async fn stack(name: &str) -> TestStack {
    stack_from(name, &template_text()).await
}

/// Starts devstack on a free port against this process's moto.
pub async fn devstack(
    name: &str,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    background: bool,
) -> devstack::Running {
    devstack_with(name, clients().await, clock, ids, background, None).await
}

/// Starts devstack on a free port with its functions using `clients` (e.g. through a
/// [`faults::FaultProxy`]), cutting invocations off as `crashes` plans.
pub async fn devstack_with(
    name: &str,
    clients: AwsClients,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    background: bool,
    crashes: Option<Arc<devstack::crashes::CrashPlan>>,
) -> devstack::Running {
    devstack::start(devstack::Options {
        template: template_text(),
        prefix: unique_prefix(name),
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        clients,
        clock,
        ids,
        background,
        dev_clock: None,
        crashes,
    })
    .await
    .unwrap()
}

/// Enrols device `id` (with a fresh phone) in `running`'s table as devstack's panic
/// tool does, and returns its signing secret.
pub async fn enrolled_device(running: &devstack::Running, id: &str) -> String {
    let phone = sigap::domain::contact::PhoneNumber::parse(&unique_phone()).unwrap();
    let devices = sigap::adapters::incidents::DeviceStore::new(
        clients().await.dynamodb.clone(),
        running.stack.table_name().unwrap(),
    );
    devstack::panic_tool::register_active_device(
        &devices,
        &devstack::provision::dev_secret("/sigap/device-key"),
        &devstack::provision::dev_secret("/sigap/sender-hash-key"),
        id,
        &phone,
    )
    .await
    .unwrap()
}

/// Builds an API Gateway HTTP API (v2) request the way Lambda delivers it.
pub fn api_request(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> lambda_http::Request {
    lambda_http::request::from_str(&api_event(method, path, headers, body).to_string()).unwrap()
}

/// The API Gateway HTTP API (v2) event of [`api_request`], as JSON (what a function
/// process reads from the Runtime API).
pub fn api_event(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> serde_json::Value {
    let headers: serde_json::Map<String, serde_json::Value> = headers
        .iter()
        .map(|(k, v)| (k.to_lowercase(), serde_json::json!(v)))
        .collect();
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut event = serde_json::json!({
        "version": "2.0",
        "routeKey": format!("{method} {path}"),
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012", "apiId": "test", "domainName": "test.local",
            "domainPrefix": "test", "requestId": "req", "routeKey": format!("{method} {path}"),
            "stage": "$default", "time": "28/Nov/2026:00:00:00 +0000", "timeEpoch": 0,
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "198.51.100.7", "userAgent": "test"}
        },
        "isBase64Encoded": false
    });
    if let Some(body) = body {
        event["body"] = serde_json::json!(body);
    }
    if !query.is_empty() {
        event["queryStringParameters"] = query_parameters(query);
    }
    event
}

/// A query string as API Gateway passes it to Lambda: decoded, one value per name
/// (repeated names joined with commas).
fn query_parameters(query: &str) -> serde_json::Value {
    let mut params = serde_json::Map::new();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        let joined = match params.get(k.as_ref()).and_then(|old| old.as_str()) {
            Some(old) => format!("{old},{v}"),
            None => v.into_owned(),
        };
        params.insert(k.into_owned(), serde_json::json!(joined));
    }
    serde_json::Value::Object(params)
}

/// An HTTP response read whole: status, headers, body parsed as JSON (or `Null`).
pub struct HttpReply {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: hyper::HeaderMap,
    /// Body as JSON.
    pub json: serde_json::Value,
    /// Body as text (invalid UTF-8 replaced), for XML and HTML answers.
    pub text: String,
}

/// Reads a `lambda_http` response the handler returned.
pub fn reply(response: lambda_http::Response<lambda_http::Body>) -> HttpReply {
    let (parts, body) = response.into_parts();
    let bytes: &[u8] = body.as_ref();
    HttpReply {
        status: parts.status.as_u16(),
        headers: parts.headers,
        json: serde_json::from_slice(bytes).unwrap_or(serde_json::Value::Null),
        text: String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Sends a real HTTP request (to devstack) and reads the reply.
pub async fn http(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> HttpReply {
    http_bytes(method, url, headers, body.unwrap_or_default().as_bytes()).await
}

/// One HTTP request whose body is any bytes (not necessarily UTF-8).
pub async fn http_bytes(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> HttpReply {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = hyper::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let request = request
        .body(Full::new(Bytes::copy_from_slice(body)))
        .unwrap();
    let response = client.request(request).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    HttpReply {
        status,
        headers,
        json: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        text: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// Every item in the table whose partition key starts with `prefix` (tests only:
/// request paths never scan).
pub async fn items_with_pk_prefix(
    clients: &AwsClients,
    table: &str,
    prefix: &str,
) -> Vec<sigap::adapters::table::Item> {
    let pages: Vec<_> = clients
        .dynamodb
        .scan()
        .table_name(table)
        .filter_expression("begins_with(PK, :p)")
        .expression_attribute_values(
            ":p",
            aws_sdk_dynamodb::types::AttributeValue::S(prefix.into()),
        )
        .into_paginator()
        .items()
        .send()
        .collect()
        .await;
    pages.into_iter().map(Result::unwrap).collect()
}

/// Takes (receives and deletes) up to ten messages from a queue, waiting up to a
/// second for the first; returns their bodies.
pub async fn take_messages(clients: &AwsClients, url: &str) -> Vec<String> {
    let out = clients
        .sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap();
    let mut bodies = Vec::new();
    for message in out.messages() {
        bodies.push(message.body().unwrap_or_default().to_string());
        clients
            .sqs
            .delete_message()
            .queue_url(url)
            .receipt_handle(message.receipt_handle().unwrap())
            .send()
            .await
            .unwrap();
    }
    bodies
}

/// Takes every message from a queue until a receive comes back empty.
pub async fn drain(clients: &AwsClients, url: &str) -> Vec<String> {
    let mut all = Vec::new();
    loop {
        let batch = take_messages(clients, url).await;
        if batch.is_empty() {
            return all;
        }
        all.extend(batch);
    }
}

/// A fresh queue subscribed to `topic_arn` with raw delivery (what a subscriber
/// receives), filtered on the `agency` attribute when `agency` is given.
pub async fn subscriber(clients: &AwsClients, topic_arn: &str, agency: Option<&str>) -> String {
    subscriber_filtered(
        clients,
        topic_arn,
        agency.map(|agency| serde_json::json!({ "agency": [agency] })),
    )
    .await
}

/// A fresh queue subscribed to `topic_arn` with raw delivery and, when given, a
/// filter policy on message attributes (how responders' channels subscribe).
pub async fn subscriber_filtered(
    clients: &AwsClients,
    topic_arn: &str,
    filter_policy: Option<serde_json::Value>,
) -> String {
    let name = format!("{}sub", unique_prefix("subscriber"));
    let url = clients
        .sqs
        .create_queue()
        .queue_name(&name)
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let mut subscribe = clients
        .sns
        .subscribe()
        .topic_arn(topic_arn)
        .protocol("sqs")
        .endpoint(format!("arn:aws:sqs:ap-southeast-3:123456789012:{name}"))
        .attributes("RawMessageDelivery", "true");
    if let Some(policy) = filter_policy {
        subscribe = subscribe.attributes("FilterPolicy", policy.to_string());
    }
    subscribe.send().await.unwrap();
    url
}

/// Messages currently visible on a queue (approximate, as SQS reports it).
pub async fn visible_messages(clients: &AwsClients, url: &str) -> i64 {
    let out = clients
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .unwrap();
    out.attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages))
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1)
}

static PHONES: AtomicU64 = AtomicU64::new(0);

/// A phone number no other test in this process uses (moto's SMS log is shared).
pub fn unique_phone() -> String {
    let n = PHONES.fetch_add(1, Ordering::Relaxed);
    format!(
        "0813{:08}",
        (u64::from(std::process::id()) * 1000 + n) % 100_000_000
    )
}

/// The SMS texts moto recorded as sent to `phone` (any Indonesian form), oldest first.
pub async fn sent_sms(phone: &str) -> Vec<String> {
    let e164 = sigap::domain::contact::PhoneNumber::parse(phone)
        .unwrap()
        .as_e164()
        .to_string();
    all_sent_sms()
        .await
        .into_iter()
        .filter(|(to, _)| *to == e164)
        .map(|(_, text)| text)
        .collect()
}

/// Every SMS moto recorded as sent in this process: (E.164 number, text), oldest first.
pub async fn all_sent_sms() -> Vec<(String, String)> {
    // moto serialises its whole state for this; while other tests write to it the
    // dump can fail ("changed size during iteration"), so ask again until it parses.
    let url = format!("{}/moto-api/data.json", moto_endpoint());
    let mut data = http("GET", &url, &[], None).await;
    for _ in 0..20 {
        if data.status == 200 && data.json["sns"].is_object() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        data = http("GET", &url, &[], None).await;
    }
    assert!(
        data.json["sns"].is_object(),
        "moto's state dump failed: {}",
        data.status
    );
    data.json["sns"]["SMS"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter_map(|m| {
                    Some((
                        m["phone_number"].as_str()?.to_string(),
                        m["message"].as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Everything logged through `tracing` in this test process (installed on first use).
pub fn captured_logs() -> String {
    static BUFFER: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    let buffer = BUFFER.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .json()
            .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
            .with_writer(move || LogWriter(sink.clone()))
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        buffer
    });
    String::from_utf8_lossy(&buffer.lock().unwrap()).to_string()
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A staff request as API Gateway delivers it after its JWT authorizer accepted a
/// token of `subject` in `groups` (for calling the backoffice handler in-process).
pub fn staff_request(
    method: &str,
    path: &str,
    subject: &str,
    groups: &[&str],
    body: Option<&str>,
) -> lambda_http::Request {
    lambda_http::request::from_str(&staff_event(method, path, subject, groups, body).to_string())
        .unwrap()
}

/// The event of [`staff_request`], as JSON.
pub fn staff_event(
    method: &str,
    path: &str,
    subject: &str,
    groups: &[&str],
    body: Option<&str>,
) -> serde_json::Value {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut full = serde_json::json!({
        "version": "2.0",
        "routeKey": format!("{method} {path}"),
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "test", "domainName": "test.local",
            "domainPrefix": "test", "requestId": "req", "routeKey": format!("{method} {path}"),
            "stage": "$default", "time": "28/Nov/2026:00:00:00 +0000", "timeEpoch": 0,
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "198.51.100.9", "userAgent": "test"},
            "authorizer": {"jwt": {"claims": {"sub": subject, "cognito:groups": format!("[{}]", groups.join(" "))}}}
        },
        "isBase64Encoded": false
    });
    if let Some(body) = body {
        full["body"] = serde_json::json!(body);
    }
    if !query.is_empty() {
        full["rawQueryString"] = serde_json::json!(query);
        full["queryStringParameters"] = query_parameters(query);
    }
    full
}

/// A Twilio inbound-SMS webhook (`form`, signed with `signature`) as API Gateway
/// passes it on for a request to `https://{host}/sms/twilio`.
pub fn twilio_event(host: &str, signature: &str, form: &str) -> serde_json::Value {
    api_event(
        "POST",
        "/sms/twilio",
        &[
            ("host", host),
            ("x-forwarded-proto", "https"),
            ("content-type", "application/x-www-form-urlencoded"),
            ("x-twilio-signature", signature),
        ],
        Some(form),
    )
}

/// The headers a device (`device`) or the SMS gateway (`None`) sends with a `body`
/// signed now with `secret`.
pub fn signed_headers(
    secret: &str,
    device: Option<&str>,
    body: &str,
) -> Vec<(&'static str, String)> {
    let timestamp = jiff::Timestamp::now().as_second();
    let mut headers = vec![
        ("content-type", "application/json".to_string()),
        ("x-sigap-timestamp", timestamp.to_string()),
        (
            "x-sigap-signature",
            sigap::domain::signature::gateway_signature(secret, timestamp, body.as_bytes()),
        ),
    ];
    if let Some(device) = device {
        headers.push(("x-sigap-device", device.to_string()));
    }
    headers
}

/// Where `make bench`'s programs leave their figures as JSON (`target/bench`), so
/// the last one can print them all in one report.
pub mod bench_figures {
    use std::path::PathBuf;

    /// `target/bench/<name>.json`.
    pub fn path(name: &str) -> PathBuf {
        super::workspace()
            .join("target/bench")
            .join(format!("{name}.json"))
    }

    /// Writes one program's figures.
    pub fn write(name: &str, figures: &serde_json::Value) {
        let path = path(name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(&path, serde_json::to_string_pretty(figures).unwrap()).unwrap();
        eprintln!("figures written to {}", path.display());
    }

    /// Prints one program's report and writes it, with its `figures` (a JSON object),
    /// for the last program to gather.
    pub fn publish(name: &str, report: &[String], mut figures: serde_json::Value) {
        for line in report {
            println!("{line}");
        }
        figures["report"] = serde_json::json!(report);
        write(name, &figures);
    }

    /// Reads one program's figures, if it ran.
    pub fn read(name: &str) -> Option<serde_json::Value> {
        let text = std::fs::read_to_string(path(name)).ok()?;
        serde_json::from_str(&text).ok()
    }
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
