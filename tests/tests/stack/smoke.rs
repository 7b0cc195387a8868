//! The parts of the suite safe against a real stage (`make smoke STAGE=…`, and on the
//! emulator with the rest): they read, or are refused before anything is stored. What
//! they leave behind is listed in docs/operations.md ("make smoke").
//!
//! They need one staff token, `SUPERVISOR` (a test user in the `supervisor` group: it
//! reads everything and may change nothing), and nothing of the emulator.

use serde_json::json;
use sigap::runtime::ids::{IdGenerator, OsRandom};

use crate::target::target;

#[tokio::test]
async fn a_staff_route_refuses_a_missing_a_forged_and_a_wrong_role_token() {
    let t = target();
    let missing = t.call("GET", "/staff/summary", &[], None).await;
    assert_eq!(missing.status, 401, "{}", missing.text);
    // A real token with one character of its signature changed (not the last, whose
    // low bits are padding): the HTTP API's JWT authorizer refuses it.
    let mut forged = t.token("SUPERVISOR").into_bytes();
    let at = forged.len() - 10;
    forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
    let bearer = format!("Bearer {}", String::from_utf8(forged).unwrap());
    let forged = t
        .call("GET", "/staff/summary", &[("authorization", &bearer)], None)
        .await;
    assert_eq!(forged.status, 401, "{}", forged.text);
    // Signed by the pool, but a supervisor's: the function refuses the agency inbox.
    let wrong_role = t.staff("SUPERVISOR", "GET", "/staff/inbox", None).await;
    assert_eq!(wrong_role.status, 403, "{}", wrong_role.text);
    let right = t.staff("SUPERVISOR", "GET", "/staff/summary", None).await;
    assert_eq!(right.status, 200, "{}", right.text);
}

#[tokio::test]
async fn the_public_api_answers_reads_and_refuses_bad_input_in_indonesian() {
    let t = target();
    let categories = t.call("GET", "/categories", &[], None).await;
    assert_eq!(categories.status, 200, "{}", categories.text);
    assert!(
        categories.text.contains("jalan-rusak"),
        "{}",
        categories.text
    );
    let services = t.call("GET", "/open311/v2/services.json", &[], None).await;
    assert_eq!(services.status, 200, "{}", services.text);
    assert!(
        services.json.as_array().is_some_and(|s| !s.is_empty()),
        "{}",
        services.text
    );
    // A well-formed id no report has (a fresh random one: 1 in 7×10⁸ to exist).
    let unknown = OsRandom.tracking_id().unwrap();
    let missing = t
        .call("GET", &format!("/reports/{unknown}"), &[], None)
        .await;
    assert_eq!(missing.status, 404, "{}", missing.text);
    assert_eq!(
        missing.json["error"]["message"], "Laporan tidak ditemukan.",
        "{}",
        missing.text
    );
    // Refused before anything is stored, field by field: no title, category or place.
    let invalid = t.call("POST", "/reports", &[], Some(&json!({}))).await;
    assert_eq!(invalid.status, 422, "{}", invalid.text);
    let fields = invalid.json["error"]["fields"].as_array();
    assert!(
        fields.is_some_and(|f| f.iter().any(|f| f["field"] == "title")),
        "{}",
        invalid.text
    );
}

#[tokio::test]
async fn the_webhooks_and_the_panic_button_refuse_unsigned_requests() {
    let t = target();
    let body = json!({"message_id": "smoke-unsigned", "from": "081234567890", "text": "BDG uji"});
    let sms = t.call("POST", "/sms/gateway", &[], Some(&body)).await;
    assert_eq!(sms.status, 403, "{}", sms.text);
    let press = t
        .call("POST", "/panic/press", &[], Some(&json!({"kind": "other"})))
        .await;
    assert_eq!(press.status, 403, "{}", press.text);
}
