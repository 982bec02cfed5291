//! Bad input: every malformed or unsupported payload is a clear, non-retryable error that
//! changes nothing.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_a_clear_non_retryable_error_and_changes_nothing() {
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(&sb, "bad-input", "eu-west-1", &[]).await;
    let before = sb.routes();
    let t = now().format("%Y-%m-%dT%H:%M:%SZ").to_string();

    // Truncated JSON reaches the handler only as text (`tgw-ha invoke`): Lambda refuses an
    // invalid payload before the function runs.
    let inv = tgw_ha::lambda::Invocation {
        request_id: "truncated".into(),
        function_name: "tgw-ha-test".into(),
        deadline: None,
    };
    let e = f
        .handler
        .handle_str(
            r#"{"vpnId": "vpn-0a1b2c3d4e5f60001", "downTS": "2026-0"#,
            &inv,
        )
        .await
        .expect_err("truncated");
    assert_eq!(e.error_type(), "NotRetryable.InvalidEvent");
    assert!(e.message().contains("not valid json"), "{e}");
    assert!(e.message().contains("vpn-0a1b2c3d4e5f60001"), "{e}");

    let cases: Vec<(Value, &str, &[&str])> = vec![
        (json!({}), "NotRetryable.InvalidEvent", &["an empty object"]),
        (json!([1, 2]), "NotRetryable.InvalidEvent", &["array"]),
        (Value::Null, "NotRetryable.InvalidEvent", &["null"]),
        (
            json!({"vpnId": 42, "downTS": t}),
            "NotRetryable.InvalidEvent",
            &["vpnId is number 42"],
        ),
        (
            json!({"vpnId": VPN_PARIS, "downTS": "yesterday"}),
            "NotRetryable.InvalidEvent",
            &["downTS", "yesterday"],
        ),
        (
            json!({"vpnId": "vpn-NOT-HEX", "downTS": t}),
            "NotRetryable.InvalidEvent",
            &["vpn-NOT-HEX"],
        ),
        (
            {
                let mut a = fixture("alarm-state-alarm.json");
                a["detail"]["configuration"]["metrics"] = json!("m1");
                a
            },
            "NotRetryable.InvalidEvent",
            &["CloudWatch Alarm State Change"],
        ),
        (
            {
                // A look-alike put on the bus by someone else.
                let mut s = fixture("scheduled.json");
                s["source"] = json!("my.app");
                s
            },
            "NotRetryable.InvalidEvent",
            &["my.app", "aws.events"],
        ),
        (
            json!({"detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2", "detail": {}}),
            "NotRetryable.InvalidEvent",
            &["EC2 Instance State-change Notification"],
        ),
        (
            json!({"action": "failover", "group": "paris", "dryRun": "yes"}),
            "NotRetryable.InvalidEvent",
            &["dryRun", "yes"],
        ),
        (
            json!({"action": "reboot"}),
            "NotRetryable.InvalidEvent",
            &["reboot", "reconcile"],
        ),
        (
            json!({"vpnId": "vpn-0123456789abcdef0", "downTS": t}),
            "NotRetryable.UnknownVpn",
            &["vpn-0123456789abcdef0"],
        ),
        (
            json!({"vpnId": VPN_OTHER, "downTS": t}),
            "NotRetryable.NoGroup",
            &[VPN_OTHER, "no group"],
        ),
        (
            {
                let mut a = fixture_at("alarm-state-alarm.json", now());
                a["detail"]["configuration"]["metrics"][0]["metricStat"]["metric"]["dimensions"]
                    ["VpnId"] = json!(VPN_OTHER);
                a
            },
            "NotRetryable.NoGroup",
            &[VPN_OTHER],
        ),
    ];
    for (event, error_type, words) in cases {
        let shown = event.to_string();
        let e = error_of(f.invoke(event).await);
        assert_eq!(e.error_type(), error_type, "{shown}: {e}");
        assert!(!e.is_retryable());
        for w in words {
            assert!(
                e.message().contains(w),
                "{shown}: {:?} lacks {w:?}",
                e.message()
            );
        }
        let emf = f.last_emf();
        assert_eq!(emf["Errors"], 1, "{emf}");
        assert_eq!(emf["ErrorType"], error_type);
    }

    // Nothing changed anywhere: routes, EC2 writes, state, notifications.
    assert_eq!(sb.routes(), before);
    assert_eq!(sb.writes(), 0);
    assert_eq!(f.stored().await.0, 0);
    assert!(f.subjects().is_empty());
    // The VPN on the other TGW: its TGW's state was never written either.
    let store = DynamoStore::new(
        tgw_ha_aws::dynamodb_client(&moto::sdk_config_in("eu-west-1").await),
        &f.table,
    );
    use tgw_ha_engine::ports::StateStore;
    assert_eq!(
        store
            .load(&TgwId::new(TGW_OTHER))
            .await
            .expect("load")
            .version,
        0
    );
}
