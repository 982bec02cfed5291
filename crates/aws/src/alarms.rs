//! CloudWatch alarms for every member VPN: `tgw-ha alarms sync`, and the scheduled sweep when
//! `TGW_HA_ALARM_SYNC` is on.
//!
//! One metric alarm per VPN that is a member of a valid group, named `<prefix><vpn id>`
//! (default prefix `tgw-ha-`, the one the deployment's EventBridge rule matches): `AWS/VPN`
//! `TunnelState` on the `VpnId` dimension, `Maximum < 1` over one 60 s period, missing data
//! breaching — so it goes to ALARM when *both* tunnels are down (or the VPN stops reporting).
//! Adding a site is tagging its VPNs; the next sync creates its alarms.
//!
//! The work is split so that the decision is plain data: [`desired_alarms`] (from the core's
//! group discovery) and [`diff`] (desired vs existing) are pure and table-tested in the core
//! ([`tgw_ha_core::alarms`], re-exported here); [`discover`], [`existing_alarms`] and [`apply`]
//! do the CloudWatch and EC2 I/O; [`sync`] runs all of it.
//!
//! Contract:
//! - Only alarms named exactly `<prefix>vpn-<hex>` are managed. Another alarm that merely shares
//!   the prefix is listed as ignored and never changed or deleted.
//! - A managed alarm whose VPN is no longer a member of a valid group is deleted; one whose
//!   definition differs from the desired one is overwritten. Alarm actions an operator added to a
//!   managed alarm (SNS, …) are carried over when it is updated.
//! - Nothing is changed when EC2 or CloudWatch could not be read completely: a partial view
//!   would delete the alarms of VPNs it failed to see.
//! - Group discovery is the core's ([`tgw_ha_core::groups::discover`]), over the same
//!   [`Network`] port the engine uses: the alarms follow exactly the groups the engine acts on.

use crate::errors::{Class, Failure, failure_of};
use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::types::{AlarmType, ComparisonOperator, Dimension, MetricAlarm, Statistic};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use tgw_ha_core::groups::{Discovery, discover as discover_groups, is_tagged_member};
use tgw_ha_core::ids::TgwId;
use tgw_ha_core::policy::Policy;
use tgw_ha_engine::ports::{NetError, Network};

pub use tgw_ha_core::alarms::{
    AlarmActions, AlarmChange, AlarmConfig, AlarmPlan, ChangeKind, DEFAULT_PREFIX, ExistingAlarm,
    PREFIX_MAX, alarm_name, desired_alarms, diff, differences, managed_vpn,
};

/// The environment variable naming the prefix (the template sets it from `AlarmPrefix`).
pub const PREFIX_ENV: &str = "TGW_HA_ALARM_PREFIX";
/// The environment variable that turns the sync on in the scheduled sweep (`true`/`false`).
pub const SYNC_ENV: &str = "TGW_HA_ALARM_SYNC";

/// DeleteAlarms takes at most 100 names per call.
const DELETE_BATCH: usize = 100;

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SyncReport {
    pub dry_run: bool,
    pub plan: AlarmPlan,
    /// Alarm names whose change was applied.
    pub applied: Vec<String>,
    /// `(alarm name, error)` of the changes that failed.
    pub failed: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AlarmError {
    #[error(
        "alarm prefix {0:?} is not usable: give 1 to {PREFIX_MAX} characters, no '*' (the \
         deployment's rule matches alarm names by this prefix)"
    )]
    InvalidPrefix(String),
    #[error("reading vpn connections from ec2: {0}")]
    Network(#[from] NetError),
    #[error("cloudwatch {op}: {message}")]
    CloudWatch {
        op: &'static str,
        message: String,
        retryable: bool,
    },
    #[error("{} of {} alarm changes failed: {}", .0.failed.len(), .0.plan.changes.len(),
        .0.failed.iter().map(|(n, e)| format!("{n}: {e}")).collect::<Vec<_>>().join("; "))]
    Incomplete(Box<SyncReport>),
}

impl AlarmError {
    /// Whether the same sync may succeed if tried again (throttling, timeouts, 5xx).
    pub fn is_retryable(&self) -> bool {
        match self {
            AlarmError::InvalidPrefix(_) => false,
            AlarmError::Network(e) => e.is_retryable(),
            AlarmError::CloudWatch { retryable, .. } => *retryable,
            AlarmError::Incomplete(_) => true,
        }
    }
}

/// Check a prefix before it is used to list, and so to delete, alarms.
pub fn check_prefix(prefix: &str) -> Result<(), AlarmError> {
    if !tgw_ha_core::alarms::is_usable_prefix(prefix) {
        return Err(AlarmError::InvalidPrefix(prefix.to_owned()));
    }
    Ok(())
}

/// The VPN connections and their groups, read through the engine's port exactly as a reconcile
/// reads them: every VPN, then the VPN attachments of each TGW that has a tagged VPN.
pub async fn discover(network: &dyn Network, policy: &Policy) -> Result<Discovery, NetError> {
    let vpns = network.vpn_connections().await?;
    let tgws: BTreeSet<TgwId> = vpns
        .iter()
        .filter(|v| is_tagged_member(v, policy))
        .filter_map(|v| v.transit_gateway_id.clone())
        .collect();
    let mut attachments = Vec::new();
    for tgw in &tgws {
        attachments.extend(network.vpn_attachments(tgw).await?);
    }
    Ok(discover_groups(&vpns, &attachments, policy))
}

/// Every metric alarm whose name starts with `prefix` (all pages).
pub async fn existing_alarms(
    client: &Client,
    prefix: &str,
) -> Result<Vec<ExistingAlarm>, AlarmError> {
    check_prefix(prefix)?;
    let mut out = Vec::new();
    let mut pages = client
        .describe_alarms()
        .alarm_name_prefix(prefix)
        .alarm_types(AlarmType::MetricAlarm)
        .max_records(100)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| cloudwatch_error("DescribeAlarms", failure_of(&e)))?;
        out.extend(page.metric_alarms().iter().map(existing_of));
    }
    Ok(out)
}

fn existing_of(a: &MetricAlarm) -> ExistingAlarm {
    let mut dimensions: Vec<(String, String)> = a
        .dimensions()
        .iter()
        .map(|d| {
            (
                d.name().unwrap_or_default().to_owned(),
                d.value().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    dimensions.sort();
    let statistic = a
        .statistic()
        .map(|s| s.as_str().to_owned())
        .or_else(|| a.extended_statistic().map(str::to_owned))
        .unwrap_or_default();
    ExistingAlarm {
        config: AlarmConfig {
            name: a.alarm_name().unwrap_or_default().to_owned(),
            description: a.alarm_description().unwrap_or_default().to_owned(),
            namespace: a.namespace().unwrap_or_default().to_owned(),
            metric_name: a.metric_name().unwrap_or_default().to_owned(),
            dimensions,
            statistic,
            period: a.period().unwrap_or_default(),
            evaluation_periods: a.evaluation_periods().unwrap_or_default(),
            datapoints_to_alarm: a.datapoints_to_alarm(),
            threshold: a.threshold().unwrap_or_default(),
            comparison: a
                .comparison_operator()
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default(),
            // CloudWatch's default when unset.
            treat_missing_data: a.treat_missing_data().unwrap_or("missing").to_owned(),
            unit: a.unit().map(|u| u.as_str().to_owned()),
        },
        actions: AlarmActions {
            enabled: a.actions_enabled(),
            alarm: a.alarm_actions().to_vec(),
            ok: a.ok_actions().to_vec(),
            insufficient_data: a.insufficient_data_actions().to_vec(),
        },
        metric_math: !a.metrics().is_empty(),
    }
}

/// Execute `plan`: PutMetricAlarm for each create and update (carrying over the actions of the
/// alarm it replaces), DeleteAlarms for the deletes. Every change is tried; the failures are
/// reported together ([`AlarmError::Incomplete`]).
pub async fn apply(
    client: &Client,
    plan: AlarmPlan,
    existing: &[ExistingAlarm],
) -> Result<SyncReport, AlarmError> {
    let mut report = SyncReport {
        dry_run: false,
        ..SyncReport::default()
    };
    let actions: BTreeMap<&str, &AlarmActions> = existing
        .iter()
        .map(|e| (e.config.name.as_str(), &e.actions))
        .collect();
    let mut deletes = Vec::new();
    // CloudWatch's PutMetricAlarm budget is small (a few calls a second): one at a time, with
    // the SDK's retries backing off when throttled.
    for change in &plan.changes {
        match (&change.kind, &change.desired) {
            (ChangeKind::Delete, _) => deletes.push(change.alarm.clone()),
            (_, Some(desired)) => {
                let keep = actions.get(change.alarm.as_str()).copied();
                match put_alarm(client, desired, keep).await {
                    Ok(()) => report.applied.push(change.alarm.clone()),
                    Err(e) => report.failed.push((change.alarm.clone(), e.to_string())),
                }
            }
            (_, None) => report
                .failed
                .push((change.alarm.clone(), "no definition to write".to_owned())),
        }
    }
    for batch in deletes.chunks(DELETE_BATCH) {
        let r = client
            .delete_alarms()
            .set_alarm_names(Some(batch.to_vec()))
            .send()
            .await;
        match r {
            Ok(_) => report.applied.extend(batch.iter().cloned()),
            Err(e) => {
                let e = cloudwatch_error("DeleteAlarms", failure_of(&e)).to_string();
                report
                    .failed
                    .extend(batch.iter().map(|n| (n.clone(), e.clone())));
            }
        }
    }
    report.plan = plan;
    if report.failed.is_empty() {
        Ok(report)
    } else {
        Err(AlarmError::Incomplete(Box::new(report)))
    }
}

async fn put_alarm(
    client: &Client,
    a: &AlarmConfig,
    keep: Option<&AlarmActions>,
) -> Result<(), AlarmError> {
    let mut req = client
        .put_metric_alarm()
        .alarm_name(&a.name)
        .alarm_description(&a.description)
        .namespace(&a.namespace)
        .metric_name(&a.metric_name)
        .statistic(Statistic::from(a.statistic.as_str()))
        .period(a.period)
        .evaluation_periods(a.evaluation_periods)
        .set_datapoints_to_alarm(a.datapoints_to_alarm)
        .threshold(a.threshold)
        .comparison_operator(ComparisonOperator::from(a.comparison.as_str()))
        .treat_missing_data(&a.treat_missing_data);
    for (name, value) in &a.dimensions {
        req = req.dimensions(Dimension::builder().name(name).value(value).build());
    }
    if let Some(k) = keep {
        req = req
            .set_actions_enabled(k.enabled)
            .set_alarm_actions(Some(k.alarm.clone()))
            .set_ok_actions(Some(k.ok.clone()))
            .set_insufficient_data_actions(Some(k.insufficient_data.clone()));
    }
    req.send()
        .await
        .map_err(|e| cloudwatch_error("PutMetricAlarm", failure_of(&e)))?;
    Ok(())
}

/// Discover, list, diff, and (unless `dry_run`) apply.
pub async fn sync(
    client: &Client,
    network: &dyn Network,
    policy: &Policy,
    prefix: &str,
    dry_run: bool,
) -> Result<SyncReport, AlarmError> {
    check_prefix(prefix)?;
    let discovery = discover(network, policy).await?;
    let existing = existing_alarms(client, prefix).await?;
    let plan = diff(
        &desired_alarms(&discovery, prefix),
        &existing,
        prefix,
        &discovery,
    );
    if dry_run || plan.is_empty() {
        return Ok(SyncReport {
            dry_run,
            plan,
            ..SyncReport::default()
        });
    }
    apply(client, plan, &existing).await
}

/// The CloudWatch error of `op`, naming the IAM action when access is denied, by the shared
/// classification (which also says whether it is retryable).
fn cloudwatch_error(op: &'static str, failure: Failure) -> AlarmError {
    let class = failure.class();
    let m = failure.message();
    let (message, retryable) = match &failure {
        Failure::NoAnswer { .. } => (format!("no answer: {m}"), true),
        Failure::NotSent { .. } => (format!("request not sent: {m}"), false),
        // CloudWatch's quota of alarms: not throttling, retrying never helps.
        Failure::Answer { .. } if failure.is(&["LimitExceeded", "LimitExceededFault"]) => (
            format!(
                "{m} (the account's alarm quota is reached: raise it, or delete unused alarms)"
            ),
            false,
        ),
        Failure::Answer { .. } if class == Class::AccessDenied => (
            format!("access denied: {m} (the role needs cloudwatch:{op})"),
            false,
        ),
        Failure::Answer { .. } => match failure.code() {
            Some(c) => (format!("{c}: {m}"), class.is_retryable()),
            None => (
                format!("HTTP {}: {m}", failure.status().unwrap_or_default()),
                class.is_retryable(),
            ),
        },
    };
    AlarmError::CloudWatch {
        op,
        message,
        retryable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_that_could_match_everything_are_refused() {
        assert!(check_prefix("tgw-ha-").is_ok());
        assert!(check_prefix("").is_err());
        assert!(check_prefix("tgw-*").is_err());
        assert!(check_prefix(&"x".repeat(201)).is_err());
    }

    #[test]
    fn cloudwatch_errors_name_the_action_and_say_if_retryable() {
        let answer = |status: u16, code: &str| Failure::Answer {
            status: Some(status),
            code: Some(code.to_owned()),
            message: "no".into(),
        };
        let e = cloudwatch_error("PutMetricAlarm", answer(403, "AccessDenied"));
        assert!(e.to_string().contains("cloudwatch:PutMetricAlarm"), "{e}");
        assert!(!e.is_retryable());
        assert!(cloudwatch_error("PutMetricAlarm", answer(400, "Throttling")).is_retryable());
        assert!(cloudwatch_error("DescribeAlarms", answer(500, "InternalFailure")).is_retryable());
        let quota = cloudwatch_error("PutMetricAlarm", answer(400, "LimitExceeded"));
        assert!(!quota.is_retryable());
        assert!(quota.to_string().contains("quota"), "{quota}");
        let timeout = cloudwatch_error(
            "DescribeAlarms",
            Failure::NoAnswer {
                message: "timed out".into(),
            },
        );
        assert!(timeout.is_retryable());
    }
}
