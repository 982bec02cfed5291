//! Issue 10 §1 through the Lambda handler: `{"action": "watch"}` watches until the invocation's
//! deadline less the engine's margin (a short deadline here: one poll, no real waiting), in
//! every owned Region at once; a second invocation meets the watch lease and returns at once
//! with a note; what a watch cannot do is refused before anything is read. EC2 through the real
//! SDK against the sandbox, the ledger and leases in moto's DynamoDB, on 127.0.0.1.
#![cfg(feature = "aws")]

mod common;

use common::*;
use serde_json::json;
use std::time::Duration;
use tgw_ha::lambda::watch::WatchResponse;
use tgw_ha::lambda::{Handler, HandlerError, Invocation};
use tgw_ha_aws::DynamoStore;
use tgw_ha_core::ids::TgwId;
use tgw_ha_core::model::TunnelStatus;
use tgw_ha_engine::ports::Lease;
use tgw_ha_engine::scoped::scoped_key;
use tgw_ha_engine::watch::{WATCH_LEASE_KEY, WatchEnd};
use tgw_ha_sim::demo_world::{ATT_LYON, ATT_PARIS, VPN_PARIS};

const PARIS_MOVES: usize = 32 + 1;
/// The engine's deadline margin: the watch polls until this long before the deadline.
const MARGIN_S: i64 = 10;

fn invocation(request_id: &str, deadline_in_s: i64) -> Invocation {
    Invocation {
        request_id: request_id.into(),
        function_name: "tgw-ha-test".into(),
        deadline: Some(now() + chrono::Duration::seconds(deadline_in_s)),
    }
}

async fn watch(handler: &Handler, event: serde_json::Value, inv: &Invocation) -> WatchResponse {
    let v = handler.handle(event, inv).await.expect("watched");
    serde_json::from_value(v).expect("a watch response")
}

async fn lease(table: &str, region: &str) -> DynamoStore {
    DynamoStore::new(
        tgw_ha_aws::dynamodb_client(&moto::sdk_config_in(region).await),
        table,
    )
}

fn watch_key() -> TgwId {
    TgwId::new(WATCH_LEASE_KEY)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_invocation_acts_on_a_dead_primary_and_ends_before_its_deadline() {
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(&sb, "watch-once", "eu-west-1", &[]).await;
    sb.tunnel(VPN_PARIS, None, TunnelStatus::Down);
    let before = sb.routes();

    // 3 s of watching: the first poll (a sweep), then the next one would start within the
    // margin of the deadline, so the invocation returns.
    let inv = invocation("watch-1", MARGIN_S + 3);
    let started = now();
    let r = watch(&f.handler, json!({"action": "watch"}), &inv).await;
    assert!(
        now() < started + chrono::Duration::seconds(3),
        "returned in time"
    );
    assert_eq!(r.regions.len(), 1, "{r:#?}");
    assert_eq!(r.regions[0].region.as_deref(), Some("eu-west-1"));
    let s = r.regions[0].summary.as_ref().expect("watched");
    assert_eq!((s.polls, s.runs, s.moves), (1, 1, PARIS_MOVES), "{s:#?}");
    assert_eq!(s.end, WatchEnd::Deadline);
    assert_eq!(s.owner, inv.owner());
    assert!(s.finished_at <= inv.deadline.unwrap() - chrono::Duration::seconds(MARGIN_S));

    let moved = changed(&before, &sb.routes());
    assert_eq!(moved.len(), PARIS_MOVES);
    assert!(
        moved
            .iter()
            .all(|(_, _, from, to)| from == ATT_PARIS && to == ATT_LYON)
    );
    // The run was reported as it happened: its EMF document (the sweep's heartbeat too).
    let docs = f.emf.lock().unwrap().clone();
    let run = docs
        .iter()
        .find(|d| d["RoutesMoved"] == PARIS_MOVES)
        .unwrap_or_else(|| panic!("no EMF document of the run: {docs:#?}"));
    assert_eq!(run["SweepCompleted"], 1);
    assert!(
        f.subjects().iter().any(|s| s.contains("paris")),
        "{:?}",
        f.subjects()
    );

    // The watch lease was released: another owner takes it at once.
    let l = lease(&f.table, "eu-west-1").await;
    assert!(
        l.acquire(&watch_key(), "someone", Duration::from_secs(5), now())
            .await
            .expect("lease")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_watch_meets_the_lease_and_returns_at_once_with_a_note() {
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(&sb, "watch-busy", "eu-west-1", &[]).await;
    let l = lease(&f.table, "eu-west-1").await;
    assert!(
        l.acquire(
            &watch_key(),
            "lambda:tgw-ha:holder",
            Duration::from_secs(900),
            now()
        )
        .await
        .expect("lease")
    );
    sb.tunnel(VPN_PARIS, None, TunnelStatus::Down);
    let before = sb.routes();

    let started = now();
    let inv = invocation("watch-2", 120);
    let r = watch(&f.handler, json!({"action": "watch"}), &inv).await;
    assert!(
        now() < started + chrono::Duration::seconds(2),
        "returned at once"
    );
    let w = &r.regions[0];
    assert!(w.summary.is_none(), "{r:#?}");
    assert!(
        w.note
            .as_deref()
            .is_some_and(|n| n.contains("another watcher")),
        "{r:#?}"
    );
    assert_eq!(sb.routes(), before, "the holder acts, not this one");
    assert_eq!(sb.writes(), 0);
    // The holder's lease is untouched.
    assert!(
        !l.acquire(&watch_key(), "someone", Duration::from_secs(5), now())
            .await
            .expect("lease")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_covers_every_owned_region_each_on_its_own_lease() {
    const HOME: &str = "eu-west-1";
    const OTHER: &str = "us-east-1";
    let TwoRegions {
        home,
        other,
        handler,
        table,
    } = two_regions("watch-regions", HOME, OTHER).await;
    other.tunnel(VPN_PARIS, None, TunnelStatus::Down);

    // The other Region's watch lease is held: only the home Region is watched.
    let l = lease(&table, HOME).await;
    let other_key = scoped_key(OTHER, &watch_key());
    assert!(
        l.acquire(&other_key, "holder", Duration::from_secs(900), now())
            .await
            .expect("lease")
    );
    let r = watch(
        &handler,
        json!({"action": "watch"}),
        &invocation("w", MARGIN_S + 3),
    )
    .await;
    let regions: Vec<_> = r
        .regions
        .iter()
        .map(|w| (w.region.clone().unwrap(), w.summary.is_some()))
        .collect();
    assert_eq!(
        regions,
        [(HOME.to_owned(), true), (OTHER.to_owned(), false)],
        "{r:#?}"
    );
    assert_eq!(other.writes(), 0);
    l.release(&other_key, "holder").await.expect("release");

    // Free: both Regions watched at once, each on its own lease; the other's dead primary moves.
    let r = watch(
        &handler,
        json!({"action": "watch"}),
        &invocation("w2", MARGIN_S + 3),
    )
    .await;
    assert!(r.regions.iter().all(|w| w.summary.is_some()), "{r:#?}");
    let moves: Vec<usize> = r
        .regions
        .iter()
        .map(|w| w.summary.as_ref().unwrap().moves)
        .collect();
    assert_eq!(moves, [0, PARIS_MOVES]);
    assert_eq!(home.writes(), 0);

    // Named: only that Region.
    let r = watch(
        &handler,
        json!({"action": "watch", "region": OTHER, "interval_seconds": 1}),
        &invocation("w3", MARGIN_S + 1),
    )
    .await;
    assert_eq!(r.regions.len(), 1);
    assert_eq!(r.regions[0].region.as_deref(), Some(OTHER));
    assert_eq!(r.regions[0].summary.as_ref().unwrap().interval_ms, 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_watch_cannot_do_is_refused_before_anything_is_read() {
    let sb = Sandbox::start(world()).await;
    let f = aws_handler(&sb, "watch-refused", "eu-west-1", &[]).await;
    let no_deadline = Invocation {
        deadline: None,
        ..invocation("r", 60)
    };
    let cases: [(serde_json::Value, &Invocation, &str); 4] = [
        (json!({"action": "watch"}), &no_deadline, "has none"),
        (
            json!({"action": "watch", "dryRun": true}),
            &invocation("r", 60),
            "no dry run",
        ),
        (
            json!({"action": "watch", "region": "ap-south-1"}),
            &invocation("r", 60),
            "not one of this deployment's regions",
        ),
        (
            json!({"action": "watch", "interval_seconds": 0}),
            &invocation("r", 60),
            "expected 1 to 60",
        ),
    ];
    for (event, inv, says) in cases {
        let err: HandlerError = match f.handler.handle(event.clone(), inv).await {
            Ok(v) => panic!("{event}: expected an error, got {v}"),
            Err(e) => e,
        };
        assert!(!err.is_retryable(), "{event}: {err}");
        assert!(err.to_string().contains(says), "{event}: {err}");
    }
    assert_eq!(sb.writes(), 0);
}
