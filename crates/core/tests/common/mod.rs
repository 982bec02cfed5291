//! Small builders shared by the core table tests: VPNs, attachments, routes and a `World` that
//! holds one TGW's observation, state and policy. Every timestamp is fixed (no clock reads):
//! `t(secs)` is `secs` after a fixed base instant.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use chrono::{TimeZone, Utc};
use std::collections::BTreeSet;
use tgw_ha_core::Timestamp;
use tgw_ha_core::groups::{Discovery, discover};
use tgw_ha_core::ids::{AttachmentId, GroupName, PrefixListId, RouteTableId, TgwId, VpnId};
use tgw_ha_core::model::{
    Attachment, Destination, Observation, Route, RouteKey, RouteState, RouteTable, RouteType,
    Tunnel, TunnelStatus, VpnConnection, VpnState,
};
use tgw_ha_core::planner::{Directive, Plan, PlanError, PlanInput, plan};
use tgw_ha_core::policy::Policy;
use tgw_ha_core::state::{LedgerEntry, Signal, SignalSource, TgwState};

pub const TGW: &str = "tgw-1";
pub const RTB: &str = "tgw-rtb-1";

/// The fixed base instant of every test.
pub fn base() -> Timestamp {
    Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0)
        .single()
        .expect("valid date")
}

/// `secs` seconds after [`base`] (negative: before).
pub fn t(secs: i64) -> Timestamp {
    base() + chrono::Duration::seconds(secs)
}

pub fn tunnel(ip: &str, status: TunnelStatus, since: Timestamp) -> Tunnel {
    Tunnel {
        outside_ip: ip.to_owned(),
        status,
        last_status_change: since,
    }
}

/// Two tunnels (`<id>.1`, `<id>.2` as outside IPs), both with `status` since `since`.
pub fn tunnels(status: TunnelStatus, since: Timestamp) -> Vec<Tunnel> {
    vec![
        tunnel("203.0.113.1", status, since),
        tunnel("203.0.113.2", status, since),
    ]
}

pub fn up(since: Timestamp) -> Vec<Tunnel> {
    tunnels(TunnelStatus::Up, since)
}

pub fn down(since: Timestamp) -> Vec<Tunnel> {
    tunnels(TunnelStatus::Down, since)
}

pub fn vpn(id: &str, tgw: &str, tags: &[(&str, &str)], tunnels: Vec<Tunnel>) -> VpnConnection {
    VpnConnection {
        id: VpnId::new(id),
        state: VpnState::Available,
        transit_gateway_id: Some(TgwId::new(tgw)),
        tags: tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        tunnels,
    }
}

pub fn att(id: &str, tgw: &str, vpn: &str) -> Attachment {
    Attachment {
        id: AttachmentId::new(id),
        transit_gateway_id: TgwId::new(tgw),
        vpn_id: VpnId::new(vpn),
        state: "available".into(),
    }
}

/// A static route; `None` attachment makes it a blackhole that lists no attachment.
pub fn route(table: &str, cidr: &str, attachment: Option<&str>) -> Route {
    Route {
        table: RouteTableId::new(table),
        destination: Destination::Cidr(cidr.into()),
        attachment: attachment.map(AttachmentId::new),
        route_type: RouteType::Static,
        state: if attachment.is_some() {
            RouteState::Active
        } else {
            RouteState::Blackhole
        },
    }
}

pub fn pl_route(table: &str, pl: &str, attachment: &str) -> Route {
    Route {
        table: RouteTableId::new(table),
        destination: Destination::PrefixList(PrefixListId::new(pl)),
        attachment: Some(AttachmentId::new(attachment)),
        route_type: RouteType::Static,
        state: RouteState::Active,
    }
}

pub fn propagated(table: &str, cidr: &str, attachment: &str) -> Route {
    Route {
        route_type: RouteType::Propagated,
        ..route(table, cidr, Some(attachment))
    }
}

pub fn key(table: &str, cidr: &str) -> RouteKey {
    RouteKey {
        table: RouteTableId::new(table),
        destination: Destination::Cidr(cidr.into()),
    }
}

pub fn ledger(key: RouteKey, group: &str, home: &str, current: &str, at: Timestamp) -> LedgerEntry {
    LedgerEntry {
        key,
        group: GroupName::new(group),
        home: AttachmentId::new(home),
        current: AttachmentId::new(current),
        moved_at: at,
        decision: "failover".into(),
    }
}

/// A VPN-level signal (an alarm: no tunnel named).
pub fn alarm(vpn: &str, status: TunnelStatus, at: Timestamp) -> Signal {
    Signal {
        vpn: VpnId::new(vpn),
        tunnel: None,
        status,
        at,
        source: SignalSource::CloudWatchAlarm,
    }
}

/// A per-tunnel signal (Network Manager: names the tunnel's outside IP).
pub fn nm(vpn: &str, tunnel: &str, status: TunnelStatus, at: Timestamp) -> Signal {
    Signal {
        vpn: VpnId::new(vpn),
        tunnel: Some(tunnel.to_owned()),
        status,
        at,
        source: SignalSource::NetworkManager,
    }
}

pub fn gname(s: &str) -> GroupName {
    GroupName::new(s)
}

pub fn vid(s: &str) -> VpnId {
    VpnId::new(s)
}

pub fn aid(s: &str) -> AttachmentId {
    AttachmentId::new(s)
}

/// One TGW's observation, persisted state and policy.
#[derive(Debug, Clone, Default)]
pub struct World {
    pub obs: Observation,
    pub state: TgwState,
    pub policy: Policy,
}

impl World {
    pub fn new(vpns: Vec<VpnConnection>, attachments: Vec<Attachment>, routes: Vec<Route>) -> Self {
        Self {
            obs: Observation {
                vpns,
                attachments,
                route_tables: vec![RouteTable {
                    id: RouteTableId::new(RTB),
                    transit_gateway_id: TgwId::new(TGW),
                }],
                routes,
            },
            state: TgwState::default(),
            policy: Policy::default(),
        }
    }

    pub fn discovery(&self) -> Discovery {
        discover(&self.obs.vpns, &self.obs.attachments, &self.policy)
    }

    pub fn plan(&self, now: Timestamp) -> Plan {
        self.try_plan(now, None, None).expect("plan")
    }

    pub fn try_plan(
        &self,
        now: Timestamp,
        directive: Option<&Directive>,
        scope: Option<&BTreeSet<GroupName>>,
    ) -> Result<Plan, PlanError> {
        let discovery = self.discovery();
        let tgw = TgwId::new(TGW);
        plan(&PlanInput {
            tgw: &tgw,
            discovery: &discovery,
            observation: &self.obs,
            state: &self.state,
            policy: &self.policy,
            scope,
            directive,
            now,
        })
    }

    pub fn vpn_mut(&mut self, id: &str) -> &mut VpnConnection {
        self.obs
            .vpns
            .iter_mut()
            .find(|v| v.id.as_str() == id)
            .expect("vpn in world")
    }

    pub fn set_tunnels(&mut self, id: &str, tunnels: Vec<Tunnel>) {
        self.vpn_mut(id).tunnels = tunnels;
    }

    /// Where the route `key` points now (`None`: absent or no attachment).
    pub fn target_of(&self, key: &RouteKey) -> Option<AttachmentId> {
        self.obs
            .routes
            .iter()
            .find(|r| &r.key() == key)
            .and_then(|r| r.attachment.clone())
    }

    /// Do what the engine does with a plan: record its bookkeeping (intents, drops, group
    /// states, census, announcements), move routes, clear the ledger of routes that went home.
    pub fn apply(&mut self, plan: &Plan) {
        plan.record_intents(&mut self.state);
        let mut removals: Vec<RouteKey> = Vec::new();
        for m in &plan.moves {
            let r = self
                .obs
                .routes
                .iter_mut()
                .find(|r| r.key() == m.key)
                .expect("moved route exists");
            r.attachment = Some(m.to.clone());
            r.state = RouteState::Active;
            if m.goes_home() {
                removals.push(m.key.clone());
            }
        }
        self.state.apply_ledger(&[], &removals);
    }
}
