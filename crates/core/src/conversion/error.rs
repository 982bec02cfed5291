//! Why a conversion is refused ([`ConversionError`]): each case of the module doc's
//! "Refused" list, with what was observed, so that the operator can fix it. Nothing was changed.

use crate::ids::{AttachmentId, GroupName, PrefixListId, RouteTableId, TgwId};
use serde::{Deserialize, Serialize};

/// Why a conversion is refused. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ConversionError {
    #[error(
        "group {group}'s routes point at several members ({}): a move is under way or failed; run `tgw-ha reconcile` first",
        targets.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", ")
    )]
    Split {
        group: GroupName,
        targets: Vec<AttachmentId>,
    },
    #[error(
        "group {group}'s route {destination} in {table} is a blackhole: run `tgw-ha reconcile` first"
    )]
    Blackhole {
        group: GroupName,
        table: RouteTableId,
        destination: String,
    },
    #[error(
        "prefix list {prefix_list} (the group's) is referenced in {table} to {target}, which is not a member of group {group}"
    )]
    ForeignTarget {
        group: GroupName,
        table: RouteTableId,
        prefix_list: PrefixListId,
        target: String,
    },
    #[error(
        "group {group}'s routes differ per table: {table} routes {routed} of its {total} CIDRs (missing {}); one prefix list cannot express that — make every table route the same CIDRs, or keep the group's routes static",
        sample(missing)
    )]
    Inconsistent {
        group: GroupName,
        table: RouteTableId,
        routed: usize,
        total: usize,
        missing: Vec<String>,
    },
    #[error(
        "{table} already references prefix list {prefix_list}, which also holds {} of group {group}'s CIDRs: two references for one prefix would compete",
        sample(cidrs)
    )]
    ConflictingReference {
        group: GroupName,
        table: RouteTableId,
        prefix_list: PrefixListId,
        cidrs: Vec<String>,
    },
    #[error(
        "{table} references prefix list {prefix_list}, whose entries cannot be read: cannot tell whether it conflicts with group {group}'s CIDRs"
    )]
    UnreadableReference {
        group: GroupName,
        table: RouteTableId,
        prefix_list: PrefixListId,
    },
    #[error(
        "group {group} routes {entries} CIDRs; a prefix list holds at most {quota} entries (quota)"
    )]
    TooManyEntries {
        group: GroupName,
        entries: usize,
        quota: u32,
    },
    #[error(
        "{tgw} would hold {peak} routes at the peak of this {direction} (it holds {now}; each prefix-list entry a table references counts as a route); its quota is {quota}"
    )]
    RouteQuota {
        tgw: TgwId,
        direction: &'static str,
        now: usize,
        peak: usize,
        quota: usize,
    },
    #[error(
        "group {group} has IPv4 and IPv6 routes; a prefix list holds one address family: not supported"
    )]
    MixedFamilies { group: GroupName },
    #[error(
        "{} prefix lists are named {name} ({}): keep one",
        lists.len(),
        lists.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(", ")
    )]
    AmbiguousList {
        name: String,
        lists: Vec<PrefixListId>,
    },
    #[error(
        "prefix list {prefix_list} holds {family} entries but group {group}'s routes are {wanted}"
    )]
    WrongFamily {
        group: GroupName,
        prefix_list: PrefixListId,
        family: String,
        wanted: String,
    },
}

fn sample(cidrs: &[String]) -> String {
    const SHOWN: usize = 5;
    if cidrs.len() <= SHOWN {
        cidrs.join(", ")
    } else {
        format!(
            "{}, … {} more",
            cidrs[..SHOWN].join(", "),
            cidrs.len() - SHOWN
        )
    }
}
