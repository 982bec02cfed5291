//! The handler's errors, and how each reaches Lambda: an `errorType` of
//! `Retryable.<Kind>` or `NotRetryable.<Kind>` and a message that names what was received or
//! what failed (with the resource ids).
//!
//! Lambda itself retries every failed asynchronous invocation the same way (up to the
//! function's `MaximumRetryAttempts`), then hands it to the on-failure destination: the prefix
//! tells the person (or the rule) reading that destination whether running it again may help.
//! A `NotRetryable` error changed nothing, so Lambda's retries of it are harmless.
//!
//! The service's rules (Region ownership, the ledger, "no group", a sweep over several Regions)
//! and the engine's errors come as a [`ServiceError`], whose kind and retryability this keeps;
//! what is the handler's own is a payload that does not parse and a bad configuration.

use std::fmt::Write as _;
use tgw_ha_core::events::EventError;
use tgw_ha_engine::outcome::{MoveStatus, Outcome};
use tgw_ha_engine::{EngineError, ServiceError};

/// Failed moves listed in an `Incomplete` error's message; the rest are counted.
const FAILURES_LISTED: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The payload is not an event tgw-ha handles (or is malformed): nothing was changed.
    #[error("{0}")]
    Event(#[from] EventError),
    /// The function's configuration is incomplete or invalid: nothing was changed.
    #[error("configuration: {0}")]
    Config(String),
    /// What the service said: its own rules (`Config`, `NoGroup`, `Regions`) or the engine's.
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<EngineError> for HandlerError {
    fn from(e: EngineError) -> Self {
        HandlerError::Service(ServiceError::Engine(e))
    }
}

impl HandlerError {
    /// Whether running the same event again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            HandlerError::Service(e) => e.is_retryable(),
            HandlerError::Event(_) | HandlerError::Config(_) => false,
        }
    }

    /// The error's kind: `InvalidEvent`, `Config`, or the service's (`NoGroup`, `Regions`, the
    /// engine error's variant).
    pub fn kind(&self) -> &'static str {
        match self {
            HandlerError::Event(_) => "InvalidEvent",
            HandlerError::Config(_) => "Config",
            HandlerError::Service(e) => e.kind(),
        }
    }

    /// Lambda's `errorType`: `Retryable.Busy`, `NotRetryable.InvalidEvent`, …
    pub fn error_type(&self) -> String {
        let class = if self.is_retryable() {
            "Retryable"
        } else {
            "NotRetryable"
        };
        format!("{class}.{}", self.kind())
    }

    /// Lambda's `errorMessage`: the error, and for a partly failed run which moves failed.
    pub fn message(&self) -> String {
        let mut m = self.to_string();
        if let Some(o) = self.outcome() {
            m.push_str(&failure_summary(o));
        }
        m
    }

    /// The outcome of a run in which some moves failed.
    pub fn outcome(&self) -> Option<&Outcome> {
        match self {
            HandlerError::Service(e) => e.outcome(),
            _ => None,
        }
    }
}

/// `; moved 30 of 32; failed: tgw-rtb-…/10.10.3.0/24 → tgw-attach-…: …` for the message.
fn failure_summary(o: &Outcome) -> String {
    let failures: Vec<_> = o
        .tgws
        .iter()
        .flat_map(|t| t.results.iter())
        .filter(|r| r.is_failure() && !r.is_deferred())
        .collect();
    // TGW failures and deferred moves are in the error's own message.
    if failures.is_empty() {
        return String::new();
    }
    let mut s = format!("; moved {} of {}; failed:", o.moved(), o.planned());
    for r in failures.iter().take(FAILURES_LISTED) {
        let why = match &r.status {
            MoveStatus::Failed { error, .. } => error.as_str(),
            MoveStatus::Abandoned { reason } => reason.as_str(),
            MoveStatus::Done | MoveStatus::Vanished => "",
        };
        let _ = write!(
            s,
            " {}/{} → {} ({why});",
            r.planned.key.table, r.planned.key.destination, r.planned.to
        );
    }
    if failures.len() > FAILURES_LISTED {
        let _ = write!(s, " and {} more", failures.len() - FAILURES_LISTED);
    }
    s.trim_end_matches(';').to_owned()
}

impl From<HandlerError> for lambda_runtime::Diagnostic {
    fn from(e: HandlerError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: e.error_type(),
            error_message: e.message(),
        }
    }
}

impl From<&HandlerError> for serde_json::Value {
    /// The error as `aws lambda invoke` shows a function error.
    fn from(e: &HandlerError) -> Self {
        serde_json::json!({ "errorType": e.error_type(), "errorMessage": e.message() })
    }
}
