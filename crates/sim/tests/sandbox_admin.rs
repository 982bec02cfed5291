//! The admin API: the world as a scenario, tunnels, the clock (ageing), calls.

mod sandbox_common;

use sandbox_common::{admin_get, admin_post, ec2, request, start};
use serde_json::json;
use tgw_ha_core::Timestamp;
use tgw_ha_core::ids::{AttachmentId, GroupName, RouteTableId, TgwId, VpnId};
use tgw_ha_core::model::{Destination, RouteKey, TunnelStatus};
use tgw_ha_core::state::{GroupState, LedgerEntry, TgwState};
use tgw_ha_sim::demo_world::{self as demo, demo_world};
use tgw_ha_sim::sandbox::time::real_now;
use tgw_ha_sim::world::lock;
use tgw_ha_sim::{LeaseRecord, World};

fn secs(a: Timestamp, b: Timestamp) -> i64 {
    (a - b).num_seconds()
}

#[tokio::test]
async fn world_is_served_on_the_real_clock() {
    let sb = start(demo_world()).await;
    let r = admin_get(sb.local_addr(), "/_sandbox/world").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let w = World::from_json_str(&r.body).expect("a scenario file");
    assert_eq!(w.now(), None, "no virtual time: the real clock");
    let age = demo::start() - demo::up_since();
    let t = w.vpn_connections[0].tunnels[0].last_status_change;
    assert!(
        (secs(real_now(), t) - age.num_seconds()).abs() < 5,
        "ages kept: {t}"
    );
    assert_eq!(w.routes.len(), demo_world().routes.len());
}

#[tokio::test]
async fn tunnels_change_and_date_their_change_now() {
    let sb = start(demo_world()).await;
    let a = sb.local_addr();
    let r = admin_post(
        a,
        "/_sandbox/tunnels",
        json!({"vpn_id": demo::VPN_PARIS, "status": "DOWN"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["tunnels"][0]["status"], "DOWN");
    let r = ec2(
        a,
        "DescribeVpnConnections",
        &[("VpnConnectionId.1", demo::VPN_PARIS)],
    )
    .await;
    assert_eq!(r.all("status"), ["DOWN", "DOWN"]);
    assert_eq!(r.all("statusMessage"), ["IPSEC IS DOWN", "IPSEC IS DOWN"]);
    let t: Timestamp = r.one("lastStatusChange").unwrap().parse().unwrap();
    assert!(secs(real_now(), t).abs() < 5);

    let r = admin_post(
        a,
        "/_sandbox/tunnels",
        json!({"vpn_id": demo::VPN_PARIS, "status": "UP", "outside_ip": "203.0.113.11"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = ec2(
        a,
        "DescribeVpnConnections",
        &[("VpnConnectionId.1", demo::VPN_PARIS)],
    )
    .await;
    assert_eq!(r.all("status"), ["UP", "DOWN"]);

    let r = admin_post(
        a,
        "/_sandbox/tunnels",
        json!({"vpn_id": "vpn-nope", "status": "UP"}),
    )
    .await;
    assert_eq!(r.status, 404);
    assert!(r.json()["error"].as_str().unwrap().contains("vpn-nope"));
    let r = admin_post(
        a,
        "/_sandbox/tunnels",
        json!({"vpn_id": demo::VPN_PARIS, "status": "UP", "outside_ip": "192.0.2.1"}),
    )
    .await;
    assert_eq!(r.status, 404);
    let r = admin_post(
        a,
        "/_sandbox/tunnels",
        json!({"vpn_id": demo::VPN_PARIS, "status": "SIDEWAYS"}),
    )
    .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn advancing_the_clock_ages_every_timestamp() {
    let sb = start(demo_world()).await;
    let a = sb.local_addr();
    let tgw = TgwId::new(demo::TGW);
    let then = real_now();
    {
        let mut w = lock(sb.world());
        w.set_tunnel(&VpnId::new(demo::VPN_LYON), None, TunnelStatus::Down, then)
            .unwrap();
        let key = RouteKey {
            table: RouteTableId::new(demo::RTB_PROD),
            destination: Destination::Cidr("10.10.0.0/24".into()),
        };
        let mut state = TgwState::default();
        state.ledger.push(LedgerEntry {
            key,
            group: GroupName::new("paris"),
            home: AttachmentId::new(demo::ATT_PARIS),
            current: AttachmentId::new(demo::ATT_LYON),
            moved_at: then,
            decision: "failover".into(),
        });
        state.groups.insert(
            GroupName::new("paris"),
            GroupState {
                last_switch: Some(then),
                ..Default::default()
            },
        );
        w.state.insert(tgw.clone(), state);
        w.leases.insert(
            tgw.clone(),
            LeaseRecord {
                owner: "x".into(),
                expires: then,
            },
        );
    }
    let r = admin_post(a, "/_sandbox/clock", json!({"advance_seconds": 301})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["aged_seconds"], 301);
    let w = lock(sb.world()).clone();
    let lyon = w.vpn(&VpnId::new(demo::VPN_LYON)).unwrap();
    assert_eq!(secs(then, lyon.tunnels[0].last_status_change), 301);
    let s = &w.state[&tgw];
    assert_eq!(secs(then, s.ledger[0].moved_at), 301);
    assert_eq!(
        secs(
            then,
            s.groups[&GroupName::new("paris")].last_switch.unwrap()
        ),
        301
    );
    assert_eq!(secs(then, w.leases[&tgw].expires), 301);

    let r = admin_post(a, "/_sandbox/clock", json!({"advance": 1})).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn a_world_can_be_replaced_and_unknown_paths_are_404() {
    let sb = start(demo_world()).await;
    let a = sb.local_addr();
    let mut w = demo_world();
    w.routes.truncate(3);
    let r = request(
        a,
        "PUT",
        "/_sandbox/world",
        &[("Content-Type", "application/json")],
        &w.to_json_pretty(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(lock(sb.world()).routes.len(), 3);
    assert_eq!(lock(sb.world()).now(), None, "rebased");
    let r = request(
        a,
        "PUT",
        "/_sandbox/world",
        &[],
        "{\"routes\": [{\"table\": \"nope\"}]}",
    )
    .await;
    assert_eq!(r.status, 400);
    let r = admin_get(a, "/_sandbox/nothing").await;
    assert_eq!(r.status, 404);
    assert!(r.json()["error"].is_string());
}
