//! The Lambda handler: one payload in, the engine's [`Outcome`] (as JSON) or a typed
//! [`HandlerError`] out. The same code runs in `bootstrap`, in `tgw-ha invoke` and in the tests;
//! only the [`Backend`] (which ports, for which Region) differs.
//!
//! Per invocation: parse the payload (`tgw_ha_core::events`), refuse what is not ours before
//! anything is read, build an engine whose lease owner is the request id, with the EC2 side in
//! the Region the trigger names (Network Manager events arrive in us-west-2 and carry the TGW's
//! Region in `detail.region`), run it, log the outcome and print one EMF line.

use crate::config::Config;
use crate::lambda::dry_run::{dry_ports, mark_dry};
use crate::lambda::emf::{emf, emf_error};
use crate::lambda::error::HandlerError;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use tgw_ha_core::events::{parse_event, parse_event_value};
use tgw_ha_core::state::SignalSource;
use tgw_ha_core::trigger::Trigger;
use tgw_ha_engine::ports::{Clock, Ports};
use tgw_ha_engine::{Deadline, Engine, EngineConfig, Outcome, RunOptions};
use tracing::Instrument;

/// Where the handler gets its ports from.
pub trait Backend: Send + Sync {
    /// The ports of one invocation, with the EC2 side in `region` (`None`: the function's own
    /// Region). The state store, lease and notifier stay in the function's Region.
    fn ports(&self, region: Option<&str>) -> Result<Ports, HandlerError>;
    /// Whether there is a ledger to write to (`TGW_HA_TABLE`); without one, only reads run.
    fn has_ledger(&self) -> bool;
    /// The clock of the ports (for the timestamp of an error's metrics).
    fn clock(&self) -> Arc<dyn Clock>;
    /// The function's own Region, when known: the default of every Region choice, and the one
    /// whose state keys stay the bare TGW id.
    fn home_region(&self) -> Option<String> {
        None
    }
    /// Where CloudWatch alarms are kept in step with the groups of `region`
    /// (`TGW_HA_ALARM_SYNC`); none by default.
    fn alarms(&self, _region: Option<&str>) -> Option<Arc<dyn AlarmSync>> {
        None
    }
}

/// Keeps one CloudWatch alarm per member VPN (`tgw_ha_aws::alarms`). Returns a summary.
#[async_trait::async_trait]
pub trait AlarmSync: Send + Sync {
    async fn sync(
        &self,
        network: &dyn tgw_ha_engine::ports::Network,
        policy: &tgw_ha_core::policy::Policy,
        prefix: &str,
    ) -> Result<String, String>;
}

/// What the handler knows of the invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub request_id: String,
    pub function_name: String,
    /// When Lambda stops the invocation (`Context::deadline`): the engine starts no move within
    /// its margin of it, so the run settles its ledger and releases its lease in time and the
    /// next run (Lambda's retry, or the sweep) continues at once. `None`: no limit.
    pub deadline: Option<tgw_ha_core::Timestamp>,
}

impl Invocation {
    /// Who holds the lease during this invocation: a person reading a stuck lease in the table
    /// can find the invocation's logs by its request id.
    pub fn owner(&self) -> String {
        format!("lambda:{}:{}", self.function_name, self.request_id)
    }
}

impl From<&lambda_runtime::Context> for Invocation {
    fn from(ctx: &lambda_runtime::Context) -> Self {
        Self {
            request_id: ctx.request_id.clone(),
            function_name: ctx.env_config.function_name.clone(),
            // Milliseconds since the epoch; 0 (a context built by hand) means unknown.
            deadline: i64::try_from(ctx.deadline)
                .ok()
                .filter(|ms| *ms > 0)
                .and_then(chrono::DateTime::from_timestamp_millis),
        }
    }
}

/// Where the per-invocation EMF line goes.
#[derive(Debug, Clone, Default)]
pub enum EmfSink {
    /// One line on stdout (the Lambda function: CloudWatch Logs extracts the metrics).
    #[default]
    Stdout,
    /// As a `metrics` log event at info level (`tgw-ha invoke`: stdout is the result).
    Log,
    /// Kept in memory (tests).
    Memory(Arc<Mutex<Vec<Value>>>),
    Off,
}

impl EmfSink {
    pub(crate) fn emit(&self, doc: Value) {
        match self {
            EmfSink::Stdout => println!("{doc}"),
            EmfSink::Log => tracing::info!(emf = %doc, "metrics"),
            EmfSink::Memory(m) => m
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(doc),
            EmfSink::Off => {}
        }
    }
}

pub struct Handler {
    config: Config,
    pub(crate) backend: Arc<dyn Backend>,
    pub(crate) emf: EmfSink,
    pub(crate) dry_run: bool,
    pub(crate) executor: Option<tgw_ha_engine::executor::ExecutorConfig>,
}

impl Handler {
    pub fn new(config: Config, backend: Arc<dyn Backend>) -> Self {
        Self {
            config,
            backend,
            emf: EmfSink::default(),
            dry_run: false,
            executor: None,
        }
    }

    /// Pace EC2 calls with this instead of EC2's own budget (tests, where the sandbox has
    /// none and a 500-route failover must not take 90 s).
    pub fn with_executor(mut self, executor: tgw_ha_engine::executor::ExecutorConfig) -> Self {
        self.executor = Some(executor);
        self
    }

    pub fn with_emf(mut self, sink: EmfSink) -> Self {
        self.emf = sink;
        self
    }

    /// Change nothing, whatever the event: operator actions run as `dryRun`, every other
    /// trigger over ports that keep their writes ([`dry_ports`]).
    pub fn with_dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Handle a decoded payload (what the Lambda runtime hands over).
    pub async fn handle(&self, event: Value, inv: &Invocation) -> Result<Value, HandlerError> {
        let (event, region) = match operator_region(event) {
            Ok(x) => x,
            Err(e) => return self.instrumented(inv, Err(e), None).await,
        };
        self.instrumented(inv, parse_event_value(&event), region)
            .await
    }

    /// Handle a payload as text (`tgw-ha invoke` reads a file; invalid JSON is an error here,
    /// whereas Lambda refuses it before the function runs).
    pub async fn handle_str(&self, event: &str, inv: &Invocation) -> Result<Value, HandlerError> {
        match serde_json::from_str::<Value>(event) {
            Ok(v) => self.handle(v, inv).await,
            Err(_) => self.instrumented(inv, parse_event(event), None).await,
        }
    }

    async fn instrumented(
        &self,
        inv: &Invocation,
        parsed: Result<Trigger, tgw_ha_core::events::EventError>,
        operator_region: Option<String>,
    ) -> Result<Value, HandlerError> {
        let span = tracing::info_span!("invocation", request_id = %inv.request_id);
        async {
            // A watch loops until the deadline and answers with its own summary.
            if let Ok(Trigger::Operator {
                action: tgw_ha_core::trigger::OperatorAction::Watch { interval_seconds },
                dry_run,
            }) = &parsed
            {
                return crate::lambda::watch::run(
                    self,
                    inv,
                    *interval_seconds,
                    *dry_run,
                    operator_region,
                )
                .await;
            }
            let result = match parsed {
                Ok(trigger) => self.run_in(trigger, inv, operator_region).await,
                Err(e) => Err(HandlerError::Event(e)),
            };
            self.report(&result, inv);
            match result {
                Ok(outcome) => serde_json::to_value(&outcome)
                    .map_err(|e| HandlerError::Config(format!("cannot encode the outcome: {e}"))),
                Err(e) => Err(e),
            }
        }
        .instrument(span)
        .await
    }

    /// Run one trigger and return the engine's outcome.
    pub async fn run(&self, trigger: Trigger, inv: &Invocation) -> Result<Outcome, HandlerError> {
        self.run_in(trigger, inv, None).await
    }

    /// The Regions this deployment owns: `TGW_HA_REGIONS`, else its own Region (empty when
    /// neither is known: then every trigger runs where the backend points, as before).
    pub fn owned_regions(&self) -> Vec<String> {
        if self.config.regions.is_empty() {
            self.backend.home_region().into_iter().collect()
        } else {
            self.config.regions.clone()
        }
    }

    /// Run one trigger in the Region(s) it concerns: a sweep in every owned Region, anything
    /// else in the Region it names (an operator's `region`, an event's TGW Region) or the home
    /// Region. A Region the deployment does not own is declined: acting there would give the
    /// TGW a second ledger and lease next to the owning deployment's.
    async fn run_in(
        &self,
        trigger: Trigger,
        inv: &Invocation,
        operator_region: Option<String>,
    ) -> Result<Outcome, HandlerError> {
        let owned = self.owned_regions();
        let named = operator_region.or_else(|| match &trigger {
            Trigger::All { .. } => None,
            t => region(t).map(str::to_owned),
        });
        if let Some(r) = &named
            && !owned.is_empty()
            && !owned.contains(r)
        {
            if matches!(trigger, Trigger::Operator { .. }) {
                return Err(HandlerError::Config(format!(
                    "region {r} is not one of this deployment's regions ({}); run the action \
                     in the deployment that owns {r}, or add it to TGW_HA_REGIONS; nothing changed",
                    owned.join(", ")
                )));
            }
            let note = format!(
                "declined: {} is about region {r}, which this deployment does not own (its \
                 regions: {}); the deployment that owns {r} acts on it. Nothing read or changed",
                trigger.describe(),
                owned.join(", ")
            );
            tracing::info!(%note, "event declined");
            let now = self.backend.clock().now();
            return Ok(Outcome {
                trigger: trigger.describe(),
                dry_run: false,
                started_at: now,
                finished_at: now,
                tgws: vec![],
                calls: Default::default(),
                notes: vec![note],
            });
        }
        if matches!(trigger, Trigger::All { .. }) && owned.len() > 1 {
            return self.sweep_regions(trigger, inv, &owned).await;
        }
        // No Region named: the one owned Region, or (nothing known of ownership) the Region
        // the trigger came from, as before Regions were owned.
        let region = named.or_else(|| {
            if owned.is_empty() {
                region(&trigger).map(str::to_owned)
            } else {
                owned.first().cloned()
            }
        });
        self.run_region(trigger, inv, region.as_deref()).await
    }

    /// A sweep over several Regions: each is reconciled whatever happens in the others; the
    /// run fails (naming the Regions) only after every Region was tried.
    async fn sweep_regions(
        &self,
        trigger: Trigger,
        inv: &Invocation,
        owned: &[String],
    ) -> Result<Outcome, HandlerError> {
        let mut merged: Option<Outcome> = None;
        let mut failures: Vec<(String, HandlerError)> = Vec::new();
        for r in owned {
            let t = Trigger::All {
                region: Some(r.clone()),
            };
            let result = self.run_region(t, inv, Some(r)).await;
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
        let now = self.backend.clock().now();
        let mut outcome = merged.unwrap_or_else(|| Outcome {
            trigger: trigger.describe(),
            dry_run: false,
            started_at: now,
            finished_at: now,
            tgws: vec![],
            calls: Default::default(),
            notes: vec![],
        });
        outcome.trigger = trigger.describe();
        outcome
            .notes
            .push(format!("swept regions {}", owned.join(", ")));
        if failures.is_empty() {
            return Ok(outcome);
        }
        let retryable = failures.iter().any(|(_, e)| e.is_retryable());
        Err(HandlerError::Regions {
            failures: failures.iter().map(|(r, e)| format!("{r}: {e}")).collect(),
            retryable,
            outcome: Box::new(outcome),
        })
    }

    /// Run one trigger with the EC2 side (and the state's keys) in `region`.
    async fn run_region(
        &self,
        trigger: Trigger,
        inv: &Invocation,
        region: Option<&str>,
    ) -> Result<Outcome, HandlerError> {
        tracing::info!(trigger = %trigger.describe(), kind = kind(&trigger), region = ?region, "trigger");
        let (trigger, simulate_writes) = match trigger {
            Trigger::Operator { action, dry_run } => (
                Trigger::Operator {
                    action,
                    dry_run: dry_run || self.dry_run,
                },
                false,
            ),
            t => (t, self.dry_run),
        };
        if writes(&trigger) && !simulate_writes && !self.backend.has_ledger() {
            return Err(HandlerError::Config(format!(
                "{} would write routes or state, and there is no ledger: set TGW_HA_TABLE to the \
                 DynamoDB table of the ledger and lease (read-only actions such as \
                 {{\"action\": \"status\"}} work without it); nothing changed",
                trigger.describe()
            )));
        }
        let mut ports = self.backend.ports(region)?;
        if let (Some(r), Some(home)) = (region, self.backend.home_region()) {
            ports = tgw_ha_engine::scoped::scope_ports(ports, r, &home);
        }
        if simulate_writes {
            ports = dry_ports(ports);
        }
        let engine = Engine::new(
            ports,
            EngineConfig {
                policy: self.config.policy.clone(),
                owner: inv.owner(),
                executor: self.executor.clone().unwrap_or_default(),
                ..EngineConfig::default()
            },
        );
        let options = RunOptions {
            deadline: inv.deadline.map(Deadline::At),
        };
        let mut outcome = engine.handle_with(&trigger, &options).await?;
        if simulate_writes {
            mark_dry(&mut outcome);
        } else if matches!(trigger, Trigger::All { .. }) && self.config.alarm_sync {
            self.sync_alarms(&mut outcome, region).await?;
        }
        // An alarm or reference event exists only because someone set it up for this VPN: if it
        // is in no group, that set-up is wrong and must be seen (on-failure destination), not
        // silently succeed. Network Manager and Health events cover every VPN of the account:
        // for a VPN in no group they are simply not ours.
        if let Trigger::Vpn { signal, .. } = &trigger
            && matches!(
                signal.source,
                SignalSource::CloudWatchAlarm | SignalSource::Reference
            )
            && outcome.tgws.is_empty()
        {
            return Err(HandlerError::NoGroup {
                trigger: trigger.describe(),
                vpn: signal.vpn.clone(),
            });
        }
        Ok(outcome)
    }

    /// After a scheduled sweep: alarms for every member VPN. A failure is logged and noted in
    /// the outcome, never allowed to undo or hide the reconcile that already ran; the next
    /// sweep tries again.
    async fn sync_alarms(
        &self,
        outcome: &mut Outcome,
        region: Option<&str>,
    ) -> Result<(), HandlerError> {
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
                outcome
                    .notes
                    .push(format!("{}: {e}", crate::lambda::emf::ALARM_SYNC_FAILED));
            }
        }
        Ok(())
    }

    /// One log line and one EMF line per invocation.
    pub(crate) fn report(&self, result: &Result<Outcome, HandlerError>, inv: &Invocation) {
        let outcome = match result {
            Ok(o) => Some(o),
            Err(e) => e.outcome(),
        };
        if let Some(o) = outcome {
            let groups: Vec<String> = o
                .groups()
                .filter(|g| g.in_scope)
                .map(|g| format!("{}:{}", g.name, g.status.as_str()))
                .collect();
            tracing::info!(
                trigger = %o.trigger,
                groups = %groups.join(" "),
                planned = o.planned(),
                moved = o.moved(),
                failed = o.failed(),
                dry_run = o.dry_run,
                notes = %o.notes.join("; "),
                "outcome"
            );
            self.emf.emit(emf(o, &inv.function_name));
        }
        if let Err(e) = result {
            let error_type = e.error_type();
            if e.is_retryable() {
                tracing::warn!(error_type = %error_type, error = %e.message(), "invocation failed");
            } else {
                tracing::error!(error_type = %error_type, error = %e.message(), "invocation failed");
            }
            if outcome.is_none() {
                self.emf.emit(emf_error(
                    &error_type,
                    &inv.function_name,
                    self.backend.clock().now(),
                ));
            }
        }
    }
}

/// The Region whose EC2 the trigger is about, when it says.
pub fn region(trigger: &Trigger) -> Option<&str> {
    match trigger {
        Trigger::Vpn { region, .. } | Trigger::Tgw { region, .. } | Trigger::All { region } => {
            region.as_deref()
        }
        Trigger::Notice { .. } | Trigger::Operator { .. } | Trigger::Ignore { .. } => None,
    }
}

/// Whether handling the trigger may write routes or state.
fn writes(trigger: &Trigger) -> bool {
    match trigger {
        Trigger::Ignore { .. } => false,
        Trigger::Operator { action, dry_run } => action.writes() && !dry_run,
        _ => true,
    }
}

fn kind(trigger: &Trigger) -> &'static str {
    match trigger {
        Trigger::Vpn { .. } => "vpn",
        Trigger::Tgw { .. } => "tgw",
        Trigger::Notice { .. } => "notice",
        Trigger::All { .. } => "all",
        Trigger::Operator { .. } => "operator",
        Trigger::Ignore { .. } => "ignore",
    }
}

/// An operator invocation may name the Region to act in (`{"action": …, "region": "eu-west-1"}`);
/// it is taken out here because it says where to run, not what to do (the action's own fields
/// are checked strictly by the parser). Any other payload is returned as it is.
fn operator_region(
    mut event: Value,
) -> Result<(Value, Option<String>), tgw_ha_core::events::EventError> {
    let Some(obj) = event.as_object_mut() else {
        return Ok((event, None));
    };
    if !obj.contains_key("action") || obj.contains_key("detail-type") {
        return Ok((event, None));
    }
    let region = match obj.remove("region") {
        None => None,
        Some(Value::String(r)) if tgw_ha_core::events::is_region_name(&r) => Some(r),
        Some(other) => {
            return Err(tgw_ha_core::events::EventError::InvalidRegion {
                event: "operator action".into(),
                field: "region",
                received: match other {
                    Value::String(s) => s,
                    v => v.to_string(),
                },
            });
        }
    };
    Ok((event, region))
}
