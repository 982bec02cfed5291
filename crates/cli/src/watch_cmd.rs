//! `tgw-ha watch`: the watch loop (`tgw_ha_engine::watch`) as a daemon: one
//! `DescribeVpnConnections` per interval, the engine at once for the groups whose members'
//! health changed. Against EC2 (`--features aws`, the deployment's `--table`), or on a world
//! file:
//! - a world on the real clock (no `now` in the file) is watched live: the file is read again
//!   when another command changes it (`tgw-ha world tunnel …` in another shell) and saved after
//!   every run, so the two shells see one world;
//! - a world on a virtual clock has no "live": the watch needs `--max-duration D` and then
//!   watches D seconds of virtual time at once (the world's clock moves forward by D).
//!
//! Ctrl-C and SIGTERM stop the watch between polls (a run in progress finishes first) and
//! release its lease, so that a restarted watcher takes over at once.

use crate::Output;
use anyhow::Context;
use async_trait::async_trait;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tgw_ha_core::ids::TgwId;
use tgw_ha_core::policy::Policy;
use tgw_ha_engine::layer::{Call, Layer, Layered};
use tgw_ha_engine::ports::{Clock, NetError, Ports};
use tgw_ha_engine::service::{Backend, ServiceError};
use tgw_ha_engine::watch::{RunObserver, Shutdown, WatchConfig, WatchEnd, WatchError, Watcher};
use tgw_ha_engine::{Deadline, EngineConfig, RunOptions, Service, ServiceConfig};
use tgw_ha_sim::{Sim, World};

/// What `tgw-ha watch` was asked.
#[derive(Debug, Clone, Copy)]
pub struct WatchArgs {
    pub interval: Duration,
    pub max_duration: Option<Duration>,
}

/// Run the watch on a world file (`world`) or, with the `aws` feature, against EC2.
pub async fn run(
    args: WatchArgs,
    world: Option<&Path>,
    #[cfg(feature = "aws")] aws: &crate::aws_backend::AwsArgs,
    policy: Policy,
    output: Output,
) -> anyhow::Result<std::process::ExitCode> {
    if args.interval < Duration::from_secs(1) {
        anyhow::bail!(
            "--interval {:?} is too short: at least 1s (EC2 reads are budgeted per account)",
            args.interval
        );
    }
    let engine = EngineConfig::default();
    // The last poll starts the engine's margin before the end, so that a failover it starts
    // has that long to land: an end within the margin would watch nothing.
    if let Some(d) = args.max_duration
        && d <= engine.deadline_margin
    {
        anyhow::bail!(
            "--max-duration {}s is too short: the watch stops polling {}s before its end (the \
             time a failover started by the last poll has to land); give more than {}s",
            d.as_secs(),
            engine.deadline_margin.as_secs(),
            engine.deadline_margin.as_secs()
        );
    }
    let options = RunOptions {
        deadline: args.max_duration.map(Deadline::In),
    };
    let config = WatchConfig::with_interval(args.interval);
    if let Some(path) = world {
        return on_world(path, args, policy, config, &options, output).await;
    }
    #[cfg(feature = "aws")]
    {
        if aws.table.is_none() && aws.state_file.is_none() {
            anyhow::bail!(
                "watch moves routes and keeps a ledger and a lease: give --table (the \
                 deployment's table, TGW_HA_TABLE) or --state-file FILE"
            );
        }
        let service = aws.service(policy).await?;
        // Under the function's rules, as every other command on AWS: the CLI's own Region must
        // be one the deployment owns (`TGW_HA_REGIONS`), or the watch would keep a second ledger
        // and lease beside the owning deployment's. The CLI's Region is the home one: bare keys.
        service.watch_regions(service.backend().home_region())?;
        let watcher = service.watcher(None, &crate::backend::owner(), config)?;
        report(output, watcher.run(&options, Some(shutdown())).await)
    }
    #[cfg(not(feature = "aws"))]
    anyhow::bail!(
        "no backend: give --world FILE to watch a simulated world; this build has no AWS \
         support (build with `--features aws`)"
    )
}

async fn on_world(
    path: &Path,
    args: WatchArgs,
    policy: Policy,
    config: WatchConfig,
    options: &RunOptions,
    output: Output,
) -> anyhow::Result<std::process::ExitCode> {
    let world = World::from_path(path)
        .with_context(|| format!("cannot load world file {}", path.display()))?;
    let sim = Sim::new(world);
    if sim.virtual_clock.is_some() {
        if args.max_duration.is_none() {
            anyhow::bail!(
                "{} runs on a virtual clock (its `now`): nothing changes it while a watch waits, \
                 so a watch without an end would spin through virtual time. Give --max-duration \
                 D to watch D of virtual time at once (the world's clock moves forward by D), or \
                 remove `now` from the file to watch it live on the real clock",
                path.display()
            );
        }
        let watcher = world_watcher(Arc::new(sim.clone()), policy, config)?;
        let result = watcher.run(options, None).await;
        save(&sim, path)?;
        return report(output, result);
    }
    // Live: read the file again when another command changed it, save it after every run.
    let file = Arc::new(WorldFile {
        path: path.to_owned(),
        seen: Mutex::new(modified(path)),
        sim: sim.clone(),
    });
    let saver = file.clone();
    let observer: RunObserver = Box::new(move |_, _| {
        if let Err(e) = saver.save() {
            tracing::error!(error = %format!("{e:#}"), "world file not saved");
        }
    });
    let watcher =
        world_watcher(Arc::new(LiveWorld(file.clone())), policy, config)?.with_observer(observer);
    let result = watcher.run(options, Some(shutdown())).await;
    file.save()?;
    report(output, result)
}

/// A watcher from the application service over a world, as every front end gets one.
fn world_watcher(
    backend: Arc<dyn Backend>,
    policy: Policy,
    config: WatchConfig,
) -> anyhow::Result<Watcher> {
    let service = Service::new(
        backend,
        ServiceConfig {
            policy,
            ..ServiceConfig::default()
        },
    );
    Ok(service.watcher(None, &crate::backend::owner(), config)?)
}

/// A live world as the service's backend: the sim's ports, with a network that reads the file
/// again when another command changed it.
struct LiveWorld(Arc<WorldFile>);

impl Backend for LiveWorld {
    fn ports(&self, _region: Option<&str>) -> Result<Ports, ServiceError> {
        let mut ports = self.0.sim.ports();
        ports.network = Arc::new(Layered::new(ports.network, Reloading(self.0.clone())));
        Ok(ports)
    }
    fn has_ledger(&self) -> bool {
        true
    }
    fn clock(&self) -> Arc<dyn Clock> {
        self.0.sim.clock.clone()
    }
}

fn save(sim: &Sim, path: &Path) -> anyhow::Result<()> {
    sim.snapshot()
        .save(path)
        .with_context(|| format!("cannot save world file {}", path.display()))
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The world file of a live watch, and when it was last read or written by this watch.
struct WorldFile {
    path: PathBuf,
    seen: Mutex<Option<SystemTime>>,
    sim: Sim,
}

impl WorldFile {
    fn save(&self) -> anyhow::Result<()> {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        save(&self.sim, &self.path)?;
        *seen = modified(&self.path);
        Ok(())
    }

    /// Read the file again if someone else wrote it since.
    fn reload_if_changed(&self) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let now = modified(&self.path);
        if now == *seen {
            return;
        }
        match World::from_path(&self.path) {
            Ok(mut w) => {
                let mut world = self.sim.world();
                // A command that read the file before this watch first saved it wrote it back
                // without the watch lease: keep ours.
                let key = TgwId::new(tgw_ha_engine::watch::WATCH_LEASE_KEY);
                if let Some(l) = world.leases.get(&key)
                    && !w.leases.contains_key(&key)
                {
                    w.leases.insert(key, l.clone());
                }
                *world = w;
                *seen = now;
                tracing::info!(file = %self.path.display(), "world file changed: read again");
            }
            // Half-written by the other command, maybe: the next poll reads it again.
            Err(e) => tracing::warn!(error = %e, "world file changed but unreadable; next poll"),
        }
    }
}

/// Around the sim's network: read the world file again before each read of the VPNs.
struct Reloading(Arc<WorldFile>);

#[async_trait]
impl Layer for Reloading {
    async fn before(&self, call: &Call<'_>) -> Result<(), NetError> {
        if let Call::VpnConnections = call {
            self.0.reload_if_changed();
        }
        Ok(())
    }
}

/// Completes on Ctrl-C or SIGTERM (systemd's and docker's stop).
fn shutdown() -> Shutdown {
    Box::pin(async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    })
}

/// Print the summary; the exit status says whether the watch ended as asked.
fn report(
    output: Output,
    result: Result<tgw_ha_engine::watch::WatchSummary, WatchError>,
) -> anyhow::Result<std::process::ExitCode> {
    let s = match result {
        Ok(s) => s,
        Err(e @ WatchError::Busy { .. }) => {
            eprintln!("error: {e}");
            return Ok(std::process::ExitCode::FAILURE);
        }
        Err(e) => return Err(e.into()),
    };
    match output {
        Output::Json => println!("{}", serde_json::to_string_pretty(&s)?),
        Output::Table => {
            println!("{}", s.describe());
            for e in &s.errors {
                println!("  error: {e}");
            }
        }
    }
    Ok(if s.end == WatchEnd::LeaseLost {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    })
}
