//! Customer-managed prefix lists (Create/Describe/Modify/DeleteManagedPrefixList,
//! GetManagedPrefixListEntries) and Create/DeleteTransitGatewayPrefixListReference, over the
//! world's mutators ([`crate::prefix_lists`]): versions, `MaxEntries`, 100 entry changes per
//! call and the TGW's routes quota hold, and a refused call changes nothing.
//!
//! States: the sandbox applies every change at once, so describes show `create-complete` /
//! `modify-complete`; the write's own answer shows the state EC2 answers while its change
//! settles (`create-in-progress`, `modify-in-progress`, `delete-in-progress`, a reference
//! `pending` or `deleting`).

use super::{ACCOUNT, Ctx, attachment_members};
use crate::prefix_lists::{ListChange, ListError, SimManagedPrefixList, SimPrefixListEntry};
use crate::sandbox::error::ApiError;
use crate::sandbox::paging::page;
use crate::sandbox::query::{Filter, Params};
use crate::sandbox::xml::Xml;
use crate::world::World;
use std::collections::BTreeMap;
use tgw_ha_core::ids::{AttachmentId, PrefixListId, RouteTableId};

impl From<ListError> for ApiError {
    fn from(e: ListError) -> Self {
        ApiError::client(e.code(), e.to_string())
    }
}

/// `MaxResults` of the prefix-list reads: 1–100 (EC2's bounds for these two actions).
fn max_results(c: &Ctx) -> Result<usize, ApiError> {
    let asked = match c.params.get("MaxResults") {
        None => 100,
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => {
                return Err(ApiError::invalid(format!(
                    "Value ( {raw} ) for parameter maxResults is invalid. Expecting a value between 1 and 100."
                )));
            }
        },
    };
    Ok(c.knobs.page_size.map_or(asked, |p| asked.min(p.max(1))))
}

fn arn(id: &PrefixListId) -> String {
    format!("arn:aws:ec2:eu-west-1:{ACCOUNT}:prefix-list/{id}")
}

/// The members of one `ManagedPrefixList`, in EC2's order.
fn list_members(x: &mut Xml, l: &SimManagedPrefixList, state: &str) {
    x.leaf("prefixListId", l.id.as_str())
        .leaf("addressFamily", &l.address_family)
        .leaf("state", state)
        .leaf("prefixListArn", &arn(&l.id))
        .leaf("prefixListName", &l.name)
        .leaf("maxEntries", &l.max_entries.to_string())
        .leaf("version", &l.version.to_string());
    x.list("tagSet", &l.tags, |x, (k, v)| {
        x.leaf("key", k).leaf("value", v);
    });
    x.leaf("ownerId", ACCOUNT);
}

fn answer_list(c: &Ctx, l: Option<&SimManagedPrefixList>, state: &str) -> String {
    let mut x = c.xml();
    if let Some(l) = l {
        x.open("prefixList");
        list_members(&mut x, l, state);
        x.close("prefixList");
    }
    x.end(c.action)
}

fn list_id(params: &Params) -> Result<PrefixListId, ApiError> {
    Ok(PrefixListId::new(params.required("PrefixListId")?))
}

fn number<T: std::str::FromStr>(params: &Params, key: &str) -> Result<Option<T>, ApiError> {
    params
        .get(key)
        .map(|raw| {
            raw.parse::<T>()
                .map_err(|_| ApiError::invalid(format!("Invalid value '{raw}' for {key}")))
        })
        .transpose()
}

/// `prefix.N.Cidr` / `prefix.N.Description` entries.
fn entries(params: &Params, prefix: &str) -> Result<Vec<SimPrefixListEntry>, ApiError> {
    params
        .structs(prefix)
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            let cidr = m
                .get("Cidr")
                .cloned()
                .ok_or_else(|| ApiError::missing(&format!("{prefix}.{}.Cidr", i + 1)))?;
            Ok(SimPrefixListEntry {
                cidr,
                description: m.get("Description").cloned().filter(|d| !d.is_empty()),
            })
        })
        .collect()
}

/// Tags for `resource` from `TagSpecification.N.ResourceType` / `.Tag.M.Key` / `.Tag.M.Value`.
fn tag_specifications(
    params: &Params,
    resource: &str,
) -> Result<BTreeMap<String, String>, ApiError> {
    let mut tags = BTreeMap::new();
    for spec in params.structs("TagSpecification") {
        match spec.get("ResourceType").map(String::as_str) {
            Some(t) if t == resource => {}
            Some(other) => {
                return Err(ApiError::invalid(format!(
                    "'{other}' is not a valid taggable resource type for this operation (expected {resource})"
                )));
            }
            None => return Err(ApiError::missing("TagSpecification.N.ResourceType")),
        }
        let mut by_index: BTreeMap<u32, (Option<String>, Option<String>)> = BTreeMap::new();
        for (k, v) in &spec {
            let Some(rest) = k.strip_prefix("Tag.") else {
                continue;
            };
            let Some((n, field)) = rest.split_once('.') else {
                continue;
            };
            let Ok(n) = n.parse::<u32>() else { continue };
            let e = by_index.entry(n).or_default();
            match field {
                "Key" => e.0 = Some(v.clone()),
                "Value" => e.1 = Some(v.clone()),
                _ => {}
            }
        }
        for (_, (k, v)) in by_index {
            let k = k.ok_or_else(|| ApiError::missing("TagSpecification.N.Tag.M.Key"))?;
            tags.insert(k, v.unwrap_or_default());
        }
    }
    Ok(tags)
}

pub(super) fn create_list(w: &mut World, c: &Ctx) -> Result<String, ApiError> {
    let name = c.params.required("PrefixListName")?.to_owned();
    let max_entries =
        number::<u32>(c.params, "MaxEntries")?.ok_or_else(|| ApiError::missing("MaxEntries"))?;
    let family = c.params.required("AddressFamily")?.to_owned();
    let entries = entries(c.params, "Entry")?;
    let tags = tag_specifications(c.params, "prefix-list")?;
    let id = w.create_managed_prefix_list(&name, max_entries, &family, entries, tags)?;
    Ok(answer_list(
        c,
        w.managed_prefix_list(&id),
        "create-in-progress",
    ))
}

const LIST_FILTERS: &[&str] = &["owner-id", "prefix-list-id", "prefix-list-name"];

fn list_matches(f: &Filter, l: &SimManagedPrefixList) -> bool {
    if let Some(key) = f.name.strip_prefix("tag:") {
        return l.tags.get(key).is_some_and(|v| f.matches(v));
    }
    match f.name.as_str() {
        "owner-id" => f.matches(ACCOUNT),
        "prefix-list-id" => f.matches(l.id.as_str()),
        "prefix-list-name" => f.matches(&l.name),
        "tag-key" => f.matches_any(l.tags.keys().map(String::as_str)),
        _ => false,
    }
}

pub(super) fn describe_lists(w: &mut World, c: &Ctx) -> Result<String, ApiError> {
    let filters = c.params.filters()?;
    filters.check(LIST_FILTERS, true)?;
    let ids = c.params.list("PrefixListId");
    if let Some(missing) = ids.iter().find(|id| {
        w.managed_prefix_list(&PrefixListId::new(id.as_str()))
            .is_none()
    }) {
        return Err(ListError::NotFound(PrefixListId::new(missing.as_str())).into());
    }
    let selected: Vec<(String, &SimManagedPrefixList)> = w
        .managed_prefix_lists
        .iter()
        .filter(|l| ids.is_empty() || ids.iter().any(|id| id == l.id.as_str()))
        .filter(|l| filters.iter().all(|f| list_matches(f, l)))
        .map(|l| (l.id.to_string(), l))
        .collect();
    let pg = page(selected, c.params.get("NextToken"), max_results(c)?)?;
    let mut x = c.xml();
    x.list("prefixListSet", pg.items, |x, l| {
        list_members(
            x,
            l,
            if l.version > 1 {
                "modify-complete"
            } else {
                "create-complete"
            },
        )
    });
    x.opt_leaf("nextToken", pg.next_token.as_deref());
    Ok(x.end(c.action))
}

pub(super) fn get_entries(w: &mut World, c: &Ctx) -> Result<String, ApiError> {
    let id = list_id(c.params)?;
    let l = w
        .managed_prefix_list(&id)
        .ok_or_else(|| ListError::NotFound(id.clone()))?;
    if let Some(v) = number::<u64>(c.params, "TargetVersion")?
        && v != l.version
    {
        // EC2 keeps every version; the sandbox keeps the current one only.
        return Err(ApiError::invalid(format!(
            "version {v} of {id} is not kept by the sandbox (current: {})",
            l.version
        )));
    }
    let items: Vec<(String, &SimPrefixListEntry)> = l
        .entries
        .iter()
        .map(|e| {
            let key = crate::sandbox::cidr::Cidr::parse(&e.cidr)
                .map_or_else(|| e.cidr.clone(), |c| c.sort_key());
            (key, e)
        })
        .collect();
    let pg = page(items, c.params.get("NextToken"), max_results(c)?)?;
    let mut x = c.xml();
    x.list("entrySet", pg.items, |x, e| {
        x.leaf("cidr", &e.cidr)
            .opt_leaf("description", e.description.as_deref());
    });
    x.opt_leaf("nextToken", pg.next_token.as_deref());
    Ok(x.end(c.action))
}

pub(super) fn modify_list(w: &mut World, c: &Ctx) -> Result<String, ApiError> {
    let id = list_id(c.params)?;
    let remove = c
        .params
        .structs("RemoveEntry")
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            m.get("Cidr")
                .cloned()
                .ok_or_else(|| ApiError::missing(&format!("RemoveEntry.{}.Cidr", i + 1)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let change = ListChange {
        current_version: number(c.params, "CurrentVersion")?,
        add: entries(c.params, "AddEntry")?,
        remove,
        max_entries: number(c.params, "MaxEntries")?,
        name: c
            .params
            .get("PrefixListName")
            .filter(|n| !n.is_empty())
            .map(str::to_owned),
    };
    w.modify_managed_prefix_list(&id, change)?;
    Ok(answer_list(
        c,
        w.managed_prefix_list(&id),
        "modify-in-progress",
    ))
}

pub(super) fn delete_list(w: &mut World, c: &Ctx) -> Result<String, ApiError> {
    let id = list_id(c.params)?;
    let before = w.managed_prefix_list(&id).cloned();
    w.delete_managed_prefix_list(&id)?;
    Ok(answer_list(c, before.as_ref(), "delete-in-progress"))
}

/// The members of a `TransitGatewayPrefixListReference` answered by a create or delete.
fn reference_answer(
    w: &World,
    c: &Ctx,
    table: &RouteTableId,
    prefix_list: &PrefixListId,
    attachment: Option<&AttachmentId>,
    state: &str,
) -> String {
    let mut x = c.xml();
    x.open("transitGatewayPrefixListReference");
    x.leaf("transitGatewayRouteTableId", table.as_str())
        .leaf("prefixListId", prefix_list.as_str())
        .leaf("prefixListOwnerId", ACCOUNT)
        .leaf("state", state)
        .bool_leaf("blackhole", attachment.is_none());
    if let Some(a) = attachment {
        x.open("transitGatewayAttachment");
        attachment_members(&mut x, w, a);
        x.close("transitGatewayAttachment");
    }
    x.close("transitGatewayPrefixListReference");
    x.end(c.action)
}

pub(super) fn create_reference(w: &mut World, c: &Ctx) -> Result<String, ApiError> {
    let table = RouteTableId::new(c.params.required("TransitGatewayRouteTableId")?);
    let prefix_list = list_id(c.params)?;
    let to = c
        .params
        .get("TransitGatewayAttachmentId")
        .filter(|a| !a.is_empty())
        .map(AttachmentId::new);
    let blackhole = c.params.flag("Blackhole")?;
    match (&to, blackhole) {
        (Some(_), true) => {
            return Err(ApiError::client(
                "InvalidParameterCombination",
                "Specify either a transit gateway attachment or Blackhole, not both",
            ));
        }
        (None, false) => return Err(ApiError::missing("TransitGatewayAttachmentId")),
        _ => {}
    }
    w.create_list_reference(&table, &prefix_list, to.as_ref())?;
    Ok(reference_answer(
        w,
        c,
        &table,
        &prefix_list,
        to.as_ref(),
        "pending",
    ))
}

pub(super) fn delete_reference(w: &mut World, c: &Ctx) -> Result<String, ApiError> {
    let table = RouteTableId::new(c.params.required("TransitGatewayRouteTableId")?);
    let prefix_list = list_id(c.params)?;
    if w.route_table(&table).is_none() {
        return Err(ListError::RouteTableNotFound(table).into());
    }
    let Some(before) = w.prefix_list_reference(&table, &prefix_list).cloned() else {
        return Err(ListError::ReferenceNotFound { table, prefix_list }.into());
    };
    w.delete_prefix_list_reference(&table, &prefix_list)?;
    Ok(reference_answer(
        w,
        c,
        &table,
        &prefix_list,
        before.attachment.as_ref(),
        "deleting",
    ))
}
