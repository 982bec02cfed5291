//! The CloudWatch alarms tgw-ha manages, as plain data: which alarm every member VPN should
//! have ([`desired_alarms`]) and what to change so that CloudWatch matches ([`diff`]). The aws
//! crate reads the existing alarms, applies the plan, and runs the sync.
//!
//! One metric alarm per VPN that is a member of a valid group, named `<prefix><vpn id>`:
//! `AWS/VPN` `TunnelState` on the `VpnId` dimension, `Maximum < 1` over one 60 s period,
//! missing data breaching — so it goes to ALARM when *both* tunnels are down (or the VPN stops
//! reporting).
//!
//! Contract: pure, table-tested. Only alarms named exactly `<prefix>vpn-<hex>` are managed;
//! another alarm that merely shares the prefix is listed as ignored and never changed or
//! deleted. A managed alarm whose VPN is no longer a member of a valid group is deleted; one
//! whose definition differs from the desired one is an update naming the fields that differ.

use crate::groups::Discovery;
use crate::ids::VpnId;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The prefix of managed alarm names, and of the alarms the deployment's rule listens to.
pub const DEFAULT_PREFIX: &str = "tgw-ha-";

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
/// CloudWatch takes alarm names of at most 255 characters; a VPN id is at most 21.
pub const PREFIX_MAX: usize = 200;

/// Whether alarms may be listed, and so deleted, by `prefix`: not empty (or it would match
/// every alarm of the account), no `*`, and short enough for a full name.
pub fn is_usable_prefix(prefix: &str) -> bool {
    !prefix.is_empty() && prefix.len() <= PREFIX_MAX && !prefix.contains('*')
}

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

/// Desired vs existing: the value `--dry-run` prints and the aws crate's `apply` executes.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::groups::{Group, InvalidGroup, Member};
    use crate::ids::{AttachmentId, GroupName, TgwId};

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
}
