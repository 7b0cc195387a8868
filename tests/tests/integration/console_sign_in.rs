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

/// One console request to `app` with `cookies` (`name=value; …`), as API Gateway
/// delivers it; a form is posted from this site.
async fn console_call(
    app: &backoffice::Backoffice,
    method: &str,
    path: &str,
    cookies: &str,
    form: Option<&str>,
) -> sigap_tests::HttpReply {
    sigap_tests::reply(
        backoffice::handle(
            app,
            sigap_tests::console_request(method, path, cookies, form),
        )
        .await
        .unwrap(),
    )
}

/// The response's `Set-Cookie` values, `name=value` each (attributes dropped), and
/// whole.
fn set_cookies(reply: &sigap_tests::HttpReply) -> Vec<String> {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

/// The value `name` is set to, if the reply sets it.
fn cookie_set(reply: &sigap_tests::HttpReply, name: &str) -> Option<String> {
    set_cookies(reply).iter().find_map(|c| {
        c.split(';')
            .next()
            .and_then(|pair| pair.strip_prefix(&format!("{name}=")))
            .map(str::to_string)
    })
}

/// A query parameter of a URL.
fn parameter(url: &str, name: &str) -> String {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn location(reply: &sigap_tests::HttpReply) -> String {
    reply.headers["location"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn the_console_signs_in_by_the_hosted_pages_renews_the_session_and_signs_out_of_both() {
    use jiff::SignedDuration;
    use sigap::runtime::clock::{Clock, ManualClock};

    let t = sigap_tests::stack("console-hosted").await;
    let clock = Arc::new(ManualClock::new(jiff::Timestamp::now()));
    let jwks = serde_json::json!({"keys": [
        {"kid": "k1", "kty": "RSA", "alg": "RS256", "use": "sig", "n": TEST_N, "e": "AQAB"}
    ]});
    // The fake Cognito signs ID tokens valid 15 minutes from the function's clock; a
    // subject named `nobody` is in no group.
    let issuer: Arc<std::sync::OnceLock<String>> = Arc::default();
    let (named, minted) = (issuer.clone(), clock.clone());
    let sign = Arc::new(move |subject: &str| {
        let now = minted.now().as_second();
        let groups: Vec<&str> = if subject == "nobody" {
            vec![]
        } else {
            vec!["admin"]
        };
        let claims = serde_json::json!({
            "sub": subject, "iss": named.get().cloned().unwrap_or_default(), "aud": CLIENT,
            "token_use": "id", "exp": now + 900, "iat": now, "email": format!("{subject}@bandung.example"),
            "origin_jti": format!("sign-in-{subject}"), "jti": format!("t-{now}"),
            "cognito:groups": groups,
        });
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some("k1".into());
        encode(&header, &claims, &EncodingKey::from_rsa_der(TEST_KEY)).unwrap()
    });
    let fake = FakeHostedSignIn::start(jwks, sign).await;
    issuer.set(fake.base_url.clone()).unwrap();
    let app: backoffice::Backoffice = t.app(
        clock.clone(),
        &[
            ("CONSOLE_URL", "https://konsol.bandung.example"),
            ("CONSOLE_CLIENT_ID", CLIENT),
            ("CONSOLE_SIGN_IN_DOMAIN", &fake.base_url),
            ("USER_POOL_PROVIDER_NAME", &fake.base_url),
        ],
    );

    // No session: the sign-in page, whose one button leads to the hosted pages (and
    // whose forms may be sent on there).
    let home = console_call(&app, "GET", "/konsol/antrean", "", None).await;
    assert_eq!(
        (home.status, location(&home)),
        (303, "/konsol/masuk".into())
    );
    let page = console_call(&app, "GET", "/konsol/masuk", "", None).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(
        page.text.contains("Masuk dengan akun petugas"),
        "{}",
        page.text
    );
    assert!(
        !page.text.contains("Admin verifikasi"),
        "no development buttons here"
    );
    let policy = page.headers["content-security-policy"].to_str().unwrap();
    assert!(
        policy.contains(&format!("form-action 'self' {}", fake.base_url)),
        "{policy}"
    );

    // Starting: a fresh PKCE attempt, its verifier in a cookie for the callback only.
    let started = console_call(&app, "POST", "/konsol/masuk", "", Some("")).await;
    assert_eq!(started.status, 303, "{}", started.text);
    let to = location(&started);
    assert!(
        to.starts_with(&format!("{}/oauth2/authorize?", fake.base_url)),
        "{to}"
    );
    assert_eq!(parameter(&to, "client_id"), CLIENT);
    assert_eq!(
        parameter(&to, "redirect_uri"),
        "https://konsol.bandung.example/konsol/kembali"
    );
    assert_eq!(parameter(&to, "code_challenge_method"), "S256");
    let kept = set_cookies(&started).join("\n");
    assert!(
        kept.starts_with("masuk=")
            && kept.contains("Path=/konsol/kembali")
            && kept.contains("HttpOnly")
            && kept.contains("Secure"),
        "{kept}"
    );
    let attempt = format!("masuk={}", cookie_set(&started, "masuk").unwrap());
    assert!(
        !to.contains(attempt.split('.').nth(1).unwrap()),
        "the verifier never leaves in the URL"
    );
    let state = parameter(&to, "state");
    fake.expect_code("code-1", &parameter(&to, "code_challenge"), "admin-7");

    // Cognito's answer for another browser's attempt (another state) is refused, and
    // so is one with no attempt cookie.
    let forged = console_call(
        &app,
        "GET",
        "/konsol/kembali?code=code-1&state=someone-else",
        &attempt,
        None,
    )
    .await;
    assert_eq!(forged.status, 400, "{}", forged.text);
    assert!(forged.text.contains("tidak dikenali"), "{}", forged.text);
    let callback = format!("/konsol/kembali?code=code-1&state={state}");
    let no_attempt = console_call(&app, "GET", &callback, "", None).await;
    assert_eq!(no_attempt.status, 400, "{}", no_attempt.text);

    // This browser's: the code traded with the verifier, the session set.
    let back = console_call(&app, "GET", &callback, &attempt, None).await;
    assert_eq!(
        (back.status, location(&back)),
        (303, "/konsol".into()),
        "{}",
        back.text
    );
    let id_token = cookie_set(&back, "sesi").unwrap();
    let refresh = cookie_set(&back, "sesi_r").unwrap();
    assert_eq!(refresh, "refresh-admin-7");
    assert_eq!(
        cookie_set(&back, "masuk").as_deref(),
        Some(""),
        "the attempt is spent"
    );
    for cookie in set_cookies(&back).iter().filter(|c| c.starts_with("sesi")) {
        assert!(
            cookie.contains("HttpOnly")
                && cookie.contains("Secure")
                && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
    }
    let traded = fake
        .forms
        .lock()
        .unwrap()
        .iter()
        .rev()
        .find(|(path, _)| path == "/oauth2/token")
        .cloned()
        .unwrap();
    assert!(traded.1.contains(&(
        "redirect_uri".into(),
        "https://konsol.bandung.example/konsol/kembali".into()
    )));
    let session = format!("sesi={id_token}; sesi_r={refresh}");
    let queue = console_call(&app, "GET", "/konsol/antrean", &session, None).await;
    assert_eq!(queue.status, 200, "{}", queue.text);
    assert!(queue.text.contains("Antrean verifikasi"));
    // A code is good once.
    let replayed = console_call(&app, "GET", &callback, &attempt, None).await;
    assert_eq!(replayed.status, 400, "{}", replayed.text);
    assert!(
        replayed.text.contains("Kode masuk tidak berlaku lagi"),
        "{}",
        replayed.text
    );

    // Sixteen minutes on, the ID token has expired: the same request again with a
    // renewed one (307 keeps a form's method and fields), then served.
    clock.advance(SignedDuration::from_mins(16));
    let renewed = console_call(&app, "GET", "/konsol/antrean?kanal=sms", &session, None).await;
    assert_eq!(
        (renewed.status, location(&renewed)),
        (307, "/konsol/antrean?kanal=sms".into()),
        "{}",
        renewed.text
    );
    let fresh = cookie_set(&renewed, "sesi").unwrap();
    assert_ne!(fresh, id_token);
    let session = format!("sesi={fresh}; sesi_r={refresh}");
    let queue = console_call(&app, "GET", "/konsol/antrean?kanal=sms", &session, None).await;
    assert_eq!(queue.status, 200, "{}", queue.text);

    // Sign-out: the refresh token revoked, both cookies cleared, and on through
    // Cognito's own sign-out back to the signed-out page.
    let csrf = sigap_tests::csrf_of(&queue.text);
    let out = console_call(
        &app,
        "POST",
        "/konsol/keluar",
        &session,
        Some(&format!("csrf={csrf}")),
    )
    .await;
    assert_eq!(out.status, 303, "{}", out.text);
    let to = location(&out);
    assert!(
        to.starts_with(&format!("{}/logout?", fake.base_url)),
        "{to}"
    );
    assert_eq!(parameter(&to, "client_id"), CLIENT);
    assert_eq!(
        parameter(&to, "logout_uri"),
        "https://konsol.bandung.example/konsol/keluar"
    );
    assert_eq!(cookie_set(&out, "sesi").as_deref(), Some(""));
    assert_eq!(cookie_set(&out, "sesi_r").as_deref(), Some(""));
    assert!(
        fake.forms
            .lock()
            .unwrap()
            .iter()
            .any(|(path, form)| path == "/oauth2/revoke"
                && form.contains(&("token".into(), refresh.clone())))
    );
    let signed_out = console_call(&app, "GET", "/konsol/keluar", "", None).await;
    assert_eq!(signed_out.status, 200);
    assert!(signed_out.text.contains("Anda sudah keluar."));
    // Kept cookies are good for nothing once the ID token expires: the refresh token
    // was revoked.
    clock.advance(SignedDuration::from_mins(16));
    let ended = console_call(&app, "GET", "/konsol/antrean", &session, None).await;
    assert_eq!(
        (ended.status, location(&ended)),
        (303, "/konsol/masuk?sesi=berakhir".into())
    );

    // An account in no Sigap group is told so; a development session is a forgery
    // here.
    let again = console_call(&app, "POST", "/konsol/masuk", "", Some("")).await;
    let to = location(&again);
    fake.expect_code("code-2", &parameter(&to, "code_challenge"), "nobody");
    let attempt = format!("masuk={}", cookie_set(&again, "masuk").unwrap());
    let callback = format!(
        "/konsol/kembali?code=code-2&state={}",
        parameter(&to, "state")
    );
    let no_role = console_call(&app, "GET", &callback, &attempt, None).await;
    assert_eq!(no_role.status, 403, "{}", no_role.text);
    assert!(
        no_role.text.contains("belum punya peran"),
        "{}",
        no_role.text
    );
    assert!(cookie_set(&no_role, "sesi").is_none());
    let (dev, _) = sigap_tests::console_session("admin", clock.now());
    let refused = console_call(&app, "GET", "/konsol/antrean", &format!("sesi={dev}"), None).await;
    assert_eq!(
        (refused.status, location(&refused)),
        (303, "/konsol/masuk?sesi=tidak-sah".into())
    );
    // Cognito's own refusal (the person cancelled) is a page, not an error.
    let cancelled =
        console_call(&app, "GET", "/konsol/kembali?error=access_denied", "", None).await;
    assert_eq!(cancelled.status, 400);
    assert!(cancelled.text.contains("Coba masuk lagi"));
}

/// An ID token the fake pool would issue for an admin, signed with the test key and
/// naming key `kid`, valid 15 minutes from `now`.
fn pool_token(issuer: &str, kid: &str, now: i64) -> String {
    let claims = serde_json::json!({
        "sub": "admin-9", "iss": issuer, "aud": CLIENT, "token_use": "id",
        "exp": now + 900, "iat": now, "origin_jti": "sign-in-9", "jti": format!("t-{kid}"),
        "cognito:groups": ["admin"],
    });
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    encode(&header, &claims, &EncodingKey::from_rsa_der(TEST_KEY)).unwrap()
}

/// The pool's keys are read once per process, again for a token naming a key not
/// seen (the pool may have rotated them), but at most once a minute, so forged `kid`s
/// cannot make the function hammer Cognito; a pool out of reach is a 503 page, not
/// a refused session.
#[tokio::test]
async fn the_pools_keys_are_fetched_again_for_an_unknown_key_at_most_once_a_minute() {
    use sigap::runtime::clock::{Clock, ManualClock};

    let t = sigap_tests::stack("console-keys").await;
    let clock = Arc::new(ManualClock::new(jiff::Timestamp::now()));
    let jwks = serde_json::json!({"keys": [
        {"kid": "k1", "kty": "RSA", "alg": "RS256", "use": "sig", "n": TEST_N, "e": "AQAB"}
    ]});
    let fake = FakeHostedSignIn::start(jwks, Arc::new(|_: &str| String::new())).await;
    let hosted = |pool: &str| {
        t.app::<backoffice::Backoffice>(
            clock.clone(),
            &[
                ("CONSOLE_URL", "https://konsol.bandung.example"),
                ("CONSOLE_CLIENT_ID", CLIENT),
                ("CONSOLE_SIGN_IN_DOMAIN", pool),
                ("USER_POOL_PROVIDER_NAME", pool),
            ],
        )
    };
    let app = hosted(&fake.base_url);
    let fetches = || {
        fake.forms
            .lock()
            .unwrap()
            .iter()
            .filter(|(path, _)| path == "/.well-known/jwks.json")
            .count()
    };
    let call = |kid: &'static str| {
        let cookie = format!(
            "sesi={}",
            pool_token(&fake.base_url, kid, clock.now().as_second())
        );
        let app = &app;
        async move { console_call(app, "GET", "/konsol/antrean", &cookie, None).await }
    };

    assert_eq!(call("k1").await.status, 200);
    assert_eq!(call("k1").await.status, 200);
    assert_eq!(fetches(), 1, "read once, then kept");
    // Within a minute of the read, an unknown key is refused without asking again.
    assert_eq!(call("k2").await.status, 303);
    assert_eq!(fetches(), 1, "not within the minute of the last read");
    clock.advance(jiff::SignedDuration::from_secs(61));
    let unknown = call("k2").await;
    assert_eq!(
        (unknown.status, location(&unknown)),
        (303, "/konsol/masuk?sesi=tidak-sah".into())
    );
    assert_eq!(
        fetches(),
        2,
        "an unknown key is looked for once the minute is past"
    );
    assert_eq!(call("k3").await.status, 303);
    assert_eq!(fetches(), 2, "and not again within the next minute");
    clock.advance(jiff::SignedDuration::from_secs(61));
    assert_eq!(call("k3").await.status, 303);
    assert_eq!(fetches(), 3, "again after it");
    assert_eq!(call("k1").await.status, 200);

    // Nobody answers at the pool's address: the console says so, and keeps no session.
    let cut_off = hosted("http://127.0.0.1:9");
    let cookie = format!(
        "sesi={}",
        pool_token("http://127.0.0.1:9", "k1", clock.now().as_second())
    );
    let down = console_call(&cut_off, "GET", "/konsol/antrean", &cookie, None).await;
    assert_eq!(down.status, 503, "{}", down.text);
    assert!(down.text.contains("tidak dapat dihubungi"), "{}", down.text);
}
