//! An operator invocation `{"action": …, "dryRun": bool}`: the action's name and its
//! arguments, checked one by one so that a mistyped field is named in the error.

use super::fields::{describe, is_aws_id, truncate};
use super::{ACTIONS, EventError, MAX_WATCH_INTERVAL_SECS};
use crate::trigger::{OperatorAction, Trigger};
use serde_json::{Map, Value};

pub(super) fn parse_operator(obj: &Map<String, Value>) -> Result<Trigger, EventError> {
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
