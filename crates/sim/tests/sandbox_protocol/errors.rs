//! Errors: unknown actions, bad parameters and refused writes answer with EC2's codes, HTTP
//! statuses and error XML, and leave the world as it was.

use super::*;

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
