//! The `bootstrap` binary's body: JSON logs, the handler over [`AwsBackend`] built from the
//! environment, and `lambda_runtime`'s loop (next invocation → handler → response or error).

use crate::config::{Config, DEFAULT_LOG};
use crate::lambda::error::HandlerError;
use crate::lambda::handler::{EmfSink, Handler, Invocation};
use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use std::sync::Arc;
use tgw_ha_aws::AwsBackend;

/// JSON log lines on stderr (CloudWatch Logs keeps them; stdout carries the EMF lines), one
/// object per event with its fields at the top level and the invocation's span (request id).
/// `level` is `TGW_HA_LOG`, else Lambda's `AWS_LAMBDA_LOG_LEVEL`, else `info`; a filter that
/// does not parse falls back to `info` with a warning.
pub fn init_logging(level: Option<&str>) {
    let wanted = level
        .map(str::to_owned)
        .or_else(|| std::env::var("AWS_LAMBDA_LOG_LEVEL").ok())
        .unwrap_or_else(|| DEFAULT_LOG.to_owned())
        .to_ascii_lowercase();
    let (filter, bad) = match tracing_subscriber::EnvFilter::try_new(&wanted) {
        Ok(f) => (f, None),
        Err(e) => (tracing_subscriber::EnvFilter::new(DEFAULT_LOG), Some(e)),
    };
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    if let Some(e) = bad {
        tracing::warn!(level = %wanted, error = %e, "TGW_HA_LOG is not a log level; using info");
    }
}

/// Run the function until the runtime stops it.
pub async fn run() -> Result<(), lambda_runtime::Error> {
    let config = Config::from_env();
    init_logging(config.as_ref().ok().map(|c| c.log.as_str()));
    // A bad configuration fails every invocation with a message saying which variable is
    // wrong (it reaches the on-failure destination), rather than a crash loop at init.
    let handler: Result<Arc<Handler>, String> = match config {
        Ok(config) => {
            let backend = AwsBackend::from_env(&config).await;
            tracing::info!(
                table = ?config.table,
                topic = ?config.topic_arn,
                region = ?backend.home_region(),
                policy = ?config.policy,
                "tgw-ha function ready"
            );
            Ok(Arc::new(
                Handler::new(config, Arc::new(backend)).with_emf(EmfSink::Stdout),
            ))
        }
        Err(e) => {
            let message = format!("{e:#}");
            tracing::error!(error = %message, "invalid configuration");
            Err(message)
        }
    };
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| {
        let handler = handler.clone();
        async move {
            let (payload, context) = event.into_parts();
            match handler {
                Ok(h) => h.handle(payload, &Invocation::from(&context)).await,
                Err(message) => Err(HandlerError::Config(message)),
            }
        }
    }))
    .await
}
