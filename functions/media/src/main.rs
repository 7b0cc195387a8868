//! Lambda entry point for `media`: wiring only (see `sigap::runtime::function`).

// One event at a time per process: a single-threaded runtime starts no worker
// threads (less memory and start-up than the multi-threaded default).
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    sigap::runtime::function::serve_events::<media::Media>().await
}
