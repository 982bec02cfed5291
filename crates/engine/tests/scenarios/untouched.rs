//! What must change nothing: foreign routes through failover and failback, a dry run, an
//! unknown VPN or group, an ignored event, an alarm for a VPN in no group, a lease held by
//! another owner (the signal is stored, nothing moves, an operator is told it is busy).

use super::*;

#[tokio::test]
async fn foreign_routes_are_byte_for_byte_unchanged_by_failover_and_failback() {
    let (sim, initial) = setup();
    let groups = group_routes(&initial);
    let untouched = foreign(&initial, &groups);
    // Backup-native (berlin-ams), partner, propagated and the user blackhole are all foreign.
    assert_eq!(untouched.0.len(), 3 + 2 + 5 + 1);

    let e = engine(&sim, failback_on());
    for v in [demo::VPN_PARIS, demo::VPN_BERLIN_PRIMARY, demo::VPN_PARTNER] {
        set_tunnels(&sim, v, Down);
    }
    assert_eq!(run(&e, &sweep()).await.moved(), PARIS_ALL + BERLIN_ALL);
    assert_eq!(foreign(&sim.snapshot(), &groups), untouched);

    advance(&sim, 60);
    for v in [demo::VPN_PARIS, demo::VPN_BERLIN_PRIMARY, demo::VPN_PARTNER] {
        set_tunnels(&sim, v, Up);
    }
    advance(&sim, 300);
    assert_eq!(run(&e, &sweep()).await.moved(), PARIS_ALL + BERLIN_ALL);
    assert_eq!(foreign(&sim.snapshot(), &groups), untouched);
    assert_eq!(placement(&sim.snapshot()), placement(&initial));
}

#[tokio::test]
async fn dry_run_changes_nothing() {
    let (sim, _) = setup();
    set_tunnels(&sim, demo::VPN_PARIS, Down);
    let before = sim.snapshot();
    let e = engine(&sim, Policy::default());
    for action in [
        OperatorAction::Reconcile { group: None },
        OperatorAction::Failover {
            group: "berlin".into(),
            to: None,
        },
    ] {
        let out = run(
            &e,
            &Trigger::Operator {
                action,
                dry_run: true,
            },
        )
        .await;
        assert!(out.dry_run);
        assert!(out.planned() > 0);
        assert_eq!(out.moved(), 0);
    }
    assert_eq!(
        sim.snapshot(),
        before,
        "routes, ledger, state, leases, time"
    );
    assert!(sim.notifier.events().is_empty());
}

#[tokio::test]
async fn unknown_vpn_is_an_error_and_changes_nothing() {
    let (sim, _) = setup();
    set_tunnels(&sim, demo::VPN_PARIS, Down);
    let before = sim.snapshot();
    let t = parse_event(&reference_json("vpn-0123456789abcdef0", sim.now())).unwrap();
    let err = engine(&sim, Policy::default())
        .handle(&t)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, EngineError::UnknownVpn { vpn: v } if v.as_str() == "vpn-0123456789abcdef0"),
        "{err}"
    );
    assert_eq!(sim.snapshot(), before);
}

#[tokio::test]
async fn unknown_group_is_an_error_naming_the_known_ones_and_changes_nothing() {
    let (sim, _) = setup();
    let before = sim.snapshot();
    let err = engine(&sim, Policy::default())
        .handle(&operator(OperatorAction::Failover {
            group: "madrid".into(),
            to: None,
        }))
        .await
        .unwrap_err();
    match &err {
        EngineError::UnknownGroup { group, known } => {
            assert_eq!(group, &GroupName::new("madrid"));
            let mut known = known.clone();
            known.sort();
            assert_eq!(known, ["berlin", "lyon", "paris"]);
        }
        other => panic!("expected UnknownGroup, got {other}"),
    }
    assert_eq!(sim.snapshot(), before);
}

#[tokio::test]
async fn ignored_event_changes_nothing_even_with_a_site_down() {
    let (sim, _) = setup();
    set_tunnels(&sim, demo::VPN_PARIS, Down);
    let before = sim.snapshot();
    let t = parse_event(OTHER_NAMESPACE_ALARM).unwrap();
    assert!(matches!(t, Trigger::Ignore { .. }));
    let out = run(&engine(&sim, Policy::default()), &t).await;
    assert_eq!(out.planned(), 0);
    assert_eq!(sim.snapshot(), before);
}

#[tokio::test]
async fn alarm_for_a_vpn_in_no_group_moves_nothing() {
    let (sim, initial) = setup();
    set_tunnels(&sim, demo::VPN_PARTNER, Down);
    let t = parse_event(&alarm_json(demo::VPN_PARTNER, "ALARM", sim.now())).unwrap();
    let out = run(&engine(&sim, Policy::default()), &t).await;
    assert_eq!(out.planned(), 0);
    assert!(out.tgws.is_empty(), "no group is concerned");
    assert_eq!(sim.snapshot().routes, initial.routes);
}

#[tokio::test]
async fn lease_held_by_another_owner_stores_a_down_moves_nothing_and_an_operator_is_busy() {
    let (sim, _) = setup();
    let expires = sim.now() + secs(600);
    sim.world().leases.insert(
        demo_tgw(),
        LeaseRecord {
            owner: "another-run".into(),
            expires,
        },
    );
    set_tunnels(&sim, demo::VPN_PARIS, Down);
    let before = sim.snapshot();
    // A DOWN is not lost to the busy lease: stored for the holder, and the run succeeds.
    let t = parse_event(&alarm_json(demo::VPN_PARIS, "ALARM", sim.now())).unwrap();
    let out = engine(&sim, Policy::default())
        .handle(&t)
        .await
        .expect("a signal meeting a lease is stored, not an error");
    assert!(
        out.notes.iter().any(|n| n.contains("signal stored")),
        "{:?}",
        out.notes
    );
    assert_eq!(out.planned(), 0);
    assert_eq!(
        placement(&sim.snapshot()),
        placement(&before),
        "nothing moved"
    );
    let st = state(&sim, &demo_tgw());
    assert!(
        st.signals
            .iter()
            .any(|s| s.vpn.as_str() == demo::VPN_PARIS && s.status == Down),
        "{:?}",
        st.signals
    );
    assert!(st.ledger.is_empty());
    // An operator's action wants the TGW now: busy, retryable, nothing changed.
    let before = sim.snapshot();
    let err = engine(&sim, Policy::default())
        .handle(&operator(OperatorAction::Reconcile { group: None }))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, EngineError::Busy { tgw } if *tgw == demo_tgw()),
        "{err}"
    );
    assert!(err.is_retryable());
    assert_eq!(sim.snapshot(), before);
}
