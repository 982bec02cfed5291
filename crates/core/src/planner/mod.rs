//! The decision and the plan (DESIGN.md "The decision").
//!
//! For each group on one TGW, from the observed routes, the ledger, the members' health and
//! `now`: pick the desired member, then plan one move per group route that is not on it.
//!
//! 1. Desired = the active member while it is healthy; with `failback`, a higher-priority member
//!    that is *stable* takes over (the highest such).
//! 2. Active not healthy: the highest-priority healthy member, stable or not. None healthy:
//!    nothing moves, the group is reported down.
//! 3. Damping: at most one move off a healthy path per group per `min_switch_interval`. Moves off
//!    a dead path are never damped.
//! 4. A pin wins when the pinned member is healthy or the pin is forced.
//!
//! Ownership: a route in the ledger belongs to its group wherever it points; otherwise a static
//! route belongs to the group whose primary it points at. Propagated routes, routes to other
//! attachments, a backup's own routes and blackholes not in the ledger are never touched.
//!
//! The files: this one holds the input, the operator's [`Directive`], the errors and the walk
//! over the TGW's groups; `routes.rs` says which routes belong to which group; `decide.rs`
//! picks the desired member of one group; `group.rs` turns that decision into moves, ledger
//! intents, events and the group's report; `output.rs` holds the types of the [`Plan`].

mod decide;
mod group;
mod output;
mod routes;

use group::plan_group;
use routes::collect_group_routes;

pub use output::{
    Drop, EventKind, GroupEvent, GroupReport, GroupStatus, MemberReport, Move, MoveKind, Plan,
};

use crate::Timestamp;
use crate::groups::{Discovery, Group, InvalidGroup};
use crate::ids::{GroupName, TgwId, VpnId};
use crate::model::{Observation, RouteKey};
use crate::policy::Policy;
use crate::state::TgwState;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A one-shot operator instruction, validated and applied by the planner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "directive", rename_all = "snake_case")]
pub enum Directive {
    Failover {
        group: GroupName,
        to: Option<VpnId>,
    },
    Failback {
        group: GroupName,
    },
    Pin {
        group: GroupName,
        vpn: VpnId,
        force: bool,
        #[serde(default)]
        until: Option<crate::trigger::PinUntil>,
    },
    Unpin {
        group: GroupName,
    },
}

impl Directive {
    pub fn group(&self) -> &GroupName {
        match self {
            Directive::Failover { group, .. }
            | Directive::Failback { group }
            | Directive::Pin { group, .. }
            | Directive::Unpin { group } => group,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum PlanError {
    #[error("group {group} is not a valid group on {tgw}")]
    UnknownGroup { group: GroupName, tgw: TgwId },
    #[error("{vpn} is not a member of group {group}")]
    NotAMember { group: GroupName, vpn: VpnId },
    #[error("{vpn} is not healthy ({reason}); refusing to move group {group} onto it{hint}")]
    TargetUnhealthy {
        group: GroupName,
        vpn: VpnId,
        reason: String,
        hint: String,
    },
    #[error("group {group} has no healthy member to fail over to")]
    NoHealthyTarget { group: GroupName },
    #[error(
        "pin of group {group} would end at {until}, which is not after now ({now}); give a later time or a duration such as 2h"
    )]
    PinEndsInThePast {
        group: GroupName,
        until: String,
        now: String,
    },
}

pub struct PlanInput<'a> {
    pub tgw: &'a TgwId,
    /// Discovery over every VPN (so that cross-TGW groups are caught); only groups on `tgw` count.
    pub discovery: &'a Discovery,
    pub observation: &'a Observation,
    pub state: &'a TgwState,
    pub policy: &'a Policy,
    /// Only these groups may move (None: all groups of the TGW).
    pub scope: Option<&'a BTreeSet<GroupName>>,
    pub directive: Option<&'a Directive>,
    pub now: Timestamp,
}

pub fn plan(input: &PlanInput) -> Result<Plan, PlanError> {
    let groups: Vec<&Group> = input
        .discovery
        .groups
        .iter()
        .filter(|g| &g.tgw == input.tgw)
        .collect();
    if let Some(d) = input.directive
        && !groups.iter().any(|g| &g.name == d.group())
    {
        return Err(PlanError::UnknownGroup {
            group: d.group().clone(),
            tgw: input.tgw.clone(),
        });
    }
    let mut plan = Plan {
        invalid: invalid_on_tgw(input),
        ..Plan::default()
    };

    let (routes_by_group, drops) = collect_group_routes(input, &groups);
    plan.ledger_drops = drops;

    for group in groups {
        let routes = routes_by_group
            .get(&group.name)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        // The census: every route of this group, wherever it points, so that a route that
        // loses its attachment when the primary dies is still known to be ours. Moves do not
        // change it; routes appearing or vanishing do.
        let census: Vec<RouteKey> = routes
            .iter()
            .map(|r| r.key.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let old = input.state.home_routes.get(&group.name);
        if old.map(Vec::as_slice).unwrap_or(&[]) != census.as_slice() {
            plan.home_routes.insert(group.name.clone(), census);
        }
        plan_group(input, group, routes, &mut plan)?;
    }
    crate::notices::announce(input, &mut plan);
    Ok(plan)
}

fn invalid_on_tgw(input: &PlanInput) -> Vec<InvalidGroup> {
    input
        .discovery
        .invalid
        .iter()
        .filter(|g| {
            g.vpns.iter().any(|v| {
                input
                    .observation
                    .vpns
                    .iter()
                    .any(|o| &o.id == v && o.transit_gateway_id.as_ref() == Some(input.tgw))
            })
        })
        .cloned()
        .collect()
}
