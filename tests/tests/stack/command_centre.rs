//! The command centre on the deployed stack (emulator only: the console's development
//! sign-in, and SMS read back from the emulator's record). What the template must
//! grant for it: `backoffice` pages (an operator's call recorded on the board's form)
//! and texts a caller's location link; `panic` serves the link's page and moves the
//! incident; `sms-intake` takes a press by SMS from a registered device's number.

use serde_json::json;
use sigap_tests::{HttpReply, http};

use crate::console::hidden_fields;
use crate::target::{eventually, fresh_phone, header, target};

/// A console session for the development sign-in's `role`: its cookie.
async fn console_session(role: &str) -> String {
    let t = target();
    let url = format!("{}/konsol/masuk", t.api);
    let signed_in = http("POST", &url, &FORM, Some(&format!("peran={role}"))).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.text);
    header(&signed_in, "set-cookie")
        .split(';')
        .next()
        .unwrap_or_default()
        .to_string()
}

/// A form posted as the console's pages post it.
const FORM: [(&str, &str); 2] = [
    ("content-type", "application/x-www-form-urlencoded"),
    ("sec-fetch-site", "same-origin"),
];

async fn post_form(session: &str, path: &str, body: &str) -> HttpReply {
    let t = target();
    let mut headers = FORM.to_vec();
    headers.push(("cookie", session));
    http("POST", &format!("{}{path}", t.api), &headers, Some(body)).await
}

/// The first value of hidden field `name` on a page.
fn hidden(page: &str, name: &str) -> String {
    hidden_fields(page)
        .into_iter()
        .find(|(field, _)| field == name)
        .map(|(_, value)| value)
        .unwrap_or_else(|| panic!("no hidden {name} in {page}"))
}

/// Each line of an incident's timeline in a staff API answer: `what detail`.
fn lines(shown: &HttpReply) -> Vec<String> {
    shown.json["timeline"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|e| {
                    format!(
                        "{} {}",
                        e["what"].as_str().unwrap_or(""),
                        e["detail"].as_str().unwrap_or("")
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Incident `id`'s timeline once its tier 0 page is on it (up to 30 s).
async fn paged(id: &str) -> Vec<String> {
    let t = target();
    let path = format!("/staff/incidents/{id}");
    let shown = eventually(
        30,
        || t.staff("OPERATOR", "GET", &path, None),
        |reply| lines(reply).iter().any(|l| l.starts_with("page page#0")),
    )
    .await;
    let lines = lines(&shown);
    assert!(
        lines.iter().any(|l| l.starts_with("page page#0")),
        "never paged: {lines:?}"
    );
    lines
}

#[tokio::test]
async fn an_operator_records_a_call_on_the_board_and_the_callers_link_moves_it() {
    let t = target();
    t.emulator_only("the console's development sign-in");
    let session = console_session("operator").await;
    let form = t
        .call(
            "GET",
            "/konsol/pusat/panggilan",
            &[("cookie", &session)],
            None,
        )
        .await;
    assert_eq!(form.status, 200, "{}", form.text);
    let (caller, e164) = fresh_phone();
    let body = format!(
        "csrf={}&kunci={}&penelepon={caller}&jenis=fire&keterangan=uji+stack&alamat=Pasar+Kosambi&lintang=-6.9201&bujur=107.6300",
        hidden(&form.text, "csrf"),
        hidden(&form.text, "kunci"),
    );
    let recorded = post_form(&session, "/konsol/pusat/panggilan", &body).await;
    assert_eq!(recorded.status, 303, "{}", recorded.text);
    let to = header(&recorded, "location");
    let id = to
        .trim_start_matches("/konsol/pusat/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    assert!(id.starts_with("INC-"), "{to}");
    // backoffice paged tier 0 itself: the panic topic took the publish.
    let paged = paged(&id).await;
    assert!(
        paged.iter().any(|l| l == "opened panggilan 112"),
        "{paged:?}"
    );

    // The location link: texted by backoffice, served and spent by panic.
    let page = t
        .call(
            "GET",
            &format!("/konsol/pusat/{id}"),
            &[("cookie", &session)],
            None,
        )
        .await;
    assert!(page.text.contains("Kirim tautan lokasi"), "{}", page.text);
    let sent = post_form(
        &session,
        &format!("/konsol/pusat/{id}/tautan-lokasi"),
        &format!("csrf={}", hidden(&page.text, "csrf")),
    )
    .await;
    assert_eq!(sent.status, 303, "{}", sent.text);
    let texts = t.wait_for_text(&e164, "/l/", 30).await;
    let text = texts.iter().find(|t| t.contains("/l/")).unwrap();
    assert!(!text.contains(&id), "the SMS names no incident: {text}");
    let token = text
        .split("/l/")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap();
    let link = format!("/l/{token}");
    let opened = t.call("GET", &link, &[], None).await;
    assert_eq!(opened.status, 200, "{}", opened.text);
    assert!(opened.text.contains("Kirim lokasi Anda"), "{}", opened.text);
    let position = json!({ "lat": -6.9147, "lon": 107.6098, "accuracy_m": 20.0 });
    let moved = t.call("POST", &link, &[], Some(&position)).await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    let again = t.call("POST", &link, &[], Some(&position)).await;
    assert_eq!(again.status, 410, "{}", again.text);
    let shown = t
        .staff("OPERATOR", "GET", &format!("/staff/incidents/{id}"), None)
        .await;
    assert_eq!(shown.json["location"]["lat"], -6.9147, "{}", shown.text);
}

#[tokio::test]
async fn a_registered_devices_number_presses_by_sms_and_another_number_is_told_how_to_register() {
    let t = target();
    t.emulator_only("a press by SMS");
    let (phone, e164) = fresh_phone();
    let registered = t
        .call(
            "POST",
            "/panic/devices",
            &[],
            Some(&json!({ "phone": phone })),
        )
        .await;
    assert_eq!(registered.status, 201, "{}", registered.text);
    let device = registered.json["device_id"].as_str().unwrap().to_string();
    let texts = t.wait_for_text(&e164, "SIGAP", 30).await;
    let code: String = texts[0]
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap()
        .to_string();
    let verified = t
        .call(
            "POST",
            &format!("/panic/devices/{device}/verify"),
            &[],
            Some(&json!({ "code": code })),
        )
        .await;
    assert_eq!(verified.status, 200, "{}", verified.text);

    let pressed = t
        .gateway_sms(&format!("stack-panic-{device}-1"), &phone, "DARURAT medis")
        .await;
    assert_eq!(pressed.status, 200, "{}", pressed.text);
    t.wait_for_text(&e164, "permintaan darurat diterima", 30)
        .await;
    let open = t.staff("OPERATOR", "GET", "/staff/incidents", None).await;
    let incident = open.json["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["source"]["device"] == device.as_str())
        .unwrap_or_else(|| panic!("no incident for the device: {}", open.text))
        .clone();
    assert_eq!(incident["kind"], "medical");
    let id = incident["id"].as_str().unwrap();
    let lines = paged(id).await;
    assert!(lines[0].ends_with("lewat SMS"), "{lines:?}");

    let (stranger, stranger_e164) = fresh_phone();
    let asked = t
        .gateway_sms(&format!("stack-panic-{stranger}"), &stranger, "DARURAT")
        .await;
    assert_eq!(asked.status, 200, "{}", asked.text);
    t.wait_for_text(&stranger_e164, "belum terdaftar di Tombol Darurat", 30)
        .await;
}
