//! The Lambda handler: one payload in, the service's [`Outcome`] (as JSON) or a typed
//! [`HandlerError`] out. The same code runs in `bootstrap`, in `tgw-ha invoke` and in the tests;
//! only the [`Backend`] (which ports, for which Region) differs.
//!
//! Per invocation: parse the payload (`tgw_ha_core::events`), take an operator's `region` out
//! of it, hand the trigger to the application service ([`Service::run`]: Region ownership, the
//! ledger refusal, dry runs, the "no group" rule, the alarm sync after a sweep), with the
//! request id as lease owner and the invocation's deadline; then log the outcome and print one
//! EMF line. Every rule about *what* to do is the service's; this file only speaks Lambda.

use crate::config::Config;
use crate::lambda::emf::{emf, emf_error};
use crate::lambda::error::HandlerError;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use tgw_ha_core::events::{parse_event, parse_event_value};
use tgw_ha_core::trigger::Trigger;
pub use tgw_ha_engine::service::{AlarmSync, Backend};
use tgw_ha_engine::{Deadline, Outcome, Service, ServiceConfig, ServiceOptions};
use tracing::Instrument;

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
    pub(crate) service: Service,
    pub(crate) emf: EmfSink,
    pub(crate) dry_run: bool,
}

impl Handler {
    pub fn new(config: Config, backend: Arc<dyn Backend>) -> Self {
        Self {
            service: Service::new(backend, config.service_config()),
            config,
            emf: EmfSink::default(),
            dry_run: false,
        }
    }

    /// Pace EC2 calls with this instead of EC2's own budget (tests, where the sandbox has
    /// none and a 500-route failover must not take 90 s).
    pub fn with_executor(mut self, executor: tgw_ha_engine::executor::ExecutorConfig) -> Self {
        let config = ServiceConfig {
            executor,
            ..self.service.config().clone()
        };
        self.service = Service::new(self.service.backend().clone(), config);
        self
    }

    pub fn with_emf(mut self, sink: EmfSink) -> Self {
        self.emf = sink;
        self
    }

    /// Change nothing, whatever the event: operator actions run as `dryRun`, every other
    /// trigger over ports that keep their writes ([`tgw_ha_engine::dry_run`]).
    pub fn with_dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The application service every invocation goes through.
    pub fn service(&self) -> &Service {
        &self.service
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

    /// Run one trigger and return the service's outcome.
    pub async fn run(&self, trigger: Trigger, inv: &Invocation) -> Result<Outcome, HandlerError> {
        self.run_in(trigger, inv, None).await
    }

    /// The Regions this deployment owns: `TGW_HA_REGIONS`, else its own Region.
    pub fn owned_regions(&self) -> Vec<String> {
        self.service.owned_regions()
    }

    /// One trigger through the service, as this invocation: its request id holds the leases,
    /// its deadline bounds the run, an operator's `region` says where to act.
    async fn run_in(
        &self,
        trigger: Trigger,
        inv: &Invocation,
        operator_region: Option<String>,
    ) -> Result<Outcome, HandlerError> {
        let options = ServiceOptions {
            owner: inv.owner(),
            deadline: inv.deadline.map(Deadline::At),
            region: operator_region,
            dry_run: self.dry_run,
        };
        Ok(self.service.run(trigger, &options).await?)
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
                    self.service.backend().clock().now(),
                ));
            }
        }
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
