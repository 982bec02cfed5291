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
    /// Not attempted because the run stopped (lease lost).
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

impl MoveResult {
    pub fn is_failure(&self) -> bool {
        matches!(
            self.status,
            MoveStatus::Failed { .. } | MoveStatus::Abandoned { .. }
        )
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
}

impl TgwOutcome {
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
    #[error("{op} is not allowed in a dry run")]
    DryRunWrite { op: String },
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
    #[error(
        "{failed} of {planned} moves failed; the ledger is consistent and the next run will retry"
    )]
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
            EngineError::Busy { .. } | EngineError::Incomplete { .. } => true,
            EngineError::Network(e) => e.is_retryable(),
            EngineError::Store(e) => e.is_retryable(),
            EngineError::Notify(_) => true,
            _ => false,
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
