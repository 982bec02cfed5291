//! What tgw-ha remembers between passes, per TGW: the ledger of moved routes, per-group state
//! (pin, damping, last reported status) and the health signals received from events.
//!
//! The ledger is the source of ownership: a route recorded here belongs to its group wherever it
//! points now. Entries are written *before* a route leaves home and removed only after it is home
//! again, so a crash at any point never loses a route's owner.

use crate::Timestamp;
use crate::ids::{AttachmentId, GroupName, VpnId};
use crate::model::{RouteKey, TunnelStatus};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub key: RouteKey,
    pub group: GroupName,
    /// The group's primary attachment: where the route goes back to.
    pub home: AttachmentId,
    /// Where the route was last sent. Informational: the observed route is the truth.
    pub current: AttachmentId,
    pub moved_at: Timestamp,
    /// Which decision moved it (`failover`, `operator`, …).
    pub decision: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    pub vpn: VpnId,
    /// Pin even to a member that is not healthy (maintenance on a path known to be down).
    #[serde(default)]
    pub force: bool,
    pub at: Timestamp,
    /// When the pin ends by itself (`pin --until`): the sweep after it gives the group back to
    /// automation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Timestamp>,
    /// A pin with no end has been announced as old (once, after `pin_warn_hours`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub warned: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupState {
    pub pin: Option<Pin>,
    /// Last move off a healthy path (failback or operator switch): the damping clock.
    pub last_switch: Option<Timestamp>,
    /// Whether the group was last reported down, so that "down" and "recovered" are notified
    /// once per transition however many events arrive.
    pub down: bool,
}

/// Where a health signal came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalSource {
    /// The reference sample's `{vpnId, downTS}`.
    Reference,
    CloudWatchAlarm,
    NetworkManager,
    Operator,
    /// The watch loop (`tgw-ha watch`): only ever asks for a look (no status), never stored.
    Watch,
}

impl SignalSource {
    pub fn as_str(&self) -> &'static str {
        match self {
            SignalSource::Reference => "the reference event",
            SignalSource::CloudWatchAlarm => "a cloudwatch alarm",
            SignalSource::NetworkManager => "network manager",
            SignalSource::Operator => "an operator",
            SignalSource::Watch => "the watcher",
        }
    }
}

/// A health signal from an event, kept so that a later pass that sees only telemetry does not
/// undo it. Per tunnel when `tunnel` (outside IP) is set, per VPN otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signal {
    pub vpn: VpnId,
    #[serde(default)]
    pub tunnel: Option<String>,
    pub status: TunnelStatus,
    pub at: Timestamp,
    pub source: SignalSource,
}

/// Everything persisted for one TGW.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TgwState {
    pub ledger: Vec<LedgerEntry>,
    pub groups: BTreeMap<GroupName, GroupState>,
    pub signals: Vec<Signal>,
    /// Per group, the routes last seen on its primary: how a route that loses its attachment
    /// when the primary dies (a blackhole listing no attachment) is still known to be the
    /// group's. Refreshed on every pass that writes.
    pub home_routes: BTreeMap<GroupName, Vec<RouteKey>>,
    /// Groups of this TGW last announced as invalid, with the reason announced: a group left
    /// unprotected by a tag typo is notified once when it breaks and once when it is fixed, not
    /// on every sweep.
    pub invalid: BTreeMap<GroupName, String>,
    /// DOWN signals already announced as contradicted by telemetry (one notification each).
    pub contradicted: Vec<Signal>,
}

impl TgwState {
    pub fn ledger_map(&self) -> BTreeMap<&RouteKey, &LedgerEntry> {
        self.ledger.iter().map(|e| (&e.key, e)).collect()
    }

    /// Keep the newest signal per (VPN, tunnel). A reordered, older event never replaces a newer
    /// one, and a duplicated event changes nothing. On equal times DOWN wins (as in `health`),
    /// whichever order the two arrive in. Returns whether the state changed.
    pub fn record_signal(&mut self, signal: Signal) -> bool {
        match self
            .signals
            .iter_mut()
            .find(|s| s.vpn == signal.vpn && s.tunnel == signal.tunnel)
        {
            // Equal times: only a DOWN replaces an UP, so an OK and an ALARM of the same instant
            // end as DOWN in either delivery order (before, the first to arrive was kept).
            Some(existing)
                if existing.at > signal.at
                    || (existing.at == signal.at
                        && !(existing.status == TunnelStatus::Up
                            && signal.status == TunnelStatus::Down)) =>
            {
                false
            }
            Some(existing) => {
                *existing = signal;
                true
            }
            None => {
                self.signals.push(signal);
                true
            }
        }
    }

    /// Drop signals older than `horizon`: by then telemetry has long caught up with them.
    pub fn prune_signals(&mut self, horizon: Timestamp) {
        self.signals.retain(|s| s.at >= horizon);
    }

    /// Apply the ledger part of a plan's bookkeeping: upserts by key, then removals.
    pub fn apply_ledger(&mut self, upserts: &[LedgerEntry], removals: &[RouteKey]) {
        let mut map: BTreeMap<RouteKey, LedgerEntry> = std::mem::take(&mut self.ledger)
            .into_iter()
            .map(|e| (e.key.clone(), e))
            .collect();
        for e in upserts {
            map.insert(e.key.clone(), e.clone());
        }
        for k in removals {
            map.remove(k);
        }
        self.ledger = map.into_values().collect();
    }
}
