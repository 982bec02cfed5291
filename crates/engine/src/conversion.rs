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

use crate::executor::{CallStats, Executor, ExecutorConfig};
use crate::ports::{Clock, Lease, NetError, Network, StateStore, StoreError, Versioned};
use crate::prefix_lists::{PrefixListAdmin, already_exists, stale_entries, version_mismatch};
use futures::StreamExt;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;
use tgw_ha_core::Timestamp;
use tgw_ha_core::conversion::{
    self as core, ConversionError, ConversionInput, ConversionPlan, Direction, FailoverEstimate,
    Limits, ManagedPrefixList, OWNER_TAG, PrefixListReference, Step, list_name,
};
use tgw_ha_core::groups::{Group, discover, group_tags};
use tgw_ha_core::health::assess;
use tgw_ha_core::ids::{AttachmentId, GroupName, PrefixListId, RouteTableId, TgwId};
use tgw_ha_core::model::{Destination, Route, RouteKey, RouteType, VpnConnection};
use tgw_ha_core::policy::Policy;
use tgw_ha_core::state::{LedgerEntry, TgwState};

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

#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    #[error("unknown group {group}; known groups: {known}")]
    UnknownGroup { group: GroupName, known: String },
    #[error("group {group} is invalid and left alone: {reason}")]
    InvalidGroup { group: GroupName, reason: String },
    #[error(transparent)]
    Refused(#[from] ConversionError),
    #[error(transparent)]
    Network(#[from] NetError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("another run holds the lease on {tgw}; try again later")]
    Busy { tgw: TgwId },
    #[error(
        "group {group}'s routes point at {vpn}, which is not healthy ({reason}): {direction} stopped so that failover can proceed; run it again once the group is settled ({done} steps done)"
    )]
    Unhealthy {
        group: GroupName,
        vpn: String,
        reason: String,
        direction: &'static str,
        done: usize,
    },
    #[error(
        "group {group}'s routes are on {target}, not its primary: what this {direction} creates there must be recorded in the ledger, and this backend keeps none (give --table or --state-file), or fail the group back first"
    )]
    NoLedger {
        group: GroupName,
        target: AttachmentId,
        direction: &'static str,
    },
    #[error(
        "{step}: {error} ({done} steps done; every step is idempotent: run the command again to continue)"
    )]
    Step {
        step: String,
        error: NetError,
        done: usize,
    },
    #[error(
        "{table} did not settle ({reason}) within {seconds} s ({done} steps done): run the command again to continue"
    )]
    NotSettled {
        table: RouteTableId,
        reason: String,
        seconds: u64,
        done: usize,
    },
    #[error(
        "{step}: done, yet still planned after 10 tries (another writer, or EC2's reads not catching up); {done} steps done"
    )]
    NoProgress { step: String, done: usize },
    #[error("prefix list {list}: {reason} ({done} steps done)")]
    List {
        list: String,
        reason: String,
        done: usize,
    },
}

impl ConvertError {
    pub fn is_retryable(&self) -> bool {
        match self {
            ConvertError::Busy { .. } | ConvertError::NotSettled { .. } => true,
            ConvertError::Network(e) | ConvertError::Step { error: e, .. } => e.is_retryable(),
            ConvertError::Store(e) => e.is_retryable(),
            _ => false,
        }
    }
}

/// Everything observed of the group's TGW.
struct Observed {
    group: Group,
    vpns: Vec<VpnConnection>,
    tables: Vec<RouteTableId>,
    statics: BTreeMap<RouteTableId, Vec<Route>>,
    refs: BTreeMap<RouteTableId, Vec<PrefixListReference>>,
    routes_in_tgw: usize,
    lists: Vec<ManagedPrefixList>,
    other_entries: BTreeMap<PrefixListId, Option<Vec<String>>>,
    state: Versioned<TgwState>,
    /// The list this run created: found by id while a lookup by name may not show it yet.
    created: Option<PrefixListId>,
}

enum Progress {
    Done,
    /// Steps done, and the first of them.
    Did(usize, Step),
    Wait {
        table: RouteTableId,
        reason: String,
    },
    /// What was read of the list is stale: read it again and plan again.
    Stale,
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

    async fn pause(&self) {
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

    /// One batch under the lease: re-read, plan, record, write, forget, re-read what changed.
    async fn batch(
        &self,
        exec: &Executor,
        obs: &mut Observed,
        direction: Direction,
        done: &mut usize,
    ) -> Result<Progress, ConvertError> {
        let net = &self.ports.network;
        let (vpns, _) = exec
            .call("DescribeVpnConnections", false, || net.vpn_connections())
            .await;
        obs.vpns = vpns?;
        obs.state = self.ports.store.load(&obs.group.tgw).await?;
        let tentative = self.plan_of(obs, direction, false)?;
        let Some(first) = tentative.steps.first() else {
            return Ok(Progress::Done);
        };
        if let Some(t) = first.table().cloned() {
            self.refresh_table(exec, obs, &t).await?;
        }
        let plan = self.plan_of(obs, direction, false)?;
        if plan.steps.is_empty() {
            return Ok(Progress::Done);
        }
        self.check_health(obs, &plan, *done)?;
        let budget = self
            .config
            .max_steps
            .map_or(usize::MAX, |m| m.saturating_sub(*done));
        let batch = take_batch(&plan.steps, self.config.batch.min(budget).max(1));
        if let [Step::Wait { table, reason }] = batch {
            return Ok(Progress::Wait {
                table: table.clone(),
                reason: reason.clone(),
            });
        }

        let records: Vec<LedgerEntry> = batch.iter().filter_map(record_of).cloned().collect();
        if !records.is_empty() {
            self.update_ledger(obs, &records, &[]).await?;
        }
        let outcome = self.execute(exec, obs, &plan, batch, done).await;
        let forgets: Vec<RouteKey> = match &outcome {
            Ok(ok) => ok
                .iter()
                .filter_map(|i| forget_of(&batch[*i]).cloned())
                .collect(),
            Err((ok, _)) => ok
                .iter()
                .filter_map(|i| forget_of(&batch[*i]).cloned())
                .collect(),
        };
        if !forgets.is_empty() {
            self.update_ledger(obs, &[], &forgets).await?;
        }
        let touched: BTreeSet<RouteTableId> =
            batch.iter().filter_map(|s| s.table()).cloned().collect();
        for t in &touched {
            self.refresh_table(exec, obs, t).await?;
        }
        match outcome {
            Ok(ok) => {
                if batch.iter().any(is_list_step) {
                    self.refresh_list(exec, obs).await?;
                }
                Ok(Progress::Did(ok.len(), batch[0].clone()))
            }
            Err((_, Failure::Stale)) => Ok(Progress::Stale),
            Err((_, Failure::Error(e))) => Err(e),
        }
    }

    /// Run a batch's steps: static-route writes concurrently, every other step alone and in
    /// order. Returns the indexes of the steps done, or those and what stopped the batch.
    async fn execute(
        &self,
        exec: &Executor,
        obs: &mut Observed,
        plan: &ConversionPlan,
        batch: &[Step],
        done: &mut usize,
    ) -> Result<Vec<usize>, (Vec<usize>, Failure)> {
        let admin = &self.ports.admin;
        let mut ok = Vec::new();
        if batch.iter().all(Step::is_route_write) {
            let concurrency = self.config.executor.concurrency.max(1);
            // The futures are built first: a stream closure borrowing the executor makes the
            // run's future not `Send` (a higher-ranked lifetime limitation of rustc).
            let writes: Vec<_> = batch
                .iter()
                .enumerate()
                .map(|(i, s)| indexed(i, route_write(exec, admin.as_ref(), s)))
                .collect();
            let results: Vec<(usize, Result<(), NetError>)> = futures::stream::iter(writes)
                .buffer_unordered(concurrency)
                .collect()
                .await;
            let mut first_error = None;
            for (i, r) in results {
                match r {
                    Ok(()) => ok.push(i),
                    Err(e) => {
                        first_error.get_or_insert((i, e));
                    }
                }
            }
            *done += ok.len();
            ok.sort_unstable();
            return match first_error {
                None => Ok(ok),
                Some((i, error)) => Err((
                    ok,
                    Failure::Error(ConvertError::Step {
                        step: batch[i].describe(&plan.list_label()),
                        error,
                        done: *done,
                    }),
                )),
            };
        }
        let mut list = obs.lists.first().cloned();
        for (i, step) in batch.iter().enumerate() {
            let result = self.list_step(exec, &plan.group, &mut list, step).await;
            match result {
                Ok(()) => {
                    *done += 1;
                    ok.push(i);
                }
                Err(e) if version_mismatch(&e) || stale_entries(&e) => {
                    return Err((ok, Failure::Stale));
                }
                Err(error) => {
                    return Err((
                        ok,
                        Failure::Error(ConvertError::Step {
                            step: step.describe(&plan.list_label()),
                            error,
                            done: *done,
                        }),
                    ));
                }
            }
            if let Some(l) = &list
                && obs.created.is_none()
                && matches!(step, Step::CreateList { .. })
            {
                obs.created = Some(l.id.clone());
            }
        }
        if let Some(l) = &list
            && batch.iter().any(|s| {
                matches!(
                    s,
                    Step::ResizeList { .. } | Step::AddEntries { .. } | Step::CreateList { .. }
                )
            })
            && let Err(e) = self.settle_list(exec, &l.id, *done).await
        {
            return Err((ok, Failure::Error(e)));
        }
        Ok(ok)
    }

    /// One step that is not a static-route write. `list` is the group's list as known (its id
    /// and version), updated by the step.
    async fn list_step(
        &self,
        exec: &Executor,
        group: &GroupName,
        list: &mut Option<ManagedPrefixList>,
        step: &Step,
    ) -> Result<(), NetError> {
        let admin = self.ports.admin.as_ref();
        let missing = || NetError::Rejected {
            op: step.action().into(),
            code: "InvalidPrefixListID.NotFound".into(),
            message: format!("the prefix list {} does not exist (yet)", list_name(group)),
        };
        match step {
            Step::CreateList {
                name,
                max_entries,
                address_family,
                entries,
            } => {
                let tags = [(OWNER_TAG.to_owned(), group.to_string())];
                let (id, _) = exec
                    .call(step.action(), true, || {
                        admin.create_prefix_list(name, *max_entries, address_family, entries, &tags)
                    })
                    .await;
                *list = Some(ManagedPrefixList {
                    id: id?,
                    name: name.clone(),
                    max_entries: *max_entries,
                    version: 1,
                    address_family: address_family.clone(),
                    state: "create-in-progress".into(),
                    entries: entries.clone(),
                    tags: tags.into_iter().collect(),
                });
                Ok(())
            }
            Step::ResizeList { max_entries } => {
                let l = list.as_mut().ok_or_else(missing)?;
                let (r, _) = exec
                    .call(step.action(), true, || {
                        admin.resize_prefix_list(&l.id, *max_entries)
                    })
                    .await;
                r?;
                l.max_entries = *max_entries;
                Ok(())
            }
            Step::AddEntries { entries } => {
                let l = list.as_mut().ok_or_else(missing)?;
                let version = l.version;
                let (r, _) = exec
                    .call(step.action(), true, || {
                        admin.modify_entries(&l.id, version, entries, &[])
                    })
                    .await;
                r?;
                l.version += 1;
                l.entries.extend(entries.iter().cloned());
                Ok(())
            }
            Step::CreateReference { table, to, .. } => {
                let l = list.as_ref().ok_or_else(missing)?;
                let (r, _) = exec
                    .call(step.action(), true, || {
                        admin.create_reference(table, &l.id, to)
                    })
                    .await;
                match r {
                    Err(e) if already_exists(&e) => Ok(()),
                    other => other,
                }
            }
            Step::DeleteReference { table, .. } => {
                let l = list.as_ref().ok_or_else(missing)?;
                let (r, _) = exec
                    .call(step.action(), true, || admin.delete_reference(table, &l.id))
                    .await;
                match r {
                    Err(NetError::RouteNotFound { .. }) => Ok(()),
                    other => other,
                }
            }
            Step::DeleteList => {
                let Some(l) = list.as_ref() else {
                    return Ok(());
                };
                let (r, _) = exec
                    .call(step.action(), true, || admin.delete_prefix_list(&l.id))
                    .await;
                match r {
                    Err(NetError::RouteNotFound { .. }) => Ok(()),
                    other => other,
                }
            }
            Step::DeleteRoute { .. } | Step::CreateRoute { .. } => {
                route_write(exec, admin, step).await
            }
            Step::Wait { .. } => Ok(()),
        }
    }

    /// Wait until the list's last change is complete (EC2 applies it asynchronously; entries
    /// read before then may be stale).
    async fn settle_list(
        &self,
        exec: &Executor,
        id: &PrefixListId,
        done: usize,
    ) -> Result<(), ConvertError> {
        let admin = &self.ports.admin;
        let since = self.ports.clock.now();
        let limit =
            chrono::Duration::from_std(self.config.settle_timeout).unwrap_or(chrono::Duration::MAX);
        loop {
            let (l, _) = exec
                .call(core_describe(), false, || admin.prefix_list(id))
                .await;
            match l? {
                Some(l) if l.state.ends_with("-failed") => {
                    return Err(ConvertError::List {
                        list: id.to_string(),
                        reason: format!("EC2 says {}", l.state),
                        done,
                    });
                }
                Some(l) if l.state.ends_with("-complete") => return Ok(()),
                _ => {}
            }
            if self.ports.clock.now() - since >= limit {
                return Err(ConvertError::List {
                    list: id.to_string(),
                    reason: format!(
                        "its change did not complete within {} s",
                        self.config.settle_timeout.as_secs()
                    ),
                    done,
                });
            }
            self.pause().await;
        }
    }

    async fn update_ledger(
        &self,
        obs: &mut Observed,
        upserts: &[LedgerEntry],
        removals: &[RouteKey],
    ) -> Result<(), ConvertError> {
        let store = &self.ports.store;
        let tgw = obs.group.tgw.clone();
        // The engine may write the state between our load and save: reload and retry.
        for _ in 0..5 {
            let mut state = obs.state.value.clone();
            state.apply_ledger(upserts, removals);
            match store.save(&tgw, obs.state.version, &state).await {
                Ok(version) => {
                    obs.state = Versioned {
                        value: state,
                        version,
                    };
                    return Ok(());
                }
                Err(StoreError::Conflict { .. }) => obs.state = store.load(&tgw).await?,
                Err(e) => return Err(e.into()),
            }
        }
        Err(StoreError::Conflict {
            tgw,
            expected: obs.state.version,
        }
        .into())
    }

    fn check_health(
        &self,
        obs: &Observed,
        plan: &ConversionPlan,
        done: usize,
    ) -> Result<(), ConvertError> {
        let Some(target) = &plan.target else {
            return Ok(());
        };
        let Some(member) = obs.group.member_by_attachment(target) else {
            return Ok(());
        };
        let now = self.ports.clock.now();
        let reason = match obs.vpns.iter().find(|v| v.id == member.vpn) {
            None => Some("not observed".to_owned()),
            Some(v) => {
                let h = assess(v, &obs.state.value.signals, &self.config.policy, now);
                (!h.healthy).then(|| h.reason.unwrap_or_else(|| "down".into()))
            }
        };
        match reason {
            None => Ok(()),
            Some(reason) => Err(ConvertError::Unhealthy {
                group: plan.group.clone(),
                vpn: member.vpn.to_string(),
                reason,
                direction: plan.direction.as_str(),
                done,
            }),
        }
    }

    fn plan_of(
        &self,
        obs: &Observed,
        direction: Direction,
        first: bool,
    ) -> Result<ConversionPlan, ConversionError> {
        let statics: Vec<Route> = obs.statics.values().flatten().cloned().collect();
        let references: Vec<PrefixListReference> = obs.refs.values().flatten().cloned().collect();
        let mut limits = self.config.limits;
        if !first {
            // The quota was checked against the TGW's count before the first write; later
            // plans only continue it (EC2 still refuses a write that would cross it).
            limits.route_quota = usize::MAX;
        }
        core::plan(
            &ConversionInput {
                group: &obs.group,
                tables: &obs.tables,
                statics: &statics,
                references: &references,
                lists: &obs.lists,
                other_entries: &obs.other_entries,
                ledger: &obs.state.value.ledger,
                routes_in_tgw: obs.routes_in_tgw,
                limits,
                now: self.ports.clock.now(),
            },
            direction,
        )
    }

    /// The group and every VPN, from tags (the engine's discovery).
    async fn locate(
        &self,
        exec: &Executor,
        group: &GroupName,
    ) -> Result<(Group, Vec<VpnConnection>), ConvertError> {
        let net = &self.ports.network;
        let policy = &self.config.policy;
        let (vpns, _) = exec
            .call("DescribeVpnConnections", false, || net.vpn_connections())
            .await;
        let vpns = vpns?;
        let tgws: BTreeSet<TgwId> = vpns
            .iter()
            .filter(|v| group_tags(v, policy).any(|(k, _, _)| k == group.as_str()))
            .filter_map(|v| v.transit_gateway_id.clone())
            .collect();
        let mut attachments = Vec::new();
        for tgw in &tgws {
            let (a, _) = exec
                .call("DescribeTransitGatewayAttachments", false, || {
                    net.vpn_attachments(tgw)
                })
                .await;
            attachments.extend(a?);
        }
        let discovery = discover(&vpns, &attachments, policy);
        if let Some(g) = discovery.group(group) {
            return Ok((g.clone(), vpns));
        }
        if let Some(bad) = discovery.invalid.iter().find(|g| &g.name == group) {
            return Err(ConvertError::InvalidGroup {
                group: group.clone(),
                reason: bad.reason.clone(),
            });
        }
        let known: BTreeSet<String> = vpns
            .iter()
            .flat_map(|v| group_tags(v, policy).map(|(k, _, _)| k.to_owned()))
            .collect();
        Err(ConvertError::UnknownGroup {
            group: group.clone(),
            known: if known.is_empty() {
                "none (tag VPNs <group>=primary|backup)".into()
            } else {
                known.into_iter().collect::<Vec<_>>().join(", ")
            },
        })
    }

    /// The full observation the first plan needs.
    async fn observe(&self, exec: &Executor, group: &GroupName) -> Result<Observed, ConvertError> {
        let (group, vpns) = self.locate(exec, group).await?;
        let net = &self.ports.network;
        let admin = &self.ports.admin;
        let tgw = group.tgw.clone();
        let (tables, _) = exec
            .call("DescribeTransitGatewayRouteTables", false, || {
                net.route_tables(&tgw)
            })
            .await;
        let tables: Vec<RouteTableId> = tables?.into_iter().map(|t| t.id).collect();
        let state = self.ports.store.load(&tgw).await?;
        let mut obs = Observed {
            group,
            vpns,
            tables: tables.clone(),
            statics: BTreeMap::new(),
            refs: BTreeMap::new(),
            routes_in_tgw: 0,
            lists: vec![],
            other_entries: BTreeMap::new(),
            state,
            created: None,
        };
        for t in &tables {
            self.refresh_table(exec, &mut obs, t).await?;
            let (n, _) = exec
                .call(crate::prefix_lists::SEARCH_ROUTES, false, || {
                    admin.route_count(t)
                })
                .await;
            obs.routes_in_tgw += n?;
        }
        self.refresh_list(exec, &mut obs).await?;
        let ours: BTreeSet<PrefixListId> = obs.lists.iter().map(|l| l.id.clone()).collect();
        let others: BTreeSet<PrefixListId> = obs
            .refs
            .values()
            .flatten()
            .map(|p| p.prefix_list.clone())
            .filter(|p| !ours.contains(p))
            .collect();
        for id in others {
            let (entries, _) = exec
                .call(crate::prefix_lists::GET_ENTRIES, false, || {
                    admin.prefix_list_entries(&id)
                })
                .await;
            let entries = match entries {
                Ok(e) => Some(e),
                Err(e) if e.is_retryable() => return Err(e.into()),
                // Not found, not allowed: the plan refuses to guess.
                Err(_) => None,
            };
            obs.other_entries.insert(id, entries);
        }
        Ok(obs)
    }

    async fn refresh_table(
        &self,
        exec: &Executor,
        obs: &mut Observed,
        table: &RouteTableId,
    ) -> Result<(), ConvertError> {
        let net = &self.ports.network;
        let admin = &self.ports.admin;
        let members: Vec<AttachmentId> = obs
            .group
            .members
            .iter()
            .map(|m| m.attachment.clone())
            .collect();
        let (statics, _) = exec
            .call(crate::prefix_lists::SEARCH_ROUTES, false, || {
                net.static_routes(table, &members)
            })
            .await;
        let (refs, _) = exec
            .call(crate::prefix_lists::GET_REFERENCES, false, || {
                admin.references(table)
            })
            .await;
        obs.statics.insert(table.clone(), statics?);
        obs.refs.insert(table.clone(), refs?);
        Ok(())
    }

    async fn refresh_list(&self, exec: &Executor, obs: &mut Observed) -> Result<(), ConvertError> {
        let admin = &self.ports.admin;
        let name = list_name(&obs.group.name);
        let (lists, _) = exec
            .call(core_describe(), false, || admin.prefix_lists_named(&name))
            .await;
        let mut lists = lists?;
        if let Some(id) = &obs.created
            && !lists.iter().any(|l| &l.id == id)
        {
            // EC2's reads are eventually consistent: the list just created may not be listed
            // by name yet, but it exists; never create a second one.
            let (l, _) = exec
                .call(core_describe(), false, || admin.prefix_list(id))
                .await;
            lists.extend(l?);
        }
        for l in &mut lists {
            let id = l.id.clone();
            let (entries, _) = exec
                .call(crate::prefix_lists::GET_ENTRIES, false, || {
                    admin.prefix_list_entries(&id)
                })
                .await;
            l.entries = entries?;
        }
        obs.lists = lists;
        Ok(())
    }
}

fn core_describe() -> &'static str {
    crate::prefix_lists::DESCRIBE_LISTS
}

enum Failure {
    Stale,
    Error(ConvertError),
}

async fn indexed<T>(i: usize, f: impl std::future::Future<Output = T>) -> (usize, T) {
    (i, f.await)
}

/// A static-route write; "already so" is success.
async fn route_write(
    exec: &Executor,
    admin: &dyn PrefixListAdmin,
    step: &Step,
) -> Result<(), NetError> {
    match step {
        Step::DeleteRoute { table, cidr, .. } => {
            let (r, _) = exec
                .call(step.action(), true, || admin.delete_route(table, cidr))
                .await;
            match r {
                Err(NetError::RouteNotFound { .. }) => Ok(()),
                other => other,
            }
        }
        Step::CreateRoute {
            table, cidr, to, ..
        } => {
            let (r, _) = exec
                .call(step.action(), true, || admin.create_route(table, cidr, to))
                .await;
            match r {
                Err(e) if already_exists(&e) => Ok(()),
                other => other,
            }
        }
        _ => Ok(()),
    }
}

fn record_of(s: &Step) -> Option<&LedgerEntry> {
    match s {
        Step::CreateReference { record, .. } | Step::CreateRoute { record, .. } => record.as_ref(),
        _ => None,
    }
}

fn forget_of(s: &Step) -> Option<&RouteKey> {
    match s {
        Step::DeleteRoute { forget, .. } | Step::DeleteReference { forget, .. } => forget.as_ref(),
        _ => None,
    }
}

fn is_list_step(s: &Step) -> bool {
    matches!(
        s,
        Step::CreateList { .. }
            | Step::ResizeList { .. }
            | Step::AddEntries { .. }
            | Step::DeleteList
    )
}

/// The next batch: the list's own steps together; a reference alone (what follows waits for
/// it); or up to `max` static-route writes of one table.
fn take_batch(steps: &[Step], max: usize) -> &[Step] {
    let Some(first) = steps.first() else {
        return steps;
    };
    let len = if is_list_step(first) {
        steps
            .iter()
            .take_while(|s| is_list_step(s))
            .take(max)
            .count()
    } else if first.is_route_write() {
        steps
            .iter()
            .take_while(|s| s.is_route_write() && s.table() == first.table())
            .take(max)
            .count()
    } else {
        1
    };
    &steps[..len.max(1)]
}

/// Each group's failover estimate on the TGWs of `vpns`, from one read of its routes: static
/// routes and prefix-list references to the group's primary (and, per the ledger, those moved
/// away from it). What `status` and `plan` show beside the decision.
pub async fn failover_estimates(
    network: &dyn Network,
    store: &dyn StateStore,
    policy: &Policy,
) -> Result<BTreeMap<(TgwId, GroupName), FailoverEstimate>, ConvertError> {
    let vpns = network.vpn_connections().await?;
    let tgws: BTreeSet<TgwId> = vpns
        .iter()
        .filter(|v| group_tags(v, policy).next().is_some())
        .filter_map(|v| v.transit_gateway_id.clone())
        .collect();
    let mut out = BTreeMap::new();
    for tgw in tgws {
        let attachments = network.vpn_attachments(&tgw).await?;
        let discovery = discover(&vpns, &attachments, policy);
        let groups: Vec<&Group> = discovery.groups.iter().filter(|g| g.tgw == tgw).collect();
        if groups.is_empty() {
            continue;
        }
        let state = store.load(&tgw).await?.value;
        let ledger = state.ledger_map();
        let members: Vec<AttachmentId> = groups
            .iter()
            .flat_map(|g| g.members.iter().map(|m| m.attachment.clone()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut keys: BTreeMap<&GroupName, Vec<RouteKey>> = BTreeMap::new();
        for t in network.route_tables(&tgw).await? {
            let mut routes = network.static_routes(&t.id, &members).await?;
            routes.extend(network.prefix_list_references(&t.id, &members).await?);
            for r in routes.iter().filter(|r| r.route_type == RouteType::Static) {
                let key = r.key();
                let owner = match ledger.get(&key) {
                    Some(e) => groups.iter().find(|g| g.name == e.group),
                    None => groups
                        .iter()
                        .find(|g| r.attachment.as_ref() == Some(&g.home().attachment)),
                };
                if let Some(g) = owner
                    && matches!(
                        r.destination,
                        Destination::Cidr(_) | Destination::PrefixList(_)
                    )
                {
                    keys.entry(&g.name).or_default().push(key);
                }
            }
        }
        for g in groups {
            let k = keys.remove(&g.name).unwrap_or_default();
            out.insert((tgw.clone(), g.name.clone()), core::estimate(&k));
        }
    }
    Ok(out)
}
