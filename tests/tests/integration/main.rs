//! Integration tests against moto: adapters, handlers and the whole devstack.
//! One test binary (one moto, one link); every test provisions its own resources.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod abuse;
mod api_contract;
mod architecture;
mod aws_calls;
mod backoffice_views;
mod bad_input;
mod chaos;
mod console_sign_in;
mod devstack_e2e;
mod idempotency;
mod media_photos;
mod notify_worker;
mod open311;
mod panic_paging;
mod photo_bucket;
mod readme_tour;
mod repository;
mod runtime_api;
mod sample_events;
mod secrets;
mod sla_engine;
mod sms_intake;
mod social_mentions;
mod staff_access;
mod template_agreement;
mod verify_worker;
mod web_intake;
mod whatsapp;
mod workflow_e2e;
