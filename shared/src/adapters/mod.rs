//! Adapters: translate between the domain and AWS (DynamoDB, SQS, SNS, SSM, S3).

pub mod api_keys;
pub mod calendar;
pub mod catalog;
pub mod deliveries;
pub mod devices;
pub mod hosted_sign_in;
pub mod https;
pub mod idempotency;
pub mod inbound;
pub mod incidents;
pub mod location_links;
pub mod photos;
pub mod proof_photos;
pub mod queue;
pub mod rates;
pub mod record;
pub mod reports;
pub mod roster;
pub mod secrets;
pub mod senders;
pub mod sms;
pub mod social;
pub mod table;
pub mod whatsapp;
