//! [`Ec2Network`]: the engine's [`Network`] port over `aws-sdk-ec2`.
//!
//! Reads return every page (paginators; SearchTransitGatewayRoutes through [`crate::search`]).
//! Writes are single calls with SDK retries off: the executor paces and retries them.
//!
//! Never: filters routes on `state=active` (a static route to a dead VPN may show as
//! `blackhole`, and a blackhole route may list no attachment — AWS-FACTS.md), touches a
//! propagated route, or moves anything but the one route or reference it is asked to.

use crate::config::Ec2Clients;
use crate::errors::{Target, sdk_error};
use crate::search::{filter, search_routes};
use async_trait::async_trait;
use aws_sdk_ec2::Client;
use aws_sdk_ec2::primitives::DateTime;
use aws_sdk_ec2::types as ec2;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use tgw_ha_core::Timestamp;
use tgw_ha_core::ids::{AttachmentId, PrefixListId, RouteTableId, TgwId, VpnId};
use tgw_ha_core::model::{
    Attachment, Destination, Route, RouteState, RouteTable, RouteType, Tunnel, TunnelStatus,
    VpnConnection, VpnState,
};
use tgw_ha_engine::layer::Ec2Action::{
    DescribeTransitGatewayAttachments, DescribeTransitGatewayRouteTables, DescribeVpnConnections,
    GetTransitGatewayPrefixListReferences, ModifyTransitGatewayPrefixListReference,
    ReplaceTransitGatewayRoute,
};
use tgw_ha_engine::ports::{Clock, NetError, Network, SystemClock};

/// How many attachment ids go in one search filter. EC2 ORs a filter's values; other EC2
/// filters cap values at 200, so stay well below and split bigger groups into several searches.
const ATTACHMENTS_PER_SEARCH: usize = 50;
/// EC2's largest page for the paginated describes: the fewest calls.
const PAGE: i32 = 1000;

/// The EC2 side of a Transit Gateway, through the AWS SDK.
#[derive(Clone)]
pub struct Ec2Network {
    ec2: Ec2Clients,
    clock: Arc<dyn Clock>,
}

impl Ec2Network {
    /// Build with [`crate::config::ec2_client`] for the retry and timeout policy it documents.
    pub fn new(client: Client) -> Self {
        Self {
            ec2: Ec2Clients::new(client),
            clock: Arc::new(SystemClock),
        }
    }

    /// The clock that dates a tunnel whose telemetry has no `LastStatusChange`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn client(&self) -> &Client {
        &self.ec2.reads
    }
}

#[async_trait]
impl Network for Ec2Network {
    async fn vpn_connections(&self) -> Result<Vec<VpnConnection>, NetError> {
        let out = self
            .ec2
            .reads
            .describe_vpn_connections()
            .send()
            .await
            .map_err(sdk_error(DescribeVpnConnections, Target::Read))?;
        let now = self.clock.now();
        Ok(out
            .vpn_connections()
            .iter()
            .filter_map(|v| vpn_from_sdk(v, now))
            .collect())
    }

    async fn vpn_attachments(&self, tgw: &TgwId) -> Result<Vec<Attachment>, NetError> {
        let mut pages = self
            .ec2
            .reads
            .describe_transit_gateway_attachments()
            .filters(filter("transit-gateway-id", [tgw.as_str()]))
            .filters(filter("resource-type", ["vpn"]))
            .max_results(PAGE)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(sdk_error(
                DescribeTransitGatewayAttachments,
                Target::ReadOf(tgw.as_str()),
            ))?;
            out.extend(
                page.transit_gateway_attachments()
                    .iter()
                    .filter_map(|a| attachment_from_sdk(a, tgw)),
            );
        }
        Ok(out)
    }

    async fn route_tables(&self, tgw: &TgwId) -> Result<Vec<RouteTable>, NetError> {
        let mut pages = self
            .ec2
            .reads
            .describe_transit_gateway_route_tables()
            .filters(filter("transit-gateway-id", [tgw.as_str()]))
            .max_results(PAGE)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(sdk_error(
                DescribeTransitGatewayRouteTables,
                Target::ReadOf(tgw.as_str()),
            ))?;
            out.extend(
                page.transit_gateway_route_tables()
                    .iter()
                    .filter_map(|t| table_from_sdk(t, tgw)),
            );
        }
        Ok(out)
    }

    async fn static_routes(
        &self,
        table: &RouteTableId,
        attachments: &[AttachmentId],
    ) -> Result<Vec<Route>, NetError> {
        let mut found = Vec::new();
        // Routes to the members, in any state: a route to a dead VPN must be found whatever
        // EC2 shows for it.
        for chunk in attachments.chunks(ATTACHMENTS_PER_SEARCH) {
            let base = [
                filter("type", ["static"]),
                filter(
                    "attachment.transit-gateway-attachment-id",
                    chunk.iter().map(AttachmentId::as_str),
                ),
            ];
            found.extend(search_routes(&self.ec2.reads, table, &base).await?);
        }
        // Blackhole routes, which may list no attachment at all (a moved route whose target
        // went away is found through the ledger by destination).
        let base = [filter("type", ["static"]), filter("state", ["blackhole"])];
        found.extend(search_routes(&self.ec2.reads, table, &base).await?);

        // Searches overlap (narrowing, blackhole routes that list a member): one per destination.
        let mut by_destination = BTreeMap::new();
        for r in found.iter().filter_map(|r| route_from_sdk(table, r)) {
            by_destination.entry(r.destination.clone()).or_insert(r);
        }
        Ok(by_destination.into_values().collect())
    }

    async fn prefix_list_references(
        &self,
        table: &RouteTableId,
        attachments: &[AttachmentId],
    ) -> Result<Vec<Route>, NetError> {
        // One paginated read of the table's references, filtered here: a server-side filter
        // would need a second call for the blackhole references.
        let mut pages = self
            .ec2
            .reads
            .get_transit_gateway_prefix_list_references()
            .transit_gateway_route_table_id(table.as_str())
            .max_results(PAGE)
            .into_paginator()
            .send();
        let wanted: BTreeSet<&str> = attachments.iter().map(AttachmentId::as_str).collect();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(sdk_error(
                GetTransitGatewayPrefixListReferences,
                Target::ReadOf(table.as_str()),
            ))?;
            out.extend(
                page.transit_gateway_prefix_list_references()
                    .iter()
                    .filter_map(|r| reference_from_sdk(table, r))
                    .filter(|r| {
                        r.state == RouteState::Blackhole
                            || r.attachment
                                .as_ref()
                                .is_some_and(|a| wanted.contains(a.as_str()))
                    }),
            );
        }
        Ok(out)
    }

    async fn replace_route(
        &self,
        table: &RouteTableId,
        cidr: &str,
        to: &AttachmentId,
    ) -> Result<(), NetError> {
        self.ec2
            .writes
            .replace_transit_gateway_route()
            .transit_gateway_route_table_id(table.as_str())
            .destination_cidr_block(cidr)
            .transit_gateway_attachment_id(to.as_str())
            .send()
            .await
            .map_err(sdk_error(
                ReplaceTransitGatewayRoute,
                Target::Route { table, cidr },
            ))?;
        Ok(())
    }

    async fn modify_prefix_list_reference(
        &self,
        table: &RouteTableId,
        prefix_list: &PrefixListId,
        to: &AttachmentId,
    ) -> Result<(), NetError> {
        self.ec2
            .writes
            .modify_transit_gateway_prefix_list_reference()
            .transit_gateway_route_table_id(table.as_str())
            .prefix_list_id(prefix_list.as_str())
            .transit_gateway_attachment_id(to.as_str())
            .send()
            .await
            .map_err(sdk_error(
                ModifyTransitGatewayPrefixListReference,
                Target::PrefixListReference { table, prefix_list },
            ))?;
        Ok(())
    }
}

fn timestamp(t: &DateTime) -> Option<Timestamp> {
    Timestamp::from_timestamp(t.secs(), t.subsec_nanos())
}

/// A VPN connection as the core sees it. `now` dates a tunnel whose telemetry has no
/// `LastStatusChange` (EC2 always sends one in practice; a proxy or an old answer may not):
/// its status is taken as having changed at the moment it was read. That is the conservative
/// reading for the decisions that can hurt: an UP tunnel gets no hold-down credit, so failback
/// never trusts it, and a DOWN tunnel outranks any older UP signal. Its cost: an ALARM older
/// than the read no longer overrides such an UP tunnel.
pub(crate) fn vpn_from_sdk(v: &ec2::VpnConnection, now: Timestamp) -> Option<VpnConnection> {
    let id = v.vpn_connection_id()?;
    let state = match v.state().map(|s| s.as_str()) {
        Some("available") => VpnState::Available,
        Some("deleting") => VpnState::Deleting,
        Some("deleted") => VpnState::Deleted,
        // Pending, missing or a state this SDK does not know: not available, so not healthy.
        _ => VpnState::Pending,
    };
    let tags = v
        .tags()
        .iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_owned(),
                t.value().unwrap_or_default().to_owned(),
            ))
        })
        .collect();
    let tunnels = v
        .vgw_telemetry()
        .iter()
        .filter_map(|t| {
            Some(Tunnel {
                // Without its address a tunnel cannot be matched to a signal: leave it out.
                outside_ip: t.outside_ip_address()?.to_owned(),
                status: match t.status().map(|s| s.as_str()) {
                    Some("UP") => TunnelStatus::Up,
                    // DOWN, missing or unknown: a tunnel is up only when EC2 says so.
                    _ => TunnelStatus::Down,
                },
                last_status_change: t.last_status_change().and_then(timestamp).unwrap_or(now),
            })
        })
        .collect();
    Some(VpnConnection {
        id: VpnId::new(id),
        state,
        transit_gateway_id: v.transit_gateway_id().map(TgwId::new),
        tags,
        tunnels,
    })
}

pub(crate) fn attachment_from_sdk(
    a: &ec2::TransitGatewayAttachment,
    tgw: &TgwId,
) -> Option<Attachment> {
    if a.resource_type().map(|t| t.as_str()) != Some("vpn") {
        return None;
    }
    Some(Attachment {
        id: AttachmentId::new(a.transit_gateway_attachment_id()?),
        transit_gateway_id: a
            .transit_gateway_id()
            .map_or_else(|| tgw.clone(), TgwId::new),
        vpn_id: VpnId::new(a.resource_id()?),
        state: a.state().map_or("unknown", |s| s.as_str()).to_owned(),
    })
}

pub(crate) fn table_from_sdk(t: &ec2::TransitGatewayRouteTable, tgw: &TgwId) -> Option<RouteTable> {
    // A table being deleted takes its routes with it: nothing to move there.
    if matches!(t.state().map(|s| s.as_str()), Some("deleting" | "deleted")) {
        return None;
    }
    Some(RouteTable {
        id: RouteTableId::new(t.transit_gateway_route_table_id()?),
        transit_gateway_id: t
            .transit_gateway_id()
            .map_or_else(|| tgw.clone(), TgwId::new),
    })
}

pub(crate) fn route_from_sdk(table: &RouteTableId, r: &ec2::TransitGatewayRoute) -> Option<Route> {
    let destination = match (r.destination_cidr_block(), r.prefix_list_id()) {
        (Some(cidr), _) => Destination::Cidr(cidr.to_owned()),
        (None, Some(pl)) => Destination::PrefixList(PrefixListId::new(pl)),
        (None, None) => return None,
    };
    let route_type = match r.r#type().map(|t| t.as_str()) {
        Some("static") => RouteType::Static,
        Some("propagated") => RouteType::Propagated,
        // Not a route a person made: never ours to move.
        _ => return None,
    };
    Some(Route {
        table: table.clone(),
        destination,
        attachment: r
            .transit_gateway_attachments()
            .iter()
            .find_map(|a| a.transit_gateway_attachment_id())
            .map(AttachmentId::new),
        route_type,
        state: route_state(r.state().map(|s| s.as_str())),
    })
}

fn route_state(s: Option<&str>) -> RouteState {
    match s {
        Some("active") => RouteState::Active,
        Some("blackhole") => RouteState::Blackhole,
        Some("deleting") => RouteState::Deleting,
        Some("deleted") => RouteState::Deleted,
        // Pending, missing or new: still a route, which the planner must see.
        _ => RouteState::Pending,
    }
}

/// A prefix-list reference as a route. It is `Static`: a person configured it, and the
/// planner ignores propagated routes. (The CIDR routes EC2 derives from it show as
/// `propagated` in searches; the reference is what moves.)
pub(crate) fn reference_from_sdk(
    table: &RouteTableId,
    r: &ec2::TransitGatewayPrefixListReference,
) -> Option<Route> {
    let state = if r.blackhole() == Some(true) {
        RouteState::Blackhole
    } else {
        match r.state().map(|s| s.as_str()) {
            Some("available") => RouteState::Active,
            Some("deleting") => RouteState::Deleting,
            // Pending, modifying (in flux) or new.
            _ => RouteState::Pending,
        }
    };
    Some(Route {
        table: table.clone(),
        destination: Destination::PrefixList(PrefixListId::new(r.prefix_list_id()?)),
        attachment: r
            .transit_gateway_attachment()
            .and_then(|a| a.transit_gateway_attachment_id())
            .map(AttachmentId::new),
        route_type: RouteType::Static,
        state,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::{
        Tag, TelemetryStatus, TransitGatewayAttachmentResourceType as ResType,
        TransitGatewayRouteState, TransitGatewayRouteType, VgwTelemetry,
    };

    fn at(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    #[test]
    fn vpn_missing_change_time_is_dated_now_and_unknown_status_is_down() {
        let now = at("2026-03-14T10:00:00Z");
        let v = ec2::VpnConnection::builder()
            .vpn_connection_id("vpn-1")
            .state(ec2::VpnState::Available)
            .tags(Tag::builder().key("lyon").value("primary").build())
            .vgw_telemetry(
                VgwTelemetry::builder()
                    .outside_ip_address("203.0.113.1")
                    .status(TelemetryStatus::Up)
                    .build(),
            )
            .vgw_telemetry(
                VgwTelemetry::builder()
                    .outside_ip_address("203.0.113.2")
                    .status(TelemetryStatus::from("SOMETHING"))
                    .last_status_change(DateTime::from_secs(1_700_000_000))
                    .build(),
            )
            .vgw_telemetry(VgwTelemetry::builder().status(TelemetryStatus::Up).build())
            .build();
        let got = vpn_from_sdk(&v, now).expect("mapped");
        assert_eq!(got.transit_gateway_id, None);
        assert_eq!(got.tags.get("lyon").map(String::as_str), Some("primary"));
        assert_eq!(got.tunnels.len(), 2, "a tunnel with no address is left out");
        assert_eq!(got.tunnels[0].status, TunnelStatus::Up);
        assert_eq!(got.tunnels[0].last_status_change, now);
        assert_eq!(got.tunnels[1].status, TunnelStatus::Down);
        assert_eq!(
            got.tunnels[1].last_status_change,
            at("2023-11-14T22:13:20Z")
        );
    }

    #[test]
    fn vpn_unknown_state_is_not_available() {
        let v = ec2::VpnConnection::builder()
            .vpn_connection_id("vpn-1")
            .state(ec2::VpnState::from("suspended"))
            .build();
        let got = vpn_from_sdk(&v, at("2026-01-01T00:00:00Z")).expect("mapped");
        assert_eq!(got.state, VpnState::Pending);
    }

    #[test]
    fn attachments_keep_only_vpns() {
        let tgw = TgwId::new("tgw-1");
        let vpc = ec2::TransitGatewayAttachment::builder()
            .transit_gateway_attachment_id("tgw-attach-vpc")
            .resource_type(ResType::Vpc)
            .resource_id("vpc-1")
            .build();
        assert_eq!(attachment_from_sdk(&vpc, &tgw), None);
        let vpn = ec2::TransitGatewayAttachment::builder()
            .transit_gateway_attachment_id("tgw-attach-1")
            .resource_type(ResType::Vpn)
            .resource_id("vpn-1")
            .state(ec2::TransitGatewayAttachmentState::Available)
            .build();
        assert_eq!(
            attachment_from_sdk(&vpn, &tgw),
            Some(Attachment {
                id: AttachmentId::new("tgw-attach-1"),
                transit_gateway_id: tgw.clone(),
                vpn_id: VpnId::new("vpn-1"),
                state: "available".into(),
            })
        );
    }

    #[test]
    fn tables_being_deleted_are_skipped() {
        let tgw = TgwId::new("tgw-1");
        let t = |id: &str, state: ec2::TransitGatewayRouteTableState| {
            ec2::TransitGatewayRouteTable::builder()
                .transit_gateway_route_table_id(id)
                .transit_gateway_id("tgw-1")
                .state(state)
                .build()
        };
        use ec2::TransitGatewayRouteTableState as S;
        assert!(table_from_sdk(&t("tgw-rtb-1", S::Available), &tgw).is_some());
        assert!(table_from_sdk(&t("tgw-rtb-2", S::Pending), &tgw).is_some());
        assert!(table_from_sdk(&t("tgw-rtb-3", S::Deleting), &tgw).is_none());
        assert!(table_from_sdk(&t("tgw-rtb-4", S::Deleted), &tgw).is_none());
    }

    #[test]
    fn blackhole_route_without_attachment_is_kept() {
        let table = RouteTableId::new("tgw-rtb-1");
        let r = ec2::TransitGatewayRoute::builder()
            .destination_cidr_block("10.9.0.0/16")
            .r#type(TransitGatewayRouteType::Static)
            .state(TransitGatewayRouteState::Blackhole)
            .build();
        let got = route_from_sdk(&table, &r).expect("mapped");
        assert_eq!(got.attachment, None);
        assert_eq!(got.state, RouteState::Blackhole);
        assert_eq!(got.destination, Destination::Cidr("10.9.0.0/16".into()));
    }

    #[test]
    fn blackhole_reference_is_a_blackhole_route() {
        let table = RouteTableId::new("tgw-rtb-1");
        let r = ec2::TransitGatewayPrefixListReference::builder()
            .prefix_list_id("pl-1")
            .blackhole(true)
            .state(ec2::TransitGatewayPrefixListReferenceState::Available)
            .build();
        let got = reference_from_sdk(&table, &r).expect("mapped");
        assert_eq!(got.state, RouteState::Blackhole);
        assert_eq!(got.route_type, RouteType::Static);
        assert_eq!(
            got.destination,
            Destination::PrefixList(PrefixListId::new("pl-1"))
        );
    }
}
