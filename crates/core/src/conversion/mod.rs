//! Prefix-list conversion, pure: turn a group's static CIDR routes into one customer-managed
//! prefix list referenced in every route table that routes them (`convert`), or back
//! (`revert`); and the failover time a group's routes cost at EC2's write rate ([`estimate`]).
//!
//! Why: EC2 moves a static route per call, at 5 calls per second after a burst of 50
//! (AWS-FACTS.md), so 5 000 routes take 16.5 minutes to fail over. A prefix-list reference moves
//! every CIDR of its list in one call: after conversion a failover is one call per table.
//!
//! Safety — at no step is a destination without a route. At an equal prefix a static route wins
//! over a prefix-list reference (AWS-FACTS.md), so `convert` first makes the list hold every
//! CIDR, then per table adds the reference (traffic still follows the static routes) and only
//! then deletes the static routes it replaces (traffic follows the reference, to the same
//! member). `revert` is the mirror: per table, static routes to the reference's member first
//! (they win at once), then the reference. Tables are done one after the other so that the
//! TGW's route count (each list entry counts as a route) is at most one table's worth above
//! where it started.
//!
//! Resumable: the plan is a function of the observed world only, and every step is idempotent
//! (the runner treats "already done" as success), so a conversion interrupted anywhere is
//! finished by planning again from what is observed then: a list that exists is reused (found
//! by its name, `tgw-ha-<group>`), a table that already has the reference only loses its
//! static routes, and so on. Routes that leave the group's primary (a reference or a static
//! route created on a backup because the group is failed over) are recorded in the ledger
//! before they are created, as every move is, so that they are failed back later.
//!
//! Refused, with the reason ([`ConversionError`]): a group whose routes point at several members
//! (a move under way or failed) or at a blackhole; tables that route different sets of the
//! group's CIDRs (one list cannot express that); a table that already references another list
//! holding some of these CIDRs; more CIDRs than a list may hold; a peak above the TGW's routes
//! quota; IPv4 and IPv6 routes in one group (a list holds one address family).
//!
//! The files: this one holds the constants, the observed input and [`plan`]; `steps.rs` the
//! plan's vocabulary ([`Step`], [`ConversionPlan`]); `error.rs` the refusals; `observe.rs` what
//! the observation says about the group, shared by both directions; `convert.rs` and
//! `revert.rs` one direction each; `estimate.rs` the failover time at EC2's write rate.

mod convert;
mod error;
mod estimate;
mod observe;
mod revert;
mod steps;

pub use error::ConversionError;
pub use estimate::{FailoverEstimate, estimate};
pub use steps::{ConversionPlan, Step};

use crate::Timestamp;
use crate::groups::Group;
use crate::ids::{AttachmentId, GroupName, PrefixListId, RouteTableId};
use crate::model::Route;
use crate::state::LedgerEntry;
use convert::plan_convert;
use revert::plan_revert;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The tag key tgw-ha puts on the lists it creates; its value is the group's name. `revert`
/// deletes a list only if it carries it.
pub const OWNER_TAG: &str = "tgw-ha:group";
/// At most this many entries are added or removed by one ModifyManagedPrefixList (EC2's limit),
/// and given to one CreateManagedPrefixList.
pub const ENTRIES_PER_CALL: usize = 100;
/// The ledger's `decision` for routes recorded by a conversion.
pub const DECISION: &str = "prefix-list-conversion";
/// EC2's write budget (AWS-FACTS.md): a burst of 50, then 5 per second.
pub const WRITE_BURST: usize = 50;
pub const WRITES_PER_SECOND: f64 = 5.0;
/// One round trip of a write, assumed (EC2 publishes no latency figure).
pub const ROUND_TRIP_SECONDS: f64 = 0.1;
/// Above this estimated failover time, `status` suggests converting.
pub const SUGGEST_ABOVE_SECONDS: f64 = 30.0;

/// The name of the list tgw-ha keeps for `group`.
pub fn list_name(group: &GroupName) -> String {
    format!("tgw-ha-{group}")
}

/// A customer-managed prefix list as observed: DescribeManagedPrefixLists plus its entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedPrefixList {
    pub id: PrefixListId,
    pub name: String,
    pub max_entries: u32,
    pub version: u64,
    /// `IPv4` or `IPv6`.
    pub address_family: String,
    /// EC2's state (`create-complete`, `modify-in-progress`, …).
    pub state: String,
    pub entries: Vec<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// A prefix-list reference of a TGW route table, whatever it points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrefixListReference {
    pub table: RouteTableId,
    pub prefix_list: PrefixListId,
    /// `None`: a blackhole reference.
    pub attachment: Option<AttachmentId>,
    /// EC2's state: `available` once its routes are in the table (`pending`, `modifying`,
    /// `deleting` before).
    pub state: String,
}

impl PrefixListReference {
    pub fn is_available(&self) -> bool {
        self.state == "available"
    }
}

/// EC2's limits that a conversion must stay within.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Routes per TGW across its tables, list entries included (default 10 000).
    pub route_quota: usize,
    /// Entries per prefix list (default 1 000).
    pub max_entries: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            route_quota: 10_000,
            max_entries: 1000,
        }
    }
}

/// `MaxEntries` for a list of `n` entries: room to add a quarter more (at least 10), within the
/// quota.
pub fn max_entries_for(n: usize, quota: u32) -> u32 {
    let headroom = n.div_ceil(4).max(10);
    (n + headroom).min(quota as usize).max(1) as u32
}

/// Everything the plan needs, as observed in one pass.
#[derive(Debug, Clone)]
pub struct ConversionInput<'a> {
    pub group: &'a Group,
    /// Every route table of the group's TGW.
    pub tables: &'a [RouteTableId],
    /// Static routes of those tables that point at a member of the group, and blackhole static
    /// routes (as the `Network` port returns them); other routes are ignored.
    pub statics: &'a [Route],
    /// Every prefix-list reference of those tables, whatever it points at.
    pub references: &'a [PrefixListReference],
    /// Every list named [`list_name`] of the group (more than one is refused).
    pub lists: &'a [ManagedPrefixList],
    /// Entries of the other lists referenced in those tables (`None`: could not be read).
    pub other_entries: &'a BTreeMap<PrefixListId, Option<Vec<String>>>,
    /// The TGW's ledger.
    pub ledger: &'a [LedgerEntry],
    /// Routes the TGW holds now across its tables (static, propagated, list entries).
    pub routes_in_tgw: usize,
    pub limits: Limits,
    /// Dates the ledger entries the plan records.
    pub now: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Convert,
    Revert,
}

impl Direction {
    pub fn as_str(&self) -> &'static str {
        match self {
            Direction::Convert => "convert",
            Direction::Revert => "revert",
        }
    }
}

/// The plan of `direction` for the input's group.
pub fn plan(
    input: &ConversionInput,
    direction: Direction,
) -> Result<ConversionPlan, ConversionError> {
    match direction {
        Direction::Convert => plan_convert(input),
        Direction::Revert => plan_revert(input),
    }
}
