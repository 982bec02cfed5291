//! [`SimPrefixLists`]: the engine's [`PrefixListAdmin`] port over a shared [`World`].
//!
//! Contract: the port's error conventions (see `tgw_ha_engine::prefix_lists`) over the world's
//! mutators ([`crate::prefix_lists`]). Per call, as the network's fault layer
//! ([`crate::faulty`]) does: the injected latency on the sim's clock, then the shared fault
//! decision (scripted failures and throttling by EC2 action name), then the world under its
//! lock. Calls are counted per action. An optional crash ([`SimPrefixLists::crash_after`])
//! panics on the write after the k-th successful one, with no lock held, as a killed process
//! would stop: the world keeps what was done.

use crate::faults::{FaultHandle, Verdict};
use crate::faulty::CallStats;
use crate::prefix_lists::{ListChange, ListError, SimPrefixListEntry};
use crate::world::{SharedWorld, World, WorldError, lock};
use async_trait::async_trait;
use std::sync::{Arc, Mutex};
use tgw_ha_core::conversion::{ManagedPrefixList, PrefixListReference};
use tgw_ha_core::ids::{AttachmentId, PrefixListId, RouteTableId};
use tgw_ha_engine::layer::Ec2Action;
use tgw_ha_engine::ports::{Clock, NetError, SystemClock};
use tgw_ha_engine::prefix_lists::PrefixListAdmin;

pub struct SimPrefixLists {
    world: SharedWorld,
    faults: FaultHandle,
    clock: Arc<dyn Clock>,
    stats: Mutex<CallStats>,
    /// Writes left before the injected crash (`None`: no crash).
    crash: Mutex<Option<u64>>,
}

impl SimPrefixLists {
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
        SimPrefixLists {
            world,
            faults,
            clock,
            stats: Mutex::default(),
            crash: Mutex::default(),
        }
    }

    /// Share `faults` with the sim's other ports.
    pub fn with_faults(mut self, faults: FaultHandle) -> Self {
        self.faults = faults;
        self
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Panic on the write after `k` more successful writes (a crash mid-conversion).
    pub fn crash_after(&self, k: u64) {
        *self.crash.lock().unwrap_or_else(|e| e.into_inner()) = Some(k);
    }

    pub fn calls(&self) -> CallStats {
        self.stats.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn count(&self, op: &str, outcome: Option<&NetError>) {
        self.stats
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .count(op, outcome);
    }

    async fn enter(&self, action: Ec2Action) -> Result<(), NetError> {
        let op = action.as_str();
        self.faults.delay(&*self.clock).await;
        match self.faults.decide(op) {
            Verdict::Proceed | Verdict::Crash(_) => {}
            Verdict::Fail(e) => {
                self.count(op, Some(&e));
                return Err(e);
            }
        }
        if action.is_write() {
            let mut crash = self.crash.lock().unwrap_or_else(|e| e.into_inner());
            match *crash {
                Some(0) => {
                    *crash = None;
                    drop(crash);
                    panic!("injected crash before {op}");
                }
                Some(k) => *crash = Some(k - 1),
                None => {}
            }
        }
        self.count(op, None);
        Ok(())
    }

    fn read<T>(&self, f: impl FnOnce(&World) -> T) -> T {
        f(&lock(&self.world))
    }

    fn write<T>(
        &self,
        op: Ec2Action,
        f: impl FnOnce(&mut World) -> Result<T, Refusal>,
    ) -> Result<T, NetError> {
        let r = f(&mut lock(&self.world));
        r.map_err(|e| e.into_net(op))
    }
}

/// A world refusal, whichever mutator answered it.
enum Refusal {
    World(WorldError),
    List(ListError),
}

impl From<WorldError> for Refusal {
    fn from(e: WorldError) -> Self {
        Refusal::World(e)
    }
}

impl From<ListError> for Refusal {
    fn from(e: ListError) -> Self {
        Refusal::List(e)
    }
}

impl Refusal {
    fn into_net(self, op: Ec2Action) -> NetError {
        let op = op.to_string();
        match self {
            Refusal::World(WorldError::RouteNotFound { table, destination }) => {
                NetError::RouteNotFound {
                    op,
                    table,
                    destination,
                }
            }
            Refusal::World(WorldError::PrefixListReferenceNotFound { table, prefix_list })
            | Refusal::List(ListError::ReferenceNotFound { table, prefix_list }) => {
                NetError::RouteNotFound {
                    op,
                    table,
                    destination: prefix_list.to_string(),
                }
            }
            Refusal::World(e) => NetError::Rejected {
                op,
                code: e.code().to_owned(),
                message: e.to_string(),
            },
            Refusal::List(e) => NetError::Rejected {
                op,
                code: e.code().to_owned(),
                message: e.to_string(),
            },
        }
    }
}

fn list_view(l: &crate::prefix_lists::SimManagedPrefixList) -> ManagedPrefixList {
    ManagedPrefixList {
        id: l.id.clone(),
        name: l.name.clone(),
        max_entries: l.max_entries,
        version: l.version,
        address_family: l.address_family.clone(),
        // The world applies every change at once.
        state: if l.version > 1 {
            "modify-complete"
        } else {
            "create-complete"
        }
        .into(),
        entries: vec![],
        tags: l.tags.clone(),
    }
}

fn entries(cidrs: &[String]) -> Vec<SimPrefixListEntry> {
    cidrs
        .iter()
        .map(|c| SimPrefixListEntry {
            cidr: c.clone(),
            description: None,
        })
        .collect()
}

#[async_trait]
impl PrefixListAdmin for SimPrefixLists {
    async fn prefix_lists_named(&self, name: &str) -> Result<Vec<ManagedPrefixList>, NetError> {
        self.enter(Ec2Action::DescribeManagedPrefixLists).await?;
        Ok(self.read(|w| {
            w.managed_prefix_lists
                .iter()
                .filter(|l| l.name == name)
                .map(list_view)
                .collect()
        }))
    }

    async fn prefix_list(&self, id: &PrefixListId) -> Result<Option<ManagedPrefixList>, NetError> {
        self.enter(Ec2Action::DescribeManagedPrefixLists).await?;
        Ok(self.read(|w| w.managed_prefix_list(id).map(list_view)))
    }

    async fn prefix_list_entries(&self, id: &PrefixListId) -> Result<Vec<String>, NetError> {
        self.enter(Ec2Action::GetManagedPrefixListEntries).await?;
        self.read(|w| match w.managed_prefix_list(id) {
            Some(l) => Ok(l.cidrs().map(str::to_owned).collect()),
            None => Err(Refusal::List(ListError::NotFound(id.clone()))
                .into_net(Ec2Action::GetManagedPrefixListEntries)),
        })
    }

    async fn references(&self, table: &RouteTableId) -> Result<Vec<PrefixListReference>, NetError> {
        self.enter(Ec2Action::GetTransitGatewayPrefixListReferences)
            .await?;
        self.read(|w| {
            if w.route_table(table).is_none() {
                return Err(
                    Refusal::World(WorldError::RouteTableNotFound(table.clone()))
                        .into_net(Ec2Action::GetTransitGatewayPrefixListReferences),
                );
            }
            Ok(w.prefix_list_references
                .iter()
                .filter(|p| &p.table == table)
                .map(|p| PrefixListReference {
                    table: p.table.clone(),
                    prefix_list: p.prefix_list_id.clone(),
                    attachment: if p.blackhole {
                        None
                    } else {
                        p.attachment.clone()
                    },
                    state: "available".into(),
                })
                .collect())
        })
    }

    async fn route_count(&self, table: &RouteTableId) -> Result<usize, NetError> {
        self.enter(Ec2Action::SearchTransitGatewayRoutes).await?;
        Ok(self.read(|w| {
            let routes = w.routes_in(table).count();
            let entries: usize = w
                .prefix_list_references
                .iter()
                .filter(|p| &p.table == table)
                .map(|p| w.reference_entries(p).len())
                .sum();
            routes + entries
        }))
    }

    async fn create_prefix_list(
        &self,
        name: &str,
        max_entries: u32,
        address_family: &str,
        cidrs: &[String],
        tags: &[(String, String)],
    ) -> Result<PrefixListId, NetError> {
        self.enter(Ec2Action::CreateManagedPrefixList).await?;
        self.write(Ec2Action::CreateManagedPrefixList, |w| {
            Ok(w.create_managed_prefix_list(
                name,
                max_entries,
                address_family,
                entries(cidrs),
                tags.iter().cloned().collect(),
            )?)
        })
    }

    async fn modify_entries(
        &self,
        id: &PrefixListId,
        current_version: u64,
        add: &[String],
        remove: &[String],
    ) -> Result<(), NetError> {
        self.enter(Ec2Action::ModifyManagedPrefixList).await?;
        self.write(Ec2Action::ModifyManagedPrefixList, |w| {
            Ok(w.modify_managed_prefix_list(
                id,
                ListChange {
                    current_version: Some(current_version),
                    add: entries(add),
                    remove: remove.to_vec(),
                    ..ListChange::default()
                },
            )?)
        })
    }

    async fn resize_prefix_list(
        &self,
        id: &PrefixListId,
        max_entries: u32,
    ) -> Result<(), NetError> {
        self.enter(Ec2Action::ModifyManagedPrefixList).await?;
        self.write(Ec2Action::ModifyManagedPrefixList, |w| {
            Ok(w.modify_managed_prefix_list(
                id,
                ListChange {
                    max_entries: Some(max_entries),
                    ..ListChange::default()
                },
            )?)
        })
    }

    async fn delete_prefix_list(&self, id: &PrefixListId) -> Result<(), NetError> {
        self.enter(Ec2Action::DeleteManagedPrefixList).await?;
        self.write(Ec2Action::DeleteManagedPrefixList, |w| {
            match w.delete_managed_prefix_list(id) {
                Err(ListError::NotFound(_)) => Err(Refusal::World(WorldError::RouteNotFound {
                    table: RouteTableId::new("-"),
                    destination: id.to_string(),
                })),
                other => Ok(other?),
            }
        })
    }

    async fn create_reference(
        &self,
        table: &RouteTableId,
        prefix_list: &PrefixListId,
        to: &AttachmentId,
    ) -> Result<(), NetError> {
        self.enter(Ec2Action::CreateTransitGatewayPrefixListReference)
            .await?;
        self.write(Ec2Action::CreateTransitGatewayPrefixListReference, |w| {
            Ok(w.create_list_reference(table, prefix_list, Some(to))?)
        })
    }

    async fn delete_reference(
        &self,
        table: &RouteTableId,
        prefix_list: &PrefixListId,
    ) -> Result<(), NetError> {
        self.enter(Ec2Action::DeleteTransitGatewayPrefixListReference)
            .await?;
        self.write(Ec2Action::DeleteTransitGatewayPrefixListReference, |w| {
            Ok(w.delete_prefix_list_reference(table, prefix_list)?)
        })
    }

    async fn create_route(
        &self,
        table: &RouteTableId,
        cidr: &str,
        to: &AttachmentId,
    ) -> Result<(), NetError> {
        self.enter(Ec2Action::CreateTransitGatewayRoute).await?;
        self.write(Ec2Action::CreateTransitGatewayRoute, |w| {
            Ok(w.create_route(table, cidr, Some(to))?)
        })
    }

    async fn delete_route(&self, table: &RouteTableId, cidr: &str) -> Result<(), NetError> {
        self.enter(Ec2Action::DeleteTransitGatewayRoute).await?;
        self.write(Ec2Action::DeleteTransitGatewayRoute, |w| {
            Ok(w.delete_route(table, cidr)?)
        })
    }
}
