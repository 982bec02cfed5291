//! The evidence rules (DESIGN.md "healthy"): an alarm raised by missing data asks for a look
//! rather than a failover, the time of an alarm's evidence spans its judged datapoints without
//! passing the state change, and future-dated or stale evidence is not trusted.

use super::*;

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
