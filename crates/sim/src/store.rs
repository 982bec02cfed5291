//! The persistence ports in memory: [`MemoryStore`] (state with compare-and-set),
//! [`MemoryLease`] (one writer per TGW, with expiry), and [`RecordingNotifier`].
//!
//! Contract: the store and the lease keep their data *in the world* (`state`,
//! `state_versions`, `leases`), so saving a world file saves the ledger and the lease with it
//! and the next CLI command carries on from there. Both answer `Unavailable` while the shared
//! faults say the store is down, and change nothing then.

use crate::faults::FaultHandle;
use crate::resources::LeaseRecord;
use crate::world::{SharedWorld, lock};
use async_trait::async_trait;
use std::sync::{Arc, Mutex};
use tgw_ha_core::Timestamp;
use tgw_ha_core::ids::TgwId;
use tgw_ha_core::lease::LeaseBook;
use tgw_ha_core::planner::GroupEvent;
use tgw_ha_core::state::TgwState;
use tgw_ha_engine::ports::{Lease, Notifier, NotifyError, StateStore, StoreError, Versioned};

fn check_up(faults: &FaultHandle, tgw: &TgwId, what: &str) -> Result<(), StoreError> {
    if faults.store_unavailable_on(tgw) {
        return Err(StoreError::Unavailable(format!("{what}: injected fault")));
    }
    Ok(())
}

/// [`StateStore`] over the world's `state` map, versioned by `state_versions`.
pub struct MemoryStore {
    world: SharedWorld,
    faults: FaultHandle,
}

impl MemoryStore {
    pub fn new(world: SharedWorld) -> Self {
        MemoryStore {
            world,
            faults: FaultHandle::default(),
        }
    }

    /// Honour `store_unavailable` of these (shared) faults.
    pub fn with_faults(mut self, faults: FaultHandle) -> Self {
        self.faults = faults;
        self
    }
}

#[async_trait]
impl StateStore for MemoryStore {
    async fn load(&self, tgw: &TgwId) -> Result<Versioned<TgwState>, StoreError> {
        check_up(&self.faults, tgw, &format!("load state of {tgw}"))?;
        let w = lock(&self.world);
        Ok(Versioned {
            value: w.state.get(tgw).cloned().unwrap_or_default(),
            version: w.state_versions.get(tgw).copied().unwrap_or(0),
        })
    }

    async fn save(&self, tgw: &TgwId, expected: u64, state: &TgwState) -> Result<u64, StoreError> {
        check_up(&self.faults, tgw, &format!("save state of {tgw}"))?;
        let mut w = lock(&self.world);
        let current = w.state_versions.get(tgw).copied().unwrap_or(0);
        if current != expected {
            return Err(StoreError::Conflict {
                tgw: tgw.clone(),
                expected,
            });
        }
        let next = current + 1;
        w.state.insert(tgw.clone(), state.clone());
        w.state_versions.insert(tgw.clone(), next);
        Ok(next)
    }
}

/// [`Lease`] over the world's `leases` map, by core's one lease rule ([`tgw_ha_core::lease`]):
/// free when absent or expired (`now >= expires`); its owner may renew it only while it is live.
pub struct MemoryLease {
    world: SharedWorld,
    faults: FaultHandle,
}

impl MemoryLease {
    pub fn new(world: SharedWorld) -> Self {
        MemoryLease {
            world,
            faults: FaultHandle::default(),
        }
    }

    pub fn with_faults(mut self, faults: FaultHandle) -> Self {
        self.faults = faults;
        self
    }

    /// Who holds the lease of `tgw`, expired or not.
    pub fn holder(&self, tgw: &TgwId) -> Option<LeaseRecord> {
        lock(&self.world).leases.get(tgw).cloned()
    }
}

#[async_trait]
impl Lease for MemoryLease {
    async fn acquire(
        &self,
        tgw: &TgwId,
        owner: &str,
        ttl: std::time::Duration,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        check_up(&self.faults, tgw, &format!("acquire lease of {tgw}"))?;
        Ok(lock(&self.world).leases.acquire_lease(tgw, owner, ttl, now))
    }

    async fn renew(
        &self,
        tgw: &TgwId,
        owner: &str,
        ttl: std::time::Duration,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        check_up(&self.faults, tgw, &format!("renew lease of {tgw}"))?;
        Ok(lock(&self.world).leases.renew_lease(tgw, owner, ttl, now))
    }

    async fn release(&self, tgw: &TgwId, owner: &str) -> Result<(), StoreError> {
        check_up(&self.faults, tgw, &format!("release lease of {tgw}"))?;
        lock(&self.world).leases.release_lease(tgw, owner);
        Ok(())
    }
}

/// A [`Notifier`] that keeps every event with its time, for tests to assert on and the demo
/// to print. Clones share the record. [`RecordingNotifier::set_failing`] makes it refuse.
#[derive(Clone, Default)]
pub struct RecordingNotifier {
    events: Arc<Mutex<Vec<(GroupEvent, Timestamp)>>>,
    failing: Arc<Mutex<bool>>,
}

impl RecordingNotifier {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every event so far, in order.
    pub fn events(&self) -> Vec<(GroupEvent, Timestamp)> {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Every event so far, forgetting them.
    pub fn take(&self) -> Vec<(GroupEvent, Timestamp)> {
        std::mem::take(&mut *self.events.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// While failing, `notify` returns an error and records nothing.
    pub fn set_failing(&self, failing: bool) {
        *self.failing.lock().unwrap_or_else(|e| e.into_inner()) = failing;
    }
}

#[async_trait]
impl Notifier for RecordingNotifier {
    async fn notify(&self, event: &GroupEvent, at: Timestamp) -> Result<(), NotifyError> {
        if *self.failing.lock().unwrap_or_else(|e| e.into_inner()) {
            return Err(NotifyError(format!(
                "group {} on {}: injected notifier failure",
                event.group, event.tgw
            )));
        }
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((event.clone(), at));
        Ok(())
    }
}
