//! The state store (compare-and-set, kept in the world), the lease, the notifier.

use std::time::Duration;
use tgw_ha_core::ids::TgwId;
use tgw_ha_core::planner::{EventKind, GroupEvent};
use tgw_ha_core::state::{GroupState, TgwState};
use tgw_ha_engine::ports::{Lease, StateStore, StoreError};
use tgw_ha_sim::demo_world::{self as demo, demo_world};
use tgw_ha_sim::{Sim, World};

fn tgw() -> TgwId {
    TgwId::new(demo::TGW)
}

fn a_state() -> TgwState {
    let mut s = TgwState::default();
    s.groups.insert(
        "paris".into(),
        GroupState {
            down: true,
            ..GroupState::default()
        },
    );
    s
}

#[tokio::test]
async fn store_compare_and_set() {
    let sim = Sim::new(demo_world());
    let store = sim.store.clone();
    let v0 = store.load(&tgw()).await.unwrap();
    assert_eq!((v0.version, v0.value.clone()), (0, TgwState::default()));

    let v1 = store.save(&tgw(), 0, &a_state()).await.unwrap();
    assert_eq!(v1, 1);
    // A second writer that read version 0 loses.
    let err = store
        .save(&tgw(), 0, &TgwState::default())
        .await
        .unwrap_err();
    assert_eq!(
        err,
        StoreError::Conflict {
            tgw: tgw(),
            expected: 0
        }
    );
    assert!(err.is_retryable());
    assert!(err.to_string().contains(demo::TGW));
    let now = store.load(&tgw()).await.unwrap();
    assert_eq!((now.version, now.value), (1, a_state()));
    assert_eq!(
        store.save(&tgw(), 1, &TgwState::default()).await.unwrap(),
        2
    );
}

#[tokio::test]
async fn saved_state_travels_with_the_world_file() {
    let sim = Sim::new(demo_world());
    sim.store.save(&tgw(), 0, &a_state()).await.unwrap();
    let text = sim.snapshot().to_json_pretty();
    let sim2 = Sim::new(World::from_json_str(&text).unwrap());
    let loaded = sim2.store.load(&tgw()).await.unwrap();
    assert_eq!((loaded.version, loaded.value), (1, a_state()));
}

#[tokio::test]
async fn store_unavailable_fault() {
    let sim = Sim::new(demo_world());
    sim.faults.set_store_unavailable(true);
    let err = sim.store.load(&tgw()).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)) && err.is_retryable());
    assert!(sim.store.save(&tgw(), 0, &a_state()).await.is_err());
    assert!(
        sim.lease
            .acquire(&tgw(), "a", Duration::from_secs(60), sim.now())
            .await
            .is_err()
    );
    sim.faults.set_store_unavailable(false);
    assert_eq!(
        sim.store.load(&tgw()).await.unwrap().version,
        0,
        "nothing was written"
    );
}

#[tokio::test]
async fn lease_expiry_and_takeover() {
    let sim = Sim::new(demo_world());
    let lease = sim.lease.clone();
    let clock = sim.virtual_clock.clone().unwrap();
    let ttl = Duration::from_secs(60);

    assert!(lease.acquire(&tgw(), "a", ttl, clock.now()).await.unwrap());
    assert!(
        !lease.acquire(&tgw(), "b", ttl, clock.now()).await.unwrap(),
        "busy"
    );
    assert!(
        lease.acquire(&tgw(), "a", ttl, clock.now()).await.unwrap(),
        "re-entrant"
    );

    clock.advance(chrono::Duration::seconds(30));
    assert!(lease.renew(&tgw(), "a", ttl, clock.now()).await.unwrap());
    clock.advance(chrono::Duration::seconds(59));
    assert!(
        !lease.acquire(&tgw(), "b", ttl, clock.now()).await.unwrap(),
        "renewed"
    );

    // Expired: another owner takes over, and the old one has lost it.
    clock.advance(chrono::Duration::seconds(1));
    assert!(lease.acquire(&tgw(), "b", ttl, clock.now()).await.unwrap());
    assert!(!lease.renew(&tgw(), "a", ttl, clock.now()).await.unwrap());
    assert_eq!(lease.holder(&tgw()).unwrap().owner, "b");

    // Releasing a lease one does not hold is a no-op; the holder's release frees it.
    lease.release(&tgw(), "a").await.unwrap();
    assert!(!lease.acquire(&tgw(), "c", ttl, clock.now()).await.unwrap());
    lease.release(&tgw(), "b").await.unwrap();
    assert!(lease.holder(&tgw()).is_none());
    assert!(!lease.renew(&tgw(), "b", ttl, clock.now()).await.unwrap());
    assert!(lease.acquire(&tgw(), "c", ttl, clock.now()).await.unwrap());
    // The lease lives in the world, so a saved world carries it.
    assert_eq!(sim.snapshot().leases[&tgw()].owner, "c");
}

#[tokio::test]
async fn recording_notifier() {
    let sim = Sim::new(demo_world());
    let ev = GroupEvent {
        group: "paris".into(),
        tgw: tgw(),
        kind: EventKind::FailedOver,
        from: Some(demo::VPN_PARIS.into()),
        to: Some(demo::VPN_LYON.into()),
        routes: 9,
        detail: "both tunnels down".into(),
        members: vec![],
    };
    let ports = sim.ports();
    ports.notifier.notify(&ev, sim.now()).await.unwrap();
    assert_eq!(sim.notifier.events(), vec![(ev.clone(), demo::start())]);
    sim.notifier.set_failing(true);
    let err = ports.notifier.notify(&ev, sim.now()).await.unwrap_err();
    assert!(err.to_string().contains("paris"));
    assert_eq!(sim.notifier.take().len(), 1);
    assert!(sim.notifier.events().is_empty());
}

#[tokio::test]
async fn memory_store_conforms() {
    let sim = Sim::new(demo_world());
    tgw_ha_engine::conformance::store_and_lease(sim.store.clone(), sim.lease.clone(), "tgw-0conf")
        .await;
}
