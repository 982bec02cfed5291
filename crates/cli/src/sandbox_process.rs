//! A `tgw-ha sandbox` child process on 127.0.0.1, for the benchmarks and the CLI's tests: start
//! it on a free port and read its URL (its first line of output), call its admin API, and (with
//! the `aws` feature) the SDK configuration that talks to it. Killed when dropped, so a failed
//! bench or test leaves no server behind.
//!
//! The admin calls are written by hand on a `TcpStream`: a few calls do not justify an HTTP
//! client dependency.

use anyhow::Context;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A running sandbox; dropping it kills the process.
pub struct SandboxProcess {
    child: Child,
    url: String,
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SandboxProcess {
    /// `exe [--world W] sandbox --listen 127.0.0.1:0 --limits L [--latency-ms N]`, once it
    /// listens. `exe` is the `tgw-ha` binary (the bench's own executable, a test's
    /// `CARGO_BIN_EXE_tgw-ha`).
    pub fn start(
        exe: &Path,
        world: Option<&Path>,
        limits: &str,
        latency_ms: Option<u64>,
    ) -> anyhow::Result<Self> {
        let mut cmd = Command::new(exe);
        if let Some(world) = world {
            cmd.arg("--world").arg(world);
        }
        cmd.args(["sandbox", "--listen", "127.0.0.1:0", "--limits", limits]);
        if let Some(ms) = latency_ms {
            cmd.args(["--latency-ms", &ms.to_string()]);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start the sandbox")?;
        let mut line = String::new();
        let read =
            BufReader::new(child.stdout.take().context("sandbox stdout")?).read_line(&mut line);
        // From here on the child is killed on every return.
        let sandbox = Self {
            child,
            url: line.trim().to_owned(),
        };
        read.context("sandbox stdout")?;
        anyhow::ensure!(
            sandbox.url.starts_with("http://127.0.0.1:"),
            "the sandbox's first line is not its URL: {line:?}"
        );
        Ok(sandbox)
    }

    /// `http://127.0.0.1:<port>`: the EC2 endpoint, and the admin API under `/_sandbox/`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// One admin call (`GET /_sandbox/calls`, `POST /_sandbox/tunnels` …); its answer must be
    /// a 200, and its body is read as JSON.
    pub fn admin(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> anyhow::Result<serde_json::Value> {
        let addr = self.url.trim_start_matches("http://");
        let mut s = std::net::TcpStream::connect(addr)?;
        let req = match body {
            None => {
                format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
            }
            Some(b) => format!(
                "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{b}",
                b.len()
            ),
        };
        s.write_all(req.as_bytes())?;
        let mut resp = String::new();
        s.read_to_string(&mut resp)?;
        anyhow::ensure!(
            resp.starts_with("HTTP/1.1 200"),
            "admin {method} {path}: {resp:.200}"
        );
        let body = resp.split_once("\r\n\r\n").map(|x| x.1).unwrap_or("");
        serde_json::from_str(body)
            .with_context(|| format!("admin {method} {path}: unexpected answer {body:.200}"))
    }
}

/// The SDK configuration for a sandbox on 127.0.0.1: static test credentials, so no credential
/// chain (or instance metadata) is consulted, and the sandbox's Region. Clients built from it
/// still need the sandbox's URL as their endpoint.
#[cfg(feature = "aws")]
pub async fn sdk_config() -> aws_config::SdkConfig {
    let loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .credentials_provider(aws_sdk_ec2::config::Credentials::new(
            "test", "test", None, None, "sandbox",
        ))
        .region(aws_config::Region::new("eu-west-1"));
    tgw_ha_aws::load_sdk_config_with(loader, &tgw_ha_aws::AwsOptions::default()).await
}
