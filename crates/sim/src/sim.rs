//! [`Sim`]: a world and every port over it, wired together, for tests and the demo.
//!
//! Contract: one [`FaultHandle`] is shared by the network's fault layer, the prefix-list port,
//! the store and the lease (armed from the world's `faults` key); `network` is the world's
//! [`SimNetwork`] inside a [`FaultLayer`] that finds a table's TGW in the same world; the clock
//! is the world's own virtual clock, or the real one when the world has no `now`.
//! [`Sim::ports`] hands the engine its [`Ports`]; as a service [`Backend`] (the CLI's
//! `--world`, the demo, tests) a sim is one Region with a ledger.

use crate::clock::VirtualClock;
use crate::faults::FaultHandle;
use crate::faulty::{FaultLayer, FaultyNetwork};
use crate::network::SimNetwork;
use crate::prefix_list_admin::SimPrefixLists;
use crate::store::{MemoryLease, MemoryStore, RecordingNotifier};
use crate::world::{SharedWorld, World, lock};
use std::sync::{Arc, Mutex};
use tgw_ha_engine::conversion::ConversionPorts;
use tgw_ha_engine::ports::{Clock, Ports, SystemClock};
use tgw_ha_engine::service::{Backend, ServiceError};

#[derive(Clone)]
pub struct Sim {
    pub world: SharedWorld,
    /// The world's network with the faults around it; `network.calls()` counts its calls.
    pub network: Arc<FaultyNetwork>,
    /// The prefix-list conversion's port, on the same world, faults and clock.
    pub prefix_lists: Arc<SimPrefixLists>,
    pub store: Arc<MemoryStore>,
    pub lease: Arc<MemoryLease>,
    pub notifier: RecordingNotifier,
    pub faults: FaultHandle,
    /// The clock the ports use.
    pub clock: Arc<dyn Clock>,
    /// The same clock when it is virtual (the world has a `now`): advance it here.
    pub virtual_clock: Option<VirtualClock>,
}

impl Sim {
    pub fn new(world: World) -> Sim {
        let virtual_clock = world.virtual_clock();
        let faults = FaultHandle::new(world.faults.clone().unwrap_or_default());
        let world: SharedWorld = Arc::new(Mutex::new(world));
        let clock: Arc<dyn Clock> = match &virtual_clock {
            Some(c) => Arc::new(c.clone()),
            None => Arc::new(SystemClock),
        };
        Sim {
            prefix_lists: Arc::new(
                SimPrefixLists::new(world.clone())
                    .with_faults(faults.clone())
                    .with_clock(clock.clone()),
            ),
            network: Arc::new(
                FaultLayer::new(faults.clone(), clock.clone())
                    .with_tables(table_lookup(&world))
                    .around(Arc::new(SimNetwork::new(world.clone()))),
            ),
            store: Arc::new(MemoryStore::new(world.clone()).with_faults(faults.clone())),
            lease: Arc::new(MemoryLease::new(world.clone()).with_faults(faults.clone())),
            notifier: RecordingNotifier::new(),
            faults,
            clock,
            virtual_clock,
            world,
        }
    }

    pub fn ports(&self) -> Ports {
        Ports {
            network: self.network.clone(),
            store: self.store.clone(),
            lease: self.lease.clone(),
            notifier: Arc::new(self.notifier.clone()),
            clock: self.clock.clone(),
        }
    }

    /// The ports of a prefix-list conversion (`tgw_ha_engine::conversion`).
    pub fn conversion_ports(&self) -> ConversionPorts {
        ConversionPorts {
            network: self.network.clone(),
            admin: self.prefix_lists.clone(),
            store: self.store.clone(),
            lease: self.lease.clone(),
            clock: self.clock.clone(),
        }
    }

    /// Lock the world (poison-tolerant). Do not hold the guard across an await.
    pub fn world(&self) -> std::sync::MutexGuard<'_, World> {
        lock(&self.world)
    }

    /// A copy of the world as it is now (with its own time cell), e.g. to save it.
    pub fn snapshot(&self) -> World {
        self.world().clone()
    }

    /// The current time on the sim's clock.
    pub fn now(&self) -> tgw_ha_core::Timestamp {
        self.clock.now()
    }
}

/// The application service over the sim: its one world answers for every Region (a world file
/// has no Regions), and its store is always there to write to.
impl Backend for Sim {
    fn ports(&self, _region: Option<&str>) -> Result<Ports, ServiceError> {
        Ok(Sim::ports(self))
    }
    fn has_ledger(&self) -> bool {
        true
    }
    fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }
}

/// The TGW of a route table in `world`, for the faults scoped to one TGW.
fn table_lookup(world: &SharedWorld) -> crate::faulty::TableLookup {
    let world = world.clone();
    Arc::new(move |table| {
        lock(&world)
            .route_table(table)
            .map(|t| t.transit_gateway_id.clone())
    })
}
