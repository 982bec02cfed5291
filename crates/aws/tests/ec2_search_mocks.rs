//! SDK-boundary tests of SearchTransitGatewayRoutes paging, against a small fake of EC2's
//! search behind `aws-smithy-mocks`: next-token pages, narrowing when the old API only says
//! more routes are available, and failing loudly when a search never completes.

mod common;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::operation::search_transit_gateway_routes::{
    SearchTransitGatewayRoutesInput, SearchTransitGatewayRoutesOutput,
};
use aws_sdk_ec2::types::{
    TransitGatewayAttachmentResourceType, TransitGatewayRoute, TransitGatewayRouteAttachment,
    TransitGatewayRouteState, TransitGatewayRouteType,
};
use aws_smithy_mocks::{Rule, RuleMode, mock};
use common::ec2_mocks::{att, cidrs, network, table};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use tgw_ha_core::ids::AttachmentId;
use tgw_ha_core::model::{RouteState, RouteType};
use tgw_ha_engine::ports::{NetError, Network};

// SearchTransitGatewayRoutes, against a small fake of EC2's search

#[derive(Clone)]
struct FakeRoute {
    cidr: String,
    attachment: Option<&'static str>,
    state: &'static str,
}

/// Answers SearchTransitGatewayRoutes over `routes` like EC2 does: filters ANDed, a filter's
/// values ORed. `tokens`: page with NextToken (new API); otherwise stop at the page size with
/// only `AdditionalRoutesAvailable=true` (old API). `subnet-of-match` is strict here (the
/// prefix itself does not match), the harder of the two undocumented readings.
struct FakeSearch {
    routes: Vec<FakeRoute>,
    page: usize,
    tokens: bool,
    requests: Mutex<Vec<SearchTransitGatewayRoutesInput>>,
}

fn v4(cidr: &str) -> (u32, u8) {
    let (a, l) = cidr.split_once('/').expect("cidr");
    let ip: std::net::Ipv4Addr = a.parse().expect("ipv4");
    (u32::from(ip), l.parse().expect("len"))
}

fn strict_subnet_of(route: &str, of: &str) -> bool {
    if of.contains(':') {
        return false; // all fake routes are IPv4
    }
    let ((r, rl), (o, ol)) = (v4(route), v4(of));
    let mask = u32::MAX.checked_shl(32 - u32::from(ol)).unwrap_or(0);
    rl > ol && (r & mask) == (o & mask)
}

impl FakeSearch {
    fn new(routes: Vec<FakeRoute>, page: usize, tokens: bool) -> Arc<Self> {
        Arc::new(Self {
            routes,
            page,
            tokens,
            requests: Mutex::new(Vec::new()),
        })
    }

    fn answer(&self, req: &SearchTransitGatewayRoutesInput) -> SearchTransitGatewayRoutesOutput {
        self.requests.lock().unwrap().push(req.clone());
        assert!(!req.filters().is_empty(), "EC2 requires Filters");
        let matching: Vec<&FakeRoute> = self
            .routes
            .iter()
            .filter(|r| {
                req.filters().iter().all(|f| {
                    let vals = f.values();
                    match f.name().unwrap_or_default() {
                        "type" => vals.iter().any(|v| v == "static"),
                        "state" => vals.iter().any(|v| v == r.state),
                        "attachment.transit-gateway-attachment-id" => {
                            r.attachment.is_some_and(|a| vals.iter().any(|v| v == a))
                        }
                        "route-search.subnet-of-match" => {
                            vals.iter().any(|v| strict_subnet_of(&r.cidr, v))
                        }
                        "route-search.exact-match" => vals.contains(&r.cidr),
                        other => panic!("filter {other} not faked"),
                    }
                })
            })
            .collect();
        let limit = self.page.min(req.max_results().unwrap_or(1000) as usize);
        let start: usize = req.next_token().map_or(0, |t| t.parse().expect("token"));
        let end = (start + limit).min(matching.len());
        let more = end < matching.len();
        let mut out = SearchTransitGatewayRoutesOutput::builder().additional_routes_available(more);
        if more && self.tokens {
            out = out.next_token(end.to_string());
        }
        for r in &matching[start..end] {
            let mut b = TransitGatewayRoute::builder()
                .destination_cidr_block(&r.cidr)
                .r#type(TransitGatewayRouteType::Static)
                .state(TransitGatewayRouteState::from(r.state));
            if let Some(a) = r.attachment {
                b = b.transit_gateway_attachments(
                    TransitGatewayRouteAttachment::builder()
                        .transit_gateway_attachment_id(a)
                        .resource_id("vpn-x")
                        .resource_type(TransitGatewayAttachmentResourceType::Vpn)
                        .build(),
                );
            }
            out = out.routes(b.build());
        }
        out.build()
    }

    fn rule(self: &Arc<Self>) -> Rule {
        let me = self.clone();
        mock!(Client::search_transit_gateway_routes).then_compute_output(move |req| me.answer(req))
    }

    fn calls(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    /// Every request's filters as `name=v1,v2`, sorted within a request.
    fn filter_sets(&self) -> Vec<Vec<String>> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(|r| {
                let mut v: Vec<String> = r
                    .filters()
                    .iter()
                    .map(|f| format!("{}={}", f.name().unwrap_or_default(), f.values().join(",")))
                    .collect();
                v.sort();
                v
            })
            .collect()
    }
}

fn route(
    cidr: impl Into<String>,
    attachment: Option<&'static str>,
    state: &'static str,
) -> FakeRoute {
    FakeRoute {
        cidr: cidr.into(),
        attachment,
        state,
    }
}

/// `n` /24 routes in 10.0.0.0/8 to `attachment`.
fn many(n: usize, attachment: &'static str) -> Vec<FakeRoute> {
    (0..n)
        .map(|i| {
            route(
                format!("10.{}.{}.0/24", i / 256, i % 256),
                Some(attachment),
                "active",
            )
        })
        .collect()
}

#[tokio::test]
async fn static_routes_follow_next_token_pages() {
    let mut routes = many(7, "tgw-attach-p");
    routes.push(route("172.16.0.0/16", Some("tgw-attach-other"), "active"));
    routes.push(route("10.200.0.0/16", Some("tgw-attach-p"), "blackhole"));
    routes.push(route("10.201.0.0/16", None, "blackhole"));
    let fake = FakeSearch::new(routes, 3, true);
    let net = network(RuleMode::MatchAny, &[&fake.rule()]);

    let got = net
        .static_routes(&table(), &[att("tgw-attach-p")])
        .await
        .expect("routes");

    let want: BTreeSet<String> = many(7, "x")
        .into_iter()
        .map(|r| r.cidr)
        .chain(["10.200.0.0/16".into(), "10.201.0.0/16".into()])
        .collect();
    assert_eq!(cidrs(&got), want);
    assert_eq!(got.len(), want.len(), "deduplicated by destination");
    // 8 routes to the member in pages of 3, then 2 blackhole routes in one page.
    assert_eq!(fake.calls(), 3 + 1);
    let sets = fake.filter_sets();
    assert_eq!(
        sets[0],
        [
            "attachment.transit-gateway-attachment-id=tgw-attach-p",
            "type=static"
        ]
    );
    assert_eq!(sets[3], ["state=blackhole", "type=static"]);
    assert!(
        sets.iter().flatten().all(|f| f != "state=active"),
        "never state=active"
    );

    let unattached = got
        .iter()
        .find(|r| r.destination.to_string() == "10.201.0.0/16")
        .expect("blackhole");
    assert_eq!(unattached.attachment, None);
    assert_eq!(unattached.state, RouteState::Blackhole);
    let moved = got
        .iter()
        .find(|r| r.destination.to_string() == "10.200.0.0/16")
        .expect("blackhole");
    assert_eq!(moved.attachment, Some(att("tgw-attach-p")));
    assert!(
        got.iter()
            .all(|r| r.table == table() && r.route_type == RouteType::Static)
    );
}

#[tokio::test]
async fn static_routes_without_token_are_narrowed_until_complete() {
    let mut routes = many(2600, "tgw-attach-p");
    // Prefixes that only an exact-match search finds if subnet-of-match is strict.
    routes.push(route("0.0.0.0/0", Some("tgw-attach-p"), "active"));
    routes.push(route("10.0.0.0/8", Some("tgw-attach-p"), "active"));
    routes.push(route("10.0.0.0/9", Some("tgw-attach-p"), "active"));
    routes.push(route("192.168.1.7/32", Some("tgw-attach-p"), "blackhole"));
    routes.push(route("10.250.0.0/16", None, "blackhole"));
    let fake = FakeSearch::new(routes.clone(), 1000, false);
    let net = network(RuleMode::MatchAny, &[&fake.rule()]);

    let got = net
        .static_routes(&table(), &[att("tgw-attach-p")])
        .await
        .expect("routes");

    let want: BTreeSet<String> = routes.iter().map(|r| r.cidr.clone()).collect();
    assert_eq!(got.len(), 2605);
    assert_eq!(
        cidrs(&got),
        want,
        "every route read despite the 1 000-route truncation"
    );
    // Narrowing is a walk of the address space, not a scan: a few dozen calls.
    assert!(fake.calls() < 150, "{} calls", fake.calls());
    let sets = fake.filter_sets();
    assert!(
        sets.iter()
            .flatten()
            .any(|f| f.starts_with("route-search.subnet-of-match="))
    );
    assert!(sets.iter().flatten().all(|f| f != "state=active"));
}

#[tokio::test]
async fn static_routes_that_never_complete_fail_loudly() {
    // A server that always says "more" and never gives a token.
    let rule = mock!(Client::search_transit_gateway_routes).then_compute_output(|_| {
        SearchTransitGatewayRoutesOutput::builder()
            .additional_routes_available(true)
            .routes(
                TransitGatewayRoute::builder()
                    .destination_cidr_block("10.0.0.0/24")
                    .r#type(TransitGatewayRouteType::Static)
                    .state(TransitGatewayRouteState::Active)
                    .build(),
            )
            .build()
    });
    let net = network(RuleMode::MatchAny, &[&rule]);
    let err = net
        .static_routes(&table(), &[att("tgw-attach-p")])
        .await
        .expect_err("must not stop silently");
    match &err {
        NetError::Rejected { op, code, message } => {
            assert_eq!(op, "SearchTransitGatewayRoutes");
            assert_eq!(code, "IncompleteRouteSearch");
            assert!(message.contains("tgw-rtb-1"), "{message}");
        }
        other => panic!("unexpected {other}"),
    }
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn static_routes_split_many_attachments_into_several_searches() {
    let ids: Vec<&'static str> = (0..120)
        .map(|i| &*Box::leak(format!("tgw-attach-{i}").into_boxed_str()))
        .collect();
    let routes: Vec<FakeRoute> = ids
        .iter()
        .enumerate()
        .map(|(i, a)| route(format!("10.{i}.0.0/16"), Some(*a), "active"))
        .collect();
    let fake = FakeSearch::new(routes, 1000, true);
    let net = network(RuleMode::MatchAny, &[&fake.rule()]);
    let members: Vec<AttachmentId> = ids.iter().map(|a| att(a)).collect();
    let got = net.static_routes(&table(), &members).await.expect("routes");
    assert_eq!(got.len(), 120);
    // 50 ids per search: 3 attachment searches and the blackhole search.
    assert_eq!(fake.calls(), 4);
}

#[tokio::test]
async fn static_routes_with_no_members_still_find_blackholes() {
    let fake = FakeSearch::new(
        vec![
            route("10.1.0.0/16", Some("tgw-attach-p"), "active"),
            route("10.2.0.0/16", None, "blackhole"),
        ],
        1000,
        true,
    );
    let net = network(RuleMode::MatchAny, &[&fake.rule()]);
    let got = net.static_routes(&table(), &[]).await.expect("routes");
    assert_eq!(cidrs(&got), BTreeSet::from(["10.2.0.0/16".to_owned()]));
    assert_eq!(fake.calls(), 1);
}
