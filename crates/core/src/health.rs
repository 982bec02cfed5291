//! Health and stability of one member, from telemetry plus the signals kept from events.
//!
//! Per tunnel, the newest of (telemetry, a signal naming that tunnel) wins. Then the newest
//! VPN-level signal (an alarm, the reference event) is laid over it: a DOWN newer than the
//! tunnel's state takes the tunnel down; an UP newer than it only restarts the stability clock
//! of a tunnel that is UP — an OK alarm means "at least one tunnel is up", so it must not raise
//! a tunnel that telemetry reports DOWN. On equal times DOWN wins: doubt never keeps a dead path.
//!
//! A DOWN signal that telemetry contradicts (the tunnels have been UP since before the evidence
//! and still are [`CONTRADICTION_AFTER_SECS`] later) keeps the member unhealthy — the routes stay
//! on the backup, which is safe — but is reported as [`Contradiction`], so that people hear of it
//! and an operator's failback settles it. Failing back automatically to a path whose health is
//! in doubt is never done.

use crate::Timestamp;
use crate::model::{TunnelStatus, VpnConnection, VpnState};
use crate::policy::Policy;
use crate::state::{Signal, SignalSource};
use serde::{Deserialize, Serialize};

/// How long telemetry must go on showing UP tunnels, unchanged since before a DOWN signal's
/// evidence, for that signal to count as contradicted. Telemetry lags a real outage by well under
/// this; a DOWN it has not confirmed minutes later is in doubt.
pub const CONTRADICTION_AFTER_SECS: i64 = 180;

/// A DOWN signal that keeps a member unhealthy while telemetry says it is up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contradiction {
    pub source: SignalSource,
    /// The time of the signal's evidence.
    pub at: Timestamp,
    /// The tunnel the signal named, if it named one.
    pub tunnel: Option<String>,
}

impl Contradiction {
    /// For people: what the signal said, when, and why it is in doubt.
    pub fn describe(&self) -> String {
        let what = match &self.tunnel {
            Some(t) => format!("tunnel {t} DOWN"),
            None => "DOWN".to_owned(),
        };
        format!(
            "{what} from {} at {}, contradicted by telemetry (tunnels UP since before it); \
             routes stay on the backup until `tgw-ha failback` settles it",
            self.source.as_str(),
            self.at.to_rfc3339()
        )
    }
}

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
    /// The DOWN signal that alone keeps the member unhealthy against telemetry, once it has
    /// stood for [`CONTRADICTION_AFTER_SECS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contradicted: Option<Contradiction>,
}

pub fn assess(vpn: &VpnConnection, signals: &[Signal], policy: &Policy, now: Timestamp) -> Health {
    let vpn_level = signals
        .iter()
        .filter(|s| s.vpn == vpn.id && s.tunnel.is_none())
        // Among signals of the same instant, DOWN wins (`max_by_key` alone keeps the last one).
        .max_by_key(|s| (s.at, s.status == TunnelStatus::Down));

    // For each tunnel, the signal that overrode an UP telemetry reading, if one did.
    let mut overridden: Vec<&Signal> = Vec::new();
    let tunnels: Vec<TunnelView> = vpn
        .tunnels
        .iter()
        .map(|t| {
            let mut status = t.status;
            let mut since = t.last_status_change;
            let mut decided_by: Option<&Signal> = None;
            let tunnel_signal = signals
                .iter()
                .filter(|s| s.vpn == vpn.id && s.tunnel.as_deref() == Some(t.outside_ip.as_str()))
                .max_by_key(|s| (s.at, s.status == TunnelStatus::Down));
            if let Some(s) = tunnel_signal
                && (s.at > since || (s.at == since && s.status == TunnelStatus::Down))
            {
                status = s.status;
                since = s.at;
                decided_by = Some(s);
            }
            if let Some(s) = vpn_level {
                let newer = s.at > since || (s.at == since && s.status == TunnelStatus::Down);
                if newer {
                    match s.status {
                        TunnelStatus::Down => {
                            status = TunnelStatus::Down;
                            since = s.at;
                            decided_by = Some(s);
                        }
                        TunnelStatus::Up if status == TunnelStatus::Up => since = s.at,
                        TunnelStatus::Up => {}
                    }
                }
            }
            if t.status == TunnelStatus::Up
                && status == TunnelStatus::Down
                && let Some(s) = decided_by
            {
                overridden.push(s);
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
    let contradicted = contradiction(vpn, &tunnels, &overridden, policy, now);
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
        contradicted,
    }
}

/// The member is unhealthy only because of DOWN signals (telemetry alone would call it healthy),
/// and the newest of those signals has stood for [`CONTRADICTION_AFTER_SECS`] while telemetry
/// still shows the tunnels UP with no change since before it (a signal only overrides telemetry
/// that is older than its evidence, so "UP since before the evidence" holds by construction).
fn contradiction(
    vpn: &VpnConnection,
    tunnels: &[TunnelView],
    overridden: &[&Signal],
    policy: &Policy,
    now: Timestamp,
) -> Option<Contradiction> {
    let needed = policy.min_tunnels_up.max(1);
    let effective_up = tunnels
        .iter()
        .filter(|t| t.status == TunnelStatus::Up)
        .count();
    let telemetry_up = vpn
        .tunnels
        .iter()
        .filter(|t| t.status == TunnelStatus::Up)
        .count();
    if vpn.state != VpnState::Available || effective_up >= needed || telemetry_up < needed {
        return None;
    }
    let newest = overridden.iter().max_by_key(|s| s.at)?;
    if now - newest.at < chrono::Duration::seconds(CONTRADICTION_AFTER_SECS) {
        return None;
    }
    Some(Contradiction {
        source: newest.source,
        at: newest.at,
        tunnel: newest.tunnel.clone(),
    })
}
