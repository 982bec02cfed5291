//! Failover and failback decided by the engine itself: on an alarm or a reference event, hold-down
//! and damping before failback, mutual backups, a three-member group, every member down, and
//! prefix-list references moved in one call each.

use super::*;

#[tokio::test]
async fn cloudwatch_alarm_fails_paris_over_to_lyon() {
    let (sim, initial) = setup();
    advance(&sim, 120);
    set_tunnels(&sim, demo::VPN_PARIS, Down);
    let t = parse_event(&alarm_json(demo::VPN_PARIS, "ALARM", sim.now())).unwrap();
    assert!(matches!(&t, Trigger::Vpn { signal, .. } if signal.status == Some(Down)));

    let out = run(&engine(&sim, Policy::default()), &t).await;
    assert_eq!(out.moved(), PARIS_ALL);
    assert_paris_on_lyon(&sim, &initial);
    assert_eq!(events(&sim), [("paris".into(), EventKind::FailedOver)]);
    let (e, _) = &sim.notifier.events()[0];
    assert_eq!(e.from, Some(vpn(demo::VPN_PARIS)));
    assert_eq!(e.to, Some(vpn(demo::VPN_LYON)));
}

#[tokio::test]
async fn reference_event_fails_paris_over_before_telemetry_shows_it() {
    let (sim, initial) = setup();
    advance(&sim, 120);
    // Telemetry still says UP (two weeks old): only the event says paris is down.
    let t = parse_event(&reference_json(demo::VPN_PARIS, sim.now())).unwrap();
    let out = run(&engine(&sim, Policy::default()), &t).await;
    assert_eq!(out.moved(), PARIS_ALL);
    assert_paris_on_lyon(&sim, &initial);
}

#[tokio::test]
async fn failback_waits_for_hold_down_when_failback_is_on() {
    let (sim, initial) = setup();
    let e = engine(&sim, failback_on());
    set_tunnels(&sim, demo::VPN_PARIS, Down);
    assert_eq!(run(&e, &sweep()).await.moved(), PARIS_ALL);

    advance(&sim, 60);
    set_tunnels(&sim, demo::VPN_PARIS, Up);
    let up = sim.now();
    advance(&sim, 299);
    let out = run(&e, &sweep()).await;
    assert_eq!(out.planned(), 0, "paris is up for 299 s only");
    assert_eq!(group_of(&out, "paris").status, GroupStatus::OnBackup);
    assert_paris_on_lyon(&sim, &initial);

    advance(&sim, 1);
    assert_eq!(sim.now() - up, secs(300));
    let out = run(&e, &sweep()).await;
    assert_eq!(out.moved(), PARIS_ALL);
    assert_eq!(placement(&sim.snapshot()), placement(&initial));
    assert!(ledger(&sim).is_empty());
    assert_eq!(
        events(&sim),
        [
            ("paris".into(), EventKind::FailedOver),
            ("paris".into(), EventKind::FailedBack)
        ]
    );
}

#[tokio::test]
async fn failback_never_happens_when_failback_is_off() {
    let (sim, initial) = setup();
    let e = engine(&sim, Policy::default());
    set_tunnels(&sim, demo::VPN_PARIS, Down);
    run(&e, &sweep()).await;
    advance(&sim, 60);
    set_tunnels(&sim, demo::VPN_PARIS, Up);
    advance(&sim, 24 * 3600);

    let out = run(&e, &sweep()).await;
    assert_eq!(out.planned(), 0);
    let paris = group_of(&out, "paris");
    assert_eq!(paris.status, GroupStatus::OnBackup);
    assert!(paris.notes.iter().any(|n| n.contains("failback is off")));
    assert_paris_on_lyon(&sim, &initial);
}

#[tokio::test]
async fn damping_delays_a_second_failback_but_never_a_failover() {
    let (sim, initial) = setup();
    let policy = Policy {
        failback: true,
        hold_down_secs: 60,
        min_switch_interval_secs: 600,
        ..Policy::default()
    };
    let e = engine(&sim, policy);
    set_tunnels(&sim, demo::VPN_PARIS, Down);
    run(&e, &sweep()).await;
    advance(&sim, 10);
    set_tunnels(&sim, demo::VPN_PARIS, Up);
    advance(&sim, 60);
    assert_eq!(run(&e, &sweep()).await.moved(), PARIS_ALL, "first failback");
    let failback = sim.now();

    advance(&sim, 10);
    set_tunnels(&sim, demo::VPN_PARIS, Down);
    assert_eq!(
        run(&e, &sweep()).await.moved(),
        PARIS_ALL,
        "a failover right after a failback is not damped"
    );
    advance(&sim, 10);
    set_tunnels(&sim, demo::VPN_PARIS, Up);
    advance(&sim, 70); // paris stable again since 10 s
    let out = run(&e, &sweep()).await;
    assert_eq!(out.planned(), 0);
    assert!(
        group_of(&out, "paris")
            .notes
            .iter()
            .any(|n| n.contains("damped"))
    );

    advance(&sim, 599 - (sim.now() - failback).num_seconds());
    assert_eq!(run(&e, &sweep()).await.planned(), 0, "damped until +600 s");
    advance(&sim, 1);
    assert_eq!(
        run(&e, &sweep()).await.moved(),
        PARIS_ALL,
        "second failback"
    );
    assert_eq!(placement(&sim.snapshot()), placement(&initial));
}

#[tokio::test]
async fn mutual_backup_failover_leaves_lyon_alone_and_failback_returns_exactly_paris_routes() {
    let (sim, initial) = setup();
    let e = engine(&sim, failback_on());
    set_tunnels(&sim, demo::VPN_PARIS, Down);
    let out = run(&e, &sweep()).await;
    assert!(
        out.tgws[0]
            .planned
            .iter()
            .all(|m| m.group.as_str() == "paris")
    );
    assert_eq!(group_of(&out, "lyon").status, GroupStatus::Home);
    assert_eq!(group_of(&out, "lyon").moves, 0);
    assert!(ledger(&sim).iter().all(|l| l.group.as_str() == "paris"));

    advance(&sim, 60);
    set_tunnels(&sim, demo::VPN_PARIS, Up);
    advance(&sim, 300);
    let out = run(&e, &sweep()).await;
    assert_eq!(out.moved(), PARIS_ALL);
    assert!(
        out.tgws[0]
            .planned
            .iter()
            .all(|m| m.goes_home() && m.group.as_str() == "paris")
    );
    let w = sim.snapshot();
    assert_eq!(w.routes, initial.routes);
    assert_eq!(w.prefix_list_references, initial.prefix_list_references);
}

#[tokio::test]
async fn three_member_group_fails_over_to_backup_then_to_backup2() {
    let (sim, initial) = setup();
    let e = engine(&sim, Policy::default());
    let berlin = keys_on(&initial, demo::ATT_BERLIN_PRIMARY);
    let native = keys_on(&initial, demo::ATT_BERLIN_BACKUP);
    assert_eq!((berlin.len(), native.len()), (BERLIN_ALL, 3));

    set_tunnels(&sim, demo::VPN_BERLIN_PRIMARY, Down);
    run(&e, &sweep()).await;
    assert_eq!(
        keys_on(&sim.snapshot(), demo::ATT_BERLIN_BACKUP),
        &berlin | &native
    );

    advance(&sim, 60);
    set_tunnels(&sim, demo::VPN_BERLIN_BACKUP, Down);
    let out = run(&e, &sweep()).await;
    assert_eq!(out.moved(), BERLIN_ALL);
    let w = sim.snapshot();
    assert_eq!(keys_on(&w, demo::ATT_BERLIN_BACKUP2), berlin);
    assert_eq!(
        keys_on(&w, demo::ATT_BERLIN_BACKUP),
        native,
        "the backup's own routes stay on it, dead or not"
    );
    assert_ledger_matches(&w, &group_routes(&initial));
    let (last, _) = sim.notifier.events().pop().unwrap();
    assert_eq!(
        (last.kind, last.to),
        (EventKind::FailedOver, Some(vpn(demo::VPN_BERLIN_BACKUP2)))
    );
}

#[tokio::test]
async fn all_members_down_moves_nothing_and_notifies_down_once_then_recovered() {
    let (sim, initial) = setup();
    let e = engine(&sim, Policy::default());
    for v in [
        demo::VPN_BERLIN_PRIMARY,
        demo::VPN_BERLIN_BACKUP,
        demo::VPN_BERLIN_BACKUP2,
    ] {
        set_tunnels(&sim, v, Down);
    }
    let out = run(&e, &sweep()).await;
    assert_eq!(out.planned(), 0);
    assert_eq!(group_of(&out, "berlin").status, GroupStatus::Down);
    assert_eq!(events(&sim), [("berlin".into(), EventKind::Down)]);

    advance(&sim, 60);
    assert_eq!(run(&e, &sweep()).await.planned(), 0);
    assert_eq!(events(&sim).len(), 1, "no second down notification");

    advance(&sim, 60);
    set_tunnels(&sim, demo::VPN_BERLIN_PRIMARY, Up);
    let out = run(&e, &sweep()).await;
    assert_eq!(out.planned(), 0, "the routes never left the primary");
    assert_eq!(group_of(&out, "berlin").status, GroupStatus::Home);
    assert_eq!(
        events(&sim),
        [
            ("berlin".into(), EventKind::Down),
            ("berlin".into(), EventKind::Recovered)
        ]
    );
    assert_eq!(placement(&sim.snapshot()), placement(&initial));
}

#[tokio::test]
async fn prefix_list_references_move_in_one_call_each() {
    let (sim, initial) = setup();
    set_tunnels(&sim, demo::VPN_BERLIN_PRIMARY, Down);
    sim.network.reset_calls();
    run(&engine(&sim, Policy::default()), &sweep()).await;

    let calls = sim.network.calls();
    let w = sim.snapshot();
    let moved: Vec<_> = w
        .prefix_list_references
        .iter()
        .filter(|p| p.attachment == Some(att(demo::ATT_BERLIN_BACKUP)))
        .collect();
    assert_eq!(moved.len(), 2, "berlin's references in prod and dev");
    assert_eq!(
        calls.calls_of("ModifyTransitGatewayPrefixListReference"),
        moved.len() as u64
    );
    assert_eq!(
        calls.calls_of("ReplaceTransitGatewayRoute"),
        u64::from(demo::BERLIN_ROUTES)
    );
    for p in moved {
        let before = initial
            .prefix_list_reference(&p.table, &p.prefix_list_id)
            .unwrap();
        assert_eq!(p.cidrs, before.cidrs, "the list's entries are not touched");
    }
}
