//! The staff console (issue 22, in progress): server-rendered screens for admins,
//! agency officers and supervisors on the same services and rules as the JSON API.
//! Built so far: the session check ([`session`]) and the hosted sign-in's PKCE
//! steps ([`sign_in`]). The plan: `docs/decisions/staff-console.md`.

pub mod session;
pub mod sign_in;
