//! Throttling and faults: EC2's token buckets per action, the admin API's fault knobs, the
//! scenario's scripted failures, latency. A refused call never changes the world.

mod sandbox_common;

use sandbox_common::{admin_get, admin_post, ec2, start, start_with};
use serde_json::json;
use std::time::Duration;
use tgw_ha_sim::demo_world::{self as demo, demo_world};
use tgw_ha_sim::sandbox::{Limits, SandboxCalls, SandboxConfig};
use tokio::time::Instant;

const NOOP_REPLACE: [(&str, &str); 3] = [
    ("TransitGatewayRouteTableId", demo::RTB_PROD),
    ("DestinationCidrBlock", "10.10.0.0/24"),
    ("TransitGatewayAttachmentId", demo::ATT_PARIS),
];

#[tokio::test]
async fn aws_limits_throttle_each_action_from_its_own_bucket() {
    let sb = start_with(SandboxConfig::new(demo_world()).limits(Limits::Aws)).await;
    let a = sb.local_addr();
    let mut admitted = 0;
    let mut throttled = 0;
    for _ in 0..70 {
        let r = ec2(a, "ReplaceTransitGatewayRoute", &NOOP_REPLACE).await;
        match r.status {
            200 => admitted += 1,
            503 => {
                assert_eq!(r.code(), "RequestLimitExceeded");
                assert!(
                    r.body
                        .contains("<Response><Errors><Error><Code>RequestLimitExceeded</Code>")
                );
                throttled += 1;
            }
            s => panic!("unexpected {s}: {}", r.body),
        }
    }
    // 50 burst, plus what refills (5/s) while the calls run.
    assert!((50..=60).contains(&admitted), "admitted {admitted}");
    assert_eq!(admitted + throttled, 70);
    // Another mutating action has its own full bucket; reads too.
    let r = ec2(
        a,
        "CreateTransitGatewayRoute",
        &[
            ("TransitGatewayRouteTableId", demo::RTB_PROD),
            ("DestinationCidrBlock", "10.251.0.0/16"),
            ("Blackhole", "true"),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let reads = futures::future::join_all(
        (0..120).map(|_| ec2(a, "DescribeTransitGatewayRouteTables", &[])),
    )
    .await;
    let ok = reads.iter().filter(|r| r.status == 200).count();
    assert!((100..=110).contains(&ok), "read burst 100: {ok}");

    let calls: SandboxCalls =
        serde_json::from_value(admin_get(a, "/_sandbox/calls").await.json()).unwrap();
    assert_eq!(calls.calls_of("ReplaceTransitGatewayRoute"), 70);
    assert_eq!(calls.throttled_of("ReplaceTransitGatewayRoute"), throttled);
    assert_eq!(
        calls.throttled_of("DescribeTransitGatewayRouteTables"),
        120 - ok as u64
    );
    assert_eq!(calls.total, 70 + 1 + 120);

    // Limits off at run time: nothing is throttled any more.
    let r = admin_post(a, "/_sandbox/faults", json!({"limits": "none"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["limits"], "none");
    for _ in 0..20 {
        assert_eq!(
            ec2(a, "ReplaceTransitGatewayRoute", &NOOP_REPLACE)
                .await
                .status,
            200
        );
    }
    let r = admin_get(a, "/_sandbox/calls").await;
    assert_eq!(r.status, 200);
    let r = sandbox_common::request(a, "DELETE", "/_sandbox/calls", &[], "").await;
    assert_eq!(r.json()["total"], 0);
}

#[tokio::test]
async fn no_limits_never_throttle() {
    let sb = start(demo_world()).await;
    let a = sb.local_addr();
    let replies = futures::future::join_all(
        (0..150).map(|_| ec2(a, "ReplaceTransitGatewayRoute", &NOOP_REPLACE)),
    )
    .await;
    assert!(replies.iter().all(|r| r.status == 200));
}

#[tokio::test]
async fn injected_faults_refuse_without_changing_the_world() {
    let sb = start(demo_world()).await;
    let a = sb.local_addr();
    let before = tgw_ha_sim::world::lock(sb.world()).clone();
    let moved = [
        ("TransitGatewayRouteTableId", demo::RTB_PROD),
        ("DestinationCidrBlock", "10.10.0.0/24"),
        ("TransitGatewayAttachmentId", demo::ATT_LYON),
    ];

    let r = admin_post(a, "/_sandbox/faults", json!({"error_rate": 1.0})).await;
    assert_eq!(r.json()["error_rate"], 1.0);
    let r = ec2(a, "ReplaceTransitGatewayRoute", &moved).await;
    assert_eq!((r.status, r.code()), (500, "InternalError".into()));

    admin_post(a, "/_sandbox/faults", json!({"error_rate": 0.0, "throttle_rate": 1.0, "throttle_ops": ["ReplaceTransitGatewayRoute"]})).await;
    let r = ec2(a, "ReplaceTransitGatewayRoute", &moved).await;
    assert_eq!((r.status, r.code()), (503, "RequestLimitExceeded".into()));
    assert_eq!(
        ec2(a, "DescribeVpnConnections", &[]).await.status,
        200,
        "other actions pass"
    );

    admin_post(
        a,
        "/_sandbox/faults",
        json!({
            "throttle_rate": 0.0,
            "fail": [{"op": "ReplaceTransitGatewayRoute", "count": 2, "error": "unavailable"},
                     {"op": "ModifyTransitGatewayPrefixListReference", "error": "access_denied"}]
        }),
    )
    .await;
    assert_eq!(
        tgw_ha_sim::world::lock(sb.world()).routes,
        before.routes,
        "nothing moved so far"
    );
    for _ in 0..2 {
        let r = ec2(a, "ReplaceTransitGatewayRoute", &moved).await;
        assert_eq!((r.status, r.code()), (503, "Unavailable".into()));
    }
    let r = ec2(
        a,
        "ModifyTransitGatewayPrefixListReference",
        &[
            ("TransitGatewayRouteTableId", demo::RTB_PROD),
            ("PrefixListId", demo::PL_PARIS_OFFICES),
            ("TransitGatewayAttachmentId", demo::ATT_LYON),
        ],
    )
    .await;
    assert_eq!((r.status, r.code()), (403, "UnauthorizedOperation".into()));
    let r = ec2(a, "ReplaceTransitGatewayRoute", &moved).await;
    assert_eq!(r.status, 200, "the rules are used up: {}", r.body);

    let bad = admin_post(a, "/_sandbox/faults", json!({"error_rate": 2.0})).await;
    assert_eq!(bad.status, 400);
    let bad = admin_post(a, "/_sandbox/faults", json!({"bogus": 1})).await;
    assert_eq!(bad.status, 400);
    let calls: SandboxCalls =
        serde_json::from_value(admin_get(a, "/_sandbox/calls").await.json()).unwrap();
    assert_eq!(calls.throttled_of("ReplaceTransitGatewayRoute"), 1);
    assert_eq!(calls.failed.get("ReplaceTransitGatewayRoute"), Some(&3));
}

#[tokio::test]
async fn latency_is_added_to_every_call() {
    // Real time, 150 ms once: the sandbox's latency is a real sleep (its clients read the real
    // clock), and a margin well above a local round trip keeps the call without it (< 150 ms)
    // apart on a loaded machine.
    let sb = start_with(
        SandboxConfig::new(demo_world())
            .limits(Limits::None)
            .latency_ms(150),
    )
    .await;
    let a = sb.local_addr();
    let t = Instant::now();
    assert_eq!(ec2(a, "DescribeVpnConnections", &[]).await.status, 200);
    assert!(t.elapsed() >= Duration::from_millis(150));
    admin_post(a, "/_sandbox/faults", json!({"latency_ms": 0})).await;
    let t = Instant::now();
    assert_eq!(ec2(a, "DescribeVpnConnections", &[]).await.status, 200);
    assert!(t.elapsed() < Duration::from_millis(150));
}

#[tokio::test]
async fn scenario_faults_are_armed_and_shown() {
    let mut w = demo_world();
    w.faults = Some(tgw_ha_sim::Faults {
        latency_ms: 5,
        fail: vec![tgw_ha_sim::FailRule::new(
            "DescribeVpnConnections",
            1,
            tgw_ha_sim::FailKind::Throttled,
        )],
        ..Default::default()
    });
    let sb = start(w).await;
    let a = sb.local_addr();
    let f = admin_get(a, "/_sandbox/faults").await.json();
    assert_eq!(f["latency_ms"], 5);
    assert_eq!(f["fail"][0]["op"], "DescribeVpnConnections");
    assert_eq!(
        ec2(a, "DescribeVpnConnections", &[]).await.code(),
        "RequestLimitExceeded"
    );
    assert_eq!(ec2(a, "DescribeVpnConnections", &[]).await.status, 200);
    let world = admin_get(a, "/_sandbox/world").await.json();
    assert_eq!(world["faults"]["latency_ms"], 5);
    assert!(
        world["faults"].get("fail").is_none(),
        "used up: {}",
        world["faults"]
    );
}
