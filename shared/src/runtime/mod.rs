//! What every function is started with: configuration from the environment, the AWS
//! clients, logs and metrics, and the injected clock and id generator.

pub mod aws;
pub mod batch;
pub mod clock;
pub mod config;
pub mod function;
pub mod ids;
pub mod metrics;
pub mod telemetry;
