//! The decision (DESIGN.md "The decision"): one test per rule, per ownership rule, and the
//! level-triggered property (a plan applied and planned again is empty).

mod common;

use common::*;
use std::collections::BTreeSet;
use tgw_ha_core::Timestamp;
use tgw_ha_core::ids::{GroupName, PrefixListId, TgwId};
use tgw_ha_core::model::{Destination, Route, RouteKey, Tunnel};
use tgw_ha_core::planner::{
    Directive, EventKind, GroupReport, GroupStatus, MoveKind, Plan, PlanError,
};
use tgw_ha_core::state::{GroupState, Pin};

const A: &str = "vpn-a";
const B: &str = "vpn-b";
const C: &str = "vpn-c";
const D: &str = "vpn-d";
const AA: &str = "tgw-attach-a";
const AB: &str = "tgw-attach-b";
const AC: &str = "tgw-attach-c";
const AD: &str = "tgw-attach-d";
const R1: &str = "10.1.0.0/16";
const R2: &str = "10.2.0.0/16";
const SITE: &str = "siteA";

/// Long up: healthy and stable at any `now` ≥ t(-3300).
fn long_up() -> Vec<Tunnel> {
    up(t(-3600))
}

fn dead() -> Vec<Tunnel> {
    down(t(-60))
}

/// siteA: `vpn-a` primary, `vpn-b` backup, `vpn-c` backup2, `vpn-d` backup3 (as many as given).
fn group_world(members: Vec<Vec<Tunnel>>, routes: Vec<Route>) -> World {
    let roles = ["primary", "backup", "backup2", "backup3"];
    let ids = [(A, AA), (B, AB), (C, AC), (D, AD)];
    let mut vpns = Vec::new();
    let mut atts = Vec::new();
    for (i, tunnels) in members.into_iter().enumerate() {
        vpns.push(vpn(ids[i].0, TGW, &[(SITE, roles[i])], tunnels));
        atts.push(att(ids[i].1, TGW, ids[i].0));
    }
    World::new(vpns, atts, routes)
}

/// The pair with both group routes at home.
fn pair(a: Vec<Tunnel>, b: Vec<Tunnel>) -> World {
    group_world(
        vec![a, b],
        vec![route(RTB, R1, Some(AA)), route(RTB, R2, Some(AA))],
    )
}

/// The pair with both group routes failed over to `vpn-b` (recorded in the ledger).
fn pair_on_backup(a: Vec<Tunnel>, b: Vec<Tunnel>) -> World {
    let mut w = group_world(
        vec![a, b],
        vec![route(RTB, R1, Some(AB)), route(RTB, R2, Some(AB))],
    );
    w.state.ledger = vec![
        ledger(key(RTB, R1), SITE, AA, AB, t(-1000)),
        ledger(key(RTB, R2), SITE, AA, AB, t(-1000)),
    ];
    w
}

fn report<'a>(plan: &'a Plan, group: &str) -> &'a GroupReport {
    plan.groups
        .iter()
        .find(|g| g.name.as_str() == group)
        .unwrap_or_else(|| panic!("no report for {group}: {plan:?}"))
}

fn moved_keys(plan: &Plan) -> BTreeSet<RouteKey> {
    plan.moves.iter().map(|m| m.key.clone()).collect()
}

fn keys(cidrs: &[&str]) -> BTreeSet<RouteKey> {
    cidrs.iter().map(|c| key(RTB, c)).collect()
}

fn event_kinds(plan: &Plan) -> Vec<EventKind> {
    plan.events.iter().map(|e| e.kind).collect()
}

fn with_group_state(w: &mut World, s: GroupState) {
    w.state.groups.insert(gname(SITE), s);
}

fn failback_on(w: &mut World) {
    w.policy.failback = true;
}

fn directive(w: &World, d: Directive, now: Timestamp) -> Result<Plan, PlanError> {
    w.try_plan(now, Some(&d), None)
}

// ---- 1, 2: failover ----

#[test]
fn failover_is_never_delayed_by_hold_down() {
    // The backup came up 10 s ago: healthy, far from stable. Leaving a dead path still goes.
    let w = pair(dead(), up(t(-10)));
    let p = w.plan(t(0));
    let r = report(&p, SITE);
    assert!(r.members[1].health.healthy && !r.members[1].health.stable);
    assert_eq!(moved_keys(&p), keys(&[R1, R2]));
    for m in &p.moves {
        assert_eq!(m.from, Some(aid(AA)));
        assert_eq!(m.to, aid(AB));
        assert_eq!(m.to_vpn, vid(B));
        assert_eq!(m.kind, MoveKind::Failover);
    }
    assert_eq!(r.status, GroupStatus::FailingOver);
    assert_eq!(
        (r.active.clone(), r.desired.clone()),
        (Some(vid(A)), Some(vid(B)))
    );
    assert_eq!(event_kinds(&p), [EventKind::FailedOver]);
    assert_eq!(p.events[0].routes, 2);
}

#[test]
fn failover_goes_to_highest_priority_healthy_member() {
    let w = group_world(
        vec![dead(), dead(), up(t(-10)), long_up()],
        vec![route(RTB, R1, Some(AA))],
    );
    let p = w.plan(t(0));
    assert_eq!(p.moves.len(), 1);
    assert_eq!(p.moves[0].to, aid(AC), "backup2, not the stable backup3");
    assert_eq!(p.moves[0].kind, MoveKind::Failover);
    assert_eq!(report(&p, SITE).desired, Some(vid(C)));
}

// ---- no healthy member ----

#[test]
fn no_healthy_member_is_down_once_then_recovered() {
    let mut w = pair(dead(), dead());
    let p = w.plan(t(0));
    assert!(p.moves.is_empty());
    assert!(p.ledger_intents.is_empty());
    let r = report(&p, SITE);
    assert_eq!(r.status, GroupStatus::Down);
    assert_eq!(r.desired, None);
    assert_eq!(event_kinds(&p), [EventKind::Down]);
    assert!(p.group_states[&gname(SITE)].down);
    w.apply(&p);

    // Another event while still down: no second Down.
    let p = w.plan(t(30));
    assert_eq!(report(&p, SITE).status, GroupStatus::Down);
    assert!(p.events.is_empty(), "{:?}", p.events);
    assert!(p.is_noop(), "{p:?}");

    // The backup comes back: routes fail over and the group is reported recovered.
    w.set_tunnels(B, up(t(50)));
    let p = w.plan(t(60));
    assert_eq!(moved_keys(&p), keys(&[R1, R2]));
    let kinds = event_kinds(&p);
    assert!(kinds.contains(&EventKind::Recovered), "{kinds:?}");
    assert!(kinds.contains(&EventKind::FailedOver), "{kinds:?}");
    assert!(!p.group_states[&gname(SITE)].down);
}

// ---- failback ----

#[test]
fn failback_off_stays_on_backup_with_a_note() {
    let w = pair_on_backup(long_up(), long_up());
    assert!(!w.policy.failback, "default is off");
    let p = w.plan(t(0));
    assert!(p.moves.is_empty(), "{:?}", p.moves);
    let r = report(&p, SITE);
    assert!(r.members[0].health.stable, "premise: the primary is stable");
    assert_eq!(r.status, GroupStatus::OnBackup);
    assert_eq!(r.active, Some(vid(B)));
    assert!(
        r.notes.iter().any(|n| n.contains("failback is off")),
        "{:?}",
        r.notes
    );
}

#[test]
fn failback_on_waits_for_the_primary_to_be_stable() {
    let mut w = pair_on_backup(up(t(-100)), long_up());
    failback_on(&mut w);

    // Hold-down (300 s) not over: the primary is healthy but not stable.
    let p = w.plan(t(199));
    assert!(p.moves.is_empty(), "{:?}", p.moves);
    let r = report(&p, SITE);
    assert_eq!(r.status, GroupStatus::OnBackup);
    assert!(
        r.notes.iter().any(|n| n.contains("hold-down")),
        "{:?}",
        r.notes
    );

    // Hold-down over: back home.
    let p = w.plan(t(200));
    assert_eq!(moved_keys(&p), keys(&[R1, R2]));
    for m in &p.moves {
        assert_eq!(m.kind, MoveKind::Failback);
        assert_eq!((m.from.clone(), m.to.clone()), (Some(aid(AB)), aid(AA)));
        assert!(m.goes_home());
    }
    assert_eq!(report(&p, SITE).status, GroupStatus::FailingBack);
    assert_eq!(event_kinds(&p), [EventKind::FailedBack]);
    assert_eq!(p.group_states[&gname(SITE)].last_switch, Some(t(200)));
}

#[test]
fn failback_is_damped_by_min_switch_interval() {
    for (last_switch, moves) in [(t(-1), 0), (t(-299), 0), (t(-301), 2), (t(-3000), 2)] {
        let mut w = pair_on_backup(long_up(), long_up());
        failback_on(&mut w);
        with_group_state(
            &mut w,
            GroupState {
                last_switch: Some(last_switch),
                ..GroupState::default()
            },
        );
        let p = w.plan(t(0));
        assert_eq!(p.moves.len(), moves, "last switch {last_switch}");
        if moves == 0 {
            let r = report(&p, SITE);
            assert_eq!(r.status, GroupStatus::OnBackup);
            assert!(
                r.notes.iter().any(|n| n.contains("damped until")),
                "{:?}",
                r.notes
            );
        } else {
            assert!(p.moves.iter().all(|m| m.kind == MoveKind::Failback));
        }
    }
}

#[test]
fn failover_off_a_dead_path_is_never_damped() {
    let recent = GroupState {
        last_switch: Some(t(-5)),
        ..GroupState::default()
    };
    // Home dies right after a switch.
    let mut w = pair(dead(), long_up());
    with_group_state(&mut w, recent.clone());
    let p = w.plan(t(0));
    assert_eq!(moved_keys(&p), keys(&[R1, R2]));
    assert!(
        p.moves
            .iter()
            .all(|m| m.kind == MoveKind::Failover && m.to == aid(AB))
    );

    // The backup dies right after a switch, and the primary is up but not stable: go anyway.
    let mut w = pair_on_backup(up(t(-10)), dead());
    failback_on(&mut w);
    with_group_state(&mut w, recent);
    let p = w.plan(t(0));
    assert_eq!(moved_keys(&p), keys(&[R1, R2]));
    assert!(
        p.moves
            .iter()
            .all(|m| m.kind == MoveKind::Failover && m.to == aid(AA))
    );
    assert_eq!(report(&p, SITE).status, GroupStatus::FailingOver);
}

// ---- pin ----

#[test]
fn pin_to_a_healthy_backup_moves_routes_and_blocks_failback() {
    let mut w = pair(long_up(), long_up());
    let d = Directive::Pin {
        group: gname(SITE),
        vpn: vid(B),
        force: false,
        until: None,
    };
    let p = directive(&w, d, t(0)).expect("pin");
    assert_eq!(moved_keys(&p), keys(&[R1, R2]));
    assert!(
        p.moves
            .iter()
            .all(|m| m.kind == MoveKind::Pin && m.to == aid(AB))
    );
    assert!(p.ledger_intents.iter().all(|e| e.decision == "pin"));
    assert_eq!(p.ledger_intents.len(), 2);
    assert_eq!(
        p.group_states[&gname(SITE)].pin,
        Some(Pin {
            vpn: vid(B),
            force: false,
            at: t(0),
            until: None,
            warned: false,
        })
    );
    assert_eq!(report(&p, SITE).status, GroupStatus::Switching);
    assert_eq!(event_kinds(&p), [EventKind::Switched]);
    w.apply(&p);

    // Much later, failback on and the primary stable: a pinned group stays put.
    failback_on(&mut w);
    let p = w.plan(t(5000));
    assert!(p.moves.is_empty(), "{:?}", p.moves);
    assert_eq!(report(&p, SITE).pinned, Some(vid(B)));

    // Unpin: failback applies again.
    let p = directive(&w, Directive::Unpin { group: gname(SITE) }, t(5000)).expect("unpin");
    assert_eq!(moved_keys(&p), keys(&[R1, R2]));
    assert!(p.moves.iter().all(|m| m.to == aid(AA)));
    assert_eq!(p.group_states[&gname(SITE)].pin, None);
}

#[test]
fn pin_to_an_unhealthy_member_needs_force() {
    let w = pair(long_up(), dead());
    let err = directive(
        &w,
        Directive::Pin {
            group: gname(SITE),
            vpn: vid(B),
            force: false,
            until: None,
        },
        t(0),
    )
    .expect_err("refused");
    match err {
        PlanError::TargetUnhealthy { group, vpn, .. } => {
            assert_eq!((group, vpn), (gname(SITE), vid(B)));
        }
        other => panic!("wrong error {other:?}"),
    }

    let p = directive(
        &w,
        Directive::Pin {
            group: gname(SITE),
            vpn: vid(B),
            force: true,
            until: None,
        },
        t(0),
    )
    .expect("forced pin");
    assert_eq!(moved_keys(&p), keys(&[R1, R2]));
    assert!(
        p.moves
            .iter()
            .all(|m| m.kind == MoveKind::Pin && m.to == aid(AB))
    );
    assert!(p.group_states[&gname(SITE)].pin.as_ref().unwrap().force);
}

#[test]
fn pin_to_a_non_member_is_refused() {
    let w = pair(long_up(), long_up());
    let err = directive(
        &w,
        Directive::Pin {
            group: gname(SITE),
            vpn: vid("vpn-zzz"),
            force: true,
            until: None,
        },
        t(0),
    )
    .expect_err("refused");
    assert!(matches!(err, PlanError::NotAMember { .. }), "{err:?}");
}

#[test]
fn pinned_member_dies_automatic_failover_applies() {
    let mut w = pair_on_backup(long_up(), dead());
    with_group_state(
        &mut w,
        GroupState {
            pin: Some(Pin {
                vpn: vid(B),
                force: false,
                at: t(-1000),
                until: None,
                warned: false,
            }),
            ..GroupState::default()
        },
    );
    let p = w.plan(t(0));
    assert_eq!(moved_keys(&p), keys(&[R1, R2]));
    assert!(
        p.moves
            .iter()
            .all(|m| m.kind == MoveKind::Failover && m.to == aid(AA))
    );
    let r = report(&p, SITE);
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("automatic failover applies")),
        "{:?}",
        r.notes
    );
}

// ---- operator directives ----

#[test]
fn operator_failover_without_target_picks_next_healthy() {
    // The backup is down: the next healthy member after the active one is backup2.
    let w = group_world(
        vec![long_up(), dead(), long_up()],
        vec![route(RTB, R1, Some(AA))],
    );
    let p = directive(
        &w,
        Directive::Failover {
            group: gname(SITE),
            to: None,
        },
        t(0),
    )
    .expect("failover");
    assert_eq!(p.moves.len(), 1);
    assert_eq!(p.moves[0].to, aid(AC));
    assert_eq!(p.moves[0].kind, MoveKind::Operator);
    assert_eq!(report(&p, SITE).status, GroupStatus::Switching);
    assert_eq!(p.group_states[&gname(SITE)].last_switch, Some(t(0)));
}

#[test]
fn operator_failover_to_an_unhealthy_member_is_refused() {
    let w = pair(long_up(), dead());
    let err = directive(
        &w,
        Directive::Failover {
            group: gname(SITE),
            to: Some(vid(B)),
        },
        t(0),
    )
    .expect_err("refused");
    assert!(matches!(err, PlanError::TargetUnhealthy { .. }), "{err:?}");
}

#[test]
fn operator_failback_refused_when_primary_unhealthy() {
    let w = pair_on_backup(dead(), long_up());
    let err = directive(&w, Directive::Failback { group: gname(SITE) }, t(0)).expect_err("refused");
    match err {
        PlanError::TargetUnhealthy { vpn, .. } => assert_eq!(vpn, vid(A)),
        other => panic!("wrong error {other:?}"),
    }

    // With the primary healthy (not even stable) the operator may fail back.
    let w = pair_on_backup(up(t(-10)), long_up());
    let p = directive(&w, Directive::Failback { group: gname(SITE) }, t(0)).expect("failback");
    assert_eq!(moved_keys(&p), keys(&[R1, R2]));
    assert!(
        p.moves
            .iter()
            .all(|m| m.kind == MoveKind::Operator && m.goes_home())
    );
}

#[test]
fn directive_on_unknown_group_is_refused() {
    let w = pair(long_up(), long_up());
    let err = directive(
        &w,
        Directive::Failback {
            group: gname("nope"),
        },
        t(0),
    )
    .expect_err("refused");
    assert_eq!(
        err,
        PlanError::UnknownGroup {
            group: gname("nope"),
            tgw: TgwId::new(TGW)
        }
    );
}

// ---- ownership ----

#[test]
fn routes_that_are_not_the_groups_are_never_moved() {
    let foreign = vec![
        propagated(RTB, "10.9.0.0/16", AA),
        route(RTB, "10.8.0.0/16", Some("tgw-attach-vpc")),
        route(RTB, "10.7.0.0/16", None),
        route(RTB, "10.6.0.0/16", Some(AB)),
    ];

    // Failover: only the group route leaves the primary.
    let mut w = pair(dead(), long_up());
    w.obs.routes.extend(foreign.clone());
    let p = w.plan(t(0));
    assert_eq!(moved_keys(&p), keys(&[R1, R2]));
    assert_eq!(report(&p, SITE).routes, 2);

    // Failback: only the ledger's routes come home; the backup's own route stays.
    let mut w = pair_on_backup(long_up(), long_up());
    failback_on(&mut w);
    w.obs.routes.extend(foreign);
    let p = w.plan(t(0));
    assert_eq!(moved_keys(&p), keys(&[R1, R2]));
    assert!(p.moves.iter().all(|m| m.to == aid(AA)));
    assert!(p.ledger_drops.is_empty(), "{:?}", p.ledger_drops);
}

#[test]
fn ledger_route_that_is_a_blackhole_is_moved() {
    // Ours (in the ledger) though it lists no attachment: it goes to the desired member.
    let mut w = pair(long_up(), long_up());
    w.obs.routes = vec![route(RTB, R1, None)];
    w.state.ledger = vec![ledger(key(RTB, R1), SITE, AA, AB, t(-1000))];
    let p = w.plan(t(0));
    assert_eq!(p.moves.len(), 1);
    assert_eq!(p.moves[0].key, key(RTB, R1));
    assert_eq!(
        (p.moves[0].from.clone(), p.moves[0].to.clone()),
        (None, aid(AA))
    );

    // Primary down: the blackhole goes to the backup and its ledger entry is refreshed.
    let mut w = pair(dead(), long_up());
    w.obs.routes = vec![route(RTB, R1, None)];
    w.state.ledger = vec![ledger(key(RTB, R1), SITE, AA, AB, t(-1000))];
    let p = w.plan(t(0));
    assert_eq!(p.moves.len(), 1);
    assert_eq!(p.moves[0].to, aid(AB));
    assert_eq!(p.ledger_intents.len(), 1);
}

#[test]
fn ledger_entry_whose_route_vanished_is_dropped() {
    let mut w = pair_on_backup(long_up(), long_up());
    w.obs.routes.retain(|r| r.key() != key(RTB, R2));
    let p = w.plan(t(0));
    assert!(p.moves.is_empty());
    assert_eq!(p.ledger_drops.len(), 1);
    assert_eq!(p.ledger_drops[0].key, key(RTB, R2));
    assert_eq!(p.ledger_drops[0].group, gname(SITE));
    assert!(p.ledger_drops[0].reason.contains("no longer exists"));
}

#[test]
fn ledger_route_repointed_to_a_non_member_is_released_not_moved() {
    // Someone pointed R2 at a VPC by hand; with the primary back and failback on, R1 goes home
    // but R2 is released, not dragged back.
    let mut w = pair_on_backup(long_up(), long_up());
    failback_on(&mut w);
    w.obs.routes[1].attachment = Some(aid("tgw-attach-vpc"));
    let p = w.plan(t(0));
    assert_eq!(moved_keys(&p), keys(&[R1]));
    assert_eq!(p.ledger_drops.len(), 1);
    assert_eq!(p.ledger_drops[0].key, key(RTB, R2));
    assert!(
        p.ledger_drops[0]
            .reason
            .contains("re-pointed to tgw-attach-vpc"),
        "{}",
        p.ledger_drops[0].reason
    );
}

#[test]
fn ledger_intents_for_routes_leaving_home_only() {
    // Leaving home: one intent per move, written with home, target and time.
    let w = pair(dead(), long_up());
    let p = w.plan(t(7));
    assert_eq!(p.moves.len(), 2);
    let intents: BTreeSet<RouteKey> = p.ledger_intents.iter().map(|e| e.key.clone()).collect();
    assert_eq!(intents, moved_keys(&p));
    for e in &p.ledger_intents {
        assert_eq!(e.group, gname(SITE));
        assert_eq!((e.home.clone(), e.current.clone()), (aid(AA), aid(AB)));
        assert_eq!(e.moved_at, t(7));
        assert_eq!(e.decision, "failover");
    }

    // Backup to backup (not home): the ledger entries are rewritten with the new target.
    let mut w = group_world(
        vec![dead(), dead(), long_up()],
        vec![route(RTB, R1, Some(AB))],
    );
    w.state.ledger = vec![ledger(key(RTB, R1), SITE, AA, AB, t(-1000))];
    let p = w.plan(t(0));
    assert_eq!(p.ledger_intents.len(), 1);
    assert_eq!(p.ledger_intents[0].current, aid(AC));
    assert_eq!(p.ledger_intents[0].home, aid(AA));

    // Going home: moves, no intents.
    let mut w = pair_on_backup(long_up(), long_up());
    failback_on(&mut w);
    let p = w.plan(t(0));
    assert_eq!(p.moves.len(), 2);
    assert!(p.ledger_intents.is_empty(), "{:?}", p.ledger_intents);
}

#[test]
fn prefix_list_references_move_like_routes() {
    let pl = RouteKey {
        table: tgw_ha_core::ids::RouteTableId::new(RTB),
        destination: Destination::PrefixList(PrefixListId::new("pl-0123")),
    };
    let mut w = pair(dead(), long_up());
    w.obs.routes.push(pl_route(RTB, "pl-0123", AA));
    let p = w.plan(t(0));
    let m = p
        .moves
        .iter()
        .find(|m| m.key == pl)
        .expect("prefix list moved");
    assert_eq!((m.to.clone(), m.kind), (aid(AB), MoveKind::Failover));
    assert!(p.ledger_intents.iter().any(|e| e.key == pl));
    w.apply(&p);
    assert_eq!(w.target_of(&pl), Some(aid(AB)));

    // And back.
    failback_on(&mut w);
    w.set_tunnels(A, long_up());
    let p = w.plan(t(0));
    let m = p
        .moves
        .iter()
        .find(|m| m.key == pl)
        .expect("prefix list back");
    assert_eq!((m.to.clone(), m.kind), (aid(AA), MoveKind::Failback));
}

#[test]
fn mutual_backup_failover_and_failback_touch_only_the_failed_sites_routes() {
    let site_b = "siteB";
    let r_a = key(RTB, R1);
    let r_b = key(RTB, R2);
    let mut w = World::new(
        vec![
            vpn(A, TGW, &[(SITE, "primary"), (site_b, "backup")], dead()),
            vpn(B, TGW, &[(SITE, "backup"), (site_b, "primary")], long_up()),
        ],
        vec![att(AA, TGW, A), att(AB, TGW, B)],
        vec![route(RTB, R1, Some(AA)), route(RTB, R2, Some(AB))],
    );
    failback_on(&mut w);

    // A dies: siteA's route goes to B; siteB (home on B) has nothing to do.
    let p = w.plan(t(0));
    assert_eq!(moved_keys(&p), BTreeSet::from([r_a.clone()]));
    assert_eq!(p.moves[0].group, gname(SITE));
    assert_eq!(report(&p, site_b).status, GroupStatus::Home);
    w.apply(&p);

    // Next pass: siteB sees only its own route on B; it does not take siteA's.
    let p = w.plan(t(10));
    assert!(p.moves.is_empty(), "{:?}", p.moves);
    assert_eq!(report(&p, site_b).routes, 1);
    assert_eq!(report(&p, SITE).routes, 1);
    assert_eq!(report(&p, SITE).active, Some(vid(B)));

    // A is back and stable: exactly siteA's route returns.
    w.set_tunnels(A, up(t(20)));
    let p = w.plan(t(320));
    assert_eq!(moved_keys(&p), BTreeSet::from([r_a.clone()]));
    assert_eq!(p.moves[0].to, aid(AA));
    assert_eq!(p.moves[0].kind, MoveKind::Failback);
    w.apply(&p);
    assert_eq!(w.target_of(&r_a), Some(aid(AA)));
    assert_eq!(w.target_of(&r_b), Some(aid(AB)));
    assert!(w.state.ledger.is_empty(), "{:?}", w.state.ledger);
    assert!(w.plan(t(330)).is_noop());
}

#[test]
fn invalid_group_on_the_same_tgw_is_left_alone() {
    let mut w = pair(dead(), long_up());
    // "bad" has two primaries; its route points at one of them.
    w.obs.vpns.push(vpn(C, TGW, &[("bad", "primary")], dead()));
    w.obs
        .vpns
        .push(vpn(D, TGW, &[("bad", "primary")], long_up()));
    w.obs.attachments.push(att(AC, TGW, C));
    w.obs.attachments.push(att(AD, TGW, D));
    w.obs.routes.push(route(RTB, "10.3.0.0/16", Some(AC)));
    let p = w.plan(t(0));
    assert_eq!(moved_keys(&p), keys(&[R1, R2]));
    assert_eq!(p.invalid.len(), 1);
    assert_eq!(p.invalid[0].name, gname("bad"));
    assert!(p.groups.iter().all(|g| g.name != gname("bad")));
}

// ---- scope ----

#[test]
fn group_out_of_scope_gets_no_moves() {
    let mut w = pair(dead(), long_up());
    w.obs
        .vpns
        .push(vpn(C, TGW, &[("siteC", "primary")], dead()));
    w.obs
        .vpns
        .push(vpn(D, TGW, &[("siteC", "backup")], long_up()));
    w.obs.attachments.push(att(AC, TGW, C));
    w.obs.attachments.push(att(AD, TGW, D));
    w.obs.routes.push(route(RTB, "10.3.0.0/16", Some(AC)));

    let scope: BTreeSet<GroupName> = BTreeSet::from([gname("siteC")]);
    let p = w.try_plan(t(0), None, Some(&scope)).expect("plan");
    assert_eq!(moved_keys(&p), keys(&["10.3.0.0/16"]));
    assert!(p.moves.iter().all(|m| m.group == gname("siteC")));
    let r = report(&p, SITE);
    assert!(!r.in_scope);
    assert_eq!(r.moves, 0);
    assert!(r.notes.iter().any(|n| n.contains("scope")), "{:?}", r.notes);
    assert!(p.events.iter().all(|e| e.group == gname("siteC")));
    assert!(report(&p, "siteC").in_scope);

    // No scope: both move.
    assert_eq!(w.plan(t(0)).moves.len(), 3);
}

// ---- idempotency ----

#[test]
fn applying_a_plan_then_planning_again_is_a_noop() {
    type Setup = fn() -> (World, Option<Directive>);
    let cases: Vec<(&str, Setup)> = vec![
        ("failover", || (pair(dead(), up(t(-10))), None)),
        ("failover to backup2", || {
            // R1 at home, R2 already on the (now dead) backup.
            let mut w = group_world(
                vec![dead(), dead(), long_up()],
                vec![route(RTB, R1, Some(AA)), route(RTB, R2, Some(AB))],
            );
            w.state.ledger = vec![ledger(key(RTB, R2), SITE, AA, AB, t(-1000))];
            (w, None)
        }),
        ("failback", || {
            let mut w = pair_on_backup(long_up(), long_up());
            failback_on(&mut w);
            (w, None)
        }),
        ("pin", || {
            (
                pair(long_up(), long_up()),
                Some(Directive::Pin {
                    group: gname(SITE),
                    vpn: vid(B),
                    force: false,
                    until: None,
                }),
            )
        }),
        ("operator failover", || {
            (
                pair(long_up(), long_up()),
                Some(Directive::Failover {
                    group: gname(SITE),
                    to: None,
                }),
            )
        }),
        ("mixed ownership with prefix list and blackhole", || {
            let mut w = pair(dead(), long_up());
            w.obs.routes.extend([
                pl_route(RTB, "pl-0123", AA),
                propagated(RTB, "10.9.0.0/16", AA),
                route(RTB, "10.7.0.0/16", None),
                route(RTB, "10.6.0.0/16", Some(AB)),
                route(RTB, "10.5.0.0/16", None),
            ]);
            w.state.ledger = vec![
                ledger(key(RTB, "10.5.0.0/16"), SITE, AA, AB, t(-1000)),
                ledger(key(RTB, "10.4.0.0/16"), SITE, AA, AB, t(-1000)),
            ];
            (w, None)
        }),
        ("down", || (pair(dead(), dead()), None)),
    ];
    for (name, setup) in cases {
        let (mut w, d) = setup();
        let now = t(0);
        let first = w.try_plan(now, d.as_ref(), None).expect(name);
        assert!(
            !first.is_noop(),
            "{name}: the first plan should change something"
        );
        w.apply(&first);
        let second = w.plan(now);
        assert!(second.moves.is_empty(), "{name}: {:?}", second.moves);
        assert!(second.is_noop(), "{name}: {second:?}");
        // Ledger holds exactly the routes away from home.
        for e in &w.state.ledger {
            assert_ne!(w.target_of(&e.key), Some(e.home.clone()), "{name}: {e:?}");
        }
    }
}

#[test]
fn operator_failback_on_a_pinned_group_sticks() {
    // Pinned to the backup; the operator asks for failback. The routes go home and the next
    // pass must not send them back to the pin.
    let mut w = pair_on_backup(long_up(), long_up());
    with_group_state(
        &mut w,
        GroupState {
            pin: Some(Pin {
                vpn: vid(B),
                force: false,
                at: t(-1000),
                until: None,
                warned: false,
            }),
            ..GroupState::default()
        },
    );
    let p = directive(&w, Directive::Failback { group: gname(SITE) }, t(0)).expect("failback");
    assert_eq!(moved_keys(&p), keys(&[R1, R2]));
    assert!(p.moves.iter().all(|m| m.goes_home()));
    w.apply(&p);
    let again = w.plan(t(10));
    assert!(again.moves.is_empty(), "{:?}", again.moves);
    assert_eq!(report(&again, SITE).pinned, None);
}
