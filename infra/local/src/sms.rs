//! `POST /_devstack/sms {"from": "0812…", "text": "BDG …"}`: texts Sigap as a
//! citizen would. devstack signs a Twilio webhook exactly as Twilio would (with the
//! template's auth token) and posts it to its own `/sms/twilio` route, then answers
//! with what Sigap texted back: the replies stored on the message and, for a new
//! report, the receipt `notify` sent after triage. Devstack only.

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::json;
use sigap::aws::AwsClients;
use sigap::domain::signature::twilio_signature;

/// What the SMS tool needs: the token the function checks, and the table to read
/// the outcome from.
#[derive(Clone)]
pub struct SmsTool {
    /// Twilio's auth token as the template gives it to `sms-intake`.
    pub twilio_token: String,
    /// The stack's table.
    pub table: String,
    /// AWS clients pointed at moto.
    pub clients: AwsClients,
}

fn answer(status: StatusCode, body: serde_json::Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response
}

/// Serves `POST /_devstack/sms`.
pub async fn sms_endpoint(tool: &SmsTool, request: Request<Incoming>) -> Response<Full<Bytes>> {
    if request.method() != hyper::Method::POST {
        return answer(
            StatusCode::METHOD_NOT_ALLOWED,
            json!({"message": "POST {\"from\",\"text\"}"}),
        );
    }
    let host = request
        .headers()
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_string();
    let Ok(body) = Limited::new(request.into_body(), 8192).collect().await else {
        return answer(
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({"message": "too large"}),
        );
    };
    let input: serde_json::Value = serde_json::from_slice(&body.to_bytes()).unwrap_or_default();
    let (Some(from), Some(text)) = (input["from"].as_str(), input["text"].as_str()) else {
        return answer(
            StatusCode::BAD_REQUEST,
            json!({"message": "send {\"from\": \"0812...\", \"text\": \"BDG ...\"}"}),
        );
    };
    let sid = format!("SMdev{}", jiff::Timestamp::now().as_nanosecond());
    let url = format!("http://{host}/sms/twilio");
    let params: Vec<(String, String)> = [
        ("AccountSid", "ACdevstack"),
        ("Body", text),
        ("From", from),
        ("MessageSid", sid.as_str()),
        ("NumSegments", "1"),
        ("To", "1708"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let signature = twilio_signature(&tool.twilio_token, &url, &params);
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&params)
        .finish();
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let Ok(webhook) = Request::post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-forwarded-proto", "http")
        .header("x-twilio-signature", signature)
        .body(Full::new(Bytes::from(form)))
    else {
        return answer(StatusCode::BAD_REQUEST, json!({"message": "bad request"}));
    };
    let status = match client.request(webhook).await {
        Ok(response) => response.status().as_u16(),
        Err(err) => return answer(StatusCode::BAD_GATEWAY, json!({"message": err.to_string()})),
    };
    let outcome = outcome(tool, &sid).await;
    answer(
        StatusCode::OK,
        json!({
            "webhook_status": status,
            "message_sid": sid,
            "report_id": outcome.0,
            "replies": outcome.1,
        }),
    )
}

/// The report the message made or acted on, and the texts Sigap sent back (waiting
/// a few seconds for a new report's receipt, which follows triage).
async fn outcome(tool: &SmsTool, sid: &str) -> (Option<String>, Vec<String>) {
    let db = &tool.clients.dynamodb;
    let item = db
        .get_item()
        .table_name(&tool.table)
        .key("PK", AttributeValue::S(format!("SMS#twilio#{sid}")))
        .key("SK", AttributeValue::S("IN".into()))
        .send()
        .await
        .ok()
        .and_then(|out| out.item().cloned())
        .unwrap_or_default();
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    let report_id = text("report_id");
    let mut replies: Vec<String> = text("replies")
        .and_then(|r| serde_json::from_str(&r).ok())
        .unwrap_or_default();
    if let (Some(id), true) = (&report_id, replies.is_empty()) {
        for _ in 0..40 {
            let receipt = db
                .get_item()
                .table_name(&tool.table)
                .key("PK", AttributeValue::S(format!("R#{id}")))
                .key("SK", AttributeValue::S("D#received#1#reporter".into()))
                .send()
                .await
                .ok()
                .and_then(|out| {
                    out.item()
                        .and_then(|i| i.get("sent_text"))
                        .and_then(|v| v.as_s().ok())
                        .cloned()
                });
            if let Some(receipt) = receipt {
                replies.push(receipt);
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    (report_id, replies)
}
