//! The AWS Health event for the VPN service: a notice about one VPN connection (maintenance,
//! an endpoint replaced), reported to people and never taken as a failure.

use super::fields::{arn_resource, ev, from_value, truncate, vpn_id};
use super::{DT_HEALTH, Envelope, EventError};
use crate::trigger::Trigger;
use serde::Deserialize;

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

pub(super) fn parse_health(env: &Envelope) -> Result<Trigger, EventError> {
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
