//! Creating what the template declares in moto (or any AWS endpoint), and resolving
//! the template's `!Ref` / `!GetAtt` to the physical names that were created.
//!
//! Every name gets a prefix, so parallel tests each get isolated resources.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_sqs::types::QueueAttributeName;
use serde_yaml_ng::Value;
use sigap::runtime::aws::AwsClients;

use crate::template::{Template, referenced_id};

/// The account id moto (and the ARNs devstack builds) use.
pub const ACCOUNT_ID: &str = "123456789012";

/// Why provisioning failed.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// An AWS call failed.
    #[error("creating {resource} failed: {message}")]
    Aws {
        /// Logical id.
        resource: String,
        /// The SDK error with context.
        message: String,
    },
    /// A value in the template cannot be resolved locally.
    #[error("cannot resolve {0}")]
    Unresolvable(String),
}

fn aws_err(resource: &str, err: impl std::error::Error + 'static) -> ProvisionError {
    ProvisionError::Aws {
        resource: resource.into(),
        message: aws_sdk_dynamodb::error::DisplayErrorContext(err).to_string(),
    }
}

/// A created queue.
#[derive(Debug, Clone)]
pub struct QueueRef {
    /// Queue URL.
    pub url: String,
    /// Queue ARN.
    pub arn: String,
}

/// The physical resources created for one template.
#[derive(Debug, Clone)]
pub struct Stack {
    /// Name prefix of every resource.
    pub prefix: String,
    /// Region the ARNs name.
    pub region: String,
    /// Parameter values (template defaults, with `LOCAL_PARAMETERS` over them).
    pub parameters: BTreeMap<String, String>,
    /// Table logical id → physical name.
    pub tables: BTreeMap<String, String>,
    /// Queue logical id → URL and ARN.
    pub queues: BTreeMap<String, QueueRef>,
    /// Topic logical id → ARN.
    pub topics: BTreeMap<String, String>,
    /// Bucket logical id → physical name.
    pub buckets: BTreeMap<String, String>,
    /// Cognito's logical ids, which resolve to empty values (not emulated).
    pub sign_in: Vec<String>,
}

impl Stack {
    /// The single table's physical name (the first table in the template).
    pub fn table_name(&self) -> Option<&str> {
        self.tables.values().next().map(String::as_str)
    }

    /// A queue by logical id.
    pub fn queue(&self, logical_id: &str) -> Option<&QueueRef> {
        self.queues.get(logical_id)
    }

    /// Resolves an environment value: literals, `!Ref` and `!GetAtt <X>.Arn` (a
    /// Cognito resource's, empty).
    pub fn resolve(&self, value: &Value) -> Result<String, ProvisionError> {
        match value {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Tagged(t) => {
                let id = referenced_id(value).ok_or_else(|| {
                    ProvisionError::Unresolvable(format!("!{} {:?}", t.tag, t.value))
                })?;
                let is_ref = t.tag == "Ref";
                if let Some(p) = self.parameters.get(&id).filter(|_| is_ref) {
                    return Ok(p.clone());
                }
                if let Some(name) = self.tables.get(&id) {
                    return Ok(if is_ref {
                        name.clone()
                    } else {
                        format!("arn:aws:dynamodb:{}:{ACCOUNT_ID}:table/{name}", self.region)
                    });
                }
                if let Some(q) = self.queues.get(&id) {
                    return Ok(if is_ref { q.url.clone() } else { q.arn.clone() });
                }
                if let Some(arn) = self.topics.get(&id) {
                    return Ok(arn.clone());
                }
                if let Some(name) = self.buckets.get(&id) {
                    return Ok(if is_ref {
                        name.clone()
                    } else {
                        format!("arn:aws:s3:::{name}")
                    });
                }
                // Locally the development sign-in stands in for Cognito: empty, as a
                // function takes an unset setting.
                if self.sign_in.contains(&id) {
                    return Ok(String::new());
                }
                Err(ProvisionError::Unresolvable(format!("!{} {id}", t.tag)))
            }
            other => Err(ProvisionError::Unresolvable(format!("{other:?}"))),
        }
    }

    /// All environment variables of a function, resolved.
    pub fn environment(
        &self,
        env: &BTreeMap<String, Value>,
    ) -> Result<HashMap<String, String>, ProvisionError> {
        env.iter()
            .map(|(k, v)| Ok((k.clone(), self.resolve(v)?)))
            .collect()
    }
}

fn key_schema(pairs: &[(String, String)]) -> Result<Vec<KeySchemaElement>, ProvisionError> {
    pairs
        .iter()
        .map(|(name, kind)| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(if kind == "HASH" {
                    KeyType::Hash
                } else {
                    KeyType::Range
                })
                .build()
                .map_err(|e| aws_err("key schema", e))
        })
        .collect()
}

/// Parameters a local stack runs with where every deployed stage keeps the
/// template's default (`sam deploy --parameter-overrides`, locally): the staff
/// console's development sign-in (the stack tier passes the same, infra/stack), and
/// WhatsApp on against a local Graph API.
pub const LOCAL_PARAMETERS: [(&str, &str); 3] = [
    (
        "ConsoleDevSignInKeyParameter",
        "/sigap/local/console-dev-sign-in-key",
    ),
    // WhatsApp on, with a made-up number id, and never Meta: devstack replaces the
    // Graph API's URL with its fake's; anything else built from it gets a closed port.
    ("WhatsAppPhoneNumberId", "100000000000001"),
    ("WhatsAppGraphUrl", "http://127.0.0.1:9"),
];

/// The template's parameter defaults with [`LOCAL_PARAMETERS`] over them.
fn local_parameters(template: &Template) -> BTreeMap<String, String> {
    let mut parameters = template.parameters.clone();
    for (name, value) in LOCAL_PARAMETERS {
        parameters.insert(name.to_string(), value.to_string());
    }
    parameters
}

/// The dev-only value devstack stores for the secret parameter `name` (deterministic,
/// so every devstack on one moto agrees; a deployed stack's values are created by ops).
pub fn dev_secret(name: &str) -> String {
    format!("devstack-only{name}")
}

/// Creates, as SSM SecureStrings, the secrets a function's environment names
/// (`NAME_PARAMETER`), so functions fetch them at start-up exactly as in AWS.
pub async fn put_dev_secrets(
    clients: &AwsClients,
    environment: &HashMap<String, String>,
) -> Result<(), ProvisionError> {
    for (key, name) in environment {
        if !key.ends_with(sigap::runtime::config::SECRET_PARAMETER_SUFFIX) || name.trim().is_empty()
        {
            continue;
        }
        clients
            .ssm
            .put_parameter()
            .name(name)
            .value(dev_secret(name))
            .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
            .overwrite(true)
            .send()
            .await
            .map_err(|e| aws_err(name, e))?;
    }
    Ok(())
}

/// Creates every table and queue of `template` with `prefix`; existing ones are reused.
pub async fn provision(
    template: &Template,
    clients: &AwsClients,
    prefix: &str,
) -> Result<Stack, ProvisionError> {
    let region = clients
        .dynamodb
        .config()
        .region()
        .map(|r| r.to_string())
        .unwrap_or_else(|| "ap-southeast-3".into());
    let mut stack = Stack {
        prefix: prefix.into(),
        region,
        parameters: local_parameters(template),
        tables: BTreeMap::new(),
        queues: BTreeMap::new(),
        topics: BTreeMap::new(),
        buckets: BTreeMap::new(),
        sign_in: template.sign_in.clone(),
    };
    for table in &template.tables {
        let name = format!("{prefix}{}", table.logical_id);
        let attributes = table
            .attributes
            .iter()
            .map(|(n, t)| {
                AttributeDefinition::builder()
                    .attribute_name(n)
                    .attribute_type(ScalarAttributeType::from(t.as_str()))
                    .build()
                    .map_err(|e| aws_err(&table.logical_id, e))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut create = clients
            .dynamodb
            .create_table()
            .table_name(&name)
            .billing_mode(BillingMode::PayPerRequest)
            .set_attribute_definitions(Some(attributes))
            .set_key_schema(Some(key_schema(&table.key_schema)?));
        for (index, keys) in &table.indexes {
            let gsi = GlobalSecondaryIndex::builder()
                .index_name(index)
                .set_key_schema(Some(key_schema(keys)?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .map_err(|e| aws_err(&table.logical_id, e))?;
            create = create.global_secondary_indexes(gsi);
        }
        match create.send().await {
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_in_use_exception()) => {}
            Err(e) => return Err(aws_err(&table.logical_id, e)),
        }
        if let Some(attribute) = &table.ttl_attribute {
            let spec = TimeToLiveSpecification::builder()
                .attribute_name(attribute)
                .enabled(true)
                .build()
                .map_err(|e| aws_err(&table.logical_id, e))?;
            // Enabling TTL twice is an error on AWS; on a reused table that is fine.
            let _ = clients
                .dynamodb
                .update_time_to_live()
                .table_name(&name)
                .time_to_live_specification(spec)
                .send()
                .await;
        }
        stack.tables.insert(table.logical_id.clone(), name);
    }
    for queue in &template.queues {
        let name = format!("{prefix}{}", queue.logical_id);
        let mut create = clients.sqs.create_queue().queue_name(&name);
        if let Some(v) = queue.visibility_timeout {
            create = create.attributes(QueueAttributeName::VisibilityTimeout, v.to_string());
        }
        if let Some(r) = queue.retention {
            create = create.attributes(QueueAttributeName::MessageRetentionPeriod, r.to_string());
        }
        if let Some((dlq, max)) = &queue.redrive {
            let target = stack
                .queues
                .get(dlq)
                .ok_or_else(|| ProvisionError::Unresolvable(format!("dead-letter queue {dlq}")))?;
            let policy = serde_json::json!({"deadLetterTargetArn": target.arn, "maxReceiveCount": max.to_string()});
            create = create.attributes(QueueAttributeName::RedrivePolicy, policy.to_string());
        }
        let url = create
            .send()
            .await
            .map_err(|e| aws_err(&queue.logical_id, e))?
            .queue_url()
            .unwrap_or_default()
            .to_string();
        let arn = format!("arn:aws:sqs:{}:{ACCOUNT_ID}:{name}", stack.region);
        stack
            .queues
            .insert(queue.logical_id.clone(), QueueRef { url, arn });
    }
    for topic in &template.topics {
        let name = format!("{prefix}{topic}");
        let out = clients
            .sns
            .create_topic()
            .name(&name)
            .send()
            .await
            .map_err(|e| aws_err(topic, e))?;
        stack.topics.insert(
            topic.clone(),
            out.topic_arn().unwrap_or_default().to_string(),
        );
    }
    for subscription in &template.subscriptions {
        let id = &subscription.logical_id;
        let topic_arn = stack
            .topics
            .get(&subscription.topic)
            .cloned()
            .ok_or_else(|| ProvisionError::Unresolvable(format!("topic {}", subscription.topic)))?;
        let mut subscribe = clients
            .sns
            .subscribe()
            .topic_arn(topic_arn)
            .protocol(&subscription.protocol)
            .endpoint(stack.resolve(&subscription.endpoint)?)
            .attributes("RawMessageDelivery", subscription.raw.to_string());
        if let Some(policy) = &subscription.filter_policy {
            subscribe = subscribe.attributes("FilterPolicy", policy.to_string());
        }
        subscribe.send().await.map_err(|e| aws_err(id, e))?;
    }
    for bucket in &template.buckets {
        let name = provision_bucket(bucket, &stack, clients).await?;
        stack.buckets.insert(bucket.logical_id.clone(), name);
    }
    Ok(stack)
}

/// Creates `bucket` (bucket names are lower case, the prefix may not be) and points
/// its object-created notifications at their queues.
async fn provision_bucket(
    bucket: &crate::template::BucketSpec,
    stack: &Stack,
    clients: &AwsClients,
) -> Result<String, ProvisionError> {
    use aws_sdk_s3::types::{
        BucketLocationConstraint, CreateBucketConfiguration, Event, FilterRule, FilterRuleName,
        NotificationConfiguration, NotificationConfigurationFilter, QueueConfiguration,
        S3KeyFilter,
    };
    let id = &bucket.logical_id;
    let name = format!("{}{id}", stack.prefix).to_lowercase();
    let created = clients
        .s3
        .create_bucket()
        .bucket(&name)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(stack.region.as_str()))
                .build(),
        )
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(e)
            if e.as_service_error().is_some_and(|s| {
                s.is_bucket_already_owned_by_you() || s.is_bucket_already_exists()
            }) => {}
        Err(e) => return Err(aws_err(id, e)),
    }
    let mut configuration = NotificationConfiguration::builder();
    for (queue, prefix) in &bucket.queue_notifications {
        let arn = stack
            .queues
            .get(queue)
            .ok_or_else(|| ProvisionError::Unresolvable(format!("queue {queue}")))?
            .arn
            .clone();
        let filter = NotificationConfigurationFilter::builder()
            .key(
                S3KeyFilter::builder()
                    .filter_rules(
                        FilterRule::builder()
                            .name(FilterRuleName::Prefix)
                            .value(prefix)
                            .build(),
                    )
                    .build(),
            )
            .build();
        configuration = configuration.queue_configurations(
            QueueConfiguration::builder()
                .queue_arn(arn)
                .events(Event::from("s3:ObjectCreated:*"))
                .filter(filter)
                .build()
                .map_err(|e| aws_err(id, e))?,
        );
    }
    clients
        .s3
        .put_bucket_notification_configuration()
        .bucket(&name)
        .notification_configuration(configuration.build())
        .send()
        .await
        .map_err(|e| aws_err(id, e))?;
    Ok(name)
}
