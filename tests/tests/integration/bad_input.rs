//! Hostile and malformed input, on every route the template declares: oversize and
//! deeply nested bodies, invalid UTF-8, numbers no float holds, wrong types, control
//! characters, coordinates at the poles, 10,000-character texts, and SQL or script
//! injection (stored verbatim, returned as data). Each caller holds the credentials
//! the route asks for, so the body is what gets judged.

use std::sync::Arc;

use jiff::Timestamp;
use serde_json::{Value, json};
use sigap::domain::signature::{device_signature, gateway_signature};
use sigap::runtime::clock::SystemClock;
use sigap::runtime::ids::OsRandom;
use sigap_tests::{HttpReply, devstack, http_bytes, items_with_pk_prefix};

use crate::web_intake::valid_body;
use crate::workflow_e2e::call;

/// The corpus: a name, a content type and the bytes sent.
fn corpus() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    const JSON: &str = "application/json";
    let mut oversize = br#"{"title":""#.to_vec();
    oversize.extend(std::iter::repeat_n(b'a', 1_100_000));
    oversize.extend(br#""}"#);
    vec![
        ("oversize (1.1 MB)", JSON, oversize),
        (
            "nested arrays 5,000 deep",
            JSON,
            format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
        ),
        (
            "nested objects 2,500 deep",
            JSON,
            format!("{}1{}", r#"{"a":"#.repeat(2500), "}".repeat(2500)).into_bytes(),
        ),
        (
            "invalid UTF-8",
            JSON,
            b"{\"title\":\"\xff\xfe\xfd\",\"text\":\"\xc3\x28\",\"note\":\"\xed\xa0\x80\"}".to_vec(),
        ),
        (
            "numbers no float holds",
            JSON,
            br#"{"lat":1e400,"lon":-1e400,"score":1e999,"days":99999999999999999999999}"#
                .to_vec(),
        ),
        (
            "wrong types",
            JSON,
            br#"{"title":[],"description":{},"category":7,"location":"x","agencies":"dlh","score":"lima","text":false,"note":[],"kind":{},"outcome":0}"#.to_vec(),
        ),
        ("a bare string", JSON, br#""laporan""#.to_vec()),
        ("null", JSON, b"null".to_vec()),
        ("truncated", JSON, br#"{"title":"Jalan rusak","desc"#.to_vec()),
        (
            "XML with an entity",
            JSON,
            br#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>"#.to_vec(),
        ),
        (
            "JSON sent as text/plain",
            "text/plain",
            serde_json::to_vec(&valid_body()).unwrap(),
        ),
    ]
}

/// Fills a template path with ids that exist, so the body is what is judged.
fn filled(path: &str, report: &str, device: &str, incident: &str) -> String {
    let id = if path.starts_with("/reports/")
        || path.starts_with("/staff/reports/")
        || path.starts_with("/laporan/")
    {
        report
    } else if path.starts_with("/panic/devices/") || path.starts_with("/staff/devices/") {
        device
    } else {
        incident
    };
    let action = match path {
        p if p.starts_with("/staff/devices/") => "block",
        p if p.starts_with("/staff/reports/") => "notes",
        p if p.starts_with("/staff/incidents/") => "note",
        p if p.starts_with("/reports/") || p.starts_with("/laporan/") => "reply",
        _ => "x",
    };
    path.replace("{id}", id)
        .replace("{action}", action)
        .replace("{token}", "1abc")
        .replace("{year}", "2031")
        .replace("{sender}", "abc")
        .replace("{resource}", "requests.json")
        .replace("{collection}", "requests")
}

/// The reports and incidents stored (their main items), to show nothing was added.
async fn stored(table: &str) -> (usize, usize) {
    let clients = sigap_tests::clients().await;
    let count = |items: Vec<sigap::adapters::table::Item>| {
        items
            .iter()
            .filter(|i| {
                i.get(sigap::adapters::table::SK)
                    .and_then(|v| v.as_s().ok())
                    .map(String::as_str)
                    == Some("META")
            })
            .count()
    };
    (
        count(items_with_pk_prefix(&clients, table, "R#").await),
        count(items_with_pk_prefix(&clients, table, "N#").await),
    )
}

#[tokio::test]
async fn hostile_bodies_on_every_route_get_a_json_4xx_and_store_nothing() {
    let running = devstack("badinput", Arc::new(SystemClock), Arc::new(OsRandom), false).await;
    let base = running.base_url.clone();
    let table = running.stack.table_name().unwrap().to_string();
    let created = call(
        "POST",
        &format!("{base}/reports"),
        None,
        None,
        Some(valid_body()),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.json);
    let report = created.json["tracking_id"].as_str().unwrap().to_string();
    let reporter = created.json["reporter_token"].as_str().unwrap().to_string();
    let device = format!("badb0d1e{:024x}", std::process::id());
    let device_secret = sigap_tests::enrolled_device(&running, &device).await;
    // Every role at once, so no route refuses the caller before reading the body.
    let staff = format!(
        "Bearer {}",
        running.token(
            "all-roles",
            &[
                "admin",
                "operator",
                "agency:dsdabm",
                "responder:polsek-coblong"
            ],
        )
    );
    let incident = call(
        "POST",
        &format!("{base}/staff/incidents"),
        Some(staff.trim_start_matches("Bearer ")),
        None,
        Some(json!({"kind": "medical", "location_text": "Jl. Dago"})),
    )
    .await;
    assert_eq!(incident.status, 201, "{}", incident.json);
    let incident = incident.json["id"].as_str().unwrap().to_string();
    let gateway_secret = devstack::provision::dev_secret("/sigap/sms-gateway-secret");
    let (console, _) = sigap_tests::console_session("admin", Timestamp::now());
    let before = stored(&table).await;

    let template = devstack::template::Template::parse(&sigap_tests::template_text()).unwrap();
    let mut failures = Vec::new();
    let mut judged = 0;
    for (method, path, authorized) in template.http_routes() {
        if method == "GET" || method == "DELETE" {
            continue;
        }
        let target = filled(path, &report, &device, &incident);
        let url = format!("{base}{target}");
        for (name, content_type, body) in corpus() {
            let now = Timestamp::now().as_second();
            let mut headers = vec![("content-type", content_type.to_string())];
            if authorized {
                headers.push(("authorization", staff.clone()));
            } else if path.starts_with("/konsol") {
                // Signed in, so the body is what is judged (a form without its
                // CSRF token, whatever else it holds, is refused).
                headers.push(("cookie", format!("sesi={console}")));
            } else if path.starts_with("/reports/") {
                headers.push(("x-reporter-token", reporter.clone()));
            } else if path.starts_with("/laporan/") {
                headers.push(("cookie", format!("pelapor={reporter}")));
            } else if path == "/sms/gateway" || path.starts_with("/panic/") {
                let signature = if path == "/sms/gateway" {
                    gateway_signature(&sigap_tests::hmac_key(&gateway_secret), now, &body)
                } else {
                    headers.push(("x-sigap-device", device.clone()));
                    device_signature(
                        &sigap_tests::hmac_key(&device_secret),
                        now,
                        method,
                        &target,
                        &body,
                    )
                };
                headers.push(("x-sigap-timestamp", now.to_string()));
                headers.push(("x-sigap-signature", signature));
            }
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let got: HttpReply = http_bytes(method, &url, &headers, &body).await;
            judged += 1;
            // The pages refuse with a page: HTML with a heading saying what is wrong.
            let page = got
                .headers
                .get("content-type")
                .is_some_and(|t| t.to_str().unwrap_or_default().starts_with("text/html"))
                && got.text.contains("<h1>");
            let shaped = got.json.get("error").is_some()
                || got.json.get("message").is_some()
                || got.json[0].get("description").is_some()
                || page;
            // Bodiless actions (acknowledge, ack) may ignore what is sent; the rest
            // must refuse it. None may fail inside or answer without a body.
            let refused = (400..500).contains(&got.status) && shaped;
            let ignored = got.status < 300 && BODILESS.contains(&url_action(&url));
            let fine = if path == "/panic/press" {
                // Whatever a signed press carries, it pages; only its size is judged.
                if body.len() > 4096 {
                    got.status == 413 && shaped
                } else {
                    got.status < 300
                }
            } else {
                refused || ignored
            };
            if !fine {
                failures.push(format!(
                    "{method} {path} with {name}: {} {}",
                    got.status, got.json
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    println!(
        "bad input: {judged} hostile requests ({} kinds) on every POST and PUT route, each refused or harmless",
        corpus().len()
    );
    assert!(judged >= 20 * corpus().len(), "{judged} requests judged");
    // The garbled presses opened one incident (the first; the rest joined it), and
    // nothing else was stored.
    assert_eq!(
        stored(&table).await,
        (before.0, before.1 + 1),
        "a hostile body stored something"
    );
    running.shutdown();
}

/// Actions that take no body.
const BODILESS: [&str; 3] = ["acknowledge", "ack", "accept"];

fn url_action(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or_default()
}

/// What citizens type comes back exactly as typed, as data: JSON strings in JSON
/// (served `nosniff`), escaped text in Open311 XML. Nothing is "cleaned" on the way in,
/// and no string is ever spliced into a query (DynamoDB takes values, not statements).
#[tokio::test]
async fn injection_strings_are_stored_verbatim_and_returned_escaped() {
    let running = devstack("verbatim", Arc::new(SystemClock), Arc::new(OsRandom), false).await;
    let base = running.base_url.clone();
    let title = "Robert'); DROP TABLE laporan;-- \"x\"";
    let description =
        "<script>alert('xss')</script> ' OR '1'='1 \\ ]]> &amp; 🚧\nbaris dua\t{{7*7}}";
    let address = "Jl. Braga\"; rm -rf / #";
    let mut body = valid_body();
    body["title"] = json!(title);
    body["description"] = json!(description);
    body["location"]["address"] = json!(address);
    // Published (verified by an admin), so the public reads the text.
    let (id, _) = crate::staff_access::published(&running, body).await;

    let shown = sigap_tests::http("GET", &format!("{base}/reports/{id}"), &[], None).await;
    assert_eq!(shown.status, 200);
    assert_eq!(shown.json["title"], title);
    assert_eq!(shown.json["description"], description);
    assert_eq!(shown.json["location"]["address"], address);
    assert_eq!(
        shown.headers["content-type"],
        "application/json; charset=utf-8"
    );
    assert_eq!(shown.headers["x-content-type-options"], "nosniff");

    let xml = sigap_tests::http(
        "GET",
        &format!("{base}/open311/v2/requests/{id}.xml"),
        &[],
        None,
    )
    .await;
    assert_eq!(xml.status, 200, "{}", xml.text);
    assert!(
        !xml.text.contains("<script>"),
        "unescaped markup in {}",
        xml.text
    );
    assert!(xml.text.contains("&lt;script&gt;"), "{}", xml.text);
    assert_eq!(xml.headers["x-content-type-options"], "nosniff");
    let doc = roxmltree::Document::parse(&xml.text).unwrap();
    let text_of = |tag: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name(tag))
            .and_then(|n| n.text())
            .map(str::to_string)
    };
    assert_eq!(text_of("description").as_deref(), Some(description));
    // Open311's address_string adds the kecamatan after what the citizen typed.
    assert!(
        text_of("address").is_some_and(|a| a.starts_with(address)),
        "{}",
        xml.text
    );
    running.shutdown();
}

/// Texts past their limit, coordinates at the poles and off the globe: a clear 4xx in
/// Indonesian naming the field, and nothing stored. A panic press at a pole still pages:
/// an emergency is never refused for a bad fix.
#[tokio::test]
async fn long_texts_and_polar_coordinates_get_clear_answers() {
    let running = devstack("limits", Arc::new(SystemClock), Arc::new(OsRandom), false).await;
    let base = running.base_url.clone();
    let table = running.stack.table_name().unwrap().to_string();
    let before = stored(&table).await;
    let long = "Jalan berlubang. ".repeat(600); // 10,200 characters
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "10,000-character description",
            json!({"description": long}),
            "description",
            "maksimal 4000 karakter",
        ),
        (
            "10,000-character title",
            json!({"title": long}),
            "title",
            "maksimal 150 karakter",
        ),
        (
            "North Pole",
            json!({"location": {"lat": 90.0, "lon": 180.0}}),
            "location",
            "di luar Kota Bandung",
        ),
        (
            "South Pole",
            json!({"location": {"lat": -90.0, "lon": -180.0}}),
            "location",
            "di luar Kota Bandung",
        ),
        (
            "past the pole",
            json!({"location": {"lat": 90.000001, "lon": 107.6}}),
            "location",
            "tidak valid",
        ),
        (
            "one coordinate",
            json!({"location": {"lat": -6.9}}),
            "location",
            "lat dan lon",
        ),
    ];
    for (name, change, field, message) in cases {
        let mut body = valid_body();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let got = call("POST", &format!("{base}/reports"), None, None, Some(body)).await;
        assert_eq!(got.status, 422, "{name}: {}", got.json);
        let fields = got.json["error"]["fields"].as_array().unwrap();
        assert!(
            fields
                .iter()
                .any(|f| f["field"] == field && f["message"].as_str().unwrap().contains(message)),
            "{name}: {}",
            got.json
        );
    }
    // Within the limit, multi-byte text is kept whole (4,000 characters, 12,000 bytes).
    let mut body = valid_body();
    let full = "ḁ".repeat(4000);
    body["description"] = json!(full);
    let (id, _) = crate::staff_access::published(&running, body).await;
    let shown = call("GET", &format!("{base}/reports/{id}"), None, None, None).await;
    assert_eq!(shown.json["description"], full);
    assert_eq!(
        stored(&table).await.0,
        before.0 + 1,
        "only the valid report is stored"
    );

    // An operator's 112 call with a fix at the pole is refused with the reason; a long
    // note too. The device's press at the pole is taken, without the fix.
    let operator = running.token("op-1", &["operator"]);
    for (name, body, message) in [
        (
            "pole fix",
            json!({"kind": "fire", "lat": 90.0, "lon": 0.0}),
            "Koordinat tidak valid",
        ),
        (
            "10,000-character note",
            json!({"kind": "fire", "notes": long}),
            "",
        ),
    ] {
        let got = call(
            "POST",
            &format!("{base}/staff/incidents"),
            Some(&operator),
            None,
            Some(body),
        )
        .await;
        assert_eq!(got.status, 400, "{name}: {}", got.json);
        assert!(
            got.json["error"]["message"]
                .as_str()
                .unwrap()
                .contains(message),
            "{name}: {}",
            got.json
        );
    }
    let device = format!("901e5{:027x}", std::process::id());
    let secret = sigap_tests::enrolled_device(&running, &device).await;
    let press = json!({"kind": "medical", "lat": 90.0, "lon": 180.0}).to_string();
    let now = Timestamp::now().as_second();
    let signature = device_signature(
        &sigap_tests::hmac_key(&secret),
        now,
        "POST",
        "/panic/press",
        press.as_bytes(),
    );
    let now = now.to_string();
    let pressed = sigap_tests::http(
        "POST",
        &format!("{base}/panic/press"),
        &[
            ("content-type", "application/json"),
            ("x-sigap-device", &device),
            ("x-sigap-timestamp", &now),
            ("x-sigap-signature", &signature),
        ],
        Some(&press),
    )
    .await;
    assert!(pressed.status < 300, "{}", pressed.json);
    assert_eq!(
        stored(&table).await.1,
        before.1 + 1,
        "the press opened one incident"
    );
    running.shutdown();
}
