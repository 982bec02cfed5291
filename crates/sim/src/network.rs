//! [`SimNetwork`]: the engine's [`Network`] port over a shared [`World`].
//!
//! Contract: the semantics of the trait docs, with EC2's rules enforced by the world. Each call
//! is one EC2 action ([`Ec2Action`]), made on the world under its lock, never across an await.
//! Only the world's behaviour: latency, faults and the call statistics are a layer around it
//! ([`crate::faulty`]), which the [`Sim`](crate::Sim) puts on.

use crate::world::{SharedWorld, World, WorldError, lock};
use async_trait::async_trait;
use tgw_ha_core::ids::{AttachmentId, PrefixListId, RouteTableId, TgwId};
use tgw_ha_core::model::{Attachment, Route, RouteState, RouteTable, VpnConnection};
use tgw_ha_engine::layer::Ec2Action;
use tgw_ha_engine::ports::{NetError, Network};

pub struct SimNetwork {
    world: SharedWorld,
}

impl SimNetwork {
    pub fn new(world: SharedWorld) -> Self {
        SimNetwork { world }
    }

    pub fn world(&self) -> &SharedWorld {
        &self.world
    }

    fn read<T>(&self, f: impl FnOnce(&World) -> T) -> T {
        f(&lock(&self.world))
    }

    /// Run a move on the world.
    fn write(
        &self,
        op: Ec2Action,
        f: impl FnOnce(&mut World) -> Result<(), WorldError>,
    ) -> Result<(), NetError> {
        let result = f(&mut lock(&self.world));
        result.map_err(|e| net_error(op.as_str(), e))
    }
}

/// A world rejection as the port reports it. A vanished prefix-list reference is a
/// `RouteNotFound` too: to the executor both mean "the thing to move is gone".
pub fn net_error(op: &str, e: WorldError) -> NetError {
    let op = op.to_owned();
    match e {
        WorldError::RouteNotFound { table, destination } => NetError::RouteNotFound {
            op,
            table,
            destination,
        },
        WorldError::PrefixListReferenceNotFound { table, prefix_list } => NetError::RouteNotFound {
            op,
            table,
            destination: prefix_list.to_string(),
        },
        other => NetError::Rejected {
            op,
            code: other.code().to_owned(),
            message: other.to_string(),
        },
    }
}

fn table_known(w: &World, op: Ec2Action, table: &RouteTableId) -> Result<(), NetError> {
    match w.route_table(table) {
        Some(_) => Ok(()),
        None => Err(net_error(
            op.as_str(),
            WorldError::RouteTableNotFound(table.clone()),
        )),
    }
}

fn selected(r: &Route, attachments: &[AttachmentId]) -> bool {
    r.state == RouteState::Blackhole
        || r.attachment
            .as_ref()
            .is_some_and(|a| attachments.contains(a))
}

#[async_trait]
impl Network for SimNetwork {
    async fn vpn_connections(&self) -> Result<Vec<VpnConnection>, NetError> {
        Ok(self.read(|w| w.vpn_connections.clone()))
    }

    async fn vpn_attachments(&self, tgw: &TgwId) -> Result<Vec<Attachment>, NetError> {
        Ok(self.read(|w| {
            w.attachments
                .iter()
                .filter(|a| &a.transit_gateway_id == tgw)
                .filter_map(|a| a.to_core())
                .collect()
        }))
    }

    async fn route_tables(&self, tgw: &TgwId) -> Result<Vec<RouteTable>, NetError> {
        Ok(self.read(|w| {
            w.route_tables
                .iter()
                .filter(|t| &t.transit_gateway_id == tgw)
                .map(|t| t.to_core())
                .collect()
        }))
    }

    async fn static_routes(
        &self,
        table: &RouteTableId,
        attachments: &[AttachmentId],
    ) -> Result<Vec<Route>, NetError> {
        self.read(|w| {
            table_known(w, Ec2Action::SearchTransitGatewayRoutes, table)?;
            Ok(w.routes_in(table)
                .filter(|r| r.is_static())
                .map(|r| w.observed_route(r))
                .filter(|r| selected(r, attachments))
                .collect())
        })
    }

    async fn prefix_list_references(
        &self,
        table: &RouteTableId,
        attachments: &[AttachmentId],
    ) -> Result<Vec<Route>, NetError> {
        self.read(|w| {
            table_known(w, Ec2Action::GetTransitGatewayPrefixListReferences, table)?;
            Ok(w.prefix_list_references
                .iter()
                .filter(|p| &p.table == table)
                .map(|p| p.to_core())
                .filter(|r| selected(r, attachments))
                .collect())
        })
    }

    async fn replace_route(
        &self,
        table: &RouteTableId,
        cidr: &str,
        to: &AttachmentId,
    ) -> Result<(), NetError> {
        self.write(Ec2Action::ReplaceTransitGatewayRoute, |w| {
            w.replace_route(table, cidr, Some(to))
        })
    }

    async fn modify_prefix_list_reference(
        &self,
        table: &RouteTableId,
        prefix_list: &PrefixListId,
        to: &AttachmentId,
    ) -> Result<(), NetError> {
        self.write(Ec2Action::ModifyTransitGatewayPrefixListReference, |w| {
            w.modify_prefix_list_reference(table, prefix_list, Some(to))
        })
    }
}
