//! `{"action": "watch"}`: the watch loop (`tgw_ha_engine::watch`) inside one invocation, until
//! the invocation's deadline less the engine's margin, in every Region the deployment owns at
//! once (one watcher per Region, each on its own watch lease: `watch` in the home Region,
//! `<region>/watch` elsewhere), or in the one `region` names.
//!
//! The template's `WatchMode` schedules it every minute with a 900 s timeout: one invocation
//! holds each watch lease and watches for about 15 minutes; the others of those minutes meet the
//! lease and return at once (a success with a note, so that the error alarm stays quiet), and
//! the first one after the holder ends takes over. Each run the watch starts is reported as it
//! happens, like any invocation's (its log line and EMF document), so the metrics and alarms of
//! the deployment see a watched failover within the minute, not at the end of the invocation.

use crate::lambda::emf::{emf, emf_error};
use crate::lambda::error::HandlerError;
use crate::lambda::handler::{Handler, Invocation};
use futures::future::join_all;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;
use tgw_ha_engine::watch::{DEFAULT_INTERVAL, RunObserver, WatchConfig, WatchError, WatchSummary};
use tgw_ha_engine::{Deadline, EngineError, RunOptions};

/// The answer of a watch invocation: one entry per Region watched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WatchResponse {
    pub regions: Vec<RegionWatch>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionWatch {
    /// `None`: the Region the backend points at (no Region configured).
    pub region: Option<String>,
    /// What the watch did; `None` when another watcher held the Region's watch lease.
    pub summary: Option<WatchSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

pub(crate) async fn run(
    handler: &Handler,
    inv: &Invocation,
    interval_seconds: Option<u64>,
    dry_run: bool,
    operator_region: Option<String>,
) -> Result<Value, HandlerError> {
    match watch(handler, inv, interval_seconds, dry_run, operator_region).await {
        Ok(r) => serde_json::to_value(&r)
            .map_err(|e| HandlerError::Config(format!("cannot encode the watch summary: {e}"))),
        Err(e) => {
            // Logged and counted as any failed invocation is.
            let failed: Result<tgw_ha_engine::Outcome, HandlerError> = Err(e);
            handler.report(&failed, inv);
            failed.map(|_| Value::Null)
        }
    }
}

async fn watch(
    handler: &Handler,
    inv: &Invocation,
    interval_seconds: Option<u64>,
    dry_run: bool,
    operator_region: Option<String>,
) -> Result<WatchResponse, HandlerError> {
    if dry_run || handler.dry_run {
        return Err(HandlerError::Config(
            "watch has no dry run (it only acts on changes, at once); {\"action\": \"status\"} \
             or a dry-run reconcile shows what would move; nothing changed"
                .into(),
        ));
    }
    let Some(deadline) = inv.deadline else {
        return Err(HandlerError::Config(
            "watch loops until the invocation's deadline, and this invocation has none (a \
             local invoke): run `tgw-ha watch` instead; nothing changed"
                .into(),
        ));
    };
    // No ledger, or a Region the deployment does not own: the service refuses, as for a run.
    let regions = handler.service.watch_regions(operator_region)?;
    let interval = interval_seconds.map_or(DEFAULT_INTERVAL, Duration::from_secs);
    tracing::info!(
        regions = ?regions, interval_s = interval.as_secs(), deadline = %deadline.to_rfc3339(),
        "watch"
    );
    let options = RunOptions {
        deadline: Some(Deadline::At(deadline)),
    };
    let watches = regions.iter().map(|region| {
        let options = &options;
        async move {
            let result = watch_region(handler, inv, region.as_deref(), interval, options).await;
            (region.clone(), result)
        }
    });
    let mut out = WatchResponse { regions: vec![] };
    let mut failures: Vec<(Option<String>, WatchError)> = Vec::new();
    for (region, result) in join_all(watches).await {
        match result {
            Ok(s) => {
                tracing::info!(region = ?region, summary = %s.describe(), "watch summary");
                out.regions.push(RegionWatch {
                    region,
                    summary: Some(s),
                    note: None,
                });
            }
            // The usual case of a schedule every minute: the holder watches, this one is done.
            Err(e @ WatchError::Busy { .. }) => {
                tracing::info!(region = ?region, "another invocation is watching: nothing to do");
                out.regions.push(RegionWatch {
                    region,
                    summary: None,
                    note: Some(e.to_string()),
                });
            }
            Err(e) => failures.push((region, e)),
        }
    }
    if let Some((region, e)) = failures.into_iter().next() {
        let where_ = region.map(|r| format!(" in {r}")).unwrap_or_default();
        return Err(match e {
            WatchError::Lease { source, .. } => EngineError::Store(source).into(),
            other => HandlerError::Config(format!("watch{where_}: {other}")),
        });
    }
    Ok(out)
}

async fn watch_region(
    handler: &Handler,
    inv: &Invocation,
    region: Option<&str>,
    interval: Duration,
    options: &RunOptions,
) -> Result<WatchSummary, WatchError> {
    let watcher = handler
        .service
        .watcher(region, &inv.owner(), WatchConfig::with_interval(interval))
        .map_err(|e| WatchError::Lease {
            key: tgw_ha_core::ids::TgwId::new(tgw_ha_engine::watch::WATCH_LEASE_KEY),
            source: tgw_ha_engine::ports::StoreError::Other(e.to_string()),
        })?;
    let sink = handler.emf.clone();
    let function = inv.function_name.clone();
    let clock = handler.service.backend().clock();
    let observer: RunObserver = Box::new(move |_, result| match result {
        Ok(o) => sink.emit(emf(o, &function)),
        Err(e) => match e.outcome() {
            Some(o) => sink.emit(emf(o, &function)),
            None => sink.emit(emf_error(&error_type(e), &function, clock.now())),
        },
    });
    watcher.with_observer(observer).run(options, None).await
}

/// The Lambda error type an invocation failing with `e` would have (`Retryable.Network`, …).
fn error_type(e: &EngineError) -> String {
    let class = if e.is_retryable() {
        "Retryable"
    } else {
        "NotRetryable"
    };
    format!("{class}.{}", e.kind())
}
