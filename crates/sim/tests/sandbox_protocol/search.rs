//! SearchTransitGatewayRoutes: its filters (type, state, prefix-list id, attachment, and the
//! longest-prefix, subnet-of and supernet-of route searches) against the demo world's tables.

use super::*;

async fn search(a: std::net::SocketAddr, table: &str, filters: &[(&str, &[&str])]) -> Vec<String> {
    let mut owned: Vec<(String, String)> =
        vec![("TransitGatewayRouteTableId".into(), table.into())];
    for (i, (name, values)) in filters.iter().enumerate() {
        owned.push((format!("Filter.{}.Name", i + 1), (*name).to_owned()));
        for (j, v) in values.iter().enumerate() {
            owned.push((format!("Filter.{}.Value.{}", i + 1, j + 1), (*v).to_owned()));
        }
    }
    let params: Vec<(&str, &str)> = owned
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = ec2(a, "SearchTransitGatewayRoutes", &params).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.one("additionalRoutesAvailable").as_deref(), Some("false"));
    items(&r.body, "routeSet")
        .iter()
        .map(|i| {
            let dest = texts(i, "destinationCidrBlock").pop().unwrap_or_default();
            let pl = texts(i, "prefixListId").pop().unwrap_or_default();
            let ty = texts(i, "type").pop().unwrap_or_default();
            format!("{dest}{pl}:{ty}")
        })
        .collect()
}

#[tokio::test]
async fn route_search_filters() {
    let sb = start(demo_world()).await;
    let a = sb.local_addr();
    let prod = demo::RTB_PROD;
    // Multi-value attachment filter: ORed. paris 8 + lyon 7 in prod.
    let r = search(
        a,
        prod,
        &[
            ("type", &["static"]),
            (
                "attachment.transit-gateway-attachment-id",
                &[demo::ATT_PARIS, demo::ATT_LYON],
            ),
        ],
    )
    .await;
    assert_eq!(r.len(), 15, "{r:?}");
    assert!(r.iter().all(|x| x.ends_with(":static")));
    // No type filter: propagated routes and prefix-list routes (as propagated) come too.
    let r = search(
        a,
        prod,
        &[(
            "attachment.transit-gateway-attachment-id",
            &[demo::ATT_PARIS],
        )],
    )
    .await;
    assert_eq!(
        r.len(),
        8 + 3,
        "8 routes and paris-offices' 3 entries: {r:?}"
    );
    assert!(r.contains(&"10.110.0.0/24pl-0a1b2c3d4e5f90001:propagated".to_owned()));
    let r = search(a, prod, &[("prefix-list-id", &[demo::PL_BERLIN_OFFICES])]).await;
    assert_eq!(r, ["10.130.0.0/22pl-0a1b2c3d4e5f90003:propagated"]);
    let r = search(
        a,
        prod,
        &[
            ("type", &["propagated"]),
            ("attachment.resource-type", &["vpc"]),
        ],
    )
    .await;
    assert_eq!(r, ["172.31.0.0/16:propagated"]);
    let r = search(a, prod, &[("attachment.resource-id", &[demo::VPN_PARTNER])]).await;
    assert_eq!(r, ["192.168.50.0/24:static"]);
    let r = search(a, demo::RTB_INSPECTION, &[("state", &["blackhole"])]).await;
    assert_eq!(r, [format!("{}:static", demo::BLACKHOLE_CIDR)]);

    // Prefix filters.
    let r = search(
        a,
        prod,
        &[("route-search.subnet-of-match", &["10.10.0.0/16"])],
    )
    .await;
    assert_eq!(r.len(), 8);
    let r = search(
        a,
        prod,
        &[(
            "route-search.exact-match",
            &["10.10.4.0/24", "10.10.8.0/24"],
        )],
    )
    .await;
    assert_eq!(r, ["10.10.4.0/24:static", "10.10.8.0/24:static"]);
    let r = search(
        a,
        prod,
        &[("route-search.supernet-of-match", &["10.10.4.128/25"])],
    )
    .await;
    assert_eq!(r, ["10.10.4.0/24:static"]);
    let r = search(
        a,
        prod,
        &[("route-search.longest-prefix-match", &["10.10.4.7/32"])],
    )
    .await;
    assert_eq!(r, ["10.10.4.0/24:static"]);
    let r = search(
        a,
        prod,
        &[("route-search.supernet-of-match", &["172.31.5.0/24"])],
    )
    .await;
    assert_eq!(r, ["172.31.0.0/16:propagated"]);
    // Inclusive by default: a prefix is a subnet of itself.
    let r = search(
        a,
        prod,
        &[("route-search.subnet-of-match", &["10.10.4.0/24"])],
    )
    .await;
    assert_eq!(r, ["10.10.4.0/24:static"]);

    // A dead VPN's routes show as blackhole in the demo world (`dead_routes = blackhole`).
    lock(sb.world())
        .set_tunnel(
            &tgw_ha_core::ids::VpnId::new(demo::VPN_PARIS),
            None,
            tgw_ha_core::model::TunnelStatus::Down,
            tgw_ha_sim::sandbox::time::real_now(),
        )
        .unwrap();
    let r = search(a, prod, &[("type", &["static"]), ("state", &["blackhole"])]).await;
    assert_eq!(r.len(), 8);
}

#[tokio::test]
async fn strict_subnet_match_leaves_the_prefix_itself_to_exact_match() {
    let sb = start_with(
        SandboxConfig::new(demo_world())
            .limits(Limits::None)
            .subnet_match(SubnetMatch::Strict),
    )
    .await;
    let r = search(
        sb.local_addr(),
        demo::RTB_PROD,
        &[("route-search.subnet-of-match", &["10.10.4.0/24"])],
    )
    .await;
    assert!(r.is_empty(), "{r:?}");
    let r = search(
        sb.local_addr(),
        demo::RTB_PROD,
        &[("route-search.subnet-of-match", &["10.10.0.0/16"])],
    )
    .await;
    assert_eq!(r.len(), 8);
}
