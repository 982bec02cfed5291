//! The Lambda handler end to end, for every event fixture and the operator actions.
//!
//! Most tests run the handler exactly as the function builds it (`AwsBackend`): EC2 through the
//! real AWS SDK against the sandbox (the EC2 Query API over a sim world, on 127.0.0.1, with the
//! Region of every request's signature recorded), the ledger and lease in moto's DynamoDB
//! (`DynamoStore`), notifications in moto's SNS. They run on the real clock, so the fixtures'
//! times are moved to "now" and hold-downs are a few seconds. One test runs the fixtures
//! verbatim on the sim's virtual clock (the demo world's 2026-03-14 09:00), with the same
//! DynamoDB and SNS, to show the default five-minute hold-down to the second.
//!
//! Never AWS: every endpoint is 127.0.0.1, the credentials are static test ones.
#![cfg(feature = "aws")]

mod common;

use common::*;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tgw_ha::config::Config;
use tgw_ha::lambda::{Backend, EmfSink, Handler, HandlerError};
use tgw_ha_aws::{DynamoStore, SnsNotifier};
use tgw_ha_core::Timestamp;
use tgw_ha_core::ids::{AttachmentId, TgwId};
use tgw_ha_core::model::TunnelStatus;
use tgw_ha_core::planner::GroupStatus;
use tgw_ha_core::state::SignalSource;
use tgw_ha_engine::ports::{Clock, Ports};
use tgw_ha_sim::demo_world::{
    ATT_BERLIN_BACKUP, ATT_BERLIN_PRIMARY, ATT_LYON, ATT_PARIS, PL_PARIS_OFFICES, RTB_PROD,
    VPN_BERLIN_BACKUP, VPN_BERLIN_PRIMARY, VPN_LYON, VPN_PARIS,
};
use tgw_ha_sim::{Gate, Sim};

/// Routes of each site: its /24s and its prefix-list references (demo world).
const PARIS_MOVES: usize = 32 + 1;
const LYON_MOVES: usize = 28 + 1;
const BERLIN_MOVES: usize = 36 + 2;

fn assert_moved_between(
    changes: &[(String, String, String, String)],
    n: usize,
    from: &str,
    to: &str,
) {
    assert_eq!(changes.len(), n, "{changes:#?}");
    for (table, dest, b, a) in changes {
        assert_eq!((b.as_str(), a.as_str()), (from, to), "{table} {dest}");
    }
}

fn error_of(r: Result<tgw_ha_engine::Outcome, HandlerError>) -> HandlerError {
    match r {
        Ok(o) => panic!("expected an error, got {o:#?}"),
        Err(e) => e,
    }
}

// ---------------------------------------------------------------------------------------------
// Fixtures against the sandbox, on the real clock

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reference_event_fails_over_like_the_reference_sample() {
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(&sb, "reference", "eu-west-1", &[]).await;
    let before = sb.routes();

    // `{vpnId, downTS}` says the VPN is down, whatever its tunnels still show: like the
    // reference sample, every route of the site moves to the backup, in every table, prefix
    // lists included (which the sample did not handle).
    let event = fixture_at("reference-transformer.json", now());
    let o = f.invoke(event.clone()).await.expect("failover");
    assert_eq!((o.moved(), o.failed()), (PARIS_MOVES, 0), "{o:#?}");
    assert_moved_between(
        &changed(&before, &sb.routes()),
        PARIS_MOVES,
        ATT_PARIS,
        ATT_LYON,
    );
    sb.world(|w| {
        assert_eq!(cidrs_on(w, ATT_PARIS), 0);
        assert_eq!(
            reference_target(w, RTB_PROD, PL_PARIS_OFFICES).as_deref(),
            Some(ATT_LYON)
        );
    });
    let paris = group(&o, "paris");
    assert_eq!(paris.status, GroupStatus::FailingOver);
    assert_eq!(paris.desired.as_ref().map(|v| v.as_str()), Some(VPN_LYON));
    assert_eq!(group(&o, "lyon").status, GroupStatus::Home);

    // The ledger (written before the moves) owns every moved route; the signal is kept.
    let (_, state) = f.stored().await;
    assert_eq!(state.ledger.len(), PARIS_MOVES);
    assert!(state.ledger.iter().all(|e| e.home.as_str() == ATT_PARIS
        && e.current.as_str() == ATT_LYON
        && e.group.as_str() == "paris"));
    assert!(
        state
            .signals
            .iter()
            .any(|s| s.vpn.as_str() == VPN_PARIS && s.source == SignalSource::Reference)
    );
    assert_eq!(
        f.subjects(),
        [format!(
            "tgw-ha: paris failed over to {VPN_LYON} ({} routes)",
            PARIS_MOVES
        )]
    );
    let emf = f.last_emf();
    assert_eq!(emf["RoutesMoved"], PARIS_MOVES);
    assert_eq!(emf["GroupsDegraded"], 1);
    assert_eq!(emf["GroupsDown"], 0);
    assert!(emf["FailoverDurationMs"].is_i64(), "{emf}");
    // No Region in the event: the function's own.
    assert_eq!(sb.take_regions(), ["eu-west-1"]);

    // Delivered again (EventBridge delivers at least once): nothing moves, nobody is told twice.
    let writes = sb.writes();
    let o = f.invoke(event).await.expect("again");
    assert_eq!(o.moved(), 0);
    assert_eq!(group(&o, "paris").status, GroupStatus::OnBackup);
    assert_eq!(sb.writes(), writes);
    assert_eq!(f.subjects().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alarm_fails_over_and_ok_fails_back_only_after_hold_down() {
    const HOLD_DOWN: i64 = 5;
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(
        &sb,
        "alarm-ok",
        "eu-west-1",
        &[
            ("TGW_HA_FAILBACK", "true"),
            ("TGW_HA_HOLD_DOWN_SECONDS", &HOLD_DOWN.to_string()),
        ],
    )
    .await;
    let start = sb.routes();

    let o = f
        .invoke(fixture_at("alarm-state-alarm.json", now()))
        .await
        .expect("alarm");
    assert_eq!(o.moved(), PARIS_MOVES);
    assert_moved_between(
        &changed(&start, &sb.routes()),
        PARIS_MOVES,
        ATT_PARIS,
        ATT_LYON,
    );

    // OK: paris is healthy again, but not stable until the hold-down has passed.
    let t_ok = now();
    let o = f
        .invoke(fixture_at("alarm-state-ok.json", t_ok))
        .await
        .expect("ok");
    assert_eq!(o.moved(), 0, "{o:#?}");
    let paris = group(&o, "paris");
    assert_eq!(paris.status, GroupStatus::OnBackup);
    let primary = &paris.members[0];
    assert_eq!(primary.vpn.as_str(), VPN_PARIS);
    assert!(
        primary.health.healthy && !primary.health.stable,
        "{primary:?}"
    );

    // The hold-down over, the next pass (here the schedule's) fails back.
    f.clock
        .skip_past(t_ok + chrono::Duration::seconds(HOLD_DOWN));
    let o = f
        .invoke(fixture_at("scheduled.json", f.clock.now()))
        .await
        .expect("sweep");
    assert_eq!(o.moved(), PARIS_MOVES, "{o:#?}");
    assert_eq!(group(&o, "paris").status, GroupStatus::FailingBack);
    assert_eq!(sb.routes(), start);
    let (_, state) = f.stored().await;
    assert!(state.ledger.is_empty(), "{:?}", state.ledger);
    let subjects = f.subjects();
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert!(subjects[0].contains("paris failed over"), "{subjects:?}");
    assert!(subjects[1].contains("paris failed back"), "{subjects:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_manager_events_act_in_the_tgw_region() {
    const HOLD_DOWN: i64 = 5;
    let sb = Sandbox::start(world()).await;
    // Network Manager delivers in us-west-2: the function lives there; the TGW is in eu-west-1,
    // a Region this deployment owns (TGW_HA_REGIONS).
    let f = aws_handler(
        &sb,
        "netmgr",
        "us-west-2",
        &[
            ("TGW_HA_REGIONS", "us-west-2,eu-west-1"),
            ("TGW_HA_FAILBACK", "true"),
            ("TGW_HA_HOLD_DOWN_SECONDS", &HOLD_DOWN.to_string()),
        ],
    )
    .await;
    let start = sb.routes();

    // IPsec down on one tunnel: the other still carries traffic, nothing moves; the signal is
    // kept for that tunnel.
    let o = f
        .invoke(fixture_at("netmgr-ipsec-down.json", now()))
        .await
        .expect("down");
    assert_eq!(o.moved(), 0);
    let primary = &group(&o, "paris").members[0];
    assert!(primary.health.healthy);
    assert_eq!(primary.health.tunnels_up, 1, "{primary:?}");
    let state = f.stored_in("eu-west-1").await;
    assert!(
        state
            .signals
            .iter()
            .any(|s| s.source == SignalSource::NetworkManager
                && s.tunnel.as_deref() == Some(PARIS_TUNNEL)
                && s.status == TunnelStatus::Down)
    );

    // The other tunnel is down too (telemetry): the next IPsec-down fails the site over.
    sb.tunnel(VPN_PARIS, Some(PARIS_OTHER_TUNNEL), TunnelStatus::Down);
    let o = f
        .invoke(fixture_at("netmgr-ipsec-down.json", now()))
        .await
        .expect("down again");
    assert_eq!(o.moved(), PARIS_MOVES);
    assert_moved_between(
        &changed(&start, &sb.routes()),
        PARIS_MOVES,
        ATT_PARIS,
        ATT_LYON,
    );

    // IPsec up (older kebab-case layout): healthy on one tunnel, not stable yet.
    let t_up = now();
    let up = fixture_at("netmgr-ipsec-up-legacy.json", t_up);
    let o = f.invoke(up.clone()).await.expect("up");
    assert_eq!(o.moved(), 0);
    let primary = &group(&o, "paris").members[0];
    assert!(
        primary.health.healthy && !primary.health.stable,
        "{primary:?}"
    );

    // The same event delivered again after the hold-down: failback.
    f.clock
        .skip_past(t_up + chrono::Duration::seconds(HOLD_DOWN));
    let o = f.invoke(up).await.expect("up again");
    assert_eq!(o.moved(), PARIS_MOVES, "{o:#?}");
    assert_eq!(sb.routes(), start);

    // Every EC2 request went to the TGW's Region, none to the function's.
    assert_eq!(sb.take_regions(), ["eu-west-1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metric_math_alarm_fails_over_the_vpn_of_its_aws_vpn_metric() {
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(&sb, "metric-math", "eu-west-1", &[]).await;
    let before = sb.routes();
    let o = f
        .invoke(fixture_at("alarm-state-metric-math.json", now()))
        .await
        .expect("alarm");
    assert_eq!(o.moved(), LYON_MOVES);
    assert_eq!(group(&o, "lyon").status, GroupStatus::FailingOver);
    assert_eq!(group(&o, "paris").status, GroupStatus::Home);
    assert_moved_between(
        &changed(&before, &sb.routes()),
        LYON_MOVES,
        ATT_LYON,
        ATT_PARIS,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insufficient_data_evaluates_from_telemetry_only() {
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(&sb, "insufficient", "eu-west-1", &[]).await;
    let before = sb.routes();

    // Tunnels UP: INSUFFICIENT_DATA alone is no reason to move, and is not remembered.
    let o = f
        .invoke(fixture_at("alarm-state-insufficient-data.json", now()))
        .await
        .expect("evaluate");
    assert_eq!(o.moved(), 0);
    assert_eq!(group(&o, "paris").status, GroupStatus::Home);
    assert_eq!(sb.routes(), before);
    let (_, state) = f.stored().await;
    assert!(
        state.signals.is_empty(),
        "no signal kept: {:?}",
        state.signals
    );
    assert!(state.ledger.is_empty());

    // Tunnels DOWN in telemetry: the evaluation sees it.
    sb.tunnel(VPN_PARIS, None, TunnelStatus::Down);
    let o = f
        .invoke(fixture_at("alarm-state-insufficient-data.json", now()))
        .await
        .expect("evaluate");
    assert_eq!(o.moved(), PARIS_MOVES);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alarm_on_another_namespace_is_ignored_and_reads_nothing() {
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(&sb, "other-namespace", "eu-west-1", &[]).await;
    let o = f
        .invoke(fixture("alarm-state-other-namespace.json"))
        .await
        .expect("ignored is a success");
    assert!(o.tgws.is_empty());
    assert!(
        o.notes
            .iter()
            .any(|n| n.contains("ignored") && n.contains("AWS/EC2")),
        "{:?}",
        o.notes
    );
    assert_eq!(sb.state.calls().total, 0, "no EC2 call");
    assert_eq!(f.stored().await.0, 0, "nothing stored");
    assert_eq!(f.last_emf()["RoutesMoved"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routing_update_reconciles_its_tgw() {
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(
        &sb,
        "routing-update",
        "us-west-2",
        &[("TGW_HA_REGIONS", "us-west-2,eu-west-1")],
    )
    .await;
    // paris died and its alarm never came: the routes uninstalled under us say "look".
    sb.tunnel(VPN_PARIS, None, TunnelStatus::Down);
    let before = sb.routes();
    let o = f
        .invoke(fixture_at("netmgr-route-uninstalled.json", now()))
        .await
        .expect("reconcile");
    assert_eq!(o.moved(), PARIS_MOVES);
    assert_eq!(o.tgws.len(), 1);
    assert_eq!(o.tgws[0].tgw.as_str(), TGW);
    assert_moved_between(
        &changed(&before, &sb.routes()),
        PARIS_MOVES,
        ATT_PARIS,
        ATT_LYON,
    );
    assert_eq!(sb.take_regions(), ["eu-west-1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_sweep_reconciles_every_group() {
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(&sb, "scheduled", "eu-west-1", &[]).await;
    // Two sites lost with no event at all.
    sb.tunnel(VPN_BERLIN_PRIMARY, None, TunnelStatus::Down);
    sb.tunnel(VPN_LYON, None, TunnelStatus::Down);
    let before = sb.routes();
    let o = f
        .invoke(fixture_at("scheduled.json", now()))
        .await
        .expect("sweep");
    assert_eq!(o.moved(), BERLIN_MOVES + LYON_MOVES, "{o:#?}");
    assert_eq!(group(&o, "berlin").status, GroupStatus::FailingOver);
    assert_eq!(group(&o, "lyon").status, GroupStatus::FailingOver);
    // paris's backup is dead, paris is not: nothing to do for it.
    assert_eq!(group(&o, "paris").status, GroupStatus::Home);
    let changes = changed(&before, &sb.routes());
    assert_eq!(changes.len(), BERLIN_MOVES + LYON_MOVES);
    for (_, dest, from, to) in &changes {
        let ok = (from == ATT_BERLIN_PRIMARY && to == ATT_BERLIN_BACKUP)
            || (from == ATT_LYON && to == ATT_PARIS);
        assert!(ok, "{dest}: {from} → {to}");
    }
    // The backup's own networks stayed with it; the VPN on the other TGW was not touched.
    sb.world(|w| assert_eq!(cidrs_on(w, ATT_BERLIN_BACKUP), 36 + 3));
    let emf = f.last_emf();
    assert_eq!(emf["GroupsDegraded"], 2);
    assert_eq!(emf["RoutesMoved"], BERLIN_MOVES + LYON_MOVES);
    let _ = VPN_BERLIN_BACKUP;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_notice_never_forces_a_failover() {
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(&sb, "health", "eu-west-1", &[]).await;
    // What the notice is about: one tunnel of paris is down.
    sb.tunnel(VPN_PARIS, Some(PARIS_TUNNEL), TunnelStatus::Down);
    let before = sb.routes();
    let o = f
        .invoke(fixture_at("health-single-tunnel.json", now()))
        .await
        .expect("notice");
    assert_eq!(o.moved(), 0);
    let paris = group(&o, "paris");
    assert_eq!(paris.status, GroupStatus::Home);
    assert_eq!(paris.members[0].health.tunnels_up, 1);
    assert_eq!(sb.routes(), before);
    let (_, state) = f.stored().await;
    assert!(
        state.signals.is_empty(),
        "a notice is not a signal: {:?}",
        state.signals
    );
    assert!(state.ledger.is_empty());
    assert!(f.subjects().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Operator invocations

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_actions_status_dry_run_failover_failback() {
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(&sb, "operator", "eu-west-1", &[]).await;
    let start = sb.routes();

    let o = f.invoke(json!({"action": "status"})).await.expect("status");
    assert!(o.dry_run || o.planned() == 0);
    assert_eq!(o.groups().count(), 3);
    assert_eq!(sb.writes(), 0);

    let o = f
        .invoke(json!({"action": "failover", "group": "paris", "dryRun": true}))
        .await
        .expect("dry run");
    assert!(o.dry_run);
    assert_eq!((o.planned(), o.moved()), (PARIS_MOVES, 0));
    assert_eq!(sb.routes(), start);

    let o = f
        .invoke(json!({"action": "failover", "group": "paris"}))
        .await
        .expect("failover");
    assert_eq!(o.moved(), PARIS_MOVES);
    assert_moved_between(
        &changed(&start, &sb.routes()),
        PARIS_MOVES,
        ATT_PARIS,
        ATT_LYON,
    );

    let o = f
        .invoke(json!({"action": "failback", "group": "paris"}))
        .await
        .expect("failback");
    assert_eq!(o.moved(), PARIS_MOVES);
    assert_eq!(sb.routes(), start);

    let e = error_of(
        f.invoke(json!({"action": "failover", "group": "rome"}))
            .await,
    );
    assert_eq!(e.error_type(), "NotRetryable.UnknownGroup");
    assert!(
        e.message().contains("rome") && e.message().contains("paris"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_table_only_reads_run() {
    let sb = Sandbox::start(world()).await;
    let config = Config::from_lookup(&|_| None).expect("config");
    let backend = tgw_ha::lambda::AwsBackend::new(moto::sdk_config_in("eu-west-1").await, &config)
        .with_ec2_endpoint(Some(sb.url.clone()));
    let handler = Handler::new(config, Arc::new(backend)).with_emf(EmfSink::Off);

    let o = invoke(&handler, json!({"action": "status"}), "r1")
        .await
        .expect("status reads");
    assert_eq!(o.groups().count(), 3);
    let e = error_of(
        invoke(
            &handler,
            fixture_at("reference-transformer.json", now()),
            "r2",
        )
        .await,
    );
    assert_eq!(e.error_type(), "NotRetryable.Config");
    assert!(e.message().contains("TGW_HA_TABLE"), "{e}");
    assert_eq!(sb.writes(), 0);
}

// ---------------------------------------------------------------------------------------------
// Bad input

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

// ---------------------------------------------------------------------------------------------
// A partly failed run

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_moves_are_a_retryable_incomplete_error_with_a_summary() {
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(&sb, "incomplete", "eu-west-1", &[]).await;
    let start = sb.routes();
    // EC2 refuses two route replacements for good (no retry helps within the run).
    sb.state
        .patch_faults(tgw_ha_sim::sandbox::FaultsPatch {
            fail: Some(vec![tgw_ha_sim::FailRule::new(
                "ReplaceTransitGatewayRoute",
                2,
                tgw_ha_sim::FailKind::AccessDenied,
            )]),
            ..Default::default()
        })
        .expect("faults");

    let event = fixture_at("reference-transformer.json", now());
    let e = error_of(f.invoke(event.clone()).await);
    assert_eq!(e.error_type(), "Retryable.Incomplete", "{e}");
    assert!(e.is_retryable());
    let m = e.message();
    assert!(m.starts_with("2 of 33 moves failed"), "{m}");
    assert!(m.contains("moved 31 of 33; failed:"), "{m}");
    assert!(m.contains("access denied") && m.contains(ATT_LYON), "{m}");
    let outcome = e.outcome().expect("the outcome of the partial run");
    assert_eq!((outcome.moved(), outcome.failed()), (31, 2));
    let emf = f.last_emf();
    assert_eq!(
        (emf["RoutesMoved"].clone(), emf["MoveFailures"].clone()),
        (json!(31), json!(2))
    );
    assert_eq!(changed(&start, &sb.routes()).len(), 31);
    // The ledger owns exactly the routes that moved.
    let (_, state) = f.stored().await;
    assert_eq!(state.ledger.len(), 31);

    // Lambda's retry (the fault spent) finishes the job.
    let o = f.invoke(event).await.expect("retry");
    assert_eq!(o.moved(), 2);
    assert_moved_between(
        &changed(&start, &sb.routes()),
        PARIS_MOVES,
        ATT_PARIS,
        ATT_LYON,
    );
    assert_eq!(f.stored().await.1.ledger.len(), PARIS_MOVES);
}

// ---------------------------------------------------------------------------------------------
// Concurrency

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_concurrent_downs_on_one_tgw_one_applies_the_others_leave_it_their_signal() {
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(&sb, "concurrent", "eu-west-1", &[]).await;
    let gate = Gate::closed();
    // EC2 writes wait at a gate: the first handler to hold the lease stays in its moves until
    // the test opens it, so that every other one meets the lease.
    let backend = Gated::new(f.handler.config(), &sb.url, &gate).await;
    let handler = Arc::new(
        Handler::new(f.handler.config().clone(), Arc::new(backend)).with_emf(EmfSink::Off),
    );
    let start = sb.routes();
    let event = fixture_at("reference-transformer.json", now());

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for i in 0..10 {
        let handler = handler.clone();
        let event = event.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let r = invoke(&handler, event, &format!("request-{i}")).await;
            let _ = tx.send(r);
        });
    }
    drop(tx);
    // Nine meet the holder's lease: a DOWN is not lost to it (stored for the holder, or known
    // already), and no invocation fails: nothing for Lambda to retry.
    let mut results = Vec::new();
    let collect = async {
        while let Some(r) = rx.recv().await {
            let o = r
                .unwrap_or_else(|e| panic!("no handler error: {} {}", e.error_type(), e.message()));
            results.push(o);
            if results.len() == 9 {
                // Everyone but the holder has met the lease: let the holder move.
                gate.open();
            }
        }
    };
    if tokio::time::timeout(Duration::from_secs(120), collect)
        .await
        .is_err()
    {
        gate.open();
        panic!("handlers did not finish: {} answered", results.len());
    }

    assert_eq!(results.len(), 10);
    let (applied, met_lease): (Vec<_>, Vec<_>) = results.iter().partition(|o| o.moved() > 0);
    assert_eq!(applied.len(), 1);
    assert_eq!(applied[0].moved(), PARIS_MOVES);
    assert_eq!(met_lease.len(), 9);
    for o in &met_lease {
        let notes = o.notes.join("; ");
        assert!(
            notes.contains(&format!("another run holds the lease on {TGW}")),
            "{notes}"
        );
        assert!(
            notes.contains("signal stored") || notes.contains("already known"),
            "{notes}"
        );
    }
    assert_moved_between(
        &changed(&start, &sb.routes()),
        PARIS_MOVES,
        ATT_PARIS,
        ATT_LYON,
    );
    let (_, state) = f.stored().await;
    assert_eq!(state.ledger.len(), PARIS_MOVES);
    assert_eq!(f.subjects().len(), 1);

    // The lease was released: the same event again runs (and has nothing left to do).
    let o = invoke(&handler, event, "again").await.expect("again");
    assert_eq!(o.moved(), 0);
}

// ---------------------------------------------------------------------------------------------
// Every fixture verbatim, on the sim's virtual clock

/// The sim's network and clock, with the ledger and lease in moto's DynamoDB and notifications
/// in moto's SNS; records the Region each invocation asked EC2 for.
struct SimBackend {
    sim: Sim,
    store: Arc<DynamoStore>,
    notifier: Arc<SnsNotifier>,
    regions: Mutex<Vec<Option<String>>>,
}

impl Backend for SimBackend {
    fn ports(&self, region: Option<&str>) -> Result<Ports, tgw_ha_engine::ServiceError> {
        self.regions.lock().unwrap().push(region.map(str::to_owned));
        let mut p = self.sim.ports();
        p.store = self.store.clone();
        p.lease = self.store.clone();
        p.notifier = self.notifier.clone();
        Ok(p)
    }
    fn has_ledger(&self) -> bool {
        true
    }
    fn clock(&self) -> Arc<dyn Clock> {
        self.sim.clock.clone()
    }
}

async fn sim_handler(name: &str, vars: &[(&str, &str)]) -> (Handler, Arc<SimBackend>, String) {
    let table = table(name, "eu-west-1").await;
    let topic = topic(name, "eu-west-1").await;
    let sdk = moto::sdk_config_in("eu-west-1").await;
    let backend = Arc::new(SimBackend {
        sim: Sim::new(world()),
        store: Arc::new(DynamoStore::new(tgw_ha_aws::dynamodb_client(&sdk), &table)),
        notifier: Arc::new(SnsNotifier::new(tgw_ha_aws::sns_client(&sdk), &topic)),
        regions: Mutex::default(),
    });
    let mut all = vec![("TGW_HA_TABLE".to_owned(), table)];
    all.extend(vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let config = Config::from_lookup(&|k| {
        all.iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
    })
    .expect("config");
    let handler = Handler::new(config, backend.clone()).with_emf(EmfSink::Off);
    (handler, backend, topic)
}

fn set_clock(b: &SimBackend, t: &str) {
    let t: Timestamp = t.parse().expect("time");
    b.sim.virtual_clock.as_ref().expect("virtual clock").set(t);
}

/// What each fixture does on a fresh world (every tunnel UP for two weeks), handled a few
/// seconds after it was sent: the table of `docs/lambda.md`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_fixture_verbatim_on_a_healthy_world() {
    // (fixture, Ok(routes moved) or Err(errorType), EC2 Region asked for)
    let expected: &[(&str, Result<usize, &str>, Option<&str>)] = &[
        ("alarm-state-alarm.json", Ok(PARIS_MOVES), Some("eu-west-1")),
        (
            "alarm-state-insufficient-data.json",
            Ok(0),
            Some("eu-west-1"),
        ),
        (
            "alarm-state-metric-math.json",
            Ok(LYON_MOVES),
            Some("eu-west-1"),
        ),
        ("alarm-state-ok.json", Ok(0), Some("eu-west-1")),
        ("alarm-state-other-namespace.json", Ok(0), None),
        ("health-single-tunnel.json", Ok(0), None),
        ("netmgr-ipsec-down.json", Ok(0), Some("eu-west-1")),
        ("netmgr-ipsec-up-legacy.json", Ok(0), Some("eu-west-1")),
        ("netmgr-route-uninstalled.json", Ok(0), Some("eu-west-1")),
        ("reference-transformer.json", Ok(PARIS_MOVES), None),
        ("scheduled.json", Ok(0), Some("eu-west-1")),
    ];
    assert_eq!(
        expected.iter().map(|e| e.0).collect::<Vec<_>>(),
        FIXTURES,
        "every fixture has a row"
    );
    for (i, (name, want, region)) in expected.iter().enumerate() {
        let (handler, backend, _) = sim_handler(&format!("verbatim-{i}"), &[]).await;
        let event = fixture(name);
        let at = event_time(&event) + chrono::Duration::seconds(5);
        set_clock(&backend, &at.to_rfc3339());
        let got = invoke(&handler, event, name)
            .await
            .map(|o| o.moved())
            .map_err(|e| e.error_type());
        let want = want.map_err(str::to_owned);
        assert_eq!(got, want, "{name}");
        let asked: Vec<Option<String>> = backend.regions.lock().unwrap().clone();
        if name.contains("other-namespace") {
            // Ignored before any port is built.
            assert!(asked.iter().all(|r| r.is_none()), "{name}: {asked:?}");
        } else {
            assert_eq!(asked, [region.map(str::to_owned)], "{name}");
        }
    }
}

/// The fixtures' own timeline (ALARM at 09:26:53, OK at 09:41:02.377) with the default
/// five-minute hold-down: failback happens at 09:46:02.377 and not a second before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixtures_timeline_fails_back_at_the_end_of_the_default_hold_down() {
    let (handler, backend, topic) = sim_handler("timeline", &[("TGW_HA_FAILBACK", "true")]).await;
    let on_paris = || {
        backend
            .sim
            .world()
            .routes_to(&AttachmentId::new(ATT_PARIS))
            .count()
    };

    set_clock(&backend, "2026-03-14T09:26:55Z");
    let o = invoke(&handler, fixture("alarm-state-alarm.json"), "alarm")
        .await
        .expect("alarm");
    assert_eq!(o.moved(), PARIS_MOVES);
    assert_eq!(on_paris(), 0);

    set_clock(&backend, "2026-03-14T09:41:05Z");
    let o = invoke(&handler, fixture("alarm-state-ok.json"), "ok")
        .await
        .expect("ok");
    assert_eq!(o.moved(), 0);
    let primary = &group(&o, "paris").members[0];
    assert_eq!(
        primary.health.stable_at.map(|t| t.to_rfc3339()),
        Some("2026-03-14T09:46:02.377+00:00".to_owned())
    );

    set_clock(&backend, "2026-03-14T09:46:02Z");
    let o = invoke(&handler, fixture("scheduled.json"), "sweep-1")
        .await
        .expect("sweep");
    assert_eq!(o.moved(), 0, "0.377 s before the end of the hold-down");

    set_clock(&backend, "2026-03-14T09:46:03Z");
    let o = invoke(&handler, fixture("alarm-state-ok.json"), "ok-again")
        .await
        .expect("ok again");
    assert_eq!(o.moved(), PARIS_MOVES);
    assert_eq!(group(&o, "paris").status, GroupStatus::FailingBack);
    assert_eq!(on_paris(), 32);
    let sent = subjects(&topic);
    assert_eq!(sent.len(), 2, "{sent:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_sweep_syncs_one_alarm_per_member_vpn_when_enabled() {
    let sb = Sandbox::start(world()).await;
    let prefix = "tgw-ha-sweep-";
    let f = aws_handler(
        &sb,
        "alarmsync",
        "eu-west-1",
        &[
            ("TGW_HA_ALARM_SYNC", "true"),
            ("TGW_HA_ALARM_PREFIX", prefix),
        ],
    )
    .await;
    let o = f
        .invoke(fixture_at("scheduled.json", now()))
        .await
        .expect("sweep");
    assert!(
        o.notes.iter().any(|n| n.starts_with("alarm sync: ")),
        "{:?}",
        o.notes
    );
    let cw = tgw_ha_aws::cloudwatch_client(&common::moto::sdk_config_in("eu-west-1").await);
    let alarms = cw
        .describe_alarms()
        .alarm_name_prefix(prefix)
        .send()
        .await
        .expect("describe alarms");
    let mut names: Vec<String> = alarms
        .metric_alarms()
        .iter()
        .filter_map(|a| a.alarm_name().map(str::to_owned))
        .collect();
    names.sort();
    // Every member VPN of a valid group (paris, lyon, berlin's three), and not the partner VPN.
    let mut expected: Vec<String> = [
        VPN_PARIS,
        VPN_LYON,
        VPN_BERLIN_PRIMARY,
        VPN_BERLIN_BACKUP,
        tgw_ha_sim::demo_world::VPN_BERLIN_BACKUP2,
    ]
    .iter()
    .map(|v| format!("{prefix}{v}"))
    .collect();
    expected.sort();
    assert_eq!(names, expected);

    // Without the setting, a sweep leaves alarms alone.
    let g = aws_handler(&sb, "alarmsync-off", "eu-west-1", &[]).await;
    let o = g
        .invoke(fixture_at("scheduled.json", now()))
        .await
        .expect("sweep");
    assert!(
        !o.notes.iter().any(|n| n.contains("alarm sync")),
        "{:?}",
        o.notes
    );
}
