//! Crash test: the process dies after every k of the N moves of a failover (and of a
//! failback); a restarted engine, once the dead run's lease has expired, converges with no
//! route lost or duplicated and a ledger that matches the routes.

mod common;

use common::*;
use std::collections::BTreeSet;
use std::sync::Arc;
use tgw_ha_core::model::RouteKey;
use tgw_ha_core::model::TunnelStatus::{Down, Up};
use tgw_ha_core::policy::Policy;
use tgw_ha_engine::{Engine, EngineConfig};
use tgw_ha_sim::demo_world::{self as demo, demo_world};
use tgw_ha_sim::{Sim, World};

/// Past the default lease TTL (120 s).
const PAST_LEASE_TTL: i64 = 121;
/// Past the default damping interval (300 s) too: a failback that died before its first move
/// still counted as this group's switch, so the next one waits for the interval (routes are on
/// a healthy backup meanwhile; only failovers are never damped).
const PAST_DAMPING: i64 = 301;

fn restarted(sim: &Sim, policy: Policy) -> Engine {
    Engine::new(
        sim.ports(),
        EngineConfig {
            policy,
            owner: "restarted-run".into(),
            ..EngineConfig::default()
        },
    )
}

/// Runs a sweep that dies at its (k+1)-th move, then, once the dead run's lease has expired,
/// a restarted engine (another owner); returns the restarted run's moves.
async fn crash_then_restart(sim: &Sim, policy: Policy, k: usize, wait: i64) -> usize {
    sim.faults.crash_after_moves(k as u64);
    let first = Arc::new(engine(sim, policy.clone()));
    let err = tokio::spawn(async move { first.handle(&sweep()).await })
        .await
        .expect_err("the run dies mid-way");
    assert!(err.is_panic());
    assert_eq!(
        sim.faults.moves(),
        k as u64,
        "k moves were made before the crash"
    );

    let next = restarted(sim, policy);
    // A sweep is a look: meeting the dead run's lease, it succeeds with a note and changes
    // nothing; an operator's reconcile is told the TGW is busy.
    let before = sim.snapshot();
    let look = assert_dead_runs_lease_holds(&next, &format!("k = {k}")).await;
    assert_eq!(look.planned(), 0);
    assert_eq!(sim.snapshot(), before);
    advance(sim, wait);
    let out = next
        .handle(&sweep())
        .await
        .expect("the restarted run converges");
    let again = next.handle(&sweep()).await.expect("a further sweep");
    assert_eq!(again.planned(), 0, "a further sweep plans nothing");
    out.moved()
}

/// Same keys as the initial world, each exactly once.
fn assert_nothing_lost_or_duplicated(w: &World, initial: &World) {
    let keys: BTreeSet<RouteKey> = placement(w).into_keys().collect();
    let initial_keys: BTreeSet<RouteKey> = placement(initial).into_keys().collect();
    assert_eq!(keys, initial_keys);
    assert_eq!(w.routes.len(), initial.routes.len());
    assert_eq!(
        w.prefix_list_references.len(),
        initial.prefix_list_references.len()
    );
}

#[tokio::test]
async fn failover_crashing_after_every_k_moves_converges_after_restart() {
    quiet_injected_crashes();
    let initial = demo_world();
    let groups = group_routes(&initial);
    let paris = keys_on(&initial, demo::ATT_PARIS);
    let lyon = keys_on(&initial, demo::ATT_LYON);
    let n = paris.len();
    assert_eq!(n, 33);

    for k in 0..n {
        let sim = Sim::new(initial.clone());
        set_tunnels(&sim, demo::VPN_PARIS, Down);
        let moved = crash_then_restart(&sim, Policy::default(), k, PAST_LEASE_TTL).await;
        assert_eq!(moved, n - k, "k = {k}: the restart moves the rest");

        let w = sim.snapshot();
        assert_nothing_lost_or_duplicated(&w, &initial);
        assert_eq!(keys_on(&w, demo::ATT_LYON), &lyon | &paris, "k = {k}");
        assert!(keys_on(&w, demo::ATT_PARIS).is_empty(), "k = {k}");
        assert_ledger_matches(&w, &groups);
        assert_eq!(ledger(&sim).len(), n, "k = {k}");
    }
}

#[tokio::test]
async fn failback_crashing_after_every_k_moves_converges_after_restart() {
    quiet_injected_crashes();
    let initial = demo_world();
    let groups = group_routes(&initial);
    let n = keys_on(&initial, demo::ATT_PARIS).len();

    // Failed over and paris stable again: the next sweep fails back N routes.
    let failed_over = {
        let sim = Sim::new(initial.clone());
        set_tunnels(&sim, demo::VPN_PARIS, Down);
        engine(&sim, Policy::default())
            .handle(&sweep())
            .await
            .unwrap();
        advance(&sim, 60);
        set_tunnels(&sim, demo::VPN_PARIS, Up);
        advance(&sim, 300);
        sim.snapshot()
    };
    for k in 0..n {
        let sim = Sim::new(failed_over.clone());
        let moved = crash_then_restart(&sim, failback_on(), k, PAST_DAMPING).await;
        assert_eq!(moved, n - k, "k = {k}");

        let w = sim.snapshot();
        assert_nothing_lost_or_duplicated(&w, &initial);
        assert_eq!(placement(&w), placement(&initial), "k = {k}: all home");
        assert_ledger_matches(&w, &groups);
        assert!(ledger(&sim).is_empty(), "k = {k}");
    }
}
