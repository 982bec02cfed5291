//! The built-in world of `tgw-ha demo` and `tgw-ha world example`.
//!
//! One TGW, four route tables (prod, dev, shared, inspection) and three protected sites:
//! `paris` and `lyon` back each other up (each one's primary is the other's backup), `berlin`
//! has a primary, a backup and a `backup2`. Around them, everything tgw-ha must never touch: a
//! partner VPN in no group with its own static routes, routes native to a berlin backup, a VPC
//! attachment with propagated routes, and a blackhole route someone made on purpose. Tag values
//! mix cases (`Backup`, `PRIMARY`) to show that roles are case-insensitive. Every tunnel has
//! been UP since well before the world's start, so every member is stable at once.
//!
//! The ids are constants so that tests and the demo script can name things.

use crate::clock::TimeCell;
use crate::resources::{
    DeadRoutes, ResourceType, SimAttachment, SimPrefixListReference, SimRoute, SimRouteTable,
};
use crate::world::World;
use chrono::TimeZone;
use std::collections::BTreeMap;
use tgw_ha_core::Timestamp;
use tgw_ha_core::ids::{AttachmentId, PrefixListId, RouteTableId, TgwId, VpnId};
use tgw_ha_core::model::{Tunnel, TunnelStatus, VpnConnection, VpnState};

pub const TGW: &str = "tgw-0a1b2c3d4e5f6a7b8";

/// paris primary, lyon backup.
pub const VPN_PARIS: &str = "vpn-0a1b2c3d4e5f60001";
/// lyon primary, paris backup.
pub const VPN_LYON: &str = "vpn-0a1b2c3d4e5f60002";
pub const VPN_BERLIN_PRIMARY: &str = "vpn-0a1b2c3d4e5f60003";
pub const VPN_BERLIN_BACKUP: &str = "vpn-0a1b2c3d4e5f60004";
pub const VPN_BERLIN_BACKUP2: &str = "vpn-0a1b2c3d4e5f60005";
/// A partner's VPN, in no group.
pub const VPN_PARTNER: &str = "vpn-0a1b2c3d4e5f60006";

pub const ATT_PARIS: &str = "tgw-attach-0a1b2c3d4e5f70001";
pub const ATT_LYON: &str = "tgw-attach-0a1b2c3d4e5f70002";
pub const ATT_BERLIN_PRIMARY: &str = "tgw-attach-0a1b2c3d4e5f70003";
pub const ATT_BERLIN_BACKUP: &str = "tgw-attach-0a1b2c3d4e5f70004";
pub const ATT_BERLIN_BACKUP2: &str = "tgw-attach-0a1b2c3d4e5f70005";
pub const ATT_PARTNER: &str = "tgw-attach-0a1b2c3d4e5f70006";
/// The shared-services VPC.
pub const ATT_VPC: &str = "tgw-attach-0a1b2c3d4e5f70007";
pub const VPC: &str = "vpc-0f1e2d3c4b5a69788";

pub const RTB_PROD: &str = "tgw-rtb-0a1b2c3d4e5f80001";
pub const RTB_DEV: &str = "tgw-rtb-0a1b2c3d4e5f80002";
pub const RTB_SHARED: &str = "tgw-rtb-0a1b2c3d4e5f80003";
pub const RTB_INSPECTION: &str = "tgw-rtb-0a1b2c3d4e5f80004";

pub const PL_PARIS_OFFICES: &str = "pl-0a1b2c3d4e5f90001";
pub const PL_LYON_OFFICES: &str = "pl-0a1b2c3d4e5f90002";
pub const PL_BERLIN_OFFICES: &str = "pl-0a1b2c3d4e5f90003";

/// The user's own blackhole route (no attachment): never touched.
pub const BLACKHOLE_CIDR: &str = "10.99.0.0/16";

/// Static routes each site's primary starts with (CIDR routes, prefix lists aside).
pub const PARIS_ROUTES: u8 = 32;
pub const LYON_ROUTES: u8 = 28;
pub const BERLIN_ROUTES: u8 = 36;

/// 2026-03-14T09:00:00Z.
pub fn start() -> Timestamp {
    chrono::Utc
        .with_ymd_and_hms(2026, 3, 14, 9, 0, 0)
        .single()
        .expect("a valid date")
}

/// When every tunnel last changed (came UP): two weeks before the start.
pub fn up_since() -> Timestamp {
    chrono::Utc
        .with_ymd_and_hms(2026, 2, 28, 6, 30, 0)
        .single()
        .expect("a valid date")
}

fn vpn(id: &str, n: u8, tags: &[(&str, &str)]) -> VpnConnection {
    VpnConnection {
        id: VpnId::new(id),
        state: VpnState::Available,
        transit_gateway_id: Some(TgwId::new(TGW)),
        tags: tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<BTreeMap<_, _>>(),
        tunnels: vec![
            Tunnel {
                outside_ip: format!("203.0.113.{}", 10 + n),
                status: TunnelStatus::Up,
                last_status_change: up_since(),
            },
            Tunnel {
                outside_ip: format!("198.51.100.{}", 10 + n),
                status: TunnelStatus::Up,
                last_status_change: up_since(),
            },
        ],
    }
}

fn attachment(id: &str, kind: ResourceType, resource: &str) -> SimAttachment {
    SimAttachment {
        id: AttachmentId::new(id),
        transit_gateway_id: TgwId::new(TGW),
        resource_type: kind,
        resource_id: resource.to_owned(),
        state: "available".to_owned(),
    }
}

fn table(id: &str, name: &str) -> SimRouteTable {
    SimRouteTable {
        id: RouteTableId::new(id),
        transit_gateway_id: TgwId::new(TGW),
        name: Some(name.to_owned()),
    }
}

fn reference(table: &str, pl: &str, to: &str, cidrs: &[&str]) -> SimPrefixListReference {
    SimPrefixListReference {
        table: RouteTableId::new(table),
        prefix_list_id: PrefixListId::new(pl),
        attachment: Some(AttachmentId::new(to)),
        blackhole: false,
        cidrs: cidrs.iter().map(|c| (*c).to_owned()).collect(),
    }
}

/// The demo world (see the module docs). Dead routes show as `blackhole` with their
/// attachment, the most telling of the undocumented behaviours for a demo.
pub fn demo_world() -> World {
    let tables = [RTB_PROD, RTB_DEV, RTB_SHARED, RTB_INSPECTION].map(RouteTableId::new);
    let mut routes = Vec::new();
    // Each site's /24s spread round-robin over the four tables.
    let sites = [
        (ATT_PARIS, 10u8, PARIS_ROUTES),
        (ATT_LYON, 20, LYON_ROUTES),
        (ATT_BERLIN_PRIMARY, 30, BERLIN_ROUTES),
    ];
    for (att, second, count) in sites {
        let att = AttachmentId::new(att);
        for i in 0..count {
            let t = &tables[usize::from(i) % tables.len()];
            routes.push(SimRoute::to_attachment(
                t,
                &format!("10.{second}.{i}.0/24"),
                &att,
            ));
        }
    }
    // berlin-ams's own networks: native to a backup, so failback must leave them there.
    let ams = AttachmentId::new(ATT_BERLIN_BACKUP);
    for (i, t) in [&tables[0], &tables[2], &tables[0]].into_iter().enumerate() {
        routes.push(SimRoute::to_attachment(t, &format!("10.31.{i}.0/24"), &ams));
    }
    let partner = AttachmentId::new(ATT_PARTNER);
    routes.push(SimRoute::to_attachment(
        &tables[0],
        "192.168.50.0/24",
        &partner,
    ));
    routes.push(SimRoute::to_attachment(
        &tables[2],
        "192.168.51.0/24",
        &partner,
    ));
    routes.push(SimRoute::blackhole(&tables[3], BLACKHOLE_CIDR));
    let vpc = AttachmentId::new(ATT_VPC);
    for t in &tables {
        routes.push(SimRoute::propagated(t, "172.31.0.0/16", &vpc));
    }
    routes.push(SimRoute::propagated(&tables[2], "100.64.0.0/16", &vpc));

    World {
        now: TimeCell::new(Some(start())),
        transit_gateways: vec![TgwId::new(TGW)],
        dead_routes: DeadRoutes::Blackhole,
        vpn_connections: vec![
            vpn(
                VPN_PARIS,
                1,
                &[
                    ("Name", "paris-dc"),
                    ("paris", "primary"),
                    ("lyon", "Backup"),
                ],
            ),
            vpn(
                VPN_LYON,
                2,
                &[
                    ("Name", "lyon-dc"),
                    ("lyon", "PRIMARY"),
                    ("paris", "backup"),
                ],
            ),
            vpn(
                VPN_BERLIN_PRIMARY,
                3,
                &[("Name", "berlin-fra"), ("berlin", "primary")],
            ),
            vpn(
                VPN_BERLIN_BACKUP,
                4,
                &[("Name", "berlin-ams"), ("berlin", "Backup")],
            ),
            vpn(
                VPN_BERLIN_BACKUP2,
                5,
                &[("Name", "berlin-lte"), ("berlin", "backup2")],
            ),
            vpn(
                VPN_PARTNER,
                6,
                &[("Name", "partner-acme"), ("team", "partners")],
            ),
        ],
        attachments: vec![
            attachment(ATT_PARIS, ResourceType::Vpn, VPN_PARIS),
            attachment(ATT_LYON, ResourceType::Vpn, VPN_LYON),
            attachment(ATT_BERLIN_PRIMARY, ResourceType::Vpn, VPN_BERLIN_PRIMARY),
            attachment(ATT_BERLIN_BACKUP, ResourceType::Vpn, VPN_BERLIN_BACKUP),
            attachment(ATT_BERLIN_BACKUP2, ResourceType::Vpn, VPN_BERLIN_BACKUP2),
            attachment(ATT_PARTNER, ResourceType::Vpn, VPN_PARTNER),
            attachment(ATT_VPC, ResourceType::Vpc, VPC),
        ],
        route_tables: vec![
            table(RTB_PROD, "prod"),
            table(RTB_DEV, "dev"),
            table(RTB_SHARED, "shared"),
            table(RTB_INSPECTION, "inspection"),
        ],
        routes,
        prefix_list_references: vec![
            reference(
                RTB_PROD,
                PL_PARIS_OFFICES,
                ATT_PARIS,
                &["10.110.0.0/24", "10.110.1.0/24", "10.110.2.0/24"],
            ),
            reference(
                RTB_SHARED,
                PL_LYON_OFFICES,
                ATT_LYON,
                &["10.120.0.0/23", "10.120.8.0/24"],
            ),
            reference(
                RTB_PROD,
                PL_BERLIN_OFFICES,
                ATT_BERLIN_PRIMARY,
                &["10.130.0.0/22"],
            ),
            reference(
                RTB_DEV,
                PL_BERLIN_OFFICES,
                ATT_BERLIN_PRIMARY,
                &["10.130.0.0/22"],
            ),
        ],
        state: BTreeMap::new(),
        state_versions: BTreeMap::new(),
        leases: BTreeMap::new(),
        faults: None,
        managed_prefix_lists: vec![],
        route_quota: None,
    }
}

/// What [`second`] puts in place of the demo's `0a1b2c3d4e5f` in every id.
pub const SECOND: &str = "0b1b2c3d4e5f";

/// A demo id in the second estate of [`two_tgw_demo_world`].
pub fn second(id: &str) -> String {
    id.replace("0a1b2c3d4e5f", SECOND)
}

/// The demo world twice, on two TGWs: the second copy's ids are [`second`] of the first's, and
/// its group names are its own (`paris-b` …), so that no group spans both TGWs.
pub fn two_tgw_demo_world() -> World {
    let mut w = demo_world();
    let mut text = second(&serde_json::to_string(&w).expect("world encodes"));
    for g in ["paris", "lyon", "berlin"] {
        text = text.replace(&format!("\"{g}\":\""), &format!("\"{g}-b\":\""));
    }
    w.extend_estate(serde_json::from_str(&text).expect("renamed world decodes"));
    w.validate().expect("a valid two-TGW world");
    w
}
