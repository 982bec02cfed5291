//! The Network Manager events: a Status Update about a VPN connection (IPSEC-DOWN, IPSEC-UP,
//! other changes with no status) and a Routing Update that names a TGW to reconcile. Both
//! layouts of their keys (camelCase and the older kebab-case) are accepted; their Region comes
//! from the detail or the ARN, never from the envelope (see the module doc).

use super::fields::{
    arn_region, arn_resource, ev, from_value, is_aws_id, malformed, outside_ip, region_name,
    truncate, vpn_id,
};
use super::{DT_NM_ROUTING, DT_NM_STATUS, Envelope, EventError, envelope_time};
use crate::ids::TgwId;
use crate::model::TunnelStatus;
use crate::state::SignalSource;
use crate::trigger::{SignalEvent, Trigger};
use serde::Deserialize;

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

pub(super) fn parse_nm_status(env: &Envelope) -> Result<Trigger, EventError> {
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

pub(super) fn parse_nm_routing(env: &Envelope) -> Result<Trigger, EventError> {
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
