//! The `tgw-ha` binary run as a user runs it, shared by the CLI tests (`#[path]`-included, as
//! `common/mod.rs` is by the Lambda tests): a command that sees none of the shell's `TGW_HA_*`
//! settings (so a developer's `TGW_HA_FAILBACK` or `TGW_HA_WORLD` cannot change a test's
//! answer; each test passes what it means), its output as text or JSON, and a fresh directory
//! per test.
#![allow(dead_code, reason = "each test binary uses part of it")]

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

/// `tgw-ha args…`, not yet run, with every `TGW_HA_*` variable of the environment removed
/// (the binary's defaults apply: failback off, logs at `warn`, no world file).
pub fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tgw-ha"));
    cmd.args(args);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("TGW_HA_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// `tgw-ha args…`, run to its end.
pub fn tgw_ha(args: &[&str]) -> Output {
    command(args).output().expect("run tgw-ha")
}

/// The stdout of `tgw-ha args…`, which must succeed.
pub fn ok(args: &[&str]) -> String {
    let out = tgw_ha(args);
    assert!(
        out.status.success(),
        "tgw-ha {args:?} failed: {}\n{}",
        stderr(&out),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// The stdout of `tgw-ha args…` (which must succeed) read as JSON.
pub fn json(args: &[&str]) -> Value {
    serde_json::from_str(&ok(args)).expect("json output")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// An empty directory of this process and test thread (tests of one binary run in parallel).
pub fn tempdir(tag: &str) -> PathBuf {
    let thread = std::thread::current();
    let d = std::env::temp_dir().join(format!(
        "tgw-ha-{tag}-{}-{}",
        std::process::id(),
        thread.name().unwrap_or("t").replace("::", "-")
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}
