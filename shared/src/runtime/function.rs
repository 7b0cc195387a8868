//! The contract every function crate implements: how it is built from its settings
//! and the shared dependencies, an optional warm-up, and its handler. Each `main.rs`
//! is then one line ([`serve_http`] or [`serve_events`]), and devstack and the tests
//! build every function the same way, from one list.

use std::future::Future;
use std::sync::Arc;

use lambda_http::{Body, LambdaEvent, Request, Response, service_fn};

use super::aws::AwsClients;
use super::clock::{Clock, SystemClock};
use super::config::{ConfigError, Settings};
use super::ids::{IdGenerator, OsRandom};
use crate::adapters::secrets::{SecretsError, resolve_secrets};

/// What every function shares: the AWS clients, the clock and the id generator
/// (the system's in Lambda; devstack's and the tests' own elsewhere).
#[derive(Clone)]
pub struct Dependencies {
    /// The AWS clients (one HTTPS client inside).
    pub clients: AwsClients,
    /// Where "now" comes from.
    pub clock: Arc<dyn Clock>,
    /// Where ids and secrets come from.
    pub ids: Arc<dyn IdGenerator>,
}

/// Why a function could not start; its init log names the setting or the file.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A setting is missing or malformed.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A secret could not be fetched from SSM.
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    /// Bundled data, a key or a client could not be built (a deployment defect).
    #[error("{what}: {reason}")]
    Setup {
        /// What was being built.
        what: &'static str,
        /// Why it failed.
        reason: String,
    },
}

impl StartError {
    /// A setup failure of `what`, with its cause.
    pub fn setup(what: &'static str, reason: impl std::fmt::Display) -> Self {
        StartError::Setup {
            what,
            reason: reason.to_string(),
        }
    }
}

/// A Sigap function: built once per process, then handed events.
pub trait Function: Sized + Send + Sync + 'static {
    /// The crate the template's `CodeUri` names (`functions/<NAME>`).
    const NAME: &'static str;

    /// Builds the function from its settings (secrets resolved) and dependencies.
    fn build(settings: &Settings, dependencies: &Dependencies) -> Result<Self, StartError>;

    /// Reads at init what the first request would otherwise wait for.
    fn warm_up(&self) -> impl Future<Output = ()> + Send {
        async {}
    }
}

/// A function behind the HTTP API: a request in, a response out (failures are
/// answered as JSON errors; the `Err` arm is the runtime's, never taken).
pub trait HttpFunction: Function {
    /// Answers one request.
    fn handle(
        &self,
        request: Request,
    ) -> impl Future<Output = Result<Response<Body>, lambda_http::Error>> + Send;
}

/// A function of events (SQS batches, schedules): a JSON payload in, a JSON result
/// or an invocation error out.
pub trait EventFunction: Function {
    /// Handles one event.
    fn handle(
        &self,
        payload: serde_json::Value,
    ) -> impl Future<Output = Result<serde_json::Value, lambda_http::Error>> + Send;
}

/// Telemetry, the clients from the environment, the secrets from SSM, the function
/// built and warmed up: what every `main` does before serving.
async fn start<F: Function>() -> Result<F, StartError> {
    super::telemetry::init();
    let clients = AwsClients::from_env()
        .await
        .map_err(|e| StartError::setup("AWS clients", e))?;
    // The template passes secrets' SSM parameter names, never their values.
    let settings = resolve_secrets(Settings::from_env(), &clients.ssm).await?;
    let dependencies = Dependencies {
        clients,
        clock: Arc::new(SystemClock),
        ids: Arc::new(OsRandom),
    };
    let function = F::build(&settings, &dependencies)?;
    function.warm_up().await;
    Ok(function)
}

/// Runs an HTTP function on the Lambda runtime until the process ends.
pub async fn serve_http<F: HttpFunction>() -> Result<(), lambda_http::Error> {
    let function = start::<F>().await?;
    let function = &function;
    lambda_http::run(service_fn(move |request: Request| async move {
        function.handle(request).await
    }))
    .await
}

/// Runs an event function on the Lambda runtime until the process ends.
pub async fn serve_events<F: EventFunction>() -> Result<(), lambda_http::Error> {
    let function = start::<F>().await?;
    let function = &function;
    lambda_http::lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            function.handle(event.payload).await
        },
    ))
    .await
}
