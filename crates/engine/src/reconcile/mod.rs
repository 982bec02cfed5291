//! The observe → decide → apply loop, one TGW at a time under that TGW's lease.
//!
//! Order of writes, chosen so that a crash at any point leaves the next run able to converge:
//! 1. the trigger's signal is stored (so a later telemetry-only pass does not undo it);
//! 2. ledger intents for routes leaving home, drops and group state are stored;
//! 3. moves are applied (paced, retried), none started past the run's deadline less a margin;
//! 4. the ledger is settled: routes now home leave it, failed moves are put back as observed;
//! 5. notifications; 6. the stored signals are read again, and if a run that met the lease
//!    stored a new one meanwhile, 2–6 run again (at most [`MAX_PASSES`] in all); 7. the lease
//!    is released.
//!
//! A crash between 2 and 4 leaves intents for routes that may not have moved: harmless, the
//! next pass reads the routes and the ledger only says who owns them.
//!
//! TGWs are independent: each is reconciled under its own lease whatever happened to the
//! others, and the run fails only after every TGW was tried ([`EngineError::Incomplete`] names
//! the ones that failed).
//!
//! A run that meets another's lease does not fail when it only asked for a look (a sweep, a
//! routing update, a notice, an alarm without a verdict): the holder, or the next sweep, sees the
//! same world. A DOWN or UP signal is stored anyway (compare-and-set on the state, no lease), and
//! the holder acts on it. So every save of the holder survives a conflict with such a writer:
//! it reloads, takes the signals the writer added ([`merge_stored_signals`]) and keeps its own
//! value of every other field.

mod apply;
mod resolve;
mod settle;

pub use settle::merge_stored_signals;
use settle::{absorb, settle};

use crate::executor::Executor;
use crate::layer::Ec2Action;
use crate::outcome::{
    DEADLINE_REASON, EngineError, MoveResult, MoveStatus, Outcome, TgwError, TgwOutcome,
};
use crate::ports::{NetError, Ports, StoreError};
use futures::StreamExt;
use futures::future::{join_all, try_join_all};
use std::collections::BTreeSet;
use std::time::Duration;
use tgw_ha_core::Timestamp;
use tgw_ha_core::groups::{Discovery, discover, is_tagged_member};
use tgw_ha_core::ids::{AttachmentId, GroupName, TgwId};
use tgw_ha_core::model::{Destination, Observation, VpnConnection};
use tgw_ha_core::planner::{Directive, Move, Plan, PlanInput, plan};
use tgw_ha_core::policy::Policy;
use tgw_ha_core::state::{Signal, TgwState};
use tgw_ha_core::trigger::{SignalEvent, Trigger};

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
    /// With a deadline ([`RunOptions::deadline`]), no move is started later than this before
    /// it: time for the moves in flight to land, the ledger to be settled, notifications to be
    /// sent and the lease to be released, so that the next run starts at once.
    pub deadline_margin: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            policy: Policy::default(),
            executor: Default::default(),
            lease_ttl: Duration::from_secs(120),
            owner: "tgw-ha".into(),
            signal_horizon: Duration::from_secs(7 * 24 * 3600),
            deadline_margin: Duration::from_secs(10),
        }
    }
}

/// When a run must be over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    /// An instant: a Lambda invocation's deadline.
    At(Timestamp),
    /// A duration from the start of the run (on the engine's clock): the CLI's `--max-duration`.
    In(Duration),
}

/// Per-run options of [`Engine::handle_with`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// Stop starting moves [`EngineConfig::deadline_margin`] before this; the moves not made
    /// are left for the next run (`Incomplete`, retryable).
    pub deadline: Option<Deadline>,
}

/// How often (in moves) a large run reports its progress.
const PROGRESS_EVERY: usize = 50;

/// Passes of one run over one TGW: the first, and again while signals stored by runs that met
/// the lease change what to do. Bounded, so that a flapping VPN cannot hold the lease forever;
/// the next sweep takes over from there.
pub const MAX_PASSES: usize = 3;

/// Saves of the lease holder that may meet a signal writer's save before one lands.
const CONFLICT_RETRIES: usize = 5;

/// Attempts of a signal writer that meets other writers.
const SIGNAL_WRITE_ATTEMPTS: usize = 5;

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
    /// Only a look (a sweep, a routing update, a notice, an alarm without a verdict): when
    /// another run holds the lease, that run or the next sweep sees the same world, so there is
    /// nothing to fail for.
    look: bool,
}

/// One run's settings, shared by every TGW it reconciles.
struct Run {
    executor: Executor,
    dry_run: bool,
    /// The run's deadline, and when the last move may start (deadline less the margin).
    deadline: Option<(Timestamp, Timestamp)>,
}

impl Run {
    fn stop(&self) -> Option<Timestamp> {
        self.deadline.map(|(_, stop)| stop)
    }
}

/// The lease holder's knowledge of the stored state: the version its next save compares with,
/// and the signals as stored at that version (to tell the ones others added since).
struct Held {
    version: u64,
    signals: Vec<Signal>,
}

impl Engine {
    pub fn new(ports: Ports, config: EngineConfig) -> Self {
        Self { ports, config }
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Handle one trigger, with no deadline. See [`Engine::handle_with`].
    pub async fn handle(&self, trigger: &Trigger) -> Result<Outcome, EngineError> {
        self.handle_with(trigger, &RunOptions::default()).await
    }

    /// Handle one trigger. `Err(Incomplete)` carries the outcome of a run that did part of its
    /// work: some moves failed, some were left for the next run (deadline), or some TGWs
    /// failed while the others were reconciled. Every other error means nothing was changed
    /// by this run.
    pub async fn handle_with(
        &self,
        trigger: &Trigger,
        options: &RunOptions,
    ) -> Result<Outcome, EngineError> {
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
        let margin = chrono::Duration::from_std(self.config.deadline_margin).unwrap_or_default();
        let run = Run {
            executor: Executor::new(self.ports.clock.clone(), self.config.executor.clone()),
            dry_run,
            deadline: options.deadline.map(|d| {
                let at = match d {
                    Deadline::At(t) => t,
                    Deadline::In(d) => {
                        started_at + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
                    }
                };
                (at, at - margin)
            }),
        };
        let executor = &run.executor;

        let (vpns, _) = executor
            .call(Ec2Action::DescribeVpnConnections, || {
                self.ports.network.vpn_connections()
            })
            .await;
        let vpns = vpns?;
        let (work, discovery, unreadable) = self.resolve(trigger, &vpns, executor).await?;
        let tried = work.len() + unreadable.len();
        let mut errors: Vec<EngineError> = Vec::new();
        for (tgw, e) in unreadable {
            let e = EngineError::from(e);
            tracing::error!(%tgw, error = %e, "cannot read this transit gateway's attachments; going on with the others");
            outcome.tgws.push(TgwOutcome::failed_with(tgw, &e));
            errors.push(e);
        }
        if work.is_empty() && tried == 0 {
            outcome
                .notes
                .push("no group is concerned by this trigger: nothing to do".into());
        }
        let mut failed = 0;
        for w in work {
            let tgw = w.tgw.clone();
            if !dry_run
                && let Some((deadline, stop)) = run.deadline
                && self.ports.clock.now() >= stop
            {
                tracing::warn!(%tgw, %deadline, "deadline near: this transit gateway is left for the next run");
                outcome.tgws.push(TgwOutcome {
                    error: Some(TgwError {
                        kind: "Deadline".into(),
                        message: format!(
                            "not started: the run's deadline {deadline} was near; the next run \
                             continues"
                        ),
                        retryable: true,
                    }),
                    ..TgwOutcome::empty(tgw)
                });
                continue;
            }
            match self.reconcile_tgw(&run, &vpns, &discovery, w).await {
                Ok((t, notes)) => {
                    failed += t.failed();
                    outcome.tgws.push(t);
                    outcome.notes.extend(notes);
                }
                // One TGW never blocks another: note why and go on.
                Err(e) => {
                    tracing::error!(%tgw, error = %e, "reconcile of this transit gateway failed; going on with the others");
                    outcome.tgws.push(TgwOutcome::failed_with(tgw, &e));
                    errors.push(e);
                }
            }
        }
        outcome.calls = executor.stats();
        outcome.finished_at = self.ports.clock.now();
        // A trigger about one TGW fails with that TGW's own error, as it always did.
        if tried == 1 && errors.len() == 1 {
            return Err(errors.pop().expect("one error"));
        }
        if failed > 0 || outcome.tgws.iter().any(|t| t.error.is_some()) {
            let planned = outcome.planned();
            return Err(EngineError::Incomplete {
                failed,
                planned,
                outcome: Box::new(outcome),
            });
        }
        Ok(outcome)
    }

    /// Reconcile one TGW under its lease. Returns its outcome and notes for the run.
    async fn reconcile_tgw(
        &self,
        run: &Run,
        vpns: &[VpnConnection],
        discovery: &Discovery,
        work: Work,
    ) -> Result<(TgwOutcome, Vec<String>), EngineError> {
        let tgw = work.tgw.clone();
        if run.dry_run {
            let out = self.reconcile_locked(run, vpns, discovery, work).await?;
            return Ok((out, vec![]));
        }
        let now = self.ports.clock.now();
        let owner = self.config.owner.as_str();
        if !self
            .ports
            .lease
            .acquire(&tgw, owner, self.config.lease_ttl, now)
            .await?
        {
            return self.met_busy_lease(work).await;
        }
        let result = self.reconcile_locked(run, vpns, discovery, work).await;
        if let Err(e) = self.ports.lease.release(&tgw, owner).await {
            // The lease expires on its own; a failed release only delays the next run.
            tracing::warn!(%tgw, error = %e, "could not release lease");
        }
        result.map(|out| (out, vec![]))
    }

    /// Another run holds the TGW's lease. A signal is stored for it to act on; a look succeeds
    /// (that run, or the next sweep, sees the same world); an operator's action is `Busy`.
    ///
    /// The holder reads the stored signals again after each pass, just before it releases the
    /// lease: a signal stored in the instant between that read and the release is acted on by
    /// the next sweep (a minute at most), never lost.
    async fn met_busy_lease(&self, work: Work) -> Result<(TgwOutcome, Vec<String>), EngineError> {
        let tgw = work.tgw;
        if let Some(signal) = work.signal {
            let what = format!("{} {} at {}", signal.vpn, signal.status, signal.at);
            let stored = self.store_signal(&tgw, signal).await?;
            let note = if stored {
                format!(
                    "another run holds the lease on {tgw}: signal stored ({what}); the run \
                     holding the lease acts on it"
                )
            } else {
                format!(
                    "another run holds the lease on {tgw}: signal ({what}) already known (a \
                     newer one is stored); nothing to do"
                )
            };
            tracing::info!(%tgw, stored, "lease busy: signal stored for its holder");
            return Ok((TgwOutcome::empty(tgw), vec![note]));
        }
        if work.look {
            tracing::info!(%tgw, "lease busy: a look, left to the holder");
            let note = format!(
                "another run holds the lease on {tgw}; it (or the next sweep) sees the same world"
            );
            return Ok((TgwOutcome::empty(tgw), vec![note]));
        }
        Err(EngineError::Busy { tgw })
    }

    async fn reconcile_locked(
        &self,
        run: &Run,
        vpns: &[VpnConnection],
        discovery: &Discovery,
        work: Work,
    ) -> Result<TgwOutcome, EngineError> {
        let tgw = &work.tgw;
        let loaded = self.ports.store.load(tgw).await?;
        let mut state = loaded.value;
        let mut held = Held {
            version: loaded.version,
            signals: state.signals.clone(),
        };
        let horizon = self.ports.clock.now()
            - chrono::Duration::from_std(self.config.signal_horizon).unwrap_or_default();
        let mut dirty = false;
        if let Some(s) = work.signal.clone() {
            dirty |= state.record_signal(s);
        }
        let before = state.signals.len();
        state.prune_signals(horizon);
        dirty |= state.signals.len() != before;
        if dirty && !run.dry_run {
            self.save_held(tgw, &mut held, &mut state).await?;
        }

        let mut scope = work.scope.clone();
        let mut directive = work.directive.clone();
        let mut out: Option<TgwOutcome> = None;
        for pass in 1..=MAX_PASSES {
            if pass > 1 && !self.renew(tgw).await {
                break;
            }
            let observation = self.observe(&run.executor, vpns, discovery, tgw).await?;
            let now = self.ports.clock.now();
            let plan = plan(&PlanInput {
                tgw,
                discovery,
                observation: &observation,
                state: &state,
                policy: &self.config.policy,
                scope: scope.as_ref(),
                directive: directive.as_ref(),
                now,
            })?;
            for g in &plan.groups {
                tracing::info!(
                    group = %g.name, tgw = %g.tgw, status = g.status.as_str(),
                    active = ?g.active.as_ref().map(|v| v.to_string()),
                    desired = ?g.desired.as_ref().map(|v| v.to_string()),
                    routes = g.routes, moves = g.moves, pass, "decision"
                );
            }
            let mut this = TgwOutcome {
                tgw: tgw.clone(),
                groups: plan.groups.clone(),
                invalid: plan.invalid.clone(),
                planned: plan.moves.clone(),
                results: vec![],
                dropped: plan.ledger_drops.clone(),
                events: plan.events.clone(),
                notify_errors: vec![],
                error: None,
            };
            if run.dry_run {
                return Ok(this);
            }
            // Signals others store from here on were not planned with.
            let mut taken = Vec::new();
            let mut stopped = false;
            if !plan.is_noop() {
                // 2. Intent before any move.
                plan.record_intents(&mut state);
                taken.extend(self.save_held(tgw, &mut held, &mut state).await?);

                // 3. Moves.
                let results = self.apply(run, tgw, &plan).await;
                stopped = results
                    .iter()
                    .any(|r| matches!(r.status, MoveStatus::Abandoned { .. }));

                // 4. Settle the ledger on what happened.
                let (upserts, removals) = settle(&state, &results);
                state.apply_ledger(&upserts, &removals);
                if !upserts.is_empty() || !removals.is_empty() {
                    taken.extend(self.save_held(tgw, &mut held, &mut state).await?);
                }

                // 5. Notify: moves only if some happened; every other event (down, recovered,
                // invalid group, contradicted signal) always.
                let any_done = results.iter().any(|r| r.status == MoveStatus::Done);
                this.events.retain(|e| !e.kind.is_move() || any_done);
                for e in &this.events {
                    if let Err(err) = self.ports.notifier.notify(e, self.ports.clock.now()).await {
                        tracing::warn!(group = %e.group, error = %err, "notification failed");
                        this.notify_errors.push(err.to_string());
                    }
                }
                this.results = results;
            }
            match &mut out {
                None => out = Some(this),
                Some(o) => absorb(o, this),
            }

            // 6. A signal stored meanwhile by a run that met the lease is this run's to act on.
            taken.extend(self.reread_signals(tgw, &mut held, &mut state).await?);
            if taken.is_empty() || stopped {
                break;
            }
            if pass == MAX_PASSES {
                tracing::warn!(%tgw, passes = pass, "signals keep changing; the next sweep takes over");
                break;
            }
            tracing::info!(
                %tgw, pass, signals = taken.len(),
                "signals stored by another run during this one: planning again"
            );
            if let Some(scope) = &mut scope {
                for s in &taken {
                    scope.extend(discovery.groups_of(&s.vpn).map(|g| g.name.clone()));
                }
            }
            // The operator's directive was applied; again it would move a group twice.
            directive = None;
        }
        Ok(out.expect("at least one pass"))
    }

    /// Renew the lease between passes; `false` (logged) when it is lost.
    async fn renew(&self, tgw: &TgwId) -> bool {
        let now = self.ports.clock.now();
        match self
            .ports
            .lease
            .renew(tgw, &self.config.owner, self.config.lease_ttl, now)
            .await
        {
            Ok(true) => true,
            Ok(false) => {
                tracing::warn!(%tgw, "lease lost between passes; the next run takes over");
                false
            }
            Err(e) => {
                tracing::warn!(%tgw, error = %e, "lease not renewed between passes; the next run takes over");
                false
            }
        }
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
