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
use tgw_ha_sim::demo_world::{self as demo, demo_world, second, two_tgw_demo_world};
use tgw_ha_sim::{FailKind, FailRule, LeaseRecord, Sim, World};

/// The first TGW (the demo's; first in the sweep's order) and the second.
fn tgw_a() -> TgwId {
    demo_tgw()
}

fn tgw_b() -> TgwId {
    TgwId::new(second(demo::TGW))
}

/// Both primaries named `paris` are dead (their tunnels are DOWN).
fn both_paris_dead() -> (Sim, World) {
    let initial = two_tgw_demo_world();
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

// ---------------------------------------------------------------------------------------------
// Property: whatever breaks one TGW (a denied or failing read, its store, its lease), every TGW
// without a fault converges in the same sweep, and the broken one is named and left untouched.

mod property {
    use super::*;
    use proptest::prelude::*;
    use tgw_ha_core::model::TunnelStatus::Up;
    use tgw_ha_sim::{RandomWorldParams, random_world};

    #[derive(Debug, Clone, Copy)]
    enum Fault {
        SearchDenied,
        AttachmentsDenied,
        RouteTablesUnavailable,
        StoreDown,
        LeaseHeld,
    }

    fn fault() -> impl Strategy<Value = Fault> {
        prop_oneof![
            Just(Fault::SearchDenied),
            Just(Fault::AttachmentsDenied),
            Just(Fault::RouteTablesUnavailable),
            Just(Fault::StoreDown),
            Just(Fault::LeaseHeld),
        ]
    }

    fn arm(sim: &Sim, f: Fault) {
        let rule = |op: &str, kind| FailRule::new(op, u32::MAX, kind).on_tgw(&tgw_a());
        match f {
            Fault::SearchDenied => sim
                .faults
                .fail_with(rule("SearchTransitGatewayRoutes", FailKind::AccessDenied)),
            Fault::AttachmentsDenied => sim.faults.fail_with(rule(
                "DescribeTransitGatewayAttachments",
                FailKind::AccessDenied,
            )),
            Fault::RouteTablesUnavailable => sim.faults.fail_with(rule(
                "DescribeTransitGatewayRouteTables",
                FailKind::Unavailable,
            )),
            Fault::StoreDown => sim.faults.set_store_unavailable_for(&tgw_a(), true),
            Fault::LeaseHeld => {
                let expires = sim.now() + secs(600);
                sim.world().leases.insert(
                    tgw_a(),
                    LeaseRecord {
                        owner: "another-run".into(),
                        expires,
                    },
                );
            }
        }
    }

    /// The demo estate on the first TGW (the one that breaks), a random one on the second.
    fn world(seed: u64) -> World {
        let b = random_world(seed, &RandomWorldParams::sample(seed));
        let mut w = demo_world();
        w.dead_routes = b.dead_routes;
        w.extend_estate(b);
        w
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]
        #[test]
        fn every_tgw_without_a_fault_converges_whatever_breaks_another(
            seed in 0u64..1_000_000,
            dead in proptest::collection::vec(any::<bool>(), 0..24),
            f in fault(),
        ) {
            let initial = world(seed);
            let groups = group_routes(&initial);
            let other = groups.iter().find(|g| g.tgw != tgw_a()).map(|g| g.tgw.clone());
            let Some(tgw_b) = other else { return Ok(()) };
            let sim = Sim::new(initial.clone());
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            // A first sweep on the healthy world takes the census of each group's routes (how a
            // route to a dead VPN that shows no attachment is still known as the group's).
            let first = rt.block_on(engine(&sim, Policy::default()).handle(&sweep()));
            prop_assert!(first.is_ok(), "{first:?}");
            advance(&sim, 60);
            // Kill some VPNs of the second TGW, and paris on the first (which must not move).
            let b_vpns: Vec<_> = initial
                .vpn_connections
                .iter()
                .filter(|v| v.transit_gateway_id.as_ref() == Some(&tgw_b))
                .map(|v| v.id.clone())
                .collect();
            for (v, d) in b_vpns.iter().zip(&dead) {
                set_tunnels(&sim, v.as_str(), if *d { Down } else { Up });
            }
            set_tunnels(&sim, demo::VPN_PARIS, Down);
            arm(&sim, f);
            let a_before: Vec<_> = placement(&sim.snapshot())
                .into_iter()
                .filter(|(k, _)| initial.route_table(&k.table).is_some_and(|t| t.transit_gateway_id == tgw_a()))
                .collect();

            let r = rt.block_on(engine(&sim, Policy::default()).handle(&sweep()));
            match (&r, f) {
                (Ok(o), Fault::LeaseHeld) => prop_assert!(o.notes.iter().any(|n| n.contains("holds the lease")), "{:?}", o.notes),
                (Err(e), _) => {
                    prop_assert!(e.to_string().contains(tgw_a().as_str()), "{e}");
                    prop_assert!(!e.to_string().contains(tgw_b.as_str()), "{e}");
                }
                (Ok(o), _) => prop_assert!(false, "{f:?} must fail the run: {o:?}"),
            }

            // The first TGW: nothing moved.
            let w = sim.snapshot();
            let a_after: Vec<_> = placement(&w)
                .into_iter()
                .filter(|(k, _)| initial.route_table(&k.table).is_some_and(|t| t.transit_gateway_id == tgw_a()))
                .collect();
            prop_assert_eq!(a_after, a_before);
            // The second: every group with a healthy member has all its routes on healthy ones.
            let place = placement(&w);
            for g in groups.iter().filter(|g| g.tgw == tgw_b) {
                let healthy_atts: Vec<_> = g
                    .members
                    .iter()
                    .filter(|(v, _)| healthy(&w, v))
                    .map(|(_, a)| a.clone())
                    .collect();
                if healthy_atts.is_empty() {
                    continue;
                }
                for k in &g.keys {
                    let at = place.get(k).cloned().flatten();
                    prop_assert!(
                        at.as_ref().is_some_and(|a| healthy_atts.contains(a)),
                        "{} route {k} on {at:?}, healthy: {healthy_atts:?}", g.name
                    );
                }
            }
            assert_ledger_matches(&w, &groups.iter().filter(|g| g.tgw == tgw_b).cloned().collect::<Vec<_>>());
        }
    }
}
