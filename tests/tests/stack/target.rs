//! The deployed stack under test, as `SIGAP_TARGET` describes it.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;
use sigap::runtime::aws::AwsClients;
use sigap_tests::{HttpReply, http};

/// What the suite knows of the stack it drives.
pub struct Target {
    /// The API's base URL, without a trailing slash.
    pub api: String,
    /// The stack's outputs (`TableName`, `CommandCentreQueueUrl`, …).
    pub outputs: Value,
    /// A staff ID token per role (`ADMIN`, `SUPERVISOR`, …).
    tokens: Value,
    /// Secret parameter name → value, for signing webhooks as the gateway would.
    secrets: Value,
    /// The emulator's record of SMS sent, when there is one.
    sms_record: Option<String>,
    /// The AWS endpoint the stack runs on (the emulator), or `None` for AWS itself.
    endpoint: Option<String>,
    /// Each function's environment as CloudFormation resolved it, by logical id
    /// (the emulator's target only).
    functions: Value,
    /// The stack tier's staff users' password (the emulator's target only).
    staff_password: Option<String>,
}

/// The target, read once from the file `SIGAP_TARGET` names.
pub fn target() -> &'static Target {
    static TARGET: OnceLock<Target> = OnceLock::new();
    TARGET.get_or_init(|| {
        let path = std::env::var("SIGAP_TARGET")
            .expect("SIGAP_TARGET names the stack's target file (make stack-test writes it)");
        let file: Value = serde_json::from_str(
            &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")),
        )
        .unwrap_or_else(|e| panic!("{path}: {e}"));
        let text = |key: &str| file[key].as_str().map(str::to_string);
        Target {
            api: text("api_url")
                .expect("api_url")
                .trim_end_matches('/')
                .into(),
            outputs: file["outputs"].clone(),
            tokens: file["tokens"].clone(),
            secrets: file["secrets"].clone(),
            sms_record: text("sms_record"),
            endpoint: text("endpoint"),
            functions: file["functions"].clone(),
            staff_password: text("staff_password"),
        }
    })
}

impl Target {
    /// A staff role's bearer token.
    pub fn token(&self, role: &str) -> String {
        self.tokens[role]
            .as_str()
            .unwrap_or_else(|| panic!("no token for {role}"))
            .to_string()
    }

    /// The value of secret parameter `name`.
    pub fn secret(&self, name: &str) -> String {
        self.secrets[name]
            .as_str()
            .unwrap_or_else(|| panic!("no secret {name}"))
            .to_string()
    }

    /// The stack tier's staff users' password (`<role>@stack.sigap.test`).
    pub fn staff_password(&self) -> String {
        self.staff_password
            .clone()
            .expect("the emulator's target names the staff password")
    }

    /// A stack output.
    pub fn output(&self, name: &str) -> String {
        self.outputs[name]
            .as_str()
            .unwrap_or_else(|| panic!("no output {name}"))
            .to_string()
    }

    /// Calls the API: `path` from the base URL, a JSON body, and the headers given.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> HttpReply {
        let body = body.map(Value::to_string);
        self.call_raw(method, path, headers, body.as_deref()).await
    }

    /// Calls the API with a JSON body sent byte for byte as given (for signed bodies).
    pub async fn call_raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> HttpReply {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        http(method, &format!("{}{path}", self.api), &all, body).await
    }

    /// Calls a staff route with `role`'s token.
    pub async fn staff(
        &self,
        role: &str,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> HttpReply {
        let bearer = format!("Bearer {}", self.token(role));
        self.call(method, path, &[("authorization", &bearer)], body)
            .await
    }

    /// Texts Sigap through the generic gateway's signed webhook, as the gateway
    /// would: message `message_id` from `from`.
    pub async fn gateway_sms(&self, message_id: &str, from: &str, text: &str) -> HttpReply {
        let secret = self.secret("/sigap/sms-gateway-secret");
        let body =
            serde_json::json!({"message_id": message_id, "from": from, "text": text}).to_string();
        let headers = sigap_tests::signed_headers(&secret, sigap_tests::Signer::Gateway, &body);
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.call_raw("POST", "/sms/gateway", &headers, Some(&body))
            .await
    }

    /// Every SMS the emulator recorded to `e164`, oldest first.
    pub async fn texts_to(&self, e164: &str) -> Vec<String> {
        let record = self
            .sms_record
            .as_ref()
            .expect("this target keeps no SMS record");
        let number = e164.replace('+', "%2B");
        let reply = http("GET", &format!("{record}?phoneNumber={number}"), &[], None).await;
        assert_eq!(reply.status, 200, "the SMS record: {}", reply.text);
        reply.json["sms_messages"][e164]
            .as_array()
            .map(|all| {
                all.iter()
                    .filter_map(|m| m["Message"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Waits (up to `seconds`) until `e164` has been texted something containing
    /// `needle`, and returns every text it was sent.
    pub async fn wait_for_text(&self, e164: &str, needle: &str, seconds: u64) -> Vec<String> {
        let mut texts = Vec::new();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(seconds) {
            texts = self.texts_to(e164).await;
            if texts.iter().any(|t| t.contains(needle)) {
                return texts;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        panic!("{e164} was never texted {needle:?}; it got {texts:?}");
    }

    /// The AWS clients for the stack's resources (the emulator's, or AWS's with the
    /// environment's credentials).
    pub async fn clients(&self) -> AwsClients {
        let mut loader = sigap::runtime::aws::sdk_config_loader().unwrap();
        if let Some(endpoint) = &self.endpoint {
            loader = loader
                .endpoint_url(endpoint)
                .region(aws_config::Region::new("ap-southeast-3"))
                .test_credentials();
        }
        AwsClients::new(&loader.load().await)
    }

    /// Panics unless the target is the emulator: for the tests that leave data behind
    /// or write behind the API (`make smoke` runs only the `smoke` module against AWS).
    pub fn emulator_only(&self, what: &str) {
        assert!(
            self.endpoint.is_some(),
            "{what}: only against the emulator (a real stage runs the smoke module)"
        );
    }

    /// Function `logical_id`'s environment as CloudFormation resolved it.
    pub fn function_environment(&self, logical_id: &str) -> HashMap<String, String> {
        self.functions[logical_id]
            .as_object()
            .unwrap_or_else(|| panic!("the target has no environment for {logical_id}"))
            .iter()
            .filter_map(|(name, value)| Some((name.clone(), value.as_str()?.to_string())))
            .collect()
    }
}

/// Polls `read` every half second until `done` holds of its answer (up to `seconds`),
/// and returns the last answer.
pub async fn eventually<F, Fut>(
    seconds: u64,
    mut read: F,
    done: impl Fn(&HttpReply) -> bool,
) -> HttpReply
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = HttpReply>,
{
    let started = Instant::now();
    loop {
        let reply = read().await;
        if done(&reply) || started.elapsed() > Duration::from_secs(seconds) {
            return reply;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// A reply's header `name`, or empty.
pub fn header<'a>(reply: &'a HttpReply, name: &str) -> &'a str {
    reply
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// A phone number, in E.164, that no earlier run of the suite on this stack used.
pub fn fresh_phone() -> (String, String) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let seed = jiff::Timestamp::now().as_millisecond().unsigned_abs() % 1_000_000;
    let n = (seed * 10 + N.fetch_add(1, Ordering::Relaxed)) % 100_000_000;
    (format!("0813{n:08}"), format!("+62813{n:08}"))
}
