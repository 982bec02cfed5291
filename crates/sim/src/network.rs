//! [`SimNetwork`]: the engine's [`Network`] port over a shared [`World`].
//!
//! Contract: the semantics of the trait docs, with EC2's rules enforced by the world. Each call
//! is one EC2 action (named as EC2 names it), counted in [`CallStats`]. Per call, in order:
//! the injected latency (on the sim's clock, so virtual under a virtual clock), then the fault
//! decision, and only if the call proceeds, the world — under its lock, never across an await.
//! An injected crash panics after every lock is released, so the world stays usable and keeps
//! the moves done before it.

use crate::clock::VirtualClock;
use crate::faults::{FaultHandle, Verdict};
use crate::world::{SharedWorld, World, WorldError, lock};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tgw_ha_core::ids::{AttachmentId, PrefixListId, RouteTableId, TgwId};
use tgw_ha_core::model::{Attachment, Route, RouteState, RouteTable, VpnConnection};
use tgw_ha_engine::ports::{Clock, NetError, Network, SystemClock};

pub const DESCRIBE_VPN_CONNECTIONS: &str = "DescribeVpnConnections";
pub const DESCRIBE_ATTACHMENTS: &str = "DescribeTransitGatewayAttachments";
pub const DESCRIBE_ROUTE_TABLES: &str = "DescribeTransitGatewayRouteTables";
pub const SEARCH_ROUTES: &str = "SearchTransitGatewayRoutes";
pub const GET_PREFIX_LIST_REFERENCES: &str = "GetTransitGatewayPrefixListReferences";
pub const REPLACE_ROUTE: &str = "ReplaceTransitGatewayRoute";
pub const MODIFY_PREFIX_LIST_REFERENCE: &str = "ModifyTransitGatewayPrefixListReference";

/// Calls per EC2 action name: every call made, and those answered with an injected throttle
/// or an injected failure. World rejections (a missing route) are ordinary calls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallStats {
    pub calls: BTreeMap<String, u64>,
    pub throttled: BTreeMap<String, u64>,
    pub failed: BTreeMap<String, u64>,
}

impl CallStats {
    pub fn calls_of(&self, op: &str) -> u64 {
        self.calls.get(op).copied().unwrap_or(0)
    }
    pub fn throttled_of(&self, op: &str) -> u64 {
        self.throttled.get(op).copied().unwrap_or(0)
    }
    pub fn total_calls(&self) -> u64 {
        self.calls.values().sum()
    }
    pub fn total_throttled(&self) -> u64 {
        self.throttled.values().sum()
    }
}

pub struct SimNetwork {
    world: SharedWorld,
    faults: FaultHandle,
    clock: Arc<dyn Clock>,
    stats: Mutex<CallStats>,
}

impl SimNetwork {
    /// A network over `world` with the world's faults (if any) armed, on the world's virtual
    /// clock (or the real clock when the world has no virtual time).
    pub fn new(world: SharedWorld) -> Self {
        let (faults, clock) = {
            let w = lock(&world);
            let clock: Arc<dyn Clock> = match w.virtual_clock() {
                Some(c) => Arc::new(c),
                None => Arc::new(SystemClock),
            };
            (
                FaultHandle::new(w.faults.clone().unwrap_or_default()),
                clock,
            )
        };
        SimNetwork {
            world,
            faults,
            clock,
            stats: Mutex::new(CallStats::default()),
        }
    }

    /// Share `faults` (with the store, a test, the demo) instead of the network's own.
    pub fn with_faults(mut self, faults: FaultHandle) -> Self {
        self.faults = faults;
        self
    }

    /// The clock injected latency waits on.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Convenience for [`SimNetwork::with_clock`] with a virtual clock.
    pub fn with_virtual_clock(self, clock: VirtualClock) -> Self {
        self.with_clock(Arc::new(clock))
    }

    pub fn faults(&self) -> &FaultHandle {
        &self.faults
    }

    pub fn world(&self) -> &SharedWorld {
        &self.world
    }

    /// A snapshot of the call counters.
    pub fn calls(&self) -> CallStats {
        self.stats.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn reset_calls(&self) {
        *self.stats.lock().unwrap_or_else(|e| e.into_inner()) = CallStats::default();
    }

    fn count(&self, op: &str, outcome: Option<&NetError>) {
        let mut s = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        *s.calls.entry(op.to_owned()).or_default() += 1;
        match outcome {
            Some(e) if e.is_throttle() => *s.throttled.entry(op.to_owned()).or_default() += 1,
            Some(_) => *s.failed.entry(op.to_owned()).or_default() += 1,
            None => {}
        }
    }

    /// Latency, then the fault decision. `Ok` means the call may touch the world.
    async fn enter(&self, op: &str) -> Result<(), NetError> {
        self.enter_on(op, None).await
    }

    /// [`SimNetwork::enter`] for a call about one route table: faults scoped to its TGW apply.
    async fn enter_table(&self, op: &str, table: &RouteTableId) -> Result<(), NetError> {
        let tgw = self.read(|w| w.route_table(table).map(|t| t.transit_gateway_id.clone()));
        self.enter_on(op, tgw.as_ref()).await
    }

    /// [`SimNetwork::enter`] for a call about `tgw` (when known).
    async fn enter_on(&self, op: &str, tgw: Option<&TgwId>) -> Result<(), NetError> {
        let latency = self.faults.latency();
        if !latency.is_zero() {
            let d = chrono::Duration::from_std(latency).unwrap_or(chrono::Duration::MAX);
            let now = self.clock.now();
            let until = now.checked_add_signed(d).unwrap_or(now);
            self.clock.sleep_until(until).await;
        }
        match self.faults.decide_on(op, tgw) {
            Verdict::Proceed => {
                self.count(op, None);
                Ok(())
            }
            Verdict::Fail(e) => {
                self.count(op, Some(&e));
                Err(e)
            }
            Verdict::Crash(message) => {
                self.count(op, None);
                panic!("{message}");
            }
        }
    }

    fn read<T>(&self, f: impl FnOnce(&World) -> T) -> T {
        f(&lock(&self.world))
    }

    /// Run a move on the world; a success counts towards the crash fault.
    fn write(
        &self,
        op: &str,
        f: impl FnOnce(&mut World) -> Result<(), WorldError>,
    ) -> Result<(), NetError> {
        let result = f(&mut lock(&self.world));
        match result {
            Ok(()) => {
                self.faults.count_move();
                Ok(())
            }
            Err(e) => Err(net_error(op, e)),
        }
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

fn table_known(w: &World, op: &str, table: &RouteTableId) -> Result<(), NetError> {
    match w.route_table(table) {
        Some(_) => Ok(()),
        None => Err(net_error(op, WorldError::RouteTableNotFound(table.clone()))),
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
        self.enter(DESCRIBE_VPN_CONNECTIONS).await?;
        Ok(self.read(|w| w.vpn_connections.clone()))
    }

    async fn vpn_attachments(&self, tgw: &TgwId) -> Result<Vec<Attachment>, NetError> {
        self.enter_on(DESCRIBE_ATTACHMENTS, Some(tgw)).await?;
        Ok(self.read(|w| {
            w.attachments
                .iter()
                .filter(|a| &a.transit_gateway_id == tgw)
                .filter_map(|a| a.to_core())
                .collect()
        }))
    }

    async fn route_tables(&self, tgw: &TgwId) -> Result<Vec<RouteTable>, NetError> {
        self.enter_on(DESCRIBE_ROUTE_TABLES, Some(tgw)).await?;
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
        self.enter_table(SEARCH_ROUTES, table).await?;
        self.read(|w| {
            table_known(w, SEARCH_ROUTES, table)?;
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
        self.enter_table(GET_PREFIX_LIST_REFERENCES, table).await?;
        self.read(|w| {
            table_known(w, GET_PREFIX_LIST_REFERENCES, table)?;
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
        self.enter_table(REPLACE_ROUTE, table).await?;
        self.write(REPLACE_ROUTE, |w| w.replace_route(table, cidr, Some(to)))
    }

    async fn modify_prefix_list_reference(
        &self,
        table: &RouteTableId,
        prefix_list: &PrefixListId,
        to: &AttachmentId,
    ) -> Result<(), NetError> {
        self.enter_table(MODIFY_PREFIX_LIST_REFERENCE, table)
            .await?;
        self.write(MODIFY_PREFIX_LIST_REFERENCE, |w| {
            w.modify_prefix_list_reference(table, prefix_list, Some(to))
        })
    }
}
