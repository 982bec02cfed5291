//! `tgw-ha alarms sync` against moto's CloudWatch: create, update (a changed threshold, with the
//! operator's alarm action kept), delete (a VPN whose tag was removed), and a dry run that
//! changes nothing. The EC2 side is a fixed list of tagged VPNs behind the engine's `Network`
//! port, so group discovery is the real one (the core's).
//!
//! moto is shared by the tests of this binary: each test uses its own alarm prefix.

mod common;

use async_trait::async_trait;
use chrono::TimeZone;
use common::moto::sdk_config;
use std::collections::BTreeMap;
use std::sync::Mutex;
use tgw_ha_aws::alarms::{self, AlarmError, ChangeKind};
use tgw_ha_aws::cloudwatch_client;
use tgw_ha_core::ids::{AttachmentId, PrefixListId, RouteTableId, TgwId, VpnId};
use tgw_ha_core::model::{
    Attachment, Route, RouteTable, Tunnel, TunnelStatus, VpnConnection, VpnState,
};
use tgw_ha_core::policy::Policy;
use tgw_ha_engine::ports::{NetError, Network};

const TGW: &str = "tgw-0123456789abcdef0";

/// The VPNs and attachments of one TGW; reads only (sync never writes to EC2).
struct Vpns {
    vpns: Mutex<Vec<VpnConnection>>,
    fail: bool,
}

fn vpn(id: &str, tags: &[(&str, &str)]) -> VpnConnection {
    let t = chrono::Utc.with_ymd_and_hms(2024, 5, 1, 10, 0, 0).unwrap();
    VpnConnection {
        id: VpnId::new(id),
        state: VpnState::Available,
        transit_gateway_id: Some(TgwId::new(TGW)),
        tags: tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<BTreeMap<_, _>>(),
        tunnels: ["203.0.113.1", "203.0.113.2"]
            .iter()
            .map(|ip| Tunnel {
                outside_ip: (*ip).to_owned(),
                status: TunnelStatus::Up,
                last_status_change: t,
            })
            .collect(),
    }
}

/// paris: A primary, B backup; lyon: B primary, A backup; nice: C primary, D backup; E untagged.
fn world() -> Vec<VpnConnection> {
    vec![
        vpn(
            "vpn-0aaaaaaaaaaaaaaa1",
            &[("paris", "primary"), ("lyon", "backup"), ("Name", "a")],
        ),
        vpn(
            "vpn-0bbbbbbbbbbbbbbb2",
            &[("lyon", "primary"), ("paris", "backup")],
        ),
        vpn("vpn-0ccccccccccccccc3", &[("nice", "primary")]),
        vpn("vpn-0ddddddddddddddd4", &[("nice", "Backup")]),
        vpn("vpn-0eeeeeeeeeeeeeee5", &[("Name", "lab")]),
    ]
}

impl Vpns {
    fn new(vpns: Vec<VpnConnection>) -> Self {
        Self {
            vpns: Mutex::new(vpns),
            fail: false,
        }
    }
    fn untag(&self, id: &str, key: &str) {
        let mut vpns = self.vpns.lock().unwrap();
        let v = vpns.iter_mut().find(|v| v.id.as_str() == id).unwrap();
        v.tags.remove(key);
    }
}

#[async_trait]
impl Network for Vpns {
    async fn vpn_connections(&self) -> Result<Vec<VpnConnection>, NetError> {
        if self.fail {
            return Err(NetError::Unavailable {
                op: "DescribeVpnConnections".into(),
                message: "injected".into(),
            });
        }
        Ok(self.vpns.lock().unwrap().clone())
    }
    async fn vpn_attachments(&self, tgw: &TgwId) -> Result<Vec<Attachment>, NetError> {
        Ok(self
            .vpns
            .lock()
            .unwrap()
            .iter()
            .filter(|v| v.transit_gateway_id.as_ref() == Some(tgw))
            .map(|v| Attachment {
                id: AttachmentId::new(format!("tgw-attach-{}", &v.id.as_str()[4..])),
                transit_gateway_id: tgw.clone(),
                vpn_id: v.id.clone(),
                state: "available".into(),
            })
            .collect())
    }
    async fn route_tables(&self, _: &TgwId) -> Result<Vec<RouteTable>, NetError> {
        unreachable!("alarm sync reads no route table")
    }
    async fn static_routes(
        &self,
        _: &RouteTableId,
        _: &[AttachmentId],
    ) -> Result<Vec<Route>, NetError> {
        unreachable!("alarm sync reads no route")
    }
    async fn prefix_list_references(
        &self,
        _: &RouteTableId,
        _: &[AttachmentId],
    ) -> Result<Vec<Route>, NetError> {
        unreachable!("alarm sync reads no route")
    }
    async fn replace_route(
        &self,
        _: &RouteTableId,
        _: &str,
        _: &AttachmentId,
    ) -> Result<(), NetError> {
        unreachable!("alarm sync never writes to ec2")
    }
    async fn modify_prefix_list_reference(
        &self,
        _: &RouteTableId,
        _: &PrefixListId,
        _: &AttachmentId,
    ) -> Result<(), NetError> {
        unreachable!("alarm sync never writes to ec2")
    }
}

async fn client() -> aws_sdk_cloudwatch::Client {
    cloudwatch_client(&sdk_config().await)
}

/// Every metric alarm with `prefix`, by name, as CloudWatch describes it.
async fn described(
    cw: &aws_sdk_cloudwatch::Client,
    prefix: &str,
) -> BTreeMap<String, aws_sdk_cloudwatch::types::MetricAlarm> {
    cw.describe_alarms()
        .alarm_name_prefix(prefix)
        .send()
        .await
        .expect("describe alarms")
        .metric_alarms()
        .iter()
        .map(|a| (a.alarm_name().unwrap().to_owned(), a.clone()))
        .collect()
}

fn names(m: &BTreeMap<String, aws_sdk_cloudwatch::types::MetricAlarm>) -> Vec<&str> {
    m.keys().map(String::as_str).collect()
}

#[tokio::test]
async fn sync_creates_one_alarm_per_member_vpn_and_then_nothing() {
    let cw = client().await;
    let prefix = "create-tgw-ha-";
    let net = Vpns::new(world());
    let report = alarms::sync(&cw, &net, &Policy::default(), prefix, false)
        .await
        .expect("sync");
    assert_eq!(report.plan.count(ChangeKind::Create), 4);
    assert_eq!(report.applied.len(), 4);

    let got = described(&cw, prefix).await;
    assert_eq!(
        names(&got),
        [
            "create-tgw-ha-vpn-0aaaaaaaaaaaaaaa1",
            "create-tgw-ha-vpn-0bbbbbbbbbbbbbbb2",
            "create-tgw-ha-vpn-0ccccccccccccccc3",
            "create-tgw-ha-vpn-0ddddddddddddddd4",
        ]
    );
    let a = &got["create-tgw-ha-vpn-0aaaaaaaaaaaaaaa1"];
    assert_eq!(a.namespace(), Some("AWS/VPN"));
    assert_eq!(a.metric_name(), Some("TunnelState"));
    let dims: Vec<(&str, &str)> = a
        .dimensions()
        .iter()
        .map(|d| (d.name().unwrap(), d.value().unwrap()))
        .collect();
    assert_eq!(dims, [("VpnId", "vpn-0aaaaaaaaaaaaaaa1")]);
    assert_eq!(a.statistic().map(|s| s.as_str()), Some("Maximum"));
    assert_eq!(a.period(), Some(60));
    assert_eq!(a.evaluation_periods(), Some(1));
    assert_eq!(a.threshold(), Some(1.0));
    assert_eq!(
        a.comparison_operator().map(|c| c.as_str()),
        Some("LessThanThreshold")
    );
    assert_eq!(a.treat_missing_data(), Some("breaching"));
    assert!(
        a.alarm_description()
            .unwrap()
            .contains("lyon (backup), paris (primary)"),
        "{:?}",
        a.alarm_description()
    );

    // Converged: a second sync plans nothing.
    let again = alarms::sync(&cw, &net, &Policy::default(), prefix, false)
        .await
        .expect("second sync");
    assert!(again.plan.is_empty(), "{:?}", again.plan.changes);
    assert_eq!(again.plan.unchanged.len(), 4);
}

#[tokio::test]
async fn sync_updates_a_changed_threshold_and_keeps_the_operators_actions() {
    let cw = client().await;
    let prefix = "update-tgw-ha-";
    let net = Vpns::new(world());
    alarms::sync(&cw, &net, &Policy::default(), prefix, false)
        .await
        .expect("first sync");

    // Someone edits one alarm: a looser threshold, and a notification of their own.
    let name = "update-tgw-ha-vpn-0ccccccccccccccc3";
    let topic = "arn:aws:sns:us-east-1:123456789012:netops-pager";
    let a = described(&cw, prefix).await[name].clone();
    cw.put_metric_alarm()
        .alarm_name(name)
        .set_alarm_description(a.alarm_description().map(str::to_owned))
        .namespace("AWS/VPN")
        .metric_name("TunnelState")
        .set_dimensions(Some(a.dimensions().to_vec()))
        .statistic(aws_sdk_cloudwatch::types::Statistic::Maximum)
        .period(60)
        .evaluation_periods(1)
        .threshold(0.5)
        .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::LessThanThreshold)
        .treat_missing_data("breaching")
        .alarm_actions(topic)
        .send()
        .await
        .expect("edit alarm");

    let report = alarms::sync(&cw, &net, &Policy::default(), prefix, false)
        .await
        .expect("sync");
    let changes: Vec<(ChangeKind, &str, &str)> = report
        .plan
        .changes
        .iter()
        .map(|c| (c.kind, c.alarm.as_str(), c.reason.as_str()))
        .collect();
    assert_eq!(changes, [(ChangeKind::Update, name, "threshold 0.5 -> 1")]);
    let a = &described(&cw, prefix).await[name];
    assert_eq!(a.threshold(), Some(1.0));
    assert_eq!(a.alarm_actions(), [topic]);
}

#[tokio::test]
async fn sync_deletes_the_alarm_of_an_untagged_vpn_and_nothing_else() {
    let cw = client().await;
    let prefix = "delete-tgw-ha-";
    let net = Vpns::new(world());
    alarms::sync(&cw, &net, &Policy::default(), prefix, false)
        .await
        .expect("first sync");
    // An alarm of someone else's that merely shares the prefix.
    cw.put_metric_alarm()
        .alarm_name("delete-tgw-ha-dashboard")
        .namespace("AWS/VPN")
        .metric_name("TunnelState")
        .statistic(aws_sdk_cloudwatch::types::Statistic::Minimum)
        .period(300)
        .evaluation_periods(3)
        .threshold(1.0)
        .comparison_operator(aws_sdk_cloudwatch::types::ComparisonOperator::LessThanThreshold)
        .send()
        .await
        .expect("foreign alarm");

    // nice loses its backup: a group of one is invalid, so neither VPN keeps an alarm.
    net.untag("vpn-0ddddddddddddddd4", "nice");
    let report = alarms::sync(&cw, &net, &Policy::default(), prefix, false)
        .await
        .expect("sync");
    let changes: Vec<(ChangeKind, &str)> = report
        .plan
        .changes
        .iter()
        .map(|c| (c.kind, c.alarm.as_str()))
        .collect();
    assert_eq!(
        changes,
        [
            (ChangeKind::Delete, "delete-tgw-ha-vpn-0ccccccccccccccc3"),
            (ChangeKind::Delete, "delete-tgw-ha-vpn-0ddddddddddddddd4"),
        ]
    );
    assert_eq!(report.plan.ignored, ["delete-tgw-ha-dashboard"]);
    assert!(
        report.plan.invalid_groups[0].starts_with("nice: only one member"),
        "{:?}",
        report.plan.invalid_groups
    );
    assert_eq!(
        names(&described(&cw, prefix).await),
        [
            "delete-tgw-ha-dashboard",
            "delete-tgw-ha-vpn-0aaaaaaaaaaaaaaa1",
            "delete-tgw-ha-vpn-0bbbbbbbbbbbbbbb2",
        ]
    );
}

#[tokio::test]
async fn dry_run_shows_the_diff_and_changes_nothing() {
    let cw = client().await;
    let prefix = "dry-tgw-ha-";
    let net = Vpns::new(world());

    let report = alarms::sync(&cw, &net, &Policy::default(), prefix, true)
        .await
        .expect("dry run");
    assert!(report.dry_run);
    assert_eq!(report.plan.count(ChangeKind::Create), 4);
    assert!(report.applied.is_empty());
    assert!(described(&cw, prefix).await.is_empty());

    alarms::sync(&cw, &net, &Policy::default(), prefix, false)
        .await
        .expect("sync");
    let before = described(&cw, prefix).await;
    net.untag("vpn-0aaaaaaaaaaaaaaa1", "paris");
    net.untag("vpn-0aaaaaaaaaaaaaaa1", "lyon");
    let report = alarms::sync(&cw, &net, &Policy::default(), prefix, true)
        .await
        .expect("dry run");
    // paris and lyon each lose a member: both groups are invalid, A and B lose their alarms.
    assert_eq!(report.plan.count(ChangeKind::Delete), 2);
    let json = serde_json::to_value(&report).expect("json");
    assert_eq!(json["plan"]["changes"][0]["kind"], "delete");
    assert_eq!(described(&cw, prefix).await, before);
}

#[tokio::test]
async fn an_ec2_failure_changes_no_alarm() {
    let cw = client().await;
    let prefix = "fail-tgw-ha-";
    let mut net = Vpns::new(world());
    alarms::sync(&cw, &net, &Policy::default(), prefix, false)
        .await
        .expect("sync");
    net.fail = true;
    let err = alarms::sync(&cw, &net, &Policy::default(), prefix, false)
        .await
        .expect_err("ec2 is down");
    assert!(matches!(err, AlarmError::Network(_)), "{err}");
    assert!(err.is_retryable());
    assert_eq!(described(&cw, prefix).await.len(), 4);
}
