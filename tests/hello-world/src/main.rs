//! The floor Sigap's functions are measured against (`make bench`): a
//! `lambda_runtime` function that answers every event with `{}`, as the daily
//! lambda-perf benchmark's Rust function does.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(|_: LambdaEvent<Value>| async {
        Ok::<_, Error>(json!({}))
    }))
    .await
}
