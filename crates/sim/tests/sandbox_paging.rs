//! Pagination: `MaxResults`/`NextToken` on the describes, the prefix-list references and the
//! route search, the sandbox's page size, and the route search's older no-token mode.

mod sandbox_common;

use sandbox_common::{Reply, ec2, start, start_with};
use std::net::SocketAddr;
use tgw_ha_sim::demo_world::{self as demo, demo_world};
use tgw_ha_sim::sandbox::{Limits, SandboxConfig, SearchPages};

/// Follow `nextToken` to the end; returns every page.
async fn pages(a: SocketAddr, action: &str, params: &[(&str, &str)]) -> Vec<Reply> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut p = params.to_vec();
        if let Some(t) = &token {
            p.push(("NextToken", t));
        }
        let r = ec2(a, action, &p).await;
        assert_eq!(r.status, 200, "{}", r.body);
        token = r.one("nextToken");
        out.push(r);
        if token.is_none() {
            return out;
        }
        assert!(out.len() < 100, "paging never ends");
    }
}

#[tokio::test]
async fn describes_and_references_page_with_tokens() {
    let sb = start(demo_world()).await;
    let a = sb.local_addr();
    let p = pages(
        a,
        "DescribeTransitGatewayAttachments",
        &[
            ("MaxResults", "5"),
            ("Filter.1.Name", "transit-gateway-id"),
            ("Filter.1.Value.1", demo::TGW),
        ],
    )
    .await;
    assert_eq!(p.len(), 2);
    let ids: Vec<String> = p
        .iter()
        .flat_map(|r| r.all("transitGatewayAttachmentId"))
        .collect();
    assert_eq!(ids.len(), 7);
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 7, "no attachment twice");

    let r = ec2(
        a,
        "DescribeTransitGatewayAttachments",
        &[
            ("Filter.1.Name", "resource-type"),
            ("Filter.1.Value.1", "vpn"),
        ],
    )
    .await;
    assert_eq!(r.all("transitGatewayAttachmentId").len(), 6);
    assert_eq!(r.one("nextToken"), None);

    let r = ec2(
        a,
        "DescribeTransitGatewayAttachments",
        &[("NextToken", "not-hex")],
    )
    .await;
    assert_eq!((r.status, r.code()), (400, "InvalidPaginationToken".into()));
}

#[tokio::test]
async fn the_page_size_caps_every_paginated_action() {
    let sb = start_with(
        SandboxConfig::new(demo_world())
            .limits(Limits::None)
            .page_size(Some(1)),
    )
    .await;
    let a = sb.local_addr();
    let p = pages(a, "DescribeTransitGatewayRouteTables", &[]).await;
    assert_eq!(p.len(), 4);
    let p = pages(
        a,
        "GetTransitGatewayPrefixListReferences",
        &[("TransitGatewayRouteTableId", demo::RTB_PROD)],
    )
    .await;
    assert_eq!(p.len(), 2);
    let refs: Vec<String> = p.iter().flat_map(|r| r.all("prefixListId")).collect();
    assert_eq!(refs, [demo::PL_PARIS_OFFICES, demo::PL_BERLIN_OFFICES]);
    assert!(
        p[0].body
            .contains("<transitGatewayPrefixListReferenceSet><item><transitGatewayRouteTableId>")
    );
    assert_eq!(p[0].one("blackhole").as_deref(), Some("false"));
    assert_eq!(
        p[0].one("transitGatewayAttachmentId").as_deref(),
        Some(demo::ATT_PARIS)
    );
}

const PARIS_IN_PROD: [(&str, &str); 5] = [
    ("TransitGatewayRouteTableId", demo::RTB_PROD),
    ("Filter.1.Name", "type"),
    ("Filter.1.Value.1", "static"),
    ("Filter.2.Name", "attachment.transit-gateway-attachment-id"),
    ("Filter.2.Value.1", demo::ATT_PARIS),
];

#[tokio::test]
async fn route_search_pages_with_next_token() {
    let sb = start(demo_world()).await;
    let mut params = PARIS_IN_PROD.to_vec();
    params.push(("MaxResults", "5"));
    let p = pages(sb.local_addr(), "SearchTransitGatewayRoutes", &params).await;
    assert_eq!(p.len(), 2);
    assert_eq!(
        p[0].one("additionalRoutesAvailable").as_deref(),
        Some("true")
    );
    assert_eq!(
        p[1].one("additionalRoutesAvailable").as_deref(),
        Some("false")
    );
    let routes: Vec<String> = p
        .iter()
        .flat_map(|r| r.all("destinationCidrBlock"))
        .collect();
    assert_eq!(routes.len(), 8);
    assert_eq!(routes[0], "10.10.0.0/24", "address order");
    assert_eq!(routes[2], "10.10.8.0/24", "address order, not text order");
}

#[tokio::test]
async fn route_search_can_truncate_without_a_token_like_older_ec2() {
    let sb = start_with(
        SandboxConfig::new(demo_world())
            .limits(Limits::None)
            .search_pages(SearchPages::Truncate),
    )
    .await;
    let mut params = PARIS_IN_PROD.to_vec();
    params.push(("MaxResults", "5"));
    let r = ec2(sb.local_addr(), "SearchTransitGatewayRoutes", &params).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.all("destinationCidrBlock").len(), 5);
    assert_eq!(r.one("additionalRoutesAvailable").as_deref(), Some("true"));
    assert_eq!(r.one("nextToken"), None, "no way to ask for the rest");
    // Narrowing finds the rest.
    params.push(("Filter.3.Name", "route-search.subnet-of-match"));
    params.push(("Filter.3.Value.1", "10.10.16.0/20"));
    let r = ec2(sb.local_addr(), "SearchTransitGatewayRoutes", &params).await;
    assert_eq!(r.all("destinationCidrBlock").len(), 4);
    assert_eq!(r.one("additionalRoutesAvailable").as_deref(), Some("false"));
}
