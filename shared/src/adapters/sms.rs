//! Text messages to phones through SNS `Publish` (transactional SMS).

use aws_sdk_sns::Client;
use aws_sdk_sns::types::MessageAttributeValue;

use super::table::StoreError;
use crate::domain::contact::PhoneNumber;

/// Sends SMS through SNS.
#[derive(Debug, Clone)]
pub struct SmsSender {
    client: Client,
}

impl SmsSender {
    /// A sender using `client`.
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// Sends `text` to `to`; returns the gateway's message id.
    pub async fn send(&self, to: &PhoneNumber, text: &str) -> Result<String, StoreError> {
        let transactional = string_attribute("Transactional")?;
        let out = self
            .client
            .publish()
            .phone_number(to.as_e164())
            .message(text)
            .message_attributes("AWS.SNS.SMS.SMSType", transactional)
            .send()
            .await
            .map_err(StoreError::aws)?;
        Ok(out.message_id().unwrap_or_default().to_string())
    }
}

/// An SNS topic publishing text with string message attributes.
#[derive(Debug, Clone)]
struct Topic {
    client: Client,
    arn: String,
}

impl Topic {
    /// Publishes `text` (with `subject`, for e-mail subscribers) and `attributes`;
    /// returns SNS's message id.
    async fn publish(
        &self,
        subject: Option<&str>,
        text: &str,
        attributes: &[(&str, &str)],
    ) -> Result<String, StoreError> {
        let mut publish = self
            .client
            .publish()
            .topic_arn(&self.arn)
            .set_subject(subject.map(str::to_string))
            .message(text);
        for (name, value) in attributes {
            publish = publish.message_attributes(*name, string_attribute(value)?);
        }
        let out = publish.send().await.map_err(StoreError::aws)?;
        Ok(out.message_id().unwrap_or_default().to_string())
    }
}

/// The staff topic: one SNS topic for every staff notification, with an `agency`
/// message attribute (an agency id, or `admin`) that subscriptions filter on.
#[derive(Debug, Clone)]
pub struct StaffTopic(Topic);

impl StaffTopic {
    /// The topic at `arn`.
    pub fn new(client: Client, arn: impl Into<String>) -> Self {
        Self(Topic {
            client,
            arn: arn.into(),
        })
    }

    /// Publishes `text` for `audience`; returns SNS's message id.
    pub async fn publish(
        &self,
        audience: &str,
        subject: &str,
        text: &str,
    ) -> Result<String, StoreError> {
        self.0
            .publish(Some(subject), text, &[("agency", audience)])
            .await
    }
}

/// The panic topic: one publish per (incident, page), with message attributes
/// `kind`, `sector`, `tier`, `event` and `incident` that responders' subscriptions
/// (SMS, HTTPS, the command-centre queue) filter on.
#[derive(Debug, Clone)]
pub struct PanicTopic(Topic);

impl PanicTopic {
    /// The topic at `arn`.
    pub fn new(client: Client, arn: impl Into<String>) -> Self {
        Self(Topic {
            client,
            arn: arn.into(),
        })
    }

    /// Publishes one page (transactional SMS for SMS subscribers); returns SNS's
    /// message id.
    pub async fn publish(
        &self,
        incident_id: &str,
        page: &crate::domain::incident::OutboundPage,
    ) -> Result<String, StoreError> {
        let a = &page.attributes;
        let attributes = [
            ("AWS.SNS.SMS.SMSType", "Transactional"),
            ("kind", a.kind.as_str()),
            ("sector", a.sector.as_str()),
            ("tier", a.tier.as_str()),
            ("event", a.event.as_str()),
            ("incident", incident_id),
        ];
        self.0.publish(None, &page.text, &attributes).await
    }
}

fn string_attribute(value: &str) -> Result<MessageAttributeValue, StoreError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(StoreError::aws)
}
