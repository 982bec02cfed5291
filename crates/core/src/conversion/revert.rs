//! `revert`: per table, static routes to the reference's member first (they win over the
//! reference at once), then delete the reference; the list itself last, and only if tgw-ha
//! created it.

use super::observe::{empty_plan, ledger_entry, observe, sort_cidrs};
use super::{
    ConversionError, ConversionInput, ConversionPlan, Direction, OWNER_TAG, Step, estimate,
};
use crate::ids::RouteTableId;
use crate::model::{Destination, RouteKey, RouteState, RouteType};
use std::collections::BTreeSet;

pub(super) fn plan_revert(input: &ConversionInput) -> Result<ConversionPlan, ConversionError> {
    let group = &input.group.name;
    let seen = observe(input)?;
    let mut plan = empty_plan(input, Direction::Revert, &seen);
    let Some(list) = seen.list else {
        plan.notes.push(format!(
            "no prefix list named {}: nothing to revert",
            plan.list_name
        ));
        return Ok(plan);
    };
    let created_by_us = list.tags.get(OWNER_TAG) == Some(&group.to_string());
    let mut entries = list.entries.clone();
    sort_cidrs(&mut entries);
    let mut steps = Vec::new();
    let mut count = input.routes_in_tgw;
    let mut peak = count;
    if let Some(target) = seen.targets.iter().next().copied() {
        let home = &input.group.home().attachment;
        // Static routes of the table that are not the group's (a foreign target) already win
        // over the reference: they stay as they are.
        let foreign: BTreeSet<(&RouteTableId, &str)> = input
            .statics
            .iter()
            .filter(|r| r.route_type == RouteType::Static)
            .filter_map(|r| match &r.destination {
                Destination::Cidr(c) => Some((&r.table, c.as_str())),
                _ => None,
            })
            .filter(|(t, c)| !seen.statics.get(t).is_some_and(|m| m.contains_key(c)))
            .collect();
        for (t, _) in seen.refs.iter() {
            let existing = seen.statics.get(*t);
            for cidr in &entries {
                if existing.is_some_and(|m| m.contains_key(cidr.as_str())) {
                    continue;
                }
                if foreign.contains(&(*t, cidr.as_str())) {
                    plan.notes.push(format!(
                        "{t} has its own static route for {cidr} (not the group's): left as it is"
                    ));
                    continue;
                }
                let key = RouteKey {
                    table: (*t).clone(),
                    destination: Destination::Cidr(cidr.clone()),
                };
                let record = (target != home).then(|| ledger_entry(input, key, target));
                steps.push(Step::CreateRoute {
                    table: (*t).clone(),
                    cidr: cidr.clone(),
                    to: target.clone(),
                    record,
                });
                count += 1;
                peak = peak.max(count);
            }
            let pending = existing
                .map(|m| m.values().filter(|r| r.state != RouteState::Active).count())
                .unwrap_or(0);
            if pending > 0 {
                // The reference carries the traffic until every static route is active.
                steps.push(Step::Wait {
                    table: (*t).clone(),
                    reason: format!("{pending} static routes are not active yet"),
                });
                continue;
            }
            let key = RouteKey {
                table: (*t).clone(),
                destination: Destination::PrefixList(list.id.clone()),
            };
            let forget = seen.ledger.contains_key(&key).then_some(key);
            steps.push(Step::DeleteReference {
                table: (*t).clone(),
                forget,
            });
            count -= entries.len();
        }
    }
    if created_by_us {
        // EC2 refuses to delete a list still referenced elsewhere (a VPC route table, another
        // TGW): the runner reports that, the routes are reverted by then.
        steps.push(Step::DeleteList);
    } else {
        plan.notes.push(format!(
            "{} was not created by tgw-ha (no {OWNER_TAG}={group} tag): kept",
            list.id
        ));
    }
    if peak > input.limits.route_quota {
        return Err(ConversionError::RouteQuota {
            tgw: input.group.tgw.clone(),
            direction: "revert",
            now: input.routes_in_tgw,
            peak,
            quota: input.limits.route_quota,
        });
    }
    let mut after: BTreeSet<RouteKey> = seen
        .statics
        .values()
        .flat_map(|m| m.values().map(|r| r.key()))
        .collect();
    for t in seen.refs.keys() {
        after.extend(entries.iter().map(|cidr| RouteKey {
            table: (*t).clone(),
            destination: Destination::Cidr(cidr.clone()),
        }));
    }
    plan.failover_after = estimate(&after);
    plan.entries = entries;
    plan.tables = seen.refs.keys().map(|t| (*t).clone()).collect();
    plan.steps = steps;
    plan.routes_peak = peak;
    plan.routes_after = count;
    Ok(plan)
}
