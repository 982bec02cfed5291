//! The Lambda function: [`handler::Handler`] turns one payload (any of `fixtures/events/`, or an
//! operator's `{"action": …, "dryRun": …}`) into the engine's outcome as JSON, or a Lambda error
//! typed `Retryable.<Kind>` / `NotRetryable.<Kind>` ([`error::HandlerError`]).
//!
//! Contract:
//! - Configuration comes from the environment ([`crate::config::Config`]: `TGW_HA_*`), endpoints
//!   and credentials from the SDK's standard chain ([`AwsBackend`], from the aws crate). See
//!   `docs/lambda.md`.
//! - Every rule about what to do with a trigger is the application service's
//!   ([`tgw_ha_engine::Service`], shared with the CLI); the handler parses, calls it, reports.
//! - A payload that is not ours is a `NotRetryable.InvalidEvent` error that names what was
//!   received, and nothing is read or written. So is an alarm for a VPN in no group
//!   (`NotRetryable.NoGroup`).
//! - The EC2 side runs in the Region the trigger names (Network Manager events arrive in
//!   us-west-2 with the TGW's Region in `detail.region`); state and notifications stay in the
//!   function's Region.
//! - Another invocation holding the TGW's lease is no error for an event that only asks for a
//!   look (the schedule, a routing update, a notice, INSUFFICIENT_DATA): it succeeds with a note,
//!   since the holder (or the next sweep) sees the same world. A DOWN or UP is stored for the
//!   holder to act on, and succeeds too. Only an operator's action meeting a held lease is
//!   `Retryable.Busy`. A run in which some moves failed, some TGW failed (the others were
//!   reconciled) or the invocation's deadline came near is `Retryable.Incomplete` (or
//!   `NotRetryable.Incomplete` when only a TGW failed, and not retryably), with a summary.
//! - Each invocation logs JSON (trigger, groups, decisions, moves, outcome) and prints one
//!   CloudWatch EMF line ([`emf`]).
//!
//! [`runtime::run`] is the `bootstrap` binary; [`invoke::run`] is `tgw-ha invoke`.

pub mod emf;
pub mod error;
pub mod handler;
pub mod invoke;
pub mod runtime;
pub mod watch;

pub use emf::{emf, emf_error};
pub use error::HandlerError;
pub use handler::{Backend, EmfSink, Handler, Invocation};
pub use tgw_ha_aws::AwsBackend;
