//! `sigap`: the shared library of the Sigap back end.
//!
//! - [`domain`]: pure rules (reports and their workflow, deadlines and the working-day
//!   calendar, incidents and paging, SMS commands, who may see what). No AWS, no
//!   clock reads, no environment reads.
//! - [`adapters`]: DynamoDB, SQS, SNS and SSM behind small typed stores.
//! - [`service`]: each sequence that changes state, written once (read, decide,
//!   commit, announce), called by every channel and screen.
//! - [`runtime`]: what every function is started with: the function contract,
//!   configuration, AWS clients, telemetry, the injected clock and ids.
//! - [`http`]: JSON answers and the one error shape of every endpoint.
//! - [`web`]: what the server-rendered screens share (HTML answers, forms, assets).

pub mod adapters;
pub mod domain;
pub mod http;
pub mod runtime;
pub mod service;
pub mod web;
