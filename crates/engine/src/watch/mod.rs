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
//!
//! The files: this one holds the configuration and the [`Watcher`] (taking the lease, the
//! loop); `session.rs` a watcher holding the lease ([`Watch`]) and its poll; `health.rs` what a
//! poll compares; `runs.rs` the engine runs a poll starts; `summary.rs` what a watch reports
//! and its errors.

mod health;
mod runs;
mod session;
mod summary;

pub use session::{Poll, Watch};
pub use summary::{WatchEnd, WatchError, WatchSummary};

use crate::executor::Executor;
use crate::outcome::{EngineError, Outcome};
use crate::ports::Ports;
use crate::reconcile::{Deadline, Engine, EngineConfig, RunOptions};
use futures::future::{Either, select};
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use tgw_ha_core::ids::TgwId;
use tgw_ha_core::trigger::Trigger;

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

/// Called after every engine run of a watch, with its trigger and result (the Lambda turns each
/// into its log line and metrics as it happens, not at the end of a 15-minute invocation).
pub type RunObserver = Box<dyn Fn(&Trigger, &Result<Outcome, EngineError>) + Send + Sync>;

/// A future that completes when the watch should stop (a signal handler).
pub type Shutdown = Pin<Box<dyn Future<Output = ()> + Send>>;

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
