//! The template's resources for one test (a unique prefix each), devstack on a free port, and look-ups of what a test wrote.

use crate::{clients, template_text, unique_phone};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use devstack::provision::{Stack, provision};
use devstack::template::Template;
use sigap::runtime::aws::AwsClients;
use sigap::runtime::clock::Clock;
use sigap::runtime::ids::IdGenerator;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A resource-name prefix no other test in any process uses.
pub fn unique_prefix(name: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let short: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(12)
        .collect();
    format!("t{}-{short}-{n}-{nanos:x}-", std::process::id())
}

/// Resources of the real template, isolated for one test.
pub struct TestStack {
    /// Clients pointed at moto.
    pub clients: AwsClients,
    /// Physical names.
    pub stack: Stack,
    /// The table name.
    pub table: String,
    /// The intake queue URL.
    pub intake_url: String,
    /// The notify queue URL.
    pub notify_url: String,
    /// The staff topic ARN.
    pub staff_topic_arn: String,
    /// The supervisors' SLA alerts topic ARN.
    pub sla_alerts_topic_arn: String,
}

/// The secrets the test apps are built with (in AWS they come from SSM): the tests
/// sign webhooks and hash numbers with the same values.
pub const TEST_SECRETS: &[(&str, &str)] = &[
    ("SENDER_HASH_KEY", "test-sender-key"),
    ("TWILIO_AUTH_TOKEN", "test-twilio-auth-token"),
    ("SMS_GATEWAY_SECRET", "test-gateway-secret"),
    ("DEVICE_KEY", "test-device-key"),
    ("EDGE_SECRET", "test-edge-secret"),
    ("X_CONSUMER_SECRET", "test-x-consumer-secret"),
    ("X_BEARER_TOKEN", "test-x-bearer-token"),
    ("WHATSAPP_APP_SECRET", "test-whatsapp-app-secret"),
    ("WHATSAPP_VERIFY_TOKEN", "test-whatsapp-verify-token"),
    ("WHATSAPP_ACCESS_TOKEN", "test-whatsapp-access-token"),
];

impl TestStack {
    /// Function `F` over this stack, built the one way every function is built (its
    /// own `Function::build`, as `main` and devstack do) from the template's
    /// environment for it, resolved against this stack, with [`TEST_SECRETS`] in
    /// place of the SSM parameters and `overrides` on top (an empty value unsets).
    pub fn app<F: sigap::runtime::function::Function>(
        &self,
        clock: Arc<dyn Clock>,
        overrides: &[(&str, &str)],
    ) -> F {
        self.app_on(&self.clients, clock, overrides)
    }

    /// [`TestStack::app`] over other clients (counted ones, or through a fault proxy).
    pub fn app_on<F: sigap::runtime::function::Function>(
        &self,
        clients: &AwsClients,
        clock: Arc<dyn Clock>,
        overrides: &[(&str, &str)],
    ) -> F {
        // Parsed once per test process: every app of every test reads the same file.
        static TEMPLATE: std::sync::OnceLock<Template> = std::sync::OnceLock::new();
        let template = TEMPLATE.get_or_init(|| Template::parse(&template_text()).unwrap());
        let function = template
            .functions
            .iter()
            .find(|f| f.crate_name == F::NAME)
            .unwrap_or_else(|| panic!("the template has no function {}", F::NAME));
        let mut environment = self.stack.environment(&function.environment).unwrap();
        let suffix = sigap::runtime::config::SECRET_PARAMETER_SUFFIX;
        environment.retain(|name, _| !name.ends_with(suffix));
        for (name, value) in TEST_SECRETS {
            let parameter = format!("{name}{suffix}");
            if function.environment.contains_key(&parameter) {
                environment.insert(name.to_string(), value.to_string());
            }
        }
        for (name, value) in overrides {
            if value.is_empty() {
                environment.remove(*name);
            } else {
                environment.insert(name.to_string(), value.to_string());
            }
        }
        let dependencies = sigap::runtime::function::Dependencies {
            // Its DynamoDB calls are judged by its role in the template, as IAM would.
            clients: function.table_access.guard(clients),
            clock,
            ids: Arc::new(sigap::runtime::ids::OsRandom),
        };
        let settings = sigap::runtime::config::Settings::from_map(environment);
        F::build(&settings, &dependencies).unwrap_or_else(|e| panic!("building {}: {e}", F::NAME))
    }
}

/// Provisions `template` (normally [`template_text`]) and seeds the catalog.
pub async fn stack_from(name: &str, template: &str) -> TestStack {
    let clients = clients().await;
    let template = Template::parse(template).unwrap();
    let stack = provision(&template, &clients, &unique_prefix(name))
        .await
        .unwrap();
    let table = stack.table_name().unwrap().to_string();
    devstack::seed(&clients, &table).await.unwrap();
    let intake_url = stack.queue("IntakeQueue").unwrap().url.clone();
    let notify_url = stack.queue("NotifyQueue").unwrap().url.clone();
    let staff_topic_arn = stack.topics["StaffTopic"].clone();
    let sla_alerts_topic_arn = stack.topics["SlaAlertsTopic"].clone();
    TestStack {
        clients,
        stack,
        table,
        intake_url,
        notify_url,
        staff_topic_arn,
        sla_alerts_topic_arn,
    }
}

/// Provisions the real template for one test.
pub async fn stack(name: &str) -> TestStack {
    stack_from(name, &template_text()).await
}

/// Starts devstack on a free port against this process's moto.
pub async fn devstack(
    name: &str,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    background: bool,
) -> devstack::Running {
    devstack_with(name, clients().await, clock, ids, background, None).await
}

/// Starts devstack on a free port with its functions using `clients` (e.g. through a
/// [`faults::FaultProxy`]), cutting invocations off as `crashes` plans.
pub async fn devstack_with(
    name: &str,
    clients: AwsClients,
    clock: Arc<dyn Clock>,
    ids: Arc<dyn IdGenerator>,
    background: bool,
    crashes: Option<Arc<devstack::crashes::CrashPlan>>,
) -> devstack::Running {
    devstack::start(devstack::Options {
        template: template_text(),
        prefix: unique_prefix(name),
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        clients,
        clock,
        ids,
        background,
        dev_clock: None,
        moto_url: None,
        crashes,
    })
    .await
    .unwrap()
}

/// Enrols device `id` (with a fresh phone) in `running`'s table as devstack's panic
/// tool does, and returns its signing secret.
pub async fn enrolled_device(running: &devstack::Running, id: &str) -> String {
    let phone = sigap::domain::contact::PhoneNumber::parse(&unique_phone()).unwrap();
    let devices = sigap::adapters::devices::DeviceStore::new(
        clients().await.dynamodb.clone(),
        running.stack.table_name().unwrap(),
    );
    devstack::panic_tool::register_active_device(
        &devices,
        &devstack::provision::dev_secret("/sigap/device-key"),
        &devstack::provision::dev_secret("/sigap/sender-hash-key"),
        id,
        &phone,
        jiff::Timestamp::now(),
    )
    .await
    .unwrap()
}

/// Every item in the table whose partition key starts with `prefix` (tests only:
/// request paths never scan).
pub async fn items_with_pk_prefix(
    clients: &AwsClients,
    table: &str,
    prefix: &str,
) -> Vec<sigap::adapters::table::Item> {
    let pages: Vec<_> = clients
        .dynamodb
        .scan()
        .table_name(table)
        .filter_expression("begins_with(PK, :p)")
        .expression_attribute_values(
            ":p",
            aws_sdk_dynamodb::types::AttributeValue::S(prefix.into()),
        )
        .into_paginator()
        .items()
        .send()
        .collect()
        .await;
    pages.into_iter().map(Result::unwrap).collect()
}

/// A console session for `group` from the development sign-in with devstack's key,
/// and its CSRF token.
pub fn console_session(group: &str, issued_at: jiff::Timestamp) -> (String, String) {
    let name = devstack::provision::LOCAL_PARAMETERS[0].1;
    let key = devstack::provision::dev_secret(name);
    let (sign_in, verifier) =
        backoffice::console::dev_sign_in::DevSignIn::new(key.as_bytes()).unwrap();
    let role = sigap::domain::staff::Role::parse(group).unwrap();
    let token = sign_in
        .issue(
            &role,
            None,
            issued_at,
            &format!("session-{}", group.replace(':', "-")),
        )
        .unwrap();
    let csrf = verifier
        .check(&token, issued_at)
        .map(|s| s.csrf_token())
        .unwrap();
    (token, csrf)
}
