//! Operator actions: failover (to the next member or a named one), failback before hold-down,
//! pin and unpin, and a pin to an unhealthy member refused without `force`.

use super::*;

#[tokio::test]
async fn operator_failover_moves_a_healthy_group_and_automation_leaves_it_there() {
    let (sim, initial) = setup();
    let e = engine(&sim, Policy::default());
    let out = run(
        &e,
        &operator(OperatorAction::Failover {
            group: "paris".into(),
            to: None,
        }),
    )
    .await;
    assert_eq!(out.moved(), PARIS_ALL);
    assert!(
        out.tgws[0]
            .planned
            .iter()
            .all(|m| m.kind == MoveKind::Operator)
    );
    assert!(ledger(&sim).iter().all(|l| l.decision == "operator"));
    assert_paris_on_lyon(&sim, &initial);

    advance(&sim, 3600);
    assert_eq!(run(&e, &sweep()).await.planned(), 0);
    assert_paris_on_lyon(&sim, &initial);
}

#[tokio::test]
async fn operator_failover_to_a_named_member_skips_the_backup() {
    let (sim, initial) = setup();
    let out = run(
        &engine(&sim, Policy::default()),
        &operator(OperatorAction::Failover {
            group: "berlin".into(),
            to: Some(vpn(demo::VPN_BERLIN_BACKUP2)),
        }),
    )
    .await;
    assert_eq!(out.moved(), BERLIN_ALL);
    assert_eq!(
        keys_on(&sim.snapshot(), demo::ATT_BERLIN_BACKUP2),
        keys_on(&initial, demo::ATT_BERLIN_PRIMARY)
    );
}

#[tokio::test]
async fn operator_failback_returns_home_before_hold_down() {
    let (sim, initial) = setup();
    let e = engine(&sim, Policy::default());
    set_tunnels(&sim, demo::VPN_PARIS, Down);
    run(&e, &sweep()).await;
    advance(&sim, 60);
    set_tunnels(&sim, demo::VPN_PARIS, Up);
    advance(&sim, 10);

    let out = run(
        &e,
        &operator(OperatorAction::Failback {
            group: "paris".into(),
        }),
    )
    .await;
    assert_eq!(out.moved(), PARIS_ALL);
    assert_eq!(placement(&sim.snapshot()), placement(&initial));
    assert!(ledger(&sim).is_empty());
}

#[tokio::test]
async fn pin_holds_the_group_on_its_member_and_unpin_lets_failback_resume() {
    let (sim, initial) = setup();
    let e = engine(&sim, failback_on());
    let out = run(
        &e,
        &operator(OperatorAction::Pin {
            group: "paris".into(),
            vpn: vpn(demo::VPN_LYON),
            force: false,
            until: None,
        }),
    )
    .await;
    assert_eq!(out.moved(), PARIS_ALL);
    assert!(out.tgws[0].planned.iter().all(|m| m.kind == MoveKind::Pin));

    advance(&sim, 3600);
    let out = run(&e, &sweep()).await;
    assert_eq!(
        out.planned(),
        0,
        "paris is stable and failback is on, but pinned"
    );
    assert_eq!(group_of(&out, "paris").pinned, Some(vpn(demo::VPN_LYON)));
    assert_paris_on_lyon(&sim, &initial);

    let out = run(
        &e,
        &operator(OperatorAction::Unpin {
            group: "paris".into(),
        }),
    )
    .await;
    assert_eq!(out.moved(), PARIS_ALL);
    assert_eq!(group_of(&out, "paris").pinned, None);
    assert_eq!(placement(&sim.snapshot()), placement(&initial));
}

#[tokio::test]
async fn pin_to_an_unhealthy_member_without_force_is_refused_and_changes_nothing() {
    let (sim, _) = setup();
    set_tunnels(&sim, demo::VPN_LYON, Down);
    let before = sim.snapshot();
    let err = engine(&sim, Policy::default())
        .handle(&operator(OperatorAction::Pin {
            group: "paris".into(),
            vpn: vpn(demo::VPN_LYON),
            force: false,
            until: None,
        }))
        .await
        .unwrap_err();
    assert!(
        matches!(err, EngineError::Plan(PlanError::TargetUnhealthy { .. })),
        "{err}"
    );
    assert_eq!(sim.snapshot(), before);
}
