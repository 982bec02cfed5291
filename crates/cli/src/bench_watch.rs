//! `tgw-ha bench-watch`: how soon a watcher moves a dead primary's routes.
//!
//! Each trial starts a sandbox (`tgw-ha sandbox`, a child process) with EC2's token buckets and
//! a fixed latency per call, on a world of one TGW with 20 route tables and one group whose
//! primary carries R static routes. A watcher runs in this process as `tgw-ha watch` runs it:
//! the real engine over the real AWS SDK, a local state file for its ledger and leases, the real
//! clock. Once its first poll is done, the primary's tunnels go DOWN through the sandbox's admin
//! API (`POST /_sandbox/tunnels`) at a chosen phase of the poll cycle, and the trial measures
//! the time from that request to the first and to the last move EC2 (the sandbox) accepted.
//!
//! The phases are spread evenly over the interval (trial i of n at `(i + ½) / n` of it), so that
//! the median and p95 describe a drop at a random moment, as a real one is, with no randomness in
//! the benchmark itself. Detection takes `interval − phase` plus one poll's reads; the moves then
//! take what EC2's write budget allows (50 routes fit in its burst).

use crate::sandbox_process::{self, SandboxProcess};
use crate::state_file::FileStore;
use anyhow::Context;
use serde::Serialize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tgw_ha_core::ids::{AttachmentId, RouteTableId};
use tgw_ha_engine::layer::{Call, Ec2Action, Layer, Layered};
use tgw_ha_engine::ports::{Clock, NetError, Ports};
use tgw_ha_engine::service::{Backend, ServiceError};
use tgw_ha_engine::watch::{WatchConfig, WatchSummary};
use tgw_ha_engine::{RunOptions, Service, ServiceConfig};
use tgw_ha_sim::pair_world::Pair;
use tgw_ha_sim::{SimRoute, World};

const TABLES: usize = 20;
const PRIMARY: &str = "vpn-0c0000000000000001";
const BACKUP: &str = "vpn-0c0000000000000002";
const ATT_PRIMARY: &str = "tgw-attach-0c000000000000001";
/// A trial that has not seen every move by then has failed.
const TRIAL_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, Copy)]
pub struct BenchWatchArgs {
    pub routes: usize,
    pub trials: usize,
    pub interval: Duration,
    pub latency_ms: u64,
}

#[derive(Debug, Serialize)]
pub struct Trial {
    /// When in the poll cycle the tunnels went down (seconds after a poll started).
    pub phase_s: f64,
    pub first_move_s: f64,
    pub last_move_s: f64,
    pub moved: usize,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub routes: usize,
    pub trials: usize,
    pub interval_s: f64,
    pub latency_ms: u64,
    pub first_median_s: f64,
    pub first_p95_s: f64,
    pub last_median_s: f64,
    pub last_p95_s: f64,
    /// p95 to the first move ≤ interval + 1 s.
    pub target_met: bool,
    pub runs: Vec<Trial>,
}

/// The bench world: ids made up, shapes EC2's, no virtual time (the sandbox runs on the real
/// clock, as EC2 does).
fn bench_world(routes: usize) -> World {
    let rtb = |i: usize| RouteTableId::new(format!("tgw-rtb-0c00000000000{i:04}"));
    let primary = AttachmentId::new(ATT_PRIMARY);
    let mut w = Pair {
        tgw: "tgw-0c00000000000000a",
        group: "site",
        primary: (PRIMARY, ATT_PRIMARY),
        backup: (BACKUP, "tgw-attach-0c000000000000002"),
        tables: (0..TABLES).map(rtb).collect(),
    }
    .world();
    for (v, role) in w.vpn_connections.iter_mut().zip(["primary", "backup"]) {
        v.tags.insert("Name".into(), format!("bench-watch-{role}"));
    }
    w.routes = (0..routes)
        .map(|i| {
            let cidr = format!("10.{}.{}.0/24", (i / 256) % 256, i % 256);
            SimRoute::to_attachment(&rtb(i % TABLES), &cidr, &primary)
        })
        .collect();
    w
}

/// What the bench sees of the network: when each poll read the VPNs, when each move landed.
#[derive(Default)]
struct Seen {
    polls: Vec<Instant>,
    moves: Vec<Instant>,
}

/// Around the network: notes each read of the VPNs and each move that landed.
struct Recording(Arc<Mutex<Seen>>);

// The bench measures real elapsed time: it is one of the places outside the clock port that may.
#[allow(clippy::disallowed_methods)]
fn instant() -> Instant {
    Instant::now()
}

/// The Lambda's backend over the trial's sandbox and state file, its EC2 calls recorded.
struct Recorded {
    inner: tgw_ha_aws::AwsBackend,
    seen: Arc<Mutex<Seen>>,
}

impl Backend for Recorded {
    fn ports(&self, region: Option<&str>) -> Result<Ports, ServiceError> {
        let mut ports = self.inner.ports(region)?;
        ports.network = Arc::new(Layered::new(ports.network, Recording(self.seen.clone())));
        Ok(ports)
    }
    fn has_ledger(&self) -> bool {
        self.inner.has_ledger()
    }
    fn clock(&self) -> Arc<dyn Clock> {
        Backend::clock(&self.inner)
    }
}

impl Layer for Recording {
    fn after(&self, call: &Call<'_>, result: Result<(), &NetError>) {
        match call.action() {
            Ec2Action::DescribeVpnConnections => self.0.lock().expect("seen").polls.push(instant()),
            Ec2Action::ReplaceTransitGatewayRoute if result.is_ok() => {
                self.0.lock().expect("seen").moves.push(instant())
            }
            _ => {}
        }
    }
}

/// One trial: a fresh sandbox and state, a watcher, the drop at `phase` after a poll.
async fn trial(
    args: &BenchWatchArgs,
    phase: Duration,
    dir: &std::path::Path,
) -> anyhow::Result<(Trial, WatchSummary)> {
    let _ = std::fs::remove_file(dir.join("state.json"));
    let world = dir.join("world.json");
    std::fs::write(&world, serde_json::to_vec(&bench_world(args.routes))?)?;
    let sandbox = SandboxProcess::start(
        &std::env::current_exe()?,
        Some(&world),
        "aws",
        Some(args.latency_ms),
    )?;
    // Only ever its own sandbox on 127.0.0.1.
    let conf = sandbox_process::sdk_config().await;
    let store = Arc::new(FileStore::new(dir.join("state.json")));
    let seen = Arc::new(Mutex::new(Seen::default()));
    let backend = Recorded {
        inner: tgw_ha_aws::AwsBackend::new(conf, tgw_ha_aws::BackendConfig::default())
            .with_ec2_endpoint(Some(sandbox.url().to_owned()))
            .with_state(store.clone(), store),
        seen: seen.clone(),
    };
    // The watcher every front end gets: from the service, as `tgw-ha watch` and the Lambda do.
    let watcher = Service::new(Arc::new(backend), ServiceConfig::default()).watcher(
        None,
        "tgw-ha-bench-watch",
        WatchConfig::with_interval(args.interval),
    )?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let shutdown = Box::pin(async move {
            let _ = stopped.await;
        });
        watcher.run(&RunOptions::default(), Some(shutdown)).await
    });

    // The first poll (a sweep of the healthy world) is done when the second read of the VPNs
    // (the sweep's own) has been made; the next poll starts one interval after the first.
    let first_poll = loop {
        {
            let s = seen.lock().expect("seen");
            if s.polls.len() >= 2 {
                break s.polls[0];
            }
        }
        anyhow::ensure!(
            !task.is_finished(),
            "the watcher ended before its first poll"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    // Polls start at first_poll + k·interval (within a read's latency): drop at `phase` into
    // the cycle that starts one interval after the first.
    let drop_at = first_poll + args.interval + phase;
    tokio::time::sleep(drop_at.saturating_duration_since(instant())).await;
    let body = format!(r#"{{"vpn_id":"{PRIMARY}","status":"DOWN"}}"#);
    let t0 = instant();
    sandbox.admin("POST", "/_sandbox/tunnels", Some(&body))?;

    let deadline = t0 + TRIAL_TIMEOUT;
    loop {
        if seen.lock().expect("seen").moves.len() >= args.routes {
            break;
        }
        anyhow::ensure!(
            instant() < deadline,
            "only {} of {} routes moved within {TRIAL_TIMEOUT:?}",
            seen.lock().expect("seen").moves.len(),
            args.routes
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let _ = stop.send(());
    let summary = task.await.context("watcher task")??;
    let s = seen.lock().expect("seen");
    let secs = |t: &Instant| t.saturating_duration_since(t0).as_secs_f64();
    Ok((
        Trial {
            phase_s: phase.as_secs_f64(),
            first_move_s: s.moves.iter().map(secs).fold(f64::INFINITY, f64::min),
            last_move_s: s.moves.iter().map(secs).fold(0.0, f64::max),
            moved: s.moves.len(),
        },
        summary,
    ))
}

/// The value below which `p` of `sorted` lies (nearest rank).
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

pub async fn run(
    args: BenchWatchArgs,
    output: crate::Output,
) -> anyhow::Result<std::process::ExitCode> {
    anyhow::ensure!(args.trials > 0 && args.routes > 0, "give routes and trials");
    let dir = std::env::temp_dir().join(format!("tgw-ha-bench-watch-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut runs = Vec::with_capacity(args.trials);
    for i in 0..args.trials {
        let phase = args.interval.mul_f64((i as f64 + 0.5) / args.trials as f64);
        let (t, summary) = trial(&args, phase, &dir).await?;
        if output == crate::Output::Table {
            eprintln!(
                "trial {:>2}/{}: down {:.2}s into the cycle → first move {:.3}s, last {:.3}s ({} moved; watch: {})",
                i + 1,
                args.trials,
                t.phase_s,
                t.first_move_s,
                t.last_move_s,
                t.moved,
                summary.describe()
            );
        }
        runs.push(t);
    }
    let _ = std::fs::remove_dir_all(&dir);
    let sorted = |f: fn(&Trial) -> f64| {
        let mut v: Vec<f64> = runs.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let first = sorted(|t| t.first_move_s);
    let last = sorted(|t| t.last_move_s);
    let interval_s = args.interval.as_secs_f64();
    let report = Report {
        routes: args.routes,
        trials: args.trials,
        interval_s,
        latency_ms: args.latency_ms,
        first_median_s: median(&first),
        first_p95_s: percentile(&first, 0.95),
        last_median_s: median(&last),
        last_p95_s: percentile(&last, 0.95),
        target_met: percentile(&first, 0.95) <= interval_s + 1.0,
        runs,
    };
    match output {
        crate::Output::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        crate::Output::Table => {
            println!(
                "watch, interval {interval_s}s, {} routes, {} trials, {} ms per call",
                report.routes, report.trials, report.latency_ms
            );
            println!(
                "  DOWN → first move: median {:.2}s  p95 {:.2}s  (target p95 ≤ {:.0}s: {})",
                report.first_median_s,
                report.first_p95_s,
                interval_s + 1.0,
                if report.target_met { "met" } else { "NOT met" }
            );
            println!(
                "  DOWN → last move:  median {:.2}s  p95 {:.2}s",
                report.last_median_s, report.last_p95_s
            );
        }
    }
    Ok(if report.target_met {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    })
}
