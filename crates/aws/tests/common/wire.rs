//! The wire-test plumbing: the real engine over the real SDK against the sandbox, and its twin
//! in the plain sim, stepped together and compared.

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_sdk_ec2::config::Credentials;
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tgw_ha_aws::{AwsOptions, Ec2Network, ec2_client, load_sdk_config_with};
use tgw_ha_core::ids::{AttachmentId, VpnId};
use tgw_ha_core::model::TunnelStatus;
use tgw_ha_core::policy::Policy;
use tgw_ha_engine::executor::{Bucket, ExecutorConfig};
use tgw_ha_engine::ports::{Ports, SystemClock};
use tgw_ha_engine::{Engine, EngineConfig, Outcome};
use tgw_ha_sim::demo_world::demo_world;
use tgw_ha_sim::sandbox::{self, Limits, RunningSandbox, SandboxConfig};
use tgw_ha_sim::world::lock;
use tgw_ha_sim::{MemoryLease, MemoryStore, RecordingNotifier, Sim, World};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub async fn ec2_network(url: &str) -> Ec2Network {
    let loader = aws_config::defaults(BehaviorVersion::latest())
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"))
        // The chain's standard retries for reads, with a short backoff for the tests.
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(3)
                .with_initial_backoff(Duration::from_millis(20)),
        );
    let opts = AwsOptions {
        region: Some("eu-west-1".into()),
        endpoint_url: Some(url.to_owned()),
        ..AwsOptions::default()
    };
    Ec2Network::new(ec2_client(&load_sdk_config_with(loader, &opts).await))
}

/// One admin API call (JSON), over a raw connection.
pub async fn admin(
    sb: &RunningSandbox,
    method: &str,
    path: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let mut s = tokio::net::TcpStream::connect(sb.local_addr())
        .await
        .expect("connect");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.expect("write");
    let mut raw = String::new();
    s.read_to_string(&mut raw).await.expect("read");
    let (head, body) = raw.split_once("\r\n\r\n").expect("an http answer");
    assert!(
        head.starts_with("HTTP/1.1 200"),
        "{method} {path}: {head}\n{body}"
    );
    serde_json::from_str(body).expect("json")
}

/// The engine over the sandbox, and its twin over the sim.
pub struct Twins {
    pub sandbox: RunningSandbox,
    pub net: Arc<Ec2Network>,
    pub wire: Engine,
    pub notifier: RecordingNotifier,
    pub sim: Sim,
    pub sim_engine: Engine,
}

pub fn engine_config(policy: &Policy, executor: &ExecutorConfig) -> EngineConfig {
    EngineConfig {
        policy: policy.clone(),
        executor: executor.clone(),
        owner: "wire-test".into(),
        ..EngineConfig::default()
    }
}

pub async fn twins(config: SandboxConfig, policy: Policy, executor: ExecutorConfig) -> Twins {
    let sim = Sim::new(config.world.clone());
    let sim_engine = Engine::new(sim.ports(), engine_config(&policy, &executor));
    let sandbox = sandbox::bind("127.0.0.1:0".parse().unwrap(), config)
        .await
        .expect("bind")
        .spawn();
    let net = Arc::new(ec2_network(&sandbox.url()).await);
    let world = sandbox.world().clone();
    let notifier = RecordingNotifier::new();
    let ports = Ports {
        network: net.clone(),
        store: Arc::new(MemoryStore::new(world.clone())),
        lease: Arc::new(MemoryLease::new(world)),
        notifier: Arc::new(notifier.clone()),
        clock: Arc::new(SystemClock),
    };
    Twins {
        wire: Engine::new(ports, engine_config(&policy, &executor)),
        sandbox,
        net,
        notifier,
        sim,
        sim_engine,
    }
}

pub async fn demo_twins(policy: Policy) -> Twins {
    twins(
        SandboxConfig::new(demo_world()).limits(Limits::None),
        policy,
        unpaced(),
    )
    .await
}

/// The executor with writes unpaced, for a sandbox that never throttles (`Limits::None`):
/// pacing the wire engine to EC2's 5 writes a second on the real clock would only make the test
/// wait (2 s for the 60 moves of `mutual_backup_and_a_three_member_group`). The pacing is tested
/// on the virtual clock (engine `executor`, `throttling`) and over the wire against the
/// sandbox's own buckets (`aws_throttling_and_a_competing_burst_end_in_the_same_state`).
pub fn unpaced() -> ExecutorConfig {
    ExecutorConfig {
        mutating: Bucket {
            burst: 1e6,
            per_second: 1e6,
        },
        ..ExecutorConfig::default()
    }
}

use super::engine::sweep;

impl Twins {
    /// Every tunnel of `vpn` goes `status`: through the admin API on the sandbox, through the
    /// world's mutator at virtual now in the sim.
    pub async fn tunnels(&self, vpn: &str, status: TunnelStatus) {
        admin(
            &self.sandbox,
            "POST",
            "/_sandbox/tunnels",
            serde_json::json!({"vpn_id": vpn, "status": status.to_string()}),
        )
        .await;
        let now = self.sim.now();
        self.sim
            .world()
            .set_tunnel(&VpnId::new(vpn), None, status, now)
            .expect("sim tunnel");
    }

    /// `secs` pass: the sandbox ages its world, the sim's virtual clock moves.
    pub async fn advance(&self, secs: i64) {
        let r = admin(
            &self.sandbox,
            "POST",
            "/_sandbox/clock",
            serde_json::json!({"advance_seconds": secs}),
        )
        .await;
        assert_eq!(r["aged_seconds"], secs);
        self.sim
            .virtual_clock
            .as_ref()
            .expect("the twin runs on virtual time")
            .advance(chrono::Duration::seconds(secs));
    }

    /// One sweep on both; returns the wire outcome after checking both agree.
    pub async fn reconcile(&self) -> Outcome {
        let wire = self.wire.handle(&sweep()).await.expect("wire reconcile");
        let sim = self
            .sim_engine
            .handle(&sweep())
            .await
            .expect("sim reconcile");
        assert_eq!(wire.moved(), sim.moved(), "same number of moves");
        self.assert_same_end_state();
        wire
    }

    pub fn sandbox_world(&self) -> World {
        lock(self.sandbox.world()).clone()
    }

    pub fn assert_same_end_state(&self) {
        let wire = self.sandbox_world();
        let sim = self.sim.snapshot();
        assert_eq!(routes(&wire), routes(&sim), "routes differ from the sim's");
        assert_eq!(
            references(&wire),
            references(&sim),
            "prefix-list references differ from the sim's"
        );
        assert_eq!(ledger(&wire), ledger(&sim), "ledgers differ");
    }
}

pub fn routes(w: &World) -> BTreeSet<String> {
    w.routes
        .iter()
        .map(|r| {
            format!(
                "{} {} {:?} {:?} {:?}",
                r.table, r.destination, r.attachment, r.route_type, r.state
            )
        })
        .collect()
}

pub fn references(w: &World) -> BTreeSet<String> {
    w.prefix_list_references
        .iter()
        .map(|p| {
            format!(
                "{} {} {:?} {}",
                p.table, p.prefix_list_id, p.attachment, p.blackhole
            )
        })
        .collect()
}

pub fn ledger(w: &World) -> BTreeSet<String> {
    w.state
        .values()
        .flat_map(|s| &s.ledger)
        .map(|e| format!("{:?} {} {} {}", e.key, e.group, e.home, e.current))
        .collect()
}

/// Static CIDR routes (and references) pointing at `att`.
pub fn count_on(w: &World, att: &str) -> (usize, usize) {
    let a = Some(AttachmentId::new(att));
    (
        w.routes
            .iter()
            .filter(|r| r.is_static() && r.attachment == a)
            .count(),
        w.prefix_list_references
            .iter()
            .filter(|p| p.attachment == a)
            .count(),
    )
}
