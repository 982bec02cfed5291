//! `SnsNotifier` against moto's SNS: the rendered message reaches the topic (seen through moto's
//! `/moto-api/data.json`, which lists every topic with the notifications sent to it), and a
//! missing topic is an error that names it.

mod common;

use chrono::TimeZone;
use common::moto::{get, sdk_config};
use tgw_ha_aws::{SnsNotifier, render, sns_client};
use tgw_ha_core::ids::{GroupName, TgwId, VpnId};
use tgw_ha_core::planner::{EventKind, GroupEvent};
use tgw_ha_engine::ports::Notifier;

fn event(kind: EventKind) -> GroupEvent {
    GroupEvent {
        group: GroupName::new("paris"),
        tgw: TgwId::new("tgw-0123456789abcdef0"),
        kind,
        from: Some(VpnId::new("vpn-0aaaaaaaaaaaaaaa1")),
        to: Some(VpnId::new("vpn-0bbbbbbbbbbbbbbb2")),
        routes: 42,
        detail: "vpn-0aaaaaaaaaaaaaaa1: 0 of 2 tunnels up".into(),
        members: vec![],
    }
}

/// The notifications moto recorded for `topic`: (message, subject, attributes) each.
fn sent(topic: &str) -> Vec<(String, String, serde_json::Value)> {
    let data: serde_json::Value = serde_json::from_str(&get("/moto-api/data.json")).expect("json");
    let topics = data["sns"]["Topic"].as_array().expect("sns topics");
    let topic = topics
        .iter()
        .find(|t| t["arn"] == topic)
        .unwrap_or_else(|| panic!("topic {topic} not in moto: {topics:?}"));
    // Each is [message id, message, subject, attributes, group id].
    topic["sent_notifications"]
        .as_array()
        .expect("sent_notifications")
        .iter()
        .map(|n| {
            (
                n[1].as_str().expect("message").to_owned(),
                n[2].as_str().expect("subject").to_owned(),
                n[3].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn publish_reaches_the_topic() {
    let client = sns_client(&sdk_config().await);
    let topic = client
        .create_topic()
        .name("tgw-ha-test-alerts")
        .send()
        .await
        .expect("create topic")
        .topic_arn()
        .expect("arn")
        .to_owned();
    let notifier = SnsNotifier::new(client, &topic);
    let at = chrono::Utc
        .with_ymd_and_hms(2024, 5, 1, 10, 0, 0)
        .single()
        .expect("time");

    let failover = event(EventKind::FailedOver);
    notifier.notify(&failover, at).await.expect("publish");
    let down = event(EventKind::Down);
    notifier.notify(&down, at).await.expect("publish");

    let got = sent(&topic);
    assert_eq!(got.len(), 2, "{got:?}");
    for ((message, subject, attrs), e) in got.iter().zip([&failover, &down]) {
        let (want_subject, want_body) = render(e, at, None);
        assert_eq!(subject, &want_subject);
        assert_eq!(message, &want_body);
        assert_eq!(attrs["group"]["Value"], "paris", "{attrs}");
        assert_eq!(attrs["tgw"]["Value"], "tgw-0123456789abcdef0", "{attrs}");
    }
    assert_eq!(got[0].2["kind"]["Value"], "failed_over");
    assert_eq!(got[1].2["kind"]["Value"], "down");
    assert_eq!(
        got[0].1,
        "tgw-ha: paris failed over to vpn-0bbbbbbbbbbbbbbb2 (42 routes)"
    );
}

#[tokio::test]
async fn missing_topic_is_an_error_naming_it() {
    let client = sns_client(&sdk_config().await);
    let topic = "arn:aws:sns:us-east-1:123456789012:tgw-ha-test-no-such-topic";
    let notifier = SnsNotifier::new(client, topic);
    let at = chrono::Utc.timestamp_opt(0, 0).single().expect("time");
    let err = notifier
        .notify(&event(EventKind::Recovered), at)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("sns topic {topic} does not exist")),
        "{err}"
    );
}
