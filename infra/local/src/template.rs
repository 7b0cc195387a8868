//! Reading `infra/template.yaml`: the resources, functions and triggers devstack runs.
//!
//! Anything the template declares that devstack cannot run is an error here, at
//! start-up, never a silent gap: an unknown resource type, event type, schedule
//! expression, or an SQS trigger without `ReportBatchItemFailures`.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_yaml_ng::Value;

/// Why the template cannot be run locally.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// Not YAML, or not the shape of a SAM template.
    #[error("template is malformed: {0}")]
    Malformed(String),
    /// Something devstack cannot serve.
    #[error("devstack cannot run {what} of {resource}: {why}")]
    Unsupported {
        /// Logical id.
        resource: String,
        /// What part.
        what: String,
        /// Why not.
        why: String,
    },
}

fn malformed(msg: impl Into<String>) -> TemplateError {
    TemplateError::Malformed(msg.into())
}

fn unsupported(resource: &str, what: impl Into<String>, why: impl Into<String>) -> TemplateError {
    TemplateError::Unsupported {
        resource: resource.into(),
        what: what.into(),
        why: why.into(),
    }
}

/// A DynamoDB table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSpec {
    /// Logical id.
    pub logical_id: String,
    /// (attribute, type) pairs.
    pub attributes: Vec<(String, String)>,
    /// (attribute, HASH|RANGE) pairs.
    pub key_schema: Vec<(String, String)>,
    /// Global secondary indexes: name and key schema (projection ALL).
    pub indexes: Vec<(String, Vec<(String, String)>)>,
    /// TTL attribute, when enabled.
    pub ttl_attribute: Option<String>,
}

/// An SQS queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueSpec {
    /// Logical id.
    pub logical_id: String,
    /// Visibility timeout in seconds.
    pub visibility_timeout: Option<u64>,
    /// Retention in seconds.
    pub retention: Option<u64>,
    /// Dead-letter queue (logical id) and max receives.
    pub redrive: Option<(String, u64)>,
}

/// An S3 bucket and where it announces new objects.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketSpec {
    /// Logical id.
    pub logical_id: String,
    /// Object-created notifications: the queue (logical id) and the key prefix.
    pub queue_notifications: Vec<(String, String)>,
}

/// An SNS subscription to one of the template's topics.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionSpec {
    /// Logical id.
    pub logical_id: String,
    /// Topic logical id.
    pub topic: String,
    /// `sqs` (the only protocol devstack can deliver to).
    pub protocol: String,
    /// The endpoint, unresolved (`!GetAtt <Queue>.Arn`).
    pub endpoint: Value,
    /// Raw message delivery.
    pub raw: bool,
    /// Filter policy (message attributes), if any.
    pub filter_policy: Option<serde_json::Value>,
}

/// A trigger of a function.
#[derive(Debug, Clone, PartialEq)]
pub enum EventSpec {
    /// An HTTP API route.
    Http {
        /// Event name.
        name: String,
        /// HTTP method, upper case.
        method: String,
        /// Path template, e.g. `/reports/{id}`.
        path: String,
        /// The JWT authorizer guarding it, if any.
        authorizer: Option<String>,
    },
    /// An SQS event source mapping.
    Sqs {
        /// Event name.
        name: String,
        /// Queue logical id.
        queue: String,
        /// Records per invocation.
        batch_size: i32,
    },
    /// An EventBridge Scheduler schedule.
    Schedule {
        /// Event name.
        name: String,
        /// Interval of a `rate(...)` expression.
        every: Duration,
        /// The JSON input sent to the function.
        input: serde_json::Value,
    },
}

/// A Lambda function.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionSpec {
    /// Logical id.
    pub logical_id: String,
    /// The crate (and binary) name: the last segment of `CodeUri`.
    pub crate_name: String,
    /// Environment variables, unresolved (globals merged in).
    pub environment: BTreeMap<String, Value>,
    /// Triggers.
    pub events: Vec<EventSpec>,
    /// What its role allows on the table, enforced on its client ([`crate::iam`]).
    pub table_access: crate::iam::TableAccess,
}

/// What devstack takes from the template.
#[derive(Debug, Clone, Default)]
pub struct Template {
    /// Parameter defaults.
    pub parameters: BTreeMap<String, String>,
    /// Tables.
    pub tables: Vec<TableSpec>,
    /// Queues, dead-letter queues first.
    pub queues: Vec<QueueSpec>,
    /// Functions.
    pub functions: Vec<FunctionSpec>,
    /// Names of the HTTP API's JWT authorizers (emulated with devstack's key).
    pub jwt_authorizers: Vec<String>,
    /// SNS topics (logical ids).
    pub topics: Vec<String>,
    /// SNS subscriptions declared in the template.
    pub subscriptions: Vec<SubscriptionSpec>,
    /// S3 buckets.
    pub buckets: Vec<BucketSpec>,
    /// Cognito's resources (logical ids): not emulated, so a function's reference to
    /// one (the console's hosted sign-in) resolves to nothing locally.
    pub sign_in: Vec<String>,
}

fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.as_mapping().and_then(|m| m.get(key))
}

fn str_of(v: &Value, key: &str) -> Option<String> {
    get(v, key).and_then(|x| match x {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

fn u64_of(v: &Value, key: &str) -> Option<u64> {
    str_of(v, key).and_then(|s| s.parse().ok())
}

fn pairs(v: Option<&Value>, a: &str, b: &str) -> Vec<(String, String)> {
    v.and_then(Value::as_sequence)
        .map(|seq| {
            seq.iter()
                .filter_map(|x| Some((str_of(x, a)?, str_of(x, b)?)))
                .collect()
        })
        .unwrap_or_default()
}

/// The logical id a `!Ref X` or `!GetAtt X.Arn` points at.
pub fn referenced_id(v: &Value) -> Option<String> {
    match v {
        Value::Tagged(t) if t.tag == "Ref" => t.value.as_str().map(str::to_string),
        Value::Tagged(t) if t.tag == "GetAtt" => match &t.value {
            Value::String(s) => s.split('.').next().map(str::to_string),
            Value::Sequence(seq) => seq.first().and_then(Value::as_str).map(str::to_string),
            _ => None,
        },
        _ => None,
    }
}

/// Parses `rate(5 minutes)`; cron and one-off schedules are not run locally.
pub fn parse_rate(expression: &str) -> Option<Duration> {
    let inner = expression.trim().strip_prefix("rate(")?.strip_suffix(')')?;
    let (count, unit) = inner.trim().split_once(' ')?;
    let count: u64 = count.parse().ok().filter(|&c| c > 0)?;
    let seconds = match unit.trim().trim_end_matches('s') {
        "minute" => 60,
        "hour" => 3600,
        "day" => 86_400,
        _ => return None,
    };
    Some(Duration::from_secs(count * seconds))
}

impl Template {
    /// Every HTTP route: method, path template, and whether a JWT authorizer guards it.
    pub fn http_routes(&self) -> impl Iterator<Item = (&str, &str, bool)> {
        self.functions
            .iter()
            .flat_map(|f| &f.events)
            .filter_map(|e| match e {
                EventSpec::Http {
                    method,
                    path,
                    authorizer,
                    ..
                } => Some((method.as_str(), path.as_str(), authorizer.is_some())),
                _ => None,
            })
    }

    /// Parses template text.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let doc: Value = serde_yaml_ng::from_str(text).map_err(|e| malformed(e.to_string()))?;
        let mut template = Template::default();
        if let Some(params) = get(&doc, "Parameters").and_then(Value::as_mapping) {
            for (name, spec) in params {
                if let (Some(name), Some(default)) = (name.as_str(), str_of(spec, "Default")) {
                    template.parameters.insert(name.to_string(), default);
                }
            }
        }
        let globals_env = get(&doc, "Globals")
            .and_then(|g| get(g, "Function"))
            .and_then(|f| get(f, "Environment"))
            .and_then(|e| get(e, "Variables"))
            .and_then(Value::as_mapping)
            .cloned()
            .unwrap_or_default();
        let resources = get(&doc, "Resources")
            .and_then(Value::as_mapping)
            .ok_or_else(|| malformed("no Resources"))?;
        // Authorizers first: routes anywhere in the file refer to them.
        for resource in resources.values() {
            if str_of(resource, "Type").as_deref() == Some("AWS::Serverless::HttpApi")
                && let Some(authorizers) = get(resource, "Properties")
                    .and_then(|p| get(p, "Auth"))
                    .and_then(|a| get(a, "Authorizers"))
                    .and_then(Value::as_mapping)
            {
                for (name, spec) in authorizers {
                    if let (Some(name), Some(_)) = (name.as_str(), get(spec, "JwtConfiguration")) {
                        template.jwt_authorizers.push(name.to_string());
                    }
                }
            }
        }
        // The one table every role's statements name.
        let table = resources
            .iter()
            .find(|(_, r)| str_of(r, "Type").as_deref() == Some("AWS::DynamoDB::Table"))
            .and_then(|(id, _)| id.as_str())
            .unwrap_or_default()
            .to_string();
        for (id, resource) in resources {
            let id = id
                .as_str()
                .ok_or_else(|| malformed("non-string logical id"))?;
            let kind =
                str_of(resource, "Type").ok_or_else(|| malformed(format!("{id} has no Type")))?;
            let props = get(resource, "Properties").cloned().unwrap_or(Value::Null);
            match kind.as_str() {
                "AWS::DynamoDB::Table" => template.tables.push(parse_table(id, &props)),
                "AWS::SQS::Queue" => template.queues.push(parse_queue(id, &props)?),
                "AWS::SNS::Topic" => template.topics.push(id.to_string()),
                "AWS::S3::Bucket" => template.buckets.push(parse_bucket(id, &props)?),
                // moto enforces no bucket policy (the TLS-only rule is AWS's to apply).
                "AWS::S3::BucketPolicy" => {}
                "AWS::SNS::Subscription" => {
                    template
                        .subscriptions
                        .extend(parse_subscription(id, &props)?);
                }
                // Permissions: moto enforces no IAM. The roles' DynamoDB statements are
                // enforced on each function's client instead (read with the function,
                // below, by crate::iam); the other services' are checked by template tests.
                "AWS::SQS::QueuePolicy" | "AWS::IAM::Role" => {}
                // Logs, alarms and dashboards live in CloudWatch; locally the logs are
                // the terminal.
                "AWS::Logs::LogGroup" | "AWS::CloudWatch::Alarm" | "AWS::CloudWatch::Dashboard" => {
                }
                // Routes live on the functions' HttpApi events; the API itself is the server.
                "AWS::Serverless::HttpApi" => {}
                "AWS::Serverless::Function" => {
                    let mut function =
                        parse_function(id, &props, &globals_env, &template.jwt_authorizers)?;
                    if let Some(role) = get(&props, "Role").and_then(referenced_id)
                        && let Some(resource) = resources.get(role.as_str())
                    {
                        function.table_access =
                            crate::iam::TableAccess::from_role(id, &role, resource, &table)
                                .map_err(|e| unsupported(id, "its role", e.to_string()))?;
                    }
                    template.functions.push(function);
                }
                // The edge (CloudFront and AWS WAF) exists only in AWS, and only when
                // EdgeWebAclArn is set: locally requests reach the API directly.
                "AWS::CloudFront::Distribution" => {}
                // Cognito issues staff tokens in AWS; devstack issues its own (and the
                // console its development sessions).
                "AWS::Cognito::UserPool"
                | "AWS::Cognito::UserPoolClient"
                | "AWS::Cognito::UserPoolDomain"
                | "AWS::Cognito::UserPoolGroup" => template.sign_in.push(id.to_string()),
                other => {
                    return Err(unsupported(
                        id,
                        format!("resource type {other}"),
                        "not emulated",
                    ));
                }
            }
        }
        // Dead-letter queues must exist before the queues that redrive into them.
        template.queues.sort_by_key(|q| q.redrive.is_some());
        template.check_references()?;
        Ok(template)
    }

    fn check_references(&self) -> Result<(), TemplateError> {
        let queue = |id: &str| self.queues.iter().any(|q| q.logical_id == id);
        for q in &self.queues {
            if let Some((dlq, _)) = &q.redrive
                && !queue(dlq)
            {
                return Err(malformed(format!(
                    "{} redrives to unknown queue {dlq}",
                    q.logical_id
                )));
            }
        }
        for b in &self.buckets {
            for (q, _) in &b.queue_notifications {
                if !queue(q) {
                    return Err(malformed(format!(
                        "{} notifies unknown queue {q}",
                        b.logical_id
                    )));
                }
            }
        }
        for f in &self.functions {
            for event in &f.events {
                if let EventSpec::Sqs { queue: q, name, .. } = event
                    && !queue(q)
                {
                    return Err(malformed(format!(
                        "{}.{name} reads unknown queue {q}",
                        f.logical_id
                    )));
                }
            }
        }
        Ok(())
    }
}

fn parse_table(id: &str, props: &Value) -> TableSpec {
    let indexes = get(props, "GlobalSecondaryIndexes")
        .and_then(Value::as_sequence)
        .map(|seq| {
            seq.iter()
                .filter_map(|g| {
                    Some((
                        str_of(g, "IndexName")?,
                        pairs(get(g, "KeySchema"), "AttributeName", "KeyType"),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    let ttl = get(props, "TimeToLiveSpecification")
        .filter(|t| str_of(t, "Enabled").as_deref() == Some("true"))
        .and_then(|t| str_of(t, "AttributeName"));
    TableSpec {
        logical_id: id.into(),
        attributes: pairs(
            get(props, "AttributeDefinitions"),
            "AttributeName",
            "AttributeType",
        ),
        key_schema: pairs(get(props, "KeySchema"), "AttributeName", "KeyType"),
        indexes,
        ttl_attribute: ttl,
    }
}

/// An SQS subscription to provision; `None` for the channels only AWS can deliver
/// to (e-mail, SMS, HTTPS), which devstack leaves out.
fn parse_subscription(id: &str, props: &Value) -> Result<Option<SubscriptionSpec>, TemplateError> {
    let protocol = str_of(props, "Protocol").unwrap_or_default();
    if protocol != "sqs" {
        return Ok(None);
    }
    let topic = get(props, "TopicArn")
        .and_then(referenced_id)
        .ok_or_else(|| malformed(format!("{id} TopicArn needs !Ref <Topic>")))?;
    let endpoint = get(props, "Endpoint")
        .cloned()
        .ok_or_else(|| malformed(format!("{id} has no Endpoint")))?;
    let filter_policy = match get(props, "FilterPolicy") {
        None => None,
        Some(policy) => Some(
            serde_json::to_value(policy)
                .map_err(|e| malformed(format!("{id} FilterPolicy: {e}")))?,
        ),
    };
    Ok(Some(SubscriptionSpec {
        logical_id: id.into(),
        topic,
        protocol,
        endpoint,
        raw: str_of(props, "RawMessageDelivery").as_deref() == Some("true"),
        filter_policy,
    }))
}

/// A bucket's queue notifications (object-created, with a prefix filter); any other
/// kind of notification is not emulated.
fn parse_bucket(id: &str, props: &Value) -> Result<BucketSpec, TemplateError> {
    let Some(notifications) = get(props, "NotificationConfiguration") else {
        return Ok(BucketSpec {
            logical_id: id.into(),
            queue_notifications: Vec::new(),
        });
    };
    if get(notifications, "LambdaConfigurations").is_some()
        || get(notifications, "TopicConfigurations").is_some()
    {
        return Err(unsupported(
            id,
            "a Lambda or SNS bucket notification",
            "only queue notifications are emulated",
        ));
    }
    let mut queue_notifications = Vec::new();
    for config in get(notifications, "QueueConfigurations")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        let event = str_of(config, "Event").unwrap_or_default();
        if !event.starts_with("s3:ObjectCreated:") {
            return Err(unsupported(
                id,
                format!("the {event} notification"),
                "only object-created is emulated",
            ));
        }
        let queue = get(config, "Queue")
            .and_then(referenced_id)
            .ok_or_else(|| malformed(format!("{id} notification needs !GetAtt <Queue>.Arn")))?;
        let prefix = get(config, "Filter")
            .and_then(|f| get(f, "S3Key"))
            .and_then(|k| get(k, "Rules"))
            .and_then(Value::as_sequence)
            .and_then(|rules| {
                rules
                    .iter()
                    .find(|r| str_of(r, "Name").as_deref() == Some("prefix"))
                    .and_then(|r| str_of(r, "Value"))
            })
            .unwrap_or_default();
        queue_notifications.push((queue, prefix));
    }
    Ok(BucketSpec {
        logical_id: id.into(),
        queue_notifications,
    })
}

fn parse_queue(id: &str, props: &Value) -> Result<QueueSpec, TemplateError> {
    if str_of(props, "FifoQueue").as_deref() == Some("true") {
        return Err(unsupported(
            id,
            "FIFO queue",
            "not needed yet; add FIFO handling to devstack first",
        ));
    }
    let redrive = match get(props, "RedrivePolicy") {
        None => None,
        Some(policy) => {
            let target = get(policy, "deadLetterTargetArn")
                .and_then(referenced_id)
                .ok_or_else(|| {
                    malformed(format!("{id} RedrivePolicy needs !GetAtt <Queue>.Arn"))
                })?;
            Some((target, u64_of(policy, "maxReceiveCount").unwrap_or(5)))
        }
    };
    Ok(QueueSpec {
        logical_id: id.into(),
        visibility_timeout: u64_of(props, "VisibilityTimeout"),
        retention: u64_of(props, "MessageRetentionPeriod"),
        redrive,
    })
}

fn parse_function(
    id: &str,
    props: &Value,
    globals_env: &serde_yaml_ng::Mapping,
    authorizers: &[String],
) -> Result<FunctionSpec, TemplateError> {
    let code_uri =
        str_of(props, "CodeUri").ok_or_else(|| malformed(format!("{id} has no CodeUri")))?;
    let crate_name = code_uri
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let mut environment = BTreeMap::new();
    let own_env = get(props, "Environment")
        .and_then(|e| get(e, "Variables"))
        .and_then(Value::as_mapping)
        .cloned()
        .unwrap_or_default();
    for (k, v) in globals_env.iter().chain(own_env.iter()) {
        if let Some(k) = k.as_str() {
            environment.insert(k.to_string(), v.clone());
        }
    }
    let mut events = Vec::new();
    if let Some(map) = get(props, "Events").and_then(Value::as_mapping) {
        for (name, event) in map {
            let name = name.as_str().unwrap_or_default().to_string();
            events.push(parse_event(id, &name, event, authorizers)?);
        }
    }
    Ok(FunctionSpec {
        logical_id: id.into(),
        crate_name,
        environment,
        events,
        table_access: crate::iam::TableAccess {
            function: id.into(),
            grants: Vec::new(),
        },
    })
}

fn parse_event(
    id: &str,
    name: &str,
    event: &Value,
    authorizers: &[String],
) -> Result<EventSpec, TemplateError> {
    let kind = str_of(event, "Type").unwrap_or_default();
    let props = get(event, "Properties").cloned().unwrap_or(Value::Null);
    let what = format!("event {name} ({kind})");
    match kind.as_str() {
        "HttpApi" => {
            let authorizer = match get(&props, "Auth").and_then(|a| str_of(a, "Authorizer")) {
                None => None,
                Some(n) if n == "NONE" => None,
                Some(n) if authorizers.contains(&n) => Some(n),
                Some(n) => {
                    let why = format!("authorizer {n} is not a JWT authorizer of the HttpApi");
                    return Err(unsupported(id, what, why));
                }
            };
            let method = str_of(&props, "Method").unwrap_or_default().to_uppercase();
            let path = str_of(&props, "Path").unwrap_or_default();
            if method.is_empty() || !path.starts_with('/') {
                return Err(unsupported(id, what, "needs an explicit Method and Path"));
            }
            Ok(EventSpec::Http {
                name: name.into(),
                method,
                path,
                authorizer,
            })
        }
        "SQS" => {
            let queue = get(&props, "Queue")
                .and_then(referenced_id)
                .ok_or_else(|| unsupported(id, &what, "Queue must be !GetAtt <Queue>.Arn"))?;
            let reports_failures = get(&props, "FunctionResponseTypes")
                .and_then(Value::as_sequence)
                .is_some_and(|s| {
                    s.iter()
                        .any(|t| t.as_str() == Some("ReportBatchItemFailures"))
                });
            if !reports_failures {
                return Err(unsupported(
                    id,
                    what,
                    "SQS triggers must declare ReportBatchItemFailures",
                ));
            }
            let batch_size = u64_of(&props, "BatchSize").unwrap_or(10).min(10) as i32;
            Ok(EventSpec::Sqs {
                name: name.into(),
                queue,
                batch_size,
            })
        }
        "ScheduleV2" => {
            let expression = str_of(&props, "ScheduleExpression").unwrap_or_default();
            let every = parse_rate(&expression).ok_or_else(|| {
                unsupported(
                    id,
                    &what,
                    format!("schedule {expression:?} is not a rate()"),
                )
            })?;
            let input = match str_of(&props, "Input") {
                None => serde_json::json!({}),
                Some(text) => serde_json::from_str(&text)
                    .map_err(|e| malformed(format!("{id}.{name} Input is not JSON: {e}")))?,
            };
            Ok(EventSpec::Schedule {
                name: name.into(),
                every,
                input,
            })
        }
        _ => Err(unsupported(id, what, "event type not emulated")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = include_str!("../../template.yaml");

    #[test]
    fn the_real_template_is_runnable() {
        let t = Template::parse(TEMPLATE).unwrap();
        assert_eq!(t.tables.len(), 1);
        assert_eq!(t.tables[0].indexes.len(), 4);
        assert_eq!(t.tables[0].ttl_attribute.as_deref(), Some("expires_at"));
        assert_eq!(t.queues[0].logical_id, "IntakeDeadLetterQueue");
        let web = t
            .functions
            .iter()
            .find(|f| f.crate_name == "web-intake")
            .unwrap();
        assert!(web.environment.contains_key("TABLE_NAME"));
        assert!(web.environment.contains_key("INTAKE_QUEUE_URL"));
        let routes: Vec<_> = web
            .events
            .iter()
            .filter_map(|e| match e {
                EventSpec::Http { method, path, .. } => Some(format!("{method} {path}")),
                _ => None,
            })
            .collect();
        assert!(routes.contains(&"GET /reports/{id}".to_string()));
        let verify = t
            .functions
            .iter()
            .find(|f| f.crate_name == "verify")
            .unwrap();
        assert!(
            verify
                .events
                .iter()
                .any(|e| matches!(e, EventSpec::Schedule { every, .. } if every.as_secs() == 300))
        );
    }

    #[test]
    fn what_cannot_be_served_is_an_error() {
        let sns = TEMPLATE.replace("Type: AWS::Serverless::HttpApi", "Type: AWS::SNS::Topic");
        assert!(matches!(
            Template::parse(&sns),
            Err(TemplateError::Unsupported { .. })
        ));
        let no_partial = TEMPLATE.replace("- ReportBatchItemFailures", "[]");
        assert!(Template::parse(&no_partial).is_err());
        let cron = TEMPLATE.replace("rate(5 minutes)", "cron(0 * * * ? *)");
        assert!(Template::parse(&cron).is_err());
        let kinesis = TEMPLATE.replace("Type: SQS", "Type: Kinesis");
        assert!(Template::parse(&kinesis).is_err());
    }

    #[test]
    fn rates() {
        assert_eq!(
            parse_rate("rate(5 minutes)"),
            Some(Duration::from_secs(300))
        );
        assert_eq!(parse_rate("rate(1 hour)"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_rate("rate(0 minutes)"), None);
        assert_eq!(parse_rate("cron(0 12 * * ? *)"), None);
    }
}
