//! The local stand-in for API Gateway's JWT authorizer (devstack only).
//!
//! In AWS, API Gateway validates Cognito's tokens and passes the claims to the
//! function in `requestContext.authorizer.jwt.claims`. Locally, devstack signs dev
//! tokens with its own HS256 key, checks them on routes that declare the authorizer,
//! and passes the claims in the same place, flattened the way API Gateway flattens
//! them (`cognito:groups` becomes `[admin agency:dlh]`).

use std::collections::HashMap;

use jiff::Timestamp;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};

/// Signs and checks dev tokens.
#[derive(Clone)]
pub struct DevAuthority {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

/// Why a token was refused (API Gateway answers 401 for all of them).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not `header.payload.signature` of base64url JSON.
    #[error("malformed token")]
    Malformed,
    /// Signed with another key or algorithm.
    #[error("bad signature")]
    Signature,
    /// Past its `exp`.
    #[error("expired")]
    Expired,
}

impl DevAuthority {
    /// An authority with `key` (random per devstack start unless configured); a key
    /// the library refuses stops devstack's start.
    pub fn new(key: Vec<u8>) -> Result<Self, jsonwebtoken::errors::Error> {
        Ok(Self {
            encoding: EncodingKey::from_secret(&key)?,
            decoding: DecodingKey::from_secret(&key)?,
        })
    }

    /// A token for `subject` in `groups`, valid for `hours` from `now`.
    pub fn token(&self, subject: &str, groups: &[&str], now: Timestamp, hours: i64) -> String {
        let claims = serde_json::json!({
            "sub": subject,
            "cognito:groups": groups,
            "iss": "devstack",
            "iat": now.as_second(),
            "exp": now.as_second() + hours * 3600,
        });
        // HS256 over JSON claims cannot fail to encode; an empty token is refused.
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).unwrap_or_default()
    }

    /// Checks a token and returns its claims as API Gateway passes them. Expiry is
    /// checked against `now` (devstack's clock), not the library's system time.
    pub fn verify(
        &self,
        token: &str,
        now: Timestamp,
    ) -> Result<HashMap<String, String>, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.required_spec_claims = ["exp".to_string()].into();
        let data = decode::<serde_json::Map<String, serde_json::Value>>(
            token,
            &self.decoding,
            &validation,
        )
        .map_err(|e| match e.kind() {
            ErrorKind::InvalidSignature | ErrorKind::InvalidAlgorithm => TokenError::Signature,
            _ => TokenError::Malformed,
        })?;
        let claims = data.claims;
        let exp = claims
            .get("exp")
            .and_then(serde_json::Value::as_i64)
            .ok_or(TokenError::Malformed)?;
        if exp <= now.as_second() {
            return Err(TokenError::Expired);
        }
        Ok(claims
            .into_iter()
            .map(|(k, v)| {
                let text = match v {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Array(items) => format!(
                        "[{}]",
                        items
                            .iter()
                            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                            .collect::<Vec<_>>()
                            .join(" ")
                    ),
                    other => other.to_string(),
                };
                (k, text)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-11-28T00:00:00Z".parse().unwrap()
    }

    #[test]
    fn tokens_round_trip_with_groups_flattened_like_api_gateway() {
        let authority = DevAuthority::new(b"k".to_vec()).unwrap();
        let token = authority.token("u-1", &["admin", "agency:dlh"], now(), 1);
        let claims = authority.verify(&token, now()).unwrap();
        assert_eq!(claims["sub"], "u-1");
        assert_eq!(claims["cognito:groups"], "[admin agency:dlh]");
    }

    #[test]
    fn forged_expired_and_garbage_tokens_are_refused() {
        let authority = DevAuthority::new(b"k".to_vec()).unwrap();
        let other = DevAuthority::new(b"other".to_vec()).unwrap();
        let token = other.token("u-1", &["admin"], now(), 1);
        assert_eq!(authority.verify(&token, now()), Err(TokenError::Signature));
        let old = authority.token("u-1", &["admin"], now(), -1);
        assert_eq!(authority.verify(&old, now()), Err(TokenError::Expired));
        assert_eq!(authority.verify("abc", now()), Err(TokenError::Malformed));
        // Payload swapped for one claiming admin: the signature no longer matches.
        let mine = authority.token("u-1", &["agency:dlh"], now(), 1);
        let admin = authority.token("u-1", &["admin"], now(), 1);
        let parts: Vec<&str> = mine.split('.').collect();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            admin.split('.').nth(1).unwrap(),
            parts[2]
        );
        assert_eq!(authority.verify(&forged, now()), Err(TokenError::Signature));
    }
}
