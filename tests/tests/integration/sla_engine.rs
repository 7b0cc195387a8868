//! The SLA engine against moto: the sweep reads the due queue, records reminders,
//! breaches, repeat escalations and auto-close with conditional writes, and `notify`
//! tells the owners and the supervisors, each exactly once.

use std::sync::Arc;

use sigap::runtime::clock::Clock;
use sigap_tests::TestStack;

/// `sla-sweep` over the test's stack, with `clock`.
pub fn sweep_app(t: &TestStack, clock: Arc<dyn Clock>) -> sla_sweep::SlaSweep {
    t.app(clock, &[])
}

use jiff::Timestamp;
use jiff::civil::date;
use serde_json::json;
use sigap::adapters::reports::ReportStore;
use sigap::domain::calendar::wib;
use sigap::domain::notification::{NotificationKind, NotifyMessage};
use sigap::domain::report::{ReportAction, ReportEvent};
use sigap::domain::tracking_id::TrackingId;
use sigap::runtime::clock::ManualClock;
use sigap_tests::{drain, items_with_pk_prefix, reply, sent_sms, stack, subscriber, unique_phone};

use crate::backoffice_views::as_staff;
use crate::notify_worker::notify_app;
use crate::web_intake::{backoffice_app, friday_morning, get, submit_and_triage, valid_body};

/// `hour:minute` WIB on a 2026 date.
fn wib_at(month: i8, day: i8, hour: i8, minute: i8) -> Timestamp {
    date(2026, month, day)
        .at(hour, minute, 0, 0)
        .to_zoned(wib())
        .unwrap()
        .timestamp()
}

/// Moves `clock` forward to `to`.
fn move_to(clock: &ManualClock, to: Timestamp) {
    clock.advance(to.duration_since(clock.now()));
}

async fn events(t: &TestStack, id: &str) -> Vec<ReportEvent> {
    ReportStore::new(t.clients.dynamodb.clone(), &t.table)
        .timeline_page(&TrackingId::parse(id).unwrap(), None, 1000)
        .await
        .unwrap()
        .events
}

fn count(events: &[ReportEvent], action: ReportAction) -> usize {
    events.iter().filter(|e| e.action == Some(action)).count()
}

/// The admin dispatches report `id` to `agency`.
async fn dispatch(office: &backoffice::Backoffice, id: &str, agency: &str) {
    let dispatched = as_staff(
        office,
        "POST",
        &format!("/staff/reports/{id}/dispatch"),
        &["admin"],
        Some(json!({ "agencies": [agency] })),
    )
    .await;
    assert_eq!(dispatched.status, 200, "{}", dispatched.json);
}

/// Takes every announcement on the notify queue.
async fn announcements(t: &TestStack) -> Vec<NotifyMessage> {
    drain(&t.clients, &t.notify_url)
        .await
        .iter()
        .map(|body| serde_json::from_str(body).unwrap())
        .collect()
}

#[tokio::test]
async fn reminder_breach_and_daily_escalation_each_happen_exactly_once() {
    let t = stack("sla-verify").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let sweep = sweep_app(&t, clock.clone());
    let notify = notify_app(&t, clock.clone());
    let alerts = subscriber(&t.clients, &t.sla_alerts_topic_arn, None).await;
    let staff = subscriber(&t.clients, &t.staff_topic_arn, None).await;
    let id = submit_and_triage(&t, clock.clone(), valid_body()).await;
    announcements(&t).await; // the receipt

    // Friday: nothing is due; the sweep reads nothing.
    let quiet = sla_sweep::sweep(&sweep).await.unwrap();
    assert_eq!((quiet.due, quiet.items_read), (0, 0), "{quiet:?}");

    // Monday 08:10 WIB: one working day left. Two runs, one reminder.
    move_to(&clock, wib_at(11, 23, 8, 10));
    let first = sla_sweep::sweep(&sweep).await.unwrap();
    let again = sla_sweep::sweep(&sweep).await.unwrap();
    assert_eq!((first.reminders, again.reminders, again.due), (1, 0, 0));
    let told = announcements(&t).await;
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].kind, NotificationKind::Reminder);
    assert_eq!(told[0].staff, vec!["admin".to_string()]);
    assert!(
        told[0]
            .note
            .as_deref()
            .unwrap()
            .starts_with("pengingat: batas verifikasi 24/11/2026, sisa 1 hari kerja")
    );
    notify::deliver(&notify, &told[0]).await.unwrap();
    notify::deliver(&notify, &told[0]).await.unwrap(); // a redelivery
    let to_admins = drain(&t.clients, &staff).await;
    assert_eq!(to_admins.len(), 1, "{to_admins:?}");
    assert!(to_admins[0].contains(&id) && to_admins[0].contains("pengingat"));

    // Wednesday 00:05: Tuesday's deadline has passed. Breach, marked and escalated.
    move_to(&clock, wib_at(11, 25, 0, 5));
    let breached = sla_sweep::sweep(&sweep).await.unwrap();
    assert_eq!((breached.breaches, breached.reminders), (1, 0));
    let view = as_staff(
        &backoffice_app(&t, clock.clone()),
        "GET",
        "/staff/summary",
        &["supervisor"],
        None,
    )
    .await;
    assert_eq!(view.json["overdue"], 1);
    let told = announcements(&t).await;
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].kind, NotificationKind::Breached);
    assert_eq!(
        told[0].staff,
        vec!["admin".to_string(), "supervisor".into()]
    );
    let delivered = notify::deliver(&notify, &told[0]).await.unwrap();
    assert_eq!(delivered.staff.len(), 2);
    notify::deliver(&notify, &told[0]).await.unwrap();
    let to_supervisors = drain(&t.clients, &alerts).await;
    assert_eq!(to_supervisors.len(), 1, "{to_supervisors:?}");
    assert!(to_supervisors[0].contains("melewati batas verifikasi 24/11/2026"));
    assert_eq!(drain(&t.clients, &staff).await.len(), 1);

    // Later on Wednesday nothing more; Thursday 08:10 the first repeat, once.
    move_to(&clock, wib_at(11, 25, 16, 0));
    assert_eq!(sla_sweep::sweep(&sweep).await.unwrap().escalations, 0);
    move_to(&clock, wib_at(11, 26, 8, 10));
    assert_eq!(sla_sweep::sweep(&sweep).await.unwrap().escalations, 1);
    assert_eq!(sla_sweep::sweep(&sweep).await.unwrap().escalations, 0);
    // Over the weekend nothing; Monday 08:10 the next.
    move_to(&clock, wib_at(11, 29, 12, 0));
    assert_eq!(sla_sweep::sweep(&sweep).await.unwrap().escalations, 1); // Friday's
    move_to(&clock, wib_at(11, 29, 20, 0));
    assert_eq!(sla_sweep::sweep(&sweep).await.unwrap().escalations, 0);
    let told = announcements(&t).await;
    assert_eq!(
        told.iter().map(|m| m.kind).collect::<Vec<_>>(),
        vec![NotificationKind::Escalated, NotificationKind::Escalated]
    );
    assert!(told[1].note.as_deref().unwrap().contains("(3 hari kerja)"));

    let trail = events(&t, &id).await;
    assert_eq!(
        (
            count(&trail, ReportAction::Remind),
            count(&trail, ReportAction::Breach),
            count(&trail, ReportAction::Escalate)
        ),
        (1, 1, 2)
    );
    assert!(
        trail
            .iter()
            .filter(|e| e.action == Some(ReportAction::Breach))
            .all(|e| e.actor == "system:sla-sweep")
    );

    // Dispatching stops the verification clock: the report leaves the breached
    // partition and the follow-up clock starts clean.
    let office = backoffice_app(&t, clock.clone());
    dispatch(&office, &id, "dsdabm").await;
    let summary = as_staff(&office, "GET", "/staff/summary", &["supervisor"], None).await;
    assert_eq!(summary.json["overdue"], 0);
    assert_eq!(sla_sweep::sweep(&sweep).await.unwrap().due, 0);
}

#[tokio::test]
async fn two_overlapping_sweeps_record_and_announce_each_step_once() {
    let t = stack("sla-overlap").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let mut ids = Vec::new();
    for n in 0..5 {
        let mut body = valid_body();
        body["title"] = json!(format!("Jalan berlubang nomor {n}"));
        ids.push(submit_and_triage(&t, clock.clone(), body).await);
    }
    announcements(&t).await;
    move_to(&clock, wib_at(11, 23, 8, 10));
    let store = ReportStore::new(t.clients.dynamodb.clone(), &t.table);

    // Run B read every report, then run A did all the work before B wrote anything.
    let mut read_by_b = Vec::new();
    for id in &ids {
        read_by_b.push(
            store
                .get(&TrackingId::parse(id).unwrap())
                .await
                .unwrap()
                .unwrap(),
        );
    }
    let a = sla_sweep::sweep(&sweep_app(&t, clock.clone()))
        .await
        .unwrap();
    let b = sla_sweep::act_on(&sweep_app(&t, clock.clone()), read_by_b)
        .await
        .unwrap();
    assert_eq!(a.reminders, 5, "{a:?}");
    assert_eq!((b.reminders, b.lost_races, b.failed), (0, 5, 0), "{b:?}");
    assert_eq!(announcements(&t).await.len(), 5);

    // And two runs started together (whichever wins each report).
    move_to(&clock, wib_at(11, 25, 0, 5));
    let (first, second) = (sweep_app(&t, clock.clone()), sweep_app(&t, clock.clone()));
    let (one, two) = tokio::join!(sla_sweep::sweep(&first), sla_sweep::sweep(&second));
    let (one, two) = (one.unwrap(), two.unwrap());
    assert!(one.breaches + two.breaches >= 5, "{one:?} {two:?}");
    assert_eq!(one.failed + two.failed, 0);
    let notify = notify_app(&t, clock.clone());
    for message in announcements(&t).await {
        notify::deliver(&notify, &message).await.unwrap();
    }
    for id in &ids {
        let trail = events(&t, id).await;
        assert_eq!(count(&trail, ReportAction::Remind), 1, "{id}");
        assert_eq!(count(&trail, ReportAction::Breach), 1, "{id}");
        // One delivery to the admins and one to the supervisors per breach.
        let deliveries: Vec<_> = items_with_pk_prefix(&t.clients, &t.table, &format!("R#{id}"))
            .await
            .into_iter()
            .filter_map(|i| i["SK"].as_s().ok().cloned())
            .filter(|sk| sk.starts_with("D#breached#"))
            .collect();
        assert_eq!(deliveries.len(), 2, "{id}: {deliveries:?}");
    }
}

#[tokio::test]
async fn a_quiet_citizen_gets_the_report_closed_after_ten_working_days() {
    let t = stack("sla-close").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let phone = unique_phone();
    let mut body = valid_body();
    body["contact"] = json!({"phone": phone});
    let id = submit_and_triage(&t, clock.clone(), body).await;
    let office = backoffice_app(&t, clock.clone());
    for (path, groups, body) in [
        ("dispatch", "admin", Some(json!({"agencies": ["dsdabm"]}))),
        (
            "follow-up",
            "agency:dsdabm",
            Some(json!({"text": "Lubang sudah ditambal."})),
        ),
    ] {
        let r = as_staff(
            &office,
            "POST",
            &format!("/staff/reports/{id}/{path}"),
            &[groups],
            body,
        )
        .await;
        assert_eq!(r.status, 200, "{path}: {}", r.json);
    }
    announcements(&t).await;
    let sweep = sweep_app(&t, clock.clone());
    // Published Friday 20 November: ten working days run to Friday 4 December.
    move_to(&clock, wib_at(12, 4, 23, 0));
    assert_eq!(sla_sweep::sweep(&sweep).await.unwrap().auto_closed, 0);
    move_to(&clock, wib_at(12, 5, 0, 5));
    let run = sla_sweep::sweep(&sweep).await.unwrap();
    assert_eq!((run.auto_closed, run.reminders), (1, 0), "{run:?}");
    assert_eq!(sla_sweep::sweep(&sweep).await.unwrap().due, 0);
    let told = announcements(&t).await;
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].kind, NotificationKind::AutoClosed);
    notify::deliver(&notify_app(&t, clock.clone()), &told[0])
        .await
        .unwrap();
    let sms = sent_sms(&phone).await;
    assert!(sms.last().unwrap().contains("ditutup otomatis"), "{sms:?}");
    let shown = reply(
        web_intake::handle(
            &crate::web_intake::app_with(&t, clock.clone(), &t.intake_url),
            sigap_tests::api_request("GET", &format!("/reports/{id}"), &[], None),
        )
        .await
        .unwrap(),
    );
    assert_eq!(shown.json["status"], "closed");
    assert_eq!(count(&events(&t, &id).await, ReportAction::AutoClose), 1);
}

#[tokio::test]
async fn a_dispute_reopens_with_a_fresh_clock_and_a_tunda_pauses_the_sweep() {
    let t = stack("sla-reopen").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let web = crate::web_intake::app_with(&t, clock.clone(), &t.intake_url);
    let created = crate::web_intake::post(&web, &valid_body().to_string(), &[]).await;
    let id = created.json["tracking_id"].as_str().unwrap().to_string();
    let token = created.json["reporter_token"].as_str().unwrap().to_string();
    verify::triage(
        &crate::web_intake::verify_app(&t, clock.clone()),
        &TrackingId::parse(&id).unwrap(),
    )
    .await
    .unwrap();
    let office = backoffice_app(&t, clock.clone());
    let sweep = sweep_app(&t, clock.clone());
    let citizen = |path: &str, body: serde_json::Value| {
        sigap_tests::api_request(
            "POST",
            &format!("/reports/{id}/{path}"),
            &[
                ("x-reporter-token", token.as_str()),
                ("content-type", "application/json"),
            ],
            Some(&body.to_string()),
        )
    };

    // Tunda on Friday: however long the citizen takes, the sweep has nothing to do.
    let asked = as_staff(
        &office,
        "POST",
        &format!("/staff/reports/{id}/request-info"),
        &["admin"],
        Some(json!({"question": "Di RT berapa?"})),
    )
    .await;
    assert_eq!(asked.status, 200, "{}", asked.json);
    move_to(&clock, wib_at(12, 2, 10, 0));
    let paused = sla_sweep::sweep(&sweep).await.unwrap();
    assert_eq!((paused.due, paused.breaches), (0, 0));
    // The answer on Wednesday 2 December resumes the two days left: due Friday 4th,
    // reminder Thursday 08:00.
    let answered = reply(
        web_intake::handle(&web, citizen("info", json!({"text": "RT 05"})))
            .await
            .unwrap(),
    );
    assert_eq!(answered.status, 200, "{}", answered.json);
    move_to(&clock, wib_at(12, 3, 8, 10));
    assert_eq!(sla_sweep::sweep(&sweep).await.unwrap().reminders, 1);

    // Dispatched Thursday 3rd, follow-up due Thursday 10th. No run between the
    // reminder time and the deadline: the moot reminder is skipped for the breach.
    dispatch(&office, &id, "dsdabm").await;
    move_to(&clock, wib_at(12, 11, 0, 5));
    let late = sla_sweep::sweep(&sweep).await.unwrap();
    assert_eq!((late.reminders, late.breaches), (0, 1), "{late:?}");
    // The agency answers late; the citizen disputes: a new five-day clock, clean.
    as_staff(
        &office,
        "POST",
        &format!("/staff/reports/{id}/follow-up"),
        &["agency:dsdabm"],
        Some(json!({"text": "Sudah diperbaiki."})),
    )
    .await;
    let disputed = reply(
        web_intake::handle(&web, citizen("dispute", json!({"reason": "Masih rusak"})))
            .await
            .unwrap(),
    );
    assert_eq!(disputed.status, 200, "{}", disputed.json);
    let summary = as_staff(&office, "GET", "/staff/summary", &["supervisor"], None).await;
    assert_eq!(
        summary.json["overdue"], 0,
        "the reopened clock is not breached"
    );
    // Reopened Friday 11th: due Friday 18th, reminder Thursday 17th.
    move_to(&clock, wib_at(12, 17, 8, 10));
    let reminded = sla_sweep::sweep(&sweep).await.unwrap();
    assert_eq!(
        (reminded.reminders, reminded.breaches),
        (1, 0),
        "{reminded:?}"
    );
    let trail = events(&t, &id).await;
    assert_eq!(count(&trail, ReportAction::Remind), 2);
    assert_eq!(count(&trail, ReportAction::Breach), 1);
}

#[tokio::test]
async fn a_step_whose_announcement_cannot_be_enqueued_is_kept_and_sent_later() {
    let t = stack("sla-crash").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let id = submit_and_triage(&t, clock.clone(), valid_body()).await;
    announcements(&t).await;
    move_to(&clock, wib_at(11, 23, 8, 10));
    // The notify queue is unreachable for this run.
    let broken = sla_sweep::SlaSweep::new(
        &sla_sweep::Config {
            table_name: t.table.clone(),
            notify_queue_url: format!("{}-gone", t.notify_url),
        },
        &t.clients,
        clock.clone(),
    )
    .unwrap();
    assert_eq!(sla_sweep::sweep(&broken).await.unwrap().reminders, 1);
    assert!(announcements(&t).await.is_empty());
    // The next run does not remind again; verify's recovery sends what was kept.
    assert_eq!(
        sla_sweep::sweep(&sweep_app(&t, clock.clone()))
            .await
            .unwrap()
            .reminders,
        0
    );
    move_to(&clock, wib_at(11, 23, 8, 20));
    let recovered = verify::handle(
        &crate::web_intake::verify_app(&t, clock.clone()),
        json!({"job": "recover-stranded"}),
    )
    .await
    .unwrap();
    assert_eq!(recovered["announced"], 1, "{recovered}");
    let told = announcements(&t).await;
    assert_eq!(told.len(), 1);
    assert_eq!(
        (told[0].kind, told[0].report_id.as_str()),
        (NotificationKind::Reminder, id.as_str())
    );
}

#[tokio::test]
async fn admins_edit_the_calendar_and_new_clocks_honour_it_while_running_ones_keep_theirs() {
    let t = stack("sla-calendar").await;
    let clock = Arc::new(ManualClock::new(wib_at(12, 30, 9, 0)));
    let office = backoffice_app(&t, clock.clone());
    let before = crate::web_intake::post(
        &crate::web_intake::app_with(&t, clock.clone(), &t.intake_url),
        &valid_body().to_string(),
        &[],
    )
    .await;
    // 2027 is not loaded: Wednesday 30 December + 2 = Friday 1 January, provisional.
    assert_eq!(
        before.json["deadline"]["due_at"],
        "2027-01-01T23:59:59+07:00"
    );
    assert_eq!(before.json["deadline"]["provisional"], true);

    let shown = as_staff(&office, "GET", "/staff/calendar", &["supervisor"], None).await;
    assert_eq!(shown.status, 200, "{}", shown.json);
    assert_eq!(shown.json["revision"], 1);
    assert_eq!(shown.json["unconfirmed_years"], json!([2027]));
    assert_eq!(
        as_staff(&office, "GET", "/staff/summary", &["supervisor"], None)
            .await
            .json["calendar"]["unconfirmed_years"],
        json!([2027])
    );

    let year_2027 = json!({
        "source": "SKB 3 Menteri tentang Hari Libur Nasional dan Cuti Bersama 2027",
        "reason": "SKB 2027 terbit",
        "days": [
            {"date": "2027-01-01", "kind": "libur_nasional", "name": "Tahun Baru 2027 Masehi"},
            {"date": "2027-03-10", "kind": "libur_nasional", "name": "Hari Raya Idulfitri"}
        ]
    });
    let path = "/staff/calendar/years/2027";
    // Only admins change it; bad input changes nothing.
    for groups in [&["supervisor"][..], &["agency:dsdabm"]] {
        let refused = as_staff(&office, "PUT", path, groups, Some(year_2027.clone())).await;
        assert_eq!(refused.status, 403, "{groups:?}");
    }
    let mut wrong_year = year_2027.clone();
    wrong_year["days"][0]["date"] = json!("2026-01-01");
    let mut no_reason = year_2027.clone();
    no_reason["reason"] = json!(" ");
    for bad in [
        wrong_year,
        no_reason,
        json!({"source": "x", "reason": "y", "days": [], "extra": 1}),
    ] {
        let refused = as_staff(&office, "PUT", path, &["admin"], Some(bad)).await;
        assert!(matches!(refused.status, 400 | 422), "{}", refused.json);
    }
    assert_eq!(
        as_staff(
            &office,
            "PUT",
            "/staff/calendar/years/1999",
            &["admin"],
            Some(year_2027.clone())
        )
        .await
        .status,
        422
    );

    let saved = as_staff(&office, "PUT", path, &["admin"], Some(year_2027.clone())).await;
    assert_eq!(saved.status, 200, "{}", saved.json);
    assert_eq!(saved.json["revision"], 2);
    assert_eq!(saved.json["version"], "r2");
    assert_eq!(saved.json["unconfirmed_years"], json!([]));
    assert_eq!(saved.json["history"][0]["changed_by"], "admin:u-1");
    assert_eq!(saved.json["history"][0]["reason"], "SKB 2027 terbit");
    assert_eq!(saved.json["history"].as_array().unwrap().len(), 2);
    // An edit made on a stale read is refused, with the calendar as it is.
    let stale = reply(
        backoffice::handle(&office, {
            let mut request = sigap_tests::staff_request(
                "PUT",
                path,
                "u-2",
                &["admin"],
                Some(&year_2027.to_string()),
            );
            request
                .headers_mut()
                .insert("if-match", "1".parse().unwrap());
            request
        })
        .await
        .unwrap(),
    );
    assert_eq!(stale.status, 409, "{}", stale.json);
    assert_eq!(stale.json["current"]["revision"], 2);

    // A clock started now skips 1 January: Thursday 31 December, then Monday 4th.
    let mut second = valid_body();
    second["title"] = json!("Jalan berlubang kedua");
    let after = crate::web_intake::post(
        &crate::web_intake::app_with(&t, clock.clone(), &t.intake_url),
        &second.to_string(),
        &[],
    )
    .await;
    assert_eq!(
        after.json["deadline"]["due_at"],
        "2027-01-04T23:59:59+07:00"
    );
    assert_eq!(after.json["deadline"]["provisional"], false);
    let store = ReportStore::new(t.clients.dynamodb.clone(), &t.table);
    let read = |id: &serde_json::Value| TrackingId::parse(id.as_str().unwrap()).unwrap();
    let new = store
        .get(&read(&after.json["tracking_id"]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(new.calendar_version, "r2");
    // The running clock keeps the deadline it was given and published.
    let old = store
        .get(&read(&before.json["tracking_id"]))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        sigap::domain::calendar::wib_rfc3339(old.clock.unwrap().due_at),
        "2027-01-01T23:59:59+07:00"
    );
}

#[tokio::test]
async fn a_category_tier_sets_its_own_clocks_and_views_show_days_left() {
    let t = stack("sla-tier").await;
    let clock = Arc::new(ManualClock::new(friday_morning()));
    let mut body = valid_body();
    body["category"] = json!("kesehatan");
    body["title"] = json!("Puskesmas tutup di jam layanan");
    let id = submit_and_triage(&t, clock.clone(), body).await;
    let office = backoffice_app(&t, clock.clone());
    // kesehatan verifies in 1 working day (Monday) and follows up in 3.
    let queue = as_staff(&office, "GET", "/staff/queue", &["admin"], None).await;
    let line = &queue.json["reports"][0];
    assert_eq!(line["due_at"], "2026-11-23T23:59:59+07:00");
    assert_eq!(line["deadlines"][0]["working_days_left"], 1);
    assert_eq!(line["deadlines"][0]["stage_label"], "verifikasi");
    assert_eq!(line["breached"], false);
    dispatch(&office, &id, "dinkes").await;
    // Dispatched Friday: Monday, Tuesday, Wednesday 25th.
    let inbox = as_staff(&office, "GET", "/staff/inbox", &["agency:dinkes"], None).await;
    assert_eq!(
        inbox.json["reports"][0]["due_at"],
        "2026-11-25T23:59:59+07:00"
    );
    assert_eq!(inbox.json["reports"][0]["working_days_left"], 3);

    // Thursday: passed; visible at once, counted as overdue once the sweep marks it.
    move_to(&clock, wib_at(11, 26, 10, 0));
    let web = crate::web_intake::app_with(&t, clock.clone(), &t.intake_url);
    let public = get(&web, &format!("/reports/{id}")).await;
    let deadline = &public.json["deadlines"][0];
    assert_eq!(deadline["stage"], "follow_up");
    assert_eq!(deadline["agency"], "dinkes");
    assert_eq!(deadline["working_days_left"], -1);
    assert_eq!(deadline["breached"], true);
    sla_sweep::sweep(&sweep_app(&t, clock.clone()))
        .await
        .unwrap();
    let public = get(&web, &format!("/reports/{id}")).await;
    let timeline = public.json["timeline"].as_array().unwrap();
    assert!(
        timeline.iter().any(|e| e["note"]
            .as_str()
            .is_some_and(|n| n.starts_with("melewati batas tindak lanjut 25/11/2026"))),
        "{timeline:?}"
    );
    assert!(!timeline.iter().any(|e| {
        e["note"]
            .as_str()
            .is_some_and(|n| n.starts_with("pengingat"))
    }));
}
