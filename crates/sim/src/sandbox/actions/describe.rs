//! DescribeVpnConnections (not paginated, as EC2), DescribeTransitGatewayAttachments and
//! DescribeTransitGatewayRouteTables (paginated with `MaxResults`/`NextToken`).

use super::{ACCOUNT, Ctx};
use crate::resources::{SimAttachment, SimRouteTable};
use crate::sandbox::error::ApiError;
use crate::sandbox::paging::page;
use crate::sandbox::query::Filter;
use crate::sandbox::xml::{Xml, timestamp};
use crate::world::World;
use std::collections::BTreeMap;
use tgw_ha_core::model::{TunnelStatus, VpnConnection};

fn tag_filter(f: &Filter, tags: &BTreeMap<String, String>) -> Option<bool> {
    if f.name == "tag-key" {
        return Some(f.matches_any(tags.keys().map(String::as_str)));
    }
    let key = f.name.strip_prefix("tag:")?;
    Some(tags.get(key).is_some_and(|v| f.matches(v)))
}

fn tag_set(x: &mut Xml, tags: &BTreeMap<String, String>) {
    x.list("tagSet", tags, |x, (k, v)| {
        x.leaf("key", k).leaf("value", v);
    });
}

/// The customer gateway of a VPN: the world does not model them, so one per VPN, named after it.
fn customer_gateway(v: &VpnConnection) -> String {
    let suffix = v.id.as_str().strip_prefix("vpn-").unwrap_or(v.id.as_str());
    format!("cgw-{suffix}")
}

fn vpn_matches(f: &Filter, v: &VpnConnection) -> bool {
    if let Some(m) = tag_filter(f, &v.tags) {
        return m;
    }
    match f.name.as_str() {
        "transit-gateway-id" => v
            .transit_gateway_id
            .as_ref()
            .is_some_and(|t| f.matches(t.as_str())),
        "vpn-connection-id" => f.matches(v.id.as_str()),
        "state" => f.matches(&v.state.to_string()),
        "option.static-routes-only" => f.matches("true"),
        "type" => f.matches("ipsec.1"),
        "category" => f.matches("VPN"),
        "customer-gateway-id" => f.matches(&customer_gateway(v)),
        // VPNs on a virtual private gateway are not modelled.
        _ => false,
    }
}

const VPN_FILTERS: &[&str] = &[
    "transit-gateway-id",
    "vpn-connection-id",
    "state",
    "tag-key",
    "option.static-routes-only",
    "type",
    "category",
    "customer-gateway-id",
    "vpn-gateway-id",
];

pub(super) fn vpn_connections(w: &mut World, c: &Ctx) -> Result<String, ApiError> {
    let filters = c.params.filters()?;
    filters.check(VPN_FILTERS, true)?;
    let ids = c.params.list("VpnConnectionId");
    if let Some(missing) = ids.iter().find(|id| {
        !w.vpn_connections
            .iter()
            .any(|v| v.id.as_str() == id.as_str())
    }) {
        return Err(ApiError::client(
            "InvalidVpnConnectionID.NotFound",
            format!("The vpnConnection ID '{missing}' does not exist"),
        ));
    }
    let selected = w
        .vpn_connections
        .iter()
        .filter(|v| ids.is_empty() || ids.iter().any(|id| id == v.id.as_str()))
        .filter(|v| filters.iter().all(|f| vpn_matches(f, v)));
    let mut x = c.xml();
    x.list("vpnConnectionSet", selected, vpn_item);
    Ok(x.end(c.action))
}

fn vpn_item(x: &mut Xml, v: &VpnConnection) {
    x.leaf("vpnConnectionId", v.id.as_str())
        .leaf("state", &v.state.to_string())
        .leaf("customerGatewayId", &customer_gateway(v))
        .leaf("type", "ipsec.1")
        .opt_leaf(
            "transitGatewayId",
            v.transit_gateway_id.as_ref().map(|t| t.as_str()),
        )
        .leaf("category", "VPN");
    x.open("options")
        .bool_leaf("staticRoutesOnly", true)
        .leaf("tunnelInsideIpVersion", "ipv4")
        .leaf("outsideIpAddressType", "PublicIpv4")
        .close("options");
    x.list("vgwTelemetry", &v.tunnels, |x, t| {
        let (status, message) = match t.status {
            TunnelStatus::Up => ("UP", ""),
            TunnelStatus::Down => ("DOWN", "IPSEC IS DOWN"),
        };
        x.leaf("outsideIpAddress", &t.outside_ip)
            .leaf("status", status)
            .leaf("lastStatusChange", &timestamp(&t.last_status_change))
            .leaf("statusMessage", message)
            .leaf("acceptedRouteCount", "0");
    });
    tag_set(x, &v.tags);
}

fn attachment_matches(f: &Filter, a: &SimAttachment) -> bool {
    match f.name.as_str() {
        "transit-gateway-id" => f.matches(a.transit_gateway_id.as_str()),
        "transit-gateway-attachment-id" => f.matches(a.id.as_str()),
        "resource-type" => f.matches(&a.resource_type.to_string()),
        "resource-id" => f.matches(&a.resource_id),
        "state" => f.matches(&a.state),
        "resource-owner-id" | "transit-gateway-owner-id" => f.matches(ACCOUNT),
        // Attachments carry no tags in the world: a tag filter matches none.
        _ => false,
    }
}

const ATTACHMENT_FILTERS: &[&str] = &[
    "transit-gateway-id",
    "transit-gateway-attachment-id",
    "resource-type",
    "resource-id",
    "state",
    "resource-owner-id",
    "transit-gateway-owner-id",
    "tag-key",
];

pub(super) fn attachments(w: &mut World, c: &Ctx) -> Result<String, ApiError> {
    let filters = c.params.filters()?;
    filters.check(ATTACHMENT_FILTERS, true)?;
    let ids = c.params.list("TransitGatewayAttachmentIds");
    if let Some(missing) = ids
        .iter()
        .find(|id| !w.attachments.iter().any(|a| a.id.as_str() == id.as_str()))
    {
        return Err(ApiError::client(
            "InvalidTransitGatewayAttachmentID.NotFound",
            format!("Transit Gateway Attachment {missing} was deleted or does not exist."),
        ));
    }
    let selected: Vec<(String, &SimAttachment)> = w
        .attachments
        .iter()
        .filter(|a| ids.is_empty() || ids.iter().any(|id| id == a.id.as_str()))
        .filter(|a| filters.iter().all(|f| attachment_matches(f, a)))
        .map(|a| (a.id.to_string(), a))
        .collect();
    let p = page(selected, c.params.get("NextToken"), c.page_limit()?)?;
    let mut x = c.xml();
    x.list("transitGatewayAttachments", p.items, |x, a| {
        x.leaf("transitGatewayAttachmentId", a.id.as_str())
            .leaf("transitGatewayId", a.transit_gateway_id.as_str())
            .leaf("transitGatewayOwnerId", ACCOUNT)
            .leaf("resourceOwnerId", ACCOUNT)
            .leaf("resourceType", &a.resource_type.to_string())
            .leaf("resourceId", &a.resource_id)
            .leaf("state", &a.state)
            .leaf("tagSet", "");
    });
    x.opt_leaf("nextToken", p.next_token.as_deref());
    Ok(x.end(c.action))
}

fn table_tags(t: &SimRouteTable) -> BTreeMap<String, String> {
    t.name
        .iter()
        .map(|n| ("Name".to_owned(), n.clone()))
        .collect()
}

fn table_matches(f: &Filter, t: &SimRouteTable) -> bool {
    if let Some(m) = tag_filter(f, &table_tags(t)) {
        return m;
    }
    match f.name.as_str() {
        "transit-gateway-id" => f.matches(t.transit_gateway_id.as_str()),
        "transit-gateway-route-table-id" => f.matches(t.id.as_str()),
        "state" => f.matches("available"),
        "default-association-route-table" | "default-propagation-route-table" => f.matches("false"),
        _ => false,
    }
}

const TABLE_FILTERS: &[&str] = &[
    "transit-gateway-id",
    "transit-gateway-route-table-id",
    "state",
    "default-association-route-table",
    "default-propagation-route-table",
    "tag-key",
];

pub(super) fn route_tables(w: &mut World, c: &Ctx) -> Result<String, ApiError> {
    let filters = c.params.filters()?;
    filters.check(TABLE_FILTERS, true)?;
    let ids = c.params.list("TransitGatewayRouteTableIds");
    if let Some(missing) = ids
        .iter()
        .find(|id| !w.route_tables.iter().any(|t| t.id.as_str() == id.as_str()))
    {
        return Err(ApiError::client(
            "InvalidRouteTableID.NotFound",
            format!("The routeTable ID '{missing}' does not exist"),
        ));
    }
    let selected: Vec<(String, &SimRouteTable)> = w
        .route_tables
        .iter()
        .filter(|t| ids.is_empty() || ids.iter().any(|id| id == t.id.as_str()))
        .filter(|t| filters.iter().all(|f| table_matches(f, t)))
        .map(|t| (t.id.to_string(), t))
        .collect();
    let p = page(selected, c.params.get("NextToken"), c.page_limit()?)?;
    let mut x = c.xml();
    x.list("transitGatewayRouteTables", p.items, |x, t| {
        x.leaf("transitGatewayRouteTableId", t.id.as_str())
            .leaf("transitGatewayId", t.transit_gateway_id.as_str())
            .leaf("state", "available")
            .bool_leaf("defaultAssociationRouteTable", false)
            .bool_leaf("defaultPropagationRouteTable", false);
        tag_set(x, &table_tags(t));
    });
    x.opt_leaf("nextToken", p.next_token.as_deref());
    Ok(x.end(c.action))
}
