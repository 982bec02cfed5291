//! Event parsing against the documented payload shapes (`tests/fixtures/events/`, a copy of
//! `shared/fixtures/events/`) and against inputs that must be refused with a useful message.

use chrono::{TimeZone, Utc};
use tgw_ha_core::Timestamp;
use tgw_ha_core::events::{EventError, parse_event, parse_event_value};
use tgw_ha_core::ids::{GroupName, TgwId, VpnId};
use tgw_ha_core::model::TunnelStatus;
use tgw_ha_core::state::SignalSource;
use tgw_ha_core::trigger::{OperatorAction, SignalEvent, Trigger};

const VPN1: &str = "vpn-0a1b2c3d4e5f60001";

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("fixtures/events/", $name))
    };
}

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: u32) -> Timestamp {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s)
        .single()
        .expect("valid date")
        + chrono::Duration::milliseconds(i64::from(ms))
}

fn vpn_trigger(
    vpn: &str,
    tunnel: Option<&str>,
    status: Option<TunnelStatus>,
    at: Timestamp,
    source: SignalSource,
    region: Option<&str>,
) -> Trigger {
    Trigger::Vpn {
        signal: SignalEvent {
            vpn: VpnId::new(vpn),
            tunnel: tunnel.map(str::to_owned),
            status,
            at,
            source,
        },
        region: region.map(str::to_owned),
    }
}

/// Parse, expect an error, and check that its message names the input.
fn err_containing(json: &str, needles: &[&str]) -> EventError {
    let err = match parse_event(json) {
        Ok(t) => panic!("{json} parsed as {t:?}, expected an error"),
        Err(e) => e,
    };
    let msg = err.to_string();
    for needle in needles {
        assert!(
            msg.contains(needle),
            "message {msg:?} does not contain {needle:?}"
        );
    }
    let first = msg.chars().next().expect("non-empty message");
    assert!(
        !first.is_uppercase(),
        "message {msg:?} should start lower-case"
    );
    err
}

// --- fixtures ---------------------------------------------------------------------------------

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

// --- variants of the fixtures -----------------------------------------------------------------

fn fixture_value(json: &str) -> serde_json::Value {
    serde_json::from_str(json).expect("fixture is json")
}

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

// --- refused inputs ---------------------------------------------------------------------------

#[test]
fn truncated_json() {
    let err = err_containing(r#"{"vpnId": "vpn-0a1b"#, &["not valid json", "vpn-0a1b"]);
    assert!(matches!(err, EventError::InvalidJson { .. }));
}

#[test]
fn empty_input() {
    err_containing("", &["not valid json"]);
}

#[test]
fn empty_object() {
    let err = err_containing("{}", &["empty object", "detail-type", "vpnId", "action"]);
    assert!(matches!(err, EventError::Unrecognised { .. }));
}

#[test]
fn object_of_unknown_shape_lists_its_keys() {
    err_containing(r#"{"foo": 1, "bar": 2}"#, &["[bar, foo]"]);
}

#[test]
fn array() {
    let err = err_containing("[]", &["array", "expected a json object"]);
    assert!(matches!(err, EventError::NotAnObject { .. }));
    err_containing(r#""vpn-0a1b""#, &["string \"vpn-0a1b\""]);
    err_containing("null", &["null"]);
}

#[test]
fn reference_with_numeric_vpn_id() {
    err_containing(
        r#"{"vpnId": 5}"#,
        &["vpnId", "number 5", "expected a string"],
    );
}

#[test]
fn reference_with_bad_vpn_id() {
    for bad in ["vpc-0a1b2c3d", "vpn-", "vpn-0A1B", "vpn-xyz"] {
        let json = format!(r#"{{"vpnId": "{bad}", "downTS": "2026-03-14T09:26:53Z"}}"#);
        let err = err_containing(&json, &["vpnId", bad, "vpn-"]);
        assert!(matches!(err, EventError::InvalidVpnId { .. }), "{bad}");
    }
}

#[test]
fn reference_with_bad_timestamp() {
    for bad in [
        "yesterday",
        "2026-03-14T09:26:53",
        "2026-13-14T09:26:53Z",
        "",
    ] {
        let json = format!(r#"{{"vpnId": "{VPN1}", "downTS": "{bad}"}}"#);
        let err = err_containing(&json, &["downTS", &format!("{bad:?}"), "rfc3339"]);
        assert!(matches!(err, EventError::InvalidTimestamp { .. }), "{bad}");
    }
    err_containing(&format!(r#"{{"vpnId": "{VPN1}"}}"#), &["downTS", "missing"]);
}

#[test]
fn alarm_without_vpn_id_dimension() {
    let mut v = fixture_value(fixture!("alarm-state-alarm.json"));
    v["detail"]["configuration"]["metrics"][0]["metricStat"]["metric"]["dimensions"] =
        serde_json::json!({"TunnelIpAddress": "203.0.113.17"});
    let err = parse_event(&v.to_string()).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, EventError::AlarmWithoutVpnId { .. }), "{msg}");
    for needle in [
        "tgw-ha-vpn-0a1b2c3d4e5f60001",
        "TunnelIpAddress=203.0.113.17",
        "VpnId",
    ] {
        assert!(msg.contains(needle), "{msg:?} lacks {needle:?}");
    }
}

#[test]
fn alarm_with_unknown_state() {
    let mut v = fixture_value(fixture!("alarm-state-alarm.json"));
    v["detail"]["state"]["value"] = "MAYBE".into();
    let msg = parse_event_value(&v).unwrap_err().to_string();
    assert!(
        msg.contains("CloudWatch Alarm State Change") && msg.contains("MAYBE"),
        "{msg}"
    );
}

#[test]
fn alarm_with_bad_state_timestamp() {
    let mut v = fixture_value(fixture!("alarm-state-alarm.json"));
    v["detail"]["state"]["timestamp"] = "14/03/26 09:26".into();
    let err = parse_event_value(&v).unwrap_err();
    assert!(err.to_string().contains("14/03/26 09:26"), "{err}");
}

#[test]
fn unknown_detail_type() {
    let json = r#"{"detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2", "detail": {}}"#;
    let err = err_containing(
        json,
        &[
            "EC2 Instance State-change Notification",
            "aws.ec2",
            "CloudWatch Alarm State Change",
        ],
    );
    assert!(matches!(err, EventError::UnsupportedDetailType { .. }));
}

#[test]
fn known_detail_type_from_a_foreign_source() {
    let mut v = fixture_value(fixture!("alarm-state-alarm.json"));
    v["source"] = "my.app".into();
    let err = parse_event_value(&v).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, EventError::WrongSource { .. }), "{msg}");
    assert!(
        msg.contains("my.app") && msg.contains("aws.cloudwatch"),
        "{msg}"
    );
}

#[test]
fn eventbridge_with_wrong_types() {
    err_containing(r#"{"detail-type": 5}"#, &["detail-type", "number 5"]);
    err_containing(
        r#"{"detail-type": "Scheduled Event", "source": "aws.events", "region": 7}"#,
        &["Scheduled Event", "integer `7`"],
    );
    err_containing(
        r#"{"detail-type": "CloudWatch Alarm State Change", "source": "aws.cloudwatch", "detail": []}"#,
        &["CloudWatch Alarm State Change"],
    );
}

#[test]
fn netmgr_status_without_vpn_arn() {
    let mut v = fixture_value(fixture!("netmgr-ipsec-down.json"));
    v["detail"]
        .as_object_mut()
        .unwrap()
        .remove("vpnConnectionArn");
    let msg = parse_event_value(&v).unwrap_err().to_string();
    assert!(
        msg.contains("vpnConnectionArn") && msg.contains("IPSEC-DOWN"),
        "{msg}"
    );
}

#[test]
fn health_event_not_for_vpn() {
    let mut v = fixture_value(fixture!("health-single-tunnel.json"));
    v["detail"]["service"] = "EC2".into();
    v["detail"]["eventTypeCode"] = "AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED".into();
    let err = parse_event_value(&v).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, EventError::HealthNotVpn { .. }), "{msg}");
    assert!(
        msg.contains("EC2") && msg.contains("AWS_EC2_INSTANCE_RETIREMENT_SCHEDULED"),
        "{msg}"
    );
}

#[test]
fn unknown_action() {
    let err = err_containing(
        r#"{"action": "reboot", "group": "paris"}"#,
        &[
            "reboot",
            "reconcile, status, failover, failback, pin, unpin",
        ],
    );
    assert!(matches!(err, EventError::UnknownAction { .. }));
    err_containing(r#"{"action": 3}"#, &["number 3", "reconcile"]);
}

#[test]
fn invalid_operator_invocations() {
    // A misspelt field must not widen or weaken the action.
    err_containing(
        r#"{"action": "pin", "group": "paris", "vpn": "vpn-0a1b2c3d4e5f60001", "froce": true}"#,
        &["pin", "froce"],
    );
    err_containing(r#"{"action": "failover"}"#, &["failover", "group"]);
    err_containing(
        r#"{"action": "pin", "group": "paris", "vpn": "paris-b"}"#,
        &["pin", "paris-b", "vpn-"],
    );
    err_containing(
        r#"{"action": "reconcile", "dryRun": "yes"}"#,
        &["reconcile", "dryRun", "string \"yes\""],
    );
}

#[test]
fn never_panics_on_odd_shapes() {
    let odd = [
        r#"{"detail-type": "CloudWatch Alarm State Change", "source": "aws.cloudwatch"}"#,
        r#"{"detail-type": "Network Manager Status Update", "source": "aws.networkmanager", "detail": {"changeType": "VPN-CONNECTION-IPSEC-DOWN", "vpnConnectionArn": "arn:aws:ec2:eu-west-1:1:vpn-connection/"}}"#,
        r#"{"detail-type": "Network Manager Routing Update", "source": "aws.networkmanager", "detail": {"changeType": "X", "transitGatewayArn": "é"}}"#,
        r#"{"detail-type": "AWS Health Event", "source": "aws.health", "detail": {"service": "VPN", "eventTypeCode": "X"}}"#,
        r#"{"detail-type": "Scheduled Event"}"#,
        r#"{"vpnId": null, "downTS": []}"#,
        r#"{"downTS": "2026-03-14T09:26:53Z"}"#,
        "1e400",
    ];
    // Multi-byte characters past the excerpt length: truncation must cut on a char boundary.
    let long_string = format!("\"{}\"", "\u{e9}".repeat(100));
    for json in odd.into_iter().chain([long_string.as_str()]) {
        let err = parse_event(json).expect_err(json);
        assert!(!err.to_string().is_empty());
    }
}

// --- evidence rules (DESIGN.md "healthy") ----------------------------------------------------

#[test]
fn alarm_raised_by_missing_data_asks_for_a_look() {
    // TreatMissingData=breaching: an ALARM with no datapoint is not evidence of a failure.
    match parse_event(fixture!("alarm-state-alarm-missing-data.json")).unwrap() {
        Trigger::Vpn { signal, region } => {
            assert_eq!(signal.vpn, VpnId::new(VPN1));
            assert_eq!(
                signal.status, None,
                "a metric gap must not be a DOWN signal"
            );
            assert_eq!(region.as_deref(), Some("eu-west-1"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn alarm_with_missing_data_reason_but_no_reason_data_asks_for_a_look() {
    let mut v = fixture_value(fixture!("alarm-state-alarm-missing-data.json"));
    v["detail"]["state"]
        .as_object_mut()
        .unwrap()
        .remove("reasonData");
    match parse_event_value(&v).unwrap() {
        Trigger::Vpn { signal, .. } => assert_eq!(signal.status, None),
        other => panic!("{other:?}"),
    }
}

#[test]
fn alarm_with_a_real_datapoint_below_threshold_stays_down() {
    // Same shape as the missing-data fixture, with one datapoint 0.0: a real breach.
    let mut v = fixture_value(fixture!("alarm-state-alarm-missing-data.json"));
    v["detail"]["state"]["reason"] = "Threshold Crossed: 1 out of the last 1 datapoints [0.0 \
        (14/03/26 11:01:00)] was less than the threshold (1.0)."
        .into();
    v["detail"]["state"]["reasonData"] = "{\"version\":\"1.0\",\"startDate\":\
        \"2026-03-14T11:01:00.000+0000\",\"period\":60,\"recentDatapoints\":[0.0],\"threshold\":1.0}"
        .into();
    match parse_event_value(&v).unwrap() {
        Trigger::Vpn { signal, .. } => {
            assert_eq!(signal.status, Some(TunnelStatus::Down));
            assert_eq!(signal.at, at(2026, 3, 14, 11, 2, 0, 0));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn alarm_evidence_time_spans_every_judged_datapoint_and_never_passes_the_state_change() {
    let mut v = fixture_value(fixture!("alarm-state-alarm.json"));
    v["detail"]["previousState"]
        .as_object_mut()
        .unwrap()
        .remove("reasonData");
    // 3 of 3 datapoints from 09:22:00: evidence up to 09:25:00.
    v["detail"]["state"]["reasonData"] = "{\"startDate\":\"2026-03-14T09:22:00.000+0000\",\
        \"period\":60,\"recentDatapoints\":[0.0,0.0,0.0]}"
        .into();
    match parse_event_value(&v).unwrap() {
        Trigger::Vpn { signal, .. } => assert_eq!(signal.at, at(2026, 3, 14, 9, 25, 0, 0)),
        other => panic!("{other:?}"),
    }
    // A window that would end after the state change is capped at the state change.
    v["detail"]["state"]["reasonData"] =
        "{\"startDate\":\"2026-03-14T09:26:30.000+0000\",\"period\":300,\"recentDatapoints\":[0.0]}"
            .into();
    match parse_event_value(&v).unwrap() {
        Trigger::Vpn { signal, .. } => assert_eq!(signal.at, at(2026, 3, 14, 9, 26, 53, 104)),
        other => panic!("{other:?}"),
    }
    // reasonData of an unknown shape: the state timestamp, no error.
    v["detail"]["state"]["reasonData"] = "not json".into();
    match parse_event_value(&v).unwrap() {
        Trigger::Vpn { signal, .. } => assert_eq!(signal.at, at(2026, 3, 14, 9, 26, 53, 104)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn future_dated_evidence_is_refused_beyond_the_skew_and_counts_as_now_within_it() {
    use tgw_ha_core::trigger::MAX_CLOCK_SKEW_SECS;
    let now = at(2026, 3, 14, 12, 0, 0, 0);
    let far =
        parse_event(r#"{"vpnId": "vpn-0a1b2c3d4e5f60001", "downTS": "2999-01-01T00:00:00Z"}"#)
            .unwrap();
    let err = far.checked_at(now).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, EventError::FutureEvidence { .. }), "{err:?}");
    assert!(
        msg.contains("2999-01-01") && msg.contains("refused"),
        "{msg}"
    );

    let skew = now + chrono::Duration::seconds(MAX_CLOCK_SKEW_SECS);
    let near = vpn_trigger(
        VPN1,
        None,
        Some(TunnelStatus::Down),
        skew,
        SignalSource::Reference,
        None,
    );
    match near.checked_at(now).unwrap() {
        Trigger::Vpn { signal, .. } => assert_eq!(signal.at, now, "within the skew: counts as now"),
        other => panic!("{other:?}"),
    }
    let just_over = vpn_trigger(
        VPN1,
        None,
        Some(TunnelStatus::Down),
        skew + chrono::Duration::seconds(1),
        SignalSource::NetworkManager,
        None,
    );
    assert!(just_over.checked_at(now).is_err());
    // A past signal is kept as it is.
    let past = now - chrono::Duration::seconds(30);
    let old = vpn_trigger(
        VPN1,
        None,
        Some(TunnelStatus::Down),
        past,
        SignalSource::Reference,
        None,
    );
    assert_eq!(old.checked_at(now).unwrap(), old);
}

#[test]
fn region_that_is_not_a_region_name_is_refused() {
    let mut v = fixture_value(fixture!("scheduled.json"));
    for bad in [
        "../../etc",
        "EU-WEST-1",
        "eu-west",
        "111122223333",
        "eu-west-1/x",
        "",
    ] {
        v["region"] = bad.into();
        match parse_event_value(&v) {
            Err(EventError::InvalidRegion { received, .. }) => assert_eq!(received, bad),
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    for good in [
        "eu-west-1",
        "us-gov-west-1",
        "ap-southeast-3",
        "il-central-1",
        "cn-north-1",
    ] {
        v["region"] = good.into();
        assert_eq!(
            parse_event_value(&v).unwrap(),
            Trigger::All {
                region: Some(good.to_owned())
            }
        );
    }
    let mut nm = fixture_value(fixture!("netmgr-ipsec-down.json"));
    nm["detail"]["region"] = "../../etc".into();
    let err = parse_event_value(&nm).unwrap_err();
    assert!(err.to_string().contains("detail.region"), "{err}");
    let mut alarm = fixture_value(fixture!("alarm-state-alarm.json"));
    alarm["region"] = "../../etc".into();
    assert!(matches!(
        parse_event_value(&alarm),
        Err(EventError::InvalidRegion { .. })
    ));
}

#[test]
fn alarm_reason_data_older_than_the_state_it_leaves_is_not_trusted() {
    // A real OK judges datapoints after those of the ALARM it leaves.
    let mut v = fixture_value(fixture!("alarm-state-ok.json"));
    v["detail"]["state"]["reasonData"] = "{\"startDate\":\"2026-03-14T09:39:00.000+0000\",\
        \"period\":60,\"recentDatapoints\":[1.0]}"
        .into();
    match parse_event_value(&v).unwrap() {
        Trigger::Vpn { signal, .. } => assert_eq!(signal.at, at(2026, 3, 14, 9, 40, 0, 0)),
        other => panic!("{other:?}"),
    }
}
