//! Pins (rule 4): a pin to a healthy member moves the routes and blocks failback, a pin to an
//! unhealthy member needs `force`, a non-member cannot be pinned, and a pinned member that dies
//! is failed over from.

use super::*;

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
