//! Lambda entry point for `notify`: wiring only.

use std::sync::Arc;

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use notify::{Config, Notify, handle};
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
    let app = Notify::new(&config, &clients, Arc::new(SystemClock));
    let app = &app;
    run(service_fn(move |event: LambdaEvent<serde_json::Value>| async move {
        handle(app, event.payload).await
    }))
    .await
}
