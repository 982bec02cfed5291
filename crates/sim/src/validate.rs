//! [`World::validate`]: every problem of a scenario, each naming its item by id.
//!
//! Contract: a world that validates is one the sim can run without surprises — every reference
//! between items resolves, ids are unique, and nothing is stored that a real TGW would refuse
//! (two static routes for one destination in one table). All problems are reported at once, so
//! that a hand-written file is fixed in one pass.

use crate::resources::{SimAttachment, is_cidr};
use crate::world::World;
use std::collections::{BTreeMap, BTreeSet};
use tgw_ha_core::ids::{AttachmentId, RouteTableId, TgwId, VpnId};
use tgw_ha_core::model::RouteState;

/// One thing wrong with a scenario: the item (by id) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub item: String,
    pub reason: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.item, self.reason)
    }
}

/// A malformed scenario, with every problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid scenario: {}", .problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; "))]
pub struct InvalidWorld {
    pub problems: Vec<Problem>,
}

impl World {
    /// Every problem of a scenario: unknown references between items, duplicates, and what a
    /// real TGW would never hold (two static routes for one destination in one table).
    pub fn validate(&self) -> Result<(), InvalidWorld> {
        let mut problems = Vec::new();
        let mut bad = |item: String, reason: String| problems.push(Problem { item, reason });

        let mut tgws = BTreeSet::new();
        for t in &self.transit_gateways {
            if !tgws.insert(t) {
                bad(format!("transit gateway {t}"), "listed twice".into());
            }
        }

        let mut vpns = BTreeSet::new();
        for v in &self.vpn_connections {
            let item = format!("vpn connection {}", v.id);
            if !vpns.insert(&v.id) {
                bad(item.clone(), "defined twice".into());
            }
            if let Some(t) = &v.transit_gateway_id
                && !tgws.contains(t)
            {
                bad(item.clone(), format!("on unknown transit gateway {t}"));
            }
            let mut ips = BTreeSet::new();
            for t in &v.tunnels {
                if !ips.insert(&t.outside_ip) {
                    bad(
                        item.clone(),
                        format!("two tunnels with outside ip {}", t.outside_ip),
                    );
                }
            }
        }

        let mut attachments: BTreeMap<&AttachmentId, &SimAttachment> = BTreeMap::new();
        let mut vpn_attached: BTreeMap<VpnId, &AttachmentId> = BTreeMap::new();
        for a in &self.attachments {
            let item = format!("attachment {}", a.id);
            if attachments.insert(&a.id, a).is_some() {
                bad(item.clone(), "defined twice".into());
            }
            if !tgws.contains(&a.transit_gateway_id) {
                bad(
                    item.clone(),
                    format!("on unknown transit gateway {}", a.transit_gateway_id),
                );
            }
            if let Some(vpn_id) = a.vpn_id() {
                match self.vpn(&vpn_id) {
                    None => bad(
                        item.clone(),
                        format!("attaches unknown vpn connection {vpn_id}"),
                    ),
                    Some(v) if v.transit_gateway_id.as_ref() != Some(&a.transit_gateway_id) => bad(
                        item.clone(),
                        format!(
                            "attaches {vpn_id} to {} but the vpn connection is on {}",
                            a.transit_gateway_id,
                            v.transit_gateway_id
                                .as_ref()
                                .map_or("no transit gateway".to_owned(), |t| t.to_string())
                        ),
                    ),
                    Some(_) => {}
                }
                if let Some(other) = vpn_attached.insert(vpn_id.clone(), &a.id) {
                    bad(
                        item.clone(),
                        format!("{vpn_id} is already attached by {other}"),
                    );
                }
            }
        }

        let mut tables: BTreeMap<&RouteTableId, &TgwId> = BTreeMap::new();
        for t in &self.route_tables {
            let item = format!("route table {}", t.id);
            if tables.insert(&t.id, &t.transit_gateway_id).is_some() {
                bad(item.clone(), "defined twice".into());
            }
            if !tgws.contains(&t.transit_gateway_id) {
                bad(
                    item,
                    format!("on unknown transit gateway {}", t.transit_gateway_id),
                );
            }
        }

        // An attachment a route may name: known and on the table's TGW.
        let target_problem = |table_tgw: Option<&&TgwId>, a: &AttachmentId| -> Option<String> {
            match (attachments.get(a), table_tgw) {
                (None, _) => Some(format!("points at unknown attachment {a}")),
                (Some(x), Some(t)) if &x.transit_gateway_id != *t => Some(format!(
                    "points at {a} on {}, not on the table's transit gateway {t}",
                    x.transit_gateway_id
                )),
                _ => None,
            }
        };

        let mut statics = BTreeSet::new();
        for r in &self.routes {
            let item = format!("route {} in {}", r.destination, r.table);
            let table_tgw = tables.get(&r.table);
            if table_tgw.is_none() {
                bad(item.clone(), format!("unknown route table {}", r.table));
            }
            if !is_cidr(&r.destination) {
                bad(item.clone(), "destination is not a cidr block".into());
            }
            if r.is_static() && !statics.insert((&r.table, &r.destination)) {
                bad(
                    item.clone(),
                    "a second static route for this destination (one per table)".into(),
                );
            }
            match &r.attachment {
                Some(a) => {
                    if let Some(p) = target_problem(table_tgw, a) {
                        bad(item.clone(), p);
                    }
                }
                None if !r.is_static() => bad(
                    item.clone(),
                    "a propagated route needs an attachment".into(),
                ),
                None if r.state != RouteState::Blackhole => bad(
                    item.clone(),
                    "a route with no attachment must be state blackhole".into(),
                ),
                None => {}
            }
        }

        let mut refs = BTreeSet::new();
        for p in &self.prefix_list_references {
            let item = format!("prefix list reference {} in {}", p.prefix_list_id, p.table);
            let table_tgw = tables.get(&p.table);
            if table_tgw.is_none() {
                bad(item.clone(), format!("unknown route table {}", p.table));
            }
            if !refs.insert((&p.table, &p.prefix_list_id)) {
                bad(item.clone(), "defined twice in the same table".into());
            }
            match (&p.attachment, p.blackhole) {
                (Some(_), true) => bad(item.clone(), "both blackhole and an attachment".into()),
                (None, false) => bad(item.clone(), "neither an attachment nor blackhole".into()),
                (Some(a), false) => {
                    if let Some(pr) = target_problem(table_tgw, a) {
                        bad(item.clone(), pr);
                    }
                }
                (None, true) => {}
            }
            for c in &p.cidrs {
                if !is_cidr(c) {
                    bad(item.clone(), format!("entry {c} is not a cidr block"));
                }
            }
        }

        let mut lists = BTreeSet::new();
        for l in &self.managed_prefix_lists {
            let item = format!("managed prefix list {}", l.id);
            if !lists.insert(&l.id) {
                bad(item.clone(), "defined twice".into());
            }
            let mut seen = BTreeSet::new();
            for e in &l.entries {
                if !is_cidr(&e.cidr) {
                    bad(
                        item.clone(),
                        format!("entry {} is not a cidr block", e.cidr),
                    );
                }
                if !seen.insert(&e.cidr) {
                    bad(item.clone(), format!("entry {} listed twice", e.cidr));
                }
            }
            if l.entries.len() > l.max_entries as usize {
                bad(
                    item.clone(),
                    format!(
                        "{} entries but max_entries is {}",
                        l.entries.len(),
                        l.max_entries
                    ),
                );
            }
        }

        for t in self
            .state
            .keys()
            .chain(self.state_versions.keys())
            // The watch lease (`tgw-ha watch`) is one per table, on a key that is no TGW.
            .chain(
                self.leases
                    .keys()
                    .filter(|k| k.as_str() != tgw_ha_engine::watch::WATCH_LEASE_KEY),
            )
        {
            if !tgws.contains(t) {
                bad(format!("state of {t}"), "unknown transit gateway".into());
            }
        }

        if let Some(f) = &self.faults
            && !(0.0..=1.0).contains(&f.throttle_rate)
        {
            bad(
                "faults".into(),
                format!("throttle_rate {} is not within 0..=1", f.throttle_rate),
            );
        }

        if problems.is_empty() {
            Ok(())
        } else {
            Err(InvalidWorld { problems })
        }
    }
}
