//! The black-box suite: a deployed Sigap driven only through its public surfaces (the
//! HTTP API with real Cognito tokens, signed webhooks, the SMS record the emulator keeps,
//! the command-centre queue the panic topic feeds).
//!
//! It takes its target from one file, named by `SIGAP_TARGET`: the API's URL, the
//! stack's outputs, a staff token per role, and, on the emulator only, the webhook
//! secrets, the SMS record, the AWS endpoint and each function's resolved environment.
//! `make stack-test` writes it for ministack and runs everything; `make smoke` writes
//! it for a real stage and runs only the `smoke` module (reads, and requests refused
//! before anything is stored). Two tests set up behind the API, on the emulator only:
//! a report backdated a week (`sla`) and a poison message (`dead_letters`). Not run by
//! a plain `cargo test`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod target;

mod citizen;
mod command_centre;
mod console;
mod dead_letters;
mod pages;
mod panic;
mod photos;
mod sla;
mod smoke;
mod sms;
mod whatsapp;
