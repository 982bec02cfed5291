//! What an event asks for, once parsed: *which* groups to look at now and which health signal
//! to remember. The outcome never depends on the trigger beyond that (the decision is
//! level-triggered); operator actions add a one-shot directive.

use crate::Timestamp;
use crate::ids::{GroupName, TgwId, VpnId};
use crate::model::TunnelStatus;
use crate::state::SignalSource;
use serde::{Deserialize, Serialize};

/// A health signal carried by an event, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignalEvent {
    pub vpn: VpnId,
    /// Outside IP of the tunnel, when the event names one (Network Manager).
    pub tunnel: Option<String>,
    /// `None`: evaluate from telemetry only (e.g. INSUFFICIENT_DATA).
    pub status: Option<TunnelStatus>,
    pub at: Timestamp,
    pub source: SignalSource,
}

/// Operator actions (CLI, or a direct Lambda invocation `{"action": …}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum OperatorAction {
    Reconcile {
        #[serde(default)]
        group: Option<GroupName>,
    },
    Status {
        #[serde(default)]
        group: Option<GroupName>,
    },
    /// Move a group off its active member: to `to`, or to the next healthy member.
    Failover {
        group: GroupName,
        #[serde(default)]
        to: Option<VpnId>,
    },
    /// Move a group back to its primary now, without waiting for hold-down (the primary must be
    /// healthy).
    Failback {
        group: GroupName,
    },
    Pin {
        group: GroupName,
        vpn: VpnId,
        #[serde(default)]
        force: bool,
    },
    Unpin {
        group: GroupName,
    },
}

impl OperatorAction {
    pub fn group(&self) -> Option<&GroupName> {
        match self {
            OperatorAction::Reconcile { group } | OperatorAction::Status { group } => {
                group.as_ref()
            }
            OperatorAction::Failover { group, .. }
            | OperatorAction::Failback { group }
            | OperatorAction::Pin { group, .. }
            | OperatorAction::Unpin { group } => Some(group),
        }
    }

    /// Whether the action can change routes or state (so `--dry-run` applies to it).
    pub fn writes(&self) -> bool {
        !matches!(self, OperatorAction::Status { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Trigger {
    /// A VPN changed (alarm, Network Manager status, reference event): evaluate its groups.
    Vpn {
        signal: SignalEvent,
        /// Region of the TGW when the event says so (Network Manager events arrive in us-west-2).
        region: Option<String>,
    },
    /// Routes of a TGW changed under us (Network Manager routing update): reconcile that TGW.
    Tgw {
        tgw: TgwId,
        region: Option<String>,
        reason: String,
    },
    /// A maintenance notice (AWS Health): reconcile the VPN's groups at most, never force anything.
    Notice { vpn: VpnId, reason: String },
    /// Schedule tick: reconcile every group.
    All { region: Option<String> },
    /// An operator action.
    Operator {
        action: OperatorAction,
        #[serde(default)]
        dry_run: bool,
    },
    /// Not ours but harmless (an alarm on another namespace): log and change nothing.
    Ignore { reason: String },
}

/// How far ahead of `now` an event's evidence may be dated and still be believed (as `now`):
/// clocks of senders and of this function differ by a little, never by minutes.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;

impl Trigger {
    /// The evidence rule on time (DESIGN.md "healthy"): a signal dated more than
    /// [`MAX_CLOCK_SKEW_SECS`] after `now` is refused; within the skew it counts as `now`, so
    /// that a stored signal can never outlive reality. Called by the engine before anything is
    /// read or stored, whatever the entry point.
    pub fn checked_at(&self, now: Timestamp) -> Result<Trigger, crate::events::EventError> {
        let Trigger::Vpn { signal, region } = self else {
            return Ok(self.clone());
        };
        if signal.at <= now {
            return Ok(self.clone());
        }
        let ahead = (signal.at - now).num_seconds();
        if ahead > MAX_CLOCK_SKEW_SECS {
            return Err(crate::events::EventError::FutureEvidence {
                event: format!("{:?} signal for {}", signal.source, signal.vpn),
                at: signal.at.to_rfc3339(),
                now: now.to_rfc3339(),
                ahead_secs: ahead,
                skew_secs: MAX_CLOCK_SKEW_SECS,
            });
        }
        let mut signal = signal.clone();
        signal.at = now;
        Ok(Trigger::Vpn {
            signal,
            region: region.clone(),
        })
    }

    /// A short description for logs and outcomes.
    pub fn describe(&self) -> String {
        match self {
            Trigger::Vpn { signal, .. } => {
                let status = signal
                    .status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "evaluate".into());
                match &signal.tunnel {
                    Some(t) => {
                        format!("{:?} {} tunnel {} {}", signal.source, signal.vpn, t, status)
                    }
                    None => format!("{:?} {} {}", signal.source, signal.vpn, status),
                }
            }
            Trigger::Tgw { tgw, reason, .. } => format!("{reason} on {tgw}"),
            Trigger::Notice { vpn, reason } => format!("notice for {vpn}: {reason}"),
            Trigger::All { .. } => "scheduled sweep".into(),
            Trigger::Operator { action, dry_run } => {
                format!(
                    "operator {action:?}{}",
                    if *dry_run { " (dry run)" } else { "" }
                )
            }
            Trigger::Ignore { reason } => format!("ignored: {reason}"),
        }
    }
}
