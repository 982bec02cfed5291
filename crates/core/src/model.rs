//! What tgw-ha observes of a Transit Gateway: VPN connections with their tunnels and tags, the
//! attachments that tie them to the TGW, route tables, and routes. The shapes follow the EC2 API
//! (see `AWS-FACTS.md`) but keep only what the decision needs.

use crate::Timestamp;
use crate::ids::{AttachmentId, PrefixListId, RouteTableId, TgwId, VpnId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TunnelStatus {
    Up,
    Down,
}

impl fmt::Display for TunnelStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TunnelStatus::Up => "UP",
            TunnelStatus::Down => "DOWN",
        })
    }
}

/// One tunnel of a VPN connection (an element of EC2's `VgwTelemetry`). Tunnels are matched by
/// outside IP address, never by position: EC2 does not promise an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tunnel {
    pub outside_ip: String,
    pub status: TunnelStatus,
    pub last_status_change: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VpnState {
    Pending,
    Available,
    Deleting,
    Deleted,
}

impl fmt::Display for VpnState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VpnState::Pending => "pending",
            VpnState::Available => "available",
            VpnState::Deleting => "deleting",
            VpnState::Deleted => "deleted",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VpnConnection {
    pub id: VpnId,
    pub state: VpnState,
    /// `None` for a VPN on a virtual private gateway: never ours.
    pub transit_gateway_id: Option<TgwId>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    #[serde(default)]
    pub tunnels: Vec<Tunnel>,
}

impl VpnConnection {
    /// The `Name` tag, for people.
    pub fn name(&self) -> Option<&str> {
        self.tags.get("Name").map(String::as_str)
    }
}

/// A TGW attachment whose resource is a VPN connection. Other attachment types are never members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: AttachmentId,
    pub transit_gateway_id: TgwId,
    pub vpn_id: VpnId,
    /// EC2's attachment state (`available`, `deleting`, …).
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteTable {
    pub id: RouteTableId,
    pub transit_gateway_id: TgwId,
}

/// What a route matches: a CIDR (a static route) or a managed prefix list (a prefix-list
/// reference, which moves as one with ModifyTransitGatewayPrefixListReference).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Destination {
    Cidr(String),
    PrefixList(PrefixListId),
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Destination::Cidr(c) => f.write_str(c),
            Destination::PrefixList(p) => write!(f, "{p}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RouteType {
    Static,
    Propagated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RouteState {
    Pending,
    Active,
    Blackhole,
    Deleting,
    Deleted,
}

/// A route (or prefix-list reference) in one route table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub table: RouteTableId,
    pub destination: Destination,
    /// `None` for a blackhole route that lists no attachment.
    pub attachment: Option<AttachmentId>,
    #[serde(rename = "type")]
    pub route_type: RouteType,
    pub state: RouteState,
}

impl Route {
    pub fn key(&self) -> RouteKey {
        RouteKey {
            table: self.table.clone(),
            destination: self.destination.clone(),
        }
    }
}

/// Identity of a route: one static route per destination per table (a TGW rule).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct RouteKey {
    pub table: RouteTableId,
    pub destination: Destination,
}

impl fmt::Display for RouteKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.table, self.destination)
    }
}

/// Everything observed of one TGW in one pass. `routes` holds the static routes and prefix-list
/// references that point at member attachments, plus blackhole routes (which may list no
/// attachment); an adapter may return more, the planner ignores what is not its business.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    pub vpns: Vec<VpnConnection>,
    pub attachments: Vec<Attachment>,
    pub route_tables: Vec<RouteTable>,
    pub routes: Vec<Route>,
}
