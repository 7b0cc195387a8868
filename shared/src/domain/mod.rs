//! Pure domain rules: no AWS types, no clock reads, no environment reads.

pub mod attachments;
pub mod calendar;
pub mod catalog;
pub mod command;
pub mod contact;
pub mod deadline;
pub mod device;
pub mod duplicates;
pub mod gsm7;
pub mod incident;
pub mod limits;
pub mod location;
pub mod notification;
pub mod open311;
pub mod photo;
pub mod pii;
pub mod public;
pub mod report;
pub mod signature;
pub mod sla;
pub mod sms;
pub mod staff;
pub mod submission;
pub mod tracking_id;
pub mod triage;
pub mod workflow;
