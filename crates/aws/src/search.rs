//! SearchTransitGatewayRoutes, read to the end.
//!
//! Newer EC2 API models page this call with `NextToken`, which the SDK paginator follows. Older
//! answers (and possibly some Regions or proxies) carry only `AdditionalRoutesAvailable=true`
//! and no token: the search stopped at `MaxResults` (1 000) and there is no way to ask for
//! "the rest". Then the search is *narrowed*: the address space is split into halves with the
//! `route-search.subnet-of-match` filter, recursively, until every part answers complete. Each
//! split also asks `route-search.exact-match` for the part's own prefix, because whether
//! `subnet-of-match` includes the prefix itself is not documented. Results overlap and are
//! deduplicated by the caller.
//!
//! Never: stops silently. A part that cannot be narrowed further (a single /32 or /128 still
//! truncated) or a search that needs more than [`MAX_CALLS`] calls is an error naming the table.
//! Never adds a `state` filter of its own: the caller's filters are used as given.

use crate::errors::{Target, sdk_error};
use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{Filter, TransitGatewayRoute};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use tgw_ha_core::ids::RouteTableId;
use tgw_ha_engine::layer::Ec2Action;
use tgw_ha_engine::ports::NetError;

/// An EC2 filter: `name` matching any of `values`.
pub(crate) fn filter(name: &str, values: impl IntoIterator<Item = impl Into<String>>) -> Filter {
    Filter::builder()
        .name(name)
        .set_values(Some(values.into_iter().map(Into::into).collect()))
        .build()
}

const OP: Ec2Action = Ec2Action::SearchTransitGatewayRoutes;

/// EC2's maximum page size: the fewest calls.
pub(crate) const MAX_RESULTS: i32 = 1000;
/// A bound on the calls of one search, so that a server that always says "more" ends in an
/// error instead of an exponential walk of the address space. 10 000 routes per TGW (the
/// quota) narrow in far fewer calls than this.
pub(crate) const MAX_CALLS: usize = 2048;

/// An IPv4 or IPv6 prefix, normalised to its network address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cidr {
    addr: IpAddr,
    len: u8,
}

impl Cidr {
    pub(crate) fn parse(s: &str) -> Option<Cidr> {
        let (a, l) = s.split_once('/')?;
        let addr: IpAddr = a.parse().ok()?;
        let len: u8 = l.parse().ok()?;
        let cidr = Cidr { addr, len };
        (len <= cidr.max_len()).then(|| cidr.normalised())
    }

    fn max_len(&self) -> u8 {
        match self.addr {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        }
    }

    fn normalised(self) -> Cidr {
        let addr = match self.addr {
            IpAddr::V4(a) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.len)).unwrap_or(0);
                IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask))
            }
            IpAddr::V6(a) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.len))
                    .unwrap_or(0);
                IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask))
            }
        };
        Cidr { addr, ..self }
    }

    /// The two halves of this prefix, or `None` for a single address.
    pub(crate) fn halves(&self) -> Option<(Cidr, Cidr)> {
        if self.len >= self.max_len() {
            return None;
        }
        let len = self.len + 1;
        let hi = match self.addr {
            IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a) | (1u32 << (32 - len)))),
            IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a) | (1u128 << (128 - len)))),
        };
        Some((
            Cidr {
                addr: self.addr,
                len,
            },
            Cidr { addr: hi, len },
        ))
    }

    /// Whether `other` lies inside this prefix (or is it).
    #[cfg(test)]
    pub(crate) fn contains(&self, other: &Cidr) -> bool {
        other.len >= self.len
            && Cidr {
                addr: other.addr,
                len: self.len,
            }
            .normalised()
                == *self
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

/// The part of the address space one search covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    Everything,
    SubnetOf(Cidr),
    Exact(Cidr),
}

impl Scope {
    fn filter(&self) -> Option<Filter> {
        let (name, cidr) = match self {
            Scope::Everything => return None,
            Scope::SubnetOf(c) => ("route-search.subnet-of-match", c),
            Scope::Exact(c) => ("route-search.exact-match", c),
        };
        Some(
            Filter::builder()
                .name(name)
                .values(cidr.to_string())
                .build(),
        )
    }

    /// Smaller searches that together cover this one, or `None` if it cannot be split.
    pub(crate) fn narrower(&self) -> Option<Vec<Scope>> {
        let split = |c: Cidr| {
            let mut parts = vec![Scope::Exact(c)];
            if let Some((lo, hi)) = c.halves() {
                parts.extend([Scope::SubnetOf(lo), Scope::SubnetOf(hi)]);
            }
            parts
        };
        match self {
            Scope::Everything => {
                let v4 = Cidr::parse("0.0.0.0/0").expect("literal");
                let v6 = Cidr::parse("::/0").expect("literal");
                Some([split(v4), split(v6)].concat())
            }
            Scope::SubnetOf(c) => Some(split(*c)),
            Scope::Exact(_) => None,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Everything => f.write_str("all routes"),
            Scope::SubnetOf(c) => write!(f, "subnets of {c}"),
            Scope::Exact(c) => write!(f, "exactly {c}"),
        }
    }
}

/// Every route of `table` matching `base` (which must hold at least one filter: EC2 requires
/// it), however the answer is paged.
pub(crate) async fn search_routes(
    client: &Client,
    table: &RouteTableId,
    base: &[Filter],
) -> Result<Vec<TransitGatewayRoute>, NetError> {
    let mut todo = vec![Scope::Everything];
    let mut routes = Vec::new();
    let mut calls = 0usize;
    while let Some(scope) = todo.pop() {
        let truncated = search_scope(client, table, base, scope, &mut routes, &mut calls).await?;
        if truncated {
            let Some(parts) = scope.narrower() else {
                return Err(incomplete(
                    table,
                    format!("{scope} still truncated and cannot be narrowed"),
                ));
            };
            tracing::debug!(%table, %scope, calls, "route search truncated without a token: narrowing");
            // Depth first, in address order: the pending list stays short.
            todo.extend(parts.into_iter().rev());
        }
        if calls > MAX_CALLS {
            return Err(incomplete(
                table,
                format!("more than {MAX_CALLS} calls and still truncated"),
            ));
        }
    }
    Ok(routes)
}

/// All pages of one scope. Returns whether the last page said more routes exist that no token
/// leads to.
async fn search_scope(
    client: &Client,
    table: &RouteTableId,
    base: &[Filter],
    scope: Scope,
    routes: &mut Vec<TransitGatewayRoute>,
    calls: &mut usize,
) -> Result<bool, NetError> {
    let mut filters = base.to_vec();
    filters.extend(scope.filter());
    let mut pages = client
        .search_transit_gateway_routes()
        .transit_gateway_route_table_id(table.as_str())
        .set_filters(Some(filters))
        .max_results(MAX_RESULTS)
        .into_paginator()
        .send();
    let mut truncated = false;
    while let Some(page) = pages.next().await {
        *calls += 1;
        let page = page.map_err(sdk_error(OP, Target::ReadOf(table.as_str())))?;
        routes.extend(page.routes().iter().cloned());
        // Only the last page's flag counts: earlier pages carry a token that was followed. The
        // paginator also stops on a repeated token; a flag still set then is truncation too.
        truncated = page.additional_routes_available() == Some(true);
    }
    Ok(truncated)
}

fn incomplete(table: &RouteTableId, why: String) -> NetError {
    NetError::Rejected {
        op: OP.to_string(),
        code: "IncompleteRouteSearch".to_owned(),
        message: format!("route search of {table} could not be completed: {why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Cidr {
        Cidr::parse(s).expect(s)
    }

    #[test]
    fn parse_normalises_and_rejects_garbage() {
        assert_eq!(c("10.1.2.3/16").to_string(), "10.1.0.0/16");
        assert_eq!(c("2001:db8::1/32").to_string(), "2001:db8::/32");
        assert_eq!(c("0.0.0.0/0").to_string(), "0.0.0.0/0");
        assert_eq!(Cidr::parse("10.0.0.0/33"), None);
        assert_eq!(Cidr::parse("10.0.0.0"), None);
        assert_eq!(Cidr::parse("pl-123"), None);
    }

    #[test]
    fn halves_cover_the_prefix_exactly() {
        let (lo, hi) = c("0.0.0.0/0").halves().expect("split");
        assert_eq!(
            (lo.to_string(), hi.to_string()),
            ("0.0.0.0/1".into(), "128.0.0.0/1".into())
        );
        let (lo, hi) = c("10.0.0.0/8").halves().expect("split");
        assert_eq!(
            (lo.to_string(), hi.to_string()),
            ("10.0.0.0/9".into(), "10.128.0.0/9".into())
        );
        let (lo, hi) = c("::/0").halves().expect("split");
        assert_eq!(
            (lo.to_string(), hi.to_string()),
            ("::/1".into(), "8000::/1".into())
        );
        assert_eq!(c("10.0.0.1/32").halves(), None);
        assert_eq!(c("::1/128").halves(), None);
    }

    #[test]
    fn contains_is_prefix_inclusion() {
        assert!(c("10.0.0.0/8").contains(&c("10.200.0.0/16")));
        assert!(c("10.0.0.0/8").contains(&c("10.0.0.0/8")));
        assert!(!c("10.0.0.0/9").contains(&c("10.200.0.0/16")));
        assert!(!c("10.0.0.0/16").contains(&c("10.0.0.0/8")));
        assert!(c("0.0.0.0/0").contains(&c("192.168.1.1/32")));
    }

    #[test]
    fn narrowing_covers_both_families_and_ends_at_exact() {
        let parts = Scope::Everything.narrower().expect("split");
        let shown: Vec<String> = parts.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "exactly 0.0.0.0/0",
                "subnets of 0.0.0.0/1",
                "subnets of 128.0.0.0/1",
                "exactly ::/0",
                "subnets of ::/1",
                "subnets of 8000::/1",
            ]
        );
        assert_eq!(
            Scope::SubnetOf(c("10.0.0.1/32")).narrower(),
            Some(vec![Scope::Exact(c("10.0.0.1/32"))])
        );
        assert_eq!(Scope::Exact(c("10.0.0.0/8")).narrower(), None);
    }
}
