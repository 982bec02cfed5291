//! Signals against telemetry: an INSUFFICIENT_DATA alarm or an AWS Health notice never fails a
//! group over while its tunnels are up; an ALARM newer than stale UP telemetry wins and
//! survives a telemetry-only sweep; a VPN-level OK fails back only after hold-down from its time.

use super::*;

#[tokio::test]
async fn insufficient_data_alarm_never_fails_over_while_telemetry_is_up() {
    let (sim, initial) = setup();
    advance(&sim, 120);
    let t = parse_event(&alarm_json(demo::VPN_PARIS, "INSUFFICIENT_DATA", sim.now())).unwrap();
    assert!(matches!(&t, Trigger::Vpn { signal, .. } if signal.status.is_none()));
    let out = run(&engine(&sim, Policy::default()), &t).await;
    assert_eq!(out.planned(), 0);
    assert_eq!(group_of(&out, "paris").status, GroupStatus::Home);
    assert_eq!(placement(&sim.snapshot()), placement(&initial));
    assert!(
        state(&sim, &demo_tgw()).signals.is_empty(),
        "no signal kept"
    );
}

#[tokio::test]
async fn aws_health_notice_never_forces_a_failover() {
    let (sim, initial) = setup();
    // The notice says one of paris's two tunnels is down, and so does telemetry.
    let ip = sim.world().vpn(&vpn(demo::VPN_PARIS)).unwrap().tunnels[0]
        .outside_ip
        .clone();
    let now = sim.now();
    sim.world()
        .set_tunnel(&vpn(demo::VPN_PARIS), Some(&ip), Down, now)
        .unwrap();
    let t = parse_event(HEALTH_NOTICE).unwrap();
    assert!(matches!(&t, Trigger::Notice { vpn: v, .. } if v.as_str() == demo::VPN_PARIS));
    let out = run(&engine(&sim, Policy::default()), &t).await;
    assert_eq!(out.planned(), 0);
    assert_eq!(placement(&sim.snapshot()), placement(&initial));
}

#[tokio::test]
async fn newer_alarm_beats_stale_up_telemetry_and_survives_a_telemetry_only_sweep() {
    let (sim, initial) = setup();
    let e = engine(&sim, failback_on());
    fail_paris_by_alarm_only(&sim, &e).await;
    assert_paris_on_lyon(&sim, &initial);

    advance(&sim, 3600);
    let out = run(&e, &sweep()).await;
    assert_eq!(
        out.planned(),
        0,
        "the stored ALARM still wins over stale telemetry"
    );
    assert_paris_on_lyon(&sim, &initial);
}

#[tokio::test]
async fn vpn_level_ok_fails_back_only_after_hold_down_from_the_ok_time() {
    let (sim, initial) = setup();
    let e = engine(&sim, failback_on());
    fail_paris_by_alarm_only(&sim, &e).await;

    advance(&sim, 60);
    let ok_at = sim.now();
    let t = parse_event(&alarm_json(demo::VPN_PARIS, "OK", ok_at)).unwrap();
    assert_eq!(run(&e, &t).await.planned(), 0, "up, not yet stable");
    advance(&sim, 299);
    assert_eq!(run(&e, &sweep()).await.planned(), 0, "299 s after the OK");
    advance(&sim, 1);
    assert_eq!(sim.now() - ok_at, secs(300));
    assert_eq!(run(&e, &sweep()).await.moved(), PARIS_ALL);
    assert_eq!(placement(&sim.snapshot()), placement(&initial));
}
