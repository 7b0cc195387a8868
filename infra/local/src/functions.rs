//! In-process builds of every function crate the template names, from one list.
//!
//! Each function is built by its own [`Function::build`], with its own settings (the
//! template's environment, resolved) and devstack's [`Dependencies`] (clients pointed
//! at moto, the dev clock, the id generator); then it is called with the same event
//! shapes Lambda would send.

use std::sync::Arc;

use futures::future::BoxFuture;
use lambda_http::{Body, Request, Response};
use sigap::http::ApiError;
use sigap::runtime::config::Settings;
use sigap::runtime::function::{Dependencies, EventFunction, Function, HttpFunction};

/// An HTTP function: API Gateway request in, response out.
pub type HttpHandler = Arc<dyn Fn(Request) -> BoxFuture<'static, Response<Body>> + Send + Sync>;
/// An event function: JSON payload in, JSON result (or invocation error) out.
pub type EventHandler = Arc<
    dyn Fn(serde_json::Value) -> BoxFuture<'static, Result<serde_json::Value, String>>
        + Send
        + Sync,
>;

/// A function ready to invoke.
#[derive(Clone)]
pub enum Invoker {
    /// Serves HTTP API routes.
    Http(HttpHandler),
    /// Consumes events (SQS batches, schedules).
    Event(EventHandler),
}

/// Why a function could not be built.
#[derive(Debug, thiserror::Error)]
pub enum FunctionError {
    /// The template names a crate devstack does not link.
    #[error(
        "devstack has no in-process build of function crate {0:?}; add it to FUNCTIONS in infra/local/src/functions.rs"
    )]
    Unknown(String),
    /// The function's own configuration failed.
    #[error("function {name}: {message}")]
    Config {
        /// Crate name.
        name: String,
        /// What went wrong.
        message: String,
    },
}

/// Builds one function as an [`Invoker`].
type Builder = fn(&Settings, &Dependencies) -> Result<Invoker, FunctionError>;

/// Every function devstack can run, by crate name.
pub const FUNCTIONS: &[(&str, Builder)] = &[
    (web_intake::WebIntake::NAME, http::<web_intake::WebIntake>),
    (backoffice::Backoffice::NAME, http::<backoffice::Backoffice>),
    (sms_intake::SmsIntake::NAME, http::<sms_intake::SmsIntake>),
    (panic::Panic::NAME, http::<panic::Panic>),
    (verify::Verify::NAME, event::<verify::Verify>),
    (notify::Notify::NAME, event::<notify::Notify>),
    (sla_sweep::SlaSweep::NAME, event::<sla_sweep::SlaSweep>),
    (escalate::Escalate::NAME, event::<escalate::Escalate>),
    (media::Media::NAME, event::<media::Media>),
];

fn built<F: Function>(settings: &Settings, deps: &Dependencies) -> Result<Arc<F>, FunctionError> {
    F::build(settings, deps)
        .map(Arc::new)
        .map_err(|e| FunctionError::Config {
            name: F::NAME.into(),
            message: e.to_string(),
        })
}

/// An HTTP function as an [`Invoker`]; an `Err` (which the handlers never return)
/// becomes the standard 500 body, as Lambda would surface it.
fn http<F: HttpFunction>(
    settings: &Settings,
    deps: &Dependencies,
) -> Result<Invoker, FunctionError> {
    let function = built::<F>(settings, deps)?;
    Ok(Invoker::Http(Arc::new(move |request| {
        let function = function.clone();
        Box::pin(async move {
            function
                .handle(request)
                .await
                .unwrap_or_else(|_| ApiError::internal().into_response())
        })
    })))
}

/// An event function as an [`Invoker`].
fn event<F: EventFunction>(
    settings: &Settings,
    deps: &Dependencies,
) -> Result<Invoker, FunctionError> {
    let function = built::<F>(settings, deps)?;
    Ok(Invoker::Event(Arc::new(move |payload| {
        let function = function.clone();
        Box::pin(async move { function.handle(payload).await.map_err(|e| e.to_string()) })
    })))
}

/// Builds the function `crate_name` with `settings`.
pub fn build(
    crate_name: &str,
    settings: &Settings,
    deps: &Dependencies,
) -> Result<Invoker, FunctionError> {
    let (_, builder) = FUNCTIONS
        .iter()
        .find(|(name, _)| *name == crate_name)
        .ok_or_else(|| FunctionError::Unknown(crate_name.into()))?;
    builder(settings, deps)
}
