//! The state store and lease of one Region among several: a deployment that owns several
//! Regions keeps every TGW's ledger and lease in its one table, keyed by Region and TGW. Keys of
//! the deployment's own (home) Region stay the bare TGW id, so a table written before Regions
//! existed carries on unchanged; other Regions' keys are `<region>/<tgw id>`.

use crate::ports::{Lease, Ports, StateStore, StoreError, Versioned};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use tgw_ha_core::Timestamp;
use tgw_ha_core::ids::TgwId;
use tgw_ha_core::state::TgwState;

/// `ports` with the store and lease keyed for `region`; unchanged for the home Region.
pub fn scope_ports(mut ports: Ports, region: &str, home: &str) -> Ports {
    if region == home {
        return ports;
    }
    ports.store = Arc::new(ScopedStore {
        inner: ports.store,
        region: region.to_owned(),
    });
    ports.lease = Arc::new(ScopedLease {
        inner: ports.lease,
        region: region.to_owned(),
    });
    ports
}

/// The key a TGW of `region` is stored under.
pub fn scoped_key(region: &str, tgw: &TgwId) -> TgwId {
    TgwId::new(format!("{region}/{tgw}"))
}

struct ScopedStore {
    inner: Arc<dyn StateStore>,
    region: String,
}

#[async_trait]
impl StateStore for ScopedStore {
    async fn load(&self, tgw: &TgwId) -> Result<Versioned<TgwState>, StoreError> {
        self.inner.load(&scoped_key(&self.region, tgw)).await
    }
    async fn save(&self, tgw: &TgwId, expected: u64, state: &TgwState) -> Result<u64, StoreError> {
        self.inner
            .save(&scoped_key(&self.region, tgw), expected, state)
            .await
    }
}

struct ScopedLease {
    inner: Arc<dyn Lease>,
    region: String,
}

#[async_trait]
impl Lease for ScopedLease {
    async fn acquire(
        &self,
        tgw: &TgwId,
        owner: &str,
        ttl: Duration,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        self.inner
            .acquire(&scoped_key(&self.region, tgw), owner, ttl, now)
            .await
    }
    async fn renew(
        &self,
        tgw: &TgwId,
        owner: &str,
        ttl: Duration,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        self.inner
            .renew(&scoped_key(&self.region, tgw), owner, ttl, now)
            .await
    }
    async fn release(&self, tgw: &TgwId, owner: &str) -> Result<(), StoreError> {
        self.inner
            .release(&scoped_key(&self.region, tgw), owner)
            .await
    }
}
