//! `tgw-ha prefix-lists` on a world file, as an operator runs it: plan, a convert interrupted
//! and run again, a failover of the converted group (one call per route table), `status`
//! showing the failover estimate before and after, and revert.

#[path = "common/binary.rs"]
mod binary;

use binary::{json, ok, tempdir, tgw_ha};
use serde_json::Value;
use std::path::Path;
use tgw_ha_core::ids::RouteTableId;
use tgw_ha_sim::pair_world::Pair;

const TGW: &str = "tgw-0d000000000000001";
const PRIMARY: &str = "vpn-0d000000000000001";
const BACKUP: &str = "vpn-0d000000000000002";
const ATT_PRIMARY: &str = "tgw-attach-0d00000000000001";
const ATT_BACKUP: &str = "tgw-attach-0d00000000000002";
const TABLES: usize = 4;
const CIDRS: usize = 60;

fn write_world(path: &Path) {
    let pair = Pair {
        tgw: TGW,
        group: "paris",
        primary: (PRIMARY, ATT_PRIMARY),
        backup: (BACKUP, ATT_BACKUP),
        tables: (0..TABLES)
            .map(|t| RouteTableId::new(format!("tgw-rtb-0d0000000000{t:05}")))
            .collect(),
    };
    let mut w = pair.world();
    w.set_now("2026-03-01T12:00:00Z".parse().expect("a time"));
    let cidrs: Vec<String> = (0..CIDRS).map(|i| format!("10.50.{i}.0/24")).collect();
    w.routes = pair.routes_to_primary(&cidrs);
    std::fs::write(path, serde_json::to_vec_pretty(&w).unwrap()).unwrap();
}

fn estimate(status: &Value) -> &Value {
    &status["tgws"][0]["groups"][0]["failover_estimate"]
}

fn calls(outcome: &Value, action: &str) -> u64 {
    outcome["calls"][action]["calls"].as_u64().unwrap_or(0)
}

#[test]
fn convert_fail_over_and_revert_on_a_world_file() {
    let dir = tempdir("pl-cli");
    let w = dir.join("world.json");
    write_world(&w);
    let w = w.to_str().unwrap();

    // Before: 240 static routes, ≈ 38 s of EC2's write budget; status suggests converting.
    let status = json(&["--world", w, "status", "-o", "json"]);
    let e = estimate(&status);
    assert_eq!(e["cidr_routes"], TABLES * CIDRS);
    assert_eq!(e["suggest_conversion"], true);
    let table = ok(&["--world", w, "status"]);
    assert!(
        table.contains("tgw-ha prefix-lists plan --group paris"),
        "{table}"
    );

    let plan = json(&[
        "--world",
        w,
        "prefix-lists",
        "plan",
        "--group",
        "paris",
        "-o",
        "json",
    ]);
    assert_eq!(plan["entries"].as_array().unwrap().len(), CIDRS);
    assert_eq!(plan["failover_after"]["calls"], TABLES);
    let steps = plan["steps"].as_array().unwrap().len();
    assert_eq!(steps, 1 + TABLES + TABLES * CIDRS);
    let text = ok(&["--world", w, "prefix-lists", "plan", "--group", "paris"]);
    assert!(text.contains("CreateManagedPrefixList"), "{text}");
    assert!(text.contains("DeleteTransitGatewayRoute"), "{text}");

    // A dry run writes nothing.
    let before = std::fs::read_to_string(w).unwrap();
    ok(&[
        "--world",
        w,
        "prefix-lists",
        "convert",
        "--group",
        "paris",
        "--dry-run",
    ]);
    assert_eq!(std::fs::read_to_string(w).unwrap(), before);

    // Interrupted after 10 steps (saved as it is), then run again: it continues.
    let part = json(&[
        "--world",
        w,
        "prefix-lists",
        "convert",
        "--group",
        "paris",
        "--max-steps",
        "10",
        "-o",
        "json",
    ]);
    assert_eq!(part["steps_done"], 10);
    assert!(!part["remaining"].as_array().unwrap().is_empty());
    let rest = json(&[
        "--world",
        w,
        "prefix-lists",
        "convert",
        "--group",
        "paris",
        "-o",
        "json",
    ]);
    assert_eq!(rest["steps_done"], steps - 10);
    assert!(rest["remaining"].as_array().unwrap().is_empty());

    let status = json(&["--world", w, "status", "-o", "json"]);
    let e = estimate(&status);
    assert_eq!(
        (e["cidr_routes"].as_u64(), e["references"].as_u64()),
        (Some(0), Some(TABLES as u64))
    );
    assert_eq!(e["suggest_conversion"], false);

    // The primary dies: one ModifyTransitGatewayPrefixListReference per table, nothing else.
    ok(&[
        "--world", w, "world", "tunnel", "--vpn", PRIMARY, "--status", "down",
    ]);
    let out = json(&["--world", w, "reconcile", "-o", "json"]);
    assert_eq!(
        calls(&out, "ModifyTransitGatewayPrefixListReference"),
        TABLES as u64
    );
    assert_eq!(calls(&out, "ReplaceTransitGatewayRoute"), 0);
    let status = json(&["--world", w, "status", "-o", "json"]);
    assert_eq!(status["tgws"][0]["groups"][0]["active"], BACKUP);

    // Revert while on the backup: static routes there (in the ledger), references and list gone.
    let rev = json(&[
        "--world",
        w,
        "prefix-lists",
        "revert",
        "--group",
        "paris",
        "-o",
        "json",
    ]);
    assert!(rev["remaining"].as_array().unwrap().is_empty());
    let world: Value = serde_json::from_str(&std::fs::read_to_string(w).unwrap()).unwrap();
    assert!(
        world.get("managed_prefix_lists").is_none(),
        "the list is deleted"
    );
    assert_eq!(world["prefix_list_references"].as_array().unwrap().len(), 0);
    let on_backup = world["routes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["attachment"] == ATT_BACKUP)
        .count();
    assert_eq!(on_backup, TABLES * CIDRS);
    let status = json(&["--world", w, "status", "-o", "json"]);
    assert_eq!(
        estimate(&status)["cidr_routes"],
        TABLES * CIDRS,
        "the ledger keeps them the group's"
    );

    // Refusals are clear and change nothing.
    let out = tgw_ha(&[
        "--world",
        w,
        "prefix-lists",
        "convert",
        "--group",
        "nowhere",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown group nowhere"));
    let _ = std::fs::remove_dir_all(&dir);
}
