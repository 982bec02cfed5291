//! Wire tests of a big TGW: more than 1000 routes and the older EC2 paging, the real engine
//! with the real AWS SDK against the sandbox and its twin in the plain sim (see `sandbox_wire`).
//!
//! Never AWS: explicit endpoint, static test credentials.

mod common;

use common::wire::*;
use std::collections::BTreeSet;
use tgw_ha_core::ids::{AttachmentId, RouteTableId, TgwId, VpnId};
use tgw_ha_core::model::{RouteType, Tunnel, TunnelStatus, VpnConnection, VpnState};
use tgw_ha_core::policy::Policy;
use tgw_ha_engine::ports::{NetError, Network};
use tgw_ha_sim::demo_world::{self as demo, demo_world};
use tgw_ha_sim::sandbox::{self, Limits, SandboxConfig, SearchPages, SubnetMatch};
use tgw_ha_sim::{ResourceType, SimAttachment, SimRoute, SimRouteTable, World};

// ---- more than 1000 routes, older EC2 paging ---------------------------------------------------

const BIG_TGW: &str = "tgw-0000000000000b1g0";
const BIG_RTB: &str = "tgw-rtb-0000000000000b1g0";
const BIG_PRIMARY: &str = "vpn-0000000000000b1g1";
const BIG_BACKUP: &str = "vpn-0000000000000b1g2";
const BIG_ATT_PRIMARY: &str = "tgw-attach-000000000b1g1";
const BIG_ATT_BACKUP: &str = "tgw-attach-000000000b1g2";

/// One table, one group, `n` static routes on the primary (plus one on the table's own
/// boundaries, and a few to the backup): more than one page of any search.
fn big_world(n: usize) -> World {
    let tgw = TgwId::new(BIG_TGW);
    let vpn = |id: &str, tag: &str, ip: u8| VpnConnection {
        id: VpnId::new(id),
        state: VpnState::Available,
        transit_gateway_id: Some(tgw.clone()),
        tags: [("big".to_owned(), tag.to_owned())].into(),
        tunnels: vec![Tunnel {
            outside_ip: format!("203.0.113.{ip}"),
            status: TunnelStatus::Up,
            last_status_change: demo::up_since(),
        }],
    };
    let att = |id: &str, vpn: &str| SimAttachment {
        id: AttachmentId::new(id),
        transit_gateway_id: tgw.clone(),
        resource_type: ResourceType::Vpn,
        resource_id: vpn.to_owned(),
        state: "available".into(),
    };
    let table = RouteTableId::new(BIG_RTB);
    let primary = AttachmentId::new(BIG_ATT_PRIMARY);
    let mut routes: Vec<SimRoute> = (0..n)
        .map(|i| {
            SimRoute::to_attachment(
                &table,
                &format!("10.{}.{}.0/24", i / 256, i % 256),
                &primary,
            )
        })
        .collect();
    // Prefixes that are exactly a narrowing boundary (found only by exact-match when
    // subnet-of-match is strict), in v4 and v6.
    routes.push(SimRoute::to_attachment(&table, "10.0.0.0/9", &primary));
    routes.push(SimRoute::to_attachment(&table, "2001:db8::/32", &primary));
    routes.push(SimRoute::to_attachment(
        &table,
        "192.168.0.0/16",
        &AttachmentId::new(BIG_ATT_BACKUP),
    ));
    World {
        now: demo_world().now.clone(),
        transit_gateways: vec![tgw.clone()],
        vpn_connections: vec![vpn(BIG_PRIMARY, "primary", 1), vpn(BIG_BACKUP, "backup", 2)],
        attachments: vec![
            att(BIG_ATT_PRIMARY, BIG_PRIMARY),
            att(BIG_ATT_BACKUP, BIG_BACKUP),
        ],
        route_tables: vec![SimRouteTable {
            id: table,
            transit_gateway_id: tgw,
            name: Some("big".into()),
        }],
        routes,
        ..World::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn truncated_searches_without_a_token_are_narrowed_until_every_route_is_found() {
    const N: usize = 1500;
    let expected = N + 2;
    for subnet in [SubnetMatch::Inclusive, SubnetMatch::Strict] {
        let config = SandboxConfig::new(big_world(N))
            .limits(Limits::None)
            .search_pages(SearchPages::Truncate)
            .subnet_match(subnet);
        let sb = sandbox::bind("127.0.0.1:0".parse().unwrap(), config)
            .await
            .unwrap()
            .spawn();
        let net = ec2_network(&sb.url()).await;
        let found = net
            .static_routes(
                &RouteTableId::new(BIG_RTB),
                &[AttachmentId::new(BIG_ATT_PRIMARY)],
            )
            .await
            .expect("complete search");
        let unique: BTreeSet<String> = found.iter().map(|r| r.destination.to_string()).collect();
        assert_eq!(unique.len(), found.len(), "deduplicated");
        assert_eq!(
            found.len(),
            expected,
            "{subnet:?}: every route, none missing"
        );
        assert!(unique.contains("10.0.0.0/9") && unique.contains("2001:db8::/32"));
        assert!(found.iter().all(|r| r.route_type == RouteType::Static));
        let calls = sb.state().calls();
        eprintln!(
            "{subnet:?}: {} routes in {} searches",
            found.len(),
            calls.calls_of("SearchTransitGatewayRoutes")
        );
        assert!(
            calls.calls_of("SearchTransitGatewayRoutes") > 2,
            "it had to narrow"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn failover_of_more_than_1000_routes_with_truncated_searches() {
    const N: usize = 1200;
    // EC2's budget would make this a 4-minute test; the pacing is tested elsewhere.
    let t = twins(
        SandboxConfig::new(big_world(N))
            .limits(Limits::None)
            .search_pages(SearchPages::Truncate),
        Policy::default(),
        unpaced(),
    )
    .await;
    t.tunnels(BIG_PRIMARY, TunnelStatus::Down).await;
    let out = t.reconcile().await;
    assert_eq!(out.moved(), N + 2);
    let w = t.sandbox_world();
    assert_eq!(count_on(&w, BIG_ATT_PRIMARY), (0, 0));
    assert_eq!(count_on(&w, BIG_ATT_BACKUP).0, N + 3);
}

// ---- errors through the SDK ------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn sandbox_errors_map_to_the_ports_errors() {
    let sb = sandbox::bind(
        "127.0.0.1:0".parse().unwrap(),
        SandboxConfig::new(demo_world()).limits(Limits::None),
    )
    .await
    .unwrap()
    .spawn();
    let net = ec2_network(&sb.url()).await;
    let prod = RouteTableId::new(demo::RTB_PROD);
    let lyon = AttachmentId::new(demo::ATT_LYON);

    let e = net
        .replace_route(&prod, "10.200.0.0/24", &lyon)
        .await
        .unwrap_err();
    assert!(matches!(e, NetError::RouteNotFound { .. }), "{e}");
    let e = net
        .replace_route(&prod, "10.10.0.0/24", &AttachmentId::new("tgw-attach-nope"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, NetError::Rejected { code, .. } if code == "InvalidTransitGatewayAttachmentID.NotFound"),
        "a missing target is not a vanished route: {e}"
    );
    let e = net
        .modify_prefix_list_reference(
            &prod,
            &tgw_ha_core::ids::PrefixListId::new("pl-nope"),
            &lyon,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, NetError::RouteNotFound { .. }),
        "a vanished reference: {e}"
    );
    let e = net
        .static_routes(
            &RouteTableId::new("tgw-rtb-nope"),
            std::slice::from_ref(&lyon),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, NetError::Rejected { code, .. } if code == "InvalidRouteTableID.NotFound"),
        "{e}"
    );

    admin(
        &sb,
        "POST",
        "/_sandbox/faults",
        serde_json::json!({"throttle_rate": 1.0, "throttle_ops": ["ReplaceTransitGatewayRoute"]}),
    )
    .await;
    let e = net
        .replace_route(&prod, "10.10.0.0/24", &lyon)
        .await
        .unwrap_err();
    assert!(matches!(e, NetError::Throttled { .. }), "{e}");
    admin(
        &sb,
        "POST",
        "/_sandbox/faults",
        serde_json::json!({"throttle_rate": 0.0, "error_rate": 1.0}),
    )
    .await;
    let e = net.vpn_connections().await.unwrap_err();
    assert!(matches!(e, NetError::Unavailable { .. }), "{e}");
    let calls = sb.state().calls();
    assert_eq!(
        calls.failed.get("DescribeVpnConnections"),
        Some(&3),
        "reads are retried by the SDK"
    );
    admin(
        &sb,
        "POST",
        "/_sandbox/faults",
        serde_json::json!({"error_rate": 0.0}),
    )
    .await;
    assert_eq!(net.vpn_connections().await.unwrap().len(), 6);
}
