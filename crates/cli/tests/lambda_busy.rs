//! A busy TGW is not an error for a look, and a DOWN is never lost to a busy lease — through the
//! Lambda handler as the function builds it: EC2 through the real AWS SDK against the sandbox,
//! the ledger and lease in moto's DynamoDB, notifications in moto's SNS, on the real clock.
//!
//! Every route tgw-ha moves makes Network Manager emit a "Routing Update"; a 500-route failover
//! brings a stream of them while its own run holds the TGW's lease. None of them may fail (no
//! retry, no on-failure message, no `Errors` alarm), and a DOWN for another group arriving then
//! is acted on by the run holding the lease.
#![cfg(feature = "aws")]

mod common;

use common::*;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use tgw_ha::lambda::{EmfSink, Handler};
use tgw_ha_core::ids::{AttachmentId, RouteTableId};
use tgw_ha_core::planner::GroupStatus;
use tgw_ha_sim::demo_world::{
    ATT_BERLIN_BACKUP, ATT_BERLIN_PRIMARY, ATT_LYON, ATT_PARIS, RTB_PROD, VPN_BERLIN_PRIMARY,
    VPN_PARIS,
};
use tgw_ha_sim::sandbox::{FaultsPatch, Limits};
use tgw_ha_sim::{Gate, SimRoute};

/// Paris's routes: the demo's 32 static routes and 1 prefix-list reference, plus these.
const EXTRA_PARIS_ROUTES: usize = 467;
const PARIS_MOVES: usize = 33 + EXTRA_PARIS_ROUTES;
const BERLIN_MOVES: usize = 36 + 2;
const ROUTING_UPDATES: usize = 50;

/// The test world with paris owning 500 routes.
fn big_paris_world() -> tgw_ha_sim::World {
    let mut w = world();
    let table = RouteTableId::new(RTB_PROD);
    let paris = AttachmentId::new(ATT_PARIS);
    for i in 0..EXTRA_PARIS_ROUTES {
        let cidr = format!("100.64.{}.{}/32", i / 256, i % 256);
        w.routes
            .push(SimRoute::to_attachment(&table, &cidr, &paris));
    }
    w.validate().expect("a valid world");
    w
}

fn reference_down(vpn: &str) -> Value {
    json!({
        "vpnId": vpn,
        "downTS": now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_route_failover_meets_50_routing_updates_and_a_down_without_an_error() {
    let sb = Sandbox::start(big_paris_world()).await;
    // This test is about the lease, not EC2's budget (crates/engine/tests/deadline.rs is): no
    // token buckets in the sandbox, no pacing in the engine, so 538 moves take seconds.
    sb.state
        .patch_faults(FaultsPatch {
            limits: Some(Limits::None),
            ..FaultsPatch::default()
        })
        .expect("limits off");
    let f = aws_handler(&sb, "busy", "eu-west-1", &[]).await;
    let gate = Gate::closed();
    // Every EC2 write waits at the gate until the test opens it.
    let backend = Gated::new(f.handler.config(), &sb.url, &gate).await;
    let handler = Arc::new(
        Handler::new(f.handler.config().clone(), Arc::new(backend))
            .with_emf(EmfSink::Off)
            .with_executor(unpaced()),
    );
    let start = sb.routes();

    // The holder: paris DOWN, 500 moves; it takes the lease and waits at its first move.
    let holder = {
        let handler = handler.clone();
        tokio::spawn(async move { invoke(&handler, reference_down(VPN_PARIS), "holder").await })
    };
    let reached = async {
        while gate.waiting() == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(60), reached)
        .await
        .expect("the holder reaches its moves");

    // Meanwhile: 50 routing updates (the holder's own moves, as Network Manager reports them)
    // and a DOWN for berlin, all at once.
    let mut others = tokio::task::JoinSet::new();
    for i in 0..ROUTING_UPDATES {
        let handler = handler.clone();
        let event = fixture_at("netmgr-route-uninstalled.json", now());
        others.spawn(async move {
            (
                "routing update",
                invoke(&handler, event, &format!("route-{i}")).await,
            )
        });
    }
    {
        let handler = handler.clone();
        others.spawn(async move {
            (
                "berlin down",
                invoke(&handler, reference_down(VPN_BERLIN_PRIMARY), "berlin").await,
            )
        });
    }
    let mut answered = 0;
    let collect = async {
        while let Some(r) = others.join_next().await {
            let (what, r) = r.expect("joins");
            // No handler error: nothing for Lambda to retry, nothing for the on-failure queue.
            let o = r.unwrap_or_else(|e| panic!("{what}: {} {}", e.error_type(), e.message()));
            assert_eq!(o.moved(), 0, "{what} moved nothing itself");
            let note = o.notes.join("; ");
            assert!(
                note.contains(&format!("another run holds the lease on {TGW}")),
                "{what}: {note}"
            );
            if what == "berlin down" {
                assert!(note.contains("signal stored"), "{note}");
            } else {
                assert!(note.contains("sees the same world"), "{note}");
            }
            answered += 1;
        }
    };
    if tokio::time::timeout(Duration::from_secs(120), collect)
        .await
        .is_err()
    {
        gate.open();
        panic!("the other invocations did not answer while the holder waited");
    }
    assert_eq!(answered, ROUTING_UPDATES + 1);
    assert_eq!(
        sb.routes(),
        start,
        "nothing moved while the holder waited at its gate"
    );

    // The holder goes on: it fails paris over, finds berlin's DOWN stored meanwhile, and fails
    // berlin over in a second pass of the same run.
    gate.open();
    let o = tokio::time::timeout(Duration::from_secs(120), holder)
        .await
        .expect("the holder finishes")
        .expect("joins")
        .unwrap_or_else(|e| panic!("holder: {} {}", e.error_type(), e.message()));
    assert_eq!(o.moved(), PARIS_MOVES + BERLIN_MOVES, "{:?}", o.notes);
    assert_eq!(o.failed(), 0);
    assert_eq!(group(&o, "paris").status, GroupStatus::FailingOver);
    assert_eq!(group(&o, "berlin").status, GroupStatus::FailingOver);

    // Both groups converged: every route of each on its backup, the ledger owns them all.
    let moved = changed(&start, &sb.routes());
    assert_eq!(moved.len(), PARIS_MOVES + BERLIN_MOVES);
    for (table, dest, from, to) in &moved {
        assert!(
            (from == ATT_PARIS && to == ATT_LYON)
                || (from == ATT_BERLIN_PRIMARY && to == ATT_BERLIN_BACKUP),
            "{table} {dest}: {from} → {to}"
        );
    }
    sb.world(|w| {
        assert_eq!(cidrs_on(w, ATT_PARIS), 0);
        assert_eq!(cidrs_on(w, ATT_BERLIN_PRIMARY), 0);
    });
    let (_, state) = f.stored().await;
    assert_eq!(state.ledger.len(), PARIS_MOVES + BERLIN_MOVES);
    for v in [VPN_PARIS, VPN_BERLIN_PRIMARY] {
        assert!(
            state.signals.iter().any(|s| s.vpn.as_str() == v),
            "{v}: {:?}",
            state.signals
        );
    }
    let subjects = f.subjects();
    assert_eq!(
        subjects.len(),
        2,
        "one failover message per group: {subjects:?}"
    );

    // The lease was released: the next routing update reconciles and plans nothing.
    let o = invoke(
        &handler,
        fixture_at("netmgr-route-uninstalled.json", now()),
        "after",
    )
    .await
    .expect("a routing update after the failover");
    assert_eq!((o.planned(), o.moved()), (0, 0));
    assert!(o.notes.iter().all(|n| !n.contains("holds the lease")));
}
