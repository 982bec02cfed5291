//! What the observation says about the group, shared by both directions ([`Seen`]): its list,
//! its static CIDR routes and its list's references per table, the members they point at, and
//! the ledger. Also the helpers both directions use: CIDR order and family, ledger entries and
//! the plan with nothing in it yet.

use super::{
    ConversionError, ConversionInput, ConversionPlan, DECISION, Direction, ManagedPrefixList,
    PrefixListReference, estimate, list_name,
};
use crate::ids::{AttachmentId, RouteTableId};
use crate::model::{Destination, Route, RouteKey, RouteType};
use crate::state::LedgerEntry;
use std::collections::{BTreeMap, BTreeSet};

/// Sort CIDRs by address, then prefix length (strings sort 10.10 before 10.9).
pub(super) fn sort_cidrs(cidrs: &mut [String]) {
    cidrs.sort_by_key(|c| cidr_key(c));
}

pub(super) fn cidr_key(c: &str) -> (u8, u128, u8, String) {
    let parsed = c.split_once('/').and_then(|(a, l)| {
        let addr: std::net::IpAddr = a.parse().ok()?;
        let len: u8 = l.parse().ok()?;
        Some(match addr {
            std::net::IpAddr::V4(v) => (4, u128::from(u32::from(v)), len),
            std::net::IpAddr::V6(v) => (6, u128::from(v), len),
        })
    });
    match parsed {
        Some((f, a, l)) => (f, a, l, String::new()),
        None => (9, 0, 0, c.to_owned()),
    }
}

pub(super) fn family(c: &str) -> &'static str {
    if c.contains(':') { "IPv6" } else { "IPv4" }
}

/// What the observation says about the group, shared by both directions.
pub(super) struct Seen<'a> {
    pub(super) list: Option<&'a ManagedPrefixList>,
    /// Group static CIDR routes per table.
    pub(super) statics: BTreeMap<&'a RouteTableId, BTreeMap<&'a str, &'a Route>>,
    /// The group list's references per table.
    pub(super) refs: BTreeMap<&'a RouteTableId, &'a PrefixListReference>,
    pub(super) targets: BTreeSet<&'a AttachmentId>,
    pub(super) ledger: BTreeMap<&'a RouteKey, &'a LedgerEntry>,
}

pub(super) fn observe<'a>(input: &ConversionInput<'a>) -> Result<Seen<'a>, ConversionError> {
    let group = input.group;
    let name = list_name(&group.name);
    let list = match input.lists {
        [] => None,
        [one] => Some(one),
        many => {
            return Err(ConversionError::AmbiguousList {
                name,
                lists: many.iter().map(|l| l.id.clone()).collect(),
            });
        }
    };
    let ledger: BTreeMap<&RouteKey, &LedgerEntry> =
        input.ledger.iter().map(|e| (&e.key, e)).collect();
    let home = &group.home().attachment;
    let mut statics: BTreeMap<&RouteTableId, BTreeMap<&str, &Route>> = BTreeMap::new();
    let mut targets = BTreeSet::new();
    for r in input.statics {
        if r.route_type != RouteType::Static {
            continue;
        }
        let Destination::Cidr(cidr) = &r.destination else {
            continue;
        };
        let recorded = ledger.get(&r.key()).is_some_and(|e| e.group == group.name);
        let ours = match &r.attachment {
            Some(a) if a == home => true,
            Some(a) => recorded && group.member_by_attachment(a).is_some(),
            None => {
                if recorded {
                    return Err(ConversionError::Blackhole {
                        group: group.name.clone(),
                        table: r.table.clone(),
                        destination: cidr.clone(),
                    });
                }
                false
            }
        };
        if let (true, Some(a)) = (ours, &r.attachment) {
            statics.entry(&r.table).or_default().insert(cidr, r);
            targets.insert(a);
        }
    }
    let mut refs = BTreeMap::new();
    if let Some(l) = list {
        for p in input.references.iter().filter(|p| p.prefix_list == l.id) {
            match &p.attachment {
                Some(a) if group.member_by_attachment(a).is_some() => {
                    refs.insert(&p.table, p);
                    targets.insert(a);
                }
                other => {
                    return Err(ConversionError::ForeignTarget {
                        group: group.name.clone(),
                        table: p.table.clone(),
                        prefix_list: l.id.clone(),
                        target: other
                            .as_ref()
                            .map_or_else(|| "a blackhole".to_owned(), |a| a.to_string()),
                    });
                }
            }
        }
    }
    if targets.len() > 1 {
        return Err(ConversionError::Split {
            group: group.name.clone(),
            targets: targets.into_iter().cloned().collect(),
        });
    }
    Ok(Seen {
        list,
        statics,
        refs,
        targets,
        ledger,
    })
}

pub(super) fn ledger_entry(
    input: &ConversionInput,
    key: RouteKey,
    to: &AttachmentId,
) -> LedgerEntry {
    LedgerEntry {
        key,
        group: input.group.name.clone(),
        home: input.group.home().attachment.clone(),
        current: to.clone(),
        moved_at: input.now,
        decision: DECISION.to_owned(),
    }
}

/// The group's routes as the planner keys them: its static routes and its list's references.
pub(super) fn group_keys(seen: &Seen) -> Vec<RouteKey> {
    let mut keys: Vec<RouteKey> = seen
        .statics
        .values()
        .flat_map(|m| m.values().map(|r| r.key()))
        .collect();
    keys.extend(seen.refs.values().map(|p| RouteKey {
        table: p.table.clone(),
        destination: Destination::PrefixList(p.prefix_list.clone()),
    }));
    keys
}

pub(super) fn empty_plan(
    input: &ConversionInput,
    direction: Direction,
    seen: &Seen,
) -> ConversionPlan {
    let now = estimate(&group_keys(seen));
    ConversionPlan {
        group: input.group.name.clone(),
        tgw: input.group.tgw.clone(),
        direction,
        list_name: list_name(&input.group.name),
        list: seen.list.map(|l| l.id.clone()),
        entries: vec![],
        target: seen.targets.iter().next().map(|a| (*a).clone()),
        tables: vec![],
        steps: vec![],
        routes_before: input.routes_in_tgw,
        routes_peak: input.routes_in_tgw,
        routes_after: input.routes_in_tgw,
        failover_before: now.clone(),
        failover_after: now,
        notes: vec![],
    }
}
