//! Wire tests: the real engine with the real AWS SDK (`Ec2Network`) against the sandbox on
//! 127.0.0.1 (EC2's Query API over a sim world), on the real clock, with the sim's in-memory
//! state store, lease and notifier keeping their data in the sandbox's world (so ageing the
//! sandbox's clock ages the ledger too). Each scenario runs step by step on a twin: the same
//! world in the plain sim (virtual clock, `SimNetwork`), and the two must end in the same
//! routes, prefix-list references and ledger.
//!
//! Never AWS: explicit endpoint, static test credentials.

mod common;

use common::engine::failback_on;
use common::wire::*;
use tgw_ha_core::ids::{AttachmentId, RouteTableId, TgwId};
use tgw_ha_core::model::TunnelStatus;
use tgw_ha_core::policy::Policy;
use tgw_ha_engine::executor::ExecutorConfig;
use tgw_ha_engine::ports::Network;
use tgw_ha_sim::demo_world::{self as demo, demo_world};
use tgw_ha_sim::sandbox::{self, Limits, SandboxConfig};

// ---- scenarios -------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn failover_moves_routes_and_prefix_lists_to_the_backup() {
    let t = demo_twins(Policy::default()).await;
    let first = t.reconcile().await;
    assert_eq!(first.moved(), 0, "steady state: nothing to do");

    t.tunnels(demo::VPN_PARIS, TunnelStatus::Down).await;
    let out = t.reconcile().await;
    let paris = usize::from(demo::PARIS_ROUTES);
    assert_eq!(
        out.moved(),
        paris + 1,
        "32 routes and the paris-offices reference"
    );
    let w = t.sandbox_world();
    assert_eq!(count_on(&w, demo::ATT_PARIS), (0, 0));
    assert_eq!(
        count_on(&w, demo::ATT_LYON),
        (paris + usize::from(demo::LYON_ROUTES), 2)
    );

    let calls = t.sandbox.state().calls();
    assert_eq!(calls.calls_of("ReplaceTransitGatewayRoute"), paris as u64);
    assert_eq!(calls.calls_of("ModifyTransitGatewayPrefixListReference"), 1);
    assert_eq!(calls.total_throttled + calls.total_failed, 0, "{calls:?}");
    assert!(!t.notifier.events().is_empty(), "the failover was notified");

    // Twice changes nothing.
    assert_eq!(t.reconcile().await.moved(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn failover_when_dead_routes_list_no_attachment() {
    // The least helpful of EC2's undocumented behaviours: a route to the dead VPN shows as a
    // blackhole listing no attachment, so only the blackhole search and the census find it.
    let mut world = demo_world();
    world.dead_routes = tgw_ha_sim::DeadRoutes::BlackholeUnlisted;
    let t = twins(
        SandboxConfig::new(world).limits(Limits::None),
        Policy::default(),
        unpaced(),
    )
    .await;
    t.reconcile().await;
    t.tunnels(demo::VPN_PARIS, TunnelStatus::Down).await;
    let out = t.reconcile().await;
    assert_eq!(out.moved(), usize::from(demo::PARIS_ROUTES) + 1);
    assert_eq!(count_on(&t.sandbox_world(), demo::ATT_PARIS), (0, 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn small_pages_are_all_followed() {
    let big = sandbox::bind(
        "127.0.0.1:0".parse().unwrap(),
        SandboxConfig::new(demo_world()).limits(Limits::None),
    )
    .await
    .unwrap()
    .spawn();
    let small = sandbox::bind(
        "127.0.0.1:0".parse().unwrap(),
        SandboxConfig::new(demo_world())
            .limits(Limits::None)
            .page_size(Some(1)),
    )
    .await
    .unwrap()
    .spawn();
    let (a, b) = (
        ec2_network(&big.url()).await,
        ec2_network(&small.url()).await,
    );
    let tgw = TgwId::new(demo::TGW);
    assert_eq!(
        a.vpn_attachments(&tgw).await.unwrap(),
        b.vpn_attachments(&tgw).await.unwrap()
    );
    assert_eq!(
        a.route_tables(&tgw).await.unwrap(),
        b.route_tables(&tgw).await.unwrap()
    );
    let members = [
        AttachmentId::new(demo::ATT_PARIS),
        AttachmentId::new(demo::ATT_LYON),
    ];
    for table in [demo::RTB_PROD, demo::RTB_INSPECTION] {
        let table = RouteTableId::new(table);
        let one = a.static_routes(&table, &members).await.unwrap();
        assert_eq!(one, b.static_routes(&table, &members).await.unwrap());
        assert!(!one.is_empty());
        assert_eq!(
            a.prefix_list_references(&table, &members).await.unwrap(),
            b.prefix_list_references(&table, &members).await.unwrap()
        );
    }
    let calls = small.state().calls();
    assert!(
        calls.calls_of("SearchTransitGatewayRoutes") > 15,
        "one route per page: {calls:?}"
    );
    assert_eq!(calls.calls_of("DescribeTransitGatewayRouteTables"), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn failback_waits_for_the_hold_down_then_moves_everything_home() {
    let t = demo_twins(failback_on()).await;
    t.tunnels(demo::VPN_PARIS, TunnelStatus::Down).await;
    t.advance(60).await;
    assert!(t.reconcile().await.moved() > 0);

    t.tunnels(demo::VPN_PARIS, TunnelStatus::Up).await;
    t.advance(60).await;
    assert_eq!(
        t.reconcile().await.moved(),
        0,
        "paris is up but not yet stable"
    );
    assert_eq!(count_on(&t.sandbox_world(), demo::ATT_PARIS), (0, 0));

    t.advance(250).await;
    let out = t.reconcile().await;
    assert_eq!(
        out.moved(),
        usize::from(demo::PARIS_ROUTES) + 1,
        "failback after hold-down"
    );
    let w = t.sandbox_world();
    assert_eq!(
        count_on(&w, demo::ATT_PARIS),
        (usize::from(demo::PARIS_ROUTES), 1)
    );
    assert!(
        ledger(&w).is_empty(),
        "every route home: the ledger is empty"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn mutual_backup_and_a_three_member_group() {
    let t = demo_twins(Policy::default()).await;
    t.tunnels(demo::VPN_PARIS, TunnelStatus::Down).await;
    t.reconcile().await;
    let w = t.sandbox_world();
    let lyon_before = count_on(&demo_world(), demo::ATT_LYON);
    assert_eq!(
        count_on(&w, demo::ATT_LYON).0,
        lyon_before.0 + usize::from(demo::PARIS_ROUTES),
        "paris's routes joined lyon's, which stayed"
    );

    // Now lyon dies and paris is back: everything goes to paris, lyon's own routes included.
    t.tunnels(demo::VPN_PARIS, TunnelStatus::Up).await;
    t.tunnels(demo::VPN_LYON, TunnelStatus::Down).await;
    t.advance(30).await;
    t.reconcile().await;
    let w = t.sandbox_world();
    assert_eq!(count_on(&w, demo::ATT_LYON), (0, 0));
    assert_eq!(
        count_on(&w, demo::ATT_PARIS).0,
        usize::from(demo::PARIS_ROUTES) + usize::from(demo::LYON_ROUTES)
    );

    // berlin: primary and first backup die, backup2 takes over (prefix list in two tables).
    t.tunnels(demo::VPN_BERLIN_PRIMARY, TunnelStatus::Down)
        .await;
    t.tunnels(demo::VPN_BERLIN_BACKUP, TunnelStatus::Down).await;
    t.sandbox.state().reset_calls();
    t.reconcile().await;
    let w = t.sandbox_world();
    assert_eq!(count_on(&w, demo::ATT_BERLIN_PRIMARY), (0, 0));
    assert_eq!(
        count_on(&w, demo::ATT_BERLIN_BACKUP2),
        (usize::from(demo::BERLIN_ROUTES), 2)
    );
    assert_eq!(
        count_on(&w, demo::ATT_BERLIN_BACKUP).0,
        3,
        "berlin-ams's own routes stay"
    );
    let calls = t.sandbox.state().calls();
    assert_eq!(
        calls.calls_of("ModifyTransitGatewayPrefixListReference"),
        2,
        "one call per table moves the whole list"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn aws_throttling_and_a_competing_burst_end_in_the_same_state() {
    // Real time, about 5 s: the sandbox's buckets refill on the real clock and the engine paces
    // and backs off on it (`SystemClock`), which is what this test is about: EC2's defaults,
    // a budget half spent by someone else, and throttling answered over the wire.
    let t = twins(
        SandboxConfig::new(demo_world()).limits(Limits::Aws),
        Policy::default(),
        ExecutorConfig::default(),
    )
    .await;
    // Someone else in the account spends most of the replace budget first: 48 no-op replaces.
    for _ in 0..48 {
        t.net
            .replace_route(
                &RouteTableId::new(demo::RTB_PROD),
                "10.10.0.0/24",
                &AttachmentId::new(demo::ATT_PARIS),
            )
            .await
            .expect("within the burst");
    }

    t.tunnels(demo::VPN_PARIS, TunnelStatus::Down).await;
    let started = tokio::time::Instant::now();
    let out = t.reconcile().await;
    assert_eq!(out.moved(), usize::from(demo::PARIS_ROUTES) + 1);
    assert_eq!(out.failed(), 0);
    let calls = t.sandbox.state().calls();
    assert!(
        calls.throttled_of("ReplaceTransitGatewayRoute") > 0,
        "the sandbox throttled the engine: {calls:?}"
    );
    eprintln!(
        "throttled run: {:?}, {} replaces, {} throttled",
        started.elapsed(),
        calls.calls_of("ReplaceTransitGatewayRoute"),
        calls.throttled_of("ReplaceTransitGatewayRoute")
    );
}
