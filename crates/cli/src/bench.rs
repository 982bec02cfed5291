//! `tgw-ha bench`: how fast a failover is against EC2's real rate limits.
//!
//! Each case starts a sandbox (`tgw-ha sandbox`, a child process, so the memory figure is the
//! engine's alone) with EC2's token buckets and a fixed latency per call, on a world of one TGW
//! with 20 route tables and one group whose primary carries R static routes (or one prefix-list
//! reference per table), the primary's tunnels down. It then runs the real engine over the real
//! AWS SDK, as the Lambda would on an alarm, and reports wall time from trigger to last move,
//! calls by action, throttling, and the ratio to the floor EC2 sets: `max(0, R − 50) / 5` s of
//! writes (the mutating bucket: 50 burst, 5 per s) plus the time the reads take.
//!
//! `--prefix-list-conversion R`: a group of R routes, the same R / 20 CIDRs in every table, fails
//! over as it is; then, on a fresh sandbox of the same world, `prefix-lists convert` runs (timed,
//! against the same limits) and the converted group fails over: one call per table.

use crate::aws_backend::AwsArgs;
use crate::sandbox_process::{self, SandboxProcess};
use crate::state_file::FileStore;
use serde::Serialize;
use std::sync::Arc;
use std::time::Instant;
use tgw_ha_core::ids::{AttachmentId, PrefixListId, RouteTableId, VpnId};
use tgw_ha_core::model::TunnelStatus;
use tgw_ha_core::state::SignalSource;
use tgw_ha_core::trigger::{OperatorAction, SignalEvent, Trigger};
use tgw_ha_engine::ports::SystemClock;
use tgw_ha_engine::{Service, ServiceConfig, ServiceOptions};
use tgw_ha_sim::pair_world::Pair;
use tgw_ha_sim::{SimPrefixListReference, SimRoute, World};

const TABLES: usize = 20;
const PRIMARY: &str = "vpn-0b0000000000000001";
const BACKUP: &str = "vpn-0b0000000000000002";
const ATT_PRIMARY: &str = "tgw-attach-0b000000000000001";

#[derive(Debug, Serialize)]
pub struct BenchRow {
    pub case: String,
    pub routes: usize,
    pub prefix_lists: usize,
    pub latency_ms: u64,
    pub limits: String,
    pub read_s: f64,
    pub wall_s: f64,
    pub floor_s: f64,
    pub ratio: f64,
    pub moved: usize,
    pub failed: usize,
    pub calls: serde_json::Value,
    pub throttled: u64,
    pub peak_rss_mib: f64,
}

/// The bench world: ids are made up, shapes are EC2's, no virtual time (the sandbox runs on
/// the real clock, as EC2 does). The R routes are spread over the tables; with `same_cidrs`
/// every table routes the same R / 20 CIDRs (a group one prefix list can hold), otherwise each
/// table its own.
fn bench_world(routes: usize, prefix_lists: bool, same_cidrs: bool) -> World {
    let rtb = |i: usize| RouteTableId::new(format!("tgw-rtb-0b00000000000{i:04}"));
    let primary = AttachmentId::new(ATT_PRIMARY);
    let mut w = Pair {
        tgw: "tgw-0b00000000000000a",
        group: "bench",
        primary: (PRIMARY, ATT_PRIMARY),
        backup: (BACKUP, "tgw-attach-0b000000000000002"),
        tables: (0..TABLES).map(rtb).collect(),
    }
    .world();
    for (v, role) in w.vpn_connections.iter_mut().zip(["primary", "backup"]) {
        v.tags.insert("Name".into(), format!("bench-{role}"));
    }
    for i in 0..routes {
        let n = if same_cidrs { i / TABLES } else { i };
        let cidr = format!("10.{}.{}.0/24", (n / 256) % 256, n % 256);
        w.routes
            .push(SimRoute::to_attachment(&rtb(i % TABLES), &cidr, &primary));
    }
    if prefix_lists {
        w.prefix_list_references = (0..TABLES)
            .map(|i| SimPrefixListReference {
                table: rtb(i),
                prefix_list_id: PrefixListId::new(format!("pl-0b00000000000{i:04}")),
                attachment: Some(primary.clone()),
                blackhole: false,
                cidrs: vec![],
            })
            .collect();
    }
    w
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|kb| kb.parse::<f64>().ok())
            })
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// One bench sandbox and the service over it through the real SDK (the Lambda's backend, with
/// the ledger in a local file).
struct Setup {
    sandbox: SandboxProcess,
    dir: std::path::PathBuf,
    ec2: aws_sdk_ec2::Client,
    store: Arc<FileStore>,
    service: Service,
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn setup(name: &str, world: World, limits: &str, latency_ms: u64) -> anyhow::Result<Setup> {
    let dir = std::env::temp_dir().join(format!("tgw-ha-bench-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("world.json");
    std::fs::write(&path, serde_json::to_vec(&world)?)?;
    let sandbox = SandboxProcess::start(
        &std::env::current_exe()?,
        Some(&path),
        limits,
        Some(latency_ms),
    )?;
    // The bench only ever talks to its own sandbox on 127.0.0.1.
    let conf = sandbox_process::sdk_config().await;
    let ec2 = tgw_ha_aws::ec2_client(&conf);
    let ec2 = aws_sdk_ec2::Client::from_conf(
        ec2.config()
            .to_builder()
            .endpoint_url(sandbox.url())
            .build(),
    );
    let clock = Arc::new(SystemClock);
    let store = Arc::new(FileStore::new(dir.join("state.json")));
    let backend = tgw_ha_aws::AwsBackend::new(conf, tgw_ha_aws::BackendConfig::default())
        .with_ec2_endpoint(Some(sandbox.url().to_owned()))
        .with_clock(clock)
        .with_state(store.clone(), store.clone());
    let service = Service::new(
        Arc::new(backend),
        ServiceConfig {
            executor: executor_for(limits),
            ..ServiceConfig::default()
        },
    );
    Ok(Setup {
        sandbox,
        dir,
        ec2,
        store,
        service,
    })
}

// The bench measures real elapsed time: it is the one place outside the clock port that may.
#[allow(clippy::disallowed_methods)]
pub async fn run_case(
    aws: &AwsArgs,
    routes: usize,
    prefix_lists: bool,
    limits: &str,
    latency_ms: u64,
) -> anyhow::Result<BenchRow> {
    let _ = aws;
    let s = setup(
        &routes.to_string(),
        bench_world(routes, prefix_lists, false),
        limits,
        latency_ms,
    )
    .await?;
    let case = if prefix_lists {
        "prefix lists"
    } else {
        "static routes"
    };
    failover(
        &s,
        case,
        routes,
        if prefix_lists { TABLES } else { 0 },
        limits,
        latency_ms,
    )
    .await
}

/// Break the primary, hand its alarm to the engine, and time the failover (after one dry run
/// that measures what the reads cost).
#[allow(clippy::disallowed_methods)]
async fn failover(
    s: &Setup,
    case: &str,
    routes: usize,
    prefix_lists: usize,
    limits: &str,
    latency_ms: u64,
) -> anyhow::Result<BenchRow> {
    let service = &s.service;
    let options = ServiceOptions::new("tgw-ha-bench");
    let sandbox = &s.sandbox;
    // The read time: one dry run observes everything the failover will observe.
    let t = Instant::now();
    let plan = Trigger::Operator {
        action: OperatorAction::Reconcile { group: None },
        dry_run: true,
    };
    service.run(plan, &options).await?;
    let read_s = t.elapsed().as_secs_f64();

    // Break the primary, then deliver its alarm, and time the failover.
    sandbox.admin(
        "POST",
        "/_sandbox/tunnels",
        Some(&format!(r#"{{"vpn_id":"{PRIMARY}","status":"DOWN"}}"#)),
    )?;
    let before = sandbox.admin("GET", "/_sandbox/calls", None)?;
    let at = chrono::Utc::now();
    let trigger = Trigger::Vpn {
        signal: SignalEvent {
            vpn: VpnId::new(PRIMARY),
            tunnel: None,
            status: Some(TunnelStatus::Down),
            at,
            source: SignalSource::CloudWatchAlarm,
        },
        region: None,
    };
    let t = Instant::now();
    let result = service.run(trigger, &options).await;
    let wall_s = t.elapsed().as_secs_f64();
    let after = sandbox.admin("GET", "/_sandbox/calls", None)?;
    let (moved, failed) = match &result {
        Ok(o) => (o.moved(), 0),
        Err(e) => match e.outcome() {
            Some(o) => (o.moved(), o.failed()),
            None => return Err(anyhow::anyhow!("bench failover failed: {e}")),
        },
    };
    let moves = routes + prefix_lists;
    let floor_s = (moves.saturating_sub(50)) as f64 / 5.0 + read_s;
    Ok(BenchRow {
        case: case.into(),
        routes,
        prefix_lists,
        latency_ms,
        limits: limits.into(),
        read_s,
        wall_s,
        floor_s,
        ratio: wall_s / floor_s,
        moved,
        failed,
        throttled: diff_total(&before, &after, "throttled"),
        calls: diff_by_action(&before, &after),
        peak_rss_mib: peak_rss_mib(),
    })
}

/// A group of `routes` static routes, the same CIDRs in each of the 20 tables: its failover as
/// it is, then `tgw-ha prefix-lists convert` on a fresh sandbox (the same world), then the
/// failover of the converted group. Three rows.
#[allow(clippy::disallowed_methods)]
pub async fn run_conversion_case(routes: usize, latency_ms: u64) -> anyhow::Result<Vec<BenchRow>> {
    let limits = "aws";
    let world = bench_world(routes, false, true);
    let mut rows = vec![];
    {
        let s = setup("before", world.clone(), limits, latency_ms).await?;
        rows.push(failover(&s, "static, before", routes, 0, limits, latency_ms).await?);
        print_progress(&rows);
    }
    let s = setup("convert", world, limits, latency_ms).await?;
    let clock = Arc::new(SystemClock);
    let converter = tgw_ha_engine::conversion::Converter::new(
        tgw_ha_engine::conversion::ConversionPorts {
            network: Arc::new(tgw_ha_aws::Ec2Network::new(s.ec2.clone()).with_clock(clock.clone())),
            admin: Arc::new(tgw_ha_aws::Ec2PrefixLists::new(s.ec2.clone())),
            store: s.store.clone(),
            lease: s.store.clone(),
            clock,
        },
        tgw_ha_engine::conversion::ConverterConfig {
            owner: "tgw-ha-bench".into(),
            executor: executor_for(limits),
            ..Default::default()
        },
    );
    let group = tgw_ha_core::ids::GroupName::new("bench");
    let before = s.sandbox.admin("GET", "/_sandbox/calls", None)?;
    let t = Instant::now();
    let report = converter
        .run(&group, tgw_ha_core::conversion::Direction::Convert)
        .await
        .map_err(|e| anyhow::anyhow!("bench conversion failed: {e}"))?;
    let wall_s = t.elapsed().as_secs_f64();
    let after = s.sandbox.admin("GET", "/_sandbox/calls", None)?;
    // EC2's buckets are per action: the floor is the slowest action's.
    let floor_s = report
        .plan
        .calls()
        .values()
        .map(|n| n.saturating_sub(50) as f64 / 5.0)
        .fold(0.0, f64::max);
    rows.push(BenchRow {
        case: "conversion".into(),
        routes,
        prefix_lists: TABLES,
        latency_ms,
        limits: limits.into(),
        read_s: 0.0,
        wall_s,
        floor_s,
        ratio: wall_s / floor_s.max(f64::EPSILON),
        moved: report.steps_done,
        failed: report.remaining.len(),
        throttled: diff_total(&before, &after, "throttled"),
        calls: diff_by_action(&before, &after),
        peak_rss_mib: peak_rss_mib(),
    });
    print_progress(&rows);
    rows.push(failover(&s, "prefix list, after", 0, TABLES, limits, latency_ms).await?);
    Ok(rows)
}

fn print_progress(rows: &[BenchRow]) {
    if let Some(r) = rows.last() {
        eprintln!(
            "bench: {}: wall {:.2}s, floor {:.2}s, calls {}",
            r.case, r.wall_s, r.floor_s, r.calls
        );
    }
}

/// Against a sandbox without limits (the memory case) the engine's own pacing is lifted too:
/// that case measures memory, not EC2's budget.
fn executor_for(limits: &str) -> tgw_ha_engine::executor::ExecutorConfig {
    let mut c = tgw_ha_engine::executor::ExecutorConfig::default();
    if limits == "none" {
        let unlimited = tgw_ha_engine::executor::Bucket {
            burst: 1e9,
            per_second: 1e9,
        };
        c.mutating = unlimited;
        c.reads = unlimited;
    }
    c
}

/// The sandbox's call counts are cumulative; the failover's are the difference.
fn diff_by_action(before: &serde_json::Value, after: &serde_json::Value) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    if let Some(a) = after.get("calls").and_then(|c| c.as_object()) {
        for (k, v) in a {
            let b = before
                .get("calls")
                .and_then(|c| c.get(k))
                .and_then(|x| x.as_u64())
                .unwrap_or(0);
            let n = v.as_u64().unwrap_or(0).saturating_sub(b);
            if n > 0 {
                out.insert(k.clone(), n.into());
            }
        }
    }
    out.into()
}

fn diff_total(before: &serde_json::Value, after: &serde_json::Value, key: &str) -> u64 {
    let sum = |v: &serde_json::Value| {
        v.get(key)
            .and_then(|c| c.as_object())
            .map(|m| m.values().filter_map(|x| x.as_u64()).sum::<u64>())
            .unwrap_or(0)
    };
    sum(after).saturating_sub(sum(before))
}

/// Run the cases one after the other, printing each row as it completes (a 5 000-route case
/// takes over 16 minutes: that is EC2's floor, not ours).
pub async fn run(
    aws: &AwsArgs,
    routes: &[usize],
    prefix_lists: bool,
    latency_ms: u64,
    memory: Option<usize>,
    conversion: Option<usize>,
    output: crate::Output,
) -> anyhow::Result<std::process::ExitCode> {
    let mut cases: Vec<(usize, bool, &str)> = routes.iter().map(|r| (*r, false, "aws")).collect();
    if prefix_lists {
        cases.push((0, true, "aws"));
    }
    if let Some(r) = memory {
        cases.push((r, false, "none"));
    }
    let mut rows = vec![];
    for (r, pl, limits) in cases {
        eprintln!(
            "bench: {} with {r} routes{}, limits {limits}, latency {latency_ms} ms …",
            if pl {
                "prefix-list failover"
            } else {
                "failover"
            },
            if pl {
                format!(" + {TABLES} prefix-list references")
            } else {
                String::new()
            }
        );
        let row = run_case(aws, r, pl, limits, latency_ms).await?;
        if output == crate::Output::Table {
            print_row(&row);
        }
        rows.push(row);
    }
    if let Some(r) = conversion {
        eprintln!(
            "bench: prefix-list conversion of {r} routes ({} CIDRs in each of {TABLES} tables), limits aws, latency {latency_ms} ms …",
            r / TABLES
        );
        for row in run_conversion_case(r, latency_ms).await? {
            if output == crate::Output::Table {
                print_row(&row);
            }
            rows.push(row);
        }
    }
    if output == crate::Output::Json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    }
    Ok(if rows.iter().all(|r| r.failed == 0) {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    })
}

fn print_row(row: &BenchRow) {
    println!(
        "{:<18} R={:<6} limits={:<4} read {:>6.2}s  wall {:>8.2}s  floor {:>8.2}s  ratio {:>5.3}  moved {:<5} failed {} throttled {:<3} peak RSS {:.1} MiB  calls {}",
        row.case,
        row.routes,
        row.limits,
        row.read_s,
        row.wall_s,
        row.floor_s,
        row.ratio,
        row.moved,
        row.failed,
        row.throttled,
        row.peak_rss_mib,
        row.calls
    );
}
