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
//!
//! The files: this one holds the errors, the dispatch on the payload's shape, the reference
//! sample and the EventBridge envelope; one file per EventBridge source (`alarm.rs`,
//! `network_manager.rs`, `health.rs`), `operator.rs` for operator invocations, and `fields.rs`
//! for the checked readers (ids, Regions, timestamps) and the excerpts quoted in errors.

mod alarm;
mod fields;
mod health;
mod network_manager;
mod operator;

pub use fields::is_region_name;

use crate::Timestamp;
use crate::model::TunnelStatus;
use crate::state::SignalSource;
use crate::trigger::{SignalEvent, Trigger};
use alarm::parse_alarm;
use fields::{
    describe, ev, excerpt, from_value, malformed, region_name, required_str, timestamp, truncate,
    vpn_id,
};
use health::parse_health;
use network_manager::{parse_nm_routing, parse_nm_status};
use operator::parse_operator;
use serde::Deserialize;
use serde_json::{Map, Value};

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

/// The supported detail-types, quoted, for the error that refuses any other.
fn supported_list() -> String {
    let quoted: Vec<String> = SUPPORTED.iter().map(|(dt, _)| format!("{dt:?}")).collect();
    quoted.join(", ")
}
