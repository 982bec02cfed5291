//! Reads: DescribeVpnConnections answers EC2's XML (namespace, request id, tunnels, tags and
//! filters), and signed, unsigned and GET requests are answered alike.

use super::*;

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
