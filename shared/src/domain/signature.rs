//! Webhook signatures, exactly as each sender computes them (pure; the secrets come
//! from configuration). Every comparison is constant-time.
//!
//! - Twilio: `base64(HMAC-SHA1(auth token, url + sorted name+value pairs))` in
//!   `X-Twilio-Signature`, where the url is the public one Twilio called; checked
//!   with and without the default port, because Twilio is not consistent about it.
//! - The generic JSON gateway (for an Indonesian aggregator): `X-Sigap-Timestamp`
//!   (Unix seconds) and `X-Sigap-Signature: sha256=<hex HMAC-SHA256(secret,
//!   "<timestamp>.<raw body>")>`, refused outside a replay window.
//! - Panic-button devices: `X-Sigap-Device`, `X-Sigap-Timestamp` and
//!   `X-Sigap-Signature: sha256=<hex HMAC-SHA256(device secret,
//!   "<timestamp>\n<METHOD>\n<path>\n<raw body>")>`, refused outside a replay window.
//! - X (Twitter): the CRC answer `sha256=<base64 HMAC-SHA256(consumer secret,
//!   crc_token)>` and `x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256(
//!   consumer secret, raw body)>`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// A secret the MAC refused (never for HMAC today, whose keys may be any length):
/// raised when the function starts, so it stops there instead of running unkeyed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: the key was refused ({reason})")]
pub struct KeyError {
    /// Which key.
    pub what: &'static str,
    /// The MAC's reason.
    pub reason: String,
}

/// An HMAC-SHA256 key, prepared once at start-up and cloned per message: phone and
/// device hashes, the gateway's and X's signatures, ack links.
#[derive(Clone)]
pub struct HmacKey(Hmac<Sha256>);

impl std::fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacKey(redacted)")
    }
}

impl HmacKey {
    /// The key for `secret`; `what` names it in the start-up error.
    pub fn new(what: &'static str, secret: &[u8]) -> Result<Self, KeyError> {
        Hmac::<Sha256>::new_from_slice(secret)
            .map(Self)
            .map_err(|e| KeyError {
                what,
                reason: e.to_string(),
            })
    }

    /// The MAC of `message`.
    pub fn tag(&self, message: &[u8]) -> Vec<u8> {
        self.0
            .clone()
            .chain_update(message)
            .finalize()
            .into_bytes()
            .to_vec()
    }

    /// The MAC of `text`, hex: keyed hashes (architecture §4: a phone number never in a key
    /// in clear, and not reversible by hashing guesses).
    pub fn hex(&self, text: &str) -> String {
        hex::encode(self.tag(text.as_bytes()))
    }

    /// True when `tag` is the MAC of `message` (compared in constant time).
    pub fn verify(&self, message: &[u8], tag: &[u8]) -> bool {
        self.0
            .clone()
            .chain_update(message)
            .verify_slice(tag)
            .is_ok()
    }
}

/// Twilio's HMAC-SHA1 key (its auth token), prepared once at start-up.
#[derive(Clone)]
pub struct TwilioKey(Hmac<Sha1>);

impl std::fmt::Debug for TwilioKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TwilioKey(redacted)")
    }
}

impl TwilioKey {
    /// The key for Twilio's auth token.
    pub fn new(auth_token: &str) -> Result<Self, KeyError> {
        Hmac::<Sha1>::new_from_slice(auth_token.as_bytes())
            .map(Self)
            .map_err(|e| KeyError {
                what: "TWILIO_AUTH_TOKEN",
                reason: e.to_string(),
            })
    }
}

/// Equal without revealing where they differ (length is not secret).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// What Twilio signs: the url, then each name and value, sorted.
fn twilio_message(url: &str, params: &[(String, String)]) -> Vec<u8> {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut message = url.to_string();
    for (name, value) in sorted {
        message.push_str(name);
        message.push_str(value);
    }
    message.into_bytes()
}

/// Twilio's signature of a form POST to `url` with `params`.
pub fn twilio_signature(key: &TwilioKey, url: &str, params: &[(String, String)]) -> String {
    let mac = key.0.clone().chain_update(twilio_message(url, params));
    STANDARD.encode(mac.finalize().into_bytes())
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
    key: &TwilioKey,
    url: &str,
    params: &[(String, String)],
    header: &str,
) -> bool {
    let Ok(tag) = STANDARD.decode(header.trim()) else {
        return false;
    };
    url_port_variants(url).iter().any(|u| {
        key.0
            .clone()
            .chain_update(twilio_message(u, params))
            .verify_slice(&tag)
            .is_ok()
    })
}

/// What the generic gateway signs: `<timestamp>.<raw body>`.
fn gateway_message(timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut message = format!("{timestamp}.").into_bytes();
    message.extend_from_slice(body);
    message
}

/// The generic gateway's signature header value for `body` sent at `timestamp`.
pub fn gateway_signature(key: &HmacKey, timestamp: i64, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(key.tag(&gateway_message(timestamp, body)))
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
    key: &HmacKey,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now: i64,
    window_seconds: i64,
) -> Result<(), GatewayAuthError> {
    let window = Window {
        now,
        seconds: window_seconds,
    };
    verify_timed(key, timestamp, signature, window, |at| {
        gateway_message(at, body)
    })
}

/// What a panic-button device signs: the timestamp, the method, the path and the raw
/// body, one per line, so a captured signature is good for its own route only (a
/// signed settings body replayed to `/panic/press` is refused).
fn device_message(timestamp: i64, method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let mut message = format!("{timestamp}\n{method}\n{path}\n").into_bytes();
    message.extend_from_slice(body);
    message
}

/// A device's `X-Sigap-Signature` for `method path` with `body` at `timestamp`.
pub fn device_signature(
    key: &HmacKey,
    timestamp: i64,
    method: &str,
    path: &str,
    body: &[u8],
) -> String {
    format!(
        "sha256={}",
        hex::encode(key.tag(&device_message(timestamp, method, path, body)))
    )
}

/// The replay window of a timed signature: `seconds` either side of `now` (Unix seconds).
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// The server's time.
    pub now: i64,
    /// How far a timestamp may be from it.
    pub seconds: i64,
}

/// Checks a device request to `method path`: timestamp within the window and the
/// signature over the timestamp, the method, the path and the raw body.
pub fn verify_device(
    key: &HmacKey,
    (method, path): (&str, &str),
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    window: Window,
) -> Result<(), GatewayAuthError> {
    verify_timed(key, timestamp, signature, window, |at| {
        device_message(at, method, path, body)
    })
}

/// The timestamp-and-HMAC check both timed schemes share; `message` is what was
/// signed at the given timestamp.
fn verify_timed(
    key: &HmacKey,
    timestamp: Option<&str>,
    signature: Option<&str>,
    Window {
        now,
        seconds: window_seconds,
    }: Window,
    message: impl FnOnce(i64) -> Vec<u8>,
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
    let tag = signature
        .trim()
        .strip_prefix("sha256=")
        .and_then(|h| hex::decode(h).ok())
        .ok_or(GatewayAuthError::BadSignature)?;
    if key.verify(&message(at), &tag) {
        Ok(())
    } else {
        Err(GatewayAuthError::BadSignature)
    }
}

/// A CRC challenge token as X sends it: an opaque random string of 8 to 128 base64 or
/// base64url characters.
///
/// The CRC answer and the webhook signature are the same HMAC under the same key, so
/// answering for any text would sign any body an attacker asks for. No JSON body can be
/// made of these characters (it needs `{` and `"`), so an answered token never signs an
/// event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrcToken(String);

impl CrcToken {
    /// The token, if it has X's shape.
    pub fn parse(raw: &str) -> Option<Self> {
        let shaped = (8..=128).contains(&raw.len())
            && raw.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_')
            });
        shaped.then(|| Self(raw.to_string()))
    }
}

/// The `response_token` answering X's CRC challenge.
pub fn x_crc_response(key: &HmacKey, crc_token: &CrcToken) -> String {
    format!(
        "sha256={}",
        STANDARD.encode(key.tag(crc_token.0.as_bytes()))
    )
}

/// True when `header` is Meta's `X-Hub-Signature-256` of the raw `body`
/// (`sha256=<hex HMAC-SHA256>` keyed with the app secret): WhatsApp's webhooks.
pub fn verify_meta(key: &HmacKey, body: &[u8], header: &str) -> bool {
    header
        .trim()
        .strip_prefix("sha256=")
        .and_then(|h| hex::decode(h).ok())
        .is_some_and(|tag| key.verify(body, &tag))
}

/// True when `header` is X's signature of the raw `body`.
pub fn verify_x(key: &HmacKey, body: &[u8], header: &str) -> bool {
    header
        .trim()
        .strip_prefix("sha256=")
        .and_then(|b| STANDARD.decode(b).ok())
        .is_some_and(|tag| key.verify(body, &tag))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_signatures_are_checked_over_the_raw_bytes() {
        let key = HmacKey::new("WHATSAPP_APP_SECRET", b"app-secret").unwrap();
        // Meta escapes non-ASCII as \uXXXX: the bytes as sent are what is signed.
        let body = br#"{"text":{"body":"Jalan rusak \ud83d\ude4f di Jl. Asia/Afrika @ 07.00"}}"#;
        let header = format!("sha256={}", hex::encode(key.tag(body)));
        assert!(verify_meta(&key, body, &header));
        assert!(verify_meta(
            &key,
            body,
            &header.to_uppercase().replace("SHA256=", "sha256=")
        ));
        let reencoded = "{\"text\":{\"body\":\"Jalan rusak 🙏 di Jl. Asia/Afrika @ 07.00\"}}";
        assert!(!verify_meta(&key, reencoded.as_bytes(), &header));
        for bad in ["", "sha256=", "sha1=00", &header[7..], "sha256=zz"] {
            assert!(!verify_meta(&key, body, bad), "{bad:?}");
        }
    }

    #[test]
    fn crc_tokens_are_base64_and_never_a_json_body() {
        assert!(CrcToken::parse("challenge-123").is_some());
        assert!(CrcToken::parse("NzYyMDk4MmItZjkzNC00ZTc4LWJlNDEtNGI0N2E1ZjQ5OTk2+/==").is_some());
        for bad in [
            "short",
            r#"{"tweet_create_events":[]}"#,
            "a b c d e f g",
            &"a".repeat(129),
        ] {
            assert!(CrcToken::parse(bad).is_none(), "{bad:?}");
        }
    }

    fn twilio(token: &str) -> TwilioKey {
        TwilioKey::new(token).unwrap()
    }

    fn key(secret: &str) -> HmacKey {
        HmacKey::new("test", secret.as_bytes()).unwrap()
    }

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
            twilio_signature(&twilio("12345"), url, &params),
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        );
        assert!(verify_twilio(
            &twilio("12345"),
            url,
            &params,
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        ));
        assert!(verify_twilio(
            &twilio("12345"),
            "https://mycompany.com:443/myapp.php?foo=1&bar=2",
            &params,
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        ));
        assert!(!verify_twilio(
            &twilio("12345"),
            url,
            &params[1..],
            "GvWf1cFY/Q7PnoempGyD5oXAezc="
        ));
        assert!(!verify_twilio(
            &twilio("54321"),
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
        let signature = gateway_signature(&key("s3cret"), 1_000, body);
        assert_eq!(
            verify_gateway(
                &key("s3cret"),
                Some("1000"),
                Some(&signature),
                body,
                1_100,
                300
            ),
            Ok(())
        );
        assert_eq!(
            verify_gateway(
                &key("s3cret"),
                Some("1000"),
                Some(&signature),
                body,
                1_400,
                300
            ),
            Err(GatewayAuthError::Stale)
        );
        assert_eq!(
            verify_gateway(
                &key("s3cret"),
                Some("1000"),
                Some(&signature),
                br#"{"id":"m2"}"#,
                1_100,
                300
            ),
            Err(GatewayAuthError::BadSignature)
        );
        assert_eq!(
            verify_gateway(&key("s3cret"), None, Some(&signature), body, 1_100, 300),
            Err(GatewayAuthError::Missing)
        );
    }

    #[test]
    fn x_crc_and_signature() {
        let token = CrcToken::parse("challenge-token").unwrap();
        let response = x_crc_response(&key("consumer-secret"), &token);
        assert!(response.starts_with("sha256="));
        // The same HMAC signs bodies: which is why a body can never be a CRC token.
        assert!(CrcToken::parse("{\"a\":1}").is_none());
        let header = format!(
            "sha256={}",
            STANDARD.encode(key("consumer-secret").tag(b"{\"a\":1}"))
        );
        assert!(verify_x(&key("consumer-secret"), b"{\"a\":1}", &header));
        assert!(!verify_x(&key("consumer-secret"), b"{\"a\":2}", &header));
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
                let forged = verify_gateway(&key("secret"), Some(&timestamp), Some(&signature), &body, now, 300);
                prop_assert!(forged.is_err());
                if let Ok(at) = timestamp.parse::<i64>() {
                    let genuine = gateway_signature(&key("secret"), at, &body);
                    let checked = verify_gateway(&key("secret"), Some(&timestamp), Some(&genuine), &body, now, 300);
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
                prop_assert!(!verify_twilio(&twilio("token"), &url, &params, &header));
                prop_assert!(!verify_x(&key("secret"), &body, &header));
            }
        }
    }
}
