//! The decision (DESIGN.md "The decision"): one test per rule, per ownership rule, and the
//! level-triggered property (a plan applied and planned again is empty).
//!
//! One module per part of the decision: `automatic` (failover, a group with no healthy member,
//! failback and its damping), `pin`, `operator` (directives), `ownership` (which routes are the
//! group's), `scope`, `idempotency`. This file holds the shared fixtures: one site of up to
//! four members on one TGW.

#[path = "../common/mod.rs"]
mod common;

mod automatic;
mod idempotency;
mod operator;
mod ownership;
mod pin;
mod scope;

use common::*;
use std::collections::BTreeSet;
use tgw_ha_core::Timestamp;
use tgw_ha_core::ids::{GroupName, PrefixListId, TgwId};
use tgw_ha_core::model::{Destination, Route, RouteKey, Tunnel};
use tgw_ha_core::planner::{
    Directive, EventKind, GroupReport, GroupStatus, MoveKind, Plan, PlanError,
};
use tgw_ha_core::state::{GroupState, Pin};

const A: &str = "vpn-a";
const B: &str = "vpn-b";
const C: &str = "vpn-c";
const D: &str = "vpn-d";
const AA: &str = "tgw-attach-a";
const AB: &str = "tgw-attach-b";
const AC: &str = "tgw-attach-c";
const AD: &str = "tgw-attach-d";
const R1: &str = "10.1.0.0/16";
const R2: &str = "10.2.0.0/16";
const SITE: &str = "siteA";

/// Long up: healthy and stable at any `now` ≥ t(-3300).
fn long_up() -> Vec<Tunnel> {
    up(t(-3600))
}

fn dead() -> Vec<Tunnel> {
    down(t(-60))
}

/// siteA: `vpn-a` primary, `vpn-b` backup, `vpn-c` backup2, `vpn-d` backup3 (as many as given).
fn group_world(members: Vec<Vec<Tunnel>>, routes: Vec<Route>) -> World {
    let roles = ["primary", "backup", "backup2", "backup3"];
    let ids = [(A, AA), (B, AB), (C, AC), (D, AD)];
    let mut vpns = Vec::new();
    let mut atts = Vec::new();
    for (i, tunnels) in members.into_iter().enumerate() {
        vpns.push(vpn(ids[i].0, TGW, &[(SITE, roles[i])], tunnels));
        atts.push(att(ids[i].1, TGW, ids[i].0));
    }
    World::new(vpns, atts, routes)
}

/// The pair with both group routes at home.
fn pair(a: Vec<Tunnel>, b: Vec<Tunnel>) -> World {
    group_world(
        vec![a, b],
        vec![route(RTB, R1, Some(AA)), route(RTB, R2, Some(AA))],
    )
}

/// The pair with both group routes failed over to `vpn-b` (recorded in the ledger).
fn pair_on_backup(a: Vec<Tunnel>, b: Vec<Tunnel>) -> World {
    let mut w = group_world(
        vec![a, b],
        vec![route(RTB, R1, Some(AB)), route(RTB, R2, Some(AB))],
    );
    w.state.ledger = vec![
        ledger(key(RTB, R1), SITE, AA, AB, t(-1000)),
        ledger(key(RTB, R2), SITE, AA, AB, t(-1000)),
    ];
    w
}

fn report<'a>(plan: &'a Plan, group: &str) -> &'a GroupReport {
    plan.groups
        .iter()
        .find(|g| g.name.as_str() == group)
        .unwrap_or_else(|| panic!("no report for {group}: {plan:?}"))
}

fn moved_keys(plan: &Plan) -> BTreeSet<RouteKey> {
    plan.moves.iter().map(|m| m.key.clone()).collect()
}

fn keys(cidrs: &[&str]) -> BTreeSet<RouteKey> {
    cidrs.iter().map(|c| key(RTB, c)).collect()
}

fn event_kinds(plan: &Plan) -> Vec<EventKind> {
    plan.events.iter().map(|e| e.kind).collect()
}

fn with_group_state(w: &mut World, s: GroupState) {
    w.state.groups.insert(gname(SITE), s);
}

fn failback_on(w: &mut World) {
    w.policy.failback = true;
}

fn directive(w: &World, d: Directive, now: Timestamp) -> Result<Plan, PlanError> {
    w.try_plan(now, Some(&d), None)
}
