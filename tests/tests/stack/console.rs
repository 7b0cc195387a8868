//! The staff console on the deployed stack (emulator only: its development sign-in
//! exists only where `ConsoleDevSignInKeyParameter` is set, which the stack tier does,
//! as devstack does). The template's console routes reach `backoffice` without the
//! JWT authorizer, the function checks the session cookie itself, and forms carry
//! their CSRF token.

use sigap_tests::http;

use crate::target::{header, target};

#[tokio::test]
async fn an_admin_signs_in_to_the_console_and_a_forged_session_is_sent_to_sign_in() {
    let t = target();
    t.emulator_only("the console's development sign-in");
    let home = t.call("GET", "/konsol", &[], None).await;
    assert_eq!(home.status, 303, "{}", home.text);
    assert_eq!(header(&home, "location"), "/konsol/masuk");
    let sign_in = t.call("GET", "/konsol/masuk", &[], None).await;
    assert_eq!(sign_in.status, 200, "{}", sign_in.text);
    assert!(
        sign_in.text.contains("Admin verifikasi"),
        "{}",
        sign_in.text
    );

    let form = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("sec-fetch-site", "same-origin"),
    ];
    let url = format!("{}/konsol/masuk", t.api);
    let signed_in = http("POST", &url, &form, Some("peran=admin")).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.text);
    let cookie = header(&signed_in, "set-cookie");
    assert!(
        cookie.starts_with("sesi=")
            && cookie.contains("HttpOnly")
            && cookie.contains("Secure")
            && cookie.contains("SameSite=Lax")
            && cookie.contains("Path=/konsol"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap_or_default().to_string();
    let queue = t
        .call("GET", "/konsol/antrean", &[("cookie", &session)], None)
        .await;
    assert_eq!(queue.status, 200, "{}", queue.text);
    assert!(queue.text.contains("Antrean verifikasi"), "{}", queue.text);
    assert_eq!(header(&queue, "cache-control"), "no-store");

    let forged = t
        .call(
            "GET",
            "/konsol/antrean",
            &[("cookie", "sesi=abc.def.ghi")],
            None,
        )
        .await;
    assert_eq!(forged.status, 303, "{}", forged.text);
    assert_eq!(header(&forged, "location"), "/konsol/masuk?sesi=tidak-sah");
    // Signing out without the form's token does nothing.
    let url = format!("{}/konsol/keluar", t.api);
    let mut headers = form.to_vec();
    headers.push(("cookie", &session));
    let refused = http("POST", &url, &headers, Some("")).await;
    assert_eq!(refused.status, 403, "{}", refused.text);
}

/// The value of each hidden `<input>` of an HTML form, by name.
pub(crate) fn hidden_fields(html: &str) -> Vec<(String, String)> {
    html.split("<input type=\"hidden\" ")
        .skip(1)
        .filter_map(|tag| {
            let attribute = |name: &str| {
                tag.split(&format!("{name}=\""))
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
                    .map(|v| {
                        v.replace("&amp;", "&")
                            .replace("&quot;", "\"")
                            .replace("&#x27;", "'")
                    })
            };
            Some((attribute("name")?, attribute("value")?))
        })
        .collect()
}

/// `name=value` of each cookie a reply sets.
fn cookies_set(reply: &sigap_tests::HttpReply) -> Vec<String> {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_string))
        .collect()
}

/// The template's hosted sign-in, end to end on the emulator's Cognito: the
/// console's app client (code flow only, back only to the console's URL, which the
/// stack tier sets by a second deploy step as ops do), the PKCE challenge it checks,
/// the ID token of the pool with the user's group, and the pool's sign-out.
#[tokio::test]
async fn an_admin_signs_in_through_the_pools_hosted_pages_and_out_of_them() {
    let t = target();
    t.emulator_only("the emulator's hosted sign-in pages");
    let form = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("sec-fetch-site", "same-origin"),
    ];
    let sign_in = t.call("GET", "/konsol/masuk", &[], None).await;
    assert!(
        sign_in.text.contains("Masuk dengan akun petugas"),
        "{}",
        sign_in.text
    );
    let started = http("POST", &format!("{}/konsol/masuk", t.api), &form, Some("")).await;
    assert_eq!(started.status, 303, "{}", started.text);
    let authorize = header(&started, "location");
    assert!(authorize.contains("/oauth2/authorize?"), "{authorize}");
    let attempt = cookies_set(&started).join("; ");
    assert!(attempt.starts_with("masuk="), "{attempt}");

    // The pool's page: its form carries the request; a wrong password stays there.
    let page = http("GET", authorize, &[], None).await;
    assert_eq!(page.status, 200, "{}", page.text);
    let fields = hidden_fields(&page.text);
    assert!(
        fields
            .iter()
            .any(|(k, v)| k == "code_challenge_method" && v == "S256"),
        "{fields:?}"
    );
    let login = format!("{}/login", t.output("Endpoint"));
    let submit = |password: &str| {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&fields)
            .append_pair("username", "admin@stack.sigap.test")
            .append_pair("password", password)
            .finish()
    };
    let wrong = http(
        "POST",
        &login,
        &form[..1],
        Some(&submit("not-the-password")),
    )
    .await;
    assert_eq!(wrong.status, 200, "{}", wrong.text);
    let right = http(
        "POST",
        &login,
        &form[..1],
        Some(&submit(&t.staff_password())),
    )
    .await;
    assert_eq!(right.status, 302, "{}", right.text);
    let back = header(&right, "location");
    assert!(
        back.starts_with(&format!("{}/konsol/kembali?code=", t.api)),
        "{back}"
    );

    // Back at the console: the code traded with the verifier, the session set.
    let signed_in = http("GET", back, &[("cookie", &attempt)], None).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.text);
    assert_eq!(header(&signed_in, "location"), "/konsol");
    let session = cookies_set(&signed_in)
        .into_iter()
        .filter(|c| c.starts_with("sesi"))
        .collect::<Vec<_>>()
        .join("; ");
    assert!(
        session.contains("sesi=") && session.contains("sesi_r="),
        "{session}"
    );
    let queue = t
        .call("GET", "/konsol/antrean", &[("cookie", &session)], None)
        .await;
    assert_eq!(queue.status, 200, "{}", queue.text);
    assert!(queue.text.contains("Antrean verifikasi"), "{}", queue.text);
    // The code was the one use it had.
    let again = http("GET", back, &[("cookie", &attempt)], None).await;
    assert_eq!(again.status, 400, "{}", again.text);

    // Sign-out ends the pool's own session too, back to the console's page.
    let csrf = sigap_tests::csrf_of(&queue.text);
    let mut headers = form.to_vec();
    headers.push(("cookie", &session));
    let out = http(
        "POST",
        &format!("{}/konsol/keluar", t.api),
        &headers,
        Some(&format!("csrf={csrf}")),
    )
    .await;
    assert_eq!(out.status, 303, "{}", out.text);
    let logout = header(&out, "location");
    assert!(logout.contains("/logout?client_id="), "{logout}");
    let landed = http("GET", logout, &[], None).await;
    assert!(
        matches!(landed.status, 302 | 303),
        "{} {}",
        landed.status,
        landed.text
    );
    assert_eq!(
        header(&landed, "location"),
        format!("{}/konsol/keluar", t.api)
    );
}
