//! The world: one or more Transit Gateways with their VPNs, attachments, route tables, routes and
//! prefix-list references, plus what tgw-ha persisted (state, leases) and the virtual time.
//!
//! Contract: mutators enforce the TGW's rules as EC2 does — one static route per destination
//! per table, replace/delete of a missing route fails, a route can only point at an attachment
//! of its table's TGW, a prefix-list reference moves as one — and a failed mutator changes
//! nothing. [`World::validate`] (in [`crate::validate`]) checks a whole scenario, so that a
//! hand-written file with a mistake is refused with every problem named instead of behaving
//! strangely later.

use crate::clock::{TimeCell, VirtualClock};
use crate::faults::Faults;
use crate::prefix_lists::{ListError, SimManagedPrefixList};
use crate::resources::{
    DeadRoutes, LeaseRecord, SimAttachment, SimPrefixListReference, SimRoute, SimRouteTable,
    is_cidr,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tgw_ha_core::Timestamp;
use tgw_ha_core::ids::{AttachmentId, PrefixListId, RouteTableId, TgwId, VpnId};
use tgw_ha_core::model::{Route, RouteState, TunnelStatus, VpnConnection, VpnState};
use tgw_ha_core::state::TgwState;

/// A world shared between the sim's ports, a test and the demo. Never held across an await.
pub type SharedWorld = std::sync::Arc<std::sync::Mutex<World>>;

/// Lock a shared world even if a panicking holder poisoned it: an injected crash is a panic,
/// and the world must stay inspectable after it (that is the point of the test).
pub fn lock(world: &SharedWorld) -> std::sync::MutexGuard<'_, World> {
    world.lock().unwrap_or_else(|e| e.into_inner())
}

/// Errors of the world's mutators, shaped like EC2's answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorldError {
    #[error("route {destination} already exists in {table} (RouteAlreadyExists)")]
    RouteAlreadyExists {
        table: RouteTableId,
        destination: String,
    },
    #[error("static route {destination} not found in {table} (InvalidRoute.NotFound)")]
    RouteNotFound {
        table: RouteTableId,
        destination: String,
    },
    #[error("prefix list reference {prefix_list} not found in {table}")]
    PrefixListReferenceNotFound {
        table: RouteTableId,
        prefix_list: PrefixListId,
    },
    #[error("prefix list reference {prefix_list} already exists in {table}")]
    PrefixListReferenceAlreadyExists {
        table: RouteTableId,
        prefix_list: PrefixListId,
    },
    #[error("route table {0} not found (InvalidRouteTableID.NotFound)")]
    RouteTableNotFound(RouteTableId),
    #[error(
        "attachment {attachment} not found on {tgw}, the transit gateway of {table} (InvalidTransitGatewayAttachmentID.NotFound)"
    )]
    AttachmentNotFound {
        attachment: AttachmentId,
        table: RouteTableId,
        tgw: TgwId,
    },
    #[error("vpn connection {0} not found (InvalidVpnConnectionID.NotFound)")]
    VpnNotFound(VpnId),
    #[error("vpn connection {vpn} has no tunnel with outside ip {outside_ip}")]
    TunnelNotFound { vpn: VpnId, outside_ip: String },
    #[error("{0} is not a cidr block (InvalidParameterValue)")]
    InvalidCidr(String),
    #[error("the world has no virtual time (now is unset): it runs on the real clock")]
    NoVirtualTime,
    /// The TGW's routes quota (`crate::prefix_lists`); the code is unconfirmed for TGWs.
    #[error(
        "transit gateway {tgw} would hold {wanted} routes; its quota is {quota} (RouteLimitExceeded)"
    )]
    RouteLimitExceeded {
        tgw: TgwId,
        wanted: usize,
        quota: usize,
    },
}

impl WorldError {
    /// EC2's error code for this answer, as the sandbox and the network port report it.
    pub fn code(&self) -> &'static str {
        match self {
            WorldError::RouteAlreadyExists { .. } => "RouteAlreadyExists",
            WorldError::RouteNotFound { .. } => "InvalidRoute.NotFound",
            WorldError::PrefixListReferenceNotFound { .. } => "InvalidPrefixListReference.NotFound",
            WorldError::PrefixListReferenceAlreadyExists { .. } => {
                "PrefixListReferenceAlreadyExists"
            }
            WorldError::RouteTableNotFound(_) => "InvalidRouteTableID.NotFound",
            WorldError::AttachmentNotFound { .. } => "InvalidTransitGatewayAttachmentID.NotFound",
            WorldError::VpnNotFound(_) => "InvalidVpnConnectionID.NotFound",
            WorldError::TunnelNotFound { .. } => "InvalidParameterValue",
            WorldError::InvalidCidr(_) => "InvalidParameterValue",
            WorldError::NoVirtualTime => "IncorrectState",
            WorldError::RouteLimitExceeded { .. } => "RouteLimitExceeded",
        }
    }
}

fn is_empty_map<K, V>(m: &BTreeMap<K, V>) -> bool {
    m.is_empty()
}

/// The scenario: everything the sim knows. See `docs/scenario.md` for the file format.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct World {
    /// The world's virtual time; unset: the real clock. Shared with [`World::virtual_clock`].
    #[serde(default, skip_serializing_if = "TimeCell::is_unset")]
    pub now: TimeCell,
    #[serde(default)]
    pub transit_gateways: Vec<TgwId>,
    /// How a route search shows a static route to a dead VPN (default `keep`).
    #[serde(default, skip_serializing_if = "DeadRoutes::is_keep")]
    pub dead_routes: DeadRoutes,
    #[serde(default)]
    pub vpn_connections: Vec<VpnConnection>,
    #[serde(default)]
    pub attachments: Vec<SimAttachment>,
    #[serde(default)]
    pub route_tables: Vec<SimRouteTable>,
    #[serde(default)]
    pub routes: Vec<SimRoute>,
    #[serde(default)]
    pub prefix_list_references: Vec<SimPrefixListReference>,
    /// Customer-managed prefix lists (`crate::prefix_lists`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub managed_prefix_lists: Vec<SimManagedPrefixList>,
    /// Routes per TGW across its tables (unset: EC2's default, 10 000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route_quota: Option<usize>,
    /// What tgw-ha persisted per TGW (ledger, group state, signals): the state store's data.
    #[serde(default, skip_serializing_if = "is_empty_map")]
    pub state: BTreeMap<TgwId, TgwState>,
    /// The state store's compare-and-set version per TGW (absent: 0).
    #[serde(default, skip_serializing_if = "is_empty_map")]
    pub state_versions: BTreeMap<TgwId, u64>,
    #[serde(default, skip_serializing_if = "is_empty_map")]
    pub leases: BTreeMap<TgwId, LeaseRecord>,
    /// Faults armed when the sim starts (see [`crate::faults`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faults: Option<Faults>,
}

impl World {
    /// Add `other`'s estate (its TGWs, VPNs, attachments, route tables, routes and prefix-list
    /// references) to this world; its time, state, leases and faults are dropped. For worlds
    /// of several TGWs built from one-TGW worlds, whose ids must not collide.
    pub fn extend_estate(&mut self, other: World) {
        self.transit_gateways.extend(other.transit_gateways);
        self.vpn_connections.extend(other.vpn_connections);
        self.attachments.extend(other.attachments);
        self.route_tables.extend(other.route_tables);
        self.routes.extend(other.routes);
        self.prefix_list_references
            .extend(other.prefix_list_references);
    }

    // ---- time -------------------------------------------------------------------------------

    pub fn now(&self) -> Option<Timestamp> {
        self.now.get()
    }

    pub fn set_now(&mut self, t: Timestamp) {
        self.now.set(t);
    }

    /// Move virtual time forward by `seconds` (negative moves it back).
    pub fn advance_clock(&mut self, seconds: i64) -> Result<Timestamp, WorldError> {
        let now = self.now.get().ok_or(WorldError::NoVirtualTime)?;
        let t = now + chrono::Duration::seconds(seconds);
        self.now.set(t);
        Ok(t)
    }

    /// A clock on the world's own time, if it has one: advancing either moves both.
    pub fn virtual_clock(&self) -> Option<VirtualClock> {
        self.now.get()?;
        Some(VirtualClock::on_cell(self.now.share()))
    }

    /// Make the world's time the clock's (the world then follows that clock).
    pub fn use_clock(&mut self, clock: &VirtualClock) {
        self.now = clock.cell();
    }

    // ---- queries ----------------------------------------------------------------------------

    pub fn vpn(&self, id: &VpnId) -> Option<&VpnConnection> {
        self.vpn_connections.iter().find(|v| &v.id == id)
    }

    pub fn attachment(&self, id: &AttachmentId) -> Option<&SimAttachment> {
        self.attachments.iter().find(|a| &a.id == id)
    }

    /// The TGW attachment of a VPN connection.
    pub fn attachment_of_vpn(&self, vpn: &VpnId) -> Option<&SimAttachment> {
        self.attachments
            .iter()
            .find(|a| a.vpn_id().as_ref() == Some(vpn))
    }

    pub fn route_table(&self, id: &RouteTableId) -> Option<&SimRouteTable> {
        self.route_tables.iter().find(|t| &t.id == id)
    }

    /// A route table by its name or its id.
    pub fn route_table_named(&self, name: &str) -> Option<&SimRouteTable> {
        self.route_tables
            .iter()
            .find(|t| t.name.as_deref() == Some(name) || t.id.as_str() == name)
    }

    /// The static route for `destination` in `table`, as stored.
    pub fn route(&self, table: &RouteTableId, destination: &str) -> Option<&SimRoute> {
        self.routes
            .iter()
            .find(|r| r.is_static() && &r.table == table && r.destination == destination)
    }

    /// Every route (static and propagated) of `table`, as stored.
    pub fn routes_in<'a>(&'a self, table: &'a RouteTableId) -> impl Iterator<Item = &'a SimRoute> {
        self.routes.iter().filter(move |r| &r.table == table)
    }

    /// Static routes pointing at `attachment`, in every table.
    pub fn routes_to<'a>(
        &'a self,
        attachment: &'a AttachmentId,
    ) -> impl Iterator<Item = &'a SimRoute> {
        self.routes
            .iter()
            .filter(move |r| r.is_static() && r.attachment.as_ref() == Some(attachment))
    }

    pub fn prefix_list_reference(
        &self,
        table: &RouteTableId,
        prefix_list: &PrefixListId,
    ) -> Option<&SimPrefixListReference> {
        self.prefix_list_references
            .iter()
            .find(|p| &p.table == table && &p.prefix_list_id == prefix_list)
    }

    /// Whether the VPN behind `attachment` carries traffic: VPN `available` and a tunnel UP.
    /// Non-VPN attachments are always alive here.
    pub fn attachment_alive(&self, attachment: &AttachmentId) -> bool {
        let Some(a) = self.attachment(attachment) else {
            return false;
        };
        let Some(vpn_id) = a.vpn_id() else {
            return true;
        };
        self.vpn(&vpn_id).is_some_and(|v| {
            v.state == VpnState::Available && v.tunnels.iter().any(|t| t.status == TunnelStatus::Up)
        })
    }

    /// A route as a route search shows it now: the stored route, with [`DeadRoutes`] applied
    /// to a static route whose VPN is dead.
    pub fn observed_route(&self, r: &SimRoute) -> Route {
        let mut route = r.to_core();
        if !r.is_static() || self.dead_routes == DeadRoutes::Keep {
            return route;
        }
        if let Some(a) = &r.attachment
            && !self.attachment_alive(a)
        {
            route.state = RouteState::Blackhole;
            if self.dead_routes == DeadRoutes::BlackholeUnlisted {
                route.attachment = None;
            }
        }
        route
    }

    // ---- mutators ---------------------------------------------------------------------------

    fn vpn_mut(&mut self, id: &VpnId) -> Result<&mut VpnConnection, WorldError> {
        self.vpn_connections
            .iter_mut()
            .find(|v| &v.id == id)
            .ok_or_else(|| WorldError::VpnNotFound(id.clone()))
    }

    /// Set the status of one tunnel (`Some(outside_ip)`) or of all (`None`). As EC2 does,
    /// `last_status_change` moves to `at` only for a tunnel whose status actually changes:
    /// re-asserting UP must not restart a hold-down.
    pub fn set_tunnel(
        &mut self,
        vpn: &VpnId,
        outside_ip: Option<&str>,
        status: TunnelStatus,
        at: Timestamp,
    ) -> Result<(), WorldError> {
        let v = self.vpn_mut(vpn)?;
        if let Some(ip) = outside_ip
            && !v.tunnels.iter().any(|t| t.outside_ip == ip)
        {
            return Err(WorldError::TunnelNotFound {
                vpn: vpn.clone(),
                outside_ip: ip.to_owned(),
            });
        }
        for t in &mut v.tunnels {
            if outside_ip.is_some_and(|ip| ip != t.outside_ip) || t.status == status {
                continue;
            }
            t.status = status;
            t.last_status_change = at;
        }
        Ok(())
    }

    pub fn set_vpn_state(&mut self, vpn: &VpnId, state: VpnState) -> Result<(), WorldError> {
        self.vpn_mut(vpn)?.state = state;
        Ok(())
    }

    pub fn set_tag(&mut self, vpn: &VpnId, key: &str, value: &str) -> Result<(), WorldError> {
        self.vpn_mut(vpn)?
            .tags
            .insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    /// Remove a tag; removing an absent tag is fine (as DeleteTags).
    pub fn remove_tag(&mut self, vpn: &VpnId, key: &str) -> Result<(), WorldError> {
        self.vpn_mut(vpn)?.tags.remove(key);
        Ok(())
    }

    /// The TGW of `table`, and a check that `attachment` (if any) is on it.
    fn check_target(
        &self,
        table: &RouteTableId,
        attachment: Option<&AttachmentId>,
    ) -> Result<(), WorldError> {
        let tgw = &self
            .route_table(table)
            .ok_or_else(|| WorldError::RouteTableNotFound(table.clone()))?
            .transit_gateway_id;
        if let Some(a) = attachment {
            let ok = self
                .attachment(a)
                .is_some_and(|x| &x.transit_gateway_id == tgw && x.state != "deleted");
            if !ok {
                return Err(WorldError::AttachmentNotFound {
                    attachment: a.clone(),
                    table: table.clone(),
                    tgw: tgw.clone(),
                });
            }
        }
        Ok(())
    }

    fn static_index(&self, table: &RouteTableId, destination: &str) -> Option<usize> {
        self.routes
            .iter()
            .position(|r| r.is_static() && &r.table == table && r.destination == destination)
    }

    /// The static route to `destination` in `table`, which must exist.
    fn existing_static_index(
        &self,
        table: &RouteTableId,
        destination: &str,
    ) -> Result<usize, WorldError> {
        self.static_index(table, destination)
            .ok_or_else(|| WorldError::RouteNotFound {
                table: table.clone(),
                destination: destination.to_owned(),
            })
    }

    /// CreateTransitGatewayRoute: a static route to `attachment`, or a blackhole (`None`).
    pub fn create_route(
        &mut self,
        table: &RouteTableId,
        destination: &str,
        attachment: Option<&AttachmentId>,
    ) -> Result<(), WorldError> {
        if !is_cidr(destination) {
            return Err(WorldError::InvalidCidr(destination.to_owned()));
        }
        self.check_target(table, attachment)?;
        if self.static_index(table, destination).is_some() {
            return Err(WorldError::RouteAlreadyExists {
                table: table.clone(),
                destination: destination.to_owned(),
            });
        }
        if let Err(ListError::RouteLimitExceeded { tgw, wanted, quota }) =
            self.check_route_quota(table, 1)
        {
            return Err(WorldError::RouteLimitExceeded { tgw, wanted, quota });
        }
        self.routes.push(match attachment {
            Some(a) => SimRoute::to_attachment(table, destination, a),
            None => SimRoute::blackhole(table, destination),
        });
        Ok(())
    }

    /// DeleteTransitGatewayRoute (static routes only; propagated ones come from propagation).
    pub fn delete_route(
        &mut self,
        table: &RouteTableId,
        destination: &str,
    ) -> Result<(), WorldError> {
        self.check_target(table, None)?;
        let i = self.existing_static_index(table, destination)?;
        self.routes.remove(i);
        Ok(())
    }

    /// ReplaceTransitGatewayRoute: point an existing static route at `to`, or blackhole it
    /// (`None`). Replacing with the current target succeeds and changes nothing.
    pub fn replace_route(
        &mut self,
        table: &RouteTableId,
        destination: &str,
        to: Option<&AttachmentId>,
    ) -> Result<(), WorldError> {
        self.check_target(table, to)?;
        let i = self.existing_static_index(table, destination)?;
        let r = &mut self.routes[i];
        r.attachment = to.cloned();
        r.state = if to.is_some() {
            RouteState::Active
        } else {
            RouteState::Blackhole
        };
        Ok(())
    }

    /// CreateTransitGatewayPrefixListReference.
    pub fn create_prefix_list_reference(
        &mut self,
        table: &RouteTableId,
        prefix_list: &PrefixListId,
        to: Option<&AttachmentId>,
        cidrs: Vec<String>,
    ) -> Result<(), WorldError> {
        self.check_target(table, to)?;
        if self.prefix_list_reference(table, prefix_list).is_some() {
            return Err(WorldError::PrefixListReferenceAlreadyExists {
                table: table.clone(),
                prefix_list: prefix_list.clone(),
            });
        }
        self.prefix_list_references.push(SimPrefixListReference {
            table: table.clone(),
            prefix_list_id: prefix_list.clone(),
            attachment: to.cloned(),
            blackhole: to.is_none(),
            cidrs,
        });
        Ok(())
    }

    fn reference_index(
        &self,
        table: &RouteTableId,
        prefix_list: &PrefixListId,
    ) -> Result<usize, WorldError> {
        self.prefix_list_references
            .iter()
            .position(|p| &p.table == table && &p.prefix_list_id == prefix_list)
            .ok_or_else(|| WorldError::PrefixListReferenceNotFound {
                table: table.clone(),
                prefix_list: prefix_list.clone(),
            })
    }

    pub fn delete_prefix_list_reference(
        &mut self,
        table: &RouteTableId,
        prefix_list: &PrefixListId,
    ) -> Result<(), WorldError> {
        self.check_target(table, None)?;
        let i = self.reference_index(table, prefix_list)?;
        self.prefix_list_references.remove(i);
        Ok(())
    }

    /// ModifyTransitGatewayPrefixListReference: the whole list moves to `to` (or is
    /// blackholed, `None`) in one step; there is no per-CIDR state to get half-way.
    pub fn modify_prefix_list_reference(
        &mut self,
        table: &RouteTableId,
        prefix_list: &PrefixListId,
        to: Option<&AttachmentId>,
    ) -> Result<(), WorldError> {
        self.check_target(table, to)?;
        let i = self.reference_index(table, prefix_list)?;
        let p = &mut self.prefix_list_references[i];
        p.attachment = to.cloned();
        p.blackhole = to.is_none();
        Ok(())
    }
}
