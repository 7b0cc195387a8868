//! The local stand-in for API Gateway's JWT authorizer (devstack only).
//!
//! In AWS, API Gateway validates Cognito's tokens and passes the claims to the
//! function in `requestContext.authorizer.jwt.claims`. Locally, devstack signs dev
//! tokens with its own HS256 key, checks them on routes that declare the authorizer,
//! and passes the claims in the same place, flattened the way API Gateway flattens
//! them (`cognito:groups` becomes `[admin agency:dlh]`).

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use jiff::Timestamp;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Signs and checks dev tokens.
#[derive(Clone)]
pub struct DevAuthority {
    key: Vec<u8>,
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

fn sign(key: &[u8], input: &str) -> Vec<u8> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(input.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

impl DevAuthority {
    /// An authority with `key` (random per devstack start unless configured).
    pub fn new(key: Vec<u8>) -> Self {
        Self { key }
    }

    /// A token for `subject` in `groups`, valid for `hours` from `now`.
    pub fn token(&self, subject: &str, groups: &[&str], now: Timestamp, hours: i64) -> String {
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
        let claims = serde_json::json!({
            "sub": subject,
            "cognito:groups": groups,
            "iss": "devstack",
            "iat": now.as_second(),
            "exp": now.as_second() + hours * 3600,
        });
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        let input = format!("{header}.{payload}");
        let signature = URL_SAFE_NO_PAD.encode(sign(&self.key, &input));
        format!("{input}.{signature}")
    }

    /// Checks a token and returns its claims as API Gateway passes them.
    pub fn verify(
        &self,
        token: &str,
        now: Timestamp,
    ) -> Result<HashMap<String, String>, TokenError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header: serde_json::Value = URL_SAFE_NO_PAD
            .decode(header)
            .ok()
            .and_then(|h| serde_json::from_slice(&h).ok())
            .ok_or(TokenError::Malformed)?;
        if header["alg"] != "HS256" {
            return Err(TokenError::Signature);
        }
        let given = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        let mut mac = HmacSha256::new_from_slice(&self.key).map_err(|_| TokenError::Signature)?;
        mac.update(format!("{}.{payload}", token.split('.').next().unwrap_or_default()).as_bytes());
        mac.verify_slice(&given)
            .map_err(|_| TokenError::Signature)?;
        let claims: serde_json::Map<String, serde_json::Value> = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|p| serde_json::from_slice(&p).ok())
            .ok_or(TokenError::Malformed)?;
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
        let authority = DevAuthority::new(b"k".to_vec());
        let token = authority.token("u-1", &["admin", "agency:dlh"], now(), 1);
        let claims = authority.verify(&token, now()).unwrap();
        assert_eq!(claims["sub"], "u-1");
        assert_eq!(claims["cognito:groups"], "[admin agency:dlh]");
    }

    #[test]
    fn forged_expired_and_garbage_tokens_are_refused() {
        let authority = DevAuthority::new(b"k".to_vec());
        let other = DevAuthority::new(b"other".to_vec());
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
