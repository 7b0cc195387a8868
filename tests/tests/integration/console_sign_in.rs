//! The staff console's hosted sign-in (issue 22), end to end against a local fake of
//! Cognito's documented endpoints: a PKCE attempt, the code traded with its verifier,
//! the ID token checked against the keys the pool publishes, a refresh, and a
//! revocation that ends the refreshes.

use std::sync::Arc;

use backoffice::console::session::{SessionError, Verifier, jwks_keys};
use backoffice::console::sign_in::{Attempt, authorize_url};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use sigap::adapters::hosted_sign_in::{HostedSignIn, SignInError};
use sigap::runtime::ids::OsRandom;
use sigap_tests::fakes::FakeHostedSignIn;

/// The throwaway key of the session module's tests, and its modulus.
const TEST_KEY: &[u8] = include_bytes!("../../../functions/backoffice/src/console/test_key.der");
const TEST_N: &str = "s5JQm3x95WL1eUO4zPRvpSJt2HVK3iuc6vYWxnJoOKum3S-icBZGKIiELReOgLJV4LU9qPCqIZfv1IoddtiWK0Is-ahbJ-o11EKzChQ_LWo52t7Sd3gRm_RlC_RaAWsLO2CWfJ4a3INsyi8zUcJt0FRShw5CpTq9Sro48MUikky4gtxFSbFySBBY3iqf3-kvstSAezVwkoOV_Yf1r3HfiL-8tF7bQmqZtBxMkjfBKzY2e1_fyotn_lJUfx4XmGI1-pAJcZfEeMyocCv_6-a1xPw7QrHSjHBSuwT3lU82Tz4KTx25cwBFPFmG5JEfhzs6JIV6zaCIl8euh0OFQASGTw";
const CLIENT: &str = "console-client";

#[tokio::test]
async fn a_code_with_its_verifier_becomes_a_checked_session_that_refreshes_until_revoked() {
    let jwks = serde_json::json!({"keys": [
        {"kid": "k1", "kty": "RSA", "alg": "RS256", "use": "sig", "n": TEST_N, "e": "AQAB"}
    ]});
    // The fake's own address is the pool's issuer: the tokens it signs name it.
    let issuer: Arc<std::sync::OnceLock<String>> = Arc::default();
    let named = issuer.clone();
    let sign = Arc::new(move |subject: &str| {
        let now = jiff::Timestamp::now().as_second();
        let claims = serde_json::json!({
            "sub": subject, "iss": named.get().cloned().unwrap_or_default(), "aud": CLIENT,
            "token_use": "id", "exp": now + 900, "iat": now,
            "origin_jti": format!("sign-in-{subject}"), "jti": format!("t-{now}"),
            "cognito:groups": ["admin"],
        });
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some("k1".into());
        encode(&header, &claims, &EncodingKey::from_rsa_der(TEST_KEY)).unwrap()
    });
    let fake = FakeHostedSignIn::start(jwks, sign).await;
    issuer.set(fake.base_url.clone()).unwrap();
    let cognito = HostedSignIn::new(&fake.base_url, &fake.base_url, CLIENT);
    let verifier = Verifier::Pool {
        issuer: fake.base_url.clone(),
        client_id: CLIENT.into(),
        keys: jwks_keys(&cognito.keys_document().await.unwrap()).unwrap(),
    };

    // The browser is sent to the authorize URL with the challenge; Cognito sends it
    // back with a code for that challenge.
    let attempt = Attempt::new(&OsRandom).unwrap();
    let back = "https://lapor.example/konsol/kembali";
    let url = authorize_url(&fake.base_url, CLIENT, back, &attempt);
    assert!(url.contains(&attempt.challenge()));
    fake.expect_code("code-1", &attempt.challenge(), "admin-7");
    let kept = Attempt::from_cookie(&attempt.cookie_value()).unwrap();
    let code = kept.code(Some(&attempt.state), Some("code-1")).unwrap();

    // Another verifier cannot use the code; this one can, once.
    let other = Attempt::new(&OsRandom).unwrap();
    assert!(matches!(
        cognito.exchange(code, &other.verifier, back).await,
        Err(SignInError::Refused(e)) if e == "invalid_grant"
    ));
    let tokens = cognito.exchange(code, &kept.verifier, back).await.unwrap();
    assert!(matches!(
        cognito.exchange(code, &kept.verifier, back).await,
        Err(SignInError::Refused(_))
    ));
    let now = jiff::Timestamp::now();
    let session = verifier.check(&tokens.id_token, now).unwrap();
    assert_eq!(session.staff.subject, "admin-7");
    assert!(session.staff.is_admin());
    let form = fake.forms.lock().unwrap()[2].1.clone();
    assert!(
        form.contains(&("redirect_uri".into(), back.into())),
        "{form:?}"
    );
    assert!(form.contains(&("code_verifier".into(), kept.verifier.clone())));

    // A refresh gives a new ID token of the same sign-in (the same CSRF token).
    let refresh = tokens.refresh_token.clone().unwrap();
    let renewed = cognito.refresh(&refresh).await.unwrap();
    assert!(renewed.refresh_token.is_none());
    let again = verifier.check(&renewed.id_token, now).unwrap();
    assert_eq!(again.csrf_token(), session.csrf_token());
    // Debug output never carries a token.
    assert!(!format!("{renewed:?}").contains(&renewed.id_token));

    // Sign-out revokes the refresh token: no more renewals.
    cognito.revoke(&refresh).await.unwrap();
    assert!(matches!(
        cognito.refresh(&refresh).await,
        Err(SignInError::Refused(_))
    ));
    // A token from another pool's keys is refused.
    let strangers = Verifier::Pool {
        issuer: fake.base_url.clone(),
        client_id: CLIENT.into(),
        keys: jwks_keys(r#"{"keys":[]}"#).unwrap(),
    };
    assert_eq!(
        strangers.check(&tokens.id_token, now),
        Err(SessionError::Signature)
    );
}
