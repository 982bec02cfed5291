//! `tgw-ha sandbox`: the EC2 Query API over a simulated world on localhost, so the real AWS SDK,
//! the AWS CLI or boto3 can be pointed at it with `--endpoint-url`. Prints the bound address on
//! its first line (scripts read it), then serves until stopped.

use anyhow::Context;
use clap::{Args, ValueEnum};
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use tgw_ha_sim::World;
use tgw_ha_sim::sandbox::{Limits, SandboxConfig, SearchPages, SubnetMatch};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LimitsArg {
    /// EC2's token buckets per action (mutating 50 burst / 5 per s, reads 100 / 20 per s).
    Aws,
    None,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PagesArg {
    /// `nextToken` pagination of route searches (current EC2).
    Token,
    /// Older EC2: `additionalRoutesAvailable=true` without a token.
    Truncate,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SubnetArg {
    Inclusive,
    Strict,
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:4570")]
    pub listen: SocketAddr,
    #[arg(long, value_enum, default_value_t = LimitsArg::Aws)]
    pub limits: LimitsArg,
    /// Added to every EC2 call (default: the world file's `faults.latency_ms`, else 0).
    #[arg(long)]
    pub latency_ms: Option<u64>,
    /// Largest page of the paginated actions.
    #[arg(long)]
    pub page_size: Option<usize>,
    #[arg(long, value_enum, default_value_t = PagesArg::Token)]
    pub search_pages: PagesArg,
    /// Whether `route-search.subnet-of-match` includes the prefix itself (AWS does not say).
    #[arg(long, value_enum, default_value_t = SubnetArg::Inclusive)]
    pub subnet_match: SubnetArg,
    /// Fraction of EC2 calls answered 500 InternalError.
    #[arg(long, default_value_t = 0.0)]
    pub error_rate: f64,
}

pub async fn run(
    args: SandboxArgs,
    world: Option<&Path>,
) -> anyhow::Result<std::process::ExitCode> {
    let world = match world {
        Some(p) => World::from_path(p)
            .with_context(|| format!("cannot load world file {}", p.display()))?,
        None => tgw_ha_sim::demo_world(),
    };
    let mut config = SandboxConfig::new(world);
    if let Some(ms) = args.latency_ms {
        config = config.latency_ms(ms);
    }
    let config = config
        .limits(match args.limits {
            LimitsArg::Aws => Limits::Aws,
            LimitsArg::None => Limits::None,
        })
        .subnet_match(match args.subnet_match {
            SubnetArg::Inclusive => SubnetMatch::Inclusive,
            SubnetArg::Strict => SubnetMatch::Strict,
        })
        .page_size(args.page_size)
        .error_rate(args.error_rate)
        .search_pages(match args.search_pages {
            PagesArg::Token => SearchPages::Token,
            PagesArg::Truncate => SearchPages::Truncate,
        });
    let sandbox = tgw_ha_sim::sandbox::bind(args.listen, config).await?;
    println!("{}", sandbox.url());
    std::io::stdout().flush()?;
    eprintln!(
        "tgw-ha sandbox: EC2 API at {url} (admin: {url}/_sandbox/world, /_sandbox/tunnels, /_sandbox/clock, /_sandbox/faults, /_sandbox/calls); Ctrl-C to stop",
        url = sandbox.url()
    );
    sandbox.serve().await?;
    Ok(std::process::ExitCode::SUCCESS)
}
