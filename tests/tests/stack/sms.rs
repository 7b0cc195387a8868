//! LAPOR! by SMS on the deployed stack: a report and `INFO` through the generic
//! gateway's signed webhook, answered by SMS through notify.

use serde_json::json;
use sigap_tests::{Signer, signed_headers};

use crate::target::{fresh_phone, target};

#[tokio::test]
async fn an_sms_report_and_info_by_the_signed_gateway_webhook_are_answered_by_sms() {
    let t = target();
    t.emulator_only("an SMS report");
    let (phone, e164) = fresh_phone();
    let send = |id: &str, text: &str| {
        let message_id = format!("stack-{e164}-{id}");
        let (phone, text) = (phone.clone(), text.to_string());
        async move { t.gateway_sms(&message_id, &phone, &text).await }
    };
    let made = send("1", "BDG Lampu jalan mati di Jl. Riau depan taman").await;
    assert_eq!(made.status, 200, "{}", made.text);
    let texts = t.wait_for_text(&e164, "laporan diterima", 30).await;
    let id = texts[0]
        .strip_prefix("LAPOR! Bandung ")
        .and_then(|rest| rest.split(':').next())
        .unwrap_or_else(|| panic!("no tracking id in {texts:?}"))
        .to_string();
    assert!(id.starts_with("BDG-"), "{texts:?}");
    let status = send("2", &format!("INFO {id}")).await;
    assert_eq!(status.status, 200, "{}", status.text);
    t.wait_for_text(&e164, "Menunggu verifikasi admin", 30)
        .await;

    // Unsigned, or signed with another secret: refused, and nothing is texted.
    let body = json!({"message_id": format!("stack-{e164}-3"), "from": phone, "text": "BDG palsu"})
        .to_string();
    let unsigned = t.call_raw("POST", "/sms/gateway", &[], Some(&body)).await;
    assert_eq!(unsigned.status, 403, "{}", unsigned.text);
    let wrong = signed_headers("not-the-secret", Signer::Gateway, &body);
    let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let forged = t
        .call_raw("POST", "/sms/gateway", &wrong, Some(&body))
        .await;
    assert_eq!(forged.status, 403, "{}", forged.text);
    // A genuine message after them: by the time its reply is here, a forged message
    // that had been taken would have been answered too (its reply was queued first).
    let after = send("4", &format!("INFO {id}")).await;
    assert_eq!(after.status, 200, "{}", after.text);
    let mut texts = Vec::new();
    for _ in 0..60 {
        texts = t.texts_to(&e164).await;
        if texts.len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    assert_eq!(
        texts.len(),
        3,
        "the receipt and two statuses, nothing for the forged webhooks: {texts:?}"
    );
}
