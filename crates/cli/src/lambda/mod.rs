//! The Lambda function: [`handler::Handler`] turns one payload (any of `fixtures/events/`, or an
//! operator's `{"action": …, "dryRun": …}`) into the engine's outcome as JSON, or a Lambda error
//! typed `Retryable.<Kind>` / `NotRetryable.<Kind>` ([`error::HandlerError`]).
//!
//! Contract:
//! - Configuration comes from the environment ([`crate::config::Config`]: `TGW_HA_*`), endpoints
//!   and credentials from the SDK's standard chain ([`aws::AwsBackend`]). See `docs/lambda.md`.
//! - A payload that is not ours is a `NotRetryable.InvalidEvent` error that names what was
//!   received, and nothing is read or written. So is an alarm for a VPN in no group
//!   (`NotRetryable.NoGroup`).
//! - The EC2 side runs in the Region the trigger names (Network Manager events arrive in
//!   us-west-2 with the TGW's Region in `detail.region`); state and notifications stay in the
//!   function's Region.
//! - Another invocation holding the TGW's lease makes this one fail fast with
//!   `Retryable.Busy`: Lambda's asynchronous retry comes back later, and the schedule sweeps
//!   every minute anyway. A run in which some moves failed is `Retryable.Incomplete`, with a
//!   summary of the failures.
//! - Each invocation logs JSON (trigger, groups, decisions, moves, outcome) and prints one
//!   CloudWatch EMF line ([`emf`]).
//!
//! [`runtime::run`] is the `bootstrap` binary; [`invoke::run`] is `tgw-ha invoke`.

pub mod aws;
pub mod dry_run;
pub mod emf;
pub mod error;
pub mod handler;
pub mod invoke;
pub mod runtime;

pub use aws::AwsBackend;
pub use emf::{emf, emf_error};
pub use error::HandlerError;
pub use handler::{Backend, EmfSink, Handler, Invocation};
