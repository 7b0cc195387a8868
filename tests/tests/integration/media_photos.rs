//! Photos end to end against moto: a slot from the API, the phone's POST to S3, the
//! bucket's event on the media queue, `media` processing it, and who then sees what
//! (docs/decisions/photos.md).

use std::sync::Arc;

use imaging::samples::{
    CAMERA_MODEL, Shot, checkerboard, contains, phone_jpeg, png_bomb, red_left_blue_right,
    street_scene,
};
use serde_json::{Value, json};
use sigap::adapters::reports::ReportStore;
use sigap::domain::photo::PhotoLimits;
use sigap::domain::tracking_id::TrackingId;
use sigap::runtime::clock::ManualClock;
use sigap_tests::calls::{CallLog, counted_clients};
use sigap_tests::{
    HttpReply, TestStack, api_request, http, reply, stack, take_messages, upload_to_slot,
};
use web_intake::WebIntake;

use crate::backoffice_views::as_staff;
use crate::web_intake::{backoffice_app, friday_morning, post, publish, valid_body, verify_app};

/// A report submitted through web-intake and triaged: its id and reporter token.
async fn submitted(t: &TestStack, web: &WebIntake, body: Value) -> (String, String) {
    let created = post(web, &body.to_string(), &[]).await;
    assert_eq!(created.status, 201, "{}", created.json);
    let id = created.json["tracking_id"].as_str().unwrap().to_string();
    let clock = Arc::new(ManualClock::new(friday_morning()));
    verify::triage(&verify_app(t, clock), &TrackingId::parse(&id).unwrap())
        .await
        .unwrap();
    (
        id,
        created.json["reporter_token"].as_str().unwrap().to_string(),
    )
}

/// A request to web-intake with the reporter's token.
async fn as_reporter(web: &WebIntake, method: &str, path: &str, token: &str) -> HttpReply {
    reply(
        web_intake::handle(
            web,
            api_request(method, path, &[("x-reporter-token", token)], None),
        )
        .await
        .unwrap(),
    )
}

/// Uploads `file` with a fresh slot from `slot` (the 201's JSON), as a phone would.
async fn upload(slot: &HttpReply, file: &[u8], content_type: &str) {
    assert_eq!(slot.status, 201, "{}", slot.json);
    let posted = upload_to_slot(&slot.json, file, content_type).await;
    assert!(
        (200..300).contains(&posted.status),
        "{} {}",
        posted.status,
        posted.text
    );
}

/// `media` over the stack.
pub(crate) fn media_app(t: &TestStack, clock: Arc<ManualClock>) -> media::Media {
    t.app(clock, &[])
}

/// Hands every message waiting on the media queue to `media` as one SQS batch each,
/// as the event source mapping does; the bodies, to redeliver.
pub(crate) async fn process_uploads(t: &TestStack, media: &media::Media) -> Vec<String> {
    let url = &t.stack.queue("MediaQueue").unwrap().url;
    let mut bodies = Vec::new();
    // moto delivers the notification as the upload returns; a few receives cover a
    // slow moment.
    for _ in 0..5 {
        let taken = take_messages(&t.clients, url).await;
        if taken.is_empty() && !bodies.is_empty() {
            break;
        }
        bodies.extend(taken);
    }
    for body in &bodies {
        redeliver(media, body).await;
    }
    bodies
}

/// One message to `media`; it must not fail.
async fn redeliver(media: &media::Media, body: &str) {
    let batch = json!({"Records": [{
        "messageId": "m1", "receiptHandle": "rh", "body": body, "attributes": {},
        "messageAttributes": {}, "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:ap-southeast-3:123456789012:media",
        "awsRegion": "ap-southeast-3"
    }]});
    let out = media::handle(media, batch).await.unwrap();
    assert_eq!(out["batchItemFailures"], json!([]), "{body}");
}

async fn version(t: &TestStack, id: &str) -> u64 {
    ReportStore::new(t.clients.dynamodb.clone(), &t.table)
        .get(&TrackingId::parse(id).unwrap())
        .await
        .unwrap()
        .unwrap()
        .version
}

/// The staff view of report `id` for a caller in `groups`.
async fn staff_view(office: &backoffice::Backoffice, id: &str, groups: &[&str]) -> HttpReply {
    as_staff(office, "GET", &format!("/staff/reports/{id}"), groups, None).await
}

fn no_metadata(copy: &[u8]) {
    assert!(copy.starts_with(&[0xFF, 0xD8]), "not a JPEG");
    assert!(!contains(copy, b"Exif"), "an EXIF segment survived");
    assert!(
        !contains(copy, CAMERA_MODEL.as_bytes()),
        "the camera model survived"
    );
    assert!(!contains(copy, &[0xFF, 0xE1]), "an APP1 segment survived");
}

#[tokio::test]
async fn a_citizens_photo_comes_out_stripped_upright_and_public_and_bad_uploads_are_refused() {
    let t = stack("media-evidence").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let web: WebIntake = t.app(clock.clone(), &[]);
    let media = media_app(&t, clock.clone());
    // Anonymous: the photo must not unmask the reporter.
    let (id, token) = submitted(&t, &web, valid_body()).await;
    let photos_path = format!("/reports/{id}/photos");

    // No token, no slot; a wrong one is refused.
    let anonymous = reply(
        web_intake::handle(&web, api_request("POST", &photos_path, &[], None))
            .await
            .unwrap(),
    );
    assert_eq!(anonymous.status, 401, "{}", anonymous.json);
    assert_eq!(
        as_reporter(&web, "POST", &photos_path, "wrong-token")
            .await
            .status,
        403
    );

    let slot = as_reporter(&web, "POST", &photos_path, &token).await;
    let photo_id = slot.json["photo_id"].as_str().unwrap().to_string();
    assert_eq!(slot.json["upload"]["max_bytes"], 10 * 1024 * 1024);
    let policy = slot.json["upload"]["fields"]["policy"].as_str().unwrap();
    assert!(!policy.is_empty());
    // Pending until media has seen it.
    let pending = as_reporter(&web, "GET", &photos_path, &token).await;
    assert_eq!(
        pending.json["photos"][0]["state"], "pending",
        "{}",
        pending.json
    );

    // A phone photo: portrait on the phone (orientation 6), GPS at Gedung Sate.
    upload(
        &slot,
        &phone_jpeg(&red_left_blue_right(800, 400), Shot::GEDUNG_SATE),
        "image/jpeg",
    )
    .await;
    let delivered = process_uploads(&t, &media).await;
    assert!(!delivered.is_empty(), "the bucket announced nothing");
    let ready = as_reporter(&web, "GET", &photos_path, &token).await;
    let mine = &ready.json["photos"][0];
    assert_eq!(mine["state"], "ready", "{}", ready.json);
    assert_eq!(mine["id"], photo_id.as_str());
    assert!(mine.get("capture").is_none(), "capture data is for staff");
    let display = http("GET", mine["links"]["url"].as_str().unwrap(), &[], None).await;
    assert_eq!(display.status, 200);
    no_metadata(&display.bytes);
    let shown = image::load_from_memory(&display.bytes).unwrap();
    assert_eq!(
        (shown.width(), shown.height()),
        (400, 800),
        "orientation applied"
    );
    let thumbnail = http(
        "GET",
        mine["links"]["thumbnail_url"].as_str().unwrap(),
        &[],
        None,
    )
    .await;
    no_metadata(&thumbnail.bytes);
    assert_eq!(
        image::load_from_memory(&thumbnail.bytes).unwrap().height(),
        320
    );

    // The original is gone; a redelivered event changes nothing.
    let bucket = &t.stack.buckets["MediaBucket"];
    let original = t
        .clients
        .s3
        .head_object()
        .bucket(bucket)
        .key(format!("uploads/{id}/{photo_id}"))
        .send()
        .await;
    assert!(original.is_err(), "the original was kept");
    let before = version(&t, &id).await;
    for body in &delivered {
        redeliver(&media, body).await;
    }
    assert_eq!(version(&t, &id).await, before, "a redelivery wrote again");

    // The public sees photos once the report is published, links only.
    let report_path = format!("/reports/{id}");
    assert_eq!(
        crate::web_intake::get(&web, &report_path).await.json["photos"],
        json!([])
    );
    publish(&t, clock.clone(), &id).await;
    let view = crate::web_intake::get(&web, &report_path).await;
    let photo = &view.json["photos"][0];
    assert_eq!(photo["id"], photo_id.as_str(), "{}", view.json);
    assert!(!view.text.contains("capture") && !view.text.contains("6.9025"));
    let public_copy = http("GET", photo["url"].as_str().unwrap(), &[], None).await;
    no_metadata(&public_copy.bytes);
    // Open311 gives the processed copy as media_url.
    let open311 = crate::web_intake::get(&web, &format!("/open311/v2/requests/{id}.json")).await;
    let media_url = open311.json[0]["media_url"].as_str().unwrap();
    assert!(
        media_url.contains(&format!("photos/{id}/{photo_id}/display.jpg")),
        "{media_url}"
    );

    // Staff see where and when it was taken.
    let office = backoffice_app(&t, clock.clone());
    let staff = staff_view(&office, &id, &["admin"]).await;
    let capture = &staff.json["photos"][0]["capture"];
    assert_eq!(capture["at"], "2026-12-02T10:15:00+07:00", "{}", staff.json);
    assert!((capture["lat"].as_f64().unwrap() + 6.9025).abs() < 1e-4);
    assert_eq!(staff.json["photo_note"], Value::Null);

    // Text named as a photo, and a decompression bomb: refused with the reason, on
    // the reporter's list and on the audit trail.
    for (file, content_type) in [
        (b"bukan foto, hanya teks".to_vec(), "image/jpeg"),
        (png_bomb(), "image/png"),
    ] {
        let slot = as_reporter(&web, "POST", &photos_path, &token).await;
        upload(&slot, &file, content_type).await;
    }
    process_uploads(&t, &media).await;
    let listed = as_reporter(&web, "GET", &photos_path, &token).await;
    let refusals: Vec<&str> = listed.json["photos"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["state"] == "refused")
        .map(|p| p["refusal"].as_str().unwrap())
        .collect();
    assert_eq!(refusals.len(), 2, "{}", listed.json);
    assert!(
        refusals.iter().any(|r| r.contains("bukan foto")),
        "{refusals:?}"
    );
    assert!(
        refusals.iter().any(|r| r.contains("100000")),
        "{refusals:?}"
    );
    let trail = staff_view(&office, &id, &["admin"]).await;
    let notes: Vec<&str> = trail.json["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["note"].as_str())
        .collect();
    assert_eq!(
        notes
            .iter()
            .filter(|n| n.starts_with("foto ditolak"))
            .count(),
        2,
        "{notes:?}"
    );
}

#[tokio::test]
async fn proof_photos_that_are_reused_far_away_or_too_early_are_flagged_for_the_supervisor() {
    let t = stack("media-proof").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let web: WebIntake = t.app(clock.clone(), &[]);
    let media = media_app(&t, clock.clone());
    let office = backoffice_app(&t, clock.clone());
    let officer = &["agency:dsdabm"];

    // Report A: the citizen's "before" photo, then dispatched (Friday 10:00 WIB).
    let (a, token) = submitted(&t, &web, valid_body()).await;
    let slot = as_reporter(&web, "POST", &format!("/reports/{a}/photos"), &token).await;
    let before = red_left_blue_right(800, 600);
    upload(&slot, &phone_jpeg(&before, Shot::GEDUNG_SATE), "image/jpeg").await;
    process_uploads(&t, &media).await;
    publish(&t, clock.clone(), &a).await;

    // Its "proof": the before photo again, taken the day before the dispatch, in Jakarta.
    clock.advance(jiff::SignedDuration::from_hours(24));
    let proof = as_staff(
        &office,
        "POST",
        &format!("/staff/reports/{a}/photos"),
        officer,
        None,
    )
    .await;
    let jakarta_yesterday = Shot {
        taken: "2026:11:19 09:00:00",
        lat: -6.2088,
        lon: 106.8456,
    };
    upload(
        &proof,
        &phone_jpeg(&before, jakarta_yesterday),
        "image/jpeg",
    )
    .await;
    process_uploads(&t, &media).await;
    let view = staff_view(&office, &a, &["supervisor"]).await;
    let proof_photo = view.json["photos"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["purpose"]["kind"] == "follow_up")
        .unwrap()
        .clone();
    let flags: Vec<&str> = proof_photo["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["flag"].as_str().unwrap())
        .collect();
    assert_eq!(
        flags,
        ["reused", "far_from_report", "taken_before_dispatch"],
        "{proof_photo}"
    );
    assert_eq!(proof_photo["flags"][0]["report_id"], a.as_str());

    // Reports B and C, both dispatched: an honest proof on B (after the dispatch, at
    // the report's point), then the same picture "proving" C.
    // (Each its own text: the same body twice is one report, by its idempotency key.)
    let titled = |title: &str| {
        let mut body = valid_body();
        body["title"] = json!(title);
        body
    };
    let (b, _) = submitted(&t, &web, titled("Jalan berlubang di Dipatiukur")).await;
    let (c, _) = submitted(&t, &web, titled("Jalan berlubang di Tubagus Ismail")).await;
    publish(&t, clock.clone(), &b).await;
    publish(&t, clock.clone(), &c).await;
    let at_the_pothole = Shot {
        taken: "2026:11:21 11:00:00",
        lat: -6.885,
        lon: 107.613,
    };
    let fixed = phone_jpeg(&checkerboard(800, 600), at_the_pothole);
    for report in [&b, &c] {
        let slot = as_staff(
            &office,
            "POST",
            &format!("/staff/reports/{report}/photos"),
            officer,
            None,
        )
        .await;
        upload(&slot, &fixed, "image/jpeg").await;
        process_uploads(&t, &media).await;
    }
    let flags_on = |json: &Value| -> Vec<String> {
        json["photos"][0]["flags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["label"].as_str().unwrap().to_string())
            .collect()
    };
    let honest = staff_view(&office, &b, officer).await;
    assert_eq!(
        honest.json["photos"][0]["state"], "ready",
        "{}",
        honest.json
    );
    assert!(
        flags_on(&honest.json).is_empty(),
        "a={a} b={b} c={c}: {}",
        honest.json["photos"]
    );
    let copied = staff_view(&office, &c, &["admin"]).await;
    assert_eq!(
        flags_on(&copied.json),
        [format!("foto sama dengan foto sebelumnya di laporan {b}")],
        "{}",
        copied.json
    );
    // On the audit trail too.
    assert!(
        copied.text.contains(&format!(
            "foto diterima; foto sama dengan foto sebelumnya di laporan {b}"
        )),
        "{}",
        copied.json["timeline"]
    );

    // The supervisor's summary counts them per agency.
    let summary = as_staff(&office, "GET", "/staff/summary", &["supervisor"], None).await;
    let dsdabm = &summary.json["flagged_proof_photos"][0];
    assert_eq!(dsdabm["agency"], "dsdabm", "{}", summary.json);
    assert_eq!(dsdabm["photos"], 2);
    let flagged_reports: Vec<&str> = dsdabm["latest"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["tracking_id"].as_str().unwrap())
        .collect();
    assert!(flagged_reports.contains(&a.as_str()) && flagged_reports.contains(&c.as_str()));
}

#[tokio::test]
async fn a_confidential_reports_photos_reach_only_its_staff_and_a_report_without_one_says_so() {
    let t = stack("media-confidential").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let web: WebIntake = t.app(clock.clone(), &[]);
    let media = media_app(&t, clock.clone());
    let office = backoffice_app(&t, clock.clone());
    let mut body = valid_body();
    body["confidential"] = json!(true);
    let (id, token) = submitted(&t, &web, body).await;
    let slot = as_reporter(&web, "POST", &format!("/reports/{id}/photos"), &token).await;
    upload(
        &slot,
        &phone_jpeg(&red_left_blue_right(400, 300), Shot::GEDUNG_SATE),
        "image/jpeg",
    )
    .await;
    process_uploads(&t, &media).await;
    publish(&t, clock.clone(), &id).await;

    // Not public, not to a wrong token, not to another agency.
    assert_eq!(
        crate::web_intake::get(&web, &format!("/reports/{id}"))
            .await
            .status,
        404
    );
    let guessed = as_reporter(&web, "GET", &format!("/reports/{id}/photos"), "guess").await;
    assert_eq!(
        guessed.status, 404,
        "a wrong token must not confirm the report"
    );
    assert!(!guessed.text.contains("photos/"));
    let other = staff_view(&office, &id, &["agency:dpkp"]).await;
    assert_eq!(other.status, 404);
    // The admin and the agency it went to see it.
    for groups in [&["admin"][..], &["agency:dsdabm"][..]] {
        let staff = staff_view(&office, &id, groups).await;
        let link = staff.json["photos"][0]["links"]["url"].as_str().unwrap();
        assert_eq!(http("GET", link, &[], None).await.status, 200, "{groups:?}");
    }

    // A report with no photo says so on the staff view.
    let mut without_photo = valid_body();
    without_photo["title"] = json!("Lampu jalan mati di Cikutra");
    let (plain, _) = submitted(&t, &web, without_photo).await;
    let staff = staff_view(&office, &plain, &["admin"]).await;
    assert_eq!(staff.json["photos"], json!([]));
    assert_eq!(staff.json["photo_note"], "Tidak ada foto");
}

#[tokio::test]
async fn an_upload_over_the_size_limit_is_refused_from_its_size_without_being_downloaded() {
    let t = stack("media-too-large").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let web: WebIntake = t.app(clock.clone(), &[]);
    let (id, token) = submitted(&t, &web, valid_body()).await;
    let photos_path = format!("/reports/{id}/photos");
    let slot = as_reporter(&web, "POST", &photos_path, &token).await;
    let photo = phone_jpeg(&street_scene(2400, 1800, 5), Shot::GEDUNG_SATE);
    // moto does not hold an upload to its policy (the stack suite proves S3 does), so
    // this one lands and media must refuse it itself.
    upload(&slot, &photo, "image/jpeg").await;
    let limit = 1024 * 1024;
    assert!(photo.len() > limit);
    let log = CallLog::default();
    let media = media::Media::new(
        &media::Config {
            table_name: t.table.clone(),
            bucket: t.stack.buckets["MediaBucket"].clone(),
            limits: PhotoLimits {
                max_bytes: limit as u64,
                ..PhotoLimits::default()
            },
        },
        &counted_clients(&log).await,
        clock.clone(),
    );
    process_uploads(&t, &media).await;
    let listed = as_reporter(&web, "GET", &photos_path, &token).await;
    let refused = &listed.json["photos"][0];
    assert_eq!(refused["state"], "refused", "{}", listed.json);
    assert_eq!(refused["refusal"], "Foto terlalu besar: paling besar 1 MB.");
    let s3: Vec<String> = log
        .calls()
        .into_iter()
        .map(|c| c.operation)
        .filter(|o| o.starts_with("S3."))
        .collect();
    // Its size read from the object's head, never its bytes; then deleted.
    assert_eq!(s3, ["S3.HEAD", "S3.DELETE"], "{s3:?}");
}
