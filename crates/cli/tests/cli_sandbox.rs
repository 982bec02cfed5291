//! The `tgw-ha` binary against EC2 through the real AWS SDK, with the sandbox standing in for
//! EC2: `tgw-ha sandbox` in one process, `tgw-ha --endpoint-url … status|plan|reconcile` in
//! others, as an operator would rehearse. Never reaches AWS: explicit endpoint on 127.0.0.1 and
//! static test credentials.
#![cfg(feature = "aws")]

#[path = "common/binary.rs"]
mod binary;

use serde_json::Value;
use std::path::Path;
use std::process::Output;
use tgw_ha::sandbox_process::SandboxProcess;

const PARIS: &str = "vpn-0a1b2c3d4e5f60001";

fn sandbox() -> SandboxProcess {
    SandboxProcess::start(Path::new(env!("CARGO_BIN_EXE_tgw-ha")), None, "aws", None)
        .expect("start the sandbox")
}

/// `tgw-ha --endpoint-url <sandbox> … args`, with static test credentials and no ledger of the
/// shell's (`binary::command` removes every `TGW_HA_*` variable).
fn tgw_ha(sb: &SandboxProcess, args: &[&str]) -> Output {
    binary::command(&[
        "--endpoint-url",
        sb.url(),
        "--region",
        "eu-west-1",
        "--output",
        "json",
    ])
    .args(args)
    .env("AWS_ACCESS_KEY_ID", "test")
    .env("AWS_SECRET_ACCESS_KEY", "test")
    .env("AWS_EC2_METADATA_DISABLED", "true")
    .env_remove("AWS_PROFILE")
    .output()
    .expect("run tgw-ha")
}

fn ok(sb: &SandboxProcess, args: &[&str]) -> Value {
    let out = tgw_ha(sb, args);
    assert!(
        out.status.success(),
        "tgw-ha {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

fn status_of(v: &Value, group: &str) -> String {
    v["tgws"][0]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == group)
        .map(|g| g["status"].as_str().unwrap().to_owned())
        .unwrap()
}

#[test]
fn status_plan_reconcile_against_the_sandbox() {
    let sb = sandbox();
    assert_eq!(status_of(&ok(&sb, &["status"]), "paris"), "home");

    sb.admin(
        "POST",
        "/_sandbox/tunnels",
        Some(&format!(r#"{{"vpn_id":"{PARIS}","status":"DOWN"}}"#)),
    )
    .expect("admin");
    let plan = ok(&sb, &["plan"]);
    assert_eq!(status_of(&plan, "paris"), "failing_over");
    assert_eq!(plan["tgws"][0]["planned"].as_array().unwrap().len(), 33);

    // A write with no ledger location refuses, saying how to give one, and changes nothing.
    let out = tgw_ha(&sb, &["reconcile"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--table") && err.contains("--state-file"),
        "{err}"
    );
    assert_eq!(status_of(&ok(&sb, &["status"]), "paris"), "failing_over");

    let state =
        std::env::temp_dir().join(format!("tgw-ha-cli-sandbox-{}.json", std::process::id()));
    let state = state.to_str().unwrap();
    let r = ok(&sb, &["--state-file", state, "reconcile"]);
    let results = r["tgws"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 33);
    assert!(results.iter().all(|m| m["status"] == "done"), "{results:?}");

    // The sandbox's own world agrees: every paris route now points at lyon's attachment.
    let world = sb.admin("GET", "/_sandbox/world", None).expect("admin");
    let on_paris = world["routes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["attachment"] == "tgw-attach-0a1b2c3d4e5f70001")
        .count();
    assert_eq!(on_paris, 0);
    let s = ok(&sb, &["--state-file", state, "status"]);
    assert_eq!(status_of(&s, "paris"), "on_backup");
    let _ = std::fs::remove_file(state);
}

/// On AWS the CLI runs under the function's rules (the application service): a write with no
/// ledger is refused before EC2 is even read, and with the function's `TGW_HA_REGIONS` an
/// operator command or a watch in a Region it does not list is refused, as the function refuses it.
#[test]
fn a_refused_command_reads_nothing() {
    let sb = sandbox();
    let calls = || sb.admin("GET", "/_sandbox/calls", None).expect("admin")["total"].clone();
    assert_eq!(calls(), 0);

    let out = tgw_ha(&sb, &["failover", "--group", "paris"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("there is no ledger"), "{err}");
    assert_eq!(calls(), 0, "no EC2 call before the refusal");

    let state = std::env::temp_dir().join(format!(
        "tgw-ha-cli-sandbox-regions-{}.json",
        std::process::id()
    ));
    // An operator command, and the watch (which would move routes as it sees fit), alike.
    for command in [
        &["failover", "--group", "paris"][..],
        &["watch", "--max-duration", "30s"],
    ] {
        let out = binary::command(
            &[
                &[
                    "--endpoint-url",
                    sb.url(),
                    "--region",
                    "eu-west-1",
                    "--state-file",
                    state.to_str().unwrap(),
                ][..],
                command,
            ]
            .concat(),
        )
        .env("TGW_HA_REGIONS", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .output()
        .expect("run tgw-ha");
        assert!(!out.status.success(), "{command:?} was not refused");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("region eu-west-1 is not one of this deployment's regions (us-east-1)"),
            "{command:?}: {err}"
        );
        assert_eq!(calls(), 0, "{command:?}: no EC2 call before the refusal");
        assert!(!state.exists(), "{command:?}: no ledger written");
    }
}
