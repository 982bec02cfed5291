//! `tgw-ha prefix-lists plan|convert|revert --group G`: turn a group's static routes into one
//! prefix list (a failover then takes one call per route table), or back; and the estimated
//! failover time that `status` and `plan` show per group.
//!
//! Thin, as the rest of the CLI: build the conversion's ports for the backend (a world file, or
//! EC2 with the `aws` feature), hand the group to the engine's runner
//! (`tgw_ha_engine::conversion`), print the plan or the report. Progress goes to stderr (the
//! `tgw_ha::progress` log target); the result to stdout, as a table or `--output json`. A world
//! file is saved after a run even when it stopped with an error: the steps done are real.

use crate::Output;
use anyhow::Context;
use clap::{Args, Subcommand};
use comfy_table::{ContentArrangement, Table, presets::UTF8_BORDERS_ONLY};
use std::collections::BTreeMap;
use std::path::Path;
use tgw_ha_core::conversion::{ConversionPlan, Direction, FailoverEstimate, Step};
use tgw_ha_core::ids::{GroupName, TgwId};
use tgw_ha_core::policy::Policy;
#[cfg(feature = "aws")]
use tgw_ha_engine::conversion::ConversionPorts;
use tgw_ha_engine::conversion::{ConversionReport, ConvertError, Converter, ConverterConfig};
use tgw_ha_engine::{Outcome, ServiceError};

#[derive(Debug, Subcommand)]
pub enum PrefixListsCommand {
    /// What `convert` (or `--revert`, `revert`) would do, step by step, and the group's
    /// failover time before and after. Reads only.
    Plan {
        #[command(flatten)]
        target: Target,
        /// Plan the revert instead.
        #[arg(long)]
        revert: bool,
    },
    /// Create the group's prefix list (`tgw-ha-<group>`), reference it in every table that
    /// routes the group, then delete the static routes it replaces. Resumable: run it again
    /// after an interruption.
    Convert {
        #[command(flatten)]
        target: Target,
        #[arg(long)]
        dry_run: bool,
    },
    /// Static routes back to where the list's references point, then delete the references and
    /// (if tgw-ha created it) the list. Resumable.
    Revert {
        #[command(flatten)]
        target: Target,
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Clone, Args)]
pub struct Target {
    #[arg(long)]
    pub group: GroupName,
    /// The TGW's routes quota, if raised above EC2's default.
    #[arg(long, default_value_t = 10_000)]
    pub route_quota: usize,
    /// Most steps per batch (each batch holds the TGW's lease, so a failover waits one batch at
    /// most).
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    /// Stop after this many steps (rehearse an interruption; run again to continue).
    #[arg(long, hide = true)]
    pub max_steps: Option<usize>,
}

impl PrefixListsCommand {
    fn parts(&self) -> (&Target, Direction, bool) {
        match self {
            PrefixListsCommand::Plan { target, revert } => (
                target,
                if *revert {
                    Direction::Revert
                } else {
                    Direction::Convert
                },
                true,
            ),
            PrefixListsCommand::Convert { target, dry_run } => {
                (target, Direction::Convert, *dry_run)
            }
            PrefixListsCommand::Revert { target, dry_run } => (target, Direction::Revert, *dry_run),
        }
    }
}

/// The AWS backend's arguments when built with it.
#[cfg(feature = "aws")]
pub type AwsRef<'a> = Option<&'a crate::aws_backend::AwsArgs>;
#[cfg(not(feature = "aws"))]
pub type AwsRef<'a> = Option<&'a std::convert::Infallible>;

fn config(target: &Target, policy: Policy, has_ledger: bool) -> ConverterConfig {
    let mut c = ConverterConfig {
        policy,
        owner: format!("{}:prefix-lists", crate::backend::owner()),
        batch: target.batch.max(1),
        has_ledger,
        max_steps: target.max_steps,
        ..ConverterConfig::default()
    };
    c.limits.route_quota = target.route_quota;
    c
}

pub async fn run(
    cmd: PrefixListsCommand,
    world: Option<&Path>,
    aws: AwsRef<'_>,
    policy: Policy,
    output: Output,
) -> anyhow::Result<std::process::ExitCode> {
    let (target, direction, dry_run) = cmd.parts();
    if let Some(path) = world {
        let w = tgw_ha_sim::World::from_path(path)
            .with_context(|| format!("cannot load world file {}", path.display()))?;
        let sim = tgw_ha_sim::Sim::new(w);
        let converter = Converter::new(sim.conversion_ports(), config(target, policy, true));
        let result = execute(&converter, &target.group, direction, dry_run, output).await;
        if !dry_run {
            sim.snapshot()
                .save(path)
                .with_context(|| format!("cannot save world file {}", path.display()))?;
        }
        return result;
    }
    #[cfg(feature = "aws")]
    if let Some(aws) = aws {
        let (ports, has_ledger) = aws_ports(aws, &policy).await?;
        let converter = Converter::new(ports, config(target, policy, has_ledger));
        return execute(&converter, &target.group, direction, dry_run, output).await;
    }
    let _ = aws;
    anyhow::bail!(
        "no backend: give --world FILE to run on a simulated world; this build has no AWS support \
         (build with `--features aws`)"
    )
}

/// The conversion's ports over EC2, with the CLI's ledger (table or state file) and lease.
#[cfg(feature = "aws")]
pub async fn aws_ports(
    aws: &crate::aws_backend::AwsArgs,
    policy: &Policy,
) -> anyhow::Result<(ConversionPorts, bool)> {
    use tgw_ha_engine::service::Backend;
    let config = aws.config(policy.clone(), "")?;
    let backend = aws.backend(&config).await;
    let ports = backend.ports(None)?;
    let admin = tgw_ha_aws::Ec2PrefixLists::new(backend.ec2_client(None));
    Ok((
        ConversionPorts {
            network: ports.network,
            admin: std::sync::Arc::new(admin),
            store: ports.store,
            lease: ports.lease,
            clock: ports.clock,
        },
        backend.has_ledger(),
    ))
}

async fn execute(
    converter: &Converter,
    group: &GroupName,
    direction: Direction,
    dry_run: bool,
    output: Output,
) -> anyhow::Result<std::process::ExitCode> {
    if dry_run {
        let plan = converter.plan(group, direction).await?;
        match output {
            Output::Json => println!("{}", serde_json::to_string_pretty(&plan)?),
            Output::Table => print!("{}", render_plan(&plan)),
        }
        return Ok(std::process::ExitCode::SUCCESS);
    }
    match converter.run(group, direction).await {
        Ok(report) => {
            match output {
                Output::Json => println!("{}", serde_json::to_string_pretty(&report)?),
                Output::Table => print!("{}", render_report(&report)),
            }
            Ok(std::process::ExitCode::SUCCESS)
        }
        Err(e) => Err(error(e)),
    }
}

fn error(e: ConvertError) -> anyhow::Error {
    let retry = if e.is_retryable() { " (retryable)" } else { "" };
    anyhow::anyhow!("{e}{retry}")
}

fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_BORDERS_ONLY)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.iter().map(comfy_table::Cell::new));
    t
}

/// Consecutive steps of one kind in one table, as one row.
fn step_rows(plan: &ConversionPlan, steps: &[Step]) -> Vec<[String; 4]> {
    let label = plan.list_label();
    let mut rows: Vec<[String; 4]> = vec![];
    let mut last: Option<(&'static str, Option<String>)> = None;
    let mut count = 0usize;
    let mut first = String::new();
    let mut flush = |last: &Option<(&'static str, Option<String>)>, count: usize, first: &str| {
        if let Some((action, t)) = last {
            rows.push([
                action.to_string(),
                t.clone().unwrap_or_else(|| "-".into()),
                count.to_string(),
                if count > 1 {
                    format!("{first} … ({} more)", count - 1)
                } else {
                    first.to_owned()
                },
            ]);
        }
    };
    for s in steps {
        let key = (s.action(), s.table().map(|t| t.to_string()));
        if last.as_ref() != Some(&key) || !s.is_route_write() {
            flush(&last, count, &first);
            last = Some(key);
            count = 0;
            first = s.describe(&label);
        }
        count += 1;
    }
    flush(&last, count, &first);
    rows
}

fn estimate_line(what: &str, e: &FailoverEstimate) -> String {
    format!(
        "{what}: {} write calls ({} static routes, {} prefix-list references) ≈ {:.1} s at EC2's write rate\n",
        e.calls, e.cidr_routes, e.references, e.seconds
    )
}

pub fn render_plan(plan: &ConversionPlan) -> String {
    let mut s = format!(
        "{} {} on {}: {} CIDRs, {} tables, list {}{}\n",
        plan.direction.as_str(),
        plan.group,
        plan.tgw,
        plan.entries.len(),
        plan.tables.len(),
        plan.list_label(),
        plan.target
            .as_ref()
            .map(|t| format!(", routes on {t}"))
            .unwrap_or_default()
    );
    s.push_str(&estimate_line("failover now", &plan.failover_before));
    s.push_str(&estimate_line("failover after", &plan.failover_after));
    if plan.steps.is_empty() {
        s.push_str("nothing to do\n");
    } else {
        let mut t = table(&["step", "route table", "count", "first"]);
        for r in step_rows(plan, &plan.steps) {
            t.add_row(r.to_vec());
        }
        s.push_str(&format!("{t}\n"));
        let calls: Vec<String> = plan
            .calls()
            .iter()
            .map(|(a, n)| format!("{n} {a}"))
            .collect();
        s.push_str(&format!(
            "{} write calls ({}); ≈ {:.0} s at EC2's write rate\n",
            plan.calls().values().sum::<usize>(),
            calls.join(", "),
            writes_seconds(plan.calls().values().sum())
        ));
        s.push_str(&format!(
            "routes in {}: {} now, {} at the peak, {} after\n",
            plan.tgw, plan.routes_before, plan.routes_peak, plan.routes_after
        ));
    }
    for n in &plan.notes {
        s.push_str(&format!("note: {n}\n"));
    }
    s
}

fn writes_seconds(calls: usize) -> f64 {
    calls.saturating_sub(tgw_ha_core::conversion::WRITE_BURST) as f64
        / tgw_ha_core::conversion::WRITES_PER_SECOND
}

pub fn render_report(r: &ConversionReport) -> String {
    let mut s = render_plan(&r.plan);
    let secs = (r.finished_at - r.started_at).num_milliseconds() as f64 / 1000.0;
    let calls: u64 = r.calls.values().map(|c| c.calls).sum();
    let throttled: u64 = r.calls.values().map(|c| c.throttled).sum();
    if r.remaining.is_empty() {
        s.push_str(&format!(
            "done: {} steps in {} batches; {calls} EC2 calls ({throttled} throttled); {secs:.1}s\n",
            r.steps_done, r.batches
        ));
    } else {
        s.push_str(&format!(
            "stopped after {} steps ({} left; run the command again to continue); {calls} EC2 calls; {secs:.1}s\n",
            r.steps_done,
            r.remaining.len()
        ));
    }
    s
}

/// Each group's estimated failover time, keyed as the outcome's group reports are.
pub type Estimates = BTreeMap<(TgwId, GroupName), FailoverEstimate>;

/// The estimates for `status` and `plan`, from the backend's network and store. A failure is
/// shown as a warning, never as the command's error: the decision is what was asked for.
pub async fn estimates(
    network: &dyn tgw_ha_engine::ports::Network,
    store: &dyn tgw_ha_engine::ports::StateStore,
    policy: &Policy,
) -> Estimates {
    match tgw_ha_engine::conversion::failover_estimates(network, store, policy).await {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!(error = %e, "no failover estimate");
            Estimates::new()
        }
    }
}

/// Add each group's estimate to its report: a note (shown in the table's notes column) and, in
/// JSON, a `failover_estimate` field.
pub fn print_with_estimates(
    output: Output,
    result: &Result<Outcome, ServiceError>,
    estimates: &Estimates,
) -> anyhow::Result<std::process::ExitCode> {
    let with = |o: &Outcome| -> Outcome {
        let mut o = o.clone();
        for tgw in &mut o.tgws {
            for g in &mut tgw.groups {
                if let Some(e) = estimates.get(&(g.tgw.clone(), g.name.clone())) {
                    g.notes.push(e.note(&g.name));
                }
            }
        }
        o
    };
    let print = |o: &Outcome| -> anyhow::Result<()> {
        let o = with(o);
        match output {
            Output::Table => print!("{}", crate::render::outcome(&o)),
            Output::Json => {
                let mut v = serde_json::to_value(&o)?;
                if let Some(tgws) = v.get_mut("tgws").and_then(|t| t.as_array_mut()) {
                    for tgw in tgws {
                        let Some(groups) = tgw.get_mut("groups").and_then(|g| g.as_array_mut())
                        else {
                            continue;
                        };
                        for g in groups {
                            let key = (
                                TgwId::new(g["tgw"].as_str().unwrap_or_default()),
                                GroupName::new(g["name"].as_str().unwrap_or_default()),
                            );
                            if let (Some(e), Some(obj)) = (estimates.get(&key), g.as_object_mut()) {
                                obj.insert("failover_estimate".into(), serde_json::to_value(e)?);
                            }
                        }
                    }
                }
                println!("{}", serde_json::to_string_pretty(&v)?);
            }
        }
        Ok(())
    };
    match result {
        Ok(o) => {
            print(o)?;
            Ok(std::process::ExitCode::SUCCESS)
        }
        Err(e) => {
            if let Some(o) = e.outcome() {
                print(o)?;
            }
            eprintln!(
                "error: {e}{}",
                if e.is_retryable() { " (retryable)" } else { "" }
            );
            Ok(std::process::ExitCode::FAILURE)
        }
    }
}
