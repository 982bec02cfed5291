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
//! group discovery) and [`diff`] (desired vs existing) are pure and table-tested; [`discover`],
//! [`existing_alarms`] and [`apply`] do the I/O; [`sync`] runs all of it.
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
use std::fmt;
use tgw_ha_core::groups::{Discovery, discover as discover_groups, is_tagged_member};
use tgw_ha_core::ids::{TgwId, VpnId};
use tgw_ha_core::policy::Policy;
use tgw_ha_engine::ports::{NetError, Network};

/// The prefix of managed alarm names, and of the alarms the deployment's rule listens to.
pub const DEFAULT_PREFIX: &str = "tgw-ha-";
/// The environment variable naming the prefix (the template sets it from `AlarmPrefix`).
pub const PREFIX_ENV: &str = "TGW_HA_ALARM_PREFIX";
/// The environment variable that turns the sync on in the scheduled sweep (`true`/`false`).
pub const SYNC_ENV: &str = "TGW_HA_ALARM_SYNC";

const NAMESPACE: &str = "AWS/VPN";
const METRIC: &str = "TunnelState";
const DIMENSION: &str = "VpnId";
const STATISTIC: &str = "Maximum";
const COMPARISON: &str = "LessThanThreshold";
const MISSING: &str = "breaching";
const PERIOD: i32 = 60;
const EVALUATION_PERIODS: i32 = 1;
const THRESHOLD: f64 = 1.0;
/// CloudWatch takes descriptions of at most 1024 characters.
const DESCRIPTION_MAX: usize = 1024;
/// DeleteAlarms takes at most 100 names per call.
const DELETE_BATCH: usize = 100;
/// CloudWatch takes alarm names of at most 255 characters; a VPN id is at most 21.
const PREFIX_MAX: usize = 200;

/// The definition of one metric alarm: what sync compares and writes. Actions are not part of
/// it (they are carried over, see [`ExistingAlarm`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmConfig {
    pub name: String,
    pub description: String,
    pub namespace: String,
    pub metric_name: String,
    /// `(name, value)`, sorted by name.
    pub dimensions: Vec<(String, String)>,
    /// `Maximum`, or the extended statistic (`p99`) of an alarm that uses one.
    pub statistic: String,
    pub period: i32,
    pub evaluation_periods: i32,
    /// `None`: the same as `evaluation_periods` (CloudWatch's default).
    pub datapoints_to_alarm: Option<i32>,
    pub threshold: f64,
    pub comparison: String,
    pub treat_missing_data: String,
    pub unit: Option<String>,
}

/// Alarm actions of an existing alarm, carried over when sync overwrites its definition.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AlarmActions {
    pub enabled: Option<bool>,
    pub alarm: Vec<String>,
    pub ok: Vec<String>,
    pub insufficient_data: Vec<String>,
}

/// An alarm that exists in CloudWatch (with the prefix).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExistingAlarm {
    pub config: AlarmConfig,
    pub actions: AlarmActions,
    /// A metric-math alarm: never ours, so never managed, whatever its name.
    pub metric_math: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Create,
    Update,
    Delete,
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChangeKind::Create => "create",
            ChangeKind::Update => "update",
            ChangeKind::Delete => "delete",
        })
    }
}

/// One change sync makes (or, with `--dry-run`, would make).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmChange {
    pub kind: ChangeKind,
    pub alarm: String,
    pub vpn: VpnId,
    /// Why, for people: the groups of a new alarm, the fields that differ, why one goes.
    pub reason: String,
    /// What is written (create, update); `None` for a delete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired: Option<AlarmConfig>,
}

/// Desired vs existing: the value `--dry-run` prints and [`apply`] executes.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AlarmPlan {
    pub prefix: String,
    /// Sorted by alarm name.
    pub changes: Vec<AlarmChange>,
    /// Managed alarms already as desired.
    pub unchanged: Vec<String>,
    /// Alarms with the prefix that are not `<prefix>vpn-…` metric alarms: never touched.
    pub ignored: Vec<String>,
    /// Groups that discovery refused (their VPNs get no alarm), with the reason.
    pub invalid_groups: Vec<String>,
}

impl AlarmPlan {
    pub fn count(&self, kind: ChangeKind) -> usize {
        self.changes.iter().filter(|c| c.kind == kind).count()
    }
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

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
    if prefix.is_empty() || prefix.len() > PREFIX_MAX || prefix.contains('*') {
        return Err(AlarmError::InvalidPrefix(prefix.to_owned()));
    }
    Ok(())
}

/// The name of the alarm of `vpn`.
pub fn alarm_name(prefix: &str, vpn: &VpnId) -> String {
    format!("{prefix}{vpn}")
}

/// The VPN a managed alarm name stands for: `<prefix>vpn-<hex>` exactly, else `None`.
pub fn managed_vpn(prefix: &str, name: &str) -> Option<VpnId> {
    let id = name.strip_prefix(prefix)?;
    let hex = id.strip_prefix("vpn-")?;
    let ok = !hex.is_empty()
        && hex.len() <= 17
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    ok.then(|| VpnId::new(id))
}

/// The alarm every member VPN of a valid group should have, sorted by name; a VPN that is a
/// member of several groups (mutual backup) gets one alarm.
pub fn desired_alarms(discovery: &Discovery, prefix: &str) -> Vec<AlarmConfig> {
    let mut roles: BTreeMap<&VpnId, Vec<String>> = BTreeMap::new();
    for g in &discovery.groups {
        for m in &g.members {
            roles.entry(&m.vpn).or_default().push(format!(
                "{} ({})",
                g.name,
                m.role.to_ascii_lowercase()
            ));
        }
    }
    roles
        .into_iter()
        .map(|(vpn, groups)| desired_alarm(prefix, vpn, &groups))
        .collect()
}

fn desired_alarm(prefix: &str, vpn: &VpnId, groups: &[String]) -> AlarmConfig {
    let mut description = format!(
        "Managed by tgw-ha (alarms sync): ALARM when both tunnels of {vpn} are down. Member of \
         {}. Changes made here are overwritten by the next sync.",
        groups.join(", ")
    );
    if description.len() > DESCRIPTION_MAX {
        let mut cut = DESCRIPTION_MAX - 3;
        while !description.is_char_boundary(cut) {
            cut -= 1;
        }
        description.truncate(cut);
        description.push_str("...");
    }
    AlarmConfig {
        name: alarm_name(prefix, vpn),
        description,
        namespace: NAMESPACE.to_owned(),
        metric_name: METRIC.to_owned(),
        dimensions: vec![(DIMENSION.to_owned(), vpn.to_string())],
        statistic: STATISTIC.to_owned(),
        period: PERIOD,
        evaluation_periods: EVALUATION_PERIODS,
        datapoints_to_alarm: None,
        threshold: THRESHOLD,
        comparison: COMPARISON.to_owned(),
        treat_missing_data: MISSING.to_owned(),
        unit: None,
    }
}

/// The fields of `existing` that differ from `desired`, by name (empty: as desired).
pub fn differences(desired: &AlarmConfig, existing: &AlarmConfig) -> Vec<String> {
    let mut out = Vec::new();
    let mut check = |field: &str, want: String, have: String| {
        if want != have {
            out.push(format!("{field} {have} -> {want}"));
        }
    };
    check(
        "namespace",
        desired.namespace.clone(),
        existing.namespace.clone(),
    );
    check(
        "metric",
        desired.metric_name.clone(),
        existing.metric_name.clone(),
    );
    let dims = |d: &[(String, String)]| {
        let mut v: Vec<String> = d.iter().map(|(k, v)| format!("{k}={v}")).collect();
        v.sort();
        format!("[{}]", v.join(","))
    };
    check(
        "dimensions",
        dims(&desired.dimensions),
        dims(&existing.dimensions),
    );
    check(
        "statistic",
        desired.statistic.clone(),
        existing.statistic.clone(),
    );
    check(
        "period",
        desired.period.to_string(),
        existing.period.to_string(),
    );
    check(
        "evaluation_periods",
        desired.evaluation_periods.to_string(),
        existing.evaluation_periods.to_string(),
    );
    let datapoints = |c: &AlarmConfig| c.datapoints_to_alarm.unwrap_or(c.evaluation_periods);
    check(
        "datapoints_to_alarm",
        datapoints(desired).to_string(),
        datapoints(existing).to_string(),
    );
    check(
        "threshold",
        desired.threshold.to_string(),
        existing.threshold.to_string(),
    );
    check(
        "comparison",
        desired.comparison.clone(),
        existing.comparison.clone(),
    );
    check(
        "treat_missing_data",
        desired.treat_missing_data.clone(),
        existing.treat_missing_data.clone(),
    );
    let unit = |u: &Option<String>| u.clone().unwrap_or_else(|| "none".to_owned());
    check("unit", unit(&desired.unit), unit(&existing.unit));
    if desired.description != existing.description {
        out.push("description".to_owned());
    }
    out
}

/// Desired vs existing alarms. `existing` may hold alarms without the prefix: they are left
/// out, as if never listed.
pub fn diff(
    desired: &[AlarmConfig],
    existing: &[ExistingAlarm],
    prefix: &str,
    discovery: &Discovery,
) -> AlarmPlan {
    let mut plan = AlarmPlan {
        prefix: prefix.to_owned(),
        invalid_groups: discovery
            .invalid
            .iter()
            .map(|g| format!("{}: {}", g.name, g.reason))
            .collect(),
        ..AlarmPlan::default()
    };
    let mut managed: BTreeMap<&str, (&ExistingAlarm, VpnId)> = BTreeMap::new();
    for e in existing {
        let name = e.config.name.as_str();
        if !name.starts_with(prefix) {
            continue;
        }
        match managed_vpn(prefix, name) {
            Some(vpn) if !e.metric_math => {
                managed.insert(name, (e, vpn));
            }
            _ => plan.ignored.push(name.to_owned()),
        }
    }
    let wanted: BTreeSet<&str> = desired.iter().map(|d| d.name.as_str()).collect();
    for d in desired {
        let vpn = managed_vpn(prefix, &d.name).expect("desired alarm names are managed names");
        match managed.get(d.name.as_str()) {
            None => plan.changes.push(AlarmChange {
                kind: ChangeKind::Create,
                alarm: d.name.clone(),
                vpn,
                reason: groups_of(d),
                desired: Some(d.clone()),
            }),
            Some((e, _)) => {
                let diffs = differences(d, &e.config);
                if diffs.is_empty() {
                    plan.unchanged.push(d.name.clone());
                } else {
                    plan.changes.push(AlarmChange {
                        kind: ChangeKind::Update,
                        alarm: d.name.clone(),
                        vpn,
                        reason: diffs.join("; "),
                        desired: Some(d.clone()),
                    });
                }
            }
        }
    }
    for (name, (_, vpn)) in managed {
        if !wanted.contains(name) {
            plan.changes.push(AlarmChange {
                kind: ChangeKind::Delete,
                alarm: name.to_owned(),
                vpn,
                reason: "vpn is not a member of any valid group".to_owned(),
                desired: None,
            });
        }
    }
    plan.changes.sort_by(|a, b| a.alarm.cmp(&b.alarm));
    plan.ignored.sort();
    plan
}

fn groups_of(d: &AlarmConfig) -> String {
    d.description
        .split_once("Member of ")
        .and_then(|(_, rest)| rest.split_once(". "))
        .map_or_else(String::new, |(groups, _)| format!("member of {groups}"))
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
    use tgw_ha_core::groups::{Group, InvalidGroup, Member};
    use tgw_ha_core::ids::{AttachmentId, GroupName};

    const P: &str = "tgw-ha-";

    fn member(vpn: &str, priority: u32, role: &str) -> Member {
        Member {
            vpn: VpnId::new(vpn),
            attachment: AttachmentId::new(format!("tgw-attach-{vpn}")),
            priority,
            role: role.to_owned(),
        }
    }

    fn group(name: &str, members: Vec<Member>) -> Group {
        Group {
            name: GroupName::new(name),
            tgw: TgwId::new("tgw-0123456789abcdef0"),
            members,
        }
    }

    /// paris: A primary, B backup; lyon: B primary, A backup (mutual); nice: C primary, D backup.
    fn discovery() -> Discovery {
        Discovery {
            groups: vec![
                group(
                    "lyon",
                    vec![
                        member("vpn-0b", 0, "primary"),
                        member("vpn-0a", 1, "backup"),
                    ],
                ),
                group(
                    "nice",
                    vec![
                        member("vpn-0c", 0, "Primary"),
                        member("vpn-0d", 1, "backup"),
                    ],
                ),
                group(
                    "paris",
                    vec![
                        member("vpn-0a", 0, "primary"),
                        member("vpn-0b", 1, "backup"),
                    ],
                ),
            ],
            invalid: vec![InvalidGroup {
                name: GroupName::new("lille"),
                vpns: vec![VpnId::new("vpn-0e")],
                reason: "only one member (vpn-0e)".into(),
            }],
        }
    }

    fn existing(config: AlarmConfig) -> ExistingAlarm {
        ExistingAlarm {
            config,
            actions: AlarmActions::default(),
            metric_math: false,
        }
    }

    fn kinds(plan: &AlarmPlan) -> Vec<(ChangeKind, &str)> {
        plan.changes
            .iter()
            .map(|c| (c.kind, c.alarm.as_str()))
            .collect()
    }

    #[test]
    fn one_alarm_per_member_vpn_even_in_two_groups() {
        let d = desired_alarms(&discovery(), P);
        let names: Vec<&str> = d.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "tgw-ha-vpn-0a",
                "tgw-ha-vpn-0b",
                "tgw-ha-vpn-0c",
                "tgw-ha-vpn-0d"
            ]
        );
        let a = &d[0];
        assert_eq!(a.namespace, "AWS/VPN");
        assert_eq!(a.metric_name, "TunnelState");
        assert_eq!(a.dimensions, [("VpnId".to_owned(), "vpn-0a".to_owned())]);
        assert_eq!(a.statistic, "Maximum");
        assert_eq!((a.period, a.evaluation_periods), (60, 1));
        assert_eq!(a.threshold, 1.0);
        assert_eq!(a.comparison, "LessThanThreshold");
        assert_eq!(a.treat_missing_data, "breaching");
        assert!(
            a.description
                .contains("Member of lyon (backup), paris (primary)."),
            "{}",
            a.description
        );
        // The role is lower-cased so that retagging `Primary` as `primary` changes nothing.
        assert!(d[2].description.contains("nice (primary)"));
    }

    #[test]
    fn managed_names_are_prefix_and_vpn_id_exactly() {
        assert_eq!(
            managed_vpn(P, "tgw-ha-vpn-0123456789abcdef0"),
            Some(VpnId::new("vpn-0123456789abcdef0"))
        );
        assert_eq!(
            managed_vpn(P, "tgw-ha-vpn-1a2b3c4d"),
            Some(VpnId::new("vpn-1a2b3c4d"))
        );
        for name in [
            "tgw-ha-vpn-",
            "tgw-ha-vpn-0A",
            "tgw-ha-vpn-0123456789abcdef01",
            "tgw-ha-vpn-0a-extra",
            "tgw-ha-dashboard",
            "other-vpn-0a",
            "tgw-ha-",
        ] {
            assert_eq!(managed_vpn(P, name), None, "{name}");
        }
    }

    #[test]
    fn nothing_exists_creates_every_alarm() {
        let d = discovery();
        let plan = diff(&desired_alarms(&d, P), &[], P, &d);
        assert_eq!(
            kinds(&plan),
            [
                (ChangeKind::Create, "tgw-ha-vpn-0a"),
                (ChangeKind::Create, "tgw-ha-vpn-0b"),
                (ChangeKind::Create, "tgw-ha-vpn-0c"),
                (ChangeKind::Create, "tgw-ha-vpn-0d"),
            ]
        );
        assert_eq!(
            plan.changes[0].reason,
            "member of lyon (backup), paris (primary)"
        );
        assert_eq!(plan.invalid_groups, ["lille: only one member (vpn-0e)"]);
    }

    #[test]
    fn as_desired_is_unchanged_and_a_second_diff_is_empty() {
        let d = discovery();
        let desired = desired_alarms(&d, P);
        let exist: Vec<ExistingAlarm> = desired.iter().cloned().map(existing).collect();
        let plan = diff(&desired, &exist, P, &d);
        assert!(plan.is_empty(), "{plan:?}");
        assert_eq!(plan.unchanged.len(), 4);
    }

    #[test]
    fn a_changed_field_is_an_update_naming_it() {
        let d = discovery();
        let desired = desired_alarms(&d, P);
        let mut exist: Vec<ExistingAlarm> = desired.iter().cloned().map(existing).collect();
        exist[1].config.threshold = 0.5;
        exist[1].config.treat_missing_data = "missing".into();
        exist[2].config.datapoints_to_alarm = Some(1); // the same as evaluation periods
        exist[3].config.statistic = "p99".into();
        let plan = diff(&desired, &exist, P, &d);
        assert_eq!(
            kinds(&plan),
            [
                (ChangeKind::Update, "tgw-ha-vpn-0b"),
                (ChangeKind::Update, "tgw-ha-vpn-0d")
            ]
        );
        assert_eq!(
            plan.changes[0].reason,
            "threshold 0.5 -> 1; treat_missing_data missing -> breaching"
        );
        assert_eq!(plan.changes[1].reason, "statistic p99 -> Maximum");
        assert_eq!(plan.changes[0].desired.as_ref(), Some(&desired[1]));
    }

    #[test]
    fn an_alarm_of_a_vpn_no_longer_in_a_group_is_deleted_others_ignored() {
        let d = discovery();
        let desired = desired_alarms(&d, P);
        let mut exist: Vec<ExistingAlarm> = desired.iter().cloned().map(existing).collect();
        let gone = desired_alarm(P, &VpnId::new("vpn-0e"), &["lille (primary)".into()]);
        exist.push(existing(gone));
        // Shares the prefix but is not `<prefix>vpn-…`: someone else's.
        let mut theirs = desired[0].clone();
        theirs.name = "tgw-ha-dashboard-health".into();
        exist.push(existing(theirs));
        // A metric-math alarm with a managed-looking name: not ours either.
        let mut math = existing(desired_alarm(P, &VpnId::new("vpn-0f"), &[]));
        math.metric_math = true;
        exist.push(math);
        // Without the prefix: never even listed by a real DescribeAlarms.
        let mut other = desired[0].clone();
        other.name = "prod-vpn-0e".into();
        exist.push(existing(other));

        let plan = diff(&desired, &exist, P, &d);
        assert_eq!(kinds(&plan), [(ChangeKind::Delete, "tgw-ha-vpn-0e")]);
        assert_eq!(plan.changes[0].vpn, VpnId::new("vpn-0e"));
        assert_eq!(plan.changes[0].desired, None);
        assert_eq!(plan.ignored, ["tgw-ha-dashboard-health", "tgw-ha-vpn-0f"]);
    }

    #[test]
    fn no_valid_group_deletes_every_managed_alarm() {
        let d = discovery();
        let exist: Vec<ExistingAlarm> = desired_alarms(&d, P).into_iter().map(existing).collect();
        let none = Discovery::default();
        let plan = diff(&[], &exist, P, &none);
        assert_eq!(plan.count(ChangeKind::Delete), 4);
        assert_eq!(plan.count(ChangeKind::Create), 0);
    }

    #[test]
    fn another_prefix_sees_only_its_own_alarms() {
        let d = discovery();
        let exist: Vec<ExistingAlarm> = desired_alarms(&d, P).into_iter().map(existing).collect();
        let plan = diff(&desired_alarms(&d, "vpnha-"), &exist, "vpnha-", &d);
        assert_eq!(plan.count(ChangeKind::Create), 4);
        assert_eq!(plan.count(ChangeKind::Delete), 0);
        assert!(plan.ignored.is_empty());
    }

    #[test]
    fn long_descriptions_are_cut_to_cloudwatch_limit() {
        let groups: Vec<String> = (0..200).map(|i| format!("site-{i} (backup{i})")).collect();
        let a = desired_alarm(P, &VpnId::new("vpn-0a"), &groups);
        assert!(a.description.len() <= DESCRIPTION_MAX);
        assert!(a.description.ends_with("..."));
    }

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
