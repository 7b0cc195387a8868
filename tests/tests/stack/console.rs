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
