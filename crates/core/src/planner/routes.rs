//! Which routes belong to which group (the ownership rule of the module doc): a route in the
//! ledger belongs to its group wherever it points; otherwise a static route belongs to the
//! group whose primary it points at; a blackhole in a group's census belongs to it while its
//! primary is down. Ledger entries whose route is gone or re-pointed outside the group are
//! dropped here.

use super::{Drop, PlanInput};
use crate::groups::Group;
use crate::health::assess;
use crate::ids::{AttachmentId, GroupName};
use crate::model::{RouteKey, RouteState, RouteType};
use std::collections::{BTreeMap, BTreeSet};

/// One group route: its key and the member index it points at (None: blackhole, no attachment).
pub(super) struct GroupRoute {
    pub(super) key: RouteKey,
    pub(super) current: Option<usize>,
}

pub(super) fn collect_group_routes(
    input: &PlanInput,
    groups: &[&Group],
) -> (BTreeMap<GroupName, Vec<GroupRoute>>, Vec<Drop>) {
    let ledger = input.state.ledger_map();
    let by_name: BTreeMap<&GroupName, &Group> = groups.iter().map(|g| (&g.name, *g)).collect();
    let home_of: BTreeMap<&AttachmentId, &Group> =
        groups.iter().map(|g| (&g.home().attachment, *g)).collect();
    let census: BTreeMap<&RouteKey, &GroupName> = input
        .state
        .home_routes
        .iter()
        .flat_map(|(g, keys)| keys.iter().map(move |k| (k, g)))
        .collect();
    let home_is_down = |g: &Group| {
        input
            .observation
            .vpns
            .iter()
            .find(|v| v.id == g.home().vpn)
            .is_none_or(|v| !assess(v, &input.state.signals, input.policy, input.now).healthy)
    };
    let mut out: BTreeMap<GroupName, Vec<GroupRoute>> = BTreeMap::new();
    let mut drops = Vec::new();
    let mut seen: BTreeSet<RouteKey> = BTreeSet::new();

    for r in &input.observation.routes {
        if r.route_type == RouteType::Propagated
            || matches!(r.state, RouteState::Deleting | RouteState::Deleted)
        {
            continue;
        }
        let key = r.key();
        if !seen.insert(key.clone()) {
            continue;
        }
        if let Some(entry) = ledger.get(&key) {
            // Owned by the ledger; a group that is no longer valid here leaves its entry alone.
            let Some(group) = by_name.get(&entry.group) else {
                continue;
            };
            match &r.attachment {
                None => out
                    .entry(group.name.clone())
                    .or_default()
                    .push(GroupRoute { key, current: None }),
                Some(a) => match group.members.iter().position(|m| &m.attachment == a) {
                    Some(i) => out.entry(group.name.clone()).or_default().push(GroupRoute {
                        key,
                        current: Some(i),
                    }),
                    None => drops.push(Drop {
                        key,
                        group: group.name.clone(),
                        reason: format!("re-pointed to {a}, which is not a member: released"),
                    }),
                },
            }
        } else if let Some(a) = &r.attachment {
            if let Some(group) = home_of.get(a) {
                out.entry(group.name.clone()).or_default().push(GroupRoute {
                    key,
                    current: Some(0),
                });
            }
        } else if let Some(group) = census.get(&key).and_then(|g| by_name.get(g))
            && home_is_down(group)
        {
            // A route last seen on this group's primary that now lists no attachment while the
            // primary is down: EC2 may show dead routes so (undocumented). Without the census
            // the first failover would leave it behind. With the primary healthy, a blackhole
            // is someone's deliberate change and is left alone.
            out.entry(group.name.clone())
                .or_default()
                .push(GroupRoute { key, current: None });
        }
    }
    for entry in &input.state.ledger {
        if !seen.contains(&entry.key) && by_name.contains_key(&entry.group) {
            drops.push(Drop {
                key: entry.key.clone(),
                group: entry.group.clone(),
                reason: "route no longer exists (or points outside the group): released".into(),
            });
        }
    }
    (out, drops)
}
