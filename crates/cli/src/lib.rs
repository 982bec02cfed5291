//! The tgw-ha binaries' shared code: backends (a simulated world, AWS), rendering, the demo,
//! and (with the `aws` feature) the Lambda handler. Thin by design: build the backend, hand a
//! trigger to the application service (`tgw_ha_engine::Service`, the same for every front end),
//! show the outcome. Every decision is the engine's and the core's.

#[cfg(feature = "aws")]
pub mod alarms_cmd;
#[cfg(feature = "aws")]
pub mod aws_backend;
pub mod backend;
#[cfg(feature = "aws")]
pub mod bench;
#[cfg(feature = "aws")]
pub mod bench_watch;
pub mod config;
pub mod demo;
#[cfg(feature = "aws")]
pub mod lambda;
pub mod prefix_lists_cmd;
pub mod render;
pub mod sandbox_cmd;
pub mod sandbox_process;
#[cfg(feature = "aws")]
pub mod state_file;
pub mod watch_cmd;

use clap::ValueEnum;
use tgw_ha_engine::{Outcome, ServiceError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Table,
    Json,
}

/// Print a run's result; the exit code says whether it fully succeeded.
pub fn print_result(
    output: Output,
    result: &Result<Outcome, ServiceError>,
) -> anyhow::Result<std::process::ExitCode> {
    match result {
        Ok(o) => {
            match output {
                Output::Json => println!("{}", serde_json::to_string_pretty(o)?),
                Output::Table => print!("{}", render::outcome(o)),
            }
            Ok(std::process::ExitCode::SUCCESS)
        }
        Err(e) => {
            if let Some(o) = e.outcome() {
                match output {
                    Output::Json => println!("{}", serde_json::to_string_pretty(o)?),
                    Output::Table => print!("{}", render::outcome(o)),
                }
            }
            eprintln!(
                "error: {e}{}",
                if e.is_retryable() { " (retryable)" } else { "" }
            );
            Ok(std::process::ExitCode::FAILURE)
        }
    }
}
