//! CloudWatch Embedded Metric Format: one JSON line per invocation on stdout, which CloudWatch
//! Logs turns into metrics in the `tgw-ha` namespace with no API call (and no permission beyond
//! writing logs).
//!
//! | metric | unit | value |
//! |---|---|---|
//! | `RoutesMoved` | Count | moves done by this invocation |
//! | `FailoverDurationMs` | Milliseconds | from the trigger's arrival to the last move; only when routes moved |
//! | `GroupsDegraded` | Count | groups (in the trigger's scope) left on a backup member |
//! | `GroupsDown` | Count | groups (in the trigger's scope) with no healthy member |
//! | `MoveFailures` | Count | moves that failed or were abandoned |
//! | `InvalidGroups` | Count | groups seen whose tags are invalid (left unprotected) |
//! | `ContradictedSignals` | Count | members kept down by a DOWN signal that telemetry contradicts |
//! | `AlarmSyncFailures` | Count | 1 when the sweep's alarm sync failed in some Region (only on sweeps with `TGW_HA_ALARM_SYNC`) |
//! | `SweepCompleted` | Count | 1 on a scheduled sweep that completed with no failed move (the deployment's heartbeat alarm) |
//! | `Errors` | Count | 1 on an invocation that failed before any outcome (see `emf_error`) |
//!
//! One dimension set, `[["Function"]]`; `Trigger`, `DryRun` and `ErrorType` ride along as
//! properties (searchable in Logs Insights, not dimensions: they would multiply the metrics).

use serde_json::{Value, json};
use tgw_ha_core::Timestamp;
use tgw_ha_core::planner::{GroupReport, GroupStatus};
use tgw_ha_engine::Outcome;

pub const NAMESPACE: &str = "tgw-ha";

/// Every metric the function can emit. The deployment's alarms and dashboard name these and no
/// other (`tests/dashboard.rs`); a test below checks that the documents use no other name.
pub const METRICS: &[&str] = &[
    "RoutesMoved",
    "FailoverDurationMs",
    "GroupsDegraded",
    "GroupsDown",
    "MoveFailures",
    "InvalidGroups",
    "ContradictedSignals",
    "AlarmSyncFailures",
    "SweepCompleted",
    "Errors",
];

/// The start of the note the service leaves when an alarm sync fails.
pub use tgw_ha_engine::service::ALARM_SYNC_FAILED;

/// How the outcome of a scheduled sweep names its trigger (`Trigger::describe`).
const SWEEP: &str = "scheduled sweep";

/// The EMF document for one outcome (pure: the timestamp is the outcome's end).
pub fn emf(outcome: &Outcome, function_name: &str) -> Value {
    let in_scope: Vec<&GroupReport> = outcome.groups().filter(|g| g.in_scope).collect();
    let degraded = in_scope.iter().filter(|g| on_backup(g)).count();
    let down = in_scope
        .iter()
        .filter(|g| g.status == GroupStatus::Down)
        .count();
    let moved = outcome.moved();
    let mut metrics = vec![
        ("RoutesMoved", "Count", json!(moved)),
        ("GroupsDegraded", "Count", json!(degraded)),
        ("GroupsDown", "Count", json!(down)),
        ("MoveFailures", "Count", json!(outcome.failed())),
        ("InvalidGroups", "Count", json!(invalid_groups(outcome))),
        ("ContradictedSignals", "Count", json!(contradicted(outcome))),
    ];
    if moved > 0 {
        let ms = (outcome.finished_at - outcome.started_at)
            .num_milliseconds()
            .max(0);
        metrics.insert(1, ("FailoverDurationMs", "Milliseconds", json!(ms)));
    }
    // The service notes a failed alarm sync ("alarm sync failed: …", prefixed with the Region
    // in a multi-Region sweep): reported as a metric, which the deployment's alarm turns into
    // one notification per transition.
    if outcome.notes.iter().any(|n| n.contains(ALARM_SYNC_FAILED)) {
        metrics.push(("AlarmSyncFailures", "Count", json!(1)));
    }
    if sweep_completed(outcome) {
        metrics.push(("SweepCompleted", "Count", json!(1)));
    }
    let mut doc = document(outcome.finished_at, function_name, &metrics);
    doc["Trigger"] = json!(outcome.trigger);
    doc["DryRun"] = json!(outcome.dry_run);
    doc
}

/// The EMF document of an invocation that failed with no outcome to report (bad event,
/// lease busy, EC2 unreachable…): `Errors` = 1, with the Lambda error type as a property.
pub fn emf_error(error_type: &str, function_name: &str, at: Timestamp) -> Value {
    let mut doc = document(at, function_name, &[("Errors", "Count", json!(1))]);
    doc["ErrorType"] = json!(error_type);
    doc
}

/// The heartbeat: a real (not dry-run) scheduled sweep that got to its end with no failed move.
/// Its absence for a few minutes is what the deployment's heartbeat alarm watches.
fn sweep_completed(outcome: &Outcome) -> bool {
    outcome.trigger.starts_with(SWEEP) && !outcome.dry_run && outcome.failed() == 0
}

/// Distinct invalid groups over every TGW of the run (one with members on two TGWs is seen by
/// both).
fn invalid_groups(outcome: &Outcome) -> usize {
    let names: std::collections::BTreeSet<_> = outcome
        .tgws
        .iter()
        .flat_map(|t| t.invalid.iter().map(|g| &g.name))
        .collect();
    names.len()
}

/// Distinct member VPNs whose DOWN signal telemetry contradicts (a VPN in two groups counts once).
fn contradicted(outcome: &Outcome) -> usize {
    let vpns: std::collections::BTreeSet<_> = outcome
        .groups()
        .flat_map(|g| g.members.iter())
        .filter(|m| m.health.contradicted.is_some())
        .map(|m| &m.vpn)
        .collect();
    vpns.len()
}

/// Where the group's routes end after this run: on a member other than the primary.
fn on_backup(g: &GroupReport) -> bool {
    let Some(desired) = &g.desired else {
        return false;
    };
    g.members
        .iter()
        .find(|m| &m.vpn == desired)
        .is_some_and(|m| m.priority > 0)
}

fn document(at: Timestamp, function_name: &str, metrics: &[(&str, &str, Value)]) -> Value {
    let definitions: Vec<Value> = metrics
        .iter()
        .map(|(name, unit, _)| json!({ "Name": name, "Unit": unit }))
        .collect();
    let mut doc = json!({
        "_aws": {
            "Timestamp": at.timestamp_millis(),
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["Function"]],
                "Metrics": definitions,
            }],
        },
        "Function": function_name,
    });
    for (name, _, value) in metrics {
        doc[*name] = value.clone();
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::collections::BTreeMap;
    use tgw_ha_core::health::Health;
    use tgw_ha_core::ids::{AttachmentId, GroupName, RouteTableId, TgwId, VpnId};
    use tgw_ha_core::model::{Destination, RouteKey};
    use tgw_ha_core::planner::{MemberReport, Move, MoveKind};
    use tgw_ha_engine::outcome::{MoveResult, MoveStatus, TgwOutcome};

    fn t(ms: i64) -> Timestamp {
        chrono::Utc
            .timestamp_millis_opt(1_773_480_000_000 + ms)
            .unwrap()
    }

    fn member(vpn: &str, priority: u32) -> MemberReport {
        MemberReport {
            vpn: VpnId::new(vpn),
            name: None,
            attachment: AttachmentId::new(format!("tgw-attach-{}", &vpn[4..])),
            role: if priority == 0 { "primary" } else { "backup" }.into(),
            priority,
            health: Health {
                healthy: true,
                stable: true,
                tunnels_up: 2,
                tunnels: vec![],
                stable_at: None,
                reason: None,
                contradicted: None,
            },
            routes: 0,
        }
    }

    fn group(
        name: &str,
        desired: Option<&str>,
        status: GroupStatus,
        in_scope: bool,
    ) -> GroupReport {
        GroupReport {
            name: GroupName::new(name),
            tgw: TgwId::new("tgw-0a1b2c3d4e5f6a7b8"),
            members: vec![
                member("vpn-0000000000000001", 0),
                member("vpn-0000000000000002", 1),
            ],
            active: None,
            desired: desired.map(VpnId::new),
            status,
            pinned: None,
            routes: 2,
            moves: 0,
            in_scope,
            notes: vec![],
        }
    }

    fn result(i: u8, status: MoveStatus) -> MoveResult {
        MoveResult {
            planned: Move {
                key: RouteKey {
                    table: RouteTableId::new("tgw-rtb-0000000000000001"),
                    destination: Destination::Cidr(format!("10.0.{i}.0/24")),
                },
                group: GroupName::new("paris"),
                from: Some(AttachmentId::new("tgw-attach-0000000000000001")),
                to: AttachmentId::new("tgw-attach-0000000000000002"),
                to_vpn: VpnId::new("vpn-0000000000000002"),
                home: AttachmentId::new("tgw-attach-0000000000000001"),
                kind: MoveKind::Failover,
            },
            status,
            attempts: 1,
        }
    }

    fn outcome(groups: Vec<GroupReport>, results: Vec<MoveResult>) -> Outcome {
        Outcome {
            trigger: "CloudWatchAlarm vpn-0000000000000001 DOWN".into(),
            dry_run: false,
            started_at: t(0),
            finished_at: t(1_234),
            tgws: vec![TgwOutcome {
                tgw: TgwId::new("tgw-0a1b2c3d4e5f6a7b8"),
                groups,
                invalid: vec![],
                planned: results.iter().map(|r| r.planned.clone()).collect(),
                results,
                dropped: vec![],
                events: vec![],
                notify_errors: vec![],
                error: None,
            }],
            calls: BTreeMap::new(),
            notes: vec![],
        }
    }

    fn metric_names(doc: &Value) -> Vec<String> {
        doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn a_failover_reports_moves_duration_and_degraded_groups() {
        let o = outcome(
            vec![
                group(
                    "paris",
                    Some("vpn-0000000000000002"),
                    GroupStatus::FailingOver,
                    true,
                ),
                group(
                    "lyon",
                    Some("vpn-0000000000000001"),
                    GroupStatus::Home,
                    true,
                ),
                // Observed only: says nothing about this run.
                group("berlin", None, GroupStatus::Down, false),
            ],
            vec![
                result(1, MoveStatus::Done),
                result(2, MoveStatus::Done),
                result(
                    3,
                    MoveStatus::Failed {
                        error: "throttled".into(),
                        retryable: true,
                    },
                ),
                result(4, MoveStatus::Vanished),
            ],
        );
        let doc = emf(&o, "tgw-ha");
        assert_eq!(
            doc,
            json!({
                "_aws": {
                    "Timestamp": 1_773_480_001_234_i64,
                    "CloudWatchMetrics": [{
                        "Namespace": "tgw-ha",
                        "Dimensions": [["Function"]],
                        "Metrics": [
                            {"Name": "RoutesMoved", "Unit": "Count"},
                            {"Name": "FailoverDurationMs", "Unit": "Milliseconds"},
                            {"Name": "GroupsDegraded", "Unit": "Count"},
                            {"Name": "GroupsDown", "Unit": "Count"},
                            {"Name": "MoveFailures", "Unit": "Count"},
                            {"Name": "InvalidGroups", "Unit": "Count"},
                            {"Name": "ContradictedSignals", "Unit": "Count"},
                        ],
                    }],
                },
                "Function": "tgw-ha",
                "RoutesMoved": 2,
                "FailoverDurationMs": 1234,
                "GroupsDegraded": 1,
                "GroupsDown": 0,
                "MoveFailures": 1,
                "InvalidGroups": 0,
                "ContradictedSignals": 0,
                "Trigger": "CloudWatchAlarm vpn-0000000000000001 DOWN",
                "DryRun": false,
            })
        );
    }

    #[test]
    fn no_move_no_duration_and_down_groups_count() {
        let o = outcome(
            vec![
                group("paris", None, GroupStatus::Down, true),
                group(
                    "lyon",
                    Some("vpn-0000000000000002"),
                    GroupStatus::OnBackup,
                    true,
                ),
            ],
            vec![],
        );
        let doc = emf(&o, "fn");
        assert_eq!(
            metric_names(&doc),
            [
                "RoutesMoved",
                "GroupsDegraded",
                "GroupsDown",
                "MoveFailures",
                "InvalidGroups",
                "ContradictedSignals"
            ]
        );
        assert_eq!(doc.get("FailoverDurationMs"), None);
        assert_eq!(doc["RoutesMoved"], 0);
        assert_eq!(doc["GroupsDown"], 1);
        assert_eq!(doc["GroupsDegraded"], 1);
        // Every declared metric has its value at the root, as EMF requires.
        for name in metric_names(&doc) {
            assert!(doc.get(&name).is_some(), "{name}");
        }
    }

    #[test]
    fn errors_are_counted_with_their_type() {
        let doc = emf_error("Retryable.Busy", "fn", t(5));
        assert_eq!(metric_names(&doc), ["Errors"]);
        assert_eq!(doc["Errors"], 1);
        assert_eq!(doc["ErrorType"], "Retryable.Busy");
        assert_eq!(doc["Function"], "fn");
        assert_eq!(doc["_aws"]["Timestamp"], 1_773_480_000_005_i64);
    }

    #[test]
    fn a_completed_sweep_is_the_heartbeat() {
        let home = || {
            vec![group(
                "paris",
                Some("vpn-0000000000000001"),
                GroupStatus::Home,
                true,
            )]
        };
        let mut sweep = outcome(home(), vec![]);
        sweep.trigger = "scheduled sweep".into();
        let doc = emf(&sweep, "fn");
        assert_eq!(doc["SweepCompleted"], 1);
        assert!(metric_names(&doc).contains(&"SweepCompleted".to_owned()));

        // Not a dry run, not a sweep with a failed move, not another trigger.
        let mut dry = sweep.clone();
        dry.dry_run = true;
        let mut failed = outcome(
            home(),
            vec![result(
                1,
                MoveStatus::Failed {
                    error: "throttled".into(),
                    retryable: true,
                },
            )],
        );
        failed.trigger = "scheduled sweep".into();
        let alarm = outcome(home(), vec![]);
        for o in [dry, failed, alarm] {
            assert_eq!(emf(&o, "fn").get("SweepCompleted"), None, "{}", o.trigger);
        }
    }

    #[test]
    fn every_metric_emitted_is_listed() {
        let mut sweep = outcome(
            vec![group("paris", None, GroupStatus::Down, true)],
            vec![result(1, MoveStatus::Done)],
        );
        sweep.trigger = "scheduled sweep".into();
        let mut failed_sync = sweep.clone();
        failed_sync
            .notes
            .push(format!("{ALARM_SYNC_FAILED}: AccessDenied"));
        let docs = [
            emf(&sweep, "fn"),
            emf(&failed_sync, "fn"),
            emf_error("Retryable.Busy", "fn", t(0)),
        ];
        for doc in &docs {
            for name in metric_names(doc) {
                assert!(METRICS.contains(&name.as_str()), "{name} is not in METRICS");
            }
        }
        let emitted: Vec<String> = docs.iter().flat_map(metric_names).collect();
        for name in METRICS {
            assert!(emitted.iter().any(|e| e == name), "{name} is never emitted");
        }
    }
}

#[cfg(test)]
mod alarm_sync_tests {
    use super::*;

    #[test]
    fn a_failed_alarm_sync_is_a_metric() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-03-14T09:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let mut o = Outcome {
            trigger: "scheduled sweep".into(),
            dry_run: false,
            started_at: at,
            finished_at: at,
            tgws: vec![],
            calls: Default::default(),
            notes: vec![],
        };
        assert_eq!(emf(&o, "fn").get("AlarmSyncFailures"), None);
        o.notes
            .push("us-east-1: alarm sync failed: AccessDenied".into());
        assert_eq!(emf(&o, "fn")["AlarmSyncFailures"], 1);
    }
}
