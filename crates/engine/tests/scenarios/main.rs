//! Outage stories on the demo world: the real `Engine` on the sim, virtual time only.
//!
//! The demo world: `paris` (32 routes + 1 prefix-list reference) and `lyon` (28 + 1) back each
//! other up; `berlin` (36 + 2 references) has a primary, a backup with 3 routes of its own and
//! a backup2; a partner VPN in no group, a VPC's propagated routes and a user blackhole.
//!
//! One module per kind of story: `automatic` (failover and failback decided by the engine
//! itself), `operator` (operator actions and pins), `untouched` (what must change nothing),
//! `signals` (an alarm or a notice against telemetry), `census` (routes EC2 shows as unlisted
//! blackholes). This file holds the shared helpers.

#[path = "../common/mod.rs"]
mod common;

mod automatic;
mod census;
mod operator;
mod signals;
mod untouched;

use common::*;
use tgw_ha_core::events::parse_event;
use tgw_ha_core::ids::GroupName;
use tgw_ha_core::model::TunnelStatus::{Down, Up};
use tgw_ha_core::planner::{EventKind, GroupStatus, MoveKind, PlanError};
use tgw_ha_core::policy::Policy;
use tgw_ha_core::trigger::{OperatorAction, Trigger};
use tgw_ha_engine::{Engine, EngineError, Outcome};
use tgw_ha_sim::demo_world::{self as demo, demo_world};
use tgw_ha_sim::{DeadRoutes, LeaseRecord, Sim, World};

// From the crate root: the tests sit in `tests/scenarios/`, and `include_str!` resolves a
// relative path against a source file.
const OTHER_NAMESPACE_ALARM: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../core/tests/fixtures/events/alarm-state-other-namespace.json"
));
const HEALTH_NOTICE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../core/tests/fixtures/events/health-single-tunnel.json"
));

const PARIS_ALL: usize = demo::PARIS_ROUTES as usize + 1;
const BERLIN_ALL: usize = demo::BERLIN_ROUTES as usize + 2;

fn setup() -> (Sim, World) {
    let world = demo_world();
    (Sim::new(world.clone()), world)
}

async fn run(e: &Engine, t: &Trigger) -> Outcome {
    e.handle(t).await.expect("the run succeeds")
}

fn group_of<'a>(out: &'a Outcome, name: &str) -> &'a tgw_ha_core::planner::GroupReport {
    out.groups()
        .find(|g| g.name.as_str() == name)
        .unwrap_or_else(|| panic!("no report for {name}"))
}

fn events(sim: &Sim) -> Vec<(String, EventKind)> {
    sim.notifier
        .events()
        .into_iter()
        .map(|(e, _)| (e.group.to_string(), e.kind))
        .collect()
}

/// Every paris route (and lyon's own) is on lyon, nothing on paris, the ledger holds paris's.
fn assert_paris_on_lyon(sim: &Sim, initial: &World) {
    let w = sim.snapshot();
    let paris = keys_on(initial, demo::ATT_PARIS);
    let lyon = keys_on(initial, demo::ATT_LYON);
    assert_eq!(paris.len(), PARIS_ALL);
    assert_eq!(keys_on(&w, demo::ATT_LYON), &lyon | &paris);
    assert!(keys_on(&w, demo::ATT_PARIS).is_empty());
    assert_ledger_matches(&w, &group_routes(initial));
    assert_eq!(ledger(sim).len(), PARIS_ALL);
}

/// paris fails over on an ALARM alone: telemetry still shows both tunnels UP (stale).
async fn fail_paris_by_alarm_only(sim: &Sim, e: &Engine) {
    advance(sim, 120);
    let t = parse_event(&alarm_json(demo::VPN_PARIS, "ALARM", sim.now())).unwrap();
    assert_eq!(run(e, &t).await.moved(), PARIS_ALL);
}
