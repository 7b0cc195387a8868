//! The report repository: one transaction to create, one conditional write to change.

use jiff::Timestamp;
use sigap::adapters::reports::ReportStore;
use sigap::adapters::table::StoreError;
use sigap::domain::contact::PhoneNumber;
use sigap::domain::deadline::{ClockKind, ReportClock};
use sigap::domain::report::{Actor, Channel, Report, ReportAction, ReportLocation, ReportStatus};
use sigap::domain::submission::ReporterContact;
use sigap::domain::tracking_id::TrackingId;
use sigap::runtime::ids::{IdGenerator, SeededIds};
use sigap_tests::{items_with_pk_prefix, stack};

pub fn sample_report(seed: u64, at: Timestamp) -> Report {
    Report {
        title: "Sampah menumpuk".into(),
        description: "Sampah di TPS belum diangkut tiga hari.".into(),
        category: "sampah".into(),
        location: ReportLocation {
            address: Some("Jl. Braga".into()),
            ..Default::default()
        },
        anonymous: true,
        clock: Some(ReportClock {
            kind: ClockKind::Verification,
            due_at: at,
            provisional: false,
            sla: Default::default(),
        }),
        calendar_version: "test".into(),
        reporter_token_hash: "hash".into(),
        ..Report::received(
            SeededIds::new(seed).tracking_id().unwrap(),
            Channel::Web,
            at,
        )
    }
}

/// A sample report created with a reporter's phone.
async fn created(store: &ReportStore, seed: u64) -> (Report, ReporterContact) {
    let report = sample_report(seed, now());
    let contact = ReporterContact {
        phone: Some(PhoneNumber::parse("081234567890").unwrap()),
        ..Default::default()
    };
    store
        .create(&report, &report.creation_event(&Actor::Citizen), &contact)
        .await
        .unwrap();
    (report, contact)
}

fn now() -> Timestamp {
    "2026-11-20T03:00:00Z".parse().unwrap()
}

#[tokio::test]
async fn create_writes_report_event_and_pii_together_and_only_once() {
    let t = stack("repo-create").await;
    let store = ReportStore::new(t.clients.dynamodb.clone(), &t.table);
    let (report, contact) = created(&store, 1).await;

    let items = items_with_pk_prefix(&t.clients, &t.table, &format!("R#{}", report.id)).await;
    let mut kinds: Vec<_> = items
        .iter()
        .map(|i| i["type"].as_s().unwrap().clone())
        .collect();
    kinds.sort();
    assert_eq!(kinds, vec!["event", "pii", "report"]);
    assert_eq!(store.get(&report.id).await.unwrap(), Some(report.clone()));

    let again = store
        .create(&report, &report.creation_event(&Actor::Citizen), &contact)
        .await;
    assert!(matches!(again, Err(StoreError::AlreadyExists)));
    assert_eq!(
        items_with_pk_prefix(&t.clients, &t.table, "R#").await.len(),
        3
    );
}

#[tokio::test]
async fn a_stale_version_loses_and_writes_nothing() {
    let t = stack("repo-stale").await;
    let store = ReportStore::new(t.clients.dynamodb.clone(), &t.table);
    let report = sample_report(2, now());
    store
        .create(
            &report,
            &report.creation_event(&Actor::Citizen),
            &ReporterContact::default(),
        )
        .await
        .unwrap();

    let actor = Actor::System("test");
    let (next, event) = report
        .apply(ReportAction::Triage, &actor, None, now())
        .unwrap();
    store.save_transition(&report, &next, &event).await.unwrap();
    // A second writer that read version 1 tries the same move: refused, nothing written.
    let second = store.save_transition(&report, &next, &event).await;
    assert!(matches!(second, Err(StoreError::Conflict)));
    let events = store
        .timeline_page(&report.id, None, 1000)
        .await
        .unwrap()
        .events;
    assert_eq!(events.len(), 2);
    assert_eq!(events[1].from, Some(ReportStatus::Received));
    assert_eq!(store.get(&report.id).await.unwrap().unwrap().version, 2);
}

#[tokio::test]
async fn the_triage_work_queue_is_sparse() {
    let t = stack("repo-sparse").await;
    let store = ReportStore::new(t.clients.dynamodb.clone(), &t.table);
    let a = sample_report(3, now());
    let b = sample_report(4, now());
    for r in [&a, &b] {
        store
            .create(
                r,
                &r.creation_event(&Actor::Citizen),
                &ReporterContact::default(),
            )
            .await
            .unwrap();
    }
    let later: Timestamp = "2026-11-20T04:00:00Z".parse().unwrap();
    let mut waiting = store.awaiting_triage(later, 10).await.unwrap();
    waiting.sort();
    let mut want = vec![a.id.clone(), b.id.clone()];
    want.sort();
    assert_eq!(waiting, want);
    // Received after the cutoff: not yet stranded.
    assert!(store.awaiting_triage(now(), 10).await.unwrap().is_empty());

    let (next, event) = a
        .apply(ReportAction::Triage, &Actor::System("test"), None, later)
        .unwrap();
    store.save_transition(&a, &next, &event).await.unwrap();
    assert_eq!(
        store.awaiting_triage(later, 10).await.unwrap(),
        vec![b.id.clone()]
    );
    // The moved report now sits in the verification queue with its due-queue entry.
    let item = &items_with_pk_prefix(&t.clients, &t.table, &format!("R#{}", a.id)).await;
    let meta = item
        .iter()
        .find(|i| i["SK"].as_s().unwrap() == "META")
        .unwrap();
    assert_eq!(meta["GSI2PK"].as_s().unwrap(), "Q#VERIFY");
    assert!(meta["GSI1PK"].as_s().unwrap().starts_with("DUE#"));
}

#[tokio::test]
async fn unknown_report_is_none() {
    let t = stack("repo-none").await;
    let store = ReportStore::new(t.clients.dynamodb.clone(), &t.table);
    let id = TrackingId::parse(SeededIds::new(99).tracking_id().unwrap().as_str()).unwrap();
    assert_eq!(store.get(&id).await.unwrap(), None);
    assert!(
        store
            .timeline_page(&id, None, 1000)
            .await
            .unwrap()
            .events
            .is_empty()
    );
}

#[tokio::test]
async fn reference_lists_are_read_once_per_ttl() {
    use sigap::adapters::catalog::{CatalogCache, CatalogStore};
    let t = stack("repo-catalog").await;
    let cache = CatalogCache::new(CatalogStore::new(t.clients.dynamodb.clone(), &t.table));
    let agencies = cache.agencies().await.unwrap();
    let categories = cache.categories().await.unwrap();
    assert!(agencies.iter().any(|a| a.id == "dsdabm"));
    // Delete both lists behind the cache's back: a warm function still answers from memory.
    for (pk, sk) in [
        ("CATALOG#AGENCY", "A#dsdabm"),
        ("CATALOG#CATEGORY", "C#sampah"),
    ] {
        t.clients
            .dynamodb
            .delete_item()
            .table_name(&t.table)
            .key("PK", aws_sdk_dynamodb::types::AttributeValue::S(pk.into()))
            .key("SK", aws_sdk_dynamodb::types::AttributeValue::S(sk.into()))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(cache.agencies().await.unwrap(), agencies);
    assert_eq!(cache.categories().await.unwrap(), categories);
    // A fresh cache (a new function instance) reads the table as it is now.
    let fresh = CatalogCache::new(CatalogStore::new(t.clients.dynamodb.clone(), &t.table));
    assert!(
        !fresh
            .agencies()
            .await
            .unwrap()
            .iter()
            .any(|a| a.id == "dsdabm")
    );
    assert!(
        !fresh
            .categories()
            .await
            .unwrap()
            .iter()
            .any(|c| c.code == "sampah")
    );
}

#[tokio::test]
async fn a_response_template_is_created_once_and_changed_or_deleted_only_at_the_version_shown() {
    use sigap::adapters::catalog::CatalogStore;
    use sigap::adapters::table::StoreError;
    use sigap::domain::catalog::{ResponseTemplate, TemplateUse};
    let t = stack("repo-templates").await;
    let store = CatalogStore::new(t.clients.dynamodb.clone(), &t.table);
    let mut template = ResponseTemplate::new(
        "t1".into(),
        "Jalan berlubang",
        "Laporan {nomor} kami tangani minggu ini.",
        Some("jalan".into()),
        TemplateUse::FollowUp,
    )
    .unwrap();
    store.save_template(&template).await.unwrap();
    // The same id created again (two admins, one random id) does not overwrite it.
    assert!(matches!(
        store.save_template(&template).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(store.templates().await.unwrap(), vec![template.clone()]);
    // An edit over version 1 wins once; a second edit from the same page loses.
    template.text = "Sudah dijadwalkan.".into();
    template.version = 2;
    store.save_template(&template).await.unwrap();
    assert!(matches!(
        store.save_template(&template).await,
        Err(StoreError::Conflict)
    ));
    assert!(matches!(
        store.delete_template("t1", 1).await,
        Err(StoreError::Conflict)
    ));
    assert_eq!(
        store.templates().await.unwrap()[0].text,
        "Sudah dijadwalkan."
    );
    store.delete_template("t1", 2).await.unwrap();
    assert!(store.templates().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_staff_read_is_one_query_and_a_contact_they_may_not_see_is_left_out() {
    let t = stack("repo-file").await;
    let store = ReportStore::new(t.clients.dynamodb.clone(), &t.table);
    let (report, contact) = created(&store, 7).await;

    let shown = store.file(&report.id, |_| true).await.unwrap().unwrap();
    assert_eq!(shown.report, report);
    assert_eq!(shown.timeline.len(), 1);
    assert_eq!(shown.timeline[0].action, None, "the creation event");
    assert_eq!(shown.contact, Some(contact.clone()));

    let hidden = store
        .file(&report.id, |r| !r.anonymous)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hidden.contact, None, "an anonymous reporter stays hidden");
    assert_eq!(hidden.timeline, shown.timeline);

    let (read, read_contact) = store.with_contact(&report.id).await.unwrap().unwrap();
    assert_eq!((read, read_contact), (report, contact));
    let missing = SeededIds::new(99).tracking_id().unwrap();
    assert!(store.file(&missing, |_| true).await.unwrap().is_none());
    assert!(store.with_contact(&missing).await.unwrap().is_none());
}

#[tokio::test]
async fn a_senders_screen_counts_per_hour_and_counting_never_shortens_a_block() {
    use sigap::adapters::senders::{BlockedSender, SenderStore};
    let t = stack("repo-screen").await;
    let senders = SenderStore::new(t.clients.dynamodb.clone(), &t.table);
    let at = now();
    let later = |minutes: i64| at + jiff::SignedDuration::from_mins(minutes);
    for expected in 1..=3 {
        let screened = senders.screen("s1", later(expected)).await.unwrap();
        assert_eq!((screened.count, screened.blocked), (expected as u64, None));
    }
    // The next hour starts again from one; another sender has its own count.
    assert_eq!(senders.screen("s1", later(61)).await.unwrap().count, 1);
    assert_eq!(senders.screen("s2", later(61)).await.unwrap().count, 1);

    let block = BlockedSender {
        sender: "s1".into(),
        masked: "+62812****890".into(),
        reason: "iseng".into(),
        until: later(3 * 24 * 60),
        by: "admin:a1".into(),
    };
    senders.block(&block).await.unwrap();
    let screened = senders.screen("s1", later(62)).await.unwrap();
    assert_eq!((screened.count, screened.blocked), (2, Some(block.clone())));
    let expires = |items: &[sigap::adapters::table::Item]| {
        items[0]["expires_at"]
            .as_n()
            .unwrap()
            .parse::<i64>()
            .unwrap()
    };
    let items = items_with_pk_prefix(&t.clients, &t.table, "SENDER#s1").await;
    assert_eq!(
        expires(&items),
        block.until.as_second() + 86_400,
        "counting keeps the block's expiry"
    );
    assert_eq!(
        senders.blocked_senders(later(63)).await.unwrap(),
        vec![block.clone()]
    );
    // Past its end the block no longer holds, though the item is still there.
    assert_eq!(
        senders
            .screen("s1", later(4 * 24 * 60))
            .await
            .unwrap()
            .blocked,
        None
    );

    senders.block(&block).await.unwrap();
    senders.unblock("s1", later(64)).await.unwrap();
    assert_eq!(senders.screen("s1", later(65)).await.unwrap().blocked, None);
    assert!(senders.blocked_senders(later(65)).await.unwrap().is_empty());
    let items = items_with_pk_prefix(&t.clients, &t.table, "SENDER#s1").await;
    assert!(
        expires(&items) < later(4 * 60).as_second(),
        "lifted: it expires with its counts"
    );
    // Lifting a block nobody holds changes nothing and creates nothing.
    senders.unblock("nobody", later(66)).await.unwrap();
    assert!(
        items_with_pk_prefix(&t.clients, &t.table, "SENDER#nobody")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn a_long_timeline_is_read_a_page_at_a_time() {
    use sigap::adapters::reports::TIMELINE_PAGE;
    let t = stack("repo-pages").await;
    let store = ReportStore::new(t.clients.dynamodb.clone(), &t.table);
    let mut report = sample_report(7, now());
    store
        .create(
            &report,
            &report.creation_event(&Actor::Citizen),
            &ReporterContact::default(),
        )
        .await
        .unwrap();
    // 119 replies after the creation: 120 events, more than two pages.
    for n in 1..120 {
        let at = now() + jiff::SignedDuration::from_secs(n);
        let (next, event) = report
            .apply_to(
                ReportAction::Reply,
                report.status,
                &Actor::Citizen,
                Some(&format!("balasan {n}")),
                None,
                at,
            )
            .unwrap();
        store.save_transition(&report, &next, &event).await.unwrap();
        report = next;
    }
    // The file holds the newest page and says where the older ones are.
    let file = store.file(&report.id, |_| false).await.unwrap().unwrap();
    assert_eq!(file.report.version, 120);
    let versions = |events: &[sigap::domain::report::ReportEvent]| {
        events.iter().map(|e| e.version).collect::<Vec<_>>()
    };
    assert_eq!(versions(&file.timeline), (71..=120).collect::<Vec<_>>());
    let mut seen = file.timeline.len();
    let mut before = file.earlier;
    let mut pages = 1;
    while let Some(cursor) = before {
        let page = store
            .timeline_page(&report.id, Some(&cursor), TIMELINE_PAGE)
            .await
            .unwrap();
        let oldest_seen = 120 - seen as u64;
        let first = oldest_seen.saturating_sub(TIMELINE_PAGE as u64) + 1;
        assert_eq!(
            versions(&page.events),
            (first..=oldest_seen).collect::<Vec<_>>()
        );
        seen += page.events.len();
        before = page.earlier;
        pages += 1;
    }
    assert_eq!((seen, pages), (120, 3));
}
