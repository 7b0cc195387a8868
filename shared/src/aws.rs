//! One `SdkConfig` and the DynamoDB/SQS/SNS/SSM clients, built once per process.
//!
//! `AWS_ENDPOINT_URL` (moto locally) is honoured by `aws-config` itself. Timeouts are
//! set explicitly because the SDK has none by default: a hung call must fail well
//! inside the function timeout so the handler can answer or report the failure.

use std::time::Duration;

use aws_config::{
    BehaviorVersion, ConfigLoader, SdkConfig, retry::RetryConfig, timeout::TimeoutConfig,
};

/// Per-attempt timeout for an AWS call.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);
/// Whole-operation timeout including retries.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(8);

/// Loads region, credentials and endpoint from the environment, with our timeouts.
pub async fn load_sdk_config() -> SdkConfig {
    sdk_config_loader().load().await
}

/// The loader with Sigap's timeouts and retries; callers may override (tests set an
/// explicit endpoint, region and credentials instead of reading the environment).
pub fn sdk_config_loader() -> ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest())
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .operation_timeout(OPERATION_TIMEOUT)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(3))
}

/// The AWS clients every function shares (cheap to clone: an `Arc` inside).
#[derive(Debug, Clone)]
pub struct AwsClients {
    /// DynamoDB.
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// SQS.
    pub sqs: aws_sdk_sqs::Client,
    /// SNS.
    pub sns: aws_sdk_sns::Client,
    /// SSM Parameter Store (secrets at start-up).
    pub ssm: aws_sdk_ssm::Client,
}

impl AwsClients {
    /// Builds all clients from one shared config.
    pub fn new(config: &SdkConfig) -> Self {
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(config),
            sqs: aws_sdk_sqs::Client::new(config),
            sns: aws_sdk_sns::Client::new(config),
            ssm: aws_sdk_ssm::Client::new(config),
        }
    }

    /// Loads the config from the environment and builds the clients.
    pub async fn from_env() -> Self {
        Self::new(&load_sdk_config().await)
    }
}
