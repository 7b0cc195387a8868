//! The black-box suite: a deployed Sigap driven only through its public surfaces (the
//! HTTP API with real Cognito tokens, signed webhooks, the SMS record the emulator keeps,
//! the command-centre queue the panic topic feeds).
//!
//! It takes its target from one file, named by `SIGAP_TARGET` (`make stack-test`
//! writes it for ministack): the API's URL, the stack's outputs, a staff token per role,
//! the webhook secrets, and where the SMS record is (absent against AWS, where the
//! parts that need it are skipped by `make smoke`). Not run by a plain `cargo test`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod target;

mod citizen;
mod panic;
mod sms;
mod staff;
