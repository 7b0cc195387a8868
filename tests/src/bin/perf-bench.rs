//! `make bench`, every function as Lambda runs it, and the report of every figure.
//!
//! Each release binary (the bytes `make build` zips) is spawned against a local
//! Lambda Runtime API (`sigap_tests::runtime_api`) with its template environment and
//! moto behind `AWS_ENDPOINT_URL`: init is spawn → first poll for an event (median of
//! 20 spawns), then one process takes a first event and 100 more (warm), and its
//! peak RSS is read. The hello-world `lambda_runtime` binary, built with the same
//! profile in the same `make bench`, is measured the same way. AWS calls per
//! operation are counted by an SDK interceptor on the in-process functions. The SLA,
//! panic and load benches run first and leave their figures in `target/bench`; this
//! prints them all and writes `target/bench/bench.json`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_sqs::types::MessageSystemAttributeName;
use devstack::template::{EventSpec, Template};
use serde_json::{Value, json};
use sigap::adapters::incidents::IncidentStore;
use sigap::domain::incident::PagingPolicy;
use sigap::domain::signature::twilio_signature;
use sigap::runtime::clock::SystemClock;
use sigap::runtime::ids::OsRandom;
use sigap_tests::calls::{CallLog, counted_clients};
use sigap_tests::runtime_api::{Outcome, Spawned};
use sigap_tests::{
    api_event, bench_figures, clients, devstack_with, enrolled_device, http, moto_endpoint,
    signed_headers, staff_event, template_text, twilio_event, unique_phone, workspace,
};

/// Spawns whose init is measured, per binary.
const INIT_SPAWNS: usize = 20;
/// Warm invocations after the first, per binary.
const WARM_INVOKES: usize = 100;
/// Fresh processes whose first invocation is timed (the median is reported).
const FIRST_SPAWNS: usize = 5;
/// Events each function needs: a first one per fresh process, then the warm ones.
const EVENTS: usize = FIRST_SPAWNS + WARM_INVOKES;
/// Every function, in the order its events can be made (verify reads what web-intake
/// queued, escalate what panic scheduled).
const FUNCTIONS: [&str; 9] = [
    "web-intake",
    "sms-intake",
    "panic",
    "backoffice",
    "verify",
    "notify",
    "escalate",
    "sla-sweep",
    "media",
];
/// The baseline crate.
const HELLO: &str = "hello-world";
/// The template's memory size (Globals).
const MEMORY_MB: &str = "256";

/// One binary's figures.
struct Measured {
    init_ms: Vec<f64>,
    /// CPU time used by the end of init (its own work, no waiting on AWS).
    init_cpu_ms: Vec<f64>,
    first_ms: f64,
    warm_ms: Vec<f64>,
    peak_rss_kb: u64,
    /// Resident pages of the binary and libraries after the invocations.
    file_kb: u64,
    /// Resident heap and stacks after the invocations.
    anon_kb: u64,
    answers: BTreeMap<String, usize>,
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The release binaries `make build` packs (`cargo lambda build --compiler cargo`).
fn binary(name: &str) -> PathBuf {
    workspace()
        .join("target/x86_64-unknown-linux-gnu/release")
        .join(name)
}

/// A zip's size in MB, if that architecture was built.
fn zip_mb(lambda_dir: &str, name: &str) -> Option<f64> {
    let path = workspace()
        .join(lambda_dir)
        .join(name)
        .join("bootstrap.zip");
    std::fs::metadata(path)
        .ok()
        .map(|m| m.len() as f64 / 1_000_000.0)
}

/// What Lambda puts in every function's environment, with moto as the endpoint.
fn lambda_environment(function: &str) -> HashMap<String, String> {
    [
        ("AWS_LAMBDA_FUNCTION_NAME", function.to_string()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", MEMORY_MB.into()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{function}"),
        ),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "bench".into()),
        ("AWS_LAMBDA_LOG_FORMAT", "JSON".into()),
        ("AWS_LAMBDA_LOG_LEVEL", "INFO".into()),
        ("AWS_REGION", "ap-southeast-3".into()),
        ("AWS_DEFAULT_REGION", "ap-southeast-3".into()),
        ("AWS_ACCESS_KEY_ID", "test".into()),
        ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ("AWS_SESSION_TOKEN", "test".into()),
        ("AWS_ENDPOINT_URL", moto_endpoint().to_string()),
        ("LAMBDA_TASK_ROOT", "/var/task".into()),
        ("LAMBDA_RUNTIME_DIR", "/var/runtime".into()),
        ("TZ", ":UTC".into()),
        ("LANG", "en_US.UTF-8".into()),
        ("_HANDLER", "bootstrap".into()),
    ]
    .into_iter()
    // The knob to compare (`SIGAP_TRUST_ROOTS=system make bench`) reaches the functions.
    .chain(
        std::env::var("SIGAP_TRUST_ROOTS")
            .ok()
            .map(|v| ("SIGAP_TRUST_ROOTS", v)),
    )
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// How an answer is tallied: an HTTP status, the SQS items failed, or an error.
fn answer_kind(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Error(body) => format!("error {}", body["errorType"].as_str().unwrap_or("?")),
        Outcome::Response(body) => {
            if let Some(status) = body["statusCode"].as_u64() {
                format!("HTTP {status}")
            } else if let Some(failures) = body["batchItemFailures"].as_array() {
                if failures.is_empty() {
                    "batch ok".into()
                } else {
                    "batch item failed".into()
                }
            } else {
                "ok".into()
            }
        }
    }
}

/// Init over [`INIT_SPAWNS`] spawns; the first invocation of [`FIRST_SPAWNS`] fresh
/// processes; then [`WARM_INVOKES`] more invocations of the last one, and its peak RSS.
async fn measure(path: &Path, environment: &HashMap<String, String>, events: &[Value]) -> Measured {
    let (init_ms, init_cpu_ms) = init_spawns(path, environment).await;
    let mut answers = BTreeMap::new();
    let mut first_ms = Vec::new();
    let mut warm_ms = Vec::new();
    let mut events = events.iter();
    let mut last = None;
    for spawn in 0..FIRST_SPAWNS {
        let process = Spawned::start(path, environment).await.unwrap();
        process.init_duration().await.unwrap();
        let is_last = spawn + 1 == FIRST_SPAWNS;
        let warm = if is_last { WARM_INVOKES } else { 0 };
        for n in 0..=warm {
            let event = events.next().expect("an event for every invocation");
            let invocation = process
                .api
                .invoke(event.clone(), Duration::from_secs(30))
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            *answers.entry(answer_kind(&invocation.outcome)).or_insert(0) += 1;
            let list = if n == 0 { &mut first_ms } else { &mut warm_ms };
            list.push(ms(invocation.duration));
        }
        if is_last {
            last = Some(process);
        } else {
            process.stop().await;
        }
    }
    let process = last.expect("the last process");
    let peak_rss_kb = process.memory_kb("VmHWM").unwrap_or(0);
    let file_kb = process.memory_kb("RssFile").unwrap_or(0);
    let anon_kb = process.memory_kb("RssAnon").unwrap_or(0);
    process.stop().await;
    Measured {
        init_ms,
        init_cpu_ms,
        first_ms: median(&first_ms),
        warm_ms,
        peak_rss_kb,
        file_kb,
        anon_kb,
        answers,
    }
}

/// Spawn to first poll, and the CPU time used by then, [`INIT_SPAWNS`] times, each
/// process killed once it polls.
async fn init_spawns(path: &Path, environment: &HashMap<String, String>) -> (Vec<f64>, Vec<f64>) {
    let (mut wall, mut cpu) = (Vec::new(), Vec::new());
    for _ in 0..INIT_SPAWNS {
        let process = Spawned::start(path, environment).await.unwrap();
        let init = process.init_duration().await;
        cpu.push(ms(process.cpu_time().unwrap_or_default()));
        process.stop().await;
        wall.push(ms(
            init.unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        ));
    }
    (wall, cpu)
}

/// Receives `n` messages from a queue whose body contains `kind` (waiting for
/// delayed ones), each as the SQS event Lambda would send for a batch of one. Other
/// messages stay hidden for the rest of the run.
async fn queue_events(url: &str, arn: &str, kind: &str, n: usize) -> Vec<Value> {
    let sqs = clients().await.sqs;
    let mut events = Vec::new();
    let started = std::time::Instant::now();
    while events.len() < n {
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "{url}: only {} of {n} messages arrived",
            events.len()
        );
        let received = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .visibility_timeout(3600)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await
            .unwrap();
        for message in received
            .messages()
            .iter()
            .filter(|m| m.body().is_some_and(|b| b.contains(kind)))
        {
            events.push(devstack::sources::sqs_event(
                std::slice::from_ref(message),
                arn,
                "ap-southeast-3",
            ));
        }
    }
    events.truncate(n);
    events
}

/// `n` photos uploaded through devstack's API as a phone would (a slot, then the
/// POST to the bucket), five to a report; their notifications wait on the media queue.
async fn upload_photos(running: &devstack::Running, n: usize) {
    let base = &running.base_url;
    let photo = imaging::samples::phone_jpeg(
        &imaging::samples::street_scene(1600, 1200, 3),
        imaging::samples::Shot::GEDUNG_SATE,
    );
    let json = [("content-type", "application/json")];
    for r in 0..n.div_ceil(5) {
        let body = report_body(10_000 + r);
        let created = http("POST", &format!("{base}/reports"), &json, Some(&body)).await;
        assert_eq!(created.status, 201, "{}", created.text);
        let id = created.json["tracking_id"].as_str().unwrap().to_string();
        let token = created.json["reporter_token"].as_str().unwrap().to_string();
        for _ in 0..5 {
            let slot = http(
                "POST",
                &format!("{base}/reports/{id}/photos"),
                &[("x-reporter-token", &token)],
                None,
            )
            .await;
            assert_eq!(slot.status, 201, "{}", slot.text);
            let posted = sigap_tests::upload_to_slot(&slot.json, &photo, "image/jpeg").await;
            assert!(posted.status < 300, "{}", posted.text);
        }
    }
}

fn report_body(n: usize) -> String {
    json!({
        "title": format!("Jalan berlubang di Dago ({n})"),
        "description": format!("Lubang besar di depan sekolah nomor {n}, membahayakan pengendara motor."),
        "category": "jalan-rusak",
        "location": {"lat": -6.885, "lon": 107.613, "address": "Jl. Ir. H. Juanda", "kecamatan": "Coblong"},
        "contact": {"name": "Siti", "phone": unique_phone()},
        "anonymous": false
    })
    .to_string()
}

fn web_report_event(n: usize) -> Value {
    let body = report_body(n);
    let key = format!("bench-{}-{n}", std::process::id());
    api_event(
        "POST",
        "/reports",
        &[
            ("content-type", "application/json"),
            ("idempotency-key", &key),
        ],
        Some(&body),
    )
}

/// The form of SMS report `tag` and its Twilio signature for `url`.
fn sms_report_form(twilio_token: &str, tag: &str, url: &str) -> (String, String) {
    let params: Vec<(String, String)> = [
        (
            "AccountSid",
            "AC00000000000000000000000000000000".to_string(),
        ),
        (
            "Body",
            format!("BDG Jalan berlubang besar di Jl. Dago nomor {tag}"),
        ),
        ("From", unique_phone()),
        ("MessageSid", format!("SMbench{}x{tag}", std::process::id())),
        ("NumMedia", "0".into()),
        ("NumSegments", "1".into()),
        ("To", "1708".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let key = sigap::domain::signature::TwilioKey::new(twilio_token).unwrap();
    let signature = twilio_signature(&key, url, &params);
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&params)
        .finish();
    (form, signature)
}

/// A Twilio webhook for SMS report `tag`, signed for the URL API Gateway would show.
fn sms_report_event(twilio_token: &str, tag: &str) -> Value {
    let host = "sigap.example.id";
    let url = format!("https://{host}/sms/twilio");
    let (form, signature) = sms_report_form(twilio_token, tag, &url);
    twilio_event(host, &signature, &form)
}

/// A press body and its signed headers from `device`, enrolled now (each new device
/// opens its own incident).
async fn signed_press(
    running: &devstack::Running,
    device: &str,
) -> (String, Vec<(&'static str, String)>) {
    let secret = enrolled_device(running, device).await;
    let body = json!({ "kind": "crime", "lat": -6.9025, "lon": 107.6188 }).to_string();
    let headers = signed_headers(
        &secret,
        sigap_tests::Signer::Device {
            id: device,
            method: "POST",
            path: "/panic/press",
        },
        &body,
    );
    (body, headers)
}

/// `(name, value)` pairs as the request builders take them.
fn borrowed<'a>(headers: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    headers.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// A press from device `n`, as API Gateway delivers it.
async fn press_event(running: &devstack::Running, n: usize) -> Value {
    let device = format!("{:024x}{n:08x}", std::process::id());
    let (body, headers) = signed_press(running, &device).await;
    api_event("POST", "/panic/press", &borrowed(&headers), Some(&body))
}

fn schedule_input(template: &Template, crate_name: &str) -> Value {
    template
        .functions
        .iter()
        .filter(|f| f.crate_name == crate_name)
        .flat_map(|f| &f.events)
        .find_map(|e| match e {
            EventSpec::Schedule { input, .. } => Some(input.clone()),
            _ => None,
        })
        .unwrap()
}

/// The representative events of one function: the first and the warm ones.
async fn events_for(
    crate_name: &str,
    running: &devstack::Running,
    template: &Template,
    twilio_token: &str,
) -> (String, Vec<Value>) {
    let n = EVENTS;
    let queue = |id: &str| running.stack.queue(id).unwrap().clone();
    match crate_name {
        "web-intake" => (
            "POST /reports, a new report each time".into(),
            (0..n).map(web_report_event).collect(),
        ),
        "sms-intake" => (
            "POST /sms/twilio, a new SMS report each time".into(),
            (0..n)
                .map(|i| sms_report_event(twilio_token, &i.to_string()))
                .collect(),
        ),
        "panic" => {
            let mut events = Vec::new();
            for i in 0..n {
                events.push(press_event(running, i).await);
            }
            (
                "POST /panic/press, each from its own device (opens and pages an incident)".into(),
                events,
            )
        }
        "backoffice" => (
            "GET /staff/queue as an admin".into(),
            (0..n)
                .map(|_| staff_event("GET", "/staff/queue", "admin-bench", &["admin"], None))
                .collect(),
        ),
        "verify" => {
            let q = queue("IntakeQueue");
            (
                "an intake message: triage of a new report".into(),
                queue_events(&q.url, &q.arn, "report_id", n).await,
            )
        }
        "notify" => {
            let q = queue("NotifyQueue");
            (
                "a notify message: the \"received\" SMS to a reporter".into(),
                queue_events(&q.url, &q.arn, r#""kind":"received""#, n).await,
            )
        }
        "escalate" => {
            let q = queue("EscalationQueue");
            (
                "a due tick: tier 0 unanswered, page tier 1".into(),
                queue_events(&q.url, &q.arn, "incident_id", n).await,
            )
        }
        "sla-sweep" => (
            "the scheduled sweep (nothing due)".into(),
            (0..n)
                .map(|_| schedule_input(template, "sla-sweep"))
                .collect(),
        ),
        "media" => {
            upload_photos(running, n).await;
            let q = queue("MediaQueue");
            (
                "an uploaded 2 MP phone JPEG: checked, stripped, copied, recorded".into(),
                queue_events(&q.url, &q.arn, "ObjectCreated", n).await,
            )
        }
        other => panic!("perf-bench has no representative event for {other}: add one"),
    }
}

#[tokio::main]
async fn main() {
    let log = CallLog::default();
    let running = devstack_with(
        "bench-perf",
        counted_clients(&log).await,
        Arc::new(SystemClock),
        Arc::new(OsRandom),
        false,
        None,
    )
    .await;
    let table = running.stack.table_name().unwrap().to_string();
    // Tier 0 answers within a second here, so the escalation ticks come due while
    // the bench runs (the default gives it a minute).
    IncidentStore::new(clients().await.dynamodb, &table)
        .put_policy(&PagingPolicy {
            ack_timeouts_s: vec![1, 90, 120],
            ..PagingPolicy::default()
        })
        .await
        .unwrap();
    let template = Template::parse(&template_text()).unwrap();
    let twilio_token = devstack::provision::dev_secret("/sigap/twilio-auth-token");

    calls_per_operation(&running, &log, &twilio_token, 0).await;
    let calls = calls_per_operation(&running, &log, &twilio_token, 1).await;
    // BENCH_ONLY=calls counts the AWS calls per operation and stops there (no release
    // build needed: the calls are the same in a debug one).
    if std::env::var("BENCH_ONLY").as_deref() == Ok("calls") {
        print_calls(&calls);
        return;
    }

    let hello = measure(
        &binary(HELLO),
        &lambda_environment(HELLO),
        &vec![json!({}); EVENTS],
    )
    .await;
    let hello_init = median(&hello.init_ms);
    let mut rows = Vec::new();
    // BENCH_ONLY=notify,verify measures only those (while trying a knob).
    let only = std::env::var("BENCH_ONLY").ok();
    let chosen = |name: &str| {
        only.as_deref()
            .is_none_or(|o| o.split(',').any(|n| n == name))
    };
    for name in FUNCTIONS.into_iter().filter(|n| chosen(n)) {
        let function = template
            .functions
            .iter()
            .find(|f| f.crate_name == name)
            .unwrap_or_else(|| panic!("the template has no function {name}"));
        let mut environment = lambda_environment(&function.logical_id);
        environment.extend(running.stack.environment(&function.environment).unwrap());
        let (event, events) = events_for(name, &running, &template, &twilio_token).await;
        eprintln!("measuring {name} ({event})");
        rows.push((
            name,
            event,
            measure(&binary(name), &environment, &events).await,
        ));
    }
    assert!(
        template
            .functions
            .iter()
            .all(|f| FUNCTIONS.contains(&f.crate_name.as_str())),
        "a template function is not measured"
    );
    report(&hello, hello_init, &rows, &calls);
}

/// One operation's AWS calls, as the interceptor saw them.
struct OperationCalls {
    name: &'static str,
    calls: Vec<String>,
    sequential: usize,
    minimum: &'static str,
}

/// The calls `log` holds as one operation's; the log is cleared for the next.
fn recorded(log: &CallLog, name: &'static str, minimum: &'static str) -> OperationCalls {
    let calls = OperationCalls {
        name,
        calls: log.calls().into_iter().map(|c| c.operation).collect(),
        sequential: log.sequential_depth(),
        minimum,
    };
    log.clear();
    calls
}

/// Runs each operation once through devstack (whose functions share `log`'s
/// clients) and records the calls it made; queues are read with other clients.
/// `round` keeps each run's reports and devices apart; the first round fills the
/// functions' caches (catalog, calendar, paging policy) as a warm function has them.
async fn calls_per_operation(
    running: &devstack::Running,
    log: &CallLog,
    twilio_token: &str,
    round: usize,
) -> Vec<OperationCalls> {
    let base = &running.base_url;
    let sqs = clients().await.sqs;
    let source = |function: &str| {
        running
            .queue_sources
            .iter()
            .find(|s| s.function == function)
            .unwrap_or_else(|| panic!("no queue source for {function}"))
    };
    let mut out = Vec::new();
    // What an earlier round left on the queues is handled first, uncounted.
    for function in ["VerifyFunction", "NotifyFunction"] {
        while devstack::sources::poll_once(&sqs, source(function), "ap-southeast-3", 0).await > 0 {}
    }
    let admin = running.token("admin-bench", &["admin"]);
    let agency = running.token("dsdabm-bench", &["agency:dsdabm"]);

    log.clear();
    let created = http(
        "POST",
        &format!("{base}/reports"),
        &[
            ("content-type", "application/json"),
            ("idempotency-key", &format!("bench-calls-{round}")),
        ],
        Some(&report_body(0)),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.json);
    let id = created.json["tracking_id"].as_str().unwrap().to_string();
    out.push(recorded(log, "submit a web report", MINIMUM_WEB_REPORT));

    assert_eq!(
        devstack::sources::poll_once(&sqs, source("VerifyFunction"), "ap-southeast-3", 5).await,
        1
    );
    out.push(recorded(
        log,
        "triage it (verify, one intake message)",
        MINIMUM_TRIAGE,
    ));

    assert!(
        devstack::sources::poll_once(&sqs, source("NotifyFunction"), "ap-southeast-3", 5).await
            >= 1
    );
    out.push(recorded(
        log,
        "text its receipt (notify, one message)",
        MINIMUM_NOTIFY,
    ));

    let (form, signature) = sms_report_form(
        twilio_token,
        &format!("calls{round}"),
        &format!("{base}/sms/twilio"),
    );
    let texted = http(
        "POST",
        &format!("{base}/sms/twilio"),
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("x-twilio-signature", &signature),
        ],
        Some(&form),
    )
    .await;
    assert_eq!(texted.status, 200, "{}", texted.text);
    out.push(recorded(
        log,
        "an SMS report (Twilio webhook)",
        MINIMUM_SMS_REPORT,
    ));

    let staff_post = |action: &str, token: &str, body: Option<Value>| {
        let url = format!("{base}/staff/reports/{id}/{action}");
        let authorization = format!("Bearer {token}");
        let body = body.map(|b| b.to_string());
        async move {
            let headers = [
                ("authorization", authorization.as_str()),
                ("content-type", "application/json"),
            ];
            let answer = http("POST", &url, &headers, body.as_deref()).await;
            assert_eq!(answer.status, 200, "{url}: {}", answer.json);
        }
    };
    staff_post("dispatch", &admin, Some(json!({"agencies": ["dsdabm"]}))).await;
    out.push(recorded(log, "verify + dispatch (admin)", MINIMUM_DISPATCH));

    staff_post("acknowledge", &agency, None).await;
    log.clear();
    staff_post(
        "follow-up",
        &agency,
        Some(json!({"text": "Lubang sudah ditambal."})),
    )
    .await;
    out.push(recorded(
        log,
        "publish a follow-up (agency)",
        MINIMUM_FOLLOW_UP,
    ));

    // One press per round (the first round read the paging policy into its cache).
    let device = format!("{:024x}c{round:08x}", std::process::id());
    let (body, headers) = signed_press(running, &device).await;
    let headers = borrowed(&headers);
    log.clear();
    let pressed = http(
        "POST",
        &format!("{base}/panic/press"),
        &headers,
        Some(&body),
    )
    .await;
    assert_eq!(pressed.status, 201, "{}", pressed.json);
    let (to_page, _) = log.sequential_until("SNS.Publish").unwrap();
    let mut press = recorded(log, "panic press to first page", MINIMUM_PRESS);
    // Only the calls up to the page are on the path; the rest follow the answer.
    press.calls.truncate(to_page);
    press.sequential = to_page;
    out.push(press);

    tokio::time::sleep(Duration::from_millis(1500)).await;
    let ticked =
        devstack::sources::poll_once(&sqs, source("EscalateFunction"), "ap-southeast-3", 5).await;
    assert_eq!(ticked, 1, "one incident, one due tick");
    out.push(recorded(
        log,
        "escalation tick (tier 0 unanswered: page tier 1)",
        MINIMUM_TICK,
    ));
    out
}

// The fewest calls the design allows for each operation (docs/performance.md).
const MINIMUM_WEB_REPORT: &str = "4: claim the key; count the address (after the claim, so a replay is never counted); one transaction (report, contact, triage entry, the key's answer); the intake message";
const MINIMUM_TRIAGE: &str = "5, 4 in a row: the report; reports nearby and the sender's (two keys, at once); one transaction; the receipt message";
const MINIMUM_NOTIFY: &str = "8, 5 in a row: report and contact (one BatchGetItem) with merged reports at once; claim the delivery; the SMS limits' three counts at once; publish; mark it sent";
const MINIMUM_SMS_REPORT: &str = "4: record the message (gateway retries); screen the sender (one item); one transaction; the intake message";
const MINIMUM_DISPATCH: &str = "4: the report with its timeline and contact (one Query of its partition); one transaction; the message; clear the outbox";
const MINIMUM_FOLLOW_UP: &str = "4: as verify + dispatch";
const MINIMUM_PRESS: &str = "2: one transaction (incident, device, dedup) then the page";
const MINIMUM_TICK: &str =
    "5, 4 in a row: the incident; one transaction; the page and the next tick at once; settle";
const MINIMUM_SWEEP: &str = "4 per due report (a re-read, one conditional transaction, its message, the outbox clear), plus the due-queue reads";

/// Prints the calls-per-operation table; the same rows as JSON.
fn print_calls(calls: &[OperationCalls]) -> Vec<Value> {
    println!(
        "AWS calls per operation (an SDK interceptor on the functions' clients, one run through devstack)"
    );
    println!();
    println!("| operation | AWS calls | one after another | design minimum | calls in order |");
    println!("|---|---:|---:|---|---|");
    let mut json_calls = Vec::new();
    for op in calls {
        println!(
            "| {} | {} | {} | {} | {} |",
            op.name,
            op.calls.len(),
            op.sequential,
            op.minimum,
            op.calls.join(", ")
        );
        json_calls.push(json!({
            "operation": op.name, "calls": op.calls.len(), "sequential": op.sequential,
            "minimum": op.minimum, "in_order": op.calls,
        }));
    }
    json_calls
}

/// A figure over a baseline, as `×n.nn`.
fn ratio(value: f64, baseline: f64) -> f64 {
    value / baseline
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

fn report(
    hello: &Measured,
    hello_init: f64,
    rows: &[(&str, String, Measured)],
    calls: &[OperationCalls],
) {
    let hello_rss = hello.peak_rss_kb;
    let hello_cpu = median(&hello.init_cpu_ms);
    let zip = |dir: &str, name: &str| {
        zip_mb(dir, name).map_or("not built".to_string(), |z| format!("{z:.2}"))
    };
    println!();
    println!(
        "Functions: release binaries (make build's) against a local Lambda Runtime API, moto behind AWS_ENDPOINT_URL; \
         init = spawn to first poll, median of {INIT_SPAWNS}; first invoke = median over {FIRST_SPAWNS} fresh processes; warm = median of the last one's next {WARM_INVOKES}; peak RSS after them"
    );
    println!();
    println!(
        "| function | init (ms) | init / hello | init CPU (ms) | CPU / hello | first invoke (ms) | warm invoke (ms) | first / warm | peak RSS (MB) | RSS / hello | binary + libs / heap (MB) | zip x86_64 (MB) | zip arm64 (MB) | answers |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    let mut json_rows = Vec::new();
    let all = std::iter::once((HELLO, String::from("{} -> {}"), hello))
        .chain(rows.iter().map(|(n, e, m)| (*n, e.clone(), m)));
    for (name, event, m) in all {
        let init = median(&m.init_ms);
        let warm = median(&m.warm_ms);
        let answers: Vec<String> = m.answers.iter().map(|(k, v)| format!("{v}× {k}")).collect();
        let cpu = median(&m.init_cpu_ms);
        println!(
            "| {name} | {init:.1} | {:.2} | {cpu:.2} | {:.2} | {:.1} | {warm:.1} | {:.2} | {:.1} | {:.2} | {:.1} / {:.1} | {} | {} | {} |",
            ratio(init, hello_init),
            ratio(cpu, hello_cpu),
            m.first_ms,
            ratio(m.first_ms, warm),
            mb(m.peak_rss_kb),
            ratio(m.peak_rss_kb as f64, hello_rss as f64),
            mb(m.file_kb),
            mb(m.anon_kb),
            zip("target/lambda", name),
            zip("target/lambda-arm64", name),
            answers.join(", "),
        );
        json_rows.push(json!({
            "function": name,
            "event": event,
            "init_ms_median": init,
            "init_ms": m.init_ms,
            "init_ratio_to_hello": ratio(init, hello_init),
            "init_cpu_ms_median": cpu,
            "init_cpu_ms": m.init_cpu_ms,
            "init_cpu_ratio_to_hello": ratio(cpu, hello_cpu),
            "first_invoke_ms": m.first_ms,
            "warm_invoke_ms_median": warm,
            "first_to_warm": ratio(m.first_ms, warm),
            "peak_rss_mb": mb(m.peak_rss_kb),
            "peak_rss_ratio_to_hello": ratio(m.peak_rss_kb as f64, hello_rss as f64),
            "rss_file_mb": mb(m.file_kb),
            "rss_anon_mb": mb(m.anon_kb),
            "zip_x86_64_mb": zip_mb("target/lambda", name),
            "zip_arm64_mb": zip_mb("target/lambda-arm64", name),
            "answers": m.answers,
        }));
    }
    println!();
    for (name, event, _) in rows {
        println!("- {name}: {event}");
    }
    println!();
    let json_calls = print_calls(calls);
    let others: BTreeMap<&str, Value> = ["sla", "panic", "load", "media"]
        .into_iter()
        .filter_map(|name| bench_figures::read(name).map(|v| (name, v)))
        .collect();
    // The sweep's calls come from the SLA bench, which has the open reports to sweep.
    let sweeps = others
        .get("sla")
        .and_then(|s| s["calls_per_sweep"].as_array());
    for sweep in sweeps.into_iter().flatten() {
        let by_operation: Vec<String> = sweep["by_operation"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(op, n)| format!("{n}× {op}"))
            .collect();
        println!(
            "| one sweep with {} due ({} open) | {} | {} | {MINIMUM_SWEEP} | {} |",
            sweep["due"],
            sweep["open"],
            sweep["calls"],
            sweep["sequential"],
            by_operation.join(", ")
        );
    }
    for figures in others.values() {
        if let Some(lines) = figures["report"].as_array() {
            println!();
            for line in lines {
                println!("{}", line.as_str().unwrap_or_default());
            }
        }
    }
    bench_figures::write(
        "bench",
        &json!({ "functions": json_rows, "calls_per_operation": json_calls, "benches": others }),
    );
}
