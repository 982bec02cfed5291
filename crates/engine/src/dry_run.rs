//! Dry runs of any trigger ([`crate::service::ServiceOptions::dry_run`]: `tgw-ha invoke
//! --dry-run`): the engine runs for real over ports that read the account but keep every write
//! to themselves — route moves succeed without being sent, state is saved in memory over what
//! was read, the lease is always free, nothing is notified. So a rehearsal sees exactly the
//! plan the trigger would apply, signals included. (Operator actions have their own `dryRun`,
//! handled by the engine.)

use crate::layer::{Layer, Layered, Write};
use crate::outcome::Outcome;
use crate::ports::{
    Lease, NetError, Network, NoNotifier, Ports, StateStore, StoreError, Versioned,
};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tgw_ha_core::Timestamp;
use tgw_ha_core::ids::TgwId;
use tgw_ha_core::state::TgwState;

/// `ports` with every write kept in memory.
pub fn dry_ports(ports: Ports) -> Ports {
    Ports {
        network: Arc::new(Layered::new(ports.network, KeepWrites)),
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

/// Reads go through; a write answers `Ok` without being sent.
struct KeepWrites;

#[async_trait]
impl Layer for KeepWrites {
    async fn write(&self, _inner: &dyn Network, _write: Write<'_>) -> Result<(), NetError> {
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
