//! A citizen's web report on the deployed stack, from submission to the rating.

use serde_json::json;

use crate::target::{eventually, fresh_phone, target};

#[tokio::test]
async fn a_web_report_goes_from_submission_through_triage_dispatch_and_follow_up_to_a_rating() {
    let t = target();
    t.emulator_only("a web report texted to a phone");
    let (phone, e164) = fresh_phone();
    let report = json!({
        "title": "Jalan berlubang di Dago (uji stack)",
        "description": "Lubang besar di depan sekolah, bahaya untuk motor.",
        "category": "jalan-rusak",
        "location": {"lat": -6.885, "lon": 107.613, "kecamatan": "Coblong"},
        "contact": {"name": "Uji Stack", "phone": phone},
    });
    let key = format!("stack-{e164}");
    let keyed = [("idempotency-key", key.as_str())];
    let submit = || t.call("POST", "/reports", &keyed, Some(&report));
    let made = submit().await;
    assert_eq!(made.status, 201, "{}", made.text);
    let id = made.json["tracking_id"].as_str().unwrap().to_string();
    let token = made.json["reporter_token"].as_str().unwrap().to_string();
    let again = submit().await;
    assert_eq!(again.json["tracking_id"], id.as_str(), "{}", again.text);

    // verify (through the intake queue's event source) triages it; notify texts the receipt.
    let path = format!("/reports/{id}");
    let public = eventually(
        30,
        || t.call("GET", &path, &[], None),
        |r| r.json["status"] == "pending_verification",
    )
    .await;
    assert_eq!(
        public.json["status"], "pending_verification",
        "{}",
        public.text
    );
    let queue = t.staff("ADMIN", "GET", "/staff/queue", None).await;
    assert_eq!(queue.status, 200, "{}", queue.text);
    let queued = queue.json["reports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["tracking_id"] == id.as_str())
        .unwrap_or_else(|| panic!("{id} not in the admin's queue: {}", queue.text))
        .clone();
    assert_eq!(queued["suggestion"]["agency"], "dsdabm", "{queued}");
    t.wait_for_text(&e164, &format!("LAPOR! Bandung {id}: laporan diterima"), 30)
        .await;

    // The admin dispatches; the agency acknowledges and follows up.
    let dispatched = t
        .staff(
            "ADMIN",
            "POST",
            &format!("/staff/reports/{id}/dispatch"),
            Some(&json!({"agencies": ["dsdabm"]})),
        )
        .await;
    assert_eq!(dispatched.status, 200, "{}", dispatched.text);
    assert_eq!(dispatched.json["status"], "dispatched");
    let inbox = t.staff("DSDABM", "GET", "/staff/inbox", None).await;
    assert!(
        inbox.text.contains(&id),
        "{id} not in the agency's inbox: {}",
        inbox.text
    );
    let acknowledged = t
        .staff(
            "DSDABM",
            "POST",
            &format!("/staff/reports/{id}/acknowledge"),
            None,
        )
        .await;
    assert_eq!(
        acknowledged.json["status"], "in_progress",
        "{}",
        acknowledged.text
    );
    let followed = t
        .staff(
            "DSDABM",
            "POST",
            &format!("/staff/reports/{id}/follow-up"),
            Some(&json!({"text": "Lubang sudah ditambal."})),
        )
        .await;
    assert_eq!(followed.json["status"], "responded", "{}", followed.text);

    // The citizen rates it with the reporter token, and has been told each step.
    let rated = t
        .call(
            "POST",
            &format!("/reports/{id}/rating"),
            &[("x-reporter-token", &token)],
            Some(&json!({"score": 4, "comment": "Terima kasih"})),
        )
        .await;
    assert_eq!(rated.status, 200, "{}", rated.text);
    assert_eq!(rated.json["rating"]["score"], 4, "{}", rated.text);
    let texts = t
        .wait_for_text(&e164, "instansi telah menanggapi", 30)
        .await;
    assert!(
        texts
            .iter()
            .any(|m| m.contains("diteruskan ke instansi terkait")),
        "{texts:?}"
    );
}
