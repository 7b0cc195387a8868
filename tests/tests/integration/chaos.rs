//! Chaos: the whole system (devstack) with a fault-injecting proxy between the
//! functions and moto, failing a fraction of every AWS call, while devstack cuts a
//! share of invocations off at a random moment (a crash between any two steps, with
//! no clean-up). Citizens retry with their `Idempotency-Key`, the SMS gateway retries
//! with its message id, devices retry presses. Nobody acknowledges, so the incidents
//! escalate to tier 1 under the same faults. Then the faults stop, the system catches
//! up (queues drained, the recovery job and the incident auditor run), and the
//! promises are checked:
//! - every report the API or the gateway had accepted (2xx) exists exactly once and
//!   reached triage;
//! - every accepted press was paged at least once at every tier it reached, and never
//!   twice except where SNS's answer to a publish was lost (no client can tell those
//!   apart);
//! - no citizen got two copies of one SMS, under the same exception;
//! - an SMS that could not be sent is in the notify DLQ, not gone.
//!
//! The fast version runs in `make test`; `make chaos` sets `CHAOS_REPORTS`,
//! `CHAOS_SMS` and `CHAOS_PRESSES` for the full one. Each prints its figures.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_sqs::types::QueueAttributeName;
use devstack::crashes::CrashPlan;
use futures::StreamExt;
use jiff::SignedDuration;
use serde_json::{Value, json};
use sigap::adapters::devices::DeviceStore;
use sigap::adapters::incidents::IncidentStore;
use sigap::adapters::table::ItemReader;
use sigap::domain::contact::PhoneNumber;
use sigap::domain::incident::parse_incident_code;
use sigap::runtime::aws::AwsClients;
use sigap::runtime::ids::OsRandom;
use sigap_tests::faults::{Fault, FaultPlan, FaultProxy};
use sigap_tests::{
    Signer, all_sent_sms, clients, clients_at, devstack_with, items_with_pk_prefix, moto_endpoint,
    signed_headers, unique_phone,
};

/// Share of AWS calls that fail while the faults are on.
const FAULT_RATE: f64 = 0.2;
/// Share of invocations cut off while the faults are on, and how late the cut may come.
const CRASH_RATE: f64 = 0.05;
const CRASH_WITHIN: Duration = Duration::from_millis(400);
/// Messages per invocation while catching up (see the catch-up loop).
const CATCH_UP_BATCH: i32 = 3;
/// Attempts a client makes before giving up on one request.
const CLIENT_ATTEMPTS: usize = 6;
/// Gedung Sate: sector `cibeunying`.
const GEDUNG_SATE: (f64, f64) = (-6.9025, 107.6188);

fn scale(name: &str, fast: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(fast)
}

/// A status and JSON body, or `None` when no answer came.
type Answer = Option<(u16, Value)>;
/// A report sent by a citizen or the gateway: its marker, the sender's phone, the
/// last answer.
type Sent = (String, String, Answer);

/// One request to devstack; `None` when the connection failed.
async fn send(
    from: Ipv4Addr,
    method: &str,
    url: &str,
    headers: Vec<(&str, String)>,
    body: &str,
) -> Answer {
    use http_body_util::{BodyExt, Full};
    // From the given loopback address, as citizens come from their own addresses
    // (the per-address limits count them apart).
    let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
    connector.set_local_address(Some(from.into()));
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build::<_, Full<bytes::Bytes>>(connector);
    let mut request = hyper::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        request = request.header(k, v);
    }
    let request = request
        .body(Full::new(bytes::Bytes::from(body.to_string())))
        .ok()?;
    let response = tokio::time::timeout(Duration::from_secs(30), client.request(request))
        .await
        .ok()?
        .ok()?;
    let status = response.status().as_u16();
    let bytes = response.into_body().collect().await.ok()?.to_bytes();
    Some((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

/// Retries like a real client: on connection errors, 5xx, 429 and "in progress" 409.
async fn with_retries<F, Fut>(mut attempt: F) -> Answer
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Answer>,
{
    let mut last = None;
    for n in 0..CLIENT_ATTEMPTS {
        let answer = attempt().await;
        let retry = match &answer {
            None => true,
            Some((status, _)) => *status >= 500 || *status == 429 || *status == 409,
        };
        last = answer;
        if !retry {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100 * (n as u64 + 1))).await;
    }
    last
}

/// POSTs `body` to `url` signed with `secret` by `signer`, retried like
/// [`with_retries`] with a fresh signature each time.
async fn signed_with_retries(url: &str, secret: &str, signer: Signer<'_>, body: &str) -> Answer {
    with_retries(|| {
        send(
            Ipv4Addr::LOCALHOST,
            "POST",
            url,
            signed_headers(secret, signer, body),
            body,
        )
    })
    .await
}

/// Sets a queue's visibility timeout (the template's 60 s would make the test wait
/// a minute for every failed message to come back).
async fn quick_retries(sqs: &aws_sdk_sqs::Client, url: &str) {
    sqs.set_queue_attributes()
        .queue_url(url)
        .attributes(QueueAttributeName::VisibilityTimeout, "2")
        .send()
        .await
        .unwrap();
}

/// Messages on a queue, visible or in flight, or `None` when a busy moto kept timing
/// the question out (which counts as not settled).
async fn outstanding(sqs: &aws_sdk_sqs::Client, url: &str) -> Option<u64> {
    for _ in 0..5 {
        let asked = sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await;
        if let Ok(out) = asked {
            let counts = out.attributes().into_iter().flat_map(|a| a.values());
            return Some(counts.filter_map(|v| v.parse::<u64>().ok()).sum());
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    None
}

/// Every message body on a queue, each once. They are left in place, hidden for an
/// hour so that a long read never meets the same message twice.
async fn peek_all(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<String> {
    let mut bodies = BTreeMap::new();
    loop {
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .visibility_timeout(3600)
            .send()
            .await
            .unwrap();
        let batch = out.messages.unwrap_or_default();
        if batch.is_empty() {
            return bodies.into_values().collect();
        }
        for message in batch {
            if let (Some(id), Some(body)) = (message.message_id(), message.body()) {
                bodies.insert(id.to_string(), body.to_string());
            }
        }
    }
}

/// The tracking id in an accepted submission's answer.
fn answer_id(answer: &Answer) -> String {
    answer
        .as_ref()
        .and_then(|(_, body)| body["tracking_id"].as_str())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn under_twenty_percent_faults_nothing_accepted_is_lost_or_doubled() {
    let reports = scale("CHAOS_REPORTS", 40);
    let texts = scale("CHAOS_SMS", 12);
    let presses = scale("CHAOS_PRESSES", 12);
    let direct = clients().await;
    let proxy = FaultProxy::start(moto_endpoint(), 0x5eed).await;
    let clock = Arc::new(devstack::DevClock::default());
    let crashes = CrashPlan::new(CRASH_RATE, CRASH_WITHIN, 0xc4a5);
    crashes.arm(false);
    let running = devstack_with(
        "chaos",
        clients_at(&proxy.endpoint).await,
        clock.clone(),
        Arc::new(OsRandom),
        false,
        Some(crashes.clone()),
    )
    .await;
    let base = running.base_url.clone();
    let table = running.stack.table_name().unwrap().to_string();
    let queue = |name: &str| running.stack.queue(name).unwrap().url.clone();
    for name in ["IntakeQueue", "NotifyQueue", "EscalationQueue"] {
        quick_retries(&direct.sqs, &queue(name)).await;
    }
    let secrets = register_devices(&direct, &table, presses).await;

    proxy.set_plan(FaultPlan::everywhere(
        FAULT_RATE,
        &[
            Fault::ServerError,
            Fault::Throttle,
            Fault::DropBefore,
            Fault::DropAfter,
            Fault::Latency,
        ],
    ));
    proxy.reset_tally();
    crashes.arm(true);
    let started = Instant::now();
    let submissions = citizens_submit(&base, reports).await;
    let sms_answers = gateway_texts(&base, texts).await;
    let press_answers = devices_press(&base, secrets).await;
    pollers_under_faults(&running, &direct, &clock).await;
    let under_faults = started.elapsed();
    let tally = proxy.tally();

    // Heal, then let the system catch up: recovery after its 120 s threshold, the
    // auditor after its grace, and every queue drained.
    proxy.heal();
    crashes.arm(false);
    clock.advance(SignedDuration::from_mins(10));
    running.fire("RecoverStranded").await.unwrap();
    running.fire("Audit").await.unwrap();
    let settled_in = catch_up(&running, &direct).await;

    let by_marker = stored_reports(&direct, &table).await;
    let (accepted, accepted_sms) =
        each_accepted_report_stored_once_and_triaged(&submissions, &sms_answers, &by_marker);
    let lost_publish_answers = tally.ambiguous.get("sns:Publish").copied().unwrap_or(0);
    let receipts = receipts_sent_once_or_dead_lettered(
        &direct,
        &queue("NotifyDeadLetterQueue"),
        &accepted,
        &accepted_sms,
    )
    .await;
    let Receipts {
        doubled_sms,
        receipts,
        dead_lettered,
        sms_receipts,
        sms_parked,
    } = receipts;
    // The command centre's view: every page and stand-down, with attributes.
    let (accepted_presses, tiers_paged, doubled_pages) = every_reached_tier_paged(
        &direct,
        &table,
        &queue("CommandCentreQueue"),
        &press_answers,
    )
    .await;

    println!(
        "chaos: {} AWS calls under faults in {:.1} s, {} faults injected ({:.0}%), {} answers lost after the work was done",
        tally.total_calls(),
        under_faults.as_secs_f64(),
        tally.total_injected(),
        100.0 * tally.total_injected() as f64 / tally.total_calls().max(1) as f64,
        tally.ambiguous.values().sum::<u64>()
    );
    println!(
        "chaos: {} invocations cut off at a random moment (crashes between steps); {} publishes were sent by invocations that then failed or were cut off",
        crashes.crashed(),
        crashes.sent_by_failed()
    );
    println!(
        "chaos: after healing, the system caught up in {:.1} s",
        settled_in.as_secs_f64()
    );
    let mut refused: BTreeMap<String, usize> = BTreeMap::new();
    for (_, _, answer) in &submissions {
        match answer {
            Some((status, _)) if (200..300).contains(status) => {}
            Some((status, body)) => {
                *refused
                    .entry(format!(
                        "{status} {}",
                        body["error"]["code"].as_str().unwrap_or("")
                    ))
                    .or_default() += 1
            }
            None => *refused.entry("no answer".into()).or_default() += 1,
        }
    }
    for (service, calls) in &tally.calls {
        let injected: u64 = tally
            .injected
            .iter()
            .filter(|((s, _), _)| s == service)
            .map(|(_, n)| n)
            .sum();
        println!("chaos:   {service}: {calls} calls, {injected} faults");
    }
    println!(
        "chaos: web reports {reports} sent, {} accepted, {} stored (each once), all accepted triaged; last answers of the rest: {refused:?}",
        accepted.len(),
        by_marker.len()
    );
    println!(
        "chaos: receipts {receipts} sent once, {doubled_sms} second copies, {dead_lettered} in the notify DLQ"
    );
    println!(
        "chaos: SMS {texts} sent by the gateway, {} accepted, each stored once and triaged; {sms_receipts} replied once, {sms_parked} in the notify DLQ",
        accepted_sms.len()
    );
    println!(
        "chaos: presses {presses} sent, {} accepted, {tiers_paged} tiers reached and every one paged, {doubled_pages} second pages ({lost_publish_answers} lost publish answers)",
        accepted_presses.len()
    );
    // A second copy needs a publish whose success its sender could not record: its
    // answer was lost, or its invocation failed or was cut off after sending it.
    let unrecorded = lost_publish_answers + crashes.sent_by_failed();
    assert!(
        doubled_sms + doubled_pages <= unrecorded,
        "{doubled_sms} doubled SMS and {doubled_pages} doubled pages, but only {lost_publish_answers} publish answers were lost and {} publishes were sent by failed or cut invocations",
        crashes.sent_by_failed()
    );
    // The run proves something only if faults really hit and most work got through.
    assert!(tally.total_injected() > 10, "{tally:?}");
    assert!(
        accepted.len() * 2 > reports,
        "{} of {reports} accepted",
        accepted.len()
    );
    assert!(accepted_presses.len() * 2 > presses, "{press_answers:?}");
    assert!(accepted_sms.len() * 2 > texts, "{sms_answers:?}");
    assert!(crashes.crashed() > 0, "no invocation was cut off");
}

/// Registers `presses` active panic devices straight in the table; their ids and
/// signing secrets.
async fn register_devices(
    direct: &AwsClients,
    table: &str,
    presses: usize,
) -> Vec<(String, String)> {
    let device_key = devstack::provision::dev_secret("/sigap/device-key");
    let sender_key = devstack::provision::dev_secret("/sigap/sender-hash-key");
    let devices = DeviceStore::new(direct.dynamodb.clone(), table);
    let mut secrets = Vec::new();
    for n in 0..presses {
        let id = format!("c4a05{:011x}{n:016x}", std::process::id());
        let phone = PhoneNumber::parse(&unique_phone()).unwrap();
        let secret = devstack::panic_tool::register_active_device(
            &devices,
            &device_key,
            &sender_key,
            &id,
            &phone,
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
        secrets.push((id, secret));
    }
    secrets
}

/// Citizens: each report with its own key and phone, retried with the same key.
async fn citizens_submit(base: &str, reports: usize) -> Vec<Sent> {
    futures::stream::iter(0..reports)
        .map(|n| {
            let base = base.to_string();
            async move {
                let marker = format!("chaos-{n}-{}", std::process::id());
                let phone = unique_phone();
                let body = json!({
                    "title": "Jalan berlubang di Dago",
                    "description": format!("Lubang besar di depan sekolah ({marker})."),
                    "category": "jalan-rusak",
                    "location": {"lat": -6.885, "lon": 107.613, "kecamatan": "Coblong"},
                    "contact": {"phone": phone}
                })
                .to_string();
                let url = format!("{base}/reports");
                // A few citizens to an address: 127.0.1.0 to 127.0.1.199.
                let from = Ipv4Addr::new(127, 0, 1, (n % 200) as u8);
                let answer = with_retries(|| {
                    send(
                        from,
                        "POST",
                        &url,
                        vec![
                            ("content-type", "application/json".to_string()),
                            ("idempotency-key", marker.clone()),
                        ],
                        &body,
                    )
                })
                .await;
                (marker, phone, answer)
            }
        })
        .buffer_unordered(8)
        .collect()
        .await
}

/// The SMS gateway: one text each from its own phone, re-sent with the same message
/// id (and a fresh signature) until it gets a 2xx.
async fn gateway_texts(base: &str, texts: usize) -> Vec<Sent> {
    let gateway_secret = devstack::provision::dev_secret("/sigap/sms-gateway-secret");
    futures::stream::iter(0..texts)
        .map(|n| {
            let (base, secret) = (base.to_string(), gateway_secret.clone());
            async move {
                let marker = format!("chaos-sms-{n}-{}", std::process::id());
                let phone = unique_phone();
                let body = json!({
                    "message_id": marker,
                    "from": phone,
                    "text": format!("BDG Sampah menumpuk di depan pasar ({marker})"),
                })
                .to_string();
                let url = format!("{base}/sms/gateway");
                let answer = signed_with_retries(&url, &secret, Signer::Gateway, &body).await;
                (marker, phone, answer)
            }
        })
        .buffer_unordered(4)
        .collect()
        .await
}

/// Devices: one press each, retried with a fresh signature.
async fn devices_press(base: &str, secrets: Vec<(String, String)>) -> Vec<(String, Answer)> {
    futures::stream::iter(secrets)
        .map(|(id, secret)| {
            let base = base.to_string();
            async move {
                let body = json!({"kind": "crime", "lat": GEDUNG_SATE.0, "lon": GEDUNG_SATE.1})
                    .to_string();
                let url = format!("{base}/panic/press");
                let device = Signer::Device {
                    id: &id,
                    method: "POST",
                    path: "/panic/press",
                };
                let answer = signed_with_retries(&url, &secret, device, &body).await;
                (id, answer)
            }
        })
        .buffer_unordered(4)
        .collect()
        .await
}

/// The pollers run under the same faults for a while (Lambda's own poller is not
/// faulted: it is poll_once's SQS client). Nobody acknowledges: past tier 0's
/// timeout, the auditor finds every tick due (their SQS delays run on the real
/// clock) and re-drives it, and the ticks page tier 1, under the same faults and
/// crashes.
async fn pollers_under_faults(
    running: &devstack::Running,
    direct: &AwsClients,
    clock: &devstack::DevClock,
) {
    for _ in 0..3 {
        for source in &running.queue_sources {
            devstack::sources::poll_once(&direct.sqs, source, "ap-southeast-3", 0).await;
        }
    }
    clock.advance(SignedDuration::from_secs(150));
    for _ in 0..3 {
        let _ = running.fire("Audit").await;
        for source in &running.queue_sources {
            devstack::sources::poll_once(&direct.sqs, source, "ap-southeast-3", 0).await;
        }
    }
}

/// Drains every queue and runs the recovery job and the auditor until they find
/// nothing; how long it took. Fails when two minutes pass without progress.
async fn catch_up(running: &devstack::Running, direct: &AwsClients) -> Duration {
    let queue = |name: &str| running.stack.queue(name).unwrap().url.clone();
    let settle = Instant::now();
    // Catching up may take long (moto drains 3 to 6 messages a second here, and each
    // report makes about two), but not stall: two minutes without progress fail it.
    let patience = Duration::from_secs(120);
    let (mut caught_up, mut last_word, mut last_progress) = (0, Instant::now(), Instant::now());
    // One poller per queue with small batches. moto is one Python process: past about
    // a dozen calls in flight its answers outlast the SDK's 3 s attempt timeout, the
    // handlers fail, their retries add load, and nothing gets through (with three
    // pollers of 10 per queue, 300 reports sent messages to the DLQs this way).
    // Lambda against DynamoDB has no such ceiling; this only paces the stand-in.
    let catch_up_sources: Vec<_> = running
        .queue_sources
        .iter()
        .map(|source| devstack::sources::QueueSource {
            batch_size: CATCH_UP_BATCH,
            ..source.clone()
        })
        .collect();
    loop {
        let rounds = catch_up_sources
            .iter()
            .map(|source| devstack::sources::poll_once(&direct.sqs, source, "ap-southeast-3", 0));
        let handled: usize = futures::future::join_all(rounds).await.into_iter().sum();
        caught_up += handled;
        if last_word.elapsed() > Duration::from_secs(30) {
            println!(
                "chaos: catching up, {caught_up} messages handled in {:.0} s",
                settle.elapsed().as_secs_f64()
            );
            last_word = Instant::now();
        }
        if handled > 0 {
            last_progress = Instant::now();
            continue;
        }
        // Ticks not yet due wait out their delay, which these counts leave out.
        let mut left = Some(0u64);
        for name in ["IntakeQueue", "NotifyQueue", "EscalationQueue"] {
            let here = outstanding(&direct.sqs, &queue(name)).await;
            left = left.zip(here).map(|(a, b)| a + b);
        }
        if left == Some(0) {
            // The queues are empty: the recovery job's and the auditor's next runs (on
            // their schedules) pick up what no message carries any more: reports whose
            // enqueue failed or whose message was dead-lettered, owed pages, lost
            // ticks. Done when they find nothing.
            let mut found = 0;
            for (job, fields) in [
                ("RecoverStranded", ["recovered", "announced"]),
                ("Audit", ["finished", "redriven"]),
            ] {
                let report = running.fire(job).await.unwrap_or_default();
                found += fields
                    .iter()
                    .map(|f| report[f].as_u64().unwrap_or(0))
                    .sum::<u64>();
            }
            if found == 0 {
                break;
            }
            last_progress = Instant::now();
            continue;
        }
        assert!(
            last_progress.elapsed() < patience,
            "no progress for {} s; messages not settled: {}",
            patience.as_secs(),
            left.map_or("moto kept timing out".into(), |n| n.to_string())
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    settle.elapsed()
}

/// The stored reports' statuses, by the marker in their description.
async fn stored_reports(direct: &AwsClients, table: &str) -> BTreeMap<String, Vec<String>> {
    let mut by_marker: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for item in items_with_pk_prefix(direct, table, "R#").await {
        let reader = ItemReader(&item);
        if reader.opt_s(sigap::adapters::table::SK) != Some("META") {
            continue;
        }
        let description = reader.opt_s("description").unwrap_or_default();
        if let Some(marker) = description
            .split(['(', ')'])
            .find(|part| part.starts_with("chaos-"))
        {
            by_marker
                .entry(marker.to_string())
                .or_default()
                .push(reader.opt_s("status").unwrap_or_default().to_string());
        }
    }
    by_marker
}

/// Every web report and SMS that got a 2xx is stored exactly once and triaged; the
/// accepted ones of each.
fn each_accepted_report_stored_once_and_triaged<'a>(
    submissions: &'a [Sent],
    sms_answers: &'a [Sent],
    by_marker: &BTreeMap<String, Vec<String>>,
) -> (Vec<&'a Sent>, Vec<&'a Sent>) {
    let accepted: Vec<_> = submissions
        .iter()
        .filter(|(_, _, a)| a.as_ref().is_some_and(|(s, _)| (200..300).contains(s)))
        .collect();
    for (marker, _, answer) in &accepted {
        assert!(
            !answer_id(answer).is_empty(),
            "{marker}: 2xx without a tracking id"
        );
        let stored = by_marker.get(marker.as_str()).cloned().unwrap_or_default();
        assert_eq!(
            stored.len(),
            1,
            "{marker}: accepted, stored {} times",
            stored.len()
        );
        assert_ne!(
            stored[0], "received",
            "{marker}: accepted but never triaged"
        );
    }
    let accepted_sms: Vec<_> = sms_answers
        .iter()
        .filter(|(_, _, a)| a.as_ref().is_some_and(|(s, _)| (200..300).contains(s)))
        .collect();
    for (marker, _, _) in &accepted_sms {
        let stored = by_marker.get(marker.as_str()).cloned().unwrap_or_default();
        assert_eq!(
            stored.len(),
            1,
            "{marker}: the gateway got a 2xx, stored {} times",
            stored.len()
        );
        assert_ne!(
            stored[0], "received",
            "{marker}: accepted but never triaged"
        );
    }
    for (marker, statuses) in by_marker {
        assert_eq!(statuses.len(), 1, "{marker} stored twice");
    }

    (accepted, accepted_sms)
}

/// What the receipts check counted.
struct Receipts {
    doubled_sms: u64,
    receipts: u64,
    dead_lettered: u64,
    sms_receipts: u64,
    sms_parked: u64,
}

/// Receipts: at most one per reporter beyond lost publish answers; none lost (a
/// missing one is parked in the notify DLQ).
async fn receipts_sent_once_or_dead_lettered(
    direct: &AwsClients,
    notify_dlq: &str,
    accepted: &[&Sent],
    accepted_sms: &[&Sent],
) -> Receipts {
    let sms = all_sent_sms().await;
    let notify_dlq = peek_all(&direct.sqs, notify_dlq).await;
    let (mut doubled_sms, mut receipts, mut dead_lettered) = (0, 0, 0);
    for (marker, phone, answer) in accepted {
        let e164 = PhoneNumber::parse(phone).unwrap().as_e164().to_string();
        let copies = sms.iter().filter(|(to, _)| *to == e164).count() as u64;
        receipts += copies.min(1);
        doubled_sms += copies.saturating_sub(1);
        if copies == 0 {
            let id = answer_id(answer);
            let parked = notify_dlq.iter().any(|body| body.contains(&id));
            assert!(
                parked,
                "{marker} ({id}): no receipt SMS and nothing in the notify DLQ"
            );
            dead_lettered += 1;
        }
    }

    // The SMS reports' receipts, the same way: one copy, or parked in the DLQ.
    let (mut sms_receipts, mut sms_parked) = (0, 0);
    for (marker, phone, _) in accepted_sms {
        let e164 = PhoneNumber::parse(phone).unwrap().as_e164().to_string();
        let copies = sms.iter().filter(|(to, _)| *to == e164).count() as u64;
        sms_receipts += copies.min(1);
        doubled_sms += copies.saturating_sub(1);
        if copies == 0 {
            let parked = notify_dlq.iter().any(|body| body.contains(marker.as_str()));
            assert!(
                parked,
                "{marker}: no reply SMS and nothing in the notify DLQ"
            );
            sms_parked += 1;
        }
    }

    Receipts {
        doubled_sms,
        receipts,
        dead_lettered,
        sms_receipts,
        sms_parked,
    }
}

/// Presses: every tier each one reached was paged (on the command centre's queue),
/// duplicates only from lost answers. The accepted incidents, the tiers reached and
/// the second pages.
async fn every_reached_tier_paged(
    direct: &AwsClients,
    table: &str,
    console: &str,
    press_answers: &[(String, Answer)],
) -> (Vec<String>, u64, u64) {
    let pages = peek_all(&direct.sqs, console).await;
    let mut pages_per_tier: BTreeMap<(String, String), u64> = BTreeMap::new();
    for page in &pages {
        // "SIGAP INC-XXXXXX KEJAHATAN T0 cibeunying ..." (repeats of the top tier start
        // "SIGAP ULANG"; stand-downs read differently).
        let words: Vec<&str> = page.split_whitespace().collect();
        if words.first() == Some(&"SIGAP") && words.get(3).is_some_and(|w| w.starts_with('T')) {
            *pages_per_tier
                .entry((words[1].to_string(), words[3].to_string()))
                .or_default() += 1;
        }
    }
    let incidents = IncidentStore::new(direct.dynamodb.clone(), table);
    let accepted_presses: Vec<String> = press_answers
        .iter()
        .filter_map(|(_, a)| match a {
            Some((status, body)) if (200..300).contains(status) => {
                body["incident_id"].as_str().map(str::to_string)
            }
            _ => None,
        })
        .collect();
    let (mut doubled_pages, mut tiers_paged) = (0, 0);
    for incident in &accepted_presses {
        let code = parse_incident_code(incident).unwrap();
        let stored = incidents.get(&code).await.unwrap().unwrap();
        let reached = &stored.escalation.paged_tiers;
        assert!(
            reached.iter().any(|t| *t >= 1),
            "{incident}: nobody acknowledged, yet it never escalated: {reached:?}"
        );
        for tier in reached {
            let key = (incident.clone(), format!("T{tier}"));
            let count = pages_per_tier.get(&key).copied().unwrap_or(0);
            assert!(
                count >= 1,
                "{incident}: reached tier {tier}, never paged there"
            );
            doubled_pages += count - 1;
            tiers_paged += 1;
        }
    }

    (accepted_presses, tiers_paged, doubled_pages)
}
