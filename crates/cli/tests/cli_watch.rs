//! `tgw-ha watch` on world files, as a user runs it. A world on a virtual clock is watched for
//! `--max-duration` of virtual time at once (no real waiting), and refused without it; the
//! watch's summary is its output.

#[path = "common/binary.rs"]
mod binary;

use binary::{ok, tempdir, tgw_ha};
use serde_json::Value;

const PARIS: &str = "vpn-0a1b2c3d4e5f60001";

fn world_file(name: &str) -> String {
    let path = tempdir(&format!("cli-watch-{name}")).join("world.json");
    std::fs::write(&path, ok(&["world", "example"])).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn watch_on_a_virtual_clock_world_needs_an_end_and_then_acts_on_what_it_sees() {
    let w = world_file("virtual");
    let out = tgw_ha(&["--world", &w, "watch"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("virtual clock") && err.contains("--max-duration"),
        "{err}"
    );
    let out = tgw_ha(&["--world", &w, "watch", "--max-duration", "5s"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("too short"));

    // Quiet: a sweep at the first poll, nothing moved, the clock moved on by the watch.
    let before: Value = serde_json::from_str(&ok(&["--world", &w, "world", "show", "-o", "json"]))
        .expect("world json");
    let s: Value = serde_json::from_str(&ok(&[
        "--world",
        &w,
        "watch",
        "--max-duration",
        "1m",
        "-o",
        "json",
    ]))
    .expect("summary json");
    assert_eq!(
        (s["polls"].as_u64(), s["moves"].as_u64()),
        (Some(10), Some(0)),
        "{s}"
    );
    assert_eq!(s["end"], "deadline");
    let after: Value = serde_json::from_str(&ok(&["--world", &w, "world", "show", "-o", "json"]))
        .expect("world json");
    assert_ne!(before["now"], after["now"], "virtual time moved on");
    assert_eq!(before["routes"], after["routes"]);

    // Paris drops: the watch's first poll (a sweep) moves its routes, saved in the file.
    ok(&[
        "--world", &w, "world", "tunnel", "--vpn", PARIS, "--status", "down",
    ]);
    let s: Value = serde_json::from_str(&ok(&[
        "--world",
        &w,
        "watch",
        "--interval",
        "2s",
        "--max-duration",
        "30s",
        "-o",
        "json",
    ]))
    .expect("summary json");
    assert_eq!(s["moves"].as_u64(), Some(33), "{s}");
    assert_eq!(s["interval_ms"].as_u64(), Some(2000));
    let status = ok(&["--world", &w, "status", "--group", "paris"]);
    assert!(status.contains("on-backup"), "{status}");
}
