//! Open311 GeoReport v2 against moto: every endpoint in XML and JSON, the filters,
//! the errors, API keys issued and revoked by an admin, privacy, and round trips.
//! XML is checked with a standard parser (roxmltree), JSON field by field.

use std::sync::Arc;

use jiff::SignedDuration;
use serde_json::{Value, json};
use sigap::runtime::clock::ManualClock;
use sigap_tests::{HttpReply, TestStack, api_request, reply, stack, staff_request};

use crate::web_intake::{
    app_with, backoffice_app, friday_morning, publish, submit_and_triage, valid_body, verify_app,
};

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

/// A response: status, raw body, and the body as JSON when it is JSON.
struct Got {
    status: u16,
    body: String,
    json: Value,
    retry_after: Option<String>,
}

async fn get(web: &web_intake::WebIntake, path: &str) -> Got {
    send(web, api_request("GET", path, &[], None)).await
}

async fn send(web: &web_intake::WebIntake, request: lambda_http::Request) -> Got {
    let response = web_intake::handle(web, request).await.unwrap();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let body = match response.body() {
        lambda_http::Body::Text(t) => t.clone(),
        lambda_http::Body::Binary(b) => String::from_utf8(b.clone()).unwrap(),
        lambda_http::Body::Empty => String::new(),
        _ => String::new(),
    };
    let json = serde_json::from_str(&body).unwrap_or(Value::Null);
    Got {
        status,
        body,
        json,
        retry_after,
    }
}

/// The XML root's name and the names of its element children.
fn xml_shape(xml: &str) -> (String, Vec<String>) {
    assert!(
        xml.starts_with(r#"<?xml version="1.0" encoding="utf-8"?>"#),
        "{xml}"
    );
    let doc = roxmltree::Document::parse(xml).unwrap();
    let root = doc.root_element();
    (
        root.tag_name().name().to_string(),
        root.children()
            .filter(|n| n.is_element())
            .map(|n| n.tag_name().name().to_string())
            .collect(),
    )
}

/// An API key issued by an admin through the backoffice.
async fn issue_key(t: &TestStack, clock: Arc<ManualClock>) -> (String, String) {
    let office = backoffice_app(t, clock);
    let issued = reply(
        backoffice::handle(
            &office,
            staff_request(
                "POST",
                "/staff/open311/keys",
                "adm",
                &["admin"],
                Some(r#"{"name":"Aplikasi Warga"}"#),
            ),
        )
        .await
        .unwrap(),
    );
    assert_eq!(issued.status, 201, "{}", issued.json);
    (
        issued.json["id"].as_str().unwrap().to_string(),
        issued.json["api_key"].as_str().unwrap().to_string(),
    )
}

fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

async fn post(web: &web_intake::WebIntake, ext: &str, pairs: &[(&str, &str)]) -> Got {
    send(
        web,
        api_request(
            "POST",
            &format!("/open311/v2/requests.{ext}"),
            &[FORM],
            Some(&form(pairs)),
        ),
    )
    .await
}

#[tokio::test]
async fn discovery_services_and_definitions_in_both_formats() {
    let t = stack("o311-services").await;
    let web = app_with(
        &t,
        Arc::new(ManualClock::new(friday_morning())),
        &t.intake_url,
    );

    let discovery = send(
        &web,
        api_request(
            "GET",
            "/open311/v2/discovery.json",
            &[("host", "sigap.example.id"), ("x-forwarded-proto", "https")],
            None,
        ),
    )
    .await;
    assert_eq!(discovery.status, 200);
    assert_eq!(
        discovery.json["endpoints"][0]["url"],
        "https://sigap.example.id/open311/v2"
    );
    assert_eq!(
        discovery.json["endpoints"][0]["specification"],
        "http://wiki.open311.org/GeoReport_v2"
    );
    assert_eq!(
        discovery.json["endpoints"][0]["formats"],
        json!(["text/xml", "application/json"])
    );
    let (root, children) = xml_shape(&get(&web, "/open311/v2/discovery.xml").await.body);
    assert_eq!(root, "discovery");
    assert_eq!(
        children,
        ["changeset", "contact", "key_service", "endpoints"]
    );

    let services = get(&web, "/open311/v2/services.json").await;
    assert_eq!(services.status, 200);
    let list = services.json.as_array().unwrap();
    assert!(list.len() >= 10);
    let road = list
        .iter()
        .find(|s| s["service_code"] == "jalan-rusak")
        .unwrap();
    assert_eq!(road["metadata"], true);
    assert_eq!(road["type"], "realtime");
    assert!(
        road["keywords"]
            .as_str()
            .unwrap()
            .contains("jalan berlubang")
    );
    for field in [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ] {
        assert!(road.get(field).is_some(), "{field}");
    }
    let xml = get(&web, "/open311/v2/services.xml").await;
    assert_eq!(xml.status, 200);
    let (root, children) = xml_shape(&xml.body);
    assert_eq!(root, "services");
    assert_eq!(children.len(), list.len());
    assert!(children.iter().all(|c| c == "service"));

    let definition = get(&web, "/open311/v2/services/jalan-rusak.json").await;
    assert_eq!(definition.json["service_code"], "jalan-rusak");
    assert_eq!(definition.json["attributes"][0]["code"], "UKURAN");
    let (root, children) = xml_shape(&get(&web, "/open311/v2/services/jalan-rusak.xml").await.body);
    assert_eq!(
        (root.as_str(), children.as_slice()),
        (
            "service_definition",
            &["service_code".to_string(), "attributes".to_string()][..]
        )
    );

    // Errors in the specification's shape, both formats.
    let missing = get(&web, "/open311/v2/services/sulap.json").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json[0]["code"], 404);
    let missing = get(&web, "/open311/v2/services/sulap.xml").await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        xml_shape(&missing.body),
        ("errors".into(), vec!["error".into()])
    );
    assert_eq!(get(&web, "/open311/v2/services.html").await.status, 404);
    assert_eq!(get(&web, "/open311/v2/tokens/abc.json").await.status, 404);
    let token = get(&web, "/open311/v2/tokens/abc.xml").await;
    assert_eq!(token.status, 404);
    assert_eq!(xml_shape(&token.body).0, "errors");
    assert_eq!(
        get(
            &web,
            "/open311/v2/services.json?jurisdiction_id=jakarta.go.id"
        )
        .await
        .status,
        404
    );
    assert_eq!(
        get(
            &web,
            "/open311/v2/services.json?jurisdiction_id=bandung.go.id"
        )
        .await
        .status,
        200
    );
    assert_eq!(
        get(&web, "/open311/v2/services.json?jurisdiction_id=")
            .await
            .status,
        200,
        "empty is absent"
    );
}

#[tokio::test]
async fn a_posted_request_round_trips_and_keys_are_checked() {
    let t = stack("o311-post").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let web = app_with(&t, clock.clone(), &t.intake_url);
    let (key_id, key) = issue_key(&t, clock.clone()).await;
    let request = [
        ("api_key", key.as_str()),
        ("jurisdiction_id", "bandung.go.id"),
        ("service_code", "jalan-rusak"),
        ("lat", "-6.885"),
        ("long", "107.613"),
        ("address_string", "Jl. Ir. H. Juanda No. 120"),
        (
            "description",
            "Lubang besar di depan sekolah, bahaya untuk motor.",
        ),
        ("first_name", "Siti"),
        ("last_name", "Rahma"),
        ("phone", "0812-3456-7890"),
        ("email", "siti@example.id"),
        ("attribute[UKURAN]", "besar"),
        ("attribute[LAJUR][]", "badan-jalan"),
        ("attribute[LAJUR][]", "trotoar"),
        ("media_url", "https://example.id/foto/1.jpg"),
    ];

    // Keys: none, forged, then the real one.
    let mut without = request.to_vec();
    without.remove(0);
    let refused = post(&web, "json", &without).await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.json[0]["code"], 403);
    let mut forged = request.to_vec();
    forged[0].1 = "deadbeef.0000";
    assert_eq!(post(&web, "xml", &forged).await.status, 403);

    let created = post(&web, "json", &request).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.json[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(id.starts_with("BDG-"));
    assert!(created.json[0].get("service_notice").is_some());
    // The same post again (a client retry): the same request.
    let again = post(&web, "xml", &request).await;
    assert_eq!(again.status, 201);
    assert!(
        again
            .body
            .contains(&format!("<service_request_id>{id}</service_request_id>")),
        "{}",
        again.body
    );
    // It entered the same workflow: queued for triage like a web report.
    let queued = sigap_tests::drain(&t.clients, &t.intake_url).await;
    assert_eq!(queued.len(), 1);
    // Until an admin verified it, a request shows its status and dates only.
    let unverified = get(&web, &format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!(unverified.json[0]["status"], "open");
    assert_eq!(unverified.json[0]["description"], Value::Null);
    assert_eq!(unverified.json[0]["lat"], Value::Null);
    let tracking = sigap::domain::tracking_id::TrackingId::parse(&id).unwrap();
    verify::triage(&verify_app(&t, clock.clone()), &tracking)
        .await
        .unwrap();
    publish(&t, clock.clone(), &id).await;

    let got = get(&web, &format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!(got.status, 200, "{}", got.body);
    let one = &got.json[0];
    assert_eq!(one["service_request_id"], id.as_str());
    assert_eq!(one["service_code"], "jalan-rusak");
    assert_eq!(one["status"], "open");
    assert_eq!(one["lat"], -6.885);
    assert_eq!(one["long"], 107.613);
    assert_eq!(one["address"], "Jl. Ir. H. Juanda No. 120");
    let description = one["description"].as_str().unwrap();
    assert!(
        description.starts_with("Lubang besar di depan sekolah"),
        "{description}"
    );
    assert!(description.contains("Besar") || description.contains("besar"));
    assert!(description.contains("https://example.id/foto/1.jpg"));
    assert!(
        one["expected_datetime"]
            .as_str()
            .unwrap()
            .ends_with("+07:00")
    );
    assert_eq!(one["notes"][0]["type"], "received");
    // Field for field the specification's request, plus the notes extension.
    let mut fields: Vec<&str> = one
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "address",
            "address_id",
            "agency_responsible",
            "description",
            "expected_datetime",
            "lat",
            "long",
            "media_url",
            "notes",
            "requested_datetime",
            "service_code",
            "service_name",
            "service_notice",
            "service_request_id",
            "status",
            "status_notes",
            "updated_datetime",
            "zipcode",
        ]
    );
    // No identity, ever.
    for secret in ["Siti", "Rahma", "3456", "siti@example.id"] {
        assert!(!got.body.contains(secret), "{secret} leaked: {}", got.body);
    }
    let xml = get(&web, &format!("/open311/v2/requests/{id}.xml")).await;
    let (root, children) = xml_shape(&xml.body);
    assert_eq!(
        (root.as_str(), children.as_slice()),
        ("service_requests", &["request".to_string()][..])
    );

    // Bad posts: unknown service 404, no location 400, a required answer missing 400.
    let mut unknown = request.to_vec();
    unknown[2].1 = "sulap";
    assert_eq!(post(&web, "json", &unknown).await.status, 404);
    let nowhere: Vec<_> = request
        .iter()
        .copied()
        .filter(|(k, _)| !["lat", "long", "address_string"].contains(k))
        .collect();
    let refused = post(&web, "json", &nowhere).await;
    assert_eq!(refused.status, 400);
    assert!(
        refused.json[0]["description"]
            .as_str()
            .unwrap()
            .contains("Lokasi")
    );
    let unanswered: Vec<_> = request
        .iter()
        .copied()
        .filter(|(k, _)| *k != "attribute[UKURAN]")
        .collect();
    assert_eq!(post(&web, "json", &unanswered).await.status, 400);
    assert_eq!(
        send(
            &web,
            api_request(
                "POST",
                "/open311/v2/requests.json",
                &[("content-type", "application/json")],
                Some("{}")
            )
        )
        .await
        .status,
        400
    );
    assert_eq!(
        get(&web, "/open311/v2/requests/BDG-K7M2QXZ.json")
            .await
            .status,
        404
    );

    // A revoked key is refused at once.
    let office = backoffice_app(&t, clock.clone());
    let revoked = reply(
        backoffice::handle(
            &office,
            staff_request(
                "DELETE",
                &format!("/staff/open311/keys/{key_id}"),
                "adm",
                &["admin"],
                None,
            ),
        )
        .await
        .unwrap(),
    );
    assert_eq!(revoked.status, 200);
    let unknown = reply(
        backoffice::handle(
            &office,
            staff_request(
                "DELETE",
                "/staff/open311/keys/nope",
                "adm",
                &["admin"],
                None,
            ),
        )
        .await
        .unwrap(),
    );
    assert_eq!(
        unknown.status, 404,
        "a failed condition is told apart from an AWS error"
    );
    let mut fresh = request.to_vec();
    fresh[6].1 = "Lubang lain di ujung jalan yang sama, lebih dalam.";
    assert_eq!(post(&web, "json", &fresh).await.status, 403);
    let listed: HttpReply = reply(
        backoffice::handle(
            &office,
            staff_request("GET", "/staff/open311/keys", "adm", &["admin"], None),
        )
        .await
        .unwrap(),
    );
    assert!(listed.json["keys"][0]["revoked_at"].is_string());
    assert!(
        !listed.json.to_string().contains(&key),
        "a key's secret is shown once"
    );
    let agency = reply(
        backoffice::handle(
            &office,
            staff_request("GET", "/staff/open311/keys", "a", &["agency:dlh"], None),
        )
        .await
        .unwrap(),
    );
    assert_eq!(agency.status, 403);
}

#[tokio::test]
async fn request_lists_filter_page_and_never_show_confidential_reports() {
    let t = stack("o311-list").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let web = app_with(&t, clock.clone(), &t.intake_url);
    let road = submit_and_triage(&t, clock.clone(), valid_body()).await;
    clock.advance(SignedDuration::from_secs(60));
    let mut lamp = valid_body();
    lamp["category"] = json!("pju");
    lamp["title"] = json!("Lampu jalan mati total");
    let lamp = submit_and_triage(&t, clock.clone(), lamp).await;
    clock.advance(SignedDuration::from_secs(60));
    let mut secret = valid_body();
    secret["confidential"] = json!(true);
    secret["title"] = json!("Pungli di kantor kelurahan");
    let secret = submit_and_triage(&t, clock.clone(), secret).await;
    clock.advance(SignedDuration::from_secs(60));
    // One more, not yet verified: no list shows it.
    let mut waiting = valid_body();
    waiting["title"] = json!("Trotoar amblas dekat halte");
    let unverified = submit_and_triage(&t, clock.clone(), waiting).await;
    for id in [&road, &lamp, &secret] {
        publish(&t, clock.clone(), id).await;
    }

    let ids = |got: &Got| -> Vec<String> {
        got.json
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["service_request_id"].as_str().unwrap().to_string())
            .collect()
    };
    let all = get(&web, "/open311/v2/requests.json").await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(
        ids(&all),
        vec![lamp.clone(), road.clone()],
        "newest first, confidential never"
    );
    assert!(
        !ids(&all).contains(&unverified),
        "unverified, so not listed"
    );
    assert!(
        all.json[0].get("notes").is_none(),
        "notes only with extensions=true"
    );
    let with_notes = get(&web, "/open311/v2/requests.json?extensions=true").await;
    assert!(with_notes.json[0]["notes"].is_array());
    let xml = get(&web, "/open311/v2/requests.xml").await;
    assert_eq!(
        xml_shape(&xml.body),
        (
            "service_requests".into(),
            vec!["request".into(), "request".into()]
        )
    );

    assert_eq!(
        ids(&get(&web, "/open311/v2/requests.json?service_code=pju").await),
        vec![lamp.clone()]
    );
    assert_eq!(
        ids(&get(
            &web,
            "/open311/v2/requests.json?service_code=pju,jalan-rusak"
        )
        .await)
        .len(),
        2
    );
    assert_eq!(
        ids(&get(&web, "/open311/v2/requests.json?status=closed").await).len(),
        0
    );
    assert_eq!(
        ids(&get(&web, "/open311/v2/requests.json?status=open").await).len(),
        2
    );
    assert_eq!(
        get(&web, "/open311/v2/requests.json?status=lost")
            .await
            .status,
        400
    );
    // service_request_id overrides the rest, and never reveals a confidential one.
    let chosen = get(
        &web,
        &format!("/open311/v2/requests.json?service_request_id={road},{secret}&status=closed"),
    )
    .await;
    assert_eq!(ids(&chosen), vec![road.clone()]);
    assert_eq!(
        get(&web, &format!("/open311/v2/requests/{secret}.json"))
            .await
            .status,
        404
    );
    // Dates: a window, the 90-day rule, bad dates.
    let since = get(
        &web,
        "/open311/v2/requests.json?start_date=2026-11-20T10:00:30%2B07:00",
    )
    .await;
    assert_eq!(ids(&since), vec![lamp.clone()], "{}", since.body);
    let before = get(
        &web,
        "/open311/v2/requests.json?end_date=2026-11-20T10:00:30%2B07:00",
    )
    .await;
    assert_eq!(ids(&before), vec![road.clone()]);
    let long = get(
        &web,
        "/open311/v2/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-11-20T00:00:00Z",
    )
    .await;
    assert_eq!(long.status, 400);
    assert_eq!(
        get(&web, "/open311/v2/requests.json?start_date=kemarin")
            .await
            .status,
        400
    );
    // Pagination extension.
    assert_eq!(
        ids(&get(&web, "/open311/v2/requests.json?page_size=1").await),
        vec![lamp.clone()]
    );
    assert_eq!(
        ids(&get(&web, "/open311/v2/requests.json?page_size=1&page=2").await),
        vec![road.clone()]
    );
    assert_eq!(
        get(&web, "/open311/v2/requests.json?page_size=0")
            .await
            .status,
        400
    );
    // No identity in any list.
    for secret_text in ["Siti", "3456", "siti@example.id", "Pungli"] {
        assert!(
            !with_notes.body.contains(secret_text),
            "{secret_text} leaked"
        );
    }
}

#[tokio::test]
async fn a_key_over_its_hourly_limit_is_refused_with_the_specific_code() {
    let t = stack("o311-limit").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let web: web_intake::WebIntake = t.app(clock.clone(), &[("OPEN311_REQUESTS_PER_HOUR", "1")]);
    let (_, key) = issue_key(&t, clock.clone()).await;
    for (text, want) in [
        ("Lampu jalan mati sepanjang blok ini.", 201),
        ("Lampu taman juga mati sejak kemarin malam.", 403),
    ] {
        let got = post(
            &web,
            "json",
            &[
                ("api_key", key.as_str()),
                ("service_code", "pju"),
                ("address_string", "Jl. Riau depan taman"),
                ("description", text),
            ],
        )
        .await;
        assert_eq!(got.status, want, "{}", got.body);
        if want == 403 {
            assert_eq!(got.json[0]["code"], 429);
            let wait: i64 = got.retry_after.as_deref().unwrap().parse().unwrap();
            assert!((1..=3600).contains(&wait), "Retry-After {wait}");
        }
    }
}
