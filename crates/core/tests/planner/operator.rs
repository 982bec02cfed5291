//! Operator directives: failover with or without a target, failback, refusals (unhealthy
//! target, unknown group), and a failback on a pinned group that the next pass keeps.

use super::*;

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
