//! Each documented payload shape (`tests/fixtures/events/`) parsed as is: the reference
//! sample, CloudWatch alarms, Network Manager status and routing updates, the scheduled sweep,
//! an AWS Health notice.

use super::*;

#[test]
fn reference_transformer() {
    assert_eq!(
        parse_event(fixture!("reference-transformer.json")).unwrap(),
        vpn_trigger(
            VPN1,
            None,
            Some(TunnelStatus::Down),
            at(2026, 3, 14, 9, 26, 53, 0),
            SignalSource::Reference,
            None,
        )
    );
}

#[test]
fn alarm_state_alarm() {
    // Evidence time: the end of the judged datapoint (startDate 09:25:00 + period 60 s), not
    // the state change (09:26:53.104) nor the delivery.
    assert_eq!(
        parse_event(fixture!("alarm-state-alarm.json")).unwrap(),
        vpn_trigger(
            VPN1,
            None,
            Some(TunnelStatus::Down),
            at(2026, 3, 14, 9, 26, 0, 0),
            SignalSource::CloudWatchAlarm,
            Some("eu-west-1"),
        )
    );
}

#[test]
fn alarm_state_ok() {
    assert_eq!(
        parse_event(fixture!("alarm-state-ok.json")).unwrap(),
        vpn_trigger(
            VPN1,
            None,
            Some(TunnelStatus::Up),
            // This fixture's reasonData judges 09:24–09:25, older than the datapoint of the
            // ALARM it leaves (09:25–09:26): not this transition's, so the state timestamp.
            at(2026, 3, 14, 9, 41, 2, 377),
            SignalSource::CloudWatchAlarm,
            Some("eu-west-1"),
        )
    );
}

#[test]
fn alarm_state_metric_math_finds_the_vpn_metric() {
    assert_eq!(
        parse_event(fixture!("alarm-state-metric-math.json")).unwrap(),
        vpn_trigger(
            "vpn-0a1b2c3d4e5f60002",
            None,
            Some(TunnelStatus::Down),
            at(2026, 3, 14, 9, 26, 0, 0),
            SignalSource::CloudWatchAlarm,
            Some("eu-west-1"),
        )
    );
}

#[test]
fn alarm_state_insufficient_data_has_no_status() {
    assert_eq!(
        parse_event(fixture!("alarm-state-insufficient-data.json")).unwrap(),
        vpn_trigger(
            VPN1,
            None,
            None,
            at(2026, 3, 14, 9, 26, 53, 104),
            SignalSource::CloudWatchAlarm,
            Some("eu-west-1"),
        )
    );
}

#[test]
fn alarm_state_other_namespace_is_ignored() {
    match parse_event(fixture!("alarm-state-other-namespace.json")).unwrap() {
        Trigger::Ignore { reason } => {
            assert!(reason.contains("web-cpu-high"), "{reason}");
            assert!(reason.contains("AWS/EC2"), "{reason}");
        }
        other => panic!("expected Ignore, got {other:?}"),
    }
}

#[test]
fn netmgr_ipsec_down() {
    assert_eq!(
        parse_event(fixture!("netmgr-ipsec-down.json")).unwrap(),
        vpn_trigger(
            VPN1,
            Some("203.0.113.17"),
            Some(TunnelStatus::Down),
            at(2026, 3, 14, 9, 25, 41, 0),
            SignalSource::NetworkManager,
            Some("eu-west-1"),
        )
    );
}

#[test]
fn netmgr_ipsec_up_legacy_kebab_case() {
    assert_eq!(
        parse_event(fixture!("netmgr-ipsec-up-legacy.json")).unwrap(),
        vpn_trigger(
            VPN1,
            Some("203.0.113.17"),
            Some(TunnelStatus::Up),
            at(2026, 3, 14, 9, 39, 12, 0),
            SignalSource::NetworkManager,
            Some("eu-west-1"),
        )
    );
}

#[test]
fn netmgr_route_uninstalled() {
    assert_eq!(
        parse_event(fixture!("netmgr-route-uninstalled.json")).unwrap(),
        Trigger::Tgw {
            tgw: TgwId::new("tgw-0a1b2c3d4e5f6a7b8"),
            region: Some("eu-west-1".into()),
            reason: "TGW-ROUTE-UNINSTALLED".into(),
        }
    );
}

#[test]
fn scheduled() {
    assert_eq!(
        parse_event(fixture!("scheduled.json")).unwrap(),
        Trigger::All {
            region: Some("eu-west-1".into())
        }
    );
}

#[test]
fn health_single_tunnel_is_a_notice() {
    assert_eq!(
        parse_event(fixture!("health-single-tunnel.json")).unwrap(),
        Trigger::Notice {
            vpn: VpnId::new(VPN1),
            reason: "AWS_VPN_SINGLE_TUNNEL_NOTIFICATION".into(),
        }
    );
}
