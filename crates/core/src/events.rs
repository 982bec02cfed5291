//! Event parsing: one Lambda payload in, one [`Trigger`] out.
//!
//! Contract:
//! - Accepted payloads (shapes in `fixtures/events/`):
//!   - the reference sample `{"vpnId": "vpn-…", "downTS": "<rfc3339>"}`: that VPN is down;
//!   - EventBridge "CloudWatch Alarm State Change" (`aws.cloudwatch`): the VPN is the `VpnId`
//!     dimension of the `AWS/VPN` element of `detail.configuration.metrics[]`, wherever it sits;
//!     ALARM is down, OK is up, INSUFFICIENT_DATA is "evaluate from telemetry" (no status); an
//!     alarm with no `AWS/VPN` metric is [`Trigger::Ignore`]d;
//!   - "Network Manager Status Update" (`aws.networkmanager`), camelCase or the older kebab-case
//!     keys: IPSEC-DOWN is down, IPSEC-UP is up, other VPN change types carry no status; change
//!     types that are not about a VPN connection are ignored;
//!   - "Network Manager Routing Update": reconcile the TGW it names;
//!   - "Scheduled Event" (`aws.events`): reconcile every group of the Region;
//!   - "AWS Health Event" (`aws.health`) for service VPN: a [`Trigger::Notice`], never a failure;
//!   - an operator invocation `{"action": …, "dryRun": bool}` (see [`OperatorAction`]).
//! - Anything else is an [`EventError`] that names what was received and what was expected.
//!   Nothing here panics, whatever the input.
//! - Parsing is pure: no clock is read. An event that carries no usable time is an error rather
//!   than "now", so that the order of signals stays that of the events.
//! - Region: Network Manager events are delivered in us-west-2, so their TGW Region is taken from
//!   `detail.region` (or the ARN), never from the envelope.

use crate::Timestamp;
use crate::ids::{TgwId, VpnId};
use crate::model::TunnelStatus;
use crate::state::SignalSource;
use crate::trigger::{OperatorAction, SignalEvent, Trigger};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::net::IpAddr;

const DT_ALARM: &str = "CloudWatch Alarm State Change";
const DT_NM_STATUS: &str = "Network Manager Status Update";
const DT_NM_ROUTING: &str = "Network Manager Routing Update";
const DT_SCHEDULED: &str = "Scheduled Event";
const DT_HEALTH: &str = "AWS Health Event";

/// Supported `detail-type`s and the only `source` each may come from. The source is checked
/// because only AWS can emit `aws.*` sources: a look-alike event put on the bus by anyone else
/// must not be able to fail a site over.
const SUPPORTED: &[(&str, &str)] = &[
    (DT_ALARM, "aws.cloudwatch"),
    (DT_NM_STATUS, "aws.networkmanager"),
    (DT_NM_ROUTING, "aws.networkmanager"),
    (DT_SCHEDULED, "aws.events"),
    (DT_HEALTH, "aws.health"),
];

const ACTIONS: &[&str] = &[
    "reconcile",
    "status",
    "failover",
    "failback",
    "pin",
    "unpin",
    "watch",
];

/// The longest poll interval of a watch: beyond a minute, the scheduled sweep is as fast.
pub const MAX_WATCH_INTERVAL_SECS: u64 = 60;

/// Longest excerpt of received data quoted in an error: enough to recognise it, short enough
/// for one log line.
const EXCERPT_CHARS: usize = 60;
const KEYS_SHOWN: usize = 6;

/// Why an event could not be turned into a [`Trigger`]. Every message names what was received.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("event is not valid json ({source}); received {excerpt:?}")]
    InvalidJson {
        excerpt: String,
        source: serde_json::Error,
    },
    #[error(
        "event is {received}; expected a json object (an eventbridge event, the reference \
         {{\"vpnId\", \"downTS\"}} or an operator {{\"action\": …}})"
    )]
    NotAnObject { received: String },
    #[error(
        "unrecognised event: received {received}; expected an eventbridge event (with \
         \"detail-type\"), the reference {{\"vpnId\", \"downTS\"}} or an operator \
         {{\"action\": …}}"
    )]
    Unrecognised { received: String },
    #[error(
        "unsupported event detail-type {detail_type:?} from source {event_source:?}; expected one \
         of {}",
        supported_list()
    )]
    UnsupportedDetailType {
        detail_type: String,
        event_source: String,
    },
    #[error("event {detail_type:?} has source {received:?}; expected source {expected:?}")]
    WrongSource {
        detail_type: String,
        received: String,
        expected: &'static str,
    },
    /// A field is missing or has the wrong type or shape.
    #[error("{event}: {message}")]
    Malformed { event: String, message: String },
    #[error(
        "{event}: {field} is {received:?}; expected a vpn connection id (\"vpn-\" followed by hex \
         digits)"
    )]
    InvalidVpnId {
        event: String,
        field: &'static str,
        received: String,
    },
    #[error(
        "{event}: {field} is {received:?}; expected an rfc3339 timestamp such as \
         \"2026-03-14T09:26:53Z\""
    )]
    InvalidTimestamp {
        event: String,
        field: &'static str,
        received: String,
    },
    #[error("{event}: {field} is {received:?}; expected an aws region name such as \"eu-west-1\"")]
    InvalidRegion {
        event: String,
        field: &'static str,
        received: String,
    },
    #[error(
        "alarm {alarm:?}: its AWS/VPN metric has no VpnId dimension (dimensions: {dimensions}); \
         expected an alarm on TunnelState by VpnId"
    )]
    AlarmWithoutVpnId { alarm: String, dimensions: String },
    #[error("alarm {alarm:?} watches several vpn connections ({vpns}); expected one per alarm")]
    AlarmSeveralVpns { alarm: String, vpns: String },
    #[error("aws health event {event_type:?} is for service {service:?}; expected service \"VPN\"")]
    HealthNotVpn { service: String, event_type: String },
    #[error(
        "aws health event {event_type:?} names no vpn connection (entities and resources: \
         {received}); expected a \"vpn-…\" entity or resource"
    )]
    HealthWithoutVpn {
        event_type: String,
        received: String,
    },
    /// Evidence dated further ahead of `now` than a clock can be wrong: a stored signal of that
    /// time would outlive every later telemetry reading (DESIGN.md, evidence rules).
    #[error(
        "{event} is dated {at}, {ahead_secs} s after now ({now}); more than the {skew_secs} s a \
         clock may be off: refused, nothing stored or moved (check the sender's clock or the \
         event's time field)"
    )]
    FutureEvidence {
        event: String,
        at: String,
        now: String,
        ahead_secs: i64,
        skew_secs: i64,
    },
    #[error("unknown operator action {received}; expected one of {}", ACTIONS.join(", "))]
    UnknownAction { received: String },
    #[error("operator action {action:?}: {message}")]
    InvalidAction { action: String, message: String },
}

/// Parse a raw Lambda payload.
pub fn parse_event(json: &str) -> Result<Trigger, EventError> {
    let value: Value = serde_json::from_str(json).map_err(|source| EventError::InvalidJson {
        excerpt: excerpt(json),
        source,
    })?;
    parse_event_value(&value)
}

/// Parse an already decoded payload.
pub fn parse_event_value(v: &Value) -> Result<Trigger, EventError> {
    let Some(obj) = v.as_object() else {
        return Err(EventError::NotAnObject {
            received: describe(v),
        });
    };
    // EventBridge envelopes first: their `detail` may well contain keys such as `action`.
    if obj.contains_key("detail-type") {
        parse_eventbridge(v, obj)
    } else if obj.contains_key("action") {
        parse_operator(obj)
    } else if obj.contains_key("vpnId") || obj.contains_key("downTS") {
        parse_reference(obj)
    } else {
        Err(EventError::Unrecognised {
            received: describe(v),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Reference sample

fn parse_reference(obj: &Map<String, Value>) -> Result<Trigger, EventError> {
    const EV: &str = "reference event";
    let vpn = required_str(obj, "vpnId", EV)?;
    let vpn = vpn_id(vpn, EV, "vpnId")?;
    let at = required_str(obj, "downTS", EV)?;
    let at = timestamp(at, EV, "downTS")?;
    Ok(Trigger::Vpn {
        signal: SignalEvent {
            vpn,
            tunnel: None,
            status: Some(TunnelStatus::Down),
            at,
            source: SignalSource::Reference,
        },
        region: None,
    })
}

// ---------------------------------------------------------------------------------------------
// EventBridge

/// The envelope fields tgw-ha reads (`source` is checked before, by hand). EventBridge always
/// sends them but a hand-written test event may not, hence the options: each use says what it
/// needs.
#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(rename = "detail-type")]
    detail_type: String,
    #[serde(default)]
    time: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    resources: Vec<String>,
    #[serde(default)]
    detail: Value,
}

fn parse_eventbridge(v: &Value, obj: &Map<String, Value>) -> Result<Trigger, EventError> {
    // Read detail-type by hand first so that every later error can name the event.
    let detail_type = required_str(obj, "detail-type", "eventbridge event")?;
    let event_source = match obj.get("source") {
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return Err(malformed(
                &ev(detail_type),
                format!("source is {}; expected a string", describe(other)),
            ));
        }
        None => "<missing>",
    };
    let Some(&(_, expected)) = SUPPORTED.iter().find(|(dt, _)| *dt == detail_type) else {
        return Err(EventError::UnsupportedDetailType {
            detail_type: truncate(detail_type),
            event_source: truncate(event_source),
        });
    };
    if event_source != expected {
        return Err(EventError::WrongSource {
            detail_type: detail_type.to_owned(),
            received: truncate(event_source),
            expected,
        });
    }
    let env: Envelope = from_value(v, &ev(detail_type))?;
    match detail_type {
        DT_ALARM => parse_alarm(&env),
        DT_NM_STATUS => parse_nm_status(&env),
        DT_NM_ROUTING => parse_nm_routing(&env),
        DT_SCHEDULED => Ok(Trigger::All {
            region: region_name(env.region.clone(), &ev(DT_SCHEDULED), "region")?,
        }),
        DT_HEALTH => parse_health(&env),
        _ => Err(EventError::UnsupportedDetailType {
            detail_type: truncate(detail_type),
            event_source: truncate(event_source),
        }),
    }
}

/// The envelope `time`, for events whose detail carries no better one.
fn envelope_time(env: &Envelope) -> Result<Timestamp, EventError> {
    match &env.time {
        Some(t) => timestamp(t, &ev(&env.detail_type), "time"),
        None => Err(malformed(&ev(&env.detail_type), "time is missing")),
    }
}

// --- CloudWatch alarm --------------------------------------------------------------------------

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

fn parse_alarm(env: &Envelope) -> Result<Trigger, EventError> {
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

// --- Network Manager -----------------------------------------------------------------------------

/// Both layouts: the current camelCase one and the older kebab-case one (where the change type
/// was called `status-change` in some samples).
#[derive(Debug, Deserialize)]
struct NmStatusDetail {
    #[serde(rename = "changeType", alias = "change-type", alias = "status-change")]
    change_type: String,
    #[serde(rename = "vpnConnectionArn", alias = "vpn-connection-arn", default)]
    vpn_connection_arn: Option<String>,
    #[serde(rename = "outsideIpAddress", alias = "outside-ip-address", default)]
    outside_ip_address: Option<String>,
    #[serde(default)]
    region: Option<String>,
}

#[derive(Debug, Deserialize)]
struct NmRoutingDetail {
    #[serde(rename = "changeType", alias = "change-type")]
    change_type: String,
    #[serde(rename = "transitGatewayArn", alias = "transit-gateway-arn")]
    transit_gateway_arn: String,
    #[serde(default)]
    region: Option<String>,
}

fn parse_nm_status(env: &Envelope) -> Result<Trigger, EventError> {
    let detail: NmStatusDetail = from_value(&env.detail, &ev(DT_NM_STATUS))?;
    let change = detail.change_type.as_str();
    // The same detail-type reports Connect peers and Direct Connect gateways: not ours.
    if !change.starts_with("VPN-CONNECTION-") {
        return Ok(Trigger::Ignore {
            reason: format!(
                "network manager status update {:?} is not about a vpn connection",
                truncate(change)
            ),
        });
    }
    let Some(arn) = detail.vpn_connection_arn.as_deref() else {
        return Err(malformed(
            &ev(DT_NM_STATUS),
            format!("change {change:?} has no vpnConnectionArn"),
        ));
    };
    let vpn = vpn_id(
        arn_resource(arn, "vpn-connection/"),
        &ev(DT_NM_STATUS),
        "vpnConnectionArn",
    )?;
    let tunnel = detail
        .outside_ip_address
        .as_deref()
        .map(|t| outside_ip(t, &ev(DT_NM_STATUS), "outsideIpAddress"))
        .transpose()?;
    let status = match change {
        "VPN-CONNECTION-IPSEC-DOWN" => Some(TunnelStatus::Down),
        "VPN-CONNECTION-IPSEC-UP" => Some(TunnelStatus::Up),
        // BGP-DOWN with IPsec up, BGP-ESTABLISH, …: worth a look, not proof either way.
        _ => None,
    };
    let region = region_name(
        detail.region.or_else(|| arn_region(arn)),
        &ev(DT_NM_STATUS),
        "detail.region",
    )?;
    Ok(Trigger::Vpn {
        signal: SignalEvent {
            vpn,
            tunnel,
            status,
            at: envelope_time(env)?,
            source: SignalSource::NetworkManager,
        },
        region,
    })
}

fn parse_nm_routing(env: &Envelope) -> Result<Trigger, EventError> {
    let detail: NmRoutingDetail = from_value(&env.detail, &ev(DT_NM_ROUTING))?;
    let arn = detail.transit_gateway_arn.as_str();
    let tgw = arn_resource(arn, "transit-gateway/");
    if !is_aws_id(tgw, "tgw-") {
        return Err(malformed(
            &ev(DT_NM_ROUTING),
            format!(
                "transitGatewayArn is {:?}; expected an arn ending in transit-gateway/tgw-…",
                truncate(arn)
            ),
        ));
    }
    let region = region_name(
        detail.region.or_else(|| arn_region(arn)),
        &ev(DT_NM_ROUTING),
        "detail.region",
    )?;
    Ok(Trigger::Tgw {
        tgw: TgwId::new(tgw),
        region,
        reason: detail.change_type,
    })
}

// --- AWS Health ----------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct HealthDetail {
    service: String,
    #[serde(rename = "eventTypeCode")]
    event_type_code: String,
    #[serde(rename = "affectedEntities", default)]
    affected_entities: Vec<HealthEntity>,
}

#[derive(Debug, Deserialize)]
struct HealthEntity {
    #[serde(rename = "entityValue", default)]
    entity_value: Option<String>,
}

fn parse_health(env: &Envelope) -> Result<Trigger, EventError> {
    let detail: HealthDetail = from_value(&env.detail, &ev(DT_HEALTH))?;
    if detail.service != "VPN" {
        return Err(EventError::HealthNotVpn {
            service: truncate(&detail.service),
            event_type: truncate(&detail.event_type_code),
        });
    }
    let candidates: Vec<&str> = detail
        .affected_entities
        .iter()
        .filter_map(|e| e.entity_value.as_deref())
        .chain(env.resources.iter().map(String::as_str))
        .collect();
    let Some(vpn) = candidates
        .iter()
        .map(|c| arn_resource(c, "vpn-connection/"))
        .find(|c| c.starts_with("vpn-"))
    else {
        return Err(EventError::HealthWithoutVpn {
            event_type: truncate(&detail.event_type_code),
            received: if candidates.is_empty() {
                "none".to_owned()
            } else {
                truncate(&candidates.join(", "))
            },
        });
    };
    Ok(Trigger::Notice {
        vpn: vpn_id(vpn, &ev(DT_HEALTH), "affected entity")?,
        reason: detail.event_type_code,
    })
}

// ---------------------------------------------------------------------------------------------
// Operator invocation

fn parse_operator(obj: &Map<String, Value>) -> Result<Trigger, EventError> {
    let action = match obj.get("action") {
        Some(Value::String(a)) if ACTIONS.contains(&a.as_str()) => a.as_str(),
        Some(Value::String(a)) => {
            return Err(EventError::UnknownAction {
                received: format!("{:?}", truncate(a)),
            });
        }
        Some(other) => {
            return Err(EventError::UnknownAction {
                received: describe(other),
            });
        }
        None => {
            return Err(EventError::UnknownAction {
                received: "none".to_owned(),
            });
        }
    };
    let invalid = |message: String| EventError::InvalidAction {
        action: action.to_owned(),
        message,
    };

    let mut rest = obj.clone();
    let dry_run = match (rest.remove("dryRun"), rest.remove("dry_run")) {
        (None, None) => false,
        (Some(Value::Bool(b)), None) | (None, Some(Value::Bool(b))) => b,
        (Some(_), Some(_)) => {
            return Err(invalid(
                "both dryRun and dry_run are set; expected one of them".to_owned(),
            ));
        }
        (Some(other), None) | (None, Some(other)) => {
            return Err(invalid(format!(
                "dryRun is {}; expected true or false",
                describe(&other)
            )));
        }
    };

    // OperatorAction ignores unknown fields; a misspelt `force` or `group` must not silently
    // turn into a different, wider action.
    let allowed: &[&str] = match action {
        "reconcile" | "status" => &["group"],
        "failover" => &["group", "to"],
        "pin" => &["group", "vpn", "force", "until"],
        "watch" => &["interval_seconds", "intervalSeconds"],
        _ => &["group"],
    };
    if let Some(unknown) = rest
        .keys()
        .find(|k| k.as_str() != "action" && !allowed.contains(&k.as_str()))
    {
        return Err(invalid(format!(
            "unknown field {:?}; expected {}, dryRun",
            truncate(unknown),
            allowed.join(", ")
        )));
    }

    let parsed: OperatorAction =
        serde_json::from_value(Value::Object(rest)).map_err(|e| invalid(e.to_string()))?;
    if let OperatorAction::Watch {
        interval_seconds: Some(n),
    } = &parsed
        && !(1..=MAX_WATCH_INTERVAL_SECS).contains(n)
    {
        return Err(invalid(format!(
            "interval_seconds is {n}; expected 1 to {MAX_WATCH_INTERVAL_SECS}"
        )));
    }
    let vpn = match &parsed {
        OperatorAction::Failover { to: Some(v), .. } => Some((v, "to")),
        OperatorAction::Pin { vpn, .. } => Some((vpn, "vpn")),
        _ => None,
    };
    if let Some((v, field)) = vpn
        && !is_aws_id(v.as_str(), "vpn-")
    {
        return Err(invalid(format!(
            "{field} is {:?}; expected a vpn connection id (\"vpn-\" followed by hex digits)",
            truncate(v.as_str())
        )));
    }
    Ok(Trigger::Operator {
        action: parsed,
        dry_run,
    })
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// How errors name an EventBridge event: by the detail-type it was received with.
fn supported_list() -> String {
    let quoted: Vec<String> = SUPPORTED.iter().map(|(dt, _)| format!("{dt:?}")).collect();
    quoted.join(", ")
}

fn ev(detail_type: &str) -> String {
    format!("event {:?}", truncate(detail_type))
}

fn malformed(event: &str, message: impl Into<String>) -> EventError {
    EventError::Malformed {
        event: event.to_owned(),
        message: message.into(),
    }
}

/// serde's own message already names the field and the type it found ("missing field
/// `alarmName`", "invalid type: integer `5`, expected a string").
fn from_value<T: DeserializeOwned>(v: &Value, event: &str) -> Result<T, EventError> {
    T::deserialize(v).map_err(|e| malformed(event, e.to_string()))
}

fn required_str<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
    event: &str,
) -> Result<&'a str, EventError> {
    match obj.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(malformed(
            event,
            format!("{key} is {}; expected a string", describe(other)),
        )),
        None => Err(malformed(event, format!("{key} is missing"))),
    }
}

fn vpn_id(s: &str, event: &str, field: &'static str) -> Result<VpnId, EventError> {
    if is_aws_id(s, "vpn-") {
        Ok(VpnId::new(s))
    } else {
        Err(EventError::InvalidVpnId {
            event: event.to_owned(),
            field,
            received: truncate(s),
        })
    }
}

/// EC2 ids are a prefix and lower-case hex; anything else would never match an observed VPN
/// or TGW, so it is rejected here where the message can still say where it came from.
fn is_aws_id(s: &str, prefix: &str) -> bool {
    s.strip_prefix(prefix).is_some_and(|hex| {
        !hex.is_empty()
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

fn outside_ip(s: &str, event: &str, field: &str) -> Result<String, EventError> {
    match s.parse::<IpAddr>() {
        Ok(_) => Ok(s.to_owned()),
        Err(_) => Err(malformed(
            event,
            format!("{field} is {:?}; expected an ip address", truncate(s)),
        )),
    }
}

/// The resource id after `kind` in an ARN (`…:vpn-connection/vpn-…` → `vpn-…`); a bare id is
/// returned unchanged.
fn arn_resource<'a>(arn: &'a str, kind: &str) -> &'a str {
    match arn.rfind(kind) {
        Some(i) => arn.get(i + kind.len()..).unwrap_or(""),
        None => arn,
    }
}

/// A Region name as AWS spells them (`eu-west-1`, `us-gov-west-1`, `ap-southeast-3`): two
/// lower-case letters, one or more lower-case words, a number. The Region picks the endpoint
/// every client is built for, so anything else (`../../etc`, an account id) is refused here,
/// where the message can still say which field it came from. Hand-written: one small pattern
/// does not justify a regex engine in the pure core.
fn region_name(
    region: Option<String>,
    event: &str,
    field: &'static str,
) -> Result<Option<String>, EventError> {
    let Some(r) = region else { return Ok(None) };
    if is_region_name(&r) {
        Ok(Some(r))
    } else {
        Err(EventError::InvalidRegion {
            event: event.to_owned(),
            field,
            received: truncate(&r),
        })
    }
}

/// Whether `r` is spelled like an AWS Region name (see [`region_name`]).
pub fn is_region_name(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    let lower = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase());
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1].iter().all(lower)
        && parts
            .last()
            .is_some_and(|n| (1..=2).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()))
}

/// `arn:partition:service:region:account:resource` → region, when there is one.
fn arn_region(arn: &str) -> Option<String> {
    let mut parts = arn.split(':');
    if parts.next() != Some("arn") {
        return None;
    }
    parts
        .nth(2)
        .filter(|r| !r.is_empty())
        .map(ToOwned::to_owned)
}

/// RFC 3339, plus the two variants actually seen in payloads: a space instead of `T` (the
/// reference's Python `str(datetime)`) and CloudWatch's `+0000` offset without a colon.
fn timestamp(s: &str, event: &str, field: &'static str) -> Result<Timestamp, EventError> {
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%z"))
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| EventError::InvalidTimestamp {
            event: event.to_owned(),
            field,
            received: truncate(s),
        })
}

fn truncate(s: &str) -> String {
    if s.chars().count() <= EXCERPT_CHARS {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(EXCERPT_CHARS).collect();
        t.push('…');
        t
    }
}

fn excerpt(json: &str) -> String {
    truncate(json.trim())
}

/// What a JSON value is, for error messages: its type and a short glimpse of its content.
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("string {:?}", truncate(s)),
        Value::Array(a) => format!("an array of {} element(s)", a.len()),
        Value::Object(o) if o.is_empty() => "an empty object".to_owned(),
        Value::Object(o) => {
            // Sorted: a serde_json built with `preserve_order` (feature unification can turn it
            // on) would otherwise list them in arrival order, and messages must be stable.
            let mut sorted: Vec<&String> = o.keys().collect();
            sorted.sort();
            let mut keys: Vec<String> = sorted
                .into_iter()
                .take(KEYS_SHOWN)
                .map(|k| truncate(k))
                .collect();
            if o.len() > KEYS_SHOWN {
                keys.push(format!("… {} more", o.len() - KEYS_SHOWN));
            }
            format!("an object with keys [{}]", keys.join(", "))
        }
    }
}
