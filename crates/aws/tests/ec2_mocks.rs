//! SDK-boundary tests: the real `aws-sdk-ec2` client with its transport replaced by
//! `aws-smithy-mocks` rules. Modeled outputs test the mapping; raw HTTP answers (`http_status`
//! with EC2's XML) go through the SDK's own deserializer and error parsing.

mod common;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::operation::describe_transit_gateway_attachments::DescribeTransitGatewayAttachmentsOutput;
use aws_sdk_ec2::operation::describe_transit_gateway_route_tables::DescribeTransitGatewayRouteTablesOutput;
use aws_sdk_ec2::operation::describe_vpn_connections::DescribeVpnConnectionsOutput;
use aws_sdk_ec2::operation::get_transit_gateway_prefix_list_references::GetTransitGatewayPrefixListReferencesOutput;
use aws_sdk_ec2::operation::modify_transit_gateway_prefix_list_reference::ModifyTransitGatewayPrefixListReferenceOutput;
use aws_sdk_ec2::operation::replace_transit_gateway_route::ReplaceTransitGatewayRouteOutput;
use aws_sdk_ec2::operation::search_transit_gateway_routes::SearchTransitGatewayRoutesOutput;
use aws_sdk_ec2::primitives::DateTime;
use aws_sdk_ec2::types::{
    Tag, TelemetryStatus, TransitGatewayAttachment, TransitGatewayAttachmentResourceType,
    TransitGatewayPrefixListAttachment, TransitGatewayPrefixListReference,
    TransitGatewayPrefixListReferenceState, TransitGatewayRoute, TransitGatewayRouteAttachment,
    TransitGatewayRouteState, TransitGatewayRouteTable, TransitGatewayRouteTableState,
    TransitGatewayRouteType, VgwTelemetry, VpnConnection as SdkVpn, VpnState as SdkVpnState,
};
use aws_smithy_mocks::{RuleMode, mock};
use common::ec2_mocks::{att, cidrs, ec2_error, network, table};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use tgw_ha_core::ids::{AttachmentId, PrefixListId, TgwId, VpnId};
use tgw_ha_core::model::{Destination, RouteState, RouteType, TunnelStatus, VpnState};
use tgw_ha_engine::ports::{NetError, Network};

// ---------------------------------------------------------------------------------------------
// DescribeVpnConnections

#[tokio::test]
async fn vpn_connections_map_tags_state_and_telemetry() {
    let rule = mock!(Client::describe_vpn_connections).then_output(|| {
        DescribeVpnConnectionsOutput::builder()
            .vpn_connections(
                SdkVpn::builder()
                    .vpn_connection_id("vpn-a")
                    .state(SdkVpnState::Available)
                    .transit_gateway_id("tgw-1")
                    .tags(Tag::builder().key("Name").value("lyon-isp1").build())
                    .tags(Tag::builder().key("lyon").value("Primary").build())
                    .tags(Tag::builder().key("paris").value("backup").build())
                    // EC2 does not promise an order: the DOWN tunnel comes first here.
                    .vgw_telemetry(
                        VgwTelemetry::builder()
                            .outside_ip_address("203.0.113.2")
                            .status(TelemetryStatus::Down)
                            .last_status_change(DateTime::from_secs(1_773_480_341))
                            .status_message("IPSEC IS DOWN")
                            .build(),
                    )
                    .vgw_telemetry(
                        VgwTelemetry::builder()
                            .outside_ip_address("203.0.113.1")
                            .status(TelemetryStatus::Up)
                            .last_status_change(DateTime::from_secs(1_773_475_960))
                            .build(),
                    )
                    .build(),
            )
            .vpn_connections(
                SdkVpn::builder()
                    .vpn_connection_id("vpn-vgw")
                    .state(SdkVpnState::Deleted)
                    .vpn_gateway_id("vgw-1")
                    .build(),
            )
            .build()
    });
    let net = network(RuleMode::Sequential, &[&rule]);
    let vpns = net.vpn_connections().await.expect("vpns");
    assert_eq!(rule.num_calls(), 1);
    assert_eq!(vpns.len(), 2);

    let a = &vpns[0];
    assert_eq!(a.id, VpnId::new("vpn-a"));
    assert_eq!(a.state, VpnState::Available);
    assert_eq!(a.transit_gateway_id, Some(TgwId::new("tgw-1")));
    assert_eq!(a.name(), Some("lyon-isp1"));
    // Values as EC2 holds them: case folding is the core's business.
    assert_eq!(a.tags.get("lyon").map(String::as_str), Some("Primary"));
    assert_eq!(a.tags.len(), 3);
    let by_ip = |ip: &str| a.tunnels.iter().find(|t| t.outside_ip == ip).expect(ip);
    assert_eq!(by_ip("203.0.113.1").status, TunnelStatus::Up);
    assert_eq!(
        by_ip("203.0.113.1").last_status_change.to_rfc3339(),
        "2026-03-14T08:12:40+00:00"
    );
    assert_eq!(by_ip("203.0.113.2").status, TunnelStatus::Down);
    assert_eq!(
        by_ip("203.0.113.2").last_status_change.to_rfc3339(),
        "2026-03-14T09:25:41+00:00"
    );

    let vgw = &vpns[1];
    assert_eq!(vgw.state, VpnState::Deleted);
    assert_eq!(vgw.transit_gateway_id, None);
}

#[tokio::test]
async fn vpn_connections_parse_ec2_xml() {
    let xml = include_str!("fixtures/describe-vpn-connections.xml");
    let rule = mock!(Client::describe_vpn_connections)
        .sequence()
        .http_status(200, Some(xml.to_owned()))
        .build();
    let net = network(RuleMode::Sequential, &[&rule]);
    let vpns = net.vpn_connections().await.expect("vpns");
    assert_eq!(vpns.len(), 1);
    let v = &vpns[0];
    assert_eq!(v.id, VpnId::new("vpn-0a1b2c3d4e5f60001"));
    assert_eq!(
        v.transit_gateway_id,
        Some(TgwId::new("tgw-0a1b2c3d4e5f6a7b8"))
    );
    assert_eq!(v.tags.get("lyon").map(String::as_str), Some("primary"));
    assert_eq!(v.tunnels.len(), 2);
    assert_eq!(v.tunnels[0].outside_ip, "203.0.113.17");
    assert_eq!(v.tunnels[0].status, TunnelStatus::Up);
    assert_eq!(v.tunnels[1].status, TunnelStatus::Down);
    assert_eq!(
        v.tunnels[1].last_status_change.to_rfc3339(),
        "2026-03-14T09:25:41+00:00"
    );
}

// ---------------------------------------------------------------------------------------------
// DescribeTransitGatewayAttachments / DescribeTransitGatewayRouteTables

#[tokio::test]
async fn vpn_attachments_read_every_page() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let rule =
        mock!(Client::describe_transit_gateway_attachments).then_compute_output(move |req| {
            log.lock().unwrap().push(req.clone());
            let (ids, next) = match req.next_token() {
                None => (["1", "2"], Some("page-2")),
                Some("page-2") => (["3", "4"], Some("page-3")),
                Some("page-3") => (["5", "6"], None),
                Some(other) => panic!("unexpected token {other}"),
            };
            let mut out = DescribeTransitGatewayAttachmentsOutput::builder()
                .set_next_token(next.map(Into::into));
            for id in ids {
                out = out.transit_gateway_attachments(
                    TransitGatewayAttachment::builder()
                        .transit_gateway_attachment_id(format!("tgw-attach-{id}"))
                        .transit_gateway_id("tgw-1")
                        .resource_type(TransitGatewayAttachmentResourceType::Vpn)
                        .resource_id(format!("vpn-{id}"))
                        .state(aws_sdk_ec2::types::TransitGatewayAttachmentState::Available)
                        .build(),
                );
            }
            out.build()
        });
    let net = network(RuleMode::MatchAny, &[&rule]);
    let got = net
        .vpn_attachments(&TgwId::new("tgw-1"))
        .await
        .expect("attachments");
    assert_eq!(rule.num_calls(), 3);
    let ids: Vec<&str> = got.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "tgw-attach-1",
            "tgw-attach-2",
            "tgw-attach-3",
            "tgw-attach-4",
            "tgw-attach-5",
            "tgw-attach-6"
        ]
    );
    assert_eq!(got[4].vpn_id, VpnId::new("vpn-5"));
    for req in seen.lock().unwrap().iter() {
        let filters: BTreeSet<(String, Vec<String>)> = req
            .filters()
            .iter()
            .map(|f| (f.name().unwrap_or_default().to_owned(), f.values().to_vec()))
            .collect();
        assert!(filters.contains(&("transit-gateway-id".into(), vec!["tgw-1".into()])));
        assert!(filters.contains(&("resource-type".into(), vec!["vpn".into()])));
        assert_eq!(req.max_results(), Some(1000));
    }
}

#[tokio::test]
async fn route_tables_read_every_page_and_skip_deleted() {
    let rule = mock!(Client::describe_transit_gateway_route_tables).then_compute_output(|req| {
        let (tables, next) = match req.next_token() {
            None => (
                vec![("tgw-rtb-1", TransitGatewayRouteTableState::Available)],
                Some("t2"),
            ),
            Some(_) => (
                vec![
                    ("tgw-rtb-2", TransitGatewayRouteTableState::Deleting),
                    ("tgw-rtb-3", TransitGatewayRouteTableState::Available),
                ],
                None,
            ),
        };
        let mut out =
            DescribeTransitGatewayRouteTablesOutput::builder().set_next_token(next.map(Into::into));
        for (id, state) in tables {
            out = out.transit_gateway_route_tables(
                TransitGatewayRouteTable::builder()
                    .transit_gateway_route_table_id(id)
                    .transit_gateway_id("tgw-1")
                    .state(state)
                    .build(),
            );
        }
        out.build()
    });
    let net = network(RuleMode::MatchAny, &[&rule]);
    let got = net
        .route_tables(&TgwId::new("tgw-1"))
        .await
        .expect("tables");
    assert_eq!(rule.num_calls(), 2);
    let ids: Vec<&str> = got.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["tgw-rtb-1", "tgw-rtb-3"]);
}

// ---------------------------------------------------------------------------------------------
// Prefix-list references

#[tokio::test]
async fn prefix_list_references_keep_members_and_blackholes() {
    let reference = |pl: &str, attachment: Option<&str>, blackhole: bool| {
        let mut b = TransitGatewayPrefixListReference::builder()
            .transit_gateway_route_table_id("tgw-rtb-1")
            .prefix_list_id(pl)
            .prefix_list_owner_id("111122223333")
            .state(TransitGatewayPrefixListReferenceState::Available)
            .blackhole(blackhole);
        if let Some(a) = attachment {
            b = b.transit_gateway_attachment(
                TransitGatewayPrefixListAttachment::builder()
                    .transit_gateway_attachment_id(a)
                    .resource_type(TransitGatewayAttachmentResourceType::Vpn)
                    .resource_id("vpn-x")
                    .build(),
            );
        }
        b.build()
    };
    let rule =
        mock!(Client::get_transit_gateway_prefix_list_references).then_compute_output(move |req| {
            assert_eq!(req.transit_gateway_route_table_id(), Some("tgw-rtb-1"));
            match req.next_token() {
                None => GetTransitGatewayPrefixListReferencesOutput::builder()
                    .transit_gateway_prefix_list_references(reference(
                        "pl-member",
                        Some("tgw-attach-p"),
                        false,
                    ))
                    .transit_gateway_prefix_list_references(reference(
                        "pl-vpc",
                        Some("tgw-attach-vpc"),
                        false,
                    ))
                    .next_token("2")
                    .build(),
                Some(_) => GetTransitGatewayPrefixListReferencesOutput::builder()
                    .transit_gateway_prefix_list_references(reference("pl-dropped", None, true))
                    .transit_gateway_prefix_list_references(reference(
                        "pl-backup",
                        Some("tgw-attach-b"),
                        false,
                    ))
                    .build(),
            }
        });
    let net = network(RuleMode::MatchAny, &[&rule]);
    let got = net
        .prefix_list_references(&table(), &[att("tgw-attach-p"), att("tgw-attach-b")])
        .await
        .expect("references");
    assert_eq!(rule.num_calls(), 2);
    let shown: Vec<(String, Option<&str>, RouteState)> = got
        .iter()
        .map(|r| {
            (
                r.destination.to_string(),
                r.attachment.as_ref().map(AttachmentId::as_str),
                r.state,
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            (
                "pl-member".to_owned(),
                Some("tgw-attach-p"),
                RouteState::Active
            ),
            ("pl-dropped".to_owned(), None, RouteState::Blackhole),
            (
                "pl-backup".to_owned(),
                Some("tgw-attach-b"),
                RouteState::Active
            ),
        ]
    );
    assert!(
        got.iter()
            .all(|r| matches!(r.destination, Destination::PrefixList(_)))
    );
    assert!(got.iter().all(|r| r.route_type == RouteType::Static));
}

// ---------------------------------------------------------------------------------------------
// Writes

#[tokio::test]
async fn replace_route_sends_table_cidr_and_target() {
    let rule = mock!(Client::replace_transit_gateway_route)
        .match_requests(|req| {
            req.transit_gateway_route_table_id() == Some("tgw-rtb-1")
                && req.destination_cidr_block() == Some("10.1.0.0/16")
                && req.transit_gateway_attachment_id() == Some("tgw-attach-b")
                && req.blackhole().is_none()
        })
        .then_output(|| ReplaceTransitGatewayRouteOutput::builder().build());
    let net = network(RuleMode::Sequential, &[&rule]);
    net.replace_route(&table(), "10.1.0.0/16", &att("tgw-attach-b"))
        .await
        .expect("replaced");
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test]
async fn modify_prefix_list_reference_sends_table_list_and_target() {
    let rule = mock!(Client::modify_transit_gateway_prefix_list_reference)
        .match_requests(|req| {
            req.transit_gateway_route_table_id() == Some("tgw-rtb-1")
                && req.prefix_list_id() == Some("pl-1")
                && req.transit_gateway_attachment_id() == Some("tgw-attach-b")
        })
        .then_output(|| ModifyTransitGatewayPrefixListReferenceOutput::builder().build());
    let net = network(RuleMode::Sequential, &[&rule]);
    net.modify_prefix_list_reference(&table(), &PrefixListId::new("pl-1"), &att("tgw-attach-b"))
        .await
        .expect("modified");
    assert_eq!(rule.num_calls(), 1);
}

// ---------------------------------------------------------------------------------------------
// Errors, through EC2's error XML and the SDK's parser

#[tokio::test]
async fn throttled_write_is_throttled_and_not_retried_by_the_sdk() {
    let rule = mock!(Client::replace_transit_gateway_route)
        .sequence()
        .http_status(
            503,
            Some(ec2_error("RequestLimitExceeded", "Request limit exceeded.")),
        )
        .output(|| ReplaceTransitGatewayRouteOutput::builder().build())
        .build();
    let net = network(RuleMode::Sequential, &[&rule]);
    let err = net
        .replace_route(&table(), "10.1.0.0/16", &att("tgw-attach-b"))
        .await
        .expect_err("throttled");
    assert!(
        matches!(err, NetError::Throttled { ref op, .. } if op == "ReplaceTransitGatewayRoute"),
        "{err}"
    );
    assert!(err.is_retryable() && err.is_throttle());
    // One attempt: the engine's executor owns write retries and pacing.
    assert_eq!(rule.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn throttled_read_page_is_retried_by_the_sdk() {
    let page = |token: Option<&str>, cidr: &str| {
        SearchTransitGatewayRoutesOutput::builder()
            .set_next_token(token.map(Into::into))
            .routes(
                TransitGatewayRoute::builder()
                    .destination_cidr_block(cidr)
                    .r#type(TransitGatewayRouteType::Static)
                    .state(TransitGatewayRouteState::Active)
                    .transit_gateway_attachments(
                        TransitGatewayRouteAttachment::builder()
                            .transit_gateway_attachment_id("tgw-attach-p")
                            .build(),
                    )
                    .build(),
            )
            .build()
    };
    let rule = mock!(Client::search_transit_gateway_routes)
        .sequence()
        .output(move || page(Some("2"), "10.1.0.0/16"))
        .http_status(
            503,
            Some(ec2_error("RequestLimitExceeded", "Request limit exceeded.")),
        )
        .output(move || page(None, "10.2.0.0/16"))
        .output(|| SearchTransitGatewayRoutesOutput::builder().build())
        .build();
    let net = network(RuleMode::Sequential, &[&rule]);
    let got = net
        .static_routes(&table(), &[att("tgw-attach-p")])
        .await
        .expect("routes");
    assert_eq!(
        cidrs(&got),
        BTreeSet::from(["10.1.0.0/16".to_owned(), "10.2.0.0/16".to_owned()])
    );
    // Page 1, page 2 throttled, page 2 again (SDK retry), the blackhole search.
    assert_eq!(rule.num_calls(), 4);
}

#[tokio::test(start_paused = true)]
async fn read_throttled_past_the_sdk_retries_is_throttled() {
    let rule = mock!(Client::describe_vpn_connections)
        .sequence()
        .http_status(
            503,
            Some(ec2_error("RequestLimitExceeded", "Request limit exceeded.")),
        )
        .times(3)
        .build();
    let net = network(RuleMode::Sequential, &[&rule]);
    let err = net.vpn_connections().await.expect_err("throttled");
    assert!(
        matches!(err, NetError::Throttled { ref op, .. } if op == "DescribeVpnConnections"),
        "{err}"
    );
    assert_eq!(rule.num_calls(), 3);
}

#[tokio::test]
async fn missing_route_is_route_not_found() {
    let rule = mock!(Client::replace_transit_gateway_route)
        .sequence()
        .http_status(
            400,
            Some(ec2_error(
                "InvalidRoute.NotFound",
                "No route with destination-cidr-block 10.1.0.0/16 in route table tgw-rtb-1",
            )),
        )
        .build();
    let net = network(RuleMode::Sequential, &[&rule]);
    let err = net
        .replace_route(&table(), "10.1.0.0/16", &att("tgw-attach-b"))
        .await
        .expect_err("gone");
    assert_eq!(
        err,
        NetError::RouteNotFound {
            op: "ReplaceTransitGatewayRoute".into(),
            table: table(),
            destination: "10.1.0.0/16".into(),
        }
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn missing_target_attachment_is_not_a_vanished_route() {
    let rule = mock!(Client::replace_transit_gateway_route)
        .sequence()
        .http_status(
            400,
            Some(ec2_error(
                "InvalidTransitGatewayAttachmentID.NotFound",
                "Transit Gateway Attachment tgw-attach-b was deleted or does not exist.",
            )),
        )
        .build();
    let net = network(RuleMode::Sequential, &[&rule]);
    let err = net
        .replace_route(&table(), "10.1.0.0/16", &att("tgw-attach-b"))
        .await
        .expect_err("rejected");
    assert!(
        matches!(err, NetError::Rejected { ref code, .. } if code == "InvalidTransitGatewayAttachmentID.NotFound"),
        "{err}"
    );
}

#[tokio::test]
async fn missing_table_of_a_reference_is_route_not_found() {
    let rule = mock!(Client::modify_transit_gateway_prefix_list_reference)
        .sequence()
        .http_status(
            400,
            Some(ec2_error(
                "InvalidRouteTableID.NotFound",
                "The routeTable ID 'tgw-rtb-1' does not exist",
            )),
        )
        .build();
    let net = network(RuleMode::Sequential, &[&rule]);
    let err = net
        .modify_prefix_list_reference(&table(), &PrefixListId::new("pl-1"), &att("tgw-attach-b"))
        .await
        .expect_err("gone");
    assert!(
        matches!(err, NetError::RouteNotFound { ref destination, .. } if destination == "pl-1"),
        "{err}"
    );
}

#[tokio::test]
async fn unauthorized_operation_names_the_iam_action() {
    let rule = mock!(Client::search_transit_gateway_routes)
        .sequence()
        .http_status(
            403,
            Some(ec2_error(
                "UnauthorizedOperation",
                "You are not authorized to perform this operation.",
            )),
        )
        .build();
    let net = network(RuleMode::Sequential, &[&rule]);
    let err = net
        .static_routes(&table(), &[att("tgw-attach-p")])
        .await
        .expect_err("denied");
    assert!(
        matches!(err, NetError::AccessDenied { ref op, .. } if op == "SearchTransitGatewayRoutes"),
        "{err}"
    );
    assert!(
        err.to_string().contains("ec2:SearchTransitGatewayRoutes"),
        "{err}"
    );
    assert!(!err.is_retryable());
    assert_eq!(rule.num_calls(), 1, "auth errors are not retried");
}

#[tokio::test(start_paused = true)]
async fn server_error_is_unavailable() {
    let rule = mock!(Client::describe_transit_gateway_route_tables)
        .sequence()
        .http_status(
            500,
            Some(ec2_error("InternalError", "An internal error has occurred")),
        )
        .times(3)
        .build();
    let net = network(RuleMode::Sequential, &[&rule]);
    let err = net
        .route_tables(&TgwId::new("tgw-1"))
        .await
        .expect_err("5xx");
    assert!(matches!(err, NetError::Unavailable { .. }), "{err}");
    assert!(err.is_retryable());
}
