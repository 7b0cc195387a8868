//! Adapters: translate between the domain and AWS (DynamoDB, SQS).

pub mod catalog;
pub mod idempotency;
pub mod intake_queue;
pub mod reports;
pub mod table;
