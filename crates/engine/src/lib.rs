//! The tgw-ha engine: the ports ([`ports`]) and the observe → decide → apply loop
//! ([`Engine::handle`]).
//!
//! Contract: given a [`tgw_ha_core::trigger::Trigger`], the engine takes the TGW's lease, reads
//! only what the trigger needs, asks the core for a plan, writes ledger intent *before* moving a
//! route, applies the moves through the paced, retrying [`executor`], clears ledger entries of
//! routes that are home, notifies, and releases the lease on every exit path that is not a
//! crash. It returns an [`Outcome`] (what moved, what was skipped and why, each group's state).
//! A move that failed makes the result an error after the other moves are settled; nothing is
//! reported as success that was not. No SDK types cross this crate: the same code runs in the
//! Lambda, the CLI, the demo and every test.
//!
//! Front ends call [`Service::run`] ([`service`]): the rules around one engine run (Region
//! ownership and the multi-Region sweep, the ledger refusal, dry runs, the "no group" rule, the
//! alarm sync after a sweep) live there once. [`Engine`] stays public as the inner layer.

#[cfg(feature = "testing")]
pub mod conformance;
pub mod conversion;
pub mod dry_run;
pub mod executor;
pub mod layer;
pub mod outcome;
pub mod ports;
pub mod prefix_lists;
pub mod reconcile;
pub mod scoped;
pub mod service;
#[cfg(feature = "testing")]
pub mod testing;
pub mod token_bucket;
pub mod watch;

pub use outcome::{EngineError, Outcome};
pub use ports::Ports;
pub use reconcile::{Deadline, Engine, EngineConfig, RunOptions};
pub use service::{Service, ServiceConfig, ServiceError, ServiceOptions};
