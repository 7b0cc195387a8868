//! WhatsApp on the deployed stack: a citizen's message signed as Meta signs it,
//! answered on WhatsApp through notify, against the fake Graph API the functions
//! were deployed to call (`WhatsAppGraphUrl`, a fixed loopback port: the emulator
//! runs them as local processes).

use std::time::Duration;

use serde_json::{Value, json};
use sigap::domain::signature::HmacKey;
use sigap_tests::FakeGraph;

use crate::target::{fresh_phone, target};

/// The text of every WhatsApp message sent to `e164`, oldest first.
fn sent_to(graph: &FakeGraph, e164: &str) -> Vec<String> {
    graph
        .sends()
        .into_iter()
        .filter(|s| s["to"] == e164)
        .map(|s| {
            let text = match s["type"].as_str() {
                Some("text") => &s["text"]["body"],
                _ => &s["interactive"]["body"]["text"],
            };
            text.as_str().unwrap_or_default().to_string()
        })
        .collect()
}

#[tokio::test]
async fn a_whatsapp_report_and_its_status_button_are_answered_on_whatsapp() {
    let t = target();
    t.emulator_only("WhatsApp against a fake Graph API");
    let notify = t.function_environment("NotifyFunction");
    let graph_url = &notify["WHATSAPP_GRAPH_URL"];
    let address = graph_url.trim_start_matches("http://");
    let graph = FakeGraph::start_on(address, &t.secret("/sigap/whatsapp-access-token"))
        .await
        .unwrap_or_else(|e| panic!("the fake Graph API on {address}: {e}"));
    let app_secret = HmacKey::new(
        "app secret",
        t.secret("/sigap/whatsapp-app-secret").as_bytes(),
    )
    .unwrap();
    let (_, e164) = fresh_phone();
    let wa_id = e164.trim_start_matches('+').to_string();
    let write = |id: &str, kind: &str, content: Value| {
        let mut element = json!({ "from": wa_id, "id": format!("wamid.stack{e164}{id}"), "timestamp": "1764300000", "type": kind });
        element[kind] = content;
        let body = json!({
            "object": "whatsapp_business_account",
            "entry": [{ "id": "stack", "changes": [{ "field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": { "phone_number_id": notify["WHATSAPP_PHONE_NUMBER_ID"] },
                "messages": [element],
            }}]}]
        })
        .to_string();
        let signature = format!("sha256={}", hex::encode(app_secret.tag(body.as_bytes())));
        async move {
            t.call_raw(
                "POST",
                "/whatsapp",
                &[("x-hub-signature-256", &signature)],
                Some(&body),
            )
            .await
        }
    };
    let wait_for = |needle: &'static str| {
        let graph = &graph;
        let e164 = e164.clone();
        async move {
            for _ in 0..60 {
                let sent = sent_to(graph, &e164);
                if sent.iter().any(|s| s.contains(needle)) {
                    return sent;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            panic!(
                "no WhatsApp message with {needle:?}: {:?}",
                sent_to(graph, &e164)
            );
        }
    };

    let made = write(
        "1",
        "text",
        json!({ "body": "BDG Trotoar ambles di Jl. Braga dekat kafe" }),
    )
    .await;
    assert_eq!(made.status, 200, "{}", made.text);
    let sent = wait_for("laporan diterima").await;
    let id = sent
        .iter()
        .find_map(|s| s.split_whitespace().find(|w| w.starts_with("BDG-")))
        .unwrap()
        .trim_end_matches(':')
        .to_string();
    let tapped = json!({ "type": "button_reply", "button_reply": { "id": format!("INFO {id}"), "title": "Cek status" } });
    let status = write("2", "interactive", tapped).await;
    assert_eq!(status.status, 200, "{}", status.text);
    wait_for("Menunggu verifikasi admin").await;
    // Unsigned: refused, and the number was never texted by SMS.
    let forged = t
        .call_raw(
            "POST",
            "/whatsapp",
            &[],
            Some(r#"{"object":"whatsapp_business_account","entry":[]}"#),
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.text);
    assert!(t.texts_to(&e164).await.is_empty());
}
