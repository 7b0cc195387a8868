//! In-process builds of every function crate the template names.
//!
//! Each function gets its own settings (the template's environment, resolved), the
//! shared AWS clients, and devstack's clock and id generator; then it is called with
//! the same event shapes Lambda would send.

use std::sync::Arc;

use futures::future::BoxFuture;
use lambda_http::{Body, Request, Response};
use sigap::http::ApiError;
use sigap::runtime::aws::AwsClients;
use sigap::runtime::clock::Clock;
use sigap::runtime::config::Settings;
use sigap::runtime::ids::IdGenerator;

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

/// What every in-process function shares.
#[derive(Clone)]
pub struct Runtime {
    /// AWS clients pointed at moto.
    pub clients: AwsClients,
    /// The (possibly offset) clock.
    pub clock: Arc<dyn Clock>,
    /// Id generator.
    pub ids: Arc<dyn IdGenerator>,
}

/// Why a function could not be built.
#[derive(Debug, thiserror::Error)]
pub enum FunctionError {
    /// The template names a crate devstack does not link.
    #[error(
        "devstack has no in-process build of function crate {0:?}; add it to infra/local/src/functions.rs"
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

fn config_err(name: &str, e: impl std::fmt::Display) -> FunctionError {
    FunctionError::Config {
        name: name.into(),
        message: e.to_string(),
    }
}

/// The result of an event function's handler.
type EventResult<'a> = BoxFuture<'a, Result<serde_json::Value, lambda_runtime::Error>>;

/// Wraps an event function's app and handler as an [`Invoker`].
fn event_function<A: Send + Sync + 'static>(
    app: A,
    handle: for<'a> fn(&'a A, serde_json::Value) -> EventResult<'a>,
) -> Invoker {
    let app = Arc::new(app);
    Invoker::Event(Arc::new(move |payload| {
        let app = app.clone();
        Box::pin(async move { handle(&app, payload).await.map_err(|e| e.to_string()) })
    }))
}

/// The result of an HTTP function's handler.
type HttpResult<'a> = BoxFuture<'a, Result<Response<Body>, lambda_http::Error>>;

/// Wraps an HTTP function's app and handler as an [`Invoker`]; an `Err` (which the
/// handlers never return) becomes the standard 500 body, as Lambda would surface it.
fn http_function<A: Send + Sync + 'static>(
    app: A,
    handle: for<'a> fn(&'a A, Request) -> HttpResult<'a>,
) -> Invoker {
    let app = Arc::new(app);
    Invoker::Http(Arc::new(move |request| {
        let app = app.clone();
        Box::pin(async move {
            handle(&app, request)
                .await
                .unwrap_or_else(|_| ApiError::internal().into_response())
        })
    }))
}

/// Builds the function `crate_name` with `settings`.
pub fn build(
    crate_name: &str,
    settings: &Settings,
    runtime: &Runtime,
) -> Result<Invoker, FunctionError> {
    match crate_name {
        "web-intake" => {
            let config =
                web_intake::Config::load(settings).map_err(|e| config_err(crate_name, e))?;
            let app = web_intake::WebIntake::new(
                &config,
                &runtime.clients,
                runtime.clock.clone(),
                runtime.ids.clone(),
            )
            .map_err(|e| config_err(crate_name, e))?;
            Ok(http_function(app, |app, request| {
                Box::pin(web_intake::handle(app, request))
            }))
        }
        "backoffice" => {
            let config =
                backoffice::Config::load(settings).map_err(|e| config_err(crate_name, e))?;
            let app = backoffice::Backoffice::new(&config, &runtime.clients, runtime.clock.clone())
                .map_err(|e| config_err(crate_name, e))?;
            Ok(http_function(app, |app, request| {
                Box::pin(backoffice::handle(app, request))
            }))
        }
        "verify" => {
            let config = verify::Config::load(settings).map_err(|e| config_err(crate_name, e))?;
            let app = verify::Verify::new(&config, &runtime.clients, runtime.clock.clone())
                .map_err(|e| config_err(crate_name, e))?;
            Ok(event_function(app, |app, payload| {
                Box::pin(verify::handle(app, payload))
            }))
        }
        "notify" => {
            let config = notify::Config::load(settings).map_err(|e| config_err(crate_name, e))?;
            let app = notify::Notify::new(&config, &runtime.clients, runtime.clock.clone());
            Ok(event_function(app, |app, payload| {
                Box::pin(notify::handle(app, payload))
            }))
        }
        "sms-intake" => {
            let config =
                sms_intake::Config::load(settings).map_err(|e| config_err(crate_name, e))?;
            let app = sms_intake::SmsIntake::new(
                &config,
                &runtime.clients,
                runtime.clock.clone(),
                runtime.ids.clone(),
            )
            .map_err(|e| config_err(crate_name, e))?;
            Ok(http_function(app, |app, request| {
                Box::pin(sms_intake::handle(app, request))
            }))
        }
        "sla-sweep" => {
            let config =
                sla_sweep::Config::load(settings).map_err(|e| config_err(crate_name, e))?;
            let app = sla_sweep::SlaSweep::new(&config, &runtime.clients, runtime.clock.clone())
                .map_err(|e| config_err(crate_name, e))?;
            Ok(event_function(app, |app, payload| {
                Box::pin(sla_sweep::handle(app, payload))
            }))
        }
        "panic" => {
            let config = panic::Config::load(settings).map_err(|e| config_err(crate_name, e))?;
            let app = panic::Panic::new(
                &config,
                &runtime.clients,
                runtime.clock.clone(),
                runtime.ids.clone(),
            );
            Ok(http_function(app, |app, request| {
                Box::pin(panic::handle(app, request))
            }))
        }
        "escalate" => {
            let config = escalate::Config::load(settings).map_err(|e| config_err(crate_name, e))?;
            let app = escalate::Escalate::new(
                &config,
                &runtime.clients,
                runtime.clock.clone(),
                runtime.ids.clone(),
            );
            Ok(event_function(app, |app, payload| {
                Box::pin(escalate::handle(app, payload))
            }))
        }
        other => Err(FunctionError::Unknown(other.into())),
    }
}
