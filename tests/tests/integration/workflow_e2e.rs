//! The LAPOR! workflow end to end over real HTTP on devstack, with the background
//! pollers delivering triage and SMS exactly as they would on Lambda.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sigap::runtime::clock::SystemClock;
use sigap::runtime::ids::OsRandom;
use sigap_tests::{HttpReply, devstack, http, sent_sms, unique_phone};

use crate::web_intake::valid_body;

/// A request with an optional staff token and an optional reporter token.
pub async fn call(
    method: &str,
    url: &str,
    staff: Option<&str>,
    reporter: Option<&str>,
    body: Option<Value>,
) -> HttpReply {
    let bearer = staff.map(|t| format!("Bearer {t}"));
    let mut headers = vec![("content-type", "application/json")];
    if let Some(b) = &bearer {
        headers.push(("authorization", b.as_str()));
    }
    if let Some(r) = reporter {
        headers.push(("x-reporter-token", r));
    }
    let body = body.map(|b| b.to_string());
    let mut reply = http(method, url, &headers, body.as_deref()).await;
    // A submission answered 503, or 409 while an attempt holds its key (moto stalled by
    // another test's state dump), is retried as a client is told to: the same request
    // makes the same report.
    for _ in 0..3 {
        if !(method == "POST" && url.ends_with("/reports") && sigap_tests::retry_later(&reply)) {
            break;
        }
        eprintln!(
            "POST {url} answered {} {}; retrying",
            reply.status, reply.json
        );
        tokio::time::sleep(Duration::from_secs(if reply.status == 409 { 5 } else { 1 })).await;
        reply = http(method, url, &headers, body.as_deref()).await;
    }
    reply
}

/// Waits until `phone` has received `n` SMS, then returns them all.
pub async fn wait_for_sms(phone: &str, n: usize) -> Vec<String> {
    let started = Instant::now();
    loop {
        let sms = sent_sms(phone).await;
        if sms.len() >= n || started.elapsed() > Duration::from_secs(20) {
            return sms;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn wait_for_status(base: &str, id: &str, status: &str) -> Value {
    let started = Instant::now();
    loop {
        let shown = call("GET", &format!("{base}/reports/{id}"), None, None, None).await;
        if shown.json["status"] == status || started.elapsed() > Duration::from_secs(20) {
            return shown.json;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

#[tokio::test]
async fn a_report_goes_the_whole_way_with_the_citizen_told_at_each_step() {
    let running = devstack("workflow", Arc::new(SystemClock), Arc::new(OsRandom), true).await;
    let base = running.base_url.clone();
    let admin = running.token("admin-1", &["admin"]);
    let agency = running.token("dsdabm-1", &["agency:dsdabm"]);
    let phone = unique_phone();
    let mut body = valid_body();
    body["contact"] = json!({"name": "Siti Rahma", "phone": phone});

    // Submission → triage → "received" SMS.
    let created = call("POST", &format!("{base}/reports"), None, None, Some(body)).await;
    assert_eq!(created.status, 201, "{}", created.json);
    let id = created.json["tracking_id"].as_str().unwrap().to_string();
    let token = created.json["reporter_token"].as_str().unwrap().to_string();
    assert_eq!(
        wait_for_status(&base, &id, "pending_verification").await["status"],
        "pending_verification"
    );
    let sms = wait_for_sms(&phone, 1).await;
    assert!(
        sms[0].contains(&id) && sms[0].contains("laporan diterima"),
        "{sms:?}"
    );

    let staff_url = |action: &str| format!("{base}/staff/reports/{id}/{action}");
    let citizen_url = |action: &str| format!("{base}/reports/{id}/{action}");
    let expect = |r: &HttpReply, status: &str| {
        assert_eq!(r.status, 200, "{}", r.json);
        assert_eq!(r.json["status"], status, "{}", r.json);
    };

    // Tunda: the admin asks; the clock pauses; the citizen is texted the question.
    let r = call(
        "POST",
        &staff_url("request-info"),
        Some(&admin),
        None,
        Some(json!({"question": "Di RT/RW berapa?"})),
    )
    .await;
    expect(&r, "needs_info");
    assert!(r.json["deadline"].is_null() && r.json["paused_working_days"].as_u64().unwrap() >= 1);
    let sms = wait_for_sms(&phone, 2).await;
    assert!(
        sms[1].ends_with("admin meminta info tambahan: Di RT/RW berapa?"),
        "{sms:?}"
    );

    // The citizen answers with the token; verification resumes.
    let r = call(
        "POST",
        &citizen_url("info"),
        None,
        Some(&token),
        Some(json!({"text": "RT 05 RW 03, depan SDN Dago"})),
    )
    .await;
    expect(&r, "pending_verification");

    // Verify and dispatch.
    let r = call(
        "POST",
        &staff_url("dispatch"),
        Some(&admin),
        None,
        Some(json!({"agencies": ["dsdabm"]})),
    )
    .await;
    expect(&r, "dispatched");
    let sms = wait_for_sms(&phone, 3).await;
    assert!(
        sms[2].contains("diteruskan ke instansi terkait, tindak lanjut paling lambat"),
        "{sms:?}"
    );

    // The agency acknowledges and publishes its follow-up.
    let inbox = call(
        "GET",
        &format!("{base}/staff/inbox"),
        Some(&agency),
        None,
        None,
    )
    .await;
    assert_eq!(inbox.json["reports"][0]["tracking_id"], id.as_str());
    expect(
        &call("POST", &staff_url("acknowledge"), Some(&agency), None, None).await,
        "in_progress",
    );
    let r = call("POST", &staff_url("follow-up"), Some(&agency), None,
        Some(json!({"text": "Lubang sudah ditambal.", "evidence": ["https://dsdabm.bandung.go.id/foto/1.jpg"]}))).await;
    expect(&r, "responded");
    let sms = wait_for_sms(&phone, 4).await;
    assert!(sms[3].contains("instansi telah menanggapi"), "{sms:?}");

    // The citizen disputes: it reopens with a new follow-up clock.
    let r = call(
        "POST",
        &citizen_url("dispute"),
        None,
        Some(&token),
        Some(json!({"reason": "Masih berlubang di sisi kiri."})),
    )
    .await;
    expect(&r, "in_progress");
    let r = call(
        "POST",
        &staff_url("follow-up"),
        Some(&agency),
        None,
        Some(json!({"text": "Sisi kiri sudah ditambal."})),
    )
    .await;
    expect(&r, "responded");
    let sms = wait_for_sms(&phone, 5).await;
    assert!(sms[4].contains("instansi telah menanggapi"), "{sms:?}");

    // Accepted: closed, and told so.
    expect(
        &call("POST", &citizen_url("accept"), None, Some(&token), None).await,
        "closed",
    );
    let sms = wait_for_sms(&phone, 6).await;
    assert!(sms[5].contains("laporan selesai"), "{sms:?}");
    assert_eq!(sms.len(), 6, "one SMS per event, no duplicates: {sms:?}");
    for text in &sms {
        assert!(text.contains(&id) && text.chars().count() <= 160, "{text}");
    }

    // The audit trail has every step, in order, with who acted.
    let detail = call(
        "GET",
        &format!("{base}/staff/reports/{id}"),
        Some(&admin),
        None,
        None,
    )
    .await;
    let trail: Vec<(String, String)> = detail.json["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["to"].as_str().unwrap().to_string(),
                e["by"]
                    .as_str()
                    .unwrap()
                    .split(':')
                    .next()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    let expected = [
        ("received", "citizen"),
        ("pending_verification", "system"),
        ("needs_info", "admin"),
        ("pending_verification", "citizen"),
        ("dispatched", "admin"),
        ("in_progress", "agency"),
        ("responded", "agency"),
        ("in_progress", "citizen"),
        ("responded", "agency"),
        ("closed", "citizen"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(s, b)| (s.to_string(), b.to_string()))
        .collect();
    assert_eq!(trail, expected);

    // The public view shows both follow-ups with the agency's name.
    let public = call("GET", &format!("{base}/reports/{id}"), None, None, None).await;
    let follow_ups = public.json["follow_ups"].as_array().unwrap();
    assert_eq!(follow_ups.len(), 2);
    assert_eq!(
        follow_ups[0]["agency_name"],
        "Dinas Sumber Daya Air dan Bina Marga"
    );
    assert_eq!(follow_ups[1]["text"], "Sisi kiri sudah ditambal.");

    // The agency record: the hourly roll-up (the template's own schedule input)
    // folds the facts each change wrote, and the public page shows them: dispatched
    // on time, two first follow-ups on time (one after the reopening), one reopened
    // of two (50%), no rating, nothing left open.
    let before = http("GET", &format!("{base}/instansi/dsdabm"), &[], None).await;
    assert!(!before.text.contains("<td>2</td>"), "{}", before.text);
    let rolled = running.fire("SlaSweepFunction.AgencyRecord").await.unwrap();
    assert!(rolled["facts"].as_u64().unwrap() >= 4, "{rolled}");
    let page = http("GET", &format!("{base}/instansi/dsdabm"), &[], None).await;
    assert_eq!(page.status, 200);
    assert!(
        page.text.contains(
            "<td>1</td><td>100%</td><td>2</td><td>100%</td><td>50%</td><td>—</td><td>tidak ada</td>"
        ),
        "{}",
        page.text
    );
    let index = http("GET", &format!("{base}/instansi"), &[], None).await;
    assert!(
        index.text.contains(r#"<a href="/instansi/dsdabm">Dinas Sumber Daya Air dan Bina Marga</a></th><td>100% <span class="meta">(2)</span></td>"#),
        "{}",
        index.text
    );
    running.shutdown();
}

#[tokio::test]
async fn the_citizen_adds_information_replies_and_rates_with_the_token() {
    let running = devstack("citizen", Arc::new(SystemClock), Arc::new(OsRandom), true).await;
    let base = running.base_url.clone();
    let admin = running.token("admin-1", &["admin"]);
    let agency = running.token("dlh-1", &["agency:dlh"]);
    let created = call(
        "POST",
        &format!("{base}/reports"),
        None,
        None,
        Some(valid_body()),
    )
    .await;
    let id = created.json["tracking_id"].as_str().unwrap().to_string();
    let token = created.json["reporter_token"].as_str().unwrap().to_string();
    wait_for_status(&base, &id, "pending_verification").await;
    let citizen = |action: &str, body: Value| {
        let url = format!("{base}/reports/{id}/{action}");
        let token = token.clone();
        async move { call("POST", &url, None, Some(&token), Some(body)).await }
    };
    // Adding information while nothing was asked leaves the status alone.
    let added = citizen("info", json!({"text": "Lubangnya sekitar 1 meter."})).await;
    assert_eq!(
        (added.status, added.json["status"].as_str()),
        (200, Some("pending_verification"))
    );
    // Ratings need a follow-up first.
    assert_eq!(citizen("rating", json!({"score": 5})).await.status, 409);
    call(
        "POST",
        &format!("{base}/staff/reports/{id}/dispatch"),
        Some(&admin),
        None,
        Some(json!({"agencies": ["dlh"]})),
    )
    .await;
    let answered = call(
        "POST",
        &format!("{base}/staff/reports/{id}/follow-up"),
        Some(&agency),
        None,
        Some(json!({"text": "Sudah diperbaiki."})),
    )
    .await;
    assert_eq!(answered.json["status"], "responded");
    let replied = citizen("reply", json!({"text": "Terima kasih!"})).await;
    assert_eq!(replied.json["status"], "responded");
    assert_eq!(citizen("rating", json!({"score": 9})).await.status, 422);
    let rated = citizen("rating", json!({"score": 4, "comment": "Cepat ditangani"})).await;
    assert_eq!(
        rated.json["rating"],
        json!({"score": 4, "comment": "Cepat ditangani"})
    );
    let notes: Vec<_> = rated.json["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["note"].as_str().map(str::to_string))
        .collect();
    // The rating is public; the reporter's reply stays between them and the staff.
    assert!(
        !notes.contains(&"Terima kasih!".to_string())
            && notes.contains(&"nilai 4/5: Cepat ditangani".to_string()),
        "{notes:?}"
    );
    // Without the token, or with a wrong one, nothing happens.
    assert_eq!(
        call(
            "POST",
            &format!("{base}/reports/{id}/accept"),
            None,
            None,
            None
        )
        .await
        .status,
        401
    );
    assert_eq!(
        call(
            "POST",
            &format!("{base}/reports/{id}/accept"),
            None,
            Some("0000"),
            None
        )
        .await
        .status,
        403
    );
    assert_eq!(citizen("teleport", json!({})).await.status, 404);
    running.shutdown();
}
