//! Why a conversion run stopped ([`ConvertError`]): a refusal of the core's plan, a busy
//! lease, an unhealthy target, a step EC2 refused, a table or list that did not settle; each
//! says how many steps were done, so that the operator knows where a rerun continues.

use crate::ports::{NetError, StoreError};
use tgw_ha_core::conversion::ConversionError;
use tgw_ha_core::ids::{AttachmentId, GroupName, RouteTableId, TgwId};

#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    #[error("unknown group {group}; known groups: {known}")]
    UnknownGroup { group: GroupName, known: String },
    #[error("group {group} is invalid and left alone: {reason}")]
    InvalidGroup { group: GroupName, reason: String },
    #[error(transparent)]
    Refused(#[from] ConversionError),
    #[error(transparent)]
    Network(#[from] NetError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("another run holds the lease on {tgw}; try again later")]
    Busy { tgw: TgwId },
    #[error(
        "group {group}'s routes point at {vpn}, which is not healthy ({reason}): {direction} stopped so that failover can proceed; run it again once the group is settled ({done} steps done)"
    )]
    Unhealthy {
        group: GroupName,
        vpn: String,
        reason: String,
        direction: &'static str,
        done: usize,
    },
    #[error(
        "group {group}'s routes are on {target}, not its primary: what this {direction} creates there must be recorded in the ledger, and this backend keeps none (give --table or --state-file), or fail the group back first"
    )]
    NoLedger {
        group: GroupName,
        target: AttachmentId,
        direction: &'static str,
    },
    #[error(
        "{step}: {error} ({done} steps done; every step is idempotent: run the command again to continue)"
    )]
    Step {
        step: String,
        error: NetError,
        done: usize,
    },
    #[error(
        "{table} did not settle ({reason}) within {seconds} s ({done} steps done): run the command again to continue"
    )]
    NotSettled {
        table: RouteTableId,
        reason: String,
        seconds: u64,
        done: usize,
    },
    #[error(
        "{step}: done, yet still planned after 10 tries (another writer, or EC2's reads not catching up); {done} steps done"
    )]
    NoProgress { step: String, done: usize },
    #[error("prefix list {list}: {reason} ({done} steps done)")]
    List {
        list: String,
        reason: String,
        done: usize,
    },
}

impl ConvertError {
    pub fn is_retryable(&self) -> bool {
        match self {
            ConvertError::Busy { .. } | ConvertError::NotSettled { .. } => true,
            ConvertError::Network(e) | ConvertError::Step { error: e, .. } => e.is_retryable(),
            ConvertError::Store(e) => e.is_retryable(),
            _ => false,
        }
    }
}
