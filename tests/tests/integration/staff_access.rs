//! Who may do what: the authorization matrix, the privacy rules (responses and logs),
//! and the 409 rule for two people acting on the same report.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sigap::adapters::reports::ReportStore;
use sigap::clock::SystemClock;
use sigap::domain::report::ReportStatus;
use sigap::domain::tracking_id::TrackingId;
use sigap::ids::OsRandom;
use sigap_tests::{captured_logs, devstack, unique_phone};

use crate::web_intake::valid_body;
use crate::workflow_e2e::call;

/// Submits a report and waits until it is triaged: drives the intake queue itself
/// (when devstack runs without background pollers) and reads the stored status.
async fn triaged(running: &devstack::Running, body: Value) -> (String, String) {
    let created = call(
        "POST",
        &format!("{}/reports", running.base_url),
        None,
        None,
        Some(body),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.json);
    let id = created.json["tracking_id"].as_str().unwrap().to_string();
    let source = running
        .queue_sources
        .iter()
        .find(|s| s.url.contains("IntakeQueue"))
        .unwrap();
    let clients = sigap_tests::clients().await;
    let store = ReportStore::new(
        clients.dynamodb.clone(),
        running.stack.table_name().unwrap(),
    );
    let tracking = TrackingId::parse(&id).unwrap();
    let started = Instant::now();
    loop {
        let status = store.get(&tracking).await.unwrap().unwrap().status;
        if status != ReportStatus::Received {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{id} never triaged"
        );
        devstack::sources::poll_once(&clients.sqs, source, "ap-southeast-3", 1).await;
    }
    (
        id,
        created.json["reporter_token"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn every_route_for_every_principal() {
    let running = devstack("authz", Arc::new(SystemClock), Arc::new(OsRandom), false).await;
    let base = running.base_url.clone();
    let (id, mine) = triaged(&running, valid_body()).await;
    let (other_id, other) = triaged(
        &running,
        json!({
            "title": "Lampu jalan mati", "description": "PJU mati di Jalan Braga sejak kemarin.",
            "category": "pju", "location": {"address": "Jl. Braga"}
        }),
    )
    .await;
    let admin = running.token("admin-1", &["admin"]);
    for report in [&id, &other_id] {
        let dispatched = call(
            "POST",
            &format!("{base}/staff/reports/{report}/dispatch"),
            Some(&admin),
            None,
            Some(json!({"agencies": ["dsdabm"]})),
        )
        .await;
        assert_eq!(dispatched.status, 200, "{}", dispatched.json);
    }
    let supervisor = running.token("sup-1", &["supervisor"]);
    let agency_a = running.token("a-1", &["agency:dsdabm"]);
    let agency_b = running.token("b-1", &["agency:dlh"]);
    let operator = running.token("op-1", &["operator"]);
    // (name, staff token, reporter token)
    let principals: [(&str, Option<&str>, Option<&str>); 8] = [
        ("anonymous", None, None),
        ("reporter", None, Some(&mine)),
        ("other reporter", None, Some(&other)),
        ("admin", Some(&admin), None),
        ("supervisor", Some(&supervisor), None),
        ("agency A", Some(&agency_a), None),
        ("agency B", Some(&agency_b), None),
        ("operator", Some(&operator), None),
    ];
    let staff = |p: &str| format!("{base}/staff/{p}");
    let report = |p: &str| format!("{base}/staff/reports/{id}{p}");
    let citizen = |p: &str| format!("{base}/reports/{id}/{p}");
    // Rows run in order, each principal in the order above, so the state they act
    // on is known: R is dispatched to agency A; admin-only moves on it are 409.
    const ADMIN_ONLY_409: [u16; 8] = [401, 401, 401, 409, 403, 403, 404, 404];
    const ADMIN_ONLY_200: [u16; 8] = [401, 401, 401, 200, 403, 403, 404, 404];
    const AGENCY_A_200: [u16; 8] = [401, 401, 401, 403, 403, 200, 404, 404];
    const REPORTER: fn(u16) -> [u16; 8] = |own| [401, own, 403, 401, 401, 401, 401, 401];
    let matrix: Vec<(&str, String, Option<Value>, [u16; 8])> = vec![
        ("GET", format!("{base}/categories"), None, [200; 8]),
        (
            "GET",
            staff("queue"),
            None,
            [401, 401, 401, 200, 200, 403, 403, 403],
        ),
        (
            "GET",
            staff("inbox"),
            None,
            [401, 401, 401, 403, 403, 200, 200, 403],
        ),
        (
            "GET",
            staff("summary"),
            None,
            [401, 401, 401, 200, 200, 403, 403, 403],
        ),
        (
            "GET",
            report(""),
            None,
            [401, 401, 401, 200, 200, 200, 404, 404],
        ),
        (
            "POST",
            report("/dispatch"),
            Some(json!({"agencies": ["dlh"]})),
            ADMIN_ONLY_409,
        ),
        (
            "POST",
            report("/request-info"),
            Some(json!({"question": "?"})),
            ADMIN_ONLY_409,
        ),
        (
            "POST",
            report("/archive"),
            Some(json!({"reason": "spam"})),
            ADMIN_ONLY_409,
        ),
        (
            "POST",
            report("/merge"),
            Some(json!({"into": other_id})),
            ADMIN_ONLY_409,
        ),
        (
            "POST",
            report("/redact"),
            Some(json!({"description": "Lubang besar di depan sekolah."})),
            ADMIN_ONLY_200,
        ),
        (
            "POST",
            report("/notes"),
            Some(json!({"text": "Survei besok"})),
            AGENCY_A_200,
        ),
        ("POST", report("/acknowledge"), None, AGENCY_A_200),
        (
            "POST",
            report("/follow-up"),
            Some(json!({"text": "Sudah ditambal"})),
            AGENCY_A_200,
        ),
        (
            "POST",
            report("/teleport"),
            None,
            [401, 401, 401, 404, 404, 404, 404, 404],
        ),
        (
            "POST",
            citizen("rating"),
            Some(json!({"score": 5})),
            REPORTER(200),
        ),
        (
            "POST",
            citizen("reply"),
            Some(json!({"text": "Terima kasih"})),
            REPORTER(200),
        ),
        (
            "POST",
            citizen("info"),
            Some(json!({"text": "Foto menyusul"})),
            REPORTER(200),
        ),
        (
            "POST",
            citizen("dispute"),
            Some(json!({"reason": "Masih berlubang"})),
            REPORTER(200),
        ),
        ("POST", citizen("accept"), None, REPORTER(409)),
        ("GET", format!("{base}/reports/{id}"), None, [200; 8]),
        // Agency A returns the other report (bukan wewenang): only agency A may.
        (
            "POST",
            format!("{base}/staff/reports/{other_id}/return"),
            Some(json!({"reason": "Bukan wewenang kami"})),
            AGENCY_A_200,
        ),
    ];
    let mut failures = Vec::new();
    for (method, url, body, expected) in &matrix {
        for ((who, token, reporter), want) in principals.iter().zip(expected) {
            let got = call(method, url, *token, *reporter, body.clone()).await;
            if got.status != *want {
                failures.push(format!(
                    "{method} {url} as {who}: want {want}, got {} {}",
                    got.status, got.json
                ));
            }
            if got.status >= 400 {
                assert!(
                    got.json.get("error").is_some() || got.json.get("message").is_some(),
                    "{method} {url}: {}",
                    got.json
                );
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Submitting is public to everyone (one request is enough to show it).
    assert_eq!(
        call(
            "POST",
            &format!("{base}/reports"),
            None,
            None,
            Some(valid_body())
        )
        .await
        .status,
        201
    );

    // Agency B never sees agency A's reports, not even in its inbox.
    let inbox_b = call("GET", &staff("inbox"), Some(&agency_b), None, None).await;
    assert!(!inbox_b.json.to_string().contains(&id));
    running.shutdown();
}

#[tokio::test]
async fn identities_of_anonymous_and_confidential_reporters_stay_hidden() {
    captured_logs();
    let running = devstack("privacy", Arc::new(SystemClock), Arc::new(OsRandom), true).await;
    let base = running.base_url.clone();
    let admin = running.token("admin-1", &["admin"]);
    let supervisor = running.token("sup-1", &["supervisor"]);
    let agency = running.token("a-1", &["agency:dsdabm"]);
    for (flag, name) in [
        ("anonymous", "Wulan Anonimawati"),
        ("confidential", "Raden Rahasiawan"),
    ] {
        let phone = unique_phone();
        let digits: String = phone.chars().skip(1).collect();
        let mut body = valid_body();
        body["anonymous"] = json!(flag == "anonymous");
        body["confidential"] = json!(flag == "confidential");
        body["contact"] = json!({"name": name, "phone": phone, "email": "pelapor@example.id"});
        let (id, _) = triaged(&running, body).await;
        let dispatched = call(
            "POST",
            &format!("{base}/staff/reports/{id}/dispatch"),
            Some(&admin),
            None,
            Some(json!({"agencies": ["dsdabm"]})),
        )
        .await;
        assert_eq!(dispatched.status, 200);
        // The verifying admin sees who reported.
        let seen_by_admin = call(
            "GET",
            &format!("{base}/staff/reports/{id}"),
            Some(&admin),
            None,
            None,
        )
        .await;
        assert_eq!(seen_by_admin.json["reporter"]["name"], name);
        // Nobody else does, in any response.
        let others = [
            call("GET", &format!("{base}/reports/{id}"), None, None, None).await,
            call(
                "GET",
                &format!("{base}/staff/reports/{id}"),
                Some(&agency),
                None,
                None,
            )
            .await,
            call(
                "GET",
                &format!("{base}/staff/reports/{id}"),
                Some(&supervisor),
                None,
                None,
            )
            .await,
            call(
                "GET",
                &format!("{base}/staff/inbox"),
                Some(&agency),
                None,
                None,
            )
            .await,
            call(
                "GET",
                &format!("{base}/staff/queue?status=pending_verification"),
                Some(&supervisor),
                None,
                None,
            )
            .await,
            call(
                "POST",
                &format!("{base}/staff/reports/{id}/acknowledge"),
                Some(&agency),
                None,
                None,
            )
            .await,
        ];
        for r in &others {
            let text = r.json.to_string();
            for secret in [name, digits.as_str(), "pelapor@example.id"] {
                assert!(!text.contains(secret), "{flag}: {secret} leaked in {text}");
            }
        }
        if flag == "confidential" {
            assert_eq!(others[0].status, 404, "confidential reports are not public");
        }
        // …and it never reaches the logs, whoever handled it.
        let logs = captured_logs();
        // The capture works: the admin's identity view above was logged (without it).
        assert!(logs.contains("reporter identity shown to staff") && logs.contains(&id));
        for secret in [name, digits.as_str(), "pelapor@example.id"] {
            assert!(!logs.contains(secret), "{flag}: {secret} found in the logs");
        }
    }
    running.shutdown();
}

#[tokio::test]
async fn two_admins_at_once_one_wins_the_other_gets_409_with_the_current_state() {
    let running = devstack("conflict", Arc::new(SystemClock), Arc::new(OsRandom), false).await;
    let base = running.base_url.clone();
    let (id, _) = triaged(&running, valid_body()).await;
    let first = running.token("admin-1", &["admin"]);
    let second = running.token("admin-2", &["admin"]);
    // Both open the report and see the same version.
    let seen = call(
        "GET",
        &format!("{base}/staff/reports/{id}"),
        Some(&first),
        None,
        None,
    )
    .await;
    let version = seen.json["version"].to_string();
    let act = |token: &str, body: Value| {
        let url = format!("{base}/staff/reports/{id}/dispatch");
        let bearer = format!("Bearer {token}");
        let version = version.clone();
        async move {
            let headers = [
                ("content-type", "application/json"),
                ("authorization", bearer.as_str()),
                ("if-match", version.as_str()),
            ];
            sigap_tests::http("POST", &url, &headers, Some(&body.to_string())).await
        }
    };
    let won = act(&first, json!({"agencies": ["dsdabm"]})).await;
    assert_eq!(won.status, 200, "{}", won.json);
    let lost = act(&second, json!({"agencies": ["dlh"]})).await;
    assert_eq!(lost.status, 409, "{}", lost.json);
    assert_eq!(lost.json["error"]["code"], "conflict");
    assert_eq!(lost.json["current"]["status"], "dispatched");
    assert_eq!(lost.json["current"]["assignments"][0]["agency"], "dsdabm");
    // Exactly one dispatch in the audit trail.
    let trail = call(
        "GET",
        &format!("{base}/staff/reports/{id}"),
        Some(&first),
        None,
        None,
    )
    .await;
    let dispatches = trail.json["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "dispatch")
        .count();
    assert_eq!(dispatches, 1);
    running.shutdown();
}

/// Sends one request; a description of the failure unless it got one of `want`, with
/// an error body.
async fn refused_as_expected(
    method: String,
    url: String,
    route: String,
    who: &'static str,
    headers: Vec<(&'static str, String)>,
    body: &'static str,
    want: &'static [u16],
) -> Option<String> {
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let got = sigap_tests::http(&method, &url, &headers, Some(body)).await;
    let shaped = got.json.get("error").is_some() || got.json.get("message").is_some();
    (!want.contains(&got.status) || !shaped).then(|| {
        format!(
            "{route} as {who}: want {want:?}, got {} {}",
            got.status, got.json
        )
    })
}

/// Every route the template declares, by who may reach it at all: staff routes refuse
/// missing, forged and expired tokens (401) and a token without a Sigap role (403);
/// webhooks and device routes refuse wrong signatures (403); signed links refuse a
/// forged token (403). Public routes are the only ones left, and they are listed, so
/// a new route cannot join without a decision here.
#[tokio::test]
async fn every_route_refuses_missing_forged_expired_and_wrongly_signed_callers() {
    let running = devstack("authn", Arc::new(SystemClock), Arc::new(OsRandom), false).await;
    let base = running.base_url.clone();
    let template = devstack::template::Template::parse(&sigap_tests::template_text()).unwrap();
    let forged = devstack::jwt::DevAuthority::new(b"not the key".to_vec()).token(
        "admin-1",
        &["admin"],
        jiff::Timestamp::now(),
        12,
    );
    let expired = running.token_issued(
        "admin-1",
        &["admin"],
        jiff::Timestamp::now() - jiff::SignedDuration::from_hours(13),
        12,
    );
    let no_role = running.token("citizen-1", &["citizens"]);
    const PUBLIC: [&str; 7] = [
        "POST /reports",
        "GET /reports/{id}",
        "GET /categories",
        "GET /open311/v2/{resource}",
        "POST /open311/v2/{resource}",
        "GET /open311/v2/{collection}/{resource}",
        "GET /social/x",
    ];
    // Registration and its code are how a device gets its secret: no signature yet.
    const DEVICE_ENROLMENT: [&str; 2] = ["POST /panic/devices", "POST /panic/devices/{id}/verify"];
    let tracking = sigap::ids::IdGenerator::tracking_id(&OsRandom)
        .unwrap()
        .to_string();
    let fill = |path: &str| {
        let action = match path {
            p if p.starts_with("/staff/devices/") => "block",
            p if p.starts_with("/staff/reports/") => "dispatch",
            p if p.starts_with("/reports/") => "info",
            _ => "ack",
        };
        let id = if path.contains("reports/") {
            tracking.as_str()
        } else {
            "0000000000000000000000000000beef"
        };
        path.replace("{id}", id)
            .replace("{action}", action)
            .replace("{token}", "forged")
            .replace("{year}", "2027")
            .replace("{sender}", "abc")
    };
    let mut failures = Vec::new();
    let mut checked = 0;
    for function in &template.functions {
        for event in &function.events {
            let devstack::template::EventSpec::Http {
                method,
                path,
                authorizer,
                ..
            } = event
            else {
                continue;
            };
            let route = format!("{method} {path}");
            let url = format!("{base}{}", fill(path));
            let expect = |who: &'static str,
                          headers: Vec<(&'static str, String)>,
                          body: &'static str,
                          want: &'static [u16]| {
                refused_as_expected(
                    method.clone(),
                    url.clone(),
                    route.clone(),
                    who,
                    headers,
                    body,
                    want,
                )
            };
            let json = ("content-type", "application/json".to_string());
            let outcomes = if authorizer.is_some() {
                vec![
                    expect("anonymous", vec![json.clone()], "{}", &[401]).await,
                    expect(
                        "forged JWT",
                        vec![json.clone(), ("authorization", format!("Bearer {forged}"))],
                        "{}",
                        &[401],
                    )
                    .await,
                    expect(
                        "expired JWT",
                        vec![json.clone(), ("authorization", format!("Bearer {expired}"))],
                        "{}",
                        &[401],
                    )
                    .await,
                    expect(
                        "no Sigap role",
                        vec![json.clone(), ("authorization", format!("Bearer {no_role}"))],
                        "{}",
                        &[403],
                    )
                    .await,
                ]
            } else if route == "POST /sms/twilio" {
                let form = (
                    "content-type",
                    "application/x-www-form-urlencoded".to_string(),
                );
                vec![
                    expect(
                        "wrong Twilio signature",
                        vec![form, ("x-twilio-signature", "Zm9yZ2Vk".into())],
                        "MessageSid=SM1&From=%2B6281234567890&Body=BDG+test",
                        &[403],
                    )
                    .await,
                ]
            } else if route == "POST /sms/gateway" {
                vec![
                    expect(
                        "wrong gateway signature",
                        vec![
                            json.clone(),
                            (
                                "x-sigap-timestamp",
                                jiff::Timestamp::now().as_second().to_string(),
                            ),
                            ("x-sigap-signature", "sha256=00".into()),
                        ],
                        r#"{"message_id":"m1","from":"081234567890","text":"BDG test"}"#,
                        &[403],
                    )
                    .await,
                ]
            } else if route == "POST /social/x" {
                // X is off in devstack (no account id): the route answers 404 before
                // any check; with X on, a wrong signature is 403 (social_mentions).
                vec![
                    expect(
                        "wrong X signature",
                        vec![
                            json.clone(),
                            ("x-twitter-webhooks-signature", "sha256=Zm9yZ2Vk".into()),
                        ],
                        "{}",
                        &[403, 404],
                    )
                    .await,
                ]
            } else if path.starts_with("/panic/") && !DEVICE_ENROLMENT.contains(&route.as_str()) {
                vec![
                    expect("unsigned device", vec![json.clone()], "{}", &[403]).await,
                    expect(
                        "wrongly signed device",
                        vec![
                            json.clone(),
                            ("x-sigap-device", "0000000000000000000000000000beef".into()),
                            (
                                "x-sigap-timestamp",
                                jiff::Timestamp::now().as_second().to_string(),
                            ),
                            ("x-sigap-signature", "sha256=00".into()),
                        ],
                        "{}",
                        &[403],
                    )
                    .await,
                ]
            } else if route == "POST /reports/{id}/{action}" {
                vec![
                    expect("no reporter token", vec![json.clone()], "{}", &[401, 404]).await,
                    expect(
                        "wrong reporter token",
                        vec![json.clone(), ("x-reporter-token", "forged".into())],
                        "{}",
                        &[403, 404],
                    )
                    .await,
                ]
            } else if path.starts_with("/a/") {
                vec![expect("forged link token", vec![], "", &[403, 404]).await]
            } else {
                assert!(
                    PUBLIC.contains(&route.as_str()) || DEVICE_ENROLMENT.contains(&route.as_str()),
                    "{route} is public: add it to PUBLIC or give it a check"
                );
                continue;
            };
            checked += 1;
            failures.extend(outcomes.into_iter().flatten());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 28, "{checked} routes checked");
    running.shutdown();
}
