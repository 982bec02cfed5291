//! The observe → decide → apply loop, one TGW at a time under that TGW's lease.
//!
//! Order of writes, chosen so that a crash at any point leaves the next run able to converge:
//! 1. the trigger's signal is stored (so a later telemetry-only pass does not undo it);
//! 2. ledger intents for routes leaving home, drops and group state are stored;
//! 3. moves are applied (paced, retried);
//! 4. the ledger is settled: routes now home leave it, failed moves are put back as observed;
//! 5. notifications; 6. the lease is released.
//!
//! A crash between 2 and 4 leaves intents for routes that may not have moved: harmless, the
//! next pass reads the routes and the ledger only says who owns them.

use crate::executor::Executor;
use crate::outcome::{EngineError, MoveResult, MoveStatus, Outcome, TgwOutcome};
use crate::ports::{NetError, Ports, StoreError};
use futures::StreamExt;
use futures::future::try_join_all;
use std::collections::BTreeSet;
use std::time::Duration;
use tgw_ha_core::groups::{Discovery, discover, is_tagged_member};
use tgw_ha_core::ids::{AttachmentId, GroupName, TgwId};
use tgw_ha_core::model::{Destination, Observation, VpnConnection};
use tgw_ha_core::planner::{Directive, Move, Plan, PlanInput, plan};
use tgw_ha_core::policy::Policy;
use tgw_ha_core::state::{Signal, TgwState};
use tgw_ha_core::trigger::{OperatorAction, SignalEvent, Trigger};

#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub policy: Policy,
    pub executor: crate::executor::ExecutorConfig,
    /// Renewed at half-life while moves complete, so a long run keeps it; short, so that a run
    /// that died (a killed CLI, a Lambda timeout) blocks the next one for two minutes at most.
    pub lease_ttl: Duration,
    /// Who holds the lease (Lambda request id, CLI user@host).
    pub owner: String,
    /// Signals older than this are forgotten: telemetry has caught up with them long before.
    pub signal_horizon: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            policy: Policy::default(),
            executor: Default::default(),
            lease_ttl: Duration::from_secs(120),
            owner: "tgw-ha".into(),
            signal_horizon: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// How often (in moves) a large run reports its progress.
const PROGRESS_EVERY: usize = 50;

pub struct Engine {
    ports: Ports,
    config: EngineConfig,
}

/// What one trigger asks of one TGW.
struct Work {
    tgw: TgwId,
    scope: Option<BTreeSet<GroupName>>,
    directive: Option<Directive>,
    signal: Option<Signal>,
}

impl Engine {
    pub fn new(ports: Ports, config: EngineConfig) -> Self {
        Self { ports, config }
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Handle one trigger. `Err(Incomplete)` carries the outcome of a run in which some moves
    /// failed; every other error means nothing was changed by this run.
    pub async fn handle(&self, trigger: &Trigger) -> Result<Outcome, EngineError> {
        let executor = Executor::new(self.ports.clock.clone(), self.config.executor.clone());
        let started_at = self.ports.clock.now();
        let trigger = &trigger.checked_at(started_at)?;
        let mut outcome = Outcome {
            trigger: trigger.describe(),
            dry_run: false,
            started_at,
            finished_at: started_at,
            tgws: vec![],
            calls: Default::default(),
            notes: vec![],
        };
        let (dry_run, read_only) = match trigger {
            Trigger::Ignore { reason } => {
                tracing::info!(%reason, "event ignored, nothing changed");
                outcome.notes.push(format!("ignored: {reason}"));
                return Ok(outcome);
            }
            Trigger::Operator { action, dry_run } => {
                let read_only = !action.writes();
                (*dry_run || read_only, read_only)
            }
            _ => (false, false),
        };
        outcome.dry_run = dry_run && !read_only;

        let (vpns, _) = executor
            .call("DescribeVpnConnections", false, || {
                self.ports.network.vpn_connections()
            })
            .await;
        let vpns = vpns?;
        let (work, discovery) = self.resolve(trigger, &vpns, &executor).await?;
        if work.is_empty() {
            outcome
                .notes
                .push("no group is concerned by this trigger: nothing to do".into());
        }
        let mut failed = 0;
        for w in work {
            let t = self
                .reconcile_tgw(&executor, &vpns, &discovery, w, dry_run)
                .await?;
            failed += t.failed();
            outcome.tgws.push(t);
        }
        outcome.calls = executor.stats();
        outcome.finished_at = self.ports.clock.now();
        if failed > 0 {
            let planned = outcome.planned();
            return Err(EngineError::Incomplete {
                failed,
                planned,
                outcome: Box::new(outcome),
            });
        }
        Ok(outcome)
    }

    /// Map a trigger to the TGWs and groups it concerns, discovering groups from tags.
    async fn resolve(
        &self,
        trigger: &Trigger,
        vpns: &[VpnConnection],
        executor: &Executor,
    ) -> Result<(Vec<Work>, Discovery), EngineError> {
        // Tags alone say which TGWs hold groups; attachments are read only for those.
        let group_tgws: BTreeSet<TgwId> = vpns
            .iter()
            .filter(|v| is_tagged_member(v, &self.config.policy))
            .filter_map(|v| v.transit_gateway_id.clone())
            .collect();
        let vpn_tgw = |vpn: &tgw_ha_core::ids::VpnId| -> Result<TgwId, EngineError> {
            let v = vpns
                .iter()
                .find(|x| &x.id == vpn)
                .ok_or_else(|| EngineError::UnknownVpn { vpn: vpn.clone() })?;
            v.transit_gateway_id
                .clone()
                .ok_or_else(|| EngineError::NotOnTgw { vpn: vpn.clone() })
        };
        let tgws: Vec<TgwId> = match trigger {
            Trigger::Vpn { signal, .. } => vec![vpn_tgw(&signal.vpn)?],
            Trigger::Notice { vpn, .. } => vec![vpn_tgw(vpn)?],
            Trigger::Tgw { tgw, .. } => vec![tgw.clone()],
            _ => group_tgws.iter().cloned().collect(),
        };
        let attachments = try_join_all(tgws.iter().map(|t| async move {
            executor
                .call("DescribeTransitGatewayAttachments", false, || {
                    self.ports.network.vpn_attachments(t)
                })
                .await
                .0
        }))
        .await?
        .concat();
        let discovery = discover(vpns, &attachments, &self.config.policy);

        let check_group = |name: &GroupName| -> Result<TgwId, EngineError> {
            if let Some(g) = discovery.group(name) {
                return Ok(g.tgw.clone());
            }
            if let Some(bad) = discovery.invalid.iter().find(|g| &g.name == name) {
                return Err(EngineError::InvalidGroup {
                    group: name.clone(),
                    reason: bad.reason.clone(),
                });
            }
            Err(EngineError::UnknownGroup {
                group: name.clone(),
                known: discovery
                    .groups
                    .iter()
                    .map(|g| g.name.to_string())
                    .collect(),
            })
        };

        let work = match trigger {
            Trigger::Vpn { signal, .. } => {
                let scope: BTreeSet<GroupName> = discovery
                    .groups_of(&signal.vpn)
                    .map(|g| g.name.clone())
                    .collect();
                if scope.is_empty() {
                    vec![]
                } else {
                    vec![Work {
                        tgw: tgws[0].clone(),
                        scope: Some(scope),
                        directive: None,
                        signal: to_signal(signal),
                    }]
                }
            }
            Trigger::Notice { vpn, .. } => {
                let scope: BTreeSet<GroupName> =
                    discovery.groups_of(vpn).map(|g| g.name.clone()).collect();
                if scope.is_empty() {
                    vec![]
                } else {
                    vec![Work {
                        tgw: tgws[0].clone(),
                        scope: Some(scope),
                        directive: None,
                        signal: None,
                    }]
                }
            }
            Trigger::Tgw { tgw, .. } => vec![Work {
                tgw: tgw.clone(),
                scope: None,
                directive: None,
                signal: None,
            }],
            Trigger::All { .. } => tgws
                .iter()
                .map(|t| Work {
                    tgw: t.clone(),
                    scope: None,
                    directive: None,
                    signal: None,
                })
                .collect(),
            Trigger::Operator { action, .. } => {
                let directive = match action {
                    OperatorAction::Reconcile { .. } | OperatorAction::Status { .. } => None,
                    OperatorAction::Failover { group, to } => Some(Directive::Failover {
                        group: group.clone(),
                        to: to.clone(),
                    }),
                    OperatorAction::Failback { group } => Some(Directive::Failback {
                        group: group.clone(),
                    }),
                    OperatorAction::Pin { group, vpn, force } => Some(Directive::Pin {
                        group: group.clone(),
                        vpn: vpn.clone(),
                        force: *force,
                    }),
                    OperatorAction::Unpin { group } => Some(Directive::Unpin {
                        group: group.clone(),
                    }),
                };
                match action.group() {
                    Some(name) => {
                        let tgw = check_group(name)?;
                        vec![Work {
                            tgw,
                            scope: Some([name.clone()].into()),
                            directive,
                            signal: None,
                        }]
                    }
                    None => tgws
                        .iter()
                        .filter(|t| group_tgws.contains(*t))
                        .map(|t| Work {
                            tgw: t.clone(),
                            scope: None,
                            directive: None,
                            signal: None,
                        })
                        .collect(),
                }
            }
            Trigger::Ignore { .. } => vec![],
        };
        Ok((work, discovery))
    }

    async fn reconcile_tgw(
        &self,
        executor: &Executor,
        vpns: &[VpnConnection],
        discovery: &Discovery,
        work: Work,
        dry_run: bool,
    ) -> Result<TgwOutcome, EngineError> {
        let tgw = work.tgw.clone();
        if dry_run {
            return self
                .reconcile_locked(executor, vpns, discovery, work, true)
                .await;
        }
        let now = self.ports.clock.now();
        let owner = self.config.owner.as_str();
        if !self
            .ports
            .lease
            .acquire(&tgw, owner, self.config.lease_ttl, now)
            .await?
        {
            return Err(EngineError::Busy { tgw });
        }
        let result = self
            .reconcile_locked(executor, vpns, discovery, work, false)
            .await;
        if let Err(e) = self.ports.lease.release(&tgw, owner).await {
            // The lease expires on its own; a failed release only delays the next run.
            tracing::warn!(%tgw, error = %e, "could not release lease");
        }
        result
    }

    async fn reconcile_locked(
        &self,
        executor: &Executor,
        vpns: &[VpnConnection],
        discovery: &Discovery,
        work: Work,
        dry_run: bool,
    ) -> Result<TgwOutcome, EngineError> {
        let tgw = &work.tgw;
        let store = &self.ports.store;
        let loaded = store.load(tgw).await?;
        let mut state = loaded.value;
        let mut version = loaded.version;
        let horizon = self.ports.clock.now()
            - chrono::Duration::from_std(self.config.signal_horizon).unwrap_or_default();
        let mut dirty = false;
        if let Some(s) = work.signal.clone() {
            dirty |= state.record_signal(s);
        }
        let before = state.signals.len();
        state.prune_signals(horizon);
        dirty |= state.signals.len() != before;
        if dirty && !dry_run {
            version = store.save(tgw, version, &state).await?;
        }

        let observation = self.observe(executor, vpns, discovery, tgw).await?;
        let now = self.ports.clock.now();
        let plan = plan(&PlanInput {
            tgw,
            discovery,
            observation: &observation,
            state: &state,
            policy: &self.config.policy,
            scope: work.scope.as_ref(),
            directive: work.directive.as_ref(),
            now,
        })?;
        for g in &plan.groups {
            tracing::info!(
                group = %g.name, tgw = %g.tgw, status = g.status.as_str(),
                active = ?g.active.as_ref().map(|v| v.to_string()),
                desired = ?g.desired.as_ref().map(|v| v.to_string()),
                routes = g.routes, moves = g.moves, "decision"
            );
        }
        let mut out = TgwOutcome {
            tgw: tgw.clone(),
            groups: plan.groups.clone(),
            invalid: plan.invalid.clone(),
            planned: plan.moves.clone(),
            results: vec![],
            dropped: plan.ledger_drops.clone(),
            events: plan.events.clone(),
            notify_errors: vec![],
        };
        if dry_run || plan.is_noop() {
            return Ok(out);
        }

        // 2. Intent before any move.
        plan.record_intents(&mut state);
        version = store.save(tgw, version, &state).await?;

        // 3. Moves.
        let results = self.apply(executor, tgw, &plan).await;

        // 4. Settle the ledger on what happened.
        let (upserts, removals) = settle(&state, &results);
        state.apply_ledger(&upserts, &removals);
        if !upserts.is_empty() || !removals.is_empty() {
            save_retrying(store.as_ref(), tgw, version, &state).await?;
        }

        // 5. Notify: moves only if some happened; every other event (down, recovered, invalid
        // group, contradicted signal) always.
        let any_done = results.iter().any(|r| r.status == MoveStatus::Done);
        out.events.retain(|e| !e.kind.is_move() || any_done);
        for e in &out.events {
            if let Err(err) = self.ports.notifier.notify(e, self.ports.clock.now()).await {
                tracing::warn!(group = %e.group, error = %err, "notification failed");
                out.notify_errors.push(err.to_string());
            }
        }
        out.results = results;
        Ok(out)
    }

    /// Read what the plan needs of one TGW: its route tables, and in each, the static routes
    /// and prefix-list references pointing at any member of any group on it (one search per
    /// table covers every group: the filter takes many attachment ids).
    async fn observe(
        &self,
        executor: &Executor,
        vpns: &[VpnConnection],
        discovery: &Discovery,
        tgw: &TgwId,
    ) -> Result<Observation, EngineError> {
        let net = &self.ports.network;
        let (tables, _) = executor
            .call("DescribeTransitGatewayRouteTables", false, || {
                net.route_tables(tgw)
            })
            .await;
        let tables = tables?;
        let members: Vec<AttachmentId> = discovery
            .groups
            .iter()
            .filter(|g| &g.tgw == tgw)
            .flat_map(|g| g.members.iter().map(|m| m.attachment.clone()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut routes = Vec::new();
        if !members.is_empty() {
            let members = &members;
            let per_table = try_join_all(tables.iter().map(|t| async move {
                let (statics, _) = executor
                    .call("SearchTransitGatewayRoutes", false, || {
                        net.static_routes(&t.id, members)
                    })
                    .await;
                let (refs, _) = executor
                    .call("GetTransitGatewayPrefixListReferences", false, || {
                        net.prefix_list_references(&t.id, members)
                    })
                    .await;
                Ok::<_, NetError>([statics?, refs?].concat())
            }))
            .await?;
            routes = per_table.concat();
        }
        Ok(Observation {
            vpns: vpns.to_vec(),
            attachments: vec![],
            route_tables: tables,
            routes,
        })
    }

    async fn apply(&self, executor: &Executor, tgw: &TgwId, plan: &Plan) -> Vec<MoveResult> {
        let net = &self.ports.network;
        let mut stream = futures::stream::iter(plan.moves.iter().cloned())
            .map(|m| async move {
                let (r, attempts) = match &m.key.destination {
                    Destination::Cidr(cidr) => {
                        executor
                            .call("ReplaceTransitGatewayRoute", true, || {
                                net.replace_route(&m.key.table, cidr, &m.to)
                            })
                            .await
                    }
                    Destination::PrefixList(pl) => {
                        executor
                            .call("ModifyTransitGatewayPrefixListReference", true, || {
                                net.modify_prefix_list_reference(&m.key.table, pl, &m.to)
                            })
                            .await
                    }
                };
                let status = match r {
                    Ok(()) => MoveStatus::Done,
                    Err(NetError::RouteNotFound { .. }) => MoveStatus::Vanished,
                    Err(e) => MoveStatus::Failed {
                        retryable: e.is_retryable(),
                        error: e.to_string(),
                    },
                };
                tracing::info!(
                    table = %m.key.table, destination = %m.key.destination, to = %m.to,
                    kind = m.kind.as_str(), status = ?status, attempts, "move"
                );
                MoveResult {
                    planned: m,
                    status,
                    attempts,
                }
            })
            .buffer_unordered(executor.config().concurrency.max(1));

        let ttl = self.config.lease_ttl;
        let half = chrono::Duration::from_std(ttl / 2).unwrap_or_default();
        let mut renew_at = self.ports.clock.now() + half;
        let mut results = Vec::with_capacity(plan.moves.len());
        let mut lost: Option<String> = None;
        let total = plan.moves.len();
        let started = self.ports.clock.now();
        while let Some(r) = stream.next().await {
            results.push(r);
            let now = self.ports.clock.now();
            // A large failover runs at EC2's pace (5 moves/s past the burst): say how far along
            // it is, for the operator watching a CLI or a log stream.
            let done = results.len();
            if total > PROGRESS_EVERY && (done % PROGRESS_EVERY == 0 || done == total) {
                let elapsed = (now - started).num_milliseconds().max(1) as f64 / 1000.0;
                let eta = (total - done) as f64 * elapsed / done as f64;
                tracing::info!(
                    target: "tgw_ha::progress",
                    %tgw, done, total, elapsed_s = elapsed.round(), eta_s = eta.round(),
                    "moved {done} of {total} routes"
                );
            }
            if now >= renew_at {
                match self
                    .ports
                    .lease
                    .renew(tgw, &self.config.owner, ttl, now)
                    .await
                {
                    Ok(true) => renew_at = now + half,
                    Ok(false) => {
                        lost = Some(format!("lease on {tgw} lost to another run"));
                        break;
                    }
                    Err(e) => {
                        lost = Some(format!("lease on {tgw} could not be renewed: {e}"));
                        break;
                    }
                }
            }
        }
        drop(stream);
        if let Some(reason) = lost {
            tracing::error!(%reason, "stopping moves");
            let done: BTreeSet<_> = results.iter().map(|r| r.planned.key.clone()).collect();
            for m in plan.moves.iter().filter(|m| !done.contains(&m.key)) {
                results.push(MoveResult {
                    planned: m.clone(),
                    status: MoveStatus::Abandoned {
                        reason: reason.clone(),
                    },
                    attempts: 0,
                });
            }
        }
        results
    }
}

fn to_signal(s: &SignalEvent) -> Option<Signal> {
    s.status.map(|status| Signal {
        vpn: s.vpn.clone(),
        tunnel: s.tunnel.clone(),
        status,
        at: s.at,
        source: s.source,
    })
}

/// Ledger changes once moves are done: a route that reached home leaves the ledger; a route
/// that vanished leaves it; a move that failed leaves the route where it was, so its entry is
/// put back to match (removed if that is home).
fn settle(
    state: &TgwState,
    results: &[MoveResult],
) -> (
    Vec<tgw_ha_core::state::LedgerEntry>,
    Vec<tgw_ha_core::model::RouteKey>,
) {
    let ledger = state.ledger_map();
    let mut upserts = Vec::new();
    let mut removals = Vec::new();
    for r in results {
        let m: &Move = &r.planned;
        let stays_at = match &r.status {
            MoveStatus::Done => Some(&m.to),
            MoveStatus::Vanished => None,
            MoveStatus::Failed { .. } | MoveStatus::Abandoned { .. } => m.from.as_ref(),
        };
        match stays_at {
            Some(at) if at == &m.home => removals.push(m.key.clone()),
            Some(at) => {
                if let Some(e) = ledger.get(&m.key)
                    && &e.current != at
                {
                    let mut e = (*e).clone();
                    e.current = at.clone();
                    upserts.push(e);
                }
            }
            // A vanished route, or a failed move of a blackhole route (no attachment): a
            // vanished one leaves, a blackhole one stays owned so the next run finds it.
            None => {
                if r.status == MoveStatus::Vanished {
                    removals.push(m.key.clone());
                }
            }
        }
    }
    (upserts, removals)
}

/// The settle write must not be lost to a transient store error: the routes have moved.
async fn save_retrying(
    store: &dyn crate::ports::StateStore,
    tgw: &TgwId,
    version: u64,
    state: &TgwState,
) -> Result<u64, StoreError> {
    let mut last = None;
    for _ in 0..3 {
        match store.save(tgw, version, state).await {
            Ok(v) => return Ok(v),
            Err(e @ StoreError::Unavailable(_)) => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.expect("three attempts"))
}
