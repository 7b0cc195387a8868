//! One `SdkConfig` and the DynamoDB/SQS/SNS/SSM clients, built once per process,
//! sharing one HTTPS client.
//!
//! `AWS_ENDPOINT_URL` (moto locally) is honoured by `aws-config` itself. Timeouts are
//! set explicitly because the SDK has none by default: a hung call must fail well
//! inside the function timeout so the handler can answer or report the failure.

use std::time::Duration;

use aws_config::{
    BehaviorVersion, ConfigLoader, SdkConfig, retry::RetryConfig, timeout::TimeoutConfig,
};
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

/// The root CAs of Amazon Trust Services, which issue every AWS endpoint's
/// certificate: Amazon Root CA 1–4 and Starfield Services Root CA G2, which
/// cross-signs them (AWS's list for clients that pin their trust store).
const AWS_ROOT_CAS: &[u8] = include_bytes!("aws_roots.pem");

/// Which root CAs the AWS clients trust.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustRoots {
    /// Amazon Trust Services' five roots, compiled in: nothing is read from disk.
    Aws,
    /// The system's store (about 150 certificates read and parsed: about 2 ms more
    /// of start-up, measured): for an endpoint behind a TLS-inspecting proxy.
    System,
}

impl TrustRoots {
    /// `SIGAP_TRUST_ROOTS=system` picks [`TrustRoots::System`]; anything else, [`TrustRoots::Aws`].
    pub fn from_env() -> Self {
        Self::parse(std::env::var("SIGAP_TRUST_ROOTS").ok().as_deref())
    }

    /// The roots a `SIGAP_TRUST_ROOTS` value names.
    pub fn parse(value: Option<&str>) -> Self {
        match value {
            Some(v) if v.trim().eq_ignore_ascii_case("system") => Self::System,
            _ => Self::Aws,
        }
    }
}

/// The HTTPS client could not be built: the process must not start (the message
/// says why; nothing falls back to a wider or narrower trust store).
#[derive(Debug, thiserror::Error)]
#[error("TLS context for the AWS clients: {0}")]
pub struct TlsError(String);

/// The one HTTPS client every AWS client shares: rustls on ring, trusting `roots`.
/// (The SDK's own default would link aws-lc as well and read the system's store.)
/// The compiled-in roots are parsed here, at start-up, because the SDK would only
/// parse them at the first call, and panic on a bad one.
pub fn https_client(roots: TrustRoots) -> Result<SharedHttpClient, TlsError> {
    let store = match roots {
        TrustRoots::Aws => pem_trust_store(AWS_ROOT_CAS)?,
        TrustRoots::System => TrustStore::default(),
    };
    let context = TlsContext::builder()
        .with_trust_store(store)
        .build()
        .map_err(|e| TlsError(e.to_string()))?;
    Ok(aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .tls_context(context)
        .build_https())
}

/// A trust store of exactly the certificates in `pem`, checked here: the SDK parses
/// them only at the first call, and would fail there instead of at start-up.
fn pem_trust_store(pem: &'static [u8]) -> Result<TrustStore, TlsError> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError(format!("compiled-in AWS roots: {e}")))?;
    if certificates.is_empty() {
        return Err(TlsError("no compiled-in AWS root".into()));
    }
    Ok(TrustStore::empty().with_pem_certificate(pem))
}

/// Per-attempt timeout for an AWS call.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);
/// Whole-operation timeout including retries.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(8);

/// Loads region, credentials and endpoint from the environment, with our timeouts.
pub async fn load_sdk_config() -> Result<SdkConfig, TlsError> {
    Ok(sdk_config_loader()?.load().await)
}

/// The loader with Sigap's timeouts and retries; callers may override (tests set an
/// explicit endpoint, region and credentials instead of reading the environment).
pub fn sdk_config_loader() -> Result<ConfigLoader, TlsError> {
    Ok(aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client(TrustRoots::from_env())?)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .operation_timeout(OPERATION_TIMEOUT)
                .build(),
        )
        .retry_config(RetryConfig::standard().with_max_attempts(3)))
}

/// S3 on `config`, by path (`<endpoint>/<bucket>`) when the endpoint is an emulator's:
/// a bucket's own host name would not resolve on 127.0.0.1.
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(config.endpoint_url().is_some())
            .build(),
    )
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
    /// S3 (the photo bucket).
    pub s3: aws_sdk_s3::Client,
    /// The credentials the clients sign with: S3 POST policies are signed with them
    /// too, outside any SDK call.
    pub credentials: Option<aws_credential_types::provider::SharedCredentialsProvider>,
    /// The endpoint when it is not AWS's (moto, ministack): where a browser sends a
    /// presigned POST.
    pub endpoint: Option<String>,
}

impl AwsClients {
    /// Builds all clients from one shared config.
    pub fn new(config: &SdkConfig) -> Self {
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(config),
            sqs: aws_sdk_sqs::Client::new(config),
            sns: aws_sdk_sns::Client::new(config),
            ssm: aws_sdk_ssm::Client::new(config),
            s3: s3_client(config),
            credentials: config.credentials_provider(),
            endpoint: config.endpoint_url().map(str::to_string),
        }
    }

    /// Loads the config from the environment and builds the clients.
    pub async fn from_env() -> Result<Self, TlsError> {
        Ok(Self::new(&load_sdk_config().await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compiled_in_roots_are_five_parsable_certificates() {
        // The SDK parses them only at the first call, and panics on a bad one.
        let certs: Vec<_> = CertificateDer::pem_slice_iter(AWS_ROOT_CAS)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(certs.len(), 5);
        assert!(certs.iter().all(|c| c.len() > 300));
        assert!(https_client(TrustRoots::Aws).is_ok());
    }

    #[test]
    fn roots_that_do_not_parse_stop_the_start_with_a_clear_error() {
        let empty = pem_trust_store(b"").err().unwrap();
        assert_eq!(
            empty.to_string(),
            TlsError("no compiled-in AWS root".into()).to_string()
        );
        let broken = b"-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n";
        let broken = pem_trust_store(broken).err().unwrap();
        assert!(
            broken.to_string().contains("compiled-in AWS roots"),
            "{broken}"
        );
    }

    #[test]
    fn only_system_switches_to_the_system_store() {
        assert_eq!(TrustRoots::parse(Some(" SYSTEM")), TrustRoots::System);
        assert_eq!(TrustRoots::parse(Some("aws")), TrustRoots::Aws);
        assert_eq!(TrustRoots::parse(Some("")), TrustRoots::Aws);
        assert_eq!(TrustRoots::parse(None), TrustRoots::Aws);
    }
}
