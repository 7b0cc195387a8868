//! The citizen pages on the deployed stack, through the deployed HTTP API: every page
//! and asset route the template declares answers, with the pages' security headers,
//! and a report filed by a plain form post lands on its receipt with the reporter's
//! cookie.

use sigap_tests::{HttpReply, http};

use crate::target::{header, target};

/// The strict policy and no referrer on every page.
fn assert_page(reply: &HttpReply, what: &str) {
    assert_eq!(reply.status, 200, "{what}: {}", reply.text);
    assert!(
        header(reply, "content-type").starts_with("text/html"),
        "{what}"
    );
    assert_eq!(header(reply, "referrer-policy"), "no-referrer", "{what}");
    let csp = header(reply, "content-security-policy");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{what}: {csp}"
    );
}

#[tokio::test]
async fn the_pages_and_their_assets_are_served_by_the_deployed_api() {
    let t = target();
    let home = t.call("GET", "/", &[], None).await;
    assert_page(&home, "home");
    assert!(home.text.contains("href=\"tel:112\""), "{}", home.text);
    // The stylesheet under its content-hashed name, cacheable for a year.
    let css = home
        .text
        .split("href=\"")
        .map(|rest| rest.split('"').next().unwrap_or_default())
        .find(|path| path.starts_with("/assets/app.") && path.ends_with(".css"))
        .unwrap_or_else(|| panic!("no stylesheet link: {}", home.text))
        .to_string();
    let style = t.call("GET", &css, &[], None).await;
    assert_eq!(style.status, 200, "{}", style.text);
    assert!(header(&style, "content-type").starts_with("text/css"));
    assert_eq!(
        header(&style, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    for path in [
        "/lapor",
        "/lacak",
        "/sekitar",
        "/instansi",
        "/instansi/dsdabm",
    ] {
        assert_page(&t.call("GET", path, &[], None).await, path);
    }
    let english = t.call("GET", "/instansi?lang=en", &[], None).await;
    assert!(english.text.contains("Agency record"), "{}", english.text);
    let missing = t.call("GET", "/instansi/tidak-ada", &[], None).await;
    assert_eq!(missing.status, 404, "{}", missing.text);
    assert!(header(&missing, "content-type").starts_with("text/html"));
}

#[tokio::test]
async fn a_report_filed_by_a_plain_form_lands_on_its_receipt() {
    let t = target();
    t.emulator_only("a report filed through the form");
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            (
                "kunci",
                format!("stackform{}", jiff::Timestamp::now().as_millisecond()).as_str(),
            ),
            ("category", "pju"),
            ("title", "Lampu jalan mati (uji stack, formulir)"),
            (
                "description",
                "Lampu jalan mati sejak minggu lalu, gelap di malam hari.",
            ),
            ("address", "Jl. Riau depan taman"),
        ])
        .finish();
    let url = format!("{}/lapor", t.api);
    let headers = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("sec-fetch-site", "same-origin"),
    ];
    let filed = http("POST", &url, &headers, Some(&form)).await;
    assert_eq!(filed.status, 303, "{}", filed.text);
    let receipt_path = header(&filed, "location").to_string();
    assert!(
        receipt_path.starts_with("/laporan/BDG-") && receipt_path.ends_with("?diterima=1"),
        "{receipt_path}"
    );
    let cookie = header(&filed, "set-cookie");
    assert!(
        cookie.starts_with("pelapor=")
            && cookie.contains("HttpOnly")
            && cookie.contains("Path=/laporan/"),
        "{cookie}"
    );
    let cookie = cookie.split(';').next().unwrap_or_default().to_string();
    let receipt = t
        .call("GET", &receipt_path, &[("cookie", &cookie)], None)
        .await;
    assert_page(&receipt, "receipt");
    let id = receipt_path
        .trim_start_matches("/laporan/")
        .split('?')
        .next()
        .unwrap();
    assert!(receipt.text.contains("Laporan diterima") && receipt.text.contains(id));
    assert_eq!(header(&receipt, "cache-control"), "no-store");
    // The same form sent again is the same report.
    let again = http("POST", &url, &headers, Some(&form)).await;
    assert_eq!(header(&again, "location"), receipt_path);
}
