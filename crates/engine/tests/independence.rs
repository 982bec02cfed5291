//! One TGW never blocks another: in a sweep over two TGWs, whatever goes wrong with the first
//! (its route search denied, its attachments unreadable, its state store down, its lease held),
//! the second TGW's dead primary is failed over in the same run, and the run says which TGW
//! failed and why.

mod common;

use common::*;
use tgw_ha_core::ids::{GroupName, TgwId};
use tgw_ha_core::model::TunnelStatus::Down;
use tgw_ha_core::policy::Policy;
use tgw_ha_core::trigger::OperatorAction;
use tgw_ha_engine::{EngineError, Outcome};
use tgw_ha_sim::demo_world::{self as demo, demo_world};
use tgw_ha_sim::{FailKind, FailRule, LeaseRecord, Sim, World};

/// The demo's ids with this in place of `0a1b2c3d4e5f`: a second estate on its own TGW.
const SECOND: &str = "0b1b2c3d4e5f";

fn second(id: &str) -> String {
    id.replace("0a1b2c3d4e5f", SECOND)
}

/// The first TGW (the demo's; first in the sweep's order) and the second.
fn tgw_a() -> TgwId {
    demo_tgw()
}

fn tgw_b() -> TgwId {
    TgwId::new(second(demo::TGW))
}

/// The demo world twice, on two TGWs: the second copy's ids and group names are its own
/// (`paris-b` …), so that no group spans both TGWs.
fn two_tgw_world() -> World {
    let a = demo_world();
    let mut text = second(&serde_json::to_string(&a).expect("world encodes"));
    for g in ["paris", "lyon", "berlin"] {
        text = text.replace(&format!("\"{g}\":\""), &format!("\"{g}-b\":\""));
    }
    let b: World = serde_json::from_str(&text).expect("renamed world decodes");
    let mut w = a;
    w.transit_gateways.extend(b.transit_gateways);
    w.vpn_connections.extend(b.vpn_connections);
    w.attachments.extend(b.attachments);
    w.route_tables.extend(b.route_tables);
    w.routes.extend(b.routes);
    w.prefix_list_references.extend(b.prefix_list_references);
    w.validate().expect("a valid two-TGW world");
    w
}

/// Both primaries named `paris` are dead (their tunnels are DOWN).
fn both_paris_dead() -> (Sim, World) {
    let initial = two_tgw_world();
    let sim = Sim::new(initial.clone());
    set_tunnels(&sim, demo::VPN_PARIS, Down);
    set_tunnels(&sim, &second(demo::VPN_PARIS), Down);
    (sim, initial)
}

/// Paris's routes (and its prefix-list reference) on each TGW.
fn paris_moves() -> usize {
    usize::from(demo::PARIS_ROUTES) + 1
}

fn failed_over_on_b(sim: &Sim, initial: &World) {
    let w = sim.snapshot();
    let paris_b = keys_on(initial, &second(demo::ATT_PARIS));
    assert_eq!(paris_b.len(), paris_moves());
    assert!(
        keys_on(&w, &second(demo::ATT_PARIS)).is_empty(),
        "the second TGW's dead primary keeps no route"
    );
    assert!(paris_b.is_subset(&keys_on(&w, &second(demo::ATT_LYON))));
    assert_ledger_matches(&w, &group_routes(initial));
}

fn untouched_on_a(sim: &Sim, initial: &World) {
    let w = sim.snapshot();
    assert_eq!(
        keys_on(&w, demo::ATT_PARIS),
        keys_on(initial, demo::ATT_PARIS),
        "nothing moved on the first TGW"
    );
}

/// The run's error: `Incomplete`, naming the first TGW (and not the second) with `what`.
fn incomplete_naming_a(r: Result<Outcome, EngineError>, what: &str) -> (EngineError, Outcome) {
    let err = match r {
        Ok(o) => panic!("expected an error naming {}, got {o:#?}", tgw_a()),
        Err(e) => e,
    };
    let EngineError::Incomplete { outcome, .. } = &err else {
        panic!("expected Incomplete, got {err}");
    };
    let outcome = (**outcome).clone();
    let msg = err.to_string();
    assert!(msg.contains(tgw_a().as_str()), "{msg}");
    assert!(!msg.contains(tgw_b().as_str()), "{msg}");
    assert!(msg.contains(what), "{msg}");
    let failed: Vec<_> = outcome.failed_tgws().map(|(t, _)| t.clone()).collect();
    assert_eq!(failed, [tgw_a()]);
    let b = outcome
        .tgws
        .iter()
        .find(|t| t.tgw == tgw_b())
        .expect("the second TGW is in the outcome");
    assert_eq!(b.moved(), paris_moves());
    (err, outcome)
}

#[tokio::test]
async fn a_sweep_fails_over_the_second_tgw_when_the_first_tgws_route_search_is_denied() {
    let (sim, initial) = both_paris_dead();
    sim.faults.fail_with(
        FailRule::new("SearchTransitGatewayRoutes", 1_000, FailKind::AccessDenied).on_tgw(&tgw_a()),
    );

    let r = engine(&sim, Policy::default()).handle(&sweep()).await;
    let (err, outcome) = incomplete_naming_a(r, "access denied");
    assert!(
        !err.is_retryable(),
        "access denied is not retried by Lambda: {err}"
    );
    let (_, a) = outcome.failed_tgws().next().expect("one failure");
    assert_eq!(a.kind, "Network");
    failed_over_on_b(&sim, &initial);
    untouched_on_a(&sim, &initial);
    assert!(
        sim.lease.holder(&tgw_a()).is_none(),
        "the first TGW's lease is released"
    );

    // Once the role is fixed, the next sweep fails the first TGW over too.
    sim.faults.clear();
    let out = engine(&sim, Policy::default())
        .handle(&sweep())
        .await
        .expect("the next sweep");
    assert_eq!(out.moved(), paris_moves());
    assert!(keys_on(&sim.snapshot(), demo::ATT_PARIS).is_empty());
}

#[tokio::test]
async fn a_sweep_fails_over_the_second_tgw_when_the_first_tgws_attachments_cannot_be_read() {
    let (sim, initial) = both_paris_dead();
    sim.faults.fail_with(
        FailRule::new(
            "DescribeTransitGatewayAttachments",
            1_000,
            FailKind::AccessDenied,
        )
        .on_tgw(&tgw_a()),
    );

    let r = engine(&sim, Policy::default()).handle(&sweep()).await;
    incomplete_naming_a(r, "DescribeTransitGatewayAttachments");
    failed_over_on_b(&sim, &initial);
    untouched_on_a(&sim, &initial);
}

#[tokio::test]
async fn a_sweep_fails_over_the_second_tgw_when_the_first_tgws_store_is_down() {
    let (sim, initial) = both_paris_dead();
    sim.faults.set_store_unavailable_for(&tgw_a(), true);

    let r = engine(&sim, Policy::default()).handle(&sweep()).await;
    let (err, _) = incomplete_naming_a(r, "state store unavailable");
    assert!(err.is_retryable(), "a store outage is retried: {err}");
    failed_over_on_b(&sim, &initial);
    untouched_on_a(&sim, &initial);
}

#[tokio::test]
async fn a_sweep_fails_over_the_second_tgw_when_the_first_tgws_lease_is_held() {
    let (sim, initial) = both_paris_dead();
    let expires = sim.now() + secs(600);
    sim.world().leases.insert(
        tgw_a(),
        LeaseRecord {
            owner: "another-run".into(),
            expires,
        },
    );

    // A sweep is a look: the holder (or the next sweep) sees the first TGW; not an error.
    let out = engine(&sim, Policy::default())
        .handle(&sweep())
        .await
        .expect("a sweep meeting one busy TGW succeeds");
    assert!(
        out.notes
            .iter()
            .any(|n| n.contains(&format!("another run holds the lease on {}", tgw_a()))),
        "{:?}",
        out.notes
    );
    assert_eq!(out.moved(), paris_moves());
    failed_over_on_b(&sim, &initial);
    untouched_on_a(&sim, &initial);

    // An operator's reconcile wants every TGW now: the busy one is the run's error.
    let r = engine(&sim, Policy::default())
        .handle(&operator(OperatorAction::Reconcile { group: None }))
        .await;
    let err = r.expect_err("an operator meeting a busy TGW is told");
    let msg = err.to_string();
    assert!(
        matches!(&err, EngineError::Incomplete { .. }) && msg.contains(tgw_a().as_str()),
        "{msg}"
    );
    assert!(msg.contains("another run holds the lease"), "{msg}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_trigger_about_one_tgw_fails_with_that_tgws_own_error() {
    let (sim, _) = both_paris_dead();
    sim.faults.set_store_unavailable_for(&tgw_a(), true);
    let err = engine(&sim, Policy::default())
        .handle(&operator(OperatorAction::Failover {
            group: GroupName::new("paris"),
            to: None,
        }))
        .await
        .expect_err("the store of paris's TGW is down");
    assert!(matches!(err, EngineError::Store(_)), "{err}");
    assert!(err.to_string().contains(tgw_a().as_str()), "{err}");
}
