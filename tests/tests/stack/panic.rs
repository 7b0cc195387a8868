//! The paging path on the deployed stack: a 112 operator records an emergency, tier 0
//! is paged at once, tier 1 when nobody owns it, and a responder's acknowledgement
//! stands every paged tier down. Pages are read where the command centre reads them:
//! its queue, subscribed to the panic topic.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::target::{fresh_phone, target};

/// One message the command-centre queue received: its event, tier and text.
#[derive(Debug)]
struct Page {
    event: String,
    tier: String,
    text: String,
}

/// Receives from the command-centre queue until `done` holds of what arrived for
/// `incident` (up to `seconds`); every message read is deleted.
async fn pages_until(
    incident: &str,
    seen: &mut Vec<Page>,
    seconds: u64,
    done: impl Fn(&[Page]) -> bool,
) {
    let t = target();
    let sqs = t.clients().await.sqs;
    let queue = t.output("CommandCentreQueueUrl");
    let started = Instant::now();
    while !done(seen) && started.elapsed() < Duration::from_secs(seconds) {
        let out = sqs
            .receive_message()
            .queue_url(&queue)
            .max_number_of_messages(10)
            .wait_time_seconds(2)
            .message_attribute_names("All")
            .send()
            .await
            .unwrap();
        for message in out.messages() {
            let attribute = |name: &str| devstack::console::message_attribute(message, name);
            let text = message.body().unwrap_or_default().to_string();
            if text.contains(incident) {
                seen.push(Page {
                    event: attribute("event"),
                    tier: attribute("tier"),
                    text,
                });
            }
            if let Some(handle) = message.receipt_handle() {
                sqs.delete_message()
                    .queue_url(&queue)
                    .receipt_handle(handle)
                    .send()
                    .await
                    .unwrap();
            }
        }
    }
}

#[tokio::test]
async fn a_112_call_pages_tier_0_escalates_to_tier_1_and_an_acknowledgement_stands_all_down() {
    let t = target();
    t.emulator_only("an incident paging responders");
    let (caller, _) = fresh_phone();
    let call = json!({
        "kind": "fire", "caller": caller, "location_text": "Pasar Kosambi lantai 2",
        "sector": "karees", "notes": "uji stack: asap tebal"
    });
    let created = t
        .staff("OPERATOR", "POST", "/staff/incidents", Some(&call))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json["id"].as_str().unwrap().to_string();
    let mut pages = Vec::new();
    // Tier 1 is paged a minute after tier 0, through the escalation queue's delay.
    pages_until(&id, &mut pages, 150, |p| {
        p.iter().any(|p| p.event == "page" && p.tier == "1")
    })
    .await;
    let paged: Vec<&str> = pages
        .iter()
        .filter(|p| p.event == "page")
        .map(|p| p.tier.as_str())
        .collect();
    assert_eq!(paged, ["0", "1"], "{pages:?}");
    assert!(pages[0].text.contains("KEBAKARAN"), "{pages:?}");

    let ack = t
        .staff(
            "RESPONDER",
            "POST",
            &format!("/staff/incidents/{id}/ack"),
            None,
        )
        .await;
    assert_eq!(ack.status, 200, "{}", ack.text);
    assert_eq!(ack.json["state"], "acknowledged", "{}", ack.text);
    pages_until(&id, &mut pages, 60, |p| {
        p.iter().filter(|p| p.event == "stand_down").count() >= 2
    })
    .await;
    let mut stood_down: Vec<&str> = pages
        .iter()
        .filter(|p| p.event == "stand_down")
        .map(|p| p.tier.as_str())
        .collect();
    stood_down.sort_unstable();
    assert_eq!(stood_down, ["0", "1"], "{pages:?}");
    let seen = t
        .staff("OPERATOR", "GET", &format!("/staff/incidents/{id}"), None)
        .await;
    assert_eq!(seen.json["owner"], "polsek-coblong", "{}", seen.text);
}
