//! Each documented payload shape (`tests/fixtures/events/`) parsed as is: the reference
//! sample, CloudWatch alarms, Network Manager status and routing updates, the scheduled sweep,
//! an AWS Health notice.

use super::*;

/// One test per fixture: `name: "file" => the trigger it parses to;`.
macro_rules! parses_to {
    ($($name:ident: $file:literal => $expected:expr;)*) => {$(
        #[test]
        fn $name() {
            assert_eq!(parse_event(fixture!($file)).unwrap(), $expected);
        }
    )*};
}

use SignalSource::{CloudWatchAlarm, NetworkManager, Reference};
use TunnelStatus::{Down, Up};

const EU: Option<&str> = Some("eu-west-1");

parses_to! {
    reference_transformer: "reference-transformer.json" =>
        vpn_trigger(VPN1, None, Some(Down), at(2026, 3, 14, 9, 26, 53, 0), Reference, None);

    // Evidence time: the end of the judged datapoint (startDate 09:25:00 + period 60 s), not
    // the state change (09:26:53.104) nor the delivery.
    alarm_state_alarm: "alarm-state-alarm.json" =>
        vpn_trigger(VPN1, None, Some(Down), at(2026, 3, 14, 9, 26, 0, 0), CloudWatchAlarm, EU);

    // This fixture's reasonData judges 09:24–09:25, older than the datapoint of the ALARM it
    // leaves (09:25–09:26): not this transition's, so the state timestamp.
    alarm_state_ok: "alarm-state-ok.json" =>
        vpn_trigger(VPN1, None, Some(Up), at(2026, 3, 14, 9, 41, 2, 377), CloudWatchAlarm, EU);

    alarm_state_metric_math_finds_the_vpn_metric: "alarm-state-metric-math.json" =>
        vpn_trigger(
            "vpn-0a1b2c3d4e5f60002", None, Some(Down), at(2026, 3, 14, 9, 26, 0, 0),
            CloudWatchAlarm, EU,
        );

    alarm_state_insufficient_data_has_no_status: "alarm-state-insufficient-data.json" =>
        vpn_trigger(VPN1, None, None, at(2026, 3, 14, 9, 26, 53, 104), CloudWatchAlarm, EU);

    netmgr_ipsec_down: "netmgr-ipsec-down.json" =>
        vpn_trigger(
            VPN1, Some("203.0.113.17"), Some(Down), at(2026, 3, 14, 9, 25, 41, 0),
            NetworkManager, EU,
        );

    netmgr_ipsec_up_legacy_kebab_case: "netmgr-ipsec-up-legacy.json" =>
        vpn_trigger(
            VPN1, Some("203.0.113.17"), Some(Up), at(2026, 3, 14, 9, 39, 12, 0),
            NetworkManager, EU,
        );

    netmgr_route_uninstalled: "netmgr-route-uninstalled.json" => Trigger::Tgw {
        tgw: TgwId::new("tgw-0a1b2c3d4e5f6a7b8"),
        region: EU.map(Into::into),
        reason: "TGW-ROUTE-UNINSTALLED".into(),
    };

    scheduled: "scheduled.json" => Trigger::All { region: EU.map(Into::into) };

    health_single_tunnel_is_a_notice: "health-single-tunnel.json" => Trigger::Notice {
        vpn: VpnId::new(VPN1),
        reason: "AWS_VPN_SINGLE_TUNNEL_NOTIFICATION".into(),
    };
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
