//! The decision and the plan (DESIGN.md "The decision").
//!
//! For each group on one TGW, from the observed routes, the ledger, the members' health and
//! `now`: pick the desired member, then plan one move per group route that is not on it.
//!
//! 1. Desired = the active member while it is healthy; with `failback`, a higher-priority member
//!    that is *stable* takes over (the highest such).
//! 2. Active not healthy: the highest-priority healthy member, stable or not. None healthy:
//!    nothing moves, the group is reported down.
//! 3. Damping: at most one move off a healthy path per group per `min_switch_interval`. Moves off
//!    a dead path are never damped.
//! 4. A pin wins when the pinned member is healthy or the pin is forced.
//!
//! Ownership: a route in the ledger belongs to its group wherever it points; otherwise a static
//! route belongs to the group whose primary it points at. Propagated routes, routes to other
//! attachments, a backup's own routes and blackholes not in the ledger are never touched.

use crate::Timestamp;
use crate::groups::{Discovery, Group, InvalidGroup};
use crate::health::{Health, assess};
use crate::ids::{AttachmentId, GroupName, TgwId, VpnId};
use crate::model::{Observation, RouteKey, RouteState, RouteType};
use crate::policy::Policy;
use crate::state::{GroupState, LedgerEntry, Pin, Signal, TgwState};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// A one-shot operator instruction, validated and applied by the planner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "directive", rename_all = "snake_case")]
pub enum Directive {
    Failover {
        group: GroupName,
        to: Option<VpnId>,
    },
    Failback {
        group: GroupName,
    },
    Pin {
        group: GroupName,
        vpn: VpnId,
        force: bool,
        #[serde(default)]
        until: Option<crate::trigger::PinUntil>,
    },
    Unpin {
        group: GroupName,
    },
}

impl Directive {
    pub fn group(&self) -> &GroupName {
        match self {
            Directive::Failover { group, .. }
            | Directive::Failback { group }
            | Directive::Pin { group, .. }
            | Directive::Unpin { group } => group,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum PlanError {
    #[error("group {group} is not a valid group on {tgw}")]
    UnknownGroup { group: GroupName, tgw: TgwId },
    #[error("{vpn} is not a member of group {group}")]
    NotAMember { group: GroupName, vpn: VpnId },
    #[error("{vpn} is not healthy ({reason}); refusing to move group {group} onto it{hint}")]
    TargetUnhealthy {
        group: GroupName,
        vpn: VpnId,
        reason: String,
        hint: String,
    },
    #[error("group {group} has no healthy member to fail over to")]
    NoHealthyTarget { group: GroupName },
    #[error(
        "pin of group {group} would end at {until}, which is not after now ({now}); give a later time or a duration such as 2h"
    )]
    PinEndsInThePast {
        group: GroupName,
        until: String,
        now: String,
    },
}

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

pub struct PlanInput<'a> {
    pub tgw: &'a TgwId,
    /// Discovery over every VPN (so that cross-TGW groups are caught); only groups on `tgw` count.
    pub discovery: &'a Discovery,
    pub observation: &'a Observation,
    pub state: &'a TgwState,
    pub policy: &'a Policy,
    /// Only these groups may move (None: all groups of the TGW).
    pub scope: Option<&'a BTreeSet<GroupName>>,
    pub directive: Option<&'a Directive>,
    pub now: Timestamp,
}

/// One group route: its key and the member index it points at (None: blackhole, no attachment).
struct GroupRoute {
    key: RouteKey,
    current: Option<usize>,
}

pub fn plan(input: &PlanInput) -> Result<Plan, PlanError> {
    let groups: Vec<&Group> = input
        .discovery
        .groups
        .iter()
        .filter(|g| &g.tgw == input.tgw)
        .collect();
    if let Some(d) = input.directive
        && !groups.iter().any(|g| &g.name == d.group())
    {
        return Err(PlanError::UnknownGroup {
            group: d.group().clone(),
            tgw: input.tgw.clone(),
        });
    }
    let mut plan = Plan {
        invalid: invalid_on_tgw(input),
        ..Plan::default()
    };

    let (routes_by_group, drops) = collect_group_routes(input, &groups);
    plan.ledger_drops = drops;

    for group in groups {
        let routes = routes_by_group
            .get(&group.name)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        // The census: every route of this group, wherever it points, so that a route that
        // loses its attachment when the primary dies is still known to be ours. Moves do not
        // change it; routes appearing or vanishing do.
        let census: Vec<RouteKey> = routes
            .iter()
            .map(|r| r.key.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let old = input.state.home_routes.get(&group.name);
        if old.map(Vec::as_slice).unwrap_or(&[]) != census.as_slice() {
            plan.home_routes.insert(group.name.clone(), census);
        }
        plan_group(input, group, routes, &mut plan)?;
    }
    crate::notices::announce(input, &mut plan);
    Ok(plan)
}

fn invalid_on_tgw(input: &PlanInput) -> Vec<InvalidGroup> {
    input
        .discovery
        .invalid
        .iter()
        .filter(|g| {
            g.vpns.iter().any(|v| {
                input
                    .observation
                    .vpns
                    .iter()
                    .any(|o| &o.id == v && o.transit_gateway_id.as_ref() == Some(input.tgw))
            })
        })
        .cloned()
        .collect()
}

fn collect_group_routes(
    input: &PlanInput,
    groups: &[&Group],
) -> (BTreeMap<GroupName, Vec<GroupRoute>>, Vec<Drop>) {
    let ledger = input.state.ledger_map();
    let by_name: BTreeMap<&GroupName, &Group> = groups.iter().map(|g| (&g.name, *g)).collect();
    let home_of: BTreeMap<&AttachmentId, &Group> =
        groups.iter().map(|g| (&g.home().attachment, *g)).collect();
    let census: BTreeMap<&RouteKey, &GroupName> = input
        .state
        .home_routes
        .iter()
        .flat_map(|(g, keys)| keys.iter().map(move |k| (k, g)))
        .collect();
    let home_is_down = |g: &Group| {
        input
            .observation
            .vpns
            .iter()
            .find(|v| v.id == g.home().vpn)
            .is_none_or(|v| !assess(v, &input.state.signals, input.policy, input.now).healthy)
    };
    let mut out: BTreeMap<GroupName, Vec<GroupRoute>> = BTreeMap::new();
    let mut drops = Vec::new();
    let mut seen: BTreeSet<RouteKey> = BTreeSet::new();

    for r in &input.observation.routes {
        if r.route_type == RouteType::Propagated
            || matches!(r.state, RouteState::Deleting | RouteState::Deleted)
        {
            continue;
        }
        let key = r.key();
        if !seen.insert(key.clone()) {
            continue;
        }
        if let Some(entry) = ledger.get(&key) {
            // Owned by the ledger; a group that is no longer valid here leaves its entry alone.
            let Some(group) = by_name.get(&entry.group) else {
                continue;
            };
            match &r.attachment {
                None => out
                    .entry(group.name.clone())
                    .or_default()
                    .push(GroupRoute { key, current: None }),
                Some(a) => match group.members.iter().position(|m| &m.attachment == a) {
                    Some(i) => out.entry(group.name.clone()).or_default().push(GroupRoute {
                        key,
                        current: Some(i),
                    }),
                    None => drops.push(Drop {
                        key,
                        group: group.name.clone(),
                        reason: format!("re-pointed to {a}, which is not a member: released"),
                    }),
                },
            }
        } else if let Some(a) = &r.attachment {
            if let Some(group) = home_of.get(a) {
                out.entry(group.name.clone()).or_default().push(GroupRoute {
                    key,
                    current: Some(0),
                });
            }
        } else if let Some(group) = census.get(&key).and_then(|g| by_name.get(g))
            && home_is_down(group)
        {
            // A route last seen on this group's primary that now lists no attachment while the
            // primary is down: EC2 may show dead routes so (undocumented). Without the census
            // the first failover would leave it behind. With the primary healthy, a blackhole
            // is someone's deliberate change and is left alone.
            out.entry(group.name.clone())
                .or_default()
                .push(GroupRoute { key, current: None });
        }
    }
    for entry in &input.state.ledger {
        if !seen.contains(&entry.key) && by_name.contains_key(&entry.group) {
            drops.push(Drop {
                key: entry.key.clone(),
                group: entry.group.clone(),
                reason: "route no longer exists (or points outside the group): released".into(),
            });
        }
    }
    (out, drops)
}

struct Decision {
    desired: Option<usize>,
    kind: MoveKind,
    switch_off_healthy: bool,
    pin: Option<Option<Pin>>,
    /// A notice about the pin itself (ended, or old with no end).
    pin_event: Option<(EventKind, String)>,
    notes: Vec<String>,
}

fn plan_group(
    input: &PlanInput,
    group: &Group,
    routes: &[GroupRoute],
    plan: &mut Plan,
) -> Result<(), PlanError> {
    let now = input.now;
    let mut health: Vec<Health> = group
        .members
        .iter()
        .map(
            |m| match input.observation.vpns.iter().find(|v| v.id == m.vpn) {
                Some(vpn) => assess(vpn, &input.state.signals, input.policy, now),
                None => Health {
                    healthy: false,
                    stable: false,
                    tunnels_up: 0,
                    tunnels: vec![],
                    stable_at: None,
                    reason: Some("vpn not observed".into()),
                    contradicted: None,
                },
            },
        )
        .collect();
    let mut counts = vec![0usize; group.members.len()];
    for r in routes {
        if let Some(i) = r.current {
            counts[i] += 1;
        }
    }
    // Active: where most of the group's routes point (ties to the higher priority). A group with
    // no routes is treated as home.
    let active = (0..counts.len())
        .filter(|i| counts[*i] > 0)
        .max_by_key(|i| (counts[*i], std::cmp::Reverse(*i)));
    let gstate = input
        .state
        .groups
        .get(&group.name)
        .cloned()
        .unwrap_or_default();
    let directive = input.directive.filter(|d| d.group() == &group.name);
    let in_scope = directive.is_some() || input.scope.is_none_or(|s| s.contains(&group.name));
    let mut settle_notes = Vec::new();
    if let Some(Directive::Failback { .. }) = directive
        && let Some((settled, signals)) =
            crate::notices::settle_contradiction(input, group, &health)
    {
        settle_notes.push(format!(
            "operator failback settled the contradicted signal on {}",
            group.home().vpn
        ));
        health[0] = settled;
        plan.signals.extend(signals);
    }

    let decision = decide(input, group, &health, &counts, active, &gstate, directive)?;

    let mut new_state = gstate.clone();
    if let Some(pin) = &decision.pin {
        new_state.pin = pin.clone();
    }
    let mut report_notes = settle_notes;
    report_notes.extend(decision.notes.iter().cloned());
    for (m, h) in group.members.iter().zip(&health) {
        if let Some(c) = &h.contradicted {
            report_notes.push(format!("{}: {}", m.vpn, c.describe()));
        }
    }
    let mut moves = Vec::new();
    if let (Some(d), true) = (decision.desired, in_scope) {
        let target = &group.members[d];
        let home = &group.home().attachment;
        for r in routes.iter().filter(|r| r.current != Some(d)) {
            let from_healthy = r.current.is_some_and(|i| health[i].healthy);
            let kind = match decision.kind {
                MoveKind::Failback | MoveKind::Failover if !from_healthy => MoveKind::Failover,
                k => k,
            };
            moves.push(Move {
                key: r.key.clone(),
                group: group.name.clone(),
                from: r.current.map(|i| group.members[i].attachment.clone()),
                to: target.attachment.clone(),
                to_vpn: target.vpn.clone(),
                home: home.clone(),
                kind,
            });
            if &target.attachment != home {
                plan.ledger_intents.push(LedgerEntry {
                    key: r.key.clone(),
                    group: group.name.clone(),
                    home: home.clone(),
                    current: target.attachment.clone(),
                    moved_at: now,
                    decision: kind.as_str().into(),
                });
            }
        }
        // Routes already home that the ledger still holds (a crash between move and clear).
        let ledger = input.state.ledger_map();
        for r in routes.iter().filter(|r| r.current == Some(0) && d == 0) {
            if ledger.contains_key(&r.key) {
                plan.ledger_drops.push(Drop {
                    key: r.key.clone(),
                    group: group.name.clone(),
                    reason: "already home".into(),
                });
            }
        }
        if decision.switch_off_healthy && !moves.is_empty() {
            new_state.last_switch = Some(now);
        }
    } else if decision.desired.is_some() && !in_scope {
        report_notes.push("not in this trigger's scope: observed only".into());
    }

    let status = if decision.desired.is_none() {
        GroupStatus::Down
    } else if moves.iter().any(|m| m.kind == MoveKind::Failover) {
        GroupStatus::FailingOver
    } else if moves.iter().any(|m| m.kind == MoveKind::Failback) {
        GroupStatus::FailingBack
    } else if !moves.is_empty() {
        GroupStatus::Switching
    } else if decision.desired == Some(0) {
        GroupStatus::Home
    } else {
        GroupStatus::OnBackup
    };

    let vpn_of = |i: Option<usize>| i.map(|i| group.members[i].vpn.clone());
    if in_scope {
        if !moves.is_empty() {
            let kind = match status {
                GroupStatus::FailingOver => EventKind::FailedOver,
                GroupStatus::FailingBack => EventKind::FailedBack,
                _ => EventKind::Switched,
            };
            plan.events.push(GroupEvent {
                group: group.name.clone(),
                tgw: group.tgw.clone(),
                kind,
                from: vpn_of(active),
                to: vpn_of(decision.desired),
                routes: moves.len(),
                detail: report_notes.join("; "),
                members: group.members.iter().map(|m| m.vpn.clone()).collect(),
            });
        }
        if let Some((kind, detail)) = &decision.pin_event {
            plan.events.push(GroupEvent {
                group: group.name.clone(),
                tgw: group.tgw.clone(),
                kind: *kind,
                from: gstate.pin.as_ref().map(|p| p.vpn.clone()),
                to: vpn_of(decision.desired),
                routes: routes.len(),
                detail: detail.clone(),
                members: group.members.iter().map(|m| m.vpn.clone()).collect(),
            });
        }
        let down = status == GroupStatus::Down;
        if down != gstate.down {
            new_state.down = down;
            let reasons: Vec<String> = group
                .members
                .iter()
                .zip(&health)
                .map(|(m, h)| format!("{}: {}", m.vpn, h.reason.as_deref().unwrap_or("healthy")))
                .collect();
            plan.events.push(GroupEvent {
                group: group.name.clone(),
                tgw: group.tgw.clone(),
                kind: if down {
                    EventKind::Down
                } else {
                    EventKind::Recovered
                },
                from: vpn_of(active),
                to: vpn_of(decision.desired),
                routes: routes.len(),
                detail: reasons.join("; "),
                members: group.members.iter().map(|m| m.vpn.clone()).collect(),
            });
        }
        if new_state != gstate {
            plan.group_states
                .insert(group.name.clone(), new_state.clone());
        }
    }

    plan.groups.push(GroupReport {
        name: group.name.clone(),
        tgw: group.tgw.clone(),
        members: group
            .members
            .iter()
            .zip(health)
            .enumerate()
            .map(|(i, (m, h))| MemberReport {
                vpn: m.vpn.clone(),
                name: input
                    .observation
                    .vpns
                    .iter()
                    .find(|v| v.id == m.vpn)
                    .and_then(|v| v.name().map(str::to_owned)),
                attachment: m.attachment.clone(),
                role: m.role.clone(),
                priority: m.priority,
                health: h,
                routes: counts[i],
            })
            .collect(),
        active: vpn_of(active),
        desired: vpn_of(decision.desired),
        status,
        pinned: new_state.pin.as_ref().map(|p| p.vpn.clone()),
        routes: routes.len(),
        moves: moves.len(),
        in_scope,
        notes: report_notes,
    });
    plan.moves.extend(moves);
    Ok(())
}

fn decide(
    input: &PlanInput,
    group: &Group,
    health: &[Health],
    counts: &[usize],
    active: Option<usize>,
    gstate: &GroupState,
    directive: Option<&Directive>,
) -> Result<Decision, PlanError> {
    let now = input.now;
    let policy = input.policy;
    let member_idx = |vpn: &VpnId| -> Result<usize, PlanError> {
        group
            .members
            .iter()
            .position(|m| &m.vpn == vpn)
            .ok_or_else(|| PlanError::NotAMember {
                group: group.name.clone(),
                vpn: vpn.clone(),
            })
    };
    let unhealthy = |i: usize, hint: &str| PlanError::TargetUnhealthy {
        group: group.name.clone(),
        vpn: group.members[i].vpn.clone(),
        reason: health[i].reason.clone().unwrap_or_default(),
        hint: hint.into(),
    };
    let first_healthy = || (0..health.len()).find(|i| health[*i].healthy);
    let a = active.unwrap_or(0);
    let mut notes = Vec::new();
    let mut pin_change: Option<Option<Pin>> = None;
    let mut pin = gstate.pin.clone();
    let mut pin_event: Option<(EventKind, String)> = None;

    match directive {
        Some(Directive::Failover { to, .. }) => {
            let target = match to {
                Some(vpn) => {
                    let i = member_idx(vpn)?;
                    if !health[i].healthy {
                        return Err(unhealthy(i, ""));
                    }
                    i
                }
                None => (a + 1..health.len())
                    .chain(0..a)
                    .find(|i| health[*i].healthy)
                    .ok_or_else(|| PlanError::NoHealthyTarget {
                        group: group.name.clone(),
                    })?,
            };
            if pin.is_some() {
                notes.push("operator failover cleared the pin".into());
                pin_change = Some(None);
            }
            return Ok(Decision {
                desired: Some(target),
                kind: MoveKind::Operator,
                switch_off_healthy: true,
                pin: pin_change,
                pin_event: pin_event.clone(),
                notes,
            });
        }
        Some(Directive::Failback { .. }) => {
            if !health[0].healthy {
                return Err(unhealthy(0, ""));
            }
            // Like an operator failover, a failback clears the pin: otherwise the next pass
            // would see the pin and move the routes straight back to the pinned member.
            if pin.is_some() {
                notes.push("operator failback cleared the pin".into());
                pin_change = Some(None);
            }
            return Ok(Decision {
                desired: Some(0),
                kind: MoveKind::Operator,
                switch_off_healthy: true,
                pin: pin_change,
                pin_event: pin_event.clone(),
                notes,
            });
        }
        Some(Directive::Pin {
            vpn, force, until, ..
        }) => {
            let i = member_idx(vpn)?;
            if !health[i].healthy && !force {
                return Err(unhealthy(i, "; pin with --force to pin it anyway"));
            }
            let until = until.map(|u| u.resolve(now));
            if let Some(u) = until
                && u <= now
            {
                return Err(PlanError::PinEndsInThePast {
                    group: group.name.clone(),
                    until: u.to_rfc3339(),
                    now: now.to_rfc3339(),
                });
            }
            let p = Pin {
                vpn: vpn.clone(),
                force: *force,
                at: now,
                until,
                warned: false,
            };
            pin = Some(p.clone());
            pin_change = Some(Some(p));
        }
        Some(Directive::Unpin { .. }) => {
            pin = None;
            pin_change = Some(None);
        }
        None => {}
    }

    if let Some(p) = pin.clone() {
        if let Some(until) = p.until
            && until <= now
        {
            // A pin with an end gives the group back to automation by itself: the decision
            // below applies from this pass on.
            notes.push(format!(
                "the pin to {} ended at {}",
                p.vpn,
                until.to_rfc3339()
            ));
            pin_event = Some((
                EventKind::PinEnded,
                format!(
                    "the pin to {} (set {}) ended at {}: the group is back under automation",
                    p.vpn,
                    p.at.to_rfc3339(),
                    until.to_rfc3339()
                ),
            ));
            pin = None;
            pin_change = Some(None);
        } else if p.until.is_none() && !p.warned && now - p.at >= policy.pin_warn() {
            let warned = Pin {
                warned: true,
                ..p.clone()
            };
            pin_event = Some((
                EventKind::PinReminder,
                format!(
                    "pinned to {} since {} with no end (over {} h); if the maintenance is over, \
                     `tgw-ha unpin --group {}` gives the group back to automation",
                    p.vpn,
                    p.at.to_rfc3339(),
                    policy.pin_warn_hours,
                    group.name
                ),
            ));
            pin = Some(warned.clone());
            pin_change = Some(Some(warned));
        }
    }

    if let Some(p) = &pin {
        match group.members.iter().position(|m| m.vpn == p.vpn) {
            Some(i) if health[i].healthy || p.force => {
                notes.push(format!("pinned to {}", p.vpn));
                return Ok(Decision {
                    desired: Some(i),
                    kind: MoveKind::Pin,
                    switch_off_healthy: false,
                    pin: pin_change,
                    pin_event: pin_event.clone(),
                    notes,
                });
            }
            Some(_) => notes.push(format!(
                "pinned to {}, which is not healthy: automatic failover applies",
                p.vpn
            )),
            None => notes.push(format!(
                "pinned to {}, which is no longer a member: pin ignored",
                p.vpn
            )),
        }
    }

    if !health[a].healthy {
        return Ok(match first_healthy() {
            Some(i) => Decision {
                desired: Some(i),
                kind: MoveKind::Failover,
                switch_off_healthy: false,
                pin: pin_change,
                pin_event: pin_event.clone(),
                notes,
            },
            None => {
                notes.push("no member is healthy: nothing moved".into());
                Decision {
                    desired: None,
                    kind: MoveKind::Failover,
                    switch_off_healthy: false,
                    pin: pin_change,
                    pin_event: pin_event.clone(),
                    notes,
                }
            }
        });
    }

    let mut desired = a;
    let mut kind = MoveKind::Failover;
    if let Some(i) = (0..a).find(|i| health[*i].stable) {
        // A failback already under way (its target holds some of the group's routes: the
        // last pass failed part of its moves) is finished, not damped. Damping it left the
        // group split, and the majority rule then moved the routes already back home off that
        // healthy primary again, as a "failover" (found by the engine's sim tests).
        let damped_until = gstate
            .last_switch
            .map(|t| t + policy.min_switch_interval())
            .filter(|until| *until > now && counts[i] == 0);
        if !policy.failback {
            notes.push(format!(
                "{} is stable; failback is off (run failback to move back)",
                group.members[i].vpn
            ));
        } else if let Some(until) = damped_until {
            notes.push(format!(
                "failback to {} damped until {}",
                group.members[i].vpn,
                until.to_rfc3339()
            ));
        } else {
            desired = i;
            kind = MoveKind::Failback;
        }
    } else if let Some(i) = (0..a).find(|i| health[*i].healthy)
        && let Some(at) = health[i].stable_at
    {
        notes.push(format!(
            "{} is up; stable (hold-down) at {}",
            group.members[i].vpn,
            at.to_rfc3339()
        ));
    }
    Ok(Decision {
        desired: Some(desired),
        kind,
        switch_off_healthy: kind == MoveKind::Failback,
        pin: pin_change,
        pin_event: pin_event.clone(),
        notes,
    })
}
