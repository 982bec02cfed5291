//! The `tgw-ha` binary on world files, as a user runs it: the demo, then a session of commands
//! on a world file that is saved back after every write.

#[path = "common/binary.rs"]
mod binary;

use binary::{json, ok, tempdir, tgw_ha};
use serde_json::Value;

const PARIS: &str = "vpn-0a1b2c3d4e5f60001";
const LYON: &str = "vpn-0a1b2c3d4e5f60002";

fn group<'a>(status: &'a Value, name: &str) -> &'a Value {
    status["tgws"][0]["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["name"] == name)
        .expect("group")
}

#[test]
fn demo_tells_the_story_and_passes_its_verdict() {
    let out = ok(&["demo"]);
    assert!(out.contains("verdict: PASS"), "{out}");
    for step in ["steady state", "failover", "fails back", "alert"] {
        assert!(out.contains(step), "missing {step:?} in the demo output");
    }
    let v = json(&["demo", "--output", "json"]);
    assert_eq!(v["verdict"]["ok"], true);
    assert_eq!(v["verdict"]["routes_lost"], 0);
    assert_eq!(v["verdict"]["foreign_routes_changed"], 0);
    assert_eq!(v["verdict"]["moved_on_metric_gap"], 0);
}

#[test]
fn a_session_on_a_world_file_behaves_like_an_account() {
    let dir = tempdir("cli");
    let world = dir.join("world.json");
    let example = ok(&["world", "example"]);
    std::fs::write(&world, example).unwrap();
    let w = world.to_str().unwrap();

    let s = json(&["--world", w, "--output", "json", "status"]);
    assert_eq!(group(&s, "paris")["status"], "home");

    ok(&[
        "--world", w, "world", "tunnel", "--vpn", PARIS, "--status", "down",
    ]);
    // plan and --dry-run never write: the file is unchanged.
    let before = std::fs::read(&world).unwrap();
    let p = json(&["--world", w, "--output", "json", "plan"]);
    assert_eq!(group(&p, "paris")["status"], "failing_over");
    json(&["--world", w, "--output", "json", "reconcile", "--dry-run"]);
    assert_eq!(std::fs::read(&world).unwrap(), before);

    let r = json(&["--world", w, "--output", "json", "reconcile"]);
    assert_eq!(r["tgws"][0]["results"].as_array().unwrap().len(), 33);
    let s = json(&["--world", w, "--output", "json", "status"]);
    assert_eq!(group(&s, "paris")["status"], "on_backup");
    assert_eq!(group(&s, "paris")["active"], LYON);

    // Back up, and an operator failback (no hold-down) brings it home; the ledger empties.
    ok(&[
        "--world", w, "world", "tunnel", "--vpn", PARIS, "--status", "up",
    ]);
    ok(&["--world", w, "failback", "--group", "paris"]);
    let s = json(&["--world", w, "--output", "json", "status"]);
    assert_eq!(group(&s, "paris")["status"], "home");
    let saved: Value = serde_json::from_slice(&std::fs::read(&world).unwrap()).unwrap();
    let ledger = &saved["state"]["tgw-0a1b2c3d4e5f6a7b8"]["ledger"];
    assert!(ledger.as_array().is_none_or(|l| l.is_empty()), "{ledger}");
}

#[test]
fn bad_input_is_a_clear_error_and_changes_nothing() {
    let dir = tempdir("cli");
    let world = dir.join("world.json");
    std::fs::write(&world, ok(&["world", "example"])).unwrap();
    let w = world.to_str().unwrap();
    let before = std::fs::read(&world).unwrap();

    let out = tgw_ha(&["--world", w, "failover", "--group", "atlantis"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown group atlantis") && err.contains("paris"),
        "{err}"
    );

    let ev = dir.join("event.json");
    std::fs::write(
        &ev,
        // Before the example world's clock (09:00): an event from its future would be refused
        // for that first.
        r#"{"vpnId": "vpn-0ffffffffffffffff", "downTS": "2026-03-14T08:56:53Z"}"#,
    )
    .unwrap();
    let out = tgw_ha(&["--world", w, "event", ev.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("unknown vpn connection vpn-0ffffffffffffffff")
    );

    std::fs::write(&ev, r#"{"detail-type": "#).unwrap();
    let out = tgw_ha(&["--world", w, "event", ev.to_str().unwrap()]);
    assert!(!out.status.success());

    let out = tgw_ha(&[
        "--world",
        w,
        "pin",
        "--group",
        "paris",
        "--vpn",
        LYON,
        "--min-tunnels-up",
        "3",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("min tunnels up"));

    assert_eq!(
        std::fs::read(&world).unwrap(),
        before,
        "a refused command wrote the world"
    );
}

#[test]
fn pin_until_expires_on_the_sim_clock_and_the_sweep_gives_the_group_back() {
    let dir = tempdir("cli");
    let world = dir.join("world.json");
    std::fs::write(&world, ok(&["world", "example"])).unwrap();
    let w = world.to_str().unwrap();

    ok(&[
        "--world", w, "pin", "--group", "paris", "--vpn", LYON, "--until", "1h",
    ]);
    let s = json(&["--world", w, "--output", "json", "status"]);
    assert_eq!(group(&s, "paris")["pinned"], LYON);
    assert_eq!(group(&s, "paris")["active"], LYON);

    // Failback on: the pin holds until its end, then the sweep releases it and the stable
    // primary takes the routes back.
    ok(&["--world", w, "world", "advance", "--seconds", "3599"]);
    let r = json(&["--world", w, "--failback", "--output", "json", "reconcile"]);
    assert_eq!(group(&r, "paris")["pinned"], LYON, "{r}");
    ok(&["--world", w, "world", "advance", "--seconds", "1"]);
    let r = json(&["--world", w, "--failback", "--output", "json", "reconcile"]);
    assert_eq!(group(&r, "paris")["pinned"], Value::Null, "{r}");
    let kinds: Vec<&str> = r["tgws"][0]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"pin_ended"), "{kinds:?}");
    let s = json(&["--world", w, "--output", "json", "status"]);
    assert_eq!(group(&s, "paris")["active"], PARIS);

    let out = tgw_ha(&[
        "--world", w, "pin", "--group", "paris", "--vpn", LYON, "--until", "soon",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"soon\" is neither"));
}

/// `tgw-ha event` runs under the Lambda's rules: an alarm or the reference event exists only
/// because someone set it up for one VPN, so for a VPN in no group it fails (exit 1, the
/// Lambda's `NotRetryable.NoGroup`); a Network Manager event speaks of every VPN of the
/// account and, for one in no group, is simply not ours (exit 0).
#[test]
fn an_event_for_a_vpn_in_no_group_fails_only_when_set_up_for_it() {
    const PARTNER: &str = "vpn-0a1b2c3d4e5f60006";
    let dir = tempdir("cli");
    let world = dir.join("world.json");
    std::fs::write(&world, ok(&["world", "example"])).unwrap();
    let w = world.to_str().unwrap();
    let before = json(&["--world", w, "--output", "json", "world", "show"]);

    let ev = dir.join("event.json");
    // Before the example world's clock (09:00), as the fixtures' own events are not.
    std::fs::write(
        &ev,
        format!(r#"{{"vpnId": "{PARTNER}", "downTS": "2026-03-14T08:56:53Z"}}"#),
    )
    .unwrap();
    let out = tgw_ha(&["--world", w, "event", ev.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = binary::stderr(&out);
    assert!(
        err.contains(&format!("{PARTNER} belongs to no group")),
        "{err}"
    );

    let nm = include_str!("../../core/tests/fixtures/events/netmgr-ipsec-down.json")
        .replace("vpn-0a1b2c3d4e5f60001", PARTNER)
        .replace("2026-03-14T09:25:41", "2026-03-14T08:55:41");
    assert!(nm.contains("08:55:41"), "the fixture's time moved: {nm}");
    std::fs::write(&ev, nm).unwrap();
    let o = json(&[
        "--world",
        w,
        "--output",
        "json",
        "event",
        ev.to_str().unwrap(),
    ]);
    assert_eq!(o["tgws"].as_array().map(Vec::len), Some(0), "{o}");

    let after = json(&["--world", w, "--output", "json", "world", "show"]);
    assert_eq!(after["routes"], before["routes"], "no route moved");
}

/// `tgw-ha event --dry-run` rehearses any event over ports that keep their writes (the
/// service's dry run): it prints the moves the event would make and leaves the world file as it
/// was; the same event without `--dry-run` then makes exactly those moves.
#[test]
fn event_dry_run_shows_the_moves_and_changes_nothing() {
    let dir = tempdir("cli");
    let world = dir.join("world.json");
    std::fs::write(&world, ok(&["world", "example"])).unwrap();
    let w = world.to_str().unwrap();
    let before = std::fs::read(&world).unwrap();
    let ev = dir.join("event.json");
    // Before the example world's clock (09:00): an event from its future would be refused.
    std::fs::write(
        &ev,
        format!(r#"{{"vpnId": "{PARIS}", "downTS": "2026-03-14T08:56:53Z"}}"#),
    )
    .unwrap();

    let args = ["--world", w, "--output", "json", "event", "--dry-run"];
    let dry = json(&[&args[..], &[ev.to_str().unwrap()]].concat());
    assert_eq!(dry["dry_run"], true, "{dry}");
    let planned = |o: &Value| -> usize {
        o["tgws"]
            .as_array()
            .expect("tgws")
            .iter()
            .map(|t| t["planned"].as_array().map_or(0, Vec::len))
            .sum()
    };
    assert!(planned(&dry) > 0, "the rehearsal plans no move: {dry}");
    assert_eq!(
        std::fs::read(&world).unwrap(),
        before,
        "a dry run wrote the world"
    );

    let real = json(&[
        "--world",
        w,
        "--output",
        "json",
        "event",
        ev.to_str().unwrap(),
    ]);
    assert_eq!(real["dry_run"], false, "{real}");
    assert_eq!(planned(&real), planned(&dry), "{real}");
    assert_ne!(
        std::fs::read(&world).unwrap(),
        before,
        "the event moved nothing"
    );
}
