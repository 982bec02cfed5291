//! The automatic decision (rules 1 to 3): failover is immediate and goes to the
//! highest-priority healthy member, a group with no healthy member is reported down once, and
//! failback waits for a stable primary, is off unless asked for, and is damped.

use super::*;

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
