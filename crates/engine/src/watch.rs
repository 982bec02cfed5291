//! Watch mode: detection in seconds instead of minutes.
//!
//! The alarm path waits for CloudWatch (a one-minute `TunnelState` datapoint, then the alarm's
//! evaluation: one to three minutes after the tunnels drop). A watcher reads the tunnels itself:
//! every `interval` it makes one `DescribeVpnConnections` call (every VPN of the Region, with
//! telemetry and tags; the call does not paginate), paced through the executor's read budget
//! like every other read. It computes each member VPN's health the way the planner does
//! (`health::assess` over telemetry and the signals stored for its TGW) and compares it with the
//! previous poll. For every VPN whose health changed it runs the ordinary engine at once, on a
//! [`Trigger::Vpn`] with no status: "look at this VPN's groups", which stores nothing. So the
//! watcher decides nothing itself; the same engine, ledger and per-TGW leases as every other
//! trigger do the work, and a watcher that dies loses nothing the sweep would not catch.
//!
//! Contract:
//! - One watcher per state table at a time: a lease on the fixed key [`WATCH_LEASE_KEY`] (the
//!   [`Lease`](crate::ports::Lease) port, as if it were a TGW id), renewed every poll. A second
//!   watcher is refused at once ([`WatchError::Busy`]); one whose lease was taken over (it
//!   stalled past the TTL) stops at its next poll.
//! - The first poll is a sweep of every group: what changed before the watcher started (or
//!   between two Lambda watchers) is not missed. After that, only changes start runs: a quiet
//!   estate costs one read per interval and nothing else.
//! - A run that could not finish its look (a retryable error, or another run held the TGW's
//!   lease) leaves that VPN's previous health in place, so the next poll sees the change again
//!   and retries: a change is acted on or retried, never dropped.
//! - An error in a poll is logged and counted; the loop goes on. Only the deadline, the end of
//!   `max_duration`, a lost lease or a shutdown request end it.
//! - The loop stops polling the engine's deadline margin before the deadline, and each run is
//!   given the same deadline, so a Lambda watcher returns (lease released) before Lambda stops it.

use crate::executor::Executor;
use crate::layer::Ec2Action;
use crate::outcome::{EngineError, Outcome};
use crate::ports::{Ports, StoreError};
use crate::reconcile::{Deadline, Engine, EngineConfig, RunOptions};
use futures::future::{Either, join_all, select};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tgw_ha_core::Timestamp;
use tgw_ha_core::groups::group_tags;
use tgw_ha_core::health::assess;
use tgw_ha_core::ids::{TgwId, VpnId};
use tgw_ha_core::model::VpnConnection;
use tgw_ha_core::state::{Signal, SignalSource};
use tgw_ha_core::trigger::{SignalEvent, Trigger};

/// The key of the watch lease in the lease table. Not a TGW id (those start with `tgw-`), so it
/// never meets a TGW's lease; under a multi-Region deployment the scoped lease makes it
/// `<region>/watch` for the Regions other than the home one.
pub const WATCH_LEASE_KEY: &str = "watch";

/// The default poll interval.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// How often a watcher says it is alive in its log (and how much it has seen).
const HEARTBEAT_EVERY: Duration = Duration::from_secs(60);

/// Error messages kept in the summary: the last few are enough to say what went wrong.
const ERRORS_KEPT: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchConfig {
    /// Time between the starts of two polls.
    pub interval: Duration,
    /// The watch lease's lifetime; renewed every poll. `None`: four intervals, at least a
    /// minute, so that a poll that runs a large failover (tens of seconds) does not lose it,
    /// while a watcher that died is replaced within a minute or two.
    pub lease_ttl: Option<Duration>,
    /// Sweep every group on the first poll (default). Off: the first poll only records health.
    pub sweep_first: bool,
}

impl Default for WatchConfig {
    fn default() -> Self {
        Self {
            interval: DEFAULT_INTERVAL,
            lease_ttl: None,
            sweep_first: true,
        }
    }
}

impl WatchConfig {
    pub fn with_interval(interval: Duration) -> Self {
        Self {
            interval,
            ..Self::default()
        }
    }

    pub fn lease_ttl(&self) -> Duration {
        self.lease_ttl
            .unwrap_or_else(|| (self.interval * 4).max(Duration::from_secs(60)))
    }
}

/// Why a watch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WatchEnd {
    /// The deadline (less the engine's margin) or the end of `max_duration` came.
    Deadline,
    /// Another watcher took the watch lease (this one had stalled past its TTL).
    LeaseLost,
    /// Asked to stop (Ctrl-C, SIGTERM).
    Shutdown,
}

/// What a watch did, for its log line, the Lambda's response and the CLI's output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WatchSummary {
    /// Who held the watch lease.
    pub owner: String,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
    pub interval_ms: u64,
    /// Polls that read the VPNs (or tried to).
    pub polls: u64,
    /// Polls whose read failed (the loop went on).
    pub poll_errors: u64,
    /// Member VPNs whose health changed between two polls.
    pub changes: u64,
    /// Engine runs started (the first poll's sweep included).
    pub runs: u64,
    /// Routes moved by those runs.
    pub moves: usize,
    /// Runs that failed or could not finish (retried at the next poll when retryable).
    pub run_errors: u64,
    pub end: WatchEnd,
    /// The last few errors, newest last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

impl WatchSummary {
    fn error(&mut self, e: String) {
        if self.errors.len() == ERRORS_KEPT {
            self.errors.remove(0);
        }
        self.errors.push(e);
    }

    /// One line for people.
    pub fn describe(&self) -> String {
        let secs = (self.finished_at - self.started_at).num_milliseconds() as f64 / 1000.0;
        format!(
            "watched {secs:.0}s every {:.1}s: {} polls ({} failed), {} health changes, {} runs \
             ({} failed), {} routes moved; ended: {}",
            self.interval_ms as f64 / 1000.0,
            self.polls,
            self.poll_errors,
            self.changes,
            self.runs,
            self.run_errors,
            self.moves,
            match self.end {
                WatchEnd::Deadline => "deadline",
                WatchEnd::LeaseLost => "watch lease taken over by another watcher",
                WatchEnd::Shutdown => "shutdown requested",
            }
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error(
        "another watcher holds the watch lease ({key}) of this state table: one watcher per \
         table at a time, so this one exits. It can take over once that watcher stops (at once \
         when it ends cleanly, within {ttl_secs} s when it dies)"
    )]
    Busy { key: TgwId, ttl_secs: u64 },
    #[error("cannot take the watch lease ({key}): {source}")]
    Lease { key: TgwId, source: StoreError },
    #[error("watch interval {0:?} is too short: at least 1 s")]
    Interval(Duration),
}

impl WatchError {
    pub fn is_retryable(&self) -> bool {
        match self {
            WatchError::Busy { .. } => true,
            WatchError::Lease { source, .. } => source.is_retryable(),
            WatchError::Interval(_) => false,
        }
    }
}

/// Called after every engine run of a watch, with its trigger and result (the Lambda turns each
/// into its log line and metrics as it happens, not at the end of a 15-minute invocation).
pub type RunObserver = Box<dyn Fn(&Trigger, &Result<Outcome, EngineError>) + Send + Sync>;

/// A future that completes when the watch should stop (a signal handler).
pub type Shutdown = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The health that matters for a decision: healthy, and (only when failback is on) stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    healthy: bool,
    stable: bool,
}

pub struct Watcher {
    engine: Engine,
    ports: Ports,
    config: WatchConfig,
    observer: Option<RunObserver>,
}

impl Watcher {
    /// A watcher over `ports`, whose runs are those of an engine with `engine` (its owner is the
    /// watch lease's owner too). Front ends get one from [`crate::service::Service::watcher`],
    /// which applies the service's rules (ledger, Region ownership, scoped keys) first.
    pub fn new(ports: Ports, engine: EngineConfig, config: WatchConfig) -> Self {
        Self {
            // One long-lived engine, not a `Service::run` per change: a watcher makes a run per
            // health change every few seconds over the same ports and lease owner, and the
            // service's per-run rules (Region choice, ledger refusal, dry run, alarm sync) were
            // settled once when the watcher was built.
            engine: Engine::new(ports.clone(), engine),
            ports,
            config,
            observer: None,
        }
    }

    pub fn with_observer(mut self, observer: RunObserver) -> Self {
        self.observer = Some(observer);
        self
    }

    pub fn config(&self) -> &WatchConfig {
        &self.config
    }

    fn key() -> TgwId {
        TgwId::new(WATCH_LEASE_KEY)
    }

    /// Take the watch lease and return a session whose [`Watch::poll`] does one poll. [`run`]
    /// is this in a loop; tests drive the polls themselves.
    ///
    /// [`run`]: Watcher::run
    pub async fn start(&self, options: &RunOptions) -> Result<Watch<'_>, WatchError> {
        if self.config.interval < Duration::from_secs(1) {
            return Err(WatchError::Interval(self.config.interval));
        }
        let clock = &self.ports.clock;
        let now = clock.now();
        let owner = self.engine.config().owner.clone();
        let ttl = self.config.lease_ttl();
        let key = Self::key();
        match self.ports.lease.acquire(&key, &owner, ttl, now).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(key = %key, owner, "another watcher holds the watch lease; exiting");
                return Err(WatchError::Busy {
                    key,
                    ttl_secs: ttl.as_secs(),
                });
            }
            Err(source) => return Err(WatchError::Lease { key, source }),
        }
        let margin =
            chrono::Duration::from_std(self.engine.config().deadline_margin).unwrap_or_default();
        let deadline = options.deadline.map(|d| {
            let at = match d {
                Deadline::At(t) => t,
                Deadline::In(d) => {
                    now + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
                }
            };
            (at, at - margin)
        });
        tracing::info!(
            owner, interval_ms = self.config.interval.as_millis() as u64,
            deadline = ?deadline.map(|(at, _)| at.to_rfc3339()),
            lease_ttl_s = ttl.as_secs(), "watch started"
        );
        Ok(Watch {
            w: self,
            executor: Executor::new(clock.clone(), self.engine.config().executor.clone()),
            owner: owner.clone(),
            deadline,
            baseline: None,
            signals: BTreeMap::new(),
            held: true,
            summary: WatchSummary {
                owner,
                started_at: now,
                finished_at: now,
                interval_ms: self.config.interval.as_millis() as u64,
                polls: 0,
                poll_errors: 0,
                changes: 0,
                runs: 0,
                moves: 0,
                run_errors: 0,
                end: WatchEnd::Deadline,
                errors: vec![],
            },
        })
    }

    /// Watch until the deadline of `options` (less the engine's margin), forever without one,
    /// or until `shutdown` completes (checked between polls: a run in progress finishes first,
    /// so no failover is cut in half). The lease is released on every exit but a crash.
    pub async fn run(
        &self,
        options: &RunOptions,
        shutdown: Option<Shutdown>,
    ) -> Result<WatchSummary, WatchError> {
        let mut watch = self.start(options).await?;
        let clock = self.ports.clock.clone();
        let interval = chrono::Duration::from_std(self.config.interval).unwrap_or_default();
        let mut shutdown = shutdown;
        let mut heartbeat = clock.now();
        let beat = chrono::Duration::from_std(HEARTBEAT_EVERY).unwrap_or_default();
        loop {
            let started = clock.now();
            if watch.poll().await == Poll::Stop {
                break;
            }
            let next = started + interval;
            if watch.stop().is_some_and(|stop| next >= stop) {
                watch.summary.end = WatchEnd::Deadline;
                break;
            }
            if next - heartbeat >= beat {
                heartbeat = next;
                let s = &watch.summary;
                tracing::info!(
                    polls = s.polls,
                    poll_errors = s.poll_errors,
                    changes = s.changes,
                    runs = s.runs,
                    moves = s.moves,
                    run_errors = s.run_errors,
                    "watching"
                );
            }
            let sleep = clock.sleep_until(next);
            match shutdown.take() {
                None => sleep.await,
                Some(stop) => match select(sleep, stop).await {
                    Either::Left((_, stop)) => shutdown = Some(stop),
                    Either::Right(_) => {
                        tracing::info!("shutdown requested: the watch stops");
                        watch.summary.end = WatchEnd::Shutdown;
                        break;
                    }
                },
            }
        }
        Ok(watch.finish().await)
    }
}

/// What [`Watch::poll`] says about the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Poll {
    Continue,
    Stop,
}

/// A watcher holding the watch lease.
pub struct Watch<'w> {
    w: &'w Watcher,
    executor: Executor,
    owner: String,
    /// The deadline, and when the last poll may start (the deadline less the engine's margin).
    deadline: Option<(Timestamp, Timestamp)>,
    /// Each member VPN's health as last acted on; `None` until the first poll succeeded.
    baseline: Option<BTreeMap<VpnId, Seen>>,
    /// The signals last read for each TGW: kept when a read of the store fails.
    signals: BTreeMap<TgwId, Vec<Signal>>,
    held: bool,
    summary: WatchSummary,
}

impl Watch<'_> {
    fn stop(&self) -> Option<Timestamp> {
        self.deadline.map(|(_, stop)| stop)
    }

    pub fn summary(&self) -> &WatchSummary {
        &self.summary
    }

    /// Renew the watch lease; `false` when another watcher has it.
    async fn renew(&mut self) -> bool {
        let w = self.w;
        let now = w.ports.clock.now();
        let key = Watcher::key();
        match w
            .ports
            .lease
            .renew(&key, &self.owner, w.config.lease_ttl(), now)
            .await
        {
            Ok(true) => true,
            Ok(false) => {
                tracing::error!(key = %key, "watch lease taken over by another watcher: this one stops");
                self.held = false;
                self.summary.end = WatchEnd::LeaseLost;
                self.summary
                    .error("watch lease taken over by another watcher".into());
                false
            }
            // The store may be back at the next poll, well within the lease's TTL.
            Err(e) => {
                tracing::warn!(key = %key, error = %e, "watch lease not renewed; going on");
                true
            }
        }
    }

    /// One poll: renew the lease, read every VPN, run the engine for what changed. Errors are
    /// logged and counted, never returned: the loop goes on.
    pub async fn poll(&mut self) -> Poll {
        if self.summary.polls > 0 && !self.renew().await {
            return Poll::Stop;
        }
        let w = self.w;
        let now = w.ports.clock.now();
        if self.stop().is_some_and(|s| now >= s) {
            self.summary.end = WatchEnd::Deadline;
            return Poll::Stop;
        }
        self.summary.polls += 1;
        let read = self
            .executor
            .call_before(Ec2Action::DescribeVpnConnections, self.stop(), || {
                w.ports.network.vpn_connections()
            })
            .await;
        let vpns = match read {
            None => {
                self.summary.end = WatchEnd::Deadline;
                return Poll::Stop;
            }
            Some((Ok(v), _)) => v,
            Some((Err(e), attempts)) => {
                self.summary.poll_errors += 1;
                tracing::warn!(error = %e, attempts, "watch poll failed; the next poll tries again");
                self.summary
                    .error(format!("poll at {}: {e}", now.to_rfc3339()));
                return Poll::Continue;
            }
        };
        let health = self.assess(&vpns).await;

        let Some(baseline) = &self.baseline else {
            if !w.config.sweep_first {
                self.baseline = Some(health);
                return Poll::Continue;
            }
            // The first poll sweeps: a change from before the watcher started is not missed.
            let trigger = Trigger::All { region: None };
            if self.run_one(&trigger).await {
                self.baseline = Some(health);
            }
            return Poll::Continue;
        };

        let changed: Vec<&VpnConnection> = vpns
            .iter()
            .filter(|v| {
                health
                    .get(&v.id)
                    .is_some_and(|now| baseline.get(&v.id) != Some(now))
            })
            .collect();
        // Members no longer seen (untagged, gone) leave the baseline; the rest stay as acted on.
        let mut next: BTreeMap<VpnId, Seen> = baseline
            .iter()
            .filter(|(id, _)| health.contains_key(*id))
            .map(|(id, s)| (id.clone(), *s))
            .collect();
        if changed.is_empty() {
            self.baseline = Some(next);
            return Poll::Continue;
        }
        self.summary.changes += changed.len() as u64;
        for v in &changed {
            let (was, is) = (baseline.get(&v.id), health[&v.id]);
            tracing::info!(
                vpn = %v.id, name = v.name().unwrap_or(""),
                healthy_before = ?was.map(|s| s.healthy), healthy = is.healthy,
                stable_before = ?was.map(|s| s.stable), stable = is.stable,
                "member health changed"
            );
        }

        // One run per changed VPN whose groups are not all covered by earlier runs; a VPN whose
        // groups are covered rides on the runs that cover them (mutual backups: one run).
        let policy = &w.engine.config().policy;
        let mut runs: Vec<PlannedRun> = Vec::new();
        let mut riders: Vec<(VpnId, Vec<usize>)> = Vec::new();
        for v in &changed {
            let Some(tgw) = &v.transit_gateway_id else {
                continue;
            };
            let groups: BTreeSet<String> = group_tags(v, policy)
                .map(|(k, _, _)| k.to_owned())
                .collect();
            let covering: Vec<usize> = runs
                .iter()
                .enumerate()
                .filter(|(_, r)| &r.tgw == tgw && !r.groups.is_disjoint(&groups))
                .map(|(i, _)| i)
                .collect();
            let covered: BTreeSet<&String> = covering
                .iter()
                .flat_map(|i| runs[*i].groups.iter())
                .collect();
            if groups.iter().all(|g| covered.contains(g)) {
                riders.push((v.id.clone(), covering));
            } else {
                riders.push((v.id.clone(), vec![runs.len()]));
                runs.push(PlannedRun {
                    tgw: tgw.clone(),
                    vpn: v.id.clone(),
                    groups,
                });
            }
        }

        // TGWs are independent: their runs go at once; on one TGW they take turns (its lease).
        let mut by_tgw: BTreeMap<&TgwId, Vec<usize>> = BTreeMap::new();
        for (i, r) in runs.iter().enumerate() {
            by_tgw.entry(&r.tgw).or_default().push(i);
        }
        let this = &*self;
        let results = join_all(by_tgw.into_values().map(|list| {
            let runs = &runs;
            async move {
                let mut out = Vec::new();
                for i in list {
                    out.push((i, this.run_shared(&look_at(&runs[i].vpn, now)).await));
                }
                out
            }
        }))
        .await;
        let mut ok = vec![false; runs.len()];
        let mut stats = Vec::new();
        for (i, (done, s)) in results.into_iter().flatten() {
            ok[i] = done;
            stats.push(s);
        }
        self.absorb(stats);
        for (vpn, covering) in riders {
            if covering.iter().all(|i| ok[*i]) {
                next.insert(vpn.clone(), health[&vpn]);
            } else {
                // Left as it was: the next poll sees the change again and retries.
                tracing::info!(%vpn, "not acted on yet; the next poll tries again");
            }
        }
        self.baseline = Some(next);
        Poll::Continue
    }

    /// Each member VPN's health, with the signals stored for its TGW (read again each poll, so
    /// that a DOWN an alarm stored counts; on a failed read, the last ones read).
    async fn assess(&mut self, vpns: &[VpnConnection]) -> BTreeMap<VpnId, Seen> {
        let w = self.w;
        let policy = &w.engine.config().policy;
        let members: Vec<&VpnConnection> = vpns
            .iter()
            .filter(|v| v.transit_gateway_id.is_some() && group_tags(v, policy).next().is_some())
            .collect();
        let tgws: BTreeSet<&TgwId> = members
            .iter()
            .filter_map(|v| v.transit_gateway_id.as_ref())
            .collect();
        let loads = join_all(tgws.iter().map(|t| async move {
            let r = w.ports.store.load(t).await;
            ((*t).clone(), r)
        }))
        .await;
        for (tgw, r) in loads {
            match r {
                Ok(v) => {
                    self.signals.insert(tgw, v.value.signals);
                }
                Err(e) => {
                    tracing::warn!(%tgw, error = %e, "stored signals not read; using the last ones read")
                }
            }
        }
        let now = w.ports.clock.now();
        let none = Vec::new();
        members
            .into_iter()
            .map(|v| {
                let tgw = v.transit_gateway_id.as_ref().expect("filtered on a TGW");
                let h = assess(v, self.signals.get(tgw).unwrap_or(&none), policy, now);
                let seen = Seen {
                    healthy: h.healthy,
                    // Stability only decides failback: without it, its clock is no change.
                    stable: policy.failback && h.stable,
                };
                (v.id.clone(), seen)
            })
            .collect()
    }

    /// Run the engine on `trigger`, count it, tell the observer. `true` when the run looked at
    /// what it was asked to (so the change it was started for is acted on).
    async fn run_one(&mut self, trigger: &Trigger) -> bool {
        let (ok, stats) = self.run_shared(trigger).await;
        self.absorb(vec![stats]);
        ok
    }

    fn absorb(&mut self, stats: impl IntoIterator<Item = RunStats>) {
        for s in stats {
            self.summary.runs += 1;
            self.summary.moves += s.moves;
            if let Some(e) = s.error {
                self.summary.run_errors += 1;
                self.summary.error(e);
            }
        }
    }

    /// The run itself, without touching the summary (runs on several TGWs go concurrently).
    async fn run_shared(&self, trigger: &Trigger) -> (bool, RunStats) {
        let w = self.w;
        let options = RunOptions {
            deadline: self.deadline.map(|(at, _)| Deadline::At(at)),
        };
        let what = trigger.describe();
        tracing::info!(trigger = %what, "watch: reconciling");
        let result = w.engine.handle_with(trigger, &options).await;
        if let Some(observe) = &w.observer {
            observe(trigger, &result);
        }
        match &result {
            Ok(o) => {
                // A run that met another's lease on the TGW made no decision (an empty outcome
                // for it): the holder may have read the world before this change. Try again at
                // the next poll. (A TGW whose groups are all invalid reports them: not busy.)
                let busy = o.tgws.iter().any(|t| {
                    t.groups.is_empty()
                        && t.invalid.is_empty()
                        && t.planned.is_empty()
                        && t.error.is_none()
                });
                tracing::info!(
                    trigger = %what, moved = o.moved(), busy,
                    notes = %o.notes.join("; "), "watch: run done"
                );
                (
                    !busy,
                    RunStats {
                        moves: o.moved(),
                        error: None,
                    },
                )
            }
            Err(e) => {
                let retryable = e.is_retryable();
                tracing::warn!(trigger = %what, error = %e, retryable, "watch: run failed");
                (
                    // A final error (a group made invalid by its tags) is not retried every
                    // poll; the sweep and the notifications deal with it.
                    !retryable,
                    RunStats {
                        moves: e.outcome().map_or(0, Outcome::moved),
                        error: Some(format!("{what}: {e}")),
                    },
                )
            }
        }
    }

    /// Release the watch lease (unless another watcher has it) and return the summary.
    pub async fn finish(mut self) -> WatchSummary {
        let w = self.w;
        if self.held
            && let Err(e) = w.ports.lease.release(&Watcher::key(), &self.owner).await
        {
            // It expires on its own; the next watcher waits at most its TTL.
            tracing::warn!(error = %e, "watch lease not released");
        }
        self.summary.finished_at = w.ports.clock.now();
        tracing::info!(summary = %self.summary.describe(), "watch ended");
        self.summary
    }
}

/// A run a poll decided on: a look at `vpn`'s groups on `tgw`.
struct PlannedRun {
    tgw: TgwId,
    vpn: VpnId,
    groups: BTreeSet<String>,
}

struct RunStats {
    moves: usize,
    error: Option<String>,
}

/// "Look at this VPN's groups": a status-less signal, which the engine never stores.
fn look_at(vpn: &VpnId, now: Timestamp) -> Trigger {
    Trigger::Vpn {
        signal: SignalEvent {
            vpn: vpn.clone(),
            tunnel: None,
            status: None,
            at: now,
            source: SignalSource::Watch,
        },
        region: None,
    }
}
