//! `convert`: make the group's list hold every CIDR the group routes, then per table add the
//! reference and only then delete the static routes it replaces (the safety order of the
//! module doc), within the list's and the TGW's quotas.

use super::observe::{cidr_key, empty_plan, family, ledger_entry, observe, sort_cidrs};
use super::{
    ConversionError, ConversionInput, ConversionPlan, Direction, ENTRIES_PER_CALL, Step, estimate,
    max_entries_for,
};
use crate::ids::{PrefixListId, RouteTableId};
use crate::model::{Destination, RouteKey};
use std::collections::BTreeSet;

pub(super) fn plan_convert(input: &ConversionInput) -> Result<ConversionPlan, ConversionError> {
    let group = &input.group.name;
    let seen = observe(input)?;
    let mut plan = empty_plan(input, Direction::Convert, &seen);
    let Some(target) = seen.targets.iter().next().copied() else {
        plan.notes.push(format!(
            "group {group} has no static route to convert (and no reference to {})",
            plan.list_name
        ));
        return Ok(plan);
    };
    let listed: BTreeSet<&str> = seen
        .list
        .map(|l| l.entries.iter().map(String::as_str).collect())
        .unwrap_or_default();
    // E: every CIDR the group routes, through its static routes or through its list.
    let mut all: BTreeSet<&str> = listed.clone();
    for cidrs in seen.statics.values() {
        all.extend(cidrs.keys().copied());
    }
    let mut entries: Vec<String> = all.iter().map(|c| (*c).to_owned()).collect();
    sort_cidrs(&mut entries);

    let families: BTreeSet<&str> = entries.iter().map(|c| family(c)).collect();
    if families.len() > 1 {
        return Err(ConversionError::MixedFamilies {
            group: group.clone(),
        });
    }
    let address_family = families.into_iter().next().unwrap_or("IPv4").to_owned();
    if let Some(l) = seen.list
        && !l.entries.is_empty()
        && l.address_family != address_family
    {
        return Err(ConversionError::WrongFamily {
            group: group.clone(),
            prefix_list: l.id.clone(),
            family: l.address_family.clone(),
            wanted: address_family,
        });
    }
    if entries.len() > input.limits.max_entries as usize {
        return Err(ConversionError::TooManyEntries {
            group: group.clone(),
            entries: entries.len(),
            quota: input.limits.max_entries,
        });
    }

    // Every table that routes any of the group's CIDRs must route all of them.
    let tables: BTreeSet<&RouteTableId> = seen
        .statics
        .keys()
        .chain(seen.refs.keys())
        .copied()
        .collect();
    for t in &tables {
        let mut routed: BTreeSet<&str> = seen
            .statics
            .get(t)
            .map(|m| m.keys().copied().collect())
            .unwrap_or_default();
        if seen.refs.contains_key(t) {
            routed.extend(listed.iter().copied());
        }
        if routed.len() != all.len() {
            let mut missing: Vec<String> =
                all.difference(&routed).map(|c| (*c).to_owned()).collect();
            sort_cidrs(&mut missing);
            return Err(ConversionError::Inconsistent {
                group: group.clone(),
                table: (*t).clone(),
                routed: routed.len(),
                total: all.len(),
                missing,
            });
        }
    }
    // Another list referenced in one of these tables must not hold any of these CIDRs.
    for p in input.references {
        if !tables.contains(&p.table) || seen.list.is_some_and(|l| l.id == p.prefix_list) {
            continue;
        }
        match input.other_entries.get(&p.prefix_list) {
            Some(Some(other)) => {
                let mut shared: Vec<String> = other
                    .iter()
                    .filter(|c| all.contains(c.as_str()))
                    .cloned()
                    .collect();
                if !shared.is_empty() {
                    sort_cidrs(&mut shared);
                    return Err(ConversionError::ConflictingReference {
                        group: group.clone(),
                        table: p.table.clone(),
                        prefix_list: p.prefix_list.clone(),
                        cidrs: shared,
                    });
                }
            }
            _ => {
                return Err(ConversionError::UnreadableReference {
                    group: group.clone(),
                    table: p.table.clone(),
                    prefix_list: p.prefix_list.clone(),
                });
            }
        }
    }

    // The list: created, or resized and completed.
    let wanted_max = max_entries_for(entries.len(), input.limits.max_entries);
    let missing: Vec<String> = entries
        .iter()
        .filter(|c| !listed.contains(c.as_str()))
        .cloned()
        .collect();
    let mut steps = Vec::new();
    let mut count = input.routes_in_tgw;
    let mut peak = count;
    match seen.list {
        None => {
            let mut chunks = entries.chunks(ENTRIES_PER_CALL);
            steps.push(Step::CreateList {
                name: plan.list_name.clone(),
                max_entries: wanted_max,
                address_family,
                entries: chunks.next().unwrap_or_default().to_vec(),
            });
            for c in chunks {
                steps.push(Step::AddEntries {
                    entries: c.to_vec(),
                });
            }
        }
        Some(l) => {
            if (l.max_entries as usize) < entries.len() {
                steps.push(Step::ResizeList {
                    max_entries: wanted_max,
                });
            }
            for c in missing.chunks(ENTRIES_PER_CALL) {
                steps.push(Step::AddEntries {
                    entries: c.to_vec(),
                });
            }
            // Tables referencing the list gain the added entries at once.
            count += missing.len() * seen.refs.len();
            peak = peak.max(count);
            if !missing.is_empty() && !seen.refs.is_empty() {
                plan.notes.push(format!(
                    "{} entries are added to {}, which {} tables reference already (their static routes still win)",
                    missing.len(),
                    l.id,
                    seen.refs.len()
                ));
            }
        }
    }

    // Tables that reference the list already only lose static routes: do them first, so that
    // the route count falls before it rises again.
    let mut order: Vec<&RouteTableId> = tables.iter().copied().collect();
    order.sort_by_key(|t| (!seen.refs.contains_key(*t), (*t).clone()));
    for t in order {
        if !seen.refs.contains_key(t) {
            // Before the list exists its id is unknown: the key names the list by its name.
            // The runner plans again after the list's own steps, so it never records that.
            let key = RouteKey {
                table: t.clone(),
                destination: Destination::PrefixList(seen.list.map_or_else(
                    || PrefixListId::new(plan.list_name.clone()),
                    |l| l.id.clone(),
                )),
            };
            let record = (target != &input.group.home().attachment)
                .then(|| ledger_entry(input, key, target));
            steps.push(Step::CreateReference {
                table: t.clone(),
                to: target.clone(),
                record,
            });
            count += entries.len();
            peak = peak.max(count);
        } else if let Some(p) = seen.refs.get(t).filter(|p| !p.is_available()) {
            // Its routes may not be in the table yet: the static routes stay until they are.
            steps.push(Step::Wait {
                table: t.clone(),
                reason: format!("reference of {} is {}", p.prefix_list, p.state),
            });
            continue;
        }
        let mut cidrs: Vec<&str> = seen
            .statics
            .get(t)
            .map(|m| m.keys().copied().collect())
            .unwrap_or_default();
        cidrs.sort_by_key(|c| cidr_key(c));
        for cidr in cidrs {
            let key = RouteKey {
                table: t.clone(),
                destination: Destination::Cidr(cidr.to_owned()),
            };
            let forget = seen.ledger.contains_key(&key).then_some(key);
            steps.push(Step::DeleteRoute {
                table: t.clone(),
                cidr: cidr.to_owned(),
                forget,
            });
            count -= 1;
        }
    }
    if peak > input.limits.route_quota {
        return Err(ConversionError::RouteQuota {
            tgw: input.group.tgw.clone(),
            direction: "convert",
            now: input.routes_in_tgw,
            peak,
            quota: input.limits.route_quota,
        });
    }
    let list_id = seen.list.map_or_else(
        || PrefixListId::new(plan.list_name.clone()),
        |l| l.id.clone(),
    );
    let after: Vec<RouteKey> = tables
        .iter()
        .map(|t| RouteKey {
            table: (*t).clone(),
            destination: Destination::PrefixList(list_id.clone()),
        })
        .collect();
    plan.failover_after = estimate(&after);
    plan.entries = entries;
    plan.tables = tables.into_iter().cloned().collect();
    plan.steps = steps;
    plan.routes_peak = peak;
    plan.routes_after = count;
    Ok(plan)
}
