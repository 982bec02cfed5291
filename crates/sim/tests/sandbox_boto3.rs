//! boto3 against the sandbox: boto3 validates requests and parses answers with AWS's own EC2
//! service model, so a shape the sandbox gets wrong fails here. The Python side is
//! `boto3_check.py`; the interpreter is the venv that `./scripts/test` installs (moto's, which
//! includes boto3): `${TGW_HA_VENV:-$HOME/.cache/tgw-ha/venv}/bin/python`.

mod sandbox_common;

use std::path::PathBuf;
use tgw_ha_sim::demo_world::demo_world;

fn venv_python() -> PathBuf {
    let venv = std::env::var_os("TGW_HA_VENV")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/tgw-ha/venv")))
        .expect("TGW_HA_VENV or HOME");
    venv.join("bin/python")
}

#[tokio::test(flavor = "multi_thread")]
async fn boto3_parses_every_answer_and_drives_the_writes() {
    let python = venv_python();
    let has_boto3 = python.exists()
        && std::process::Command::new(&python)
            .args(["-c", "import boto3"])
            .status()
            .is_ok_and(|s| s.success());
    assert!(
        has_boto3,
        "no python with boto3 at {}: run ./scripts/test (it installs the venv)",
        python.display()
    );
    let sb = sandbox_common::start(demo_world()).await;
    // The manifest dir at run time (cargo sets it for tests), not the one compiled in.
    let dir =
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
    let script = PathBuf::from(dir).join("tests/boto3_check.py");
    let url = sb.url();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .arg(script)
            .env("SANDBOX_URL", url)
            // Nothing from the machine's AWS setup: explicit endpoint, region and test keys.
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_ENDPOINT_URL")
            .env_remove("AWS_ENDPOINT_URL_EC2")
            .output()
    })
    .await
    .expect("join")
    .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "boto3 check failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("checks passed"), "{stdout}");
    eprintln!("{stdout}");
    let calls = sb.state().calls();
    assert!(
        calls.calls_of("SearchTransitGatewayRoutes") >= 5,
        "{calls:?}"
    );
}
