//! The scenario file: JSON and TOML round trips, defaults, and refusal of a malformed file.

use tgw_ha_core::ids::{RouteTableId, TgwId, VpnId};
use tgw_ha_core::model::{RouteState, RouteType, TunnelStatus};
use tgw_ha_core::state::{LedgerEntry, TgwState};
use tgw_ha_sim::demo_world::{self as demo, demo_world};
use tgw_ha_sim::{FailKind, Faults, ScenarioError, World};

/// A scratch directory per test, removed when the test ends (even on failure).
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("tgw-ha-sim-{}-{test}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    fn path(&self, name: &str) -> std::path::PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The demo world with some persisted state and faults, so every field is exercised.
fn busy_world() -> World {
    let mut w = demo_world();
    let tgw = TgwId::new(demo::TGW);
    let mut st = TgwState::default();
    st.ledger.push(LedgerEntry {
        key: tgw_ha_core::model::RouteKey {
            table: RouteTableId::new(demo::RTB_PROD),
            destination: tgw_ha_core::model::Destination::Cidr("10.10.0.0/24".into()),
        },
        group: "paris".into(),
        home: demo::ATT_PARIS.into(),
        current: demo::ATT_LYON.into(),
        moved_at: demo::start(),
        decision: "failover".into(),
    });
    st.groups.insert("paris".into(), Default::default());
    w.state.insert(tgw.clone(), st);
    w.state_versions.insert(tgw.clone(), 3);
    w.leases.insert(
        tgw,
        tgw_ha_sim::LeaseRecord {
            owner: "lambda-1".into(),
            expires: demo::start(),
        },
    );
    let mut f = Faults {
        seed: 7,
        throttle_rate: 0.25,
        latency_ms: 40,
        crash_after_moves: Some(3),
        ..Faults::default()
    };
    f.fail.push(tgw_ha_sim::FailRule::new(
        "ReplaceTransitGatewayRoute",
        2,
        FailKind::Unavailable,
    ));
    w.faults = Some(f);
    w
}

#[test]
fn json_round_trip() {
    let scratch = Scratch::new("json_round_trip");
    for w in [demo_world(), busy_world()] {
        let text = w.to_json_pretty();
        let back = World::from_json_str(&text).unwrap();
        assert_eq!(back, w);
        let path = scratch.path("world.json");
        w.save(&path).unwrap();
        assert_eq!(World::from_path(&path).unwrap(), w);
    }
}

#[test]
fn toml_round_trip() {
    let scratch = Scratch::new("toml_round_trip");
    for w in [demo_world(), busy_world()] {
        let text = w.to_toml().unwrap();
        let back = World::from_toml_str(&text).unwrap();
        assert_eq!(back, w);
        let path = scratch.path("world.toml");
        w.save(&path).unwrap();
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .contains("[[routes]]")
        );
        assert_eq!(World::from_path(&path).unwrap(), w);
    }
}

#[test]
fn unknown_extension_tries_json_then_toml() {
    let scratch = Scratch::new("unknown_extension_tries_json_then_toml");
    let w = demo_world();
    let path = scratch.path("world.scenario");
    std::fs::write(&path, w.to_toml().unwrap()).unwrap();
    assert_eq!(World::from_path(&path).unwrap(), w);
}

#[test]
fn hand_written_toml_uses_defaults() {
    let text = r#"
now = "2026-03-14T09:00:00Z"
transit_gateways = ["tgw-01"]

[[vpn_connections]]
id = "vpn-01"
state = "available"
transit_gateway_id = "tgw-01"
tags = { Name = "a", site = "primary" }
tunnels = [{ outside_ip = "203.0.113.1", status = "UP", last_status_change = "2026-03-01T00:00:00Z" }]

[[attachments]]
id = "tgw-attach-01"
transit_gateway_id = "tgw-01"
resource_type = "vpn"
resource_id = "vpn-01"

[[route_tables]]
id = "tgw-rtb-01"
transit_gateway_id = "tgw-01"

[[routes]]
table = "tgw-rtb-01"
destination = "10.0.0.0/16"
attachment = "tgw-attach-01"
"#;
    let w = World::from_toml_str(text).unwrap();
    let r = &w.routes[0];
    assert_eq!(
        (r.route_type, r.state),
        (RouteType::Static, RouteState::Active)
    );
    assert_eq!(w.attachments[0].state, "available");
    assert_eq!(
        w.vpn(&VpnId::new("vpn-01")).unwrap().tunnels[0].status,
        TunnelStatus::Up
    );
    assert!(w.faults.is_none() && w.state.is_empty() && w.leases.is_empty());
}

#[test]
fn a_malformed_file_is_refused_naming_the_item() {
    let scratch = Scratch::new("a_malformed_file_is_refused_naming_the_item");
    let mut w = demo_world();
    w.routes[0].table = RouteTableId::new("tgw-rtb-0000000000000beef");
    let path = scratch.path("bad.json");
    std::fs::write(&path, w.to_json_pretty()).unwrap();
    let err = World::from_path(&path).unwrap_err();
    assert!(matches!(err, ScenarioError::Invalid { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("bad.json") && msg.contains("tgw-rtb-0000000000000beef"),
        "{msg}"
    );

    let err = World::from_json_str("{ \"routes\": 3 }").unwrap_err();
    assert!(
        matches!(err, ScenarioError::Parse { format: "json", .. }),
        "{err}"
    );
    let err = World::from_path(scratch.path("missing.json")).unwrap_err();
    assert!(matches!(err, ScenarioError::Read { .. }), "{err}");
}

/// The example in docs/scenario.md loads, and so does its faults block.
#[test]
fn the_documented_example_loads() {
    // The manifest dir at run time (cargo sets it for tests): a test binary reused from a build
    // of another checkout must read this checkout's files.
    let dir =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    let doc = std::fs::read_to_string(format!("{dir}/../../docs/scenario.md")).unwrap();
    let blocks: Vec<&str> = doc
        .split("```toml\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap())
        .collect();
    assert_eq!(blocks.len(), 2);
    let w = World::from_toml_str(blocks[0]).unwrap();
    assert_eq!(w.routes.len(), 4);
    let with_faults = World::from_toml_str(&format!("{}\n{}", blocks[0], blocks[1])).unwrap();
    let f = with_faults.faults.unwrap();
    assert_eq!(
        (f.seed, f.fail.len(), f.crash_after_moves),
        (42, 1, Some(10))
    );
}
