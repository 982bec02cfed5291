//! The sandbox's EC2 Query protocol over plain HTTP: request parsing, answer shapes, filters,
//! writes and the error XML.

mod sandbox_common;

use sandbox_common::{ec2, items, request, start, start_with, texts};
use tgw_ha_sim::demo_world::{self as demo, demo_world};
use tgw_ha_sim::sandbox::{Limits, SandboxConfig, SubnetMatch};
use tgw_ha_sim::world::lock;

const NS: &str = r#"xmlns="http://ec2.amazonaws.com/doc/2016-11-15/""#;

#[tokio::test]
async fn describe_vpn_connections_answers_ec2_xml() {
    let sb = start(demo_world()).await;
    let r = ec2(
        sb.local_addr(),
        "DescribeVpnConnections",
        &[
            ("Filter.1.Name", "transit-gateway-id"),
            ("Filter.1.Value.1", demo::TGW),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("text/xml;charset=UTF-8"));
    assert!(
        r.body
            .starts_with(r#"<?xml version="1.0" encoding="UTF-8"?>"#)
    );
    assert!(
        r.body
            .contains(&format!("<DescribeVpnConnectionsResponse {NS}>")),
        "{}",
        r.body
    );
    let id = r.one("requestId").expect("requestId");
    assert_eq!(r.header("x-amzn-RequestId"), Some(id.as_str()));
    assert_eq!(r.all("vpnConnectionId").len(), 6);
    assert_eq!(r.all("outsideIpAddress").len(), 12);
    assert!(r.all("status").iter().all(|s| s == "UP"));
    assert!(r.all("statusMessage").iter().all(String::is_empty));
    let change = r.one("lastStatusChange").expect("a tunnel");
    assert!(
        change.ends_with(".000Z") && change.len() == 24,
        "EC2's format: {change}"
    );
    assert!(r.body.contains("<key>paris</key><value>primary</value>"));
    assert!(
        r.body
            .contains("<transitGatewayId>tgw-0a1b2c3d4e5f6a7b8</transitGatewayId>")
    );

    // Tags, tag keys (ORed values), wildcards, ids.
    let by = |params: Vec<(&'static str, &'static str)>| {
        let addr = sb.local_addr();
        async move { ec2(addr, "DescribeVpnConnections", &params).await }
    };
    let r = by(vec![
        ("Filter.1.Name", "tag:paris"),
        ("Filter.1.Value.1", "primary"),
    ])
    .await;
    assert_eq!(r.all("vpnConnectionId"), [demo::VPN_PARIS]);
    let r = by(vec![
        ("Filter.1.Name", "tag-key"),
        ("Filter.1.Value.1", "lyon"),
        ("Filter.1.Value.2", "berlin"),
    ])
    .await;
    assert_eq!(r.all("vpnConnectionId").len(), 5);
    let r = by(vec![
        ("Filter.1.Name", "tag:Name"),
        ("Filter.1.Value.1", "berlin-*"),
    ])
    .await;
    assert_eq!(r.all("vpnConnectionId").len(), 3);
    let r = by(vec![
        ("VpnConnectionId.1", demo::VPN_LYON),
        ("VpnConnectionId.2", demo::VPN_PARTNER),
        ("Filter.1.Name", "state"),
        ("Filter.1.Value.1", "available"),
    ])
    .await;
    assert_eq!(
        r.all("vpnConnectionId"),
        [demo::VPN_LYON, demo::VPN_PARTNER]
    );
    let r = by(vec![("VpnConnectionId.1", "vpn-nope")]).await;
    assert_eq!(
        (r.status, r.code()),
        (400, "InvalidVpnConnectionID.NotFound".into())
    );
    let r = by(vec![("Filter.1.Name", "bogus"), ("Filter.1.Value.1", "x")]).await;
    assert_eq!((r.status, r.code()), (400, "InvalidParameterValue".into()));
}

#[tokio::test]
async fn signed_unsigned_and_get_requests_are_answered_alike() {
    let sb = start(demo_world()).await;
    let body = "Action=DescribeTransitGatewayRouteTables&Version=2016-11-15";
    let signed = request(
        sb.local_addr(),
        "POST",
        "/",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Amz-Date", "20260314T090000Z"),
            (
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260314/eu-west-1/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=deadbeef",
            ),
        ],
        body,
    )
    .await;
    let unsigned = request(
        sb.local_addr(),
        "POST",
        "/",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        body,
    )
    .await;
    let get = request(sb.local_addr(), "GET", &format!("/?{body}"), &[], "").await;
    for r in [&signed, &unsigned, &get] {
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.all("transitGatewayRouteTableId").len(), 4);
        assert!(r.body.contains("<key>Name</key><value>prod</value>"));
    }
}

#[tokio::test]
async fn errors_use_ec2_codes_statuses_and_error_xml() {
    let sb = start(demo_world()).await;
    let a = sb.local_addr();

    let r = ec2(a, "DescribeNothing", &[]).await;
    assert_eq!((r.status, r.code()), (400, "InvalidAction".into()));
    assert!(
        r.body
            .contains("<Response><Errors><Error><Code>InvalidAction</Code><Message>")
    );
    let rid = r.one("RequestID").expect("RequestID");
    assert_eq!(r.header("x-amzn-RequestId"), Some(rid.as_str()));

    let r = request(a, "POST", "/", &[], "Action=DescribeVpnConnections").await;
    assert_eq!((r.status, r.code()), (400, "MissingParameter".into()));
    assert!(r.body.contains("Version"), "{}", r.body);

    let r = ec2(
        a,
        "SearchTransitGatewayRoutes",
        &[("TransitGatewayRouteTableId", demo::RTB_PROD)],
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (400, "MissingParameter".into()),
        "filters are required"
    );
    let r = ec2(
        a,
        "SearchTransitGatewayRoutes",
        &[("Filter.1.Name", "type"), ("Filter.1.Value.1", "static")],
    )
    .await;
    assert_eq!((r.status, r.code()), (400, "MissingParameter".into()));
    let r = ec2(
        a,
        "SearchTransitGatewayRoutes",
        &[
            ("TransitGatewayRouteTableId", "tgw-rtb-nope"),
            ("Filter.1.Name", "type"),
            ("Filter.1.Value.1", "static"),
        ],
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (400, "InvalidRouteTableID.NotFound".into())
    );
    let r = ec2(
        a,
        "SearchTransitGatewayRoutes",
        &[
            ("TransitGatewayRouteTableId", demo::RTB_PROD),
            ("Filter.1.Name", "route-search.exact-match"),
            ("Filter.1.Value.1", "not-a-cidr"),
        ],
    )
    .await;
    assert_eq!((r.status, r.code()), (400, "InvalidParameterValue".into()));
    let r = ec2(
        a,
        "SearchTransitGatewayRoutes",
        &[
            ("TransitGatewayRouteTableId", demo::RTB_PROD),
            ("Filter.1.Name", "type"),
            ("Filter.1.Value.1", "static"),
            ("MaxResults", "2"),
        ],
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (400, "InvalidParameterValue".into()),
        "MaxResults 5–1000"
    );

    let replace = |cidr: &'static str, to: &'static str| async move {
        ec2(
            a,
            "ReplaceTransitGatewayRoute",
            &[
                ("TransitGatewayRouteTableId", demo::RTB_PROD),
                ("DestinationCidrBlock", cidr),
                ("TransitGatewayAttachmentId", to),
            ],
        )
        .await
    };
    let r = replace("10.200.0.0/24", demo::ATT_LYON).await;
    assert_eq!((r.status, r.code()), (400, "InvalidRoute.NotFound".into()));
    let r = replace("10.10.0.0/24", "tgw-attach-elsewhere").await;
    assert_eq!(
        (r.status, r.code()),
        (400, "InvalidTransitGatewayAttachmentID.NotFound".into())
    );
    let r = ec2(
        a,
        "CreateTransitGatewayRoute",
        &[
            ("TransitGatewayRouteTableId", demo::RTB_PROD),
            ("DestinationCidrBlock", "10.10.0.0/24"),
            ("TransitGatewayAttachmentId", demo::ATT_LYON),
        ],
    )
    .await;
    assert_eq!((r.status, r.code()), (400, "RouteAlreadyExists".into()));
    let r = ec2(
        a,
        "DeleteTransitGatewayRoute",
        &[
            ("TransitGatewayRouteTableId", "tgw-rtb-nope"),
            ("DestinationCidrBlock", "10.10.0.0/24"),
        ],
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (400, "InvalidRouteTableID.NotFound".into())
    );
    let r = ec2(
        a,
        "ReplaceTransitGatewayRoute",
        &[
            ("TransitGatewayRouteTableId", demo::RTB_PROD),
            ("DestinationCidrBlock", "10.10.0.0/24"),
            ("TransitGatewayAttachmentId", demo::ATT_LYON),
            ("DryRun", "true"),
        ],
    )
    .await;
    assert_eq!((r.status, r.code()), (412, "DryRunOperation".into()));

    // Nothing above changed the world.
    let w = lock(sb.world()).clone();
    let mut original = demo_world();
    tgw_ha_sim::sandbox::time::rebase(&mut original, tgw_ha_sim::sandbox::time::real_now());
    assert_eq!(w.routes, original.routes);
}

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

#[tokio::test]
async fn writes_change_the_world_through_its_rules() {
    let sb = start(demo_world()).await;
    let a = sb.local_addr();
    let prod = demo::RTB_PROD;

    let r = ec2(
        a,
        "ReplaceTransitGatewayRoute",
        &[
            ("TransitGatewayRouteTableId", prod),
            ("DestinationCidrBlock", "10.10.0.0/24"),
            ("TransitGatewayAttachmentId", demo::ATT_LYON),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("<ReplaceTransitGatewayRouteResponse"));
    assert!(r.body.contains(&format!(
        "<route><destinationCidrBlock>10.10.0.0/24</destinationCidrBlock><transitGatewayAttachments><item><resourceId>{}</resourceId><transitGatewayAttachmentId>{}</transitGatewayAttachmentId><resourceType>vpn</resourceType></item></transitGatewayAttachments><type>static</type><state>active</state></route>",
        demo::VPN_LYON,
        demo::ATT_LYON
    )), "{}", r.body);

    let r = ec2(
        a,
        "CreateTransitGatewayRoute",
        &[
            ("TransitGatewayRouteTableId", prod),
            ("DestinationCidrBlock", "10.250.0.0/16"),
            ("Blackhole", "true"),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.one("state").as_deref(), Some("blackhole"));
    let r = ec2(
        a,
        "DeleteTransitGatewayRoute",
        &[
            ("TransitGatewayRouteTableId", prod),
            ("DestinationCidrBlock", "10.250.0.0/16"),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.one("state").as_deref(), Some("deleted"));

    let r = ec2(
        a,
        "ModifyTransitGatewayPrefixListReference",
        &[
            ("TransitGatewayRouteTableId", prod),
            ("PrefixListId", demo::PL_PARIS_OFFICES),
            ("TransitGatewayAttachmentId", demo::ATT_LYON),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body
            .contains("<transitGatewayPrefixListReference><transitGatewayRouteTableId>")
    );
    assert_eq!(
        r.one("transitGatewayAttachmentId").as_deref(),
        Some(demo::ATT_LYON)
    );

    let r = ec2(
        a,
        "CreateTags",
        &[
            ("ResourceId.1", demo::VPN_PARTNER),
            ("Tag.1.Key", "acme"),
            ("Tag.1.Value", "primary"),
            ("Tag.2.Key", "Name"),
            ("Tag.2.Value", "acme <new>"),
        ],
    )
    .await;
    assert_eq!(
        (r.status, r.one("return").as_deref()),
        (200, Some("true")),
        "{}",
        r.body
    );
    let r = ec2(
        a,
        "DescribeVpnConnections",
        &[("VpnConnectionId.1", demo::VPN_PARTNER)],
    )
    .await;
    assert!(
        r.body
            .contains("<key>Name</key><value>acme &lt;new&gt;</value>"),
        "{}",
        r.body
    );
    let r = ec2(
        a,
        "DeleteTags",
        &[
            ("ResourceId.1", demo::VPN_PARTNER),
            ("Tag.1.Key", "acme"),
            ("Tag.1.Value", "backup"),
        ],
    )
    .await;
    assert_eq!(r.status, 200);
    let r = ec2(
        a,
        "DeleteTags",
        &[("ResourceId.1", demo::VPN_PARTNER), ("Tag.1.Key", "team")],
    )
    .await;
    assert_eq!(r.status, 200);
    let r = ec2(
        a,
        "CreateTags",
        &[("ResourceId.1", "vpn-nope"), ("Tag.1.Key", "x")],
    )
    .await;
    assert_eq!(r.code(), "InvalidVpnConnectionID.NotFound");

    let w = lock(sb.world()).clone();
    let route = w
        .route(&tgw_ha_core::ids::RouteTableId::new(prod), "10.10.0.0/24")
        .unwrap();
    assert_eq!(
        route.attachment.as_ref().map(|a| a.as_str()),
        Some(demo::ATT_LYON)
    );
    assert!(
        w.route(&tgw_ha_core::ids::RouteTableId::new(prod), "10.250.0.0/16")
            .is_none()
    );
    let tags = &w
        .vpn(&tgw_ha_core::ids::VpnId::new(demo::VPN_PARTNER))
        .unwrap()
        .tags;
    assert_eq!(
        tags.get("acme").map(String::as_str),
        Some("primary"),
        "value did not match: kept"
    );
    assert!(!tags.contains_key("team"));
    let pl = w
        .prefix_list_reference(
            &tgw_ha_core::ids::RouteTableId::new(prod),
            &tgw_ha_core::ids::PrefixListId::new(demo::PL_PARIS_OFFICES),
        )
        .unwrap();
    assert_eq!(
        pl.attachment.as_ref().map(|a| a.as_str()),
        Some(demo::ATT_LYON)
    );
}

#[tokio::test]
async fn spawned_sandbox_stops_cleanly() {
    let sb = start(demo_world()).await;
    let addr = sb.local_addr();
    assert_eq!(ec2(addr, "DescribeVpnConnections", &[]).await.status, 200);
    sb.stop().await.expect("stopped cleanly");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
}
