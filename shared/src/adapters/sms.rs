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
        let transactional = MessageAttributeValue::builder()
            .data_type("String")
            .string_value("Transactional")
            .build()
            .map_err(|e| StoreError::Aws(e.to_string()))?;
        let out = self
            .client
            .publish()
            .phone_number(to.as_e164())
            .message(text)
            .message_attributes("AWS.SNS.SMS.SMSType", transactional)
            .send()
            .await
            .map_err(|e| StoreError::Aws(aws_sdk_sns::error::DisplayErrorContext(e).to_string()))?;
        Ok(out.message_id().unwrap_or_default().to_string())
    }
}

/// The staff topic: one SNS topic for every staff notification, with an `agency`
/// message attribute (an agency id, or `admin`) that subscriptions filter on.
#[derive(Debug, Clone)]
pub struct StaffTopic {
    client: Client,
    arn: String,
}

impl StaffTopic {
    /// The topic at `arn`.
    pub fn new(client: Client, arn: impl Into<String>) -> Self {
        Self {
            client,
            arn: arn.into(),
        }
    }

    /// Publishes `text` for `audience`; returns SNS's message id.
    pub async fn publish(
        &self,
        audience: &str,
        subject: &str,
        text: &str,
    ) -> Result<String, StoreError> {
        let attribute = MessageAttributeValue::builder()
            .data_type("String")
            .string_value(audience)
            .build()
            .map_err(|e| StoreError::Aws(e.to_string()))?;
        let out = self
            .client
            .publish()
            .topic_arn(&self.arn)
            .subject(subject)
            .message(text)
            .message_attributes("agency", attribute)
            .send()
            .await
            .map_err(|e| StoreError::Aws(aws_sdk_sns::error::DisplayErrorContext(e).to_string()))?;
        Ok(out.message_id().unwrap_or_default().to_string())
    }
}
