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

/// Another person in a development role: lower-case letters and digits, up to 20.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nickname(String);

impl Nickname {
    /// The nickname typed, if it is one.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        (!raw.is_empty()
            && raw.len() <= 20
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
        .then(|| Self(raw.to_string()))
    }
}

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

    /// A session for `role` from `now` ([`DEV_SESSION`]), as the role's one person or,
    /// with a `nickname`, as another (two officers of one agency, to hand a report
    /// between); `sign_in_id` becomes the token's `jti`, which the CSRF token derives
    /// from.
    pub fn issue(
        &self,
        role: &Role,
        nickname: Option<&Nickname>,
        now: Timestamp,
        sign_in_id: &str,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let group = role.name().replace(':', "-");
        let (subject, email) = match nickname {
            None => (format!("dev-{group}"), format!("{group}@devstack.sigap")),
            Some(Nickname(nick)) => (
                format!("dev-{group}-{nick}"),
                format!("{nick}.{group}@devstack.sigap"),
            ),
        };
        let claims = json!({
            "sub": subject,
            "iss": DEV_ISSUER,
            "aud": DEV_AUDIENCE,
            "token_use": "id",
            "iat": now.as_second(),
            "exp": (now + DEV_SESSION).as_second(),
            "jti": sign_in_id,
            "cognito:groups": [role.name()],
            "email": email,
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
            .issue(&Role::Agency("dlh".into()), None, now, "sign-in-1")
            .unwrap();
        let session = verifier.check(&token, now).unwrap();
        assert_eq!(session.staff.agency(), Some("dlh"));
        assert_eq!(session.staff.subject, "dev-agency-dlh");
        assert_eq!(session.name, "agency-dlh@devstack.sigap");
        assert_eq!(
            verifier.check(&token, now + DEV_SESSION),
            Err(SessionError::Expired)
        );
        let budi = Nickname::parse("budi").unwrap();
        let colleague = sign_in
            .issue(&Role::Agency("dlh".into()), Some(&budi), now, "sign-in-2")
            .unwrap();
        let colleague = verifier.check(&colleague, now).unwrap();
        assert_eq!(colleague.staff.subject, "dev-agency-dlh-budi");
        assert_eq!(colleague.name, "budi.agency-dlh@devstack.sigap");
        for refused in ["", "Budi", "budi santoso", "a-b", "abcdefghijklmnopqrstu"] {
            assert_eq!(Nickname::parse(refused), None, "{refused:?}");
        }
        let (_, other) = DevSignIn::new(b"another key, another devstack...").unwrap();
        assert_eq!(other.check(&token, now), Err(SessionError::Signature));
    }
}
