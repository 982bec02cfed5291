//! Writes: CreateTransitGatewayRoute, ReplaceTransitGatewayRoute and the others change the
//! world through its rules; and a spawned sandbox stops cleanly.

use super::*;

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
