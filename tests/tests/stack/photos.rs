//! Photos on the deployed stack: the slot from the API, a POST straight to the media
//! bucket under its signed policy, the bucket's notification through the media queue
//! to `media`, and the stripped copy behind a presigned link. The emulator checks the
//! policy (moto does not): an upload over its size, of another type or to another key
//! is refused by S3 itself.

use imaging::samples::{CAMERA_MODEL, Shot, contains, phone_jpeg, red_left_blue_right};
use serde_json::json;
use sigap_tests::{http, upload_to_slot};

use crate::target::{eventually, target};

#[tokio::test]
async fn a_photo_posted_to_its_slot_is_processed_by_media_and_an_oversized_one_never_lands() {
    let t = target();
    t.emulator_only("a report with a photo");
    let report = json!({
        "title": "Sampah menumpuk di Cicadas (uji foto stack)",
        "description": "Tumpukan sampah di pinggir jalan sejak seminggu.",
        "category": "sampah",
        "location": {"lat": -6.905, "lon": 107.645, "kecamatan": "Cibeunying Kidul"},
        "anonymous": true,
    });
    let made = t.call("POST", "/reports", &[], Some(&report)).await;
    assert_eq!(made.status, 201, "{}", made.text);
    let id = made.json["tracking_id"].as_str().unwrap().to_string();
    let token = made.json["reporter_token"].as_str().unwrap().to_string();
    let photos = format!("/reports/{id}/photos");
    let with_token = [("x-reporter-token", token.as_str())];

    let slot = t.call("POST", &photos, &with_token, None).await;
    assert_eq!(slot.status, 201, "{}", slot.text);
    let photo = phone_jpeg(&red_left_blue_right(1200, 800), Shot::GEDUNG_SATE);
    let posted = upload_to_slot(&slot.json, &photo, "image/jpeg").await;
    assert!(
        (200..300).contains(&posted.status),
        "{} {}",
        posted.status,
        posted.text
    );

    let ready = eventually(
        60,
        || t.call("GET", &photos, &with_token, None),
        |r| r.json["photos"][0]["state"] == "ready",
    )
    .await;
    assert_eq!(ready.json["photos"][0]["state"], "ready", "{}", ready.text);
    let link = ready.json["photos"][0]["links"]["url"].as_str().unwrap();
    let copy = http("GET", link, &[], None).await;
    assert_eq!(copy.status, 200, "{link}");
    assert!(copy.bytes.starts_with(&[0xFF, 0xD8]));
    assert!(!contains(&copy.bytes, b"Exif") && !contains(&copy.bytes, CAMERA_MODEL.as_bytes()));
    let shown = image::load_from_memory(&copy.bytes).unwrap();
    assert_eq!(
        (shown.width(), shown.height()),
        (800, 1200),
        "orientation applied"
    );

    // One byte over the slot's limit: S3 refuses it under the policy, so nothing
    // reaches media and the photo stays pending.
    let slot = t.call("POST", &photos, &with_token, None).await;
    assert_eq!(slot.status, 201, "{}", slot.text);
    let limit = slot.json["upload"]["max_bytes"].as_u64().unwrap();
    let oversized = vec![0xFF; usize::try_from(limit).unwrap() + 1];
    let refused = upload_to_slot(&slot.json, &oversized, "image/jpeg").await;
    assert_eq!(refused.status, 400, "{}", refused.text);
    assert!(refused.text.contains("EntityTooLarge"), "{}", refused.text);
    // The policy also holds the type and the key: a text file, or the photo sent to
    // another photo's key, is refused by S3 (403) and never reaches media.
    let not_an_image = upload_to_slot(&slot.json, b"bukan foto", "text/plain").await;
    assert_eq!(not_an_image.status, 403, "{}", not_an_image.text);
    let mut elsewhere = slot.json.clone();
    elsewhere["upload"]["fields"]["key"] = json!(format!("uploads/{id}/AAAAAAAAAAAA"));
    let moved = upload_to_slot(&elsewhere, &photo, "image/jpeg").await;
    assert_eq!(moved.status, 403, "{}", moved.text);
    let listed = t.call("GET", &photos, &with_token, None).await;
    assert_eq!(
        listed.json["photos"][1]["state"], "pending",
        "{}",
        listed.text
    );
    assert_eq!(
        listed.json["photos"].as_array().unwrap().len(),
        2,
        "{}",
        listed.text
    );
}
