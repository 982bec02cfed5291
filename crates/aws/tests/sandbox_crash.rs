//! Crash and resume over the wire: the real engine with the real AWS SDK (`Ec2Network`) against
//! the sandbox on 127.0.0.1, on the real clock, dies after k of the N moves of paris's failover
//! (a panic in its task, as a killed process); a restarted engine (another owner, on the same
//! store and lease), once the dead run's short lease has expired, converges with no route lost
//! or duplicated, a ledger that matches the routes, and nothing left to do.
//!
//! The crash is injected by a `Network` layer that panics on the (k+1)-th move call before
//! forwarding it. The engine moves up to 50 routes at once; the wrapper lets the moves already
//! sent finish before it panics, so that exactly k moves have reached the sandbox.
//!
//! Never AWS: explicit endpoint, static test credentials.

mod common;

use async_trait::async_trait;
use common::engine::{
    assert_dead_runs_lease_holds, keys_on, placement, quiet_injected_crashes, sweep,
};
use common::wire::{ec2_network, unpaced};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;
use tgw_ha_core::ids::{AttachmentId, TgwId, VpnId};
use tgw_ha_core::model::{RouteKey, TunnelStatus};
use tgw_ha_engine::layer::{Layer, Layered, Write};
use tgw_ha_engine::ports::{Clock, NetError, Network, Ports, SystemClock};
use tgw_ha_engine::testing::SkipClock;
use tgw_ha_engine::{Engine, EngineConfig};
use tgw_ha_sim::demo_world::{self as demo, demo_world};
use tgw_ha_sim::sandbox::{self, Limits, RunningSandbox, SandboxConfig};
use tgw_ha_sim::world::lock;
use tgw_ha_sim::{MemoryLease, MemoryStore, RecordingNotifier};

/// Short, so that the restart waits only a moment for the dead run's lease.
const LEASE_TTL: Duration = Duration::from_secs(2);

// ---- plumbing ---------------------------------------------------------------------------------

/// A layer over `Ec2Network`: the (k+1)-th move call panics before it is sent, so the process
/// dies with k moves made.
struct CrashAfter {
    k: usize,
    moves_left: AtomicUsize,
    /// Moves sent and not yet answered.
    in_flight: AtomicUsize,
}

/// One move in flight; counts down when it is answered (or dropped).
struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, SeqCst);
    }
}

impl CrashAfter {
    fn new(k: usize) -> Self {
        CrashAfter {
            k,
            moves_left: AtomicUsize::new(k),
            in_flight: AtomicUsize::new(0),
        }
    }

    /// Admit one move, or crash once the moves already sent are answered (so the sandbox has
    /// made exactly k, whatever the engine's concurrency).
    async fn admit(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, SeqCst);
        let guard = InFlight(&self.in_flight);
        if self
            .moves_left
            .fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return guard;
        }
        drop(guard);
        while self.in_flight.load(SeqCst) > 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        panic!("injected crash after {} moves", self.k);
    }
}

#[async_trait]
impl Layer for CrashAfter {
    async fn write(&self, inner: &dyn Network, write: Write<'_>) -> Result<(), NetError> {
        let _sent = self.admit().await;
        write.send(inner).await
    }
}

/// An engine over `network` with the sandbox world's store and lease, on `clock` (the real
/// clock, which the test may skip forward).
fn engine(
    sb: &RunningSandbox,
    network: Arc<dyn Network>,
    owner: &str,
    clock: Arc<SkipClock>,
) -> Engine {
    let world = sb.world().clone();
    let ports = Ports {
        network,
        store: Arc::new(MemoryStore::new(world.clone())),
        lease: Arc::new(MemoryLease::new(world)),
        notifier: Arc::new(RecordingNotifier::new()),
        clock,
    };
    Engine::new(
        ports,
        EngineConfig {
            // EC2's pacing is tested elsewhere; here 33 moves go at once.
            executor: unpaced(),
            lease_ttl: LEASE_TTL,
            owner: owner.into(),
            ..EngineConfig::default()
        },
    )
}

// ---- the test ---------------------------------------------------------------------------------

/// Paris's tunnels down; a run dies after k moves; a restarted run converges.
async fn crash_after_k_moves_then_resume(k: usize) {
    quiet_injected_crashes();
    let started = tokio::time::Instant::now();
    let initial = demo_world();
    let paris = keys_on(&initial, demo::ATT_PARIS);
    let lyon = keys_on(&initial, demo::ATT_LYON);
    let n = paris.len();
    assert_eq!(
        n,
        usize::from(demo::PARIS_ROUTES) + 1,
        "routes and a reference"
    );
    assert!(k < n);

    let mut world = initial.clone();
    world
        .set_tunnel(
            &VpnId::new(demo::VPN_PARIS),
            None,
            TunnelStatus::Down,
            SystemClock.now(),
        )
        .expect("paris exists");
    let sb = sandbox::bind(
        "127.0.0.1:0".parse().unwrap(),
        SandboxConfig::new(world).limits(Limits::None),
    )
    .await
    .expect("bind")
    .spawn();
    let tgw = TgwId::new(demo::TGW);

    // The run that dies.
    let crashing = Arc::new(Layered::new(
        Arc::new(ec2_network(&sb.url()).await),
        CrashAfter::new(k),
    ));
    let first = Arc::new(engine(&sb, crashing, "crashing-run", Arc::default()));
    let err = tokio::spawn(async move { first.handle(&sweep()).await })
        .await
        .expect_err("the run dies mid-way");
    assert!(err.is_panic(), "k = {k}: {err}");

    let w = lock(sb.world()).clone();
    let on_lyon = keys_on(&w, demo::ATT_LYON);
    let moved: BTreeSet<RouteKey> = on_lyon.difference(&lyon).cloned().collect();
    assert_eq!(moved.len(), k, "k = {k}: exactly k moves reached EC2");
    assert!(
        moved.is_subset(&paris),
        "k = {k}: only paris's routes moved"
    );
    assert_eq!(keys_on(&w, demo::ATT_PARIS), &paris - &moved, "k = {k}");
    let ledger: BTreeSet<RouteKey> = w
        .state
        .get(&tgw)
        .map(|s| s.ledger.iter().map(|e| e.key.clone()).collect())
        .unwrap_or_default();
    assert!(
        moved.is_subset(&ledger),
        "k = {k}: every moved route is in the ledger before it moves"
    );
    let lease = w.leases.get(&tgw).cloned().expect("the dead run's lease");
    assert_eq!(lease.owner, "crashing-run");

    // The restart: busy until the dead run's lease expires, then it converges.
    let clock = Arc::new(SkipClock::default());
    let next = engine(
        &sb,
        Arc::new(ec2_network(&sb.url()).await),
        "restarted-run",
        clock.clone(),
    );
    // A sweep is a look: it meets the dead run's lease, succeeds with a note, moves nothing;
    // an operator's reconcile is told the TGW is busy.
    let look = assert_dead_runs_lease_holds(&next, &format!("k = {k}")).await;
    assert_eq!(look.moved(), 0);
    // The dead run's lease expires: skip the restarted run's clock past it, no sleep.
    clock.skip_past(lease.expires);
    let out = next
        .handle(&sweep())
        .await
        .expect("the restarted run converges");
    assert_eq!(out.moved(), n - k, "k = {k}: the restart moves the rest");

    let w = lock(sb.world()).clone();
    assert_eq!(
        placement(&w).into_keys().collect::<BTreeSet<_>>(),
        placement(&initial).into_keys().collect::<BTreeSet<_>>(),
        "k = {k}: the same routes, each once"
    );
    assert_eq!(w.routes.len(), initial.routes.len(), "k = {k}");
    assert_eq!(
        w.prefix_list_references.len(),
        initial.prefix_list_references.len(),
        "k = {k}"
    );
    assert!(keys_on(&w, demo::ATT_PARIS).is_empty(), "k = {k}");
    assert_eq!(keys_on(&w, demo::ATT_LYON), &lyon | &paris, "k = {k}");

    let state = w.state.get(&tgw).cloned().unwrap_or_default();
    let ledger: BTreeSet<RouteKey> = state.ledger.iter().map(|e| e.key.clone()).collect();
    assert_eq!(
        ledger, paris,
        "k = {k}: the ledger holds exactly paris's routes"
    );
    assert_eq!(state.ledger.len(), n, "k = {k}: one entry per route");
    for e in &state.ledger {
        assert_eq!(e.home, AttachmentId::new(demo::ATT_PARIS), "{}", e.key);
        assert_eq!(e.current, AttachmentId::new(demo::ATT_LYON), "{}", e.key);
    }

    let again = next.handle(&sweep()).await.expect("a further sweep");
    assert_eq!(again.planned(), 0, "k = {k}: a further sweep plans nothing");
    eprintln!("k = {k}: crash and resume in {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread")]
async fn failover_crashing_before_the_first_move_resumes_over_the_wire() {
    crash_after_k_moves_then_resume(0).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failover_crashing_after_1_move_resumes_over_the_wire() {
    crash_after_k_moves_then_resume(1).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failover_crashing_after_17_moves_resumes_over_the_wire() {
    crash_after_k_moves_then_resume(17).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn failover_crashing_before_the_last_move_resumes_over_the_wire() {
    crash_after_k_moves_then_resume(32).await;
}
