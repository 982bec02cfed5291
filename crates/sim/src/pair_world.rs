//! A world of a chosen size for tests and benchmarks, where the demo's is too small or too
//! varied: one TGW, one group of two VPNs (a primary and its backup, each attached, every
//! tunnel UP since long ago) and a number of route tables. The caller adds the routes (and
//! anything else) it measures; the ids are the caller's, so each test keeps its own.
//!
//! The real clock unless the caller sets `now`: a benchmark's sandbox runs on the real clock,
//! as EC2 does.

use crate::resources::{ResourceType, SimAttachment, SimRoute, SimRouteTable};
use crate::world::World;
use chrono::TimeZone;
use tgw_ha_core::Timestamp;
use tgw_ha_core::ids::{AttachmentId, RouteTableId, TgwId, VpnId};
use tgw_ha_core::model::{Tunnel, TunnelStatus, VpnConnection, VpnState};

/// 2026-01-01T00:00:00Z: when every tunnel of a pair world came UP (stable long before any
/// test's `now`).
pub fn long_ago() -> Timestamp {
    chrono::Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("a valid date")
}

/// The ids and tags of a pair world.
#[derive(Debug, Clone)]
pub struct Pair<'a> {
    pub tgw: &'a str,
    /// The group tag's key: the primary is tagged `group: primary`, the backup `group: backup`.
    pub group: &'a str,
    /// The primary's VPN and its attachment.
    pub primary: (&'a str, &'a str),
    /// The backup's VPN and its attachment.
    pub backup: (&'a str, &'a str),
    /// The route tables, empty.
    pub tables: Vec<RouteTableId>,
}

impl Pair<'_> {
    /// The world: the primary's tunnels on 203.0.113.1-2, the backup's on 198.51.100.1-2.
    pub fn world(&self) -> World {
        let tgw = TgwId::new(self.tgw);
        let mut w = World {
            transit_gateways: vec![tgw.clone()],
            route_tables: self
                .tables
                .iter()
                .map(|id| SimRouteTable {
                    id: id.clone(),
                    transit_gateway_id: tgw.clone(),
                    name: None,
                })
                .collect(),
            ..World::default()
        };
        for ((vpn, att), role, ip) in [
            (self.primary, "primary", "203.0.113"),
            (self.backup, "backup", "198.51.100"),
        ] {
            w.vpn_connections
                .push(vpn_up(vpn, self.tgw, &[(self.group, role)], ip));
            w.attachments.push(vpn_attachment(att, self.tgw, vpn));
        }
        w
    }

    /// Static routes from every table (in order) for each of `cidrs` to the primary.
    pub fn routes_to_primary(&self, cidrs: &[String]) -> Vec<SimRoute> {
        let primary = AttachmentId::new(self.primary.1);
        self.tables
            .iter()
            .flat_map(|t| {
                cidrs
                    .iter()
                    .map(|c| SimRoute::to_attachment(t, c, &primary))
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

/// An available VPN on `tgw` with two tunnels (`{ip}.1`, `{ip}.2`) UP since [`long_ago`].
pub fn vpn_up(id: &str, tgw: &str, tags: &[(&str, &str)], ip: &str) -> VpnConnection {
    VpnConnection {
        id: VpnId::new(id),
        state: VpnState::Available,
        transit_gateway_id: Some(TgwId::new(tgw)),
        tags: tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        tunnels: (1..=2)
            .map(|n| Tunnel {
                outside_ip: format!("{ip}.{n}"),
                status: TunnelStatus::Up,
                last_status_change: long_ago(),
            })
            .collect(),
    }
}

/// The available attachment `id` of `vpn` to `tgw`.
pub fn vpn_attachment(id: &str, tgw: &str, vpn: &str) -> SimAttachment {
    SimAttachment {
        id: AttachmentId::new(id),
        transit_gateway_id: TgwId::new(tgw),
        resource_type: ResourceType::Vpn,
        resource_id: vpn.to_owned(),
        state: "available".to_owned(),
    }
}
