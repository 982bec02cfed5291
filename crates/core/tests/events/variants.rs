//! Variants of the documented payloads (other timestamp spellings, missing optional fields,
//! per-tunnel alarms, Network Manager changes with no status) and the operator invocations.

use super::*;

#[test]
fn parse_event_value_matches_parse_event() {
    for json in [
        fixture!("reference-transformer.json"),
        fixture!("alarm-state-alarm.json"),
        fixture!("netmgr-ipsec-up-legacy.json"),
        fixture!("scheduled.json"),
    ] {
        assert_eq!(
            parse_event_value(&fixture_value(json)).unwrap(),
            parse_event(json).unwrap()
        );
    }
}

#[test]
fn reference_accepts_space_separated_and_colonless_offsets() {
    for ts in [
        "2026-03-14 09:26:53+00:00",
        "2026-03-14T10:26:53+01:00",
        "2026-03-14T09:26:53.000+0000",
    ] {
        let json = format!(r#"{{"vpnId": "{VPN1}", "downTS": "{ts}"}}"#);
        match parse_event(&json).unwrap() {
            Trigger::Vpn { signal, .. } => assert_eq!(signal.at, at(2026, 3, 14, 9, 26, 53, 0)),
            other => panic!("{ts}: {other:?}"),
        }
    }
}

#[test]
fn alarm_without_state_timestamp_or_reason_data_uses_envelope_time() {
    let mut v = fixture_value(fixture!("alarm-state-alarm.json"));
    let state = v["detail"]["state"].as_object_mut().unwrap();
    state.remove("timestamp");
    state.remove("reasonData");
    match parse_event_value(&v).unwrap() {
        Trigger::Vpn { signal, .. } => assert_eq!(signal.at, at(2026, 3, 14, 9, 26, 53, 0)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn per_tunnel_alarm_names_the_tunnel() {
    let mut v = fixture_value(fixture!("alarm-state-alarm.json"));
    v["detail"]["configuration"]["metrics"][0]["metricStat"]["metric"]["dimensions"]["TunnelIpAddress"] =
        "203.0.113.17".into();
    match parse_event_value(&v).unwrap() {
        Trigger::Vpn { signal, .. } => assert_eq!(signal.tunnel.as_deref(), Some("203.0.113.17")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn netmgr_bgp_changes_carry_no_status() {
    for (key, change) in [
        ("changeType", "VPN-CONNECTION-BGP-DOWN"),
        ("change-type", "VPN-CONNECTION-BGP-ESTABLISH"),
    ] {
        let mut v = fixture_value(fixture!("netmgr-ipsec-down.json"));
        let detail = v["detail"].as_object_mut().unwrap();
        detail.remove("changeType");
        detail.insert(key.into(), change.into());
        match parse_event_value(&v).unwrap() {
            Trigger::Vpn { signal, region } => {
                assert_eq!(signal.status, None, "{change}");
                assert_eq!(signal.vpn, VpnId::new(VPN1));
                assert_eq!(region.as_deref(), Some("eu-west-1"));
            }
            other => panic!("{change}: {other:?}"),
        }
    }
}

#[test]
fn netmgr_status_not_about_a_vpn_is_ignored() {
    let mut v = fixture_value(fixture!("netmgr-ipsec-down.json"));
    v["detail"]["changeType"] = "CONNECT-PEER-BGP-DOWN".into();
    match parse_event_value(&v).unwrap() {
        Trigger::Ignore { reason } => assert!(reason.contains("CONNECT-PEER-BGP-DOWN"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn operator_actions() {
    let cases = [
        (
            r#"{"action": "reconcile"}"#,
            OperatorAction::Reconcile { group: None },
            false,
        ),
        (
            r#"{"action": "status", "group": "paris"}"#,
            OperatorAction::Status {
                group: Some(GroupName::new("paris")),
            },
            false,
        ),
        (
            r#"{"action": "failover", "group": "paris", "to": "vpn-0a1b2c3d4e5f60002", "dryRun": true}"#,
            OperatorAction::Failover {
                group: GroupName::new("paris"),
                to: Some(VpnId::new("vpn-0a1b2c3d4e5f60002")),
            },
            true,
        ),
        (
            r#"{"action": "failback", "group": "paris", "dry_run": false}"#,
            OperatorAction::Failback {
                group: GroupName::new("paris"),
            },
            false,
        ),
        (
            r#"{"action": "pin", "group": "paris", "vpn": "vpn-0a1b2c3d4e5f60001", "force": true, "dry_run": true}"#,
            OperatorAction::Pin {
                group: GroupName::new("paris"),
                vpn: VpnId::new(VPN1),
                force: true,
                until: None,
            },
            true,
        ),
        (
            r#"{"action": "unpin", "group": "paris"}"#,
            OperatorAction::Unpin {
                group: GroupName::new("paris"),
            },
            false,
        ),
    ];
    for (json, action, dry_run) in cases {
        assert_eq!(
            parse_event(json).unwrap(),
            Trigger::Operator { action, dry_run },
            "{json}"
        );
    }
}
