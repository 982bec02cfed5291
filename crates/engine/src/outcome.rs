//! What a run did, as a value: the CLI prints it, the Lambda returns it, tests assert on it.

use crate::executor::CallStats;
use crate::ports::{NetError, NotifyError, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tgw_ha_core::Timestamp;
use tgw_ha_core::groups::InvalidGroup;
use tgw_ha_core::ids::{GroupName, TgwId, VpnId};
use tgw_ha_core::planner::{Drop, GroupEvent, GroupReport, Move, PlanError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum MoveStatus {
    Done,
    /// The route disappeared before it could be moved: dropped from the ledger, not an error.
    Vanished,
    Failed {
        error: String,
        retryable: bool,
    },
    /// Not attempted because the run stopped (lease lost, or the run's deadline was near).
    Abandoned {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveResult {
    #[serde(flatten)]
    pub planned: Move,
    #[serde(flatten)]
    pub status: MoveStatus,
    pub attempts: u32,
}

/// How an abandoned move's reason starts when the run stopped for its deadline.
pub const DEADLINE_REASON: &str = "deadline";

impl MoveResult {
    pub fn is_failure(&self) -> bool {
        matches!(
            self.status,
            MoveStatus::Failed { .. } | MoveStatus::Abandoned { .. }
        )
    }

    /// Not started because the run's deadline was near: left for the next run, not failed.
    pub fn is_deferred(&self) -> bool {
        matches!(&self.status, MoveStatus::Abandoned { reason } if reason.starts_with(DEADLINE_REASON))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TgwOutcome {
    pub tgw: TgwId,
    pub groups: Vec<GroupReport>,
    pub invalid: Vec<InvalidGroup>,
    /// Moves the plan asked for (in a dry run, all that would be made).
    pub planned: Vec<Move>,
    /// What happened to each planned move (empty in a dry run).
    pub results: Vec<MoveResult>,
    pub dropped: Vec<Drop>,
    /// Notifications sent (or, in a dry run, that would be sent).
    pub events: Vec<GroupEvent>,
    pub notify_errors: Vec<String>,
    /// Why this TGW could not be reconciled in this run (the other TGWs were, independently).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<TgwError>,
}

/// A TGW that failed in a run that went on with the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TgwError {
    /// The engine error's kind (`Network`, `Store`, `Busy`, …), as Lambda's error types name it.
    pub kind: String,
    pub message: String,
    pub retryable: bool,
}

impl TgwOutcome {
    /// A TGW with nothing observed or done (yet).
    pub fn empty(tgw: TgwId) -> Self {
        TgwOutcome {
            tgw,
            groups: vec![],
            invalid: vec![],
            planned: vec![],
            results: vec![],
            dropped: vec![],
            events: vec![],
            notify_errors: vec![],
            error: None,
        }
    }

    /// A TGW whose reconcile failed with `error`.
    pub fn failed_with(tgw: TgwId, error: &EngineError) -> Self {
        TgwOutcome {
            error: Some(TgwError {
                kind: error.kind().to_owned(),
                message: error.to_string(),
                retryable: error.is_retryable(),
            }),
            ..TgwOutcome::empty(tgw)
        }
    }

    /// Moves not made because the run's deadline was near (they are the next run's).
    pub fn deferred(&self) -> usize {
        self.results.iter().filter(|r| r.is_deferred()).count()
    }

    pub fn moved(&self) -> usize {
        self.results
            .iter()
            .filter(|r| r.status == MoveStatus::Done)
            .count()
    }
    pub fn failed(&self) -> usize {
        self.results.iter().filter(|r| r.is_failure()).count()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub trigger: String,
    pub dry_run: bool,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
    pub tgws: Vec<TgwOutcome>,
    /// Calls to the network port by EC2 action.
    pub calls: BTreeMap<String, CallStats>,
    pub notes: Vec<String>,
}

impl Outcome {
    pub fn moved(&self) -> usize {
        self.tgws.iter().map(TgwOutcome::moved).sum()
    }
    pub fn failed(&self) -> usize {
        self.tgws.iter().map(TgwOutcome::failed).sum()
    }
    pub fn planned(&self) -> usize {
        self.tgws.iter().map(|t| t.planned.len()).sum()
    }
    pub fn groups(&self) -> impl Iterator<Item = &GroupReport> {
        self.tgws.iter().flat_map(|t| t.groups.iter())
    }
    /// Moves left for the next run because this one's deadline was near.
    pub fn deferred(&self) -> usize {
        self.tgws.iter().map(TgwOutcome::deferred).sum()
    }
    /// The TGWs that could not be reconciled, with why.
    pub fn failed_tgws(&self) -> impl Iterator<Item = (&TgwId, &TgwError)> {
        self.tgws
            .iter()
            .filter_map(|t| t.error.as_ref().map(|e| (&t.tgw, e)))
    }
}

/// The message of [`EngineError::Incomplete`]: each cause of an incomplete run, in words.
fn incomplete_message(failed: usize, planned: usize, outcome: &Outcome) -> String {
    let mut parts = Vec::new();
    let tgws: Vec<String> = outcome
        .failed_tgws()
        .map(|(tgw, e)| format!("{tgw} ({})", e.message))
        .collect();
    if !tgws.is_empty() {
        let others = outcome.tgws.len() - tgws.len();
        parts.push(format!(
            "reconcile failed on {}{}",
            tgws.join(", "),
            if others > 0 {
                format!("; the other {others} transit gateway(s) were reconciled")
            } else {
                String::new()
            }
        ));
    }
    let deferred = outcome.deferred();
    if deferred > 0 {
        parts.push(format!(
            "deadline reached: {deferred} of {planned} moves were not started and are left for \
             the next run, which continues at once (lease released, ledger consistent)"
        ));
    }
    let failed = failed - deferred.min(failed);
    if failed > 0 || parts.is_empty() {
        parts.push(format!(
            "{failed} of {planned} moves failed; the ledger is consistent and the next run will retry"
        ));
    }
    parts.join("; ")
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("unknown vpn connection {vpn}: no such VPN in this account and Region")]
    UnknownVpn { vpn: VpnId },
    #[error("{vpn} is not attached to a transit gateway")]
    NotOnTgw { vpn: VpnId },
    #[error("unknown group {group}; known groups: {}", if known.is_empty() { "none (tag VPNs <group>=primary|backup)".to_string() } else { known.join(", ") })]
    UnknownGroup {
        group: GroupName,
        known: Vec<String>,
    },
    #[error("group {group} is invalid and left alone: {reason}")]
    InvalidGroup { group: GroupName, reason: String },
    #[error("another run holds the lease on {tgw}; will be retried")]
    Busy { tgw: TgwId },
    /// The event is not believable as received (evidence dated in the future): nothing changed.
    #[error(transparent)]
    Event(#[from] tgw_ha_core::events::EventError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Network(#[from] NetError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Notify(#[from] NotifyError),
    /// The run did not do all it should: some moves failed, some were left for the next run
    /// because the deadline was near, or some TGWs failed while the others were reconciled.
    /// `failed` counts failed and deferred moves.
    #[error("{}", incomplete_message(*failed, *planned, outcome))]
    Incomplete {
        failed: usize,
        planned: usize,
        outcome: Box<Outcome>,
    },
}

impl EngineError {
    /// Whether running again later may succeed (Lambda retries these).
    pub fn is_retryable(&self) -> bool {
        match self {
            EngineError::Busy { .. } => true,
            // A failed or deferred move is worth another run; a TGW failure only if its error is.
            EngineError::Incomplete {
                failed, outcome, ..
            } => *failed > 0 || outcome.failed_tgws().any(|(_, e)| e.retryable),
            EngineError::Network(e) => e.is_retryable(),
            EngineError::Store(e) => e.is_retryable(),
            EngineError::Notify(_) => true,
            _ => false,
        }
    }

    /// The variant's name: Lambda's error types (`Retryable.<kind>`) and per-TGW failures.
    pub fn kind(&self) -> &'static str {
        match self {
            EngineError::UnknownVpn { .. } => "UnknownVpn",
            EngineError::NotOnTgw { .. } => "NotOnTgw",
            EngineError::UnknownGroup { .. } => "UnknownGroup",
            EngineError::InvalidGroup { .. } => "InvalidGroup",
            EngineError::Busy { .. } => "Busy",
            EngineError::Event(_) => "InvalidEvent",
            EngineError::Plan(_) => "Plan",
            EngineError::Network(_) => "Network",
            EngineError::Store(_) => "Store",
            EngineError::Notify(_) => "Notify",
            EngineError::Incomplete { .. } => "Incomplete",
        }
    }

    /// The outcome of a run that partly failed.
    pub fn outcome(&self) -> Option<&Outcome> {
        match self {
            EngineError::Incomplete { outcome, .. } => Some(outcome),
            _ => None,
        }
    }
}
