//! One group's pass: assess its members, find where its routes point, ask [`decide`](super::decide::decide) for the
//! desired member, then write the consequences into the [`Plan`]: one move per route not on
//! it (with a ledger intent when it leaves home), the events to announce, the new group
//! state and the group's report.

use super::decide::decide;
use super::routes::GroupRoute;
use super::{
    Directive, Drop, EventKind, GroupEvent, GroupReport, GroupStatus, MemberReport, Move, MoveKind,
    Plan, PlanError, PlanInput,
};
use crate::groups::Group;
use crate::health::{Health, assess};
use crate::state::LedgerEntry;

pub(super) fn plan_group(
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
