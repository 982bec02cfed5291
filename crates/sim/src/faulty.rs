//! [`FaultyNetwork`]: the [`Faults`](crate::Faults) as a [`Layer`] around any `Network`, and
//! the call statistics of what it let through.
//!
//! Contract, per call: the injected latency (on the layer's clock, so virtual under a virtual
//! clock), then the fault decision of the shared [`FaultHandle`] (a scripted failure, the
//! throttle draw, the crash), and only if the call proceeds, the inner network. A refused call
//! never reaches the inner network, so it changes nothing; a route move the inner network
//! accepted counts towards the crash fault. An injected crash panics after every lock is
//! released. Same seed, same call sequence: same throttled calls.
//!
//! The statistics live here, not in the network underneath: a call refused by a fault is a
//! call EC2 answered, and only the layer that refused it can tell an injected failure from a
//! rejection by the world (an ordinary call).
//!
//! Faults scoped to one TGW need the TGW of a table call. The layer is *given* a lookup
//! ([`FaultLayer::with_tables`]; the [`Sim`](crate::Sim) passes one over its world) rather than
//! learning table → TGW from the `route_tables` answers passing through: a table call made
//! without that read first (a test, the next run of a failover) would miss its scope. Without
//! a lookup, scoped rules never fire on table calls (as in the sandbox, which does not look).

use crate::faults::{FaultHandle, Verdict};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tgw_ha_core::ids::{RouteTableId, TgwId};
use tgw_ha_engine::layer::{Call, Layer, Layered};
use tgw_ha_engine::ports::{Clock, NetError, Network};

/// A network with the sim's faults around it.
pub type FaultyNetwork = Layered<FaultLayer>;

/// The TGW a route table belongs to, when known.
pub type TableLookup = Arc<dyn Fn(&RouteTableId) -> Option<TgwId> + Send + Sync>;

/// Calls per EC2 action name: every call made, and those answered with an injected throttle
/// or an injected failure. World rejections (a missing route) are ordinary calls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallStats {
    pub calls: BTreeMap<String, u64>,
    pub throttled: BTreeMap<String, u64>,
    pub failed: BTreeMap<String, u64>,
}

impl CallStats {
    pub fn calls_of(&self, op: impl AsRef<str>) -> u64 {
        self.calls.get(op.as_ref()).copied().unwrap_or(0)
    }
    pub fn throttled_of(&self, op: impl AsRef<str>) -> u64 {
        self.throttled.get(op.as_ref()).copied().unwrap_or(0)
    }
    pub fn total_calls(&self) -> u64 {
        self.calls.values().sum()
    }
    pub fn total_throttled(&self) -> u64 {
        self.throttled.values().sum()
    }

    /// Count one call of `op`; `injected` is the fault that answered it, if one did.
    pub(crate) fn count(&mut self, op: &str, injected: Option<&NetError>) {
        *self.calls.entry(op.to_owned()).or_default() += 1;
        match injected {
            Some(e) if e.is_throttle() => *self.throttled.entry(op.to_owned()).or_default() += 1,
            Some(_) => *self.failed.entry(op.to_owned()).or_default() += 1,
            None => {}
        }
    }
}

/// The fault decision and the latency before every call, and the call counters.
pub struct FaultLayer {
    faults: FaultHandle,
    clock: Arc<dyn Clock>,
    tables: Option<TableLookup>,
    stats: Mutex<CallStats>,
}

impl FaultLayer {
    /// Faults from `faults` (shared with whoever changes them), latency on `clock`.
    pub fn new(faults: FaultHandle, clock: Arc<dyn Clock>) -> Self {
        FaultLayer {
            faults,
            clock,
            tables: None,
            stats: Mutex::default(),
        }
    }

    /// Find the TGW of a table call with `lookup`, so that TGW-scoped faults apply to it.
    pub fn with_tables(mut self, lookup: TableLookup) -> Self {
        self.tables = Some(lookup);
        self
    }

    /// Put this layer around `inner`.
    pub fn around(self, inner: Arc<dyn Network>) -> FaultyNetwork {
        Layered::new(inner, self)
    }

    pub fn faults(&self) -> &FaultHandle {
        &self.faults
    }

    /// A snapshot of the call counters.
    pub fn calls(&self) -> CallStats {
        self.stats.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn reset_calls(&self) {
        *self.stats.lock().unwrap_or_else(|e| e.into_inner()) = CallStats::default();
    }

    fn count(&self, op: &str, injected: Option<&NetError>) {
        self.stats
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .count(op, injected);
    }

    /// The TGW the call is about: named by the call, or its table's.
    fn tgw_of(&self, call: &Call<'_>) -> Option<TgwId> {
        match (call.tgw(), call.table(), &self.tables) {
            (Some(tgw), _, _) => Some(tgw.clone()),
            (None, Some(table), Some(lookup)) => lookup(table),
            _ => None,
        }
    }
}

#[async_trait]
impl Layer for FaultLayer {
    async fn before(&self, call: &Call<'_>) -> Result<(), NetError> {
        let op = call.action().as_str();
        let tgw = self.tgw_of(call);
        self.faults.delay(&*self.clock).await;
        match self.faults.decide_on(op, tgw.as_ref()) {
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

    fn after(&self, call: &Call<'_>, result: Result<(), &NetError>) {
        if call.action().is_move() && result.is_ok() {
            self.faults.count_move();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo_world::{self as demo, demo_world};
    use crate::faults::{FailKind, FailRule};
    use crate::{SimNetwork, World};
    use tgw_ha_core::ids::AttachmentId;
    use tgw_ha_engine::ports::SystemClock;

    fn layer(world: &crate::SharedWorld, tables: bool) -> FaultyNetwork {
        let faults = FaultHandle::default();
        let search = Ec2Action::SearchTransitGatewayRoutes.as_str();
        faults.fail_with(
            FailRule::new(search, 1, FailKind::AccessDenied).on_tgw(&TgwId::new(demo::TGW)),
        );
        let mut layer = FaultLayer::new(faults, Arc::new(SystemClock));
        if tables {
            let world = world.clone();
            layer = layer.with_tables(Arc::new(move |t| {
                crate::world::lock(&world)
                    .route_table(t)
                    .map(|t| t.transit_gateway_id.clone())
            }));
        }
        layer.around(Arc::new(SimNetwork::new(world.clone())))
    }

    use tgw_ha_engine::layer::Ec2Action;

    #[tokio::test]
    async fn a_tgw_scoped_fault_reaches_table_calls_only_through_the_lookup() {
        let world: crate::SharedWorld = Arc::new(Mutex::new(World::clone(&demo_world())));
        let table = RouteTableId::new(demo::RTB_PROD);
        let att = [AttachmentId::new(demo::ATT_PARIS)];

        let blind = layer(&world, false);
        blind
            .static_routes(&table, &att)
            .await
            .expect("scope unknown: not refused");
        assert_eq!(blind.calls().failed.len(), 0);

        let scoped = layer(&world, true);
        let e = scoped.static_routes(&table, &att).await.unwrap_err();
        assert!(matches!(e, NetError::AccessDenied { .. }), "{e}");
        assert_eq!(
            scoped.calls().failed[Ec2Action::SearchTransitGatewayRoutes.as_str()],
            1
        );
        scoped
            .static_routes(&table, &att)
            .await
            .expect("the rule is spent");
        assert_eq!(
            scoped
                .calls()
                .calls_of(Ec2Action::SearchTransitGatewayRoutes),
            2
        );
    }
}
