//! `POST /_devstack/whatsapp`: writes to the city's WhatsApp number as a citizen
//! would. devstack builds the notification Meta would send (a text, a photo, a
//! shared location or a tapped button), signs it with the app secret as Meta does
//! (`X-Hub-Signature-256`), posts it to its own `/whatsapp` route, then answers with
//! what Sigap sent back on WhatsApp (through devstack's fake of the Graph API,
//! [`crate::graph::FakeGraph`]): the replies and, for a new report, the receipt that
//! follows triage. `GET /_devstack/whatsapp` lists everything Sigap sent on
//! WhatsApp. Devstack only: nothing here ever reaches Meta.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde_json::{Value, json};
use sigap::domain::contact::PhoneNumber;
use sigap::domain::signature::HmacKey;

use crate::graph::FakeGraph;
use crate::sms::{answer, call, tool_input};

const USAGE: &str = "POST {\"from\": \"0812...\", and one of \"text\": \"BDG ...\", \
\"photo\": {\"caption\": \"...\"}, \"location\": {\"latitude\": -6.9, \"longitude\": 107.6}, \
\"button\": \"INFO BDG-...\"}";

/// What the WhatsApp tool needs: the app secret the webhook checks, the number's
/// id, and the fake Graph API that records what Sigap sends.
#[derive(Clone)]
pub struct WhatsAppTool {
    /// The Meta app secret as `sms-intake` fetched it from SSM.
    pub app_secret: HmacKey,
    /// The business number's id (the notification's metadata).
    pub phone_number_id: String,
    /// devstack's Graph API.
    pub graph: Arc<FakeGraph>,
}

/// Serves `/_devstack/whatsapp`.
pub async fn whatsapp_endpoint(
    tool: &WhatsAppTool,
    request: Request<Incoming>,
) -> Response<Full<Bytes>> {
    if request.method() == hyper::Method::GET {
        return answer(StatusCode::OK, json!({ "sent": tool.graph.sends() }));
    }
    let (host, input) = match tool_input(request, USAGE).await {
        Ok(read) => read,
        Err(refused) => return refused,
    };
    let Some(from) = input["from"]
        .as_str()
        .and_then(|f| PhoneNumber::parse(f).ok())
    else {
        return answer(StatusCode::BAD_REQUEST, json!({ "message": USAGE }));
    };
    let stamp = jiff::Timestamp::now().as_nanosecond();
    let message_id = format!("wamid.dev{stamp}");
    let (kind, content) = if let Some(text) = input["text"].as_str() {
        ("text", json!({ "body": text }))
    } else if let Some(location) = input.get("location").filter(|l| l.is_object()) {
        ("location", location.clone())
    } else if let Some(id) = input["button"].as_str() {
        let reply = json!({ "id": id, "title": id.chars().take(20).collect::<String>() });
        (
            "interactive",
            json!({ "type": "button_reply", "button_reply": reply }),
        )
    } else if let Some(photo) = input.get("photo") {
        let media_id = format!("devmedia{stamp}");
        let seed = u32::try_from(stamp % 1000).unwrap_or(1);
        let picture = imaging::samples::street_scene(800, 600, seed);
        tool.graph
            .add_media(&media_id, "image/jpeg", imaging::samples::jpeg_of(&picture));
        let mut image = json!({ "id": media_id, "mime_type": "image/jpeg", "sha256": "dev" });
        if let Some(caption) = photo["caption"].as_str() {
            image["caption"] = json!(caption);
        }
        ("image", image)
    } else {
        return answer(StatusCode::BAD_REQUEST, json!({ "message": USAGE }));
    };
    let wa_id = from.as_e164().trim_start_matches('+').to_string();
    let mut element = json!({ "from": wa_id, "id": message_id, "timestamp": (stamp / 1_000_000_000).to_string(), "type": kind });
    element[kind] = content;
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "devstack-waba", "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": { "display_phone_number": "6222170800", "phone_number_id": tool.phone_number_id },
            "contacts": [{ "profile": { "name": "Warga" }, "wa_id": wa_id }],
            "messages": [element],
        }}]}]
    })
    .to_string();
    let signature = format!(
        "sha256={}",
        hex::encode(tool.app_secret.tag(body.as_bytes()))
    );
    let before = sent_to(&tool.graph, &from).len();
    let headers = [
        ("content-type", "application/json"),
        ("x-hub-signature-256", signature.as_str()),
    ];
    let url = format!("http://{host}/whatsapp");
    let (status, webhook) = match call("POST", &url, &headers, body).await {
        Ok(answered) => answered,
        Err(err) => return answer(StatusCode::BAD_GATEWAY, json!({ "message": err })),
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    if !status.is_success() {
        let webhook = String::from_utf8_lossy(&webhook);
        return answer(
            status,
            json!({ "message_id": message_id, "webhook_answer": webhook }),
        );
    }
    // Replies go through notify's queue; a new report's receipt follows triage:
    // wait for the first, then until nothing more comes for 600 ms.
    let (mut seen, mut quiet) = (0, 0);
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = sent_to(&tool.graph, &from).len().saturating_sub(before);
        if now > 0 && now == seen {
            quiet += 1;
            if quiet == 3 {
                break;
            }
        } else {
            (seen, quiet) = (now, 0);
        }
    }
    let sent: Vec<Value> = sent_to(&tool.graph, &from)
        .into_iter()
        .skip(before)
        .collect();
    answer(status, json!({ "message_id": message_id, "sent": sent }))
}

/// What Sigap sent `to` on WhatsApp, oldest first: each message's type and its text
/// (or template name and parameters, or buttons).
fn sent_to(graph: &FakeGraph, to: &PhoneNumber) -> Vec<Value> {
    graph
        .sends()
        .into_iter()
        .filter(|s| s["to"] == to.as_e164())
        .map(|s| match s["type"].as_str() {
            Some("text") => json!({ "type": "text", "text": s["text"]["body"] }),
            Some("interactive") => json!({
                "type": "buttons",
                "text": s["interactive"]["body"]["text"],
                "buttons": s["interactive"]["action"]["buttons"],
            }),
            Some("template") => json!({
                "type": "template",
                "template": s["template"]["name"],
                "parameters": s["template"]["components"][0]["parameters"],
            }),
            _ => s,
        })
        .collect()
}
