//! The bench's local Lambda Runtime API, driven as `lambda_runtime` drives it: poll
//! for the next event, answer by its request id (or report an error).

use std::time::Duration;

use serde_json::json;
use sigap_tests::http;
use sigap_tests::runtime_api::{Outcome, RuntimeApi};

/// Polls once and answers the event with `{"echo": event}`, or with an error when
/// the event says `fail`.
async fn serve_one(base: &str) {
    let next = http(
        "GET",
        &format!("{base}/2018-06-01/runtime/invocation/next"),
        &[],
        None,
    )
    .await;
    assert_eq!(next.status, 200);
    let id = next.headers["lambda-runtime-aws-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(next.headers.contains_key("lambda-runtime-deadline-ms"));
    let (kind, body) = if next.json["fail"] == true {
        (
            "error",
            json!({"errorType": "Boom", "errorMessage": "asked to fail"}),
        )
    } else {
        ("response", json!({ "echo": next.json }))
    };
    let url = format!("{base}/2018-06-01/runtime/invocation/{id}/{kind}");
    let answered = http("POST", &url, &[], Some(&body.to_string())).await;
    assert_eq!(answered.status, 202, "{url}");
}

#[tokio::test]
async fn events_are_handed_to_the_poller_and_answers_come_back_by_request_id() {
    let api = RuntimeApi::start().await.unwrap();
    let base = format!("http://{}", api.address());
    // Nobody has polled yet: no init end to report.
    assert!(api.first_poll(Duration::from_millis(50)).await.is_err());
    let client = tokio::spawn(async move {
        for _ in 0..3 {
            serve_one(&base).await;
        }
    });
    for n in 0..2 {
        let invocation = api
            .invoke(json!({ "n": n }), Duration::from_secs(10))
            .await
            .unwrap();
        match invocation.outcome {
            Outcome::Response(body) => assert_eq!(body, json!({"echo": {"n": n}})),
            other => panic!("{other:?}"),
        }
    }
    let failed = api
        .invoke(json!({ "fail": true }), Duration::from_secs(10))
        .await
        .unwrap();
    match failed.outcome {
        Outcome::Error(body) => assert_eq!(body["errorType"], "Boom"),
        other => panic!("{other:?}"),
    }
    assert!(api.first_poll(Duration::from_secs(1)).await.is_ok());
    client.await.unwrap();
    // An answer nobody waits for is refused, not taken for another invocation's.
    let stray = http(
        "POST",
        &format!(
            "http://{}/2018-06-01/runtime/invocation/bench-99999999/response",
            api.address()
        ),
        &[],
        Some("{}"),
    )
    .await;
    assert_eq!(stray.status, 400);
}
