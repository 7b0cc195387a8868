//! The idempotency store: claim, complete, replay, in-progress expiry and take-over.

use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use sigap::adapters::idempotency::{Claim, IdempotencyStore, StoredResponse};
use sigap_tests::stack;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

#[tokio::test]
async fn claim_complete_replay_and_mismatch() {
    let t = stack("idem-basic").await;
    let store = IdempotencyStore::new(t.clients.dynamodb.clone(), &t.table);
    let now = at("2026-11-20T03:00:00Z");
    let hold = SignedDuration::from_secs(10);
    let mine = json!({"report_id": "A"});

    assert_eq!(
        store.claim("s", "k", "h1", &mine, now, hold).await.unwrap(),
        Claim::Proceed {
            reservation: mine.clone()
        }
    );
    // A concurrent retry while the first attempt works.
    let other = json!({"report_id": "B"});
    assert_eq!(
        store
            .claim("s", "k", "h1", &other, now, hold)
            .await
            .unwrap(),
        Claim::InProgress
    );
    // The same key for another payload is refused, whatever the state.
    assert_eq!(
        store
            .claim("s", "k", "h2", &other, now, hold)
            .await
            .unwrap(),
        Claim::PayloadMismatch
    );

    let response = StoredResponse {
        status: 201,
        body: "{\"ok\":true}".into(),
    };
    store.complete("s", "k", &response, now).await.unwrap();
    assert_eq!(
        store
            .claim("s", "k", "h1", &other, now, hold)
            .await
            .unwrap(),
        Claim::Replay(response)
    );
    // Scopes are independent.
    assert!(matches!(
        store
            .claim("other", "k", "h1", &other, now, hold)
            .await
            .unwrap(),
        Claim::Proceed { .. }
    ));
}

#[tokio::test]
async fn a_dead_attempt_is_taken_over_with_its_reservation() {
    let t = stack("idem-takeover").await;
    let store = IdempotencyStore::new(t.clients.dynamodb.clone(), &t.table);
    let hold = SignedDuration::from_secs(10);
    let first = json!({"report_id": "FIRST"});
    let start = at("2026-11-20T03:00:00Z");
    store
        .claim("s", "k", "h", &first, start, hold)
        .await
        .unwrap();
    // The first attempt died without completing. 11 s later a retry takes over and
    // gets the FIRST reservation back, not its own.
    let later = at("2026-11-20T03:00:11Z");
    let claim = store
        .claim("s", "k", "h", &json!({"report_id": "SECOND"}), later, hold)
        .await
        .unwrap();
    assert_eq!(claim, Claim::Proceed { reservation: first });
    // And now it holds the claim: a third attempt waits.
    assert_eq!(
        store
            .claim("s", "k", "h", &json!({}), later, hold)
            .await
            .unwrap(),
        Claim::InProgress
    );
}

#[tokio::test]
async fn after_the_replay_window_the_key_is_free_again() {
    let t = stack("idem-expiry").await;
    let store = IdempotencyStore::new(t.clients.dynamodb.clone(), &t.table);
    let hold = SignedDuration::from_secs(10);
    let start = at("2026-11-20T03:00:00Z");
    store
        .claim("s", "k", "h", &json!({"n": 1}), start, hold)
        .await
        .unwrap();
    store
        .complete(
            "s",
            "k",
            &StoredResponse {
                status: 201,
                body: "{}".into(),
            },
            start,
        )
        .await
        .unwrap();
    let two_days = at("2026-11-22T03:00:01Z");
    let fresh = json!({"n": 2});
    assert_eq!(
        store
            .claim("s", "k", "h", &fresh, two_days, hold)
            .await
            .unwrap(),
        Claim::Proceed { reservation: fresh }
    );
}

/// A failed attempt releases its claim: the retry proceeds at once, with the same
/// reservation (so it finds whatever the failed attempt wrote), instead of being told
/// "in progress" until the claim expires. Releasing a completed key changes nothing.
#[tokio::test]
async fn a_released_claim_is_taken_over_at_once_with_its_reservation() {
    let t = stack("idem-release").await;
    let store = IdempotencyStore::new(t.clients.dynamodb.clone(), &t.table);
    let now = at("2026-11-20T03:00:00Z");
    let hold = SignedDuration::from_secs(10);
    let first = json!({"report_id": "A"});
    let retry = json!({"report_id": "B"});
    store.claim("s", "k", "h", &first, now, hold).await.unwrap();
    assert_eq!(
        store.claim("s", "k", "h", &retry, now, hold).await.unwrap(),
        Claim::InProgress
    );
    store.release("s", "k").await.unwrap();
    assert_eq!(
        store.claim("s", "k", "h", &retry, now, hold).await.unwrap(),
        Claim::Proceed { reservation: first }
    );
    let response = StoredResponse {
        status: 201,
        body: "{}".into(),
    };
    store.complete("s", "k", &response, now).await.unwrap();
    store.release("s", "k").await.unwrap();
    store.release("s", "never-claimed").await.unwrap();
    assert_eq!(
        store.claim("s", "k", "h", &retry, now, hold).await.unwrap(),
        Claim::Replay(response)
    );
}

/// A claim whose answer was lost (the SDK retries it and meets its own record) is
/// recognised by its reservation and proceeds, instead of reporting "in progress"
/// to the very attempt that holds it.
#[tokio::test]
async fn a_retried_claim_recognises_itself() {
    let t = stack("idem-self").await;
    let store = IdempotencyStore::new(t.clients.dynamodb.clone(), &t.table);
    let now = at("2026-11-20T03:00:00Z");
    let hold = SignedDuration::from_secs(10);
    let mine = json!({"report_id": "A", "token": "secret-a"});
    store.claim("s", "k", "h", &mine, now, hold).await.unwrap();
    assert_eq!(
        store.claim("s", "k", "h", &mine, now, hold).await.unwrap(),
        Claim::Proceed {
            reservation: mine.clone()
        }
    );
    let theirs = json!({"report_id": "B", "token": "secret-b"});
    assert_eq!(
        store
            .claim("s", "k", "h", &theirs, now, hold)
            .await
            .unwrap(),
        Claim::InProgress
    );
}
