//! The checked readers every parser shares: required strings, VPN ids, outside IPs, Region
//! names, ARNs and timestamps, each refusing a bad value with an error that says which field of
//! which event it came from; and the short excerpts of received data those errors quote.

use super::EventError;
use crate::Timestamp;
use crate::ids::VpnId;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::net::IpAddr;

/// Longest excerpt of received data quoted in an error: enough to recognise it, short enough
/// for one log line.
const EXCERPT_CHARS: usize = 60;
const KEYS_SHOWN: usize = 6;

/// How errors name an EventBridge event: by the detail-type it was received with.
pub(super) fn ev(detail_type: &str) -> String {
    format!("event {:?}", truncate(detail_type))
}

pub(super) fn malformed(event: &str, message: impl Into<String>) -> EventError {
    EventError::Malformed {
        event: event.to_owned(),
        message: message.into(),
    }
}

/// serde's own message already names the field and the type it found ("missing field
/// `alarmName`", "invalid type: integer `5`, expected a string").
pub(super) fn from_value<T: DeserializeOwned>(v: &Value, event: &str) -> Result<T, EventError> {
    T::deserialize(v).map_err(|e| malformed(event, e.to_string()))
}

pub(super) fn required_str<'a>(
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

pub(super) fn vpn_id(s: &str, event: &str, field: &'static str) -> Result<VpnId, EventError> {
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
pub(super) fn is_aws_id(s: &str, prefix: &str) -> bool {
    s.strip_prefix(prefix).is_some_and(|hex| {
        !hex.is_empty()
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

pub(super) fn outside_ip(s: &str, event: &str, field: &str) -> Result<String, EventError> {
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
pub(super) fn arn_resource<'a>(arn: &'a str, kind: &str) -> &'a str {
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
pub(super) fn region_name(
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
pub(super) fn arn_region(arn: &str) -> Option<String> {
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
pub(super) fn timestamp(
    s: &str,
    event: &str,
    field: &'static str,
) -> Result<Timestamp, EventError> {
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

pub(super) fn truncate(s: &str) -> String {
    if s.chars().count() <= EXCERPT_CHARS {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(EXCERPT_CHARS).collect();
        t.push('…');
        t
    }
}

pub(super) fn excerpt(json: &str) -> String {
    truncate(json.trim())
}

/// What a JSON value is, for error messages: its type and a short glimpse of its content.
pub(super) fn describe(v: &Value) -> String {
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
