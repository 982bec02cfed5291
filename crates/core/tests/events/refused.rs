//! Inputs that must be refused, each with a lower-case message that names what was received:
//! broken JSON, unknown shapes, bad ids, timestamps and Regions, foreign sources, bad operator
//! invocations; and odd shapes that must never panic.

use super::*;

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
