//! The prefix-list conversion runner (`tgw-ha prefix-lists convert|revert`): observe the
//! group, ask the core for the plan ([`tgw_ha_core::conversion`]), and carry it out in batches
//! through the [`PrefixListAdmin`] port, paced and retried by the [`Executor`].
//!
//! Contract:
//! - **Refusals first.** The first plan is made from a full observation (every table of the
//!   TGW, every reference, the lists' entries, the TGW's route count); a refusal changes
//!   nothing.
//! - **One batch under the lease.** Each batch takes the TGW's lease, re-reads what it relies on
//!   (the VPNs, the ledger, the tables and the list it writes), plans again, writes, and
//!   releases the lease, so a failover of the engine waits for one batch at most (≤ `batch`
//!   steps, about 20 s at EC2's write rate), never for the whole conversion. A batch is the
//!   list's own steps, or one reference, or up to `batch` static-route writes of one table.
//! - **Never onto a dead path.** Before each batch the member the routes point at must be
//!   healthy (as the planner judges it, stored signals included); otherwise the run stops with
//!   [`ConvertError::Unhealthy`] so that the engine can fail the group over (it moves static
//!   routes and references alike, so a half-converted group fails over whole).
//! - **Ledger first.** A reference or static route created on a member other than the primary
//!   is recorded in the ledger before the call (as the engine records a move), so that
//!   failback finds it; ledger entries of deleted routes are removed after the call.
//! - **Idempotent, resumable.** "Already exists" of a create and "not found" of a delete are
//!   success; the plan is recomputed from the world before every batch, so running the command
//!   again after a crash continues where it stopped.
//! - **Waits where EC2 settles.** Static routes are deleted only once the table's reference is
//!   `available` (and a reference only once the static routes replacing it are `active`):
//!   [`Step::Wait`] polls the table until then, up to `settle_timeout`.
//!
//! The files: this one holds the ports, the configuration, the report and the run loop
//! ([`Converter::run`]: lease, batch, wait, retry); `batch.rs` one batch under the lease (re-read,
//! plan, record, write, forget) and how steps are grouped into batches; `writes.rs` the EC2
//! writes of a batch; `observe.rs` what is read of the group's TGW; `error.rs` the run's
//! errors; `estimates.rs` the failover estimates `status` and `plan` show.

mod batch;
mod error;
mod estimates;
mod observe;
mod writes;

pub use error::ConvertError;
pub use estimates::failover_estimates;

use crate::executor::{CallStats, Executor, ExecutorConfig};
use crate::ports::{Clock, Lease, Network, StateStore};
use crate::prefix_lists::PrefixListAdmin;
use batch::{Progress, record_of};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tgw_ha_core::Timestamp;
use tgw_ha_core::conversion::{ConversionPlan, Direction, Limits, Step, list_name};
use tgw_ha_core::ids::{GroupName, TgwId};
use tgw_ha_core::policy::Policy;

/// The ports a conversion runs on.
#[derive(Clone)]
pub struct ConversionPorts {
    pub network: Arc<dyn Network>,
    pub admin: Arc<dyn PrefixListAdmin>,
    pub store: Arc<dyn StateStore>,
    pub lease: Arc<dyn Lease>,
    pub clock: Arc<dyn Clock>,
}

#[derive(Debug, Clone)]
pub struct ConverterConfig {
    pub policy: Policy,
    /// Who holds the lease (shown to whoever finds it busy).
    pub owner: String,
    pub lease_ttl: Duration,
    /// Most steps per batch (one lease, one re-read).
    pub batch: usize,
    pub executor: ExecutorConfig,
    pub limits: Limits,
    /// Whether the store keeps a ledger (`false`: the AWS backend with no table or file).
    pub has_ledger: bool,
    /// How long to wait for a lease another run holds.
    pub busy_wait: Duration,
    /// How long to wait for EC2 to settle a reference or routes ([`Step::Wait`]).
    pub settle_timeout: Duration,
    pub poll: Duration,
    /// Stop after this many steps (to rehearse an interruption).
    pub max_steps: Option<usize>,
}

impl Default for ConverterConfig {
    fn default() -> Self {
        ConverterConfig {
            policy: Policy::default(),
            owner: "tgw-ha-prefix-lists".into(),
            lease_ttl: Duration::from_secs(120),
            batch: 100,
            executor: ExecutorConfig::default(),
            limits: Limits::default(),
            has_ledger: true,
            busy_wait: Duration::from_secs(180),
            settle_timeout: Duration::from_secs(300),
            poll: Duration::from_secs(1),
            max_steps: None,
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Serialize)]
pub struct ConversionReport {
    /// The plan as first made.
    pub plan: ConversionPlan,
    /// What is left (empty when the run finished).
    pub remaining: Vec<Step>,
    pub steps_done: usize,
    pub batches: usize,
    /// Calls by EC2 action (reads included).
    pub calls: BTreeMap<String, CallStats>,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
}

pub struct Converter {
    ports: ConversionPorts,
    config: ConverterConfig,
}

impl Converter {
    pub fn new(ports: ConversionPorts, config: ConverterConfig) -> Self {
        Converter { ports, config }
    }

    pub fn config(&self) -> &ConverterConfig {
        &self.config
    }

    fn executor(&self) -> Executor {
        Executor::new(self.ports.clock.clone(), self.config.executor.clone())
    }

    /// What `direction` would do now (reads only).
    pub async fn plan(
        &self,
        group: &GroupName,
        direction: Direction,
    ) -> Result<ConversionPlan, ConvertError> {
        let exec = self.executor();
        let obs = self.observe(&exec, group).await?;
        Ok(self.plan_of(&obs, direction, true)?)
    }

    /// Carry `direction` out, batch by batch (see the module docs).
    pub async fn run(
        &self,
        group: &GroupName,
        direction: Direction,
    ) -> Result<ConversionReport, ConvertError> {
        let exec = self.executor();
        let started_at = self.ports.clock.now();
        let mut obs = self.observe(&exec, group).await?;
        let first = self.plan_of(&obs, direction, true)?;
        if let Some(target) = &first.target
            && !self.config.has_ledger
            && first.steps.iter().any(|s| record_of(s).is_some())
        {
            return Err(ConvertError::NoLedger {
                group: group.clone(),
                target: target.clone(),
                direction: direction.as_str(),
            });
        }
        if !first.steps.is_empty() {
            self.check_health(&obs, &first, 0)?;
        }
        tracing::info!(
            target: "tgw_ha::progress",
            group = %group, direction = direction.as_str(), steps = first.steps.len(),
            "prefix lists: {} {group}: {} steps", direction.as_str(), first.steps.len()
        );
        let tgw = obs.group.tgw.clone();
        let mut done = 0usize;
        let mut batches = 0usize;
        let mut stale = 0u32;
        let mut waiting: Option<Timestamp> = None;
        // A step that succeeds but is planned again (a delete answered "not found" while the
        // route is still listed: EC2's reads lag) is retried after a pause, a few times.
        let mut last: Option<Step> = None;
        let mut repeats = 0u32;
        loop {
            if self.config.max_steps.is_some_and(|m| done >= m) {
                break;
            }
            self.acquire(&tgw).await?;
            let result = self.batch(&exec, &mut obs, direction, &mut done).await;
            if let Err(e) = self.ports.lease.release(&tgw, &self.config.owner).await {
                // It expires on its own: a failed release delays the engine by one TTL.
                tracing::warn!(%tgw, error = %e, "could not release lease");
            }
            match result? {
                Progress::Done => break,
                Progress::Did(n, first) => {
                    batches += 1;
                    waiting = None;
                    stale = 0;
                    if last.as_ref() == Some(&first) {
                        repeats += 1;
                        if repeats > 10 {
                            return Err(ConvertError::NoProgress {
                                step: first.describe(&list_name(group)),
                                done,
                            });
                        }
                        self.pause().await;
                    } else {
                        repeats = 0;
                    }
                    last = Some(first);
                    tracing::info!(
                        target: "tgw_ha::progress",
                        group = %group, done, batch = n,
                        "prefix lists: {} {group}: {done} steps done", direction.as_str()
                    );
                }
                Progress::Wait { table, reason } => {
                    let now = self.ports.clock.now();
                    let since = *waiting.get_or_insert(now);
                    let limit = chrono::Duration::from_std(self.config.settle_timeout)
                        .unwrap_or(chrono::Duration::MAX);
                    if now - since >= limit {
                        return Err(ConvertError::NotSettled {
                            table,
                            reason,
                            seconds: self.config.settle_timeout.as_secs(),
                            done,
                        });
                    }
                    self.pause().await;
                    self.refresh_table(&exec, &mut obs, &table).await?;
                }
                Progress::Stale => {
                    stale += 1;
                    if stale > 5 {
                        return Err(ConvertError::List {
                            list: list_name(group),
                            reason: "keeps changing under this run (another writer?)".into(),
                            done,
                        });
                    }
                    self.pause().await;
                    self.refresh_list(&exec, &mut obs).await?;
                }
            }
        }
        let remaining = self.plan_of(&obs, direction, false)?.steps;
        Ok(ConversionReport {
            plan: first,
            remaining,
            steps_done: done,
            batches,
            calls: exec.stats(),
            started_at,
            finished_at: self.ports.clock.now(),
        })
    }

    pub(super) async fn pause(&self) {
        let d = chrono::Duration::from_std(self.config.poll).unwrap_or_default();
        let now = self.ports.clock.now();
        self.ports.clock.sleep_until(now + d).await;
    }

    async fn acquire(&self, tgw: &TgwId) -> Result<(), ConvertError> {
        let wait = chrono::Duration::from_std(self.config.busy_wait).unwrap_or_default();
        let deadline = self.ports.clock.now() + wait;
        loop {
            let now = self.ports.clock.now();
            if self
                .ports
                .lease
                .acquire(tgw, &self.config.owner, self.config.lease_ttl, now)
                .await?
            {
                return Ok(());
            }
            if now >= deadline {
                return Err(ConvertError::Busy { tgw: tgw.clone() });
            }
            self.pause().await;
        }
    }
}
