//! What the planner returns: the [`Plan`] (moves, ledger changes, new group states, notices)
//! and the per-group report beside it. Plain data, serialised as is into the run's evidence,
//! so that a plan can be read, replayed and compared.

use crate::groups::InvalidGroup;
use crate::health::Health;
use crate::ids::{AttachmentId, GroupName, TgwId, VpnId};
use crate::model::RouteKey;
use crate::state::{GroupState, LedgerEntry, Signal, TgwState};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoveKind {
    /// Off a dead path (never damped).
    Failover,
    /// Back to a higher-priority, stable member.
    Failback,
    /// Asked for by an operator (failover/failback command).
    Operator,
    /// To a pinned member.
    Pin,
}

impl MoveKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            MoveKind::Failover => "failover",
            MoveKind::Failback => "failback",
            MoveKind::Operator => "operator",
            MoveKind::Pin => "pin",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Move {
    pub key: RouteKey,
    pub group: GroupName,
    pub from: Option<AttachmentId>,
    pub to: AttachmentId,
    pub to_vpn: VpnId,
    /// The group's primary: a move to it clears the ledger entry once done.
    pub home: AttachmentId,
    pub kind: MoveKind,
}

impl Move {
    pub fn goes_home(&self) -> bool {
        self.to == self.home
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupStatus {
    /// On the primary, nothing to do.
    Home,
    /// On a backup, nothing to do (failback off, not stable yet, or damped).
    OnBackup,
    FailingOver,
    FailingBack,
    /// Operator or pin moving routes.
    Switching,
    /// No member is healthy: nothing moved.
    Down,
}

impl GroupStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            GroupStatus::Home => "home",
            GroupStatus::OnBackup => "on-backup",
            GroupStatus::FailingOver => "failing-over",
            GroupStatus::FailingBack => "failing-back",
            GroupStatus::Switching => "switching",
            GroupStatus::Down => "DOWN",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberReport {
    pub vpn: VpnId,
    pub name: Option<String>,
    pub attachment: AttachmentId,
    pub role: String,
    pub priority: u32,
    pub health: Health,
    /// Group routes pointing at this member now.
    pub routes: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupReport {
    pub name: GroupName,
    pub tgw: TgwId,
    pub members: Vec<MemberReport>,
    pub active: Option<VpnId>,
    pub desired: Option<VpnId>,
    pub status: GroupStatus,
    pub pinned: Option<VpnId>,
    pub routes: usize,
    pub moves: usize,
    /// Whether this pass was allowed to move the group (in the trigger's scope).
    pub in_scope: bool,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    FailedOver,
    FailedBack,
    Switched,
    Down,
    Recovered,
    /// A group broke (tag typo, two primaries, members on two TGWs): it is left unprotected.
    Invalid,
    /// A group announced invalid is valid again.
    Valid,
    /// A DOWN signal stands against telemetry: the group stays on its backup until an operator
    /// settles it.
    Contradicted,
    /// A pin with an end (`pin --until`) ended: the group is back under automation.
    PinEnded,
    /// A pin with no end has held the group for `pin_warn_hours`: forgotten maintenance?
    PinReminder,
}

impl EventKind {
    /// Events that report route moves: sent only when some move was made.
    pub fn is_move(&self) -> bool {
        matches!(
            self,
            EventKind::FailedOver | EventKind::FailedBack | EventKind::Switched
        )
    }
}

/// Something a person should hear about. Emitted once per transition, not per event received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupEvent {
    pub group: GroupName,
    pub tgw: TgwId,
    pub kind: EventKind,
    pub from: Option<VpnId>,
    pub to: Option<VpnId>,
    pub routes: usize,
    pub detail: String,
    /// Every member of the group, in priority order (the primary first), so that a message
    /// names the whole site.
    #[serde(default)]
    pub members: Vec<VpnId>,
}

/// A ledger entry dropped without a move: its route vanished, was re-pointed by someone to a
/// non-member, or is already home.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drop {
    pub key: RouteKey,
    pub group: GroupName,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub moves: Vec<Move>,
    /// Written before any move (intent): routes leaving home.
    pub ledger_intents: Vec<LedgerEntry>,
    /// Removed at once: see [`Drop`].
    pub ledger_drops: Vec<Drop>,
    /// New state of the groups whose state changes (pin, damping clock, down flag).
    pub group_states: BTreeMap<GroupName, GroupState>,
    /// New census of home routes for the groups whose census changes.
    pub home_routes: BTreeMap<GroupName, Vec<RouteKey>>,
    pub groups: Vec<GroupReport>,
    pub invalid: Vec<InvalidGroup>,
    pub events: Vec<GroupEvent>,
    /// The new set of groups announced invalid, when it changes.
    pub invalid_announced: Option<BTreeMap<GroupName, String>>,
    /// DOWN signals announced as contradicted by this plan's events.
    pub contradictions_announced: Vec<Signal>,
    /// Signals the plan itself records (an operator's failback settling a contradicted DOWN).
    pub signals: Vec<Signal>,
}

impl Plan {
    /// Write the plan's bookkeeping into `state` before any move is made: ledger intents and
    /// drops, group states, the census. The engine stores the result, then moves.
    pub fn record_intents(&self, state: &mut TgwState) {
        let drops: Vec<RouteKey> = self.ledger_drops.iter().map(|d| d.key.clone()).collect();
        state.apply_ledger(&self.ledger_intents, &drops);
        for (g, s) in &self.group_states {
            state.groups.insert(g.clone(), s.clone());
        }
        for (g, keys) in &self.home_routes {
            state.home_routes.insert(g.clone(), keys.clone());
        }
        if let Some(invalid) = &self.invalid_announced {
            state.invalid = invalid.clone();
        }
        for s in &self.signals {
            state.record_signal(s.clone());
        }
        state
            .contradicted
            .extend(self.contradictions_announced.iter().cloned());
        // An announcement is kept only while its signal is: a signal replaced by a newer one
        // (or pruned) can never be announced twice.
        let stored = state.signals.clone();
        state.contradicted.retain(|c| stored.contains(c));
    }

    /// Nothing to write: no move, no ledger or group-state change.
    pub fn is_noop(&self) -> bool {
        self.moves.is_empty()
            && self.ledger_intents.is_empty()
            && self.ledger_drops.is_empty()
            && self.group_states.is_empty()
            && self.home_routes.is_empty()
            && self.invalid_announced.is_none()
            && self.contradictions_announced.is_empty()
            && self.signals.is_empty()
    }
}
