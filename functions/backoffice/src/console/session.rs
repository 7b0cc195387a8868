//! The staff console's session (issue 22): the Cognito ID token the hosted sign-in
//! returned, kept in an `HttpOnly` cookie and checked on every request, since the
//! console's routes cannot use API Gateway's JWT authorizer (it reads a header, and
//! a browser sends a cookie). The checks are the authorizer's and more: the
//! signature against the pool's published keys (RS256, by `kid`), the issuer, the
//! audience (the console's app client), the expiry, `token_use = id`, and a role.
//!
//! Locally (devstack, the stack tier) a development sign-in issues the same claims
//! signed with a key of its own (HS256): [`Verifier::Dev`]. A deployed console has
//! only [`Verifier::Pool`], so a dev token is refused there like any forgery.

use std::collections::HashMap;

use jiff::Timestamp;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use sigap::domain::staff::{Role, Staff};

/// Why a session cookie was not accepted: the console answers each with the
/// sign-in page (an expired one says so).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// Not a token, or not one this console could have issued.
    #[error("malformed session")]
    Malformed,
    /// Signed by nobody this console trusts.
    #[error("bad signature")]
    Signature,
    /// Another pool's or another client's token, or not an ID token.
    #[error("not this console's token")]
    NotOurs,
    /// Past its expiry: sign in again (or renew with the refresh token).
    #[error("expired")]
    Expired,
    /// Signed in, but in no group Sigap knows.
    #[error("no role")]
    NoRole,
}

/// A checked session: who, until when, and what its forms must carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// The staff member, with the roles of their groups.
    pub staff: Staff,
    /// Their name as staff read it: the account's e-mail (the subject where the token
    /// has none).
    pub name: String,
    /// When the token stops being accepted.
    pub expires_at: Timestamp,
    /// The sign-in this token descends from (Cognito's `origin_jti`, the same across
    /// refreshes), so a form opened before a refresh still carries a valid CSRF token.
    origin: String,
}

impl Session {
    /// The CSRF token every form of this session carries: derived from the sign-in's
    /// id, which only the cookie holds (`HttpOnly`), so another site cannot forge it,
    /// and the same for the whole sign-in.
    pub fn csrf_token(&self) -> String {
        let digest = Sha256::new()
            .chain_update(b"sigap-console-csrf\0")
            .chain_update(self.origin.as_bytes())
            .chain_update(b"\0")
            .chain_update(self.staff.subject.as_bytes())
            .finalize();
        hex::encode(&digest[..16])
    }

    /// True when `sent` is this session's CSRF token (compared in constant time).
    pub fn csrf_matches(&self, sent: &str) -> bool {
        let expected = self.csrf_token();
        expected.len() == sent.len()
            && expected
                .bytes()
                .zip(sent.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

/// Who signs the sessions this console accepts.
pub enum Verifier {
    /// The Cognito user pool: its issuer URL, the console's app client id, and the
    /// pool's signing keys by `kid` (from its JWKS).
    Pool {
        /// `https://cognito-idp.<region>.amazonaws.com/<pool id>`.
        issuer: String,
        /// The console's app client id (the ID token's `aud`).
        client_id: String,
        /// The pool's public keys by `kid`.
        keys: HashMap<String, DecodingKey>,
    },
    /// The development sign-in's own key (devstack and the stack tier only).
    Dev {
        /// The HS256 key.
        key: DecodingKey,
    },
}

/// The issuer of development sessions.
pub const DEV_ISSUER: &str = "sigap-dev-sign-in";
/// The audience of development sessions.
pub const DEV_AUDIENCE: &str = "sigap-console";

#[derive(Deserialize)]
struct Claims {
    sub: String,
    exp: i64,
    token_use: String,
    #[serde(default)]
    origin_jti: Option<String>,
    #[serde(default)]
    jti: Option<String>,
    #[serde(rename = "cognito:groups", default)]
    groups: Vec<String>,
    #[serde(default)]
    email: Option<String>,
}

#[derive(Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kid: String,
    kty: String,
    n: String,
    e: String,
}

/// The RSA keys of a pool's JWKS document (`/.well-known/jwks.json`), by `kid`.
pub fn jwks_keys(document: &str) -> Result<HashMap<String, DecodingKey>, SessionError> {
    let jwks: Jwks = serde_json::from_str(document).map_err(|_| SessionError::Malformed)?;
    jwks.keys
        .into_iter()
        .filter(|k| k.kty == "RSA")
        .map(|k| {
            DecodingKey::from_rsa_components(&k.n, &k.e)
                .map(|key| (k.kid, key))
                .map_err(|_| SessionError::Malformed)
        })
        .collect()
}

impl Verifier {
    /// Checks `token` at `now` (the function's clock, so tests and devstack can move
    /// it): the session, or why not.
    pub fn check(&self, token: &str, now: Timestamp) -> Result<Session, SessionError> {
        let header = decode_header(token).map_err(|_| SessionError::Malformed)?;
        let (key, validation) = match self {
            Verifier::Pool {
                issuer,
                client_id,
                keys,
            } => {
                let kid = header.kid.as_deref().ok_or(SessionError::Malformed)?;
                let key = keys.get(kid).ok_or(SessionError::Signature)?;
                (key, validation(Algorithm::RS256, issuer, client_id))
            }
            Verifier::Dev { key } => (key, validation(Algorithm::HS256, DEV_ISSUER, DEV_AUDIENCE)),
        };
        if header.alg != validation.algorithms[0] {
            return Err(SessionError::Signature);
        }
        let claims = decode::<Claims>(token, key, &validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => SessionError::Signature,
                jsonwebtoken::errors::ErrorKind::InvalidIssuer
                | jsonwebtoken::errors::ErrorKind::InvalidAudience => SessionError::NotOurs,
                _ => SessionError::Malformed,
            })?
            .claims;
        if claims.token_use != "id" {
            return Err(SessionError::NotOurs);
        }
        // Expiry against our clock, with no leeway: a session ends when it says.
        if claims.exp <= now.as_second() {
            return Err(SessionError::Expired);
        }
        // A signed token's groups are a JSON array: each one a role or nothing.
        let roles: Vec<Role> = claims
            .groups
            .iter()
            .filter_map(|g| Role::parse(g))
            .collect();
        if roles.is_empty() {
            return Err(SessionError::NoRole);
        }
        let subject = claims.sub.trim().to_string();
        if subject.is_empty() {
            return Err(SessionError::Malformed);
        }
        let origin = claims
            .origin_jti
            .or(claims.jti)
            .ok_or(SessionError::Malformed)?;
        let name = claims
            .email
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty() && e.chars().count() <= 200)
            .unwrap_or_else(|| subject.clone());
        Ok(Session {
            name,
            staff: Staff { subject, roles },
            expires_at: Timestamp::from_second(claims.exp).map_err(|_| SessionError::Malformed)?,
            origin,
        })
    }
}

/// The library's checks for one issuer and audience; expiry is checked by
/// [`Verifier::check`] against the function's clock instead.
fn validation(algorithm: Algorithm, issuer: &str, audience: &str) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.validate_exp = false;
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{EncodingKey, Header, encode};

    const POOL: &str = "https://cognito-idp.ap-southeast-3.amazonaws.com/ap-southeast-3_Test";
    const CLIENT: &str = "console-client";
    /// A throwaway 2048-bit key made for these tests (`openssl genrsa`, PKCS#1 DER),
    /// and its public modulus as a JWKS publishes it.
    const TEST_KEY: &[u8] = include_bytes!("test_key.der");
    const TEST_N: &str = "s5JQm3x95WL1eUO4zPRvpSJt2HVK3iuc6vYWxnJoOKum3S-icBZGKIiELReOgLJV4LU9qPCqIZfv1IoddtiWK0Is-ahbJ-o11EKzChQ_LWo52t7Sd3gRm_RlC_RaAWsLO2CWfJ4a3INsyi8zUcJt0FRShw5CpTq9Sro48MUikky4gtxFSbFySBBY3iqf3-kvstSAezVwkoOV_Yf1r3HfiL-8tF7bQmqZtBxMkjfBKzY2e1_fyotn_lJUfx4XmGI1-pAJcZfEeMyocCv_6-a1xPw7QrHSjHBSuwT3lU82Tz4KTx25cwBFPFmG5JEfhzs6JIV6zaCIl8euh0OFQASGTw";

    fn now() -> Timestamp {
        "2026-12-07T02:00:00Z".parse().unwrap()
    }

    fn pool() -> Verifier {
        let jwks = serde_json::json!({"keys": [
            {"kid": "k1", "kty": "RSA", "alg": "RS256", "use": "sig", "n": TEST_N, "e": "AQAB"}
        ]});
        Verifier::Pool {
            issuer: POOL.into(),
            client_id: CLIENT.into(),
            keys: jwks_keys(&jwks.to_string()).unwrap(),
        }
    }

    fn claims(groups: &[&str]) -> serde_json::Value {
        serde_json::json!({
            "sub": "7c1e-admin", "iss": POOL, "aud": CLIENT, "token_use": "id",
            "exp": now().as_second() + 900, "iat": now().as_second(),
            "origin_jti": "sign-in-1", "jti": "token-1", "cognito:groups": groups,
            "email": "siti@bandung.example",
        })
    }

    fn signed(claims: &serde_json::Value, kid: &str) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.into());
        let key = EncodingKey::from_rsa_der(TEST_KEY);
        encode(&header, claims, &key).unwrap()
    }

    #[test]
    fn a_pool_token_gives_the_staff_member_and_their_roles() {
        let session = pool()
            .check(&signed(&claims(&["admin", "agency:dlh"]), "k1"), now())
            .unwrap();
        assert_eq!(session.staff.subject, "7c1e-admin");
        assert_eq!(session.name, "siti@bandung.example");
        assert!(session.staff.is_admin());
        assert_eq!(session.staff.agency(), Some("dlh"));
        assert_eq!(session.expires_at.as_second(), now().as_second() + 900);
    }

    #[test]
    fn every_check_refuses_what_it_should() {
        let v = pool();
        let mut wrong_pool = claims(&["admin"]);
        wrong_pool["iss"] = "https://cognito-idp.ap-southeast-3.amazonaws.com/other".into();
        let mut wrong_client = claims(&["admin"]);
        wrong_client["aud"] = "another-app".into();
        let mut access = claims(&["admin"]);
        access["token_use"] = "access".into();
        let mut expired = claims(&["admin"]);
        expired["exp"] = now().as_second().into();
        let mut comma = claims(&[]);
        comma["cognito:groups"] = serde_json::json!(["agency:dlh,admin"]);
        for (token, want) in [
            (signed(&wrong_pool, "k1"), SessionError::NotOurs),
            (signed(&wrong_client, "k1"), SessionError::NotOurs),
            (signed(&access, "k1"), SessionError::NotOurs),
            (signed(&expired, "k1"), SessionError::Expired),
            (signed(&claims(&["citizens"]), "k1"), SessionError::NoRole),
            (signed(&comma, "k1"), SessionError::NoRole),
            (
                signed(&claims(&["admin"]), "unknown-kid"),
                SessionError::Signature,
            ),
            ("not.a.token".to_string(), SessionError::Malformed),
        ] {
            assert_eq!(v.check(&token, now()), Err(want.clone()), "{want:?}");
        }
        // One character of the signature changed.
        let mut forged = signed(&claims(&["admin"]), "k1").into_bytes();
        let at = forged.len() - 10;
        forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            v.check(&String::from_utf8(forged).unwrap(), now()),
            Err(SessionError::Signature)
        );
    }

    #[test]
    fn a_dev_token_is_refused_by_the_pool_and_accepted_by_the_dev_sign_in() {
        let mut dev = claims(&["supervisor"]);
        dev["iss"] = DEV_ISSUER.into();
        dev["aud"] = DEV_AUDIENCE.into();
        let token = encode(
            &Header::new(Algorithm::HS256),
            &dev,
            &EncodingKey::from_secret(b"dev key").unwrap(),
        )
        .unwrap();
        assert!(pool().check(&token, now()).is_err());
        let local = Verifier::Dev {
            key: DecodingKey::from_secret(b"dev key").unwrap(),
        };
        assert!(local.check(&token, now()).unwrap().staff.is_supervisor());
        let other = Verifier::Dev {
            key: DecodingKey::from_secret(b"another key").unwrap(),
        };
        assert_eq!(other.check(&token, now()), Err(SessionError::Signature));
    }

    #[test]
    fn the_csrf_token_holds_for_the_sign_in_and_differs_between_sign_ins() {
        let v = pool();
        let first = v.check(&signed(&claims(&["admin"]), "k1"), now()).unwrap();
        let mut refreshed = claims(&["admin"]);
        refreshed["jti"] = "token-2".into();
        let renewed = v.check(&signed(&refreshed, "k1"), now()).unwrap();
        assert_eq!(first.csrf_token(), renewed.csrf_token());
        assert!(first.csrf_matches(&renewed.csrf_token()));
        let mut again = claims(&["admin"]);
        again["origin_jti"] = "sign-in-2".into();
        let other = v.check(&signed(&again, "k1"), now()).unwrap();
        assert!(!first.csrf_matches(&other.csrf_token()));
        assert!(!first.csrf_matches(""));
    }
}
