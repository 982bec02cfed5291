//! The application service: the one entry every front end calls with a parsed trigger — the
//! Lambda handler, the CLI (on a world file or on AWS), the demo and the benchmark.
//! [`Service::run`] applies the rules that sit around one engine run, so that they hold
//! whichever way a trigger arrives:
//!
//! - **Region ownership.** A deployment owns the Regions of [`ServiceConfig::regions`] (else its
//!   backend's own Region). A sweep runs in each; anything else runs in the Region it names (an
//!   operator's [`ServiceOptions::region`], an event's TGW Region) or the home Region. An event
//!   about a Region not owned is declined (a success with a note, nothing read); an operator
//!   naming one is refused: acting there would give the TGW a second ledger and lease.
//! - **A sweep over several Regions** reconciles each whatever happens in the others, and fails
//!   ([`ServiceError::Regions`]) only after every Region was tried.
//! - **No ledger, no write.** A trigger that would write is refused before anything is read when
//!   the backend has no ledger ([`ServiceError::NoLedger`]).
//! - **Dry run.** [`ServiceOptions::dry_run`] changes nothing whatever the trigger: operator
//!   actions run as their own `dryRun`, every other trigger over ports that keep their writes
//!   ([`crate::dry_run`]).
//! - **An alarm about a VPN in no group** is an error ([`ServiceError::NoGroup`]): someone set
//!   that alarm up for a VPN that is not tagged, and it must be seen.
//! - **Alarm sync.** After a (non-dry) sweep, when [`ServiceConfig::alarm_sync`] is on, the
//!   backend's [`AlarmSync`] keeps one alarm per member VPN; its failure is a note, never an
//!   error that would hide the reconcile that already ran.
//!
//! The state keys of a Region other than the home one are scoped (`<region>/<tgw>`,
//! [`crate::scoped`]). The engine ([`crate::Engine`]) stays public as the inner layer for tests;
//! the watch loop gets its long-lived engine through [`Service::watcher`].

mod backend;
mod error;

pub use backend::{AlarmSync, Backend};
pub use error::ServiceError;

use crate::dry_run::{dry_ports, mark_dry};
use crate::executor::ExecutorConfig;
use crate::outcome::Outcome;
use crate::ports::Ports;
use crate::reconcile::{Deadline, Engine, EngineConfig, RunOptions};
use crate::watch::{WatchConfig, Watcher};
use std::sync::Arc;
use tgw_ha_core::Timestamp;
use tgw_ha_core::policy::Policy;
use tgw_ha_core::state::SignalSource;
use tgw_ha_core::trigger::Trigger;

/// How a note of the outcome starts when the alarm sync after a sweep failed (the Lambda
/// counts it as a metric).
pub const ALARM_SYNC_FAILED: &str = "alarm sync failed";

/// What a service is set up with, once for all its runs.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub policy: Policy,
    /// The Regions this deployment owns (empty: its backend's own Region; with neither known,
    /// every trigger runs where the backend points).
    pub regions: Vec<String>,
    /// Keep one CloudWatch alarm per member VPN after every sweep.
    pub alarm_sync: bool,
    /// The alarms' name prefix.
    pub alarm_prefix: String,
    /// How EC2 calls are paced (default: EC2's own budget).
    pub executor: ExecutorConfig,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            policy: Policy::default(),
            regions: vec![],
            alarm_sync: false,
            alarm_prefix: tgw_ha_core::alarms::DEFAULT_PREFIX.to_owned(),
            executor: ExecutorConfig::default(),
        }
    }
}

/// What one run is given besides its trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceOptions {
    /// Who holds the leases during the run (a Lambda request, `user@host` of a CLI): a person
    /// reading a stuck lease can find the run's logs.
    pub owner: String,
    /// When the run must be over (a Lambda invocation's deadline, the CLI's `--max-duration`).
    pub deadline: Option<Deadline>,
    /// The Region an operator names for the run (none: the trigger's, or the home Region).
    pub region: Option<String>,
    /// Change nothing, whatever the trigger.
    pub dry_run: bool,
}

impl ServiceOptions {
    pub fn new(owner: impl Into<String>) -> Self {
        Self {
            owner: owner.into(),
            deadline: None,
            region: None,
            dry_run: false,
        }
    }
}

pub struct Service {
    backend: Arc<dyn Backend>,
    config: ServiceConfig,
}

impl Service {
    pub fn new(backend: Arc<dyn Backend>, config: ServiceConfig) -> Self {
        Self { backend, config }
    }

    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    /// The Regions this deployment owns: the configured ones, else the backend's own Region
    /// (empty when neither is known: then every trigger runs where the backend points).
    pub fn owned_regions(&self) -> Vec<String> {
        if self.config.regions.is_empty() {
            self.backend.home_region().into_iter().collect()
        } else {
            self.config.regions.clone()
        }
    }

    /// The engine settings of a run held by `owner`.
    pub fn engine_config(&self, owner: &str) -> EngineConfig {
        EngineConfig {
            policy: self.config.policy.clone(),
            owner: owner.to_owned(),
            executor: self.config.executor.clone(),
            ..EngineConfig::default()
        }
    }

    /// The backend's ports for `region`, with the state keys scoped to it.
    pub fn ports(&self, region: Option<&str>) -> Result<Ports, ServiceError> {
        let mut ports = self.backend.ports(region)?;
        if let (Some(r), Some(home)) = (region, self.backend.home_region()) {
            ports = crate::scoped::scope_ports(ports, r, &home);
        }
        Ok(ports)
    }

    /// The Regions a watch covers: the one `region` names, else every owned Region (`[None]`:
    /// where the backend points). Refused without a ledger (a watch moves routes and holds a
    /// lease) and for a Region not owned.
    pub fn watch_regions(
        &self,
        region: Option<String>,
    ) -> Result<Vec<Option<String>>, ServiceError> {
        if !self.backend.has_ledger() {
            return Err(ServiceError::NoLedger {
                trigger: "watch".into(),
                remedy: self.backend.ledger_remedy(),
            });
        }
        let owned = self.owned_regions();
        Ok(match region {
            Some(r) if !owned.is_empty() && !owned.contains(&r) => {
                return Err(ServiceError::RegionNotOwned { region: r, owned });
            }
            Some(r) => vec![Some(r)],
            None if owned.is_empty() => vec![None],
            None => owned.into_iter().map(Some).collect(),
        })
    }

    /// A watcher over `region`'s ports (one of [`Service::watch_regions`]), its runs held by
    /// `owner`.
    pub fn watcher(
        &self,
        region: Option<&str>,
        owner: &str,
        config: WatchConfig,
    ) -> Result<Watcher, ServiceError> {
        Ok(Watcher::new(
            self.ports(region)?,
            self.engine_config(owner),
            config,
        ))
    }

    /// Run one trigger in the Region(s) it concerns, under the rules of this module's contract.
    pub async fn run(
        &self,
        trigger: Trigger,
        options: &ServiceOptions,
    ) -> Result<Outcome, ServiceError> {
        let owned = self.owned_regions();
        let named = options.region.clone().or_else(|| match &trigger {
            Trigger::All { .. } => None,
            t => t.region().map(str::to_owned),
        });
        if let Some(r) = &named
            && !owned.is_empty()
            && !owned.contains(r)
        {
            if matches!(trigger, Trigger::Operator { .. }) {
                return Err(ServiceError::RegionNotOwned {
                    region: r.clone(),
                    owned,
                });
            }
            let note = format!(
                "declined: {} is about region {r}, which this deployment does not own (its \
                 regions: {}); the deployment that owns {r} acts on it. Nothing read or changed",
                trigger.describe(),
                owned.join(", ")
            );
            tracing::info!(%note, "event declined");
            let mut outcome = empty(&trigger, self.backend.clock().now());
            outcome.notes.push(note);
            return Ok(outcome);
        }
        if matches!(trigger, Trigger::All { .. }) && owned.len() > 1 {
            return self.sweep_regions(trigger, options, &owned).await;
        }
        // No Region named: the one owned Region, or (nothing known of ownership) the Region
        // the trigger came from, as before Regions were owned.
        let region = named.or_else(|| {
            if owned.is_empty() {
                trigger.region().map(str::to_owned)
            } else {
                owned.first().cloned()
            }
        });
        self.run_region(trigger, options, region.as_deref()).await
    }

    /// A sweep over several Regions: each is reconciled whatever happens in the others; the
    /// run fails (naming the Regions) only after every Region was tried.
    async fn sweep_regions(
        &self,
        trigger: Trigger,
        options: &ServiceOptions,
        owned: &[String],
    ) -> Result<Outcome, ServiceError> {
        let mut merged: Option<Outcome> = None;
        let mut failures: Vec<(String, ServiceError)> = Vec::new();
        for r in owned {
            let t = Trigger::All {
                region: Some(r.clone()),
            };
            let result = self.run_region(t, options, Some(r)).await;
            let part = match &result {
                Ok(o) => Some(o.clone()),
                Err(e) => e.outcome().cloned(),
            };
            if let Err(e) = result {
                tracing::warn!(region = %r, error = %e, "sweep failed in one region; the others go on");
                failures.push((r.clone(), e));
            }
            if let Some(mut o) = part {
                o.notes.iter_mut().for_each(|n| *n = format!("{r}: {n}"));
                merged = Some(match merged.take() {
                    None => o,
                    Some(mut m) => {
                        m.tgws.extend(o.tgws);
                        m.notes.extend(o.notes);
                        m.finished_at = m.finished_at.max(o.finished_at);
                        for (op, c) in o.calls {
                            m.calls.entry(op).or_default().add(&c);
                        }
                        m
                    }
                });
            }
        }
        let mut outcome = merged.unwrap_or_else(|| empty(&trigger, self.backend.clock().now()));
        outcome.trigger = trigger.describe();
        outcome
            .notes
            .push(format!("swept regions {}", owned.join(", ")));
        if failures.is_empty() {
            return Ok(outcome);
        }
        let retryable = failures.iter().any(|(_, e)| e.is_retryable());
        Err(ServiceError::Regions {
            failures: failures.iter().map(|(r, e)| format!("{r}: {e}")).collect(),
            retryable,
            outcome: Box::new(outcome),
        })
    }

    /// Run one trigger with the EC2 side (and the state's keys) in `region`.
    async fn run_region(
        &self,
        trigger: Trigger,
        options: &ServiceOptions,
        region: Option<&str>,
    ) -> Result<Outcome, ServiceError> {
        tracing::info!(trigger = %trigger.describe(), kind = trigger.kind(), region = ?region, "trigger");
        // An operator action has its own dry run (the engine plans and stops); any other
        // trigger runs for real over ports that keep their writes.
        let (trigger, simulate_writes) = match trigger {
            Trigger::Operator { action, dry_run } => (
                Trigger::Operator {
                    action,
                    dry_run: dry_run || options.dry_run,
                },
                false,
            ),
            t => (t, options.dry_run),
        };
        if trigger.writes() && !simulate_writes && !self.backend.has_ledger() {
            return Err(ServiceError::NoLedger {
                trigger: trigger.describe(),
                remedy: self.backend.ledger_remedy(),
            });
        }
        let mut ports = self.ports(region)?;
        if simulate_writes {
            ports = dry_ports(ports);
        }
        let engine = Engine::new(ports, self.engine_config(&options.owner));
        let run = RunOptions {
            deadline: options.deadline,
        };
        let mut outcome = engine.handle_with(&trigger, &run).await?;
        if simulate_writes {
            mark_dry(&mut outcome);
        } else if matches!(trigger, Trigger::All { .. }) && self.config.alarm_sync {
            self.sync_alarms(&mut outcome, region).await?;
        }
        // An alarm or reference event exists only because someone set it up for this VPN: if it
        // is in no group, that set-up is wrong and must be seen (the Lambda's on-failure
        // destination, the CLI's exit status), not silently succeed. Network Manager and Health
        // events cover every VPN of the account: for a VPN in no group they are simply not ours.
        if let Trigger::Vpn { signal, .. } = &trigger
            && matches!(
                signal.source,
                SignalSource::CloudWatchAlarm | SignalSource::Reference
            )
            && outcome.tgws.is_empty()
        {
            return Err(ServiceError::NoGroup {
                trigger: trigger.describe(),
                vpn: signal.vpn.clone(),
            });
        }
        Ok(outcome)
    }

    /// After a sweep: alarms for every member VPN. A failure is logged and noted in the
    /// outcome, never allowed to undo or hide the reconcile that already ran; the next sweep
    /// tries again.
    async fn sync_alarms(
        &self,
        outcome: &mut Outcome,
        region: Option<&str>,
    ) -> Result<(), ServiceError> {
        let Some(alarms) = self.backend.alarms(region) else {
            return Ok(());
        };
        let ports = self.backend.ports(region)?;
        match alarms
            .sync(
                ports.network.as_ref(),
                &self.config.policy,
                &self.config.alarm_prefix,
            )
            .await
        {
            Ok(summary) => {
                tracing::info!(%summary, "alarm sync");
                outcome.notes.push(format!("alarm sync: {summary}"));
            }
            Err(e) => {
                tracing::warn!(error = %e, "alarm sync failed; the next sweep retries");
                outcome.notes.push(format!("{ALARM_SYNC_FAILED}: {e}"));
            }
        }
        Ok(())
    }
}

/// The outcome of a run that read nothing (declined, or a sweep with no Region answering).
fn empty(trigger: &Trigger, now: Timestamp) -> Outcome {
    Outcome {
        trigger: trigger.describe(),
        dry_run: false,
        started_at: now,
        finished_at: now,
        tgws: vec![],
        calls: Default::default(),
        notes: vec![],
    }
}
