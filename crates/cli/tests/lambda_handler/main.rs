//! The Lambda handler end to end, for every event fixture and the operator actions.
//!
//! Most tests run the handler exactly as the function builds it (`AwsBackend`): EC2 through the
//! real AWS SDK against the sandbox (the EC2 Query API over a sim world, on 127.0.0.1, with the
//! Region of every request's signature recorded), the ledger and lease in moto's DynamoDB
//! (`DynamoStore`), notifications in moto's SNS. They run on the real clock, so the fixtures'
//! times are moved to "now" and hold-downs are a few seconds. One test runs the fixtures
//! verbatim on the sim's virtual clock (the demo world's 2026-03-14 09:00), with the same
//! DynamoDB and SNS, to show the default five-minute hold-down to the second.
//!
//! Never AWS: every endpoint is 127.0.0.1, the credentials are static test ones.
//!
//! One module per kind of invocation: `signals` (the fixtures that say a VPN is up or down),
//! `reconcile` (routing updates, the scheduled sweep, a Health notice), `operator`,
//! `bad_input`, `partial` (a partly failed run), `concurrency`, and `verbatim` (every fixture as
//! is, on the sim's virtual clock). This file holds the shared constants and assertions.

#![cfg(feature = "aws")]

#[path = "../common/mod.rs"]
mod common;

mod bad_input;
mod concurrency;
mod operator;
mod partial;
mod reconcile;
mod signals;
mod verbatim;

use common::*;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tgw_ha::config::Config;
use tgw_ha::lambda::{Backend, EmfSink, Handler, HandlerError};
use tgw_ha_aws::{DynamoStore, SnsNotifier};
use tgw_ha_core::Timestamp;
use tgw_ha_core::ids::{AttachmentId, TgwId};
use tgw_ha_core::model::TunnelStatus;
use tgw_ha_core::planner::GroupStatus;
use tgw_ha_core::state::SignalSource;
use tgw_ha_engine::ports::{Clock, Ports};
use tgw_ha_sim::demo_world::{
    ATT_BERLIN_BACKUP, ATT_BERLIN_PRIMARY, ATT_LYON, ATT_PARIS, PL_PARIS_OFFICES, RTB_PROD,
    VPN_BERLIN_BACKUP, VPN_BERLIN_PRIMARY, VPN_LYON, VPN_PARIS,
};
use tgw_ha_sim::{Gate, Sim};

/// Routes of each site: its /24s and its prefix-list references (demo world).
const PARIS_MOVES: usize = 32 + 1;
const LYON_MOVES: usize = 28 + 1;
const BERLIN_MOVES: usize = 36 + 2;

/// From `before` to `after` (`Sandbox::routes`), exactly `n` routes changed, each from `from`
/// to `to`.
fn assert_moved_between(
    before: &[(String, String, String)],
    after: &[(String, String, String)],
    n: usize,
    from: &str,
    to: &str,
) {
    let changes = changed(before, after);
    assert_eq!(changes.len(), n, "{changes:#?}");
    for (table, dest, b, a) in changes {
        assert_eq!((b.as_str(), a.as_str()), (from, to), "{table} {dest}");
    }
}

/// Paris failed over: from `before` to `after`, its routes and nothing else moved to lyon.
fn assert_paris_on_lyon(before: &[(String, String, String)], after: &[(String, String, String)]) {
    assert_moved_between(before, after, PARIS_MOVES, ATT_PARIS, ATT_LYON);
}

fn error_of(r: Result<tgw_ha_engine::Outcome, HandlerError>) -> HandlerError {
    match r {
        Ok(o) => panic!("expected an error, got {o:#?}"),
        Err(e) => e,
    }
}
