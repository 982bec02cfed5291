//! The failover estimate of every group, from one read of its TGW's routes: what `status` and
//! `plan` show beside the decision, and what suggests a conversion.

use super::ConvertError;
use crate::ports::{Network, StateStore};
use std::collections::{BTreeMap, BTreeSet};
use tgw_ha_core::conversion::{self as core, FailoverEstimate};
use tgw_ha_core::groups::{Group, discover, group_tags};
use tgw_ha_core::ids::{AttachmentId, GroupName, TgwId};
use tgw_ha_core::model::{Destination, RouteKey, RouteType};
use tgw_ha_core::policy::Policy;

/// Each group's failover estimate on the TGWs of `vpns`, from one read of its routes: static
/// routes and prefix-list references to the group's primary (and, per the ledger, those moved
/// away from it). What `status` and `plan` show beside the decision.
pub async fn failover_estimates(
    network: &dyn Network,
    store: &dyn StateStore,
    policy: &Policy,
) -> Result<BTreeMap<(TgwId, GroupName), FailoverEstimate>, ConvertError> {
    let vpns = network.vpn_connections().await?;
    let tgws: BTreeSet<TgwId> = vpns
        .iter()
        .filter(|v| group_tags(v, policy).next().is_some())
        .filter_map(|v| v.transit_gateway_id.clone())
        .collect();
    let mut out = BTreeMap::new();
    for tgw in tgws {
        let attachments = network.vpn_attachments(&tgw).await?;
        let discovery = discover(&vpns, &attachments, policy);
        let groups: Vec<&Group> = discovery.groups.iter().filter(|g| g.tgw == tgw).collect();
        if groups.is_empty() {
            continue;
        }
        let state = store.load(&tgw).await?.value;
        let ledger = state.ledger_map();
        let members: Vec<AttachmentId> = groups
            .iter()
            .flat_map(|g| g.members.iter().map(|m| m.attachment.clone()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut keys: BTreeMap<&GroupName, Vec<RouteKey>> = BTreeMap::new();
        for t in network.route_tables(&tgw).await? {
            let mut routes = network.static_routes(&t.id, &members).await?;
            routes.extend(network.prefix_list_references(&t.id, &members).await?);
            for r in routes.iter().filter(|r| r.route_type == RouteType::Static) {
                let key = r.key();
                let owner = match ledger.get(&key) {
                    Some(e) => groups.iter().find(|g| g.name == e.group),
                    None => groups
                        .iter()
                        .find(|g| r.attachment.as_ref() == Some(&g.home().attachment)),
                };
                if let Some(g) = owner
                    && matches!(
                        r.destination,
                        Destination::Cidr(_) | Destination::PrefixList(_)
                    )
                {
                    keys.entry(&g.name).or_default().push(key);
                }
            }
        }
        for g in groups {
            let k = keys.remove(&g.name).unwrap_or_default();
            out.insert((tgw.clone(), g.name.clone()), core::estimate(&k));
        }
    }
    Ok(out)
}
