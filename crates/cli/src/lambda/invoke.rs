//! `tgw-ha invoke --event FILE [--dry-run]`: the Lambda handler, in-process, against the
//! configured endpoints — a rehearsal of what the deployed function would do with that event.
//! Prints what the function would return: the outcome, or `{"errorType", "errorMessage"}`.

use crate::aws_backend::AwsArgs;
use crate::lambda::handler::{EmfSink, Handler, Invocation};
use anyhow::Context;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use tgw_ha_core::policy::Policy;

pub async fn run(
    event: &Path,
    dry_run: bool,
    aws: &AwsArgs,
    policy: Policy,
    log: &str,
) -> anyhow::Result<ExitCode> {
    let text = if event.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("cannot read the event from stdin")?
    } else {
        std::fs::read_to_string(event)
            .with_context(|| format!("cannot read event file {}", event.display()))?
    };
    let config = aws.config(policy, log)?;
    let backend = aws.backend(&config).await;
    let handler = Handler::new(config, Arc::new(backend))
        .with_emf(EmfSink::Log)
        .with_dry_run(dry_run);
    let invocation = Invocation {
        request_id: crate::backend::owner(),
        function_name: "tgw-ha-invoke".into(),
        deadline: None,
    };
    match handler.handle_str(&text, &invocation).await {
        Ok(v) => {
            println!("{}", serde_json::to_string_pretty(&v)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::Value::from(&e))?
            );
            Ok(ExitCode::FAILURE)
        }
    }
}
