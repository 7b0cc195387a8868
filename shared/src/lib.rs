//! `sigap`: the shared library of the Sigap back end.
//!
//! - [`domain`]: pure rules (tracking ids, reports and their state machine, the
//!   working-day calendar, locations, contacts, submissions). No AWS, no clock reads.
//! - [`adapters`]: DynamoDB and SQS behind small typed stores.
//! - Wiring helpers every function uses: [`config`], [`aws`], [`telemetry`],
//!   [`clock`], [`ids`], [`http`], [`batch`].

pub mod adapters;
pub mod aws;
pub mod batch;
pub mod changes;
pub mod clock;
pub mod clocks;
pub mod config;
pub mod domain;
pub mod http;
pub mod ids;
pub mod metrics;
pub mod paging;
pub mod telemetry;
