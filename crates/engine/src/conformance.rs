//! One conformance suite for the persistence ports: what every [`StateStore`] and [`Lease`]
//! must do, run against each adapter (the sim's memory store, the CLI's state file, DynamoDB
//! over moto) so that the engine's tests run on exactly the behaviour production has.
//!
//! Contract: [`store_and_lease`] panics, naming the behaviour, on the first one the adapter
//! gets wrong. It writes only under TGW ids that start with the given `prefix`, so several runs
//! can share one table or file. Times are whole seconds (DynamoDB's lease granularity) from a
//! fixed epoch: the lease takes `now` as a parameter, so no clock is read and nothing sleeps.
//! Built only with the `testing` feature.

use crate::ports::{Lease, StateStore, StoreError};
use std::sync::Arc;
use std::time::Duration;
use tgw_ha_core::Timestamp;
use tgw_ha_core::ids::{GroupName, TgwId};
use tgw_ha_core::state::{GroupState, TgwState};

const TTL: Duration = Duration::from_secs(30);

fn t(secs: i64) -> Timestamp {
    chrono::DateTime::from_timestamp(1_714_557_600 + secs, 0).expect("a valid time")
}

fn a_state(down: bool) -> TgwState {
    let mut s = TgwState::default();
    s.groups.insert(
        GroupName::new("paris"),
        GroupState {
            down,
            ..GroupState::default()
        },
    );
    s
}

/// Every behaviour, each on its own TGW id under `prefix`.
pub async fn store_and_lease(store: Arc<dyn StateStore>, lease: Arc<dyn Lease>, prefix: &str) {
    let tgw = |name: &str| TgwId::new(format!("{prefix}{name}"));
    load_of_nothing_is_version_zero(&*store, &tgw("empty")).await;
    compare_and_set(&*store, &tgw("cas")).await;
    acquire_free_held_expired(&*lease, &tgw("acquire")).await;
    renew_own_expired_taken(&*lease, &tgw("renew")).await;
    release_own_and_others(&*lease, &tgw("release")).await;
    lease_and_state_are_apart(&*store, &*lease, &tgw("apart")).await;
}

/// Nothing stored: the default state at version 0.
pub async fn load_of_nothing_is_version_zero(store: &dyn StateStore, tgw: &TgwId) {
    let v = store.load(tgw).await.expect("load of nothing");
    assert_eq!(
        (v.version, v.value),
        (0, TgwState::default()),
        "load of nothing"
    );
}

/// Save with the stored version succeeds and bumps it; with any other, `Conflict`, unchanged.
pub async fn compare_and_set(store: &dyn StateStore, tgw: &TgwId) {
    assert_eq!(
        store
            .save(tgw, 0, &a_state(true))
            .await
            .expect("first save"),
        1
    );
    let err = store
        .save(tgw, 0, &a_state(false))
        .await
        .expect_err("a writer that read version 0 must lose");
    assert_eq!(
        err,
        StoreError::Conflict {
            tgw: tgw.clone(),
            expected: 0
        }
    );
    assert!(err.is_retryable(), "a conflict is retryable");
    assert!(
        err.to_string().contains(tgw.as_str()),
        "the conflict names the tgw: {err}"
    );
    let err = store
        .save(tgw, 7, &a_state(false))
        .await
        .expect_err("a version from the future must lose");
    assert!(
        matches!(err, StoreError::Conflict { expected: 7, .. }),
        "{err:?}"
    );
    let v = store.load(tgw).await.expect("load");
    assert_eq!(
        (v.version, v.value),
        (1, a_state(true)),
        "losers change nothing"
    );
    assert_eq!(
        store
            .save(tgw, 1, &a_state(false))
            .await
            .expect("second save"),
        2
    );
    let v = store.load(tgw).await.expect("load");
    assert_eq!((v.version, v.value), (2, a_state(false)));
}

/// Acquire: free, held by another (busy until `expires`, free at it), own (extends).
pub async fn acquire_free_held_expired(lease: &dyn Lease, tgw: &TgwId) {
    let acquire = |owner: &'static str, at: i64| lease.acquire(tgw, owner, TTL, t(at));
    assert!(acquire("a", 0).await.expect("acquire"), "free: taken");
    assert!(!acquire("b", 10).await.expect("acquire"), "held: busy");
    assert!(
        acquire("a", 10).await.expect("acquire"),
        "own: taken again (a retried acquire)"
    );
    // The retry extended it to t(40).
    assert!(!acquire("b", 39).await.expect("acquire"), "extended: busy");
    assert!(
        acquire("b", 40).await.expect("acquire"),
        "expired (now == expires): taken over"
    );
    assert!(
        !acquire("a", 41).await.expect("acquire"),
        "taken over: busy"
    );
}

/// Renew: own live lease extends; own expired one is refused even if nobody took it; another
/// owner's is refused; none is refused.
pub async fn renew_own_expired_taken(lease: &dyn Lease, tgw: &TgwId) {
    let renew = |owner: &'static str, at: i64| lease.renew(tgw, owner, TTL, t(at));
    assert!(
        !renew("a", 0).await.expect("renew"),
        "nothing held: refused"
    );
    assert!(lease.acquire(tgw, "a", TTL, t(0)).await.expect("acquire"));
    assert!(renew("a", 20).await.expect("renew"), "own, live: extended");
    assert!(!renew("b", 20).await.expect("renew"), "another's: refused");
    // Renewed at t(20) until t(50).
    assert!(
        !lease.acquire(tgw, "b", TTL, t(49)).await.expect("acquire"),
        "renewed: busy"
    );
    assert!(
        !renew("a", 50).await.expect("renew"),
        "own, expired, not taken: refused (as DynamoDB does)"
    );
    assert!(
        lease.acquire(tgw, "a", TTL, t(51)).await.expect("acquire"),
        "own, expired: may be acquired again"
    );
    assert!(lease.acquire(tgw, "b", TTL, t(81)).await.expect("acquire"));
    assert!(!renew("a", 82).await.expect("renew"), "taken: refused");
    assert!(renew("b", 82).await.expect("renew"), "the taker renews");
}

/// Release: own frees it (and again is a no-op); another's changes nothing.
pub async fn release_own_and_others(lease: &dyn Lease, tgw: &TgwId) {
    lease.release(tgw, "a").await.expect("release of nothing");
    assert!(lease.acquire(tgw, "a", TTL, t(0)).await.expect("acquire"));
    lease.release(tgw, "b").await.expect("release of another's");
    assert!(
        !lease.acquire(tgw, "b", TTL, t(1)).await.expect("acquire"),
        "another's release changes nothing"
    );
    lease.release(tgw, "a").await.expect("release own");
    assert!(
        lease.acquire(tgw, "b", TTL, t(2)).await.expect("acquire"),
        "released: free"
    );
    lease
        .release(tgw, "a")
        .await
        .expect("release of a lost lease");
    assert!(
        !lease.renew(tgw, "a", TTL, t(3)).await.expect("renew"),
        "a lost lease stays lost"
    );
    assert!(lease.renew(tgw, "b", TTL, t(3)).await.expect("renew"));
}

/// The lease and the state of one TGW live side by side without touching each other.
pub async fn lease_and_state_are_apart(store: &dyn StateStore, lease: &dyn Lease, tgw: &TgwId) {
    assert!(lease.acquire(tgw, "a", TTL, t(0)).await.expect("acquire"));
    assert_eq!(store.load(tgw).await.expect("load").version, 0);
    assert_eq!(store.save(tgw, 0, &a_state(true)).await.expect("save"), 1);
    lease.release(tgw, "a").await.expect("release");
    let v = store.load(tgw).await.expect("load");
    assert_eq!((v.version, v.value), (1, a_state(true)));
}
