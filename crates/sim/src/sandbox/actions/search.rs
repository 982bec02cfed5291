//! SearchTransitGatewayRoutes: the routes of one table that match every filter.
//!
//! `Filters` is required (EC2 refuses a search without one). Pages hold at most `MaxResults`
//! (5–1000, default 1000) routes, capped by the sandbox's page size. When more routes match,
//! the answer says `additionalRoutesAvailable=true` and, in [`SearchPages::Token`] mode, carries
//! a `nextToken`; in [`SearchPages::Truncate`] mode (older EC2) it carries none, and the rest
//! can only be found by narrowing the search.
//!
//! What a route shows is what the world's [`DeadRoutes`](crate::DeadRoutes) view makes of it:
//! a static route to a dead VPN may show `blackhole`, with or without its attachment, and the
//! filters see it that way (a route that lists no attachment is not found by attachment id).
//! A prefix-list reference shows as `propagated` routes carrying its `prefixListId`, one per
//! entry of the list — the managed list's entries when the world has the list, else the
//! reference's own `cidrs` (one route with no CIDR when there are none): AWS-FACTS.md says a
//! `type=static` search never finds them; whether EC2 lists one route per entry is not
//! documented. A static route and a reference entry for the same prefix are both listed (the
//! static one wins in the table, [`World::resolve`]); which EC2 lists then is not documented.

use super::{Ctx, attachment_members, resource_id, resource_type};
use crate::sandbox::cidr::Cidr;
use crate::sandbox::error::ApiError;
use crate::sandbox::paging::page;
use crate::sandbox::query::{Filter, Filters};
use crate::sandbox::state::{SearchPages, SubnetMatch};
use crate::sandbox::xml::Xml;
use crate::world::World;
use tgw_ha_core::ids::{AttachmentId, RouteTableId};
use tgw_ha_core::model::{RouteState, RouteType};

/// A route as a search (or a route write) answers it.
#[derive(Debug, Clone)]
pub(super) struct Shown {
    pub cidr: Option<String>,
    pub prefix_list: Option<String>,
    pub attachment: Option<AttachmentId>,
    pub route_type: RouteType,
    pub state: RouteState,
}

pub(super) fn state_name(s: RouteState) -> &'static str {
    match s {
        RouteState::Pending => "pending",
        RouteState::Active => "active",
        RouteState::Blackhole => "blackhole",
        RouteState::Deleting => "deleting",
        RouteState::Deleted => "deleted",
    }
}

fn type_name(t: RouteType) -> &'static str {
    match t {
        RouteType::Static => "static",
        RouteType::Propagated => "propagated",
    }
}

/// The members of one `TransitGatewayRoute`, in EC2's order.
pub(super) fn route_members(x: &mut Xml, w: &World, r: &Shown) {
    x.opt_leaf("destinationCidrBlock", r.cidr.as_deref())
        .opt_leaf("prefixListId", r.prefix_list.as_deref());
    if let Some(a) = &r.attachment {
        x.list("transitGatewayAttachments", [a], |x, a| {
            attachment_members(x, w, a)
        });
    }
    x.leaf("type", type_name(r.route_type))
        .leaf("state", state_name(r.state));
}

/// Every route of `table` as a search shows it.
fn shown_routes(w: &World, table: &RouteTableId) -> Vec<Shown> {
    let mut out: Vec<Shown> = w
        .routes_in(table)
        .map(|r| {
            let seen = w.observed_route(r);
            Shown {
                cidr: Some(r.destination.clone()),
                prefix_list: None,
                attachment: seen.attachment,
                route_type: seen.route_type,
                state: seen.state,
            }
        })
        .collect();
    for p in w
        .prefix_list_references
        .iter()
        .filter(|p| &p.table == table)
    {
        let entries = w.reference_entries(p);
        let cidrs: Vec<Option<String>> = if entries.is_empty() {
            vec![None]
        } else {
            entries.into_iter().map(Some).collect()
        };
        for cidr in cidrs {
            out.push(Shown {
                cidr,
                prefix_list: Some(p.prefix_list_id.to_string()),
                attachment: p.attachment.clone(),
                route_type: RouteType::Propagated,
                state: if p.blackhole {
                    RouteState::Blackhole
                } else {
                    RouteState::Active
                },
            });
        }
    }
    out
}

const FILTERS: &[&str] = &[
    "type",
    "state",
    "attachment.transit-gateway-attachment-id",
    "attachment.resource-id",
    "attachment.resource-type",
    "prefix-list-id",
    "route-search.exact-match",
    "route-search.longest-prefix-match",
    "route-search.subnet-of-match",
    "route-search.supernet-of-match",
    "transit-gateway-route-destination-cidr-block",
    "transit-gateway-route-state",
    "transit-gateway-route-type",
];

fn is_prefix_filter(name: &str) -> bool {
    name.starts_with("route-search.")
}

/// The filter's values as CIDR blocks (route-search filters take nothing else).
fn cidrs(f: &Filter) -> Result<Vec<Cidr>, ApiError> {
    f.values
        .iter()
        .map(|v| {
            Cidr::parse(v).ok_or_else(|| {
                ApiError::invalid(format!(
                    "Invalid value '{v}' for filter {}: not a CIDR block",
                    f.name
                ))
            })
        })
        .collect()
}

fn matches(f: &Filter, r: &Shown, w: &World, subnet: SubnetMatch) -> Result<bool, ApiError> {
    let att = r.attachment.as_ref();
    Ok(match f.name.as_str() {
        "type" | "transit-gateway-route-type" => f.matches(type_name(r.route_type)),
        "state" | "transit-gateway-route-state" => f.matches(state_name(r.state)),
        "attachment.transit-gateway-attachment-id" => att.is_some_and(|a| f.matches(a.as_str())),
        "attachment.resource-id" => att.is_some_and(|a| f.matches(&resource_id(w, a))),
        "attachment.resource-type" => att
            .and_then(|a| resource_type(w, a))
            .is_some_and(|t| f.matches(&t.to_string())),
        "prefix-list-id" => r.prefix_list.as_deref().is_some_and(|p| f.matches(p)),
        "transit-gateway-route-destination-cidr-block" => {
            r.cidr.as_deref().is_some_and(|c| f.matches(c))
        }
        name if is_prefix_filter(name) => {
            let Some(route) = r.cidr.as_deref().and_then(Cidr::parse) else {
                return Ok(false);
            };
            let strict = subnet == SubnetMatch::Strict;
            let values = cidrs(f)?;
            match name {
                "route-search.exact-match" => values.contains(&route),
                "route-search.subnet-of-match" => values
                    .iter()
                    .any(|v| v.contains(&route) && !(strict && *v == route)),
                "route-search.supernet-of-match" => values
                    .iter()
                    .any(|v| route.contains(v) && !(strict && *v == route)),
                // Applied to the survivors of the other filters, in `select`.
                _ => values.iter().any(|v| route.contains(v)),
            }
        }
        _ => false,
    })
}

/// The routes that pass every filter; `longest-prefix-match` then keeps, per value, the
/// matching routes with the longest prefix.
fn select(
    routes: Vec<Shown>,
    filters: &Filters,
    w: &World,
    subnet: SubnetMatch,
) -> Result<Vec<Shown>, ApiError> {
    let mut kept = Vec::new();
    for r in routes {
        let mut ok = true;
        for f in filters.iter() {
            if !matches(f, &r, w, subnet)? {
                ok = false;
                break;
            }
        }
        if ok {
            kept.push(r);
        }
    }
    for f in filters
        .iter()
        .filter(|f| f.name == "route-search.longest-prefix-match")
    {
        let values = cidrs(f)?;
        let len = |r: &Shown| r.cidr.as_deref().and_then(Cidr::parse);
        let best: Vec<u8> = values
            .iter()
            .map(|v| {
                kept.iter()
                    .filter_map(len)
                    .filter(|c| c.contains(v))
                    .map(|c| c.prefix_len())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        kept.retain(|r| {
            len(r).is_some_and(|c| {
                values
                    .iter()
                    .zip(&best)
                    .any(|(v, b)| c.contains(v) && c.prefix_len() == *b)
            })
        });
    }
    Ok(kept)
}

fn sort_key(r: &Shown) -> String {
    let cidr = r
        .cidr
        .as_deref()
        .and_then(Cidr::parse)
        .map_or_else(|| "z".to_owned(), |c| c.sort_key());
    format!(
        "{cidr}|{}|{}",
        type_name(r.route_type),
        r.prefix_list.as_deref().unwrap_or("")
    )
}

pub(super) fn search_routes(w: &mut World, c: &Ctx) -> Result<String, ApiError> {
    let table = RouteTableId::new(c.params.required("TransitGatewayRouteTableId")?);
    let filters = c.params.filters()?;
    if filters.is_empty() {
        return Err(ApiError::missing("Filters"));
    }
    filters.check(FILTERS, false)?;
    for f in filters.iter().filter(|f| is_prefix_filter(&f.name)) {
        cidrs(f)?;
    }
    if w.route_table(&table).is_none() {
        return Err(ApiError::client(
            "InvalidRouteTableID.NotFound",
            format!("The routeTable ID '{table}' does not exist"),
        ));
    }
    let found = select(shown_routes(w, &table), &filters, w, c.knobs.subnet_match)?;
    let keyed = found.into_iter().map(|r| (sort_key(&r), r)).collect();
    let limit = c.page_limit()?;
    let (items, more, token) = match c.knobs.search_pages {
        SearchPages::Token => {
            let p = page(keyed, c.params.get("NextToken"), limit)?;
            (p.items, p.more, p.next_token)
        }
        SearchPages::Truncate => {
            let p = page(keyed, None, limit)?;
            (p.items, p.more, None)
        }
    };
    let mut x = c.xml();
    x.list("routeSet", &items, |x, r| route_members(x, w, r));
    x.bool_leaf("additionalRoutesAvailable", more);
    x.opt_leaf("nextToken", token.as_deref());
    Ok(x.end(c.action))
}
