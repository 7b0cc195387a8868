//! The scheduled SLA sweep on the deployed stack: a report whose verification deadline
//! passed days ago is marked breached by the schedule's own run of `sla-sweep`.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use sigap::adapters::secrets::resolve_secrets;
use sigap::runtime::clock::ManualClock;
use sigap::runtime::config::Settings;
use sigap::runtime::function::{Dependencies, Function, HttpFunction};
use sigap::runtime::ids::OsRandom;
use sigap_tests::{api_request, reply};

use crate::target::{eventually, target};

/// The sweep's schedule is `rate(5 minutes)`, first fired five minutes after the
/// stack created it; this allows for a deploy that took a while and a slow run.
const SWEEP_WAIT: u64 = 7 * 60;

#[tokio::test]
async fn the_scheduled_sweep_marks_a_report_past_its_verification_deadline_as_breached() {
    let t = target();
    t.emulator_only("a report backdated behind the API");
    // A report submitted a week ago can only have been written a week ago: web-intake's
    // own code writes it, with the stack's resolved environment and secrets and a clock
    // set a week back. Everything after that is the deployed stack's.
    let clients = t.clients().await;
    let settings = resolve_secrets(
        Settings::from_map(t.function_environment("WebIntakeFunction")),
        &clients.ssm,
    )
    .await
    .unwrap();
    let week_ago = Timestamp::now() - SignedDuration::from_hours(7 * 24);
    let web_intake = web_intake::WebIntake::build(
        &settings,
        &Dependencies {
            clients,
            clock: Arc::new(ManualClock::new(week_ago)),
            ids: Arc::new(OsRandom),
        },
    )
    .unwrap();
    let body = json!({
        "title": "Sampah menumpuk di Jl. Dipatiukur (uji stack, seminggu lalu)",
        "description": "Tumpukan sampah belum diangkut sejak minggu lalu.",
        "category": "sampah",
        "location": {"lat": -6.889, "lon": 107.616, "kecamatan": "Coblong"},
    })
    .to_string();
    let created = reply(
        web_intake
            .handle(api_request(
                "POST",
                "/reports",
                &[("content-type", "application/json")],
                Some(&body),
            ))
            .await
            .unwrap(),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json["tracking_id"].as_str().unwrap().to_string();

    // The stack's verify triages it; the schedule's sweep finds it overdue. Staff read
    // the audit trail (the public timeline starts at verification).
    let path = format!("/staff/reports/{id}");
    let breaches = |r: &sigap_tests::HttpReply| {
        r.json["timeline"].as_array().map_or(0, |events| {
            events.iter().filter(|e| e["action"] == "breach").count()
        })
    };
    let staff = eventually(
        SWEEP_WAIT,
        || t.staff("ADMIN", "GET", &path, None),
        |r| breaches(r) > 0,
    )
    .await;
    // One breach however many runs saw it, recorded by the sweep on the report as
    // verify left it, with the deadline passed by working days counted from a week ago.
    assert_eq!(
        breaches(&staff),
        1,
        "no breach on {id} within {SWEEP_WAIT} s: {}",
        staff.text
    );
    assert_eq!(
        staff.json["status"], "pending_verification",
        "{}",
        staff.text
    );
    let breach = staff.json["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "breach")
        .unwrap();
    assert!(
        breach["note"]
            .as_str()
            .is_some_and(|n| n.starts_with("melewati batas verifikasi")),
        "{breach}"
    );
    let deadline = &staff.json["deadlines"][0];
    assert_eq!(deadline["stage"], "verification", "{}", staff.text);
    assert!(
        deadline["working_days_left"]
            .as_i64()
            .is_some_and(|d| d < 0),
        "{}",
        staff.text
    );
}
