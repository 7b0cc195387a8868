//! Lambda entry point for `backoffice`: wiring only.

use std::sync::Arc;

use backoffice::{Backoffice, Config, handle};
use lambda_http::{Error, run, service_fn};
use sigap::adapters::secrets::resolve_secrets;
use sigap::runtime::aws::AwsClients;
use sigap::runtime::clock::SystemClock;
use sigap::runtime::config::Settings;

// One event at a time per process: a single-threaded runtime starts no worker
// threads (less memory and start-up than the multi-threaded default).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    sigap::runtime::telemetry::init();
    let clients = AwsClients::from_env().await;
    // Secrets come from SSM at init (the template passes only their names).
    let settings = resolve_secrets(Settings::from_env(), &clients.ssm).await?;
    let config = Config::load(&settings)?;
    let app = Backoffice::new(&config, &clients, Arc::new(SystemClock))?;
    app.warm_up().await;
    let app = &app;
    run(service_fn(move |request| async move {
        handle(app, request).await
    }))
    .await
}
