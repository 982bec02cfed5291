//! The service's errors: the engine's, plus the rules the service applies around it (Region
//! ownership, the ledger, the group an alarm is about, a sweep over several Regions). Each has
//! a kind (`Config`, `NoGroup`, `Regions`, or the engine error's) and says whether running the
//! same trigger again may help; the Lambda turns them into `Retryable.<Kind>` /
//! `NotRetryable.<Kind>`, the CLI into an exit status.

use crate::outcome::{EngineError, Outcome};
use tgw_ha_core::ids::VpnId;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The run names a Region this deployment does not own: acting there would give its TGWs
    /// a second ledger and lease next to the owning deployment's. Nothing changed.
    #[error(
        "configuration: region {region} is not one of this deployment's regions ({}); run the \
         action in the deployment that owns {region}, or add it to TGW_HA_REGIONS; nothing \
         changed",
        owned.join(", ")
    )]
    RegionNotOwned { region: String, owned: Vec<String> },
    /// The trigger would write and there is no ledger: refused before anything is read.
    #[error(
        "configuration: {trigger} would write routes or state, and there is no ledger: \
         {remedy}; nothing changed"
    )]
    NoLedger { trigger: String, remedy: String },
    /// The backend could not give its ports, or another setting is wrong: nothing changed.
    #[error("configuration: {0}")]
    Config(String),
    /// An alarm or the reference event names a VPN that belongs to no valid group: the alarm
    /// or rule was set up for a VPN that is not tagged (or sits on a TGW with no group).
    #[error(
        "{trigger}: {vpn} belongs to no group on its transit gateway (tag it <group>=primary or \
         <group>=backup next to the other members); nothing changed"
    )]
    NoGroup { trigger: String, vpn: VpnId },
    #[error("{0}")]
    Engine(#[from] EngineError),
    /// A sweep over several Regions failed in some of them; the others were reconciled (the
    /// outcome has them all).
    #[error(
        "sweep failed in {} region(s): {}; every other region was reconciled",
        failures.len(),
        failures.join("; ")
    )]
    Regions {
        failures: Vec<String>,
        retryable: bool,
        outcome: Box<Outcome>,
    },
}

impl ServiceError {
    /// Whether running the same trigger again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            ServiceError::Engine(e) => e.is_retryable(),
            ServiceError::Regions { retryable, .. } => *retryable,
            ServiceError::RegionNotOwned { .. }
            | ServiceError::NoLedger { .. }
            | ServiceError::Config(_)
            | ServiceError::NoGroup { .. } => false,
        }
    }

    /// The error's kind: the engine error's variant, or `Config`, `NoGroup`, `Regions`.
    pub fn kind(&self) -> &'static str {
        match self {
            ServiceError::RegionNotOwned { .. }
            | ServiceError::NoLedger { .. }
            | ServiceError::Config(_) => "Config",
            ServiceError::NoGroup { .. } => "NoGroup",
            ServiceError::Regions { .. } => "Regions",
            ServiceError::Engine(e) => e.kind(),
        }
    }

    /// The outcome of a run that did part of its work.
    pub fn outcome(&self) -> Option<&Outcome> {
        match self {
            ServiceError::Engine(e) => e.outcome(),
            ServiceError::Regions { outcome, .. } => Some(outcome),
            _ => None,
        }
    }
}
