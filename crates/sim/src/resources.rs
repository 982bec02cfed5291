//! The sim's own resource records, as a scenario file writes them.
//!
//! They differ from the core model where a person writing a world by hand needs more (an
//! attachment of any resource type, a route table name, serde defaults) and convert to the core
//! types the ports return. Route state here is what the TGW *stores*; what a route search
//! *shows* for a route to a dead VPN is decided by [`DeadRoutes`] at read time.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use tgw_ha_core::ids::{AttachmentId, PrefixListId, RouteTableId, TgwId, VpnId};
use tgw_ha_core::model::{Attachment, Destination, Route, RouteState, RouteTable, RouteType};

/// EC2's `ResourceType` of a TGW attachment. Only `vpn` attachments can be group members; the
/// others exist so that a world has foreign and propagated routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResourceType {
    Vpn,
    Vpc,
    DirectConnectGateway,
    Peering,
    Connect,
}

impl std::fmt::Display for ResourceType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ResourceType::Vpn => "vpn",
            ResourceType::Vpc => "vpc",
            ResourceType::DirectConnectGateway => "direct-connect-gateway",
            ResourceType::Peering => "peering",
            ResourceType::Connect => "connect",
        })
    }
}

fn available() -> String {
    "available".to_owned()
}

fn is_available(s: &str) -> bool {
    s == "available"
}

/// A TGW attachment of any type. For `vpn`, `resource_id` is the VPN connection id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimAttachment {
    pub id: AttachmentId,
    pub transit_gateway_id: TgwId,
    pub resource_type: ResourceType,
    /// `vpn-…`, `vpc-…`, … (the attached resource).
    pub resource_id: String,
    /// EC2's attachment state; default `available`.
    #[serde(default = "available", skip_serializing_if = "is_available")]
    pub state: String,
}

impl SimAttachment {
    /// The VPN this attachment ties to the TGW, if it is a VPN attachment.
    pub fn vpn_id(&self) -> Option<VpnId> {
        (self.resource_type == ResourceType::Vpn).then(|| VpnId::new(&self.resource_id))
    }

    /// The core view; `None` for non-VPN attachments, which are never members.
    pub fn to_core(&self) -> Option<Attachment> {
        Some(Attachment {
            id: self.id.clone(),
            transit_gateway_id: self.transit_gateway_id.clone(),
            vpn_id: self.vpn_id()?,
            state: self.state.clone(),
        })
    }
}

/// A route table, with an optional name for people (the demo prints `prod`, not `tgw-rtb-…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimRouteTable {
    pub id: RouteTableId,
    pub transit_gateway_id: TgwId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl SimRouteTable {
    pub fn to_core(&self) -> RouteTable {
        RouteTable {
            id: self.id.clone(),
            transit_gateway_id: self.transit_gateway_id.clone(),
        }
    }
}

fn route_type_static() -> RouteType {
    RouteType::Static
}

fn is_static(t: &RouteType) -> bool {
    *t == RouteType::Static
}

fn route_state_active() -> RouteState {
    RouteState::Active
}

fn is_active(s: &RouteState) -> bool {
    *s == RouteState::Active
}

/// A CIDR route in one table. Prefix-list references are kept apart
/// ([`SimPrefixListReference`]) because they move as one and are searched differently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimRoute {
    pub table: RouteTableId,
    /// A CIDR block (`10.1.0.0/16`).
    pub destination: String,
    /// `None` only for a blackhole route.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<AttachmentId>,
    /// Default `static`.
    #[serde(
        rename = "type",
        default = "route_type_static",
        skip_serializing_if = "is_static"
    )]
    pub route_type: RouteType,
    /// Default `active`; a route with no attachment is `blackhole`.
    #[serde(default = "route_state_active", skip_serializing_if = "is_active")]
    pub state: RouteState,
}

impl SimRoute {
    /// A static route to `attachment`, active.
    pub fn to_attachment(table: &RouteTableId, cidr: &str, attachment: &AttachmentId) -> Self {
        SimRoute {
            table: table.clone(),
            destination: cidr.to_owned(),
            attachment: Some(attachment.clone()),
            route_type: RouteType::Static,
            state: RouteState::Active,
        }
    }

    /// A static blackhole route listing no attachment.
    pub fn blackhole(table: &RouteTableId, cidr: &str) -> Self {
        SimRoute {
            table: table.clone(),
            destination: cidr.to_owned(),
            attachment: None,
            route_type: RouteType::Static,
            state: RouteState::Blackhole,
        }
    }

    /// A propagated route from `attachment`.
    pub fn propagated(table: &RouteTableId, cidr: &str, attachment: &AttachmentId) -> Self {
        SimRoute {
            route_type: RouteType::Propagated,
            ..SimRoute::to_attachment(table, cidr, attachment)
        }
    }

    pub fn is_static(&self) -> bool {
        self.route_type == RouteType::Static
    }

    /// The core route, as stored (no dead-path view applied).
    pub fn to_core(&self) -> Route {
        Route {
            table: self.table.clone(),
            destination: Destination::Cidr(self.destination.clone()),
            attachment: self.attachment.clone(),
            route_type: self.route_type,
            state: self.state,
        }
    }
}

/// A prefix-list reference in one table: every CIDR of the list routes to one attachment (or is
/// blackholed), and ModifyTransitGatewayPrefixListReference moves them all at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimPrefixListReference {
    pub table: RouteTableId,
    pub prefix_list_id: PrefixListId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<AttachmentId>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub blackhole: bool,
    /// The list's entries, for display only: the TGW resolves them, tgw-ha never needs them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cidrs: Vec<String>,
}

impl SimPrefixListReference {
    /// The core view: a route whose destination is the prefix list. Its type is `static`
    /// (though EC2's route search shows its CIDRs as propagated) because the planner, like the
    /// AWS adapter, treats a reference as a movable static entry and skips propagated routes.
    pub fn to_core(&self) -> Route {
        Route {
            table: self.table.clone(),
            destination: Destination::PrefixList(self.prefix_list_id.clone()),
            attachment: self.attachment.clone(),
            route_type: RouteType::Static,
            state: if self.blackhole {
                RouteState::Blackhole
            } else {
                RouteState::Active
            },
        }
    }
}

/// What a route search shows for a static route whose VPN attachment is dead (VPN not
/// `available`, or no tunnel UP). AWS does not document it (AWS-FACTS.md), so the sim can play
/// every outcome and the engine must handle all three.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadRoutes {
    /// The route still shows `active` with its attachment.
    #[default]
    Keep,
    /// The route shows `blackhole` and still lists its attachment.
    Blackhole,
    /// The route shows `blackhole` and lists no attachment: only the ledger still knows it.
    BlackholeUnlisted,
}

impl DeadRoutes {
    pub fn is_keep(&self) -> bool {
        *self == DeadRoutes::Keep
    }
}

/// Who holds the writer lease of one TGW, and until when (core's record: one lease rule).
pub use tgw_ha_core::lease::LeaseRecord;

/// Whether `s` is an IPv4 or IPv6 CIDR block (`address/prefix-length`).
pub fn is_cidr(s: &str) -> bool {
    let Some((addr, len)) = s.split_once('/') else {
        return false;
    };
    let Ok(addr) = addr.parse::<IpAddr>() else {
        return false;
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    matches!(len.parse::<u8>(), Ok(n) if n <= max && !len.starts_with('+'))
}
