//! The hosted sign-in's OAuth 2.0 authorization code flow with PKCE (RFC 7636, S256):
//! what `/konsol/masuk` sends the browser to, what it keeps meanwhile, and what it
//! checks when Cognito sends the browser back. No network here; the token exchange
//! is an adapter's.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use sigap::runtime::ids::{IdGenerator, RandomError};

/// One sign-in attempt: the verifier (kept in the browser's short-lived `HttpOnly`
/// cookie, never in a URL) and the `state` that ties the answer to this browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The PKCE code verifier: 43 characters of base64url from 32 random bytes.
    pub verifier: String,
    /// The `state` parameter, 22 characters from 16 random bytes.
    pub state: String,
}

impl Attempt {
    /// A fresh attempt from `ids`' randomness.
    pub fn new(ids: &dyn IdGenerator) -> Result<Self, RandomError> {
        Ok(Self {
            verifier: URL_SAFE_NO_PAD.encode(ids.random_bytes(32)?),
            state: URL_SAFE_NO_PAD.encode(ids.random_bytes(16)?),
        })
    }

    /// The S256 challenge sent with the authorization request.
    pub fn challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.verifier.as_bytes()))
    }

    /// The cookie value holding the attempt (`state.verifier`; both base64url, so the
    /// dot separates them unambiguously).
    pub fn cookie_value(&self) -> String {
        format!("{}.{}", self.state, self.verifier)
    }

    /// The attempt a cookie holds, if it is one.
    pub fn from_cookie(value: &str) -> Option<Self> {
        let (state, verifier) = value.split_once('.')?;
        let base64url = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        (base64url(state) && verifier.len() == 43 && base64url(verifier)).then(|| Self {
            state: state.into(),
            verifier: verifier.into(),
        })
    }

    /// The code Cognito sent back, when its `state` is this attempt's; anything else
    /// (another browser's answer, a replay, a forged link) is refused.
    pub fn code<'a>(&self, state: Option<&str>, code: Option<&'a str>) -> Option<&'a str> {
        let code = code.filter(|c| !c.is_empty() && c.len() <= 512)?;
        (state == Some(self.state.as_str())).then_some(code)
    }
}

/// The hosted sign-in's authorize URL for `attempt`: the pool's domain (e.g.
/// `https://sigap-prod.auth.ap-southeast-3.amazoncognito.com`), the console's app
/// client, and where Cognito sends the browser back.
pub fn authorize_url(
    domain: &str,
    client_id: &str,
    redirect_uri: &str,
    attempt: &Attempt,
) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", "openid email")
        .append_pair("state", &attempt.state)
        .append_pair("code_challenge", &attempt.challenge())
        .append_pair("code_challenge_method", "S256")
        .finish();
    format!("{}/oauth2/authorize?{query}", domain.trim_end_matches('/'))
}

/// Cognito's sign-out for the console's app client: it ends the hosted pages' own
/// session (else the next sign-in at that browser would pass without a password) and
/// sends the browser to `logout_uri`, one of the client's sign-out URLs.
pub fn sign_out_url(domain: &str, client_id: &str, logout_uri: &str) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", client_id)
        .append_pair("logout_uri", logout_uri)
        .finish();
    format!("{}/logout?{query}", domain.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sigap::runtime::ids::SeededIds;

    #[test]
    fn the_challenge_is_rfc_7636s_s256_of_the_verifier() {
        // RFC 7636, appendix B.
        let attempt = Attempt {
            verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into(),
            state: "s".into(),
        };
        assert_eq!(
            attempt.challenge(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn an_attempt_round_trips_its_cookie_and_accepts_only_its_own_state() {
        let attempt = Attempt::new(&SeededIds::new(7)).unwrap();
        assert_eq!(attempt.verifier.len(), 43);
        assert_eq!(attempt.state.len(), 22);
        let kept = Attempt::from_cookie(&attempt.cookie_value()).unwrap();
        assert_eq!(kept, attempt);
        assert_eq!(kept.code(Some(&attempt.state), Some("c0de")), Some("c0de"));
        assert_eq!(kept.code(Some("another"), Some("c0de")), None);
        assert_eq!(kept.code(None, Some("c0de")), None);
        assert_eq!(kept.code(Some(&attempt.state), Some("")), None);
        for bad in [
            "",
            "nodot",
            "a.short",
            "a b.c",
            &format!(".{}", attempt.verifier),
        ] {
            assert_eq!(Attempt::from_cookie(bad), None, "{bad}");
        }
        assert_ne!(Attempt::new(&SeededIds::new(8)).unwrap(), attempt);
    }

    #[test]
    fn the_authorize_url_asks_for_a_code_with_the_challenge() {
        let attempt = Attempt::new(&SeededIds::new(1)).unwrap();
        let url = authorize_url(
            "https://sigap.auth.ap-southeast-3.amazoncognito.com/",
            "client1",
            "https://lapor.example/konsol/kembali",
            &attempt,
        );
        assert!(url.starts_with("https://sigap.auth.ap-southeast-3.amazoncognito.com/oauth2/authorize?response_type=code&client_id=client1&redirect_uri=https%3A%2F%2Flapor.example%2Fkonsol%2Fkembali"), "{url}");
        assert!(url.contains(&format!("code_challenge={}", attempt.challenge())));
        assert!(url.contains("code_challenge_method=S256"));
        assert!(
            !url.contains(&attempt.verifier),
            "the verifier never goes in a URL"
        );
    }

    #[test]
    fn the_sign_out_url_names_the_client_and_where_to_come_back() {
        assert_eq!(
            sign_out_url(
                "https://sigap.auth.ap-southeast-3.amazoncognito.com",
                "client1",
                "https://lapor.example/konsol/keluar"
            ),
            "https://sigap.auth.ap-southeast-3.amazoncognito.com/logout?client_id=client1&logout_uri=https%3A%2F%2Flapor.example%2Fkonsol%2Fkeluar"
        );
    }
}
