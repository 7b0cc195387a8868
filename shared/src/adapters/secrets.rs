//! Secrets from SSM Parameter Store (SecureString), fetched once at start-up.
//!
//! The template gives a function `NAME_PARAMETER=/sigap/...`, never the secret itself:
//! environment variables are readable by anyone allowed GetFunctionConfiguration. One
//! GetParameters call per ten names decrypts them at init, before the first request.

use aws_sdk_ssm::Client;

use crate::runtime::config::Settings;

/// GetParameters takes at most this many names per call.
const NAMES_PER_CALL: usize = 10;

/// Why the secrets could not be fetched (the function must not start without them).
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// Parameters that do not exist (create them before deploying: docs/operations.md).
    #[error("SSM parameters not found: {}", .0.join(", "))]
    Missing(Vec<String>),
    /// SSM refused or failed the call (permissions, throttling, network).
    #[error("SSM GetParameters failed: {0}")]
    Aws(String),
}

/// `settings` with every `NAME_PARAMETER` resolved into `NAME` from SSM.
pub async fn resolve_secrets(
    mut settings: Settings,
    ssm: &Client,
) -> Result<Settings, SecretsError> {
    let wanted = settings.secret_parameters();
    let mut missing = Vec::new();
    for chunk in wanted.chunks(NAMES_PER_CALL) {
        let output = ssm
            .get_parameters()
            .set_names(Some(chunk.iter().map(|(_, p)| p.clone()).collect()))
            .with_decryption(true)
            .send()
            .await
            .map_err(|e| {
                SecretsError::Aws(aws_sdk_ssm::error::DisplayErrorContext(e).to_string())
            })?;
        for (name, parameter) in chunk {
            let value = output
                .parameters()
                .iter()
                .find(|p| p.name() == Some(parameter.as_str()))
                .and_then(|p| p.value());
            match value {
                Some(value) if !value.trim().is_empty() => settings.set(name, value.to_string()),
                _ => missing.push(parameter.clone()),
            }
        }
    }
    if missing.is_empty() {
        Ok(settings)
    } else {
        Err(SecretsError::Missing(missing))
    }
}
