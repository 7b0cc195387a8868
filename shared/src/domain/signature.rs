//! Webhook signatures, exactly as each sender computes them (pure; the secrets come
//! from configuration). Every comparison is constant-time.
//!
//! - Twilio: `base64(HMAC-SHA1(auth token, url + sorted name+value pairs))` in
//!   `X-Twilio-Signature`, where the url is the public one Twilio called; checked
//!   with and without the default port, because Twilio is not consistent about it.
//! - The generic JSON gateway (for an Indonesian aggregator): `X-Sigap-Timestamp`
//!   (Unix seconds) and `X-Sigap-Signature: sha256=<hex HMAC-SHA256(secret,
//!   "<timestamp>.<raw body>")>`, refused outside a replay window.
//! - X (Twitter): the CRC answer `sha256=<base64 HMAC-SHA256(consumer secret,
//!   crc_token)>` and `x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256(
//!   consumer secret, raw body)>`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;

fn hmac_sha1(key: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    match Hmac::<Sha1>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(message);
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// Equal without revealing where they differ (length is not secret).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Twilio's signature of a form POST to `url` with `params`.
pub fn twilio_signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut message = url.to_string();
    for (name, value) in sorted {
        message.push_str(name);
        message.push_str(value);
    }
    STANDARD.encode(hmac_sha1(auth_token.as_bytes(), message.as_bytes()))
}

/// The forms of `url` Twilio may have signed: as given, without its port, and with
/// the scheme's default port (`:443`, `:80`); its SDKs check all three.
pub fn url_port_variants(url: &str) -> Vec<String> {
    let mut variants = vec![url.to_string()];
    let Some((scheme, rest)) = url.split_once("://") else {
        return variants;
    };
    let default = match scheme {
        "https" => "443",
        "http" => "80",
        _ => return variants,
    };
    let (authority, path) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    let host = authority.split(':').next().unwrap_or(authority);
    for candidate in [
        format!("{scheme}://{host}{path}"),
        format!("{scheme}://{host}:{default}{path}"),
    ] {
        if !variants.contains(&candidate) {
            variants.push(candidate);
        }
    }
    variants
}

/// True when `header` is Twilio's signature for `url` (either port form) and `params`.
pub fn verify_twilio(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
    header: &str,
) -> bool {
    let header = header.trim().as_bytes();
    url_port_variants(url)
        .iter()
        .any(|u| constant_time_eq(twilio_signature(auth_token, u, params).as_bytes(), header))
}

/// The generic gateway's signature header value for `body` sent at `timestamp`.
pub fn gateway_signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut message = format!("{timestamp}.").into_bytes();
    message.extend_from_slice(body);
    format!(
        "sha256={}",
        hex::encode(hmac_sha256(secret.as_bytes(), &message))
    )
}

/// Why a generic-gateway request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GatewayAuthError {
    /// No or unreadable timestamp or signature header.
    #[error("missing signature or timestamp")]
    Missing,
    /// Signed too long ago or in the future: a replay, or a wrong clock.
    #[error("timestamp outside the replay window")]
    Stale,
    /// The signature does not match.
    #[error("bad signature")]
    BadSignature,
}

/// Checks a generic-gateway request: timestamp within `window_seconds` of `now`
/// (Unix seconds) and the signature over it and the raw body.
pub fn verify_gateway(
    secret: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
    window_seconds: i64,
) -> Result<(), GatewayAuthError> {
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return Err(GatewayAuthError::Missing);
    };
    let at: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| GatewayAuthError::Missing)?;
    // abs_diff: a hostile timestamp (i64::MIN) must not overflow the subtraction.
    if now.abs_diff(at) > window_seconds.unsigned_abs() {
        return Err(GatewayAuthError::Stale);
    }
    let expected = gateway_signature(secret, at, body);
    if constant_time_eq(expected.as_bytes(), signature.trim().as_bytes()) {
        Ok(())
    } else {
        Err(GatewayAuthError::BadSignature)
    }
}

/// The `response_token` answering X's CRC challenge.
pub fn x_crc_response(consumer_secret: &str, crc_token: &str) -> String {
    format!(
        "sha256={}",
        STANDARD.encode(hmac_sha256(
            consumer_secret.as_bytes(),
            crc_token.as_bytes()
        ))
    )
}

/// True when `header` is X's signature of the raw `body`.
pub fn verify_x(consumer_secret: &str, body: &[u8], header: &str) -> bool {
    let expected = format!(
        "sha256={}",
        STANDARD.encode(hmac_sha256(consumer_secret.as_bytes(), body))
    );
    constant_time_eq(expected.as_bytes(), header.trim().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twilio_documented_example() {
        // Twilio's published example (TwilioDevEd/api-snippets,
        // security/signature_validation): auth token 12345.
        let params: Vec<(String, String)> = [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675310"),
            ("Digits", "1234"),
            ("From", "+14158675310"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(
            twilio_signature("12345", url, &params),
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        );
        assert!(verify_twilio(
            "12345",
            url,
            &params,
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        ));
        assert!(verify_twilio(
            "12345",
            "https://mycompany.com:443/myapp.php?foo=1&bar=2",
            &params,
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        ));
        assert!(!verify_twilio(
            "12345",
            url,
            &params[1..],
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        ));
        assert!(!verify_twilio(
            "54321",
            url,
            &params,
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        ));
    }

    #[test]
    fn port_variants() {
        assert_eq!(
            url_port_variants("https://api.example.id/sms/twilio"),
            vec![
                "https://api.example.id/sms/twilio",
                "https://api.example.id:443/sms/twilio"
            ]
        );
        assert_eq!(
            url_port_variants("https://api.example.id:443/sms/twilio?x=1"),
            vec![
                "https://api.example.id:443/sms/twilio?x=1",
                "https://api.example.id/sms/twilio?x=1"
            ]
        );
        assert_eq!(
            url_port_variants("http://127.0.0.1:3000/sms/twilio"),
            vec![
                "http://127.0.0.1:3000/sms/twilio",
                "http://127.0.0.1/sms/twilio",
                "http://127.0.0.1:80/sms/twilio"
            ]
        );
    }

    #[test]
    fn gateway_signatures_have_a_replay_window() {
        let body = br#"{"id":"m1"}"#;
        let signature = gateway_signature("s3cret", 1_000, body);
        assert_eq!(
            verify_gateway("s3cret", Some("1000"), Some(&signature), body, 1_100, 300),
            Ok(())
        );
        assert_eq!(
            verify_gateway("s3cret", Some("1000"), Some(&signature), body, 1_400, 300),
            Err(GatewayAuthError::Stale)
        );
        assert_eq!(
            verify_gateway(
                "s3cret",
                Some("1000"),
                Some(&signature),
                br#"{"id":"m2"}"#,
                1_100,
                300
            ),
            Err(GatewayAuthError::BadSignature)
        );
        assert_eq!(
            verify_gateway("s3cret", None, Some(&signature), body, 1_100, 300),
            Err(GatewayAuthError::Missing)
        );
    }

    #[test]
    fn x_crc_and_signature() {
        let response = x_crc_response("consumer-secret", "challenge");
        assert!(response.starts_with("sha256="));
        let header = x_crc_response("consumer-secret", "{\"a\":1}");
        assert!(verify_x("consumer-secret", b"{\"a\":1}", &header));
        assert!(!verify_x("consumer-secret", b"{\"a\":2}", &header));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn gateway_checks_never_panic_and_accept_only_the_signature(
                timestamp in prop_oneof![any::<i64>().prop_map(|t| t.to_string()), "\\PC{0,30}"],
                signature in "\\PC{0,80}",
                body in proptest::collection::vec(any::<u8>(), 0..300),
                now in any::<i64>(),
            ) {
                let forged = verify_gateway("secret", Some(&timestamp), Some(&signature), &body, now, 300);
                prop_assert!(forged.is_err());
                if let Ok(at) = timestamp.parse::<i64>() {
                    let genuine = gateway_signature("secret", at, &body);
                    let checked = verify_gateway("secret", Some(&timestamp), Some(&genuine), &body, now, 300);
                    prop_assert_eq!(checked.is_ok(), now.abs_diff(at) <= 300);
                }
            }

            #[test]
            fn twilio_and_x_checks_never_panic_on_hostile_input(
                url in "\\PC{0,120}",
                params in proptest::collection::vec(("\\PC{0,20}", "\\PC{0,40}"), 0..8),
                header in "\\PC{0,60}",
                body in proptest::collection::vec(any::<u8>(), 0..300),
            ) {
                prop_assert!(!verify_twilio("token", &url, &params, &header));
                prop_assert!(!verify_x("secret", &body, &header));
            }
        }
    }
}
