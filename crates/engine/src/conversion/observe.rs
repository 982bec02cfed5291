//! What a conversion reads of the group's TGW ([`Observed`]): the group from tags, every
//! table, the group's static routes and references per table, the lists and their entries,
//! the TGW's route count and the stored state; and the narrower re-reads of one table or of
//! the lists between batches.

use super::{ConvertError, Converter};
use crate::executor::Executor;
use crate::layer::Ec2Action;
use crate::ports::Versioned;
use std::collections::{BTreeMap, BTreeSet};
use tgw_ha_core::conversion::{ManagedPrefixList, PrefixListReference, list_name};
use tgw_ha_core::groups::{Group, discover, group_tags};
use tgw_ha_core::ids::{AttachmentId, GroupName, PrefixListId, RouteTableId, TgwId};
use tgw_ha_core::model::{Route, VpnConnection};
use tgw_ha_core::state::TgwState;

/// Everything observed of the group's TGW.
pub(super) struct Observed {
    pub(super) group: Group,
    pub(super) vpns: Vec<VpnConnection>,
    pub(super) tables: Vec<RouteTableId>,
    pub(super) statics: BTreeMap<RouteTableId, Vec<Route>>,
    pub(super) refs: BTreeMap<RouteTableId, Vec<PrefixListReference>>,
    pub(super) routes_in_tgw: usize,
    pub(super) lists: Vec<ManagedPrefixList>,
    pub(super) other_entries: BTreeMap<PrefixListId, Option<Vec<String>>>,
    pub(super) state: Versioned<TgwState>,
    /// The list this run created: found by id while a lookup by name may not show it yet.
    pub(super) created: Option<PrefixListId>,
}

impl Converter {
    /// The group and every VPN, from tags (the engine's discovery).
    async fn locate(
        &self,
        exec: &Executor,
        group: &GroupName,
    ) -> Result<(Group, Vec<VpnConnection>), ConvertError> {
        let net = &self.ports.network;
        let policy = &self.config.policy;
        let (vpns, _) = exec
            .call(Ec2Action::DescribeVpnConnections, || net.vpn_connections())
            .await;
        let vpns = vpns?;
        let tgws: BTreeSet<TgwId> = vpns
            .iter()
            .filter(|v| group_tags(v, policy).any(|(k, _, _)| k == group.as_str()))
            .filter_map(|v| v.transit_gateway_id.clone())
            .collect();
        let mut attachments = Vec::new();
        for tgw in &tgws {
            let (a, _) = exec
                .call(Ec2Action::DescribeTransitGatewayAttachments, || {
                    net.vpn_attachments(tgw)
                })
                .await;
            attachments.extend(a?);
        }
        let discovery = discover(&vpns, &attachments, policy);
        if let Some(g) = discovery.group(group) {
            return Ok((g.clone(), vpns));
        }
        if let Some(bad) = discovery.invalid.iter().find(|g| &g.name == group) {
            return Err(ConvertError::InvalidGroup {
                group: group.clone(),
                reason: bad.reason.clone(),
            });
        }
        let known: BTreeSet<String> = vpns
            .iter()
            .flat_map(|v| group_tags(v, policy).map(|(k, _, _)| k.to_owned()))
            .collect();
        Err(ConvertError::UnknownGroup {
            group: group.clone(),
            known: if known.is_empty() {
                "none (tag VPNs <group>=primary|backup)".into()
            } else {
                known.into_iter().collect::<Vec<_>>().join(", ")
            },
        })
    }

    /// The full observation the first plan needs.
    pub(super) async fn observe(
        &self,
        exec: &Executor,
        group: &GroupName,
    ) -> Result<Observed, ConvertError> {
        let (group, vpns) = self.locate(exec, group).await?;
        let net = &self.ports.network;
        let admin = &self.ports.admin;
        let tgw = group.tgw.clone();
        let (tables, _) = exec
            .call(Ec2Action::DescribeTransitGatewayRouteTables, || {
                net.route_tables(&tgw)
            })
            .await;
        let tables: Vec<RouteTableId> = tables?.into_iter().map(|t| t.id).collect();
        let state = self.ports.store.load(&tgw).await?;
        let mut obs = Observed {
            group,
            vpns,
            tables: tables.clone(),
            statics: BTreeMap::new(),
            refs: BTreeMap::new(),
            routes_in_tgw: 0,
            lists: vec![],
            other_entries: BTreeMap::new(),
            state,
            created: None,
        };
        for t in &tables {
            self.refresh_table(exec, &mut obs, t).await?;
            let (n, _) = exec
                .call(Ec2Action::SearchTransitGatewayRoutes, || {
                    admin.route_count(t)
                })
                .await;
            obs.routes_in_tgw += n?;
        }
        self.refresh_list(exec, &mut obs).await?;
        let ours: BTreeSet<PrefixListId> = obs.lists.iter().map(|l| l.id.clone()).collect();
        let others: BTreeSet<PrefixListId> = obs
            .refs
            .values()
            .flatten()
            .map(|p| p.prefix_list.clone())
            .filter(|p| !ours.contains(p))
            .collect();
        for id in others {
            let (entries, _) = exec
                .call(Ec2Action::GetManagedPrefixListEntries, || {
                    admin.prefix_list_entries(&id)
                })
                .await;
            let entries = match entries {
                Ok(e) => Some(e),
                Err(e) if e.is_retryable() => return Err(e.into()),
                // Not found, not allowed: the plan refuses to guess.
                Err(_) => None,
            };
            obs.other_entries.insert(id, entries);
        }
        Ok(obs)
    }

    pub(super) async fn refresh_table(
        &self,
        exec: &Executor,
        obs: &mut Observed,
        table: &RouteTableId,
    ) -> Result<(), ConvertError> {
        let net = &self.ports.network;
        let admin = &self.ports.admin;
        let members: Vec<AttachmentId> = obs
            .group
            .members
            .iter()
            .map(|m| m.attachment.clone())
            .collect();
        let (statics, _) = exec
            .call(Ec2Action::SearchTransitGatewayRoutes, || {
                net.static_routes(table, &members)
            })
            .await;
        let (refs, _) = exec
            .call(Ec2Action::GetTransitGatewayPrefixListReferences, || {
                admin.references(table)
            })
            .await;
        obs.statics.insert(table.clone(), statics?);
        obs.refs.insert(table.clone(), refs?);
        Ok(())
    }

    pub(super) async fn refresh_list(
        &self,
        exec: &Executor,
        obs: &mut Observed,
    ) -> Result<(), ConvertError> {
        let admin = &self.ports.admin;
        let name = list_name(&obs.group.name);
        let (lists, _) = exec
            .call(Ec2Action::DescribeManagedPrefixLists, || {
                admin.prefix_lists_named(&name)
            })
            .await;
        let mut lists = lists?;
        if let Some(id) = &obs.created
            && !lists.iter().any(|l| &l.id == id)
        {
            // EC2's reads are eventually consistent: the list just created may not be listed
            // by name yet, but it exists; never create a second one.
            let (l, _) = exec
                .call(Ec2Action::DescribeManagedPrefixLists, || {
                    admin.prefix_list(id)
                })
                .await;
            lists.extend(l?);
        }
        for l in &mut lists {
            let id = l.id.clone();
            let (entries, _) = exec
                .call(Ec2Action::GetManagedPrefixListEntries, || {
                    admin.prefix_list_entries(&id)
                })
                .await;
            l.entries = entries?;
        }
        obs.lists = lists;
        Ok(())
    }
}
