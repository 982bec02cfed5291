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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::{Notifier, NotifyError, SystemClock};
    use tgw_ha_core::ids::{AttachmentId, PrefixListId, RouteTableId};
    use tgw_ha_core::model::{Attachment, Route, RouteTable, VpnConnection};

    /// Counts reads; any write is a failure of the test.
    #[derive(Default)]
    struct Reads(Mutex<usize>);

    #[async_trait]
    impl Network for Reads {
        async fn vpn_connections(&self) -> Result<Vec<VpnConnection>, NetError> {
            *lock(&self.0) += 1;
            Ok(vec![])
        }
        async fn vpn_attachments(&self, _: &TgwId) -> Result<Vec<Attachment>, NetError> {
            Ok(vec![])
        }
        async fn route_tables(&self, _: &TgwId) -> Result<Vec<RouteTable>, NetError> {
            Ok(vec![])
        }
        async fn static_routes(
            &self,
            _: &RouteTableId,
            _: &[AttachmentId],
        ) -> Result<Vec<Route>, NetError> {
            Ok(vec![])
        }
        async fn prefix_list_references(
            &self,
            _: &RouteTableId,
            _: &[AttachmentId],
        ) -> Result<Vec<Route>, NetError> {
            Ok(vec![])
        }
        async fn replace_route(
            &self,
            _: &RouteTableId,
            _: &str,
            _: &AttachmentId,
        ) -> Result<(), NetError> {
            panic!("a dry run sent a route move")
        }
        async fn modify_prefix_list_reference(
            &self,
            _: &RouteTableId,
            _: &PrefixListId,
            _: &AttachmentId,
        ) -> Result<(), NetError> {
            panic!("a dry run sent a prefix-list move")
        }
    }

    /// Refuses every write: a dry run must never reach it.
    struct Refusing;

    #[async_trait]
    impl StateStore for Refusing {
        async fn load(&self, _: &TgwId) -> Result<Versioned<TgwState>, StoreError> {
            Ok(Versioned {
                value: TgwState::default(),
                version: 4,
            })
        }
        async fn save(&self, _: &TgwId, _: u64, _: &TgwState) -> Result<u64, StoreError> {
            Err(StoreError::Other("a dry run saved state".into()))
        }
    }

    #[async_trait]
    impl Lease for Refusing {
        async fn acquire(
            &self,
            _: &TgwId,
            _: &str,
            _: Duration,
            _: Timestamp,
        ) -> Result<bool, StoreError> {
            Ok(false)
        }
        async fn renew(
            &self,
            _: &TgwId,
            _: &str,
            _: Duration,
            _: Timestamp,
        ) -> Result<bool, StoreError> {
            Ok(false)
        }
        async fn release(&self, _: &TgwId, _: &str) -> Result<(), StoreError> {
            Ok(())
        }
    }

    struct Loud;

    #[async_trait]
    impl Notifier for Loud {
        async fn notify(
            &self,
            _: &tgw_ha_core::planner::GroupEvent,
            _: Timestamp,
        ) -> Result<(), NotifyError> {
            panic!("a dry run notified")
        }
    }

    #[tokio::test]
    async fn reads_go_through_writes_stay_in_the_ports() {
        let reads = Arc::new(Reads::default());
        let store = Arc::new(Refusing);
        let ports = dry_ports(Ports {
            network: reads.clone(),
            store: store.clone(),
            lease: store,
            notifier: Arc::new(Loud),
            clock: Arc::new(SystemClock),
        });
        let (tgw, table, to) = (
            TgwId::new("tgw-1"),
            RouteTableId::new("tgw-rtb-1"),
            AttachmentId::new("tgw-attach-1"),
        );
        ports.network.vpn_connections().await.unwrap();
        assert_eq!(*lock(&reads.0), 1);
        ports
            .network
            .replace_route(&table, "10.0.0.0/24", &to)
            .await
            .unwrap();
        ports
            .network
            .modify_prefix_list_reference(&table, &PrefixListId::new("pl-1"), &to)
            .await
            .unwrap();
        // State: read through, saved over in memory, read back from there.
        assert_eq!(ports.store.load(&tgw).await.unwrap().version, 4);
        let v = ports
            .store
            .save(&tgw, 4, &TgwState::default())
            .await
            .unwrap();
        assert_eq!(v, 5);
        assert_eq!(ports.store.load(&tgw).await.unwrap().version, 5);
        // The lease is always free; nothing is notified.
        let now = ports.clock.now();
        let ttl = Duration::from_secs(60);
        assert!(ports.lease.acquire(&tgw, "me", ttl, now).await.unwrap());
        let event = tgw_ha_core::planner::GroupEvent {
            group: tgw_ha_core::ids::GroupName::new("paris"),
            tgw,
            kind: tgw_ha_core::planner::EventKind::FailedOver,
            from: None,
            to: None,
            routes: 1,
            detail: String::new(),
            members: vec![],
        };
        ports.notifier.notify(&event, now).await.unwrap();
    }
}
