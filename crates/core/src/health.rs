//! Health and stability of one member, from telemetry plus the signals kept from events.
//!
//! Per tunnel, the newest of (telemetry, a signal naming that tunnel) wins. Then the newest
//! VPN-level signal (an alarm, the reference event) is laid over it: a DOWN newer than the
//! tunnel's state takes the tunnel down; an UP newer than it only restarts the stability clock
//! of a tunnel that is UP — an OK alarm means "at least one tunnel is up", so it must not raise
//! a tunnel that telemetry reports DOWN. On equal times DOWN wins: doubt never keeps a dead path.

use crate::Timestamp;
use crate::model::{TunnelStatus, VpnConnection, VpnState};
use crate::policy::Policy;
use crate::state::Signal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TunnelView {
    pub outside_ip: String,
    pub status: TunnelStatus,
    /// When the effective status last changed (telemetry or a signal, whichever decided it).
    pub since: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub healthy: bool,
    pub stable: bool,
    pub tunnels_up: usize,
    pub tunnels: Vec<TunnelView>,
    /// When a healthy member becomes stable if nothing changes (None when already stable or down).
    pub stable_at: Option<Timestamp>,
    /// Why the member is not healthy, for people.
    pub reason: Option<String>,
}

pub fn assess(vpn: &VpnConnection, signals: &[Signal], policy: &Policy, now: Timestamp) -> Health {
    let vpn_level = signals
        .iter()
        .filter(|s| s.vpn == vpn.id && s.tunnel.is_none())
        // Among signals of the same instant, DOWN wins (`max_by_key` alone keeps the last one).
        .max_by_key(|s| (s.at, s.status == TunnelStatus::Down));

    let tunnels: Vec<TunnelView> = vpn
        .tunnels
        .iter()
        .map(|t| {
            let mut status = t.status;
            let mut since = t.last_status_change;
            let tunnel_signal = signals
                .iter()
                .filter(|s| s.vpn == vpn.id && s.tunnel.as_deref() == Some(t.outside_ip.as_str()))
                .max_by_key(|s| (s.at, s.status == TunnelStatus::Down));
            if let Some(s) = tunnel_signal
                && (s.at > since || (s.at == since && s.status == TunnelStatus::Down))
            {
                status = s.status;
                since = s.at;
            }
            if let Some(s) = vpn_level {
                let newer = s.at > since || (s.at == since && s.status == TunnelStatus::Down);
                if newer {
                    match s.status {
                        TunnelStatus::Down => {
                            status = TunnelStatus::Down;
                            since = s.at;
                        }
                        TunnelStatus::Up if status == TunnelStatus::Up => since = s.at,
                        TunnelStatus::Up => {}
                    }
                }
            }
            TunnelView {
                outside_ip: t.outside_ip.clone(),
                status,
                since,
            }
        })
        .collect();

    let tunnels_up = tunnels
        .iter()
        .filter(|t| t.status == TunnelStatus::Up)
        .count();
    let reason = if vpn.state != VpnState::Available {
        Some(format!("vpn state is {}", vpn.state))
    } else if tunnels_up < policy.min_tunnels_up.max(1) {
        Some(format!(
            "{tunnels_up} of {} tunnels up, {} needed",
            tunnels.len(),
            policy.min_tunnels_up.max(1)
        ))
    } else {
        None
    };
    let healthy = reason.is_none();
    let last_up_change = tunnels
        .iter()
        .filter(|t| t.status == TunnelStatus::Up)
        .map(|t| t.since)
        .max();
    let (stable, stable_at) = match (healthy, last_up_change) {
        (true, Some(last)) => {
            let at = last + policy.hold_down();
            if at <= now {
                (true, None)
            } else {
                (false, Some(at))
            }
        }
        _ => (false, None),
    };
    Health {
        healthy,
        stable,
        tunnels_up,
        tunnels,
        stable_at,
        reason,
    }
}
