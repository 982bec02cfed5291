//! What people must hear about beyond route moves, once per transition: a group left
//! unprotected by its tags (invalid, then valid again), and a DOWN signal that telemetry
//! contradicts. Both are remembered in [`TgwState`] (`invalid`, `contradicted`) so that a sweep
//! every minute does not repeat them. Also here: how an operator's failback settles a
//! contradicted signal.

use crate::groups::Group;
use crate::health::{Health, assess};
use crate::model::TunnelStatus;
use crate::planner::{EventKind, GroupEvent, Plan, PlanInput};
use crate::state::{Signal, SignalSource, TgwState};
use std::collections::BTreeMap;

/// Add the plan's announcements: invalid/valid groups of this TGW, and contradicted signals
/// not yet announced. Called once the groups are planned (their health is in the reports).
pub fn announce(input: &PlanInput, plan: &mut Plan) {
    announce_invalid(input, plan);
    announce_contradictions(input.state, plan);
}

fn announce_invalid(input: &PlanInput, plan: &mut Plan) {
    let state = input.state;
    let now: BTreeMap<_, _> = plan
        .invalid
        .iter()
        .map(|g| (g.name.clone(), g.reason.clone()))
        .collect();
    if now == state.invalid {
        return;
    }
    for (name, reason) in &now {
        if state.invalid.get(name) == Some(reason) {
            continue;
        }
        plan.events.push(GroupEvent {
            group: name.clone(),
            tgw: input.tgw.clone(),
            kind: EventKind::Invalid,
            from: None,
            to: None,
            routes: 0,
            detail: format!(
                "{reason}; its routes are not protected until the tags are fixed \
                 (`tgw-ha status` shows every group and why)"
            ),
            members: plan
                .invalid
                .iter()
                .find(|g| &g.name == name)
                .map(|g| g.vpns.clone())
                .unwrap_or_default(),
        });
    }
    for name in state.invalid.keys().filter(|n| !now.contains_key(*n)) {
        // Valid again, or no longer tagged at all: only the first is news worth a message.
        if let Some(g) = plan.groups.iter().find(|g| &g.name == name) {
            plan.events.push(GroupEvent {
                group: name.clone(),
                tgw: g.tgw.clone(),
                kind: EventKind::Valid,
                from: None,
                to: g.active.clone(),
                routes: g.routes,
                detail: "the group's tags are valid again: it is protected".into(),
                members: g.members.iter().map(|m| m.vpn.clone()).collect(),
            });
        }
    }
    plan.invalid_announced = Some(now);
}

fn announce_contradictions(state: &TgwState, plan: &mut Plan) {
    let mut new: Vec<(Signal, GroupEvent)> = Vec::new();
    for g in &plan.groups {
        for m in &g.members {
            let Some(c) = &m.health.contradicted else {
                continue;
            };
            let Some(signal) = state.signals.iter().find(|s| {
                s.vpn == m.vpn
                    && s.tunnel == c.tunnel
                    && s.at == c.at
                    && s.status == TunnelStatus::Down
            }) else {
                continue;
            };
            if state.contradicted.contains(signal) || new.iter().any(|(s, _)| s == signal) {
                continue;
            }
            new.push((
                signal.clone(),
                GroupEvent {
                    group: g.name.clone(),
                    tgw: g.tgw.clone(),
                    kind: EventKind::Contradicted,
                    from: Some(m.vpn.clone()),
                    to: g.active.clone(),
                    routes: g.routes,
                    detail: format!("{}: {}", m.vpn, c.describe()),
                    members: g.members.iter().map(|m| m.vpn.clone()).collect(),
                },
            ));
        }
    }
    for (s, e) in new {
        plan.contradictions_announced.push(s);
        plan.events.push(e);
    }
}

/// An operator's failback to a primary kept unhealthy only by a contradicted DOWN: record an
/// operator UP for each of its stored DOWN signals (at `now`, so newer than them) and return the
/// primary's health under them with those signals. `None` when the primary's health is not in
/// doubt (healthy, or down by telemetry): then the failback is judged as before.
pub fn settle_contradiction(
    input: &PlanInput,
    group: &Group,
    health: &[Health],
) -> Option<(Health, Vec<Signal>)> {
    health.first()?.contradicted.as_ref()?;
    let home = &group.home().vpn;
    let vpn = input.observation.vpns.iter().find(|v| &v.id == home)?;
    let ups: Vec<Signal> = input
        .state
        .signals
        .iter()
        .filter(|s| &s.vpn == home && s.status == TunnelStatus::Down)
        .map(|s| Signal {
            vpn: s.vpn.clone(),
            tunnel: s.tunnel.clone(),
            status: TunnelStatus::Up,
            at: input.now,
            source: SignalSource::Operator,
        })
        .collect();
    let mut signals = input.state.signals.clone();
    signals.retain(|s| !(&s.vpn == home && s.status == TunnelStatus::Down));
    signals.extend(ups.iter().cloned());
    let settled = assess(vpn, &signals, input.policy, input.now);
    settled.healthy.then_some((settled, ups))
}
