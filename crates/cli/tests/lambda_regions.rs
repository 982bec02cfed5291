//! Issue 9 §1: one deployment owns a set of Regions (`TGW_HA_REGIONS`). Its sweep covers each
//! (EC2 in each Region: one sandbox per Region here), its state stays in its one table keyed
//! by Region and TGW, an event about a Region it does not own is declined (nothing read or
//! written), and an operator invoke names its Region. Real SDK, sandboxes and moto on
//! 127.0.0.1.
#![cfg(feature = "aws")]

mod common;

use common::*;
use serde_json::json;
use tgw_ha_aws::DynamoStore;
use tgw_ha_core::ids::TgwId;
use tgw_ha_core::model::TunnelStatus;
use tgw_ha_engine::ports::StateStore;
use tgw_ha_engine::scoped::scoped_key;
use tgw_ha_sim::demo_world::{ATT_LYON, ATT_PARIS, VPN_PARIS};

const HOME: &str = "eu-west-1";
const OTHER: &str = "us-east-1";
const PARIS_MOVES: usize = 32 + 1;

async fn stored(table: &str, key: &TgwId) -> tgw_ha_core::state::TgwState {
    let store = DynamoStore::new(
        tgw_ha_aws::dynamodb_client(&moto::sdk_config_in(HOME).await),
        table,
    );
    store.load(key).await.expect("load").value
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sweep_covers_every_owned_region_with_one_ledger_per_region_and_tgw() {
    let r = two_regions("two-region-sweep", HOME, OTHER).await;
    r.home.tunnel(VPN_PARIS, None, TunnelStatus::Down);
    r.other.tunnel(VPN_PARIS, None, TunnelStatus::Down);

    let o = invoke(&r.handler, fixture_at("scheduled.json", now()), "sweep")
        .await
        .expect("sweep");
    assert_eq!(o.moved(), 2 * PARIS_MOVES, "{o:#?}");
    assert_eq!(o.tgws.len(), 2);
    assert!(
        o.notes.iter().any(|n| n.contains("eu-west-1, us-east-1")),
        "{:?}",
        o.notes
    );
    for sb in [&r.home, &r.other] {
        sb.world(|w| {
            assert_eq!(cidrs_on(w, ATT_PARIS), 0);
            assert!(cidrs_on(w, ATT_LYON) > 28);
        });
    }
    // Each sandbox was spoken to only in its own Region.
    assert_eq!(r.home.take_regions(), [HOME]);
    assert_eq!(r.other.take_regions(), [OTHER]);

    // One table; the home Region's TGW under its bare id (as before Regions), the other's
    // under Region/TGW.
    let tgw = TgwId::new(TGW);
    let home_state = stored(&r.table, &tgw).await;
    let other_state = stored(&r.table, &scoped_key(OTHER, &tgw)).await;
    assert_eq!(home_state.ledger.len(), PARIS_MOVES);
    assert_eq!(other_state.ledger.len(), PARIS_MOVES);

    // Back up in one Region only: an operator failback there touches only that Region.
    r.other.tunnel(VPN_PARIS, None, TunnelStatus::Up);
    let o = invoke(
        &r.handler,
        json!({"action": "failback", "group": "paris", "region": OTHER}),
        "failback",
    )
    .await
    .expect("failback in us-east-1");
    assert_eq!(o.moved(), PARIS_MOVES);
    r.other.world(|w| assert_eq!(cidrs_on(w, ATT_PARIS), 32));
    r.home.world(|w| assert_eq!(cidrs_on(w, ATT_PARIS), 0));
    assert!(
        stored(&r.table, &scoped_key(OTHER, &tgw))
            .await
            .ledger
            .is_empty()
    );
    assert_eq!(stored(&r.table, &tgw).await.ledger.len(), PARIS_MOVES);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_about_a_region_it_does_not_own_is_declined_and_changes_nothing() {
    let r = two_regions("two-region-decline", HOME, OTHER).await;
    r.home.tunnel(VPN_PARIS, None, TunnelStatus::Down);
    let mut event = fixture_at("netmgr-ipsec-down.json", now());
    event["detail"]["region"] = json!("eu-central-1");
    let o = invoke(&r.handler, event, "nm")
        .await
        .expect("declined, not an error");
    assert_eq!(o.moved(), 0);
    assert!(
        o.notes
            .iter()
            .any(|n| n.contains("declined") && n.contains("eu-central-1")),
        "{:?}",
        o.notes
    );
    assert!(r.home.take_regions().is_empty(), "nothing read");
    assert!(r.other.take_regions().is_empty(), "nothing read");
    assert_eq!(r.home.writes() + r.other.writes(), 0);

    // An operator naming a Region it does not own: a clear error, nothing changed.
    let err = invoke(
        &r.handler,
        json!({"action": "reconcile", "region": "ap-south-1"}),
        "op",
    )
    .await
    .expect_err("not owned");
    assert_eq!(err.error_type(), "NotRetryable.Config");
    assert!(err.to_string().contains("ap-south-1"), "{err}");
    let err = invoke(
        &r.handler,
        json!({"action": "reconcile", "region": "../../etc"}),
        "op",
    )
    .await
    .expect_err("not a region");
    assert_eq!(err.error_type(), "NotRetryable.InvalidEvent");
    assert_eq!(r.home.writes() + r.other.writes(), 0);

    // The same event about an owned Region is acted on there.
    let mut event = fixture_at("netmgr-ipsec-down.json", now());
    event["detail"]["region"] = json!(HOME);
    invoke(&r.handler, event, "nm2").await.expect("acted on");
    assert_eq!(r.home.take_regions(), [HOME]);
    assert!(r.other.take_regions().is_empty());
}
