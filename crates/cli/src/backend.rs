//! The simulated backend: a world file, loaded into the sim, saved back after a write, so that
//! a sequence of commands behaves like a real account. Also the `world` subcommands that build
//! and break a world from the shell.

use crate::Output;
use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tgw_ha_core::ids::VpnId;
use tgw_ha_core::model::TunnelStatus;
use tgw_ha_core::policy::Policy;
use tgw_ha_core::trigger::Trigger;
use tgw_ha_engine::{Outcome, Service, ServiceConfig, ServiceError, ServiceOptions};
use tgw_ha_sim::{Format, Sim, World};

pub struct WorldBackend {
    path: PathBuf,
    sim: Sim,
    service: Service,
}

impl WorldBackend {
    pub fn open(path: &Path, policy: Policy) -> anyhow::Result<Self> {
        let world = World::from_path(path)
            .with_context(|| format!("cannot load world file {}", path.display()))?;
        let sim = Sim::new(world);
        let service = Service::new(
            Arc::new(sim.clone()),
            ServiceConfig {
                policy,
                ..ServiceConfig::default()
            },
        );
        Ok(Self {
            path: path.to_owned(),
            sim,
            service,
        })
    }

    /// Run one trigger through the application service, as this CLI.
    pub async fn run(
        &self,
        trigger: Trigger,
        options: &ServiceOptions,
    ) -> Result<Outcome, ServiceError> {
        self.service.run(trigger, options).await
    }

    /// The simulated world's ports (for reads beside the engine's, e.g. failover estimates).
    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    pub fn save(&self) -> anyhow::Result<()> {
        self.sim
            .snapshot()
            .save(&self.path)
            .with_context(|| format!("cannot save world file {}", self.path.display()))
    }
}

/// Who holds a lease taken from this CLI: a person reading a stuck lease wants to know.
pub fn owner() -> String {
    let user = std::env::var("USER").unwrap_or_else(|_| "cli".into());
    format!("tgw-ha-cli:{user}:{}", std::process::id())
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FileFormat {
    Json,
    Toml,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Status {
    Up,
    Down,
}

#[derive(Debug, Subcommand)]
pub enum WorldCommand {
    /// Print the demo's world as a scenario file, to start describing your own network.
    Example {
        #[arg(long, value_enum, default_value_t = FileFormat::Json)]
        format: FileFormat,
    },
    /// Print the world: VPNs and tunnels, route tables and their routes.
    Show,
    /// Bring a VPN's tunnels (or one tunnel) up or down, as of the world's time.
    Tunnel {
        #[arg(long)]
        vpn: VpnId,
        #[arg(long, value_enum)]
        status: Status,
        /// One tunnel, by outside IP address (default: every tunnel of the VPN).
        #[arg(long)]
        outside_ip: Option<String>,
    },
    /// Move the world's virtual clock forward (e.g. past a hold-down).
    Advance {
        #[arg(long)]
        seconds: i64,
    },
}

pub fn world_command(
    cmd: WorldCommand,
    path: Option<&Path>,
    output: Output,
) -> anyhow::Result<std::process::ExitCode> {
    if let WorldCommand::Example { format } = cmd {
        let world = tgw_ha_sim::demo_world();
        let text = world.encode(match format {
            FileFormat::Json => Format::Json,
            FileFormat::Toml => Format::Toml,
        })?;
        print!("{text}");
        if !text.ends_with('\n') {
            println!();
        }
        return Ok(std::process::ExitCode::SUCCESS);
    }
    let path = path.context("this command needs --world FILE")?;
    let mut world = World::from_path(path)
        .with_context(|| format!("cannot load world file {}", path.display()))?;
    match cmd {
        WorldCommand::Example { .. } => unreachable!("handled above"),
        WorldCommand::Show => {
            match output {
                Output::Json => print!("{}", world.to_json_pretty()),
                Output::Table => print!("{}", crate::render::world(&world)),
            }
            return Ok(std::process::ExitCode::SUCCESS);
        }
        WorldCommand::Tunnel {
            vpn,
            status,
            outside_ip,
        } => {
            let at = world.now().unwrap_or_else(now_for_world_without_time);
            let status = match status {
                Status::Up => TunnelStatus::Up,
                Status::Down => TunnelStatus::Down,
            };
            world.set_tunnel(&vpn, outside_ip.as_deref(), status, at)?;
            println!(
                "{vpn} {} → {status} at {}",
                outside_ip.as_deref().unwrap_or("all tunnels"),
                at.to_rfc3339()
            );
        }
        WorldCommand::Advance { seconds } => {
            let t = world.advance_clock(seconds)?;
            println!("world time is now {}", t.to_rfc3339());
        }
    }
    world
        .save(path)
        .with_context(|| format!("cannot save world file {}", path.display()))?;
    Ok(std::process::ExitCode::SUCCESS)
}

/// A world without virtual time runs on the real clock: tunnel changes are stamped with it.
#[allow(
    clippy::disallowed_methods,
    reason = "the binary may read the real clock"
)]
fn now_for_world_without_time() -> tgw_ha_core::Timestamp {
    chrono::Utc::now()
}
