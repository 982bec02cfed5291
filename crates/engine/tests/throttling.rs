//! EC2 errors during a run: throttling and 5xx are retried to the same end state; a final
//! error on one move makes the run `Incomplete`, keeps the ledger consistent, and the next run
//! finishes the job.

mod common;

use common::*;
use tgw_ha_core::model::Destination;
use tgw_ha_core::model::TunnelStatus::Down;
use tgw_ha_core::policy::Policy;
use tgw_ha_engine::outcome::MoveStatus;
use tgw_ha_engine::{EngineError, Outcome};
use tgw_ha_sim::demo_world::{self as demo, demo_world};
use tgw_ha_sim::{FailKind, Sim};

const REPLACE: &str = "ReplaceTransitGatewayRoute";
const PARIS_ALL: usize = demo::PARIS_ROUTES as usize + 1;

/// paris and berlin's primary down: 71 moves, more than the 50-call burst, so pacing and
/// retries interleave.
async fn failover(throttle_seed: Option<u64>) -> (Sim, Outcome) {
    let sim = Sim::new(demo_world());
    set_tunnels(&sim, demo::VPN_PARIS, Down);
    set_tunnels(&sim, demo::VPN_BERLIN_PRIMARY, Down);
    if let Some(seed) = throttle_seed {
        sim.faults.set_throttle(0.3, seed);
    }
    let out = engine(&sim, Policy::default())
        .handle(&sweep())
        .await
        .expect("the run succeeds");
    (sim, out)
}

#[tokio::test]
async fn thirty_percent_throttling_reaches_the_same_end_state() {
    let (clean, clean_out) = failover(None).await;
    let want = clean.snapshot();
    assert_eq!(clean_out.moved(), 71);
    for seed in 1..=8 {
        let (sim, out) = failover(Some(seed)).await;
        let w = sim.snapshot();
        assert_eq!(w.routes, want.routes, "seed {seed}");
        assert_eq!(
            w.prefix_list_references, want.prefix_list_references,
            "seed {seed}"
        );
        let keys =
            |s: &Sim| -> Vec<_> { ledger(s).into_iter().map(|e| (e.key, e.current)).collect() };
        assert_eq!(keys(&sim), keys(&clean), "seed {seed}");
        assert_eq!((out.moved(), out.failed()), (71, 0), "seed {seed}");

        let throttled: u64 = out.calls.values().map(|c| c.throttled).sum();
        let retried: u64 = out.calls.values().map(|c| c.retried).sum();
        assert!(throttled > 0, "seed {seed}: nothing throttled");
        assert!(retried >= throttled, "seed {seed}: every throttle retried");
        assert_eq!(sim.network.calls().total_throttled(), throttled);
    }
}

#[tokio::test]
async fn access_denied_on_one_move_is_incomplete_and_the_next_run_converges() {
    let initial = demo_world();
    let sim = Sim::new(initial.clone());
    set_tunnels(&sim, demo::VPN_PARIS, Down);
    sim.faults.fail_next(REPLACE, 1, FailKind::AccessDenied);
    let e = engine(&sim, Policy::default());

    let err = e.handle(&sweep()).await.unwrap_err();
    assert!(err.is_retryable());
    let EngineError::Incomplete {
        failed,
        planned,
        outcome,
    } = err
    else {
        panic!("expected Incomplete, got {err}");
    };
    assert_eq!((failed, planned), (1, PARIS_ALL));
    assert_eq!(outcome.moved(), PARIS_ALL - 1, "the other moves are done");
    let bad: Vec<_> = outcome.tgws[0]
        .results
        .iter()
        .filter(|r| r.is_failure())
        .collect();
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].attempts, 1, "access denied is not retried");
    assert!(matches!(
        bad[0].status,
        MoveStatus::Failed {
            retryable: false,
            ..
        }
    ));
    let failed_key = bad[0].planned.key.clone();

    let w = sim.snapshot();
    assert_eq!(
        placement(&w)[&failed_key],
        Some(att(demo::ATT_PARIS)),
        "the failed route stays home"
    );
    assert!(ledger(&sim).iter().all(|l| l.key != failed_key));
    assert_eq!(ledger(&sim).len(), PARIS_ALL - 1);
    assert_ledger_matches(&w, &group_routes(&initial));

    let out = e.handle(&sweep()).await.expect("the next run converges");
    assert_eq!(out.moved(), 1);
    let w = sim.snapshot();
    assert!(keys_on(&w, demo::ATT_PARIS).is_empty());
    assert_eq!(ledger(&sim).len(), PARIS_ALL);
    assert_ledger_matches(&w, &group_routes(&initial));
}

#[tokio::test]
async fn server_errors_are_retried_to_success() {
    let sim = Sim::new(demo_world());
    set_tunnels(&sim, demo::VPN_PARIS, Down);
    sim.faults.fail_next(REPLACE, 3, FailKind::Unavailable);
    let out = engine(&sim, Policy::default())
        .handle(&sweep())
        .await
        .expect("5xx are retried");
    assert_eq!((out.moved(), out.failed()), (PARIS_ALL, 0));
    let stats = out.calls[REPLACE];
    assert_eq!((stats.retried, stats.failed), (3, 0));
    let attempts: u32 = out.tgws[0]
        .results
        .iter()
        .filter(|r| matches!(r.planned.key.destination, Destination::Cidr(_)))
        .map(|r| r.attempts)
        .sum();
    assert_eq!(attempts, u32::from(demo::PARIS_ROUTES) + 3);
    assert_eq!(sim.network.calls().calls_of(REPLACE), u64::from(attempts));
    assert!(keys_on(&sim.snapshot(), demo::ATT_PARIS).is_empty());
}

#[tokio::test]
async fn a_failback_that_mostly_failed_is_finished_not_undone_by_the_next_run() {
    let initial = demo_world();
    let sim = Sim::new(initial.clone());
    let e = engine(&sim, failback_on());
    set_tunnels(&sim, demo::VPN_PARIS, Down);
    e.handle(&sweep()).await.unwrap();
    advance(&sim, 60);
    set_tunnels(
        &sim,
        tgw_ha_sim::demo_world::VPN_PARIS,
        tgw_ha_core::model::TunnelStatus::Up,
    );
    advance(&sim, 300);

    // 20 of the 33 moves home fail: most of paris's routes are still on lyon.
    sim.faults.fail_next(REPLACE, 20, FailKind::AccessDenied);
    let err = e.handle(&sweep()).await.unwrap_err();
    assert!(
        matches!(err, EngineError::Incomplete { failed: 20, .. }),
        "{err}"
    );
    let home_now = keys_on(&sim.snapshot(), demo::ATT_PARIS);
    assert_eq!(home_now.len(), PARIS_ALL - 20);

    // The retry (Lambda retries at once) finishes the failback.
    let out = e.handle(&sweep()).await.expect("the retry succeeds");
    let w = sim.snapshot();
    assert!(
        home_now.is_subset(&keys_on(&w, demo::ATT_PARIS)),
        "routes already home were moved away again: {:?}",
        out.tgws[0]
            .planned
            .iter()
            .map(|m| (&m.key, &m.to, m.kind))
            .collect::<Vec<_>>()
    );
    assert_eq!(placement(&w), placement(&initial));
    assert!(ledger(&sim).is_empty());
}
