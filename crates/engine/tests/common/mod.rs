//! Helpers shared by the engine's tests: the real `Engine` on the sim, a few event payloads in
//! their AWS shapes, and independent views of a world (where routes point, which routes belong
//! to which group) computed from the world itself rather than from the engine's outcome, and
//! the checks of a restart after a crash. The aws crate's wire tests include this file too
//! (`crates/aws/tests/common/mod.rs`), so a crash over the wire is judged as one in the sim.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use tgw_ha_core::Timestamp;
use tgw_ha_core::groups::discover;
use tgw_ha_core::ids::{AttachmentId, GroupName, TgwId, VpnId};
use tgw_ha_core::model::{RouteKey, TunnelStatus, VpnState};
use tgw_ha_core::policy::Policy;
use tgw_ha_core::state::{LedgerEntry, TgwState};
use tgw_ha_core::trigger::{OperatorAction, Trigger};
use tgw_ha_engine::{Engine, EngineConfig, EngineError, Outcome};
use tgw_ha_sim::demo_world as demo;
use tgw_ha_sim::{Sim, SimPrefixListReference, SimRoute, World};

pub fn att(s: &str) -> AttachmentId {
    AttachmentId::new(s)
}

pub fn vpn(s: &str) -> VpnId {
    VpnId::new(s)
}

pub fn demo_tgw() -> TgwId {
    TgwId::new(demo::TGW)
}

pub fn engine(sim: &Sim, policy: Policy) -> Engine {
    Engine::new(
        sim.ports(),
        EngineConfig {
            policy,
            ..EngineConfig::default()
        },
    )
}

pub fn failback_on() -> Policy {
    Policy {
        failback: true,
        ..Policy::default()
    }
}

pub fn sweep() -> Trigger {
    Trigger::All { region: None }
}

pub fn operator(action: OperatorAction) -> Trigger {
    Trigger::Operator {
        action,
        dry_run: false,
    }
}

/// Every tunnel of `vpn` goes to `status` now (EC2 telemetry; unchanged tunnels keep their
/// last change).
pub fn set_tunnels(sim: &Sim, vpn_id: &str, status: TunnelStatus) {
    let now = sim.now();
    sim.world()
        .set_tunnel(&vpn(vpn_id), None, status, now)
        .expect("vpn exists");
}

/// Move virtual time by `secs` seconds; returns the new time.
pub fn advance(sim: &Sim, secs: i64) -> Timestamp {
    sim.virtual_clock
        .as_ref()
        .expect("a world with virtual time")
        .advance(chrono::Duration::seconds(secs))
}

pub fn secs(n: i64) -> chrono::Duration {
    chrono::Duration::seconds(n)
}

pub fn route_key(r: &SimRoute) -> RouteKey {
    r.to_core().key()
}

pub fn reference_key(p: &SimPrefixListReference) -> RouteKey {
    p.to_core().key()
}

/// Where every movable entry (static CIDR route or prefix-list reference) points, by key.
/// Panics if a key appears twice: one static route per prefix per table.
pub fn placement(world: &World) -> BTreeMap<RouteKey, Option<AttachmentId>> {
    let mut out = BTreeMap::new();
    let statics = world.routes.iter().filter(|r| r.is_static());
    for (k, a) in statics.map(|r| (route_key(r), r.attachment.clone())).chain(
        world
            .prefix_list_references
            .iter()
            .map(|p| (reference_key(p), p.attachment.clone())),
    ) {
        assert!(out.insert(k.clone(), a).is_none(), "{k} appears twice");
    }
    out
}

/// Keys of the movable entries pointing at `attachment`.
pub fn keys_on(world: &World, attachment: &str) -> BTreeSet<RouteKey> {
    let a = att(attachment);
    placement(world)
        .into_iter()
        .filter(|(_, to)| to.as_ref() == Some(&a))
        .map(|(k, _)| k)
        .collect()
}

pub fn state(sim: &Sim, tgw: &TgwId) -> TgwState {
    sim.world().state.get(tgw).cloned().unwrap_or_default()
}

pub fn ledger(sim: &Sim) -> Vec<LedgerEntry> {
    state(sim, &demo_tgw()).ledger
}

/// A group as the tags define it, with the routes that were on its primary in the world it was
/// taken from (its routes for the whole test: routes never appear or vanish in these tests).
#[derive(Debug, Clone)]
pub struct GroupRoutes {
    pub name: GroupName,
    pub tgw: TgwId,
    /// By priority; `members[0]` is home.
    pub members: Vec<(VpnId, AttachmentId)>,
    pub keys: BTreeSet<RouteKey>,
}

impl GroupRoutes {
    pub fn home(&self) -> &AttachmentId {
        &self.members[0].1
    }
    pub fn priority_of(&self, a: &AttachmentId) -> Option<usize> {
        self.members.iter().position(|(_, m)| m == a)
    }
}

/// The groups of `initial` (a world where every route is home) and their routes.
pub fn group_routes(initial: &World) -> Vec<GroupRoutes> {
    let atts: Vec<_> = initial
        .attachments
        .iter()
        .filter_map(|a| a.to_core())
        .collect();
    let d = discover(&initial.vpn_connections, &atts, &Policy::default());
    assert!(d.invalid.is_empty(), "invalid groups: {:?}", d.invalid);
    let place = placement(initial);
    d.groups
        .iter()
        .map(|g| GroupRoutes {
            name: g.name.clone(),
            tgw: g.tgw.clone(),
            members: g
                .members
                .iter()
                .map(|m| (m.vpn.clone(), m.attachment.clone()))
                .collect(),
            keys: place
                .iter()
                .filter(|(_, a)| a.as_ref() == Some(&g.home().attachment))
                .map(|(k, _)| k.clone())
                .collect(),
        })
        .collect()
}

/// Everything that belongs to no group: propagated routes, and static routes and references
/// that are not any group's. Compared whole (`SimRoute` equality) to prove them untouched.
pub fn foreign(
    world: &World,
    groups: &[GroupRoutes],
) -> (Vec<SimRoute>, Vec<SimPrefixListReference>) {
    let ours: BTreeSet<&RouteKey> = groups.iter().flat_map(|g| g.keys.iter()).collect();
    (
        world
            .routes
            .iter()
            .filter(|r| !r.is_static() || !ours.contains(&route_key(r)))
            .cloned()
            .collect(),
        world
            .prefix_list_references
            .iter()
            .filter(|p| !ours.contains(&reference_key(p)))
            .cloned()
            .collect(),
    )
}

/// The ledger matches the routes: every entry's route exists, belongs to the entry's group, is
/// away from home and points where the entry says; every group route away from home is in it.
pub fn assert_ledger_matches(world: &World, groups: &[GroupRoutes]) {
    let place = placement(world);
    for (tgw, st) in &world.state {
        for e in &st.ledger {
            assert!(
                groups.iter().any(|g| &g.tgw == tgw && g.name == e.group),
                "ledger entry {} names unknown group {}",
                e.key,
                e.group
            );
        }
    }
    for g in groups {
        let ledger: BTreeMap<&RouteKey, &LedgerEntry> = world
            .state
            .get(&g.tgw)
            .map(|s| {
                s.ledger
                    .iter()
                    .filter(|e| e.group == g.name)
                    .map(|e| (&e.key, e))
                    .collect()
            })
            .unwrap_or_default();
        for (k, e) in &ledger {
            assert!(
                g.keys.contains(*k),
                "ledger entry {k} is not a {} route",
                g.name
            );
            let at = place
                .get(*k)
                .unwrap_or_else(|| panic!("ledger route {k} vanished"));
            assert_eq!(&e.home, g.home(), "ledger entry {k}: wrong home");
            assert_ne!(at.as_ref(), Some(g.home()), "ledger entry {k} is home");
            assert_eq!(
                at.as_ref(),
                Some(&e.current),
                "ledger entry {k}: wrong current"
            );
        }
        for k in &g.keys {
            let at = place.get(k).unwrap_or_else(|| panic!("route {k} lost"));
            if at.as_ref() != Some(g.home()) {
                assert!(
                    ledger.contains_key(k),
                    "{k} is away from home, not in the ledger"
                );
            }
        }
    }
}

/// Whether the VPN carries traffic by its telemetry: `available` and a tunnel UP (the default
/// policy's `min_tunnels_up = 1`).
pub fn healthy(world: &World, v: &VpnId) -> bool {
    world.vpn(v).is_some_and(|v| {
        v.state == VpnState::Available && v.tunnels.iter().any(|t| t.status == TunnelStatus::Up)
    })
}

/// Healthy, and every UP tunnel up for at least `hold_down` at `now`.
pub fn stable(world: &World, v: &VpnId, hold_down: chrono::Duration, now: Timestamp) -> bool {
    healthy(world, v)
        && world.vpn(v).is_some_and(|v| {
            v.tunnels
                .iter()
                .filter(|t| t.status == TunnelStatus::Up)
                .all(|t| t.last_status_change + hold_down <= now)
        })
}

fn cw_time(t: Timestamp) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

/// An EventBridge "CloudWatch Alarm State Change" for a `TunnelState` alarm on `vpn`, as AWS
/// delivers it (`fixtures/events/alarm-state-*.json`), with the new state `state` at `at`.
pub fn alarm_json(vpn_id: &str, state: &str, at: Timestamp) -> String {
    let previous = if state == "ALARM" { "OK" } else { "ALARM" };
    let before = at - secs(60);
    format!(
        r#"{{
  "version": "0",
  "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "CloudWatch Alarm State Change",
  "source": "aws.cloudwatch",
  "account": "111122223333",
  "time": "{time}",
  "region": "eu-west-1",
  "resources": ["arn:aws:cloudwatch:eu-west-1:111122223333:alarm:tgw-ha-{vpn_id}"],
  "detail": {{
    "alarmName": "tgw-ha-{vpn_id}",
    "configuration": {{
      "description": "Both tunnels of {vpn_id} are down",
      "metrics": [{{
        "id": "m1",
        "metricStat": {{
          "metric": {{"namespace": "AWS/VPN", "name": "TunnelState", "dimensions": {{"VpnId": "{vpn_id}"}}}},
          "period": 60,
          "stat": "Maximum"
        }},
        "returnData": true
      }}]
    }},
    "previousState": {{"reason": "Threshold Crossed", "timestamp": "{before}", "value": "{previous}"}},
    "state": {{"reason": "Threshold Crossed", "timestamp": "{at}", "value": "{state}"}}
  }}
}}"#,
        time = at.format("%Y-%m-%dT%H:%M:%SZ"),
        before = cw_time(before),
        at = cw_time(at),
    )
}

/// The reference sample's event: `{vpnId, downTS}`.
pub fn reference_json(vpn_id: &str, at: Timestamp) -> String {
    format!(
        r#"{{"vpnId": "{vpn_id}", "downTS": "{}"}}"#,
        at.format("%Y-%m-%dT%H:%M:%SZ")
    )
}

/// After a run died holding the TGW's lease, `next` (another owner) meets that lease: a sweep
/// is a look (it succeeds with a note, and the look is returned for the caller's checks), an
/// operator's reconcile is told the TGW is busy. `label` names the case in failure messages.
pub async fn assert_dead_runs_lease_holds(next: &Engine, label: &str) -> Outcome {
    let look = next
        .handle(&sweep())
        .await
        .expect("a sweep meeting a lease");
    assert!(
        look.notes
            .iter()
            .any(|n| n.contains("another run holds the lease")),
        "{label}: the dead run's lease still holds: {:?}",
        look.notes
    );
    let busy = next
        .handle(&operator(OperatorAction::Reconcile { group: None }))
        .await;
    assert!(
        matches!(busy, Err(EngineError::Busy { .. })),
        "{label}: the dead run's lease still holds: {busy:?}"
    );
    look
}

/// Install a panic hook that stays quiet about the sim's injected crashes (they are expected)
/// and reports every other panic as usual.
pub fn quiet_injected_crashes() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let msg = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("");
            if !msg.starts_with("injected crash") {
                default(info);
            }
        }));
    });
}
