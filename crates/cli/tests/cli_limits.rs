//! The `tgw-ha` binary when a run cannot do everything: `--max-duration` ends a large failover in
//! time and the next command continues; a TGW that fails is named and makes the exit status
//! non-zero while the other TGWs are reconciled. On world files (the sim, virtual time).

#[path = "common/binary.rs"]
mod binary;

use binary::{stderr, tempdir, tgw_ha};
use serde_json::Value;
use std::path::Path;
use tgw_ha_core::ids::{AttachmentId, RouteTableId, TgwId, VpnId};
use tgw_ha_core::model::TunnelStatus;
use tgw_ha_sim::demo_world::{self as demo, demo_world};
use tgw_ha_sim::{FailKind, FailRule, Faults, SimRoute, World};

fn save(w: &World, path: &Path) {
    w.save(path).expect("save world");
}

fn paris_down(w: &mut World, vpn: &str) {
    let now = w.now().expect("virtual time");
    w.set_tunnel(&VpnId::new(vpn), None, TunnelStatus::Down, now)
        .expect("vpn");
}

fn routes_on(w: &World, att: &str) -> usize {
    w.routes_to(&AttachmentId::new(att)).count()
}

#[test]
fn max_duration_ends_a_large_failover_in_time_and_the_next_run_continues() {
    let dir = tempdir("cli-limits");
    let path = dir.join("world.json");
    let mut w = demo_world();
    let table = RouteTableId::new(demo::RTB_PROD);
    for i in 0..400 {
        let cidr = format!("100.64.{}.{}/32", i / 256, i % 256);
        w.routes.push(SimRoute::to_attachment(
            &table,
            &cidr,
            &AttachmentId::new(demo::ATT_PARIS),
        ));
    }
    paris_down(&mut w, demo::VPN_PARIS);
    save(&w, &path);
    let p = path.to_str().unwrap();
    let total = routes_on(&w, demo::ATT_PARIS);

    let bad = tgw_ha(&["--world", p, "reconcile", "--max-duration", "soon"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("is not a duration"),
        "{}",
        stderr(&bad)
    );

    // 30 s with a 10 s margin: EC2's burst of 50, then 5 a second for 20 s, so about 150.
    let mut runs = 0;
    loop {
        runs += 1;
        assert!(runs <= 5, "converges in a few runs");
        let out = tgw_ha(&[
            "--world",
            p,
            "--output",
            "json",
            "reconcile",
            "--max-duration",
            "30s",
        ]);
        let outcome: Value = serde_json::from_slice(&out.stdout).expect("the outcome, as json");
        let moved = outcome["tgws"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["status"] == "done")
            .count();
        assert!(moved <= 150, "run {runs}: {moved}");
        if out.status.success() {
            break;
        }
        assert_eq!(out.status.code(), Some(1));
        let err = stderr(&out);
        assert!(err.contains("deadline reached"), "{err}");
        assert!(err.contains("next run"), "{err}");
        assert!(err.contains("(retryable)"), "{err}");
        assert!(moved >= 140, "run {runs}: {moved}");
        let w = World::from_path(&path).unwrap();
        assert!(w.leases.is_empty(), "run {runs} released its lease");
    }
    assert!(runs >= 3, "{total} routes needed several runs");
    let w = World::from_path(&path).unwrap();
    assert_eq!(routes_on(&w, demo::ATT_PARIS), 0);
    assert_eq!(
        routes_on(&w, demo::ATT_LYON),
        total + routes_on(&demo_world(), demo::ATT_LYON)
    );
}

#[test]
fn reconcile_names_the_tgw_that_failed_and_reconciles_the_other() {
    let dir = tempdir("cli-limits");
    let path = dir.join("world.json");
    // The demo's estate, and a copy of it on a second TGW (its own ids and group names).
    let mut w = demo::two_tgw_demo_world();
    paris_down(&mut w, demo::VPN_PARIS);
    paris_down(&mut w, &demo::second(demo::VPN_PARIS));
    // The role may not search the first TGW's routes.
    w.faults = Some(Faults {
        fail: vec![
            FailRule::new("SearchTransitGatewayRoutes", 1_000, FailKind::AccessDenied)
                .on_tgw(&TgwId::new(demo::TGW)),
        ],
        ..Faults::default()
    });
    w.validate().expect("a valid world");
    save(&w, &path);

    let out = tgw_ha(&["--world", path.to_str().unwrap(), "reconcile"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("reconcile failed on {}", demo::TGW)),
        "{err}"
    );
    assert!(err.contains("access denied"), "{err}");
    assert!(!err.contains("(retryable)"), "{err}");
    let w = World::from_path(&path).unwrap();
    let paris_b = demo::ATT_PARIS.replace("0a1b2c3d4e5f", "0b1b2c3d4e5f");
    assert_eq!(routes_on(&w, &paris_b), 0, "the second TGW failed over");
    assert_eq!(
        routes_on(&w, demo::ATT_PARIS),
        routes_on(&demo_world(), demo::ATT_PARIS),
        "the first TGW is untouched"
    );
}
