//! Random worlds for property tests: [`random_world`] turns a seed and [`RandomWorldParams`]
//! into a valid [`World`], the same world for the same inputs.
//!
//! The shapes are the ones that break naive failover code: mutual backups (a pair of sites each
//! backing the other up), backups shared by several groups, backup2/backup3 members, prefix-list
//! references, routes native to a backup, a VPN in no group with its own routes, a VPC's
//! propagated routes and user blackholes. Every tunnel is UP and stable at the start; a test
//! breaks what it wants through the world's mutators.

use crate::clock::TimeCell;
use crate::resources::{
    DeadRoutes, ResourceType, SimAttachment, SimPrefixListReference, SimRoute, SimRouteTable,
};
use crate::world::World;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, BTreeSet};
use tgw_ha_core::Timestamp;
use tgw_ha_core::ids::{AttachmentId, PrefixListId, RouteTableId, TgwId, VpnId};
use tgw_ha_core::model::{Tunnel, TunnelStatus, VpnConnection, VpnState};

/// What to generate. [`RandomWorldParams::sample`] draws one within the quota-shaped ranges
/// (1–20 tables, 1–10 groups).
#[derive(Debug, Clone, PartialEq)]
pub struct RandomWorldParams {
    /// Route tables (AWS quota: 20 per TGW).
    pub tables: usize,
    pub groups: usize,
    /// Backups per group: 1..=max_backups (priority 1, 2, 3…).
    pub max_backups: u32,
    /// Static CIDR routes per group, each in a random table.
    pub routes_per_group: usize,
    /// Prefix-list references, each on a random group's primary.
    pub prefix_list_references: usize,
    /// Chance that a pair of consecutive groups back each other up.
    pub mutual_rate: f64,
    /// Chance that a backup slot goes to a VPN shared with other groups.
    pub shared_backup_rate: f64,
    /// Static routes to backups that are nobody's primary (never group routes).
    pub native_backup_routes: usize,
    /// Static routes to a VPN in no group.
    pub foreign_routes: usize,
    /// Routes propagated from a VPC attachment.
    pub propagated_routes: usize,
    /// Static blackhole routes with no attachment.
    pub blackholes: usize,
    pub dead_routes: DeadRoutes,
    pub start: Timestamp,
}

impl Default for RandomWorldParams {
    fn default() -> Self {
        RandomWorldParams {
            tables: 4,
            groups: 3,
            max_backups: 2,
            routes_per_group: 10,
            prefix_list_references: 2,
            mutual_rate: 0.5,
            shared_backup_rate: 0.3,
            native_backup_routes: 3,
            foreign_routes: 2,
            propagated_routes: 3,
            blackholes: 1,
            dead_routes: DeadRoutes::Keep,
            start: crate::demo_world::start(),
        }
    }
}

impl RandomWorldParams {
    /// Parameters drawn from `seed`, within 1–20 tables, 1–10 groups, 1–3 backups.
    pub fn sample(seed: u64) -> Self {
        let mut rng = SmallRng::seed_from_u64(seed ^ 0x9e37_79b9_7f4a_7c15);
        RandomWorldParams {
            tables: rng.gen_range(1..=20),
            groups: rng.gen_range(1..=10),
            max_backups: rng.gen_range(1..=3),
            routes_per_group: rng.gen_range(0..=40),
            prefix_list_references: rng.gen_range(0..=6),
            mutual_rate: rng.gen_range(0.0..=1.0),
            shared_backup_rate: rng.gen_range(0.0..=0.6),
            native_backup_routes: rng.gen_range(0..=6),
            foreign_routes: rng.gen_range(0..=4),
            propagated_routes: rng.gen_range(0..=6),
            blackholes: rng.gen_range(0..=2),
            dead_routes: *[
                DeadRoutes::Keep,
                DeadRoutes::Blackhole,
                DeadRoutes::BlackholeUnlisted,
            ]
            .choose(&mut rng)
            .expect("non-empty"),
            ..RandomWorldParams::default()
        }
    }
}

const TGW: &str = "tgw-0f0e0d0c0b0a09080";

struct Builder {
    rng: SmallRng,
    start: Timestamp,
    next_id: u64,
    vpns: Vec<VpnConnection>,
    attachments: Vec<SimAttachment>,
    next_cidr: u32,
}

impl Builder {
    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// A new VPN with two stable UP tunnels and its attachment; returns its index.
    fn vpn(&mut self, name: String) -> usize {
        let n = self.id();
        let id = VpnId::new(format!("vpn-{n:017x}"));
        let up_since = self.start - chrono::Duration::days(14);
        let i = self.vpns.len();
        let tunnel = |ip: String| Tunnel {
            outside_ip: ip,
            status: TunnelStatus::Up,
            last_status_change: up_since,
        };
        self.vpns.push(VpnConnection {
            id: id.clone(),
            state: VpnState::Available,
            transit_gateway_id: Some(TgwId::new(TGW)),
            tags: BTreeMap::from([("Name".to_owned(), name)]),
            tunnels: vec![
                tunnel(format!("203.0.113.{}", i % 250 + 1)),
                tunnel(format!("198.51.100.{}", i % 250 + 1)),
            ],
        });
        let a = self.id();
        self.attachments.push(SimAttachment {
            id: AttachmentId::new(format!("tgw-attach-{a:017x}")),
            transit_gateway_id: TgwId::new(TGW),
            resource_type: ResourceType::Vpn,
            resource_id: id.to_string(),
            state: "available".to_owned(),
        });
        i
    }

    fn attachment_of(&self, vpn: usize) -> AttachmentId {
        let id = self.vpns[vpn].id.as_str();
        self.attachments
            .iter()
            .find(|a| a.resource_id == id)
            .expect("every vpn is attached")
            .id
            .clone()
    }

    /// A fresh /24 in 10.0.0.0/8, never the same twice in one world.
    fn cidr(&mut self) -> String {
        let n = self.next_cidr;
        self.next_cidr += 1;
        format!("10.{}.{}.0/24", (n >> 8) & 0xff, n & 0xff)
    }

    /// The tag value for `priority`, in a random case: roles are case-insensitive.
    fn role(&mut self, priority: u32) -> String {
        let base = match priority {
            0 => "primary".to_owned(),
            1 => "backup".to_owned(),
            n => format!("backup{n}"),
        };
        match self.rng.gen_range(0..3) {
            0 => base,
            1 => base.to_ascii_uppercase(),
            _ => {
                let mut c = base.chars();
                let first = c.next().map(|f| f.to_ascii_uppercase());
                first.into_iter().chain(c).collect()
            }
        }
    }
}

/// A valid world drawn from `seed` with the given shape.
pub fn random_world(seed: u64, params: &RandomWorldParams) -> World {
    let mut b = Builder {
        rng: SmallRng::seed_from_u64(seed),
        start: params.start,
        next_id: 0,
        vpns: Vec::new(),
        attachments: Vec::new(),
        next_cidr: 0,
    };
    let tables: Vec<SimRouteTable> = (0..params.tables.max(1))
        .map(|i| {
            let n = b.id();
            SimRouteTable {
                id: RouteTableId::new(format!("tgw-rtb-{n:017x}")),
                transit_gateway_id: TgwId::new(TGW),
                name: Some(format!("rt{i}")),
            }
        })
        .collect();

    let groups = params.groups.max(1);
    let primaries: Vec<usize> = (0..groups)
        .map(|g| b.vpn(format!("site{g}-primary")))
        .collect();
    let mut members: Vec<Vec<usize>> = primaries.iter().map(|p| vec![*p]).collect();
    // Mutual pairs first, so that backup slot 1 of both sites is the other's primary.
    for g in (0..groups.saturating_sub(1)).step_by(2) {
        if b.rng.gen_bool(params.mutual_rate.clamp(0.0, 1.0)) {
            members[g].push(primaries[g + 1]);
            members[g + 1].push(primaries[g]);
        }
    }
    let mut shared: Vec<usize> = Vec::new();
    for (g, group) in members.iter_mut().enumerate() {
        let want = b.rng.gen_range(1..=params.max_backups.max(1)) as usize;
        while group.len() <= want {
            let pick = if b.rng.gen_bool(params.shared_backup_rate.clamp(0.0, 1.0)) {
                let free: Vec<usize> = shared
                    .iter()
                    .copied()
                    .filter(|v| !group.contains(v))
                    .collect();
                match free.choose(&mut b.rng) {
                    Some(v) => *v,
                    None => {
                        let v = b.vpn(format!("shared-backup{}", shared.len()));
                        shared.push(v);
                        v
                    }
                }
            } else {
                b.vpn(format!("site{g}-backup{}", group.len()))
            };
            group.push(pick);
        }
    }
    for (g, ms) in members.iter().enumerate() {
        for (priority, v) in ms.iter().enumerate() {
            let role = b.role(u32::try_from(priority).expect("few members"));
            b.vpns[*v].tags.insert(format!("site{g}"), role);
        }
    }

    let mut routes = Vec::new();
    let pick_table = |rng: &mut SmallRng| tables[rng.gen_range(0..tables.len())].id.clone();
    for p in &primaries {
        let att = b.attachment_of(*p);
        for _ in 0..params.routes_per_group {
            let t = pick_table(&mut b.rng);
            let c = b.cidr();
            routes.push(SimRoute::to_attachment(&t, &c, &att));
        }
    }
    let primary_set: BTreeSet<usize> = primaries.iter().copied().collect();
    let non_primaries: Vec<usize> = (0..b.vpns.len())
        .filter(|v| !primary_set.contains(v))
        .collect();
    if !non_primaries.is_empty() {
        for _ in 0..params.native_backup_routes {
            let v = non_primaries[b.rng.gen_range(0..non_primaries.len())];
            let att = b.attachment_of(v);
            let t = pick_table(&mut b.rng);
            let c = b.cidr();
            routes.push(SimRoute::to_attachment(&t, &c, &att));
        }
    }
    if params.foreign_routes > 0 {
        let f = b.vpn("partner".to_owned());
        let att = b.attachment_of(f);
        for _ in 0..params.foreign_routes {
            let t = pick_table(&mut b.rng);
            let c = b.cidr();
            routes.push(SimRoute::to_attachment(&t, &c, &att));
        }
    }
    for _ in 0..params.blackholes {
        let t = pick_table(&mut b.rng);
        let c = b.cidr();
        routes.push(SimRoute::blackhole(&t, &c));
    }
    if params.propagated_routes > 0 {
        let n = b.id();
        let vpc = AttachmentId::new(format!("tgw-attach-{n:017x}"));
        b.attachments.push(SimAttachment {
            id: vpc.clone(),
            transit_gateway_id: TgwId::new(TGW),
            resource_type: ResourceType::Vpc,
            resource_id: format!("vpc-{n:017x}"),
            state: "available".to_owned(),
        });
        for i in 0..params.propagated_routes {
            let t = pick_table(&mut b.rng);
            routes.push(SimRoute::propagated(
                &t,
                &format!("172.{}.0.0/16", 16 + i % 16),
                &vpc,
            ));
        }
    }

    let mut references: Vec<SimPrefixListReference> = Vec::new();
    for i in 0..params.prefix_list_references {
        let p = primaries[b.rng.gen_range(0..primaries.len())];
        let t = pick_table(&mut b.rng);
        let pl = PrefixListId::new(format!("pl-{:017x}", 0xa000 + i));
        let cidrs = vec![b.cidr(), b.cidr()];
        references.push(SimPrefixListReference {
            table: t,
            prefix_list_id: pl,
            attachment: Some(b.attachment_of(p)),
            blackhole: false,
            cidrs,
        });
    }
    // Propagated routes to the same prefix from one VPC may repeat in a table; keep one.
    let mut seen = BTreeSet::new();
    routes.retain(|r| r.is_static() || seen.insert((r.table.clone(), r.destination.clone())));

    World {
        now: TimeCell::new(Some(params.start)),
        transit_gateways: vec![TgwId::new(TGW)],
        dead_routes: params.dead_routes,
        vpn_connections: b.vpns,
        attachments: b.attachments,
        route_tables: tables,
        routes,
        prefix_list_references: references,
        ..World::default()
    }
}
