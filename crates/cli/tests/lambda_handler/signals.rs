//! The fixtures that carry a VPN's state, against the sandbox on the real clock: the reference
//! sample, an alarm and its OK (failback only after hold-down), Network Manager events (acting
//! in the TGW's Region), a metric-math alarm, INSUFFICIENT_DATA (telemetry decides) and an
//! alarm on another namespace (ignored, reads nothing).

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_event_fails_over_like_the_reference_sample() {
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(&sb, "reference", "eu-west-1", &[]).await;
    let before = sb.routes();

    // `{vpnId, downTS}` says the VPN is down, whatever its tunnels still show: like the
    // reference sample, every route of the site moves to the backup, in every table, prefix
    // lists included (which the sample did not handle).
    let event = fixture_at("reference-transformer.json", now());
    let o = f.invoke(event.clone()).await.expect("failover");
    assert_eq!((o.moved(), o.failed()), (PARIS_MOVES, 0), "{o:#?}");
    assert_paris_on_lyon(&before, &sb.routes());
    sb.world(|w| {
        assert_eq!(cidrs_on(w, ATT_PARIS), 0);
        assert_eq!(
            reference_target(w, RTB_PROD, PL_PARIS_OFFICES).as_deref(),
            Some(ATT_LYON)
        );
    });
    let paris = group(&o, "paris");
    assert_eq!(paris.status, GroupStatus::FailingOver);
    assert_eq!(paris.desired.as_ref().map(|v| v.as_str()), Some(VPN_LYON));
    assert_eq!(group(&o, "lyon").status, GroupStatus::Home);

    // The ledger (written before the moves) owns every moved route; the signal is kept.
    let (_, state) = f.stored().await;
    assert_eq!(state.ledger.len(), PARIS_MOVES);
    assert!(state.ledger.iter().all(|e| e.home.as_str() == ATT_PARIS
        && e.current.as_str() == ATT_LYON
        && e.group.as_str() == "paris"));
    assert!(
        state
            .signals
            .iter()
            .any(|s| s.vpn.as_str() == VPN_PARIS && s.source == SignalSource::Reference)
    );
    assert_eq!(
        f.subjects(),
        [format!(
            "tgw-ha: paris failed over to {VPN_LYON} ({} routes)",
            PARIS_MOVES
        )]
    );
    let emf = f.last_emf();
    assert_eq!(emf["RoutesMoved"], PARIS_MOVES);
    assert_eq!(emf["GroupsDegraded"], 1);
    assert_eq!(emf["GroupsDown"], 0);
    assert!(emf["FailoverDurationMs"].is_i64(), "{emf}");
    // No Region in the event: the function's own.
    assert_eq!(sb.take_regions(), ["eu-west-1"]);

    // Delivered again (EventBridge delivers at least once): nothing moves, nobody is told twice.
    let writes = sb.writes();
    let o = f.invoke(event).await.expect("again");
    assert_eq!(o.moved(), 0);
    assert_eq!(group(&o, "paris").status, GroupStatus::OnBackup);
    assert_eq!(sb.writes(), writes);
    assert_eq!(f.subjects().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alarm_fails_over_and_ok_fails_back_only_after_hold_down() {
    const HOLD_DOWN: i64 = 5;
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(
        &sb,
        "alarm-ok",
        "eu-west-1",
        &[
            ("TGW_HA_FAILBACK", "true"),
            ("TGW_HA_HOLD_DOWN_SECONDS", &HOLD_DOWN.to_string()),
        ],
    )
    .await;
    let start = sb.routes();

    let o = f
        .invoke(fixture_at("alarm-state-alarm.json", now()))
        .await
        .expect("alarm");
    assert_eq!(o.moved(), PARIS_MOVES);
    assert_paris_on_lyon(&start, &sb.routes());

    // OK: paris is healthy again, but not stable until the hold-down has passed.
    let t_ok = now();
    let o = f
        .invoke(fixture_at("alarm-state-ok.json", t_ok))
        .await
        .expect("ok");
    assert_eq!(o.moved(), 0, "{o:#?}");
    let paris = group(&o, "paris");
    assert_eq!(paris.status, GroupStatus::OnBackup);
    let primary = &paris.members[0];
    assert_eq!(primary.vpn.as_str(), VPN_PARIS);
    assert!(
        primary.health.healthy && !primary.health.stable,
        "{primary:?}"
    );

    // The hold-down over, the next pass (here the schedule's) fails back.
    f.clock
        .skip_past(t_ok + chrono::Duration::seconds(HOLD_DOWN));
    let o = f
        .invoke(fixture_at("scheduled.json", f.clock.now()))
        .await
        .expect("sweep");
    assert_eq!(o.moved(), PARIS_MOVES, "{o:#?}");
    assert_eq!(group(&o, "paris").status, GroupStatus::FailingBack);
    assert_eq!(sb.routes(), start);
    let (_, state) = f.stored().await;
    assert!(state.ledger.is_empty(), "{:?}", state.ledger);
    let subjects = f.subjects();
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert!(subjects[0].contains("paris failed over"), "{subjects:?}");
    assert!(subjects[1].contains("paris failed back"), "{subjects:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_manager_events_act_in_the_tgw_region() {
    const HOLD_DOWN: i64 = 5;
    let sb = Sandbox::start(world()).await;
    // Network Manager delivers in us-west-2: the function lives there; the TGW is in eu-west-1,
    // a Region this deployment owns (TGW_HA_REGIONS).
    let f = aws_handler(
        &sb,
        "netmgr",
        "us-west-2",
        &[
            ("TGW_HA_REGIONS", "us-west-2,eu-west-1"),
            ("TGW_HA_FAILBACK", "true"),
            ("TGW_HA_HOLD_DOWN_SECONDS", &HOLD_DOWN.to_string()),
        ],
    )
    .await;
    let start = sb.routes();

    // IPsec down on one tunnel: the other still carries traffic, nothing moves; the signal is
    // kept for that tunnel.
    let o = f
        .invoke(fixture_at("netmgr-ipsec-down.json", now()))
        .await
        .expect("down");
    assert_eq!(o.moved(), 0);
    let primary = &group(&o, "paris").members[0];
    assert!(primary.health.healthy);
    assert_eq!(primary.health.tunnels_up, 1, "{primary:?}");
    let state = f.stored_in("eu-west-1").await;
    assert!(
        state
            .signals
            .iter()
            .any(|s| s.source == SignalSource::NetworkManager
                && s.tunnel.as_deref() == Some(PARIS_TUNNEL)
                && s.status == TunnelStatus::Down)
    );

    // The other tunnel is down too (telemetry): the next IPsec-down fails the site over.
    sb.tunnel(VPN_PARIS, Some(PARIS_OTHER_TUNNEL), TunnelStatus::Down);
    let o = f
        .invoke(fixture_at("netmgr-ipsec-down.json", now()))
        .await
        .expect("down again");
    assert_eq!(o.moved(), PARIS_MOVES);
    assert_paris_on_lyon(&start, &sb.routes());

    // IPsec up (older kebab-case layout): healthy on one tunnel, not stable yet.
    let t_up = now();
    let up = fixture_at("netmgr-ipsec-up-legacy.json", t_up);
    let o = f.invoke(up.clone()).await.expect("up");
    assert_eq!(o.moved(), 0);
    let primary = &group(&o, "paris").members[0];
    assert!(
        primary.health.healthy && !primary.health.stable,
        "{primary:?}"
    );

    // The same event delivered again after the hold-down: failback.
    f.clock
        .skip_past(t_up + chrono::Duration::seconds(HOLD_DOWN));
    let o = f.invoke(up).await.expect("up again");
    assert_eq!(o.moved(), PARIS_MOVES, "{o:#?}");
    assert_eq!(sb.routes(), start);

    // Every EC2 request went to the TGW's Region, none to the function's.
    assert_eq!(sb.take_regions(), ["eu-west-1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metric_math_alarm_fails_over_the_vpn_of_its_aws_vpn_metric() {
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(&sb, "metric-math", "eu-west-1", &[]).await;
    let before = sb.routes();
    let o = f
        .invoke(fixture_at("alarm-state-metric-math.json", now()))
        .await
        .expect("alarm");
    assert_eq!(o.moved(), LYON_MOVES);
    assert_eq!(group(&o, "lyon").status, GroupStatus::FailingOver);
    assert_eq!(group(&o, "paris").status, GroupStatus::Home);
    assert_moved_between(&before, &sb.routes(), LYON_MOVES, ATT_LYON, ATT_PARIS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insufficient_data_evaluates_from_telemetry_only() {
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(&sb, "insufficient", "eu-west-1", &[]).await;
    let before = sb.routes();

    // Tunnels UP: INSUFFICIENT_DATA alone is no reason to move, and is not remembered.
    let o = f
        .invoke(fixture_at("alarm-state-insufficient-data.json", now()))
        .await
        .expect("evaluate");
    assert_eq!(o.moved(), 0);
    assert_eq!(group(&o, "paris").status, GroupStatus::Home);
    assert_eq!(sb.routes(), before);
    let (_, state) = f.stored().await;
    assert!(
        state.signals.is_empty(),
        "no signal kept: {:?}",
        state.signals
    );
    assert!(state.ledger.is_empty());

    // Tunnels DOWN in telemetry: the evaluation sees it.
    sb.tunnel(VPN_PARIS, None, TunnelStatus::Down);
    let o = f
        .invoke(fixture_at("alarm-state-insufficient-data.json", now()))
        .await
        .expect("evaluate");
    assert_eq!(o.moved(), PARIS_MOVES);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alarm_on_another_namespace_is_ignored_and_reads_nothing() {
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(&sb, "other-namespace", "eu-west-1", &[]).await;
    let o = f
        .invoke(fixture("alarm-state-other-namespace.json"))
        .await
        .expect("ignored is a success");
    assert!(o.tgws.is_empty());
    assert!(
        o.notes
            .iter()
            .any(|n| n.contains("ignored") && n.contains("AWS/EC2")),
        "{:?}",
        o.notes
    );
    assert_eq!(sb.state.calls().total, 0, "no EC2 call");
    assert_eq!(f.stored().await.0, 0, "nothing stored");
    assert_eq!(f.last_emf()["RoutesMoved"], 0);
}
