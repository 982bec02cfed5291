//! One moto server (the AWS service mock, from PyPI) per test binary, on a free 127.0.0.1 port.
//!
//! `./scripts/moto` installs it into `$TGW_HA_VENV` (default `~/.cache/tgw-ha/venv`); the test
//! script runs that first. The server is started on first use and stopped when the test binary
//! exits: it runs under a small `sh` watchdog that kills it once its parent (this process) is
//! gone, since a static's `Child` is never dropped. Its output goes to a log file in the temp
//! directory, never to the test's stdout (cargo would wait for the pipe to close).
//!
//! Clients get an explicit endpoint, region `us-east-1` and static test credentials: a test can
//! never reach AWS.

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_ec2::config::Credentials;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;
use tgw_ha_aws::{AwsOptions, load_sdk_config_with};

pub struct Moto {
    pub port: u16,
    pub url: String,
    pub log: PathBuf,
    /// Kept so that the watchdog's handle lives as long as the process.
    _child: Mutex<Child>,
}

/// Kills the server (after at most a second) once its parent is gone, or exits when the server
/// dies. `$PPID` is this test process.
const WATCHDOG: &str = r#"
log="$1"; shift
"$@" >"$log" 2>&1 &
pid=$!
while kill -0 "$PPID" 2>/dev/null && kill -0 "$pid" 2>/dev/null; do sleep 1; done
kill "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
"#;

fn moto_server() -> PathBuf {
    let venv = std::env::var_os("TGW_HA_VENV").map_or_else(
        || {
            let home = std::env::var_os("HOME").expect("HOME is not set");
            PathBuf::from(home).join(".cache/tgw-ha/venv")
        },
        PathBuf::from,
    );
    let bin = venv.join("bin/moto_server");
    if !bin.is_file() {
        panic!(
            "moto is not installed: run ./scripts/test (it installs moto) [{} is missing]",
            bin.display()
        );
    }
    bin
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free local port")
        .port()
}

fn start() -> Moto {
    let bin = moto_server();
    let mut last_log = String::new();
    // A port found free can be taken before moto binds it: try another one.
    for _ in 0..3 {
        let port = free_port();
        let log = std::env::temp_dir().join(format!("tgw-ha-moto-{port}.log"));
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("sh")
            .arg(&log)
            .arg(&bin)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start sh");
        // Up to 30 s: the first start of moto compiles its Python modules.
        for _ in 0..300 {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Moto {
                    port,
                    url: format!("http://127.0.0.1:{port}"),
                    log,
                    _child: Mutex::new(child),
                };
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
        last_log = std::fs::read_to_string(&log).unwrap_or_default();
    }
    panic!("moto_server did not start; its last log:\n{last_log}");
}

/// The server of this test binary, started on first use.
pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(start)
}

/// An SDK configuration for moto: explicit endpoint, region and static credentials.
pub async fn sdk_config() -> SdkConfig {
    sdk_config_in("us-east-1").await
}

/// [`sdk_config`] in `region`.
pub async fn sdk_config_in(region: &str) -> SdkConfig {
    let loader = aws_config::defaults(BehaviorVersion::latest())
        .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(5)),
        );
    let opts = AwsOptions {
        region: Some(region.into()),
        endpoint_url: Some(moto().url.clone()),
        ..AwsOptions::default()
    };
    load_sdk_config_with(loader, &opts).await
}

/// GET `path` from moto (its `/moto-api/...` introspection); the body.
pub fn get(path: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", moto().port)).expect("connect to moto");
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\n\r\n",
        moto().port
    )
    .expect("send");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).expect("read");
    let (head, body) = reply.split_once("\r\n\r\n").expect("an HTTP reply");
    assert!(head.contains(" 200 "), "GET {path}: {head}");
    body.to_owned()
}
