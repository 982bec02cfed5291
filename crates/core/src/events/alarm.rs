//! The CloudWatch "Alarm State Change" event: which VPN the alarm watches (the `VpnId`
//! dimension of its `AWS/VPN` metric), what its state says (ALARM down, OK up,
//! INSUFFICIENT_DATA: evaluate from telemetry), and until when its evidence held.

use super::fields::{ev, from_value, outside_ip, region_name, timestamp, truncate, vpn_id};
use super::{DT_ALARM, Envelope, EventError, envelope_time};
use crate::Timestamp;
use crate::model::TunnelStatus;
use crate::state::SignalSource;
use crate::trigger::{SignalEvent, Trigger};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
struct AlarmDetail {
    #[serde(rename = "alarmName")]
    alarm_name: String,
    configuration: AlarmConfiguration,
    state: AlarmState,
    #[serde(rename = "previousState", default)]
    previous_state: Option<PreviousState>,
}

/// Only what the evidence-time check reads of the state the alarm left.
#[derive(Debug, Deserialize)]
struct PreviousState {
    #[serde(rename = "reasonData", default)]
    reason_data: Option<String>,
}

#[derive(Debug, Deserialize)]
struct AlarmConfiguration {
    #[serde(default)]
    metrics: Vec<AlarmMetric>,
}

#[derive(Debug, Deserialize)]
struct AlarmMetric {
    /// Absent on metric-math expression elements.
    #[serde(rename = "metricStat", default)]
    metric_stat: Option<MetricStat>,
}

#[derive(Debug, Deserialize)]
struct MetricStat {
    metric: Metric,
}

#[derive(Debug, Deserialize)]
struct Metric {
    namespace: String,
    #[serde(default)]
    dimensions: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct AlarmState {
    value: AlarmValue,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    /// A JSON document *inside a string* (CloudWatch's layout): the judged datapoints.
    #[serde(rename = "reasonData", default)]
    reason_data: Option<String>,
}

/// What `reasonData` says about the datapoints an alarm judged. Every field is optional:
/// metric-math and composite alarms carry other shapes, and then the state timestamp is used.
#[derive(Debug, Default, Deserialize)]
struct ReasonData {
    #[serde(rename = "startDate", default)]
    start_date: Option<String>,
    #[serde(default)]
    period: Option<i64>,
    #[serde(rename = "recentDatapoints", default)]
    recent_datapoints: Option<Vec<Value>>,
}

/// CloudWatch's wording for a state reached with no datapoint at all.
const NO_DATAPOINTS: &str = "no datapoints were received";

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
enum AlarmValue {
    Alarm,
    Ok,
    InsufficientData,
}

pub(super) fn parse_alarm(env: &Envelope) -> Result<Trigger, EventError> {
    let detail: AlarmDetail = from_value(&env.detail, &ev(DT_ALARM))?;
    let alarm = detail.alarm_name;
    let metrics: Vec<&Metric> = detail
        .configuration
        .metrics
        .iter()
        .filter_map(|m| m.metric_stat.as_ref().map(|s| &s.metric))
        .collect();
    let vpn_metrics: Vec<&Metric> = metrics
        .iter()
        .copied()
        .filter(|m| m.namespace == "AWS/VPN")
        .collect();
    if vpn_metrics.is_empty() {
        let mut namespaces: Vec<&str> = metrics.iter().map(|m| m.namespace.as_str()).collect();
        namespaces.sort_unstable();
        namespaces.dedup();
        let seen = if namespaces.is_empty() {
            "none".to_owned()
        } else {
            namespaces.join(", ")
        };
        return Ok(Trigger::Ignore {
            reason: format!("alarm {alarm:?} watches no AWS/VPN metric (namespaces: {seen})"),
        });
    }

    let mut found: Vec<(&str, Option<&str>)> = Vec::new();
    for m in &vpn_metrics {
        if let Some(vpn) = m.dimensions.get("VpnId") {
            let tunnel = m.dimensions.get("TunnelIpAddress").map(String::as_str);
            if !found.iter().any(|(v, _)| *v == vpn.as_str()) {
                found.push((vpn.as_str(), tunnel));
            }
        }
    }
    let (vpn, tunnel) = match found.as_slice() {
        [] => {
            let dims: Vec<String> = vpn_metrics
                .iter()
                .flat_map(|m| m.dimensions.iter().map(|(k, v)| format!("{k}={v}")))
                .collect();
            return Err(EventError::AlarmWithoutVpnId {
                alarm,
                dimensions: if dims.is_empty() {
                    "none".to_owned()
                } else {
                    truncate(&dims.join(", "))
                },
            });
        }
        [one] => *one,
        // An alarm over several VPNs says nothing about any single one of them.
        many => {
            let vpns: Vec<&str> = many.iter().map(|(v, _)| *v).collect();
            return Err(EventError::AlarmSeveralVpns {
                alarm,
                vpns: truncate(&vpns.join(", ")),
            });
        }
    };
    let vpn = vpn_id(vpn, &ev(DT_ALARM), "dimension VpnId")?;
    // A per-tunnel alarm (VpnId + TunnelIpAddress) speaks for that tunnel only: recording it for
    // the whole VPN would call a VPN down while its other tunnel still carries traffic.
    let tunnel = tunnel
        .map(|t| outside_ip(t, &ev(DT_ALARM), "dimension TunnelIpAddress"))
        .transpose()?;
    let state_time = match &detail.state.timestamp {
        Some(t) => timestamp(t, &ev(DT_ALARM), "detail.state.timestamp")?,
        None => envelope_time(env)?,
    };
    // reasonData is CloudWatch's own text; a shape we do not know is not a reason to refuse an
    // alarm, only to fall back on the state timestamp.
    let reason = |r: Option<&str>| -> ReasonData {
        r.and_then(|r| serde_json::from_str(r).ok())
            .unwrap_or_default()
    };
    let reason_data = reason(detail.state.reason_data.as_deref());
    let previous = detail
        .previous_state
        .as_ref()
        .map(|p| reason(p.reason_data.as_deref()));
    let missing_data = reason_data
        .recent_datapoints
        .as_ref()
        .is_some_and(Vec::is_empty)
        || detail
            .state
            .reason
            .as_deref()
            .is_some_and(|r| r.contains(NO_DATAPOINTS));
    let status = match detail.state.value {
        // Evidence rules: an ALARM raised only by missing data (TreatMissingData=breaching) is
        // not evidence of a failure. Metric gaps happen; telemetry decides.
        AlarmValue::Alarm if missing_data => None,
        AlarmValue::Alarm => Some(TunnelStatus::Down),
        AlarmValue::Ok => Some(TunnelStatus::Up),
        AlarmValue::InsufficientData => None,
    };
    let at = match (
        judged_until(&reason_data),
        previous.as_ref().and_then(judged_until),
    ) {
        // A transition judges newer datapoints than the state it leaves; reasonData that says
        // otherwise is not this transition's (hand-made or mangled): use the state timestamp.
        (Some(end), Some(prev)) if end <= prev => state_time,
        (Some(end), _) => end.min(state_time),
        (None, _) => state_time,
    };
    Ok(Trigger::Vpn {
        signal: SignalEvent {
            vpn,
            tunnel,
            status,
            at,
            source: SignalSource::CloudWatchAlarm,
        },
        region: region_name(env.region.clone(), &ev(DT_ALARM), "region")?,
    })
}

/// When the alarm's evidence held: the end of the judged datapoints (`startDate` + one
/// `period` per datapoint in `recentDatapoints`, at least one); the caller caps it at the state
/// change itself. A tunnel that came back UP after that instant must win over this alarm,
/// however late the alarm is delivered. `None` without a usable `startDate`/`period`.
fn judged_until(reason: &ReasonData) -> Option<Timestamp> {
    let start = timestamp(reason.start_date.as_deref()?, "", "startDate").ok()?;
    let period = reason.period?;
    let periods = reason.recent_datapoints.as_ref().map_or(1, Vec::len).max(1) as i64;
    Some(start + chrono::Duration::seconds(period.max(0).saturating_mul(periods)))
}
