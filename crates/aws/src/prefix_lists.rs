//! [`Ec2PrefixLists`]: the conversion's [`PrefixListAdmin`] port over `aws-sdk-ec2`.
//!
//! Reads return every page (the SDK's paginators; route counts through [`crate::search`], which
//! narrows a search that truncates without a token). Writes are single calls with SDK retries
//! off: the runner's executor paces and retries them. Errors are classified once, by
//! [`crate::errors`], port's conventions included (`tgw_ha_engine::prefix_lists`): a list that is
//! gone when read or deleted is `RouteNotFound` ([`Target::PrefixList`]; a read answers `None`);
//! `IncorrectState` (the list is still applying its previous change) is retryable.

use crate::config::Ec2Clients;
use crate::errors::{Target, sdk_error};
use crate::search::{filter, search_routes};
use async_trait::async_trait;
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    self as ec2, AddPrefixListEntry, RemovePrefixListEntry, ResourceType, Tag, TagSpecification,
};
use std::collections::BTreeSet;
use tgw_ha_core::conversion::{ManagedPrefixList, PrefixListReference};
use tgw_ha_core::ids::{AttachmentId, PrefixListId, RouteTableId};
use tgw_ha_engine::layer::Ec2Action;
use tgw_ha_engine::ports::NetError;
use tgw_ha_engine::prefix_lists::PrefixListAdmin;

/// EC2's largest page for the prefix-list reads (1–100).
const LIST_PAGE: i32 = 100;
/// EC2's largest page for the references of a table.
const REFERENCE_PAGE: i32 = 1000;

/// Prefix lists, references and static routes, through the AWS SDK.
#[derive(Clone)]
pub struct Ec2PrefixLists {
    ec2: Ec2Clients,
}

impl Ec2PrefixLists {
    /// Build with [`crate::config::ec2_client`] for the retry and timeout policy it documents.
    pub fn new(client: Client) -> Self {
        Self {
            ec2: Ec2Clients::new(client),
        }
    }
}

pub(crate) fn list_from_sdk(l: &ec2::ManagedPrefixList) -> Option<ManagedPrefixList> {
    Some(ManagedPrefixList {
        id: PrefixListId::new(l.prefix_list_id()?),
        name: l.prefix_list_name().unwrap_or_default().to_owned(),
        max_entries: l.max_entries().map_or(0, |n| n.max(0) as u32),
        version: l.version().map_or(0, |v| v.max(0) as u64),
        address_family: l.address_family().unwrap_or("IPv4").to_owned(),
        state: l.state().map_or("unknown", |s| s.as_str()).to_owned(),
        entries: vec![],
        tags: l
            .tags()
            .iter()
            .filter_map(|t| {
                Some((
                    t.key()?.to_owned(),
                    t.value().unwrap_or_default().to_owned(),
                ))
            })
            .collect(),
    })
}

pub(crate) fn reference_from_sdk(
    table: &RouteTableId,
    r: &ec2::TransitGatewayPrefixListReference,
) -> Option<PrefixListReference> {
    let attachment = if r.blackhole() == Some(true) {
        None
    } else {
        r.transit_gateway_attachment()
            .and_then(|a| a.transit_gateway_attachment_id())
            .map(AttachmentId::new)
    };
    Some(PrefixListReference {
        table: table.clone(),
        prefix_list: PrefixListId::new(r.prefix_list_id()?),
        attachment,
        state: r.state().map_or("unknown", |s| s.as_str()).to_owned(),
    })
}

fn entries(cidrs: &[String]) -> Option<Vec<AddPrefixListEntry>> {
    (!cidrs.is_empty()).then(|| {
        cidrs
            .iter()
            .map(|c| AddPrefixListEntry::builder().cidr(c).build())
            .collect()
    })
}

#[async_trait]
impl PrefixListAdmin for Ec2PrefixLists {
    async fn prefix_lists_named(&self, name: &str) -> Result<Vec<ManagedPrefixList>, NetError> {
        let lists = self
            .ec2
            .reads
            .describe_managed_prefix_lists()
            .filters(filter("prefix-list-name", [name]))
            .max_results(LIST_PAGE)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(sdk_error(
                Ec2Action::DescribeManagedPrefixLists,
                Target::ReadOf(name),
            ))?;
        Ok(lists
            .iter()
            // The filter takes wildcards: keep the exact name only.
            .filter(|l| l.prefix_list_name() == Some(name))
            .filter_map(list_from_sdk)
            .collect())
    }

    async fn prefix_list(&self, id: &PrefixListId) -> Result<Option<ManagedPrefixList>, NetError> {
        let r = self
            .ec2
            .reads
            .describe_managed_prefix_lists()
            .prefix_list_ids(id.as_str())
            .send()
            .await
            .map_err(sdk_error(
                Ec2Action::DescribeManagedPrefixLists,
                Target::PrefixList(id),
            ));
        match r {
            Ok(out) => Ok(out.prefix_lists().iter().find_map(list_from_sdk)),
            Err(NetError::RouteNotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn prefix_list_entries(&self, id: &PrefixListId) -> Result<Vec<String>, NetError> {
        let entries = self
            .ec2
            .reads
            .get_managed_prefix_list_entries()
            .prefix_list_id(id.as_str())
            .max_results(LIST_PAGE)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(sdk_error(
                Ec2Action::GetManagedPrefixListEntries,
                Target::ReadOf(id.as_str()),
            ))?;
        Ok(entries
            .into_iter()
            .filter_map(|e| e.cidr().map(str::to_owned))
            .collect())
    }

    async fn references(&self, table: &RouteTableId) -> Result<Vec<PrefixListReference>, NetError> {
        let references = self
            .ec2
            .reads
            .get_transit_gateway_prefix_list_references()
            .transit_gateway_route_table_id(table.as_str())
            .max_results(REFERENCE_PAGE)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(sdk_error(
                Ec2Action::GetTransitGatewayPrefixListReferences,
                Target::ReadOf(table.as_str()),
            ))?;
        Ok(references
            .iter()
            .filter_map(|r| reference_from_sdk(table, r))
            .collect())
    }

    async fn route_count(&self, table: &RouteTableId) -> Result<usize, NetError> {
        let routes = search_routes(
            &self.ec2.reads,
            table,
            &[filter("type", ["static", "propagated"])],
        )
        .await?;
        // A narrowed search may list a route twice.
        let distinct: BTreeSet<(Option<&str>, Option<&str>, Option<&str>)> = routes
            .iter()
            .map(|r| {
                (
                    r.destination_cidr_block(),
                    r.prefix_list_id(),
                    r.r#type().map(|t| t.as_str()),
                )
            })
            .collect();
        Ok(distinct.len())
    }

    async fn create_prefix_list(
        &self,
        name: &str,
        max_entries: u32,
        address_family: &str,
        cidrs: &[String],
        tags: &[(String, String)],
    ) -> Result<PrefixListId, NetError> {
        let mut spec = TagSpecification::builder().resource_type(ResourceType::PrefixList);
        for (k, v) in tags {
            spec = spec.tags(Tag::builder().key(k).value(v).build());
        }
        let out = self
            .ec2
            .writes
            .create_managed_prefix_list()
            .prefix_list_name(name)
            .max_entries(i32::try_from(max_entries).unwrap_or(i32::MAX))
            .address_family(address_family)
            .set_entries(entries(cidrs))
            .tag_specifications(spec.build())
            .send()
            .await
            .map_err(sdk_error(
                Ec2Action::CreateManagedPrefixList,
                Target::ReadOf(name),
            ))?;
        out.prefix_list()
            .and_then(|l| l.prefix_list_id())
            .map(PrefixListId::new)
            .ok_or_else(|| NetError::Rejected {
                op: Ec2Action::CreateManagedPrefixList.as_str().into(),
                code: "MissingPrefixListId".into(),
                message: format!("{name}: ec2 answered without the new list's id"),
            })
    }

    async fn modify_entries(
        &self,
        id: &PrefixListId,
        current_version: u64,
        add: &[String],
        remove: &[String],
    ) -> Result<(), NetError> {
        let remove = (!remove.is_empty()).then(|| {
            remove
                .iter()
                .map(|c| RemovePrefixListEntry::builder().cidr(c).build())
                .collect()
        });
        self.ec2
            .writes
            .modify_managed_prefix_list()
            .prefix_list_id(id.as_str())
            .current_version(i64::try_from(current_version).unwrap_or(i64::MAX))
            .set_add_entries(entries(add))
            .set_remove_entries(remove)
            .send()
            .await
            .map_err(sdk_error(
                Ec2Action::ModifyManagedPrefixList,
                Target::ReadOf(id.as_str()),
            ))?;
        Ok(())
    }

    async fn resize_prefix_list(
        &self,
        id: &PrefixListId,
        max_entries: u32,
    ) -> Result<(), NetError> {
        self.ec2
            .writes
            .modify_managed_prefix_list()
            .prefix_list_id(id.as_str())
            .max_entries(i32::try_from(max_entries).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(sdk_error(
                Ec2Action::ModifyManagedPrefixList,
                Target::ReadOf(id.as_str()),
            ))?;
        Ok(())
    }

    async fn delete_prefix_list(&self, id: &PrefixListId) -> Result<(), NetError> {
        self.ec2
            .writes
            .delete_managed_prefix_list()
            .prefix_list_id(id.as_str())
            .send()
            .await
            .map_err(sdk_error(
                Ec2Action::DeleteManagedPrefixList,
                Target::PrefixList(id),
            ))?;
        Ok(())
    }

    async fn create_reference(
        &self,
        table: &RouteTableId,
        prefix_list: &PrefixListId,
        to: &AttachmentId,
    ) -> Result<(), NetError> {
        self.ec2
            .writes
            .create_transit_gateway_prefix_list_reference()
            .transit_gateway_route_table_id(table.as_str())
            .prefix_list_id(prefix_list.as_str())
            .transit_gateway_attachment_id(to.as_str())
            .send()
            .await
            .map_err(sdk_error(
                Ec2Action::CreateTransitGatewayPrefixListReference,
                Target::ReadOf(table.as_str()),
            ))?;
        Ok(())
    }

    async fn delete_reference(
        &self,
        table: &RouteTableId,
        prefix_list: &PrefixListId,
    ) -> Result<(), NetError> {
        self.ec2
            .writes
            .delete_transit_gateway_prefix_list_reference()
            .transit_gateway_route_table_id(table.as_str())
            .prefix_list_id(prefix_list.as_str())
            .send()
            .await
            .map_err(sdk_error(
                Ec2Action::DeleteTransitGatewayPrefixListReference,
                Target::PrefixListReference { table, prefix_list },
            ))?;
        Ok(())
    }

    async fn create_route(
        &self,
        table: &RouteTableId,
        cidr: &str,
        to: &AttachmentId,
    ) -> Result<(), NetError> {
        self.ec2
            .writes
            .create_transit_gateway_route()
            .transit_gateway_route_table_id(table.as_str())
            .destination_cidr_block(cidr)
            .transit_gateway_attachment_id(to.as_str())
            .send()
            .await
            // Not `Target::Route`: a create's "not found" is its table or target, never a
            // vanished route.
            .map_err(sdk_error(
                Ec2Action::CreateTransitGatewayRoute,
                Target::ReadOf(table.as_str()),
            ))?;
        Ok(())
    }

    async fn delete_route(&self, table: &RouteTableId, cidr: &str) -> Result<(), NetError> {
        self.ec2
            .writes
            .delete_transit_gateway_route()
            .transit_gateway_route_table_id(table.as_str())
            .destination_cidr_block(cidr)
            .send()
            .await
            .map_err(sdk_error(
                Ec2Action::DeleteTransitGatewayRoute,
                Target::Route { table, cidr },
            ))?;
        Ok(())
    }
}
