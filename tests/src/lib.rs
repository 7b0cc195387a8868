//! Test harness for Sigap's integration and end-to-end tests.
//!
//! - [`moto_endpoint`] starts one moto server per test process on a free loopback
//!   port, the first time a test asks. It is stopped when the process exits, however
//!   it exits: moto runs under a tiny shell guardian that kills it when our end of its
//!   stdin pipe closes.
//! - [`stack`] provisions the resources of `infra/template.yaml` under a unique prefix,
//!   so tests run in parallel without seeing each other's data.
//!
//! moto is found at `$MOTO_SERVER` (`make test` points it at `tests/bench/moto-server`,
//! moto with an item-by-item rollback), else `<workspace>/.venv/bin/moto_server` (what
//! `make venv` installs), else `moto_server` on `PATH`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test support: fail loudly

pub mod bench_figures;
pub mod calls;
pub mod events;
pub mod fakes;
pub mod faults;
pub mod messages;
pub mod moto;
pub mod runtime_api;
pub mod seed;
pub mod stack;

pub use bench_figures::percentile_ms;
pub use events::*;
pub use fakes::*;
pub use messages::*;
pub use moto::*;
pub use stack::*;
