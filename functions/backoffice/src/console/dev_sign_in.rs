//! The development sign-in (devstack and the stack tier only): one button per role
//! issues a session with the claims a Cognito ID token carries, signed HS256 with a
//! key of its own. Where that key is not configured (a deployed console) it does not
//! exist, and [`super::session::Verifier::Pool`] refuses its tokens like any forgery.

use jiff::{SignedDuration, Timestamp};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, encode};
use serde_json::json;
use sigap::domain::staff::Role;

use super::session::{DEV_AUDIENCE, DEV_ISSUER, Verifier};

/// How long a development session lasts: a working shift (there is no refresh).
pub const DEV_SESSION: SignedDuration = SignedDuration::from_hours(8);

/// Issues development sessions.
pub struct DevSignIn {
    key: EncodingKey,
}

impl DevSignIn {
    /// The sign-in and the verifier that accepts what it issues, from one secret.
    pub fn new(secret: &[u8]) -> Result<(Self, Verifier), jsonwebtoken::errors::Error> {
        Ok((
            Self {
                key: EncodingKey::from_secret(secret)?,
            },
            Verifier::Dev {
                key: DecodingKey::from_secret(secret)?,
            },
        ))
    }

    /// A session for `role` from `now` ([`DEV_SESSION`]); `sign_in_id` becomes the
    /// token's `jti`, which the CSRF token derives from.
    pub fn issue(
        &self,
        role: &Role,
        now: Timestamp,
        sign_in_id: &str,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let group = role.name();
        let claims = json!({
            "sub": format!("dev-{}", group.replace(':', "-")),
            "iss": DEV_ISSUER,
            "aud": DEV_AUDIENCE,
            "token_use": "id",
            "iat": now.as_second(),
            "exp": (now + DEV_SESSION).as_second(),
            "jti": sign_in_id,
            "cognito:groups": [group],
            "email": format!("{}@devstack.sigap", group.replace(':', "-")),
        });
        encode(&Header::new(Algorithm::HS256), &claims, &self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::session::SessionError;

    #[test]
    fn its_sessions_are_checked_like_the_pools_and_end_after_a_shift() {
        let now: Timestamp = "2026-12-07T01:00:00Z".parse().unwrap();
        let (sign_in, verifier) = DevSignIn::new(b"a development key of 32 bytes...").unwrap();
        let token = sign_in
            .issue(&Role::Agency("dlh".into()), now, "sign-in-1")
            .unwrap();
        let session = verifier.check(&token, now).unwrap();
        assert_eq!(session.staff.agency(), Some("dlh"));
        assert_eq!(session.staff.subject, "dev-agency-dlh");
        assert_eq!(session.name, "agency-dlh@devstack.sigap");
        assert_eq!(
            verifier.check(&token, now + DEV_SESSION),
            Err(SessionError::Expired)
        );
        let (_, other) = DevSignIn::new(b"another key, another devstack...").unwrap();
        assert_eq!(other.check(&token, now), Err(SessionError::Signature));
    }
}
