//! Issue 8's evidence rules and announcements, end to end through the Lambda handler as the
//! function builds it: EC2 through the real AWS SDK against the sandbox, the state in moto's
//! DynamoDB, notifications in moto's SNS, on the real clock (times are set relative to now).
//!
//! Never AWS: every endpoint is 127.0.0.1, the credentials are static test ones.
#![cfg(feature = "aws")]

mod common;

use common::*;
use serde_json::json;
use tgw_ha::lambda::HandlerError;
use tgw_ha_core::health::CONTRADICTION_AFTER_SECS;
use tgw_ha_core::model::TunnelStatus;
use tgw_ha_core::planner::GroupStatus;
use tgw_ha_sim::demo_world::{ATT_LYON, ATT_PARIS, VPN_LYON, VPN_PARIS};

const PARIS_MOVES: usize = 32 + 1;

fn error_of(r: Result<tgw_ha_engine::Outcome, HandlerError>) -> HandlerError {
    match r {
        Ok(o) => panic!("expected an error, got {o:#?}"),
        Err(e) => e,
    }
}

fn paris_alarm(state_at: tgw_ha_core::Timestamp) -> serde_json::Value {
    fixture_at("alarm-state-alarm.json", state_at)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metric_gap_alarm_does_not_move_a_healthy_vpns_routes() {
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(&sb, "metric-gap", "eu-west-1", &[]).await;
    let before = sb.routes();
    // The verbatim CloudWatch payload of an ALARM raised by missing data (TreatMissingData =
    // breaching), now; paris's tunnels are UP.
    let event = fixture_at("alarm-state-alarm-missing-data.json", now());
    let o = f.invoke(event).await.expect("a look, not an error");
    assert_eq!(o.moved(), 0, "{o:#?}");
    assert_eq!(group(&o, "paris").status, GroupStatus::Home);
    assert_eq!(sb.routes(), before);
    assert_eq!(sb.writes(), 0);
    let (_, state) = f.stored().await;
    assert!(
        state.signals.is_empty(),
        "no DOWN stored: {:?}",
        state.signals
    );
    assert!(f.subjects().is_empty(), "{:?}", f.subjects());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alarm_judged_before_the_tunnels_came_back_does_not_fail_over() {
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(&sb, "evidence-time", "eu-west-1", &[]).await;
    // The alarm judged 60 s that ended 90 s ago (DOWN); the tunnels came back 30 s later (their
    // LastStatusChange is now, after the evidence); CloudWatch delivers the ALARM now.
    let t = now();
    let mut event = paris_alarm(t);
    let start = (t - chrono::Duration::seconds(150)).format("%Y-%m-%dT%H:%M:%S%.3f+0000");
    event["detail"]["state"]["reasonData"] = json!(format!(
        "{{\"version\":\"1.0\",\"startDate\":\"{start}\",\"statistic\":\"Maximum\",\
         \"period\":60,\"recentDatapoints\":[0.0],\"threshold\":1.0}}"
    ));
    sb.tunnel(VPN_PARIS, None, TunnelStatus::Down);
    sb.world(|w| {
        w.set_tunnel(
            &tgw_ha_core::ids::VpnId::new(VPN_PARIS),
            None,
            TunnelStatus::Up,
            t - chrono::Duration::seconds(60),
        )
        .expect("tunnels up")
    });
    let before = sb.routes();
    let o = f.invoke(event).await.expect("handled");
    assert_eq!(
        o.moved(),
        0,
        "the tunnels came back after the evidence: {o:#?}"
    );
    assert_eq!(group(&o, "paris").status, GroupStatus::Home);
    assert_eq!(sb.routes(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn future_dated_event_is_refused_and_stores_nothing() {
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(&sb, "future", "eu-west-1", &[("TGW_HA_FAILBACK", "true")]).await;
    let before = sb.routes();
    let event = json!({"vpnId": VPN_PARIS, "downTS": "2999-01-01T00:00:00Z"});
    let err = error_of(f.invoke(event).await);
    assert_eq!(err.error_type(), "NotRetryable.InvalidEvent", "{err}");
    assert!(err.to_string().contains("2999-01-01"), "{err}");
    assert_eq!(sb.routes(), before);
    assert_eq!(sb.writes(), 0);
    assert_eq!(f.stored().await.0, 0, "nothing stored");

    // A minute ahead (a skewed sender clock) counts as now: stored as now, never later.
    let ahead = now() + chrono::Duration::seconds(60);
    let event = json!({"vpnId": VPN_PARIS, "downTS": ahead.to_rfc3339()});
    let o = f.invoke(event).await.expect("within the skew");
    assert_eq!(o.moved(), PARIS_MOVES);
    let (_, state) = f.stored().await;
    let s = state
        .signals
        .iter()
        .find(|s| s.vpn.as_str() == VPN_PARIS)
        .expect("signal stored");
    assert!(s.at <= now(), "stored {} is in the future", s.at);

    // Other fields a client can get wrong: the Region is refused before anything is read.
    let mut sweep = fixture("scheduled.json");
    sweep["region"] = json!("../../etc");
    let err = error_of(f.invoke(sweep).await);
    assert_eq!(err.error_type(), "NotRetryable.InvalidEvent", "{err}");
    assert!(err.to_string().contains("../../etc"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contradicted_down_is_said_out_loud_once_and_settled_by_failback() {
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(
        &sb,
        "contradicted",
        "eu-west-1",
        &[
            ("TGW_HA_FAILBACK", "true"),
            ("TGW_HA_HOLD_DOWN_SECONDS", "1"),
        ],
    )
    .await;
    // The reference event says paris went down minutes ago; its tunnels have been UP since long
    // before and still are.
    let at = now() - chrono::Duration::seconds(CONTRADICTION_AFTER_SECS + 20);
    let event = json!({"vpnId": VPN_PARIS, "downTS": at.to_rfc3339()});
    let o = f.invoke(event).await.expect("failover");
    assert_eq!(o.moved(), PARIS_MOVES, "the safe side: the backup");
    let paris = group(&o, "paris");
    let c = paris.members[0]
        .health
        .contradicted
        .as_ref()
        .expect("contradiction reported");
    assert_eq!(c.at.timestamp(), at.timestamp());
    assert!(
        paris
            .notes
            .iter()
            .any(|n| n.contains("contradicted by telemetry"))
    );
    assert_eq!(f.last_emf()["ContradictedSignals"], 1);
    let subjects = f.subjects();
    assert_eq!(
        subjects
            .iter()
            .filter(|s| s.contains("is in doubt"))
            .count(),
        1,
        "{subjects:?}"
    );

    // Sweeps: failback is on and the primary's tunnels are long stable, yet nothing moves back
    // by itself, and nobody is told twice.
    for _ in 0..2 {
        let o = f
            .invoke(fixture_at("scheduled.json", now()))
            .await
            .expect("sweep");
        assert_eq!(o.moved(), 0, "{o:#?}");
        assert_eq!(group(&o, "paris").status, GroupStatus::OnBackup);
    }
    assert_eq!(f.subjects().len(), subjects.len(), "{:?}", f.subjects());
    sb.world(|w| assert_eq!(cidrs_on(w, ATT_PARIS), 0));

    // The operator settles it.
    let o = f
        .invoke(json!({"action": "failback", "group": "paris"}))
        .await
        .expect("failback");
    assert_eq!(o.moved(), PARIS_MOVES);
    sb.world(|w| assert_eq!(cidrs_on(w, ATT_LYON), 28));
    let o = f
        .invoke(fixture_at("scheduled.json", now()))
        .await
        .expect("sweep");
    assert_eq!(o.moved(), 0);
    assert_eq!(group(&o, "paris").status, GroupStatus::Home);
    assert!(group(&o, "paris").members[0].health.contradicted.is_none());
    assert_eq!(f.last_emf()["ContradictedSignals"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn site_left_unprotected_by_a_tag_typo_is_announced_once_and_when_fixed() {
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(&sb, "tag-typo", "eu-west-1", &[]).await;
    let set_lyon_role = |role: &str| {
        sb.world(|w| {
            let lyon = w
                .vpn_connections
                .iter_mut()
                .find(|v| v.id.as_str() == VPN_LYON)
                .expect("lyon");
            lyon.tags.insert("paris".into(), role.into());
        })
    };
    set_lyon_role("bakup");
    for _ in 0..3 {
        let o = f
            .invoke(fixture_at("scheduled.json", now()))
            .await
            .expect("sweep");
        assert!(
            o.tgws
                .iter()
                .any(|t| t.invalid.iter().any(|g| g.name.as_str() == "paris")),
            "{o:#?}"
        );
        assert_eq!(f.last_emf()["InvalidGroups"], 1);
    }
    let subjects = f.subjects();
    assert_eq!(
        subjects,
        ["tgw-ha: paris is NOT protected, its tags are invalid"]
    );
    let (_, state) = f.stored().await;
    assert!(state.invalid.contains_key(&"paris".into()));

    set_lyon_role("backup");
    f.invoke(fixture_at("scheduled.json", now()))
        .await
        .expect("sweep");
    f.invoke(fixture_at("scheduled.json", now()))
        .await
        .expect("sweep");
    assert_eq!(
        f.subjects()[1..],
        ["tgw-ha: paris is protected again".to_owned()]
    );
    assert_eq!(f.last_emf()["InvalidGroups"], 0);
}
