//! GetTransitGatewayPrefixListReferences (per route table, paginated) and
//! ModifyTransitGatewayPrefixListReference (one call moves every CIDR of the list).

use super::{ACCOUNT, Ctx, attachment_members, resource_id, resource_type};
use crate::resources::SimPrefixListReference;
use crate::sandbox::error::ApiError;
use crate::sandbox::paging::page;
use crate::sandbox::query::Filter;
use crate::sandbox::xml::Xml;
use crate::world::World;
use tgw_ha_core::ids::{AttachmentId, PrefixListId, RouteTableId};

const FILTERS: &[&str] = &[
    "attachment.resource-id",
    "attachment.resource-type",
    "attachment.transit-gateway-attachment-id",
    "is-blackhole",
    "prefix-list-id",
    "prefix-list-owner-id",
    "state",
];

fn matches(f: &Filter, p: &SimPrefixListReference, w: &World) -> bool {
    let att = p.attachment.as_ref();
    match f.name.as_str() {
        "attachment.transit-gateway-attachment-id" => att.is_some_and(|a| f.matches(a.as_str())),
        "attachment.resource-id" => att.is_some_and(|a| f.matches(&resource_id(w, a))),
        "attachment.resource-type" => att
            .and_then(|a| resource_type(w, a))
            .is_some_and(|t| f.matches(&t.to_string())),
        "is-blackhole" => f.matches(if p.blackhole { "true" } else { "false" }),
        "prefix-list-id" => f.matches(p.prefix_list_id.as_str()),
        "prefix-list-owner-id" => f.matches(ACCOUNT),
        "state" => f.matches("available"),
        _ => false,
    }
}

/// The members of one `TransitGatewayPrefixListReference`.
fn reference_members(x: &mut Xml, w: &World, p: &SimPrefixListReference, state: &str) {
    x.leaf("transitGatewayRouteTableId", p.table.as_str())
        .leaf("prefixListId", p.prefix_list_id.as_str())
        .leaf("prefixListOwnerId", ACCOUNT)
        .leaf("state", state)
        .bool_leaf("blackhole", p.blackhole);
    if let Some(a) = &p.attachment {
        x.open("transitGatewayAttachment");
        attachment_members(x, w, a);
        x.close("transitGatewayAttachment");
    }
}

fn table_known(w: &World, table: &RouteTableId) -> Result<(), ApiError> {
    if w.route_table(table).is_none() {
        return Err(ApiError::client(
            "InvalidRouteTableID.NotFound",
            format!("The routeTable ID '{table}' does not exist"),
        ));
    }
    Ok(())
}

pub(super) fn get_references(w: &mut World, c: &Ctx) -> Result<String, ApiError> {
    let table = RouteTableId::new(c.params.required("TransitGatewayRouteTableId")?);
    let filters = c.params.filters()?;
    filters.check(FILTERS, false)?;
    table_known(w, &table)?;
    let selected: Vec<(String, &SimPrefixListReference)> = w
        .prefix_list_references
        .iter()
        .filter(|p| p.table == table)
        .filter(|p| filters.iter().all(|f| matches(f, p, w)))
        .map(|p| (p.prefix_list_id.to_string(), p))
        .collect();
    let pg = page(selected, c.params.get("NextToken"), c.page_limit()?)?;
    let mut x = c.xml();
    x.list("transitGatewayPrefixListReferenceSet", pg.items, |x, p| {
        reference_members(x, w, p, "available")
    });
    x.opt_leaf("nextToken", pg.next_token.as_deref());
    Ok(x.end(c.action))
}

pub(super) fn modify_reference(w: &mut World, c: &Ctx) -> Result<String, ApiError> {
    let table = RouteTableId::new(c.params.required("TransitGatewayRouteTableId")?);
    let prefix_list = PrefixListId::new(c.params.required("PrefixListId")?);
    let to = c
        .params
        .get("TransitGatewayAttachmentId")
        .filter(|a| !a.is_empty())
        .map(AttachmentId::new);
    let blackhole = c.params.flag("Blackhole")?;
    if to.is_some() && blackhole {
        return Err(ApiError::client(
            "InvalidParameterCombination",
            "Specify either a transit gateway attachment or Blackhole, not both",
        ));
    }
    if to.is_none() && !blackhole {
        return Err(ApiError::missing("TransitGatewayAttachmentId"));
    }
    table_known(w, &table)?;
    w.modify_prefix_list_reference(&table, &prefix_list, to.as_ref())?;
    let mut x = c.xml();
    if let Some(p) = w.prefix_list_reference(&table, &prefix_list) {
        x.open("transitGatewayPrefixListReference");
        // EC2 answers while the change settles; the sandbox has already applied it.
        reference_members(&mut x, w, p, "modifying");
        x.close("transitGatewayPrefixListReference");
    }
    Ok(x.end(c.action))
}
