//! `tgw-ha`: the operator's command line. Thin by design: parse flags, build the chosen backend
//! (a world file for the sim; EC2 with the `aws` feature), hand a trigger to the application
//! service (`tgw_ha_engine::Service`, the Lambda's too), print the outcome. All decisions are
//! the engine's and the core's.

#[cfg(feature = "aws")]
use tgw_ha::aws_backend;
use tgw_ha::{Output, backend, config, demo, print_result};

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use tgw_ha_core::ids::{GroupName, VpnId};
use tgw_ha_core::trigger::{OperatorAction, Trigger};
use tgw_ha_engine::Deadline;

#[derive(Debug, Parser)]
#[command(
    name = "tgw-ha",
    version,
    about = "High availability for static Site-to-Site VPNs on AWS Transit Gateway"
)]
struct Cli {
    /// `table` for people, `json` for scripts.
    #[arg(long, short, global = true, value_enum, default_value_t = Output::Table)]
    output: Output,
    /// Run against a world file (the in-memory TGW simulator) instead of AWS. The file is saved
    /// back after every write, so a sequence of commands behaves like a real account.
    #[arg(long, global = true, env = "TGW_HA_WORLD")]
    world: Option<PathBuf>,
    #[command(flatten)]
    policy: config::PolicyArgs,
    #[cfg(feature = "aws")]
    #[command(flatten)]
    aws: aws_backend::AwsArgs,
    /// Log level (error, warn, info, debug); logs go to stderr.
    #[arg(long, global = true, env = "TGW_HA_LOG", default_value = "warn")]
    log: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Every group: members, tunnels, health, where its routes point, what would change.
    Status {
        #[arg(long)]
        group: Option<GroupName>,
    },
    /// What a reconcile would move now (never writes).
    Plan {
        #[arg(long)]
        group: Option<GroupName>,
    },
    /// Bring every group (or one) to its desired member: fail over, fail back, settle the ledger.
    Reconcile {
        #[arg(long)]
        group: Option<GroupName>,
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        limit: MaxDuration,
    },
    /// Move a group off its active member: to `--to`, or to the next healthy member.
    Failover {
        #[arg(long)]
        group: GroupName,
        #[arg(long)]
        to: Option<VpnId>,
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        limit: MaxDuration,
    },
    /// Move a group back to its primary now, without waiting for hold-down.
    Failback {
        #[arg(long)]
        group: GroupName,
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        limit: MaxDuration,
    },
    /// Fix a group to one member (maintenance); automation leaves it there until `unpin`.
    Pin {
        #[arg(long)]
        group: GroupName,
        #[arg(long)]
        vpn: VpnId,
        /// Pin even to a member that is not healthy.
        #[arg(long)]
        force: bool,
        /// End the pin by itself: an RFC 3339 time or a duration from now (45m, 2h, 1d); the
        /// sweep after it gives the group back to automation. Without it, a pin older than
        /// TGW_HA_PIN_WARN_HOURS (default 24) is announced once.
        #[arg(long)]
        until: Option<tgw_ha_core::trigger::PinUntil>,
        #[arg(long)]
        dry_run: bool,
    },
    /// Give a pinned group back to automation.
    Unpin {
        #[arg(long)]
        group: GroupName,
        #[arg(long)]
        dry_run: bool,
    },
    /// Handle an event (an EventBridge payload or the reference `{vpnId, downTS}`) as the
    /// Lambda would.
    Event {
        /// The event JSON file (`-` for standard input).
        file: PathBuf,
        #[arg(long)]
        dry_run: bool,
    },
    /// Run the Lambda handler in-process on an event file, against the configured endpoints
    /// (a rehearsal); prints what the function would return.
    #[cfg(feature = "aws")]
    Invoke {
        /// The event JSON file (`-` for standard input).
        #[arg(long)]
        event: PathBuf,
        /// Change nothing: show what the event would move.
        #[arg(long)]
        dry_run: bool,
    },
    /// Poll every VPN each --interval and reconcile at once the groups whose members' health
    /// changed: detection in seconds instead of an alarm's minutes (docs/operations.md, "Watch
    /// mode"). One watcher per table; Ctrl-C or SIGTERM stops it between polls.
    Watch {
        /// Time between two polls (one DescribeVpnConnections each): 5s, 10, 1m.
        #[arg(long, value_parser = parse_duration, default_value = "5s")]
        interval: std::time::Duration,
        /// Stop watching after this (default: until stopped); runs end within it too.
        #[arg(long = "max-duration", value_parser = parse_duration)]
        max_duration: Option<std::time::Duration>,
    },
    /// Tell a whole outage story on a built-in world, no AWS needed.
    Demo {
        /// Pause between steps (seconds), for presenting.
        #[arg(long, default_value_t = 0.0)]
        pause: f64,
    },
    /// Measure failover time against EC2's rate limits, on a sandbox with EC2's token buckets.
    #[cfg(feature = "aws")]
    Bench {
        /// Route counts to fail over, one case each.
        #[arg(long, value_delimiter = ',', default_value = "50,500,5000")]
        routes: Vec<usize>,
        /// Latency the sandbox adds to every call.
        #[arg(long, default_value_t = 20)]
        latency_ms: u64,
        /// Also run the prefix-list variant (one reference per route table).
        #[arg(long)]
        prefix_lists: bool,
        /// Also measure peak memory failing over this many routes (sandbox without limits).
        #[arg(long)]
        memory: Option<usize>,
        /// Also fail over a group of this many routes (the same CIDRs in each of 20 tables)
        /// before and after converting it to a prefix list, and time the conversion.
        #[arg(long)]
        prefix_list_conversion: Option<usize>,
    },
    /// Measure watch mode: from a primary's tunnels going DOWN (the sandbox's admin API) to the
    /// first and the last route moved, over trials spread across the poll interval.
    #[cfg(feature = "aws")]
    BenchWatch {
        /// Routes on the primary (50 fit in EC2's write burst).
        #[arg(long, default_value_t = 50)]
        routes: usize,
        #[arg(long, default_value_t = 20)]
        trials: usize,
        #[arg(long, value_parser = parse_duration, default_value = "5s")]
        interval: std::time::Duration,
        /// Latency the sandbox adds to every call.
        #[arg(long, default_value_t = 20)]
        latency_ms: u64,
    },
    /// Serve the EC2 API over a simulated world on localhost (for the AWS SDK, CLI, boto3).
    Sandbox(tgw_ha::sandbox_cmd::SandboxArgs),
    /// Convert a group's static routes to one prefix list (a failover then takes one call per
    /// route table), or back (docs/prefix-lists.md).
    #[command(subcommand)]
    PrefixLists(tgw_ha::prefix_lists_cmd::PrefixListsCommand),
    /// Work with world files (the simulator's scenario format, docs/scenario.md).
    #[command(subcommand)]
    World(backend::WorldCommand),
    /// The DynamoDB table that holds the ledger and lease.
    #[cfg(feature = "aws")]
    #[command(subcommand)]
    Table(TableCommand),
    /// CloudWatch alarms for every member VPN (the ones the deployment's rule listens to).
    #[cfg(feature = "aws")]
    #[command(subcommand)]
    Alarms(tgw_ha::alarms_cmd::AlarmsCommand),
}

/// `--max-duration`: how long a run may take.
#[derive(Debug, Clone, Copy, clap::Args)]
struct MaxDuration {
    /// Stop starting moves in time to end the run within this (seconds, or 90s, 5m, 1h30m):
    /// the moves not made are left for the next run, which continues where this one stopped
    /// (exit status 1, "deadline reached").
    #[arg(long = "max-duration", value_parser = parse_duration)]
    max_duration: Option<std::time::Duration>,
}

/// `300`, `300s`, `5m`, `1h30m`, `2h`: whole seconds, minutes, hours.
fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let bad = || format!("{s:?} is not a duration: give seconds (300) or units (90s, 5m, 1h30m)");
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(std::time::Duration::from_secs(secs));
    }
    let (mut total, mut number) = (0u64, String::new());
    for c in s.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return Err(bad()),
        };
        let n: u64 = number.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        number.clear();
    }
    if !number.is_empty() || total == 0 {
        return Err(bad());
    }
    Ok(std::time::Duration::from_secs(total))
}

#[cfg(feature = "aws")]
#[derive(Debug, Subcommand)]
enum TableCommand {
    /// Create the table (on-demand, TTL on leases); a table that exists is left as it is.
    Create,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        // Progress of long runs is shown at the default level; `--log` replaces the filter. A
        // watch is a daemon: its log is its output, decisions included.
        .with_env_filter(tracing_subscriber::EnvFilter::new(if cli.log != "warn" {
            cli.log.as_str()
        } else if matches!(cli.command, Command::Watch { .. }) {
            "info"
        } else {
            "warn,tgw_ha::progress=info"
        }))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<std::process::ExitCode> {
    let policy = cli.policy.policy()?;
    let output = cli.output;
    let op = |action: OperatorAction, dry_run: bool| Trigger::Operator { action, dry_run };
    let mut deadline = None;
    let mut limit = |l: MaxDuration| deadline = l.max_duration.map(Deadline::In);
    // `status` and `plan` also show each group's failover time at EC2's write rate.
    let estimate = matches!(cli.command, Command::Status { .. } | Command::Plan { .. });
    let estimate_policy = policy.clone();
    let mut event_dry_run = false;
    let trigger = match cli.command {
        Command::Demo { pause } => return demo::run(output, pause).await,
        Command::Watch {
            interval,
            max_duration,
        } => {
            let args = tgw_ha::watch_cmd::WatchArgs {
                interval,
                max_duration,
            };
            return tgw_ha::watch_cmd::run(
                args,
                cli.world.as_deref(),
                #[cfg(feature = "aws")]
                &cli.aws,
                policy,
                output,
            )
            .await;
        }
        #[cfg(feature = "aws")]
        Command::Invoke { event, dry_run } => {
            return tgw_ha::lambda::invoke::run(&event, dry_run, &cli.aws, policy, &cli.log).await;
        }
        #[cfg(feature = "aws")]
        Command::Bench {
            routes,
            latency_ms,
            prefix_lists,
            memory,
            prefix_list_conversion,
        } => {
            return tgw_ha::bench::run(
                &cli.aws,
                &routes,
                prefix_lists,
                latency_ms,
                memory,
                prefix_list_conversion,
                output,
            )
            .await;
        }
        #[cfg(feature = "aws")]
        Command::BenchWatch {
            routes,
            trials,
            interval,
            latency_ms,
        } => {
            let args = tgw_ha::bench_watch::BenchWatchArgs {
                routes,
                trials,
                interval,
                latency_ms,
            };
            return tgw_ha::bench_watch::run(args, output).await;
        }
        Command::Sandbox(args) => {
            return tgw_ha::sandbox_cmd::run(args, cli.world.as_deref()).await;
        }
        Command::World(cmd) => return backend::world_command(cmd, cli.world.as_deref(), output),
        Command::PrefixLists(cmd) => {
            #[cfg(feature = "aws")]
            let aws = Some(&cli.aws);
            #[cfg(not(feature = "aws"))]
            let aws = None;
            return tgw_ha::prefix_lists_cmd::run(cmd, cli.world.as_deref(), aws, policy, output)
                .await;
        }
        #[cfg(feature = "aws")]
        Command::Alarms(cmd) => {
            return tgw_ha::alarms_cmd::run(cmd, &cli.aws, policy, output).await;
        }
        #[cfg(feature = "aws")]
        Command::Table(TableCommand::Create) => {
            println!("{}", cli.aws.create_table().await?);
            return Ok(std::process::ExitCode::SUCCESS);
        }
        Command::Status { group } => op(OperatorAction::Status { group }, true),
        Command::Plan { group } => op(OperatorAction::Reconcile { group }, true),
        Command::Reconcile {
            group,
            dry_run,
            limit: l,
        } => {
            limit(l);
            op(OperatorAction::Reconcile { group }, dry_run)
        }
        Command::Failover {
            group,
            to,
            dry_run,
            limit: l,
        } => {
            limit(l);
            op(OperatorAction::Failover { group, to }, dry_run)
        }
        Command::Failback {
            group,
            dry_run,
            limit: l,
        } => {
            limit(l);
            op(OperatorAction::Failback { group }, dry_run)
        }
        Command::Pin {
            group,
            vpn,
            force,
            until,
            dry_run,
        } => op(
            OperatorAction::Pin {
                group,
                vpn,
                force,
                until,
            },
            dry_run,
        ),
        Command::Unpin { group, dry_run } => op(OperatorAction::Unpin { group }, dry_run),
        Command::Event { file, dry_run } => {
            let text = if file.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())?
            } else {
                std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read event file {}", file.display()))?
            };
            // A rehearsal of any event runs it over ports that keep their writes (the
            // service's dry run, as `invoke --dry-run` does): the plan it prints is the one the
            // event would apply, signals included.
            event_dry_run = dry_run;
            tgw_ha_core::events::parse_event(&text)?
        }
    };
    // Every command below takes the one path of every front end: the application service.
    let options = tgw_ha_engine::ServiceOptions {
        deadline,
        dry_run: event_dry_run,
        ..tgw_ha_engine::ServiceOptions::new(backend::owner())
    };
    if let Some(world) = cli.world.as_deref() {
        let backend = backend::WorldBackend::open(world, policy)?;
        let writes = trigger.writes() && !options.dry_run;
        let result = backend.run(trigger, &options).await;
        if writes {
            backend.save()?;
        }
        if estimate {
            let sim = backend.sim();
            let e = tgw_ha::prefix_lists_cmd::estimates(
                sim.network.as_ref(),
                sim.store.as_ref(),
                &estimate_policy,
            )
            .await;
            return tgw_ha::prefix_lists_cmd::print_with_estimates(output, &result, &e);
        }
        return print_result(output, &result);
    }
    #[cfg(feature = "aws")]
    {
        let service = cli.aws.service(policy).await?;
        // An operator's command acts in the CLI's own Region (`--region`, `AWS_REGION`, the
        // profile's), as it always did; the service refuses one the deployment does not own.
        let options = tgw_ha_engine::ServiceOptions {
            region: match trigger {
                Trigger::Operator { .. } => service.backend().home_region(),
                _ => None,
            },
            ..options
        };
        let result = service.run(trigger, &options).await;
        if estimate {
            let (ports, _) =
                tgw_ha::prefix_lists_cmd::aws_ports(&cli.aws, &estimate_policy).await?;
            let e = tgw_ha::prefix_lists_cmd::estimates(
                ports.network.as_ref(),
                ports.store.as_ref(),
                &estimate_policy,
            )
            .await;
            return tgw_ha::prefix_lists_cmd::print_with_estimates(output, &result, &e);
        }
        print_result(output, &result)
    }
    #[cfg(not(feature = "aws"))]
    anyhow::bail!(
        "no backend: give --world FILE to run on a simulated world (start from `tgw-ha world \
         example > world.json`); this build has no AWS support (build with `--features aws`)"
    )
}
