//! The pure decision core of tgw-ha.
//!
//! Contract: plain data in, plain data out. Nothing here performs I/O, spawns tasks, or reads a
//! clock: every function that depends on time takes `now` as a parameter (enforced by the
//! workspace `clippy.toml`, which forbids `SystemTime::now`, `Instant::now` and `Utc::now`).
//! Given the observed world ([`model::Observation`]), the persisted state ([`state::TgwState`])
//! and a [`policy::Policy`], [`planner::plan`] returns a [`planner::Plan`]: the route moves, the
//! ledger changes and a per-group report. Running it again on the world the plan produced
//! returns an empty plan (level-triggered, idempotent by construction).
//!
//! The words (group, member, home, active, ledger, healthy, stable, pinned) are those of
//! `DESIGN.md`; each module documents the part of the decision it owns.

pub mod action;
pub mod alarms;
pub mod conversion;
pub mod events;
pub mod groups;
pub mod health;
pub mod ids;
pub mod lease;
pub mod model;
pub mod notices;
pub mod planner;
pub mod policy;
pub mod state;
pub mod trigger;

/// Every timestamp in tgw-ha is a UTC instant.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
