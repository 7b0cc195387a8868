//! Backoffice reads and merges, in-process: the supervisor's counts and overdue
//! figure, the admin's queue filters, and merged reporters following the target.

use std::sync::Arc;

use jiff::SignedDuration;
use serde_json::json;
use sigap::domain::notification::{NotificationKind, NotifyMessage};
use sigap::runtime::clock::{Clock, ManualClock};
use sigap_tests::{TestStack, reply, sent_sms, stack, staff_request, unique_phone};

use crate::notify_worker::notify_app;
use crate::sla_engine::sweep_app;
use crate::web_intake::{
    backoffice_app, friday_morning, submit_and_triage, valid_body, verify_app,
};

/// An admin dispatches report `id` to DSDABM, and its officer publishes `follow_up`.
pub async fn dispatched_and_answered(app: &backoffice::Backoffice, id: &str, follow_up: &str) {
    for (path, groups, body) in [
        (
            "dispatch",
            "admin",
            serde_json::json!({"agencies": ["dsdabm"]}),
        ),
        (
            "follow-up",
            "agency:dsdabm",
            serde_json::json!({"text": follow_up}),
        ),
    ] {
        let r = as_staff(
            app,
            "POST",
            &format!("/staff/reports/{id}/{path}"),
            &[groups],
            Some(body),
        )
        .await;
        assert_eq!(r.status, 200, "{path}: {}", r.json);
    }
}

pub async fn as_staff(
    app: &backoffice::Backoffice,
    method: &str,
    path: &str,
    groups: &[&str],
    body: Option<serde_json::Value>,
) -> sigap_tests::HttpReply {
    let body = body.map(|b| b.to_string());
    reply(
        backoffice::handle(
            app,
            staff_request(method, path, "u-1", groups, body.as_deref()),
        )
        .await
        .unwrap(),
    )
}

#[tokio::test]
async fn the_supervisor_counts_every_open_state_and_what_is_overdue() {
    let t = stack("office-summary").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let app = backoffice_app(&t, clock.clone());
    let a = submit_and_triage(&t, clock.clone(), valid_body()).await;
    let mut second = valid_body();
    second["title"] = json!("Sampah menumpuk di pasar");
    second["category"] = json!("sampah");
    let b = submit_and_triage(&t, clock.clone(), second).await;
    let counts = |r: &sigap_tests::HttpReply, s: &str| r.json["by_status"][s].as_u64().unwrap();

    let before = as_staff(&app, "GET", "/staff/summary", &["supervisor"], None).await;
    assert_eq!(counts(&before, "pending_verification"), 2);
    assert_eq!(before.json["overdue"], 0);

    as_staff(
        &app,
        "POST",
        &format!("/staff/reports/{a}/dispatch"),
        &["admin"],
        Some(json!({"agencies": ["dsdabm"]})),
    )
    .await;
    let after = as_staff(&app, "GET", "/staff/summary", &["admin"], None).await;
    assert_eq!(
        (
            counts(&after, "pending_verification"),
            counts(&after, "dispatched")
        ),
        (1, 1)
    );
    as_staff(
        &app,
        "POST",
        &format!("/staff/reports/{a}/acknowledge"),
        &["agency:dsdabm"],
        None,
    )
    .await;
    let working = as_staff(&app, "GET", "/staff/summary", &["supervisor"], None).await;
    assert_eq!(
        (
            counts(&working, "dispatched"),
            counts(&working, "in_progress")
        ),
        (0, 1)
    );

    // Eight days later: b's verification deadline (Tuesday) and a's follow-up
    // deadline (next Friday) have both passed; overdue counts them once the sweep
    // has marked them breached.
    clock.advance(SignedDuration::from_hours(24 * 8));
    let unswept = as_staff(&app, "GET", "/staff/summary", &["supervisor"], None).await;
    assert_eq!(unswept.json["overdue"], 0, "{}", unswept.json);
    let swept = sla_sweep::sweep(&sweep_app(&t, clock.clone()))
        .await
        .unwrap();
    assert_eq!(swept.breaches, 2, "{swept:?}");
    let late = as_staff(&app, "GET", "/staff/summary", &["supervisor"], None).await;
    assert_eq!(late.json["overdue"], 2, "{}", late.json);

    // The admin's queue, and its filters.
    let count = |r: &sigap_tests::HttpReply| r.json["reports"].as_array().unwrap().len();
    let queue = as_staff(&app, "GET", "/staff/queue", &["admin"], None).await;
    assert_eq!(count(&queue), 1);
    assert_eq!(queue.json["reports"][0]["tracking_id"], b.as_str());
    assert_eq!(
        count(
            &as_staff(
                &app,
                "GET",
                "/staff/queue?category=sampah",
                &["admin"],
                None
            )
            .await
        ),
        1
    );
    assert_eq!(
        count(&as_staff(&app, "GET", "/staff/queue?category=pju", &["admin"], None).await),
        0
    );
    assert_eq!(
        count(&as_staff(&app, "GET", "/staff/queue?emergency=true", &["admin"], None).await),
        0
    );
    assert_eq!(
        count(
            &as_staff(
                &app,
                "GET",
                "/staff/queue?kecamatan=32.73.02",
                &["admin"],
                None
            )
            .await
        ),
        1
    );
    assert_eq!(
        as_staff(&app, "GET", "/staff/queue?status=closed", &["admin"], None)
            .await
            .status,
        422
    );
}

#[tokio::test]
async fn a_merged_reporter_follows_the_report_it_was_merged_into() {
    let t = stack("office-merge").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let app = backoffice_app(&t, clock.clone());
    let target = submit_and_triage(&t, clock.clone(), valid_body()).await;
    let phone = unique_phone();
    let mut body = valid_body();
    body["title"] = json!("Jalan Dago berlubang lagi");
    body["contact"] = json!({"phone": phone});
    let merged = submit_and_triage(&t, clock.clone(), body).await;

    let r = as_staff(
        &app,
        "POST",
        &format!("/staff/reports/{merged}/merge"),
        &["admin"],
        Some(json!({"into": target})),
    )
    .await;
    assert_eq!(
        (r.status, r.json["status"].as_str()),
        (200, Some("duplicate")),
        "{}",
        r.json
    );
    let bad = as_staff(
        &app,
        "POST",
        &format!("/staff/reports/{target}/merge"),
        &["admin"],
        Some(json!({"into": target})),
    )
    .await;
    assert_eq!(bad.status, 422);

    let notify = notify_app(&t, clock.clone());
    // The merged reporter is told where to look…
    let version = r.json["version"].as_u64().unwrap();
    let told = NotifyMessage {
        report_id: merged.clone(),
        kind: NotificationKind::Archived,
        version,
        note: Some(format!("digabung dengan laporan {target}")),
        staff: Vec::new(),
        due: None,
    };
    notify::deliver(&notify, &told).await.unwrap();
    // …and then hears the target's news.
    let dispatched = as_staff(
        &app,
        "POST",
        &format!("/staff/reports/{target}/dispatch"),
        &["admin"],
        Some(json!({"agencies": ["dsdabm"]})),
    )
    .await;
    let news = NotifyMessage {
        report_id: target.clone(),
        kind: NotificationKind::Dispatched,
        version: dispatched.json["version"].as_u64().unwrap(),
        note: None,
        staff: Vec::new(),
        due: None,
    };
    let delivered = notify::deliver(&notify, &news).await.unwrap();
    assert_eq!(delivered.followers.len(), 1);
    assert_eq!(delivered.followers[0].0, merged);
    assert_eq!(
        notify::deliver(&notify, &news).await.unwrap().followers[0].1,
        notify::Outcome::AlreadySent
    );
    let sms = sent_sms(&phone).await;
    assert_eq!(sms.len(), 2, "{sms:?}");
    assert!(
        sms[0].contains(&merged) && sms[0].contains(&format!("digabung dengan laporan {target}")),
        "{}",
        sms[0]
    );
    assert!(
        sms[1].contains(&target) && sms[1].contains("diteruskan"),
        "{}",
        sms[1]
    );
}

#[tokio::test]
async fn an_announcement_survives_a_notify_queue_outage_through_the_outbox() {
    let t = stack("office-outbox").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let id = submit_and_triage(&t, clock.clone(), valid_body()).await;
    // Drain the "received" announcement verify made, to look at the queue cleanly.
    sigap_tests::take_messages(&t.clients, &t.notify_url).await;
    // The backoffice cannot reach the notify queue: the dispatch still stands…
    let broken = backoffice::Backoffice::new(
        &backoffice::Config {
            table_name: t.table.clone(),
            notify_queue_url: format!(
                "{}/123456789012/no-such-queue",
                sigap_tests::moto_endpoint()
            ),
            working_days: sigap::domain::deadline::WorkingDays::default(),
            sender_hash_key: "test-sender-key".into(),
            media_bucket: t.stack.buckets["MediaBucket"].clone(),
            photo_limits: sigap::domain::photo::PhotoLimits::default(),
            console_dev_key: None,
            console_hosted: None,
            map: None,
            paging: None,
            sms_limits: sigap::service::texting::SmsLimits::load(
                &sigap::runtime::config::Settings::from_map(Default::default()),
            )
            .unwrap(),
            intake_queue_url: None,
        },
        &t.clients,
        clock.clone(),
        Arc::new(sigap::runtime::ids::OsRandom),
    )
    .unwrap();
    let r = as_staff(
        &broken,
        "POST",
        &format!("/staff/reports/{id}/dispatch"),
        &["admin"],
        Some(json!({"agencies": ["dsdabm"]})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.json);
    // …and its announcement waits in the outbox, written in the same transaction.
    let outbox = |t: &TestStack| {
        let clients = t.clients.clone();
        let table = t.table.clone();
        let pk = format!("R#{id}");
        async move {
            sigap_tests::items_with_pk_prefix(&clients, &table, &pk)
                .await
                .into_iter()
                .filter(|i| i["SK"].as_s().unwrap().starts_with("O#"))
                .count()
        }
    };
    assert_eq!(outbox(&t).await, 1);
    assert_eq!(
        sigap_tests::visible_messages(&t.clients, &t.notify_url).await,
        0
    );

    // verify's scheduled recovery sends it once it is old enough, and clears it.
    let recovery = verify_app(&t, clock.clone());
    assert_eq!(
        verify::handle(&recovery, json!({"job": "recover-stranded"}))
            .await
            .unwrap()["announced"],
        0
    );
    clock.advance(SignedDuration::from_secs(180));
    assert_eq!(
        verify::handle(&recovery, json!({"job": "recover-stranded"}))
            .await
            .unwrap()["announced"],
        1
    );
    assert_eq!(outbox(&t).await, 0);
    let events: Vec<NotifyMessage> = sigap_tests::take_messages(&t.clients, &t.notify_url)
        .await
        .iter()
        .map(|body| serde_json::from_str(body).unwrap())
        .collect();
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].kind, events[0].staff.clone()),
        (NotificationKind::Dispatched, vec!["dsdabm".to_string()])
    );
}

/// An agency names the officer who works on a report and keeps notes among its own:
/// both through the JSON API's one action sequence, on its own assignment only, the
/// inbox saying who holds what, and neither reaching the public page (a progress
/// note does, masked).
#[tokio::test]
async fn an_agency_assigns_its_officer_and_its_internal_notes_stay_internal() {
    let t = stack("office-assign").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let app = backoffice_app(&t, clock.clone());
    let id = submit_and_triage(&t, clock.clone(), valid_body()).await;
    let act = |action: &'static str, groups: &'static [&'static str], body: serde_json::Value| {
        let path = format!("/staff/reports/{id}/{action}");
        let app = &app;
        async move { as_staff(app, "POST", &path, groups, Some(body)).await }
    };
    let dispatched = act("dispatch", &["admin"], json!({"agencies": ["dsdabm"]})).await;
    assert_eq!(dispatched.status, 200, "{}", dispatched.json);
    // The caller names a colleague by subject; the name comes from the agency's list.
    let budi = json!({"officer": {"subject": "u-budi", "name": "someone else"}});
    // Only the agency holding it names its officer; another agency is not found.
    assert_eq!(act("assign", &["admin"], budi.clone()).await.status, 403);
    assert_eq!(
        act("assign", &["agency:dlh"], budi.clone()).await.status,
        404
    );
    // Budi is not on the agency's list until he signs in to the console: refused,
    // nothing written.
    let unknown = act("assign", &["agency:dsdabm"], budi.clone()).await;
    assert_eq!(unknown.status, 422, "{}", unknown.json);
    assert!(
        unknown.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("tidak ada di daftar petugas"),
        "{}",
        unknown.json
    );
    let roster = sigap::adapters::roster::RosterStore::new(t.clients.dynamodb.clone(), &t.table);
    let officer = |subject: &str, name: &str| sigap::domain::report::Officer {
        subject: subject.into(),
        name: name.into(),
    };
    roster
        .signed_in(
            "dsdabm",
            &officer("u-budi", "budi@dsdabm.bandung.go.id"),
            clock.now(),
        )
        .await
        .unwrap();
    // On another agency's list he is not theirs to be handed anything.
    roster
        .signed_in(
            "dlh",
            &officer("u-sari", "sari@dlh.bandung.go.id"),
            clock.now(),
        )
        .await
        .unwrap();
    let sari = json!({"officer": {"subject": "u-sari", "name": "sari@dlh.bandung.go.id"}});
    assert_eq!(act("assign", &["agency:dsdabm"], sari).await.status, 422);
    let held = act("assign", &["agency:dsdabm"], budi.clone()).await;
    assert_eq!(held.status, 200, "{}", held.json);
    assert_eq!(
        held.json["assignments"][0]["officer"]["name"],
        "budi@dsdabm.bandung.go.id"
    );
    // The same officer twice changes nothing and says so (as a second acknowledgement).
    assert_eq!(
        act("assign", &["agency:dsdabm"], budi.clone()).await.status,
        422
    );
    let inbox = as_staff(&app, "GET", "/staff/inbox", &["agency:dsdabm"], None).await;
    assert_eq!(
        inbox.json["reports"][0]["officer"]["subject"], "u-budi",
        "{}",
        inbox.json
    );

    let internal = act(
        "internal-notes",
        &["agency:dsdabm"],
        json!({"text": "Pelapor sudah tiga kali menelepon kantor"}),
    )
    .await;
    assert_eq!(internal.status, 200, "{}", internal.json);
    let progress = act(
        "notes",
        &["agency:dsdabm"],
        json!({"text": "Tim survei ke lokasi hari Senin"}),
    )
    .await;
    assert_eq!(progress.status, 200, "{}", progress.json);
    let web = crate::web_intake::app_with(&t, clock.clone(), &t.intake_url);
    let public = crate::web_intake::get(&web, &format!("/reports/{id}")).await;
    let shown = public.json.to_string();
    assert!(shown.contains("Tim survei ke lokasi hari Senin"), "{shown}");
    assert!(!shown.contains("tiga kali menelepon"), "{shown}");
    assert!(!shown.contains("budi@"), "{shown}");
    // Staff see both on the timeline.
    let staff_view = as_staff(
        &app,
        "GET",
        &format!("/staff/reports/{id}"),
        &["admin"],
        None,
    )
    .await;
    let timeline = staff_view.json["timeline"].to_string();
    assert!(timeline.contains("tiga kali menelepon"), "{timeline}");
    assert!(timeline.contains("budi@dsdabm.bandung.go.id"), "{timeline}");
    // Released, the report is nobody's again.
    let released = act("assign", &["agency:dsdabm"], json!({"officer": null})).await;
    assert_eq!(released.status, 200, "{}", released.json);
    assert!(released.json["assignments"][0]["officer"].is_null());
}

/// Categories and agencies from the console, without a data file or a seed: a new
/// agency that dispatch accepts at once, a category's tier and questions that a
/// fresh web-intake (another function) serves to citizens and Open311 clients; each
/// save on the version the form showed, so a stale form is refused.
#[tokio::test]
async fn an_admin_adds_an_agency_and_changes_a_category_that_the_other_functions_then_use() {
    let t = stack("console-catalog").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let key = devstack::provision::dev_secret(devstack::provision::LOCAL_PARAMETERS[0].1);
    let app: backoffice::Backoffice = t.app(clock.clone(), &[("CONSOLE_DEV_SIGN_IN_KEY", &key)]);
    let (token, csrf) = sigap_tests::console_session("admin", jiff::Timestamp::now());
    let cookie = format!("sesi={token}");
    let console = |method: &'static str, path: String, form: Option<String>| {
        let (app, cookie) = (&app, cookie.clone());
        async move {
            let request = sigap_tests::console_request(method, &path, &cookie, form.as_deref());
            reply(backoffice::handle(app, request).await.unwrap())
        }
    };
    let form = |pairs: &[(&str, &str)]| {
        Some(
            form_urlencoded::Serializer::new(String::new())
                .append_pair("csrf", &csrf)
                .extend_pairs(pairs)
                .finish(),
        )
    };

    let agency = [
        ("versi", "0"),
        ("kode", "dispora"),
        ("nama", "Dinas Pemuda dan Olahraga"),
        ("jenis", "dinas"),
    ];
    let added = console(
        "POST",
        "/konsol/katalog/instansi/baru".into(),
        form(&agency),
    )
    .await;
    assert_eq!(added.status, 303, "{}", added.text);
    let again = console(
        "POST",
        "/konsol/katalog/instansi/baru".into(),
        form(&agency),
    )
    .await;
    assert_eq!(again.status, 409, "{}", again.text);
    assert!(again.text.contains("sudah dipakai"), "{}", again.text);

    let shown = console("GET", "/konsol/katalog/kategori/pju".into(), None).await;
    assert_eq!(shown.status, 200, "{}", shown.text);
    assert!(
        shown.text.contains("NOMOR_TIANG | string | opsional"),
        "{}",
        shown.text
    );
    let questions = "NOMOR_TIANG | string | opsional | Nomor tiang lampu, bila terlihat |  | Tertulis di tiang\n\
                     JUMLAH | singlevaluelist | wajib | Berapa lampu yang mati? | satu=Satu; banyak=Lebih dari satu";
    let category = |version: &'static str, lines: &'static str| {
        form(&[
            ("versi", version),
            ("nama", "Lampu penerangan jalan mati"),
            ("kelompok", "Infrastruktur"),
            ("instansi", "dispora"),
            ("kata-kunci", "lampu, pju, gelap"),
            ("tindak-lanjut", "3"),
            ("pertanyaan", lines),
        ])
    };
    let wrong = console(
        "POST",
        "/konsol/katalog/kategori/pju".into(),
        category("0", "JUMLAH | singlevaluelist | wajib | Berapa? | satu"),
    )
    .await;
    assert_eq!(wrong.status, 422, "{}", wrong.text);
    assert!(
        wrong.text.contains("Baris 1: setiap pilihan"),
        "{}",
        wrong.text
    );
    let saved = console(
        "POST",
        "/konsol/katalog/kategori/pju".into(),
        category("0", questions),
    )
    .await;
    assert_eq!(saved.status, 303, "{}", saved.text);
    let stale = console(
        "POST",
        "/konsol/katalog/kategori/pju".into(),
        category("0", questions),
    )
    .await;
    assert_eq!(stale.status, 409, "{}", stale.text);
    let list = console("GET", "/konsol/katalog".into(), None).await;
    assert!(
        list.text.contains("Lampu penerangan jalan mati"),
        "{}",
        list.text
    );
    assert!(list.text.contains("Dinas Pemuda dan Olahraga"));

    // Another function, started afresh, serves the new question and tier.
    let web = crate::web_intake::app_with(&t, clock.clone(), &t.intake_url);
    let service = crate::web_intake::get(&web, "/open311/v2/services/pju.json").await;
    assert_eq!(service.status, 200, "{}", service.json);
    assert!(
        service.json.to_string().contains("Berapa lampu yang mati?"),
        "{}",
        service.json
    );
    // Dispatch takes the new agency.
    let id = submit_and_triage(&t, clock.clone(), valid_body()).await;
    let dispatched = as_staff(
        &app,
        "POST",
        &format!("/staff/reports/{id}/dispatch"),
        &["admin"],
        Some(json!({"agencies": ["dispora"]})),
    )
    .await;
    assert_eq!(dispatched.status, 200, "{}", dispatched.json);
}

/// Responders' SMS numbers from the console (before, only `make responder`): the
/// number registered for a unit is the one sms-intake's acks look up, moving it to
/// another unit leaves one line, forgetting it ends its acks; the list never holds
/// the number itself.
#[tokio::test]
async fn an_admin_registers_moves_and_forgets_a_responders_number() {
    use sigap::adapters::incidents::IncidentStore;
    let t = stack("console-responders").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let key = devstack::provision::dev_secret(devstack::provision::LOCAL_PARAMETERS[0].1);
    let app: backoffice::Backoffice = t.app(clock.clone(), &[("CONSOLE_DEV_SIGN_IN_KEY", &key)]);
    let (token, csrf) = sigap_tests::console_session("admin", jiff::Timestamp::now());
    let cookie = format!("sesi={token}");
    let post = |path: String, pairs: Vec<(&'static str, String)>| {
        let (app, cookie, csrf) = (&app, cookie.clone(), csrf.clone());
        async move {
            let body = form_urlencoded::Serializer::new(String::new())
                .append_pair("csrf", &csrf)
                .extend_pairs(&pairs)
                .finish();
            let request = sigap_tests::console_request("POST", &path, &cookie, Some(&body));
            reply(backoffice::handle(app, request).await.unwrap())
        }
    };
    let phone = unique_phone();
    let e164 = sigap::domain::contact::PhoneNumber::parse(&phone).unwrap();
    let hash = sigap::domain::contact::SenderKey::new("test-sender-key")
        .unwrap()
        .phone(&e164);
    let store = IncidentStore::new(t.clients.dynamodb.clone(), &t.table);
    let register = |unit: &'static str| {
        post(
            "/konsol/responder".into(),
            vec![("nomor", phone.clone()), ("unit", unit.to_string())],
        )
    };

    let bad = register("damkar karees!").await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert_eq!(store.responder_unit(&hash).await.unwrap(), None);
    let first = register("damkar-karees").await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert!(
        first.text.contains("terdaftar untuk unit damkar-karees"),
        "{}",
        first.text
    );
    assert!(
        !first.text.contains(&e164.as_e164()[3..]),
        "the number never shows whole"
    );
    assert_eq!(
        store.responder_unit(&hash).await.unwrap().as_deref(),
        Some("damkar-karees")
    );
    let moved = register("polsek-coblong").await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    let lines = store.responders().await.unwrap();
    assert_eq!(
        lines
            .iter()
            .filter(|r| r.hash == hash)
            .map(|r| r.unit.as_str())
            .collect::<Vec<_>>(),
        vec!["polsek-coblong"]
    );
    assert_eq!(
        lines.iter().find(|r| r.hash == hash).unwrap().masked,
        e164.masked()
    );

    let forgotten = post(format!("/konsol/responder/{hash}/hapus"), vec![]).await;
    assert_eq!(forgotten.status, 303, "{}", forgotten.text);
    assert_eq!(store.responder_unit(&hash).await.unwrap(), None);
    assert!(
        store
            .responders()
            .await
            .unwrap()
            .iter()
            .all(|r| r.hash != hash)
    );
    let again = post(format!("/konsol/responder/{hash}/hapus"), vec![]).await;
    assert_eq!(again.status, 404, "{}", again.text);
}

/// The agencies' lists of officers: a later sign-in renews an entry, an earlier one
/// (a retried request) leaves it, and someone not seen for 90 days is off the list
/// before TTL has removed the item.
#[tokio::test]
async fn an_agency_list_keeps_each_officers_latest_sign_in_for_ninety_days() {
    use sigap::adapters::roster::{ROSTER_KEEP, RosterStore};
    use sigap::domain::report::Officer;
    let t = stack("office-roster").await;
    let roster = RosterStore::new(t.clients.dynamodb.clone(), &t.table);
    let monday = friday_morning() + SignedDuration::from_hours(72);
    let budi = |name: &str| Officer {
        subject: "u-budi".into(),
        name: name.into(),
    };
    roster
        .signed_in("dsdabm", &budi("budi@new"), monday)
        .await
        .unwrap();
    roster
        .signed_in("dsdabm", &budi("budi@old"), friday_morning())
        .await
        .unwrap();
    let ani = Officer {
        subject: "u-ani".into(),
        name: "ani@dsdabm".into(),
    };
    roster
        .signed_in("dsdabm", &ani, friday_morning())
        .await
        .unwrap();
    let listed = roster.officers("dsdabm", monday).await.unwrap();
    let names: Vec<_> = listed.iter().map(|e| e.officer.name.as_str()).collect();
    assert_eq!(names, ["ani@dsdabm", "budi@new"]);
    assert_eq!(listed[1].last_seen, monday);
    assert!(roster.officers("dlh", monday).await.unwrap().is_empty());
    // Ninety days after Ani's last sign-in she is off the list; Budi, seen later, not.
    let later = friday_morning() + ROSTER_KEEP;
    let names: Vec<_> = roster
        .officers("dsdabm", later)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.officer.name)
        .collect();
    assert_eq!(names, ["budi@new"]);
    assert_eq!(
        roster.officer("dsdabm", "u-ani", later).await.unwrap(),
        None
    );
    assert_eq!(
        roster.officer("dsdabm", "u-budi", later).await.unwrap(),
        Some(budi("budi@new"))
    );
}

/// The command centre's board asks for its list every few seconds: the same list is a
/// bodiless 304 for the ETag the board holds, and a press changes it; an agency's
/// officer gets no list at all.
#[tokio::test]
async fn the_boards_list_is_not_sent_again_until_an_incident_changes_it() {
    use crate::panic_paging::{fast_stack, panic_app, press, registered};
    let t = fast_stack("console-board").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let key = devstack::provision::dev_secret(devstack::provision::LOCAL_PARAMETERS[0].1);
    let app: backoffice::Backoffice = t.app(clock.clone(), &[("CONSOLE_DEV_SIGN_IN_KEY", &key)]);
    let list = |group: &'static str, etag: Option<String>| {
        let app = &app;
        async move {
            let (token, _) = sigap_tests::console_session(group, jiff::Timestamp::now());
            let cookie = format!("sesi={token}");
            let mut headers = vec![("cookie", cookie.as_str())];
            if let Some(etag) = etag.as_deref() {
                headers.push(("if-none-match", etag));
            }
            let request =
                sigap_tests::api_request("GET", "/konsol/pusat?bagian=daftar", &headers, None);
            let answer = reply(backoffice::handle(app, request).await.unwrap());
            let etag = answer
                .headers
                .get("etag")
                .map(|v| v.to_str().unwrap().to_string());
            (answer.status, etag, answer.text)
        }
    };
    let (status, etag, body) = list("operator", None).await;
    assert_eq!(status, 200);
    assert!(body.contains("Tidak ada kejadian terbuka."), "{body}");
    let (status, again, body) = list("operator", etag.clone()).await;
    assert_eq!((status, body.as_str()), (304, ""));
    assert_eq!(again, etag);

    let panic = panic_app(&t, clock.clone());
    let device = registered(&panic, &clock, "081100009999").await;
    let pressed = press(&panic, &clock, &device, json!({"kind": "fire"})).await;
    assert_eq!(pressed.status, 201, "{}", pressed.json);
    let incident = pressed.json["incident_id"].as_str().unwrap().to_string();
    let (status, changed, body) = list("responder:polsek-coblong", etag.clone()).await;
    assert_eq!(status, 200);
    assert_ne!(changed, etag);
    assert!(body.contains(&incident), "{body}");
    assert!(body.contains("KEBAKARAN"), "{body}");
    assert!(body.contains("Lokasi belum ada"), "{body}");
    // Minutes on, the same incidents are the same list: the board's counting of
    // "how long ago" is its own, so polls stay 304.
    clock.advance(SignedDuration::from_secs(150));
    let (status, _, body) = list("operator", changed.clone()).await;
    assert_eq!((status, body.as_str()), (304, ""));
    let (status, _, _) = list("agency:dsdabm", None).await;
    assert_eq!(status, 403);

    // The incident's own page: its timeline for everyone on the board, the number
    // to call back (the device's registered phone) for operators only.
    let incident_page = |group: &'static str| {
        let (app, path) = (&app, format!("/konsol/pusat/{incident}"));
        async move {
            let (token, _) = sigap_tests::console_session(group, jiff::Timestamp::now());
            let cookie = format!("sesi={token}");
            let request = sigap_tests::console_request("GET", &path, &cookie, None);
            reply(backoffice::handle(app, request).await.unwrap())
        }
    };
    let operator = incident_page("operator").await;
    assert_eq!(operator.status, 200);
    assert!(
        operator.text.contains("Panggilan terkirim"),
        "{}",
        operator.text
    );
    assert!(
        operator.text.contains("href=\"tel:+62"),
        "{}",
        operator.text
    );
    let responder = incident_page("responder:polsek-coblong").await;
    assert_eq!(responder.status, 200);
    assert!(responder.text.contains("Panggilan terkirim"));
    assert!(!responder.text.contains("tel:"), "{}", responder.text);
    assert!(!responder.text.contains("Telepon balik"));
}
