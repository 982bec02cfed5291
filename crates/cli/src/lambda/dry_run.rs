//! Dry runs of any event (`tgw-ha invoke --dry-run`): the engine runs for real over ports that
//! read the account but keep every write to themselves — route moves succeed without being
//! sent, state is saved in memory over what was read, the lease is always free, nothing is
//! notified. So a rehearsal sees exactly the plan the event would apply, signals included.
//! (Operator actions have their own `dryRun`, handled by the engine.)

use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tgw_ha_core::Timestamp;
use tgw_ha_core::ids::{AttachmentId, PrefixListId, RouteTableId, TgwId};
use tgw_ha_core::model::{Attachment, Route, RouteTable, VpnConnection};
use tgw_ha_core::state::TgwState;
use tgw_ha_engine::Outcome;
use tgw_ha_engine::ports::{
    Lease, NetError, Network, NoNotifier, Ports, StateStore, StoreError, Versioned,
};

/// `ports` with every write kept in memory.
pub fn dry_ports(ports: Ports) -> Ports {
    Ports {
        network: Arc::new(DryNetwork(ports.network)),
        store: Arc::new(DryStore {
            inner: ports.store,
            overlay: Mutex::default(),
        }),
        lease: Arc::new(DryLease),
        notifier: Arc::new(NoNotifier),
        clock: ports.clock,
    }
}

/// Mark an outcome computed over [`dry_ports`] as the dry run it was: what would be moved is
/// `planned`, and nothing has a result.
pub fn mark_dry(outcome: &mut Outcome) {
    outcome.dry_run = true;
    for t in &mut outcome.tgws {
        t.results.clear();
        t.notify_errors.clear();
    }
    outcome
        .notes
        .push("dry run: nothing was changed; `planned` lists what this event would move".into());
}

struct DryNetwork(Arc<dyn Network>);

#[async_trait]
impl Network for DryNetwork {
    async fn vpn_connections(&self) -> Result<Vec<VpnConnection>, NetError> {
        self.0.vpn_connections().await
    }
    async fn vpn_attachments(&self, tgw: &TgwId) -> Result<Vec<Attachment>, NetError> {
        self.0.vpn_attachments(tgw).await
    }
    async fn route_tables(&self, tgw: &TgwId) -> Result<Vec<RouteTable>, NetError> {
        self.0.route_tables(tgw).await
    }
    async fn static_routes(
        &self,
        table: &RouteTableId,
        attachments: &[AttachmentId],
    ) -> Result<Vec<Route>, NetError> {
        self.0.static_routes(table, attachments).await
    }
    async fn prefix_list_references(
        &self,
        table: &RouteTableId,
        attachments: &[AttachmentId],
    ) -> Result<Vec<Route>, NetError> {
        self.0.prefix_list_references(table, attachments).await
    }
    async fn replace_route(
        &self,
        _table: &RouteTableId,
        _cidr: &str,
        _to: &AttachmentId,
    ) -> Result<(), NetError> {
        Ok(())
    }
    async fn modify_prefix_list_reference(
        &self,
        _table: &RouteTableId,
        _prefix_list: &PrefixListId,
        _to: &AttachmentId,
    ) -> Result<(), NetError> {
        Ok(())
    }
}

struct DryStore {
    inner: Arc<dyn StateStore>,
    overlay: Mutex<BTreeMap<TgwId, Versioned<TgwState>>>,
}

#[async_trait]
impl StateStore for DryStore {
    async fn load(&self, tgw: &TgwId) -> Result<Versioned<TgwState>, StoreError> {
        if let Some(v) = lock(&self.overlay).get(tgw) {
            return Ok(v.clone());
        }
        self.inner.load(tgw).await
    }
    async fn save(&self, tgw: &TgwId, expected: u64, state: &TgwState) -> Result<u64, StoreError> {
        let version = expected + 1;
        lock(&self.overlay).insert(
            tgw.clone(),
            Versioned {
                value: state.clone(),
                version,
            },
        );
        Ok(version)
    }
}

struct DryLease;

#[async_trait]
impl Lease for DryLease {
    async fn acquire(
        &self,
        _: &TgwId,
        _: &str,
        _: Duration,
        _: Timestamp,
    ) -> Result<bool, StoreError> {
        Ok(true)
    }
    async fn renew(
        &self,
        _: &TgwId,
        _: &str,
        _: Duration,
        _: Timestamp,
    ) -> Result<bool, StoreError> {
        Ok(true)
    }
    async fn release(&self, _: &TgwId, _: &str) -> Result<(), StoreError> {
        Ok(())
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
