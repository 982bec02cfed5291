//! The Network port over the world, call counting, and fault injection.

use std::sync::Arc;
use tgw_ha_core::ids::{AttachmentId, PrefixListId, RouteTableId, TgwId, VpnId};
use tgw_ha_core::model::{Destination, RouteState, TunnelStatus};
use tgw_ha_engine::layer::Ec2Action;
use tgw_ha_engine::ports::{Clock, NetError, Network};
use tgw_ha_sim::demo_world::{self as demo, demo_world};
use tgw_ha_sim::{DeadRoutes, FailKind, Faults, Sim, World};

const REPLACE_ROUTE: &str = Ec2Action::ReplaceTransitGatewayRoute.as_str();
const SEARCH_ROUTES: &str = Ec2Action::SearchTransitGatewayRoutes.as_str();

fn rtb(s: &str) -> RouteTableId {
    RouteTableId::new(s)
}
fn att(s: &str) -> AttachmentId {
    AttachmentId::new(s)
}

#[tokio::test]
async fn reads_follow_the_port_contract() {
    let sim = Sim::new(demo_world());
    let net = sim.network.clone();
    let tgw = TgwId::new(demo::TGW);

    assert_eq!(net.vpn_connections().await.unwrap().len(), 6);
    let atts = net.vpn_attachments(&tgw).await.unwrap();
    assert_eq!(atts.len(), 6, "the vpc attachment is not a vpn attachment");
    assert!(
        atts.iter()
            .any(|a| a.vpn_id == VpnId::new(demo::VPN_PARTNER))
    );
    assert_eq!(net.route_tables(&tgw).await.unwrap().len(), 4);
    assert!(
        net.route_tables(&TgwId::new("tgw-other"))
            .await
            .unwrap()
            .is_empty()
    );

    // paris's routes in prod, plus the blackholes of prod (none): nothing foreign or propagated.
    let prod = net
        .static_routes(&rtb(demo::RTB_PROD), &[att(demo::ATT_PARIS)])
        .await
        .unwrap();
    assert_eq!(prod.len(), 8);
    assert!(
        prod.iter()
            .all(|r| r.attachment == Some(att(demo::ATT_PARIS)))
    );
    // The user's blackhole comes with any search of its table.
    let insp = net
        .static_routes(&rtb(demo::RTB_INSPECTION), &[att(demo::ATT_LYON)])
        .await
        .unwrap();
    assert!(
        insp.iter()
            .any(|r| r.attachment.is_none() && r.state == RouteState::Blackhole)
    );

    let refs = net
        .prefix_list_references(&rtb(demo::RTB_PROD), &[att(demo::ATT_BERLIN_PRIMARY)])
        .await
        .unwrap();
    assert_eq!(refs.len(), 1);
    assert_eq!(
        refs[0].destination,
        Destination::PrefixList(PrefixListId::new(demo::PL_BERLIN_OFFICES))
    );

    let err = net
        .static_routes(&rtb("tgw-rtb-nope"), &[])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, NetError::Rejected { code, .. } if code == "InvalidRouteTableID.NotFound")
    );

    let calls = net.calls();
    assert_eq!(calls.calls_of("DescribeVpnConnections"), 1);
    assert_eq!(calls.calls_of("DescribeTransitGatewayAttachments"), 1);
    assert_eq!(calls.calls_of("DescribeTransitGatewayRouteTables"), 2);
    assert_eq!(calls.calls_of(SEARCH_ROUTES), 3);
    assert_eq!(calls.calls_of("GetTransitGatewayPrefixListReferences"), 1);
    assert_eq!(calls.total_throttled(), 0);
}

#[tokio::test]
async fn moves_go_through_the_world_rules() {
    let sim = Sim::new(demo_world());
    let net = sim.network.clone();
    let t = rtb(demo::RTB_PROD);
    net.replace_route(&t, "10.10.0.0/24", &att(demo::ATT_LYON))
        .await
        .unwrap();
    assert_eq!(
        sim.world().route(&t, "10.10.0.0/24").unwrap().attachment,
        Some(att(demo::ATT_LYON))
    );
    let err = net
        .replace_route(&t, "10.250.0.0/24", &att(demo::ATT_LYON))
        .await
        .unwrap_err();
    assert!(matches!(err, NetError::RouteNotFound { .. }), "{err}");
    let err = net
        .replace_route(&t, "10.10.1.0/24", &att("tgw-attach-nope"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, NetError::Rejected { code, .. } if code == "InvalidTransitGatewayAttachmentID.NotFound"),
        "{err}"
    );
    let pl = PrefixListId::new(demo::PL_PARIS_OFFICES);
    net.modify_prefix_list_reference(&t, &pl, &att(demo::ATT_LYON))
        .await
        .unwrap();
    let err = net
        .modify_prefix_list_reference(&rtb(demo::RTB_DEV), &pl, &att(demo::ATT_LYON))
        .await
        .unwrap_err();
    assert!(matches!(err, NetError::RouteNotFound { .. }), "{err}");
    assert_eq!(net.calls().calls_of(REPLACE_ROUTE), 3);
    assert_eq!(sim.faults.moves(), 2, "only successful moves count");
}

#[tokio::test]
async fn dead_route_views() {
    for (view, state, listed) in [
        (DeadRoutes::Keep, RouteState::Active, true),
        (DeadRoutes::Blackhole, RouteState::Blackhole, true),
        (DeadRoutes::BlackholeUnlisted, RouteState::Blackhole, false),
    ] {
        let mut w = demo_world();
        w.dead_routes = view;
        let at = w.now().unwrap();
        w.set_tunnel(&VpnId::new(demo::VPN_PARIS), None, TunnelStatus::Down, at)
            .unwrap();
        let sim = Sim::new(w);
        let routes = sim
            .network
            .static_routes(&rtb(demo::RTB_PROD), &[att(demo::ATT_PARIS)])
            .await
            .unwrap();
        // Found by attachment or as a blackhole: never lost.
        assert_eq!(routes.len(), 8, "{view:?}");
        for r in &routes {
            assert_eq!(r.state, state, "{view:?}");
            assert_eq!(r.attachment.is_some(), listed, "{view:?}");
        }
        // The stored route is unchanged: only the search shows it differently.
        let stored = sim
            .world()
            .route(&rtb(demo::RTB_PROD), "10.10.0.0/24")
            .cloned()
            .unwrap();
        assert_eq!(stored.state, RouteState::Active);
    }
}

/// Run the same call sequence under a throttle and return which calls were throttled.
async fn throttled_pattern(seed: u64) -> Vec<bool> {
    let sim = Sim::new(demo_world());
    sim.faults.set(Faults {
        seed,
        throttle_rate: 0.3,
        ..Faults::default()
    });
    let mut out = Vec::new();
    for i in 0..60u8 {
        let r = if i % 3 == 0 {
            sim.network.vpn_connections().await.map(|_| ())
        } else {
            sim.network
                .replace_route(
                    &rtb(demo::RTB_PROD),
                    "10.10.0.0/24",
                    &att(if i % 2 == 0 {
                        demo::ATT_LYON
                    } else {
                        demo::ATT_PARIS
                    }),
                )
                .await
        };
        match r {
            Ok(()) => out.push(false),
            Err(e) => {
                assert!(e.is_throttle(), "{e}");
                out.push(true);
            }
        }
    }
    let calls = sim.network.calls();
    assert_eq!(calls.total_calls(), 60);
    assert_eq!(
        calls.total_throttled() as usize,
        out.iter().filter(|t| **t).count()
    );
    out
}

#[tokio::test]
async fn throttling_is_deterministic_per_seed() {
    let a = throttled_pattern(42).await;
    let b = throttled_pattern(42).await;
    let c = throttled_pattern(43).await;
    assert_eq!(a, b, "same seed, same throttled calls");
    assert_ne!(a, c, "another seed, another pattern");
    let n = a.iter().filter(|t| **t).count();
    assert!((5..=35).contains(&n), "{n} of 60 throttled at rate 0.3");
}

#[tokio::test]
async fn a_throttled_or_failed_call_changes_nothing() {
    let sim = Sim::new(demo_world());
    let before = sim.snapshot();
    sim.faults
        .fail_next(REPLACE_ROUTE, 2, FailKind::Unavailable);
    sim.faults
        .fail_next(REPLACE_ROUTE, 1, FailKind::AccessDenied);
    let t = rtb(demo::RTB_PROD);
    let to = att(demo::ATT_LYON);
    let e1 = sim
        .network
        .replace_route(&t, "10.10.0.0/24", &to)
        .await
        .unwrap_err();
    let e2 = sim
        .network
        .replace_route(&t, "10.10.0.0/24", &to)
        .await
        .unwrap_err();
    let e3 = sim
        .network
        .replace_route(&t, "10.10.0.0/24", &to)
        .await
        .unwrap_err();
    assert!(matches!(e1, NetError::Unavailable { .. }) && e1.is_retryable());
    assert!(matches!(e2, NetError::Unavailable { .. }));
    assert!(matches!(e3, NetError::AccessDenied { .. }) && !e3.is_retryable());
    // Other operations are not affected by a rule for ReplaceTransitGatewayRoute.
    sim.network.vpn_connections().await.unwrap();
    assert_eq!(sim.snapshot(), before);
    assert_eq!(sim.network.calls().failed[REPLACE_ROUTE], 3);

    sim.faults.set_throttle(1.0, 1);
    let e = sim
        .network
        .replace_route(&t, "10.10.0.0/24", &to)
        .await
        .unwrap_err();
    assert!(e.is_throttle());
    assert_eq!(sim.snapshot(), before);

    sim.faults.clear();
    sim.network
        .replace_route(&t, "10.10.0.0/24", &to)
        .await
        .unwrap();
    assert_ne!(sim.snapshot(), before);
}

#[tokio::test]
async fn faults_load_from_the_scenario() {
    let mut w = demo_world();
    w.faults = Some(Faults {
        fail: vec![tgw_ha_sim::FailRule {
            op: "DescribeVpnConnections".into(),
            count: 1,
            error: FailKind::Rejected,
            code: Some("UnauthorizedOperation".into()),
            tgw: None,
        }],
        ..Faults::default()
    });
    let sim = Sim::new(World::from_json_str(&w.to_json_pretty()).unwrap());
    let e = sim.network.vpn_connections().await.unwrap_err();
    assert!(matches!(&e, NetError::Rejected { code, .. } if code == "UnauthorizedOperation"));
    sim.network.vpn_connections().await.unwrap();
    assert!(sim.faults.get().fail.is_empty(), "the rule is used up");
}

#[tokio::test]
async fn latency_is_virtual() {
    let sim = Sim::new(demo_world());
    let clock = sim.virtual_clock.clone().unwrap();
    let t0 = clock.now();
    sim.faults
        .set_latency(std::time::Duration::from_millis(250));
    // The one real-time read of the sim's tests: it checks that no real time passes.
    #[allow(clippy::disallowed_methods)]
    let wall = std::time::Instant::now();
    for _ in 0..4 {
        sim.network.vpn_connections().await.unwrap();
    }
    assert_eq!(clock.now() - t0, chrono::Duration::milliseconds(1000));
    assert!(
        wall.elapsed() < std::time::Duration::from_millis(200),
        "never sleeps for real"
    );
    // The world's now is the clock: they are one cell.
    assert_eq!(sim.world().now(), Some(clock.now()));

    // Concurrent calls overlap: they converge on the latest deadline instead of adding up.
    let t1 = clock.now();
    let calls = (0..5).map(|_| sim.network.vpn_connections());
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
    assert_eq!(clock.now() - t1, chrono::Duration::milliseconds(250));
}

#[tokio::test]
async fn crash_after_k_moves_panics_at_the_next_move_and_keeps_k() {
    let sim = Sim::new(demo_world());
    let k = 5u64;
    sim.faults.crash_after_moves(k);
    let net = sim.network.clone();
    // The engine runs in a task: the crash is that task's panic, seen as a JoinError.
    let task = tokio::spawn(async move {
        for i in 0..demo::PARIS_ROUTES {
            let table = [
                demo::RTB_PROD,
                demo::RTB_DEV,
                demo::RTB_SHARED,
                demo::RTB_INSPECTION,
            ][usize::from(i) % 4];
            net.replace_route(
                &RouteTableId::new(table),
                &format!("10.10.{i}.0/24"),
                &AttachmentId::new(demo::ATT_LYON),
            )
            .await
            .unwrap();
        }
    });
    let err = task.await.unwrap_err();
    assert!(err.is_panic());
    let msg = err.into_panic();
    let msg = msg
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_else(|| msg.downcast_ref::<&str>().unwrap().to_string());
    assert_eq!(msg, "injected crash after 5 moves");

    {
        let w = sim.world();
        let moved = w
            .routes_to(&att(demo::ATT_LYON))
            .filter(|r| r.destination.starts_with("10.10."))
            .count();
        assert_eq!(
            moved as u64, k,
            "the world keeps the moves done before the crash"
        );
        assert_eq!(
            w.routes_to(&att(demo::ATT_PARIS)).count() as u64,
            u64::from(demo::PARIS_ROUTES) - k
        );
    }
    // The crash fires once: a restarted engine on the same world runs on.
    assert_eq!(sim.faults.get().crash_after_moves, None);
    sim.network
        .replace_route(&rtb(demo::RTB_PROD), "10.10.0.0/24", &att(demo::ATT_PARIS))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_sim_clock_is_the_worlds_clock() {
    let sim = Sim::new(demo_world());
    let vc = sim.virtual_clock.clone().unwrap();
    let t = sim.world().advance_clock(90).unwrap();
    assert_eq!(vc.now(), t);
    assert_eq!(sim.clock.now(), t);
    vc.advance(chrono::Duration::seconds(10));
    assert_eq!(sim.world().now(), Some(t + chrono::Duration::seconds(10)));
    // A world with no now runs on the real clock.
    let mut real = demo_world();
    real.now = Default::default();
    let sim = Sim::new(real);
    assert!(sim.virtual_clock.is_none());
    let _: Arc<dyn Clock> = sim.clock.clone();
}
