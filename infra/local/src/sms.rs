//! `POST /_devstack/sms {"from": "0812…", "text": "BDG …"}`: texts Sigap as a
//! citizen would. devstack signs a Twilio webhook exactly as Twilio would (with the
//! template's auth token) and posts it to its own `/sms/twilio` route, then answers
//! with what Sigap texted back: the replies stored on the message and, for a new
//! report, the receipt `notify` sent after triage. Its status is the webhook's.
//! `GET /_devstack/texts` lists every SMS Sigap sent, as moto recorded it. Devstack
//! only.

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::json;
use sigap::domain::signature::{TwilioKey, twilio_signature};
use sigap::runtime::aws::AwsClients;

/// What the SMS tool needs: the token the function checks, and the table to read
/// the outcome from.
#[derive(Clone)]
pub struct SmsTool {
    /// Twilio's key: the auth token as `sms-intake` fetched it from SSM.
    pub twilio_key: TwilioKey,
    /// The stack's table.
    pub table: String,
    /// AWS clients pointed at moto.
    pub clients: AwsClients,
}

/// Sends `body` to devstack's own API as a gateway or a device would (or asks moto
/// for its record); the status and body of the answer.
pub(crate) async fn call(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: String,
) -> Result<(u16, Bytes), String> {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut request = Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let response = client.request(request).await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, body))
}

/// A dev tool's request: the host it was sent to (to call the API back) and its
/// JSON body (`null` when it is not JSON); a refusal for anything but a small POST.
pub(crate) async fn tool_input(
    request: Request<Incoming>,
    usage: &str,
) -> Result<(String, serde_json::Value), Response<Full<Bytes>>> {
    if request.method() != hyper::Method::POST {
        return Err(answer(
            StatusCode::METHOD_NOT_ALLOWED,
            json!({ "message": usage }),
        ));
    }
    let host = request
        .headers()
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_string();
    let Ok(body) = Limited::new(request.into_body(), 8192).collect().await else {
        return Err(answer(
            StatusCode::PAYLOAD_TOO_LARGE,
            json!({"message": "too large"}),
        ));
    };
    Ok((
        host,
        serde_json::from_slice(&body.to_bytes()).unwrap_or_default(),
    ))
}

/// A JSON answer from a dev tool.
pub(crate) fn answer(status: StatusCode, body: serde_json::Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    response
}

/// Serves `GET /_devstack/texts` (`?to=0812…` for one number): every SMS Sigap sent,
/// oldest first, unmasked (devstack's numbers are made up).
pub async fn texts_endpoint(moto_url: &str, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let query = request.uri().query().unwrap_or_default();
    let to = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "to")
        .map(|(_, v)| v.into_owned());
    let to = match to
        .as_deref()
        .map(sigap::domain::contact::PhoneNumber::parse)
    {
        None => None,
        Some(Ok(phone)) => Some(phone.as_e164().to_string()),
        Some(Err(err)) => {
            return answer(
                StatusCode::BAD_REQUEST,
                json!({ "message": err.to_string() }),
            );
        }
    };
    match crate::console::sent_texts(moto_url).await {
        Ok(texts) => {
            let texts: Vec<_> = texts
                .into_iter()
                .filter(|t| to.as_ref().is_none_or(|to| *to == t.to))
                .map(|t| json!({ "to": t.to, "text": t.text }))
                .collect();
            answer(StatusCode::OK, json!({ "texts": texts }))
        }
        Err(err) => answer(StatusCode::BAD_GATEWAY, json!({ "message": err })),
    }
}

/// Serves `POST /_devstack/sms`.
pub async fn sms_endpoint(tool: &SmsTool, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let (host, input) = match tool_input(request, "POST {\"from\",\"text\"}").await {
        Ok(read) => read,
        Err(refused) => return refused,
    };
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
    let signature = twilio_signature(&tool.twilio_key, &url, &params);
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&params)
        .finish();
    let headers = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("x-forwarded-proto", "http"),
        ("x-twilio-signature", signature.as_str()),
    ];
    let (status, body) = match call("POST", &url, &headers, form).await {
        Ok(answered) => answered,
        Err(err) => return answer(StatusCode::BAD_GATEWAY, json!({"message": err})),
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    if !status.is_success() {
        let body = String::from_utf8_lossy(&body);
        return answer(
            status,
            json!({ "message_sid": sid, "webhook_answer": body }),
        );
    }
    let (report_id, replies) = outcome(tool, &sid).await;
    answer(
        status,
        json!({ "message_sid": sid, "report_id": report_id, "replies": replies }),
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
