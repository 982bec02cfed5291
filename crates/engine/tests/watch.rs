//! Watch mode on the sim's virtual clock: the tunnels of a primary go DOWN between two polls and
//! the next poll moves its routes (and a quiet world moves nothing); a transient error in a poll
//! does not end the watch; one watcher per table (a second is refused, a stalled one stops);
//! the watch ends at its max duration or deadline, less the engine's margin; a run that met a
//! busy TGW is retried at the next poll; with failback on, the poll that sees the primary become
//! stable fails back.

mod common;

use async_trait::async_trait;
use common::*;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tgw_ha_core::Timestamp;
use tgw_ha_core::ids::TgwId;
use tgw_ha_core::model::TunnelStatus::{Down, Up};
use tgw_ha_core::planner::EventKind;
use tgw_ha_core::policy::Policy;
use tgw_ha_engine::executor::ExecutorConfig;
use tgw_ha_engine::ports::Clock;
use tgw_ha_engine::watch::{Poll, WATCH_LEASE_KEY, WatchConfig, WatchEnd, WatchError, Watcher};
use tgw_ha_engine::{Deadline, EngineConfig, RunOptions};
use tgw_ha_sim::demo_world::{ATT_LYON, ATT_PARIS, VPN_PARIS};
use tgw_ha_sim::{FailKind, Sim, VirtualClock, demo_world};

const PARIS_MOVES: usize = demo_world::PARIS_ROUTES as usize + 1;

fn config(owner: &str, policy: Policy) -> EngineConfig {
    EngineConfig {
        policy,
        owner: owner.into(),
        ..EngineConfig::default()
    }
}

fn watcher(sim: &Sim, owner: &str) -> Watcher {
    Watcher::new(
        sim.ports(),
        config(owner, Policy::default()),
        WatchConfig::default(),
    )
}

fn writes(sim: &Sim) -> u64 {
    sim.network.calls().calls_of("ReplaceTransitGatewayRoute")
        + sim
            .network
            .calls()
            .calls_of("ModifyTransitGatewayPrefixListReference")
}

fn watch_key() -> TgwId {
    TgwId::new(WATCH_LEASE_KEY)
}

/// The sim's virtual clock, with world changes scripted at virtual times: each fires once the
/// clock has passed its time, from inside a sleep (the watch's wait between polls, or a
/// backoff), as a change in the real world happens while a watcher waits.
struct Scripted {
    clock: VirtualClock,
    script: Mutex<Vec<(Timestamp, Action)>>,
}

/// A change of the world, made once its time has come.
type Action = Box<dyn FnOnce() + Send>;

impl Scripted {
    fn new(sim: &Sim) -> Arc<Self> {
        Arc::new(Scripted {
            clock: sim.virtual_clock.clone().expect("virtual time"),
            script: Mutex::new(vec![]),
        })
    }

    fn at(&self, secs: i64, f: impl FnOnce() + Send + 'static) {
        let t = self.clock.now() + secs_(secs);
        self.script.lock().unwrap().push((t, Box::new(f)));
    }
}

fn secs_(n: i64) -> chrono::Duration {
    chrono::Duration::seconds(n)
}

#[async_trait]
impl Clock for Scripted {
    fn now(&self) -> Timestamp {
        self.clock.now()
    }
    async fn sleep_until(&self, t: Timestamp) {
        Clock::sleep_until(&self.clock, t).await;
        let now = self.clock.now();
        let due: Vec<_> = {
            let mut s = self.script.lock().unwrap();
            let (due, later) = std::mem::take(&mut *s)
                .into_iter()
                .partition(|(at, _)| *at <= now);
            *s = later;
            due
        };
        for (_, f) in due {
            f();
        }
    }
}

/// A watcher whose ports run on `clock`.
fn scripted_watcher(sim: &Sim, clock: Arc<Scripted>, engine: EngineConfig) -> Watcher {
    let mut ports = sim.ports();
    ports.clock = clock;
    Watcher::new(ports, engine, WatchConfig::default())
}

#[tokio::test]
async fn tunnels_down_between_two_polls_are_acted_on_at_the_next_poll() {
    let sim = Sim::new(demo_world());
    let paris_keys = keys_on(&sim.world(), ATT_PARIS);
    assert_eq!(paris_keys.len(), PARIS_MOVES);
    let w = watcher(&sim, "watcher-a");
    let mut watch = w.start(&RunOptions::default()).await.expect("lease free");

    // The first poll sweeps every group: all home, nothing to move.
    assert_eq!(watch.poll().await, Poll::Continue);
    assert_eq!(
        (watch.summary().runs, watch.summary().moves, writes(&sim)),
        (1, 0, 0)
    );
    // Nothing changed: a poll is one read and no run.
    for _ in 0..3 {
        advance(&sim, 5);
        let reads = sim.network.calls().calls_of("DescribeVpnConnections");
        assert_eq!(watch.poll().await, Poll::Continue);
        assert_eq!(
            sim.network.calls().calls_of("DescribeVpnConnections"),
            reads + 1
        );
    }
    assert_eq!(
        (watch.summary().runs, watch.summary().changes, writes(&sim)),
        (1, 0, 0),
        "nothing changed, nothing moved"
    );

    // Between two polls, paris's tunnels go DOWN.
    advance(&sim, 2);
    set_tunnels(&sim, VPN_PARIS, Down);
    let down_at = sim.now();
    advance(&sim, 3);
    assert_eq!(watch.poll().await, Poll::Continue);
    let s = watch.summary().clone();
    assert_eq!(
        (s.changes, s.runs, s.moves, s.run_errors),
        (1, 2, PARIS_MOVES, 0)
    );
    assert!(keys_on(&sim.world(), ATT_PARIS).is_empty());
    assert!(paris_keys.is_subset(&keys_on(&sim.world(), ATT_LYON)));
    let (event, at) = sim.notifier.events().into_iter().next().expect("notified");
    assert_eq!(
        (event.group.as_str(), event.kind),
        ("paris", EventKind::FailedOver)
    );
    assert!(
        at - down_at <= secs(5),
        "moved {} after the drop",
        at - down_at
    );
    assert!(
        state(&sim, &demo_tgw()).signals.is_empty(),
        "a look stores no signal"
    );

    // Once acted on, the same (down) health is no change.
    advance(&sim, 5);
    assert_eq!(watch.poll().await, Poll::Continue);
    assert_eq!((watch.summary().runs, watch.summary().changes), (2, 1));

    let s = watch.finish().await;
    assert_eq!(s.polls, 6);
    assert!(sim.lease.holder(&watch_key()).is_none(), "lease released");
}

#[tokio::test]
async fn a_transient_network_error_in_a_poll_does_not_end_the_watch() {
    let sim = Sim::new(demo_world());
    let clock = Scripted::new(&sim);
    let start = clock.now();
    // Two attempts per call, so that two injected failures fail the whole poll.
    let engine = EngineConfig {
        executor: ExecutorConfig {
            max_attempts: 2,
            ..ExecutorConfig::default()
        },
        ..config("watcher", Policy::default())
    };
    let faults = sim.faults.clone();
    clock.at(7, move || {
        faults.fail_next("DescribeVpnConnections", 2, FailKind::Unavailable)
    });
    let s2 = sim.clone();
    clock.at(18, move || set_tunnels(&s2, VPN_PARIS, Down));
    let w = scripted_watcher(&sim, clock.clone(), engine);
    let s = w
        .run(
            &RunOptions {
                deadline: Some(Deadline::In(Duration::from_secs(60))),
            },
            None,
        )
        .await
        .expect("watched");
    assert_eq!(s.poll_errors, 1, "{s:#?}");
    assert!(
        s.errors[0].contains("DescribeVpnConnections"),
        "{:?}",
        s.errors
    );
    assert_eq!(
        (s.changes, s.moves, s.run_errors),
        (1, PARIS_MOVES, 0),
        "{s:#?}"
    );
    assert_eq!(s.end, WatchEnd::Deadline);
    assert!(keys_on(&sim.world(), ATT_PARIS).is_empty());
    // The poll at +20 s saw the drop of +18 s.
    let (_, at) = sim.notifier.events().into_iter().next().expect("notified");
    assert!(at <= start + secs(21), "moved at +{}", at - start);
}

#[tokio::test]
async fn a_second_watcher_is_refused_while_the_first_holds_the_lease() {
    let sim = Sim::new(demo_world());
    let a = watcher(&sim, "watcher-a");
    let b = watcher(&sim, "watcher-b");
    let mut wa = a.start(&RunOptions::default()).await.expect("free");
    wa.poll().await;

    let err = match b.start(&RunOptions::default()).await {
        Err(e) => e,
        Ok(_) => panic!("a second watcher started"),
    };
    assert!(matches!(err, WatchError::Busy { .. }), "{err}");
    assert!(err.is_retryable());
    let msg = err.to_string();
    assert!(
        msg.contains("another watcher holds the watch lease"),
        "{msg}"
    );
    assert_eq!(sim.lease.holder(&watch_key()).unwrap().owner, "watcher-a");

    // Renewed at every poll: still a's after more than one TTL of polling.
    for _ in 0..20 {
        advance(&sim, 5);
        assert_eq!(wa.poll().await, Poll::Continue);
    }
    assert!(b.start(&RunOptions::default()).await.is_err());

    // A clean end hands over at once.
    wa.finish().await;
    let wb = b.start(&RunOptions::default()).await.expect("free again");

    // A watcher that stalls past its lease's TTL loses it to the next, and stops at its next
    // poll without releasing what is now the other's.
    drop(wb); // b dies without releasing
    advance(&sim, 61);
    let mut wa = a
        .start(&RunOptions::default())
        .await
        .expect("b's lease expired");
    assert!(b.start(&RunOptions::default()).await.is_err(), "a holds it");
    advance(&sim, 61);
    let c = watcher(&sim, "watcher-c");
    let _wc = c.start(&RunOptions::default()).await.expect("a's expired");
    assert_eq!(
        wa.poll().await,
        Poll::Continue,
        "first poll: no renewal yet"
    );
    advance(&sim, 5);
    assert_eq!(wa.poll().await, Poll::Stop);
    assert_eq!(wa.summary().end, WatchEnd::LeaseLost);
    wa.finish().await;
    assert_eq!(sim.lease.holder(&watch_key()).unwrap().owner, "watcher-c");
}

#[tokio::test]
async fn the_watch_stops_at_its_max_duration_less_the_margin() {
    let sim = Sim::new(demo_world());
    let w = watcher(&sim, "watcher");
    let start = sim.now();
    let s = w
        .run(
            &RunOptions {
                deadline: Some(Deadline::In(Duration::from_secs(60))),
            },
            None,
        )
        .await
        .expect("watched");
    // Polls at +0, +5, … +45: the next (+50) would start within the 10 s margin.
    assert_eq!(s.end, WatchEnd::Deadline);
    assert_eq!(s.polls, 10, "{s:#?}");
    assert_eq!((s.runs, s.moves, s.changes), (1, 0, 0));
    assert!(
        s.finished_at <= start + secs(50),
        "ended at +{}",
        s.finished_at - start
    );
    assert_eq!(writes(&sim), 0);
    assert!(sim.lease.holder(&watch_key()).is_none(), "lease released");

    // A Lambda deadline works the same way; one already within the margin polls nothing.
    let t = sim.now();
    let s = w
        .run(
            &RunOptions {
                deadline: Some(Deadline::At(t + secs(9))),
            },
            None,
        )
        .await
        .expect("watched");
    assert_eq!((s.polls, s.end), (0, WatchEnd::Deadline));
    assert_eq!(sim.now(), t, "no time spent");

    // Asked to stop: it stops between polls, lease released.
    let s = w
        .run(&RunOptions::default(), Some(Box::pin(async {})))
        .await
        .expect("watched");
    assert_eq!((s.polls, s.end), (1, WatchEnd::Shutdown));
    assert!(sim.lease.holder(&watch_key()).is_none());
}

#[tokio::test]
async fn a_run_that_met_a_busy_tgw_is_retried_at_the_next_poll() {
    let sim = Sim::new(demo_world());
    let w = watcher(&sim, "watcher");
    let mut watch = w.start(&RunOptions::default()).await.expect("free");
    watch.poll().await;
    // Another run (an alarm's) holds the TGW while paris drops.
    let tgw = demo_tgw();
    let lease = sim.ports().lease;
    assert!(
        lease
            .acquire(&tgw, "alarm-run", Duration::from_secs(120), sim.now())
            .await
            .unwrap()
    );
    set_tunnels(&sim, VPN_PARIS, Down);
    advance(&sim, 5);
    watch.poll().await;
    assert_eq!((watch.summary().changes, watch.summary().moves), (1, 0));
    lease.release(&tgw, "alarm-run").await.unwrap();
    advance(&sim, 5);
    watch.poll().await;
    let s = watch.finish().await;
    assert_eq!((s.changes, s.runs, s.moves), (2, 3, PARIS_MOVES), "{s:#?}");
    assert!(keys_on(&sim.world(), ATT_PARIS).is_empty());
}

#[tokio::test]
async fn with_failback_the_poll_that_sees_the_primary_become_stable_fails_back() {
    let sim = Sim::new(demo_world());
    let policy = Policy {
        failback: true,
        hold_down_secs: 60,
        min_switch_interval_secs: 0,
        ..Policy::default()
    };
    let w = Watcher::new(
        sim.ports(),
        config("watcher", policy),
        WatchConfig::default(),
    );
    let paris_keys = keys_on(&sim.world(), ATT_PARIS);
    let mut watch = w.start(&RunOptions::default()).await.expect("free");
    watch.poll().await;
    set_tunnels(&sim, VPN_PARIS, Down);
    advance(&sim, 5);
    watch.poll().await;
    assert!(keys_on(&sim.world(), ATT_PARIS).is_empty());
    set_tunnels(&sim, VPN_PARIS, Up);
    let up_at = sim.now();
    // Healthy again but not stable: a run, no failback.
    advance(&sim, 5);
    watch.poll().await;
    assert!(keys_on(&sim.world(), ATT_PARIS).is_empty());
    let mut polls = 0;
    while keys_on(&sim.world(), ATT_PARIS).is_empty() {
        advance(&sim, 5);
        watch.poll().await;
        polls += 1;
        assert!(polls < 20, "never failed back");
    }
    assert_eq!(keys_on(&sim.world(), ATT_PARIS), paris_keys);
    let back = sim.now() - up_at;
    assert!(
        back >= secs(60) && back <= secs(65),
        "failed back {back} after the tunnels came up (hold-down 60 s)"
    );
    let s = watch.finish().await;
    // Sweep, failover, healthy-again look, stable look (the failback).
    assert_eq!(s.runs, 4, "{s:#?}");
    assert_eq!(s.moves, 2 * PARIS_MOVES);
}

#[tokio::test]
async fn a_tgw_whose_only_group_is_invalid_does_not_make_every_poll_sweep_again() {
    use tgw_ha_core::ids::{AttachmentId, VpnId};
    use tgw_ha_core::model::{Tunnel, VpnConnection, VpnState};
    use tgw_ha_sim::{ResourceType, SimAttachment};
    let mut world = demo_world();
    // A second TGW whose one tagged VPN makes a group of one: invalid, reported, left alone.
    let tgw = TgwId::new("tgw-0b1b2c3d4e5f6a7b8");
    let since = world.vpn_connections[0].tunnels[0].last_status_change;
    world.transit_gateways.push(tgw.clone());
    world.vpn_connections.push(VpnConnection {
        id: VpnId::new("vpn-0b1b2c3d4e5f60001"),
        state: VpnState::Available,
        transit_gateway_id: Some(tgw.clone()),
        tags: [("solo".to_owned(), "primary".to_owned())].into(),
        tunnels: vec![Tunnel {
            outside_ip: "192.0.2.1".into(),
            status: Up,
            last_status_change: since,
        }],
    });
    world.attachments.push(SimAttachment {
        id: AttachmentId::new("tgw-attach-0b1b2c3d4e5f70001"),
        transit_gateway_id: tgw,
        resource_type: ResourceType::Vpn,
        resource_id: "vpn-0b1b2c3d4e5f60001".into(),
        state: "available".into(),
    });
    let sim = Sim::new(world);
    let w = watcher(&sim, "watcher");
    let mut watch = w.start(&RunOptions::default()).await.expect("free");
    for _ in 0..4 {
        watch.poll().await;
        advance(&sim, 5);
    }
    let s = watch.finish().await;
    assert_eq!((s.polls, s.runs, s.run_errors), (4, 1, 0), "{s:#?}");
}
